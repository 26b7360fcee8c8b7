/* PgSessionAudit: after a component (re)connects, the sessions it holds
 * must match what the XMPP server says is online.
 *
 * A user's XMPP session may end while the component is disconnected (the
 * server crashed or restarted): her unavailable presence went nowhere, so
 * her session, her legacy connections and her rooms would live on forever.
 * When a component connects, the daemon probes every registered user
 * (pg_session_probe_users(), RFC 6121 §4.3); the server answers each probe
 * with the user's current presence, or with unavailable (§4.3.2).  The
 * audit takes the resources known when the component connected and waits
 * at most `[xmpp] probe_timeout` seconds for each of them to be confirmed
 * by an available presence.  A resource that is not confirmed in time, or
 * whose user the server reports unavailable, is taken as gone: it leaves
 * its rooms, and a session left with no resource ends (its links log out).
 * Each ending is logged.
 */
#pragma once

#include <glib.h>

#include "xmpp/pg-transport.h"

G_BEGIN_DECLS

typedef struct _PgSessionManager PgSessionManager;
typedef struct _PgSessionAudit PgSessionAudit;

/* @timeout_s: how long the server has to confirm each resource. */
PgSessionAudit *pg_session_audit_new(PgSessionManager *manager, guint timeout_s);
void pg_session_audit_free(PgSessionAudit *self);

/* The component of @transport connected (after the probes went out): every
 * resource of its sessions must now be confirmed. */
void pg_session_audit_start(PgSessionAudit *self, PgTransport *transport);
/* It disconnected: nothing can be confirmed until it is back. */
void pg_session_audit_stop(PgSessionAudit *self, PgTransport *transport);
/* A presence from @from (a full JID, or the bare JID @user_jid) reached
 * @transport.  @available: an available presence confirms @from; an
 * unavailable one from the bare JID says that none of the user's resources
 * is online (RFC 6121 §4.3.2), so her unconfirmed resources end now. */
void pg_session_audit_presence(PgSessionAudit *self, PgTransport *transport,
			       const gchar *user_jid, const gchar *from, gboolean available);
G_END_DECLS
