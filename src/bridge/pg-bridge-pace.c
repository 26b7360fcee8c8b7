/* Each sender's outbox into the room: a puppet's, and the relay's.
 *
 * DESIGN (issue 11: "room limits are checked"; nothing is lost):
 *   - A room may bounce a groupchat message that came too soon after the
 *     sender's last one.  ejabberd 23.01's mod_muc with
 *     min_message_interval (or a user_message_shaper) holds ONE early
 *     message per occupant and delivers it when the interval is over; any
 *     other that arrives meanwhile comes back as an error, type wait,
 *     resource-constraint "Traffic rate limit is exceeded"
 *     (mod_muc_room.erl normal_state).  Prosody's community mod_muc_limits
 *     bounces with wait/policy-violation "The room is currently
 *     overactive, please try again later" (and the body), and spares
 *     affiliated occupants, which our puppets are.  RFC 6120 §8.3.2: type
 *     wait means "retry after waiting".
 *   - So each line keeps its id until the room reflects it (the relay sees
 *     every message with the id we gave it).  A bounced line goes back
 *     into the outbox, in its place by order, and from then on until the
 *     bridge loses the room every sender of the bridge (puppets and relay)
 *     is PACED: one line in flight at a time, the next only after the room
 *     reflected the last.  ejabberd's held message then sets the pace, no
 *     line is bounced twice, and none overtakes another.  Only the lines
 *     already on their way when the first bounce comes can: one the room
 *     takes after it released its held message lands before the bounced
 *     one that goes again (a window of one min_message_interval, once per
 *     room).  Where nothing is
 *     in flight the bounced line goes again after a wait that doubles from
 *     PG_BRIDGE_PACE_WAIT_MIN_MS per bounce (a room-wide limit such as
 *     mod_muc_limits') and resets on the next reflection.
 *   - Unpaced, lines go out at once (the bridge's 1,000 lines/s); each
 *     keeps only a small record until its reflection, PG_BRIDGE_PACE_FLIGHT_MAX
 *     at most (the oldest are taken as delivered).
 *   - A puppet's outbox takes PG_BRIDGE_PACE_QUEUE_MAX new lines (bounced
 *     ones come back on top, PG_BRIDGE_PACE_FLIGHT_MAX at most).  Past that,
 *     its IRC person's lines go through the relay as `<nick> text` (the
 *     relay is another occupant with a pace of its own), so the room may
 *     see them before the puppet's waiting ones: the one place order
 *     gives way to not losing a line.  The relay's outbox holds
 *     PG_BRIDGE_PACE_RELAY_MAX; past that a line is dropped, logged and
 *     recorded as the bridge's last error.
 *   - A puppet that leaves with lines waiting hands them to the relay. */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include "bridge/pg-bridge-private.h"
#include "stanza/pg-stanza.h"

#define PG_BRIDGE_PACE_QUEUE_MAX 100
#define PG_BRIDGE_PACE_RELAY_MAX 1000
#define PG_BRIDGE_PACE_FLIGHT_MAX 256
#define PG_BRIDGE_PACE_WAIT_MIN_MS 500
#define PG_BRIDGE_PACE_WAIT_MAX_MS 30000
/* A paced line not reflected in this time is taken as delivered (the
 * relay may have missed it): the next one goes. */
#define PG_BRIDGE_PACE_REFLECTION_MS 10000
/* While the sender is out of the room, the outbox looks again this often. */
#define PG_BRIDGE_PACE_OFFLINE_MS 1000

/* ------------------------------------------------ shared by the bridge's files */

const gchar *
pg_bridge_error_condition(xmpp_stanza_t *stanza)
{
	xmpp_stanza_t *error = xmpp_stanza_get_child_by_name(stanza, "error");

	for (xmpp_stanza_t *child = error != NULL ? xmpp_stanza_get_children(error) : NULL;
	     child != NULL; child = xmpp_stanza_get_next(child)) {
		if (g_strcmp0(xmpp_stanza_get_ns(child), PG_NS_STANZAS) == 0 &&
		    g_strcmp0(xmpp_stanza_get_name(child), "text") != 0)
			return xmpp_stanza_get_name(child);
	}
	return "undefined-condition";
}

