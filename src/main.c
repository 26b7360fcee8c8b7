/* polygate: options, signals and the main loop; nothing else.
 *
 *   polygate --config FILE               run the gateway in the foreground
 *   polygate --check-config --config F   validate the config and exit
 *   polygate rekey --config FILE         re-seal every secret under a new key
 *   polygate bridge import|export|status the bridge tools (src/bridge/pg-bridge-cli.c)
 */
#define G_LOG_DOMAIN "polygate"

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "bridge/pg-bridge-cli.h"
#include "bridge/pg-bridge.h"
#include "core/pg-config.h"
#include "core/pg-error.h"
#include "core/pg-log.h"
#include "registry/pg-registry.h"
#include "registry/pg-registry-lock.h"
#include "registry/pg-vault.h"
#include "session/pg-identd.h"
#include "session/pg-protocol-probe.h"
#include "session/pg-session-manager.h"
#include "xmpp/pg-transport.h"

#define PG_MAIN_DEFAULT_CONFIG "/etc/polygate/polygate.conf"
#define PG_MAIN_SHUTDOWN_FLUSH_MS 2000


/* Before anything is read: the registry key and every unsealed secret pass
 * through this process's memory, so no core dump and no ptrace or
 * /proc/PID/mem by another process of our uid (issue 8, item 10; the
 * worker does the same in backends/purple/main.c). */
static void
pg_main_harden(void)
{
	struct rlimit no_core = {0, 0};

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		g_printerr("polygate: cannot make the process non-dumpable: %s\n",
			   g_strerror(errno));
	setrlimit(RLIMIT_CORE, &no_core);
}

static gboolean
pg_main_quit_cb(gpointer user_data)
{
	GMainLoop *loop = user_data;
	g_message("shutting down");
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

static int
pg_main_rekey(const PgConfig *config)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgRegistryLock) lock = NULL;
	g_autoptr(PgVault) vault = NULL;
	g_autoptr(PgRegistry) registry = NULL;
	guint old_key_id;
	guint resealed = 0;

	/* a running gateway keeps the keys it read at start: re-sealing under
	 * it would leave it unable to unseal (pg-registry-lock.h) */
	lock = pg_registry_lock_acquire(config->database, "rekey", &error);
	if (lock == NULL) {
		if (g_error_matches(error, PG_ERROR, PG_ERROR_CONFLICT))
			g_printerr("polygate rekey: refused, nothing was changed: %s.\n"
				   "Stop the running gateway first, then run rekey again.\n",
				   error->message);
		else
			g_printerr("polygate rekey: %s\n", error->message);
		return EXIT_FAILURE;
	}
	vault = pg_vault_open(config->key_file, &error);
	if (vault == NULL) {
		g_printerr("%s\n", error->message);
		return EXIT_FAILURE;
	}
	registry = pg_registry_open(config->database, vault, &error);
	if (registry == NULL) {
		g_printerr("%s\n", error->message);
		return EXIT_FAILURE;
	}
	old_key_id = pg_vault_get_current_key_id(vault);
	g_print("re-sealing every secret in %s under a new key...\n", config->database);
	if (!pg_registry_rekey(registry, &resealed, &error)) {
		g_printerr("rekey failed, nothing lost (the old key stays in %s): %s\n",
			   config->key_file, error->message);
		return EXIT_FAILURE;
	}
	g_print("re-sealed %u account(s): key %u replaced by key %u in %s\n", resealed,
		old_key_id, pg_vault_get_current_key_id(vault), config->key_file);
	return EXIT_SUCCESS;
}

/* The worker binary: the config's, else the one beside us in a build tree,
 * else the installed one. */
static gchar *
pg_main_worker_path(const PgConfig *config)
{
	g_autofree gchar *self = NULL;
	g_autofree gchar *dir = NULL;
	g_autofree gchar *built = NULL;

	if (config->worker_path != NULL)
		return g_strdup(config->worker_path);
	self = g_file_read_link("/proc/self/exe", NULL);
	if (self != NULL) {
		dir = g_path_get_dirname(self);
		built = g_build_filename(dir, "..", "backends", "purple", "polygate-purple", NULL);
		if (g_file_test(built, G_FILE_TEST_IS_EXECUTABLE))
			return g_steal_pointer(&built);
	}
	return g_build_filename(PG_LIBEXECDIR, "polygate-purple", NULL);
}

/* What the installed plugins declare, for the protocols @config uses
 * (pg-protocol-probe.h).  Returns: (transfer full) or NULL with @error. */
