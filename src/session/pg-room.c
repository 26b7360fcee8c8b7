/* Rooms: XEP-0045 state and rendering, for any network whose driver has
 * rooms (PG_NETWORK_ROOMS; the driver reads room JIDs).
 *
 * A user's resource joins a room with presence to room@transport/nick; we
 * answer with the occupant list, then the self-presence (status 110, and
 * 210 if the legacy network gave another nick), then the subject (§7.2.15:
 * subject last).  A message to the room is reflected to all of the user's
 * joined resources when the legacy network echoes it (prpl-irc reports our
 * own line back), with the id the client gave it, so clients can match
 * their echo (§7.2.16 / §7.4).  When the link drops, the others leave the
 * XMPP room until it is back and the room is joined again; a final loss
 * ends it (status 332).
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "session/pg-limits.h"
#include "session/pg-link-queue.h"
#include "session/pg-link.h"
#include "session/pg-room-history.h"
#include "session/pg-room.h"
#include "session/pg-session-audit.h"
#include "xmpp/pg-mam.h"
#include "xmpp/pg-muc.h"
#include "stanza/pg-stanza.h"

/* ---------------------------------------------------------------- XMPP side */

static void
pg_room_send_occupant(PgSession *session, PgRoom *room, const gchar *to, const gchar *nick,
		      const gchar *flags, const gchar *type, const gint *statuses,
		      const gchar *new_nick, const gchar *reason)
{
	const gchar *affiliation = NULL;
	const gchar *role = NULL;

	pg_muc_flags_to_role(flags, &affiliation, &role);
	if (g_strcmp0(type, "unavailable") == 0)
		role = "none";
	pg_session_send(session,
			pg_muc_occupant_presence(pg_session_ctx(session), room->jid, nick, to, type,
						 affiliation, role, statuses, new_nick, reason));
}

/* XEP-0045 §7.2.3: the others first, then self (110), then the subject. */
static void
pg_room_send_state(PgSession *session, PgRoom *room, const gchar *to, const gchar *requested)
{
	GHashTableIter iter;
	gpointer nick;
	gpointer flags;
	gint self_statuses[3] = {PG_MUC_STATUS_SELF, 0, 0};

	g_hash_table_iter_init(&iter, room->occupants);
	while (g_hash_table_iter_next(&iter, &nick, &flags)) {
		if (g_strcmp0(nick, room->nick) != 0)
			pg_room_send_occupant(session, room, to, nick, flags, NULL, NULL, NULL,
					      NULL);
	}
	if (requested != NULL && g_strcmp0(requested, room->nick) != 0)
		self_statuses[1] = PG_MUC_STATUS_NICK_ASSIGNED;
	pg_room_send_occupant(session, room, to, room->nick,
			      g_hash_table_lookup(room->occupants, room->nick), NULL, self_statuses,
			      NULL, NULL);
	/* §7.2.15: the history its join asked for, then the subject */
	pg_room_history_send(session, room, to);
	pg_session_send(session, pg_muc_subject(pg_session_ctx(session), room->jid, NULL, to,
						room->subject != NULL ? room->subject : ""));
}

/* To every resource of the user in @room. */
static void
pg_room_broadcast_occupant(PgSession *session, PgRoom *room, const gchar *nick, const gchar *flags,
			   const gchar *type, const gint *statuses, const gchar *new_nick,
			   const gchar *reason)
{
	GHashTableIter iter;
	gpointer to;

	g_hash_table_iter_init(&iter, room->resources);
	while (g_hash_table_iter_next(&iter, &to, NULL))
		pg_room_send_occupant(session, room, to, nick, flags, type, statuses, new_nick,
				      reason);
}

/* The user's resource @to leaves @room on the XMPP side (self-presence). */
static void
pg_room_send_self_unavailable(PgSession *session, PgRoom *room, const gchar *to, gint extra,
			      const gchar *reason)
{
	gint statuses[3] = {PG_MUC_STATUS_SELF, extra, 0};
	pg_room_send_occupant(session, room, to, room->nick, NULL, "unavailable", statuses, NULL,
			      reason);
}

