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

G_BEGIN_DECLS

typedef struct _PgTransport PgTransport;

PgTransport *pg_transport_new(const PgConfig *config, const PgTransportConfig *transport_config,
			      PgRegistry *registry);
void pg_transport_start(PgTransport *self);
void pg_transport_stop(PgTransport *self, guint timeout_ms);
void pg_transport_free(PgTransport *self);

gboolean pg_transport_is_connected(const PgTransport *self);
const gchar *pg_transport_get_jid(const PgTransport *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgTransport, pg_transport_free)

G_END_DECLS
