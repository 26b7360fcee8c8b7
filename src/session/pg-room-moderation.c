/* Rooms: moderation and self-ping (XEP-0045 §8, §9, XEP-0410).
 *
 * Roles follow the legacy network: an occupant's new flags (IRC: MODE
 * +o/-o/+h/+v/-v) are room-occupant "flags" events, which pg-room.c renders
 * as the occupant's presence again (XEP-0045 §9.6, §9.7).
 *
 * A moderator's muc#admin IQ (XEP-0045 §8, §9) to the room JID becomes a
 * room-admin command (src/ipc/pg-ipc-message.h):
 *   set role=none nick=N (reason)      kick N              §8.2
 *   set affiliation=outcast nick|jid   ban (and kick)      §9.1
 *   set affiliation=none jid|nick      unban an outcast    §9.2
 *                                      deop an op (admin)  §10.7
 *                                      devoice a voiced occupant
 *                                      (member)            §9.4
 *   set role=moderator                 op                  §9.6
 *   set role=participant               deop an op, else voice  §9.7 / §8.3
 *   set role=visitor                   devoice             §8.4
 *   get affiliation=outcast            bans: the ban list  §9.2
 * The IQ is the command's origin (pg_session_remember()): the worker's
 * room-admin-done answers it with a result (the ban list as outcast items,
 * each ban's mask as the local part of a JID on the room's server, kept in
 * room->outcasts so that affiliation=none on one of those JIDs lifts that
 * mask; on a nick or a contact's JID the worker lifts the mask its own ban
 * of that nick set), and its
 * error (IRC 482: forbidden) with that error.  Who may do what is the
 * legacy network's decision, not ours: the IQ of a non-moderator goes out
 * and comes back forbidden.
 *
 * XEP-0410 §3.2: a ping from the user's resource to its own occupant JID
 * is answered by the service: result while that resource is in the room
 * (also while the link reconnects: the room state follows the rejoin),
 * not-acceptable when it is not (the client then joins again).  A ping to
 * another occupant cannot be forwarded to a legacy user: that is
 * service-unavailable ("joined, but the pinged client does not do XEP-0199",
 * which XEP-0410 §3.2 lists), and a nick nobody has is item-not-found
 * (XEP-0045 §7.5).  A ping to the room itself is a result (XEP-0199 §7).
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include "core/pg-error.h"
#include "session/pg-link-queue.h"
#include "session/pg-link.h"
#include "session/pg-room-moderation.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-muc.h"

#define PG_NS_MUC_ADMIN "http://jabber.org/protocol/muc#admin"

/* ------------------------------------------------------ IQs to a room */

/* The room @address names for @user_jid, and its link; NULL if the user
 * has none by that name. */
static PgRoom *
pg_room_moderation_find(PgSessionManager *self, PgTransport *transport, const gchar *user_jid,
			const PgNetworkAddress *address, PgLink **link)
{
	PgSession *session = pg_session_lookup(self, user_jid, transport);
	g_autofree gchar *key = g_utf8_strdown(address->name, -1);

	*link = session != NULL ? g_hash_table_lookup(session->links, address->server) : NULL;
	return *link != NULL ? g_hash_table_lookup((*link)->rooms, key) : NULL;
}

static void
pg_room_moderation_reply(PgTransport *transport, xmpp_stanza_t *iq)
{
	xmpp_stanza_t *reply = pg_stanza_iq_result(iq);
	pg_transport_send(transport, reply);
	xmpp_stanza_release(reply);
}

static void
pg_room_moderation_ping(PgTransport *transport, xmpp_stanza_t *iq, PgRoom *room,
			const PgNetworkAddress *address)
{
	gboolean in_room =
	    room != NULL && g_hash_table_contains(room->resources, xmpp_stanza_get_from(iq));

	if (address->resource == NULL) {
		pg_room_moderation_reply(transport, iq);
	} else if (!in_room) {
		pg_transport_reply_error_code(transport, iq, PG_ERROR_NOT_ACCEPTABLE,
					      "you are not in this room");
	} else if (g_strcmp0(address->resource, room->nick) == 0) {
		pg_room_moderation_reply(transport, iq);
	} else if (g_hash_table_contains(room->occupants, address->resource)) {
		pg_transport_reply_error_code(transport, iq, PG_ERROR_SERVICE_UNAVAILABLE,
					      "legacy occupants do not answer pings");
	} else {
		pg_transport_reply_error_code(transport, iq, PG_ERROR_ITEM_NOT_FOUND,
					      "no occupant by that nick");
	}
}

/* The legacy nick an admin <item/> names: its nick, else its jid when that
 * is a contact on the room's server. */
