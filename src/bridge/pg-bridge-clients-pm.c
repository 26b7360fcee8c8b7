/* Private messages between IRC people and the XMPP people of a bridge's
 * per-occupant connections (issue 11 §3: "private messages from IRC to a
 * puppet reach the XMPP occupant only if that person allows it").
 */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include "bridge/pg-bridge-clients-private.h"

/* senders remembered per connection, so each is told once */
#define PG_BRIDGE_CLIENTS_TOLD_MAX 64

/* One NOTICE per sender and connection: a refusal must not become a
 * flood of its own. */
static void
pg_bridge_clients_pm_refuse(PgBridgeClient *client, const gchar *from, const gchar *text)
{
	if (g_hash_table_contains(client->told, from))
		return;
	if (g_hash_table_size(client->told) >= PG_BRIDGE_CLIENTS_TOLD_MAX)
		g_hash_table_remove_all(client->told);
	g_hash_table_add(client->told, g_strdup(from));
	pg_bridge_clients_send_command(
	    client, pg_ipc_message_new(PG_IPC_CMD_ROOM_ADMIN, 0, "account",
				       g_variant_new_string(client->account), "room",
				       g_variant_new_string(client->bridge->config->channel),
				       "action", g_variant_new_string("notice"), "nick",
				       g_variant_new_string(from), "reason",
				       g_variant_new_string(text), NULL));
}

void
pg_bridge_clients_pm_received(PgBridgeClient *client, const gchar *from, const gchar *body)
{
	g_autofree gchar *text = NULL;

	if (from == NULL || body == NULL || client->state != PG_BRIDGE_CLIENT_IN)
		return;
	text = g_strdup_printf("%s is on XMPP (xmpp:%s?join) and does not take private "
			       "messages through this bridge; talk in %s",
			       client->room_nick, client->bridge->config->room,
			       client->bridge->config->channel);
	pg_bridge_clients_pm_refuse(client, from, text);
}
