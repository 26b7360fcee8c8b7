/* What a legacy contact says it can do: XEP-0030 disco#info on its JID and
 * XEP-0115 entity capabilities on its presence (pg-contact-caps.c).
 * Private to src/session/. */
#pragma once

#include "session/pg-session-private.h"

G_BEGIN_DECLS

#define PG_NS_CAPS "http://jabber.org/protocol/caps"
/* XEP-0115 §4: "a URI that uniquely identifies a software application" */
#define PG_CONTACT_CAPS_NODE "https://polygate.invalid/contact"

/* The XEP-0115 §5.1 verification string of @transport's contacts (the
 * base64 SHA-1 over their identity and features).  Returns: (transfer full) */
gchar *pg_contact_caps_ver(PgTransport *transport);
/* Append XEP-0115 §4's <c hash node ver/> to the available @presence of a
 * contact of @transport. */
void pg_contact_caps_add(PgTransport *transport, xmpp_stanza_t *presence);
/* The answer to the disco#info get @iq to a contact of @transport: its
 * identity and features, with or without the caps node (XEP-0115 §6.2);
 * any other node is item-not-found.  Returns: (transfer full) (nullable:
 * no 'from' to answer) */
xmpp_stanza_t *pg_contact_caps_disco_reply(PgTransport *transport, xmpp_stanza_t *iq);

G_END_DECLS
