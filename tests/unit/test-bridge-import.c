/* Unit tests of src/bridge/pg-bridge-import.c (issue 11 §6): irssi,
 * weechat and ZNC logs as those clients write them by default, read into
 * lines with UTC times in a given zone; and the bounds: long lines, too
 * many lines, invalid UTF-8 converted or refused, controls, chunks that
 * split lines anywhere, lines before any date. */
#define G_LOG_DOMAIN "test-bridge-import"

#include "config.h"

#include <string.h>

#include "bridge/pg-bridge-import.h"
#include "core/pg-error.h"

static const gchar irssi_log[] =
    "--- Log opened Thu Dec 03 09:00:00 2026\n"
    "09:00 -!- alice [~alice@example.org] has joined #polygate\n"
    "09:00 -!- Irssi: #polygate: Total of 3 nicks [1 ops, 0 halfops, 1 voices, 1 normal]\n"
    "09:01 <@alice> good morning\n"
    "09:01 < bob> hi alice\n"
    "09:01 < bob> hi alice\n"
    "09:02  * alice waves\n"
    "09:03 -!- bob [~bob@example.net] has quit [Quit: see you]\n"
    "09:04 -!- carol [~c@h] has left #polygate [bye]\n"
    "09:05 -!- alice is now known as alice_\n"
    "09:06 -!- mode/#polygate [+o dave] by alice_\n"
    "09:07 -!- eve was kicked from #polygate by alice_ [spam]\n"
    "09:08 -!- alice_ changed the topic of #polygate to: We moved: xmpp:room@muc.example.org?join\n"
    "09:09 -dave:#polygate- please read the topic\n"
    "--- Day changed Fri Dec 04 2026\r\n"
    "00:01:30 <+dave> after midnight\n"
    "--- Log closed Fri Dec 04 00:10:00 2026\n";

static void
test_bridge_import_irssi(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GTimeZone) paris = g_time_zone_new_identifier("Europe/Paris");
	PgBridgeImportOptions options;
	PgBridgeImportStats stats;
	g_autoptr(GPtrArray) lines = NULL;
	PgBridgeLine *line;
	/* 2026-12-03 09:00 in Paris (UTC+1) is 08:00 UTC */
	const gint64 t0900 = G_GINT64_CONSTANT(1796284800) * G_USEC_PER_SEC;

	g_assert_nonnull(paris);
	pg_bridge_import_options_init(&options);
	options.zone = paris;
	lines = pg_bridge_import_parse(PG_BRIDGE_LOG_IRSSI, &options, irssi_log, strlen(irssi_log),
				       &stats, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(lines->len, ==, 13);
	g_assert_cmpuint(stats.lines_kept, ==, 13);
	g_assert_cmpuint(stats.lines_unknown, ==, 1); /* the "-!- Irssi:" line */
	g_assert_cmpuint(stats.lines_read, ==, 17);

	line = g_ptr_array_index(lines, 0);
	g_assert_cmpint(line->kind, ==, PG_BRIDGE_LINE_JOIN);
	g_assert_cmpstr(line->nick, ==, "alice");
	g_assert_cmpint(line->time_us, ==, t0900);
	line = g_ptr_array_index(lines, 1);
	g_assert_cmpint(line->kind, ==, PG_BRIDGE_LINE_MESSAGE);
	g_assert_cmpstr(line->nick, ==, "alice"); /* the op's @ is not part of the nick */
	g_assert_cmpstr(line->text, ==, "good morning");
	g_assert_cmpint(line->time_us, ==, t0900 + 60 * G_USEC_PER_SEC);
	/* two equal lines of one minute stay two, in order */
	g_assert_cmpstr(((PgBridgeLine *)g_ptr_array_index(lines, 2))->nick, ==, "bob");
	g_assert_cmpint(((PgBridgeLine *)g_ptr_array_index(lines, 2))->time_us, ==,
			t0900 + 60 * G_USEC_PER_SEC + 1);
	g_assert_cmpint(((PgBridgeLine *)g_ptr_array_index(lines, 3))->time_us, ==,
			t0900 + 60 * G_USEC_PER_SEC + 2);
	line = g_ptr_array_index(lines, 4);
	g_assert_cmpint(line->kind, ==, PG_BRIDGE_LINE_ACTION);
	g_assert_cmpstr(line->text, ==, "waves");
	line = g_ptr_array_index(lines, 5);
	g_assert_cmpint(line->kind, ==, PG_BRIDGE_LINE_QUIT);
	g_assert_cmpstr(line->text, ==, "Quit: see you");
	line = g_ptr_array_index(lines, 6);
	g_assert_cmpint(line->kind, ==, PG_BRIDGE_LINE_PART);
	g_assert_cmpstr(line->text, ==, "bye");
	line = g_ptr_array_index(lines, 7);
	g_assert_cmpint(line->kind, ==, PG_BRIDGE_LINE_NICK);
	g_assert_cmpstr(line->nick, ==, "alice");
	g_assert_cmpstr(line->text, ==, "alice_");
	line = g_ptr_array_index(lines, 8);
	g_assert_cmpint(line->kind, ==, PG_BRIDGE_LINE_MODE);
	g_assert_cmpstr(line->nick, ==, "alice_");
	g_assert_cmpstr(line->text, ==, "+o dave");
	line = g_ptr_array_index(lines, 9);
	g_assert_cmpint(line->kind, ==, PG_BRIDGE_LINE_KICK);
	g_assert_cmpstr(line->nick, ==, "eve");
	g_assert_cmpstr(line->text, ==, "alice_ (spam)");
	line = g_ptr_array_index(lines, 10);
	g_assert_cmpint(line->kind, ==, PG_BRIDGE_LINE_TOPIC);
	g_assert_cmpstr(line->text, ==, "We moved: xmpp:room@muc.example.org?join");
	line = g_ptr_array_index(lines, 11);
	g_assert_cmpint(line->kind, ==, PG_BRIDGE_LINE_NOTICE);
	g_assert_cmpstr(line->nick, ==, "dave");
	/* the day changed; seconds are read when the log has them */
	line = g_ptr_array_index(lines, 12);
	g_assert_cmpstr(line->text, ==, "after midnight");
	g_assert_cmpint(line->time_us, ==, t0900 + G_GINT64_CONSTANT(15 * 3600 + 90) * G_USEC_PER_SEC);
}

