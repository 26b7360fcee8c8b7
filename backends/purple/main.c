/* polygate-purple: the libpurple worker.  Options, hardening, signals, loop.
 *
 * Started by the daemon with its end of a socketpair as fd 3 (--ipc-fd 3).
 * Credentials come only over that socket, never argv, env or disk.  It
 * sends hello first, exits 0 on shutdown or when the daemon closes the
 * socket, 1 when the daemon broke the protocol or libpurple cannot start.
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-purple"

#include <glib-unix.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "core/pg-log.h"
#include "pg-purple-buddies.h"
#include "pg-purple-capool.h"
#include "pg-purple-commands.h"
#include "pg-purple-events.h"
#include "pg-purple-icons.h"
#include "pg-purple-ident.h"
#include "pg-purple-roomlist.h"
#include "pg-purple-state.h"
#include "pg-purple-admin.h"
#include "pg-purple-bans.h"
#include "pg-purple-lines.h"
#include "pg-purple-numerics.h"
#include "pg-purple-pin.h"
#include "pg-purple-sandbox.h"
#include "pg-purple-ui.h"
#include "pg-purple-watch.h"
#include "pg-purple-receipts.h"
#include "pg-purple-worker.h"

#define PG_PURPLE_NOFILE_MAX 4096
#define PG_PURPLE_FLUSH_TIMEOUT_MS 2000

static void
pg_purple_main_harden(void)
{
	struct rlimit no_core = {0, 0};
	struct rlimit files;

	/* no core dumps and no ptrace by our uid: memory holds passwords */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	setrlimit(RLIMIT_CORE, &no_core);
	if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
		files.rlim_cur = MIN(files.rlim_max, (rlim_t)PG_PURPLE_NOFILE_MAX);
		setrlimit(RLIMIT_NOFILE, &files);
	}
	/* libpurple write()s to sockets */
	signal(SIGPIPE, SIG_IGN);
	/* these make libpurple print raw traffic, passwords included */
	g_unsetenv("PURPLE_UNSAFE_DEBUG");
	g_unsetenv("PURPLE_VERBOSE_DEBUG");
	/* libpurple exports its whole API (account passwords too) on the
	 * session bus when it finds one; without an address or an X display to
	 * autolaunch from, its D-Bus init fails harmlessly */
	g_unsetenv("DBUS_SESSION_BUS_ADDRESS");
	g_unsetenv("DBUS_STARTER_ADDRESS");
	g_unsetenv("DBUS_STARTER_BUS_TYPE");
	g_unsetenv("DISPLAY");
}

static void
pg_purple_main_message_cb(PgIpcChannel *channel, PgIpcMessage *msg, gpointer user_data)
{
	/* the room list answers for itself (pg-purple-roomlist.c), which keeps
	 * pg-purple-commands.c under its size */
	if (msg->kind == PG_IPC_CMD_LIST_ROOMS)
		pg_purple_roomlist_dispatch(msg);
	else
		pg_purple_commands_dispatch(msg);
}

static void
pg_purple_main_closed_cb(PgIpcChannel *channel, const GError *error, gpointer user_data)
{
	if (error != NULL) {
		g_warning("daemon connection failed: %s", error->message);
		pg_purple_worker_quit(EXIT_FAILURE);
		return;
	}
	g_info("daemon closed the connection");
	pg_purple_worker_quit(EXIT_SUCCESS);
}

static gboolean
pg_purple_main_signal_cb(gpointer user_data)
{
	pg_purple_worker_quit(EXIT_SUCCESS);
	return G_SOURCE_CONTINUE;
}

/* A sanitizer build reads its suppressions file when the process exits,
 * long after the sandbox went on; without a rule for it LeakSanitizer
 * cannot read the file and reports libpurple's known exit leaks as errors.
 * Only such builds look: a release worker allows nothing more.
 * Returns: (transfer full) the NULL-terminated paths, or NULL. */
