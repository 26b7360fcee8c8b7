/* libpurple as a headless UI for polygate-purple.
 *
 * DESIGN: libpurple wants a UI: an event loop, a user dir, a debug sink,
 * DNS, prompts.  This file is that UI, on GLib, with these guarantees:
 * - User dir: the empty 0700 dir the daemon made for this worker
 *   (--user-dir; the daemon removes it once the worker is gone, since a
 *   sandboxed worker cannot remove an entry of its parent), else a fresh
 *   0700 dir under $XDG_RUNTIME_DIR (else the tmp dir); its contents are
 *   removed on exit.  libpurple writes prefs.xml, status.xml and blist.xml
 *   there, but never accounts.xml (PG_PURPLE_UI_ACCOUNTS_BLOCK below), and
 *   accounts are created with remember_password FALSE: no file holds a
 *   password or an account setting (tests/worker checks every file).
 *   Logging (HTML logs of every chat) is off from before log init.
 * - Plugins: purple_core_init() probes, i.e. dlopen()s, every plugin in the
 *   compiled-in plugin dir (LIBDIR), and the XMPP prpl alone drags in
 *   GStreamer: ~89 MB RSS against ~10 MB with IRC only (measured with
 *   libpurple 2.14.12 on Debian 12, before any account exists).  The
 *   probe walks purple_plugins_get_search_paths(), whose list libpurple
 *   hands out by reference.  Before core init we add our own dir (symlinks to
 *   exactly the wanted plugins) as the first entry; purple_plugins_init()
 *   then appends LIBDIR, and the first thing the probe does, before it opens
 *   LIBDIR, is log "probing <first file of our dir>" through our debug
 *   UiOps.  There we point every other search path entry at our dir too,
 *   so LIBDIR is never opened.  Public API only, no privileges, no mount
 *   namespace; pg_purple_ui_check_plugins() verifies the outcome after init
 *   and fails the start if any other plugin got in.  Symlinks (not copies)
 *   keep one inode, so all workers share the plugin pages.
 * - DNS: resolve_host on GResolver, so libpurple never forks resolver
 *   children (which it would leave behind).
 * - Debug output is dropped unless --verbose-purple; then it goes to
 *   g_debug().  PURPLE_UNSAFE_DEBUG/PURPLE_VERBOSE_DEBUG are cleared by main.
 * - Prompts (request UiOps): pg-purple-request.c.
 * - Network prefs: no UPnP/NAT-PMP discovery, no auto IP, no idle reporting,
 *   no proxy from the environment.
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-purple"

#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <purple.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/pg-error.h"
#include "pg-purple-request.h"
#include "pg-purple-ui.h"
#include "pg-purple-worker.h"

/* accounts.xml would hold every setting libpurple keeps on an account, and
 * a plugin's options can be credentials (Discord's token, or any option the
 * daemon seals: src/network/pg-purple-form.c).  libpurple writes the file
 * as NAME.save and then renames it; a directory of that name stands in the
 * way, so the write fails and no setting reaches the disk.  Nothing is
 * lost: the daemon hands an account all it needs at each login. */
#define PG_PURPLE_UI_ACCOUNTS_BLOCK "accounts.xml.save"

static gchar *pg_purple_ui_user_dir;
static gboolean pg_purple_ui_user_dir_given; /* by the daemon: not ours to rmdir */
static gchar *pg_purple_ui_plugin_dir;
static gboolean pg_purple_ui_verbose;
static gboolean pg_purple_ui_core_started;

const gchar *
pg_purple_ui_get_user_dir(void)
{
	return pg_purple_ui_user_dir;
}

/* Event loop ---------------------------------------------------------------- */

typedef struct {
	PurpleInputFunction function;
	gpointer data;
	PurpleInputCondition condition;
} PgPurpleInput;

/* the fd whose callback runs now, -1 outside one (pg-purple-ui.h) */
static gint pg_purple_ui_dispatching_fd = -1;

