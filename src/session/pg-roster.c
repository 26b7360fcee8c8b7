/* Contacts and roster: the legacy buddy list becomes contacts of the user.
 *
 * DESIGN: the worker reports every buddy of the account at each sign-on and
 * each change after (buddy, buddy-removed, buddy-presence: ipc/
 * pg-ipc-message.h).  A worker is untrusted, so each event is checked here
 * before it touches a stanza: a legacy id must be short, free of control
 * characters and make a valid JID through the network driver's addressing
 * (XEP-0106 for generic libpurple); nicknames, groups and status texts are
 * cut to a bound; a user is shown at most max_contacts_per_user buddies
 * (pg-limits.h; each one past it is counted in /metrics), a link never
 * holds more than PG_ROSTER_BUDDIES_MAX (pg-roster.h), and the user is told
 * once when more are left out.  Refusals are logged up to a bound per link.
 *
 * The roster ladder (issue 9, item 5) is pg-roster-ladder.c's: this file
 * takes the worker's events into the link's table and says what changed;
 * the ladder decides how the user's roster hears of it (XEP-0356 push,
 * XEP-0144 exchange, or a subscribe with the buddy's nickname).
 *
 * Presence: a buddy's presence goes to the user's bare JID whether or not
 * the user approved yet, as the transport's own presence does.  RFC 6121
 * §4.6 lets an entity send directed presence to any JID, and for presence
 * with no type (or unavailable) to a bare JID the user's server delivers to
 * all available resources (RFC 6121 §8.5.2.1.1).  The other choice, only
 * after approval (§4.2), would need the approvals remembered across
 * sessions; the buddy list is the user's own, so nothing leaks.  A probe
 * (RFC 6121 §4.3) gets the buddy's last known presence.
 *
 * The user's roster changes reach the legacy list (on a network with
 * PG_NETWORK_BUDDY_LIST): a subscribe to a contact not in the list adds the
 * buddy; unsubscribe to a buddy in the list removes it.  RFC 6121 §2.5.2:
 * removing a roster item makes the user's server send both unsubscribe and
 * unsubscribed, so unsubscribe alone tells a removal.  A lone unsubscribed
 * is the user declining (or cancelling) the contact's request, §3.2: that
 * keeps the legacy buddy, since a click on "deny" must not delete a contact
 * on the legacy network.
 *
 * When the legacy connection goes, the worker may say nothing more about
 * its buddies (it reports only for a signed-on account), so the daemon
 * shows them offline itself (pg_roster_on_link_down()).
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "session/pg-contact-avatar.h"
#include "session/pg-contact-caps.h"
#include "session/pg-contacts.h"
#include "session/pg-limits.h"
#include "session/pg-link.h"
#include "session/pg-roster.h"
#include "stanza/pg-stanza.h"

static void
pg_roster_buddy_free(PgRosterBuddy *buddy)
{
	g_free(buddy->alias);
	g_free(buddy->group);
	g_free(buddy->status);
	g_free(buddy->message);
	g_free(buddy);
}

GHashTable *
pg_roster_table_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				     (GDestroyNotify)pg_roster_buddy_free);
}

/* The link's buddy table, made on first use: the session records
 * (pg-session.c) free it but never need to know what it holds. */
GHashTable *
pg_roster_buddies(PgLink *link)
{
	if (link->buddies == NULL)
		link->buddies = pg_roster_table_new();
	return link->buddies;
}

gchar *
pg_roster_bound_text(const gchar *text, gsize max)
{
	const gchar *end;

	if (text == NULL)
		return NULL;
	if (strlen(text) <= max)
		return g_strdup(text);
	/* back to the start of the character that crosses the bound (the
	 * contract guarantees valid UTF-8) */
	end = text + max;
	while (end > text && (*(const guchar *)end & 0xC0) == 0x80)
		end--;
	return g_strndup(text, end - text);
}

gboolean
pg_roster_check_event(const PgIpcMessage *msg, GError **error)
{
	const gchar *who = pg_ipc_message_get_string(msg, "who");
	const gchar *status = pg_ipc_message_get_string(msg, "status");
	gsize len = who != NULL ? strlen(who) : 0;

	if (len == 0 || len > PG_ROSTER_WHO_MAX) {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
			    "a buddy name of %" G_GSIZE_FORMAT " bytes (1..%d)", len,
			    PG_ROSTER_WHO_MAX);
		return FALSE;
	}
	for (const gchar *p = who; *p != '\0'; p = g_utf8_next_char(p)) {
		if (g_unichar_iscntrl(g_utf8_get_char(p))) {
			g_set_error_literal(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
					    "a buddy name with a control character");
			return FALSE;
		}
	}
	if (msg->kind == PG_IPC_EVT_BUDDY_PRESENCE &&
	    !g_strv_contains((const gchar *const[]){"available", "away", "xa", "dnd", "offline",
						    NULL},
			     status)) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "a buddy presence with an unknown status");
		return FALSE;
	}
	return TRUE;
}

