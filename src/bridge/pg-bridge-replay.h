/* PgBridgeReplay: an imported log line as the groupchat message its
 * puppet sends to replay it into the native room (issue 11 §6).
 *
 * A pure builder; the runtime drives the replay:
 *   items = pg_bridge_store_spool_read(store, bridge, t, id, 50, TRUE, &error);
 *   for each item: stanza = pg_bridge_replay_stanza(...), sent from the
 *   puppet of item->line->nick, then pg_bridge_store_spool_mark_replayed()
 *   (with the room's stanza-id once the room reflects it, found by the
 *   origin-id given here).
 * What the servers keep of the original time is measured in
 * tests/integration/test_bridge_mam_delay.py (README.md "Move a
 * community"): ejabberd keeps the <delay/> inside the archived message,
 * Prosody drops it, hence PG_BRIDGE_REPLAY_TIME_IN_BODY.
 */
#pragma once

#include <glib.h>
#include <strophe.h>

#include "bridge/pg-bridge-line.h"
#include "stanza/pg-stanza.h" /* PG_NS_DELAY, PG_NS_SID */

G_BEGIN_DECLS

typedef enum {
	/* the original time only in the XEP-0203 <delay/> (ejabberd) */
	PG_BRIDGE_REPLAY_DELAY,
	/* and as "[YYYY-MM-DD HH:MM] " before the text, for a server that
	 * drops the <delay/> (Prosody 0.12) */
	PG_BRIDGE_REPLAY_TIME_IN_BODY,
} PgBridgeReplayStyle;

/* Returns: (transfer full) <message type='groupchat' from=@from to=@room>
 * with the line's text as its body ("/me text" for an action, XEP-0245),
 * a XEP-0203 <delay from=@room stamp=UTC/> and a XEP-0359 <origin-id
 * id=@origin_id/>; NULL for a line that has no message form (joins, parts,
 * quits, nick and mode changes, kicks, topics: a replay does not re-enact
 * the channel's comings and goings, nor change the room's subject).
 * @zone (NULL: UTC) is the one the body's time is written in. */
xmpp_stanza_t *pg_bridge_replay_stanza(xmpp_ctx_t *ctx, const gchar *from, const gchar *room,
				       const PgBridgeLine *line, PgBridgeReplayStyle style,
				       const gchar *origin_id,
				       GTimeZone *zone) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
