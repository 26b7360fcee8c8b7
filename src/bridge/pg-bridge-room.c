/* The native room's side of a bridge: the relay occupant and the puppets.
 *
 * DESIGN (issue 11):
 *   - The relay occupant joins the room from bridge.NAME@<transport>/bridge
 *     with the bridge's IRC nick.  It is the only one that reads the room:
 *     groupchat messages from XMPP occupants become `<nick> text` lines of
 *     the bridge's IRC client.  The operator makes bridge.NAME@<transport>
 *     an owner or admin of the room, so that it can give each puppet member
 *     affiliation (XEP-0045 §9.3) and kick on IRC's behalf.
 *   - Each IRC nick of the channel is a puppet occupant joined from a stable
 *     JID of the transport's domain, the nick's contact JID with resource
 *     "bridge" (nick%server@irc.example.org/bridge), with the IRC nick as
 *     its room nick, plus puppet_suffix on a 409 conflict (XEP-0045 §7.2.9).
 *     An IRC nick change is a room nick change from the same JID, which the
 *     room shows as unavailable+303 then available (XEP-0045 §7.6).
 *   - What XMPP occupants say goes to IRC through pg-bridge-relay.c.
 *   - Joins ask for no history (XEP-0045 §7.2.15), and any message carrying
 *     a XEP-0203 delay is history: never relayed.
 *   - No echo, by ids: the ids of what puppets sent are remembered and their
 *     reflection is dropped; each room stanza-id (XEP-0359, by = the room)
 *     is relayed at most once; an occupant whose real JID (given to the
 *     relay as an admin) is in the transport's domain is ours.
 *   - A netsplit quit, or a nick missing when the bridge's own connection
 *     comes back, is held PG_BRIDGE_SPLIT_GRACE_S before it becomes a leave:
 *     a nick that returns in time never left the room.
 */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include <string.h>

#include "bridge/pg-bridge-private.h"
#include "network/pg-network.h"
#include "stanza/pg-jid.h"
#include "stanza/pg-stanza.h"
#include "stanza/pg-text.h"
#include "xmpp/pg-mam.h"
#include "xmpp/pg-muc.h"

#define PG_BRIDGE_NS_MUC_ADMIN "http://jabber.org/protocol/muc#admin"

void
pg_bridge_room_send(PgBridge *bridge, xmpp_stanza_t *stanza)
{
	if (bridge->transport != NULL && pg_transport_is_connected(bridge->transport))
		pg_transport_send(bridge->transport, stanza);
}

static xmpp_ctx_t *
pg_bridge_room_ctx(PgBridge *bridge)
{
	return pg_transport_get_ctx(bridge->transport);
}

gboolean
pg_bridge_room_online(PgBridge *bridge)
{
	return bridge->transport != NULL && pg_transport_is_connected(bridge->transport);
}

/* Presence from @from to room/@nick: a join (asking for no history) or,
 * with @type "unavailable", a leave with @status text. */
static void
pg_bridge_room_presence(PgBridge *bridge, const gchar *from, const gchar *nick, const gchar *type,
			const gchar *status)
{
	g_autoptr(xmpp_stanza_t) presence = xmpp_presence_new(pg_bridge_room_ctx(bridge));
	g_autofree gchar *to = g_strdup_printf("%s/%s", bridge->config->room, nick);

	pg_stanza_set_from(presence, from);
	pg_stanza_set_to(presence, to);
	if (type != NULL) {
		xmpp_stanza_set_type(presence, type);
		if (status != NULL)
			pg_stanza_add_text_child(presence, "status", status);
	} else {
		xmpp_stanza_t *x = pg_stanza_add_child(presence, "x", PG_NS_MUC);
		xmpp_stanza_t *history = pg_stanza_add_child(x, "history", NULL);
		xmpp_stanza_set_attribute(history, "maxstanzas", "0");
	}
	pg_bridge_room_send(bridge, presence);
}

