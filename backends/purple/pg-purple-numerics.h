/* IRC error numerics as errors on the command that caused them.  See
 * pg-purple-numerics.c. */
#pragma once

#include <glib.h>

#include "ipc/pg-ipc-message.h"

G_BEGIN_DECLS

/* Listen to prpl-irc's raw lines (after purple_core_init()). */
void pg_purple_numerics_connect(void);
void pg_purple_numerics_disconnect(void);
/* @msg (a command just handed to libpurple for an IRC account) may be
 * refused by the server with a numeric: remember its request id by target. */
void pg_purple_numerics_expect(const PgIpcMessage *msg);

G_END_DECLS
