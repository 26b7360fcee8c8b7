/* A room's moderation and invites on IRC.  See pg-purple-admin.c. */
#pragma once

#include <glib.h>

#include "ipc/pg-ipc-message.h"

G_BEGIN_DECLS

/* Run a command pg-purple-commands.c has no handler for (room-admin);
 * FALSE with the error to report (feature-not-implemented for others). */
gboolean
pg_purple_admin_dispatch(const PgIpcMessage *msg, GError **error);
void
pg_purple_admin_connect(void);
void
pg_purple_admin_disconnect(void);

G_END_DECLS
