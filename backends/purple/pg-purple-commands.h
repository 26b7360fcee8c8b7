/* PG_IPC_CMD_* messages -> libpurple calls. */
#pragma once

#include "ipc/pg-ipc-message.h"

G_BEGIN_DECLS

/* Carry out one command from the daemon; failures become error events. */
void pg_purple_commands_dispatch(const PgIpcMessage *msg);

/* Log every account out (worker exit): passwords wiped, events sent. */
void pg_purple_commands_logout_all(const gchar *reason);

G_END_DECLS
