/* The protocol-info event (pg-ipc-message.h) <-> PgProtocolInfo.
 *
 * The daemon reads it from a short-lived worker that loads every installed
 * plugin (src/session/pg-protocol-probe.c).  Such a worker talks to no
 * legacy network, but its plugins are third-party code: the decoder bounds
 * what it takes (counts, lengths, one-character separators, known types,
 * no setting twice) so a broken plugin cannot make the form unusable. */
#pragma once

#include <glib.h>

#include "core/pg-protocol-info.h"
#include "ipc/pg-ipc-message.h"

G_BEGIN_DECLS

/* Bounds of one plugin's declarations (the plugins Debian ships declare at
 * most 14 options, 2 splits and 3 choices per list). */
#define PG_IPC_PROTOCOL_INFO_MAX_ENTRIES 256
#define PG_IPC_PROTOCOL_INFO_MAX_TEXT 1024

/* Returns: (transfer full) the event answering request @id. */
PgIpcMessage *pg_ipc_protocol_info_to_message(const PgProtocolInfo *info, guint32 id)
    G_GNUC_WARN_UNUSED_RESULT;
/* @msg: a validated protocol-info event.
 * Returns: (transfer full) the info, or NULL with PG_ERROR_BAD_REQUEST. */
PgProtocolInfo *pg_ipc_protocol_info_from_message(const PgIpcMessage *msg, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
