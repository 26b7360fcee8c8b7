/* Per-occupant IRC connections of a bridge (issue 11 §3: "an admin can opt
 * in to one IRC connection per active XMPP occupant instead, with a cap per
 * network, identd and WEBIRC support, and idle handling that does not kick
 * people out").
 *
 * DESIGN
 * - [bridge NAME] irc_clients = per-occupant.  An XMPP occupant of the room
 *   gets a connection of their own the first time they speak: the account
 *   "bridge:NAME:<id>" on the bridges' supervisor, logged in through the
 *   same path as the bridge's own client (pg_bridge_link_login_new()), so
 *   the same sandbox, throttle and network options; its identd name and
 *   WEBIRC host are the person's (pg_supervisor_set_owner()).  <id> is 16
 *   hex digits of the SHA-256 of the person's real bare JID (the relay, an
 *   owner of the room, is shown it: XEP-0045 §7.2.4), or of their room nick
 *   where the room hides it; no JID is ever in an account key or a log
 *   line.
 * - Its IRC nick is the room nick made an IRC nick (RFC 2812 §2.3.1
 *   characters, no leading digit or '-', at most PG_BRIDGE_CLIENT_NICK_MAX),
 *   plus occupant_suffix when the channel, the bridge or another occupant
 *   connection has that nick; where a nick outside the channel has it,
 *   prpl-irc's own 433 fallback adds digits.
 * - While it connects and joins, the person's lines wait (at most
 *   PG_BRIDGE_CLIENT_QUEUE_MAX; one more sends the waiting ones through the
 *   relay, in order); in the channel they go out as plain lines.  A
 *   connection that fails, or is not in the channel within
 *   PG_BRIDGE_CLIENT_JOIN_S, hands its waiting lines to the relay, and the
 *   person speaks through the relay for a backoff (1 min doubling to 1 h):
 *   a network that refuses connections is not hammered.  Nothing is lost,
 *   nothing is said twice: a line is either queued, sent by the
 *   connection, or given to the relay, never two of these.
 * - The cap: at most max_occupant_clients connections to one IRC server,
 *   counting every bridge's (PgBridge.network_clients); past it a person
 *   speaks through the relay.  Parked connections do not count.
 * - Idle: a connection with no line for occupant_idle parks: it QUITs with
 *   a message saying so, and nothing happens in the room (the person is
 *   an XMPP occupant, not a puppet: IRC idleness never shows there).  Their
 *   next line reconnects it, and waits meanwhile as above (also when it
 *   comes while the QUIT is still on its way).
 * - The person leaves the room: their connection QUITs and is forgotten.
 *   A nick change in the room (XEP-0045 §7.6, status 303) is a NICK.
 * - No echo, by account: the bridge's own client sees our connections'
 *   JOINs and lines like anyone's.  A nick is ours when one of our
 *   connections reported it as its own (room-joined, and its nick changes,
 *   on its own account); between the server's JOIN to the bridge and that
 *   report (two sockets: either may be read first), when it is the nick a
 *   connection that is joining asked for, or prpl-irc's 433 fallback of it
 *   (digits after it).  pg-bridge-irc.c asks pg_bridge_clients_claims()
 *   before it makes a puppet or relays a line; a puppet made before the
 *   claim is taken out when the connection reports its JOIN (pg-bridges.c).
 * - Private messages to an occupant's IRC nick: pg-bridge-clients-pm.c.
 */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include <string.h>

#include "bridge/pg-bridge-clients-private.h"
#include "stanza/pg-stanza.h"

/* lines kept for a connection that is not in the channel yet */
#define PG_BRIDGE_CLIENT_QUEUE_MAX 20
/* seconds from the login to the JOIN before the try counts as failed */
#define PG_BRIDGE_CLIENT_JOIN_S 45
/* seconds a QUIT may take before the account is simply logged out */
#define PG_BRIDGE_CLIENT_QUIT_S 10
#define PG_BRIDGE_CLIENT_BACKOFF_MIN_S 60
#define PG_BRIDGE_CLIENT_BACKOFF_MAX_S 3600
/* Libera.Chat's NICKLEN; ngircd's default is 9 (its operators raise it) */
#define PG_BRIDGE_CLIENT_NICK_MAX 16

