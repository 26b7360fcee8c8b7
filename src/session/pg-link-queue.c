/* What waits for a legacy connection: see pg-link-queue.h.
 *
 * INVARIANT: every PgLinkOrigin names a message that is in link->pending;
 * a message leaves pending only through pg_link_queue_steal_origin() (it is
 * sent) or pg_link_queue_fail_all() (it is answered), or is an SMS send
 * (pg_sms_on_link_down(), which never has an origin).
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "session/pg-link-queue.h"
#include "stanza/pg-jid.h"
#include "stanza/pg-stanza.h"

typedef struct {
	const PgIpcMessage *msg; /* borrowed: owned by link->pending */
	xmpp_stanza_t *origin;   /* a clone */
} PgLinkOrigin;

static void
pg_link_origin_free(PgLinkOrigin *entry)
{
	xmpp_stanza_release(entry->origin);
	g_free(entry);
}

void
pg_link_queue_remember(PgLink *link, const PgIpcMessage *msg, xmpp_stanza_t *origin)
{
	PgLinkOrigin *entry;

	if (origin == NULL)
		return;
	if (link->origins == NULL)
		link->origins = g_queue_new();
	entry = g_new0(PgLinkOrigin, 1);
	entry->msg = msg;
	entry->origin = xmpp_stanza_clone(origin);
	g_queue_push_tail(link->origins, entry);
}

xmpp_stanza_t *
pg_link_queue_steal_origin(PgLink *link, const PgIpcMessage *msg)
{
	if (link->origins == NULL)
		return NULL;
	for (GList *l = link->origins->head; l != NULL; l = l->next) {
		PgLinkOrigin *entry = l->data;
		if (entry->msg == msg) {
			xmpp_stanza_t *origin = entry->origin;
			g_queue_delete_link(link->origins, l);
			g_free(entry);
			return origin;
		}
	}
	return NULL;
}

void
pg_link_queue_fail_all(PgLink *link, gint code, const gchar *text)
{
	PgTransport *transport = link->session->transport;

	while (link->origins != NULL && !g_queue_is_empty(link->origins)) {
		PgLinkOrigin *entry = g_queue_pop_head(link->origins);
		pg_transport_reply_error_code(transport, entry->origin, code, text);
		pg_link_origin_free(entry);
	}
	g_queue_clear_full(link->pending, (GDestroyNotify)pg_ipc_message_free);
}

static void pg_link_sent_free(gpointer sent);

void
pg_link_queue_free(PgLink *link)
{
	g_clear_handle_id(&link->release_id, g_source_remove);
	if (link->origins != NULL)
		g_queue_free_full(link->origins, (GDestroyNotify)pg_link_origin_free);
	link->origins = NULL;
	if (link->in_flight != NULL)
		g_queue_free_full(link->in_flight, pg_link_sent_free);
	link->in_flight = NULL;
}

void
pg_link_queue_on_connected(PgLink *link)
{
	link->ever_connected = TRUE;
	link->failed_tries = 0;
}

/* RFC 6120 §8.3.3.16 remote-server-not-found: "does not exist or cannot be
 * resolved"; §8.3.3.17 remote-server-timeout: "could not be contacted within
 * a reasonable amount of time".  libpurple's reasons are free text. */
static gint
pg_link_queue_condition(const gchar *reason)
{
	static const gchar *const not_found[] = {"refused", "resolve", "unknown host",
						 "no such host", "not known", "unreachable",
						 "no route"};
	g_autofree gchar *lower = g_utf8_strdown(reason != NULL ? reason : "", -1);

	for (gsize i = 0; i < G_N_ELEMENTS(not_found); i++) {
		if (strstr(lower, not_found[i]) != NULL)
			return PG_ERROR_REMOTE_SERVER_NOT_FOUND;
	}
	return PG_ERROR_REMOTE_SERVER_TIMEOUT;
}

