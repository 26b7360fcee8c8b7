/* polygate-purple against a real ngircd on 127.0.0.1.
 *
 * The test starts its own ngircd from a generated config (the settings of
 * tests/integration/harness/ngircd.py),
 * spawns the worker the way the daemon does (GSubprocess, socketpair as fd
 * 3), speaks the IPC protocol to it through PgIpcChannel, and plays the
 * other IRC user with a raw socket.  Every wait has a deadline that fails
 * the test; nothing sleeps.  ngircd missing is a failure, not a skip.
 *
 * The worker runs in its Landlock sandbox (required wherever the kernel
 * offers Landlock, so every login here proves the sandbox lets libpurple
 * work), with a user dir made for it as the daemon makes one.
 *
 * PG_TEST_WORKER: path of polygate-purple (set by meson).
 * PG_TEST_WORKER_WRAPPER: a command to run it under, e.g. "valgrind -q"
 *   (contrib/scripts/valgrind-worker.sh).
 * PG_TEST_ACCOUNTS: accounts in the several-accounts case (default 5).
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/pg-error.h"
#include "ipc/pg-ipc-channel.h"

#define PG_TEST_IRC_PASSWORD "pg-test-irc-S3cret-7f9a"
#define PG_TEST_TIMEOUT_S 20

static struct {
	gchar *dir;
	GSubprocess *process;
	guint16 port;
} pg_test_ngircd;

/* Waiting ------------------------------------------------------------------------ */

static gboolean
pg_test_timeout_cb(gpointer user_data)
{
	gboolean *timed_out = user_data;
	*timed_out = TRUE;
	return G_SOURCE_REMOVE;
}

typedef gboolean (*PgTestCondition)(gpointer user_data);

static gboolean
pg_test_tick_cb(gpointer user_data)
{
	return G_SOURCE_CONTINUE;
}

/* Iterate the main loop until @condition holds; fail after @seconds.  A
 * 100 ms tick re-checks conditions no event announces (a file appearing). */
static void
pg_test_wait_for(PgTestCondition condition, gpointer user_data, guint seconds, const gchar *what)
{
	gboolean timed_out = FALSE;
	guint id = g_timeout_add_seconds(seconds, pg_test_timeout_cb, &timed_out);
	guint tick = g_timeout_add(100, pg_test_tick_cb, NULL);

	while (!condition(user_data) && !timed_out)
		g_main_context_iteration(NULL, TRUE);
	if (timed_out)
		g_error("timed out after %u s waiting for %s", seconds, what);
	g_source_remove(id);
	g_source_remove(tick);
}

/* Children die with the test, even when an assertion aborts it. */
static void
pg_test_child_setup(gpointer user_data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* ngircd drops PR_SET_PDEATHSIG when it switches to nobody, so a failed
 * assertion kills it here (g_error() raises SIGTRAP, g_assert SIGABRT). */
static volatile pid_t pg_test_ngircd_pid;

static void
pg_test_abort_handler(int signum)
{
	if (pg_test_ngircd_pid > 0)
		kill(pg_test_ngircd_pid, SIGKILL);
	signal(signum, SIG_DFL);
	raise(signum);
}

/* ngircd ---------------------------------------------------------------------------- */

static guint16
pg_test_free_port(void)
{
	g_autoptr(GSocket) socket =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(g_socket_bind(socket, any, FALSE, &error));
	bound = g_socket_get_local_address(socket, &error);
	g_assert_no_error(error);
	return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

static gboolean
pg_test_port_open(guint16 port)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketConnection) connection =
	    g_socket_client_connect_to_host(client, "127.0.0.1", port, NULL, NULL);
	return connection != NULL;
}

static void
pg_test_ngircd_start(void)
{
	g_autofree gchar *ngircd = g_find_program_in_path("ngircd");
	g_autofree gchar *conf = NULL;
	g_autofree gchar *confd = NULL;
	g_autofree gchar *log = NULL;
	g_autofree gchar *text = NULL;
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GError) error = NULL;
	gint64 deadline;

	if (ngircd == NULL && g_file_test("/usr/sbin/ngircd", G_FILE_TEST_IS_EXECUTABLE))
		ngircd = g_strdup("/usr/sbin/ngircd");
	if (ngircd == NULL)
		g_error("ngircd is not installed (apt-get install ngircd); this test needs it");
	pg_test_ngircd.dir = g_dir_make_tmp("pg-test-ngircd-XXXXXX", &error);
	g_assert_no_error(error);
	/* as root ngircd switches to nobody, which must read its config */
	g_chmod(pg_test_ngircd.dir, 0755);
	confd = g_build_filename(pg_test_ngircd.dir, "conf.d", NULL);
	g_mkdir(confd, 0755);
	conf = g_build_filename(pg_test_ngircd.dir, "ngircd.conf", NULL);
	log = g_build_filename(pg_test_ngircd.dir, "ngircd.log", NULL);
	pg_test_ngircd.port = pg_test_free_port();
	text = g_strdup_printf("[Global]\n"
			       "\tName = irc.polygate.test\n"
			       "\tInfo = polygate worker test\n"
			       "\tListen = 127.0.0.1\n"
			       "\tPorts = %u\n"
			       "\tPassword = %s\n"
			       "\tMotdPhrase = polygate test server\n"
			       "[Limits]\n"
			       "\tMaxConnectionsIP = 0\n"
			       "\tMaxJoins = 0\n"
			       "\tMaxNickLength = 30\n"
			       "\tMaxPenaltyTime = 0\n"
			       "[Options]\n"
			       "\tDNS = no\n"
			       "\tIdent = no\n"
			       "\tPAM = no\n"
			       "\tDefaultUserModes = F\n"
			       "\tIncludeDir = %s\n",
			       pg_test_ngircd.port, PG_TEST_IRC_PASSWORD, confd);
	g_assert_true(g_file_set_contents(conf, text, -1, &error));
	g_chmod(conf, 0644);
	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_INHERIT);
	g_subprocess_launcher_set_stdout_file_path(launcher, log);
	g_subprocess_launcher_set_stderr_file_path(launcher, log);
	g_subprocess_launcher_set_child_setup(launcher, pg_test_child_setup, NULL, NULL);
	pg_test_ngircd.process =
	    g_subprocess_launcher_spawn(launcher, &error, ngircd, "-n", "-f", conf, NULL);
	g_assert_no_error(error);
	pg_test_ngircd_pid =
	    (pid_t)g_ascii_strtoll(g_subprocess_get_identifier(pg_test_ngircd.process), NULL, 10);
	signal(SIGABRT, pg_test_abort_handler);
	signal(SIGTRAP, pg_test_abort_handler);
	/* Ready when the port accepts TCP; poll every 100 ms, never sleep */
	deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	while (!pg_test_port_open(pg_test_ngircd.port)) {
		if (g_get_monotonic_time() > deadline) {
			g_autofree gchar *tail = NULL;
			g_file_get_contents(log, &tail, NULL, NULL);
			g_error("ngircd did not open port %u: %s", pg_test_ngircd.port, tail);
		}
		g_usleep(100 * 1000);
	}
}