static GHashTable *
pg_main_read_plugins(const PgConfig *config, const gchar *worker_path, GError **error)
{
	g_auto(GStrv) protocols = pg_protocol_probe_configured(config);

	return pg_protocol_probe_run(worker_path, config->worker_sandbox,
				     (const gchar *const *)protocols, PG_PROTOCOL_PROBE_TIMEOUT_MS,
				     error);
}

/* --check-config, second half: the config against the installed plugins. */
static int
pg_main_check_plugins(const PgConfig *config)
{
	g_autofree gchar *worker_path = pg_main_worker_path(config);
	g_auto(GStrv) protocols = pg_protocol_probe_configured(config);
	g_autoptr(GHashTable) found = NULL;
	g_autoptr(GPtrArray) lines = NULL;
	g_autoptr(GError) error = NULL;

	gboolean purple = FALSE;

	/* only purple transports name a plugin and options to check */
	for (guint i = 0; i < config->transports->len; i++)
		purple |= pg_transport_config_get_purple_protocol(
			      g_ptr_array_index(config->transports, i)) != NULL;
	if (!purple)
		return EXIT_SUCCESS;
	found = pg_main_read_plugins(config, worker_path, &error);
	if (found == NULL) {
		/* the config itself is fine; the check needs an installed worker */
		g_printerr("%s: warning: purple_protocol and option keys not checked: %s\n",
			   config->path, error->message);
		return EXIT_SUCCESS;
	}
	lines = pg_protocol_probe_check_config(config, found);
	for (guint i = 0; i < lines->len; i++)
		g_printerr("%s\n", (const gchar *)g_ptr_array_index(lines, i));
	return lines->len == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int
pg_main_run(const PgConfig *config)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgVault) vault = NULL;
	g_autoptr(PgRegistry) registry = NULL;
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	g_autoptr(GPtrArray) transports =
	    g_ptr_array_new_with_free_func((GDestroyNotify)pg_transport_free);
	g_autoptr(PgIdent) ident = NULL;
	g_autoptr(PgIdentd) identd = NULL;
	g_autoptr(PgSessionManager) sessions = NULL;
	g_autoptr(PgBridges) bridges = NULL;
	g_autofree gchar *worker_path = pg_main_worker_path(config);
	g_autoptr(PgRegistryLock) lock = NULL;
	g_autoptr(GHashTable) protocols = NULL;
	g_autoptr(GPtrArray) problems = NULL;

	/* held until we exit: no rekey and no second gateway meanwhile */
	lock = pg_registry_lock_acquire(config->database, "the gateway", &error);
	if (lock == NULL) {
		g_printerr("polygate: cannot start: %s\n", error->message);
		return EXIT_FAILURE;
	}
	vault = pg_vault_open(config->key_file, &error);
	if (vault == NULL) {
		g_printerr("%s\n", error->message);
		return EXIT_FAILURE;
	}
	registry = pg_registry_open(config->database, vault, &error);
	if (registry == NULL) {
		g_printerr("%s\n", error->message);
		return EXIT_FAILURE;
	}

	/* before any transport runs: their forms and workers need it */
	protocols = pg_main_read_plugins(config, worker_path, &error);
	if (protocols == NULL) {
		g_warning("%s; purple transports offer a plain username and password form",
			  error->message);
		g_clear_error(&error);
	} else {
		problems = pg_protocol_probe_check_config(config, protocols);
		for (guint i = 0; i < problems->len; i++)
			g_warning("%s", (const gchar *)g_ptr_array_index(problems, i));
	}
	/* identd and WEBIRC (session/pg-ident.h): freed after the workers */
	if (config->ident->key_file != NULL) {
		ident = pg_ident_new(config->ident, &error);
		if (ident == NULL) {
			g_printerr("%s\n", error->message);
			return EXIT_FAILURE;
		}
	}
	if (config->ident->identd_address != NULL) {
		identd = pg_identd_new(ident, config->ident->identd_address,
				       config->ident->identd_port, &error);
		if (identd == NULL) {
			g_printerr("%s\n", error->message);
			return EXIT_FAILURE;
		}
	}
	xmpp_initialize();
	sessions = pg_session_manager_new(config, worker_path);
	pg_session_manager_set_ident(sessions, ident);
	pg_session_manager_set_protocols(sessions, protocols);
	bridges = pg_bridges_new(config, worker_path);
	pg_bridges_set_vault(bridges, vault);
	pg_bridges_set_ident(bridges, ident);
	pg_bridges_set_protocols(bridges, protocols);
	for (guint i = 0; i < config->transports->len; i++) {
		PgTransportConfig *transport_config = g_ptr_array_index(config->transports, i);
		const gchar *protocol = pg_transport_config_get_purple_protocol(transport_config);
		PgTransport *transport;

		/* the generic libpurple driver's form and logins (pg-config.h) */
		if (protocols != NULL && protocol != NULL)
			transport_config->protocol_info = g_hash_table_lookup(protocols, protocol);
		transport = pg_transport_new(config, transport_config, registry);
		g_ptr_array_add(transports, transport);
		pg_session_manager_add_transport(sessions, transport);
		pg_bridges_add_transport(bridges, transport);
		pg_transport_start(transport);
	}
	g_info("worker: %s", worker_path);
	if (!pg_session_manager_start(sessions, &error) || !pg_bridges_start(bridges, &error)) {
		g_printerr("%s\n", error->message);
		g_clear_pointer(&bridges, pg_bridges_free);
		g_clear_pointer(&sessions, pg_session_manager_free);
		g_ptr_array_set_size(transports, 0);
		xmpp_shutdown();
		return EXIT_FAILURE;
	}
	g_unix_signal_add(SIGTERM, pg_main_quit_cb, loop);
	g_unix_signal_add(SIGINT, pg_main_quit_cb, loop);
	g_message("ready: %u transport(s), %u bridge(s), XMPP server %s:%u", transports->len,
		  pg_bridges_get_n_bridges(bridges), config->xmpp_host, config->xmpp_port);
	g_main_loop_run(loop);

	/* log every session out (workers stop), then flush what is queued and
	 * close each stream cleanly */
	g_clear_pointer(&bridges, pg_bridges_free);
	g_clear_pointer(&sessions, pg_session_manager_free);
	for (guint i = 0; i < transports->len; i++)
		pg_transport_stop(g_ptr_array_index(transports, i), PG_MAIN_SHUTDOWN_FLUSH_MS);
	g_ptr_array_set_size(transports, 0);
	xmpp_shutdown();
	g_message("stopped");
	return EXIT_SUCCESS;
}

