/* XEP-0050 admin commands for the bridges of a transport (issue 11 §1):
 *
 *   bridges         each bridge: channel <-> room, phase, consent, the IRC
 *                   client, the relay, puppets and people in the room, the
 *                   last error
 *   bridge-create   a form with the keys of a [bridge NAME] group, checked
 *                   by the config's own code (core/pg-config-bridge-form.h);
 *                   the bridge is kept in the store, comes back after a
 *                   restart, and waits for a chanop's approve like any other;
 *                   its SASL password is a text-private field (XEP-0004
 *                   §3.3), kept sealed (pg-bridges.c), never shown again
 *   bridge-remove   a bridge made by command: its puppets and relay leave
 *                   the room, its IRC client the channel; its store state
 *                   (consent, id map, counters, spool) is kept or dropped
 *   bridge-pause    stop relaying either way (the clients stay where they
 *                   are; kept in the store as the phase "paused")
 *   bridge-resume   relay again
 *   bridge-replay   replay the imported logs into the room now
 *                   (pg-bridge-replayer.c; it also starts by itself)
 *
 * Bridges are also made in the config ([bridge NAME], checked by
 * --check-config), which wins over a bridge made by command of the same
 * name; such a bridge is removed by removing its group.  Only the
 * gateway's admins ([polygate] admins) see these commands.  Problems are
 * stanza errors whose text begins with the form field they are about.
 */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include "bridge/pg-bridge-private.h"
#include "core/pg-config-bridge-form.h"
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
pg_bridge_commands_describe(GString *text, const PgBridge *bridge, gboolean made)
{
	GHashTableIter iter;
	gpointer value;
	guint in_room = 0;

	g_hash_table_iter_init(&iter, bridge->puppets);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		in_room += ((PgBridgePuppet *)value)->state == PG_BRIDGE_OCCUPANT_IN;
	g_string_append_printf(
	    text, "\n%s: %s on %s <-> %s; phase %s%s; %s%s%s; IRC: %s; relay %s; puppets %u in the "
		  "room of %u (%u held out by room limits); %u other occupant(s)%s%s%s",
	    bridge->config->name, bridge->config->channel, bridge->server, bridge->config->room,
	    bridge->config->phase, bridge->paused ? " (paused)" : "",
	    bridge->approved ? "approved" : "not approved",
	    bridge->approved_by != NULL ? " by " : "",
	    bridge->approved_by != NULL ? bridge->approved_by : "",
	    pg_bridge_commands_link_state(bridge),
	    bridge->relay_state == PG_BRIDGE_OCCUPANT_IN ? "in the room" : "not in the room",
	    in_room, g_hash_table_size(bridge->puppets), pg_bridge_limits_held(bridge),
	    g_hash_table_size(bridge->xmpp_occupants), bridge->last_error != NULL ? "; last error: " : "",
	    bridge->last_error != NULL ? bridge->last_error : "", made ? "; made by command" : "");
}

static gchar *
pg_bridge_commands_list_cb(PgTransport *transport, const gchar *user_jid,
			   GHashTable *form_values, gpointer user_data, GError **error)
{
	PgBridgeCommandsContext *context = user_data;
	g_autoptr(GString) lines = g_string_new(NULL);
	guint n = 0;

	for (guint i = 0; i < context->bridges->len; i++) {
		PgBridge *bridge = g_ptr_array_index(context->bridges, i);
		if (bridge->transport != transport)
			continue;
		pg_bridge_commands_describe(
		    lines, bridge, g_ptr_array_find(context->made, bridge->config, NULL));
		n++;
	}
	for (guint i = 0; i < context->not_started->len; i++)
		g_string_append_printf(lines, "\n%s",
				       (const gchar *)g_ptr_array_index(context->not_started, i));
	return g_strdup_printf("%u bridge(s) through this transport%s", n, lines->str);
}

/* A form whose list-single "bridge" offers each bridge through @transport;
 * with @mark_config, one of the config file says it cannot be removed.
 * Returns: (transfer full) or NULL with @error: there is none. */
static PgForm *
pg_bridge_commands_bridge_form(PgTransport *transport, PgBridgeCommandsContext *context,
			       const gchar *title, const gchar *instructions,
			       gboolean mark_config, GError **error)
{
	g_autoptr(PgForm) form = pg_form_new("form", NULL, title, instructions);
	const gchar *first = NULL;

	for (guint i = 0; i < context->bridges->len && first == NULL; i++) {
		PgBridge *bridge = g_ptr_array_index(context->bridges, i);
		if (bridge->transport == transport)
			first = bridge->config->name;
	}
	if (first == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
				    "no bridge goes through this transport");
		return NULL;
	}
	pg_form_add_field(form, "bridge", "list-single", "Bridge", TRUE, first);
	for (guint i = 0; i < context->bridges->len; i++) {
		PgBridge *bridge = g_ptr_array_index(context->bridges, i);
		g_autofree gchar *label = NULL;

		if (bridge->transport != transport)
			continue;
		label = !mark_config || g_ptr_array_find(context->made, bridge->config, NULL)
			    ? g_strdup(bridge->config->name)
			    : g_strdup_printf("%s (config file: cannot be removed here)",
					      bridge->config->name);
		pg_form_add_option(form, label, bridge->config->name);
	}
	return g_steal_pointer(&form);
}

