/* Config loading and validation.
 *
 * DESIGN: every accepted key is listed in one table per group kind; loading
 * walks the file once, collects every problem (not only the first), and
 * fails with all of them.  The component secret is read into a PgSecret and
 * never logged.  A config file holding an inline secret must not be
 * world-readable; a secret_file must not be readable by group or others.
 * The same goes for the Kannel password and token of an sms transport
 * (kannel_password / kannel_password_file, kannel_token / kannel_token_file)
 * and for a [webirc NAME] group's password (password / password_file).
 *
 * This file reads [polygate], [xmpp] and [http] and walks the groups; each
 * other group kind has its own file: [transport NAME] pg-config-transport.c,
 * [bridge NAME] pg-config-bridge.c, [webirc NAME] pg-config-ident.c.
 */
#include "config.h"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include "core/pg-config.h"
#include "core/pg-config-loader.h"
#include "core/pg-config-bridge-private.h"
#include "core/pg-config-ident-private.h"
#include "core/pg-config-transport-private.h"
#include "core/pg-error.h"
#include "core/pg-log.h"

static const gchar *const pg_config_polygate_keys[] = {
    "database", "history_database", "key_file", "log_level", "admins", "worker", "users_per_worker",
    "max_concurrent_logins", "max_links", "worker_sandbox", NULL};
static const gchar *const pg_config_xmpp_keys[] = {"host", "port", "probe_timeout", NULL};
static const gchar *const pg_config_http_keys[] = {
    "listen", "port", "max_connections", "idle_timeout", "request_timeout", "max_body", NULL};

#define PG_CONFIG_DEFAULT_HTTP_LISTEN	     "127.0.0.1"
#define PG_CONFIG_DEFAULT_HTTP_PORT	     8088
/* [http] limits: Kannel's smsbox keeps a few connections per URL and
 * delivers bursts over them; 64 leaves room for bursts and a scraper while
 * bounding what idle sockets can hold (file descriptors, libsoup state). */
#define PG_CONFIG_DEFAULT_HTTP_MAX_CONNECTIONS 64
#define PG_CONFIG_DEFAULT_HTTP_IDLE_TIMEOUT    30 /* seconds */
#define PG_CONFIG_DEFAULT_HTTP_REQUEST_TIMEOUT 10 /* seconds */
/* A concatenated SMS of 255 parts is under 40 KB even as UCS-2 */
#define PG_CONFIG_DEFAULT_HTTP_MAX_BODY	       (64 * 1024)
#define PG_CONFIG_DEFAULT_PROBE_TIMEOUT      45 /* [xmpp] probe_timeout, seconds */
#define PG_CONFIG_DEFAULT_MAX_LINKS	     1000

void
pg_config_free(PgConfig *config)
{
	if (config == NULL)
		return;
	g_free(config->path);
	g_free(config->database);
	g_free(config->history_database);
	g_free(config->key_file);
	pg_ident_config_free(config->ident);
	g_strfreev(config->admins);
	g_free(config->worker_path);
	g_free(config->worker_sandbox);
	g_free(config->xmpp_host);
	g_free(config->http_listen);
	if (config->transports != NULL)
		g_ptr_array_unref(config->transports);
	if (config->bridges != NULL)
		g_ptr_array_unref(config->bridges);
	g_free(config);
}

gboolean
pg_config_is_admin(const PgConfig *config, const gchar *bare_jid)
{
	return config->admins != NULL && g_strv_contains((const gchar *const *)config->admins, bare_jid);
}