static void
pg_test_remove_tree(const gchar *path)
{
	GStatBuf st;

	if (g_lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
		const gchar *name;
		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);
			pg_test_remove_tree(child);
		}
		g_rmdir(path);
	} else {
		g_unlink(path);
	}
}

static void
pg_test_ngircd_stop(void)
{
	pg_test_ngircd_pid = 0;
	if (pg_test_ngircd.process != NULL) {
		g_subprocess_send_signal(pg_test_ngircd.process, SIGTERM);
		g_subprocess_wait(pg_test_ngircd.process, NULL, NULL);
		g_clear_object(&pg_test_ngircd.process);
	}
	if (pg_test_ngircd.dir != NULL) {
		pg_test_remove_tree(pg_test_ngircd.dir);
		g_clear_pointer(&pg_test_ngircd.dir, g_free);
	}
}

/* The worker ------------------------------------------------------------------------ */

typedef struct {
	GSubprocess *process;
	PgIpcChannel *channel;
	GPtrArray *events;
	gchar *runtime_dir;
	gchar *user_dir;      /* made here, as the daemon does; left empty by the worker */
	gchar *log_path;      /* its stderr, printed when the test lets it go */
	gboolean exited;
	gint exit_status;
	gboolean closed;
	guint32 next_id;
} PgTestWorker;

static void
pg_test_worker_message_cb(PgIpcChannel *channel, PgIpcMessage *msg, gpointer user_data)
{
	PgTestWorker *worker = user_data;
	g_ptr_array_add(worker->events,
			pg_ipc_message_new_from_fields(msg->kind, msg->id, msg->fields));
}

static void
pg_test_worker_closed_cb(PgIpcChannel *channel, const GError *error, gpointer user_data)
{
	PgTestWorker *worker = user_data;
	g_assert_no_error(error);
	worker->closed = TRUE;
}

static void
pg_test_worker_exited_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	PgTestWorker *worker = user_data;
	g_subprocess_wait_finish(G_SUBPROCESS(source), result, NULL);
	worker->exit_status = g_subprocess_get_if_exited(G_SUBPROCESS(source))
				  ? g_subprocess_get_exit_status(G_SUBPROCESS(source))
				  : 128 + g_subprocess_get_term_sig(G_SUBPROCESS(source));
	worker->exited = TRUE;
}

/* The Landlock ABI of the running kernel, 0 if none (as the worker asks). */
static long
pg_test_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1U /* VERSION */);
	return abi > 0 ? abi : 0;
}

static PgTestWorker *
pg_test_worker_spawn(void)
{
	const gchar *path = g_getenv("PG_TEST_WORKER");
	const gchar *wrapper = g_getenv("PG_TEST_WORKER_WRAPPER");
	g_autoptr(GSubprocessLauncher) launcher =
	    g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	PgTestWorker *worker = g_new0(PgTestWorker, 1);
	g_autofree gchar *asan = NULL;
	gint fds[2];

	g_assert_nonnull(path);
	if (wrapper != NULL && wrapper[0] != '\0') {
		g_auto(GStrv) words = NULL;
		g_assert_true(g_shell_parse_argv(wrapper, NULL, &words, &error));
		for (guint i = 0; words[i] != NULL; i++)
			g_ptr_array_add(argv, g_strdup(words[i]));
	}
	g_ptr_array_add(argv, g_strdup(path));
	g_ptr_array_add(argv, g_strdup("--ipc-fd"));
	g_ptr_array_add(argv, g_strdup("3"));

	worker->events = g_ptr_array_new_with_free_func((GDestroyNotify)pg_ipc_message_free);
	worker->runtime_dir = g_dir_make_tmp("pg-test-runtime-XXXXXX", &error);
	g_assert_no_error(error);
	worker->user_dir = g_build_filename(worker->runtime_dir, "polygate-purple-user", NULL);
	g_assert_cmpint(g_mkdir(worker->user_dir, 0700), ==, 0);
	g_ptr_array_add(argv, g_strdup_printf("--user-dir=%s", worker->user_dir));
	/* valgrind may not know the Landlock syscalls: there, best effort */
	g_ptr_array_add(argv, g_strdup(pg_test_landlock_abi() > 0 && wrapper == NULL
					   ? "--sandbox=required"
					   : "--sandbox=best-effort"));
	g_ptr_array_add(argv, NULL);
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
	g_subprocess_launcher_setenv(launcher, "XDG_RUNTIME_DIR", worker->runtime_dir, TRUE);
	/* must be cleared by the worker (it would print raw IRC, password too) */
	g_subprocess_launcher_setenv(launcher, "PURPLE_UNSAFE_DEBUG", "1", TRUE);
	/* An ASan build checks the worker for memory errors, not for leaks:
	 * libpurple and NSS leave allocations behind at exit by design, in
	 * plugins already dlclose()d, so LSan cannot even name them.  Our own
	 * code's leaks are covered by tests/unit (ASan) and valgrind-worker.sh. */
	asan = g_strdup_printf("%s%sdetect_leaks=0",
			       g_getenv("ASAN_OPTIONS") != NULL ? g_getenv("ASAN_OPTIONS") : "",
			       g_getenv("ASAN_OPTIONS") != NULL ? ":" : "");
	g_subprocess_launcher_setenv(launcher, "ASAN_OPTIONS", asan, TRUE);
	g_subprocess_launcher_take_fd(launcher, fds[1], 3);
	worker->log_path = g_build_filename(worker->runtime_dir, "worker.log", NULL);
	g_subprocess_launcher_set_stderr_file_path(launcher, worker->log_path);
	g_subprocess_launcher_set_child_setup(launcher, pg_test_child_setup, NULL, NULL);
	worker->process = g_subprocess_launcher_spawnv(launcher,
						       (const gchar *const *)argv->pdata, &error);
	g_assert_no_error(error);
	g_subprocess_wait_async(worker->process, NULL, pg_test_worker_exited_cb, worker);
	worker->channel = pg_ipc_channel_new(fds[0], PG_IPC_ROLE_DAEMON, &error);
	g_assert_no_error(error);
	g_signal_connect(worker->channel, "message", G_CALLBACK(pg_test_worker_message_cb), worker);
	g_signal_connect(worker->channel, "closed", G_CALLBACK(pg_test_worker_closed_cb), worker);
	return worker;
}

