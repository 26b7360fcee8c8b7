/* The workers' sandbox and private dirs (issue 8, items 5 and 3 of its
 * tests): a worker started by the real PgSupervisor, exactly as the daemon
 * starts polygate-purple (--sandbox, --user-dir), tries to open the key
 * file, the registry and the config, and to write beside them.  The worker
 * here is tests/unit/hostile-worker.c, which applies the worker's own
 * sandbox function (backends/purple/pg-purple-sandbox.c) to the dir the
 * supervisor made for it.  The private dirs are swept at start and when a
 * worker dies (src/session/pg-worker-dirs.c). */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/pg-error.h"
#include "session/pg-supervisor.h"
#include "session/pg-worker-dirs.h"

typedef struct {
	gchar *dir;         /* what the daemon's dir would hold */
	gchar *key_file;
	gchar *database;
	gchar *config;
	gchar *workers;     /* the supervisor's worker dirs base */
	GPtrArray *texts;   /* the probe's answers */
	GPtrArray *lost;
} PgSandboxFixture;

static void
pg_sandbox_event_cb(PgSupervisor *supervisor, const PgIpcMessage *msg, gpointer user_data)
{
	PgSandboxFixture *fixture = user_data;
	if (msg->kind == PG_IPC_EVT_ERROR)
		g_ptr_array_add(fixture->texts, g_strdup(pg_ipc_message_get_string(msg, "text")));
}

static void
pg_sandbox_account_lost_cb(PgSupervisor *supervisor, const gchar *account, const gchar *reason,
			   gpointer user_data)
{
	PgSandboxFixture *fixture = user_data;
	g_ptr_array_add(fixture->lost, g_strdup(account));
}

static const PgSupervisorCallbacks pg_sandbox_callbacks = {
    .event = pg_sandbox_event_cb,
    .account_lost = pg_sandbox_account_lost_cb,
};

static gboolean
pg_sandbox_fatal_cb(const gchar *domain, GLogLevelFlags level, const gchar *message,
		    gpointer user_data)
{
	/* "worker ... is gone" after the SIGKILL below is expected */
	return g_strcmp0(domain, "pg-session") != 0;
}

static void
pg_sandbox_log_cb(const gchar *domain, GLogLevelFlags level, const gchar *message,
		  gpointer user_data)
{
	g_test_message("%s: %s", domain, message);
}

static void
pg_sandbox_write(const gchar *path, const gchar *text)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_NONE, 0600,
					       &error));
	g_assert_no_error(error);
}

static void
pg_sandbox_setup(PgSandboxFixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	fixture->dir = g_dir_make_tmp("pg-test-sandbox-XXXXXX", &error);
	g_assert_no_error(error);
	fixture->key_file = g_build_filename(fixture->dir, "registry.key", NULL);
	fixture->database = g_build_filename(fixture->dir, "registry.db", NULL);
	fixture->config = g_build_filename(fixture->dir, "polygate.conf", NULL);
	fixture->workers = pg_worker_dirs_base_for(fixture->database);
	pg_sandbox_write(fixture->key_file, "1 not-a-real-key\n");
	pg_sandbox_write(fixture->database, "SQLite format 3");
	pg_sandbox_write(fixture->config, "[polygate]\n");
	fixture->texts = g_ptr_array_new_with_free_func(g_free);
	fixture->lost = g_ptr_array_new_with_free_func(g_free);
	g_test_log_set_fatal_handler(pg_sandbox_fatal_cb, NULL);
	g_log_set_handler("pg-session", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL, pg_sandbox_log_cb,
			  NULL);
}

static void
pg_sandbox_teardown(PgSandboxFixture *fixture, gconstpointer data)
{
	pg_worker_dirs_remove(fixture->dir);
	g_free(fixture->dir);
	g_free(fixture->key_file);
	g_free(fixture->database);
	g_free(fixture->config);
	g_free(fixture->workers);
	g_ptr_array_unref(fixture->texts);
	g_ptr_array_unref(fixture->lost);
}