static const gchar weechat_log[] =
    "2026-12-03 09:00:00\t-->\talice (~alice@example.org) has joined #polygate\n"
    "2026-12-03 09:00:01\t--\tChannel #polygate: 3 nicks (1 op, 0 voices, 2 normals)\n"
    "2026-12-03 09:01:00\t@alice\tgood morning\n"
    "2026-12-03 09:01:05\tbob\thi alice\ttab kept as a space\n"
    "2026-12-03 09:02:00\t *\talice waves\n"
    "2026-12-03 09:03:00\t<--\tbob (~bob@example.net) has quit (Quit: see you)\n"
    "2026-12-03 09:04:00\t<--\tcarol (~c@h) has left #polygate (bye)\n"
    "2026-12-03 09:05:00\t--\talice is now known as alice_\n"
    "2026-12-03 09:06:00\t--\tMode #polygate [+o dave] by alice_\n"
    "2026-12-03 09:07:00\t<--\talice_ has kicked eve (spam)\n"
    "2026-12-03 09:08:00\t--\talice_ has changed topic for #polygate from \"old\" to \"new topic\"\n"
    "2026-12-03 09:09:00\t--\tNotice(dave) -> #polygate: please read the topic\n"
    "2026-13-03 09:10:00\tbob\tmonth thirteen\n"
    "not a log line at all\n";

