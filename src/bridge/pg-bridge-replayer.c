/* The replay of imported logs into a bridge's room (issue 11 §6;
 * pg-bridge-replayer.h).
 *
 * DESIGN
 * - Sent by the relay occupant (the bridge's own nick in the room), never
 *   by puppets: a log holds years of nicks long gone, and a puppet per
 *   past speaker would be hundreds of joins and leaves in the room, over
 *   its limits (max_users, mod_muc_limits), and clash with the people
 *   who are in the channel today.  So the speaker goes into the text,
 *   "<alice> hello", "* alice waves", "-alice- notice".
 * - import_time = both (default) also writes "[YYYY-MM-DD HH:MM]" (UTC)
 *   into the text, for Prosody 0.12, whose MAM drops the XEP-0203
 *   <delay/> and files the line at its arrival; every replayed line
 *   carries the <delay/> anyway, which ejabberd keeps inside the archived
 *   message (tests/integration/test_bridge_mam_delay.py).
 * - One line in flight: the next goes only when the room has echoed the
 *   last one back, told by its XEP-0359 origin-id "pgb-replay-NAME-ID"
 *   (ID: the spool row); only then is the row marked replayed, with the
 *   room's stanza-id.  So the lines are archived in order, at most
 *   replay_rate a second, and a restart resends what was never echoed.
 *   Each time the relay (re)enters the room it first asks the room's
 *   archive (XEP-0313) for its last few messages and marks the rows whose
 *   origin-id it finds: a line the room took just before a restart (or
 *   a lost stream) is not sent twice.
 * - Lines that have no message form (joins, quits, modes...) are marked
 *   replayed without being sent (pg-bridge-replay.h).
 * - While idle it looks at the spool every PG_BRIDGE_REPLAYER_IDLE_S, so
 *   `polygate bridge import` beside a running gateway needs nothing more;
 *   the "bridge-replay" admin command looks at once.
 */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "bridge/pg-bridge-private.h"
#include "bridge/pg-bridge-replay.h"
#include "bridge/pg-bridge-replayer.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-mam.h"

#define PG_BRIDGE_REPLAYER_PREFIX     "pgb-replay-"
#define PG_BRIDGE_REPLAYER_MAM_PREFIX "pgb-replay-mam-"
/* seconds between two looks at an empty spool */
#define PG_BRIDGE_REPLAYER_IDLE_S 5
/* seconds a line waits for its echo before it is sent again */
#define PG_BRIDGE_REPLAYER_ECHO_S 30
/* messages of the room's archive looked at on each entry */
#define PG_BRIDGE_REPLAYER_MAM_MAX "10"

typedef enum {
	PG_BRIDGE_REPLAYER_OUT,      /* the relay is not in the room */
	PG_BRIDGE_REPLAYER_CHECKING, /* the archive query is out */
	PG_BRIDGE_REPLAYER_READY,
} PgBridgeReplayerPhase;

struct _PgBridgeReplayer {
	PgBridge *bridge;
	PgBridgeReplayerPhase phase;
	guint timer_id;
	gint64 in_flight;      /* spool row waiting for its echo, 0 none */
	gint64 sent_us;        /* when it went (monotonic) */
	gint64 next_us;        /* the throttle: not before this (monotonic) */
	guint64 serial;
	gchar *origin_prefix;  /* "pgb-replay-NAME-" */
	gchar *mam_id;         /* the archive query out, or NULL */
	/* the last row handled: the next read starts after it (a read from
	 * the start walks every replayed row), back to the start when it
	 * finds nothing, on each entry and after a lost echo */
	gint64 after_time_us;
	gint64 after_id;
};

static void
pg_bridge_replayer_rewind(PgBridgeReplayer *self)
{
	self->after_time_us = G_MININT64;
	self->after_id = 0;
}

static void pg_bridge_replayer_schedule(PgBridgeReplayer *self, gint64 delay_us);

/* Straight to the transport: pg-bridge-room.c calls in here, not back. */
static void
pg_bridge_replayer_send(PgBridge *bridge, xmpp_stanza_t *stanza)
{
	if (bridge->transport != NULL && pg_transport_is_connected(bridge->transport))
		pg_transport_send(bridge->transport, stanza);
}

static gboolean
pg_bridge_replayer_can_send(PgBridgeReplayer *self)
{
	PgBridge *bridge = self->bridge;

	return bridge->store != NULL && bridge->transport != NULL &&
	       pg_transport_is_connected(bridge->transport) &&
	       bridge->relay_state == PG_BRIDGE_OCCUPANT_IN && !bridge->paused &&
	       !bridge->readonly;
}

