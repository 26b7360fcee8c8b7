/* Unit tests of src/bridge/pg-bridge-render.c (issue 11 §3, §4): room
 * lines as the relay client writes them on IRC.  Hostile nicks and bodies
 * (line breaks that would inject an IRC command, CTCP, mIRC codes, bidi
 * overrides, huge and multi-byte texts) never yield a line IRC would read
 * as something else; corrections, replies with their XEP-0461 fallback,
 * and the multi-line policy. */
#define G_LOG_DOMAIN "test-bridge-render"

#include "config.h"

#include <string.h>

#include "bridge/pg-bridge-render.h"
#include "core/pg-error.h"

#define ZWSP "\xE2\x80\x8B"

/* Every line is something the relay may send as one PRIVMSG text. */
static void
pg_test_assert_irc_safe(GStrv lines, gsize max_bytes)
{
	for (guint i = 0; lines[i] != NULL; i++) {
		const gchar *line = lines[i];

		g_assert_true(g_utf8_validate(line, -1, NULL));
		g_assert_cmpuint(strlen(line), >, 0);
		g_assert_cmpuint(strlen(line), <=, max_bytes);
		for (const guchar *p = (const guchar *)line; *p != '\0'; p++)
			g_assert_cmpuint(*p, >=, 0x20);
	}
}

static PgBridgeRenderPolicy
pg_test_policy(void)
{
	PgBridgeRenderPolicy policy;

	pg_bridge_render_policy_init(&policy);
	return policy;
}

typedef struct {
	const gchar *nick;
	gboolean break_highlight;
	const gchar *expect;
} PgTestNickCase;

static const PgTestNickCase nick_cases[] = {
    {.nick = "alice", .break_highlight = TRUE, .expect = "a" ZWSP "lice"},
    {.nick = "alice", .break_highlight = FALSE, .expect = "alice"},
    {.nick = "Jane Doe", .break_highlight = FALSE, .expect = "Jane_Doe"},
    {.nick = "bob\r\nQUIT", .break_highlight = FALSE, .expect = "bob??QUIT"},
    {.nick = "\x01" "ACTION x\x01", .break_highlight = FALSE, .expect = "?ACTION_x?"},
    {.nick = "\x02" "bold\x0f", .break_highlight = FALSE, .expect = "?bold?"},
    /* U+202E RIGHT-TO-LEFT OVERRIDE would turn the rest of the line around */
    {.nick = "eve\xE2\x80\xAE" "dlrow", .break_highlight = FALSE, .expect = "eve?dlrow"},
    {.nick = "", .break_highlight = TRUE, .expect = "?"},
    {.nick = "é", .break_highlight = TRUE, .expect = "é" ZWSP},
    {.nick = "0123456789012345678901234567890123456789", .break_highlight = FALSE,
     .expect = "01234567890123456789012345678901"},
};

static void
test_bridge_render_nick(gconstpointer data)
{
	const PgTestNickCase *test = data;
	g_autofree gchar *nick = pg_bridge_render_nick(test->nick, test->break_highlight);

	g_assert_cmpstr(nick, ==, test->expect);
}

static void
test_bridge_render_plain_and_action(void)
{
	PgBridgeRenderPolicy policy = pg_test_policy();
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) plain = NULL;
	g_auto(GStrv) action = NULL;
	g_auto(GStrv) blank = NULL;

	policy.break_highlight = FALSE;
	plain = pg_bridge_render_message(&policy, "alice", "hello <world> & you", NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(plain), ==, 1);
	g_assert_cmpstr(plain[0], ==, "<alice> hello <world> & you");

	action = pg_bridge_render_message(&policy, "alice", "/me waves", NULL, &error);
	g_assert_cmpstr(action[0], ==, "* alice waves");
	g_assert_null(action[1]);

	blank = pg_bridge_render_message(&policy, "alice", " \r\n\n\t \n", NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(blank), ==, 0);
}

/* A person's own IRC connection (src/bridge/pg-bridge-clients.c): no
 * "<nick> ", an action stays "/me " for the worker's CTCP ACTION, and a
 * correction is a bare s/old/new/. */