static gboolean
pg_sandbox_timeout_cb(gpointer user_data)
{
	*(gboolean *)user_data = TRUE;
	return G_SOURCE_REMOVE;
}

static void
pg_sandbox_wait(gboolean (*done)(PgSandboxFixture *), PgSandboxFixture *fixture,
		const gchar *what)
{
	gboolean timed_out = FALSE;
	guint id = g_timeout_add_seconds(30, pg_sandbox_timeout_cb, &timed_out);

	while (!timed_out && !done(fixture))
		g_main_context_iteration(NULL, TRUE);
	if (timed_out)
		g_error("timed out waiting for %s", what);
	g_source_remove(id);
}

static gboolean
pg_sandbox_has_landlock(void)
{
	return syscall(SYS_landlock_create_ruleset, NULL, 0, 1U /* VERSION */) > 0;
}

/* The answer of the probe for @path ("opened" or strerror), or NULL. */
static const gchar *
pg_sandbox_answer(PgSandboxFixture *fixture, const gchar *path)
{
	g_autofree gchar *prefix = g_strdup_printf("%s: ", path);
	for (guint i = 0; i < fixture->texts->len; i++) {
		const gchar *text = g_ptr_array_index(fixture->texts, i);
		if (g_str_has_prefix(text, prefix))
			return text + strlen(prefix);
	}
	return NULL;
}

#define PG_SANDBOX_N_PROBES 7

static gboolean
pg_sandbox_all_answered(PgSandboxFixture *fixture)
{
	return fixture->texts->len >= PG_SANDBOX_N_PROBES || fixture->lost->len > 0;
}

/* Start a worker under @mode and let it try everything. */
static PgSupervisor *
pg_sandbox_probe(PgSandboxFixture *fixture, const gchar *mode)
{
	const gchar *path = g_getenv("PG_TEST_HOSTILE_WORKER");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *planted = g_build_filename(fixture->dir, "planted", NULL);
	g_autofree gchar *beside = g_build_filename(fixture->workers, "planted", NULL);
	GVariantBuilder options;
	PgSupervisor *supervisor;
	PgIpcMessage *login;

	g_assert_nonnull(path);
	supervisor = pg_supervisor_new(path, 1, 10, &pg_sandbox_callbacks, fixture);
	g_assert_true(pg_supervisor_set_worker_sandbox(supervisor, mode, fixture->workers, &error));
	g_assert_no_error(error);
	g_variant_builder_init(&options, G_VARIANT_TYPE("a{ss}"));
	g_variant_builder_add(&options, "{ss}", "open.0", fixture->key_file);
	g_variant_builder_add(&options, "{ss}", "open.1", fixture->database);
	g_variant_builder_add(&options, "{ss}", "open.2", fixture->config);
	g_variant_builder_add(&options, "{ss}", "open.3", fixture->dir);
	g_variant_builder_add(&options, "{ss}", "create.0", planted);
	g_variant_builder_add(&options, "{ss}", "create.1", beside);
	login = pg_ipc_message_new(PG_IPC_CMD_LOGIN, 0, "account", g_variant_new_string("alice/irc"),
				   "protocol", g_variant_new_string("prpl-hostile-probe"),
				   "username", g_variant_new_string("alice"), "options",
				   g_variant_builder_end(&options), NULL);
	g_assert_true(pg_supervisor_login(supervisor, "alice/irc", login, NULL));
	pg_sandbox_wait(pg_sandbox_all_answered, fixture, "the probe's answers");
	g_assert_cmpuint(fixture->lost->len, ==, 0);
	return supervisor;
}

