/* Room limits for the bridge's puppets (issue 11): who is held out of the
 * room, and when they get their seat.
 *
 * DESIGN:
 *   - A room may refuse a puppet's join because it is full (XEP-0045
 *     §7.2.10: service-unavailable; ejabberd 23.01 answers max_users with
 *     resource-constraint "Too many users in this conference", and
 *     max_user_conferences, counted per bare JID over the whole MUC
 *     service, with resource-constraint "You have joined too many
 *     conferences", RFC 6120 §8.3.3.18), because it is closed to it
 *     (registration-required, not-allowed), or for its rate (Prosody's
 *     community mod_muc_limits: wait/policy-violation).  Such a puppet is
 *     HELD OUT: what its IRC person says comes through the relay as
 *     `<nick> text` (pg-bridge-pace.c), nothing is lost.
 *   - After the first refusal no more puppets are sent in (they would be
 *     refused too): new ones are held out at once, in order.  The oldest
 *     held puppet tries its seat again when an occupant leaves the room,
 *     or after limit_retry seconds, doubling per refusal up to
 *     PG_BRIDGE_LIMITS_RETRY_MAX_S.  When it gets in, the limit is lifted
 *     and the next held puppet follows, one at a time, each after the
 *     last one's self-presence: a room that is full again refuses one,
 *     not all of them.
 *   - max_puppets (per bridge) bounds the puppets in the room whatever
 *     the room allows: past it, people are held out the same way, and one
 *     takes the seat a leaving puppet frees.
 *   - The IRC channel hears of it once, in one NOTICE from the bridge's own
 *     client (counting everyone held out a few seconds after the first),
 *     not once per puppet; it may hear again only after everyone got in.
 *   - How many are held out is in `polygate bridge status` (the store) and
 *     in the admins' `bridges` command.
 *   - The relay itself, refused the same way (a room full even for its
 *     owners), tries again after limit_retry seconds, doubling; meanwhile
 *     IRC lines wait for their puppets (PG_BRIDGE_PUPPET_QUEUE_MAX each).
 *   - A ban (forbidden, XEP-0045 §7.2.7) is no limit: that puppet stays out
 *     and does not speak through the relay (pg-bridge-room.c).
 *   - Everything is learnt again when the bridge loses the room (a
 *     restarted server forgets its occupants). */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include "bridge/pg-bridge-private.h"
#include "stanza/pg-stanza.h"

/* Refusals come back together (one affiliation batch, then the joins):
 * the NOTICE waits this long to count them all. */
#define PG_BRIDGE_LIMITS_NOTICE_S 3
#define PG_BRIDGE_LIMITS_RETRY_MAX_S 600
/* The held-out count reaches the store at most this often. */
#define PG_BRIDGE_LIMITS_STORE_S 1

static const gchar *const pg_bridge_limits_conditions[] = {
    "service-unavailable", "resource-constraint", "not-allowed", "registration-required",
    "policy-violation", NULL};

static GQueue *
pg_bridge_limits_queue(PgBridge *bridge)
{
	if (bridge->held == NULL)
		bridge->held = g_queue_new();
	return bridge->held;
}

guint
pg_bridge_limits_held(const PgBridge *bridge)
{
	return bridge->held != NULL ? g_queue_get_length(bridge->held) : 0;
}

static gboolean
pg_bridge_limits_store_cb(gpointer user_data)
{
	PgBridge *bridge = user_data;
	g_autoptr(GError) error = NULL;

	bridge->held_store_id = 0;
	if (bridge->store != NULL &&
	    !pg_bridge_store_set_held_out(bridge->store, bridge->config->name,
					  pg_bridge_limits_held(bridge), &error))
		g_warning("bridge %s: %s", bridge->config->name, error->message);
	return G_SOURCE_REMOVE;
}

static void
pg_bridge_limits_changed(PgBridge *bridge)
{
	if (bridge->held_store_id == 0)
		bridge->held_store_id = g_timeout_add_seconds(PG_BRIDGE_LIMITS_STORE_S,
							      pg_bridge_limits_store_cb, bridge);
	/* everyone got in: a later limit is news to the channel again */
	if (pg_bridge_limits_held(bridge) == 0 && bridge->limit == NULL)
		bridge->limit_told = FALSE;
}

static gboolean
pg_bridge_limits_notice_cb(gpointer user_data)
{
	PgBridge *bridge = user_data;
	guint n = pg_bridge_limits_held(bridge);
	g_autofree gchar *why = NULL;
	g_autofree gchar *text = NULL;

	bridge->limit_notice_id = 0;
	if (n == 0 || !bridge->link.in_channel)
		return G_SOURCE_REMOVE;
	bridge->limit_told = TRUE;
	why = bridge->limit != NULL
		  ? g_strdup_printf("it refused them (%s)", bridge->limit)
		  : g_strdup_printf("the bridge shows at most %u", bridge->config->max_puppets);
	text = g_strdup_printf("%u %s on IRC could not be shown in the room %s: %s; what they "
			       "say comes through %s, and they join when a seat frees up",
			       n, n == 1 ? "person" : "people", bridge->config->room, why,
			       bridge->relay_nick != NULL ? bridge->relay_nick
							  : bridge->config->nick);
	pg_bridge_link_notice(bridge, bridge->config->channel, text);
	return G_SOURCE_REMOVE;
}

