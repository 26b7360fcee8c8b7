/* PgLink: one legacy connection and its state machine (pg-link.c).
 * Private to src/session/. */
#pragma once

#include "session/pg-session-private.h"

G_BEGIN_DECLS

/* Send @msg (transfer full) to the link's worker now, or keep it until the
 * link is up; @origin (nullable) is the stanza to answer with an error.
 * FALSE if it was refused (@origin answered) or could not be sent. */
gboolean pg_link_command(PgLink *link, PgIpcMessage *msg, xmpp_stanza_t *origin);
/* Log in (again); on a network with servers, once the gate checked the
 * server (the manager calls this again when it knows). */
void pg_link_connect(PgLink *link);
/* The worker says the account is up: PgSessionEvents.connected, then what
 * waited is sent. */
void pg_link_on_connected(PgLink *link);
/* The legacy connection is gone (@reason may be NULL; @fatal: the worker
 * says it is final): the driver's verdict, then PgSessionEvents.down and
 * .lost, and a retry with backoff unless final or given up. */
void pg_link_on_disconnected(PgLink *link, const gchar *reason, gboolean fatal);
const gchar *pg_link_state_to_string(PgLinkState state);
/* (Re)start the link's login timeout (link_login_timeout). */
void pg_link_arm_login_timeout(PgLink *link);
/* The worker began connecting (its login-state "connecting"): the server
 * has link_login_timeout from now on. */
void pg_link_on_connecting(PgLink *link);

/* Ask @link's network to join @room as @nick; @origin (nullable) is the
 * stanza behind it, for its error. */
void pg_link_send_join(PgLink *link, const PgRoom *room, const gchar *nick, xmpp_stanza_t *origin);

G_END_DECLS
