/* Sessions: what a user does on a transport, driven by their presence.
 *
 * A session is (user bare JID, transport).  It starts on the user's first
 * available presence to the transport or to any JID on it (a contact, an
 * IRC room), and ends PG_SESSION_GRACE_S seconds (pg-session-private.h)
 * after their last resource went unavailable.  Within a session, each
 * legacy connection is a "link" (one per server on a network with servers,
 * else one) whose account lives in a worker process placed by the
 * PgSupervisor.  A link that drops is
 * reconnected with exponential backoff and jitter, and its rooms are
 * rejoined; a fatal legacy error (bad password) is reported and not retried.
 *
 * PgSessionManager is the PgTransportDelegate of every transport: it turns
 * the user's stanzas into worker commands and worker events into stanzas.
 */
#pragma once

#include <glib.h>

#include "core/pg-config.h"
#include "session/pg-ident.h"
#include "session/pg-session-metrics.h"
#include "xmpp/pg-transport.h"

G_BEGIN_DECLS

typedef struct _PgSessionManager PgSessionManager;

PgSessionManager *pg_session_manager_new(const PgConfig *config, const gchar *worker_path);
/* Serve @transport (borrowed; outlives the manager). */
void pg_session_manager_add_transport(PgSessionManager *self, PgTransport *transport);
/* Where the plugin of each protocol is (pg-protocol-probe.h); a reference
 * is taken. */
void pg_session_manager_set_protocols(PgSessionManager *self, GHashTable *protocols);
/* identd and WEBIRC for the users' links (pg-ident.h); borrowed, outlives the manager. */
void pg_session_manager_set_ident(PgSessionManager *self, PgIdent *ident);
/* After the transports are added: the SMS outbox and the HTTP listener.
 * FALSE with @error if the listener cannot start. */
gboolean pg_session_manager_start(PgSessionManager *self, GError **error);
/* Log every session out and stop the workers. */
void pg_session_manager_free(PgSessionManager *self);

guint pg_session_manager_get_n_sessions(PgSessionManager *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgSessionManager, pg_session_manager_free)

G_END_DECLS