static void
pg_bridge_limits_tell(PgBridge *bridge)
{
	if (bridge->limit_told || bridge->limit_notice_id != 0)
		return;
	bridge->limit_notice_id =
	    g_timeout_add_seconds(PG_BRIDGE_LIMITS_NOTICE_S, pg_bridge_limits_notice_cb, bridge);
}

static void
pg_bridge_limits_hold(PgBridgePuppet *puppet, gboolean first)
{
	PgBridge *bridge = puppet->bridge;

	if (!puppet->refused) {
		puppet->refused = TRUE;
		if (first)
			g_queue_push_head(pg_bridge_limits_queue(bridge), puppet);
		else
			g_queue_push_tail(pg_bridge_limits_queue(bridge), puppet);
	}
	/* lines said while it was joining, or still waiting for the room's
	 * pace, go through the relay */
	pg_bridge_pace_hand_over(puppet->pace);
	while (!g_queue_is_empty(puppet->lines)) {
		g_autofree gchar *line = g_queue_pop_head(puppet->lines);
		pg_bridge_pace_relay(bridge, puppet->irc_nick, line);
	}
	pg_bridge_limits_changed(bridge);
	pg_bridge_limits_tell(bridge);
}

/* The IRC people given a puppet of their own, @except left out: all but
 * those held out or removed (in the room, on their way, or out for a
 * while).  O(puppets), so a channel's first joins cost O(puppets²) simple
 * steps: 1,000 nicks, about a million. */
static guint
pg_bridge_limits_seated(PgBridge *bridge, PgBridgePuppet *except)
{
	GHashTableIter iter;
	gpointer value;
	guint n = 0;

	g_hash_table_iter_init(&iter, bridge->puppets);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgBridgePuppet *puppet = value;
		n += puppet != except && !puppet->refused && !puppet->removed;
	}
	return n;
}

/* The oldest held puppet tries its seat (it was held: enter sends it). */
static void
pg_bridge_limits_release(PgBridge *bridge)
{
	PgBridgePuppet *puppet;

	if (pg_bridge_limits_held(bridge) == 0 ||
	    pg_bridge_limits_seated(bridge, NULL) >= bridge->config->max_puppets)
		return;
	puppet = g_queue_pop_head(bridge->held);
	puppet->refused = FALSE;
	if (bridge->limit != NULL)
		bridge->limit_probe = puppet;
	g_info("bridge %s: %s tries its seat in the room", bridge->config->name, puppet->irc_nick);
	pg_bridge_limits_changed(bridge);
	if (bridge->enter != NULL)
		bridge->enter(puppet);
	if (puppet->state == PG_BRIDGE_OCCUPANT_OUT &&
	    g_queue_find(bridge->affiliating, puppet) == NULL) {
		/* not sent (the relay is out): it keeps its place */
		bridge->limit_probe = NULL;
		if (!puppet->refused && !puppet->removed)
			pg_bridge_limits_hold(puppet, TRUE);
	}
}

static gboolean
pg_bridge_limits_retry_cb(gpointer user_data)
{
	PgBridge *bridge = user_data;

	bridge->limit_retry_id = 0;
	if (bridge->limit_probe == NULL)
		pg_bridge_limits_release(bridge);
	return G_SOURCE_REMOVE;
}

static void
pg_bridge_limits_schedule(PgBridge *bridge)
{
	bridge->limit_backoff_s = bridge->limit_backoff_s == 0
				      ? bridge->config->limit_retry_s
				      : MIN(bridge->limit_backoff_s * 2, PG_BRIDGE_LIMITS_RETRY_MAX_S);
	g_clear_handle_id(&bridge->limit_retry_id, g_source_remove);
	bridge->limit_retry_id =
	    g_timeout_add_seconds(bridge->limit_backoff_s, pg_bridge_limits_retry_cb, bridge);
}

gboolean
pg_bridge_limits_is_limit(xmpp_stanza_t *presence)
{
	return g_strv_contains(pg_bridge_limits_conditions, pg_bridge_error_condition(presence));
}

static gboolean
pg_bridge_limits_relay_cb(gpointer user_data)
{
	PgBridge *bridge = user_data;

	bridge->relay_retry_id = 0;
	g_info("bridge %s: the relay tries the room again", bridge->config->name);
	if (bridge->enter_relay != NULL)
		bridge->enter_relay(bridge);
	return G_SOURCE_REMOVE;
}

void
pg_bridge_limits_retry_relay(PgBridge *bridge, void (*enter)(PgBridge *bridge))
{
	bridge->enter_relay = enter;
	bridge->relay_backoff_s = bridge->relay_backoff_s == 0
				      ? bridge->config->limit_retry_s
				      : MIN(bridge->relay_backoff_s * 2, PG_BRIDGE_LIMITS_RETRY_MAX_S);
	g_clear_handle_id(&bridge->relay_retry_id, g_source_remove);
	bridge->relay_retry_id =
	    g_timeout_add_seconds(bridge->relay_backoff_s, pg_bridge_limits_relay_cb, bridge);
}

