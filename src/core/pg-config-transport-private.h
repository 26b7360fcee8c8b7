/* pg-config-transport.c's part in loading (private to src/core/). */
#pragma once

#include "core/pg-config.h"
#include "core/pg-config-loader.h"

G_BEGIN_DECLS

#define PG_CONFIG_TRANSPORT_PREFIX "transport "

void pg_transport_config_free(PgTransportConfig *transport);
/* One [transport NAME] group; *@inline_secret set when its secret,
 * kannel_password or kannel_token is inline.  Returns: (transfer full) */
PgTransportConfig *pg_config_transport_load(PgConfigLoader *loader, const gchar *group,
					    gboolean *inline_secret);
/* After every group: no two transports with one name or JID, and each sms
 * transport's Kannel token (needed when [http] listens, never shared). */
void pg_config_transport_check(PgConfigLoader *loader, PgConfig *config);

G_END_DECLS