/* The nick to ask for after @conflicts 409s. (transfer full) */
static gchar *
pg_bridge_room_nick_after(PgBridge *bridge, const gchar *nick, guint conflicts)
{
	GString *text = g_string_new(nick);

	if (conflicts == 0)
		return g_string_free(text, FALSE);
	g_string_append(text, bridge->config->puppet_suffix);
	if (conflicts > 1)
		g_string_append_printf(text, "%u", conflicts);
	return g_string_free(text, FALSE);
}

/* ------------------------------------------------------------ the puppets */

void
pg_bridge_room_puppet_free(gpointer data)
{
	PgBridgePuppet *puppet = data;

	g_clear_handle_id(&puppet->hold_id, g_source_remove);
	g_free(puppet->irc_nick);
	g_free(puppet->jid);
	g_free(puppet->room_nick);
	g_free(puppet->wanted_nick);
	g_free(puppet->hold_reason);
	g_queue_free_full(puppet->lines, g_free);
	pg_bridge_pace_free(puppet->pace);
	g_free(puppet);
}

static void
pg_bridge_room_forget(PgBridge *bridge, PgBridgePuppet *puppet)
{
	g_autofree gchar *key = g_utf8_casefold(puppet->irc_nick, -1);

	g_queue_remove(bridge->affiliating, puppet);
	pg_bridge_limits_forget(puppet);
	g_hash_table_remove(bridge->by_jid, puppet->jid);
	if (puppet->room_nick != NULL &&
	    g_hash_table_lookup(bridge->by_room_nick, puppet->room_nick) == puppet)
		g_hash_table_remove(bridge->by_room_nick, puppet->room_nick);
	g_hash_table_remove(bridge->puppets, key); /* frees it */
}

static void
pg_bridge_room_set_room_nick(PgBridgePuppet *puppet, const gchar *nick)
{
	PgBridge *bridge = puppet->bridge;

	if (puppet->room_nick != NULL &&
	    g_hash_table_lookup(bridge->by_room_nick, puppet->room_nick) == puppet)
		g_hash_table_remove(bridge->by_room_nick, puppet->room_nick);
	g_free(puppet->room_nick);
	puppet->room_nick = g_strdup(nick);
	g_hash_table_replace(bridge->by_room_nick, g_strdup(nick), puppet);
}

static void
pg_bridge_room_puppet_join(PgBridgePuppet *puppet)
{
	PgBridge *bridge = puppet->bridge;
	g_autofree gchar *nick = pg_bridge_room_nick_after(bridge, puppet->irc_nick,
							   puppet->conflicts);

	pg_bridge_room_set_room_nick(puppet, nick);
	puppet->state = PG_BRIDGE_OCCUPANT_JOINING;
	pg_bridge_room_presence(bridge, puppet->jid, nick, NULL, NULL);
}

/* XEP-0045 §9.3: member affiliation for every puppet waiting, a batch per
 * IQ, then their joins (the room handles our stanzas in order). */
static gboolean
pg_bridge_room_affiliate_cb(gpointer user_data)
{
	PgBridge *bridge = user_data;

	bridge->affiliate_id = 0;
	while (!g_queue_is_empty(bridge->affiliating) && pg_bridge_room_online(bridge)) {
		g_autoptr(xmpp_stanza_t) iq = NULL;
		g_autofree gchar *id = g_strdup_printf("pgb-aff-%" G_GUINT64_FORMAT, ++bridge->serial);
		GPtrArray *batch = g_ptr_array_new();
		xmpp_stanza_t *query;

		iq = xmpp_iq_new(pg_bridge_room_ctx(bridge), "set", id);
		pg_stanza_set_from(iq, bridge->jid);
		pg_stanza_set_to(iq, bridge->config->room);
		query = pg_stanza_add_child(iq, "query", PG_BRIDGE_NS_MUC_ADMIN);
		while (batch->len < PG_BRIDGE_AFFILIATION_BATCH &&
		       !g_queue_is_empty(bridge->affiliating)) {
			PgBridgePuppet *puppet = g_queue_pop_head(bridge->affiliating);
			xmpp_stanza_t *item = pg_stanza_add_child(query, "item", NULL);
			g_autofree gchar *bare = pg_stanza_bare_jid(puppet->jid);

			xmpp_stanza_set_attribute(item, "affiliation", "member");
			pg_stanza_set_name_attribute(item, "jid", bare);
			puppet->affiliated = TRUE;
			g_ptr_array_add(batch, puppet);
		}
		pg_bridge_room_send(bridge, iq);
		for (guint i = 0; i < batch->len; i++)
			pg_bridge_room_puppet_join(g_ptr_array_index(batch, i));
		g_ptr_array_unref(batch);
	}
	return G_SOURCE_REMOVE;
}

