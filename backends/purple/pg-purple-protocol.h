/* protocol-info: what a loaded protocol plugin declares, for the daemon's
 * registration forms and its plugin lookup (pg-ipc-message.h). */
#pragma once

#include <glib.h>

#include "ipc/pg-ipc-message.h"

G_BEGIN_DECLS

/* Answer the protocol-info command @msg with a protocol-info event, or FALSE
 * with PG_ERROR_ITEM_NOT_FOUND if no loaded plugin has its id. */
gboolean pg_purple_protocol_info(const PgIpcMessage *msg, GError **error);

G_END_DECLS
