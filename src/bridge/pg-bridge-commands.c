/* XEP-0050 admin commands for the bridges of a transport (issue 11 §1):
 *
 *   bridges         each bridge: channel <-> room, phase, consent, the IRC
 *                   client, the relay, puppets and people in the room, the
 *                   last error
 *   bridge-pause    stop relaying either way (the clients stay where they
 *                   are; kept in the store as the phase "paused")
 *   bridge-resume   relay again
 *   bridge-replay   replay the imported logs into the room now
 *                   (pg-bridge-replayer.c; it also starts by itself)
 *
 * Bridges are created in the config ([bridge NAME], checked by
 * --check-config); a bridge is removed by removing its group.  Only the
 * gateway's admins ([polygate] admins) see these commands.
 */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include "bridge/pg-bridge-private.h"
#include "core/pg-error.h"
#include "stanza/pg-form.h"
#include "xmpp/pg-adhoc.h"

static const gchar *
pg_bridge_commands_link_state(const PgBridge *bridge)
{
	switch (bridge->link.state) {
	case PG_BRIDGE_LINK_CONNECTED:
		return bridge->link.in_channel ? "in the channel"
		       : bridge->approved      ? "connected, joining"
					       : "connected, waiting for a chanop's approve";
	case PG_BRIDGE_LINK_CONNECTING:
		return "connecting";
	case PG_BRIDGE_LINK_WAITING:
		return "waiting to reconnect";
	case PG_BRIDGE_LINK_OFFLINE:
	default:
		return "offline";
	}
}

static void
pg_bridge_commands_describe(GString *text, const PgBridge *bridge)
{
	GHashTableIter iter;
	gpointer value;
	guint in_room = 0;

	g_hash_table_iter_init(&iter, bridge->puppets);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		in_room += ((PgBridgePuppet *)value)->state == PG_BRIDGE_OCCUPANT_IN;
	g_string_append_printf(
	    text, "\n%s: %s on %s <-> %s; phase %s%s; %s%s%s; IRC: %s; relay %s; puppets %u in the "
		  "room of %u (%u held out by room limits); %u other occupant(s)%s%s",
	    bridge->config->name, bridge->config->channel, bridge->server, bridge->config->room,
	    bridge->config->phase, bridge->paused ? " (paused)" : "",
	    bridge->approved ? "approved" : "not approved",
	    bridge->approved_by != NULL ? " by " : "",
	    bridge->approved_by != NULL ? bridge->approved_by : "",
	    pg_bridge_commands_link_state(bridge),
	    bridge->relay_state == PG_BRIDGE_OCCUPANT_IN ? "in the room" : "not in the room",
	    in_room, g_hash_table_size(bridge->puppets), pg_bridge_limits_held(bridge),
	    g_hash_table_size(bridge->xmpp_occupants), bridge->last_error != NULL ? "; last error: " : "",
	    bridge->last_error != NULL ? bridge->last_error : "");
}

static gchar *
pg_bridge_commands_list_cb(PgTransport *transport, const gchar *user_jid,
			   GHashTable *form_values, gpointer user_data, GError **error)
{
	GPtrArray *bridges = user_data;
	g_autoptr(GString) lines = g_string_new(NULL);
	guint n = 0;

	for (guint i = 0; i < bridges->len; i++) {
		PgBridge *bridge = g_ptr_array_index(bridges, i);
		if (bridge->transport != transport)
			continue;
		pg_bridge_commands_describe(lines, bridge);
		n++;
	}
	return g_strdup_printf("%u bridge(s) through this transport%s", n, lines->str);
}

static xmpp_stanza_t *
pg_bridge_commands_form_cb(PgTransport *transport, const gchar *user_jid, gpointer user_data,
			   GError **error)
{
	GPtrArray *bridges = user_data;
	g_autoptr(PgForm) form = pg_form_new("form", NULL, "Bridge", "Which bridge?");
	const gchar *first = NULL;

	for (guint i = 0; i < bridges->len; i++) {
		PgBridge *bridge = g_ptr_array_index(bridges, i);
		if (bridge->transport == transport && first == NULL)
			first = bridge->config->name;
	}
	if (first == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
				    "no bridge goes through this transport");
		return NULL;
	}
	pg_form_add_field(form, "bridge", "list-single", "Bridge", TRUE, first);
	for (guint i = 0; i < bridges->len; i++) {
		PgBridge *bridge = g_ptr_array_index(bridges, i);
		if (bridge->transport == transport)
			pg_form_add_option(form, bridge->config->name, bridge->config->name);
	}
	return pg_form_to_stanza(form, pg_transport_get_ctx(transport));
}

