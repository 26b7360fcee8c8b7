/* identd and WEBIRC settings; see pg-config-ident.h. */
#define G_LOG_DOMAIN "pg-config"

#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "core/pg-config-ident-private.h"

static const gchar *const pg_config_ident_polygate_keys[] = {"identd_listen", "ident_key_file",
							     NULL};
static const gchar *const pg_config_webirc_keys[] = {
    "servers", "password", "password_file", "gateway", "host_suffix", "ip_prefix", NULL};

void
pg_webirc_config_free(PgWebircConfig *webirc)
{
	if (webirc == NULL)
		return;
	g_free(webirc->name);
	g_strfreev(webirc->servers);
	pg_secret_free(webirc->password);
	g_free(webirc->gateway);
	g_free(webirc->host_suffix);
	g_free(webirc);
}

void
pg_ident_config_free(PgIdentConfig *config)
{
	if (config == NULL)
		return;
	g_free(config->identd_address);
	g_free(config->key_file);
	g_clear_pointer(&config->webirc, g_ptr_array_unref);
	g_free(config);
}

const PgWebircConfig *
pg_ident_config_webirc_for(const PgIdentConfig *config, const gchar *server)
{
	g_autofree gchar *lower = NULL;

	if (config == NULL || server == NULL)
		return NULL;
	lower = g_ascii_strdown(server, -1);
	for (guint i = 0; i < config->webirc->len; i++) {
		const PgWebircConfig *webirc = g_ptr_array_index(config->webirc, i);
		for (guint j = 0; webirc->servers[j] != NULL; j++) {
			if (g_pattern_match_simple(webirc->servers[j], lower))
				return webirc;
		}
	}
	return NULL;
}

gboolean
pg_config_ident_is_polygate_key(const gchar *key)
{
	return g_strv_contains(pg_config_ident_polygate_keys, key);
}

/* "ADDRESS:PORT", an IPv6 address in brackets: "[::1]:113". */
static gboolean
pg_config_ident_parse_listen(const gchar *text, gchar **address, guint16 *port)
{
	g_autofree gchar *host = NULL;
	const gchar *colon = strrchr(text, ':');
	guint64 number = 0;
	guint8 buf[16];

	if (colon == NULL || !g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &number, NULL))
		return FALSE;
	host = g_strndup(text, (gsize)(colon - text));
	if (host[0] == '[') {
		gsize len = strlen(host);
		if (len < 3 || host[len - 1] != ']')
			return FALSE;
		host[len - 1] = '\0';
		memmove(host, host + 1, len - 1);
		if (inet_pton(AF_INET6, host, buf) != 1)
			return FALSE;
	} else if (inet_pton(AF_INET, host, buf) != 1) {
		return FALSE;
	}
	*address = g_steal_pointer(&host);
	*port = (guint16)number;
	return TRUE;
}

void
pg_config_ident_load_polygate(PgConfigLoader *loader, PgIdentConfig *config,
			      const gchar *key_file)
{
	const gchar *group = "polygate";
	g_autofree gchar *listen = pg_config_get_string(loader, group, "identd_listen", FALSE);
	g_autofree gchar *own_key = pg_config_get_string(loader, group, "ident_key_file", FALSE);

	if (listen != NULL &&
	    !pg_config_ident_parse_listen(listen, &config->identd_address, &config->identd_port))
		pg_config_problem(loader, group, "identd_listen",
				  "'%s' is not ADDRESS:PORT with an IP address "
				  "(e.g. 127.0.0.1:113 or [::1]:113)",
				  listen);
	if (own_key != NULL)
		config->key_file = pg_config_resolve_path(loader, own_key);
	else if (key_file != NULL)
		config->key_file = g_strconcat(key_file, ".ident", NULL);
}

/* One IRC word: no space, no control, not ':' first (RFC 1459 §2.3.1). */
static gboolean
pg_config_ident_is_word(const guint8 *text, gsize len)
{
	if (len == 0 || text[0] == ':')
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (text[i] <= ' ' || text[i] == 0x7f)
			return FALSE;
	}
	return TRUE;
}

static gboolean
pg_config_ident_is_hostname(const gchar *text)
{
	gsize len = strlen(text);

	if (len == 0 || len > PG_CONFIG_WEBIRC_SUFFIX_MAX || text[0] == '.' || text[0] == '-' ||
	    text[len - 1] == '.' || strstr(text, "..") != NULL)
		return FALSE;
	for (const gchar *p = text; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.')
			return FALSE;
	}
	return TRUE;
}

static gboolean
pg_config_ident_parse_prefix(const gchar *text, PgWebircConfig *webirc)
{
	g_autofree gchar *address = NULL;
	const gchar *slash = strchr(text, '/');
	guint64 bits = 0;

	if (slash == NULL || !g_ascii_string_to_unsigned(slash + 1, 10, 16, 120, &bits, NULL))
		return FALSE;
	address = g_strndup(text, (gsize)(slash - text));
	if (inet_pton(AF_INET6, address, webirc->prefix) != 1)
		return FALSE;
	for (guint i = (guint)bits; i < 128; i++)
		webirc->prefix[i / 8] &= (guint8) ~(0x80u >> (i % 8));
	webirc->prefix_len = (guint)bits;
	webirc->has_prefix = TRUE;
	return TRUE;
}

