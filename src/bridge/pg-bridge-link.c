/* The bridge's own IRC client: one account on a worker of the bridges'
 * supervisor (pg-bridges.c), never a user's session.
 *
 * It connects with the bridge's nick, labelled as a bridge in its realname
 * and ident, with SASL PLAIN when the config names a password file
 * (Libera.Chat asks bridges to be registered and recognisable).  Lines go
 * out through prpl-irc's own throttle (the transport's irc_throttle_*), so a
 * burst from the room never floods the network.  A drop is retried with
 * exponential backoff (2 s .. 5 min), as user links are (src/session/pg-link.c).
 */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include "bridge/pg-bridge-private.h"

#define PG_BRIDGE_LINK_BACKOFF_MIN_S 2
#define PG_BRIDGE_LINK_BACKOFF_MAX_S 300

void
pg_bridge_fail(PgBridge *bridge, PgBridgeDirection direction, gchar *text)
{
	g_autoptr(GError) error = NULL;

	g_free(bridge->last_error);
	bridge->last_error = text;
	g_warning("bridge %s: %s", bridge->config->name, text);
	if (bridge->store != NULL &&
	    !pg_bridge_store_set_error(bridge->store, bridge->config->name, direction, text,
				       g_get_real_time(), &error))
		g_warning("bridge %s: %s", bridge->config->name, error->message);
}

PgIpcMessage *
pg_bridge_link_login_new(PgBridge *bridge, const gchar *account, const gchar *nick,
			 const gchar *realname, const gchar *ident, gboolean sasl, gboolean deaf)
{
	const PgBridgeConfig *config = bridge->config;
	const PgTransportConfig *transport = bridge->transport_config;
	g_autoptr(GVariantBuilder) options = g_variant_builder_new(G_VARIANT_TYPE("a{ss}"));
	g_autofree gchar *username = g_strdup_printf("%s@%s", nick, bridge->server);
	const PgSecret *password = sasl ? config->sasl_password : NULL;
	gboolean loopback = g_str_has_prefix(bridge->server, "127.") ||
			    g_strcmp0(bridge->server, "::1") == 0 ||
			    g_strcmp0(bridge->server, "localhost") == 0;
	gboolean tls = config->tls_set          ? config->tls
		       : transport->irc_tls_set ? transport->irc_tls
						: !loopback;
	guint port = config->port != 0 ? config->port
		     : transport->irc_port_set ? transport->irc_port
		     : tls ? 6697 : 6667;
	g_autofree gchar *port_text = g_strdup_printf("%u", port);
	g_autofree gchar *interval = g_strdup_printf("%u", transport->irc_throttle_interval);
	g_autofree gchar *burst = g_strdup_printf("%u", transport->irc_throttle_burst);

	g_variant_builder_add(options, "{ss}", "port", port_text);
	g_variant_builder_add(options, "{ss}", "ssl", tls ? "true" : "false");
	g_variant_builder_add(options, "{ss}", "realname", realname);
	g_variant_builder_add(options, "{ss}", "username", ident);
	g_variant_builder_add(options, "{ss}", "encoding", "UTF-8,ISO-8859-1");
	g_variant_builder_add(options, "{ss}", "ratelimit-interval", interval);
	g_variant_builder_add(options, "{ss}", "ratelimit-burst", burst);
	g_variant_builder_add(options, "{ss}", "sasl", password != NULL ? "true" : "false");
	if (password != NULL) {
		g_variant_builder_add(options, "{ss}", "auth_plain_in_clear", "true");
		/* the account is the nick's: without "saslname" this prpl-irc
		 * sends the realname as the PLAIN authcid (RFC 4616 §2), which
		 * the services refuse (904) */
		g_variant_builder_add(options, "{ss}", "saslname", nick);
	}
	/* prpl-irc authenticates SASL with the account password; the secret
	 * travels in a wiped frame (pg-ipc-message.h '!') */
	return pg_ipc_message_new(
	    PG_IPC_CMD_LOGIN, 0, "account", g_variant_new_string(account), "protocol",
	    g_variant_new_string("prpl-irc"), "username", g_variant_new_string(username),
	    "password", password != NULL ? pg_ipc_variant_new_secret(password) : NULL, "options",
	    g_variant_builder_end(options), "deaf", deaf ? g_variant_new_boolean(TRUE) : NULL,
	    NULL);
}