gboolean
pg_roster_table_put(GHashTable *buddies, const gchar *who, const gchar *alias, const gchar *group,
		    PgRosterChange *change, GError **error)
{
	PgRosterBuddy *buddy = g_hash_table_lookup(buddies, who);
	g_autofree gchar *bounded_alias = pg_roster_bound_text(alias, PG_ROSTER_ALIAS_MAX);
	g_autofree gchar *bounded_group = pg_roster_bound_text(group, PG_ROSTER_GROUP_MAX);

	if (buddy == NULL) {
		if (g_hash_table_size(buddies) >= PG_ROSTER_BUDDIES_MAX) {
			g_set_error(error, PG_ERROR, PG_ERROR_RESOURCE_CONSTRAINT,
				    "more than %d buddies", PG_ROSTER_BUDDIES_MAX);
			return FALSE;
		}
		buddy = g_new0(PgRosterBuddy, 1);
		buddy->status = g_strdup("offline");
		buddy->alias = g_steal_pointer(&bounded_alias);
		buddy->group = g_steal_pointer(&bounded_group);
		g_hash_table_insert(buddies, g_strdup(who), buddy);
		*change = PG_ROSTER_NEW;
		return TRUE;
	}
	if (g_strcmp0(buddy->alias, bounded_alias) == 0 &&
	    g_strcmp0(buddy->group, bounded_group) == 0) {
		*change = PG_ROSTER_SAME;
		return TRUE;
	}
	g_free(buddy->alias);
	g_free(buddy->group);
	buddy->alias = g_steal_pointer(&bounded_alias);
	buddy->group = g_steal_pointer(&bounded_group);
	*change = PG_ROSTER_CHANGED;
	return TRUE;
}

/* The contact JID of @who on @link, checked as any JID is (pg-jid.h), or
 * NULL: a name the addressing cannot carry. */
gchar *
pg_roster_contact_jid(PgLink *link, const gchar *who)
{
	g_autofree gchar *jid = pg_session_contact_jid(link, who);
	g_autoptr(PgJid) parsed = NULL;
	g_autoptr(GError) error = NULL;

	parsed = pg_jid_parse(jid, &error);
	if (parsed == NULL || parsed->local == NULL || parsed->resource != NULL) {
		g_warning("%s: a buddy whose JID is not valid: %s", link->account,
			  error != NULL ? error->message : "no local part");
		return NULL;
	}
	return g_steal_pointer(&jid);
}

xmpp_stanza_t *
pg_roster_presence_new(PgSession *session, const gchar *from, const gchar *type)
{
	xmpp_stanza_t *presence = xmpp_presence_new(pg_session_ctx(session));

	pg_stanza_set_from(presence, from);
	xmpp_stanza_set_to(presence, session->user_jid);
	if (type != NULL)
		xmpp_stanza_set_type(presence, type);
	return presence;
}

void
pg_roster_send_presence(PgLink *link, const gchar *from, const gchar *status, const gchar *text)
{
	PgSession *session = link->session;
	gboolean offline = g_strcmp0(status, "offline") == 0;
	xmpp_stanza_t *presence =
	    pg_roster_presence_new(session, from, offline ? "unavailable" : NULL);

	if (offline) {
		g_hash_table_remove(link->online, from);
	} else {
		g_hash_table_add(link->online, g_strdup(from));
		/* RFC 6121 §4.7.2.1: <show/> is one of four words */
		if (g_strv_contains((const gchar *const[]){"away", "chat", "dnd", "xa", NULL},
				    status))
			pg_stanza_add_text_child(presence, "show", status);
	}
	if (text != NULL && text[0] != '\0')
		pg_stanza_add_text_child(presence, "status", text);
	/* XEP-0115 §4: caps ride on available presence */
	if (!offline) {
		pg_contact_caps_add(session->transport, presence);
		/* XEP-0153 §4.1: the avatar's hash, if one is known */
		pg_contact_avatar_add_update(link, from, presence);
	}
	pg_session_send(session, presence);
}

/* Buddy events from a network that has no buddy list (IRC, SMS) are not
 * taken: such a worker has nothing to say about one. */
static gboolean
pg_roster_has_buddy_list(PgLink *link)
{
	return pg_network_has(pg_session_network(link->session->transport), PG_NETWORK_BUDDY_LIST);
}

/* A worker that floods bad events (or one bad buddy reported at each
 * change) must not flood the log: the first PG_ROSTER_REFUSALS_LOGGED
 * refusals of a link are logged, then one line says the rest are not. */
#define PG_ROSTER_REFUSALS_LOGGED 20

