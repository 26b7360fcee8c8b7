/* libpurple signals -> PG_IPC_EVT_* messages. */
#pragma once

#include <glib.h>
#include <purple.h>

G_BEGIN_DECLS

void pg_purple_events_connect(void);
void pg_purple_events_disconnect(void);

/* Overwrite and drop the password copies of @account (and its connection). */
void pg_purple_events_wipe_password(PurpleAccount *account);
/* Send room-joined again for a room we are already in (a repeated join). */
gboolean pg_purple_events_room_report(PurpleConversation *conv);
/* The daemon left @conv itself: report room-left now, not on chat-left. */
void pg_purple_events_forget_room(PurpleConversation *conv, const gchar *reason);
/* The daemon's name of @conv once room-joined went out (sent now if it
 * had not), or NULL: not a room of ours. */
const gchar *pg_purple_events_room_name(PurpleConversation *conv);
/* An occupant's roles in @flags as the room-occupant event names them
 * ("founder,op,halfop,voice", those set; "" for none); free with g_free. */
gchar *pg_purple_events_occupant_flags(PurpleConvChatBuddyFlags flags);

G_END_DECLS