static PgIpcMessage *
pg_bridge_link_login_message(PgBridge *bridge)
{
	g_autofree gchar *realname = g_strdup_printf("Polygate bridge of %s to xmpp:%s?join",
						     bridge->config->channel, bridge->config->room);

	return pg_bridge_link_login_new(bridge, bridge->account, bridge->config->nick, realname,
					"bridge", TRUE, FALSE);
}

void
pg_bridge_link_connect(PgBridge *bridge)
{
	g_autoptr(GError) error = NULL;
	PgBridgeLink *link = &bridge->link;

	g_clear_handle_id(&link->retry_id, g_source_remove);
	if (link->state == PG_BRIDGE_LINK_CONNECTING || link->state == PG_BRIDGE_LINK_CONNECTED)
		return;
	link->state = PG_BRIDGE_LINK_CONNECTING;
	link->in_channel = FALSE;
	g_info("bridge %s: connecting to %s as %s", bridge->config->name, bridge->server,
	       bridge->config->nick);
	if (!pg_supervisor_login(bridge->supervisor, bridge->account,
				 pg_bridge_link_login_message(bridge), &error)) {
		g_warning("bridge %s: %s", bridge->config->name, error->message);
		pg_bridge_link_on_state(bridge, FALSE, error->message);
	}
}

static gboolean
pg_bridge_link_retry_cb(gpointer user_data)
{
	PgBridge *bridge = user_data;

	bridge->link.retry_id = 0;
	bridge->link.state = PG_BRIDGE_LINK_OFFLINE;
	pg_bridge_link_connect(bridge);
	return G_SOURCE_REMOVE;
}

void
pg_bridge_link_on_state(PgBridge *bridge, gboolean connected, const gchar *reason)
{
	PgBridgeLink *link = &bridge->link;

	pg_supervisor_login_done(bridge->supervisor, bridge->account);
	if (connected) {
		link->state = PG_BRIDGE_LINK_CONNECTED;
		link->backoff_s = 0;
		g_free(link->nick);
		link->nick = g_strdup(bridge->config->nick);
		g_message("bridge %s: connected to %s", bridge->config->name, bridge->server);
		return;
	}
	if (link->state == PG_BRIDGE_LINK_WAITING)
		return;
	pg_bridge_fail(bridge, PG_BRIDGE_TO_LEGACY,
		       g_strdup_printf("IRC connection lost: %s",
				       reason != NULL ? reason : "disconnected"));
	link->state = PG_BRIDGE_LINK_WAITING;
	link->in_channel = FALSE;
	link->backoff_s = link->backoff_s == 0 ? PG_BRIDGE_LINK_BACKOFF_MIN_S
						: MIN(link->backoff_s * 2, PG_BRIDGE_LINK_BACKOFF_MAX_S);
	g_message("bridge %s: retrying in %u s", bridge->config->name, link->backoff_s);
	pg_supervisor_logout(bridge->supervisor, bridge->account);
	link->retry_id = g_timeout_add_seconds(link->backoff_s, pg_bridge_link_retry_cb, bridge);
}

void
pg_bridge_link_stop(PgBridge *bridge)
{
	g_clear_handle_id(&bridge->link.retry_id, g_source_remove);
	if (bridge->link.state != PG_BRIDGE_LINK_OFFLINE)
		pg_supervisor_logout(bridge->supervisor, bridge->account);
	bridge->link.state = PG_BRIDGE_LINK_OFFLINE;
	g_clear_pointer(&bridge->link.nick, g_free);
}

/* Takes @msg (transfer full). */
gboolean
pg_bridge_link_send(PgBridge *bridge, PgIpcMessage *msg)
{
	g_autoptr(PgIpcMessage) owned = msg;
	g_autoptr(GError) error = NULL;

	if (bridge->link.state != PG_BRIDGE_LINK_CONNECTED)
		return FALSE;
	if (!pg_supervisor_send(bridge->supervisor, bridge->account, owned, &error)) {
		g_warning("bridge %s: %s", bridge->config->name, error->message);
		return FALSE;
	}
	return TRUE;
}

