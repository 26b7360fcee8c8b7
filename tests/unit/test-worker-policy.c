/* Unit tests for src/session/pg-worker-policy.c and its use by the worker
 * pool: a worker is an untrusted peer (issue 8, item 5).  The pool tests
 * start tests/unit/hostile-worker.c through the real PgSupervisor, the way
 * the daemon starts polygate-purple; the protocol of the logins,
 * prpl-hostile-MODE, tells it how to lie. */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "session/pg-supervisor.h"
#include "session/pg-worker-policy.h"

/* ---------------------------------------------------------------- the rule */

typedef struct {
	const gchar *name;
	const gchar *protocol;
	PgIpcKind kind;
	const gchar *account; /* NULL: no account field */
	PgWorkerVerdict verdict;
	const gchar *why;     /* a substring of the reason, for lies */
} PgPolicyCase;

static const PgPolicyCase pg_policy_cases[] = {
    {.name = "own-account", .protocol = "prpl-irc", .kind = PG_IPC_EVT_ROOM_MESSAGE,
     .account = "alice@example.org/irc", .verdict = PG_WORKER_VERDICT_ACCEPT},
    {.name = "foreign-account", .protocol = "prpl-irc", .kind = PG_IPC_EVT_ROOM_MESSAGE,
     .account = "mallory@example.org/irc", .verdict = PG_WORKER_VERDICT_LIE,
     .why = "room-message for account \"mallory@example.org/irc\", which is not placed"},
    {.name = "foreign-login-state", .protocol = "prpl-irc", .kind = PG_IPC_EVT_LOGIN_STATE,
     .account = "mallory@example.org/irc", .verdict = PG_WORKER_VERDICT_LIE,
     .why = "login-state"},
    {.name = "retired-account", .protocol = "prpl-irc", .kind = PG_IPC_EVT_ROOM_MESSAGE,
     .account = "bob@example.org/irc", .verdict = PG_WORKER_VERDICT_STALE},
    {.name = "error-without-account", .protocol = "prpl-irc", .kind = PG_IPC_EVT_ERROR,
     .verdict = PG_WORKER_VERDICT_ACCEPT},
    {.name = "stats", .protocol = "prpl-irc", .kind = PG_IPC_EVT_STATS,
     .verdict = PG_WORKER_VERDICT_ACCEPT},
    {.name = "sms-sent-from-irc", .protocol = "prpl-irc", .kind = PG_IPC_EVT_SMS_SENT,
     .account = "alice@example.org/irc", .verdict = PG_WORKER_VERDICT_LIE,
     .why = "only an SMS worker"},
    {.name = "sms-sent-from-sms", .protocol = "prpl-polygate-sms", .kind = PG_IPC_EVT_SMS_SENT,
     .account = "alice@example.org/irc", .verdict = PG_WORKER_VERDICT_ACCEPT},
    {.name = "command", .protocol = "prpl-irc", .kind = PG_IPC_CMD_LOGOUT,
     .account = "alice@example.org/irc", .verdict = PG_WORKER_VERDICT_LIE,
     .why = "a command"},
    {.name = "escaped", .protocol = "prpl-irc", .kind = PG_IPC_EVT_TYPING,
     .account = "x\nFAKE LOG LINE", .verdict = PG_WORKER_VERDICT_LIE, .why = "x\\nFAKE"},
};

static void
test_policy_case(gconstpointer data)
{
	const PgPolicyCase *test = data;
	g_autoptr(GHashTable) held = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) retired = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(PgIpcMessage) msg = NULL;
	g_autofree gchar *why = NULL;

	g_hash_table_add(held, (gpointer) "alice@example.org/irc");
	g_hash_table_add(retired, (gpointer) "bob@example.org/irc");
	msg = pg_ipc_message_new(test->kind, 0, "account",
				 test->account != NULL ? g_variant_new_string(test->account) : NULL,
				 NULL);
	g_assert_cmpint(pg_worker_policy_check(test->protocol, held, retired, msg, &why), ==,
			test->verdict);
	if (test->verdict == PG_WORKER_VERDICT_LIE) {
		g_assert_nonnull(why);
		g_assert_nonnull(strstr(why, test->why));
		g_assert_null(strchr(why, '\n'));
	} else {
		g_assert_null(why);
	}
}

