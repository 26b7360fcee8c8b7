/* IRC bans into the room (issue 11 item 5: "kicks and bans on either side
 * apply to the other side's puppet").
 *
 * DESIGN: the bridge's worker reports each ban someone sets or lifts in the
 * channel (room-ban: the mask, who, and the channel's people as
 * nick!user@host, pg-purple-bans.c).  With bans_to_room (the default):
 *   - +b: every puppet whose nick!user@host the mask matches
 *     (pg-bridge-mask.h: IRC wildcards, RFC 1459 case mapping) becomes an
 *     outcast of the room by the relay, one muc#admin IQ (XEP-0045 §9.1),
 *     which removes it from the room (status 301).  That removal is not
 *     sent back to IRC as a KICK: the ban came from there.  A mask that
 *     matches nobody bridged changes nothing in the room.
 *   - -b: the JIDs that mask made outcasts are members again (XEP-0045
 *     §9.3, what the bridge gives every puppet), and those whose nick is
 *     still in the channel join again.  Where the daemon does not remember
 *     the mask (it restarted), the puppets the mask matches now are.
 * The relay must be an admin or owner of the room (README "Move a
 * community"); a refusal is the bridge's last error (pg-bridge-room.c). */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include <string.h>

#include "bridge/pg-bridge-mask.h"
#include "bridge/pg-bridge-private.h"
#include "stanza/pg-stanza.h"

#define PG_BRIDGE_BANS_NS_MUC_ADMIN "http://jabber.org/protocol/muc#admin"
/* masks remembered at most; past it the oldest are forgotten (an unban of
 * one then goes by who matches it now) */
#define PG_BRIDGE_BANS_MAX 1024

/* The puppets @mask bans among @occupants ("nick!user@host" or "nick"). */
static GPtrArray *
pg_bridge_bans_matching(PgBridge *bridge, const gchar *mask, GVariant *occupants)
{
	GPtrArray *puppets = g_ptr_array_new();
	GVariantIter iter;
	const gchar *who;

	if (occupants == NULL)
		return puppets;
	g_variant_iter_init(&iter, occupants);
	while (g_variant_iter_next(&iter, "&s", &who)) {
		g_autofree gchar *nick = g_strndup(who, strcspn(who, "!"));
		PgBridgePuppet *puppet = pg_bridge_room_lookup(bridge, nick);

		if (puppet != NULL && !g_ptr_array_find(puppets, puppet, NULL) &&
		    pg_bridge_mask_match(mask, who))
			g_ptr_array_add(puppets, puppet);
	}
	return puppets;
}

/* One muc#admin IQ giving each of @jids (bare) @affiliation. */
static void
pg_bridge_bans_affiliate(PgBridge *bridge, GPtrArray *jids, const gchar *affiliation,
			 const gchar *reason)
{
	g_autofree gchar *id = g_strdup_printf("pgb-ban-%" G_GUINT64_FORMAT, ++bridge->serial);
	g_autoptr(xmpp_stanza_t) iq = NULL;
	xmpp_stanza_t *query;

	if (jids->len == 0 || bridge->transport == NULL ||
	    !pg_transport_is_connected(bridge->transport))
		return;
	iq = xmpp_iq_new(pg_transport_get_ctx(bridge->transport), "set", id);
	pg_stanza_set_from(iq, bridge->jid);
	pg_stanza_set_to(iq, bridge->config->room);
	query = pg_stanza_add_child(iq, "query", PG_BRIDGE_BANS_NS_MUC_ADMIN);
	for (guint i = 0; i < jids->len; i++) {
		xmpp_stanza_t *item = pg_stanza_add_child(query, "item", NULL);
		xmpp_stanza_set_attribute(item, "affiliation", affiliation);
		pg_stanza_set_name_attribute(item, "jid", g_ptr_array_index(jids, i));
		if (reason != NULL)
			pg_stanza_add_text_child(item, "reason", reason);
	}
	pg_bridge_room_send(bridge, iq);
}