gboolean
pg_link_queue_give_up_if_due(PgLink *link, const gchar *reason)
{
	PgSession *session = link->session;
	guint limit = pg_transport_get_config(session->transport)->link_give_up_after;
	const gchar *what = link->server[0] != '\0' ? link->server : "the legacy network";
	g_autofree gchar *text = NULL;
	gboolean answered;
	guint tries;

	if (link->ever_connected || limit == 0 || ++link->failed_tries < limit)
		return FALSE;
	tries = link->failed_tries;
	link->failed_tries = 0;
	link->state = PG_LINK_FAILED;
	g_clear_handle_id(&link->retry_id, g_source_remove);
	text = g_strdup_printf("Cannot connect to %s (%u tries): %s", what, tries,
			       reason != NULL ? reason : "no answer");
	g_strdelimit(text, "\r\n", ' ');
	g_message("%s: gave up after %u failed tries: %s", link->account, tries,
		  reason != NULL ? reason : "no answer");
	answered = link->origins != NULL && !g_queue_is_empty(link->origins);
	/* XEP-0045 §7.2: each join that waited gets an error presence from
	 * room/nick; each message an error message */
	pg_link_queue_fail_all(link, pg_link_queue_condition(reason), text);
	/* the rooms were never joined: their joins were answered just now */
	g_hash_table_remove_all(link->rooms);
	if (!answered) {
		/* nothing asked for this link (it came up with the session): say
		 * it in a chat message from the transport, as other notices */
		xmpp_stanza_t *message = xmpp_message_new(pg_transport_get_ctx(session->transport), "chat",
							  session->user_jid, NULL);
		g_autofree gchar *notice = g_strdup_printf("%s. Not retried until you use it "
							   "again.",
							   text);
		pg_stanza_set_body(message, notice);
		pg_transport_send(session->transport, message);
		xmpp_stanza_release(message);
	}
	return TRUE;
}

/* ---------------------------------------------------------------- rooms */

/* The room a room-bound command names, or NULL for any other command. */
static const gchar *
pg_link_queue_room_of(const PgIpcMessage *msg)
{
	if (msg->kind != PG_IPC_CMD_ROOM_MESSAGE && msg->kind != PG_IPC_CMD_SET_ROOM_SUBJECT)
		return NULL;
	return pg_ipc_message_get_string(msg, "room");
}

static gboolean
pg_link_queue_same_room(const gchar *a, const gchar *b)
{
	g_autofree gchar *fa = NULL;
	g_autofree gchar *fb = NULL;

	if (a == NULL || b == NULL)
		return FALSE;
	fa = g_utf8_strdown(a, -1);
	fb = g_utf8_strdown(b, -1);
	return g_strcmp0(fa, fb) == 0;
}

gboolean
pg_link_queue_waits_for_room(PgLink *link, const PgIpcMessage *msg)
{
	const gchar *name = pg_link_queue_room_of(msg);
	g_autofree gchar *key = NULL;
	PgRoom *room;

	if (name == NULL)
		return FALSE;
	key = g_utf8_strdown(name, -1);
	room = g_hash_table_lookup(link->rooms, key);
	return room != NULL && !room->joined;
}

GPtrArray *
pg_link_queue_take_room(PgLink *link, const gchar *name)
{
	GPtrArray *taken = g_ptr_array_new();

	for (GList *l = link->pending->head; l != NULL;) {
		GList *next = l->next;
		PgIpcMessage *msg = l->data;
		if (pg_link_queue_same_room(pg_link_queue_room_of(msg), name)) {
			g_ptr_array_add(taken, msg);
			g_queue_delete_link(link->pending, l);
		}
		l = next;
	}
	return taken;
}