void
pg_bridge_remember_id(GHashTable *set, GQueue *order, const gchar *id)
{
	if (id == NULL || g_hash_table_contains(set, id))
		return;
	g_hash_table_add(set, g_strdup(id));
	g_queue_push_tail(order, g_strdup(id));
	while (g_queue_get_length(order) > PG_BRIDGE_IDS_MAX) {
		g_autofree gchar *old = g_queue_pop_head(order);
		g_hash_table_remove(set, old);
	}
}

/* ------------------------------------------------------------ the outboxes */

/* A groupchat message @text into the room from @from (a puppet's JID or
 * the relay's), now; its id is remembered so that its reflection is not
 * relayed back (pg-bridge-room.c).  Returns: (transfer full) the id. */
static gchar *
pg_bridge_pace_speak(PgBridge *bridge, const gchar *from, const gchar *text)
{
	g_autofree gchar *id = g_strdup_printf("pgb-%s-%" G_GUINT64_FORMAT, bridge->config->name,
					       ++bridge->serial);
	g_autoptr(xmpp_stanza_t) message =
	    xmpp_message_new(pg_transport_get_ctx(bridge->transport), "groupchat", NULL, id);

	pg_stanza_set_from(message, from);
	pg_stanza_set_to(message, bridge->config->room);
	pg_stanza_set_body(message, text);
	pg_bridge_remember_id(bridge->own_ids, bridge->own_id_order, id);
	pg_transport_send(bridge->transport, message);
	if (bridge->store != NULL)
		pg_bridge_store_count(bridge->store, bridge->config->name, PG_BRIDGE_TO_XMPP, 1,
				      g_get_real_time());
	return g_steal_pointer(&id);
}

typedef struct {
	guint64 seq;
	gchar *id; /* once sent */
	gchar *text;
} PgBridgePaceLine;

struct _PgBridgePace {
	PgBridge *bridge;
	PgBridgePuppet *puppet; /* NULL: the relay's */
	GQueue *waiting;        /* PgBridgePaceLine, not sent, by seq */
	GQueue *flight;         /* PgBridgePaceLine, sent, not reflected yet */
	guint64 seq;
	guint wait_ms;          /* after the last bounce; 0 after a reflection */
	guint timer_id;
	gboolean overflowed;    /* logged once */
};

static void
pg_bridge_pace_line_free(gpointer data)
{
	PgBridgePaceLine *line = data;

	g_free(line->id);
	g_free(line->text);
	g_free(line);
}

PgBridgePace *
pg_bridge_pace_new(PgBridge *bridge, PgBridgePuppet *puppet)
{
	PgBridgePace *pace = g_new0(PgBridgePace, 1);

	pace->bridge = bridge;
	pace->puppet = puppet;
	pace->waiting = g_queue_new();
	pace->flight = g_queue_new();
	return pace;
}

void
pg_bridge_pace_free(PgBridgePace *pace)
{
	if (pace == NULL)
		return;
	g_clear_handle_id(&pace->timer_id, g_source_remove);
	g_queue_free_full(pace->waiting, pg_bridge_pace_line_free);
	g_queue_free_full(pace->flight, pg_bridge_pace_line_free);
	g_free(pace);
}

static const gchar *
pg_bridge_pace_from(PgBridgePace *pace)
{
	return pace->puppet != NULL ? pace->puppet->jid : pace->bridge->jid;
}

static const gchar *
pg_bridge_pace_who(PgBridgePace *pace)
{
	return pace->puppet != NULL ? pace->puppet->irc_nick : "the relay";
}

static gboolean
pg_bridge_pace_paced(PgBridgePace *pace)
{
	return pace->bridge->rate_limited;
}

static void pg_bridge_pace_send(PgBridgePace *pace);