/* Every resource of the user in @room leaves it on the XMPP side. */
static void
pg_room_send_self_unavailable_all(PgSession *session, PgRoom *room, gint extra, const gchar *reason)
{
	GHashTableIter iter;
	gpointer to;

	g_hash_table_iter_init(&iter, room->resources);
	while (g_hash_table_iter_next(&iter, &to, NULL))
		pg_room_send_self_unavailable(session, room, to, extra, reason);
}

static void
pg_room_drop(PgLink *link, PgRoom *room, gint status, const gchar *reason)
{
	g_autofree gchar *key = g_utf8_strdown(room->name, -1);

	pg_link_queue_fail_room(link, room->name, PG_ERROR_SERVICE_UNAVAILABLE,
				reason != NULL ? reason : "you are not in the room any more");
	pg_room_send_self_unavailable_all(link->session, room, status, reason);
	g_hash_table_remove(link->rooms, key);
}

/* ------------------------------------------------ events from the network */

/* The room an event names (rooms are keyed by their lower-case name). */
static PgRoom *
pg_room_find(PgLink *link, const gchar *name)
{
	g_autofree gchar *key = g_utf8_strdown(name, -1);
	return g_hash_table_lookup(link->rooms, key);
}

static PgRoom *
pg_room_of_event(PgLink *link, const PgIpcMessage *msg)
{
	return pg_room_find(link, pg_ipc_message_get_string(msg, "room"));
}

/* One field of a worker event, for pg_room_event_read(). */
typedef struct {
	const gchar *name;   /* in */
	const gchar *string; /* out, for an "s" field: points into the message */
	gboolean boolean;    /* out, for a "b" field */
} PgEventField;

/* Read several fields of @msg in one pass over its a{sv}.
 *
 * WHY: pg_ipc_message_get_string() is g_variant_lookup(), a linear scan
 * that makes a GVariant for every entry (and its key) it passes over; a
 * room-message asked for five fields that way, so at N=100 users in one
 * channel those lookups were 34 % of the daemon's CPU (perf, irc_bench.py).
 * One pass makes one GVariant per entry and key instead.  The strings point
 * into the message's own storage (as "&s" from the getters does), so they
 * live as long as @msg.  The message was validated against its kind's
 * field list on receipt; a field of another type is left unset. */
static void
pg_room_event_read(const PgIpcMessage *msg, PgEventField *fields, guint n_fields)
{
	gsize n_children = g_variant_n_children(msg->fields);

	for (gsize i = 0; i < n_children; i++) {
		g_autoptr(GVariant) entry = g_variant_get_child_value(msg->fields, i);
		g_autoptr(GVariant) key = g_variant_get_child_value(entry, 0);
		const gchar *name = g_variant_get_string(key, NULL);

		for (guint f = 0; f < n_fields; f++) {
			g_autoptr(GVariant) boxed = NULL;
			g_autoptr(GVariant) value = NULL;

			if (strcmp(fields[f].name, name) != 0)
				continue;
			boxed = g_variant_get_child_value(entry, 1);
			value = g_variant_get_variant(boxed);
			if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING))
				fields[f].string = g_variant_get_string(value, NULL);
			else if (g_variant_is_of_type(value, G_VARIANT_TYPE_BOOLEAN))
				fields[f].boolean = g_variant_get_boolean(value);
			break;
		}
	}
}

/* The room @name is joined: what the user wrote while it was being
 * (re)joined goes now, in order (pg-link-queue.h). */
static void
pg_room_flush(PgLink *link, const gchar *name)
{
	g_autoptr(GPtrArray) taken = pg_link_queue_take_room(link, name);

	for (guint i = 0; i < taken->len; i++) {
		PgIpcMessage *msg = g_ptr_array_index(taken, i);
		xmpp_stanza_t *origin = pg_link_queue_steal_origin(link, msg);

		/* the room is joined now: this sends it (and remembers origin) */
		pg_link_command(link, msg, origin);
		if (origin != NULL)
			xmpp_stanza_release(origin);
	}
}

