/* Bans set or lifted in a channel by someone else, as room-ban events
 * (prpl-irc only; pg-purple-bans.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void pg_purple_bans_connect(void);
void pg_purple_bans_disconnect(void);

G_END_DECLS