static gchar *
pg_bridge_commands_pause(PgTransport *transport, GHashTable *form_values, GPtrArray *bridges,
			 gboolean paused, GError **error)
{
	const gchar *name = form_values != NULL ? g_hash_table_lookup(form_values, "bridge") : NULL;

	for (guint i = 0; name != NULL && i < bridges->len; i++) {
		PgBridge *bridge = g_ptr_array_index(bridges, i);
		if (bridge->transport != transport || g_strcmp0(bridge->config->name, name) != 0)
			continue;
		bridge->paused = paused;
		if (bridge->store != NULL)
			pg_bridge_store_set_phase(bridge->store, name,
						  paused ? "paused" : bridge->config->phase,
						  g_get_real_time(), NULL);
		g_message("bridge %s: %s", name, paused ? "paused" : "resumed");
		return g_strdup_printf("Bridge %s %s.", name,
				       paused ? "paused: nothing is relayed either way"
					      : "resumed");
	}
	g_set_error_literal(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND, "no such bridge here");
	return NULL;
}

static gchar *
pg_bridge_commands_pause_cb(PgTransport *transport, const gchar *user_jid,
			    GHashTable *form_values, gpointer user_data, GError **error)
{
	return pg_bridge_commands_pause(transport, form_values, user_data, TRUE, error);
}

static gchar *
pg_bridge_commands_resume_cb(PgTransport *transport, const gchar *user_jid,
			     GHashTable *form_values, gpointer user_data, GError **error)
{
	return pg_bridge_commands_pause(transport, form_values, user_data, FALSE, error);
}

static gchar *
pg_bridge_commands_replay_cb(PgTransport *transport, const gchar *user_jid,
			     GHashTable *form_values, gpointer user_data, GError **error)
{
	GPtrArray *bridges = user_data;
	const gchar *name = form_values != NULL ? g_hash_table_lookup(form_values, "bridge") : NULL;

	for (guint i = 0; name != NULL && i < bridges->len; i++) {
		PgBridge *bridge = g_ptr_array_index(bridges, i);
		if (bridge->transport != transport || g_strcmp0(bridge->config->name, name) != 0)
			continue;
		pg_bridge_replayer_poke(bridge->replayer);
		return g_strdup_printf(
		    "Bridge %s: %" G_GUINT64_FORMAT " imported line(s) to replay, %u a second%s.",
		    name, pg_bridge_replayer_pending(bridge->replayer), bridge->config->replay_rate,
		    bridge->relay_state != PG_BRIDGE_OCCUPANT_IN ? ", once the relay is in the room"
		    : bridge->paused			      ? ", once the bridge is resumed"
							      : "");
	}
	g_set_error_literal(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND, "no such bridge here");
	return NULL;
}

void
pg_bridge_commands_add(PgTransport *transport, GPtrArray *bridges)
{
	const PgAdhocCommand commands[] = {
	    {.node = "bridges", .name = "Bridges", .admin_only = TRUE,
	     .execute = pg_bridge_commands_list_cb},
	    {.node = "bridge-pause", .name = "Pause a bridge", .admin_only = TRUE,
	     .execute = pg_bridge_commands_pause_cb, .form = pg_bridge_commands_form_cb},
	    {.node = "bridge-resume", .name = "Resume a bridge", .admin_only = TRUE,
	     .execute = pg_bridge_commands_resume_cb, .form = pg_bridge_commands_form_cb},
	    {.node = "bridge-replay", .name = "Replay imported logs", .admin_only = TRUE,
	     .execute = pg_bridge_commands_replay_cb, .form = pg_bridge_commands_form_cb},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
		pg_transport_add_command(transport, &commands[i], bridges);
}

void
pg_bridge_commands_remove(PgTransport *transport)
{
	pg_transport_remove_command(transport, "bridges");
	pg_transport_remove_command(transport, "bridge-pause");
	pg_transport_remove_command(transport, "bridge-resume");
	pg_transport_remove_command(transport, "bridge-replay");
}