gint
pg_purple_ui_get_dispatching_fd(void)
{
	return pg_purple_ui_dispatching_fd;
}

static gboolean
pg_purple_ui_input_cb(gint fd, GIOCondition condition, gpointer user_data)
{
	PgPurpleInput *input = user_data;
	PurpleInputCondition purple_condition = 0;
	gint outer = pg_purple_ui_dispatching_fd;

	if ((input->condition & PURPLE_INPUT_READ) &&
	    (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
		purple_condition |= PURPLE_INPUT_READ;
	if ((input->condition & PURPLE_INPUT_WRITE) &&
	    (condition & (G_IO_OUT | G_IO_HUP | G_IO_ERR | G_IO_NVAL)))
		purple_condition |= PURPLE_INPUT_WRITE;
	if (purple_condition != 0) {
		pg_purple_ui_dispatching_fd = fd;
		input->function(input->data, fd, purple_condition);
		pg_purple_ui_dispatching_fd = outer;
	}
	return G_SOURCE_CONTINUE;
}

static guint
pg_purple_ui_input_add(gint fd, PurpleInputCondition condition, PurpleInputFunction function,
		       gpointer data)
{
	PgPurpleInput *input = g_new0(PgPurpleInput, 1);
	GIOCondition watch = 0;
	GSource *source;
	guint id;

	input->function = function;
	input->data = data;
	input->condition = condition;
	if (condition & PURPLE_INPUT_READ)
		watch |= G_IO_IN | G_IO_HUP | G_IO_ERR;
	if (condition & PURPLE_INPUT_WRITE)
		watch |= G_IO_OUT | G_IO_HUP | G_IO_ERR;
	source = g_unix_fd_source_new(fd, watch);
	g_source_set_callback(source, G_SOURCE_FUNC(pg_purple_ui_input_cb), input, g_free);
	id = g_source_attach(source, NULL);
	g_source_unref(source);
	return id;
}

static PurpleEventLoopUiOps pg_purple_ui_eventloop_ops = {
    .timeout_add = g_timeout_add,
    .timeout_remove = g_source_remove,
    .input_add = pg_purple_ui_input_add,
    .input_remove = g_source_remove,
    .timeout_add_seconds = g_timeout_add_seconds,
};

/* Debug and plugin confinement --------------------------------------------- */

/* Point every plugin search path that is not ours at our dir. */
static void
pg_purple_ui_confine_search_paths(void)
{
	if (pg_purple_ui_plugin_dir == NULL)
		return;
	for (GList *l = purple_plugins_get_search_paths(); l != NULL; l = l->next) {
		if (g_strcmp0(l->data, pg_purple_ui_plugin_dir) == 0)
			continue;
		/* libpurple g_free()s these in purple_plugins_uninit() */
		g_free(l->data);
		l->data = g_strdup(pg_purple_ui_plugin_dir);
	}
}

static gboolean
pg_purple_ui_debug_is_enabled(PurpleDebugLevel level, const gchar *category)
{
	/* see DESIGN: runs before the probe opens the next search path */
	if (g_strcmp0(category, "plugins") == 0)
		pg_purple_ui_confine_search_paths();
	/* libpurple's file errors, to see a blocked accounts.xml (below) */
	return pg_purple_ui_verbose || (level >= PURPLE_DEBUG_ERROR && g_strcmp0(category, "util") == 0);
}

static void
pg_purple_ui_debug_print(PurpleDebugLevel level, const gchar *category, const gchar *text)
{
	static gboolean accounts_blocked_said;

	if (g_strcmp0(category, "plugins") == 0)
		pg_purple_ui_confine_search_paths();
	if (pg_purple_ui_verbose)
		g_debug("libpurple/%s: %s", category != NULL ? category : "-", g_strchomp((gchar *)text));
	else if (!accounts_blocked_said && g_strcmp0(category, "util") == 0 &&
		 strstr(text, PG_PURPLE_UI_ACCOUNTS_BLOCK) != NULL) {
		accounts_blocked_said = TRUE;
		g_message("libpurple was kept from saving accounts.xml: account settings stay in "
			  "memory");
	}
}

static PurpleDebugUiOps pg_purple_ui_debug_ops = {
    .print = pg_purple_ui_debug_print,
    .is_enabled = pg_purple_ui_debug_is_enabled,
};

/* DNS on GResolver ---------------------------------------------------------- */

typedef struct {
	PurpleDnsQueryData *query;
	PurpleDnsQueryResolvedCallback resolved_cb;
	PurpleDnsQueryFailedCallback failed_cb;
	GCancellable *cancellable;
} PgPurpleDnsQuery;

/* PurpleDnsQueryData* -> PgPurpleDnsQuery, for cancellation */
static GHashTable *pg_purple_ui_dns_queries;

static void
pg_purple_dns_query_free(PgPurpleDnsQuery *dns)
{
	g_clear_object(&dns->cancellable);
	g_free(dns);
}

static void
pg_purple_ui_resolved_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	PgPurpleDnsQuery *dns = user_data;
	g_autoptr(GError) error = NULL;
	GList *addresses = g_resolver_lookup_by_name_finish(G_RESOLVER(source), result, &error);
	GSList *hosts = NULL;
	gushort port;

	if (g_cancellable_is_cancelled(dns->cancellable)) {
		/* libpurple destroyed the query: it must not be touched */
		g_resolver_free_addresses(addresses);
		pg_purple_dns_query_free(dns);
		return;
	}
	g_hash_table_remove(pg_purple_ui_dns_queries, dns->query);
	if (addresses == NULL) {
		dns->failed_cb(dns->query, error != NULL ? error->message : "no address");
		pg_purple_dns_query_free(dns);
		return;
	}
	port = (gushort)purple_dnsquery_get_port(dns->query);
	/* libpurple's format: a flat list of (socklen, struct sockaddr *) pairs */
	for (GList *l = addresses; l != NULL; l = l->next) {
		g_autoptr(GSocketAddress) address = g_inet_socket_address_new(l->data, port);
		gssize size = g_socket_address_get_native_size(address);
		gpointer native;

		if (size <= 0)
			continue;
		native = g_malloc0(size);
		if (!g_socket_address_to_native(address, native, size, NULL)) {
			g_free(native);
			continue;
		}
		hosts = g_slist_append(hosts, GSIZE_TO_POINTER((gsize)size));
		hosts = g_slist_append(hosts, native);
	}
	g_resolver_free_addresses(addresses);
	dns->resolved_cb(dns->query, hosts);
	pg_purple_dns_query_free(dns);
}

/* host (lower case) -> addresses (GStrv) the daemon checked for it */
static GHashTable *pg_purple_ui_pins;

void
pg_purple_ui_pin_host(const gchar *host, const gchar *const *addresses)
{
	if (pg_purple_ui_pins == NULL || host == NULL || addresses == NULL)
		return;
	g_hash_table_replace(pg_purple_ui_pins, g_ascii_strdown(host, -1),
			     g_strdupv((gchar **)addresses));
}

/* The native socket addresses of @pinned, in libpurple's format: a flat
 * list of (socklen, struct sockaddr *) pairs. */
static GSList *
pg_purple_ui_pinned_hosts(gchar **pinned, gushort port)
{
	GSList *hosts = NULL;

	for (guint i = 0; pinned[i] != NULL; i++) {
		g_autoptr(GInetAddress) inet = g_inet_address_new_from_string(pinned[i]);
		g_autoptr(GSocketAddress) address = NULL;
		gssize size;
		gpointer native;

		if (inet == NULL)
			continue;
		address = g_inet_socket_address_new(inet, port);
		size = g_socket_address_get_native_size(address);
		if (size <= 0)
			continue;
		native = g_malloc0(size);
		if (!g_socket_address_to_native(address, native, size, NULL)) {
			g_free(native);
			continue;
		}
		hosts = g_slist_append(hosts, GSIZE_TO_POINTER((gsize)size));
		hosts = g_slist_append(hosts, native);
	}
	return hosts;
}

static gboolean
pg_purple_ui_pinned_cb(gpointer user_data)
{
	PgPurpleDnsQuery *dns = user_data;
	g_autofree gchar *host = NULL;
	gchar **pinned;

	if (g_cancellable_is_cancelled(dns->cancellable)) {
		/* libpurple destroyed the query: it must not be touched */
		pg_purple_dns_query_free(dns);
		return G_SOURCE_REMOVE;
	}
	g_hash_table_remove(pg_purple_ui_dns_queries, dns->query);
	host = g_ascii_strdown(purple_dnsquery_get_host(dns->query), -1);
	pinned = g_hash_table_lookup(pg_purple_ui_pins, host);
	if (pinned == NULL)
		dns->failed_cb(dns->query, "the gateway's addresses for this server are gone");
	else
		dns->resolved_cb(dns->query,
				 pg_purple_ui_pinned_hosts(
				     pinned, (gushort)purple_dnsquery_get_port(dns->query)));
	pg_purple_dns_query_free(dns);
	return G_SOURCE_REMOVE;
}

/* A pinned host resolves to its pinned addresses and only to those: the
 * daemon resolved the name and checked every address against the
 * operator's policy (src/session/pg-irc-gate.h), and a second lookup here
 * could get another answer (DNS rebinding).  Answered from an idle
 * callback, as a resolver would, so libpurple never sees its query
 * finish inside the call that started it. */
static gboolean
pg_purple_ui_resolve_pinned(PurpleDnsQueryData *query, PurpleDnsQueryResolvedCallback resolved_cb,
			    PurpleDnsQueryFailedCallback failed_cb)
{
	g_autofree gchar *host = g_ascii_strdown(purple_dnsquery_get_host(query), -1);
	PgPurpleDnsQuery *dns;

	if (!g_hash_table_contains(pg_purple_ui_pins, host))
		return FALSE;
	dns = g_new0(PgPurpleDnsQuery, 1);
	dns->query = query;
	dns->resolved_cb = resolved_cb;
	dns->failed_cb = failed_cb;
	dns->cancellable = g_cancellable_new();
	g_hash_table_insert(pg_purple_ui_dns_queries, query, dns);
	g_idle_add(pg_purple_ui_pinned_cb, dns);
	return TRUE;
}

static gboolean
pg_purple_ui_resolve_host(PurpleDnsQueryData *query, PurpleDnsQueryResolvedCallback resolved_cb,
			  PurpleDnsQueryFailedCallback failed_cb)
{
	g_autoptr(GResolver) resolver = NULL;
	PgPurpleDnsQuery *dns;

	if (pg_purple_ui_resolve_pinned(query, resolved_cb, failed_cb))
		return TRUE;
	resolver = g_resolver_get_default();
	dns = g_new0(PgPurpleDnsQuery, 1);

	dns->query = query;
	dns->resolved_cb = resolved_cb;
	dns->failed_cb = failed_cb;
	dns->cancellable = g_cancellable_new();
	g_hash_table_insert(pg_purple_ui_dns_queries, query, dns);
	g_resolver_lookup_by_name_async(resolver, purple_dnsquery_get_host(query),
					dns->cancellable, pg_purple_ui_resolved_cb, dns);
	return TRUE;
}

static void
pg_purple_ui_dns_destroy(PurpleDnsQueryData *query)
{
	PgPurpleDnsQuery *dns = g_hash_table_lookup(pg_purple_ui_dns_queries, query);

	if (dns == NULL)
		return;
	g_hash_table_remove(pg_purple_ui_dns_queries, query);
	/* the pending callback sees the cancellation and frees @dns */
	g_cancellable_cancel(dns->cancellable);
}

static PurpleDnsQueryUiOps pg_purple_ui_dns_ops = {
    .resolve_host = pg_purple_ui_resolve_host,
    .destroy = pg_purple_ui_dns_destroy,
};

/* Core ---------------------------------------------------------------------- */

static void
pg_purple_ui_set_prefs(void)
{
	/* Set before the subsystems add their defaults (which never override).
	 * Chat logs are on by default: 4.3 MB of HTML for 200 joins. */
	purple_prefs_add_none("/purple/logging");
	purple_prefs_set_bool("/purple/logging/log_ims", FALSE);
	purple_prefs_set_bool("/purple/logging/log_chats", FALSE);
	purple_prefs_set_bool("/purple/logging/log_system", FALSE);
	purple_prefs_add_none("/purple/network");
	purple_prefs_set_bool("/purple/network/map_ports", FALSE);
	purple_prefs_set_bool("/purple/network/auto_ip", FALSE);
	purple_prefs_add_none("/purple/away");
	purple_prefs_set_string("/purple/away/idle_reporting", "none");
	purple_prefs_add_none("/purple/proxy");
	purple_prefs_set_string("/purple/proxy/type", "none");
}

static PurpleCoreUiOps pg_purple_ui_core_ops = {
    .ui_prefs_init = pg_purple_ui_set_prefs,
};

/* The dirs libpurple itself probes: its compiled-in one, and the one
 * Debian's libpurple adds for plugins packaged without the multiarch
 * triplet (pidgin-sipe and purple-rocketchat install there).  A bare
 * --plugin name is looked up in this order. */
static const gchar *const pg_purple_ui_system_plugin_dirs[] = {PG_PURPLE_PLUGINDIR,
							       "/usr/lib/purple-2"};

static gboolean
pg_purple_ui_link_plugin(const gchar *target, GError **error)
{
	g_autofree gchar *basename = g_path_get_basename(target);
	g_autofree gchar *link = g_build_filename(pg_purple_ui_plugin_dir, basename, NULL);

	if (!g_file_test(target, G_FILE_TEST_IS_REGULAR)) {
		g_set_error(error, PG_ERROR, PG_ERROR_CONFIG, "plugin %s not found", target);
		return FALSE;
	}
	/* a name twice (--plugin=* and an explicit path, or both system
	 * dirs): the first one stays, as in libpurple's own probe */
	if (g_file_test(link, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK))
		return TRUE;
	if (symlink(target, link) != 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot link %s: %s", link,
			    g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

/* libpurple's script loaders (Perl and Tcl scripts as plugins): loading one
 * starts its interpreter, and Tcl's starts its notifier thread, inside
 * purple_core_init(), before the sandbox: Landlock confines only the
 * thread that applies it and those started later, so that thread would run
 * unconfined (pg-purple-sandbox.c).  No protocol plugin is a script. */
static const gchar *const pg_purple_ui_script_loaders[] = {"perl.so", "tcl.so", NULL};

/* --plugin=*: every plugin file of the system dirs but the script loaders,
 * for the daemon's one-off probe of what is installed (pg-purple-protocol.c). */
static gboolean
pg_purple_ui_link_all_plugins(GError **error)
{
	for (guint i = 0; i < G_N_ELEMENTS(pg_purple_ui_system_plugin_dirs); i++) {
		g_autoptr(GDir) dir = g_dir_open(pg_purple_ui_system_plugin_dirs[i], 0, NULL);
		const gchar *name;

		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *target = NULL;

			if (!g_str_has_suffix(name, "." G_MODULE_SUFFIX) ||
			    g_strv_contains(pg_purple_ui_script_loaders, name))
				continue;
			target = g_build_filename(pg_purple_ui_system_plugin_dirs[i], name, NULL);
			if (g_file_test(target, G_FILE_TEST_IS_REGULAR) &&
			    !pg_purple_ui_link_plugin(target, error))
				return FALSE;
		}
	}
	return TRUE;
}

static gchar *
pg_purple_ui_find_plugin(const gchar *name)
{
	if (g_path_is_absolute(name))
		return g_strdup(name);
	for (guint i = 0; i < G_N_ELEMENTS(pg_purple_ui_system_plugin_dirs); i++) {
		g_autofree gchar *path =
		    g_build_filename(pg_purple_ui_system_plugin_dirs[i], name, NULL);
		if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
			return g_steal_pointer(&path);
	}
	return g_build_filename(PG_PURPLE_PLUGINDIR, name, NULL);
}

static gboolean
pg_purple_ui_link_plugins(const gchar *const *plugins, GError **error)
{
	if (g_mkdir(pg_purple_ui_plugin_dir, 0700) != 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot create %s: %s",
			    pg_purple_ui_plugin_dir, g_strerror(errno));
		return FALSE;
	}
	for (guint i = 0; plugins[i] != NULL; i++) {
		g_autofree gchar *target = NULL;

		if (g_strcmp0(plugins[i], "*") == 0) {
			if (!pg_purple_ui_link_all_plugins(error))
				return FALSE;
			continue;
		}
		target = pg_purple_ui_find_plugin(plugins[i]);
		if (!pg_purple_ui_link_plugin(target, error))
			return FALSE;
	}
	return TRUE;
}

/* Fail loudly if the confinement did not hold (e.g. a libpurple that
 * probes differently): better no worker than 80 MB ones. */
static gboolean
pg_purple_ui_check_plugins(GError **error)
{
	for (GList *l = purple_plugins_get_all(); l != NULL; l = l->next) {
		PurplePlugin *plugin = l->data;
		g_autofree gchar *dir = NULL;

		if (plugin->path == NULL)
			continue;
		dir = g_path_get_dirname(plugin->path);
		if (g_strcmp0(dir, pg_purple_ui_plugin_dir) != 0) {
			g_set_error(error, PG_ERROR, PG_ERROR_INTERNAL_SERVER_ERROR,
				    "plugin %s was loaded from outside %s", plugin->path,
				    pg_purple_ui_plugin_dir);
			return FALSE;
		}
		/* Never unmapped, even by purple_core_quit(): what a plugin
		 * allocates stays reachable from its own globals and, for leak
		 * checkers (LSan, valgrind), attributed to it by name instead of
		 * to an "unknown module".  The process exits right after anyway. */
		if (plugin->handle != NULL)
			g_module_make_resident(plugin->handle);
	}
	return TRUE;
}

/* The daemon's dir: a real directory (not a link), ours, 0700, empty. */
static gchar *
pg_purple_ui_check_user_dir(const gchar *path, GError **error)
{
	GStatBuf st;
	g_autoptr(GDir) dir = NULL;

	if (!g_path_is_absolute(path) || g_lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != getuid() || (st.st_mode & 0077) != 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_CONFIG,
			    "%s is not an absolute path to a 0700 directory of ours", path);
		return NULL;
	}
	dir = g_dir_open(path, 0, error);
	if (dir == NULL)
		return NULL;
	if (g_dir_read_name(dir) != NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_CONFIG, "%s is not empty", path);
		return NULL;
	}
	return g_strdup(path);
}