static xmpp_stanza_t *
pg_bridge_commands_form_cb(PgTransport *transport, const gchar *user_jid, gpointer user_data,
			   GError **error)
{
	g_autoptr(PgForm) form = pg_bridge_commands_bridge_form(transport, user_data, "Bridge",
								"Which bridge?", FALSE, error);

	return form != NULL ? pg_form_to_stanza(form, pg_transport_get_ctx(transport)) : NULL;
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
	PgBridgeCommandsContext *context = user_data;
	return pg_bridge_commands_pause(transport, form_values, context->bridges, TRUE, error);
}

static gchar *
pg_bridge_commands_resume_cb(PgTransport *transport, const gchar *user_jid,
			     GHashTable *form_values, gpointer user_data, GError **error)
{
	PgBridgeCommandsContext *context = user_data;
	return pg_bridge_commands_pause(transport, form_values, context->bridges, FALSE, error);
}

static gchar *
pg_bridge_commands_replay_cb(PgTransport *transport, const gchar *user_jid,
			     GHashTable *form_values, gpointer user_data, GError **error)
{
	PgBridgeCommandsContext *context = user_data;
	GPtrArray *bridges = context->bridges;
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

/* ------------------------------------------------------- create, remove */

/* A text-single field of the create form: a key of [bridge NAME]. */
static void
pg_bridge_commands_field(PgForm *form, const gchar *var, const gchar *label, gboolean required,
			 const gchar *value)
{
	pg_form_add_field(form, var, "text-single", label, required, value);
}

static xmpp_stanza_t *
pg_bridge_commands_create_form_cb(PgTransport *transport, const gchar *user_jid,
				  gpointer user_data, GError **error)
{
	g_autoptr(PgForm) form = pg_form_new(
	    "form", NULL, "Create a bridge",
	    "The keys of a [bridge NAME] group of the config file (README.md \"Move a "
	    "community\"); empty fields take the config's defaults.  The bridge goes through "
	    "this transport and joins once a chanop of the channel sends its IRC client "
	    "\"approve\".");

	pg_bridge_commands_field(form, PG_CONFIG_BRIDGE_FORM_NAME, "Name (letters, digits, - _)",
				 TRUE, NULL);
	pg_bridge_commands_field(form, "server", "Legacy server (default: the transport's)",
				 FALSE, NULL);
	pg_bridge_commands_field(form, "port", "Port", FALSE, NULL);
	pg_form_set_datatype(form, "xs:integer", 1, 65535);
	/* not a boolean: a client that sends every box would turn TLS off */
	pg_bridge_commands_field(form, "tls", "TLS: true or false (empty: TLS unless on loopback)",
				 FALSE, NULL);
	pg_bridge_commands_field(form, "channel", "Channel, e.g. #project", TRUE, NULL);
	pg_bridge_commands_field(form, "room", "Room, e.g. project@conference.example.org", TRUE,
				 NULL);
	pg_bridge_commands_field(form, "nick", "The bridge's IRC nick", TRUE, NULL);
	/* XEP-0004 §3.3: never carries a value back; sealed, not logged */
	pg_form_add_field(form, PG_CONFIG_BRIDGE_FORM_SASL_PASSWORD, "text-private",
			  "SASL PLAIN password of the nick's account (empty: none)", FALSE, NULL);
	pg_bridge_commands_field(form, "puppet_suffix", "Suffix of a taken nick", FALSE, NULL);
	pg_form_add_field(form, "phase", "list-single", "Phase", FALSE, "live");
	pg_form_add_option(form, "live: both ways", "live");
	pg_form_add_option(form, "moved: tell IRC where the room is", "moved");
	pg_form_add_option(form, "readonly: XMPP to IRC only", "readonly");
	pg_bridge_commands_field(form, "moved_to", "xmpp: URI of the room (phase moved)", FALSE,
				 NULL);
	pg_bridge_commands_field(form, "web_link", "Web client link (phase moved)", FALSE, NULL);
	pg_bridge_commands_field(form, "multiline_threshold", "Lines of a message sent as lines",
				 FALSE, NULL);
	pg_form_set_datatype(form, "xs:integer", 1, 100);
	pg_form_add_field(form, "multiline_policy", "list-single", "Above that", FALSE, "refuse");
	pg_form_add_option(form, "refuse", "refuse");
	pg_form_add_option(form, "summarise", "summarise");
	pg_form_add_field(form, "kicks_to_room", "boolean", "An IRC kick is a room kick", FALSE,
			  "1");
	pg_form_add_field(form, "kicks_to_irc", "boolean", "A room kick is an IRC kick", FALSE,
			  "1");
	pg_bridge_commands_field(form, "replay_rate", "Imported lines replayed a second", FALSE,
				 NULL);
	pg_form_set_datatype(form, "xs:integer", 1, 100);
	pg_form_add_field(form, "import_time", "list-single", "Time of a replayed line", FALSE,
			  "both");
	pg_form_add_option(form, "in its text and its delay", "both");
	pg_form_add_option(form, "in its delay only", "delay");
	pg_bridge_commands_field(form, "self_ping_interval", "Seconds between self-pings", FALSE,
				 NULL);
	pg_form_set_datatype(form, "xs:integer", 5, 3600);
	return pg_form_to_stanza(form, pg_transport_get_ctx(transport));
}

static gchar *
pg_bridge_commands_create_cb(PgTransport *transport, const gchar *user_jid,
			     GHashTable *form_values, gpointer user_data, GError **error)
{
	PgBridgeCommandsContext *context = user_data;
	PgBridge *bridge;

	if (form_values == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    PG_CONFIG_BRIDGE_FORM_NAME ": missing (required)");
		return NULL;
	}
	bridge = context->make(context->manager, transport, form_values, user_jid, error);
	if (bridge == NULL)
		return NULL;
	return g_strdup_printf("Bridge %s made: %s on %s <-> %s.  It joins the channel once a "
			       "chanop sends %s \"approve\".",
			       bridge->config->name, bridge->config->channel, bridge->server,
			       bridge->config->room, bridge->config->nick);
}

