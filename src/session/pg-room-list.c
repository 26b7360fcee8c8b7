/* The rooms a server lists: disco#items on the server's JID (biboumi's
 * irc.example.net@gateway), paged with XEP-0059 result set management.
 *
 * DESIGN: the list comes from the user's own link to that server (IRC LIST
 * through libpurple's roomlist: list-rooms / room-list in
 * src/ipc/pg-ipc-message.h), so it is what that user may see.  One list per
 * link is kept PG_ROOM_LIST_CACHE_S seconds: paging through it asks the
 * network once, and a client that pages quickly does not make the gateway
 * send a LIST per page (a LIST of a big network is megabytes).  While a list
 * is being fetched, every disco#items for it waits on the same fetch.
 *
 * BOUNDS: a list holds at most the limit listed_rooms (session/pg-limits.h)
 * rooms; the worker stops the listing there (and says so), and the daemon
 * cuts again whatever a worker sends past it.  A cut list is counted as a
 * refusal in /metrics and the user is told once per fetch.  A page holds at
 * most PG_ROOM_LIST_PAGE_MAX items, also without XEP-0059 (§2.6 lets the
 * responder limit a result; the <set/> it returns tells the client how to
 * page on), so that no answer outgrows the XMPP server's stanza size limit.
 * A fetch that gets no answer in PG_ROOM_LIST_TIMEOUT_S seconds (the link
 * never came, the worker went) is answered with remote-server-timeout.
 *
 * ORDER: items are sorted by JID, and the JID is the XEP-0059 UID of an
 * item, so <after/> and <before/> name items as the client saw them.
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "session/pg-limits.h"
#include "session/pg-link.h"
#include "session/pg-room-list.h"
#include "stanza/pg-stanza.h"

#define PG_NS_RSM "http://jabber.org/protocol/rsm"
#define PG_ROOM_LIST_CACHE_S   60
#define PG_ROOM_LIST_TIMEOUT_S 90
#define PG_ROOM_LIST_PAGE_MAX  100
/* bytes kept of a room name and of a topic (IRC lines are 512 bytes) */
#define PG_ROOM_LIST_NAME_MAX  200
#define PG_ROOM_LIST_TOPIC_MAX 400

typedef struct {
	gchar *jid;
	gchar *name;
	guint users;
	gchar *topic;
} PgListedRoom;

typedef struct {
	PgRoomLists *owner;
	gchar *account;        /* the link's key */
	PgTransport *transport; /* borrowed: lives as long as the manager */
	gchar *user_jid;
	GPtrArray *rooms;      /* PgListedRoom, sorted by jid once complete */
	gboolean complete;
	gboolean truncated;
	gint64 fetched_at;     /* monotonic µs, when complete */
	GPtrArray *waiting;    /* xmpp_stanza_t: IQs that wait for the fetch */
	guint timeout_id;
} PgRoomList;

struct _PgRoomLists {
	GHashTable *lists; /* account key -> PgRoomList (owned) */
};

static void
pg_listed_room_free(PgListedRoom *room)
{
	g_free(room->jid);
	g_free(room->name);
	g_free(room->topic);
	g_free(room);
}

static void
pg_room_list_release(gpointer stanza)
{
	xmpp_stanza_release(stanza);
}

static void
pg_room_list_free(PgRoomList *list)
{
	g_clear_handle_id(&list->timeout_id, g_source_remove);
	g_ptr_array_unref(list->rooms);
	g_ptr_array_unref(list->waiting);
	g_free(list->account);
	g_free(list->user_jid);
	g_free(list);
}

PgRoomLists *
pg_room_lists_new(void)
{
	PgRoomLists *self = g_new0(PgRoomLists, 1);
	self->lists = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					    (GDestroyNotify)pg_room_list_free);
	return self;
}

void
pg_room_lists_free(PgRoomLists *self)
{
	if (self == NULL)
		return;
	g_hash_table_unref(self->lists);
	g_free(self);
}

/* ---------------------------------------------------------------- paging */

static gint
pg_room_list_compare(gconstpointer a, gconstpointer b)
{
	const PgListedRoom *left = *(const PgListedRoom *const *)a;
	const PgListedRoom *right = *(const PgListedRoom *const *)b;
	return strcmp(left->jid, right->jid);
}

/* The index of the item whose UID is @jid, or -1. */
static gint
pg_room_list_find(const PgRoomList *list, const gchar *jid)
{
	for (guint i = 0; i < list->rooms->len; i++) {
		const PgListedRoom *room = g_ptr_array_index(list->rooms, i);
		if (strcmp(room->jid, jid) == 0)
			return (gint)i;
	}
	return -1;
}