void
pg_room_on_joined(PgLink *link, const PgIpcMessage *msg)
{
	PgSession *session = link->session;
	const gchar *name = pg_ipc_message_get_string(msg, "room");
	g_autofree gchar *key = g_utf8_strdown(name, -1);
	PgRoom *room = g_hash_table_lookup(link->rooms, key);
	g_autoptr(GVariant) occupants = pg_ipc_message_get_value(msg, "occupants");
	const gchar *subject = pg_ipc_message_get_string(msg, "subject");
	GVariantIter iter;
	const gchar *nick;
	const gchar *flags;
	g_autofree gchar *requested = NULL;
	GHashTableIter resources;
	gpointer to;

	if (room == NULL) {
		/* joined without the user asking (e.g. a forced join): leave it be */
		g_debug("%s: joined %s, which no resource asked for", link->account, name);
		return;
	}
	requested = g_strdup(room->nick);
	g_free(room->nick);
	room->nick = g_strdup(pg_ipc_message_get_string(msg, "nick"));
	g_free(room->subject);
	room->subject = g_strdup(subject);
	g_hash_table_remove_all(room->occupants);
	g_variant_iter_init(&iter, occupants);
	while (g_variant_iter_next(&iter, "(&s&s)", &nick, &flags))
		g_hash_table_insert(room->occupants, g_strdup(nick), g_strdup(flags));
	if (!g_hash_table_contains(room->occupants, room->nick))
		g_hash_table_insert(room->occupants, g_strdup(room->nick), g_strdup(""));
	room->joined = TRUE;
	g_hash_table_iter_init(&resources, room->resources);
	while (g_hash_table_iter_next(&resources, &to, NULL))
		pg_room_send_state(session, room, to, requested);
	/* what the user wrote while the room was being (re)joined */
	pg_room_flush(link, room->name);
}

void
pg_room_on_occupant(PgLink *link, const PgIpcMessage *msg)
{
	enum { ROOM, NICK, CHANGE, NEW_NICK, REASON, FLAGS };
	PgEventField fields[] = {
	    [ROOM] = {.name = "room"},     [NICK] = {.name = "nick"},
	    [CHANGE] = {.name = "change"}, [NEW_NICK] = {.name = "new_nick"},
	    [REASON] = {.name = "reason"}, [FLAGS] = {.name = "flags"},
	};
	PgSession *session = link->session;
	PgRoom *room;
	const gchar *nick;
	const gchar *change;
	const gchar *new_nick;
	const gchar *reason;
	gboolean self;
	g_autofree gchar *flags = NULL;

	/* a join storm of N users is N^2 / 2 of these */
	pg_room_event_read(msg, fields, G_N_ELEMENTS(fields));
	room = fields[ROOM].string != NULL ? pg_room_find(link, fields[ROOM].string) : NULL;
	nick = fields[NICK].string;
	change = fields[CHANGE].string;
	new_nick = fields[NEW_NICK].string;
	reason = fields[REASON].string;
	self = room != NULL && g_strcmp0(nick, room->nick) == 0;
	if (room == NULL || !room->joined)
		return;
	flags = g_strdup(g_hash_table_lookup(room->occupants, nick));
	if (g_strcmp0(change, "join") == 0) {
		g_hash_table_insert(room->occupants, g_strdup(nick), g_strdup(""));
		pg_room_broadcast_occupant(session, room, nick, "", NULL, NULL, NULL, NULL);
	} else if (g_strcmp0(change, "nick") == 0 && new_nick != NULL) {
		/* XEP-0045 §7.6: unavailable with 303 and the new nick, then available */
		gint statuses[3] = {PG_MUC_STATUS_NICK_CHANGED, self ? PG_MUC_STATUS_SELF : 0, 0};
		gint self_statuses[2] = {self ? PG_MUC_STATUS_SELF : 0, 0};
		pg_room_broadcast_occupant(session, room, nick, flags, "unavailable", statuses,
					   new_nick, NULL);
		g_hash_table_remove(room->occupants, nick);
		g_hash_table_insert(room->occupants, g_strdup(new_nick),
				    g_strdup(flags != NULL ? flags : ""));
		if (self) {
			g_free(room->nick);
			room->nick = g_strdup(new_nick);
		}
		pg_room_broadcast_occupant(session, room, new_nick, flags, NULL, self_statuses,
					   NULL, NULL);
	} else if (g_strcmp0(change, "kick") == 0) {
		/* XEP-0045 §8.2: role none, status 307 (+110 for ourselves); the
		 * kick of a ban the user asked for is §9.1's 301 */
		g_autofree gchar *folded = g_utf8_casefold(nick, -1);
		gboolean banned = room->banning != NULL && g_hash_table_remove(room->banning, folded);
		gint statuses[3] = {banned ? PG_MUC_STATUS_BANNED : PG_MUC_STATUS_KICKED,
				    self ? PG_MUC_STATUS_SELF : 0, 0};
		pg_room_broadcast_occupant(session, room, nick, flags, "unavailable", statuses,
					   NULL, reason);
		g_hash_table_remove(room->occupants, nick);
		if (self) {
			g_autofree gchar *key = g_utf8_strdown(room->name, -1);
			g_hash_table_remove(link->rooms, key); /* frees room */
		}
	} else if (g_strcmp0(change, "flags") == 0) {
		/* XEP-0045 §9.6, §9.7: a role change is the occupant's presence
		 * again, with the new role (110 for the user's own) */
		gint self_statuses[2] = {self ? PG_MUC_STATUS_SELF : 0, 0};
		if (flags == NULL)
			return;
		g_hash_table_insert(room->occupants, g_strdup(nick),
				    g_strdup(fields[FLAGS].string != NULL ? fields[FLAGS].string : ""));
		pg_room_broadcast_occupant(session, room, nick, fields[FLAGS].string, NULL,
					   self_statuses, NULL, NULL);
	} else {
		/* part, quit */
		pg_room_broadcast_occupant(session, room, nick, flags, "unavailable", NULL, NULL,
					   reason);
		g_hash_table_remove(room->occupants, nick);
	}
}