static void
test_bridge_import_weechat(void)
{
	g_autoptr(GError) error = NULL;
	PgBridgeImportStats stats;
	g_autoptr(GPtrArray) lines =
	    pg_bridge_import_parse(PG_BRIDGE_LOG_WEECHAT, NULL, weechat_log, strlen(weechat_log),
				   &stats, &error);
	static const struct {
		PgBridgeLineKind kind;
		const gchar *nick;
		const gchar *text;
	} expect[] = {
	    {PG_BRIDGE_LINE_JOIN, "alice", ""},
	    {PG_BRIDGE_LINE_MESSAGE, "alice", "good morning"},
	    {PG_BRIDGE_LINE_MESSAGE, "bob", "hi alice tab kept as a space"},
	    {PG_BRIDGE_LINE_ACTION, "alice", "waves"},
	    {PG_BRIDGE_LINE_QUIT, "bob", "Quit: see you"},
	    {PG_BRIDGE_LINE_PART, "carol", "bye"},
	    {PG_BRIDGE_LINE_NICK, "alice", "alice_"},
	    {PG_BRIDGE_LINE_MODE, "alice_", "+o dave"},
	    {PG_BRIDGE_LINE_KICK, "eve", "alice_ (spam)"},
	    {PG_BRIDGE_LINE_TOPIC, "alice_", "new topic"},
	    {PG_BRIDGE_LINE_NOTICE, "dave", "please read the topic"},
	};

	g_assert_no_error(error);
	g_assert_cmpuint(lines->len, ==, G_N_ELEMENTS(expect));
	for (guint i = 0; i < G_N_ELEMENTS(expect); i++) {
		PgBridgeLine *line = g_ptr_array_index(lines, i);

		g_assert_cmpint(line->kind, ==, expect[i].kind);
		g_assert_cmpstr(line->nick, ==, expect[i].nick);
		g_assert_cmpstr(line->text, ==, expect[i].text);
	}
	/* UTC by default */
	g_assert_cmpint(((PgBridgeLine *)g_ptr_array_index(lines, 0))->time_us, ==,
			G_GINT64_CONSTANT(1796288400) * G_USEC_PER_SEC);
	g_assert_cmpuint(stats.lines_unknown, ==, 3);
}

static const gchar znc_log[] = "[09:00:00] *** Joins: alice (~alice@example.org)\n"
			       "[09:01:00] <alice> good morning\n"
			       "[09:02:00] * alice waves\n"
			       "[09:03:00] *** Quits: bob (~bob@example.net) (Quit: see you)\n"
			       "[09:04:00] *** Parts: carol (~c@h) (bye)\n"
			       "[09:05:00] *** alice is now known as alice_\n"
			       "[09:06:00] *** alice_ sets mode: +o dave\n"
			       "[09:07:00] *** eve was kicked by alice_ (spam)\n"
			       "[09:08:00] *** alice_ changes topic to 'new topic'\n"
			       "[09:09:00] -dave- please read the topic\n"
			       "[09:10:00] <bob> no newline at the end";

static void
test_bridge_import_znc(void)
{
	g_autoptr(GError) error = NULL;
	PgBridgeImportOptions options;
	PgBridgeImportStats stats;
	g_autoptr(GPtrArray) lines = NULL;
	g_autoptr(GPtrArray) old_name = NULL;
	g_autoptr(GPtrArray) no_date = NULL;
	PgBridgeLine *line;

	pg_bridge_import_options_init(&options);
	options.file_name = "/var/lib/znc/users/alice/moddata/log/libera/#polygate/2026-12-03.log";
	lines = pg_bridge_import_parse(PG_BRIDGE_LOG_ZNC, &options, znc_log, strlen(znc_log), &stats,
				       &error);
	g_assert_no_error(error);
	g_assert_cmpuint(lines->len, ==, 11);
	g_assert_cmpuint(stats.lines_unknown, ==, 0);
	line = g_ptr_array_index(lines, 0);
	g_assert_cmpint(line->kind, ==, PG_BRIDGE_LINE_JOIN);
	g_assert_cmpint(line->time_us, ==, G_GINT64_CONSTANT(1796288400) * G_USEC_PER_SEC);
	line = g_ptr_array_index(lines, 7);
	g_assert_cmpint(line->kind, ==, PG_BRIDGE_LINE_KICK);
	g_assert_cmpstr(line->text, ==, "alice_ (spam)");
	line = g_ptr_array_index(lines, 10);
	g_assert_cmpstr(line->text, ==, "no newline at the end");

	/* the older ZNC name, user_network_#chan_YYYYMMDD.log */
	options.file_name = "alice_libera_#polygate_20261203.log";
	old_name = pg_bridge_import_parse(PG_BRIDGE_LOG_ZNC, &options, znc_log, strlen(znc_log),
					  NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(old_name->len, ==, 11);

	options.file_name = "polygate.log";
	no_date = pg_bridge_import_parse(PG_BRIDGE_LOG_ZNC, &options, znc_log, strlen(znc_log),
					 NULL, &error);
	g_assert_null(no_date);
	g_assert_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST);
}

