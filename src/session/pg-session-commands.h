/* The session layer's XEP-0050 commands (pg-session-commands.c).
 * Private to src/session/. */
#pragma once

#include "session/pg-session-private.h"

G_BEGIN_DECLS

/* Offer the commands on @transport; they act on @self's sessions. */
void pg_session_commands_add(PgSessionManager *self, PgTransport *transport);
void pg_session_commands_remove(PgTransport *transport);

G_END_DECLS