void
pg_bridge_link_join(PgBridge *bridge)
{
	pg_bridge_link_send(bridge, pg_ipc_message_new(
					PG_IPC_CMD_JOIN_ROOM, 0, "account",
					g_variant_new_string(bridge->account), "room",
					g_variant_new_string(bridge->config->channel), NULL));
}

void
pg_bridge_link_part(PgBridge *bridge)
{
	bridge->link.in_channel = FALSE;
	pg_bridge_link_send(bridge, pg_ipc_message_new(
					PG_IPC_CMD_LEAVE_ROOM, 0, "account",
					g_variant_new_string(bridge->account), "room",
					g_variant_new_string(bridge->config->channel), NULL));
}

void
pg_bridge_link_say(PgBridge *bridge, const gchar *text)
{
	if (!bridge->link.in_channel)
		return;
	if (pg_bridge_link_send(bridge, pg_ipc_message_new(
					    PG_IPC_CMD_ROOM_MESSAGE, 0, "account",
					    g_variant_new_string(bridge->account), "room",
					    g_variant_new_string(bridge->config->channel), "body",
					    g_variant_new_string(text), NULL)) &&
	    bridge->store != NULL)
		pg_bridge_store_count(bridge->store, bridge->config->name, PG_BRIDGE_TO_LEGACY, 1,
				      g_get_real_time());
}

void
pg_bridge_link_tell(PgBridge *bridge, const gchar *nick, const gchar *text)
{
	pg_bridge_link_send(bridge, pg_ipc_message_new(
					PG_IPC_CMD_SEND_IM, 0, "account",
					g_variant_new_string(bridge->account), "to",
					g_variant_new_string(nick), "body", g_variant_new_string(text),
					NULL));
}

guint32
pg_bridge_link_names(PgBridge *bridge)
{
	g_autoptr(PgIpcMessage) msg = pg_ipc_message_new(
	    PG_IPC_CMD_ROOM_ADMIN, 0, "account", g_variant_new_string(bridge->account), "room",
	    g_variant_new_string(bridge->config->channel), "action", g_variant_new_string("names"),
	    NULL);
	g_autoptr(GError) error = NULL;

	if (bridge->link.state != PG_BRIDGE_LINK_CONNECTED)
		return 0;
	/* pg_supervisor_send() sets the id before the frame goes out */
	if (!pg_supervisor_send(bridge->supervisor, bridge->account, msg, &error)) {
		g_warning("bridge %s: %s", bridge->config->name, error->message);
		return 0;
	}
	return msg->id;
}

/* With @ban, the worker bans the nick's host first (MODE +b), then kicks. */
void
pg_bridge_link_kick(PgBridge *bridge, const gchar *nick, gboolean ban, const gchar *reason)
{
	pg_bridge_link_send(bridge, pg_ipc_message_new(
					PG_IPC_CMD_ROOM_ADMIN, 0, "account",
					g_variant_new_string(bridge->account), "room",
					g_variant_new_string(bridge->config->channel), "action",
					g_variant_new_string(ban ? "ban" : "kick"), "nick",
					g_variant_new_string(nick), "reason",
					reason != NULL ? g_variant_new_string(reason) : NULL, NULL));
}

void
pg_bridge_link_notice(PgBridge *bridge, const gchar *nick, const gchar *text)
{
	pg_bridge_link_send(bridge, pg_ipc_message_new(
					PG_IPC_CMD_ROOM_ADMIN, 0, "account",
					g_variant_new_string(bridge->account), "room",
					g_variant_new_string(bridge->config->channel), "action",
					g_variant_new_string("notice"), "nick",
					g_variant_new_string(nick), "reason",
					g_variant_new_string(text), NULL));
}

void
pg_bridge_link_topic(PgBridge *bridge, const gchar *text)
{
	pg_bridge_link_send(bridge, pg_ipc_message_new(
					PG_IPC_CMD_SET_ROOM_SUBJECT, 0, "account",
					g_variant_new_string(bridge->account), "room",
					g_variant_new_string(bridge->config->channel), "subject",
					g_variant_new_string(text), NULL));
}
