/* Unit tests of src/session/pg-prompts.c: a legacy network's question (a
 * libpurple prompt, the worker's request event) reaches the user as a chat
 * message from the transport, the user's reply answers it, and no answer
 * declines it in time (issue 9, item 4).  On a real PgSessionManager whose
 * link never logs in (no worker), with the event delivered as the worker
 * would send it. */
#define G_LOG_DOMAIN "test-prompts"

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "registry/pg-account.h"
#include "registry/pg-registry.h"
#include "registry/pg-vault.h"
#include "session/pg-account-state.h"
#include "session/pg-prompts.h"
#include "session/pg-session-manager.h"
#include "session/pg-session-private.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-transport-private.h"

#include "pg-test-purple.h"

static void
pg_test_fixture_setup(PgTestFixture *fixture, gconstpointer user_data)
{
	/* a question nobody answers is declined after one second */
	pg_test_purple_setup(fixture, "prompt_timeout = 1\n");
}

static void
pg_test_fixture_teardown(PgTestFixture *fixture, gconstpointer user_data)
{
	pg_test_purple_teardown(fixture);
}

/* The worker's request event for the certificate prompt. */
static void
pg_test_request(PgTestFixture *fixture, guint32 prompt, const gchar *type)
{
	const gchar *const choices[] = {"Accept", "Reject", "View Certificate...", NULL};
	g_autoptr(PgIpcMessage) msg = pg_ipc_message_new(
	    PG_IPC_EVT_REQUEST, 0, "account", g_variant_new_string(fixture->link->account),
	    "prompt", g_variant_new_uint32(prompt), "type", g_variant_new_string(type), "title",
	    g_variant_new_string("SSL Certificate Verification"), "primary",
	    g_variant_new_string("Accept certificate for 127.0.0.1?"), "choices",
	    g_strcmp0(type, "input") != 0 ? g_variant_new_strv(choices, -1) : NULL, NULL);

	g_assert_true(pg_ipc_message_validate(msg, NULL));
	pg_supervisor_deliver_event(fixture->manager->supervisor, msg);
}

/* The body of the last chat message from the transport itself to the user. */
static gchar *
pg_test_last_notice(PgTestFixture *fixture)
{
	for (guint i = fixture->sent->len; i > 0; i--) {
		xmpp_stanza_t *stanza = g_ptr_array_index(fixture->sent, i - 1);

		if (g_strcmp0(xmpp_stanza_get_name(stanza), "message") == 0 &&
		    g_strcmp0(xmpp_stanza_get_from(stanza), PG_TEST_PURPLE) == 0 &&
		    g_strcmp0(xmpp_stanza_get_to(stanza), PG_TEST_USER) == 0)
			return pg_stanza_get_child_text(stanza, "body");
	}
	return NULL;
}

static void
pg_test_reply(PgTestFixture *fixture, const gchar *body)
{
	g_autofree gchar *xml = g_strdup_printf("<message from='" PG_TEST_USER "/phone' to='" PG_TEST_PURPLE
						"' type='chat'><body>%s</body></message>",
						body);
	pg_test_receive(fixture, xml);
}

static void
test_prompts_question_and_answer(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *question = NULL;
	g_autofree gchar *hint = NULL;

	pg_test_request(fixture, 7, "action");
	question = pg_test_last_notice(fixture);
	g_assert_nonnull(question);
	g_assert_nonnull(strstr(question, "SSL Certificate Verification"));
	g_assert_nonnull(strstr(question, "Accept certificate for 127.0.0.1?"));
	g_assert_nonnull(strstr(question, "\n1. Accept\n2. Reject\n3. View Certificate..."));
	/* the user, not the server, is slow now */
	g_assert_cmpuint(fixture->link->login_timeout_id, ==, 0);
	g_assert_cmpuint(g_queue_get_length(fixture->link->prompts), ==, 1);

	/* no such answer: a hint, and the question stays */
	pg_test_reply(fixture, "4");
	hint = pg_test_last_notice(fixture);
	g_assert_nonnull(strstr(hint, "with a number from 1 to 3"));
	g_assert_cmpuint(g_queue_get_length(fixture->link->prompts), ==, 1);

	/* an answer closes it, and the login timeout runs again */
	pg_test_reply(fixture, " 1 ");
	g_assert_true(fixture->link->prompts == NULL ||
		      g_queue_is_empty(fixture->link->prompts));
	g_assert_cmpuint(fixture->link->login_timeout_id, !=, 0);

	/* with no open question, a message to the transport is refused as before */
	g_ptr_array_set_size(fixture->sent, 0);
	pg_test_reply(fixture, "1");
	g_assert_cmpuint(fixture->sent->len, ==, 1);
	g_assert_cmpstr(xmpp_stanza_get_type(g_ptr_array_index(fixture->sent, 0)), ==, "error");
}