static void
pg_config_load_polygate(PgConfigLoader *loader, PgConfig *config)
{
	const gchar *group = "polygate";
	g_autofree gchar *database = NULL;
	g_autofree gchar *key_file = NULL;
	g_autofree gchar *log_level = NULL;
	g_autofree gchar *worker = NULL;
	g_autofree gchar *sandbox = NULL;

	if (!g_key_file_has_group(loader->keyfile, group)) {
		pg_config_problem(loader, group, NULL, "missing group");
		return;
	}
	/* and the identd keys pg-config-ident.c reads */
	pg_config_check_keys(loader, group, pg_config_polygate_keys, pg_config_ident_is_polygate_key);
	database = pg_config_get_string(loader, group, "database", TRUE);
	if (database != NULL)
		config->database = pg_config_resolve_path(loader, database);
	{
		g_autofree gchar *history = pg_config_get_string(loader, group, "history_database",
								 FALSE);
		if (history != NULL)
			config->history_database = pg_config_resolve_path(loader, history);
		else if (config->database != NULL)
			config->history_database = g_strconcat(config->database, ".history", NULL);
	}
	key_file = pg_config_get_string(loader, group, "key_file", TRUE);
	if (key_file != NULL)
		config->key_file = pg_config_resolve_path(loader, key_file);
	log_level = pg_config_get_string(loader, group, "log_level", FALSE);
	if (log_level != NULL && !pg_log_level_parse(log_level, &config->log_level))
		pg_config_problem(loader, group, "log_level",
				  "'%s' is not one of debug, info, message, warning, error",
				  log_level);
	worker = pg_config_get_string(loader, group, "worker", FALSE);
	if (worker != NULL)
		config->worker_path = pg_config_resolve_path(loader, worker);
	config->users_per_worker =
	    pg_config_get_uint(loader, group, "users_per_worker", 1, 10000, 1);
	config->max_concurrent_logins =
	    pg_config_get_uint(loader, group, "max_concurrent_logins", 1, 10000, 10);
	config->max_links = pg_config_get_uint(loader, group, "max_links", 0, 1000000,
					       PG_CONFIG_DEFAULT_MAX_LINKS);
	sandbox = pg_config_get_string(loader, group, "worker_sandbox", FALSE);
	if (sandbox != NULL && g_strcmp0(sandbox, "required") != 0 &&
	    g_strcmp0(sandbox, "best-effort") != 0 && g_strcmp0(sandbox, "off") != 0)
		pg_config_problem(loader, group, "worker_sandbox",
				  "'%s' is not one of required, best-effort, off", sandbox);
	else if (sandbox != NULL) {
		g_free(config->worker_sandbox);
		config->worker_sandbox = g_steal_pointer(&sandbox);
	}
	if (g_key_file_has_key(loader->keyfile, group, "admins", NULL)) {
		g_auto(GStrv) admins =
		    g_key_file_get_string_list(loader->keyfile, group, "admins", NULL, NULL);
		for (guint i = 0; admins != NULL && admins[i] != NULL; i++) {
			g_strstrip(admins[i]);
			if (!pg_config_is_valid_bare_jid(admins[i]))
				pg_config_problem(loader, group, "admins",
						  "'%s' is not a bare JID (user@domain)", admins[i]);
		}
		config->admins = g_steal_pointer(&admins);
	}
}

static void
pg_config_load_xmpp(PgConfigLoader *loader, PgConfig *config)
{
	const gchar *group = "xmpp";
	g_autofree gchar *host = NULL;
	g_autoptr(GError) error = NULL;

	config->xmpp_host = g_strdup("127.0.0.1");
	config->xmpp_port = 5347;
	config->probe_timeout = PG_CONFIG_DEFAULT_PROBE_TIMEOUT;
	if (!g_key_file_has_group(loader->keyfile, group))
		return;
	pg_config_check_keys(loader, group, pg_config_xmpp_keys, NULL);
	host = pg_config_get_string(loader, group, "host", FALSE);
	if (host != NULL) {
		g_free(config->xmpp_host);
		config->xmpp_host = g_steal_pointer(&host);
	}
	if (g_key_file_has_key(loader->keyfile, group, "port", NULL)) {
		gint64 port = g_key_file_get_int64(loader->keyfile, group, "port", &error);
		if (error != NULL || port < 1 || port > 65535)
			pg_config_problem(loader, group, "port",
					  "must be a TCP port number from 1 to 65535");
		else
			config->xmpp_port = (guint16)port;
	}
	config->probe_timeout = pg_config_get_uint(loader, group, "probe_timeout", 1, 3600,
						   PG_CONFIG_DEFAULT_PROBE_TIMEOUT);
}