/* Any split of the file into chunks gives the same lines. */
static void
test_bridge_import_chunks(void)
{
	g_autoptr(GPtrArray) whole = pg_bridge_import_parse(PG_BRIDGE_LOG_IRSSI, NULL, irssi_log,
							    strlen(irssi_log), NULL, NULL);

	for (gsize size = 1; size < 40; size += 3) {
		g_autoptr(PgBridgeImport) import = pg_bridge_import_new(PG_BRIDGE_LOG_IRSSI, NULL, NULL);
		g_autoptr(GPtrArray) lines =
		    g_ptr_array_new_with_free_func((GDestroyNotify)pg_bridge_line_free);
		gsize len = strlen(irssi_log);

		for (gsize at = 0; at < len; at += size)
			pg_bridge_import_feed(import, irssi_log + at, MIN(size, len - at), lines);
		pg_bridge_import_finish(import, lines);
		g_assert_cmpuint(lines->len, ==, whole->len);
		for (guint i = 0; i < lines->len; i++) {
			PgBridgeLine *a = g_ptr_array_index(lines, i);
			PgBridgeLine *b = g_ptr_array_index(whole, i);

			g_assert_cmpstr(a->text, ==, b->text);
			g_assert_cmpint(a->time_us, ==, b->time_us);
		}
	}
}

static void
test_bridge_import_bounds(void)
{
	g_autoptr(GString) log = g_string_new("[10:00:00] <a> short\n[10:00:01] <a> ");
	PgBridgeImportOptions options;
	PgBridgeImportStats stats;
	g_autoptr(GPtrArray) lines = NULL;
	g_autoptr(GPtrArray) few = NULL;

	for (guint i = 0; i < 10000; i++)
		g_string_append_c(log, 'x');
	g_string_append(log, "\n[10:00:02] <a> after the long one\n[10:00:03] <a> last\n");
	pg_bridge_import_options_init(&options);
	options.file_name = "2026-12-03.log";
	options.max_line_bytes = 1000;
	lines = pg_bridge_import_parse(PG_BRIDGE_LOG_ZNC, &options, log->str, log->len, &stats, NULL);
	g_assert_cmpuint(lines->len, ==, 3);
	g_assert_cmpuint(stats.lines_too_long, ==, 1);
	g_assert_cmpuint(stats.lines_read, ==, 4);
	g_assert_cmpstr(((PgBridgeLine *)g_ptr_array_index(lines, 1))->text, ==,
			"after the long one");
	g_assert_false(stats.truncated);

	options.max_lines = 2;
	few = pg_bridge_import_parse(PG_BRIDGE_LOG_ZNC, &options, log->str, log->len, &stats, NULL);
	g_assert_cmpuint(few->len, ==, 1);
	g_assert_cmpuint(stats.lines_read, ==, 2);
	g_assert_true(stats.truncated);
}

/* Latin-1 "café", a NUL, controls, a bidi override in a nick. */
static const gchar hostile_log[] = "[10:00:00] <a> caf\xe9\n"
				   "[10:00:01] <b\x01> ctcp\x01 \x03" "4red\x02 bold\n"
				   "[10:00:02] <c> nul\0byte\n"
				   "[10:00:03] <d\xE2\x80\xAE> rtl\n"
				   "[10:00:04] <\xff\xfe> \xc0\xbc\n";