void
pg_bridge_room_puppet_enter(PgBridgePuppet *puppet)
{
	PgBridge *bridge = puppet->bridge;

	if (puppet->state != PG_BRIDGE_OCCUPANT_OUT || bridge->relay_state != PG_BRIDGE_OCCUPANT_IN ||
	    puppet->removed)
		return;
	if (!pg_bridge_limits_allow(puppet))
		return;
	if (puppet->affiliated) {
		pg_bridge_room_puppet_join(puppet);
		return;
	}
	if (g_queue_find(bridge->affiliating, puppet) == NULL)
		g_queue_push_tail(bridge->affiliating, puppet);
	if (bridge->affiliate_id == 0)
		bridge->affiliate_id = g_idle_add(pg_bridge_room_affiliate_cb, bridge);
}

/* A stable JID for @nick's puppet: its contact JID on the transport with
 * the bridge resource, numbered if another puppet holds it (a nick that
 * came back while the old holder was renamed).  (transfer full) */
static gchar *
pg_bridge_room_puppet_jid(PgBridge *bridge, const gchar *nick)
{
	const PgNetwork *network = pg_network_for(bridge->transport_config->type);

	for (guint n = 0;; n++) {
		g_autofree gchar *resource =
		    n == 0 ? g_strdup(PG_BRIDGE_RESOURCE)
			   : g_strdup_printf("%s-%u", PG_BRIDGE_RESOURCE, n);
		g_autofree gchar *jid = network->address_to_jid(bridge->transport_config, nick,
								 bridge->server, resource);
		if (!g_hash_table_contains(bridge->by_jid, jid))
			return g_steal_pointer(&jid);
	}
}

PgBridgePuppet *
pg_bridge_room_lookup(PgBridge *bridge, const gchar *nick)
{
	/* keyed as pg_bridge_room_puppet_for() keys it: a nick with a control
	 * character (a hostile server's) must find the puppet it made, not
	 * make another under the same key */
	g_autofree gchar *clean = pg_text_sanitize(nick, -1, PG_TEXT_NAME, NULL);
	g_autofree gchar *key = g_utf8_casefold(clean, -1);

	return g_hash_table_lookup(bridge->puppets, key);
}

PgBridgePuppet *
pg_bridge_room_puppet_for(PgBridge *bridge, const gchar *nick)
{
	PgBridgePuppet *puppet = pg_bridge_room_lookup(bridge, nick);
	g_autofree gchar *clean = NULL;

	if (puppet != NULL) {
		/* back from a netsplit, or still there after our reconnect */
		g_clear_handle_id(&puppet->hold_id, g_source_remove);
		g_clear_pointer(&puppet->hold_reason, g_free);
		pg_bridge_room_puppet_enter(puppet);
		return puppet;
	}
	clean = pg_text_sanitize(nick, -1, PG_TEXT_NAME, NULL);
	puppet = g_new0(PgBridgePuppet, 1);
	puppet->bridge = bridge;
	puppet->irc_nick = g_strdup(clean);
	puppet->jid = pg_bridge_room_puppet_jid(bridge, clean);
	puppet->lines = g_queue_new();
	puppet->pace = pg_bridge_pace_new(bridge, puppet);
	bridge->enter = pg_bridge_room_puppet_enter;
	g_hash_table_insert(bridge->puppets, g_utf8_casefold(clean, -1), puppet);
	g_hash_table_insert(bridge->by_jid, g_strdup(puppet->jid), puppet);
	pg_bridge_room_puppet_enter(puppet);
	return puppet;
}

