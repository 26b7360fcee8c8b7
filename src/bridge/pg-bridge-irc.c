/* The legacy side of a bridge: what its IRC client's worker reports.
 *
 * CONSENT (issue 11: "it joins only after a chanop of the channel has
 * approved it"): once connected, the bridge's client waits outside the
 * channel.  A user sends it a private message `approve` (or `!bridge
 * approve`); the bridge asks the server for the channel's NAMES (it need
 * not be in it) and accepts only if that user is listed as a channel
 * operator (@, or ~ & for founders and protected ops).  Then it keeps the
 * approval (who, when) in the bridges' store (pg-bridge-store.h) and joins; `revoke` from a chanop
 * parts the channel and forgets the approval.  Anyone else gets a short
 * answer saying who may approve.  Private messages are answered only for
 * these commands; they are never relayed (Libera.Chat: a bridge does not
 * message arbitrary users).
 *
 * OCCUPANTS: every nick of the channel but the bridge's own becomes a
 * puppet (pg-bridge-room.c).  A QUIT whose reason looks like a netsplit
 * ("irc.a.net irc.b.net") is held, not relayed at once; when the bridge's
 * own connection drops, every puppet is held until the bridge is back in
 * the channel, and only the nicks missing then leave the room.
 */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include <string.h>

#include "bridge/pg-bridge-private.h"

/* ------------------------------------------------------------ consent store */

/* Where the move stands, for `polygate bridge status`: the config's phase
 * once a chanop approved, else pending. */
static void
pg_bridge_irc_store_phase(PgBridge *bridge)
{
	const gchar *phase = bridge->paused     ? "paused"
			     : bridge->approved ? bridge->config->phase
						: "pending";
	g_autoptr(GError) error = NULL;

	if (bridge->store == NULL)
		return;
	if (!pg_bridge_store_set_phase(bridge->store, bridge->config->name, phase,
				       g_get_real_time(), &error))
		g_warning("bridge %s: %s", bridge->config->name, error->message);
}

static void
pg_bridge_irc_save_consent(PgBridge *bridge, const gchar *by)
{
	g_autoptr(GError) error = NULL;
	gboolean saved;

	if (bridge->store == NULL)
		return;
	saved = bridge->approved ? pg_bridge_store_approve(bridge->store, bridge->config->name, by,
							   g_get_real_time(), &error)
				 : pg_bridge_store_revoke(bridge->store, bridge->config->name, by,
							  g_get_real_time(), &error);
	if (!saved)
		g_warning("bridge %s: cannot keep its consent: %s", bridge->config->name,
			  error->message);
	pg_bridge_irc_store_phase(bridge);
}

void
pg_bridge_irc_load_consent(PgBridge *bridge)
{
	g_auto(PgBridgeConsent) consent = {0};

	bridge->approved = bridge->store != NULL &&
			   pg_bridge_store_has_consent(bridge->store, bridge->config->name);
	g_clear_pointer(&bridge->approved_by, g_free);
	if (bridge->approved &&
	    pg_bridge_store_get_consent(bridge->store, bridge->config->name, &consent, NULL))
		bridge->approved_by = g_strdup(consent.approved_by);
	bridge->readonly = g_strcmp0(bridge->config->phase, "readonly") == 0;
	if (bridge->store != NULL) {
		g_autofree gchar *phase = pg_bridge_store_get_phase(bridge->store,
								     bridge->config->name);
		bridge->paused = g_strcmp0(phase, "paused") == 0;
	}
	pg_bridge_irc_store_phase(bridge);
}

/* ------------------------------------------------------------ commands */

typedef enum {
	PG_BRIDGE_ASK_APPROVE = 1,
	PG_BRIDGE_ASK_REVOKE,
} PgBridgeAsk;

typedef struct {
	gchar *nick;
	PgBridgeAsk what;
} PgBridgeAsking;

static void
pg_bridge_asking_free(gpointer data)
{
	PgBridgeAsking *asking = data;
	g_free(asking->nick);
	g_free(asking);
}

GHashTable *pg_bridge_irc_asking_new(void);

GHashTable *
pg_bridge_irc_asking_new(void)
{
	return g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, pg_bridge_asking_free);
}