static void
test_bridge_render_own_lines(void)
{
	PgBridgeRenderPolicy policy = pg_test_policy();
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) plain = NULL;
	g_auto(GStrv) action = NULL;
	g_auto(GStrv) two = NULL;
	g_autofree gchar *fixed = NULL;
	g_autofree gchar *rewritten = NULL;

	policy.own_lines = TRUE;
	plain = pg_bridge_render_message(&policy, "alice", "hello", "bob", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(plain[0], ==, "bob: hello");
	g_assert_null(plain[1]);
	action = pg_bridge_render_message(&policy, "alice", "/me waves", NULL, &error);
	g_assert_cmpstr(action[0], ==, "/me waves");
	two = pg_bridge_render_message(&policy, "alice", "one\ntwo", NULL, &error);
	g_assert_cmpstr(two[0], ==, "one");
	g_assert_cmpstr(two[1], ==, "two");
	fixed = pg_bridge_render_correction(&policy, "alice", "see you at noon",
					    "see you at one");
	g_assert_cmpstr(fixed, ==, "s/noon/one/");
	rewritten = pg_bridge_render_correction(&policy, "alice", "a", "first\nsecond");
	g_assert_cmpstr(rewritten, ==, "* corrected: first / second");
}

/* A body that tries to smuggle IRC commands, CTCP or formatting. */
static void
test_bridge_render_hostile_body(void)
{
	PgBridgeRenderPolicy policy = pg_test_policy();
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) lines = NULL;
	g_auto(GStrv) ctcp = NULL;

	lines = pg_bridge_render_message(&policy, "mallory\r\nJOIN #x",
					 "hi\r\nPRIVMSG NickServ :DROP\rx\n", NULL, &error);
	g_assert_no_error(error);
	pg_test_assert_irc_safe(lines, policy.max_line_bytes);
	/* each source line is its own line, with the author in front */
	g_assert_cmpuint(g_strv_length(lines), ==, 3);
	g_assert_cmpstr(lines[0], ==, "<m" ZWSP "allory??JOIN_#x> hi");
	g_assert_cmpstr(lines[1], ==, "<m" ZWSP "allory??JOIN_#x> PRIVMSG NickServ :DROP");
	g_assert_cmpstr(lines[2], ==, "<m" ZWSP "allory??JOIN_#x> x");

	ctcp = pg_bridge_render_message(&policy, "m", "\x01" "DCC SEND x 1 2 3\x01 \x03" "4red",
					NULL, &error);
	pg_test_assert_irc_safe(ctcp, policy.max_line_bytes);
	g_assert_cmpstr(ctcp[0], ==, "<m" ZWSP "> DCC SEND x 1 2 3 red");
}

/* A long line of 3-byte characters is cut on character boundaries. */
static void
test_bridge_render_long_line(void)
{
	PgBridgeRenderPolicy policy = pg_test_policy();
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) body = g_string_new(NULL);
	g_autoptr(GString) joined = g_string_new(NULL);
	g_auto(GStrv) lines = NULL;

	policy.break_highlight = FALSE;
	policy.max_lines = 100;
	for (guint i = 0; i < 500; i++)
		g_string_append(body, "€");
	lines = pg_bridge_render_message(&policy, "bob", body->str, NULL, &error);
	g_assert_no_error(error);
	pg_test_assert_irc_safe(lines, policy.max_line_bytes);
	g_assert_cmpuint(g_strv_length(lines), ==, 4);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_assert_true(g_str_has_prefix(lines[i], "<bob> "));
		g_string_append(joined, lines[i] + strlen("<bob> "));
	}
	/* nothing lost, nothing added */
	g_assert_cmpstr(joined->str, ==, body->str);
}

static void
test_bridge_render_long_line_cuts_at_spaces(void)
{
	PgBridgeRenderPolicy policy = pg_test_policy();
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) body = g_string_new(NULL);
	g_auto(GStrv) lines = NULL;

	policy.max_line_bytes = 64;
	policy.max_lines = 100;
	for (guint i = 0; i < 40; i++)
		g_string_append(body, "word ");
	lines = pg_bridge_render_message(&policy, "bob", body->str, NULL, &error);
	pg_test_assert_irc_safe(lines, policy.max_line_bytes);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_assert_true(g_str_has_suffix(lines[i], "word"));
		g_assert_false(g_str_has_suffix(lines[i], " "));
	}
}