/* Whether the sender is in the room, over a stream that is up. */
static gboolean
pg_bridge_pace_can_send(PgBridgePace *pace)
{
	PgBridge *bridge = pace->bridge;
	PgBridgeOccupantState state =
	    pace->puppet != NULL ? pace->puppet->state : bridge->relay_state;

	return state == PG_BRIDGE_OCCUPANT_IN && bridge->transport != NULL &&
	       pg_transport_is_connected(bridge->transport);
}

static gboolean
pg_bridge_pace_timer_cb(gpointer user_data)
{
	PgBridgePace *pace = user_data;

	pace->timer_id = 0;
	/* a paced line whose reflection never came: taken as delivered */
	if (pg_bridge_pace_paced(pace) && !g_queue_is_empty(pace->flight))
		g_queue_clear_full(pace->flight, pg_bridge_pace_line_free);
	pg_bridge_pace_send(pace);
	return G_SOURCE_REMOVE;
}

static void
pg_bridge_pace_arm(PgBridgePace *pace, guint ms)
{
	g_clear_handle_id(&pace->timer_id, g_source_remove);
	pace->timer_id = g_timeout_add(ms, pg_bridge_pace_timer_cb, pace);
}

/* What waits goes out: all of it, or one line at a time while paced. */
static void
pg_bridge_pace_send(PgBridgePace *pace)
{
	PgBridge *bridge = pace->bridge;
	gboolean paced = pg_bridge_pace_paced(pace);

	while (!g_queue_is_empty(pace->waiting)) {
		PgBridgePaceLine *line;

		if (paced && !g_queue_is_empty(pace->flight))
			break; /* its reflection (or the timer) sends the next */
		if (pace->timer_id != 0 && pace->wait_ms != 0)
			return; /* waiting after a bounce */
		if (!pg_bridge_pace_can_send(pace)) {
			pg_bridge_pace_arm(pace, PG_BRIDGE_PACE_OFFLINE_MS);
			return;
		}
		line = g_queue_pop_head(pace->waiting);
		line->id = pg_bridge_pace_speak(bridge, pg_bridge_pace_from(pace), line->text);
		g_queue_push_tail(pace->flight, line);
		while (g_queue_get_length(pace->flight) > PG_BRIDGE_PACE_FLIGHT_MAX)
			pg_bridge_pace_line_free(g_queue_pop_head(pace->flight));
	}
	if (g_queue_is_empty(pace->waiting))
		pace->overflowed = FALSE;
	if (paced && !g_queue_is_empty(pace->flight) && pace->timer_id == 0)
		pg_bridge_pace_arm(pace, PG_BRIDGE_PACE_REFLECTION_MS);
}

static void
pg_bridge_pace_push(PgBridgePace *pace, const gchar *text)
{
	PgBridgePaceLine *line = g_new0(PgBridgePaceLine, 1);

	line->seq = ++pace->seq;
	line->text = g_strdup(text);
	g_queue_push_tail(pace->waiting, line);
}

void
pg_bridge_pace_say(PgBridgePace *pace, const gchar *text)
{
	PgBridge *bridge = pace->bridge;
	guint max = pace->puppet != NULL ? PG_BRIDGE_PACE_QUEUE_MAX : PG_BRIDGE_PACE_RELAY_MAX;

	if (g_queue_get_length(pace->waiting) >= max) {
		if (pace->puppet != NULL) {
			if (!pace->overflowed)
				g_message("bridge %s: %s speaks faster than the room takes; its "
					  "next lines go through the relay",
					  bridge->config->name, pace->puppet->irc_nick);
			pace->overflowed = TRUE;
			pg_bridge_pace_relay(bridge, pace->puppet->irc_nick, text);
		} else {
			pg_bridge_fail(bridge, PG_BRIDGE_TO_XMPP,
				       g_strdup_printf("the room's rate limit: %u lines wait for the "
						       "relay; a line is dropped",
						       max));
		}
		return;
	}
	pg_bridge_pace_push(pace, text);
	pg_bridge_pace_send(pace);
}

void
pg_bridge_pace_relay(PgBridge *bridge, const gchar *nick, const gchar *text)
{
	g_autofree gchar *line = g_strdup_printf("<%s> %s", nick, text);

	if (bridge->relay_pace == NULL)
		bridge->relay_pace = pg_bridge_pace_new(bridge, NULL);
	pg_bridge_pace_say(bridge->relay_pace, line);
}