void
pg_config_ident_load_webirc(PgConfigLoader *loader, PgIdentConfig *config, const gchar *group,
			    gboolean *inline_secret)
{
	g_autoptr(PgWebircConfig) webirc = g_new0(PgWebircConfig, 1);
	g_auto(GStrv) keys = g_key_file_get_keys(loader->keyfile, group, NULL, NULL);
	g_auto(GStrv) servers = NULL;
	g_autofree gchar *prefix = NULL;
	g_autoptr(GPtrArray) patterns = g_ptr_array_new_with_free_func(g_free);

	webirc->name = g_strdup(group + strlen(PG_CONFIG_WEBIRC_PREFIX));
	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		if (!g_strv_contains(pg_config_webirc_keys, keys[i]))
			pg_config_problem(loader, group, keys[i], "unknown key");
	}
	servers = g_key_file_get_string_list(loader->keyfile, group, "servers", NULL, NULL);
	for (guint i = 0; servers != NULL && servers[i] != NULL; i++) {
		g_strstrip(servers[i]);
		if (servers[i][0] == '\0')
			continue;
		if (!pg_config_is_valid_domain(servers[i]) && strchr(servers[i], '*') == NULL)
			pg_config_problem(loader, group, "servers", "'%s' is not a server name",
					  servers[i]);
		g_ptr_array_add(patterns, g_ascii_strdown(servers[i], -1));
	}
	if (patterns->len == 0)
		pg_config_problem(loader, group, "servers",
				  "missing: the IRC servers (names or patterns) it is for");
	g_ptr_array_add(patterns, NULL);
	webirc->servers = (gchar **)g_ptr_array_free(g_steal_pointer(&patterns), FALSE);

	webirc->password =
	    pg_config_get_secret(loader, group, "password", "password_file",
				 "password or password_file", inline_secret);
	/* it becomes one word of the WEBIRC line: never log it, even here */
	if (webirc->password != NULL &&
	    (webirc->password->len > PG_CONFIG_WEBIRC_PASSWORD_MAX ||
	     !pg_config_ident_is_word(webirc->password->data, webirc->password->len)))
		pg_config_problem(loader, group, "password",
				  "must be one word of at most %d bytes: no space or control "
				  "character, not starting with ':'",
				  PG_CONFIG_WEBIRC_PASSWORD_MAX);

	webirc->gateway = pg_config_get_string(loader, group, "gateway", FALSE);
	if (webirc->gateway == NULL)
		webirc->gateway = g_strdup("polygate");
	else if (strlen(webirc->gateway) > 64 ||
		 !pg_config_ident_is_word((const guint8 *)webirc->gateway,
					  strlen(webirc->gateway)))
		pg_config_problem(loader, group, "gateway",
				  "'%s' is not one word of at most 64 bytes", webirc->gateway);

	webirc->host_suffix = pg_config_get_string(loader, group, "host_suffix", TRUE);
	if (webirc->host_suffix == NULL &&
	    !g_key_file_has_key(loader->keyfile, group, "host_suffix", NULL))
		pg_config_problem(loader, group, "host_suffix",
				  "missing: the domain under which each user gets a host "
				  "(e.g. users.irc.example.org)");
	else if (webirc->host_suffix != NULL && !pg_config_ident_is_hostname(webirc->host_suffix))
		pg_config_problem(loader, group, "host_suffix",
				  "'%s' is not a host name of at most %d bytes (letters, digits, "
				  "'-' and '.')",
				  webirc->host_suffix, PG_CONFIG_WEBIRC_SUFFIX_MAX);

	prefix = pg_config_get_string(loader, group, "ip_prefix", FALSE);
	if (prefix != NULL && !pg_config_ident_parse_prefix(prefix, webirc))
		pg_config_problem(loader, group, "ip_prefix",
				  "'%s' is not an IPv6 prefix of 16 to 120 bits "
				  "(e.g. fd12:3456:789a::/48)",
				  prefix);
	g_ptr_array_add(config->webirc, g_steal_pointer(&webirc));
}

void
pg_config_ident_check(PgConfigLoader *loader, PgIdentConfig *config)
{
	for (guint i = 0; i < config->webirc->len; i++) {
		const PgWebircConfig *a = g_ptr_array_index(config->webirc, i);
		for (guint j = i + 1; j < config->webirc->len; j++) {
			const PgWebircConfig *b = g_ptr_array_index(config->webirc, j);
			for (guint k = 0; a->servers[k] != NULL; k++) {
				if (g_strv_contains((const gchar *const *)b->servers,
						    a->servers[k]))
					pg_config_problem(loader, NULL, NULL,
							  "[webirc %s] and [webirc %s] both name "
							  "server %s",
							  a->name, b->name, a->servers[k]);
			}
		}
	}
	if (config->identd_address == NULL && config->webirc->len == 0)
		g_clear_pointer(&config->key_file, g_free);
}