static void
pg_roster_refuse(PgLink *link, const PgIpcMessage *msg, const GError *error)
{
	link->refused_events++;
	if (link->refused_events <= PG_ROSTER_REFUSALS_LOGGED)
		g_warning("%s: %s event refused: %s", link->account,
			  pg_ipc_kind_to_string(msg->kind), error->message);
	if (link->refused_events == PG_ROSTER_REFUSALS_LOGGED)
		g_warning("%s: further refused buddy events are not logged", link->account);
}

gboolean
pg_roster_take_buddy(PgLink *link, const PgIpcMessage *msg, PgRosterChange *change)
{
	PgSession *session = link->session;
	const gchar *who = pg_ipc_message_get_string(msg, "who");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *from = NULL;

	if (!pg_roster_has_buddy_list(link))
		return FALSE;
	if (!pg_roster_check_event(msg, &error)) {
		pg_roster_refuse(link, msg, error);
		return FALSE;
	}
	from = pg_roster_contact_jid(link, who);
	if (from == NULL)
		return FALSE;
	/* max_contacts_per_user (pg-limits.h) over the session, then the
	 * table's own ceiling */
	if ((!g_hash_table_contains(pg_roster_buddies(link), who) &&
	     !pg_limits_allow_contact(session->manager->limits, link, &error)) ||
	    !pg_roster_table_put(pg_roster_buddies(link), who, pg_ipc_message_get_string(msg, "alias"),
				 pg_ipc_message_get_string(msg, "group"), change, &error)) {
		if (!link->buddies_full) {
			link->buddies_full = TRUE;
			g_warning("%s: %s", link->account, error->message);
			pg_session_notice(session, "%s", error->message);
		}
		return FALSE;
	}
	return TRUE;
}

gchar *
pg_roster_take_removal(PgLink *link, const PgIpcMessage *msg)
{
	const gchar *who = pg_ipc_message_get_string(msg, "who");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *from = NULL;

	if (!pg_roster_has_buddy_list(link))
		return NULL;
	if (!pg_roster_check_event(msg, &error)) {
		pg_roster_refuse(link, msg, error);
		return NULL;
	}
	if (!g_hash_table_remove(pg_roster_buddies(link), who))
		return NULL;
	from = pg_roster_contact_jid(link, who);
	if (from == NULL)
		return NULL;
	if (g_hash_table_contains(link->online, from))
		pg_roster_send_presence(link, from, "offline", NULL);
	return g_steal_pointer(&from);
}

void
pg_roster_on_buddy_presence(PgLink *link, const PgIpcMessage *msg)
{
	const gchar *who = pg_ipc_message_get_string(msg, "who");
	const gchar *status = pg_ipc_message_get_string(msg, "status");
	g_autofree gchar *text = pg_roster_bound_text(pg_ipc_message_get_string(msg, "message"),
						      PG_ROSTER_STATUS_TEXT_MAX);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *from = NULL;
	PgRosterBuddy *buddy;

	if (!pg_roster_check_event(msg, &error)) {
		pg_roster_refuse(link, msg, error);
		return;
	}
	from = pg_roster_contact_jid(link, who);
	if (from == NULL)
		return;
	buddy = g_hash_table_lookup(pg_roster_buddies(link), who);
	if (buddy != NULL) {
		g_free(buddy->status);
		buddy->status = g_strdup(status);
		g_free(buddy->message);
		buddy->message = g_strdup(text);
	} else if (!g_hash_table_contains(link->online, from) &&
		   (g_hash_table_size(link->online) >= PG_ROSTER_BUDDIES_MAX ||
		    !pg_limits_allow_online_contact(link->session->manager->limits, link, NULL))) {
		/* not on the list (prpl-irc's buddies are not): bounded all the same */
		return;
	}
	pg_roster_send_presence(link, from, status, text);
}

void
pg_roster_on_link_down(PgLink *link)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, pg_roster_buddies(link));
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgRosterBuddy *buddy = value;
		g_free(buddy->status);
		buddy->status = g_strdup("offline");
		g_clear_pointer(&buddy->message, g_free);
	}
	pg_contacts_say_goodbye(link);
}

/* The user subscribed to @who, not on @link's list yet: the legacy network
 * adds it, named as the user named it in the request (XEP-0172 §4.2). */
static void
pg_roster_add_buddy(PgLink *link, const gchar *who, xmpp_stanza_t *presence)
{
	xmpp_stanza_t *nick = xmpp_stanza_get_child_by_name_and_ns(presence, "nick", PG_NS_NICK);
	g_autofree gchar *text = nick != NULL ? xmpp_stanza_get_text(nick) : NULL;
	g_autofree gchar *alias = NULL;

	if (text != NULL) {
		g_strstrip(text);
		if (g_utf8_validate(text, -1, NULL) && text[0] != '\0')
			alias = pg_roster_bound_text(text, PG_ROSTER_ALIAS_MAX);
	}
	pg_link_command(link,
			pg_ipc_message_new(PG_IPC_CMD_ADD_BUDDY, 0, "account",
					   g_variant_new_string(link->account), "who",
					   g_variant_new_string(who), "alias",
					   alias != NULL ? g_variant_new_string(alias) : NULL,
					   NULL),
			NULL);
}

