/* Bridges made by an admin's XEP-0050 command (issue 11 §1), read and
 * checked by the same code as a [bridge NAME] group of the config file
 * (pg-config-bridge.c), so a form takes exactly what the file takes.
 *
 * The command's form has a field per key of the group (pg-config-bridge.h)
 * plus "name"; its submission becomes the group's text, which the bridge
 * store keeps (src/bridge/pg-bridge-store.h) and which is read again at
 * each start, against the config of that start.
 */
#pragma once

#include <glib.h>

#include "core/pg-config.h"

G_BEGIN_DECLS

/* The form's field of the bridge's NAME. */
#define PG_CONFIG_BRIDGE_FORM_NAME "name"
/* The create form's text-private field: the bridge's SASL password, which
 * never goes into the group's text (the caller seals it: bridge/pg-bridges.c) */
#define PG_CONFIG_BRIDGE_FORM_SASL_PASSWORD "sasl_password"

/* The [bridge NAME] group's text of a submitted form: @values (field var ->
 * value) hold "name" and the group's keys, an empty field being an absent
 * key; @transport is the NAME of the transport the command came through.
 * Returns: (transfer full) the text, or NULL with PG_ERROR_BAD_REQUEST
 * whose message names the field ("FIELD: text"). */
gchar *pg_config_bridge_form_to_data(GHashTable *values, const gchar *transport,
				     GError **error);

/* The bridge of @data (a text of pg_config_bridge_form_to_data()), read and
 * checked as pg_config_load() reads and checks a [bridge NAME] group of the
 * file: against @config's transports, and for its name and room against
 * @config's bridges and @others (element-type PgBridgeConfig: the bridges
 * made by command before it).
 * Returns: (transfer full) the bridge, or NULL with PG_ERROR_CONFLICT when
 * its name is taken (a group of the config file wins), else
 * PG_ERROR_BAD_REQUEST with each problem as "FIELD: text", one a line. */
PgBridgeConfig *pg_config_bridge_form_parse(const PgConfig *config, const gchar *data,
					    GPtrArray *others, GError **error);

G_END_DECLS