/* XEP-0313 §4: the room's last messages, to find lines of ours it took. */
static void
pg_bridge_replayer_check_archive(PgBridgeReplayer *self)
{
	PgBridge *bridge = self->bridge;
	xmpp_ctx_t *ctx = pg_transport_get_ctx(bridge->transport);
	g_autoptr(xmpp_stanza_t) iq = NULL;
	xmpp_stanza_t *query, *set;

	g_free(self->mam_id);
	self->mam_id = g_strdup_printf(PG_BRIDGE_REPLAYER_MAM_PREFIX "%" G_GUINT64_FORMAT,
				       ++self->serial);
	iq = xmpp_iq_new(ctx, "set", self->mam_id);
	pg_stanza_set_from(iq, bridge->jid);
	pg_stanza_set_to(iq, bridge->config->room);
	query = pg_stanza_add_child(iq, "query", PG_NS_MAM);
	pg_stanza_set_attribute(query, "queryid", self->mam_id);
	set = pg_stanza_add_child(query, "set", PG_NS_RSM);
	pg_stanza_add_text_child(set, "max", PG_BRIDGE_REPLAYER_MAM_MAX);
	pg_stanza_add_child(set, "before", NULL); /* XEP-0059 §2.5: the last page */
	self->phase = PG_BRIDGE_REPLAYER_CHECKING;
	pg_bridge_replayer_send(bridge, iq);
}

/* The line's speaker into its text: the relay sends it. */
static PgBridgeLine *
pg_bridge_replayer_spoken(const PgBridgeLine *line)
{
	g_autofree gchar *text = NULL;

	switch (line->kind) {
	case PG_BRIDGE_LINE_MESSAGE:
		text = g_strdup_printf("<%s> %s", line->nick, line->text);
		break;
	case PG_BRIDGE_LINE_ACTION:
		text = g_strdup_printf("* %s %s", line->nick, line->text);
		break;
	case PG_BRIDGE_LINE_NOTICE:
		text = g_strdup_printf("-%s- %s", line->nick, line->text);
		break;
	default:
		return NULL;
	}
	return pg_bridge_line_new(line->time_us, line->nick, PG_BRIDGE_LINE_MESSAGE, text);
}

/* Sends the next pending row, or marks rows without a message form.
 * Returns: the µs until the next tick. */
static gint64
pg_bridge_replayer_step(PgBridgeReplayer *self)
{
	PgBridge *bridge = self->bridge;
	const gchar *name = bridge->config->name;
	gint64 now = g_get_monotonic_time();
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) items = NULL;

	if (!pg_bridge_replayer_can_send(self)) {
		if (bridge->relay_state != PG_BRIDGE_OCCUPANT_IN) {
			self->phase = PG_BRIDGE_REPLAYER_OUT;
			self->in_flight = 0;
		}
		return PG_BRIDGE_REPLAYER_IDLE_S * G_USEC_PER_SEC;
	}
	if (self->phase == PG_BRIDGE_REPLAYER_OUT) {
		/* the relay is (back) in the room: what did it take already? */
		pg_bridge_replayer_rewind(self);
		pg_bridge_replayer_check_archive(self);
		return PG_BRIDGE_REPLAYER_ECHO_S * G_USEC_PER_SEC;
	}
	if (self->phase == PG_BRIDGE_REPLAYER_CHECKING) {
		/* no answer to the archive query: go on without it */
		self->phase = PG_BRIDGE_REPLAYER_READY;
		g_clear_pointer(&self->mam_id, g_free);
	}
	if (self->in_flight != 0) {
		if (now - self->sent_us < PG_BRIDGE_REPLAYER_ECHO_S * G_USEC_PER_SEC)
			return self->sent_us + PG_BRIDGE_REPLAYER_ECHO_S * G_USEC_PER_SEC - now;
		/* no echo: look at the archive before sending it again */
		g_warning("bridge %s: no echo of replayed line %" G_GINT64_FORMAT
			  " from the room; checking its archive",
			  name, self->in_flight);
		self->in_flight = 0;
		pg_bridge_replayer_rewind(self);
		pg_bridge_replayer_check_archive(self);
		return PG_BRIDGE_REPLAYER_ECHO_S * G_USEC_PER_SEC;
	}
	if (now < self->next_us)
		return self->next_us - now;
	items = pg_bridge_store_spool_read(bridge->store, name, self->after_time_us,
					   self->after_id, 1, TRUE, &error);
	if (items == NULL) {
		pg_bridge_fail(bridge, PG_BRIDGE_TO_XMPP,
			       g_strdup_printf("cannot read the import spool: %s", error->message));
		return PG_BRIDGE_REPLAYER_IDLE_S * G_USEC_PER_SEC;
	}
	if (items->len == 0 && self->after_time_us != G_MININT64) {
		/* an import may have added lines older than the last one */
		pg_bridge_replayer_rewind(self);
		return 0;
	}
	if (items->len == 0)
		return PG_BRIDGE_REPLAYER_IDLE_S * G_USEC_PER_SEC;
	{
		PgBridgeSpoolItem *item = g_ptr_array_index(items, 0);
		g_autoptr(PgBridgeLine) spoken = pg_bridge_replayer_spoken(item->line);
		g_autofree gchar *origin_id =
		    g_strdup_printf("%s%" G_GINT64_FORMAT, self->origin_prefix, item->id);
		g_autoptr(xmpp_stanza_t) message = NULL;

		self->after_time_us = item->line->time_us;
		self->after_id = item->id;
		if (spoken != NULL)
			message = pg_bridge_replay_stanza(
			    pg_transport_get_ctx(bridge->transport), bridge->jid,
			    bridge->config->room, spoken,
			    g_strcmp0(bridge->config->import_time, "delay") == 0
				? PG_BRIDGE_REPLAY_DELAY
				: PG_BRIDGE_REPLAY_TIME_IN_BODY,
			    origin_id, NULL);
		if (message == NULL) {
			/* a join, a quit...: nothing to say in the room */
			if (!pg_bridge_store_spool_mark_replayed(bridge->store, item->id, NULL,
								 g_get_real_time(), &error))
				pg_bridge_fail(bridge, PG_BRIDGE_TO_XMPP,
					       g_strdup_printf("cannot mark a spooled line: %s",
							       error->message));
			return 0;
		}
		/* the id too, so that an error from the room names the row */
		xmpp_stanza_set_id(message, origin_id);
		self->in_flight = item->id;
		self->sent_us = now;
		self->next_us = now + G_USEC_PER_SEC / MAX(bridge->config->replay_rate, 1);
		pg_bridge_replayer_send(bridge, message);
		return PG_BRIDGE_REPLAYER_ECHO_S * G_USEC_PER_SEC;
	}
}