static gboolean
pg_test_worker_exited(gpointer user_data)
{
	return ((PgTestWorker *)user_data)->exited;
}

static void
pg_test_worker_free(PgTestWorker *worker)
{
	if (!worker->exited) {
		g_subprocess_force_exit(worker->process);
		pg_test_wait_for(pg_test_worker_exited, worker, PG_TEST_TIMEOUT_S, "worker kill");
	}
	g_clear_object(&worker->channel);
	g_clear_object(&worker->process);
	g_ptr_array_unref(worker->events);
	{
		g_autofree gchar *log = NULL;
		if (g_file_get_contents(worker->log_path, &log, NULL, NULL) && log[0] != '\0')
			g_printerr("%s", log);
	}
	g_free(worker->log_path);
	pg_test_remove_tree(worker->runtime_dir);
	g_free(worker->runtime_dir);
	g_free(worker->user_dir);
	g_free(worker);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgTestWorker, pg_test_worker_free)

/* Send a command; returns its id. */
static guint32
pg_test_worker_send(PgTestWorker *worker, PgIpcMessage *msg)
{
	g_autoptr(PgIpcMessage) owned = msg;
	g_autoptr(GError) error = NULL;

	owned->id = ++worker->next_id;
	g_assert_true(pg_ipc_channel_send(worker->channel, owned, &error));
	g_assert_no_error(error);
	return owned->id;
}

typedef struct {
	PgTestWorker *worker;
	PgIpcKind kind;
	const gchar *field;
	const gchar *value;
	PgIpcMessage *found;
} PgTestEventWait;

static gboolean
pg_test_event_found(gpointer user_data)
{
	PgTestEventWait *wait = user_data;
	GPtrArray *events = wait->worker->events;

	for (guint i = 0; i < events->len; i++) {
		PgIpcMessage *msg = g_ptr_array_index(events, i);
		if (msg->kind != wait->kind)
			continue;
		if (wait->field != NULL &&
		    g_strcmp0(pg_ipc_message_get_string(msg, wait->field), wait->value) != 0)
			continue;
		wait->found = g_ptr_array_steal_index(events, i);
		return TRUE;
	}
	return wait->worker->exited && wait->worker->closed;
}

/* The first event of @kind (whose string @field is @value, if given),
 * removed from the queue.  Returns: (transfer full) */
static PgIpcMessage *
pg_test_worker_wait(PgTestWorker *worker, PgIpcKind kind, const gchar *field, const gchar *value)
{
	PgTestEventWait wait = {.worker = worker, .kind = kind, .field = field, .value = value};
	g_autofree gchar *what = g_strdup_printf("event %s %s=%s", pg_ipc_kind_to_string(kind),
						 field != NULL ? field : "", value != NULL ? value : "");

	if (g_getenv("PG_TEST_DEBUG") != NULL) {
		for (guint i = 0; i < worker->events->len; i++) {
			PgIpcMessage *msg = g_ptr_array_index(worker->events, i);
			g_autofree gchar *text = g_variant_print(msg->fields, FALSE);
			g_test_message("pending %s %s", pg_ipc_kind_to_string(msg->kind), text);
		}
	}
	pg_test_wait_for(pg_test_event_found, &wait, PG_TEST_TIMEOUT_S, what);
	if (wait.found == NULL)
		g_error("worker exited (status %d) before %s", worker->exit_status, what);
	return wait.found;
}

static void
pg_test_worker_handshake(PgTestWorker *worker)
{
	g_autoptr(PgIpcMessage) hello = pg_test_worker_wait(worker, PG_IPC_HELLO, NULL, NULL);

	g_assert_cmpuint(pg_ipc_message_get_uint32(hello, "version", 0), ==,
			 PG_IPC_PROTOCOL_VERSION);
	g_assert_cmpstr(pg_ipc_message_get_string(hello, "program"), ==, "polygate-purple");
	pg_test_worker_send(worker, pg_ipc_message_new(PG_IPC_HELLO, 0, "version",
						       g_variant_new_uint32(PG_IPC_PROTOCOL_VERSION),
						       "program", g_variant_new_string("test"),
						       NULL));
}

