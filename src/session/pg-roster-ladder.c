/* The roster ladder: how the legacy buddy list reaches the user's roster.
 *
 * DESIGN (issue 9, item 5): three rungs, the best
 * one the user's server and clients allow, chosen afresh each time
 * (pg_roster_ladder_mode()):
 *   1. privileged: the server made the component a privileged entity with
 *      write access to its users' rosters (XEP-0356, pg-privilege.c keeps
 *      the grant).  Each buddy is a roster set (RFC 6121 §2.1.5, one item
 *      per set) with its name, its group and subscription both, so the
 *      user's server shows it at once, with presence both ways, and asks
 *      nothing.  With read access too, the roster is read first and only
 *      the difference is written: the missing contacts of this transport
 *      are added, those no longer on the legacy list are removed, and an
 *      item the user renamed or regrouped keeps the user's choice.  The
 *      server may refuse the write (ejabberd 23.01's mod_privilege answers
 *      every roster set with internal-server-error, its issue #3942): the
 *      session then drops to the next rung and offers the list there.
 *   2. rosterx: a resource of the user advertises XEP-0144 in disco#info
 *      (asked once per resource when it comes online).  The list goes to
 *      it as roster item exchange suggestions (add, modify, delete: never
 *      two actions in one stanza, at most PG_ROSTER_EXCHANGE_ITEMS_MAX
 *      items, XEP-0144 §6), and the client asks the user (§3.1).  They go
 *      in a <message/>, which every such client takes; §5 would rather
 *      have an IQ to a resource known online.
 *   3. subscription: each buddy asks to be added, with its nickname
 *      (XEP-0172 §4.2), at every new session: RFC 6121 §3.1.3 has the
 *      user's server answer a request already approved by itself.
 *
 * WHEN: the worker sends the whole list in one burst at sign-on (ipc/
 * pg-ipc-message.h), so the list is offered PG_ROSTER_SETTLE_MS after the
 * first buddy (or the sign-on), in one go: a privileged sync needs the
 * whole list to know what is stale, and a XEP-0144 client gets one
 * suggestion, not a hundred.  After that each change goes as it comes.
 *
 * REMOVAL: whatever the rung, a contact the user removes from the roster
 * removes the legacy buddy (pg-roster.c): RFC 6121 §2.5.2 makes the user's
 * server send unsubscribe (and unsubscribed) for an item with a
 * subscription, and every rung gives the contact one: both on rung 1, to
 * once the user approved on rung 3, and on rung 2 the client asks for the
 * contact's presence when it takes a suggestion (XEP-0144 §3.1).
 * XEP-0356 v0.4's roster pushes to the privileged entity would tell more,
 * but neither Debian 12's mod_privilege nor ejabberd 23.01 sends them, so
 * nothing here waits for them.
 *
 * Answers to our IQs come back later, maybe after the session ended: each
 * callback finds its session again by user and transport.
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "session/pg-roster-ladder.h"
#include "stanza/pg-jid.h"
#include "stanza/pg-stanza.h"

#define PG_ROSTER_RESOURCES_MAX 64 /* resources per user asked for their features */

/* ---------------------------------------------------------------- builders */

static void
pg_roster_item_fill(xmpp_stanza_t *item, const gchar *contact, const PgRosterBuddy *buddy)
{
	pg_stanza_set_name_attribute(item, "jid", contact);
	if (buddy != NULL && buddy->alias != NULL && buddy->alias[0] != '\0')
		pg_stanza_set_attribute(item, "name", buddy->alias);
	/* RFC 6121 §2.1.2.2: a <group/> is never empty */
	if (buddy != NULL && buddy->group != NULL && buddy->group[0] != '\0')
		pg_stanza_add_text_child(item, "group", buddy->group);
}

xmpp_stanza_t *
pg_roster_push_new(xmpp_ctx_t *ctx, const gchar *user_jid, const gchar *contact,
		   const PgRosterBuddy *buddy)
{
	xmpp_stanza_t *iq = xmpp_iq_new(ctx, "set", NULL);
	xmpp_stanza_t *query = pg_stanza_add_child(iq, "query", PG_NS_ROSTER);
	xmpp_stanza_t *item = pg_stanza_add_child(query, "item", NULL);

	pg_stanza_set_to(iq, user_jid);
	pg_roster_item_fill(item, contact, buddy);
	xmpp_stanza_set_attribute(item, "subscription", buddy != NULL ? "both" : "remove");
	return iq;
}

