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

G_BEGIN_DECLS

/* ROOMS: a line or a subject for a room that is not joined right now (the
 * link came back and rejoins it) waits in pending too, and goes once the
 * room is joined again, in order; if the room goes instead, it is answered
 * with an error.
 *
 * IN FLIGHT: IRC never confirms a line, and a worker that dies (or a
 * connection that drops) takes the lines it had not written yet with it;
 * which of them reached the server cannot be known.  The choice: every
 * message handed to the worker less than PG_LINK_IN_FLIGHT_S seconds
 * (plus one irc_throttle_interval per message still listed, as prpl-irc's
 * throttle may hold them that long) before the worker's last frame gets an
 * error (recipient-unavailable, "may not have reached").  The worker's last
 * frame, not the wall clock: a stopped or hung worker reads nothing until
 * it is killed (pg-worker.h), so every line it got meanwhile is answered.
 * The user may see an error for a line that did arrive, never silence for
 * one that did not.
 *
 * THE WINDOW: at most PG_LINK_IN_FLIGHT_MAX lines are in flight on a link.
 * A user who sends faster (a paste) gets back-pressure, not errors: the
 * lines past the window wait in pending, in order (with whatever the user
 * sends after them), bounded by the user's max_queued_bytes_per_user
 * (pg-limits.h: only past that budget does a line get resource-constraint),
 * and go to the worker as it acknowledges the ones in flight: by an echo,
 * an error, or, for lines with neither (IMs), by living on for the window
 * after them (checked every PG_LINK_RELEASE_TICK_S).  Lines that wait when
 * the link drops go after the re-login (pg_link_on_connected()).  An error the network sent meanwhile
 * (pg-purple-numerics.c) already answered its message and takes it out, and
 * with the transport's throttle off (irc_throttle_interval = 0) a room line
 * that prpl-irc echoed is known to be written (pg_link_queue_echoed()). */
#define PG_LINK_IN_FLIGHT_S 10
#define PG_LINK_IN_FLIGHT_MAX 256
#define PG_LINK_RELEASE_TICK_S 1

/* Whether @msg is for a room of @link that is not joined now (it must wait). */
gboolean pg_link_queue_waits_for_room(PgLink *link, const PgIpcMessage *msg);
/* Takes the waiting commands of room @name out of pending, in order (the
 * room is joined now: pg_room_flush() sends them).
 * Returns: (transfer full) (element-type PgIpcMessage) */
GPtrArray *pg_link_queue_take_room(PgLink *link, const gchar *name);
/* The room @name went: its waiting commands are answered with @code/@text. */
void pg_link_queue_fail_room(PgLink *link, const gchar *name, gint code, const gchar *text);

/* Whether @msg, for a connected @link, must wait in pending: its room is
 * being rejoined, lines wait already, or the window is full. */
gboolean pg_link_queue_must_wait(PgLink *link, const PgIpcMessage *msg);
/* Sends what waits in pending, in order, while the window has room (lines
 * for rooms being rejoined stay); nothing while @link is not connected. */
void pg_link_queue_release(PgLink *link);
/* pg_link_queue_release() from the main loop, once what runs now is done
 * (pg_link_on_connected() rejoins every room before a line may go). */
void pg_link_queue_release_soon(PgLink *link);
/* @msg (with request id) went to the worker for @origin (nullable). */
void pg_link_queue_sent(PgLink *link, const PgIpcMessage *msg, xmpp_stanza_t *origin);
/* prpl-irc echoed our line to @room: with the throttle off it is written. */
void pg_link_queue_echoed(PgLink *link, const gchar *room);
/* The request @id got its answer (an error event): not in flight any more. */
void pg_link_queue_answered(PgLink *link, guint32 id);
/* @origin (a groupchat message) failed before its echo: its id leaves its
 * room's echo queue, so that the next echo does not carry it.  A message
 * whose echo came already (a server refusal after prpl-irc's local echo)
 * is no longer there: nothing happens. */
void pg_link_queue_forget_echo(PgLink *link, xmpp_stanza_t *origin);
/* The worker or the connection went: answer what may not have gone out. */
void pg_link_queue_fail_in_flight(PgLink *link, const gchar *reason);

G_END_DECLS