static void
pg_test_worker_shutdown(PgTestWorker *worker)
{
	pg_test_worker_send(worker, pg_ipc_message_new(PG_IPC_CMD_SHUTDOWN, 0, NULL));
	pg_test_wait_for(pg_test_worker_exited, worker, PG_TEST_TIMEOUT_S, "worker exit");
	g_assert_cmpint(worker->exit_status, ==, 0);
}

/* The worker's private user dir, found under its XDG_RUNTIME_DIR. */
static gchar *
pg_test_worker_user_dir(PgTestWorker *worker)
{
	g_autoptr(GDir) dir = g_dir_open(worker->runtime_dir, 0, NULL);
	const gchar *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		if (g_str_has_prefix(name, "polygate-purple-"))
			return g_build_filename(worker->runtime_dir, name, NULL);
	}
	return NULL;
}

static guint
pg_test_dir_entries(const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	guint count = 0;

	while (dir != NULL && g_dir_read_name(dir) != NULL)
		count++;
	return count;
}

/* @deaf: login's deaf field (NULL: none) */
static PgIpcMessage *
pg_test_login_message_full(const gchar *key, const gchar *nick, const gchar *host,
			   const gchar *password, GVariant *deaf)
{
	g_autofree gchar *username = g_strdup_printf("%s@%s", nick, host);
	g_autofree gchar *port = g_strdup_printf("%u", pg_test_ngircd.port);
	g_autoptr(PgSecret) secret = pg_secret_new_from_string(password);
	GVariantBuilder options;

	g_variant_builder_init(&options, G_VARIANT_TYPE("a{ss}"));
	g_variant_builder_add(&options, "{ss}", "port", port);
	g_variant_builder_add(&options, "{ss}", "ssl", "false");
	g_variant_builder_add(&options, "{ss}", "ratelimit-interval", "0");
	g_variant_builder_add(&options, "{ss}", "ratelimit-burst", "0");
	return pg_ipc_message_new(PG_IPC_CMD_LOGIN, 0, "account", g_variant_new_string(key),
				  "protocol", g_variant_new_string("prpl-irc"), "username",
				  g_variant_new_string(username), "password",
				  pg_ipc_variant_new_secret(secret), "options",
				  g_variant_builder_end(&options), "deaf", deaf, NULL);
}

static PgIpcMessage *
pg_test_login_message(const gchar *key, const gchar *nick, const gchar *host,
		      const gchar *password)
{
	return pg_test_login_message_full(key, nick, host, password, NULL);
}

static guint64
pg_test_worker_rss(PgTestWorker *worker)
{
	guint32 id = pg_test_worker_send(worker, pg_ipc_message_new(PG_IPC_PING, 0, NULL));
	g_autoptr(PgIpcMessage) pong = pg_test_worker_wait(worker, PG_IPC_PONG, NULL, NULL);
	g_autoptr(PgIpcMessage) stats = pg_test_worker_wait(worker, PG_IPC_EVT_STATS, NULL, NULL);

	g_assert_cmpuint(pong->id, ==, id);
	g_assert_cmpuint(stats->id, ==, id);
	return pg_ipc_message_get_uint64(stats, "rss_kib", 0);
}

/* Raw IRC client ------------------------------------------------------------------- */

typedef struct {
	GSocketConnection *connection;
	GSocket *socket;
	GSource *source;
	GString *inbuf;
	GPtrArray *lines;
} PgTestIrc;

static void pg_test_irc_send(PgTestIrc *irc, const gchar *format, ...) G_GNUC_PRINTF(2, 3);

static void
pg_test_irc_send(PgTestIrc *irc, const gchar *format, ...)
{
	g_autofree gchar *line = NULL;
	g_autoptr(GError) error = NULL;
	va_list args;

	va_start(args, format);
	line = g_strdup_vprintf(format, args);
	va_end(args);
	g_assert_true(g_output_stream_write_all(
	    g_io_stream_get_output_stream(G_IO_STREAM(irc->connection)), line, strlen(line), NULL,
	    NULL, &error));
	g_assert_true(g_output_stream_write_all(
	    g_io_stream_get_output_stream(G_IO_STREAM(irc->connection)), "\r\n", 2, NULL, NULL,
	    &error));
	g_assert_no_error(error);
}

static gboolean
pg_test_irc_read_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
	PgTestIrc *irc = user_data;
	gchar buffer[4096];
	gssize n = g_socket_receive(socket, buffer, sizeof(buffer), NULL, NULL);
	gchar *end;

	if (n <= 0)
		return G_SOURCE_CONTINUE;
	g_string_append_len(irc->inbuf, buffer, n);
	while ((end = strstr(irc->inbuf->str, "\r\n")) != NULL) {
		gchar *line = g_strndup(irc->inbuf->str, end - irc->inbuf->str);
		g_string_erase(irc->inbuf, 0, end - irc->inbuf->str + 2);
		if (g_str_has_prefix(line, "PING "))
			pg_test_irc_send(irc, "PONG %s", line + 5);
		g_ptr_array_add(irc->lines, line);
	}
	return G_SOURCE_CONTINUE;
}

typedef struct {
	PgTestIrc *irc;
	const gchar *needle;
	gchar *found;
} PgTestLineWait;

static gboolean
pg_test_line_found(gpointer user_data)
{
	PgTestLineWait *wait = user_data;

	for (guint i = 0; i < wait->irc->lines->len; i++) {
		const gchar *line = g_ptr_array_index(wait->irc->lines, i);
		if (strstr(line, wait->needle) != NULL) {
			wait->found = g_ptr_array_steal_index(wait->irc->lines, i);
			return TRUE;
		}
	}
	return FALSE;
}

