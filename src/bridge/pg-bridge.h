/* Bridges (issue 11): each [bridge NAME] of the config pairs a legacy
 * channel with a room on the XMPP server's own MUC service, through one
 * labelled IRC client of the gateway and one puppet occupant per IRC nick.
 * pg-bridge-private.h says how the files stack; README.md "Move a
 * community" says how an operator runs one.
 *
 * PgBridges owns every configured bridge and the worker processes of their
 * IRC clients: its own PgSupervisor, so no user's session, limit or worker
 * is touched by a bridge.  It listens to the transports through their tap
 * (pg-transport.h), which takes only the stanzas of bridged rooms.
 */
#pragma once

#include <glib.h>

#include "core/pg-config.h"
#include "registry/pg-vault.h"
#include "session/pg-ident.h"
#include "xmpp/pg-transport.h"

G_BEGIN_DECLS

typedef struct _PgBridges PgBridges;

/* Returns: (transfer full) the bridges of @config (borrowed; outlives them). */
PgBridges *pg_bridges_new(const PgConfig *config, const gchar *worker_path);
/* Where each protocol's plugin is (pg-supervisor.h); a reference is taken. */
void pg_bridges_set_protocols(PgBridges *self, GHashTable *protocols);
/* The registry's vault (borrowed; outlives the bridges): it seals the SASL
 * password of a bridge made by command (pg-bridges.c). */
void pg_bridges_set_vault(PgBridges *self, PgVault *vault);
/* identd and WEBIRC for every IRC client of the bridges (session/pg-ident.h);
 * borrowed, outlives the bridges. */
void pg_bridges_set_ident(PgBridges *self, PgIdent *ident);
/* @transport (borrowed; outlives the bridges) carries the bridges that name it. */
void pg_bridges_add_transport(PgBridges *self, PgTransport *transport);
/* Start the IRC clients.  FALSE with @error if their workers cannot run. */
gboolean pg_bridges_start(PgBridges *self, GError **error);
guint pg_bridges_get_n_bridges(PgBridges *self);
/* Every puppet and relay leaves its room, every IRC client logs out. */
void pg_bridges_free(PgBridges *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgBridges, pg_bridges_free)

G_END_DECLS
