/* Watched contacts on a network without a buddy list (pg-roster-watch.c).
 * Private to src/session/. */
#pragma once

#include "session/pg-session-private.h"

G_BEGIN_DECLS

/* A presence of @type (probe, subscribe, unsubscribe) from @user_jid to
 * @to: if @to is a contact, start or stop watching it (PG_NETWORK_WATCH). */
void pg_roster_watch(PgSessionManager *self, PgTransport *transport, const gchar *type,
		     const gchar *user_jid, const PgJid *to);
/* @link came up: its worker watches every watched contact again. */
void pg_roster_watch_on_connected(PgLink *link);

G_END_DECLS