/* Answer @iq with the page its <set/> asks for (XEP-0059 §2.1-2.5). */
static void
pg_room_list_answer(PgRoomList *list, xmpp_stanza_t *iq)
{
	xmpp_stanza_t *query = xmpp_stanza_get_child_by_ns(iq, PG_NS_DISCO_ITEMS);
	xmpp_stanza_t *set = query != NULL ? xmpp_stanza_get_child_by_ns(query, PG_NS_RSM) : NULL;
	g_autofree gchar *max_text = set != NULL ? pg_stanza_get_child_text(set, "max") : NULL;
	g_autofree gchar *after = set != NULL ? pg_stanza_get_child_text(set, "after") : NULL;
	xmpp_stanza_t *before_el = set != NULL ? xmpp_stanza_get_child_by_name(set, "before") : NULL;
	g_autofree gchar *before = set != NULL ? pg_stanza_get_child_text(set, "before") : NULL;
	guint64 max = PG_ROOM_LIST_PAGE_MAX;
	guint start = 0;
	guint stop = list->rooms->len; /* the page ends before this index */
	guint end;
	g_autoptr(xmpp_stanza_t) reply = NULL;
	xmpp_stanza_t *result;
	xmpp_stanza_t *rsm;
	g_autofree gchar *count = NULL;

	if (max_text != NULL &&
	    !g_ascii_string_to_unsigned(max_text, 10, 0, G_MAXUINT32, &max, NULL)) {
		pg_transport_reply_error_code(list->transport, iq, PG_ERROR_BAD_REQUEST,
					      "<max/> is not a number");
		return;
	}
	max = MIN(max, PG_ROOM_LIST_PAGE_MAX);
	if (after != NULL && after[0] != '\0') {
		gint at = pg_room_list_find(list, after);
		if (at < 0) {
			pg_transport_reply_error_code(list->transport, iq, PG_ERROR_ITEM_NOT_FOUND,
						      "no such item to page after");
			return;
		}
		start = (guint)at + 1;
	} else if (before_el != NULL) {
		/* XEP-0059 §2.5: an empty <before/> asks for the last page */
		if (before != NULL && before[0] != '\0') {
			gint at = pg_room_list_find(list, before);
			if (at < 0) {
				pg_transport_reply_error_code(list->transport, iq,
							      PG_ERROR_ITEM_NOT_FOUND,
							      "no such item to page before");
				return;
			}
			stop = (guint)at;
		}
		start = stop > max ? stop - (guint)max : 0;
	}
	end = MIN(stop, start + (guint)max);

	reply = pg_stanza_iq_result(iq);
	if (reply == NULL)
		return;
	result = pg_stanza_add_child(reply, "query", PG_NS_DISCO_ITEMS);
	for (guint i = start; i < end; i++) {
		const PgListedRoom *room = g_ptr_array_index(list->rooms, i);
		xmpp_stanza_t *item = pg_stanza_add_child(result, "item", NULL);
		pg_stanza_set_name_attribute(item, "jid", room->jid);
		pg_stanza_set_attribute(item, "name", room->name);
	}
	rsm = pg_stanza_add_child(result, "set", PG_NS_RSM);
	if (end > start) {
		const PgListedRoom *first = g_ptr_array_index(list->rooms, start);
		const PgListedRoom *last = g_ptr_array_index(list->rooms, end - 1);
		g_autofree gchar *index = g_strdup_printf("%u", start);
		xmpp_stanza_t *first_el = pg_stanza_add_text_child(rsm, "first", first->jid);
		xmpp_stanza_set_attribute(first_el, "index", index);
		pg_stanza_add_text_child(rsm, "last", last->jid);
	}
	count = g_strdup_printf("%u", list->rooms->len);
	pg_stanza_add_text_child(rsm, "count", count);
	pg_transport_send(list->transport, reply);
}

/* ---------------------------------------------------------------- fetching */

static void
pg_room_list_fail(PgRoomList *list, const gchar *condition, const gchar *text)
{
	for (guint i = 0; i < list->waiting->len; i++) {
		xmpp_stanza_t *reply =
		    pg_stanza_reply_error(g_ptr_array_index(list->waiting, i), "cancel", condition, text);
		if (reply != NULL) {
			pg_transport_send(list->transport, reply);
			xmpp_stanza_release(reply);
		}
	}
	/* the list goes: a later query fetches again */
	g_hash_table_remove(list->owner->lists, list->account);
}

