/* Prompt sending through prpl-irc's line queue.  See pg-purple-sendq.c. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Let every IRC connection's send queue run once, soon (coalesced into one
 * idle per main loop iteration).  Call after handing lines to libpurple. */
void pg_purple_sendq_kick(void);

G_END_DECLS
