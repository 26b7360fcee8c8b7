/* The user's roster command (pg-roster-command.c).  Private to src/session/. */
#pragma once

#include "xmpp/pg-adhoc.h"

G_BEGIN_DECLS

/* Node "roster": the mode, and a re-sync.  Its user_data is the
 * PgSessionManager. */
extern const PgAdhocCommand pg_roster_command;

G_END_DECLS
