/* Private messages between IRC people and the XMPP people of a bridge
 * (issue 11 §3: "private messages from IRC to a puppet reach the XMPP
 * occupant only if that person allows it").
 *
 * DESIGN
 * - Only with irc_clients = per-occupant: an XMPP person is on IRC only
 *   through their own connection, so a PRIVMSG to its nick is to them.
 *   Nobody takes private messages until they say so, with the transport's
 *   ad-hoc command "bridge-private-messages" (allow / deny, XEP-0050), kept
 *   in the bridges' store by bare JID (pg-bridge-store-prefs.c).
 * - Allowed, a PRIVMSG reaches the person as a XEP-0045 §7.5 private
 *   message from the sender's puppet in the room (type chat, to
 *   room/their nick, with an empty muc#user <x/>), not to their real JID:
 *   the room is where the person knows the sender from, their client files
 *   it with the room, the room's own PM policy applies, and the reply goes
 *   to room/puppet, which the bridge reads.  So only people of the channel
 *   (who have a puppet in the room) can write; others are told so.
 * - Refused, the sender gets one NOTICE from the person's nick saying they
 *   take no private messages (one per sender and connection: a refusal
 *   must not become a flood).
 * - The person's reply to room/puppet is a PRIVMSG from their own
 *   connection to the puppet's IRC nick.  In relay mode (no connection of
 *   theirs) such a message gets a stanza error (RFC 6120 §8.3.3.10
 *   not-allowed, with a text), never silence; private messages to the
 *   bridge's own nick keep their help answer (pg-bridge-irc.c).
 * - Errors from a puppet avoid the conditions a room takes for "this
 *   occupant is gone" (Prosody's muc kicks an occupant that sends
 *   service-unavailable, recipient-unavailable, item-not-found...): they
 *   are not-allowed (cancel) and resource-constraint (wait).
 */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include "bridge/pg-bridge-clients-private.h"
#include "core/pg-error.h"
#include "stanza/pg-form.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-adhoc.h"

/* senders remembered per connection, so each is told once */
#define PG_BRIDGE_CLIENTS_TOLD_MAX 64
#define PG_BRIDGE_CLIENTS_PM_NODE "bridge-private-messages"
#define PG_BRIDGE_NS_MUC_USER "http://jabber.org/protocol/muc#user"

static void
pg_bridge_clients_pm_send(PgBridge *bridge, xmpp_stanza_t *stanza)
{
	if (bridge->transport != NULL && pg_transport_is_connected(bridge->transport))
		pg_transport_send(bridge->transport, stanza);
}

static void
pg_bridge_clients_pm_notice(PgBridgeClient *client, const gchar *to, const gchar *text)
{
	if (g_hash_table_contains(client->told, to))
		return;
	if (g_hash_table_size(client->told) >= PG_BRIDGE_CLIENTS_TOLD_MAX)
		g_hash_table_remove_all(client->told);
	g_hash_table_add(client->told, g_strdup(to));
	pg_bridge_clients_send_command(
	    client, pg_ipc_message_new(PG_IPC_CMD_ROOM_ADMIN, 0, "account",
				       g_variant_new_string(client->account), "room",
				       g_variant_new_string(client->bridge->config->channel),
				       "action", g_variant_new_string("notice"), "nick",
				       g_variant_new_string(to), "reason",
				       g_variant_new_string(text), NULL));
}

/* A private message @body from IRC nick @from to @client's nick. */
static void
pg_bridge_clients_pm_received(PgBridgeClient *client, const gchar *from, const gchar *body)
{
	PgBridge *bridge = client->bridge;
	const gchar *real = client->room_nick != NULL
				? g_hash_table_lookup(bridge->xmpp_occupants, client->room_nick)
				: NULL;
	PgBridgePuppet *puppet;
	g_autoptr(xmpp_stanza_t) message = NULL;
	g_autofree gchar *to = NULL;
	g_autofree gchar *id = NULL;

	if (from == NULL || body == NULL || client->state != PG_BRIDGE_CLIENT_IN ||
	    bridge->transport == NULL)
		return;
	if (real == NULL || real[0] == '\0' || bridge->store == NULL ||
	    !pg_bridge_store_get_private_messages(bridge->store, real)) {
		g_autofree gchar *text = g_strdup_printf(
		    "%s is on XMPP (xmpp:%s?join) and does not take private messages through "
		    "this bridge; talk in %s",
		    client->room_nick, bridge->config->room, bridge->config->channel);
		pg_bridge_clients_pm_notice(client, from, text);
		return;
	}
	puppet = pg_bridge_clients_puppet(bridge, from);
	if (puppet == NULL || puppet->state != PG_BRIDGE_OCCUPANT_IN || puppet->room_nick == NULL) {
		g_autofree gchar *text = g_strdup_printf(
		    "%s is on XMPP and takes private messages only from people in %s",
		    client->room_nick, bridge->config->channel);
		pg_bridge_clients_pm_notice(client, from, text);
		return;
	}
	/* XEP-0045 §7.5: from the sender's occupant, to the person's nick */
	id = g_strdup_printf("pgb-pm-%" G_GUINT64_FORMAT, ++bridge->serial);
	message = xmpp_message_new(pg_transport_get_ctx(bridge->transport), "chat", NULL, id);
	to = g_strdup_printf("%s/%s", bridge->config->room, client->room_nick);
	pg_stanza_set_from(message, puppet->jid);
	pg_stanza_set_to(message, to);
	pg_stanza_set_body(message, body);
	pg_stanza_add_child(message, "x", PG_BRIDGE_NS_MUC_USER);
	pg_bridge_clients_pm_send(bridge, message);
}

