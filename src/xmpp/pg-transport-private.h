/* What the stanza handlers of one transport (pg-disco.c, pg-register.c)
 * need from it.  Private to src/xmpp/. */
#pragma once

#include "xmpp/pg-component.h"
#include "stanza/pg-jid.h"
#include "xmpp/pg-transport.h"

G_BEGIN_DECLS

typedef struct _PgAdhoc PgAdhoc;

/* Where sent stanzas go instead of the component (tests, tests/fuzz). */
typedef void (*PgTransportSendFunc)(PgTransport *self, xmpp_stanza_t *stanza,
				    gpointer user_data);

struct _PgTransport {
	const PgConfig *config;               /* borrowed */
	const PgTransportConfig *transport;   /* borrowed */
	PgRegistry *registry;                 /* borrowed */
	PgComponent *component;               /* owned */
	PgAdhoc *adhoc;                       /* owned: the XEP-0050 commands */
	PgTransportDelegate delegate;
	gpointer delegate_data;
	PgTransportTap tap;                   /* all NULL: none */
	gpointer tap_data;
	/* pg-register.c: user bare JID -> set of their full JIDs that saw
	 * the transport available; bare JIDs of users subscribed to it */
	GHashTable *shown;
	GHashTable *subscribers;
	PgTransportSendFunc send_func; /* NULL: the component */
	gpointer send_data;
	/* pg-privilege.c: granting domain -> PgTransportRosterAccess bits;
	 * id -> our IQs waiting for an answer */
	GHashTable *privileges;
	GHashTable *iqs;
	guint iq_serial;
};

/* The seam of tests/fuzz/fuzz-handlers.c, a fake component: route @stanza
 * as if the component had received it, and hand every stanza sent to @func
 * (borrowed, during the call) instead of the component. */
void pg_transport_receive(PgTransport *self, xmpp_stanza_t *stanza);
void pg_transport_set_send_func(PgTransport *self, PgTransportSendFunc func, gpointer user_data);

/* Offer @stanza, from @from to @to (as parsed at the boundary), to the
 * session layer; FALSE if none took it. */
gboolean pg_transport_delegate_stanza(PgTransport *self, xmpp_stanza_t *stanza, const PgJid *from,
				      const PgJid *to);

/* The JID boundary: parse @stanza's 'from' and 'to' (RFC 7622) and check that
 * 'to' is @transport's domain, or a JID under it that names something on its
 * network.  TRUE: route it, with *@from and *@to (transfer full).  FALSE with
 * @error: answer that error (unless the stanza is itself an error).  FALSE
 * without: drop it, there is nobody to answer. */
gboolean pg_transport_check_addresses(const PgTransportConfig *transport, xmpp_stanza_t *stanza,
				      PgJid **from, PgJid **to, GError **error);

/* pg-disco.c: XEP-0030 on the transport's domain */
void pg_disco_handle_info(PgTransport *self, xmpp_stanza_t *iq);
void pg_disco_handle_items(PgTransport *self, xmpp_stanza_t *iq);

/* pg-adhoc.c: XEP-0050 ad-hoc commands (the public API is in pg-adhoc.h) */
PgAdhoc *pg_adhoc_new(void);
void pg_adhoc_free(PgAdhoc *adhoc);
void pg_adhoc_add_builtin_commands(PgTransport *self);
void pg_adhoc_handle_iq(PgTransport *self, xmpp_stanza_t *iq);
/* Returns: (transfer full) the reply (result or error) to the <command/> IQ
 * @iq, or NULL if @iq has no 'from'. */
xmpp_stanza_t *pg_adhoc_reply(PgTransport *self, xmpp_stanza_t *iq);
/* Returns: (transfer full) the reply to the disco#info / disco#items get @iq
 * about @node (the commands node or a command's node; else item-not-found). */
xmpp_stanza_t *pg_adhoc_disco_info_reply(PgTransport *self, xmpp_stanza_t *iq,
					 const gchar *node);
xmpp_stanza_t *pg_adhoc_disco_items_reply(PgTransport *self, xmpp_stanza_t *iq,
					  const gchar *node);

/* pg-privilege.c: XEP-0356 grants and the IQs we ask */
void pg_privilege_init(PgTransport *self);
void pg_privilege_finalize(PgTransport *self);
/* A new stream, or none: grants are forgotten, pending IQs fail. */
void pg_privilege_on_stream(PgTransport *self);
/* TRUE if @message was a <privilege/> advertisement (taken or refused). */
gboolean pg_privilege_handle_message(PgTransport *self, xmpp_stanza_t *message, const PgJid *from);
/* An IQ result or error from @from: the answer to one of ours, or dropped. */
void pg_privilege_handle_answer(PgTransport *self, xmpp_stanza_t *answer, const PgJid *from);

/* pg-register.c: XEP-0077 registration, XEP-0100 gateway and subscriptions */
void pg_register_handle_iq(PgTransport *self, xmpp_stanza_t *iq);
void pg_register_handle_gateway(PgTransport *self, xmpp_stanza_t *iq);
void pg_register_handle_presence(PgTransport *self, xmpp_stanza_t *presence, const PgJid *from,
				 const PgJid *to);

G_END_DECLS