static gchar *
pg_purple_ui_make_user_dir(const gchar *given, GError **error)
{
	const gchar *runtime = g_getenv("XDG_RUNTIME_DIR");
	g_autofree gchar *template = NULL;

	if (given != NULL) {
		pg_purple_ui_user_dir_given = TRUE;
		return pg_purple_ui_check_user_dir(given, error);
	}

	if (runtime != NULL && g_path_is_absolute(runtime) &&
	    g_file_test(runtime, G_FILE_TEST_IS_DIR)) {
		template = g_build_filename(runtime, "polygate-purple-XXXXXX", NULL);
		if (g_mkdtemp_full(template, 0700) != NULL)
			return g_steal_pointer(&template);
		g_debug("cannot use %s: %s", runtime, g_strerror(errno));
	}
	return g_dir_make_tmp("polygate-purple-XXXXXX", error);
}

gboolean
pg_purple_ui_init(const gchar *const *plugins, const gchar *user_dir, gboolean verbose,
		  GError **error)
{
	pg_purple_ui_verbose = verbose;
	pg_purple_ui_dns_queries = g_hash_table_new(g_direct_hash, g_direct_equal);
	pg_purple_ui_pins =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_strfreev);
	pg_purple_ui_user_dir = pg_purple_ui_make_user_dir(user_dir, error);
	if (pg_purple_ui_user_dir == NULL) {
		g_prefix_error(error, "cannot create the libpurple user dir: ");
		return FALSE;
	}
	pg_purple_ui_plugin_dir = g_build_filename(pg_purple_ui_user_dir, "plugins", NULL);
	if (!pg_purple_ui_link_plugins(plugins, error))
		return FALSE;

	{
		g_autofree gchar *block =
		    g_build_filename(pg_purple_ui_user_dir, PG_PURPLE_UI_ACCOUNTS_BLOCK, NULL);
		if (g_mkdir(block, 0700) != 0) {
			g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot create %s: %s", block,
				    g_strerror(errno));
			return FALSE;
		}
	}
	purple_util_set_user_dir(pg_purple_ui_user_dir);
	purple_debug_set_enabled(FALSE);
	purple_debug_set_ui_ops(&pg_purple_ui_debug_ops);
	purple_core_set_ui_ops(&pg_purple_ui_core_ops);
	purple_eventloop_set_ui_ops(&pg_purple_ui_eventloop_ops);
	purple_dnsquery_set_ui_ops(&pg_purple_ui_dns_ops);
	pg_purple_request_init();
	/* our dir first: see DESIGN */
	purple_plugins_add_search_path(pg_purple_ui_plugin_dir);

	if (!purple_core_init(PG_PURPLE_UI_ID)) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_INTERNAL_SERVER_ERROR,
				    "purple_core_init() failed");
		return FALSE;
	}
	pg_purple_ui_core_started = TRUE;
	pg_purple_ui_confine_search_paths();
	if (!pg_purple_ui_check_plugins(error))
		return FALSE;
	purple_set_blist(purple_blist_new());
	/* again, in case a subsystem reset them */
	purple_prefs_set_bool("/purple/logging/log_ims", FALSE);
	purple_prefs_set_bool("/purple/logging/log_chats", FALSE);
	purple_prefs_set_bool("/purple/logging/log_system", FALSE);
	return TRUE;
}