void
pg_bridge_clients_pm_event(PgBridge *bridge, const PgIpcMessage *msg)
{
	PgBridgeClient *client =
	    pg_bridge_clients_by_account(bridge, pg_ipc_message_get_string(msg, "account"));

	if (client != NULL && msg->kind == PG_IPC_EVT_IM_RECEIVED)
		pg_bridge_clients_pm_received(client, pg_ipc_message_get_string(msg, "from"),
					      pg_ipc_message_get_string(msg, "body"));
}

/* A stanza error for @message, from the puppet it was for. */
static void
pg_bridge_clients_pm_error(PgBridge *bridge, xmpp_stanza_t *message, const gchar *type,
			   const gchar *condition, const gchar *text)
{
	g_autoptr(xmpp_stanza_t) error = pg_stanza_reply_error(message, type, condition, text);

	if (error != NULL)
		pg_bridge_clients_pm_send(bridge, error);
}

void
pg_bridge_clients_private(PgBridge *bridge, PgBridgePuppet *puppet, xmpp_stanza_t *message,
			  const gchar *nick)
{
	g_autofree gchar *body = pg_stanza_get_child_text(message, "body");
	PgBridgeClient *client;

	if (nick == NULL || body == NULL)
		return; /* a chat state, an invitation: nothing to say on IRC */
	if (bridge->clients == NULL) {
		pg_bridge_clients_pm_error(
		    bridge, message, "cancel", "not-allowed",
		    "This bridge does not pass private messages to IRC people: talk in the room");
		return;
	}
	client = pg_bridge_clients_find(bridge, nick);
	if (client == NULL || (client->state != PG_BRIDGE_CLIENT_IN &&
			       client->state != PG_BRIDGE_CLIENT_JOINING)) {
		/* their connection starts now (if the cap lets it); the
		 * message itself is not kept: IRC has no later delivery */
		client = pg_bridge_clients_speaker(bridge, nick);
		pg_bridge_clients_pm_error(
		    bridge, message, "wait", "resource-constraint",
		    client != NULL ? "Your IRC connection is starting: send it again in a moment"
				   : "You have no IRC connection of your own now (the bridge's "
				     "limit): talk in the room");
		return;
	}
	if (!pg_bridge_clients_send_command(
		client, pg_ipc_message_new(PG_IPC_CMD_SEND_IM, 0, "account",
					   g_variant_new_string(client->account), "to",
					   g_variant_new_string(puppet->irc_nick), "body",
					   g_variant_new_string(body), NULL)))
		pg_bridge_clients_pm_error(bridge, message, "wait", "resource-constraint",
					   "Your IRC connection is not there now");
	else
		pg_bridge_clients_touch(client);
}

/* ------------------------------------------------------ the ad-hoc command */

static PgBridgeStore *
pg_bridge_clients_command_store(PgTransport *transport, GPtrArray *bridges)
{
	for (guint i = 0; i < bridges->len; i++) {
		PgBridge *bridge = g_ptr_array_index(bridges, i);
		if (bridge->transport == transport && bridge->clients != NULL &&
		    bridge->store != NULL)
			return bridge->store;
	}
	return NULL;
}

static xmpp_stanza_t *
pg_bridge_clients_command_form_cb(PgTransport *transport, const gchar *user_jid,
				  gpointer user_data, GError **error)
{
	PgBridgeStore *store = pg_bridge_clients_command_store(transport, user_data);
	g_autoptr(PgForm) form = NULL;
	gboolean allowed;

	if (store == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
				    "no bridge here has IRC connections of its own per person");
		return NULL;
	}
	allowed = pg_bridge_store_get_private_messages(store, user_jid);
	form = pg_form_new("form", NULL, "Private messages from IRC",
			   "Whether IRC people of a bridged channel may send you private "
			   "messages (you see them from their occupant in the room)");
	pg_form_add_field(form, "private_messages", "list-single", "Private messages", TRUE,
			  allowed ? "allow" : "deny");
	pg_form_add_option(form, "Allow", "allow");
	pg_form_add_option(form, "Deny", "deny");
	return pg_form_to_stanza(form, pg_transport_get_ctx(transport));
}

static gchar *
pg_bridge_clients_command_cb(PgTransport *transport, const gchar *user_jid,
			     GHashTable *form_values, gpointer user_data, GError **error)
{
	PgBridgeStore *store = pg_bridge_clients_command_store(transport, user_data);
	const gchar *value =
	    form_values != NULL ? g_hash_table_lookup(form_values, "private_messages") : NULL;
	gboolean allow = g_strcmp0(value, "allow") == 0;

	if (store == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
				    "no bridge here has IRC connections of its own per person");
		return NULL;
	}
	if (!allow && g_strcmp0(value, "deny") != 0) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "private_messages is allow or deny");
		return NULL;
	}
	if (!pg_bridge_store_set_private_messages(store, user_jid, allow, g_get_real_time(),
						  error))
		return NULL;
	return g_strdup(allow ? "IRC people of the bridged channels may now send you private "
				"messages."
			      : "IRC people are told that you take no private messages.");
}

void
pg_bridge_clients_commands_add(PgTransport *transport, GPtrArray *bridges)
{
	const PgAdhocCommand command = {
	    .node = PG_BRIDGE_CLIENTS_PM_NODE,
	    .name = "Private messages from bridged IRC channels",
	    .execute = pg_bridge_clients_command_cb,
	    .form = pg_bridge_clients_command_form_cb,
	};

	/* on every transport with bridges: one may be made per-occupant by an
	 * admin's command later; until then it answers item-not-found */
	pg_transport_add_command(transport, &command, bridges);
}

void
pg_bridge_clients_commands_remove(PgTransport *transport)
{
	pg_transport_remove_command(transport, PG_BRIDGE_CLIENTS_PM_NODE);
}
