/* XEP-0184 receipts through prpl-jabber (pg-purple-receipts.c). */
#pragma once

#include <purple.h>

#include "ipc/pg-ipc-message.h"

G_BEGIN_DECLS

/* Receipts one account waits for at once, each way; past it the oldest is
 * forgotten. */
#define PG_PURPLE_RECEIPTS_MAX 256

/* Whether the worker carries receipts for the plugin @protocol. */
gboolean pg_purple_receipts_supported(const gchar *protocol);
void pg_purple_receipts_connect(void);
void pg_purple_receipts_disconnect(void);
/* Around the send of send-im @msg on @account: its message asks the
 * buddy's client for a receipt, if @msg carries a number. */
void pg_purple_receipts_arm(PurpleAccount *account, const PgIpcMessage *msg);
void pg_purple_receipts_disarm(void);
/* The receipt command: the user's client got message "receipt" of the
 * buddy "to": answer the buddy's client. */
gboolean pg_purple_receipts_answer(const PgIpcMessage *msg, GError **error);

G_END_DECLS