static void
test_bridge_render_multiline_policy(void)
{
	PgBridgeRenderPolicy policy = pg_test_policy();
	g_autoptr(GError) error = NULL;
	const gchar *four = "one\ntwo\nthree\nfour";
	const gchar *ten = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10";
	g_auto(GStrv) sent = NULL;
	g_auto(GStrv) summary = NULL;
	g_auto(GStrv) refused = NULL;

	policy.break_highlight = FALSE;
	sent = pg_bridge_render_message(&policy, "c", four, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(sent), ==, 4);
	g_assert_cmpstr(sent[3], ==, "<c> four");

	summary = pg_bridge_render_message(&policy, "c", ten, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(summary), ==, 4);
	g_assert_cmpstr(summary[0], ==, "<c> 1");
	g_assert_cmpstr(summary[2], ==, "<c> 3");
	g_assert_cmpstr(summary[3], ==, "<c> (7 more lines)");

	policy.above = PG_BRIDGE_OVERFLOW_REFUSE;
	refused = pg_bridge_render_message(&policy, "c", ten, NULL, &error);
	g_assert_null(refused);
	g_assert_error(error, PG_ERROR, PG_ERROR_POLICY_VIOLATION);
	g_assert_nonnull(strstr(error->message, "10 lines"));
}

/* XEP-0461 §4: the quote of the replied-to line is a fallback; IRC gets
 * "nick: " and the new text only. */
static void
test_bridge_render_reply(void)
{
	PgBridgeRenderPolicy policy = pg_test_policy();
	g_autoptr(GError) error = NULL;
	/* "> Anna wrote:\n> We should bake a cake\n" is 38 code points */
	const gchar *body = "> Anna wrote:\n> We should bake a cake\nGreat idea!";
	g_autofree gchar *stripped = pg_bridge_render_strip_fallback(body, 0, 38);
	g_auto(GStrv) lines = NULL;
	g_auto(GStrv) already = NULL;

	g_assert_cmpstr(stripped, ==, "Great idea!");
	policy.break_highlight = TRUE;
	lines = pg_bridge_render_message(&policy, "bob", stripped, "Anna", &error);
	g_assert_no_error(error);
	/* the addressee is highlighted on purpose: no U+200B in it */
	g_assert_cmpstr(lines[0], ==, "<b" ZWSP "ob> Anna: Great idea!");
	/* not twice when the text already addresses them */
	already = pg_bridge_render_message(&policy, "bob", "anna, sure", "Anna", &error);
	g_assert_cmpstr(already[0], ==, "<b" ZWSP "ob> anna, sure");
}

typedef struct {
	const gchar *body;
	gint64 start, end;
	const gchar *expect;
} PgTestFallbackCase;

static const PgTestFallbackCase fallback_cases[] = {
    /* offsets count code points, not bytes (XEP-0426) */
    {.body = "> héllo\nanswer", .start = 0, .end = 8, .expect = "answer"},
    {.body = "answer\n> quote", .start = 6, .end = 14, .expect = "answer"},
    /* ranges that do not fit leave the body alone */
    {.body = "short", .start = 0, .end = 99, .expect = "short"},
    {.body = "short", .start = 3, .end = 2, .expect = "short"},
    {.body = "short", .start = -1, .end = 2, .expect = "short"},
    {.body = "", .start = 0, .end = 0, .expect = ""},
    {.body = "all of it", .start = 0, .end = 9, .expect = ""},
};

static void
test_bridge_render_fallback(gconstpointer data)
{
	const PgTestFallbackCase *test = data;
	g_autofree gchar *out = pg_bridge_render_strip_fallback(test->body, test->start, test->end);

	g_assert_cmpstr(out, ==, test->expect);
}