static void
test_bridge_import_hostile(void)
{
	PgBridgeImportOptions options;
	PgBridgeImportStats stats;
	g_autoptr(GPtrArray) converted = NULL;
	g_autoptr(GPtrArray) refused = NULL;

	pg_bridge_import_options_init(&options);
	options.file_name = "2026-12-03.log";
	converted = pg_bridge_import_parse(PG_BRIDGE_LOG_ZNC, &options, hostile_log,
					   sizeof(hostile_log) - 1, &stats, NULL);
	g_assert_cmpuint(converted->len, ==, 5);
	g_assert_cmpuint(stats.invalid_utf8_converted, ==, 3);
	g_assert_cmpstr(((PgBridgeLine *)g_ptr_array_index(converted, 0))->text, ==, "café");
	g_assert_cmpstr(((PgBridgeLine *)g_ptr_array_index(converted, 1))->nick, ==, "b?");
	g_assert_cmpstr(((PgBridgeLine *)g_ptr_array_index(converted, 1))->text, ==,
			"ctcp red bold");
	/* a NUL is dropped, not the end of the line */
	g_assert_cmpstr(((PgBridgeLine *)g_ptr_array_index(converted, 2))->text, ==, "nulbyte");
	g_assert_cmpstr(((PgBridgeLine *)g_ptr_array_index(converted, 3))->nick, ==, "d?");
	for (guint i = 0; i < converted->len; i++) {
		PgBridgeLine *line = g_ptr_array_index(converted, i);

		g_assert_true(g_utf8_validate(line->nick, -1, NULL));
		g_assert_true(g_utf8_validate(line->text, -1, NULL));
		/* an overlong "<" never becomes markup */
		g_assert_null(strchr(line->text, '<'));
	}

	options.refuse_invalid_utf8 = TRUE;
	refused = pg_bridge_import_parse(PG_BRIDGE_LOG_ZNC, &options, hostile_log,
					 sizeof(hostile_log) - 1, &stats, NULL);
	g_assert_cmpuint(refused->len, ==, 2);
	g_assert_cmpuint(stats.invalid_utf8_refused, ==, 3);
}

static void
test_bridge_import_irssi_before_any_date(void)
{
	static const gchar log[] = "09:00 <a> when?\n"
				   "--- Day changed Thu Dec 03 2026\n"
				   "09:01 <a> now\n"
				   "--- Day changed Fri Dec 04\n"
				   "09:02 <a> the year goes on\n"
				   "--- Day changed Sat Foo 05 2026\n"
				   "09:03 <a> bad month: still the 4th\n";
	PgBridgeImportStats stats;
	g_autoptr(GPtrArray) lines =
	    pg_bridge_import_parse(PG_BRIDGE_LOG_IRSSI, NULL, log, strlen(log), &stats, NULL);
	gint64 dec03 = G_GINT64_CONSTANT(1796256000) * G_USEC_PER_SEC;

	g_assert_cmpuint(stats.lines_undated, ==, 1);
	g_assert_cmpuint(lines->len, ==, 3);
	g_assert_cmpint(((PgBridgeLine *)g_ptr_array_index(lines, 0))->time_us, ==,
			dec03 + G_GINT64_CONSTANT(9 * 3600 + 60) * G_USEC_PER_SEC);
	g_assert_cmpint(((PgBridgeLine *)g_ptr_array_index(lines, 1))->time_us, ==,
			dec03 + (24 + 9) * 3600 * G_GINT64_CONSTANT(1000000) + 120 * G_USEC_PER_SEC);
	g_assert_cmpint(((PgBridgeLine *)g_ptr_array_index(lines, 2))->time_us, ==,
			dec03 + (24 + 9) * 3600 * G_GINT64_CONSTANT(1000000) + 180 * G_USEC_PER_SEC);
}

static void
test_bridge_import_format_names(void)
{
	PgBridgeLogFormat format;

	g_assert_true(pg_bridge_log_format_from_string("weechat", &format));
	g_assert_cmpint(format, ==, PG_BRIDGE_LOG_WEECHAT);
	g_assert_false(pg_bridge_log_format_from_string("mirc", &format));
	g_assert_cmpstr(pg_bridge_log_format_to_string(PG_BRIDGE_LOG_ZNC), ==, "znc");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bridge-import/irssi/default-format", test_bridge_import_irssi);
	g_test_add_func("/bridge-import/irssi/before-any-date",
			test_bridge_import_irssi_before_any_date);
	g_test_add_func("/bridge-import/weechat/default-format", test_bridge_import_weechat);
	g_test_add_func("/bridge-import/znc/date-from-file-name", test_bridge_import_znc);
	g_test_add_func("/bridge-import/stream/any-chunks-same-lines", test_bridge_import_chunks);
	g_test_add_func("/bridge-import/bounds/long-lines-and-line-count", test_bridge_import_bounds);
	g_test_add_func("/bridge-import/hostile/utf8-controls-nul", test_bridge_import_hostile);
	g_test_add_func("/bridge-import/format-names", test_bridge_import_format_names);
	return g_test_run();
}