/* The first line containing @needle, removed.  Returns: (transfer full) */
static gchar *
pg_test_irc_wait(PgTestIrc *irc, const gchar *needle)
{
	PgTestLineWait wait = {.irc = irc, .needle = needle};
	g_autofree gchar *what = g_strdup_printf("IRC line containing '%s'", needle);

	pg_test_wait_for(pg_test_line_found, &wait, PG_TEST_TIMEOUT_S, what);
	return wait.found;
}

static PgTestIrc *
pg_test_irc_connect(const gchar *nick)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *welcome = NULL;
	PgTestIrc *irc = g_new0(PgTestIrc, 1);

	irc->connection =
	    g_socket_client_connect_to_host(client, "127.0.0.1", pg_test_ngircd.port, NULL, &error);
	g_assert_no_error(error);
	irc->socket = g_socket_connection_get_socket(irc->connection);
	irc->inbuf = g_string_new(NULL);
	irc->lines = g_ptr_array_new_with_free_func(g_free);
	irc->source = g_socket_create_source(irc->socket, G_IO_IN, NULL);
	g_source_set_callback(irc->source, G_SOURCE_FUNC(pg_test_irc_read_cb), irc, NULL);
	g_source_attach(irc->source, NULL);
	pg_test_irc_send(irc, "PASS %s", PG_TEST_IRC_PASSWORD);
	pg_test_irc_send(irc, "NICK %s", nick);
	pg_test_irc_send(irc, "USER %s 0 * :Raw test client", nick);
	welcome = pg_test_irc_wait(irc, " 001 ");
	return irc;
}

static void
pg_test_irc_free(PgTestIrc *irc)
{
	g_source_destroy(irc->source);
	g_source_unref(irc->source);
	g_io_stream_close(G_IO_STREAM(irc->connection), NULL, NULL);
	g_object_unref(irc->connection);
	g_string_free(irc->inbuf, TRUE);
	g_ptr_array_unref(irc->lines);
	g_free(irc);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgTestIrc, pg_test_irc_free)

/* Files ------------------------------------------------------------------------------ */

/* Does any file under @path contain @needle?  Sets *@files to the count. */
static gboolean
pg_test_tree_contains(const gchar *path, const gchar *needle, guint *files)
{
	GStatBuf st;

	if (g_lstat(path, &st) != 0)
		return FALSE;
	if (S_ISDIR(st.st_mode)) {
		g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
		const gchar *name;
		gboolean found = FALSE;
		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);
			found |= pg_test_tree_contains(child, needle, files);
		}
		return found;
	}
	if (S_ISREG(st.st_mode)) {
		g_autofree gchar *contents = NULL;
		gsize len = 0;
		(*files)++;
		if (g_file_get_contents(path, &contents, &len, NULL) &&
		    g_strstr_len(contents, len, needle) != NULL) {
			g_test_message("%s contains the password", path);
			return TRUE;
		}
	}
	return FALSE;
}

typedef struct {
	const gchar *path;
	const gchar *needle;
} PgTestFileWait;

static gboolean
pg_test_file_has(gpointer user_data)
{
	PgTestFileWait *wait = user_data;
	g_autofree gchar *contents = NULL;

	return g_file_get_contents(wait->path, &contents, NULL, NULL) &&
	       strstr(contents, wait->needle) != NULL;
}

/* Tests ------------------------------------------------------------------------------ */

static void
test_worker_hello_ping_and_plugins(void)
{
	g_autoptr(PgTestWorker) worker = pg_test_worker_spawn();
	g_autofree gchar *maps_path = NULL;
	g_autofree gchar *maps = NULL;
	g_auto(GStrv) lines = NULL;
	guint64 rss;

	pg_test_worker_handshake(worker);
	rss = pg_test_worker_rss(worker);
	g_assert_cmpuint(rss, >, 0);
	g_test_message("worker RSS with no account: %" G_GUINT64_FORMAT " KiB", rss);

	/* only the three plugins we asked for are mapped: no libjabber & co */
	maps_path = g_strdup_printf("/proc/%s/maps", g_subprocess_get_identifier(worker->process));
	if (g_getenv("PG_TEST_WORKER_WRAPPER") == NULL &&
	    g_file_get_contents(maps_path, &maps, NULL, NULL)) {
		lines = g_strsplit(maps, "\n", -1);
		for (guint i = 0; lines[i] != NULL; i++) {
			const gchar *plugin = strstr(lines[i], "/purple-2/");
			if (plugin == NULL)
				continue;
			plugin += strlen("/purple-2/");
			if (g_strcmp0(plugin, "libirc.so") != 0 && g_strcmp0(plugin, "ssl.so") != 0 &&
			    g_strcmp0(plugin, "ssl-nss.so") != 0)
				g_error("unwanted plugin mapped: %s", lines[i]);
		}
	}
	pg_test_worker_shutdown(worker);
	g_assert_cmpuint(pg_test_dir_entries(worker->user_dir), ==, 0);
}