static gboolean
pg_test_timeout_cb(gpointer user_data)
{
	gboolean *expired = user_data;
	*expired = TRUE;
	return G_SOURCE_REMOVE;
}

static void
test_prompts_no_answer_declines(PgTestFixture *fixture, gconstpointer user_data)
{
	gboolean expired = FALSE;
	guint deadline = g_timeout_add_seconds(10, pg_test_timeout_cb, &expired);
	g_autofree gchar *notice = NULL;

	pg_test_request(fixture, 8, "input");
	/* prompt_timeout = 1 */
	while (!expired && fixture->link->prompts != NULL &&
	       !g_queue_is_empty(fixture->link->prompts))
		g_main_context_iteration(NULL, TRUE);
	g_assert_false(expired);
	g_source_remove(deadline);
	notice = pg_test_last_notice(fixture);
	g_assert_nonnull(strstr(notice, "No answer to \"SSL Certificate Verification\" within 1 s"));
	g_assert_cmpuint(fixture->link->login_timeout_id, !=, 0);
}

/* A worker cannot bury the user in questions. */
static void
test_prompts_bounded_per_link(PgTestFixture *fixture, gconstpointer user_data)
{
	for (guint32 i = 1; i <= 20; i++)
		pg_test_request(fixture, i, "action");
	g_assert_cmpuint(g_queue_get_length(fixture->link->prompts), ==, 8);
}

static void
pg_test_hostile_request(PgTestFixture *fixture, guint32 prompt, const gchar *type,
			const gchar *title, const gchar *const *choices)
{
	g_autoptr(PgIpcMessage) msg = pg_ipc_message_new(
	    PG_IPC_EVT_REQUEST, 0, "account", g_variant_new_string(fixture->link->account),
	    "prompt", g_variant_new_uint32(prompt), "type", g_variant_new_string(type), "title",
	    g_variant_new_string(title), "primary", g_variant_new_string(title), "secondary",
	    g_variant_new_string(title), "choices", g_variant_new_strv(choices, -1), NULL);

	g_assert_true(pg_ipc_message_validate(msg, NULL));
	pg_supervisor_deliver_event(fixture->manager->supervisor, msg);
}

/* A worker's odd prompt: of no known type, or with more choices than a
 * chat message can list, it is declined; its texts are cut. */
static void
test_prompts_hostile_fields_bounded_or_declined(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *big = g_strnfill(256 * 1024, 'T');
	g_autoptr(GPtrArray) many = g_ptr_array_new_with_free_func(g_free);
	const gchar *const two[] = {"Yes", big, NULL};
	g_autofree gchar *question = NULL;

	for (guint i = 0; i < 10000; i++)
		g_ptr_array_add(many, g_strdup_printf("choice %u", i));
	g_ptr_array_add(many, NULL);
	pg_test_hostile_request(fixture, 1, "bogus", "odd", two);
	pg_test_hostile_request(fixture, 2, "choice", "many", (const gchar *const *)many->pdata);
	g_assert_true(fixture->link->prompts == NULL || g_queue_is_empty(fixture->link->prompts));
	g_assert_null(pg_test_last_notice(fixture));

	pg_test_hostile_request(fixture, 3, "choice", big, two);
	g_assert_cmpuint(g_queue_get_length(fixture->link->prompts), ==, 1);
	question = pg_test_last_notice(fixture);
	g_assert_nonnull(question);
	/* title, primary, secondary and a label, each cut */
	g_assert_cmpuint(strlen(question), <, 4 * 2048 + 1024);
	g_assert_nonnull(strstr(question, "\n1. Yes\n2. TTT"));
}