static void pg_bridge_client_quit(PgBridgeClient *client, const gchar *reason);
static gboolean pg_bridge_client_connect(PgBridgeClient *client);
static gboolean pg_bridge_client_may_connect(PgBridgeClient *client);
static void pg_bridge_client_rename(PgBridgeClient *client, const gchar *new_nick);

static void
pg_bridge_client_free(gpointer data)
{
	PgBridgeClient *client = data;

	g_clear_handle_id(&client->idle_id, g_source_remove);
	g_clear_handle_id(&client->deadline_id, g_source_remove);
	g_free(client->id);
	g_free(client->account);
	g_free(client->room_nick);
	g_free(client->wanted_nick);
	g_free(client->irc_nick);
	g_queue_free_full(client->queue, g_free);
	g_hash_table_unref(client->told);
	g_free(client);
}

PgBridgeClients *
pg_bridge_clients_new(PgBridge *bridge)
{
	PgBridgeClients *self = g_new0(PgBridgeClients, 1);

	self->policy = bridge->policy;
	self->policy.own_lines = TRUE;
	self->by_id = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, pg_bridge_client_free);
	self->by_account = g_hash_table_new(g_str_hash, g_str_equal);
	return self;
}

/* Counted against the cap while it holds (or asks for) a connection. */
static void
pg_bridge_client_count(PgBridgeClient *client, gboolean counted)
{
	guint *count = client->bridge->network_clients;

	if (client->counted == counted)
		return;
	client->counted = counted;
	if (count != NULL)
		*count = counted ? *count + 1 : (*count > 0 ? *count - 1 : 0);
}

void
pg_bridge_clients_free(PgBridgeClients *self)
{
	GHashTableIter iter;
	gpointer value;

	if (self == NULL)
		return;
	g_hash_table_iter_init(&iter, self->by_id);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgBridgeClient *client = value;
		if (client->state != PG_BRIDGE_CLIENT_PARKED)
			pg_supervisor_logout(client->bridge->supervisor, client->account);
		pg_bridge_client_count(client, FALSE);
	}
	g_hash_table_unref(self->by_account);
	g_hash_table_unref(self->by_id);
	g_free(self);
}

const PgBridgeRenderPolicy *
pg_bridge_clients_policy(PgBridge *bridge)
{
	return bridge->clients != NULL ? &bridge->clients->policy : &bridge->policy;
}

/* --------------------------------------------------------------- identity */

/* The stable id of occupant @nick: from their real bare JID where the room
 * shows it.  (transfer full) */
static gchar *
pg_bridge_clients_id(PgBridge *bridge, const gchar *nick)
{
	const gchar *real = g_hash_table_lookup(bridge->xmpp_occupants, nick);
	g_autofree gchar *key = real != NULL && real[0] != '\0' ? g_strconcat("jid:", real, NULL)
							     : g_strconcat("nick:", nick, NULL);
	g_autofree gchar *digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, key, -1);

	return g_strndup(digest, 16);
}

PgBridgeClient *
pg_bridge_clients_find(PgBridge *bridge, const gchar *nick)
{
	g_autofree gchar *id = NULL;

	if (bridge->clients == NULL || nick == NULL)
		return NULL;
	id = pg_bridge_clients_id(bridge, nick);
	return g_hash_table_lookup(bridge->clients->by_id, id);
}

/* The puppet of IRC nick @nick, or NULL: the room's table, read here
 * (this file sits below pg-bridge-room.c, pg-bridge-private.h). */
PgBridgePuppet *
pg_bridge_clients_puppet(PgBridge *bridge, const gchar *nick)
{
	g_autofree gchar *key = g_utf8_casefold(nick, -1);

	return g_hash_table_lookup(bridge->puppets, key);
}

static gboolean
pg_bridge_clients_nick_char(gchar c)
{
	return g_ascii_isalnum(c) || strchr("[]\\`_^{|}-", c) != NULL;
}

/* Whether IRC nick @nick is taken in the channel, by the bridge or by
 * another of our connections than @self. */