void
pg_bridge_room_puppet_leave(PgBridgePuppet *puppet, const gchar *reason)
{
	PgBridge *bridge = puppet->bridge;

	pg_bridge_pace_hand_over(puppet->pace); /* its last lines, by the relay */
	if (puppet->state != PG_BRIDGE_OCCUPANT_OUT && puppet->room_nick != NULL)
		pg_bridge_room_presence(bridge, puppet->jid, puppet->room_nick, "unavailable",
					reason);
	pg_bridge_room_forget(bridge, puppet);
}

/* An IRC op kicked the nick: the relay, a moderator of the room, kicks
 * the puppet (XEP-0045 §8.2: role none, status 307 for everyone); its
 * plain leave follows, in case the relay may not kick. */
void
pg_bridge_room_puppet_kick(PgBridgePuppet *puppet, const gchar *reason)
{
	PgBridge *bridge = puppet->bridge;

	if (puppet->state == PG_BRIDGE_OCCUPANT_IN && bridge->relay_state == PG_BRIDGE_OCCUPANT_IN &&
	    pg_bridge_room_online(bridge)) {
		g_autofree gchar *id =
		    g_strdup_printf("pgb-kick-%" G_GUINT64_FORMAT, ++bridge->serial);
		g_autoptr(xmpp_stanza_t) iq = xmpp_iq_new(pg_bridge_room_ctx(bridge), "set", id);
		xmpp_stanza_t *query;
		xmpp_stanza_t *item;

		pg_stanza_set_from(iq, bridge->jid);
		pg_stanza_set_to(iq, bridge->config->room);
		query = pg_stanza_add_child(iq, "query", PG_BRIDGE_NS_MUC_ADMIN);
		item = pg_stanza_add_child(query, "item", NULL);
		pg_stanza_set_name_attribute(item, "nick", puppet->room_nick);
		xmpp_stanza_set_attribute(item, "role", "none");
		if (reason != NULL)
			pg_stanza_add_text_child(item, "reason", reason);
		pg_bridge_room_send(bridge, iq);
	}
	pg_bridge_room_puppet_leave(puppet, reason);
}

static gboolean
pg_bridge_room_hold_cb(gpointer user_data)
{
	PgBridgePuppet *puppet = user_data;
	g_autofree gchar *reason = g_steal_pointer(&puppet->hold_reason);

	puppet->hold_id = 0;
	pg_bridge_room_puppet_leave(puppet, reason);
	return G_SOURCE_REMOVE;
}

void
pg_bridge_room_puppet_hold(PgBridgePuppet *puppet, const gchar *reason, guint grace_s)
{
	gint64 until = g_get_monotonic_time() + (gint64)grace_s * G_USEC_PER_SEC;

	/* a longer hold (a netsplit, our own reconnect) replaces a shorter one
	 * (a plain quit), never the other way round */
	if (puppet->hold_id != 0 && until <= puppet->hold_until)
		return;
	g_clear_handle_id(&puppet->hold_id, g_source_remove);
	g_free(puppet->hold_reason);
	puppet->hold_reason = g_strdup(reason);
	puppet->hold_until = until;
	puppet->hold_id = g_timeout_add_seconds(grace_s, pg_bridge_room_hold_cb, puppet);
}

void
pg_bridge_room_puppet_rename(PgBridgePuppet *puppet, const gchar *new_nick)
{
	PgBridge *bridge = puppet->bridge;
	g_autofree gchar *old_key = g_utf8_casefold(puppet->irc_nick, -1);
	g_autofree gchar *clean = pg_text_sanitize(new_nick, -1, PG_TEXT_NAME, NULL);
	PgBridgePuppet *other = pg_bridge_room_lookup(bridge, clean);

	/* a held puppet of the new nick (it quit in a split) gives way */
	if (other != NULL && other != puppet)
		pg_bridge_room_puppet_leave(other, NULL);
	{
		/* the table's own copy of the key goes with the entry */
		gpointer stored_key = NULL;
		if (g_hash_table_steal_extended(bridge->puppets, old_key, &stored_key, NULL))
			g_free(stored_key);
	}
	g_free(puppet->irc_nick);
	puppet->irc_nick = g_strdup(clean);
	g_hash_table_insert(bridge->puppets, g_utf8_casefold(clean, -1), puppet);
	puppet->conflicts = 0;
	if (puppet->state != PG_BRIDGE_OCCUPANT_IN)
		return;
	/* XEP-0045 §7.6: the same JID asks for the new nick */
	g_free(puppet->wanted_nick);
	puppet->wanted_nick = g_strdup(clean);
	pg_bridge_room_presence(bridge, puppet->jid, clean, NULL, NULL);
}

