/* Accounts made, reconnected and dropped (pg-purple-login.c). */
#pragma once

#include "ipc/pg-ipc-message.h"
#include "pg-purple-worker.h"

G_BEGIN_DECLS

/* The login command: a new account from @msg's protocol, username,
 * password, options and pins, or a disconnected one reconnected with fresh
 * credentials.  FALSE with @error (PG_ERROR) when refused. */
gboolean pg_purple_login(const PgIpcMessage *msg, GError **error);
/* Disconnect, report (login-state disconnected, for @request, with
 * @reason), forget and free @entry and its PurpleAccount. */
void pg_purple_login_drop(PgPurpleAccount *entry, guint32 request, const gchar *reason);

G_END_DECLS
