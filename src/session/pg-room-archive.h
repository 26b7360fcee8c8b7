/* XEP-0313 archives of rooms (pg-room-archive.c).  Private to src/session/. */
#pragma once

#include "session/pg-session-private.h"

G_BEGIN_DECLS

/* A MAM query (or its form request) @iq to the room @address (a room's
 * bare JID): answered, TRUE.  FALSE: @iq is not one. */
gboolean pg_room_archive_handle_iq(PgSessionManager *self, PgTransport *transport,
				   xmpp_stanza_t *iq, const gchar *user_jid,
				   const PgNetworkAddress *address);
/* The disco#info features of a room that has an archive, added to @query. */
void pg_room_archive_add_features(PgTransport *transport, xmpp_stanza_t *query);

G_END_DECLS
