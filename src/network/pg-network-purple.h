/* The generic libpurple network driver: any libpurple protocol plugin.
 * A contact is the legacy id, XEP-0106-escaped, as the local part:
 * bob\40legacy.example.net@xmpp-legacy.example.org. */
#pragma once

#include "network/pg-network.h"

G_BEGIN_DECLS

/* The legacy id (XEP-0106-unescaped local part) of a contact JID on a
 * purple @transport; contacts have no resources.  Returns: (transfer full)
 * or NULL with PG_ERROR_JID_MALFORMED or PG_ERROR_ITEM_NOT_FOUND. */
gchar *pg_network_purple_parse(const PgTransportConfig *transport, const PgJid *jid,
			       GError **error);

G_END_DECLS