static void
test_policy_long_account_is_cut(void)
{
	g_autoptr(GHashTable) held = g_hash_table_new(g_str_hash, g_str_equal);
	g_autofree gchar *account = g_strnfill(10000, 'a');
	g_autoptr(PgIpcMessage) msg = pg_ipc_message_new(
	    PG_IPC_EVT_TYPING, 0, "account", g_variant_new_string(account), NULL);
	g_autofree gchar *why = NULL;

	g_assert_cmpint(pg_worker_policy_check("prpl-irc", held, NULL, msg, &why), ==,
			PG_WORKER_VERDICT_LIE);
	g_assert_cmpuint(strlen(why), <, 200);
}

/* ---------------------------------------------------------------- through the pool */

typedef struct {
	GPtrArray *events;  /* "kind account" of every event passed on */
	GPtrArray *lost;    /* accounts reported lost */
	GPtrArray *logs;    /* pg-session log lines */
} PgPoolFixture;

static void
pg_pool_event_cb(PgSupervisor *supervisor, const PgIpcMessage *msg, gpointer user_data)
{
	PgPoolFixture *fixture = user_data;
	const gchar *account = pg_ipc_message_get_string(msg, "account");

	g_ptr_array_add(fixture->events, g_strdup_printf("%s %s", pg_ipc_kind_to_string(msg->kind),
							 account != NULL ? account : "-"));
}

static void
pg_pool_account_lost_cb(PgSupervisor *supervisor, const gchar *account, const gchar *reason,
			gpointer user_data)
{
	PgPoolFixture *fixture = user_data;
	g_ptr_array_add(fixture->lost, g_strdup(account));
}

static const PgSupervisorCallbacks pg_pool_callbacks = {
    .event = pg_pool_event_cb,
    .account_lost = pg_pool_account_lost_cb,
};

static void
pg_pool_log_cb(const gchar *domain, GLogLevelFlags level, const gchar *message,
	       gpointer user_data)
{
	PgPoolFixture *fixture = user_data;
	g_ptr_array_add(fixture->logs, g_strdup(message));
}

/* the daemon's warnings about the liar are what we test, not failures */
static gboolean
pg_pool_fatal_cb(const gchar *domain, GLogLevelFlags level, const gchar *message,
		 gpointer user_data)
{
	return g_strcmp0(domain, "pg-session") != 0;
}

static gboolean
pg_pool_has(GPtrArray *lines, const gchar *needle)
{
	for (guint i = 0; i < lines->len; i++) {
		if (strstr(g_ptr_array_index(lines, i), needle) != NULL)
			return TRUE;
	}
	return FALSE;
}

static gboolean
pg_pool_timeout_cb(gpointer user_data)
{
	*(gboolean *)user_data = TRUE;
	return G_SOURCE_REMOVE;
}

/* Run the loop until @done holds; a 30 s deadline fails the test. */
static void
pg_pool_wait(gboolean (*done)(PgPoolFixture *, PgSupervisor *), PgPoolFixture *fixture,
	     PgSupervisor *supervisor, const gchar *what)
{
	gboolean timed_out = FALSE;
	guint id = g_timeout_add_seconds(30, pg_pool_timeout_cb, &timed_out);

	while (!timed_out && !done(fixture, supervisor))
		g_main_context_iteration(NULL, TRUE);
	if (timed_out)
		g_error("timed out waiting for %s", what);
	g_source_remove(id);
}

static PgSupervisor *
pg_pool_start(PgPoolFixture *fixture, const gchar *protocol)
{
	const gchar *path = g_getenv("PG_TEST_HOSTILE_WORKER");
	PgSupervisor *supervisor;

	g_assert_nonnull(path);
	fixture->events = g_ptr_array_new_with_free_func(g_free);
	fixture->lost = g_ptr_array_new_with_free_func(g_free);
	fixture->logs = g_ptr_array_new_with_free_func(g_free);
	g_log_set_handler("pg-session", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL, pg_pool_log_cb,
			  fixture);
	g_test_log_set_fatal_handler(pg_pool_fatal_cb, NULL);
	/* two accounts on one worker: a liar takes both of its users down */
	supervisor = pg_supervisor_new(path, 2, 10, &pg_pool_callbacks, fixture);
	for (guint i = 0; i < 2; i++) {
		const gchar *account = i == 0 ? "alice/irc" : "bob/irc";
		PgIpcMessage *login = pg_ipc_message_new(
		    PG_IPC_CMD_LOGIN, 0, "account", g_variant_new_string(account), "protocol",
		    g_variant_new_string(protocol), "username", g_variant_new_string("nick"), NULL);
		g_assert_true(pg_supervisor_login(supervisor, account, login, NULL));
	}
	return supervisor;
}

static void
pg_pool_clear(PgPoolFixture *fixture)
{
	g_ptr_array_unref(fixture->events);
	g_ptr_array_unref(fixture->lost);
	g_ptr_array_unref(fixture->logs);
}