static gboolean
pg_bridge_clients_taken(PgBridge *bridge, PgBridgeClient *self, const gchar *nick)
{
	GHashTableIter iter;
	gpointer value;

	if (pg_bridge_clients_puppet(bridge, nick) != NULL ||
	    g_ascii_strcasecmp(nick, bridge->link.nick != NULL ? bridge->link.nick
							       : bridge->config->nick) == 0)
		return TRUE;
	g_hash_table_iter_init(&iter, bridge->clients->by_id);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgBridgeClient *other = value;
		if (other == self || other->state == PG_BRIDGE_CLIENT_PARKED)
			continue;
		if ((other->irc_nick != NULL && g_ascii_strcasecmp(other->irc_nick, nick) == 0) ||
		    (other->wanted_nick != NULL && g_ascii_strcasecmp(other->wanted_nick, nick) == 0))
			return TRUE;
	}
	return FALSE;
}

/* Room nick @room_nick as an IRC nick, with the suffix (numbered) where the
 * channel has it.  (transfer full) */
static gchar *
pg_bridge_clients_irc_nick(PgBridge *bridge, PgBridgeClient *client, const gchar *room_nick)
{
	const gchar *suffix = bridge->config->occupant_suffix;
	g_autoptr(GString) base = g_string_new(NULL);

	for (const gchar *p = room_nick; *p != '\0'; p++) {
		if (pg_bridge_clients_nick_char(*p))
			g_string_append_c(base, *p);
	}
	/* RFC 2812 §2.3.1: a nick starts with a letter or a special character */
	if (base->len == 0 || g_ascii_isdigit(base->str[0]) || base->str[0] == '-')
		g_string_prepend(base, "x");
	for (guint n = 0; n < 100; n++) {
		g_autofree gchar *tail = n == 0   ? g_strdup("")
					 : n == 1 ? g_strdup(suffix)
						  : g_strdup_printf("%s%u", suffix, n);
		gsize room = PG_BRIDGE_CLIENT_NICK_MAX > strlen(tail)
				 ? PG_BRIDGE_CLIENT_NICK_MAX - strlen(tail)
				 : 1;
		g_autofree gchar *nick =
		    g_strdup_printf("%.*s%s", (int)MIN(base->len, room), base->str, tail);

		if (!pg_bridge_clients_taken(bridge, client, nick))
			return g_steal_pointer(&nick);
	}
	return g_strdup_printf("x%s", client->id);
}

/* Whether @nick is @wanted, or @wanted with digits after it (prpl-irc's
 * answer to 433 ERR_NICKNAMEINUSE while registering). */
static gboolean
pg_bridge_clients_fallback_of(const gchar *nick, const gchar *wanted)
{
	gsize len = strlen(wanted);

	if (g_ascii_strncasecmp(nick, wanted, len) != 0)
		return FALSE;
	for (const gchar *p = nick + len; *p != '\0'; p++) {
		if (!g_ascii_isdigit(*p))
			return FALSE;
	}
	return TRUE;
}

gboolean
pg_bridge_clients_claims(PgBridge *bridge, const gchar *nick)
{
	GHashTableIter iter;
	gpointer value;

	if (bridge->clients == NULL || nick == NULL)
		return FALSE;
	g_hash_table_iter_init(&iter, bridge->clients->by_id);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgBridgeClient *client = value;
		if (client->irc_nick != NULL && g_ascii_strcasecmp(client->irc_nick, nick) == 0)
			return TRUE;
		if (client->wanted_nick == NULL)
			continue;
		/* joining: the nick asked for, or prpl-irc's fallback of it */
		if ((client->state == PG_BRIDGE_CLIENT_CONNECTING ||
		     client->state == PG_BRIDGE_CLIENT_JOINING) &&
		    pg_bridge_clients_fallback_of(nick, client->wanted_nick))
			return TRUE;
		/* in: a NICK asked for and not confirmed yet */
		if (client->state == PG_BRIDGE_CLIENT_IN &&
		    g_ascii_strcasecmp(client->wanted_nick, nick) == 0)
			return TRUE;
	}
	return FALSE;
}

/* ------------------------------------------------------------ the lines */

/* An own line as the relay says it: "<nick> text", "* nick text". */
static gchar *
pg_bridge_clients_relay_line(PgBridge *bridge, const gchar *nick, const gchar *line)
{
	g_autofree gchar *irc_nick = pg_bridge_render_nick(nick, bridge->policy.break_highlight);

	if (g_str_has_prefix(line, "/me "))
		return g_strdup_printf("* %s %s", irc_nick, line + strlen("/me "));
	return g_strdup_printf("<%s> %s", irc_nick, line);
}