static gchar *
pg_room_moderation_item_nick(PgTransport *transport, PgLink *link, xmpp_stanza_t *item)
{
	const gchar *nick = xmpp_stanza_get_attribute(item, "nick");
	g_autoptr(PgJid) jid = NULL;
	g_autoptr(PgNetworkAddress) address = NULL;

	if (nick != NULL && nick[0] != '\0')
		return g_strdup(nick);
	jid = pg_jid_parse(xmpp_stanza_get_attribute(item, "jid"), NULL);
	if (jid == NULL || jid->local == NULL ||
	    g_ascii_strcasecmp(jid->domain, pg_transport_get_jid(transport)) != 0)
		return NULL;
	address = pg_session_parse_address(transport, jid, NULL);
	if (address == NULL || address->is_room || g_strcmp0(address->server, link->server) != 0)
		return NULL;
	return g_strdup(address->name);
}

static gboolean
pg_room_moderation_has_flag(const gchar *flags, const gchar *flag)
{
	g_auto(GStrv) parts = g_strsplit(flags != NULL ? flags : "", ",", -1);
	return g_strv_contains((const gchar *const *)parts, flag);
}

static void
pg_room_moderation_admin(PgTransport *transport, xmpp_stanza_t *iq, PgLink *link, PgRoom *room)
{
	xmpp_stanza_t *query = xmpp_stanza_get_child_by_ns(iq, PG_NS_MUC_ADMIN);
	xmpp_stanza_t *item = xmpp_stanza_get_child_by_name(query, "item");
	const gchar *role = item != NULL ? xmpp_stanza_get_attribute(item, "role") : NULL;
	const gchar *affiliation =
	    item != NULL ? xmpp_stanza_get_attribute(item, "affiliation") : NULL;
	gboolean get = g_strcmp0(xmpp_stanza_get_type(iq), "get") == 0;
	g_autofree gchar *nick = NULL;
	g_autofree gchar *reason = NULL;
	const gchar *action = NULL;
	const gchar *mask = NULL;

	if (room == NULL || !g_hash_table_contains(room->resources, xmpp_stanza_get_from(iq))) {
		/* XEP-0045 §8: moderation is for occupants */
		pg_transport_reply_error_code(transport, iq, PG_ERROR_NOT_ACCEPTABLE,
					      "join the room first");
		return;
	}
	if (item == NULL) {
		pg_transport_reply_error_code(transport, iq, PG_ERROR_BAD_REQUEST,
					      "muc#admin wants an <item/>");
		return;
	}
	if (get) {
		if (g_strcmp0(affiliation, "outcast") == 0)
			action = "bans";
	} else {
		const gchar *flags = NULL;
		const gchar *jid = xmpp_stanza_get_attribute(item, "jid");
		if (g_strcmp0(affiliation, "none") == 0 && jid != NULL && room->outcasts != NULL) {
			g_autofree gchar *folded = g_utf8_casefold(jid, -1);
			mask = g_hash_table_lookup(room->outcasts, folded);
		}
		nick = mask == NULL ? pg_room_moderation_item_nick(transport, link, item) : NULL;
		reason = pg_stanza_get_child_text(item, "reason");
		if (nick != NULL)
			flags = g_hash_table_lookup(room->occupants, nick);
		if (g_strcmp0(role, "none") == 0)
			action = "kick";
		else if (g_strcmp0(affiliation, "outcast") == 0)
			action = "ban";
		else if (g_strcmp0(affiliation, "none") == 0)
			action = pg_room_moderation_has_flag(flags, "op")      ? "deop"
				 : pg_room_moderation_has_flag(flags, "voice") ? "devoice"
									       : "unban";
		else if (g_strcmp0(role, "moderator") == 0)
			action = "op";
		else if (g_strcmp0(role, "participant") == 0)
			action = pg_room_moderation_has_flag(flags, "op") ? "deop" : "voice";
		else if (g_strcmp0(role, "visitor") == 0)
			action = "devoice";
		if (action != NULL && nick == NULL && mask == NULL) {
			pg_transport_reply_error_code(transport, iq, PG_ERROR_BAD_REQUEST,
						      "name an occupant (nick) or a user of "
						      "this network (jid)");
			return;
		}
	}
	if (g_strcmp0(action, "ban") == 0 && nick != NULL) {
		/* the kick that follows the ban is a ban to the others (§9.1) */
		if (room->banning == NULL)
			room->banning = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		if (g_hash_table_size(room->banning) >= 64) /* bans of nobody in the room */
			g_hash_table_remove_all(room->banning);
		g_hash_table_add(room->banning, g_utf8_casefold(nick, -1));
	}
	if (action == NULL) {
		pg_transport_reply_error_code(transport, iq, PG_ERROR_FEATURE_NOT_IMPLEMENTED,
					      "this room's network has no such list or change");
		return;
	}
	pg_link_command(
	    link,
	    pg_ipc_message_new(
		PG_IPC_CMD_ROOM_ADMIN, 0, "account", g_variant_new_string(link->account), "room",
		g_variant_new_string(room->name), "action", g_variant_new_string(action), "nick",
		nick != NULL ? g_variant_new_string(nick) : NULL, "mask",
		mask != NULL ? g_variant_new_string(mask) : NULL, "reason",
		reason != NULL ? g_variant_new_string(reason) : NULL, NULL),
	    iq);
}

