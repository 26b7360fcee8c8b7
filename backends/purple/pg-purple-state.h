/* The account state a plugin must find again at the next login: see
 * pg-purple-state.c. */
#pragma once

#include <glib.h>

#include "ipc/pg-ipc-message.h"
#include "pg-purple-worker.h"

G_BEGIN_DECLS

/* After core init: watch what libpurple keeps. */
void pg_purple_state_init(void);
void pg_purple_state_shutdown(void);
/* Put back what login command @msg carries in its state field. */
void pg_purple_state_restore(const PgIpcMessage *msg);

G_END_DECLS