xmpp_stanza_t *
pg_roster_exchange_new(xmpp_ctx_t *ctx, const gchar *to)
{
	xmpp_stanza_t *message = xmpp_message_new(ctx, NULL, NULL, NULL);

	pg_stanza_set_to(message, to);
	pg_stanza_add_child(message, "x", PG_NS_ROSTERX);
	return message;
}

void
pg_roster_exchange_add(xmpp_stanza_t *exchange, const gchar *action, const gchar *contact,
		       const PgRosterBuddy *buddy)
{
	xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(exchange, "x", PG_NS_ROSTERX);
	xmpp_stanza_t *item = pg_stanza_add_child(x, "item", NULL);

	xmpp_stanza_set_attribute(item, "action", action);
	pg_roster_item_fill(item, contact, buddy);
}

/* ---------------------------------------------------------------- the rung */

static gboolean
pg_roster_ladder_has_list(PgTransport *transport)
{
	return pg_network_has(pg_session_network(transport), PG_NETWORK_BUDDY_LIST);
}

/* The available resource of the user that takes XEP-0144, or NULL. */
static const gchar *
pg_roster_ladder_exchange_resource(PgSession *session)
{
	GHashTableIter iter;
	gpointer key;
	gpointer value;

	if (session->roster_resources == NULL)
		return NULL;
	g_hash_table_iter_init(&iter, session->roster_resources);
	while (g_hash_table_iter_next(&iter, &key, &value))
		if ((GPOINTER_TO_UINT(value) & PG_ROSTER_RESOURCE_ROSTERX) != 0 &&
		    g_hash_table_contains(session->resources, key))
			return key;
	return NULL;
}

static guint
pg_roster_ladder_access(PgSession *session)
{
	g_autoptr(PgJid) user = pg_jid_parse(session->user_jid, NULL);

	return user != NULL ? pg_transport_roster_access(session->transport, user->domain) : 0;
}

PgRosterMode
pg_roster_ladder_mode(PgSession *session)
{
	if (session->roster_failure == NULL &&
	    (pg_roster_ladder_access(session) & PG_TRANSPORT_ROSTER_SET) != 0)
		return PG_ROSTER_MODE_PRIVILEGED;
	if (pg_roster_ladder_exchange_resource(session) != NULL)
		return PG_ROSTER_MODE_EXCHANGE;
	return PG_ROSTER_MODE_SUBSCRIBE;
}

const gchar *
pg_roster_mode_to_string(PgRosterMode mode)
{
	switch (mode) {
	case PG_ROSTER_MODE_PRIVILEGED:
		return "privileged";
	case PG_ROSTER_MODE_EXCHANGE:
		return "rosterx";
	case PG_ROSTER_MODE_SUBSCRIBE:
	default:
		return "subscription";
	}
}

/* ------------------------------------------------------ answers to our IQs */

/* Who an IQ was about, for its answer: the session is looked up again. */
typedef struct {
	PgSessionManager *manager;
	gchar *user_jid;
	gchar *subject; /* the link's server, a contact JID or a resource */
	gboolean remove; /* a roster set that removes @subject */
} PgLadderCall;

static PgLadderCall *
pg_ladder_call_new(PgSession *session, const gchar *subject, gboolean remove)
{
	PgLadderCall *call = g_new0(PgLadderCall, 1);

	call->manager = session->manager;
	call->user_jid = g_strdup(session->user_jid);
	call->subject = g_strdup(subject);
	call->remove = remove;
	return call;
}

static void
pg_ladder_call_free(gpointer data)
{
	PgLadderCall *call = data;

	g_free(call->user_jid);
	g_free(call->subject);
	g_free(call);
}

