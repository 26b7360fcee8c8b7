/* Rooms: roles, moderation, invites and self-ping (pg-room-moderation.c,
 * pg-room-invite.c).  Private to src/session/. */
#pragma once

#include "session/pg-session-private.h"

G_BEGIN_DECLS
/* An IQ from @user_jid to @to, a room or occupant JID: a XEP-0199/0410
 * ping or a XEP-0045 muc#admin query.  Returns: FALSE if it is neither
 * (for the caller to handle), TRUE when answered or sent on. */
gboolean
pg_room_handle_iq(PgSessionManager *self, PgTransport *transport, xmpp_stanza_t *iq,
		  const gchar *user_jid, const PgJid *to);
/* The worker did a room-admin command: its IQ gets the result. */
void
pg_room_on_admin_done(PgLink *link, const PgIpcMessage *msg);

/* pg-room-invite.c */

/* A XEP-0045 §7.8.2 mediated invite in @message to the room @address of
 * @link: an INVITE on the network, if the sender is in the room.
 * Returns: FALSE if @message is none. */
gboolean
pg_room_invite_mediated(PgLink *link, xmpp_stanza_t *message, const PgNetworkAddress *address);
/* A XEP-0249 direct invite in @message to the contact @who on @link.
 * Returns: FALSE if @message is none. */
gboolean
pg_room_invite_direct(PgLink *link, xmpp_stanza_t *message, const gchar *who);
/* The network invites the user: a mediated invite from the room. */
void
pg_room_on_invited(PgLink *link, const PgIpcMessage *msg);

G_END_DECLS
