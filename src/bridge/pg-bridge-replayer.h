/* PgBridgeReplayer: the running bridge replays its spool of imported log
 * lines (`polygate bridge import`) into its room, in order, throttled to
 * the bridge's replay_rate, each marked replayed once the room echoed it
 * (pg-bridge-replayer.c says how, README.md "Move a community" why).
 * Private to src/bridge/. */
#pragma once

#include <glib.h>
#include <strophe.h>

G_BEGIN_DECLS

typedef struct _PgBridge PgBridge;
typedef struct _PgBridgeReplayer PgBridgeReplayer;

/* Returns: (transfer full) the replayer of @bridge (borrowed; outlives it). */
PgBridgeReplayer *pg_bridge_replayer_new(PgBridge *bridge);
void pg_bridge_replayer_free(PgBridgeReplayer *self);
/* Look at the spool now (an admin asked for the replay). */
void pg_bridge_replayer_poke(PgBridgeReplayer *self);
/* A stanza to the relay occupant, before the room's code sees it.
 * Returns: TRUE if it was the replay's own (an echo, an archive result):
 * the room's code must not relay it. */
gboolean pg_bridge_replayer_stanza(PgBridgeReplayer *self, xmpp_stanza_t *stanza);
/* Lines imported for the bridge and not replayed yet. */
guint64 pg_bridge_replayer_pending(PgBridgeReplayer *self);

G_END_DECLS
