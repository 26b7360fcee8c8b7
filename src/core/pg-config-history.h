/* The operator's say over room history, in a [transport NAME] group:
 *
 *   history = true                   store what the rooms say (default true)
 *   history_max_messages = 10000     kept per room and user (0: no count limit)
 *   history_max_days = 0             kept so many days (0: no age limit)
 *   history_servers = irc.example.net=2000; 192.0.2.7=0
 *                                    per server, instead of history_max_messages
 *                                    (0 there: nothing is stored for it)
 *   history_channels = #big%irc.example.net=500; #quiet=0
 *                                    per channel (#chan alone: on the fixed
 *                                    irc_server), before the server's limit
 *   history_join_default = 20        messages a join gets when it asks nothing
 *                                    (XEP-0045 §7.2.15)
 *   history_join_max = 200           the most a join gets, whatever it asks
 *   history_persistent = true        users may keep a room joined while offline
 *
 * Parsed here so that pg-config.c only hands the keys over.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	gboolean enabled;
	guint max_messages;
	guint max_days;
	guint join_default;
	guint join_max;
	gboolean persistent;
	GHashTable *servers;  /* lower-case server -> GUINT_TO_POINTER(limit + 1) */
	GHashTable *channels; /* lower-case "#chan%server" or "#chan" -> limit + 1 */
} PgHistoryConfig;

/* TRUE for the keys above. */
gboolean pg_config_history_is_key(const gchar *key);
/* Reads them from @group; problems are added to @problems as "KEY: text".
 * Returns: (transfer full) never NULL (defaults where a key is wrong). */
PgHistoryConfig *pg_config_history_parse(GKeyFile *keyfile, const gchar *group,
					 GPtrArray *problems);
void pg_history_config_free(PgHistoryConfig *config);
/* Whether room @name on @server is archived (@fixed_server: the
 * transport's irc_server, or NULL), and *@keep how many messages it keeps
 * (0: no count limit). */
gboolean pg_history_config_keep(const PgHistoryConfig *config, const gchar *server,
				const gchar *name, const gchar *fixed_server, guint *keep);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgHistoryConfig, pg_history_config_free)

G_END_DECLS