static void
test_prompts_forgotten_with_the_link(PgTestFixture *fixture, gconstpointer user_data)
{
	pg_test_request(fixture, 9, "choice");
	g_assert_cmpuint(g_queue_get_length(fixture->link->prompts), ==, 1);
	pg_prompts_forget_link(fixture->link);
	g_assert_null(fixture->link->prompts);
	/* teardown frees the link: no timer may fire on a freed prompt */
}

static void
pg_test_account_state(PgTestFixture *fixture, const gchar *key, const gchar *value)
{
	g_autoptr(PgIpcMessage) msg = pg_ipc_message_new(
	    PG_IPC_EVT_ACCOUNT_STATE, 0, "account", g_variant_new_string(fixture->link->account),
	    "key", g_variant_new_string(key), "value",
	    value != NULL ? g_variant_new_string(value) : NULL, NULL);

	pg_supervisor_deliver_event(fixture->manager->supervisor, msg);
}

static PgAccount *
pg_test_account(PgTestFixture *fixture)
{
	g_autoptr(GError) error = NULL;
	PgAccount *account = pg_registry_get_account(fixture->registry, PG_TEST_PURPLE,
						     PG_TEST_USER, &error);
	g_assert_no_error(error);
	return account;
}

/* An accepted certificate is sealed with the account and given back in the
 * next login; a worker cannot make the account keep anything it likes. */
static void
test_account_state_kept_and_given_back(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(PgAccount) account = NULL;
	g_autoptr(PgAccount) after = NULL;
	g_autoptr(PgAccount) emptied = NULL;
	g_autoptr(PgIpcMessage) login = NULL;
	g_autoptr(GVariant) state = NULL;
	g_autofree gchar *big = g_strnfill(PG_ACCOUNT_STATE_MAX_VALUE + 1, 'x');
	const gchar *pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	const gchar *value = NULL;

	pg_test_account_state(fixture, "tls_peers/127.0.0.1", pem);
	g_test_expect_message("pg-session", G_LOG_LEVEL_WARNING, "*refusing*bad key*");
	pg_test_account_state(fixture, "tls_peers/../etc", "x");
	g_test_expect_message("pg-session", G_LOG_LEVEL_WARNING, "*refusing*too large*");
	pg_test_account_state(fixture, "big", big);
	g_test_assert_expected_messages();
	for (guint i = 0; i < PG_ACCOUNT_STATE_MAX_ITEMS + 5; i++) {
		g_autofree gchar *key = g_strdup_printf("filler/%u", i);
		/* one item is the certificate */
		if (i >= PG_ACCOUNT_STATE_MAX_ITEMS - 1)
			g_test_expect_message("pg-session", G_LOG_LEVEL_WARNING,
					      "*refusing*items kept already*");
		pg_test_account_state(fixture, key, "1");
		g_test_assert_expected_messages();
	}
	account = pg_test_account(fixture);
	g_assert_cmpstr(pg_secret_get_string(
			    pg_account_get_secret(account, "state:tls_peers/127.0.0.1")),
			==, pem);
	g_assert_null(pg_account_get_secret(account, "state:tls_peers/../etc"));
	g_assert_null(pg_account_get_secret(account, "state:big"));
	g_assert_nonnull(pg_account_get_secret(account, "state:filler/30"));
	g_assert_null(pg_account_get_secret(account, "state:filler/31"));

	login = pg_account_state_attach(
	    pg_ipc_message_new(PG_IPC_CMD_LOGIN, 0, "account", g_variant_new_string("a"),
			       "protocol", g_variant_new_string("prpl-jabber"), "username",
			       g_variant_new_string("alice@legacy.example.net"), NULL),
	    account);
	g_assert_true(pg_ipc_message_validate(login, NULL));
	state = pg_ipc_message_get_value(login, "state");
	g_assert_nonnull(state);
	g_assert_true(g_variant_lookup(state, "tls_peers/127.0.0.1", "&s", &value));
	g_assert_cmpstr(value, ==, pem);

	/* no value: the item goes */
	pg_test_account_state(fixture, "tls_peers/127.0.0.1", NULL);
	emptied = pg_test_account(fixture);
	g_assert_null(pg_account_get_secret(emptied, "state:tls_peers/127.0.0.1"));
	after = g_steal_pointer(&emptied);
	g_assert_nonnull(pg_account_get_secret(after, "state:filler/0"));
}