void
pg_bridge_room_say(PgBridge *bridge, const gchar *nick, const gchar *text)
{
	PgBridgePuppet *puppet;

	if (bridge->readonly || bridge->paused)
		return;
	puppet = pg_bridge_room_puppet_for(bridge, nick);
	if (puppet->removed)
		return; /* kept out by a moderator */
	if (puppet->refused) {
		pg_bridge_pace_relay(bridge, puppet->irc_nick, text); /* held out by a limit */
		return;
	}
	if (puppet->state == PG_BRIDGE_OCCUPANT_IN && pg_bridge_room_online(bridge)) {
		pg_bridge_pace_say(puppet->pace, text);
		return;
	}
	if (g_queue_get_length(puppet->lines) >= PG_BRIDGE_PUPPET_QUEUE_MAX) {
		g_warning("bridge %s: %s is not in the room yet; a line of theirs is dropped",
			  bridge->config->name, puppet->irc_nick);
		return;
	}
	g_queue_push_tail(puppet->lines, g_strdup(text));
}

/* ------------------------------------------------------- the relay occupant */

void
pg_bridge_room_enter(PgBridge *bridge)
{
	g_autofree gchar *nick = NULL;

	if (!pg_bridge_room_online(bridge) || bridge->relay_state != PG_BRIDGE_OCCUPANT_OUT ||
	    !bridge->link.in_channel)
		return;
	nick = pg_bridge_room_nick_after(bridge, bridge->config->nick, bridge->relay_conflicts);
	g_free(bridge->relay_nick);
	bridge->relay_nick = g_strdup(nick);
	bridge->relay_state = PG_BRIDGE_OCCUPANT_JOINING;
	pg_bridge_room_presence(bridge, bridge->jid, nick, NULL, NULL);
}

void
pg_bridge_room_lost(PgBridge *bridge)
{
	GHashTableIter iter;
	gpointer value;

	bridge->relay_state = PG_BRIDGE_OCCUPANT_OUT;
	g_hash_table_iter_init(&iter, bridge->puppets);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgBridgePuppet *puppet = value;
		puppet->state = PG_BRIDGE_OCCUPANT_OUT;
		/* a restarted server may have forgotten a non-persistent room */
		puppet->affiliated = FALSE;
	}
	g_queue_clear(bridge->affiliating);
	g_hash_table_remove_all(bridge->xmpp_occupants);
	pg_bridge_limits_reset(bridge);
}

static void
pg_bridge_room_relay_in(PgBridge *bridge)
{
	GHashTableIter iter;
	gpointer value;

	bridge->relay_state = PG_BRIDGE_OCCUPANT_IN;
	bridge->relay_backoff_s = 0;
	g_message("bridge %s: in room %s as %s", bridge->config->name, bridge->config->room,
		  bridge->relay_nick);
	g_hash_table_iter_init(&iter, bridge->puppets);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		pg_bridge_room_puppet_enter(value);
}

void
pg_bridge_room_leave_all(PgBridge *bridge, const gchar *reason)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, bridge->puppets);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgBridgePuppet *puppet = value;
		if (puppet->state != PG_BRIDGE_OCCUPANT_OUT && puppet->room_nick != NULL)
			pg_bridge_room_presence(bridge, puppet->jid, puppet->room_nick,
						"unavailable", reason);
	}
	pg_bridge_room_free_puppets(bridge);
	pg_bridge_clients_quit_all(bridge, reason);
	if (bridge->relay_state != PG_BRIDGE_OCCUPANT_OUT && bridge->relay_nick != NULL)
		pg_bridge_room_presence(bridge, bridge->jid, bridge->relay_nick, "unavailable",
					reason);
	bridge->relay_state = PG_BRIDGE_OCCUPANT_OUT;
}