/* rm -r that never follows a symlink (our plugin links point at /usr);
 * with @keep_top, only what is inside @path. */
static void
pg_purple_ui_remove_tree(const gchar *path, gboolean keep_top)
{
	GStatBuf st;

	if (g_lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
		const gchar *name;

		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);
			pg_purple_ui_remove_tree(child, FALSE);
		}
		if (!keep_top && g_rmdir(path) != 0)
			g_warning("cannot remove %s: %s", path, g_strerror(errno));
	} else if (g_unlink(path) != 0) {
		g_warning("cannot remove %s: %s", path, g_strerror(errno));
	}
}

void
pg_purple_ui_shutdown(void)
{
	if (pg_purple_ui_core_started) {
		purple_core_quit();
		pg_purple_ui_core_started = FALSE;
	}
	pg_purple_request_shutdown();
	if (pg_purple_ui_user_dir != NULL) {
		pg_purple_ui_remove_tree(pg_purple_ui_user_dir, pg_purple_ui_user_dir_given);
		g_clear_pointer(&pg_purple_ui_user_dir, g_free);
	}
	g_clear_pointer(&pg_purple_ui_plugin_dir, g_free);
	g_clear_pointer(&pg_purple_ui_dns_queries, g_hash_table_unref);
	g_clear_pointer(&pg_purple_ui_pins, g_hash_table_unref);
}