static void
test_worker_irc_login_join_and_talk(void)
{
	g_autoptr(PgTestWorker) worker = pg_test_worker_spawn();
	g_autoptr(PgTestIrc) irc = NULL;
	g_autoptr(PgIpcMessage) joined = NULL;
	g_autoptr(GVariant) occupants = NULL;
	g_autofree gchar *user_dir = NULL;
	g_autofree gchar *accounts_xml = NULL;
	const gchar *key = "alice@example.org/irc";
	gboolean saw_self = FALSE;
	guint files = 0;
	guint32 bad_id;

	pg_test_worker_handshake(worker);
	pg_test_worker_send(worker,
			    pg_test_login_message(key, "pgalice", "127.0.0.1", PG_TEST_IRC_PASSWORD));
	g_clear_pointer(&joined, pg_ipc_message_free);
	joined = pg_test_worker_wait(worker, PG_IPC_EVT_LOGIN_STATE, "state", "connected");
	g_assert_cmpstr(pg_ipc_message_get_string(joined, "account"), ==, key);
	g_test_message("worker RSS with 1 account: %" G_GUINT64_FORMAT " KiB",
		       pg_test_worker_rss(worker));

	/* join: room-joined carries the occupant list, us included */
	pg_test_worker_send(worker, pg_ipc_message_new(PG_IPC_CMD_JOIN_ROOM, 0, "account",
						       g_variant_new_string(key), "room",
						       g_variant_new_string("#polygate"), NULL));
	g_clear_pointer(&joined, pg_ipc_message_free);
	joined = pg_test_worker_wait(worker, PG_IPC_EVT_ROOM_JOINED, "room", "#polygate");
	g_assert_cmpstr(pg_ipc_message_get_string(joined, "nick"), ==, "pgalice");
	occupants = pg_ipc_message_get_value(joined, "occupants");
	for (gsize i = 0; i < g_variant_n_children(occupants); i++) {
		const gchar *nick = NULL;
		const gchar *flags = NULL;
		g_variant_get_child(occupants, i, "(&s&s)", &nick, &flags);
		if (g_strcmp0(nick, "pgalice") == 0) {
			saw_self = TRUE;
			/* first in an empty channel: ngircd makes us op */
			g_assert_cmpstr(flags, ==, "op");
		}
	}
	g_assert_true(saw_self);

	/* another user joins */
	irc = pg_test_irc_connect("rawbob");
	pg_test_irc_send(irc, "JOIN #polygate");
	g_free(pg_test_irc_wait(irc, " 366 "));
	{
		g_autoptr(PgIpcMessage) occupant =
		    pg_test_worker_wait(worker, PG_IPC_EVT_ROOM_OCCUPANT, "nick", "rawbob");
		g_assert_cmpstr(pg_ipc_message_get_string(occupant, "change"), ==, "join");
	}

	/* IRC -> worker: plain text, markup characters and entities untouched */
	pg_test_irc_send(irc, "PRIVMSG #polygate :a<b & \"q\" &lt; <i>x</i> \xc3\xbc");
	{
		g_autoptr(PgIpcMessage) msg =
		    pg_test_worker_wait(worker, PG_IPC_EVT_ROOM_MESSAGE, "from", "rawbob");
		g_assert_cmpstr(pg_ipc_message_get_string(msg, "body"), ==,
				"a<b & \"q\" &lt; <i>x</i> \xc3\xbc");
		g_assert_false(pg_ipc_message_get_boolean(msg, "own", TRUE));
		g_assert_cmpstr(pg_ipc_message_get_string(msg, "room"), ==, "#polygate");
	}

	/* worker -> IRC: escaped on the way, one IRC line per text line */
	pg_test_worker_send(worker,
			    pg_ipc_message_new(PG_IPC_CMD_ROOM_MESSAGE, 0, "account",
					       g_variant_new_string(key), "room",
					       g_variant_new_string("#polygate"), "body",
					       g_variant_new_string("x < y & <b>z</b>\nsecond line"),
					       NULL));
	g_free(pg_test_irc_wait(irc, "PRIVMSG #polygate :x < y & <b>z</b>"));
	g_free(pg_test_irc_wait(irc, "PRIVMSG #polygate :second line"));
	{
		g_autoptr(PgIpcMessage) echo =
		    pg_test_worker_wait(worker, PG_IPC_EVT_ROOM_MESSAGE, "from", "pgalice");
		g_assert_true(pg_ipc_message_get_boolean(echo, "own", FALSE));
	}

	/* private messages both ways */
	pg_test_irc_send(irc, "PRIVMSG pgalice :private <hi>");
	{
		g_autoptr(PgIpcMessage) im =
		    pg_test_worker_wait(worker, PG_IPC_EVT_IM_RECEIVED, "from", "rawbob");
		g_assert_cmpstr(pg_ipc_message_get_string(im, "body"), ==, "private <hi>");
	}
	pg_test_worker_send(worker, pg_ipc_message_new(PG_IPC_CMD_SEND_IM, 0, "account",
						       g_variant_new_string(key), "to",
						       g_variant_new_string("rawbob"), "body",
						       g_variant_new_string("hello <bob>"), NULL));
	g_free(pg_test_irc_wait(irc, "PRIVMSG rawbob :hello <bob>"));

	/* a target that would smuggle a second IRC command is refused */
	bad_id = pg_test_worker_send(
	    worker, pg_ipc_message_new(PG_IPC_CMD_SEND_IM, 0, "account", g_variant_new_string(key),
				       "to", g_variant_new_string("rawbob\r\nQUIT :pwned"), "body",
				       g_variant_new_string("x"), NULL));
	{
		g_autoptr(PgIpcMessage) error =
		    pg_test_worker_wait(worker, PG_IPC_EVT_ERROR, NULL, NULL);
		g_assert_cmpuint(pg_ipc_message_get_uint32(error, "request", 0), ==, bad_id);
		g_assert_cmpstr(pg_ipc_message_get_string(error, "condition"), ==, "bad-request");
	}

	/* subject, nick change, part */
	pg_test_irc_send(irc, "TOPIC #polygate :a new topic");
	{
		g_autoptr(PgIpcMessage) subject =
		    pg_test_worker_wait(worker, PG_IPC_EVT_ROOM_SUBJECT, "by", "rawbob");
		g_assert_cmpstr(pg_ipc_message_get_string(subject, "subject"), ==, "a new topic");
	}
	pg_test_irc_send(irc, "NICK rawbob2");
	{
		g_autoptr(PgIpcMessage) nick =
		    pg_test_worker_wait(worker, PG_IPC_EVT_ROOM_OCCUPANT, "change", "nick");
		g_assert_cmpstr(pg_ipc_message_get_string(nick, "nick"), ==, "rawbob");
		g_assert_cmpstr(pg_ipc_message_get_string(nick, "new_nick"), ==, "rawbob2");
	}
	pg_test_irc_send(irc, "PART #polygate :see you");
	{
		g_autoptr(PgIpcMessage) part =
		    pg_test_worker_wait(worker, PG_IPC_EVT_ROOM_OCCUPANT, "change", "part");
		g_assert_cmpstr(pg_ipc_message_get_string(part, "nick"), ==, "rawbob2");
	}

	/* libpurple saves its accounts ~5 s after an account change: the
	 * worker keeps accounts.xml off the disk (a plugin's options can be
	 * credentials) and says so once; no file holds the password */
	user_dir = pg_test_worker_user_dir(worker);
	g_assert_nonnull(user_dir);
	accounts_xml = g_build_filename(user_dir, "accounts.xml", NULL);
	{
		PgTestFileWait wait = {.path = worker->log_path,
				       .needle = "kept from saving accounts.xml"};
		pg_test_wait_for(pg_test_file_has, &wait, PG_TEST_TIMEOUT_S,
				 "libpurple's try to save accounts.xml");
	}
	g_assert_false(g_file_test(accounts_xml, G_FILE_TEST_EXISTS));
	g_assert_false(pg_test_tree_contains(user_dir, PG_TEST_IRC_PASSWORD, &files));
	g_test_message("%u files in the user dir, none holds the password", files);

	/* leave, log out, shut down: nothing left on disk */
	pg_test_worker_send(worker, pg_ipc_message_new(PG_IPC_CMD_LEAVE_ROOM, 0, "account",
						       g_variant_new_string(key), "room",
						       g_variant_new_string("#polygate"), NULL));
	g_clear_pointer(&joined, pg_ipc_message_free);
	joined = pg_test_worker_wait(worker, PG_IPC_EVT_ROOM_LEFT, "room", "#polygate");
	pg_test_worker_send(worker, pg_ipc_message_new(PG_IPC_CMD_LOGOUT, 0, "account",
						       g_variant_new_string(key), NULL));
	g_clear_pointer(&joined, pg_ipc_message_free);
	joined = pg_test_worker_wait(worker, PG_IPC_EVT_LOGIN_STATE, "state", "disconnected");
	g_assert_cmpstr(pg_ipc_message_get_string(joined, "reason"), ==, "logged out");
	pg_test_worker_shutdown(worker);
	g_assert_cmpuint(pg_test_dir_entries(user_dir), ==, 0);
}