static void
pg_config_load_http(PgConfigLoader *loader, PgConfig *config)
{
	const gchar *group = "http";
	g_autofree gchar *listen = NULL;

	config->http_listen = g_strdup(PG_CONFIG_DEFAULT_HTTP_LISTEN);
	config->http_port = PG_CONFIG_DEFAULT_HTTP_PORT;
	config->http_max_connections = PG_CONFIG_DEFAULT_HTTP_MAX_CONNECTIONS;
	config->http_idle_timeout = PG_CONFIG_DEFAULT_HTTP_IDLE_TIMEOUT;
	config->http_request_timeout = PG_CONFIG_DEFAULT_HTTP_REQUEST_TIMEOUT;
	config->http_max_body = PG_CONFIG_DEFAULT_HTTP_MAX_BODY;
	if (!g_key_file_has_group(loader->keyfile, group))
		return;
	pg_config_check_keys(loader, group, pg_config_http_keys, NULL);
	listen = pg_config_get_string(loader, group, "listen", FALSE);
	if (listen != NULL && !pg_config_is_ip_address(listen)) {
		/* a host name could resolve to anything, and to a public address */
		pg_config_problem(loader, group, "listen",
				  "'%s' is not an IPv4 or IPv6 address (e.g. 127.0.0.1 or ::1)",
				  listen);
	} else if (listen != NULL) {
		g_free(config->http_listen);
		config->http_listen = g_steal_pointer(&listen);
	}
	config->http_port = (guint16)pg_config_get_uint(loader, group, "port", 0, 65535,
							 PG_CONFIG_DEFAULT_HTTP_PORT);
	config->http_max_connections =
	    pg_config_get_uint(loader, group, "max_connections", 1, 65536,
			       PG_CONFIG_DEFAULT_HTTP_MAX_CONNECTIONS);
	config->http_idle_timeout = pg_config_get_uint(loader, group, "idle_timeout", 1, 3600,
						       PG_CONFIG_DEFAULT_HTTP_IDLE_TIMEOUT);
	config->http_request_timeout =
	    pg_config_get_uint(loader, group, "request_timeout", 1, 3600,
			       PG_CONFIG_DEFAULT_HTTP_REQUEST_TIMEOUT);
	/* at least what one concatenated UCS-2 SMS needs; at most 16 MiB */
	config->http_max_body = pg_config_get_uint(loader, group, "max_body", 4096,
						   16 * 1024 * 1024,
						   PG_CONFIG_DEFAULT_HTTP_MAX_BODY);
}

/* pg-config-bridge.c checks each bridge against the transports. */
void
pg_config_check_bridges(PgConfigLoader *loader, const PgConfig *config, GPtrArray *bridges)
{
	g_autoptr(GHashTable) types = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) servers = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < config->transports->len; i++) {
		PgTransportConfig *transport = g_ptr_array_index(config->transports, i);
		g_hash_table_insert(types, transport->name,
				    (gpointer)pg_transport_type_to_string(transport->type));
		if (transport->irc_server != NULL)
			g_hash_table_insert(servers, transport->name, transport->irc_server);
	}
	pg_config_bridge_check(loader, bridges, types, servers);
}

static void
pg_config_check_file_mode(PgConfigLoader *loader)
{
	struct stat st;
	if (stat(loader->path, &st) == 0 && (st.st_mode & S_IROTH) != 0)
		pg_config_problem(loader, NULL, NULL,
				  "holds a secret inline (secret, kannel_password, kannel_token or a "
				  "[webirc NAME] password) but is world-readable (mode %04o); run: "
				  "chmod o-rwx %s, or use secret_file, kannel_password_file, "
				  "kannel_token_file or password_file",
				  (guint)(st.st_mode & 07777), loader->path);
}

