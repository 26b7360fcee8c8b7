/* Room history and persistent rooms (pg-room-history.c).  Private to
 * src/session/; pg-room.c calls it at a few points, nothing here calls
 * pg-room.c. */
#pragma once

#include "session/pg-session-private.h"

G_BEGIN_DECLS

/* Opens the archive (config's history_database) and starts its age limit. */
gboolean pg_room_history_start(PgSessionManager *self, GError **error);
/* Writes what is pending and closes the archive. */
void pg_room_history_stop(PgSessionManager *self);

/* @room (new on @link) gets its archive and whether it is persistent. */
void pg_room_history_attach(PgLink *link, PgRoom *room);
/* A line of @nick in @room goes into its archive.
 * Returns: (transfer full) its XEP-0359 stanza-id, or NULL if @room keeps
 * no archive. */
gchar *pg_room_history_record(PgLink *link, PgRoom *room, const gchar *nick, const gchar *body);

/* What the join @presence of @resource asks of the history (§7.2.15),
 * sent with its room state by pg_room_history_send(). */
void pg_room_history_want(PgRoom *room, const gchar *resource, xmpp_stanza_t *presence);
/* @resource left @room: it wants nothing any more. */
void pg_room_history_unwant(PgRoom *room, const gchar *resource);
/* XEP-0045 §7.2.15: the history the join of @to asked for, after the
 * occupants and before the subject; nothing if no join of @to waits for it
 * (a rejoin after a lost link). */
void pg_room_history_send(PgSession *session, PgRoom *room, const gchar *to);

/* Whether a persistent room keeps @session alive with no resource. */
gboolean pg_room_history_holds(PgSession *session);
/* The component of @transport is connected: every persistent room of its
 * users is joined again, without them (after a restart of the gateway). */
void pg_room_history_restore(PgSessionManager *self, PgTransport *transport);
/* @user_jid unregistered from @transport: their archives go. */
void pg_room_history_forget_user(PgSessionManager *self, PgTransport *transport,
				 const gchar *user_jid);

/* The room's muc#owner configuration (XEP-0045 §10.2), which holds its
 * persistence: answers @iq and returns TRUE if it is one. */
gboolean pg_room_history_handle_owner_iq(PgSessionManager *self, PgTransport *transport,
					 xmpp_stanza_t *iq, const gchar *user_jid,
					 const PgNetworkAddress *address);

G_END_DECLS
