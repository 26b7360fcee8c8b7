/* What the stanza handlers of one transport (pg-disco.c, pg-register.c)
 * need from it.  Private to src/xmpp/. */
#pragma once

#include "xmpp/pg-component.h"
#include "xmpp/pg-transport.h"

G_BEGIN_DECLS

struct _PgTransport {
	const PgConfig *config;               /* borrowed */
	const PgTransportConfig *transport;   /* borrowed */
	PgRegistry *registry;                 /* borrowed */
	PgComponent *component;               /* owned */
	PgTransportDelegate delegate;
	gpointer delegate_data;
};

/* Offer @stanza to the session layer; FALSE if none took it. */
gboolean pg_transport_delegate_stanza(PgTransport *self, xmpp_stanza_t *stanza);

/* pg-disco.c: XEP-0030 on the transport's domain */
void pg_disco_handle_info(PgTransport *self, xmpp_stanza_t *iq);
void pg_disco_handle_items(PgTransport *self, xmpp_stanza_t *iq);

/* pg-register.c: XEP-0077 registration, XEP-0100 gateway and subscriptions */
void pg_register_handle_iq(PgTransport *self, xmpp_stanza_t *iq);
void pg_register_handle_gateway(PgTransport *self, xmpp_stanza_t *iq);
void pg_register_handle_presence(PgTransport *self, xmpp_stanza_t *presence);

G_END_DECLS