void
pg_bridge_room_free_puppets(PgBridge *bridge)
{
	pg_bridge_limits_reset(bridge);
	g_queue_clear(bridge->affiliating);
	g_hash_table_remove_all(bridge->by_jid);
	g_hash_table_remove_all(bridge->by_room_nick);
	g_hash_table_remove_all(bridge->puppets);
}

/* ------------------------------------------------------ from the room */

static gboolean
pg_bridge_room_has_status(xmpp_stanza_t *x, gint code)
{
	for (xmpp_stanza_t *child = x != NULL ? xmpp_stanza_get_children(x) : NULL; child != NULL;
	     child = xmpp_stanza_get_next(child)) {
		const gchar *value = xmpp_stanza_get_attribute(child, "code");
		if (g_strcmp0(xmpp_stanza_get_name(child), "status") == 0 && value != NULL &&
		    atoi(value) == code)
			return TRUE;
	}
	return FALSE;
}

static void
pg_bridge_room_puppet_presence(PgBridgePuppet *puppet, xmpp_stanza_t *presence,
			       const gchar *nick)
{
	PgBridge *bridge = puppet->bridge;
	const gchar *type = xmpp_stanza_get_type(presence);
	xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(presence, "x", PG_NS_MUC_USER);

	if (g_strcmp0(type, "error") == 0) {
		const gchar *condition = pg_bridge_error_condition(presence);
		if (g_strcmp0(condition, "conflict") == 0 && puppet->conflicts < 9) {
			/* XEP-0045 §7.2.9: the nick is taken; again with the suffix */
			puppet->conflicts++;
			g_clear_pointer(&puppet->wanted_nick, g_free);
			pg_bridge_room_puppet_join(puppet);
			return;
		}
		if (puppet->wanted_nick != NULL) {
			/* a refused nick change: stay under the old nick */
			g_clear_pointer(&puppet->wanted_nick, g_free);
			return;
		}
		if (pg_bridge_limits_refused(puppet, presence))
			return;
		pg_bridge_fail(bridge, PG_BRIDGE_TO_XMPP,
			       g_strdup_printf("%s could not join: %s", puppet->irc_nick,
					       condition));
		puppet->state = PG_BRIDGE_OCCUPANT_OUT;
		return;
	}
	if (!pg_bridge_room_has_status(x, PG_MUC_STATUS_SELF))
		return; /* another occupant: only the relay cares */
	if (g_strcmp0(type, "unavailable") == 0) {
		if (pg_bridge_room_has_status(x, PG_MUC_STATUS_NICK_CHANGED))
			return; /* the available presence under the new nick follows */
		puppet->state = PG_BRIDGE_OCCUPANT_OUT;
		if (pg_bridge_room_has_status(x, PG_MUC_STATUS_KICKED) ||
		    pg_bridge_room_has_status(x, PG_MUC_STATUS_BANNED)) {
			/* a room moderator removed the puppet: a KICK on IRC where
			 * the bridge is a chanop; else the nick stays out of the
			 * room while it is on IRC */
			g_message("bridge %s: %s was removed from the room", bridge->config->name,
				  puppet->irc_nick);
			puppet->removed = TRUE;
			g_queue_clear_full(puppet->lines, g_free);
			if (bridge->link.is_op && bridge->config->kicks_to_irc &&
			    !puppet->banned_on_irc)
				pg_bridge_link_kick(bridge, puppet->irc_nick,
						    pg_bridge_room_has_status(x, PG_MUC_STATUS_BANNED),
						    "removed from the XMPP room");
		}
		return;
	}
	/* our self-presence: in the room under @nick */
	g_clear_pointer(&puppet->wanted_nick, g_free);
	pg_bridge_room_set_room_nick(puppet, nick);
	if (puppet->state != PG_BRIDGE_OCCUPANT_IN) {
		puppet->state = PG_BRIDGE_OCCUPANT_IN;
		while (!g_queue_is_empty(puppet->lines)) {
			g_autofree gchar *line = g_queue_pop_head(puppet->lines);
			pg_bridge_pace_say(puppet->pace, line);
		}
		pg_bridge_limits_admitted(puppet);
	}
}

