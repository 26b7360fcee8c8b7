/* PgTransport: one configured transport (e.g. irc.example.org) on the XMPP side.
 *
 * It owns the XEP-0114 component connection and routes every stanza that
 * reaches the transport's domain to the handler for it (disco, ping,
 * registration, gateway, presence).  The registry and the config are
 * borrowed and outlive it.
 */
#pragma once

#include <glib.h>
#include <strophe.h>

#include "core/pg-config.h"
#include "registry/pg-registry.h"
#include "stanza/pg-jid.h"

G_BEGIN_DECLS

typedef struct _PgTransport PgTransport;

/* The one interface from the XMPP side up to the sessions (src/session/):
 * the transport calls it; the session layer calls back only through the
 * public functions below.  All callbacks run on the main loop. */
typedef struct {
	/* A stanza the transport does not answer itself: messages, presence
	 * (available/unavailable from users, anything to a legacy JID) and IQs
	 * to legacy JIDs.  Return TRUE if handled; FALSE gets the sender a
	 * service-unavailable error.  @from and @to are the stanza's addresses
	 * as the JID boundary parsed them (pg-jid.h): @to is on this transport
	 * and names something on its network. */
	gboolean (*stanza)(PgTransport *transport, xmpp_stanza_t *stanza, const PgJid *from,
			   const PgJid *to, gpointer user_data);
	/* The user removed their registration (XEP-0077 <remove/>). */
	void (*unregistered)(PgTransport *transport, const gchar *user_jid, gpointer user_data);
	/* The component (re)connected to the XMPP server, or lost it. */
	void (*connected)(PgTransport *transport, gboolean connected, gpointer user_data);
	/* The XMPP server fell behind: what we send waits in our memory past a
	 * high watermark (congested = TRUE), or it caught up again.  May be
	 * called from inside pg_transport_send(). */
	void (*congested)(PgTransport *transport, gboolean congested, gpointer user_data);
} PgTransportDelegate;

/* A second listener, before the delegate: the bridges (src/bridge/), whose
 * puppets and relay are JIDs of this domain that no user owns.  Each may be
 * NULL. */
typedef struct {
	/* Every message, presence and IQ before the JID boundary and the
	 * routing: return TRUE to take it (nothing else sees it).  Decide from
	 * 'to' cheaply: it runs for every stanza. */
	gboolean (*stanza)(PgTransport *transport, xmpp_stanza_t *stanza, gpointer user_data);
	/* The component (re)connected to the XMPP server, or lost it. */
	void (*connected)(PgTransport *transport, gboolean connected, gpointer user_data);
} PgTransportTap;

PgTransport *pg_transport_new(const PgConfig *config, const PgTransportConfig *transport_config,
			      PgRegistry *registry);
void pg_transport_start(PgTransport *self);
void pg_transport_stop(PgTransport *self, guint timeout_ms);
void pg_transport_free(PgTransport *self);

void pg_transport_set_delegate(PgTransport *self, const PgTransportDelegate *delegate,
			       gpointer user_data);

/* Set (or, with NULL, remove) the tap; one per transport. */
void pg_transport_set_tap(PgTransport *self, const PgTransportTap *tap, gpointer user_data);

gboolean pg_transport_is_connected(const PgTransport *self);
gboolean pg_transport_is_congested(const PgTransport *self);
const gchar *pg_transport_get_jid(const PgTransport *self);
const PgTransportConfig *pg_transport_get_config(const PgTransport *self);
PgRegistry *pg_transport_get_registry(const PgTransport *self);
xmpp_ctx_t *pg_transport_get_ctx(PgTransport *self);

/* Send @stanza (borrowed); 'from' defaults to the transport's domain. */
void pg_transport_send(PgTransport *self, xmpp_stanza_t *stanza);
/* Answer @request with the stanza error for @error (RFC 6120 §8.3);
 * nothing is sent in answer to an error. */
void pg_transport_reply_error(PgTransport *self, xmpp_stanza_t *request, const GError *error);
void pg_transport_reply_error_code(PgTransport *self, xmpp_stanza_t *request, gint code,
				   const gchar *text);

/* XEP-0356 (pg-privilege.c): what the XMPP server of @domain lets this
 * component do with its users' rosters, as bits of PgTransportRosterAccess
 * (0: nothing, or no grant on this stream). */
typedef enum {
	PG_TRANSPORT_ROSTER_GET = 1 << 0,
	PG_TRANSPORT_ROSTER_SET = 1 << 1,
} PgTransportRosterAccess;
guint pg_transport_roster_access(const PgTransport *self, const gchar *domain);

/* The answer to an IQ of pg_transport_send_iq(): @reply (borrowed) is the
 * result or the error, or NULL when none came in time, the stream went, or
 * the IQ could not be sent. */
typedef void (*PgTransportAnswerFunc)(PgTransport *self, xmpp_stanza_t *reply,
				      gpointer user_data);
/* Send the get or set @iq (borrowed; its id is set here) and call @func
 * once with its answer (maybe from inside this call, when it cannot be
 * sent), then @destroy(@user_data).  Only an answer from the JID @iq went
 * to is taken.  @func is not called once the delegate changed (the layer
 * that asked is gone); @destroy always runs. */
void pg_transport_send_iq(PgTransport *self, xmpp_stanza_t *iq, PgTransportAnswerFunc func,
			  gpointer user_data, GDestroyNotify destroy);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgTransport, pg_transport_free)

G_END_DECLS