void
pg_bridge_pace_hand_over(PgBridgePace *pace)
{
	if (pace == NULL || pace->puppet == NULL)
		return;
	while (!g_queue_is_empty(pace->waiting)) {
		PgBridgePaceLine *line = g_queue_pop_head(pace->waiting);
		pg_bridge_pace_relay(pace->bridge, pace->puppet->irc_nick, line->text);
		pg_bridge_pace_line_free(line);
	}
}

static GList *
pg_bridge_pace_find(PgBridgePace *pace, const gchar *id)
{
	for (GList *link = pace->flight->head; link != NULL; link = link->next) {
		if (g_strcmp0(((PgBridgePaceLine *)link->data)->id, id) == 0)
			return link;
	}
	return NULL;
}

static PgBridgePace *
pg_bridge_pace_of_nick(PgBridge *bridge, const gchar *nick)
{
	PgBridgePuppet *puppet;

	if (g_strcmp0(nick, bridge->relay_nick) == 0)
		return bridge->relay_pace;
	puppet = nick != NULL ? g_hash_table_lookup(bridge->by_room_nick, nick) : NULL;
	return puppet != NULL ? puppet->pace : NULL;
}

void
pg_bridge_pace_reflected(PgBridge *bridge, const gchar *nick, const gchar *id)
{
	PgBridgePace *pace = pg_bridge_pace_of_nick(bridge, nick);
	GList *link = pace != NULL ? pg_bridge_pace_find(pace, id) : NULL;

	if (link == NULL)
		return;
	pg_bridge_pace_line_free(link->data);
	g_queue_delete_link(pace->flight, link);
	/* it got through: no more waiting, and a fresh timer for the next */
	pace->wait_ms = 0;
	g_clear_handle_id(&pace->timer_id, g_source_remove);
	pg_bridge_pace_send(pace);
}

gboolean
pg_bridge_pace_bounced(PgBridge *bridge, PgBridgePuppet *puppet, xmpp_stanza_t *message)
{
	PgBridgePace *pace = puppet != NULL ? puppet->pace : bridge->relay_pace;
	const gchar *condition = pg_bridge_error_condition(message);
	GList *link;
	GList *at;
	PgBridgePaceLine *line;

	if (pace == NULL || (g_strcmp0(condition, "resource-constraint") != 0 &&
			     g_strcmp0(condition, "policy-violation") != 0))
		return FALSE;
	link = pg_bridge_pace_find(pace, xmpp_stanza_get_id(message));
	if (link == NULL)
		return FALSE;
	line = link->data;
	g_queue_delete_link(pace->flight, link);
	g_clear_pointer(&line->id, g_free);
	/* back in its place: before every later line still waiting */
	for (at = pace->waiting->head; at != NULL; at = at->next) {
		if (((PgBridgePaceLine *)at->data)->seq > line->seq)
			break;
	}
	if (at != NULL)
		g_queue_insert_before(pace->waiting, at, line);
	else
		g_queue_push_tail(pace->waiting, line);
	if (!bridge->rate_limited)
		g_message("bridge %s: the room bounced a line of %s for its rate (%s); the "
			  "bridge's lines go one at a time from now on",
			  bridge->config->name, pg_bridge_pace_who(pace), condition);
	bridge->rate_limited = TRUE;
	if (g_queue_is_empty(pace->flight)) {
		/* nothing the room holds will set the pace: wait, then again */
		pace->wait_ms = pace->wait_ms == 0 ? PG_BRIDGE_PACE_WAIT_MIN_MS
						   : MIN(pace->wait_ms * 2, PG_BRIDGE_PACE_WAIT_MAX_MS);
		pg_bridge_pace_arm(pace, pace->wait_ms);
	} else if (pace->timer_id == 0) {
		pg_bridge_pace_arm(pace, PG_BRIDGE_PACE_REFLECTION_MS);
	}
	return TRUE;
}
