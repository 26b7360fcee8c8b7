/* What waits for a legacy connection, and what becomes of it when the
 * connection does not come (issue 8: nothing lost, nothing silent).
 *
 * A command waits in PgLink.pending while its link connects; the stanza that
 * asked for it (a join presence, a message) is kept beside it here, so that
 * every waiting command can be answered: by the legacy network once the
 * link is up (pg_session_recall() by request id), or with a stanza error
 * when the link gives up.
 *
 * GIVING UP (RFC 6120 §8.3.3.16/17, XEP-0045 §7.2): a link that has never
 * connected gives up after the transport's link_give_up_after failed tries.
 * Each join that waited gets an error presence from room/nick
 * (remote-server-not-found when the server refused or does not resolve,
 * remote-server-timeout otherwise), each message an error message, and the
 * link stays FAILED: nothing is retried until the user asks again (a new
 * join or message connects it afresh).  A link that was up once keeps
 * retrying with backoff, as before: its rooms come back by themselves.
 *
 * Private to src/session/.
 */
#pragma once

#include "session/pg-session-private.h"

G_BEGIN_DECLS

/* Keeps a clone of @origin for @msg, which the caller just pushed onto
 * @link->pending.  @origin may be NULL (nothing to answer). */
void pg_link_queue_remember(PgLink *link, const PgIpcMessage *msg, xmpp_stanza_t *origin);
/* Returns: (transfer full) the origin kept for @msg (which leaves pending
 * now), or NULL. */
xmpp_stanza_t *pg_link_queue_steal_origin(PgLink *link, const PgIpcMessage *msg);
/* Answers every waiting command that has an origin with the stanza error
 * @code / @text, then drops every waiting command. */
void pg_link_queue_fail_all(PgLink *link, gint code, const gchar *text);
/* Frees what pg_link_queue_remember() kept (the link is freed). */
void pg_link_queue_free(PgLink *link);

/* The link's login failed (@reason, may be NULL) and it was never up: one
 * more failed try.  Returns: TRUE if it gave up now (everything waiting was
 * answered, the link is FAILED, the caller retries nothing). */
gboolean pg_link_queue_give_up_if_due(PgLink *link, const gchar *reason);
/* The link came up: it never gives up from now on. */
void pg_link_queue_on_connected(PgLink *link);

G_END_DECLS