/* The RFC 6120 §8.3.3 condition of an error answer, or a word for none. */
static const gchar *
pg_roster_ladder_condition(xmpp_stanza_t *reply)
{
	xmpp_stanza_t *error = reply != NULL ? xmpp_stanza_get_child_by_name(reply, "error") : NULL;

	if (reply == NULL)
		return "no answer";
	for (xmpp_stanza_t *child = error != NULL ? xmpp_stanza_get_children(error) : NULL;
	     child != NULL; child = xmpp_stanza_get_next(child))
		if (xmpp_stanza_is_tag(child) &&
		    g_strcmp0(xmpp_stanza_get_ns(child), PG_NS_STANZAS) == 0 &&
		    g_strcmp0(xmpp_stanza_get_name(child), "text") != 0)
			return xmpp_stanza_get_name(child);
	return "undefined-condition";
}

/* ------------------------------------------------------ privileged pushes */

static void pg_roster_ladder_pump(PgSession *session);

/* What waits to be pushed is not sent. */
static void
pg_roster_ladder_drop_pushes(PgSession *session)
{
	xmpp_stanza_t *iq;

	while (session->roster_pushes != NULL &&
	       (iq = g_queue_pop_head(session->roster_pushes)) != NULL)
		xmpp_stanza_release(iq);
}

/* The server would not write the roster: the session drops a rung, and
 * what it had offered by push is offered again there. */
static void
pg_roster_ladder_fail(PgSession *session, const gchar *condition)
{
	GHashTableIter iter;
	gpointer value;

	if (session->roster_failure != NULL)
		return;
	session->roster_failure = g_strdup(condition);
	if (session->roster_pushes != NULL)
		pg_roster_ladder_drop_pushes(session);
	g_warning("%s: the server refused a privileged roster push (%s); the contact list goes "
		  "by %s now",
		  session->user_jid, condition,
		  pg_roster_mode_to_string(pg_roster_ladder_mode(session)));
	g_hash_table_iter_init(&iter, session->links);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgLink *link = value;
		if (link->roster_synced)
			pg_roster_ladder_sync(link);
	}
}

static void
pg_roster_ladder_push_answer_cb(PgTransport *transport, xmpp_stanza_t *reply, gpointer user_data)
{
	PgLadderCall *call = user_data;
	PgSession *session = pg_session_lookup(call->manager, call->user_jid, transport);
	g_autoptr(PgJid) contact = NULL;
	g_autoptr(PgNetworkAddress) address = NULL;
	PgRosterBuddy *buddy;
	PgLink *link;

	if (session == NULL)
		return;
	if (session->roster_in_flight > 0)
		session->roster_in_flight--;
	if (reply == NULL) {
		/* the stream went or the server is slow: the next sync redoes it */
		if (session->roster_pushes != NULL)
			pg_roster_ladder_drop_pushes(session);
		return;
	}
	if (g_strcmp0(xmpp_stanza_get_type(reply), "result") != 0) {
		const gchar *condition = pg_roster_ladder_condition(reply);
		/* RFC 6121 §2.5.3: removing what is not there is item-not-found */
		if (!(call->remove && g_strcmp0(condition, "item-not-found") == 0)) {
			pg_roster_ladder_fail(session, condition);
			return;
		}
	} else if (!call->remove) {
		/* in the roster now: its presence once more, for a client that
		 * dropped presence from a JID not in the roster */
		contact = pg_jid_parse(call->subject, NULL);
		address = contact != NULL ? pg_session_parse_address(transport, contact, NULL) : NULL;
		link = address != NULL ? g_hash_table_lookup(session->links, address->server) : NULL;
		buddy = link != NULL ? g_hash_table_lookup(pg_roster_buddies(link), address->name)
				     : NULL;
		if (buddy != NULL && g_strcmp0(buddy->status, "offline") != 0)
			pg_roster_send_presence(link, call->subject, buddy->status, buddy->message);
	}
	pg_roster_ladder_pump(session);
}

static void
pg_roster_ladder_pump(PgSession *session)
{
	while (session->roster_pushes != NULL && !g_queue_is_empty(session->roster_pushes) &&
	       session->roster_in_flight < PG_ROSTER_PUSH_WINDOW) {
		g_autoptr(xmpp_stanza_t) iq = g_queue_pop_head(session->roster_pushes);
		xmpp_stanza_t *item = xmpp_stanza_get_child_by_name(
		    xmpp_stanza_get_child_by_ns(iq, PG_NS_ROSTER), "item");

		session->roster_in_flight++;
		pg_transport_send_iq(
		    session->transport, iq, pg_roster_ladder_push_answer_cb,
		    pg_ladder_call_new(session, xmpp_stanza_get_attribute(item, "jid"),
				       g_strcmp0(xmpp_stanza_get_attribute(item, "subscription"),
						 "remove") == 0),
		    pg_ladder_call_free);
	}
}