void
pg_room_on_message(PgLink *link, const PgIpcMessage *msg)
{
	enum { ROOM, FROM, BODY, OWN };
	PgEventField fields[] = {
	    [ROOM] = {.name = "room"},
	    [FROM] = {.name = "from"},
	    [BODY] = {.name = "body"},
	    [OWN] = {.name = "own"},
	};
	PgSession *session = link->session;
	PgRoom *room;
	g_autofree gchar *id = NULL;
	g_autofree gchar *stanza_id = NULL;
	const gchar *from;
	GHashTableIter iter;
	gpointer to;

	/* the hottest event: one line in a channel is one of these per user */
	pg_room_event_read(msg, fields, G_N_ELEMENTS(fields));
	room = fields[ROOM].string != NULL ? pg_room_find(link, fields[ROOM].string) : NULL;
	if (room == NULL)
		return;
	from = fields[FROM].string;
	if (fields[OWN].boolean) {
		pg_link_queue_echoed(link, room->name);
		id = g_queue_pop_head(room->echo_ids);
		from = room->nick;
	}
	/* archived (pg-room-history.h), also while nobody is in (persistent) */
	stanza_id = pg_room_history_record(link, room, from, fields[BODY].string);
	g_hash_table_iter_init(&iter, room->resources);
	while (g_hash_table_iter_next(&iter, &to, NULL)) {
		xmpp_stanza_t *message =
		    pg_muc_message(pg_session_ctx(session), room->jid, from, to,
				   fields[BODY].string, id != NULL && id[0] != '\0' ? id : NULL);
		/* XEP-0359: the id MAM returns it with (by the room, §3) */
		if (stanza_id != NULL)
			pg_mam_add_stanza_id(message, stanza_id, room->jid);
		pg_session_send(session, message);
	}
}