static gboolean
pg_pool_both_lost(PgPoolFixture *fixture, PgSupervisor *supervisor)
{
	return fixture->lost->len == 2;
}

static void
pg_pool_assert_liar_killed(PgPoolFixture *fixture, PgSupervisor *supervisor)
{
	pg_pool_wait(pg_pool_both_lost, fixture, supervisor, "both accounts lost");
	g_assert_true(pg_pool_has(fixture->lost, "alice/irc"));
	g_assert_true(pg_pool_has(fixture->lost, "bob/irc"));
	g_assert_false(pg_supervisor_has_account(supervisor, "alice/irc"));
	g_assert_false(pg_supervisor_has_account(supervisor, "bob/irc"));
	g_assert_true(pg_pool_has(fixture->logs, "killing it"));
	g_assert_true(pg_pool_has(fixture->logs, "(pid "));
	g_assert_true(pg_pool_has(fixture->logs, "it sent an event it may not send"));
}

static void
test_pool_foreign_account_kills_the_worker(void)
{
	PgPoolFixture fixture = {0};
	g_autoptr(PgSupervisor) supervisor = pg_pool_start(&fixture, "prpl-hostile-foreign");

	pg_pool_assert_liar_killed(&fixture, supervisor);
	/* the lie never reached the sessions */
	g_assert_false(pg_pool_has(fixture.events, "mallory"));
	g_assert_false(pg_pool_has(fixture.events, "room-message"));
	g_assert_true(pg_pool_has(fixture.logs, "\"mallory/irc\", which is not placed on it"));
	g_clear_pointer(&supervisor, pg_supervisor_free);
	pg_pool_clear(&fixture);
}

static void
test_pool_sms_sent_from_an_irc_worker_kills_it(void)
{
	PgPoolFixture fixture = {0};
	g_autoptr(PgSupervisor) supervisor = pg_pool_start(&fixture, "prpl-hostile-sms-sent");

	pg_pool_assert_liar_killed(&fixture, supervisor);
	g_assert_false(pg_pool_has(fixture.events, "sms-sent"));
	g_clear_pointer(&supervisor, pg_supervisor_free);
	pg_pool_clear(&fixture);
}

static gboolean
pg_pool_both_connected(PgPoolFixture *fixture, PgSupervisor *supervisor)
{
	return pg_pool_has(fixture->events, "login-state alice/irc") &&
	       pg_pool_has(fixture->events, "login-state bob/irc");
}

static gboolean
pg_pool_bob_typing(PgPoolFixture *fixture, PgSupervisor *supervisor)
{
	return pg_pool_has(fixture->events, "typing bob/irc") || fixture->lost->len > 0;
}

static void
test_pool_late_event_after_logout_is_dropped(void)
{
	PgPoolFixture fixture = {0};
	g_autoptr(PgSupervisor) supervisor = pg_pool_start(&fixture, "prpl-hostile-late");

	pg_pool_wait(pg_pool_both_connected, &fixture, supervisor, "both logins");
	pg_supervisor_logout(supervisor, "alice/irc");
	/* the worker answers the logout with an event for alice (written
	 * before it read the logout, as far as the daemon can tell), then one
	 * for bob: the first is dropped, the worker lives on */
	pg_pool_wait(pg_pool_bob_typing, &fixture, supervisor, "bob's typing event");
	g_assert_cmpuint(fixture.lost->len, ==, 0);
	g_assert_false(pg_pool_has(fixture.events, "room-message alice/irc"));
	g_assert_true(pg_supervisor_has_account(supervisor, "bob/irc"));
	g_assert_false(pg_pool_has(fixture.logs, "killing it"));
	g_clear_pointer(&supervisor, pg_supervisor_free);
	pg_pool_clear(&fixture);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (gsize i = 0; i < G_N_ELEMENTS(pg_policy_cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/worker-policy/check/%s", pg_policy_cases[i].name);
		g_test_add_data_func(path, &pg_policy_cases[i], test_policy_case);
	}
	g_test_add_func("/worker-policy/check/long-account-is-cut",
			test_policy_long_account_is_cut);
	g_test_add_func("/worker-policy/pool/foreign-account-kills-the-worker",
			test_pool_foreign_account_kills_the_worker);
	g_test_add_func("/worker-policy/pool/sms-sent-from-an-irc-worker-kills-it",
			test_pool_sms_sent_from_an_irc_worker_kills_it);
	g_test_add_func("/worker-policy/pool/late-event-after-logout-is-dropped",
			test_pool_late_event_after_logout_is_dropped);
	return g_test_run();
}