/* Queue the roster set @iq (transfer full) for the user. */
static void
pg_roster_ladder_push(PgSession *session, xmpp_stanza_t *iq)
{
	if (session->roster_pushes == NULL)
		session->roster_pushes = g_queue_new();
	g_queue_push_tail(session->roster_pushes, iq);
	pg_roster_ladder_pump(session);
}

static void
pg_roster_ladder_push_buddy(PgLink *link, const gchar *contact, const PgRosterBuddy *buddy)
{
	PgSession *session = link->session;

	pg_roster_ladder_push(session, pg_roster_push_new(pg_session_ctx(session),
							  session->user_jid, contact, buddy));
}

/* A case-blind key for a contact JID: servers store the local part
 * case-mapped (RFC 7622 §3.3.1), the legacy id may not be. */
static gchar *
pg_roster_ladder_key(const gchar *jid)
{
	g_autoptr(PgJid) parsed = pg_jid_parse(jid, NULL);

	return parsed != NULL ? g_utf8_casefold(parsed->bare, -1) : NULL;
}

/* The user's roster as the server sent it: add what is missing, give a
 * contact without subscription both its subscription (keeping the user's
 * name and groups), and remove the contacts of this link that are no
 * longer buddies, unless the list was cut (max_contacts_per_user). */
static void
pg_roster_ladder_reconcile(PgLink *link, xmpp_stanza_t *query)
{
	PgSession *session = link->session;
	PgTransport *transport = session->transport;
	g_autoptr(GHashTable) present =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GHashTableIter iter;
	gpointer key;
	gpointer value;
	guint added = 0;
	guint removed = 0;

	for (xmpp_stanza_t *item = xmpp_stanza_get_children(query); item != NULL;
	     item = xmpp_stanza_get_next(item)) {
		g_autoptr(PgJid) jid = NULL;
		g_autoptr(PgNetworkAddress) address = NULL;

		if (!xmpp_stanza_is_tag(item) || g_strcmp0(xmpp_stanza_get_name(item), "item") != 0)
			continue;
		jid = pg_jid_parse(xmpp_stanza_get_attribute(item, "jid"), NULL);
		/* only this transport's contacts, never the transport itself */
		if (jid == NULL || jid->local == NULL || jid->resource != NULL ||
		    g_ascii_strcasecmp(jid->domain, pg_transport_get_jid(transport)) != 0)
			continue;
		address = pg_session_parse_address(transport, jid, NULL);
		if (address == NULL || address->is_room || g_strcmp0(address->server, link->server) != 0)
			continue;
		g_hash_table_replace(present, g_utf8_casefold(jid->bare, -1), item);
	}
	g_hash_table_iter_init(&iter, pg_roster_buddies(link));
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		g_autofree gchar *contact = pg_roster_contact_jid(link, key);
		g_autofree gchar *wanted = contact != NULL ? pg_roster_ladder_key(contact) : NULL;
		xmpp_stanza_t *item = wanted != NULL ? g_hash_table_lookup(present, wanted) : NULL;

		if (wanted == NULL)
			continue;
		if (item == NULL) {
			pg_roster_ladder_push_buddy(link, contact, value);
			added++;
		} else if (g_strcmp0(xmpp_stanza_get_attribute(item, "subscription"), "both") != 0) {
			xmpp_stanza_t *iq = xmpp_iq_new(pg_session_ctx(session), "set", NULL);
			xmpp_stanza_t *copy = xmpp_stanza_copy(item);

			pg_stanza_set_to(iq, session->user_jid);
			xmpp_stanza_set_attribute(copy, "subscription", "both");
			xmpp_stanza_del_attribute(copy, "ask");
			xmpp_stanza_add_child(pg_stanza_add_child(iq, "query", PG_NS_ROSTER), copy);
			xmpp_stanza_release(copy);
			pg_roster_ladder_push(session, iq);
		}
		g_hash_table_remove(present, wanted);
	}
	if (!link->buddies_full) {
		g_hash_table_iter_init(&iter, present);
		while (g_hash_table_iter_next(&iter, NULL, &value)) {
			pg_roster_ladder_push_buddy(link, xmpp_stanza_get_attribute(value, "jid"),
						    NULL);
			removed++;
		}
	}
	g_info("%s: roster synced by XEP-0356: %u added, %u removed", link->account, added,
	       removed);
}