/* The waiting lines go through the relay, in order. */
static void
pg_bridge_clients_to_relay(PgBridgeClient *client)
{
	while (!g_queue_is_empty(client->queue)) {
		g_autofree gchar *line = g_queue_pop_head(client->queue);
		g_autofree gchar *relayed =
		    pg_bridge_clients_relay_line(client->bridge, client->room_nick, line);
		pg_bridge_link_say(client->bridge, relayed);
	}
}

gboolean
pg_bridge_clients_send_command(PgBridgeClient *client, PgIpcMessage *msg)
{
	g_autoptr(PgIpcMessage) owned = msg;
	g_autoptr(GError) error = NULL;
	PgBridge *bridge = client->bridge;

	if (!pg_supervisor_send(bridge->supervisor, client->account, owned, &error)) {
		g_warning("bridge %s: occupant connection %s: %s", bridge->config->name,
			  client->id, error->message);
		return FALSE;
	}
	return TRUE;
}

static gboolean
pg_bridge_client_idle_cb(gpointer user_data)
{
	PgBridgeClient *client = user_data;
	g_autofree gchar *reason = NULL;
	guint idle = client->bridge->config->occupant_idle_s;

	client->idle_id = 0;
	reason = g_strdup_printf(
	    "Parked after %u %s without a line; %s is still in xmpp:%s?join and comes back "
	    "with their next line",
	    idle % 3600 == 0 ? idle / 3600 : idle % 60 == 0 ? idle / 60 : idle,
	    idle % 3600 == 0 ? "h" : idle % 60 == 0 ? "min" : "s", client->room_nick,
	    client->bridge->config->room);
	g_message("bridge %s: occupant connection %s parks after %u s idle",
		  client->bridge->config->name, client->id, idle);
	pg_bridge_client_quit(client, reason);
	return G_SOURCE_REMOVE;
}

void
pg_bridge_clients_touch(PgBridgeClient *client)
{
	g_clear_handle_id(&client->idle_id, g_source_remove);
	client->idle_id = g_timeout_add_seconds(client->bridge->config->occupant_idle_s,
						pg_bridge_client_idle_cb, client);
}

static void
pg_bridge_client_say(PgBridgeClient *client, const gchar *line)
{
	PgBridge *bridge = client->bridge;

	if (!pg_bridge_clients_send_command(
		client, pg_ipc_message_new(PG_IPC_CMD_ROOM_MESSAGE, 0, "account",
					   g_variant_new_string(client->account), "room",
					   g_variant_new_string(bridge->config->channel), "body",
					   g_variant_new_string(line), NULL))) {
		g_autofree gchar *relayed =
		    pg_bridge_clients_relay_line(bridge, client->room_nick, line);
		pg_bridge_link_say(bridge, relayed);
		return;
	}
	if (bridge->store != NULL)
		pg_bridge_store_count(bridge->store, bridge->config->name, PG_BRIDGE_TO_LEGACY, 1,
				      g_get_real_time());
}

void
pg_bridge_clients_send(PgBridgeClient *client, GStrv lines)
{
	for (guint i = 0; lines != NULL && lines[i] != NULL; i++) {
		if (client->state == PG_BRIDGE_CLIENT_IN) {
			pg_bridge_client_say(client, lines[i]);
			continue;
		}
		/* bounded: one more line than fits sends the waiting ones
		 * through the relay, and this one after them */
		if (g_queue_get_length(client->queue) >= PG_BRIDGE_CLIENT_QUEUE_MAX)
			pg_bridge_clients_to_relay(client);
		g_queue_push_tail(client->queue, g_strdup(lines[i]));
	}
	if (client->state == PG_BRIDGE_CLIENT_IN)
		pg_bridge_clients_touch(client);
}

/* ------------------------------------------------------- the connection */

/* Out of the network: the account logged out, the cap freed.  A client
 * whose person left is forgotten (and freed: do not use it after). */