static gboolean
pg_bridge_replayer_tick_cb(gpointer user_data)
{
	PgBridgeReplayer *self = user_data;

	self->timer_id = 0;
	pg_bridge_replayer_schedule(self, pg_bridge_replayer_step(self));
	return G_SOURCE_REMOVE;
}

static void
pg_bridge_replayer_schedule(PgBridgeReplayer *self, gint64 delay_us)
{
	g_clear_handle_id(&self->timer_id, g_source_remove);
	self->timer_id = g_timeout_add((guint)MAX(delay_us / 1000, 0), pg_bridge_replayer_tick_cb,
				       self);
}

PgBridgeReplayer *
pg_bridge_replayer_new(PgBridge *bridge)
{
	PgBridgeReplayer *self = g_new0(PgBridgeReplayer, 1);

	self->bridge = bridge;
	pg_bridge_replayer_rewind(self);
	self->origin_prefix =
	    g_strconcat(PG_BRIDGE_REPLAYER_PREFIX, bridge->config->name, "-", NULL);
	pg_bridge_replayer_schedule(self, PG_BRIDGE_REPLAYER_IDLE_S * G_USEC_PER_SEC);
	return self;
}

void
pg_bridge_replayer_free(PgBridgeReplayer *self)
{
	if (self == NULL)
		return;
	g_clear_handle_id(&self->timer_id, g_source_remove);
	g_free(self->origin_prefix);
	g_free(self->mam_id);
	g_free(self);
}

void
pg_bridge_replayer_poke(PgBridgeReplayer *self)
{
	if (self->in_flight == 0)
		pg_bridge_replayer_rewind(self);
	pg_bridge_replayer_schedule(self, 0);
}

/* The spool row an origin-id of ours names, or 0. */
static gint64
pg_bridge_replayer_row(PgBridgeReplayer *self, xmpp_stanza_t *message)
{
	xmpp_stanza_t *origin = xmpp_stanza_get_child_by_name_and_ns(message, "origin-id", PG_NS_SID);
	const gchar *id = origin != NULL ? xmpp_stanza_get_attribute(origin, "id") : NULL;
	gchar *end = NULL;
	gint64 row;

	if (id == NULL || !g_str_has_prefix(id, self->origin_prefix))
		return 0;
	row = g_ascii_strtoll(id + strlen(self->origin_prefix), &end, 10);
	return end != NULL && *end == '\0' && row > 0 ? row : 0;
}

/* The room's XEP-0359 stanza-id of @message (by = the room), or NULL. */
static const gchar *
pg_bridge_replayer_stanza_id(PgBridge *bridge, xmpp_stanza_t *message)
{
	for (xmpp_stanza_t *child = xmpp_stanza_get_children(message); child != NULL;
	     child = xmpp_stanza_get_next(child)) {
		const gchar *by = xmpp_stanza_get_attribute(child, "by");
		if (g_strcmp0(xmpp_stanza_get_name(child), "stanza-id") == 0 &&
		    g_strcmp0(xmpp_stanza_get_ns(child), PG_NS_SID) == 0 && by != NULL &&
		    g_ascii_strcasecmp(by, bridge->config->room) == 0)
			return xmpp_stanza_get_attribute(child, "id");
	}
	return NULL;
}