static void
pg_roster_ladder_push_all(PgLink *link)
{
	GHashTableIter iter;
	gpointer key;
	gpointer value;

	g_hash_table_iter_init(&iter, pg_roster_buddies(link));
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		g_autofree gchar *contact = pg_roster_contact_jid(link, key);
		if (contact != NULL)
			pg_roster_ladder_push_buddy(link, contact, value);
	}
}

static void
pg_roster_ladder_roster_cb(PgTransport *transport, xmpp_stanza_t *reply, gpointer user_data)
{
	PgLadderCall *call = user_data;
	PgSession *session = pg_session_lookup(call->manager, call->user_jid, transport);
	PgLink *link = session != NULL ? g_hash_table_lookup(session->links, call->subject) : NULL;
	xmpp_stanza_t *query = reply != NULL ? xmpp_stanza_get_child_by_ns(reply, PG_NS_ROSTER)
					     : NULL;

	if (link == NULL)
		return;
	if (reply != NULL && g_strcmp0(xmpp_stanza_get_type(reply), "result") == 0 &&
	    query != NULL) {
		pg_roster_ladder_reconcile(link, query);
		return;
	}
	/* nothing to compare with: every buddy is written (a refused write
	 * then drops the rung) */
	g_info("%s: the roster could not be read (%s); every buddy is written", link->account,
	       pg_roster_ladder_condition(reply));
	pg_roster_ladder_push_all(link);
}

/* ----------------------------------------------- exchange and subscribe */

static void
pg_roster_ladder_subscribe(PgLink *link, const gchar *contact, const PgRosterBuddy *buddy)
{
	xmpp_stanza_t *request = pg_roster_presence_new(link->session, contact, "subscribe");

	if (buddy->alias != NULL)
		xmpp_stanza_set_ns(pg_stanza_add_text_child(request, "nick", buddy->alias),
				   PG_NS_NICK);
	pg_session_send(link->session, request);
}

/* Every buddy of @link as XEP-0144 "add" suggestions to @resource, or as
 * subscribe requests when @resource is NULL.  Returns: how many. */
static guint
pg_roster_ladder_offer_all(PgLink *link, const gchar *resource)
{
	PgSession *session = link->session;
	xmpp_stanza_t *exchange = NULL;
	GHashTableIter iter;
	gpointer key;
	gpointer value;
	guint n = 0;
	guint in_message = 0;

	g_hash_table_iter_init(&iter, pg_roster_buddies(link));
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		g_autofree gchar *contact = pg_roster_contact_jid(link, key);

		if (contact == NULL)
			continue;
		n++;
		if (resource == NULL) {
			pg_roster_ladder_subscribe(link, contact, value);
			continue;
		}
		if (exchange == NULL)
			exchange = pg_roster_exchange_new(pg_session_ctx(session), resource);
		pg_roster_exchange_add(exchange, "add", contact, value);
		if (++in_message == PG_ROSTER_EXCHANGE_ITEMS_MAX) {
			pg_session_send(session, g_steal_pointer(&exchange));
			in_message = 0;
		}
	}
	if (exchange != NULL)
		pg_session_send(session, exchange);
	return n;
}

/* ---------------------------------------------------------------- syncing */