static void
pg_bridge_client_park(PgBridgeClient *client)
{
	PgBridgeClients *self = client->bridge->clients;
	gboolean wake = client->wake && !client->gone;

	client->wake = FALSE;
	g_clear_handle_id(&client->idle_id, g_source_remove);
	g_clear_handle_id(&client->deadline_id, g_source_remove);
	if (client->state != PG_BRIDGE_CLIENT_PARKED) {
		pg_supervisor_login_done(client->bridge->supervisor, client->account);
		pg_supervisor_logout(client->bridge->supervisor, client->account);
	}
	client->state = PG_BRIDGE_CLIENT_PARKED;
	g_clear_pointer(&client->irc_nick, g_free);
	g_clear_pointer(&client->wanted_nick, g_free);
	g_hash_table_remove_all(client->told);
	pg_bridge_client_count(client, FALSE);
	/* the person spoke while it was parking: it comes back for them */
	if (wake && !g_queue_is_empty(client->queue) && pg_bridge_client_may_connect(client) &&
	    pg_bridge_client_connect(client))
		return;
	/* what still waits goes through the relay */
	pg_bridge_clients_to_relay(client);
	if (client->gone) {
		g_hash_table_remove(self->by_account, client->account);
		g_hash_table_remove(self->by_id, client->id); /* frees it */
	}
}

/* The connection did not get into the channel: its lines and the person's
 * next ones go through the relay until the backoff ends. */
static void
pg_bridge_client_failed(PgBridgeClient *client, const gchar *reason)
{
	PgBridge *bridge = client->bridge;

	client->backoff_s = client->backoff_s == 0
				? PG_BRIDGE_CLIENT_BACKOFF_MIN_S
				: MIN(client->backoff_s * 2, PG_BRIDGE_CLIENT_BACKOFF_MAX_S);
	client->retry_after = g_get_monotonic_time() + (gint64)client->backoff_s * G_USEC_PER_SEC;
	pg_bridge_fail(bridge, PG_BRIDGE_TO_LEGACY,
		       g_strdup_printf("occupant connection %s (%s): %s; through the relay for "
				       "%u s",
				       client->id, client->room_nick,
				       reason != NULL ? reason : "failed", client->backoff_s));
	pg_bridge_client_park(client);
}

static gboolean
pg_bridge_client_deadline_cb(gpointer user_data)
{
	PgBridgeClient *client = user_data;

	client->deadline_id = 0;
	if (client->state == PG_BRIDGE_CLIENT_QUITTING)
		pg_bridge_client_park(client);
	else
		pg_bridge_client_failed(client, "not in the channel in time");
	return G_SOURCE_REMOVE;
}

static void
pg_bridge_client_deadline(PgBridgeClient *client, guint seconds)
{
	g_clear_handle_id(&client->deadline_id, g_source_remove);
	client->deadline_id = g_timeout_add_seconds(seconds, pg_bridge_client_deadline_cb, client);
}

static gboolean
pg_bridge_client_connect(PgBridgeClient *client)
{
	PgBridge *bridge = client->bridge;
	const gchar *real = g_hash_table_lookup(bridge->xmpp_occupants, client->room_nick);
	g_autofree gchar *realname = NULL;
	g_autoptr(GError) error = NULL;

	g_free(client->wanted_nick);
	client->wanted_nick = pg_bridge_clients_irc_nick(bridge, client, client->room_nick);
	realname = g_strdup_printf("%s in xmpp:%s?join, through a Polygate bridge",
				   client->room_nick, bridge->config->room);
	client->state = PG_BRIDGE_CLIENT_CONNECTING;
	pg_bridge_client_count(client, TRUE);
	/* identd and WEBIRC name the person, as for their own links: one ban
	 * holds for both (src/session/pg-ident.h) */
	if (real != NULL && real[0] != '\0')
		pg_supervisor_set_owner(bridge->supervisor, client->account, real);
	g_message("bridge %s: occupant connection %s connecting as %s", bridge->config->name,
		  client->id, client->wanted_nick);
	if (!pg_supervisor_login(bridge->supervisor, client->account,
				 pg_bridge_link_login_new(bridge, client->account,
							  client->wanted_nick, realname, "xmpp",
							  FALSE, TRUE),
				 &error)) {
		client->state = PG_BRIDGE_CLIENT_PARKED;
		pg_bridge_client_count(client, FALSE);
		g_clear_pointer(&client->wanted_nick, g_free);
		pg_bridge_fail(bridge, PG_BRIDGE_TO_LEGACY, g_strdup(error->message));
		return FALSE;
	}
	pg_bridge_client_deadline(client, PG_BRIDGE_CLIENT_JOIN_S);
	return TRUE;
}