void
pg_room_on_subject(PgLink *link, const PgIpcMessage *msg)
{
	PgSession *session = link->session;
	PgRoom *room = pg_room_of_event(link, msg);
	GHashTableIter iter;
	gpointer to;

	if (room == NULL)
		return;
	g_free(room->subject);
	room->subject = g_strdup(pg_ipc_message_get_string(msg, "subject"));
	if (!room->joined)
		return;
	g_hash_table_iter_init(&iter, room->resources);
	while (g_hash_table_iter_next(&iter, &to, NULL))
		pg_session_send(session, pg_muc_subject(pg_session_ctx(session), room->jid,
							pg_ipc_message_get_string(msg, "by"), to,
							room->subject));
}

void
pg_room_on_left(PgLink *link, const PgIpcMessage *msg)
{
	PgRoom *room = pg_room_of_event(link, msg);

	if (room != NULL)
		pg_room_drop(link, room, 0, pg_ipc_message_get_string(msg, "reason"));
}

/* The join presence @origin was refused: its resource is not in the room,
 * and a room nobody joined goes. */
void
pg_room_forget_join(PgLink *link, xmpp_stanza_t *origin)
{
	g_autoptr(PgJid) to = pg_jid_parse(xmpp_stanza_get_to(origin), NULL);
	g_autoptr(PgNetworkAddress) address =
	    to != NULL && to->local != NULL
		? pg_session_parse_address(link->session->transport, to, NULL)
		: NULL;
	g_autofree gchar *key = NULL;
	PgRoom *room;

	if (address == NULL || !address->is_room)
		return;
	key = g_utf8_strdown(address->name, -1);
	room = g_hash_table_lookup(link->rooms, key);
	if (room == NULL || room->joined)
		return;
	g_hash_table_remove(room->resources, xmpp_stanza_get_from(origin));
	if (g_hash_table_size(room->resources) == 0) {
		pg_link_queue_fail_room(link, room->name, PG_ERROR_SERVICE_UNAVAILABLE,
					"the room refused the join");
		g_hash_table_remove(link->rooms, key);
	}
}

/* ---------------------------------------------------------------- the link */

void
pg_room_rejoin_all(PgLink *link)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, link->rooms);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgRoom *room = value;
		gboolean queued = FALSE;
		for (GList *l = link->pending->head; l != NULL; l = l->next) {
			PgIpcMessage *msg = l->data;
			if (msg->kind == PG_IPC_CMD_JOIN_ROOM &&
			    g_strcmp0(pg_ipc_message_get_string(msg, "room"), room->name) == 0)
				queued = TRUE;
		}
		if (queued)
			continue;
		room->joined = FALSE;
		pg_link_send_join(link, room, room->nick, NULL);
	}
}

void
pg_room_on_link_lost(PgLink *link, gboolean fatal)
{
	PgSession *session = link->session;
	const gchar *what = link->server[0] != '\0' ? link->server : "the legacy network";
	GHashTableIter iter;
	gpointer value;

	if (fatal) {
		/* XEP-0045 status 332: removed because the service is gone */
		g_hash_table_iter_init(&iter, link->rooms);
		while (g_hash_table_iter_next(&iter, NULL, &value)) {
			pg_room_send_self_unavailable_all(session, value, PG_MUC_STATUS_SHUTDOWN,
							  link->last_error);
			g_hash_table_iter_remove(&iter);
		}
		return;
	}
	/* others leave the XMPP rooms until we are back; the user stays */
	g_hash_table_iter_init(&iter, link->rooms);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgRoom *room = value;
		GHashTableIter occupants;
		gpointer nick;
		GHashTableIter resources;
		gpointer to;
		g_autofree gchar *notice =
		    g_strdup_printf("Connection to %s lost (%s); reconnecting and rejoining.", what,
				    link->last_error);

		if (!room->joined)
			continue;
		g_hash_table_iter_init(&occupants, room->occupants);
		while (g_hash_table_iter_next(&occupants, &nick, NULL)) {
			if (g_strcmp0(nick, room->nick) != 0)
				pg_room_broadcast_occupant(session, room, nick, NULL, "unavailable",
							   NULL, NULL, NULL);
		}
		g_hash_table_iter_init(&resources, room->resources);
		while (g_hash_table_iter_next(&resources, &to, NULL))
			pg_session_send(session, pg_muc_message(pg_session_ctx(session), room->jid,
								NULL, to, notice, NULL));
		g_hash_table_remove_all(room->occupants);
		room->joined = FALSE;
	}
}

