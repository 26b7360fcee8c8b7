/* history* keys of a transport group; see pg-config-history.h. */
#include "config.h"

#define G_LOG_DOMAIN "pg-core"

#include <string.h>

#include "core/pg-config-loader.h"
#include "core/pg-config-history.h"

#define PG_HISTORY_DEFAULT_MAX_MESSAGES 10000
#define PG_HISTORY_DEFAULT_JOIN		20 /* as Prosody's and biboumi's default */
#define PG_HISTORY_DEFAULT_JOIN_MAX	200
#define PG_HISTORY_LIMIT_MAX		10000000

static const gchar *const pg_config_history_keys[] = {
    "history",		"history_max_messages", "history_max_days",	"history_servers",
    "history_channels", "history_join_default", "history_join_max", "history_persistent",
    NULL};

gboolean
pg_config_history_is_key(const gchar *key)
{
	return g_strv_contains(pg_config_history_keys, key);
}

void
pg_history_config_free(PgHistoryConfig *config)
{
	if (config == NULL)
		return;
	g_hash_table_unref(config->servers);
	g_hash_table_unref(config->channels);
	g_free(config);
}

static guint
pg_config_history_uint(GKeyFile *keyfile, const gchar *group, const gchar *key, guint max,
		       guint fallback, GPtrArray *problems)
{
	g_autoptr(GError) error = NULL;
	gint64 value;

	if (!g_key_file_has_key(keyfile, group, key, NULL))
		return fallback;
	value = g_key_file_get_int64(keyfile, group, key, &error);
	if (error != NULL || value < 0 || value > max) {
		pg_config_key_problem(problems, key, "must be a whole number from 0 to %u",
					  max);
		return fallback;
	}
	return (guint)value;
}

static gboolean
pg_config_history_bool(GKeyFile *keyfile, const gchar *group, const gchar *key,
		       gboolean fallback, GPtrArray *problems)
{
	g_autoptr(GError) error = NULL;
	gboolean value;

	if (!g_key_file_has_key(keyfile, group, key, NULL))
		return fallback;
	value = g_key_file_get_boolean(keyfile, group, key, &error);
	if (error != NULL) {
		pg_config_key_problem(problems, key, "must be true or false");
		return fallback;
	}
	return value;
}

/* "name=N; name=N" into @table (lower-case name -> N + 1). */
static void
pg_config_history_limits(GKeyFile *keyfile, const gchar *group, const gchar *key,
			 GHashTable *table, gboolean channels, GPtrArray *problems)
{
	g_auto(GStrv) entries = NULL;

	if (!g_key_file_has_key(keyfile, group, key, NULL))
		return;
	entries = g_key_file_get_string_list(keyfile, group, key, NULL, NULL);
	for (guint i = 0; entries != NULL && entries[i] != NULL; i++) {
		gchar *entry = g_strstrip(entries[i]);
		gchar *equals = strrchr(entry, '=');
		guint64 limit = 0;

		if (entry[0] == '\0')
			continue;
		if (equals == NULL || equals == entry ||
		    !g_ascii_string_to_unsigned(g_strstrip(equals + 1), 10, 0,
						PG_HISTORY_LIMIT_MAX, &limit, NULL)) {
			pg_config_key_problem(problems, key,
						  "'%s' is not NAME=COUNT (COUNT from 0 to %u)",
						  entry, PG_HISTORY_LIMIT_MAX);
			continue;
		}
		*equals = '\0';
		g_strstrip(entry);
		if (channels && entry[0] != '#' && entry[0] != '&') {
			pg_config_key_problem(problems, key,
						  "'%s' is not a channel (#chan or #chan%%server)",
						  entry);
			continue;
		}
		g_hash_table_insert(table, g_utf8_strdown(entry, -1),
				    GUINT_TO_POINTER((guint)limit + 1));
	}
}

PgHistoryConfig *
pg_config_history_parse(GKeyFile *keyfile, const gchar *group, GPtrArray *problems)
{
	PgHistoryConfig *config = g_new0(PgHistoryConfig, 1);

	config->servers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	config->channels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	config->enabled = pg_config_history_bool(keyfile, group, "history", TRUE, problems);
	config->max_messages =
	    pg_config_history_uint(keyfile, group, "history_max_messages", PG_HISTORY_LIMIT_MAX,
				   PG_HISTORY_DEFAULT_MAX_MESSAGES, problems);
	config->max_days =
	    pg_config_history_uint(keyfile, group, "history_max_days", 36500, 0, problems);
	config->join_max = pg_config_history_uint(keyfile, group, "history_join_max", 100000,
						  PG_HISTORY_DEFAULT_JOIN_MAX, problems);
	config->join_default =
	    pg_config_history_uint(keyfile, group, "history_join_default", 100000,
				   MIN(PG_HISTORY_DEFAULT_JOIN, config->join_max), problems);
	if (config->join_default > config->join_max)
		pg_config_key_problem(problems, "history_join_default",
					  "is more than history_join_max (%u)", config->join_max);
	config->persistent =
	    pg_config_history_bool(keyfile, group, "history_persistent", TRUE, problems);
	pg_config_history_limits(keyfile, group, "history_servers", config->servers, FALSE,
				 problems);
	pg_config_history_limits(keyfile, group, "history_channels", config->channels, TRUE,
				 problems);
	return config;
}

gboolean
pg_history_config_keep(const PgHistoryConfig *config, const gchar *server, const gchar *name,
		       const gchar *fixed_server, guint *keep)
{
	g_autofree gchar *channel = g_utf8_strdown(name, -1);
	g_autofree gchar *host = g_ascii_strdown(server != NULL ? server : "", -1);
	g_autofree gchar *full = g_strdup_printf("%s%%%s", channel, host);
	gpointer limit = NULL;

	*keep = config->max_messages;
	if (!config->enabled)
		return FALSE;
	limit = g_hash_table_lookup(config->channels, full);
	if (limit == NULL && fixed_server != NULL && g_ascii_strcasecmp(fixed_server, host) == 0)
		limit = g_hash_table_lookup(config->channels, channel);
	if (limit == NULL)
		limit = g_hash_table_lookup(config->servers, host);
	if (limit != NULL)
		*keep = GPOINTER_TO_UINT(limit) - 1;
	/* a limit of 0 in a list: nothing stored there */
	return limit == NULL || *keep > 0;
}