void
pg_link_queue_fail_room(PgLink *link, const gchar *name, gint code, const gchar *text)
{
	g_autoptr(GPtrArray) taken = pg_link_queue_take_room(link, name);

	for (guint i = 0; i < taken->len; i++) {
		PgIpcMessage *msg = g_ptr_array_index(taken, i);
		xmpp_stanza_t *origin = pg_link_queue_steal_origin(link, msg);

		if (origin != NULL) {
			pg_transport_reply_error_code(link->session->transport, origin, code, text);
			xmpp_stanza_release(origin);
		}
		pg_ipc_message_free(msg);
	}
}

/* ---------------------------------------------------------------- in flight */

typedef struct {
	guint32 id;
	gint64 at;             /* monotonic µs */
	xmpp_stanza_t *origin; /* a clone */
	gchar *room;           /* a room-message: its room, casefolded; else NULL */
} PgLinkSent;

static void
pg_link_sent_free(gpointer data)
{
	PgLinkSent *sent = data;

	xmpp_stanza_release(sent->origin);
	g_free(sent->room);
	g_free(sent);
}

/* How long a line may still wait in the worker: PG_LINK_IN_FLIGHT_S, plus,
 * with prpl-irc's throttle on, one interval for each line queued with it
 * (a paste of 20 lines at 2 s a line takes 40 s to go out). */
static gint64
pg_link_queue_window_us(PgLink *link)
{
	guint interval = pg_transport_get_config(link->session->transport)->irc_throttle_interval;

	return ((gint64)PG_LINK_IN_FLIGHT_S + (gint64)interval * g_queue_get_length(link->in_flight)) *
	       G_USEC_PER_SEC;
}

/* The last sign of life of the link's worker (monotonic µs): a line is
 * only known to be written once the worker has gone on running for the
 * window after it got the line.  The wall clock is no measure: a stopped
 * or hung worker reads nothing however long it is held (SIGSTOP until the
 * ping timeout kills it, pg-worker.h), and its lines must be answered. */
static gint64
pg_link_queue_life(PgLink *link)
{
	return pg_supervisor_get_last_frame(link->session->manager->supervisor, link->account);
}

static void pg_link_queue_answer_sent(PgLink *link, PgLinkSent *sent, const gchar *reason);

static void
pg_link_queue_prune(PgLink *link, gint64 life)
{
	while (link->in_flight != NULL && !g_queue_is_empty(link->in_flight)) {
		PgLinkSent *head = g_queue_peek_head(link->in_flight);
		gboolean written = life - head->at >= pg_link_queue_window_us(link);

		if (!written && g_queue_get_length(link->in_flight) <= PG_LINK_IN_FLIGHT_MAX)
			break;
		head = g_queue_pop_head(link->in_flight);
		/* only a caller that bypassed the window (pg_link_queue_release())
		 * gets here with more: the oldest is answered rather than
		 * forgotten (an error for a line that went, never silence for one
		 * that did not) */
		if (!written)
			pg_link_queue_answer_sent(link, head, "too many lines wait in the gateway");
		pg_link_sent_free(head);
	}
}

/* ---------------------------------------------------------------- the window */

/* A command that, once sent, is in flight (pg_link_queue_sent()). */
static gboolean
pg_link_queue_is_line(const PgIpcMessage *msg)
{
	return msg->kind == PG_IPC_CMD_ROOM_MESSAGE || msg->kind == PG_IPC_CMD_SEND_IM ||
	       msg->kind == PG_IPC_CMD_ROOM_PRIVATE_MESSAGE ||
	       msg->kind == PG_IPC_CMD_SET_ROOM_SUBJECT;
}

/* Whether PG_LINK_IN_FLIGHT_MAX lines are in flight now (after forgetting
 * those known to be written by now). */
static gboolean
pg_link_queue_window_full(PgLink *link)
{
	if (link->in_flight == NULL)
		return FALSE;
	pg_link_queue_prune(link, pg_link_queue_life(link));
	return g_queue_get_length(link->in_flight) >= PG_LINK_IN_FLIGHT_MAX;
}