/* The last stanza the transport sent, or NULL. */
static xmpp_stanza_t *
pg_test_last_sent(PgTestFixture *fixture)
{
	return fixture->sent->len > 0 ? g_ptr_array_index(fixture->sent, fixture->sent->len - 1)
				      : NULL;
}

static xmpp_stanza_t *
pg_test_child(xmpp_stanza_t *stanza, const gchar *name)
{
	return stanza != NULL ? xmpp_stanza_get_child_by_name(stanza, name) : NULL;
}

/* XEP-0050: the question as an ad-hoc form, answered by its submission. */
static void
test_prompts_adhoc_form(PgTestFixture *fixture, gconstpointer user_data)
{
	xmpp_stanza_t *command;
	xmpp_stanza_t *x;
	const gchar *sessionid;
	const gchar *question = NULL;
	guint options = 0;
	g_autofree gchar *submit = NULL;
	g_autofree gchar *note = NULL;

	/* nothing to answer yet */
	pg_test_receive(fixture, "<iq type='set' id='c0' from='" PG_TEST_USER "/phone' to='" PG_TEST_PURPLE
				 "'><command xmlns='http://jabber.org/protocol/commands' "
				 "node='answer-question' action='execute'/></iq>");
	g_assert_cmpstr(xmpp_stanza_get_type(pg_test_last_sent(fixture)), ==, "error");
	g_assert_nonnull(
	    pg_test_child(pg_test_child(pg_test_last_sent(fixture), "error"), "item-not-found"));

	pg_test_request(fixture, 11, "action");
	pg_test_receive(fixture, "<iq type='set' id='c1' from='" PG_TEST_USER "/phone' to='" PG_TEST_PURPLE
				 "'><command xmlns='http://jabber.org/protocol/commands' "
				 "node='answer-question' action='execute'/></iq>");
	command = pg_test_child(pg_test_last_sent(fixture), "command");
	g_assert_nonnull(command);
	g_assert_cmpstr(xmpp_stanza_get_attribute(command, "status"), ==, "executing");
	sessionid = xmpp_stanza_get_attribute(command, "sessionid");
	g_assert_nonnull(sessionid);
	x = pg_test_child(command, "x");
	g_assert_nonnull(x);
	for (xmpp_stanza_t *field = xmpp_stanza_get_children(x); field != NULL;
	     field = xmpp_stanza_get_next(field)) {
		const gchar *var = xmpp_stanza_get_attribute(field, "var");
		if (g_strcmp0(var, "question") == 0)
			question = xmpp_stanza_get_text_ptr(
			    xmpp_stanza_get_children(pg_test_child(field, "value")));
		if (g_strcmp0(var, "answer") == 0) {
			g_assert_cmpstr(xmpp_stanza_get_attribute(field, "type"), ==,
					"list-single");
			for (xmpp_stanza_t *o = xmpp_stanza_get_children(field); o != NULL;
			     o = xmpp_stanza_get_next(o))
				options += g_strcmp0(xmpp_stanza_get_name(o), "option") == 0;
		}
	}
	g_assert_nonnull(question);
	g_assert_cmpuint(options, ==, 3);

	/* another session id is no session of ours */
	pg_test_receive(fixture, "<iq type='set' id='c2' from='" PG_TEST_USER "/phone' to='" PG_TEST_PURPLE
				 "'><command xmlns='http://jabber.org/protocol/commands' "
				 "node='answer-question' sessionid='forged' action='complete'>"
				 "<x xmlns='jabber:x:data' type='submit'/></command></iq>");
	g_assert_nonnull(pg_test_child(pg_test_child(pg_test_last_sent(fixture), "error"),
				       "session-expired"));

	submit = g_markup_printf_escaped(
	    "<iq type='set' id='c3' from='" PG_TEST_USER "/phone' to='" PG_TEST_PURPLE "'>"
	    "<command xmlns='http://jabber.org/protocol/commands' node='answer-question' "
	    "sessionid='%s' action='complete'><x xmlns='jabber:x:data' type='submit'>"
	    "<field var='question'><value>%s</value></field>"
	    "<field var='answer'><value>2</value></field></x></command></iq>",
	    sessionid, question);
	pg_test_receive(fixture, submit);
	command = pg_test_child(pg_test_last_sent(fixture), "command");
	g_assert_nonnull(command);
	g_assert_cmpstr(xmpp_stanza_get_attribute(command, "status"), ==, "completed");
	note = xmpp_stanza_get_text(pg_test_child(command, "note"));
	g_assert_cmpstr(note, ==, "Answered: Reject.");
	g_assert_true(fixture->link->prompts == NULL || g_queue_is_empty(fixture->link->prompts));
}

