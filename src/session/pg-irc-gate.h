/* The gate between users' JIDs and IRC connections: which IRC server a
 * stanza may make the gateway connect to, and where exactly.
 *
 * A JID names any IRC server (#chan%host@irc.example.org).  Before a stanza
 * that may open a connection to a server is handled, and before any login
 * to it, the server is resolved (GResolver, asynchronously: the main loop
 * never blocks) and checked against the transport's policy
 * (core/pg-netpolicy.h).  The check gives the addresses that passed, and
 * the worker connects only to those (the login pins them), so a DNS answer
 * that changes between our check and the worker's connect (DNS rebinding)
 * cannot send it elsewhere.  It also decides TLS and the port: irc_tls and
 * irc_port if the operator gave them, else TLS on 6697 unless every address
 * is loopback (plain, 6667).
 *
 * Stanzas that arrive while their server is being checked wait, in order,
 * and are handed back once it is known; a refused server gets each of them
 * a stanza error (not-allowed, or remote-server-not-found if it does not
 * resolve).  Results are kept for a while (PG_IRC_GATE_*_S) per transport
 * and server.  The transport's fixed irc_server is resolved and pinned the
 * same way but never refused by the policy: the operator named it.
 */
#pragma once

#include <glib.h>
#include <strophe.h>

#include "network/pg-network.h"
#include "xmpp/pg-transport.h"

G_BEGIN_DECLS

typedef struct _PgIrcGate PgIrcGate;

/* The server's verdict, which the login takes (network/pg-network.h). */
typedef PgNetworkTarget PgIrcTarget;

/* Hand an admitted stanza back to the stanza handler. */
typedef void (*PgIrcGateRedispatch)(PgTransport *transport, xmpp_stanza_t *stanza,
				    gpointer user_data);
/* The check a login waited for (pg_irc_gate_lookup()) is done. */
typedef void (*PgIrcGateReady)(const gchar *account, gpointer user_data);

PgIrcGate *pg_irc_gate_new(PgIrcGateRedispatch redispatch, PgIrcGateReady ready,
			   gpointer user_data);
/* Cancels the checks in flight; stanzas still waiting get
 * service-unavailable. */
void pg_irc_gate_free(PgIrcGate *self);

/* @stanza (from a user, to a JID on @server on the IRC @transport) may make
 * the gateway connect to @server.  TRUE: handle it now.  FALSE: the gate
 * took it (answered it with an error, or keeps it and hands it to
 * redispatch once @server is checked). */
gboolean pg_irc_gate_admit(PgIrcGate *self, PgTransport *transport, xmpp_stanza_t *stanza,
			   const gchar *server);
/* The current check of @server on @transport, or NULL: then a check starts
 * (if none runs) and ready(@account) is called when it ends.
 * Returns: (transfer none) valid until control returns to the main loop. */
const PgIrcTarget *pg_irc_gate_lookup(PgIrcGate *self, PgTransport *transport,
				      const gchar *server, const gchar *account);

G_END_DECLS
