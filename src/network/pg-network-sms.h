/* The SMS network driver (the prpl-polygate-sms plugin, through Kannel).
 *
 * A contact is an E.164 number: +15551234567@sms.example.org; anything
 * else is jid-malformed.  The registration takes the user's own number,
 * which routes inbound texts to them, so it belongs to one user.  Texts go
 * through the durable outbox (PG_NETWORK_OUTBOX: session/pg-sms.h).
 */
#pragma once

#include "network/pg-network.h"

G_BEGIN_DECLS

/* The E.164 number of a contact JID on an SMS @transport.  SMS contacts
 * have no resources.  Returns: (transfer full) or NULL with
 * PG_ERROR_JID_MALFORMED, or PG_ERROR_ITEM_NOT_FOUND for a resource. */
gchar *pg_network_sms_parse(const PgTransportConfig *transport, const PgJid *jid, GError **error);

G_END_DECLS