gboolean
pg_bridge_limits_refused(PgBridgePuppet *puppet, xmpp_stanza_t *presence)
{
	PgBridge *bridge = puppet->bridge;
	const gchar *condition = pg_bridge_error_condition(presence);
	xmpp_stanza_t *error = xmpp_stanza_get_child_by_name(presence, "error");
	xmpp_stanza_t *text_element =
	    error != NULL ? xmpp_stanza_get_child_by_name_and_ns(error, "text", PG_NS_STANZAS) : NULL;
	g_autofree gchar *text = text_element != NULL ? xmpp_stanza_get_text(text_element) : NULL;
	gboolean probe = bridge->limit_probe == puppet;

	if (!g_strv_contains(pg_bridge_limits_conditions, condition))
		return FALSE;
	puppet->state = PG_BRIDGE_OCCUPANT_OUT;
	if (probe)
		bridge->limit_probe = NULL;
	/* the one that tried again goes back to the head of the queue */
	pg_bridge_limits_hold(puppet, probe);
	if (bridge->limit == NULL) {
		bridge->limit = text != NULL && text[0] != '\0'
				    ? g_strdup_printf("%s: %s", condition, text)
				    : g_strdup(condition);
		bridge->limit_backoff_s = 0;
		pg_bridge_fail(bridge, PG_BRIDGE_TO_XMPP,
			       g_strdup_printf("%s could not join: %s; the people past it are held "
					       "out and speak through the relay until a seat frees up",
					       puppet->irc_nick, bridge->limit));
		pg_bridge_limits_schedule(bridge);
	} else if (probe) {
		g_message("bridge %s: %s could not join again: %s", bridge->config->name,
			  puppet->irc_nick, condition);
		pg_bridge_limits_schedule(bridge);
	} else {
		g_message("bridge %s: %s could not join either: %s", bridge->config->name,
			  puppet->irc_nick, condition);
	}
	return TRUE;
}

gboolean
pg_bridge_limits_allow(PgBridgePuppet *puppet)
{
	PgBridge *bridge = puppet->bridge;

	if (puppet->refused)
		return FALSE; /* held: it waits its turn */
	if (bridge->limit_probe == puppet)
		return TRUE; /* the one that tries the room again */
	if (bridge->limit == NULL &&
	    pg_bridge_limits_seated(bridge, puppet) < bridge->config->max_puppets)
		return TRUE;
	pg_bridge_limits_hold(puppet, FALSE);
	return FALSE;
}

void
pg_bridge_limits_admitted(PgBridgePuppet *puppet)
{
	PgBridge *bridge = puppet->bridge;

	if (bridge->limit != NULL) {
		g_message("bridge %s: %s got in: the room takes puppets again (%u held out)",
			  bridge->config->name, puppet->irc_nick, pg_bridge_limits_held(bridge));
		g_clear_pointer(&bridge->limit, g_free);
		g_clear_handle_id(&bridge->limit_retry_id, g_source_remove);
		bridge->limit_backoff_s = 0;
	}
	bridge->limit_probe = NULL;
	pg_bridge_limits_release(bridge);
	pg_bridge_limits_changed(bridge);
}

void
pg_bridge_limits_seat_freed(PgBridge *bridge)
{
	if (bridge->limit_probe == NULL)
		pg_bridge_limits_release(bridge);
}

void
pg_bridge_limits_forget(PgBridgePuppet *puppet)
{
	PgBridge *bridge = puppet->bridge;

	if (bridge->limit_probe == puppet)
		bridge->limit_probe = NULL;
	if (puppet->refused && bridge->held != NULL) {
		g_queue_remove(bridge->held, puppet);
		puppet->refused = FALSE;
		pg_bridge_limits_changed(bridge);
	}
}

void
pg_bridge_limits_reset(PgBridge *bridge)
{
	g_clear_handle_id(&bridge->limit_notice_id, g_source_remove);
	g_clear_handle_id(&bridge->limit_retry_id, g_source_remove);
	g_clear_handle_id(&bridge->relay_retry_id, g_source_remove);
	g_clear_pointer(&bridge->limit, g_free);
	bridge->limit_backoff_s = 0;
	bridge->relay_backoff_s = 0;
	bridge->rate_limited = FALSE; /* learnt again, like the seats */
	bridge->limit_probe = NULL;
	bridge->limit_told = FALSE;
	while (pg_bridge_limits_held(bridge) > 0)
		((PgBridgePuppet *)g_queue_pop_head(bridge->held))->refused = FALSE;
	pg_bridge_limits_changed(bridge);
}

void
pg_bridge_limits_free(PgBridge *bridge)
{
	pg_bridge_limits_reset(bridge);
	g_clear_handle_id(&bridge->held_store_id, g_source_remove);
	g_clear_pointer(&bridge->held, g_queue_free);
	g_clear_pointer(&bridge->relay_pace, pg_bridge_pace_free);
}