static gchar **
pg_purple_main_sanitizer_files(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
	static const gchar *const variables[] = {"LSAN_OPTIONS", "ASAN_OPTIONS",
						 "UBSAN_OPTIONS"};
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < G_N_ELEMENTS(variables); i++) {
		const gchar *options = g_getenv(variables[i]);
		g_auto(GStrv) parts = NULL;

		if (options == NULL)
			continue;
		parts = g_strsplit(options, ":", -1);
		for (guint j = 0; parts[j] != NULL; j++) {
			if (g_str_has_prefix(parts[j], "suppressions=") &&
			    g_path_is_absolute(parts[j] + strlen("suppressions=")))
				g_ptr_array_add(files,
						g_strdup(parts[j] + strlen("suppressions=")));
		}
	}
	if (files->len == 0)
		return NULL;
	g_ptr_array_add(files, NULL);
	return (gchar **)g_ptr_array_free(g_steal_pointer(&files), FALSE);
#else
	return NULL;
#endif
}

/* AddressSanitizer's defaults for this program, read before ASAN_OPTIONS
 * (which still wins, flag by flag); a build without ASan never calls it.
 * Exact malloc stacks: libpurple and its plugins have no frame pointers,
 * so the fast unwinder stops inside them, and LeakSanitizer could not
 * match their own leftovers to the suppressions of third-party libraries
 * (tests/integration/lsan.supp).  The daemon keeps the fast unwinder: its
 * leaks are ours, and the exact one costs ten times the CPU per malloc
 * (contrib/scripts/test.sh). */
const char *__asan_default_options(void) __attribute__((visibility("default")));

const char *
__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