static void
test_worker_irc_wrong_password(void)
{
	g_autoptr(PgTestWorker) worker = pg_test_worker_spawn();
	g_autoptr(PgIpcMessage) state = NULL;
	const gchar *reason;

	pg_test_worker_handshake(worker);
	pg_test_worker_send(worker, pg_test_login_message("carol@example.org/irc", "pgcarol",
							  "127.0.0.1", "not-the-password"));
	state = pg_test_worker_wait(worker, PG_IPC_EVT_LOGIN_STATE, "state", "disconnected");
	reason = pg_ipc_message_get_string(state, "reason");
	g_assert_nonnull(reason);
	g_assert_cmpstr(reason, !=, "");
	g_test_message("wrong password: reason '%s', fatal %d", reason,
		       pg_ipc_message_get_boolean(state, "fatal", FALSE));
	pg_test_worker_shutdown(worker);
}

static void
test_worker_closing_the_socket_stops_it(void)
{
	g_autoptr(PgTestWorker) worker = pg_test_worker_spawn();

	pg_test_worker_handshake(worker);
	pg_test_worker_send(worker, pg_test_login_message("dave@example.org/irc", "pgdave",
							  "127.0.0.1", PG_TEST_IRC_PASSWORD));
	pg_ipc_channel_close(worker->channel);
	pg_test_wait_for(pg_test_worker_exited, worker, PG_TEST_TIMEOUT_S, "worker exit");
	g_assert_cmpint(worker->exit_status, ==, 0);
	g_assert_cmpuint(pg_test_dir_entries(worker->user_dir), ==, 0);
}

/* Wait until @key is connected (past "connecting"), then join @room. */
static void
pg_test_worker_connected_join(PgTestWorker *worker, const gchar *key, const gchar *room)
{
	g_autoptr(PgIpcMessage) state =
	    pg_test_worker_wait(worker, PG_IPC_EVT_LOGIN_STATE, "account", key);

	while (g_strcmp0(pg_ipc_message_get_string(state, "state"), "connecting") == 0) {
		g_clear_pointer(&state, pg_ipc_message_free);
		state = pg_test_worker_wait(worker, PG_IPC_EVT_LOGIN_STATE, "account", key);
	}
	g_assert_cmpstr(pg_ipc_message_get_string(state, "state"), ==, "connected");
	pg_test_worker_send(worker, pg_ipc_message_new(PG_IPC_CMD_JOIN_ROOM, 0, "account",
						       g_variant_new_string(key), "room",
						       g_variant_new_string(room), NULL));
}