gboolean
pg_link_queue_must_wait(PgLink *link, const PgIpcMessage *msg)
{
	/* behind lines that wait already, in order, whatever its kind */
	return pg_link_queue_waits_for_room(link, msg) || !g_queue_is_empty(link->pending) ||
	       (pg_link_queue_is_line(msg) && pg_link_queue_window_full(link));
}

static gboolean
pg_link_queue_release_cb(gpointer user_data)
{
	PgLink *link = user_data;

	link->release_id = 0;
	/* the worker's life went on (lines older than the window are written),
	 * or lines were queued while the window had room */
	pg_link_queue_release(link);
	return G_SOURCE_REMOVE;
}

void
pg_link_queue_release_soon(PgLink *link)
{
	/* a tick already waits for the window (or an idle): it will do */
	if (link->release_id == 0)
		link->release_id = g_idle_add(pg_link_queue_release_cb, link);
}

void
pg_link_queue_release(PgLink *link)
{
	PgSession *session = link->session;
	GQueue waiting = G_QUEUE_INIT;

	g_clear_handle_id(&link->release_id, g_source_remove);
	if (link->state != PG_LINK_CONNECTED)
		return; /* the next pg_link_on_connected() releases them */
	while (!g_queue_is_empty(link->pending)) {
		PgIpcMessage *msg = g_queue_pop_head(link->pending);
		g_autoptr(GError) error = NULL;
		xmpp_stanza_t *origin;

		/* lines for the rooms being rejoined wait for them */
		if (pg_link_queue_waits_for_room(link, msg)) {
			g_queue_push_tail(&waiting, msg);
			continue;
		}
		if (pg_link_queue_is_line(msg) && pg_link_queue_window_full(link)) {
			/* the worker acknowledges by echoes and errors; lines with
			 * neither (IMs) leave the window as the worker lives on */
			g_queue_push_head(link->pending, msg);
			link->release_id =
			    g_timeout_add_seconds(PG_LINK_RELEASE_TICK_S, pg_link_queue_release_cb, link);
			break;
		}
		origin = pg_link_queue_steal_origin(link, msg);
		/* its answer, an error included, finds the stanza by request id */
		if (!pg_supervisor_send(session->manager->supervisor, link->account, msg, &error)) {
			g_warning("%s: %s", link->account, error->message);
			if (origin != NULL)
				pg_transport_reply_error(session->transport, origin, error);
		} else if (origin != NULL) {
			pg_session_remember(session, msg->id, origin);
			pg_link_queue_sent(link, msg, origin);
		}
		if (origin != NULL)
			xmpp_stanza_release(origin);
		pg_ipc_message_free(msg);
	}
	/* they came first: back to the head, in their order */
	while (!g_queue_is_empty(&waiting))
		g_queue_push_head(link->pending, g_queue_pop_tail(&waiting));
}

void
pg_link_queue_sent(PgLink *link, const PgIpcMessage *msg, xmpp_stanza_t *origin)
{
	PgLinkSent *sent;

	if (origin == NULL ||
	    (msg->kind != PG_IPC_CMD_ROOM_MESSAGE && msg->kind != PG_IPC_CMD_SEND_IM &&
	     msg->kind != PG_IPC_CMD_ROOM_PRIVATE_MESSAGE &&
	     msg->kind != PG_IPC_CMD_SET_ROOM_SUBJECT))
		return;
	if (link->in_flight == NULL)
		link->in_flight = g_queue_new();
	sent = g_new0(PgLinkSent, 1);
	sent->id = msg->id;
	sent->at = g_get_monotonic_time();
	sent->origin = xmpp_stanza_clone(origin);
	if (msg->kind == PG_IPC_CMD_ROOM_MESSAGE)
		sent->room = g_utf8_strdown(pg_ipc_message_get_string(msg, "room"), -1);
	g_queue_push_tail(link->in_flight, sent);
	pg_link_queue_prune(link, pg_link_queue_life(link));
}