static xmpp_stanza_t *
pg_bridge_commands_remove_form_cb(PgTransport *transport, const gchar *user_jid,
				  gpointer user_data, GError **error)
{
	g_autoptr(PgForm) form = pg_bridge_commands_bridge_form(
	    transport, user_data, "Remove a bridge",
	    "A bridge made by command (a bridge of the config file goes with its [bridge NAME] "
	    "group).",
	    TRUE, error);

	if (form == NULL)
		return NULL;
	pg_form_add_field(form, "keep_state", "boolean",
			  "Keep its consent, id map, counters and imported logs in the store",
			  FALSE, "1");
	return pg_form_to_stanza(form, pg_transport_get_ctx(transport));
}

static gchar *
pg_bridge_commands_remove_cb(PgTransport *transport, const gchar *user_jid,
			     GHashTable *form_values, gpointer user_data, GError **error)
{
	PgBridgeCommandsContext *context = user_data;
	const gchar *name = form_values != NULL ? g_hash_table_lookup(form_values, "bridge") : NULL;
	const gchar *keep = form_values != NULL ? g_hash_table_lookup(form_values, "keep_state")
						: NULL;
	/* XEP-0004 §3.3: a boolean is 0, 1, false or true; absent: keep */
	gboolean keep_state = keep == NULL || (g_strcmp0(keep, "0") != 0 &&
					       g_ascii_strcasecmp(keep, "false") != 0);

	if (name == NULL || name[0] == '\0') {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "bridge: missing (required)");
		return NULL;
	}
	if (keep != NULL && g_strcmp0(keep, "1") != 0 && g_strcmp0(keep, "0") != 0 &&
	    g_ascii_strcasecmp(keep, "true") != 0 && g_ascii_strcasecmp(keep, "false") != 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
			    "keep_state: '%s' is not a boolean", keep);
		return NULL;
	}
	if (!context->remove(context->manager, name, keep_state, error))
		return NULL;
	return g_strdup_printf("Bridge %s removed: it left the room and the channel; its state "
			       "in the bridge store was %s.",
			       name, keep_state ? "kept" : "dropped");
}

void
pg_bridge_commands_add(PgTransport *transport, PgBridgeCommandsContext *context)
{
	const PgAdhocCommand commands[] = {
	    {.node = "bridges", .name = "Bridges", .admin_only = TRUE,
	     .execute = pg_bridge_commands_list_cb},
	    {.node = "bridge-create", .name = "Create a bridge", .admin_only = TRUE,
	     .execute = pg_bridge_commands_create_cb, .form = pg_bridge_commands_create_form_cb},
	    {.node = "bridge-remove", .name = "Remove a bridge", .admin_only = TRUE,
	     .execute = pg_bridge_commands_remove_cb, .form = pg_bridge_commands_remove_form_cb},
	    {.node = "bridge-pause", .name = "Pause a bridge", .admin_only = TRUE,
	     .execute = pg_bridge_commands_pause_cb, .form = pg_bridge_commands_form_cb},
	    {.node = "bridge-resume", .name = "Resume a bridge", .admin_only = TRUE,
	     .execute = pg_bridge_commands_resume_cb, .form = pg_bridge_commands_form_cb},
	    {.node = "bridge-replay", .name = "Replay imported logs", .admin_only = TRUE,
	     .execute = pg_bridge_commands_replay_cb, .form = pg_bridge_commands_form_cb},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
		pg_transport_add_command(transport, &commands[i], context);
}

void
pg_bridge_commands_remove(PgTransport *transport)
{
	pg_transport_remove_command(transport, "bridges");
	pg_transport_remove_command(transport, "bridge-create");
	pg_transport_remove_command(transport, "bridge-remove");
	pg_transport_remove_command(transport, "bridge-pause");
	pg_transport_remove_command(transport, "bridge-resume");
	pg_transport_remove_command(transport, "bridge-replay");
}