static void
pg_bridge_irc_command(PgBridge *bridge, const gchar *from, const gchar *body)
{
	g_autofree gchar *text = g_strstrip(g_ascii_strdown(body, -1));
	const gchar *command = text;
	PgBridgeAsk what = 0;
	guint32 id;

	if (g_str_has_prefix(command, "!bridge "))
		command += strlen("!bridge ");
	if (g_str_has_prefix(command, "approve"))
		what = PG_BRIDGE_ASK_APPROVE;
	else if (g_str_has_prefix(command, "revoke"))
		what = PG_BRIDGE_ASK_REVOKE;
	if (what == 0) {
		g_autofree gchar *help = g_strdup_printf(
		    "I am a bridge between %s and the XMPP room %s (%s). Private messages are not "
		    "relayed. A channel operator of %s can send me: approve, revoke.",
		    bridge->config->channel, bridge->config->room,
		    bridge->approved ? "approved" : "waiting for a chanop's approval",
		    bridge->config->channel);
		pg_bridge_link_tell(bridge, from, help);
		return;
	}
	id = pg_bridge_link_names(bridge);
	if (id == 0)
		return;
	{
		PgBridgeAsking *asking = g_new0(PgBridgeAsking, 1);
		asking->nick = g_strdup(from);
		asking->what = what;
		g_hash_table_replace(bridge->asking, GUINT_TO_POINTER(id), asking);
	}
}

/* Whether @names (NAMES entries, "@bob") list @nick as a channel operator. */
static gboolean
pg_bridge_irc_is_chanop(GVariant *names, const gchar *nick)
{
	GVariantIter iter;
	const gchar *name;

	if (names == NULL)
		return FALSE;
	g_variant_iter_init(&iter, names);
	while (g_variant_iter_next(&iter, "&s", &name)) {
		const gchar *bare = name + strspn(name, "~&@%+");
		gboolean op = strspn(name, "~&@%+") > 0 && strpbrk(name, "~&@") != NULL &&
			      strpbrk(name, "~&@") < bare;
		if (op && g_ascii_strcasecmp(bare, nick) == 0)
			return TRUE;
	}
	return FALSE;
}

static void
pg_bridge_irc_answered(PgBridge *bridge, const PgIpcMessage *msg)
{
	guint32 request = pg_ipc_message_get_uint32(msg, "request", msg->id);
	PgBridgeAsking *asking = g_hash_table_lookup(bridge->asking, GUINT_TO_POINTER(request));
	g_autoptr(GVariant) names = NULL;
	g_autofree gchar *answer = NULL;

	if (asking == NULL)
		return;
	names = pg_ipc_message_get_value(msg, "masks");
	if (!pg_bridge_irc_is_chanop(names, asking->nick)) {
		answer = g_strdup_printf("Refused: only a channel operator of %s can %s the bridge.",
					 bridge->config->channel,
					 asking->what == PG_BRIDGE_ASK_APPROVE ? "approve" : "revoke");
		g_message("bridge %s: %s asked to %s, but is not a chanop of %s",
			  bridge->config->name, asking->nick,
			  asking->what == PG_BRIDGE_ASK_APPROVE ? "approve" : "revoke",
			  bridge->config->channel);
	} else if (asking->what == PG_BRIDGE_ASK_APPROVE) {
		bridge->approved = TRUE;
		g_free(bridge->approved_by);
		bridge->approved_by = g_strdup(asking->nick);
		pg_bridge_irc_save_consent(bridge, asking->nick);
		g_message("bridge %s: approved by %s, a chanop of %s", bridge->config->name,
			  asking->nick, bridge->config->channel);
		answer = g_strdup_printf("Approved: joining %s, bridged to xmpp:%s?join. Send "
					 "revoke to undo.",
					 bridge->config->channel, bridge->config->room);
		if (!bridge->link.in_channel)
			pg_bridge_link_join(bridge);
	} else {
		bridge->approved = FALSE;
		g_clear_pointer(&bridge->approved_by, g_free);
		pg_bridge_irc_save_consent(bridge, asking->nick);
		g_message("bridge %s: revoked by %s", bridge->config->name, asking->nick);
		answer = g_strdup_printf("Revoked: leaving %s.", bridge->config->channel);
		if (bridge->link.in_channel)
			pg_bridge_link_part(bridge);
		/* no grace: the channel said no */
		pg_bridge_room_leave_all(bridge, "The channel's operators revoked the bridge");
	}
	pg_bridge_link_tell(bridge, asking->nick, answer);
	g_hash_table_remove(bridge->asking, GUINT_TO_POINTER(request));
}

static void
pg_bridge_irc_failed(PgBridge *bridge, const PgIpcMessage *msg)
{
	guint32 request = pg_ipc_message_get_uint32(msg, "request", 0);
	PgBridgeAsking *asking = g_hash_table_lookup(bridge->asking, GUINT_TO_POINTER(request));
	const gchar *text = pg_ipc_message_get_string(msg, "text");

	if (asking != NULL) {
		g_autofree gchar *answer = g_strdup_printf(
		    "Could not check who is a channel operator of %s; try again.",
		    bridge->config->channel);
		pg_bridge_link_tell(bridge, asking->nick, answer);
		g_hash_table_remove(bridge->asking, GUINT_TO_POINTER(request));
		return;
	}
	pg_bridge_fail(bridge, PG_BRIDGE_TO_LEGACY, g_strdup(text != NULL ? text : "an error"));
}