int
main(int argc, char **argv)
{
	static const gchar *const default_plugins[] = {PG_PURPLE_DEFAULT_PLUGINS, NULL};
	gint ipc_fd = -1;
	gboolean verbose = FALSE;
	gboolean verbose_purple = FALSE;
	g_auto(GStrv) plugins = NULL;
	g_autofree gchar *sandbox = NULL;
	g_autofree gchar *user_dir = NULL;
	PgPurpleSandboxMode sandbox_mode = PG_PURPLE_SANDBOX_BEST_EFFORT;
	gint sandbox_abi = 0;
	gboolean started;
	const GOptionEntry entries[] = {
	    {"ipc-fd", 0, 0, G_OPTION_ARG_INT, &ipc_fd, "The daemon's socket", "FD"},
	    {"plugin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &plugins,
	     "A libpurple plugin to load (repeat; * = every installed one; default: IRC and TLS)",
	     "FILE"},
	    {"sandbox", 0, 0, G_OPTION_ARG_STRING, &sandbox,
	     "Landlock sandbox: required, best-effort (default) or off", "MODE"},
	    {"user-dir", 0, 0, G_OPTION_ARG_FILENAME, &user_dir,
	     "libpurple's user dir: an empty 0700 dir (default: a fresh one)", "DIR"},
	    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log debug messages", NULL},
	    {"verbose-purple", 0, 0, G_OPTION_ARG_NONE, &verbose_purple,
	     "Log libpurple's debug output too (message bodies included)", NULL},
	    {NULL},
	};
	g_autoptr(GOptionContext) context = g_option_context_new(NULL);
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) sanitizer_files = pg_purple_main_sanitizer_files();
	PgPurpleWorker *worker;

	pg_purple_main_harden();
	g_option_context_set_summary(context, "The libpurple worker of polygate; started by "
					      "polygate, not by hand.");
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("%s\n", error->message);
		return EXIT_FAILURE;
	}
	if (ipc_fd < 0) {
		g_printerr("--ipc-fd is required\n");
		return EXIT_FAILURE;
	}
	if (sandbox != NULL && !pg_purple_sandbox_mode_from_string(sandbox, &sandbox_mode)) {
		g_printerr("--sandbox: '%s' is not required, best-effort or off\n", sandbox);
		return EXIT_FAILURE;
	}
	pg_log_setup(verbose || verbose_purple ? G_LOG_LEVEL_DEBUG : G_LOG_LEVEL_MESSAGE);

	worker = pg_purple_worker_get();
	worker->loop = g_main_loop_new(NULL, FALSE);
	worker->channel = pg_ipc_channel_new(ipc_fd, PG_IPC_ROLE_WORKER, &error);
	if (worker->channel == NULL) {
		g_printerr("%s\n", error->message);
		return EXIT_FAILURE;
	}
	g_signal_connect(worker->channel, "message", G_CALLBACK(pg_purple_main_message_cb), NULL);
	g_signal_connect(worker->channel, "closed", G_CALLBACK(pg_purple_main_closed_cb), NULL);

	/* The sandbox goes on once libpurple is up (plugins loaded, user dir
	 * made) and before the first command is read: no credential and no
	 * byte to a legacy server comes before it. */
	started = pg_purple_ui_init(
	    plugins != NULL ? (const gchar *const *)plugins : default_plugins, user_dir,
	    verbose_purple, &error);
	/* it lists the CA directories, which the sandbox then hides */
	if (started)
		pg_purple_capool_init();
	if (!started ||
	    !pg_purple_sandbox_apply(sandbox_mode, pg_purple_ui_get_user_dir(),
				     (const gchar *const *)sanitizer_files, &sandbox_abi,
				     &error)) {
		g_warning("cannot start: %s", error->message);
		pg_purple_worker_emit_error(NULL, 0, error);
		pg_ipc_channel_flush(worker->channel, PG_PURPLE_FLUSH_TIMEOUT_MS, NULL);
		pg_purple_ui_shutdown();
		return EXIT_FAILURE;
	}
	pg_purple_events_connect();
	pg_purple_buddies_connect();
	pg_purple_icons_connect();
	pg_purple_numerics_connect();
	pg_purple_admin_connect();
	pg_purple_bans_connect();
	pg_purple_receipts_connect();
	pg_purple_watch_connect();
	pg_purple_state_init();
	pg_purple_pin_init();
	pg_purple_lines_connect();
	pg_purple_ident_connect();
	pg_purple_roomlist_init();
	pg_purple_worker_emit(pg_purple_worker_message_new(
	    PG_IPC_HELLO, 0, "version", g_variant_new_uint32(PG_IPC_PROTOCOL_VERSION), "program",
	    g_variant_new_string("polygate-purple"), NULL));
	g_unix_signal_add(SIGTERM, pg_purple_main_signal_cb, NULL);
	g_unix_signal_add(SIGINT, pg_purple_main_signal_cb, NULL);
	g_info("ready");
	g_main_loop_run(worker->loop);

	pg_purple_commands_logout_all("worker shutting down");
	pg_purple_roomlist_uninit();
	pg_purple_pin_shutdown();
	pg_purple_lines_disconnect();
	pg_purple_ident_disconnect();
	pg_purple_state_shutdown();
	pg_purple_admin_disconnect();
	pg_purple_bans_disconnect();
	pg_purple_receipts_disconnect();
	pg_purple_watch_disconnect();
	pg_purple_numerics_disconnect();
	pg_purple_icons_disconnect();
	pg_purple_buddies_disconnect();
	pg_purple_events_disconnect();
	pg_purple_capool_shutdown();
	pg_purple_ui_shutdown();
	if (pg_ipc_channel_is_open(worker->channel) &&
	    !pg_ipc_channel_flush(worker->channel, PG_PURPLE_FLUSH_TIMEOUT_MS, &error))
		g_debug("last events lost: %s", error->message);
	g_clear_object(&worker->channel);
	g_clear_pointer(&worker->loop, g_main_loop_unref);
	g_clear_pointer(&worker->accounts, g_hash_table_unref);
	g_clear_pointer(&worker->by_account, g_hash_table_unref);
	return worker->exit_code;
}