static void
pg_bridge_room_relay_presence(PgBridge *bridge, xmpp_stanza_t *presence, const gchar *nick)
{
	const gchar *type = xmpp_stanza_get_type(presence);
	xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(presence, "x", PG_NS_MUC_USER);
	xmpp_stanza_t *item = x != NULL ? xmpp_stanza_get_child_by_name(x, "item") : NULL;

	if (g_strcmp0(type, "error") == 0) {
		if (g_strcmp0(pg_bridge_error_condition(presence), "conflict") == 0 &&
		    bridge->relay_conflicts < 9) {
			bridge->relay_conflicts++;
			bridge->relay_state = PG_BRIDGE_OCCUPANT_OUT;
			pg_bridge_room_enter(bridge);
			return;
		}
		pg_bridge_fail(bridge, PG_BRIDGE_TO_XMPP,
			       g_strdup_printf("the relay could not join %s: %s",
					       bridge->config->room,
					       pg_bridge_error_condition(presence)));
		bridge->relay_state = PG_BRIDGE_OCCUPANT_OUT;
		/* a full room: it tries again later (pg-bridge-limits.c) */
		if (pg_bridge_limits_is_limit(presence))
			pg_bridge_limits_retry_relay(bridge, pg_bridge_room_enter);
		return;
	}
	if (pg_bridge_room_has_status(x, PG_MUC_STATUS_SELF)) {
		if (g_strcmp0(type, "unavailable") == 0)
			bridge->relay_state = PG_BRIDGE_OCCUPANT_OUT;
		else if (bridge->relay_state != PG_BRIDGE_OCCUPANT_IN)
			pg_bridge_room_relay_in(bridge);
		return;
	}
	if (nick == NULL)
		return;
	/* who else is in the room, and whose they are (their real JID, which
	 * the room shows its admins) */
	if (g_strcmp0(type, "unavailable") == 0) {
		pg_bridge_clients_left(bridge, nick, presence);
		g_hash_table_remove(bridge->xmpp_occupants, nick);
		if (!pg_bridge_room_has_status(x, PG_MUC_STATUS_NICK_CHANGED))
			pg_bridge_limits_seat_freed(bridge);
	} else {
		const gchar *real = item != NULL ? xmpp_stanza_get_attribute(item, "jid") : NULL;
		g_autofree gchar *bare = real != NULL ? pg_stanza_bare_jid(real) : NULL;
		g_hash_table_replace(bridge->xmpp_occupants, g_strdup(nick),
				     g_strdup(bare != NULL ? bare : ""));
	}
}

/* Whether the occupant @nick is one of ours (a puppet, the relay): by its
 * real JID where the room shows it, else by our own table of room nicks. */
gboolean
pg_bridge_room_is_ours(PgBridge *bridge, const gchar *nick)
{
	const gchar *real = g_hash_table_lookup(bridge->xmpp_occupants, nick);
	const gchar *at = real != NULL ? strchr(real, '@') : NULL;
	const gchar *domain = at != NULL ? at + 1 : real;

	if (domain != NULL && domain[0] != '\0' &&
	    g_ascii_strcasecmp(domain, pg_transport_get_jid(bridge->transport)) == 0)
		return TRUE;
	return g_strcmp0(nick, bridge->relay_nick) == 0 ||
	       g_hash_table_contains(bridge->by_room_nick, nick);
}