static gboolean
pg_room_list_timeout_cb(gpointer user_data)
{
	PgRoomList *list = user_data;
	list->timeout_id = 0;
	pg_room_list_fail(list, "remote-server-timeout",
			  "the IRC server did not give its channel list in time");
	return G_SOURCE_REMOVE;
}

static PgRoomList *
pg_room_list_fetch(PgRoomLists *self, PgLink *link)
{
	PgSession *session = link->session;
	PgRoomList *list = g_new0(PgRoomList, 1);
	const PgTransportConfig *config = pg_transport_get_config(session->transport);
	guint max = pg_limits_get_value(session->manager->limits, config, PG_LIMIT_LISTED_ROOMS);
	PgIpcMessage *msg;

	list->owner = self;
	list->account = g_strdup(link->account);
	list->transport = session->transport;
	list->user_jid = g_strdup(session->user_jid);
	list->rooms = g_ptr_array_new_with_free_func((GDestroyNotify)pg_listed_room_free);
	list->waiting = g_ptr_array_new_with_free_func(pg_room_list_release);
	g_hash_table_replace(self->lists, list->account, list);
	msg = pg_ipc_message_new(PG_IPC_CMD_LIST_ROOMS, 0, "account",
				 g_variant_new_string(link->account), "max",
				 g_variant_new_uint32(max == 0 ? G_MAXUINT32 : max), NULL);
	list->timeout_id = g_timeout_add_seconds(PG_ROOM_LIST_TIMEOUT_S, pg_room_list_timeout_cb, list);
	if (!pg_link_command(link, msg, NULL)) {
		pg_room_list_fail(list, "service-unavailable",
				  "the IRC connection cannot take the request now");
		return NULL;
	}
	return list;
}

static void
pg_room_list_prune(PgRoomLists *self)
{
	GHashTableIter iter;
	gpointer value;
	gint64 now = g_get_monotonic_time();

	g_hash_table_iter_init(&iter, self->lists);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgRoomList *list = value;
		if (list->complete && now - list->fetched_at > PG_ROOM_LIST_CACHE_S * G_USEC_PER_SEC)
			g_hash_table_iter_remove(&iter);
	}
}

static void
pg_room_list_disco_info(PgTransport *transport, xmpp_stanza_t *iq, const PgNetworkAddress *server)
{
	g_autoptr(xmpp_stanza_t) reply = pg_stanza_iq_result(iq);
	xmpp_stanza_t *query;
	xmpp_stanza_t *identity;
	static const gchar *const features[] = {PG_NS_DISCO_INFO, PG_NS_DISCO_ITEMS, PG_NS_RSM,
						"http://jabber.org/protocol/commands"};

	if (reply == NULL)
		return;
	query = pg_stanza_add_child(reply, "query", PG_NS_DISCO_INFO);
	/* XEP-0045 §6.1: a chat service; its rooms are its disco#items */
	identity = pg_stanza_add_child(query, "identity", NULL);
	xmpp_stanza_set_attribute(identity, "category", "conference");
	xmpp_stanza_set_attribute(identity, "type", pg_session_network(transport)->room_disco_type);
	pg_stanza_set_attribute(identity, "name", server->server);
	for (gsize i = 0; i < G_N_ELEMENTS(features); i++) {
		xmpp_stanza_t *feature = pg_stanza_add_child(query, "feature", NULL);
		xmpp_stanza_set_attribute(feature, "var", features[i]);
	}
	pg_transport_send(transport, reply);
}

gboolean
pg_room_lists_handle_iq(PgSessionManager *manager, PgTransport *transport, xmpp_stanza_t *iq,
			const gchar *user_jid, const PgNetworkAddress *server)
{
	PgRoomLists *self = manager->room_lists;
	g_autoptr(GError) error = NULL;
	PgSession *session;
	PgLink *link;
	PgRoomList *list;

	if (g_strcmp0(xmpp_stanza_get_type(iq), "get") != 0)
		return FALSE;
	if (xmpp_stanza_get_child_by_ns(iq, PG_NS_DISCO_INFO) != NULL) {
		pg_room_list_disco_info(transport, iq, server);
		return TRUE;
	}
	if (xmpp_stanza_get_child_by_ns(iq, PG_NS_DISCO_ITEMS) == NULL)
		return FALSE;
	/* registered, or a guest where the network takes them (pg-session-private.h) */
	if (!pg_session_user_allowed(manager, transport, user_jid)) {
		pg_transport_reply_error_code(transport, iq, PG_ERROR_REGISTRATION_REQUIRED,
					      "register with this gateway first");
		return TRUE;
	}
	session = pg_session_ensure(manager, user_jid, transport);
	link = pg_limits_get_link(manager->limits, session, server->server, &error);
	if (link == NULL) {
		pg_transport_reply_error(transport, iq, error);
		return TRUE;
	}
	pg_room_list_prune(self);
	list = g_hash_table_lookup(self->lists, link->account);
	if (list != NULL && list->complete) {
		pg_room_list_answer(list, iq);
		return TRUE;
	}
	if (list == NULL)
		list = pg_room_list_fetch(self, link);
	if (list != NULL)
		g_ptr_array_add(list->waiting, xmpp_stanza_clone(iq));
	else
		pg_transport_reply_error_code(transport, iq, PG_ERROR_SERVICE_UNAVAILABLE,
					      "the IRC connection cannot take the request now");
	return TRUE;
}