guint
pg_roster_ladder_sync(PgLink *link)
{
	PgSession *session = link->session;
	guint n = g_hash_table_size(pg_roster_buddies(link));
	xmpp_stanza_t *get;

	g_clear_handle_id(&link->roster_sync_id, g_source_remove);
	link->roster_synced = TRUE;
	switch (pg_roster_ladder_mode(session)) {
	case PG_ROSTER_MODE_PRIVILEGED:
		if ((pg_roster_ladder_access(session) & PG_TRANSPORT_ROSTER_GET) == 0) {
			pg_roster_ladder_push_all(link);
			return n;
		}
		/* XEP-0356 §4.3: the user's roster, read as the user would */
		get = xmpp_iq_new(pg_session_ctx(session), "get", NULL);
		pg_stanza_set_to(get, session->user_jid);
		pg_stanza_add_child(get, "query", PG_NS_ROSTER);
		pg_transport_send_iq(session->transport, get, pg_roster_ladder_roster_cb,
				     pg_ladder_call_new(session, link->server, FALSE),
				     pg_ladder_call_free);
		xmpp_stanza_release(get);
		return n;
	case PG_ROSTER_MODE_EXCHANGE:
		return pg_roster_ladder_offer_all(link, pg_roster_ladder_exchange_resource(session));
	case PG_ROSTER_MODE_SUBSCRIBE:
	default:
		return pg_roster_ladder_offer_all(link, NULL);
	}
}

static gboolean
pg_roster_ladder_settled_cb(gpointer user_data)
{
	PgLink *link = user_data;

	/* INVARIANT: pg_link_free() clears this source, so @link is alive */
	link->roster_sync_id = 0;
	pg_roster_ladder_sync(link);
	return G_SOURCE_REMOVE;
}

static void
pg_roster_ladder_schedule(PgLink *link)
{
	if (link->roster_sync_id == 0 && !link->roster_synced)
		link->roster_sync_id =
		    g_timeout_add(PG_ROSTER_SETTLE_MS, pg_roster_ladder_settled_cb, link);
}

void
pg_roster_ladder_on_link_connected(PgLink *link)
{
	if (!pg_roster_ladder_has_list(link->session->transport))
		return;
	/* A sign-on after a drop: the worker names the whole list again, and
	 * what it no longer names left the legacy list meanwhile.  Privileged,
	 * that is synced afresh, silently; on the other rungs the known list
	 * is kept, so that a request the user declined is not asked again
	 * after every drop. */
	if (link->roster_synced &&
	    pg_roster_ladder_mode(link->session) == PG_ROSTER_MODE_PRIVILEGED) {
		g_hash_table_remove_all(pg_roster_buddies(link));
		link->buddies_full = FALSE;
		link->roster_synced = FALSE;
	}
	pg_roster_ladder_schedule(link);
}

void
pg_roster_ladder_on_buddy(PgLink *link, const PgIpcMessage *msg)
{
	PgSession *session = link->session;
	const gchar *who = pg_ipc_message_get_string(msg, "who");
	g_autofree gchar *contact = NULL;
	PgRosterChange change;
	PgRosterBuddy *buddy;
	xmpp_stanza_t *exchange;

	if (!pg_roster_take_buddy(link, msg, &change) || change == PG_ROSTER_SAME)
		return;
	if (!link->roster_synced) {
		pg_roster_ladder_schedule(link);
		return;
	}
	buddy = g_hash_table_lookup(pg_roster_buddies(link), who);
	contact = pg_roster_contact_jid(link, who);
	if (buddy == NULL || contact == NULL)
		return;
	switch (pg_roster_ladder_mode(session)) {
	case PG_ROSTER_MODE_PRIVILEGED:
		/* A new buddy may be one the user just added, already named and
		 * grouped in the roster by the user's client: with read access the
		 * roster decides (a sync keeps the user's name and groups and only
		 * makes the subscription both), batched by the settle timer. */
		if (change == PG_ROSTER_NEW &&
		    (pg_roster_ladder_access(session) & PG_TRANSPORT_ROSTER_GET) != 0) {
			link->roster_synced = FALSE;
			pg_roster_ladder_schedule(link);
		} else {
			pg_roster_ladder_push_buddy(link, contact, buddy);
		}
		break;
	case PG_ROSTER_MODE_EXCHANGE:
		exchange = pg_roster_exchange_new(pg_session_ctx(session),
						  pg_roster_ladder_exchange_resource(session));
		pg_roster_exchange_add(exchange, change == PG_ROSTER_NEW ? "add" : "modify", contact,
				       buddy);
		pg_session_send(session, exchange);
		break;
	case PG_ROSTER_MODE_SUBSCRIBE:
		if (change == PG_ROSTER_NEW)
			pg_roster_ladder_subscribe(link, contact, buddy);
		break;
	}
}