/* Not in a backoff, and under the network's cap. */
static gboolean
pg_bridge_client_may_connect(PgBridgeClient *client)
{
	PgBridge *bridge = client->bridge;

	if (client->retry_after > g_get_monotonic_time())
		return FALSE;
	if (bridge->network_clients != NULL &&
	    *bridge->network_clients >= bridge->config->max_occupant_clients) {
		g_info("bridge %s: %u occupant connections to %s (max_occupant_clients); %s "
		       "speaks through the relay",
		       bridge->config->name, *bridge->network_clients, bridge->server,
		       client->room_nick);
		return FALSE;
	}
	return TRUE;
}

PgBridgeClient *
pg_bridge_clients_speaker(PgBridge *bridge, const gchar *nick)
{
	PgBridgeClients *self = bridge->clients;
	g_autofree gchar *id = NULL;
	PgBridgeClient *client;

	/* the channel's consent holds for these connections too */
	if (self == NULL || nick == NULL || !bridge->approved)
		return NULL;
	id = pg_bridge_clients_id(bridge, nick);
	client = g_hash_table_lookup(self->by_id, id);
	if (client == NULL) {
		client = g_new0(PgBridgeClient, 1);
		client->bridge = bridge;
		client->id = g_steal_pointer(&id);
		client->account = g_strdup_printf("%s:%s", bridge->account, client->id);
		client->queue = g_queue_new();
		client->told = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_hash_table_insert(self->by_id, client->id, client);
		g_hash_table_insert(self->by_account, client->account, client);
	}
	g_free(client->room_nick);
	client->room_nick = g_strdup(nick);
	switch (client->state) {
	case PG_BRIDGE_CLIENT_IN:
	case PG_BRIDGE_CLIENT_CONNECTING:
	case PG_BRIDGE_CLIENT_JOINING:
		return client;
	case PG_BRIDGE_CLIENT_QUITTING:
		/* parking: the lines wait and it connects again once out (a
		 * person who left does not speak) */
		if (client->gone)
			return NULL;
		client->wake = TRUE;
		return client;
	case PG_BRIDGE_CLIENT_PARKED:
	default:
		break;
	}
	if (!pg_bridge_client_may_connect(client))
		return NULL;
	return pg_bridge_client_connect(client) ? client : NULL;
}

/* QUIT with @reason where the connection is in the channel, else just log
 * out; then parked (or forgotten, if the person left). */
static void
pg_bridge_client_quit(PgBridgeClient *client, const gchar *reason)
{
	PgBridge *bridge = client->bridge;

	if (client->state != PG_BRIDGE_CLIENT_IN ||
	    !pg_bridge_clients_send_command(
		client, pg_ipc_message_new(PG_IPC_CMD_ROOM_ADMIN, 0, "account",
					   g_variant_new_string(client->account), "room",
					   g_variant_new_string(bridge->config->channel), "action",
					   g_variant_new_string("quit"), "reason",
					   g_variant_new_string(reason), NULL))) {
		pg_bridge_client_park(client);
		return;
	}
	/* the server closes the connection after the QUIT: login-state
	 * disconnected parks it; if it does not, the deadline does */
	client->state = PG_BRIDGE_CLIENT_QUITTING;
	g_clear_handle_id(&client->idle_id, g_source_remove);
	pg_bridge_client_deadline(client, PG_BRIDGE_CLIENT_QUIT_S);
}

/* The person's room nick is @new_nick now (XEP-0045 §7.6): their IRC nick
 * follows, where it is in the channel.  Until the server confirms the NICK
 * (room-occupant on its own account), the asked-for nick is claimed. */
