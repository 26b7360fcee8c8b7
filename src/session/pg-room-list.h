/* The rooms a server lists, as disco#items on the server's JID (issue 10:
 * the channel list), paged with XEP-0059.  See pg-room-list.c.
 * Private to src/session/. */
#pragma once

#include "session/pg-session-private.h"

G_BEGIN_DECLS

typedef struct _PgRoomLists PgRoomLists;

PgRoomLists *pg_room_lists_new(void);
void pg_room_lists_free(PgRoomLists *self);

/* An IQ to @server (a PgNetworkAddress with is_server) from @user_jid:
 * disco#items (the list) or disco#info.  FALSE if not ours to answer. */
gboolean pg_room_lists_handle_iq(PgSessionManager *manager, PgTransport *transport,
				 xmpp_stanza_t *iq, const gchar *user_jid,
				 const PgNetworkAddress *server);
/* room-list: a chunk of the list @link asked for. */
void pg_room_lists_on_event(PgLink *link, const PgIpcMessage *msg);
/* @link went down: what waits for its list is answered with an error. */
void pg_room_lists_on_link_down(PgLink *link);

G_END_DECLS