static void
pg_bridge_room_message(PgBridge *bridge, xmpp_stanza_t *message, gboolean to_relay,
		       const gchar *nick)
{
	const gchar *type = xmpp_stanza_get_type(message);
	const gchar *id = xmpp_stanza_get_id(message);
	xmpp_stanza_t *sid;
	const gchar *stanza_id = NULL;

	if (g_strcmp0(type, "error") == 0) {
		pg_bridge_fail(bridge, PG_BRIDGE_TO_XMPP,
			       g_strdup_printf("the room refused a message: %s",
					       pg_bridge_error_condition(message)));
		return;
	}
	/* every occupant gets every groupchat message: only the relay reads */
	if (!to_relay || g_strcmp0(type, "groupchat") != 0 || nick == NULL)
		return;
	/* XEP-0203: history the room replays is not said again */
	if (xmpp_stanza_get_child_by_name_and_ns(message, "delay", PG_NS_DELAY) != NULL)
		return;
	if (id != NULL && g_hash_table_contains(bridge->own_ids, id)) {
		pg_bridge_pace_reflected(bridge, nick, id);
		return; /* the reflection of a puppet's line */
	}
	for (sid = xmpp_stanza_get_children(message); sid != NULL; sid = xmpp_stanza_get_next(sid)) {
		if (g_strcmp0(xmpp_stanza_get_name(sid), "stanza-id") == 0 &&
		    g_strcmp0(xmpp_stanza_get_ns(sid), PG_NS_SID) == 0 &&
		    g_ascii_strcasecmp(xmpp_stanza_get_attribute(sid, "by") != NULL
					   ? xmpp_stanza_get_attribute(sid, "by")
					   : "",
				       bridge->config->room) == 0)
			stanza_id = xmpp_stanza_get_attribute(sid, "id");
	}
	if (stanza_id != NULL && g_hash_table_contains(bridge->seen_ids, stanza_id))
		return;
	pg_bridge_remember_id(bridge->seen_ids, bridge->seen_id_order, stanza_id);
	if (pg_bridge_room_is_ours(bridge, nick))
		return;
	pg_bridge_relay_message(bridge, message, nick, stanza_id);
}

void
pg_bridge_room_stanza(PgBridge *bridge, xmpp_stanza_t *stanza)
{
	const gchar *name = xmpp_stanza_get_name(stanza);
	const gchar *to = xmpp_stanza_get_to(stanza);
	gboolean to_relay = g_strcmp0(to, bridge->jid) == 0;
	g_autoptr(PgJid) from = NULL;
	PgBridgePuppet *puppet;

	/* every occupant gets every groupchat message: a puppet's copy is
	 * dropped before any parsing (only the relay reads the room) */
	if (!to_relay && g_strcmp0(name, "message") == 0 &&
	    g_strcmp0(xmpp_stanza_get_type(stanza), "groupchat") == 0)
		return;
	/* the replay's echoes and archive results (pg-bridge-replayer.c) */
	if (to_relay && bridge->replayer != NULL &&
	    pg_bridge_replayer_stanza(bridge->replayer, stanza))
		return;
	from = pg_jid_parse(xmpp_stanza_get_from(stanza), NULL);
	puppet = to_relay ? NULL : g_hash_table_lookup(bridge->by_jid, to);
	if (from == NULL || (!to_relay && puppet == NULL))
		return;
	if (g_strcmp0(name, "presence") == 0) {
		if (to_relay)
			pg_bridge_room_relay_presence(bridge, stanza, from->resource);
		else
			pg_bridge_room_puppet_presence(puppet, stanza, from->resource);
	} else if (g_strcmp0(name, "message") == 0) {
		/* a line bounced for the room's rate goes again (pg-bridge-pace.c) */
		if (g_strcmp0(xmpp_stanza_get_type(stanza), "error") == 0 &&
		    pg_bridge_pace_bounced(bridge, puppet, stanza))
			return;
		if (puppet != NULL && g_strcmp0(xmpp_stanza_get_type(stanza), "error") != 0)
			pg_bridge_clients_private(bridge, puppet, stanza, from->resource);
		else
			pg_bridge_room_message(bridge, stanza, to_relay, from->resource);
	} else if (g_strcmp0(name, "iq") == 0 &&
		   g_strcmp0(xmpp_stanza_get_type(stanza), "error") == 0) {
		/* pings and their answers went to pg-bridge-ping.c first */
		pg_bridge_fail(bridge, PG_BRIDGE_TO_XMPP,
			       g_strdup_printf("the room refused an admin request (is %s "
					       "an owner or admin of %s?): %s",
					       bridge->jid, bridge->config->room,
					       pg_bridge_error_condition(stanza)));
	}
}