void
pg_room_handle_presence(PgSessionManager *self, PgTransport *transport, xmpp_stanza_t *presence,
			const gchar *user_jid, const PgNetworkAddress *address)
{
	const gchar *type = xmpp_stanza_get_type(presence);
	const gchar *from = xmpp_stanza_get_from(presence);
	g_autofree gchar *room_jid = pg_session_network(transport)->address_to_jid(
	    pg_transport_get_config(transport), address->name, address->server, NULL);
	g_autofree gchar *key = g_utf8_strdown(address->name, -1);
	PgSession *session = pg_session_lookup(self, user_jid, transport);
	g_autoptr(GError) error = NULL;
	PgLink *link;
	PgRoom *room;

	if (g_strcmp0(type, "unavailable") == 0) {
		/* XEP-0045 §7.14: leaving; the self-presence confirms it */
		link =
		    session != NULL ? g_hash_table_lookup(session->links, address->server) : NULL;
		room = link != NULL ? g_hash_table_lookup(link->rooms, key) : NULL;
		if (room == NULL || !g_hash_table_remove(room->resources, from))
			return;
		pg_room_history_unwant(room, from);
		pg_room_send_self_unavailable(session, room, from, 0, NULL);
		/* a persistent room stays joined and recording (pg-room-history.h) */
		if (g_hash_table_size(room->resources) == 0 && !room->persistent) {
			pg_link_command(link,
					pg_ipc_message_new(PG_IPC_CMD_LEAVE_ROOM, 0, "account",
							   g_variant_new_string(link->account),
							   "room", g_variant_new_string(room->name),
							   NULL),
					NULL);
			g_hash_table_remove(link->rooms, key);
		}
		return;
	}
	if (type != NULL)
		return;
	if (!pg_session_user_allowed(self, transport, user_jid)) {
		pg_transport_reply_error_code(transport, presence, PG_ERROR_REGISTRATION_REQUIRED,
					      "register with this gateway first");
		return;
	}
	if (address->resource == NULL) {
		/* XEP-0045 §7.2.1: a join names the nick */
		pg_transport_reply_error_code(transport, presence, PG_ERROR_JID_MALFORMED,
					      "join the room as room@service/nick");
		return;
	}
	session = pg_session_ensure(self, user_jid, transport);
	g_clear_handle_id(&session->grace_id, g_source_remove);
	/* a join (or a rejoin after the server restarted) proves the resource */
	pg_session_audit_presence(self->audit, transport, user_jid, from, TRUE);
	if (!g_hash_table_contains(session->resources, from))
		pg_session_set_resource(session, from, NULL, NULL);
	link = pg_limits_get_link(self->limits, session, address->server, &error);
	room = link != NULL ? g_hash_table_lookup(link->rooms, key) : NULL;
	if (link == NULL ||
	    (room == NULL && !pg_limits_allow_room(self->limits, session, &error))) {
		/* XEP-0045 §7.2: a refused join is an error presence from room/nick */
		pg_transport_reply_error(transport, presence, error);
		return;
	}
	if (room == NULL) {
		room = pg_room_new(address->name, room_jid, address->resource);
		g_hash_table_insert(link->rooms, g_strdup(key), room);
		pg_room_history_attach(link, room);
	}
	/* what this join asks of the history, sent with the room's state */
	if (!g_hash_table_contains(room->resources, from) ||
	    xmpp_stanza_get_child_by_ns(presence, PG_NS_MUC) != NULL)
		pg_room_history_want(room, from, presence);
	/* without a registration, the MUC nick is the IRC nick (pg-network.h) */
	if (link->state != PG_LINK_CONNECTED && link->state != PG_LINK_CONNECTING) {
		g_free(link->guest_nick);
		link->guest_nick = g_strdup(address->resource);
	}
	if (g_hash_table_contains(room->resources, from)) {
		/* a presence update inside the room: nothing to do on IRC.  But a
		 * join (XEP-0045 §7.2.1: it carries <x xmlns=muc/>) is a client
		 * that lost the room, e.g. its server restarted, and comes back
		 * with the same full JID: it gets the room again */
		if (room->joined && xmpp_stanza_get_child_by_ns(presence, PG_NS_MUC) != NULL)
			pg_room_send_state(session, room, from, address->resource);
		/* XEP-0045 §7.6: another nick is a nick change, which the
		 * network's occupant events show (303), or refuse (409) */
		else if (room->joined && g_strcmp0(address->resource, room->nick) != 0)
			pg_link_command(link,
					pg_ipc_message_new(PG_IPC_CMD_ROOM_ADMIN, 0, "account",
							   g_variant_new_string(link->account),
							   "room", g_variant_new_string(room->name),
							   "action", g_variant_new_string("nick"),
							   "nick",
							   g_variant_new_string(address->resource),
							   NULL),
					presence);
		return;
	}
	g_hash_table_add(room->resources, g_strdup(from));
	if (room->joined) {
		/* another resource of the same user: the room is already there */
		pg_room_send_state(session, room, from, address->resource);
		return;
	}
	pg_link_send_join(link, room, address->resource, presence);
}