static void
pg_bridge_replayer_mark(PgBridgeReplayer *self, gint64 row, const gchar *stanza_id)
{
	g_autoptr(GError) error = NULL;

	if (!pg_bridge_store_spool_mark_replayed(self->bridge->store, row, stanza_id,
						 g_get_real_time(), &error))
		g_warning("bridge %s: cannot mark spooled line %" G_GINT64_FORMAT ": %s",
			  self->bridge->config->name, row, error->message);
	else
		pg_bridge_store_count(self->bridge->store, self->bridge->config->name,
				      PG_BRIDGE_TO_XMPP, 1, g_get_real_time());
	if (row == self->in_flight) {
		self->in_flight = 0;
		pg_bridge_replayer_schedule(self, MAX(self->next_us - g_get_monotonic_time(), 0));
	}
}

gboolean
pg_bridge_replayer_stanza(PgBridgeReplayer *self, xmpp_stanza_t *stanza)
{
	PgBridge *bridge = self->bridge;
	const gchar *name = xmpp_stanza_get_name(stanza);
	const gchar *type = xmpp_stanza_get_type(stanza);
	const gchar *id = xmpp_stanza_get_id(stanza);

	if (bridge->store == NULL)
		return FALSE;
	if (g_strcmp0(name, "presence") == 0) {
		/* the relay may just have entered: look once the room code has
		 * taken the presence */
		if (self->phase == PG_BRIDGE_REPLAYER_OUT)
			pg_bridge_replayer_poke(self);
		return FALSE;
	}
	if (g_strcmp0(name, "iq") == 0) {
		if (self->mam_id == NULL || g_strcmp0(id, self->mam_id) != 0)
			return FALSE;
		if (g_strcmp0(type, "error") == 0)
			g_message("bridge %s: the room's archive cannot be read before the "
				  "replay; a line sent just before a restart may show twice",
				  bridge->config->name);
		g_clear_pointer(&self->mam_id, g_free);
		self->phase = PG_BRIDGE_REPLAYER_READY;
		pg_bridge_replayer_poke(self);
		return TRUE;
	}
	if (g_strcmp0(name, "message") != 0)
		return FALSE;
	{
		/* XEP-0313 §4.2: <result queryid=...><forwarded><message/> */
		xmpp_stanza_t *result = xmpp_stanza_get_child_by_name_and_ns(stanza, "result", PG_NS_MAM);
		if (result != NULL) {
			xmpp_stanza_t *forwarded, *inner;
			gint64 row;

			if (!g_str_has_prefix(xmpp_stanza_get_attribute(result, "queryid") != NULL
						  ? xmpp_stanza_get_attribute(result, "queryid")
						  : "",
					      PG_BRIDGE_REPLAYER_MAM_PREFIX))
				return FALSE;
			forwarded = xmpp_stanza_get_child_by_name_and_ns(result, "forwarded",
									 PG_NS_FORWARD);
			inner = forwarded != NULL
				    ? xmpp_stanza_get_child_by_name(forwarded, "message")
				    : NULL;
			row = inner != NULL ? pg_bridge_replayer_row(self, inner) : 0;
			if (row > 0)
				pg_bridge_replayer_mark(self, row,
							xmpp_stanza_get_attribute(result, "id"));
			return TRUE;
		}
	}
	if (g_strcmp0(type, "error") == 0 && id != NULL &&
	    g_str_has_prefix(id, self->origin_prefix)) {
		pg_bridge_fail(bridge, PG_BRIDGE_TO_XMPP,
			       g_strdup_printf("the room refused a replayed line (%s)", id));
		/* sent again after the echo wait, and refused again: slowly */
		return TRUE;
	}
	if (g_strcmp0(type, "groupchat") == 0) {
		gint64 row = pg_bridge_replayer_row(self, stanza);
		if (row == 0)
			return FALSE;
		pg_bridge_replayer_mark(self, row, pg_bridge_replayer_stanza_id(bridge, stanza));
		return TRUE;
	}
	return FALSE;
}

guint64
pg_bridge_replayer_pending(PgBridgeReplayer *self)
{
	g_autoptr(GPtrArray) statuses = NULL;
	PgBridgeStatus *status;

	if (self->bridge->store == NULL)
		return 0;
	statuses = pg_bridge_store_status(self->bridge->store, self->bridge->config->name,
					  g_get_real_time(), NULL);
	if (statuses == NULL || statuses->len == 0)
		return 0;
	status = g_ptr_array_index(statuses, 0);
	return status->spool_pending;
}