/* ------------------------------------------------------------ occupants */

/* RFC 2812 has no netsplit message; servers quit the nicks behind a split
 * with the two server names as the reason: "irc.a.net irc.b.net". */
static gboolean
pg_bridge_irc_is_split(const gchar *reason)
{
	g_auto(GStrv) words = NULL;

	if (reason == NULL)
		return FALSE;
	words = g_strsplit(reason, " ", -1);
	return g_strv_length(words) == 2 && strchr(words[0], '.') != NULL &&
	       strchr(words[1], '.') != NULL && strchr(words[0], '.') != words[0] &&
	       strchr(words[1], '.') != words[1];
}

static gboolean
pg_bridge_irc_is_me(PgBridge *bridge, const gchar *nick)
{
	return nick != NULL && bridge->link.nick != NULL &&
	       g_ascii_strcasecmp(nick, bridge->link.nick) == 0;
}

static gboolean
pg_bridge_irc_flags_op(const gchar *flags)
{
	return flags != NULL && (strstr(flags, "op") != NULL || strstr(flags, "founder") != NULL);
}

/* phase = moved: where the community went.  (transfer full) or NULL */
static gchar *
pg_bridge_irc_moved_text(PgBridge *bridge)
{
	const PgBridgeConfig *config = bridge->config;

	if (g_strcmp0(config->phase, "moved") != 0)
		return NULL;
	return g_strdup_printf("This channel has moved to XMPP: %s%s%s%s",
			       config->moved_to != NULL ? config->moved_to : "",
			       config->moved_to != NULL && config->web_link != NULL ? " " : "",
			       config->web_link != NULL ? "or on the web: " : "",
			       config->web_link != NULL ? config->web_link : "");
}

/* Every puppet waits; those still missing when the bridge is back leave. */
static void
pg_bridge_irc_hold_all(PgBridge *bridge, const gchar *reason)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, bridge->puppets);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		pg_bridge_room_puppet_hold(value, reason, PG_BRIDGE_SPLIT_GRACE_S);
}

static void
pg_bridge_irc_joined(PgBridge *bridge, const PgIpcMessage *msg)
{
	g_autoptr(GVariant) occupants = pg_ipc_message_get_value(msg, "occupants");
	g_autofree gchar *moved = pg_bridge_irc_moved_text(bridge);
	const gchar *topic = pg_ipc_message_get_string(msg, "subject");
	GVariantIter iter;
	const gchar *nick;
	const gchar *flags;

	bridge->link.in_channel = TRUE;
	g_free(bridge->link.nick);
	bridge->link.nick = g_strdup(pg_ipc_message_get_string(msg, "nick"));
	g_message("bridge %s: in %s as %s", bridge->config->name, bridge->config->channel,
		  bridge->link.nick);
	/* who is not in this list any more leaves after the grace period */
	pg_bridge_irc_hold_all(bridge, "Left IRC");
	if (occupants != NULL) {
		g_variant_iter_init(&iter, occupants);
		while (g_variant_iter_next(&iter, "(&s&s)", &nick, &flags)) {
			if (pg_bridge_irc_is_me(bridge, nick))
				bridge->link.is_op = pg_bridge_irc_flags_op(flags);
			else if (!pg_bridge_clients_claims(bridge, nick))
				pg_bridge_room_puppet_for(bridge, nick);
		}
	}
	pg_bridge_room_enter(bridge);
	/* issue 11 §7: "we moved" is the topic, set again when the bridge
	 * comes back to a channel whose topic says otherwise */
	if (moved != NULL && g_strcmp0(topic, moved) != 0)
		pg_bridge_link_topic(bridge, moved);
}