static void
pg_bridge_client_rename(PgBridgeClient *client, const gchar *new_nick)
{
	PgBridge *bridge = client->bridge;
	g_autofree gchar *irc_nick = NULL;

	g_free(client->room_nick);
	client->room_nick = g_strdup(new_nick);
	if (client->state != PG_BRIDGE_CLIENT_IN)
		return; /* a later connection takes the new nick */
	irc_nick = pg_bridge_clients_irc_nick(bridge, client, new_nick);
	if (client->irc_nick != NULL && g_ascii_strcasecmp(irc_nick, client->irc_nick) == 0)
		return;
	g_free(client->wanted_nick);
	client->wanted_nick = g_strdup(irc_nick);
	pg_bridge_clients_send_command(
	    client, pg_ipc_message_new(PG_IPC_CMD_ROOM_ADMIN, 0, "account",
				       g_variant_new_string(client->account), "room",
				       g_variant_new_string(bridge->config->channel), "action",
				       g_variant_new_string("nick"), "nick",
				       g_variant_new_string(irc_nick), NULL));
}

void
pg_bridge_clients_quit_all(PgBridge *bridge, const gchar *reason)
{
	g_autoptr(GList) clients = NULL;

	if (bridge->clients == NULL)
		return;
	/* parking may free a client whose person left: walk a copy */
	clients = g_hash_table_get_values(bridge->clients->by_id);
	for (GList *l = clients; l != NULL; l = l->next) {
		PgBridgeClient *client = l->data;
		if (client->state != PG_BRIDGE_CLIENT_PARKED &&
		    client->state != PG_BRIDGE_CLIENT_QUITTING)
			pg_bridge_client_quit(client, reason);
	}
}

void
pg_bridge_clients_left(PgBridge *bridge, const gchar *nick, xmpp_stanza_t *presence)
{
	PgBridgeClient *client = pg_bridge_clients_find(bridge, nick);
	xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(presence, "x",
								 "http://jabber.org/protocol/muc#user");
	xmpp_stanza_t *item = x != NULL ? xmpp_stanza_get_child_by_name(x, "item") : NULL;

	if (client == NULL)
		return;
	for (xmpp_stanza_t *child = x != NULL ? xmpp_stanza_get_children(x) : NULL; child != NULL;
	     child = xmpp_stanza_get_next(child)) {
		/* XEP-0045 §7.6: 303, a nick change; the new nick is the item's */
		if (g_strcmp0(xmpp_stanza_get_name(child), "status") == 0 &&
		    g_strcmp0(xmpp_stanza_get_attribute(child, "code"), "303") == 0) {
			const gchar *new_nick =
			    item != NULL ? xmpp_stanza_get_attribute(item, "nick") : NULL;
			if (new_nick != NULL)
				pg_bridge_client_rename(client, new_nick);
			return;
		}
	}
	g_message("bridge %s: occupant connection %s: its person left the room",
		  bridge->config->name, client->id);
	client->gone = TRUE;
	pg_bridge_client_quit(client, "Left the XMPP room");
}

/* ------------------------------------------------------ from the worker */

static void
pg_bridge_client_joined(PgBridgeClient *client, const PgIpcMessage *msg)
{
	PgBridge *bridge = client->bridge;
	const gchar *nick = pg_ipc_message_get_string(msg, "nick");

	g_clear_handle_id(&client->deadline_id, g_source_remove);
	g_free(client->irc_nick);
	client->irc_nick = g_strdup(nick);
	/* from now on the nick is its own report; wanted_nick is a rename's */
	g_clear_pointer(&client->wanted_nick, g_free);
	client->state = PG_BRIDGE_CLIENT_IN;
	client->backoff_s = 0;
	g_message("bridge %s: occupant connection %s in %s as %s", bridge->config->name,
		  client->id, bridge->config->channel, nick);
	while (!g_queue_is_empty(client->queue)) {
		g_autofree gchar *line = g_queue_pop_head(client->queue);
		pg_bridge_client_say(client, line);
	}
	pg_bridge_clients_touch(client);
}

