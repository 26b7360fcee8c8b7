/* XEP-0184 message delivery receipts across the gateway (pg-receipts.c).
 * Private to src/session/. */
#pragma once

#include "session/pg-session-private.h"

G_BEGIN_DECLS

#define PG_NS_RECEIPTS "urn:xmpp:receipts"
/* Receipts a link waits for at once, each way; past it the oldest is
 * forgotten (its receipt, should it come, is dropped). */
#define PG_RECEIPTS_MAX 256

typedef struct _PgReceipts PgReceipts;

void pg_receipts_free(PgReceipts *self);

/* The user's @message (with @body) to @who on @link: the "receipt" number
 * for its send-im, or 0 when it asks for no receipt, has no id, or the
 * network cannot give one. */
guint32 pg_receipts_on_user_message(PgLink *link, xmpp_stanza_t *message, const gchar *who);
/* The user's body-less @message to @who: TRUE if it was a receipt (XEP-0184
 * §4 <received/>), then handed on to the worker if it confirms a message
 * of @who's that asked for one. */
gboolean pg_receipts_on_user_receipt(PgLink *link, xmpp_stanza_t *message, const gchar *who);
/* Worker events: @message (a contact's, to the user) carries the receipt
 * request of im-received @msg, if any; receipt: the buddy's client
 * confirmed one of the user's messages. */
void pg_receipts_on_im(PgLink *link, const PgIpcMessage *msg, xmpp_stanza_t *message);
void pg_receipts_on_event(PgLink *link, const PgIpcMessage *msg);

G_END_DECLS