static void
pg_bridge_irc_occupant(PgBridge *bridge, const PgIpcMessage *msg)
{
	const gchar *nick = pg_ipc_message_get_string(msg, "nick");
	const gchar *change = pg_ipc_message_get_string(msg, "change");
	const gchar *reason = pg_ipc_message_get_string(msg, "reason");
	PgBridgePuppet *puppet;

	if (pg_bridge_irc_is_me(bridge, nick)) {
		if (g_strcmp0(change, "nick") == 0) {
			g_free(bridge->link.nick);
			bridge->link.nick = g_strdup(pg_ipc_message_get_string(msg, "new_nick"));
		} else if (g_strcmp0(change, "flags") == 0) {
			bridge->link.is_op =
			    pg_bridge_irc_flags_op(pg_ipc_message_get_string(msg, "flags"));
		}
		return;
	}
	/* an occupant's own connection (pg-bridge-clients.c) is never a puppet */
	if (pg_bridge_clients_claims(bridge, nick))
		return;
	if (g_strcmp0(change, "join") == 0) {
		g_autofree gchar *moved = pg_bridge_irc_moved_text(bridge);
		pg_bridge_room_puppet_for(bridge, nick);
		if (moved != NULL)
			pg_bridge_link_notice(bridge, nick, moved);
		return;
	}
	puppet = pg_bridge_room_lookup(bridge, nick);
	if (puppet == NULL)
		return;
	if (g_strcmp0(change, "nick") == 0) {
		const gchar *new_nick = pg_ipc_message_get_string(msg, "new_nick");
		if (new_nick != NULL)
			pg_bridge_room_puppet_rename(puppet, new_nick);
	} else if (g_strcmp0(change, "quit") == 0) {
		pg_bridge_room_puppet_hold(puppet, reason,
					   pg_bridge_irc_is_split(reason) ? PG_BRIDGE_SPLIT_GRACE_S
									  : PG_BRIDGE_QUIT_GRACE_S);
	} else if (g_strcmp0(change, "kick") == 0) {
		g_autofree gchar *text = g_strdup_printf("Kicked on IRC%s%s",
							 reason != NULL ? ": " : "",
							 reason != NULL ? reason : "");
		if (bridge->config->kicks_to_room)
			pg_bridge_room_puppet_kick(puppet, text);
		else
			pg_bridge_room_puppet_leave(puppet, text);
	} else if (g_strcmp0(change, "part") == 0) {
		pg_bridge_room_puppet_leave(puppet, reason);
	}
}

void
pg_bridge_irc_event(PgBridge *bridge, const PgIpcMessage *msg)
{
	const gchar *room = pg_ipc_message_get_string(msg, "room");
	gboolean ours = room == NULL || g_ascii_strcasecmp(room, bridge->config->channel) == 0;

	switch (msg->kind) {
	case PG_IPC_EVT_LOGIN_STATE: {
		const gchar *state = pg_ipc_message_get_string(msg, "state");
		if (g_strcmp0(state, "connected") == 0) {
			pg_bridge_link_on_state(bridge, TRUE, NULL);
			if (bridge->approved)
				pg_bridge_link_join(bridge);
			else
				g_message("bridge %s: waiting for a chanop of %s to send %s: "
					  "approve",
					  bridge->config->name, bridge->config->channel,
					  bridge->config->nick);
		} else if (g_strcmp0(state, "disconnected") == 0) {
			pg_bridge_irc_hold_all(bridge, "Left IRC");
			pg_bridge_link_on_state(bridge, FALSE,
						pg_ipc_message_get_string(msg, "reason"));
		}
		break;
	}
	case PG_IPC_EVT_ROOM_JOINED:
		if (ours)
			pg_bridge_irc_joined(bridge, msg);
		break;
	case PG_IPC_EVT_ROOM_OCCUPANT:
		if (ours)
			pg_bridge_irc_occupant(bridge, msg);
		break;
	case PG_IPC_EVT_ROOM_MESSAGE:
		if (ours && !pg_ipc_message_get_boolean(msg, "own", FALSE) &&
		    !pg_bridge_clients_claims(bridge, pg_ipc_message_get_string(msg, "from")))
			pg_bridge_room_say(bridge, pg_ipc_message_get_string(msg, "from"),
					   pg_ipc_message_get_string(msg, "body"));
		break;
	case PG_IPC_EVT_ROOM_LEFT:
		if (ours) {
			bridge->link.in_channel = FALSE;
			/* revoked, kicked or parted: the room sees everyone go */
			pg_bridge_irc_hold_all(bridge, "The bridge left IRC");
		}
		break;
	case PG_IPC_EVT_ROOM_BAN:
		if (ours)
			pg_bridge_bans_on_event(bridge, msg);
		break;
	case PG_IPC_EVT_IM_RECEIVED:
		pg_bridge_irc_command(bridge, pg_ipc_message_get_string(msg, "from"),
				      pg_ipc_message_get_string(msg, "body"));
		break;
	case PG_IPC_EVT_ROOM_ADMIN_DONE:
		pg_bridge_irc_answered(bridge, msg);
		break;
	case PG_IPC_EVT_ERROR:
		pg_bridge_irc_failed(bridge, msg);
		break;
	default:
		break;
	}
}