static void
pg_bridge_bans_set(PgBridge *bridge, const gchar *mask, const gchar *by, GPtrArray *puppets)
{
	g_autoptr(GPtrArray) jids = g_ptr_array_new_with_free_func(g_free);
	g_autofree gchar *reason = g_strdup_printf("Banned on IRC by %s (%s)",
						   by != NULL ? by : "a channel operator", mask);

	if (puppets->len == 0) {
		g_info("bridge %s: the ban %s matches nobody bridged", bridge->config->name, mask);
		return;
	}
	for (guint i = 0; i < puppets->len; i++) {
		PgBridgePuppet *puppet = g_ptr_array_index(puppets, i);
		puppet->banned_on_irc = TRUE;
		g_ptr_array_add(jids, pg_stanza_bare_jid(puppet->jid));
	}
	g_message("bridge %s: the IRC ban %s makes %u puppet(s) outcasts of the room",
		  bridge->config->name, mask, jids->len);
	pg_bridge_bans_affiliate(bridge, jids, "outcast", reason);
	if (g_hash_table_size(bridge->irc_bans) >= PG_BRIDGE_BANS_MAX)
		g_hash_table_remove_all(bridge->irc_bans);
	g_hash_table_replace(bridge->irc_bans, g_utf8_casefold(mask, -1), g_ptr_array_ref(jids));
}

static void
pg_bridge_bans_lift(PgBridge *bridge, const gchar *mask, GPtrArray *puppets)
{
	g_autofree gchar *key = g_utf8_casefold(mask, -1);
	GPtrArray *known = g_hash_table_lookup(bridge->irc_bans, key);
	g_autoptr(GPtrArray) jids = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter iter;
	gpointer value;

	if (known != NULL) {
		for (guint i = 0; i < known->len; i++)
			g_ptr_array_add(jids, g_strdup(g_ptr_array_index(known, i)));
	} else {
		for (guint i = 0; i < puppets->len; i++)
			g_ptr_array_add(jids, pg_stanza_bare_jid(
						  ((PgBridgePuppet *)g_ptr_array_index(puppets, i))->jid));
	}
	if (jids->len == 0)
		return;
	g_message("bridge %s: the IRC ban %s is lifted: %u puppet(s) are members again",
		  bridge->config->name, mask, jids->len);
	pg_bridge_bans_affiliate(bridge, jids, "member", NULL);
	g_hash_table_remove(bridge->irc_bans, key);
	/* those still in the channel come back (the IQ above goes first) */
	g_hash_table_iter_init(&iter, bridge->puppets);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgBridgePuppet *puppet = value;
		g_autofree gchar *bare = pg_stanza_bare_jid(puppet->jid);

		if (!puppet->banned_on_irc || !g_ptr_array_find_with_equal_func(jids, bare,
										g_str_equal, NULL))
			continue;
		puppet->banned_on_irc = FALSE;
		puppet->removed = FALSE;
		puppet->affiliated = TRUE;
		pg_bridge_room_puppet_enter(puppet);
	}
}

void
pg_bridge_bans_on_event(PgBridge *bridge, const PgIpcMessage *msg)
{
	const gchar *mask = pg_ipc_message_get_string(msg, "mask");
	g_autoptr(GVariant) occupants = pg_ipc_message_get_value(msg, "occupants");
	g_autoptr(GPtrArray) puppets = NULL;

	if (!bridge->config->bans_to_room || bridge->paused || mask == NULL)
		return;
	if (bridge->irc_bans == NULL)
		bridge->irc_bans = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
							 (GDestroyNotify)g_ptr_array_unref);
	puppets = pg_bridge_bans_matching(bridge, mask, occupants);
	if (pg_ipc_message_get_boolean(msg, "set", FALSE))
		pg_bridge_bans_set(bridge, mask, pg_ipc_message_get_string(msg, "by"), puppets);
	else
		pg_bridge_bans_lift(bridge, mask, puppets);
}

void
pg_bridge_bans_free(PgBridge *bridge)
{
	g_clear_pointer(&bridge->irc_bans, g_hash_table_unref);
}