PgConfig *
pg_config_load_from_data(const gchar *data, const gchar *path, GError **error)
{
	g_autoptr(GKeyFile) keyfile = g_key_file_new();
	g_autoptr(GError) parse_error = NULL;
	g_autoptr(PgConfig) config = g_new0(PgConfig, 1);
	g_autoptr(GString) problems = g_string_new(NULL);
	g_auto(GStrv) groups = NULL;
	g_autofree gchar *dir = g_path_get_dirname(path);
	gboolean inline_secret = FALSE;
	PgConfigLoader loader = {
	    .keyfile = keyfile, .path = path, .dir = dir, .problems = problems};

	config->path = g_strdup(path);
	config->log_level = G_LOG_LEVEL_MESSAGE;
	config->users_per_worker = 1;
	config->max_concurrent_logins = 10;
	config->max_links = PG_CONFIG_DEFAULT_MAX_LINKS;
	config->worker_sandbox = g_strdup("best-effort");
	config->transports = g_ptr_array_new_with_free_func((GDestroyNotify)pg_transport_config_free);
	config->bridges = g_ptr_array_new_with_free_func((GDestroyNotify)pg_bridge_config_free);
	config->ident = g_new0(PgIdentConfig, 1);
	config->ident->webirc = g_ptr_array_new_with_free_func((GDestroyNotify)pg_webirc_config_free);

	if (!g_key_file_load_from_data(keyfile, data, (gsize)-1, G_KEY_FILE_NONE, &parse_error)) {
		g_set_error(error, PG_ERROR, PG_ERROR_CONFIG, "%s: %s", path, parse_error->message);
		return NULL;
	}
	pg_config_load_polygate(&loader, config);
	pg_config_ident_load_polygate(&loader, config->ident, config->key_file);
	pg_config_load_xmpp(&loader, config);
	pg_config_load_http(&loader, config);

	groups = g_key_file_get_groups(keyfile, NULL);
	for (guint i = 0; groups[i] != NULL; i++) {
		if (g_strcmp0(groups[i], "polygate") == 0 || g_strcmp0(groups[i], "xmpp") == 0 ||
		    g_strcmp0(groups[i], "http") == 0)
			continue;
		if (g_str_has_prefix(groups[i], PG_CONFIG_BRIDGE_PREFIX)) {
			g_ptr_array_add(config->bridges, pg_config_bridge_load(&loader, groups[i]));
			continue;
		}
		if (g_str_has_prefix(groups[i], PG_CONFIG_WEBIRC_PREFIX)) {
			pg_config_ident_load_webirc(&loader, config->ident, groups[i],
						    &inline_secret);
			continue;
		}
		if (!g_str_has_prefix(groups[i], PG_CONFIG_TRANSPORT_PREFIX)) {
			pg_config_problem(&loader, groups[i], NULL,
					  "unknown group (expected [polygate], [xmpp], [http], "
					  "[transport NAME], [bridge NAME] or [webirc NAME])");
			continue;
		}
		g_ptr_array_add(config->transports,
				pg_config_transport_load(&loader, groups[i], &inline_secret));
	}
	if (config->transports->len == 0)
		pg_config_problem(&loader, NULL, NULL, "no [transport NAME] group: nothing to serve");

	pg_config_transport_check(&loader, config);
	pg_config_check_bridges(&loader, config, config->bridges);
	pg_config_ident_check(&loader, config->ident);
	if (inline_secret)
		pg_config_check_file_mode(&loader);

	if (problems->len > 0) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_CONFIG, problems->str);
		return NULL;
	}
	return g_steal_pointer(&config);
}

PgConfig *
pg_config_load(const gchar *path, GError **error)
{
	gchar *data = NULL;
	gsize len = 0;
	g_autoptr(GError) read_error = NULL;
	PgConfig *config;

	if (!g_file_get_contents(path, &data, &len, &read_error)) {
		g_set_error(error, PG_ERROR, PG_ERROR_CONFIG, "%s", read_error->message);
		return NULL;
	}
	config = pg_config_load_from_data(data, path, error);
	/* the file may hold a component secret */
	OPENSSL_cleanse(data, len);
	g_free(data);
	return config;
}
