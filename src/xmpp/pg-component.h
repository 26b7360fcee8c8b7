/* PgComponent: one XEP-0114 component connection, on the GLib main loop.
 *
 * One libstrophe context and connection per transport.  The component
 * reconnects forever with exponential backoff and jitter; it never gives up
 * because the server went away.  All callbacks run on the main loop.
 */
#pragma once

#include <glib.h>
#include <strophe.h>

#include "core/pg-secret.h"

G_BEGIN_DECLS

typedef struct _PgComponent PgComponent;

typedef struct {
	/* every stanza received; return nothing, the stanza is borrowed */
	void (*stanza)(PgComponent *component, xmpp_stanza_t *stanza, gpointer user_data);
	/* the handshake succeeded (connected = TRUE) or the stream ended */
	void (*state)(PgComponent *component, gboolean connected, gpointer user_data);
	/* the send queue reached the high watermark (congested = TRUE) or fell
	 * back to the low one; may be called from inside pg_component_send() */
	void (*congested)(PgComponent *component, gboolean congested, gpointer user_data);
} PgComponentCallbacks;

/* Bytes in the send queue at which a component reports itself congested,
 * and at which it reports relief again (see pg-component.c, BACKPRESSURE). */
#define PG_COMPONENT_BACKLOG_HIGH (4 * 1024 * 1024)
#define PG_COMPONENT_BACKLOG_LOW (1024 * 1024)

/* @secret is copied.  Nothing happens until pg_component_start(). */
PgComponent *pg_component_new(const gchar *jid, const PgSecret *secret, const gchar *host,
			      guint16 port, const PgComponentCallbacks *callbacks,
			      gpointer user_data);
void pg_component_start(PgComponent *self);
/* Close the stream cleanly, flushing what is queued; waits at most @timeout_ms. */
void pg_component_stop(PgComponent *self, guint timeout_ms);
void pg_component_free(PgComponent *self);

/* Queue @stanza (borrowed) for sending; dropped with a debug line when not connected. */
void pg_component_send(PgComponent *self, xmpp_stanza_t *stanza);
gboolean pg_component_is_connected(const PgComponent *self);
/* Between crossing PG_COMPONENT_BACKLOG_HIGH and falling to _LOW. */
gboolean pg_component_is_congested(const PgComponent *self);
/* Bytes queued and not yet written to the socket. */
gsize pg_component_get_backlog_bytes(const PgComponent *self);
const gchar *pg_component_get_jid(const PgComponent *self);
xmpp_ctx_t *pg_component_get_ctx(PgComponent *self);
guint pg_component_get_connect_count(const PgComponent *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgComponent, pg_component_free)

G_END_DECLS
