/* pg-config-bridge.c's part in loading (private to src/core/). */
#pragma once

#include "core/pg-config-bridge.h"
#include "core/pg-config.h"
#include "core/pg-config-loader.h"

G_BEGIN_DECLS

/* One [bridge NAME] group; problems go to @loader.  Returns: (transfer full) */
PgBridgeConfig *pg_config_bridge_load(PgConfigLoader *loader, const gchar *group);
/* The checks that need every group read: the transport each of @bridges
 * names (@transport_types: NAME -> "irc", "sms"...), no two bridges on one
 * room; a bridge without a server takes its transport's (@irc_servers:
 * NAME -> irc_server, for the irc transports that have one). */
void pg_config_bridge_check(PgConfigLoader *loader, GPtrArray *bridges,
			    GHashTable *transport_types, GHashTable *irc_servers);
/* pg-config.c: pg_config_bridge_check() of @bridges against @config's
 * transports. */
void pg_config_check_bridges(PgConfigLoader *loader, const PgConfig *config, GPtrArray *bridges);

G_END_DECLS