int
main(int argc, char **argv)
{
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(PgConfig) config = NULL;
	g_autofree gchar *config_path = NULL;
	gboolean check_config = FALSE;
	gboolean version = FALSE;
	gboolean verbose = FALSE;
	gboolean rekey = FALSE;
	const GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
	     "Configuration file (default " PG_MAIN_DEFAULT_CONFIG ")", "FILE"},
	    {"check-config", 0, 0, G_OPTION_ARG_NONE, &check_config,
	     "Validate the configuration, report every problem, and exit", NULL},
	    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log at debug level", NULL},
	    {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL},
	    {NULL},
	};

	pg_main_harden();
	setlocale(LC_ALL, "");
	/* its own options (--bridge, --format...): parsed there */
	if (argc >= 2 && g_strcmp0(argv[1], "bridge") == 0)
		return pg_bridge_cli_main(argc - 1, argv + 1);
	context = g_option_context_new("[rekey|bridge ...]");
	g_option_context_set_summary(
	    context, "Polygate, an XMPP transport gateway: one XEP-0114 component per\n"
		     "configured transport lets XMPP users reach IRC, SMS and libpurple networks.");
	g_option_context_set_description(
	    context, "Commands:\n"
		     "  (none)   run the gateway in the foreground until SIGTERM/SIGINT\n"
		     "  rekey    re-seal every stored secret under a new key, then drop the old\n"
		     "           key from the key file (refused while the gateway runs)\n"
		     "  bridge   import old channel logs, export them, show each bridge's\n"
		     "           state (polygate bridge --help)\n\n"
		     "See conf/polygate.conf.example for every configuration key.\n");
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("polygate: %s (try --help)\n", error->message);
		return EXIT_FAILURE;
	}
	if (version) {
		g_print("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return EXIT_SUCCESS;
	}
	if (argc > 2 || (argc == 2 && g_strcmp0(argv[1], "rekey") != 0)) {
		g_printerr("polygate: unknown command '%s' (try --help)\n", argv[argc - 1]);
		return EXIT_FAILURE;
	}
	rekey = argc == 2;
	if (config_path == NULL)
		config_path = g_strdup(PG_MAIN_DEFAULT_CONFIG);

	config = pg_config_load(config_path, &error);
	if (config == NULL) {
		g_printerr("%s\n", error->message);
		return EXIT_FAILURE;
	}
	if (check_config) {
		if (pg_main_check_plugins(config) != EXIT_SUCCESS)
			return EXIT_FAILURE;
		g_print("%s: OK, %u transport(s), %u bridge(s)\n", config_path,
			config->transports->len, config->bridges->len);
		return EXIT_SUCCESS;
	}
	pg_log_setup(verbose ? G_LOG_LEVEL_DEBUG : config->log_level);
	umask(077);
	if (rekey)
		return pg_main_rekey(config);
	return pg_main_run(config);
}