void
pg_link_queue_answered(PgLink *link, guint32 id)
{
	if (link->in_flight == NULL || id == 0)
		return;
	for (GList *l = link->in_flight->head; l != NULL; l = l->next) {
		PgLinkSent *sent = l->data;
		if (sent->id == id) {
			pg_link_sent_free(sent);
			g_queue_delete_link(link->in_flight, l);
			pg_link_queue_release(link);
			return;
		}
	}
}

void
pg_link_queue_echoed(PgLink *link, const gchar *room)
{
	g_autofree gchar *key = NULL;

	/* with the throttle on, an echoed line may still wait in prpl-irc's
	 * queue; with it off, the worker writes it in the same main-loop turn
	 * (pg-purple-sendq.c), and the kernel delivers what was written even
	 * if the process is killed right after */
	if (link->in_flight == NULL ||
	    pg_transport_get_config(link->session->transport)->irc_throttle_interval != 0)
		return;
	key = g_utf8_strdown(room, -1);
	for (GList *l = link->in_flight->head; l != NULL; l = l->next) {
		PgLinkSent *sent = l->data;
		if (g_strcmp0(sent->room, key) == 0) {
			pg_link_sent_free(sent);
			g_queue_delete_link(link->in_flight, l);
			pg_link_queue_release(link);
			return;
		}
	}
}

void
pg_link_queue_forget_echo(PgLink *link, xmpp_stanza_t *origin)
{
	const gchar *id = xmpp_stanza_get_id(origin);
	g_autoptr(PgJid) to = NULL;
	g_autoptr(PgNetworkAddress) address = NULL;
	g_autofree gchar *key = NULL;
	PgRoom *room;

	if (id == NULL || g_strcmp0(xmpp_stanza_get_name(origin), "message") != 0 ||
	    g_strcmp0(xmpp_stanza_get_type(origin), "groupchat") != 0)
		return;
	to = pg_jid_parse(xmpp_stanza_get_to(origin), NULL);
	address = to != NULL && to->local != NULL
		      ? pg_network_for(pg_transport_get_config(link->session->transport)->type)
			    ->parse_address(pg_transport_get_config(link->session->transport), to,
					    NULL)
		      : NULL;
	if (address == NULL || !address->is_room)
		return;
	key = g_utf8_strdown(address->name, -1);
	room = g_hash_table_lookup(link->rooms, key);
	if (room == NULL)
		return;
	for (GList *l = room->echo_ids->head; l != NULL; l = l->next) {
		if (g_strcmp0(l->data, id) == 0) {
			g_free(l->data);
			g_queue_delete_link(room->echo_ids, l);
			return;
		}
	}
}

/* @sent may not have gone out: RFC 6120 §8.3.3.13 recipient-unavailable. */
static void
pg_link_queue_answer_sent(PgLink *link, PgLinkSent *sent, const gchar *reason)
{
	g_autofree gchar *text = g_strdup_printf(
	    "This message may not have reached %s: %s",
	    link->server[0] != '\0' ? link->server : "the legacy network",
	    reason != NULL ? reason : "the connection was lost");

	/* no echo will come for it: the next echo must not take its id */
	pg_link_queue_forget_echo(link, sent->origin);
	pg_transport_reply_error_code(link->session->transport, sent->origin,
				      PG_ERROR_RECIPIENT_UNAVAILABLE, text);
}

void
pg_link_queue_fail_in_flight(PgLink *link, const gchar *reason)
{
	guint n = 0;

	if (link->in_flight == NULL)
		return;
	/* the worker's last frame, not now: a worker killed as hung read
	 * nothing in its last half minute */
	pg_link_queue_prune(link, pg_link_queue_life(link));
	while (!g_queue_is_empty(link->in_flight)) {
		PgLinkSent *sent = g_queue_pop_head(link->in_flight);
		pg_link_queue_answer_sent(link, sent, reason);
		pg_link_sent_free(sent);
		n++;
	}
	if (n > 0)
		g_message("%s: %u message(s) handed over lately may be lost; each got an error",
			  link->account, n);
}