static void
test_sandbox_worker_cannot_open_the_key_the_registry_or_the_config(PgSandboxFixture *fixture,
								   gconstpointer data)
{
	const gchar *denied = g_strerror(EACCES);
	g_autoptr(PgSupervisor) supervisor = NULL;
	g_autofree gchar *planted = g_build_filename(fixture->dir, "planted", NULL);
	g_autofree gchar *beside = g_build_filename(fixture->workers, "planted", NULL);

	if (!pg_sandbox_has_landlock()) {
		g_test_skip("the kernel offers no Landlock");
		return;
	}
	supervisor = pg_sandbox_probe(fixture, "required");
	g_assert_cmpstr(pg_sandbox_answer(fixture, fixture->key_file), ==, denied);
	g_assert_cmpstr(pg_sandbox_answer(fixture, fixture->database), ==, denied);
	g_assert_cmpstr(pg_sandbox_answer(fixture, fixture->config), ==, denied);
	g_assert_cmpstr(pg_sandbox_answer(fixture, fixture->dir), ==, denied);
	g_assert_cmpstr(pg_sandbox_answer(fixture, planted), ==, denied);
	g_assert_cmpstr(pg_sandbox_answer(fixture, beside), ==, denied);
	g_assert_false(g_file_test(planted, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(beside, G_FILE_TEST_EXISTS));
	/* and it can still work: its own dir is writable */
	g_assert_cmpuint(fixture->texts->len, ==, PG_SANDBOX_N_PROBES);
	g_assert_true(g_str_has_suffix(g_ptr_array_index(fixture->texts, PG_SANDBOX_N_PROBES - 1),
				       "/probe: opened"));
}

/* The control: the same probe without the sandbox opens everything (the
 * tests run as root or as the files' owner), so the test above would see
 * a missing sandbox. */
static void
test_sandbox_off_lets_the_worker_read_everything(PgSandboxFixture *fixture, gconstpointer data)
{
	g_autoptr(PgSupervisor) supervisor = pg_sandbox_probe(fixture, "off");

	g_assert_cmpstr(pg_sandbox_answer(fixture, fixture->key_file), ==, "opened");
	g_assert_cmpstr(pg_sandbox_answer(fixture, fixture->database), ==, "opened");
	g_assert_cmpstr(pg_sandbox_answer(fixture, fixture->config), ==, "opened");
}

static guint
pg_sandbox_count_entries(const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	guint count = 0;
	while (dir != NULL && g_dir_read_name(dir) != NULL)
		count++;
	return count;
}

/* A dir as a crashed worker leaves it: files, a subdir, and a link to a
 * file outside, which the sweep must remove without following. */
static gchar *
pg_sandbox_plant_stale_dir(PgSandboxFixture *fixture, const gchar *name)
{
	g_autofree gchar *stale = g_build_filename(fixture->workers, name, NULL);
	g_autofree gchar *sub = g_build_filename(stale, "plugins", NULL);
	g_autofree gchar *file = g_build_filename(stale, "accounts.xml", NULL);
	g_autofree gchar *link = g_build_filename(sub, "libirc.so", NULL);

	g_assert_cmpint(g_mkdir_with_parents(sub, 0700), ==, 0);
	pg_sandbox_write(file, "<account/>");
	g_assert_cmpint(symlink(fixture->config, link), ==, 0);
	return g_steal_pointer(&stale);
}

static void
test_dirs_stale_dirs_are_swept_at_start(PgSandboxFixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgSupervisor) supervisor = NULL;
	g_autofree gchar *stale = NULL;

	g_assert_cmpint(g_mkdir(fixture->workers, 0700), ==, 0);
	stale = pg_sandbox_plant_stale_dir(fixture, "worker-7-ABCDEF");
	supervisor = pg_supervisor_new("/nonexistent", 1, 10, &pg_sandbox_callbacks, fixture);
	g_assert_true(
	    pg_supervisor_set_worker_sandbox(supervisor, "off", fixture->workers, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(stale, G_FILE_TEST_EXISTS));
	g_assert_cmpuint(pg_sandbox_count_entries(fixture->workers), ==, 0);
	/* the link was removed, not followed */
	g_assert_true(g_file_test(fixture->config, G_FILE_TEST_IS_REGULAR));
}

/* The base of the private dirs must be ours alone: a link to elsewhere or
 * a dir others can enter is refused, so the daemon never starts workers
 * whose dirs another user could read or plant things in. */
static void
test_dirs_an_unsafe_base_is_refused(PgSandboxFixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgSupervisor) supervisor =
	    pg_supervisor_new("/nonexistent", 1, 10, &pg_sandbox_callbacks, fixture);
	g_autofree gchar *elsewhere = g_build_filename(fixture->dir, "elsewhere", NULL);

	g_assert_cmpint(g_mkdir(elsewhere, 0700), ==, 0);
	g_assert_cmpint(symlink(elsewhere, fixture->workers), ==, 0);
	g_assert_false(
	    pg_supervisor_set_worker_sandbox(supervisor, "off", fixture->workers, &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_IO);
	g_clear_error(&error);

	g_assert_cmpint(g_unlink(fixture->workers), ==, 0);
	g_assert_cmpint(g_mkdir(fixture->workers, 0755), ==, 0);
	g_assert_false(
	    pg_supervisor_set_worker_sandbox(supervisor, "off", fixture->workers, &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_IO);
	g_clear_error(&error);

	g_assert_cmpint(g_chmod(fixture->workers, 0700), ==, 0);
	g_assert_true(
	    pg_supervisor_set_worker_sandbox(supervisor, "off", fixture->workers, &error));
	g_assert_no_error(error);
}

static gboolean
pg_sandbox_account_lost(PgSandboxFixture *fixture)
{
	return fixture->lost->len > 0;
}

static void
test_dirs_a_dead_workers_dir_is_removed(PgSandboxFixture *fixture, gconstpointer data)
{
	g_autoptr(PgSupervisor) supervisor = pg_sandbox_probe(fixture, "best-effort");
	g_autoptr(GPtrArray) lines = pg_supervisor_describe_workers(supervisor);
	g_autofree gchar *stale = NULL;
	const gchar *pid;

	/* the live worker's dir is there, and stays while it lives */
	g_assert_cmpuint(pg_sandbox_count_entries(fixture->workers), ==, 1);
	/* something a crash left meanwhile goes with the next death */
	stale = pg_sandbox_plant_stale_dir(fixture, "worker-99-ZZZZZZ");
	g_assert_cmpuint(lines->len, ==, 1);
	pid = strstr(g_ptr_array_index(lines, 0), "pid ");
	g_assert_nonnull(pid);
	g_assert_cmpint(kill((pid_t)g_ascii_strtoll(pid + 4, NULL, 10), SIGKILL), ==, 0);
	pg_sandbox_wait(pg_sandbox_account_lost, fixture, "the worker's death");
	g_assert_cmpuint(pg_sandbox_count_entries(fixture->workers), ==, 0);
	g_assert_true(g_file_test(fixture->config, G_FILE_TEST_IS_REGULAR));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);
	g_test_add("/worker-sandbox/worker-cannot-open-the-key-the-registry-or-the-config",
		   PgSandboxFixture, NULL, pg_sandbox_setup,
		   test_sandbox_worker_cannot_open_the_key_the_registry_or_the_config,
		   pg_sandbox_teardown);
	g_test_add("/worker-sandbox/off-lets-the-worker-read-everything", PgSandboxFixture, NULL,
		   pg_sandbox_setup, test_sandbox_off_lets_the_worker_read_everything,
		   pg_sandbox_teardown);
	g_test_add("/worker-sandbox/dirs/stale-dirs-are-swept-at-start", PgSandboxFixture, NULL,
		   pg_sandbox_setup, test_dirs_stale_dirs_are_swept_at_start, pg_sandbox_teardown);
	g_test_add("/worker-sandbox/dirs/an-unsafe-base-is-refused", PgSandboxFixture, NULL,
		   pg_sandbox_setup, test_dirs_an_unsafe_base_is_refused, pg_sandbox_teardown);
	g_test_add("/worker-sandbox/dirs/a-dead-workers-dir-is-removed", PgSandboxFixture, NULL,
		   pg_sandbox_setup, test_dirs_a_dead_workers_dir_is_removed, pg_sandbox_teardown);
	return g_test_run();
}