/* Whether @name may become a room JID: a name of bounded size. */
static gboolean
pg_room_list_takes(const gchar *name)
{
	return name[0] != '\0' && strlen(name) <= PG_ROOM_LIST_NAME_MAX;
}

void
pg_room_lists_on_event(PgLink *link, const PgIpcMessage *msg)
{
	PgSessionManager *manager = link->session->manager;
	PgRoomList *list = g_hash_table_lookup(manager->room_lists->lists, link->account);
	const PgTransportConfig *config = pg_transport_get_config(link->session->transport);
	const PgNetwork *network = pg_session_network(link->session->transport);
	guint max = pg_limits_get_value(manager->limits, config, PG_LIMIT_LISTED_ROOMS);
	g_autoptr(GVariant) rooms = pg_ipc_message_get_value(msg, "rooms");
	GVariantIter iter;
	const gchar *name;
	const gchar *topic;
	guint32 users;

	/* an answer to a request we gave up on (timeout, link down) */
	if (list == NULL || list->complete)
		return;
	if (pg_ipc_message_get_string(msg, "error") != NULL) {
		pg_room_list_fail(list, "service-unavailable",
				  pg_ipc_message_get_string(msg, "error"));
		return;
	}
	g_variant_iter_init(&iter, rooms);
	while (g_variant_iter_next(&iter, "(&su&s)", &name, &users, &topic)) {
		PgListedRoom *room;
		g_autoptr(PgJid) jid = NULL;
		if (max != 0 && list->rooms->len >= max) {
			list->truncated = TRUE;
			break;
		}
		room = g_new0(PgListedRoom, 1);
		room->jid = network->address_to_jid(config, name, link->server, NULL);
		/* a name that makes no room JID of ours (a worker's nonsense) */
		jid = pg_jid_parse(room->jid, NULL);
		if (!pg_room_list_takes(name) || jid == NULL || jid->local == NULL ||
		    !pg_network_check_address(config, jid, NULL)) {
			pg_listed_room_free(room);
			continue;
		}
		room->name = g_strdup(name);
		room->users = users;
		room->topic = g_utf8_make_valid(topic, MIN(strlen(topic), PG_ROOM_LIST_TOPIC_MAX));
		g_ptr_array_add(list->rooms, room);
	}
	if (!pg_ipc_message_get_boolean(msg, "complete", FALSE))
		return;
	list->truncated |= pg_ipc_message_get_boolean(msg, "truncated", FALSE);
	list->complete = TRUE;
	list->fetched_at = g_get_monotonic_time();
	g_clear_handle_id(&list->timeout_id, g_source_remove);
	g_ptr_array_sort(list->rooms, pg_room_list_compare);
	if (list->truncated) {
		g_autoptr(GError) error = NULL;
		/* counted in /metrics; the user learns why the list ends early */
		if (!pg_limits_check(manager->limits, config, PG_LIMIT_LISTED_ROOMS, max, 1, &error))
			pg_session_notice(link->session, "%s lists more channels than shown: %s",
					  link->server, error->message);
	}
	for (guint i = 0; i < list->waiting->len; i++)
		pg_room_list_answer(list, g_ptr_array_index(list->waiting, i));
	g_ptr_array_set_size(list->waiting, 0);
}

void
pg_room_lists_on_link_down(PgLink *link)
{
	PgRoomList *list =
	    g_hash_table_lookup(link->session->manager->room_lists->lists, link->account);

	if (list == NULL || list->complete)
		return; /* what the server said a moment ago: it ages out */
	/* a list-rooms still waiting for the link goes when it comes back */
	for (GList *l = link->pending->head; l != NULL; l = l->next) {
		if (((PgIpcMessage *)l->data)->kind == PG_IPC_CMD_LIST_ROOMS)
			return;
	}
	pg_room_list_fail(list, "remote-server-timeout",
			  "the IRC connection went before the channel list came");
}