gboolean
pg_room_handle_iq(PgSessionManager *self, PgTransport *transport, xmpp_stanza_t *iq,
		  const gchar *user_jid, const PgJid *to)
{
	gboolean ping = xmpp_stanza_get_child_by_ns(iq, PG_NS_PING) != NULL;
	gboolean admin = xmpp_stanza_get_child_by_ns(iq, PG_NS_MUC_ADMIN) != NULL;
	g_autoptr(PgNetworkAddress) address = NULL;
	PgLink *link = NULL;
	PgRoom *room;

	if (!ping && !admin)
		return FALSE;
	if (g_strcmp0(xmpp_stanza_get_type(iq), "result") == 0 ||
	    g_strcmp0(xmpp_stanza_get_type(iq), "error") == 0)
		return TRUE; /* RFC 6120 §8.2.3: never answered */
	address = pg_session_parse_address(transport, to, NULL);
	if (address == NULL || !address->is_room)
		return FALSE;
	room = pg_room_moderation_find(self, transport, user_jid, address, &link);
	if (ping)
		pg_room_moderation_ping(transport, iq, room, address);
	else if (address->resource != NULL)
		pg_transport_reply_error_code(transport, iq, PG_ERROR_BAD_REQUEST,
					      "send muc#admin to the room, not an occupant");
	else
		pg_room_moderation_admin(transport, iq, link, room);
	return TRUE;
}

void
pg_room_on_admin_done(PgLink *link, const PgIpcMessage *msg)
{
	PgSession *session = link->session;
	PgTransport *transport = session->transport;
	guint32 request = pg_ipc_message_get_uint32(msg, "request", 0);
	xmpp_stanza_t *origin = pg_session_recall(session, request);
	g_autoptr(GVariant) masks = pg_ipc_message_get_value(msg, "masks");
	g_autoptr(PgJid) room_jid = NULL;
	g_autoptr(PgNetworkAddress) room = NULL;
	g_autofree gchar *room_key = NULL;
	PgRoom *joined = NULL;
	xmpp_stanza_t *reply;
	xmpp_stanza_t *query;
	GVariantIter iter;
	const gchar *mask;

	pg_link_queue_answered(link, request);
	if (origin == NULL || g_strcmp0(xmpp_stanza_get_name(origin), "iq") != 0)
		return; /* an invite (a message) has nothing to answer */
	reply = pg_stanza_iq_result(origin);
	if (masks != NULL) {
		query = pg_stanza_add_child(reply, "query", PG_NS_MUC_ADMIN);
		room_jid = pg_jid_parse(xmpp_stanza_get_to(origin), NULL);
		room =
		    room_jid != NULL ? pg_session_parse_address(transport, room_jid, NULL) : NULL;
		if (room != NULL) {
			room_key = g_utf8_strdown(room->name, -1);
			joined = g_hash_table_lookup(link->rooms, room_key);
		}
		if (joined != NULL) {
			g_clear_pointer(&joined->outcasts, g_hash_table_unref);
			joined->outcasts =
			    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
		}
		g_variant_iter_init(&iter, masks);
		while (room != NULL && g_variant_iter_next(&iter, "&s", &mask)) {
			/* XEP-0045 §9.2: outcasts by JID; a ban is a mask, not a
			 * user, so the mask is the JID's local part */
			xmpp_stanza_t *item = pg_stanza_add_child(query, "item", NULL);
			g_autofree gchar *jid = pg_session_network(transport)->address_to_jid(
			    pg_transport_get_config(transport), mask, room->server, NULL);
			xmpp_stanza_set_attribute(item, "affiliation", "outcast");
			pg_stanza_set_attribute(item, "jid", jid);
			if (joined != NULL && g_hash_table_size(joined->outcasts) < 1024)
				g_hash_table_replace(joined->outcasts, g_utf8_casefold(jid, -1),
						     g_strdup(mask));
		}
	}
	pg_session_send(session, reply);
}
