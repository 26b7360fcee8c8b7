/* What a plugin keeps across logins, sealed with the account: see
 * pg-account-state.c. */
#pragma once

#include <glib.h>

#include "ipc/pg-ipc-message.h"
#include "registry/pg-account.h"
#include "session/pg-session-private.h"

G_BEGIN_DECLS

/* Bounds on what one account may keep. */
#define PG_ACCOUNT_STATE_MAX_ITEMS 32
#define PG_ACCOUNT_STATE_MAX_KEY 200
#define PG_ACCOUNT_STATE_MAX_VALUE (64 * 1024)

/* The account-state event of @link's worker: keep (or drop) one item. */
void pg_account_state_on_event(PgLink *link, const PgIpcMessage *msg);
/* @login (transfer full), a login command, with @account's state added.
 * Returns: (transfer full) */
PgIpcMessage *pg_account_state_attach(PgIpcMessage *login, const PgAccount *account);
/* TRUE if @key may name an item (printable ASCII, bounded, no "..").  */
gboolean pg_account_state_key_is_valid(const gchar *key);

G_END_DECLS
