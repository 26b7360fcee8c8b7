/* Rooms: XEP-0045 state and rendering (pg-room.c).  Private to src/session/. */
#pragma once

#include "session/pg-session-private.h"

G_BEGIN_DECLS

/* Presence from the user's resource to @address (a room on @transport's
 * network, as its driver read it): a join, a rejoin, a leave (§7.2, §7.14). */
void pg_room_handle_presence(PgSessionManager *self, PgTransport *transport,
			     xmpp_stanza_t *presence, const gchar *user_jid,
			     const PgNetworkAddress *address);
/* A groupchat @message (its @body and @subject, nullable) to the room
 * @address on @link; answers it with an error if the sender is not in. */
void pg_room_handle_message(PgLink *link, xmpp_stanza_t *message, const PgNetworkAddress *address,
			    const gchar *body, const gchar *subject);

/* Worker events about rooms of @link. */
void pg_room_on_joined(PgLink *link, const PgIpcMessage *msg);
void pg_room_on_occupant(PgLink *link, const PgIpcMessage *msg);
void pg_room_on_message(PgLink *link, const PgIpcMessage *msg);
void pg_room_on_subject(PgLink *link, const PgIpcMessage *msg);
void pg_room_on_left(PgLink *link, const PgIpcMessage *msg);
/* The join presence @origin was refused: its resource is not in the room,
 * and a room nobody joined goes. */
void pg_room_forget_join(PgLink *link, xmpp_stanza_t *origin);

/* @link came up: its rooms are joined again (unless a join waits already). */
void pg_room_rejoin_all(PgLink *link);
/* @link is lost: @fatal, its rooms end (status 332); else the others leave
 * them on the XMPP side until the rejoin. */
void pg_room_on_link_lost(PgLink *link, gboolean fatal);
/* The user leaves every room of @session.  Returns: how many. */
guint pg_room_leave_all(PgSession *session);
/* The gateway stops: the user's resources leave @link's rooms (332). */
void pg_room_say_goodbye(PgLink *link);

G_END_DECLS