void
pg_room_handle_message(PgLink *link, xmpp_stanza_t *message, const PgNetworkAddress *address,
		       const gchar *body, const gchar *subject)
{
	PgTransport *transport = link->session->transport;
	g_autofree gchar *key = g_utf8_strdown(address->name, -1);
	PgRoom *room = g_hash_table_lookup(link->rooms, key);

	/* XEP-0045 §7.4: only occupants may send to the room */
	if (room == NULL ||
	    !g_hash_table_contains(room->resources, xmpp_stanza_get_from(message))) {
		pg_transport_reply_error_code(transport, message, PG_ERROR_NOT_ACCEPTABLE,
					      "join the room before sending to it");
		return;
	}
	if (subject != NULL && body == NULL) {
		pg_link_command(link,
				pg_ipc_message_new(PG_IPC_CMD_SET_ROOM_SUBJECT, 0, "account",
						   g_variant_new_string(link->account), "room",
						   g_variant_new_string(room->name), "subject",
						   g_variant_new_string(subject), NULL),
				message);
		return;
	}
	if (body == NULL)
		return; /* chat states and the like: rooms take none */
	/* a refused line has no echo to wait for (the echo comes
	 * with a later event, after this push) */
	if (pg_link_command(link,
			    pg_ipc_message_new(PG_IPC_CMD_ROOM_MESSAGE, 0, "account",
					       g_variant_new_string(link->account), "room",
					       g_variant_new_string(room->name), "body",
					       g_variant_new_string(body), NULL),
			    message))
		g_queue_push_tail(room->echo_ids, g_strdup(xmpp_stanza_get_id(message) != NULL
							       ? xmpp_stanza_get_id(message)
							       : ""));
}

guint
pg_room_leave_all(PgSession *session)
{
	GHashTableIter links;
	gpointer value;
	guint n = 0;

	g_hash_table_iter_init(&links, session->links);
	while (g_hash_table_iter_next(&links, NULL, &value)) {
		PgLink *link = value;
		GHashTableIter rooms;
		gpointer room;
		g_hash_table_iter_init(&rooms, link->rooms);
		while (g_hash_table_iter_next(&rooms, NULL, &room)) {
			pg_room_send_self_unavailable_all(session, room, 0, NULL);
			if (link->state == PG_LINK_CONNECTED)
				pg_link_command(
				    link,
				    pg_ipc_message_new(PG_IPC_CMD_LEAVE_ROOM, 0, "account",
						       g_variant_new_string(link->account), "room",
						       g_variant_new_string(((PgRoom *)room)->name),
						       NULL),
				    NULL);
			g_hash_table_iter_remove(&rooms);
			n++;
		}
	}
	return n;
}

void
pg_room_say_goodbye(PgLink *link)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, link->rooms);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		pg_room_send_self_unavailable_all(link->session, value, PG_MUC_STATUS_SHUTDOWN,
						  "The gateway is shutting down");
}