typedef struct {
	const gchar *body;
	gint choice;
} PgTestChoiceCase;

static void
test_prompts_parse_choice(void)
{
	const gchar *const choices[] = {"Accept", "Reject", "View Certificate...", NULL};
	static const PgTestChoiceCase cases[] = {
	    {.body = "1", .choice = 0},      {.body = " 3\n", .choice = 2},
	    {.body = "reject", .choice = 1}, {.body = "0", .choice = -1},
	    {.body = "4", .choice = -1},     {.body = "-1", .choice = -1},
	    {.body = "1x", .choice = -1},    {.body = "", .choice = -1},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
		g_assert_cmpint(pg_prompts_parse_choice(cases[i].body, choices), ==,
				cases[i].choice);
	g_assert_cmpint(pg_prompts_parse_choice("1", NULL), ==, -1);
}

static void
test_prompts_render_input(void)
{
	g_autofree gchar *text =
	    pg_prompts_render("Two-factor", "Enter the code", NULL, "input", NULL, TRUE, 120);

	g_assert_nonnull(strstr(text, "Two-factor\nEnter the code\nAnswer with the text"));
	g_assert_nonnull(strstr(text, "secret"));
	g_assert_nonnull(strstr(text, "within 120 s"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

#define PG_TEST_ADD(path, func)                                                                    \
	g_test_add(path, PgTestFixture, NULL, pg_test_fixture_setup, func,                         \
		   pg_test_fixture_teardown)
	g_test_add_func("/prompts/parse-choice/table", test_prompts_parse_choice);
	g_test_add_func("/prompts/render/input-says-secret", test_prompts_render_input);
	PG_TEST_ADD("/prompts/session/question-hint-and-answer", test_prompts_question_and_answer);
	PG_TEST_ADD("/prompts/session/no-answer-declines-in-time", test_prompts_no_answer_declines);
	PG_TEST_ADD("/prompts/session/forgotten-with-the-link", test_prompts_forgotten_with_the_link);
	PG_TEST_ADD("/prompts/adhoc/form-and-submission", test_prompts_adhoc_form);
	PG_TEST_ADD("/prompts/session/at-most-eight-open-per-link", test_prompts_bounded_per_link);
	PG_TEST_ADD("/prompts/session/hostile-fields-bounded-or-declined",
		    test_prompts_hostile_fields_bounded_or_declined);
	PG_TEST_ADD("/account-state/kept-bounded-and-given-back",
		    test_account_state_kept_and_given_back);
	return g_test_run();
}