static void
pg_bridge_client_state(PgBridgeClient *client, const PgIpcMessage *msg)
{
	PgBridge *bridge = client->bridge;
	const gchar *state = pg_ipc_message_get_string(msg, "state");
	const gchar *reason = pg_ipc_message_get_string(msg, "reason");

	if (g_strcmp0(state, "connected") == 0) {
		pg_supervisor_login_done(bridge->supervisor, client->account);
		if (client->state != PG_BRIDGE_CLIENT_CONNECTING)
			return;
		client->state = PG_BRIDGE_CLIENT_JOINING;
		pg_bridge_clients_send_command(
		    client, pg_ipc_message_new(PG_IPC_CMD_JOIN_ROOM, 0, "account",
					       g_variant_new_string(client->account), "room",
					       g_variant_new_string(bridge->config->channel), NULL));
		return;
	}
	if (g_strcmp0(state, "disconnected") != 0)
		return;
	switch (client->state) {
	case PG_BRIDGE_CLIENT_CONNECTING:
	case PG_BRIDGE_CLIENT_JOINING:
		pg_bridge_client_failed(client, reason);
		break;
	case PG_BRIDGE_CLIENT_IN:
		g_message("bridge %s: occupant connection %s lost: %s", bridge->config->name,
			  client->id, reason != NULL ? reason : "disconnected");
		pg_bridge_client_park(client);
		break;
	case PG_BRIDGE_CLIENT_QUITTING:
		pg_bridge_client_park(client);
		break;
	case PG_BRIDGE_CLIENT_PARKED:
	default:
		break;
	}
}

PgBridgeClient *
pg_bridge_clients_by_account(PgBridge *bridge, const gchar *account)
{
	return bridge->clients != NULL && account != NULL
		   ? g_hash_table_lookup(bridge->clients->by_account, account)
		   : NULL;
}

void
pg_bridge_clients_event(PgBridge *bridge, const PgIpcMessage *msg)
{
	const gchar *room = pg_ipc_message_get_string(msg, "room");
	gboolean ours = room == NULL || g_ascii_strcasecmp(room, bridge->config->channel) == 0;
	PgBridgeClient *client =
	    pg_bridge_clients_by_account(bridge, pg_ipc_message_get_string(msg, "account"));

	if (client == NULL)
		return;
	switch (msg->kind) {
	case PG_IPC_EVT_LOGIN_STATE:
		pg_bridge_client_state(client, msg);
		break;
	case PG_IPC_EVT_ROOM_JOINED:
		if (ours && client->state == PG_BRIDGE_CLIENT_JOINING)
			pg_bridge_client_joined(client, msg);
		break;
	case PG_IPC_EVT_ROOM_LEFT:
		/* kicked or parted: its person speaks through the relay */
		if (ours && client->state == PG_BRIDGE_CLIENT_IN)
			pg_bridge_client_quit(client, "Not in the channel any more");
		break;
	case PG_IPC_EVT_ROOM_OCCUPANT:
		/* our own nick changed (the rename above, or a services' one) */
		if (ours && client->irc_nick != NULL &&
		    g_strcmp0(pg_ipc_message_get_string(msg, "change"), "nick") == 0 &&
		    g_ascii_strcasecmp(pg_ipc_message_get_string(msg, "nick"), client->irc_nick) ==
			0) {
			g_free(client->irc_nick);
			client->irc_nick = g_strdup(pg_ipc_message_get_string(msg, "new_nick"));
			g_clear_pointer(&client->wanted_nick, g_free);
		}
		break;
	case PG_IPC_EVT_ERROR:
		/* a JOIN refused (banned, +i, +k...) */
		if (client->state == PG_BRIDGE_CLIENT_JOINING)
			pg_bridge_client_failed(client, pg_ipc_message_get_string(msg, "text"));
		/* a NICK refused (433, 432): it keeps the nick it has */
		else if (client->state == PG_BRIDGE_CLIENT_IN)
			g_clear_pointer(&client->wanted_nick, g_free);
		break;
	default:
		/* the channel's lines and joins: the bridge's own client reads
		 * them; private messages: pg-bridge-clients-pm.c */
		break;
	}
}

void
pg_bridge_clients_lost(PgBridge *bridge, const gchar *account, const gchar *reason)
{
	PgBridgeClient *client = bridge->clients != NULL
				     ? g_hash_table_lookup(bridge->clients->by_account, account)
				     : NULL;

	if (client == NULL || client->state == PG_BRIDGE_CLIENT_PARKED)
		return;
	/* the worker's placement is gone already: nothing to log out */
	client->state = client->state == PG_BRIDGE_CLIENT_IN ? PG_BRIDGE_CLIENT_QUITTING
							      : client->state;
	if (client->state == PG_BRIDGE_CLIENT_QUITTING)
		pg_bridge_client_park(client);
	else
		pg_bridge_client_failed(client, reason != NULL ? reason : "its worker died");
}
