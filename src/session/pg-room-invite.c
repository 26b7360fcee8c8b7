/* Rooms: invites both ways.
 *
 * From the user: a XEP-0045 §7.8.2 mediated invite (a message to the room
 * with <x xmlns=muc#user><invite to=JID/>) or a XEP-0249 direct invite (a
 * message to a contact with <x xmlns=jabber:x:conference jid=ROOM/>)
 * becomes a room-admin "invite" (IRC: INVITE nick #chan).  Only a contact
 * of the same legacy server can be invited into a legacy room, and only
 * into a room the user is in (the network wants an occupant to invite).
 * A refusal comes back as an error message to the invite (IRC 443: conflict,
 * 401: item-not-found, 482 on an invite-only channel: forbidden).
 *
 * To the user: the network's invite (room-invited) becomes a mediated
 * invite from the room's JID to the user's bare JID, from the inviter's
 * contact JID (XEP-0045 §7.8.2), with a body for clients that show no
 * invites.  Joining is the user's own choice (a join presence as usual).
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include "core/pg-error.h"
#include "session/pg-link.h"
#include "session/pg-room-moderation.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-muc.h"

#define PG_NS_CONFERENCE "jabber:x:conference" /* XEP-0249 */

/* The address @jid names under @link's transport, if it is on @link's
 * server.  Returns: (transfer full) or NULL. */
static PgNetworkAddress *
pg_room_invite_address(PgLink *link, const gchar *jid)
{
	PgTransport *transport = link->session->transport;
	g_autoptr(PgJid) parsed = pg_jid_parse(jid, NULL);
	g_autoptr(PgNetworkAddress) address = NULL;

	if (parsed == NULL || parsed->local == NULL ||
	    g_ascii_strcasecmp(parsed->domain, pg_transport_get_jid(transport)) != 0)
		return NULL;
	address = pg_session_parse_address(transport, parsed, NULL);
	if (address == NULL || g_strcmp0(address->server, link->server) != 0)
		return NULL;
	return g_steal_pointer(&address);
}

static void
pg_room_invite_send(PgLink *link, xmpp_stanza_t *message, const gchar *room, const gchar *nick)
{
	pg_link_command(link,
			pg_ipc_message_new(PG_IPC_CMD_ROOM_ADMIN, 0, "account",
					   g_variant_new_string(link->account), "room",
					   g_variant_new_string(room), "action",
					   g_variant_new_string("invite"), "nick",
					   g_variant_new_string(nick), NULL),
			message);
}

gboolean
pg_room_invite_mediated(PgLink *link, xmpp_stanza_t *message, const PgNetworkAddress *address)
{
	xmpp_stanza_t *x = xmpp_stanza_get_child_by_ns(message, PG_NS_MUC_USER);
	xmpp_stanza_t *invite = x != NULL ? xmpp_stanza_get_child_by_name(x, "invite") : NULL;
	g_autoptr(PgNetworkAddress) invitee = NULL;
	g_autofree gchar *key = NULL;
	PgRoom *room;

	if (invite == NULL)
		return FALSE;
	key = g_utf8_strdown(address->name, -1);
	room = g_hash_table_lookup(link->rooms, key);
	/* XEP-0045 §7.8.2: occupants invite */
	if (room == NULL ||
	    !g_hash_table_contains(room->resources, xmpp_stanza_get_from(message))) {
		pg_transport_reply_error_code(link->session->transport, message,
					      PG_ERROR_NOT_ACCEPTABLE,
					      "join the room before you invite someone into it");
		return TRUE;
	}
	invitee = pg_room_invite_address(link, xmpp_stanza_get_attribute(invite, "to"));
	if (invitee == NULL || invitee->is_room) {
		pg_transport_reply_error_code(link->session->transport, message,
					      PG_ERROR_NOT_ACCEPTABLE,
					      "only a user of this room's legacy server can be "
					      "invited into it");
		return TRUE;
	}
	pg_room_invite_send(link, message, room->name, invitee->name);
	return TRUE;
}

gboolean
pg_room_invite_direct(PgLink *link, xmpp_stanza_t *message, const gchar *who)
{
	xmpp_stanza_t *x = xmpp_stanza_get_child_by_ns(message, PG_NS_CONFERENCE);
	g_autoptr(PgNetworkAddress) room_address = NULL;
	g_autofree gchar *key = NULL;
	PgRoom *room;

	if (x == NULL)
		return FALSE;
	room_address = pg_room_invite_address(link, xmpp_stanza_get_attribute(x, "jid"));
	if (room_address == NULL || !room_address->is_room) {
		pg_transport_reply_error_code(link->session->transport, message,
					      PG_ERROR_NOT_ACCEPTABLE,
					      "a legacy user can be invited only into a room of "
					      "their own server");
		return TRUE;
	}
	key = g_utf8_strdown(room_address->name, -1);
	room = g_hash_table_lookup(link->rooms, key);
	if (room == NULL) {
		pg_transport_reply_error_code(link->session->transport, message,
					      PG_ERROR_NOT_ACCEPTABLE,
					      "join the room before you invite someone into it");
		return TRUE;
	}
	pg_room_invite_send(link, message, room->name, who);
	return TRUE;
}

void
pg_room_on_invited(PgLink *link, const PgIpcMessage *msg)
{
	PgSession *session = link->session;
	PgTransport *transport = session->transport;
	const PgNetwork *network = pg_session_network(transport);
	const gchar *name = pg_ipc_message_get_string(msg, "room");
	const gchar *from = pg_ipc_message_get_string(msg, "from");
	g_autofree gchar *room_jid =
	    network->address_to_jid(pg_transport_get_config(transport), name, link->server, NULL);
	g_autofree gchar *inviter = pg_session_contact_jid(link, from);
	g_autofree gchar *text = g_strdup_printf("%s invites you to %s", from, name);
	xmpp_stanza_t *message =
	    xmpp_message_new(pg_session_ctx(session), NULL, session->user_jid, NULL);
	xmpp_stanza_t *x;
	xmpp_stanza_t *invite;

	pg_stanza_set_from(message, room_jid);
	x = pg_stanza_add_child(message, "x", PG_NS_MUC_USER);
	invite = pg_stanza_add_child(x, "invite", NULL);
	pg_stanza_set_attribute(invite, "from", inviter);
	pg_stanza_set_body(message, text);
	pg_session_send(session, message);
}