typedef struct {
	const gchar *old_text;
	const gchar *new_text;
	const gchar *expect; /* NULL: nothing to send */
} PgTestCorrectionCase;

static const PgTestCorrectionCase correction_cases[] = {
    {.old_text = "I saw teh cat", .new_text = "I saw the cat", .expect = "<d> s/teh/the/"},
    {.old_text = "hello world", .new_text = "hello big world",
     .expect = "<d> s/world/big world/"},
    {.old_text = "see you tomorow", .new_text = "see you tomorrow",
     .expect = "<d> s/tomorow/tomorrow/"},
    /* the changed word occurs twice: s/// would be ambiguous */
    {.old_text = "a cat and a cat", .new_text = "a cat and a dog",
     .expect = "<d> * corrected: a cat and a dog"},
    /* a slash cannot go into s/// unescaped */
    {.old_text = "see a/b", .new_text = "see a/c", .expect = "<d> * corrected: see a/c"},
    /* everything changed */
    {.old_text = "completely different sentence here, long enough",
     .new_text = "nothing in common whatsoever with the first one",
     .expect = "<d> * corrected: nothing in common whatsoever with the first one"},
    {.old_text = NULL, .new_text = "two\nlines", .expect = "<d> * corrected: two / lines"},
    {.old_text = "same", .new_text = "same", .expect = NULL},
    {.old_text = "x", .new_text = " \n ", .expect = NULL},
    {.old_text = "hi", .new_text = "hi\r\nQUIT :x", .expect = "<d> * corrected: hi / QUIT :x"},
};

static void
test_bridge_render_correction(gconstpointer data)
{
	const PgTestCorrectionCase *test = data;
	PgBridgeRenderPolicy policy = pg_test_policy();
	g_autofree gchar *line = NULL;

	policy.break_highlight = FALSE;
	line = pg_bridge_render_correction(&policy, "d", test->old_text, test->new_text);
	g_assert_cmpstr(line, ==, test->expect);
}

static void
test_bridge_render_correction_is_one_short_line(void)
{
	PgBridgeRenderPolicy policy = pg_test_policy();
	g_autoptr(GString) text = g_string_new(NULL);
	g_autofree gchar *line = NULL;
	gchar *lines[] = {NULL, NULL};

	for (guint i = 0; i < 300; i++)
		g_string_append(text, "ü\n");
	line = pg_bridge_render_correction(&policy, "d", NULL, text->str);
	lines[0] = line;
	pg_test_assert_irc_safe(lines, policy.max_line_bytes);
	g_assert_true(g_str_has_suffix(line, "\xE2\x80\xA6"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(nick_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/bridge-render/nick/%u", i);
		g_test_add_data_func(path, &nick_cases[i], test_bridge_render_nick);
	}
	g_test_add_func("/bridge-render/message/own-lines-have-no-nick",
			test_bridge_render_own_lines);
	g_test_add_func("/bridge-render/message/plain-action-blank",
			test_bridge_render_plain_and_action);
	g_test_add_func("/bridge-render/message/hostile-body-cannot-inject",
			test_bridge_render_hostile_body);
	g_test_add_func("/bridge-render/message/long-line-cut-on-characters",
			test_bridge_render_long_line);
	g_test_add_func("/bridge-render/message/long-line-cut-at-spaces",
			test_bridge_render_long_line_cuts_at_spaces);
	g_test_add_func("/bridge-render/message/multiline-policy",
			test_bridge_render_multiline_policy);
	g_test_add_func("/bridge-render/reply/prefix-without-fallback", test_bridge_render_reply);
	for (guint i = 0; i < G_N_ELEMENTS(fallback_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/bridge-render/fallback/%u", i);
		g_test_add_data_func(path, &fallback_cases[i], test_bridge_render_fallback);
	}
	for (guint i = 0; i < G_N_ELEMENTS(correction_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/bridge-render/correction/%u", i);
		g_test_add_data_func(path, &correction_cases[i], test_bridge_render_correction);
	}
	g_test_add_func("/bridge-render/correction/one-short-line",
			test_bridge_render_correction_is_one_short_line);
	return g_test_run();
}