void
pg_roster_ladder_on_buddy_removed(PgLink *link, const PgIpcMessage *msg)
{
	PgSession *session = link->session;
	g_autofree gchar *contact = pg_roster_take_removal(link, msg);
	xmpp_stanza_t *exchange;

	if (contact == NULL)
		return;
	switch (pg_roster_ladder_mode(session)) {
	case PG_ROSTER_MODE_PRIVILEGED:
		pg_roster_ladder_push_buddy(link, contact, NULL);
		return;
	case PG_ROSTER_MODE_EXCHANGE:
		exchange = pg_roster_exchange_new(pg_session_ctx(session),
						  pg_roster_ladder_exchange_resource(session));
		pg_roster_exchange_add(exchange, "delete", contact, NULL);
		pg_session_send(session, exchange);
		break;
	case PG_ROSTER_MODE_SUBSCRIBE:
		break;
	}
	/* the legacy side ended both directions, as XEP-0100 §4.3 does for
	 * the transport itself */
	pg_session_send(session, pg_roster_presence_new(session, contact, "unsubscribe"));
	pg_session_send(session, pg_roster_presence_new(session, contact, "unsubscribed"));
}

/* ----------------------------------------------- the user's resources */

static void
pg_roster_ladder_disco_cb(PgTransport *transport, xmpp_stanza_t *reply, gpointer user_data)
{
	PgLadderCall *call = user_data;
	PgSession *session = pg_session_lookup(call->manager, call->user_jid, transport);
	xmpp_stanza_t *query =
	    reply != NULL ? xmpp_stanza_get_child_by_ns(reply, PG_NS_DISCO_INFO) : NULL;

	if (session == NULL || session->roster_resources == NULL || query == NULL ||
	    g_strcmp0(xmpp_stanza_get_type(reply), "result") != 0 ||
	    !g_hash_table_contains(session->roster_resources, call->subject))
		return;
	for (xmpp_stanza_t *feature = xmpp_stanza_get_children(query); feature != NULL;
	     feature = xmpp_stanza_get_next(feature)) {
		if (xmpp_stanza_is_tag(feature) &&
		    g_strcmp0(xmpp_stanza_get_name(feature), "feature") == 0 &&
		    g_strcmp0(xmpp_stanza_get_attribute(feature, "var"), PG_NS_ROSTERX) == 0) {
			g_hash_table_insert(
			    session->roster_resources, g_strdup(call->subject),
			    GUINT_TO_POINTER(PG_ROSTER_RESOURCE_ASKED | PG_ROSTER_RESOURCE_ROSTERX));
			g_debug("%s takes XEP-0144 roster item exchange", call->subject);
			return;
		}
	}
}

void
pg_roster_ladder_on_resource(PgSession *session, const gchar *resource, gboolean available)
{
	xmpp_stanza_t *iq;

	if (!pg_roster_ladder_has_list(session->transport))
		return;
	if (!available) {
		if (session->roster_resources != NULL)
			g_hash_table_remove(session->roster_resources, resource);
		return;
	}
	if (session->roster_resources == NULL)
		session->roster_resources =
		    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (g_hash_table_contains(session->roster_resources, resource) ||
	    g_hash_table_size(session->roster_resources) >= PG_ROSTER_RESOURCES_MAX)
		return;
	g_hash_table_insert(session->roster_resources, g_strdup(resource),
			    GUINT_TO_POINTER(PG_ROSTER_RESOURCE_ASKED));
	/* XEP-0144 §4: a client that takes suggestions says so in disco#info */
	iq = xmpp_iq_new(pg_session_ctx(session), "get", NULL);
	pg_stanza_set_to(iq, resource);
	pg_stanza_add_child(iq, "query", PG_NS_DISCO_INFO);
	pg_transport_send_iq(session->transport, iq, pg_roster_ladder_disco_cb,
			     pg_ladder_call_new(session, resource, FALSE), pg_ladder_call_free);
	xmpp_stanza_release(iq);
}