static void
test_worker_irc_several_accounts(void)
{
	g_autoptr(PgTestWorker) worker = pg_test_worker_spawn();
	g_autoptr(PgTestIrc) irc = NULL;
	const gchar *env = g_getenv("PG_TEST_ACCOUNTS");
	guint n = env != NULL ? (guint)g_ascii_strtoull(env, NULL, 10) : 5;
	guint64 rss_before;

	pg_test_worker_handshake(worker);
	rss_before = pg_test_worker_rss(worker);
	/* "localhost": a host name goes through the GResolver DNS UiOps */
	for (guint i = 0; i < n; i++) {
		g_autofree gchar *key = g_strdup_printf("user%u@example.org/irc", i);
		g_autofree gchar *nick = g_strdup_printf("pgmany%u", i);
		pg_test_worker_send(worker, pg_test_login_message(key, nick, "localhost",
								  PG_TEST_IRC_PASSWORD));
	}
	for (guint i = 0; i < n; i++) {
		g_autofree gchar *key = g_strdup_printf("user%u@example.org/irc", i);
		pg_test_worker_connected_join(worker, key, "#many");
	}
	for (guint i = 0; i < n; i++) {
		g_autofree gchar *key = g_strdup_printf("user%u@example.org/irc", i);
		g_autoptr(PgIpcMessage) joined =
		    pg_test_worker_wait(worker, PG_IPC_EVT_ROOM_JOINED, "account", key);
	}
	irc = pg_test_irc_connect("rawmany");
	pg_test_irc_send(irc, "JOIN #many");
	pg_test_irc_send(irc, "PRIVMSG #many :hello everyone");
	/* every account hears it, each under its own key */
	for (guint i = 0; i < n; i++) {
		g_autofree gchar *key = g_strdup_printf("user%u@example.org/irc", i);
		g_autoptr(PgIpcMessage) msg = NULL;
		for (;;) {
			msg = pg_test_worker_wait(worker, PG_IPC_EVT_ROOM_MESSAGE, "account", key);
			if (g_strcmp0(pg_ipc_message_get_string(msg, "from"), "rawmany") == 0)
				break;
			g_clear_pointer(&msg, pg_ipc_message_free);
		}
		g_assert_cmpstr(pg_ipc_message_get_string(msg, "body"), ==, "hello everyone");
	}
	g_test_message("worker RSS: %" G_GUINT64_FORMAT " KiB before login, %" G_GUINT64_FORMAT
		       " KiB with %u accounts in one channel",
		       rss_before, pg_test_worker_rss(worker), n);
	pg_test_worker_shutdown(worker);
}

/* A deaf account (login's deaf: a community bridge's occupant connection,
 * src/bridge/pg-bridge-clients.c) is in the channel and speaks there, but
 * the channel's lines are not forwarded for it: the bridge's own client
 * reads them already, and N such connections would send each line N times
 * more.  Its private messages still come. */
static void
test_worker_irc_deaf_account(void)
{
	g_autoptr(PgTestWorker) worker = pg_test_worker_spawn();
	g_autoptr(PgTestIrc) irc = NULL;
	const gchar *hear = "hear@example.org/irc";
	const gchar *deaf = "deaf@example.org/irc";

	pg_test_worker_handshake(worker);
	pg_test_worker_send(worker,
			    pg_test_login_message(hear, "pghear", "127.0.0.1", PG_TEST_IRC_PASSWORD));
	pg_test_worker_send(worker,
			    pg_test_login_message_full(deaf, "pgdeaf", "127.0.0.1",
						       PG_TEST_IRC_PASSWORD, g_variant_new_boolean(TRUE)));
	for (guint i = 0; i < 2; i++) {
		const gchar *key = i == 0 ? hear : deaf;
		g_autoptr(PgIpcMessage) joined = NULL;
		pg_test_worker_connected_join(worker, key, "#deaf");
		joined = pg_test_worker_wait(worker, PG_IPC_EVT_ROOM_JOINED, "account", key);
	}
	irc = pg_test_irc_connect("rawdeaf");
	pg_test_irc_send(irc, "JOIN #deaf");
	g_free(pg_test_irc_wait(irc, " 366 "));
	/* the deaf account speaks in the channel */
	pg_test_worker_send(worker, pg_ipc_message_new(PG_IPC_CMD_ROOM_MESSAGE, 0, "account",
						       g_variant_new_string(deaf), "room",
						       g_variant_new_string("#deaf"), "body",
						       g_variant_new_string("from the deaf one"), NULL));
	g_free(pg_test_irc_wait(irc, ":pgdeaf!"));
	pg_test_irc_send(irc, "PRIVMSG #deaf :to the channel");
	pg_test_irc_send(irc, "PRIVMSG pgdeaf :to the deaf one");
	{
		g_autoptr(PgIpcMessage) heard =
		    pg_test_worker_wait(worker, PG_IPC_EVT_ROOM_MESSAGE, "from", "rawdeaf");
		g_autoptr(PgIpcMessage) im =
		    pg_test_worker_wait(worker, PG_IPC_EVT_IM_RECEIVED, "account", deaf);
		g_assert_cmpstr(pg_ipc_message_get_string(heard, "account"), ==, hear);
		g_assert_cmpstr(pg_ipc_message_get_string(im, "body"), ==, "to the deaf one");
	}
	/* the PM came after the channel line on the same connection: had the
	 * deaf account forwarded the line, it would be queued by now */
	for (guint i = 0; i < worker->events->len; i++) {
		PgIpcMessage *msg = g_ptr_array_index(worker->events, i);
		if (msg->kind == PG_IPC_EVT_ROOM_MESSAGE)
			g_assert_cmpstr(pg_ipc_message_get_string(msg, "account"), !=, deaf);
	}
	pg_test_worker_shutdown(worker);
}

int
main(int argc, char **argv)
{
	gint status;

	g_test_init(&argc, &argv, NULL);
	pg_test_ngircd_start();
	g_test_add_func("/worker/hello-ping-and-only-the-wanted-plugins",
			test_worker_hello_ping_and_plugins);
	g_test_add_func("/worker/irc/login-join-and-talk-both-ways",
			test_worker_irc_login_join_and_talk);
	g_test_add_func("/worker/irc/wrong-password-is-disconnected-with-a-reason",
			test_worker_irc_wrong_password);
	g_test_add_func("/worker/closing-the-socket-stops-the-worker",
			test_worker_closing_the_socket_stops_it);
	g_test_add_func("/worker/irc/several-accounts-share-one-worker",
			test_worker_irc_several_accounts);
	g_test_add_func("/worker/irc/a-deaf-account-hears-no-channel-lines",
			test_worker_irc_deaf_account);
	status = g_test_run();
	pg_test_ngircd_stop();
	return status;
}