/* The link of @user_jid's session that @address is on, or NULL. */
static PgLink *
pg_roster_find_link(PgSessionManager *self, PgTransport *transport, const gchar *user_jid,
		    const PgNetworkAddress *address)
{
	PgSession *session = pg_session_lookup(self, user_jid, transport);

	return session != NULL ? g_hash_table_lookup(session->links, address->server) : NULL;
}

gboolean
pg_roster_handle_subscription(PgSessionManager *self, PgTransport *transport,
			      xmpp_stanza_t *presence, const gchar *user_jid, const PgJid *to)
{
	const gchar *type = xmpp_stanza_get_type(presence);
	gboolean buddy_list = pg_network_has(pg_session_network(transport), PG_NETWORK_BUDDY_LIST);
	g_autoptr(PgNetworkAddress) address = NULL;
	PgRosterBuddy *buddy = NULL;
	PgLink *link = NULL;
	xmpp_stanza_t *reply;

	if (!g_strv_contains((const gchar *const[]){"subscribe", "subscribed", "unsubscribe",
						    "unsubscribed", "probe", NULL},
			     type != NULL ? type : ""))
		return FALSE;
	address = pg_session_parse_address(transport, to, NULL);
	if (address != NULL)
		link = pg_roster_find_link(self, transport, user_jid, address);
	if (link != NULL)
		buddy = g_hash_table_lookup(pg_roster_buddies(link), address->name);

	if (g_strcmp0(type, "subscribe") == 0) {
		/* subscriptions are approved: legacy networks like IRC have none,
		 * and a buddy list asks its server itself (add-buddy) */
		reply = xmpp_presence_new(pg_transport_get_ctx(transport));
		xmpp_stanza_set_from(reply, to->bare);
		xmpp_stanza_set_to(reply, user_jid);
		xmpp_stanza_set_type(reply, "subscribed");
		pg_transport_send(transport, reply);
		xmpp_stanza_release(reply);
		if (buddy_list && link != NULL && buddy == NULL)
			pg_roster_add_buddy(link, address->name, presence);
	} else if (g_strcmp0(type, "unsubscribe") == 0) {
		if (buddy_list && buddy != NULL && link->state == PG_LINK_CONNECTED)
			pg_link_command(link,
					pg_ipc_message_new(PG_IPC_CMD_REMOVE_BUDDY, 0, "account",
							   g_variant_new_string(link->account),
							   "who",
							   g_variant_new_string(address->name),
							   NULL),
					NULL);
		return TRUE;
	} else if (g_strcmp0(type, "subscribed") == 0 || g_strcmp0(type, "unsubscribed") == 0) {
		return TRUE;
	}
	/* subscribe (RFC 6121 §3.1.5: the current presence follows the
	 * approval) or probe (§4.3): the buddy's last presence */
	if (buddy != NULL) {
		g_autofree gchar *from = pg_session_contact_jid(link, address->name);
		pg_roster_send_presence(link, from, buddy->status, buddy->message);
	} else if (g_strcmp0(type, "probe") == 0) {
		reply = xmpp_presence_new(pg_transport_get_ctx(transport));
		xmpp_stanza_set_from(reply, to->bare);
		xmpp_stanza_set_to(reply, user_jid);
		xmpp_stanza_set_type(reply, "unavailable");
		pg_transport_send(transport, reply);
		xmpp_stanza_release(reply);
	}
	return TRUE;
}

/* A buddy-icon event: the icon of a buddy shown to the user is kept
 * (pg-contact-avatar.c), and a changed one goes out with the contact's
 * presence (XEP-0153 §4.3). */
void
pg_roster_on_buddy_icon(PgLink *link, const PgIpcMessage *msg)
{
	const gchar *who = pg_ipc_message_get_string(msg, "who");
	g_autoptr(GVariant) value = pg_ipc_message_get_value(msg, "data");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *jid = NULL;
	PgRosterBuddy *buddy;

	if (!pg_roster_check_event(msg, &error) || link->buddies == NULL)
		return;
	buddy = g_hash_table_lookup(link->buddies, who);
	if (buddy == NULL)
		return; /* not shown: past max_contacts_per_user, or never listed */
	jid = pg_session_contact_jid(link, who);
	if (pg_contact_avatar_store(link, jid, pg_ipc_message_get_string(msg, "type"), value) &&
	    g_hash_table_contains(link->online, jid))
		pg_roster_send_presence(link, jid, buddy->status, buddy->message);
}
