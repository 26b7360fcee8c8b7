/* PgSms: SMS through Kannel, on the daemon's side.
 *
 * Outgoing: a user's message to +15551234567@sms.example.org is written to
 * the durable outbox in the registry first (pg-sms-queue.h), then sent
 * through the user's SMS link (the prpl-polygate-sms plugin in a worker),
 * one message in flight per recipient, so texts to one number arrive in
 * the order they were written.  Kannel's answer comes back as sms-sent:
 * accepted, temporary failure (retried with backoff until the transport's
 * sms_retry_max_age, across restarts), or permanent failure (a stanza error
 * at once).
 *
 * Inbound and reports: Kannel calls the daemon's HTTP listener (pg-http.h).
 * An inbound SMS is routed by the receiving number to the user who
 * registered it: through their worker if their SMS link is up, else
 * straight to their bare JID, so the XMPP server keeps it offline.  A
 * delivery report becomes a XEP-0184 receipt, a failed one a message error.
 * While the component is disconnected from the XMPP server, each of these
 * is kept, sealed, in the registry's inbox (pg-sms-inbox.h) before Kannel
 * gets its 200, and sent when the component is back.
 */
#pragma once

#include <glib.h>
#include <strophe.h>

#include "ipc/pg-ipc-message.h"
#include "stanza/pg-jid.h"

G_BEGIN_DECLS

typedef struct _PgSessionManager PgSessionManager;
typedef struct _PgSms PgSms;
typedef struct _PgLink PgLink;
typedef struct _PgTransport PgTransport;

/* Starts the outbox (messages left in flight by a previous run are queued
 * again) and, if [http] port is not 0, the HTTP listener.
 * Returns: (transfer full) or NULL with @error (e.g. the port is taken). */
PgSms *pg_sms_new(PgSessionManager *manager, GError **error);
void pg_sms_free(PgSms *self);

/* A graceful stop: sends nothing more and runs the main context until every
 * text handed to the SMS gateway has its answer, or @timeout_ms passed.
 * Call it while the workers still run. */
void pg_sms_drain(PgSms *self, guint timeout_ms);

/* A message from @user_jid (registered) to @to, a number on an SMS transport
 * (as the JID boundary parsed it, pg-jid.h). */
gboolean pg_sms_handle_message(PgSms *self, PgTransport *transport, xmpp_stanza_t *message,
			       const gchar *user_jid, const PgJid *to);
/* A worker's sms-sent event for @link. */
void pg_sms_on_sent(PgSms *self, PgLink *link, const PgIpcMessage *msg);
/* @link lost its worker or failed: what it was sending goes back to the queue. */
void pg_sms_on_link_down(PgSms *self, PgLink *link);

/* What is kept while the XMPP server is away: pg-sms-kept.h. */

/* Whether @session still has texts queued or in flight (so that it must not
 * end yet).  FALSE for a session of another transport type, or no @self. */
gboolean pg_sms_holds_session(PgSms *self, PgSession *session);

G_END_DECLS
