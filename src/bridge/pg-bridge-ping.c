/* XEP-0410 self-ping of a bridge's occupants in the native room (issue 11 §2).
 *
 * DESIGN: every self_ping_interval (pg-bridges.c keeps the timer) the relay
 * and each puppet in the room ping their own occupant JID (room/nick).  An
 * answer that says the pinger is not an occupant (§3.2: not-acceptable,
 * item-not-found, not-allowed) makes it join again; any other answer (a
 * client without ping, a timeout) says nothing about it.  A puppet's health,
 * and on each tick the occupants on each side, go to the store for
 * `polygate bridge status`.  Pings the room sends to our occupants are
 * answered here too.
 */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include "bridge/pg-bridge-private.h"
#include "stanza/pg-jid.h"
#include "stanza/pg-stanza.h"

#define PG_BRIDGE_PING_ID "pgb-ping-"

/* A self-ping from @from (the relay's or a puppet's JID) to room/@nick. */
static void
pg_bridge_ping_send(PgBridge *bridge, const gchar *from, const gchar *nick)
{
	g_autofree gchar *id = g_strdup_printf(PG_BRIDGE_PING_ID "%" G_GUINT64_FORMAT,
					       ++bridge->serial);
	g_autofree gchar *to = g_strdup_printf("%s/%s", bridge->config->room, nick);
	g_autoptr(xmpp_stanza_t) iq = xmpp_iq_new(pg_transport_get_ctx(bridge->transport), "get",
						  id);

	pg_stanza_set_from(iq, from);
	pg_stanza_set_to(iq, to);
	pg_stanza_add_child(iq, "ping", PG_NS_PING);
	pg_bridge_room_send(bridge, iq);
}

/* Occupants on each side, for `polygate bridge status`: the channel's
 * nicks (puppets and the bridge), and the room's people that are not ours. */
static void
pg_bridge_ping_count(PgBridge *bridge)
{
	GHashTableIter iter;
	gpointer key;
	guint xmpp = 0;

	if (bridge->store == NULL)
		return;
	g_hash_table_iter_init(&iter, bridge->xmpp_occupants);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		xmpp += !pg_bridge_room_is_ours(bridge, key);
	pg_bridge_store_set_occupants(bridge->store, bridge->config->name,
				      g_hash_table_size(bridge->puppets) + bridge->link.in_channel,
				      xmpp, g_get_real_time(), NULL);
}

void
pg_bridge_ping_all(PgBridge *bridge)
{
	GHashTableIter iter;
	gpointer value;

	pg_bridge_ping_count(bridge);
	if (!pg_bridge_room_online(bridge))
		return;
	if (bridge->relay_state == PG_BRIDGE_OCCUPANT_IN)
		pg_bridge_ping_send(bridge, bridge->jid, bridge->relay_nick);
	g_hash_table_iter_init(&iter, bridge->puppets);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgBridgePuppet *puppet = value;
		if (puppet->state == PG_BRIDGE_OCCUPANT_IN)
			pg_bridge_ping_send(bridge, puppet->jid, puppet->room_nick);
	}
}

/* The answer to a self-ping of the relay (@puppet NULL) or of @puppet. */
static void
pg_bridge_ping_pinged(PgBridge *bridge, PgBridgePuppet *puppet, xmpp_stanza_t *iq)
{
	const gchar *condition = g_strcmp0(xmpp_stanza_get_type(iq), "error") == 0
				     ? pg_bridge_error_condition(iq)
				     : NULL;
	/* XEP-0410 §3.2: these say the occupant is gone; others (a client
	 * without ping, a timeout) say nothing about it */
	gboolean gone = condition != NULL && (g_strcmp0(condition, "not-acceptable") == 0 ||
					      g_strcmp0(condition, "item-not-found") == 0 ||
					      g_strcmp0(condition, "not-allowed") == 0);

	if (bridge->store != NULL && puppet != NULL)
		pg_bridge_store_set_puppet(bridge->store, bridge->config->name, puppet->irc_nick,
					   !gone, g_get_real_time(), NULL);
	if (!gone)
		return;
	if (puppet == NULL) {
		g_message("bridge %s: the relay fell out of the room; joining again",
			  bridge->config->name);
		bridge->relay_state = PG_BRIDGE_OCCUPANT_OUT;
		pg_bridge_room_enter(bridge);
		return;
	}
	g_message("bridge %s: %s fell out of the room; joining again", bridge->config->name,
		  puppet->irc_nick);
	puppet->state = PG_BRIDGE_OCCUPANT_OUT;
	pg_bridge_room_puppet_enter(puppet);
}

gboolean
pg_bridge_ping_stanza(PgBridge *bridge, xmpp_stanza_t *stanza)
{
	const gchar *to = xmpp_stanza_get_to(stanza);
	const gchar *type = xmpp_stanza_get_type(stanza);
	const gchar *id = xmpp_stanza_get_id(stanza);
	gboolean to_relay = g_strcmp0(to, bridge->jid) == 0;
	PgBridgePuppet *puppet = to_relay || to == NULL ? NULL
							: g_hash_table_lookup(bridge->by_jid, to);
	g_autoptr(PgJid) from = NULL;

	if (g_strcmp0(xmpp_stanza_get_name(stanza), "iq") != 0 || (!to_relay && puppet == NULL))
		return FALSE;
	from = pg_jid_parse(xmpp_stanza_get_from(stanza), NULL);
	if (from == NULL)
		return FALSE;
	if (g_strcmp0(type, "get") == 0 || g_strcmp0(type, "set") == 0) {
		/* XEP-0199: a ping of our occupant is answered; nothing else is
		 * served from these JIDs */
		xmpp_stanza_t *ping = xmpp_stanza_get_child_by_name_and_ns(stanza, "ping",
									   PG_NS_PING);
		g_autoptr(xmpp_stanza_t) reply =
		    ping != NULL ? pg_stanza_iq_result(stanza)
				 : pg_stanza_reply_error(stanza, "cancel", "service-unavailable",
							 NULL);
		if (reply != NULL)
			pg_bridge_room_send(bridge, reply);
		return TRUE;
	}
	if ((g_strcmp0(type, "error") != 0 && g_strcmp0(type, "result") != 0) || id == NULL ||
	    !g_str_has_prefix(id, PG_BRIDGE_PING_ID))
		return FALSE;
	pg_bridge_ping_pinged(bridge, puppet, stanza);
	return TRUE;
}
