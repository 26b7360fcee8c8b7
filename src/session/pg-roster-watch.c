/* Watched contacts: the presence of legacy contacts on a network that
 * keeps no buddy list (PG_NETWORK_WATCH: IRC).
 *
 * DESIGN: the user's roster is the list.  When the user comes online their
 * server probes every contact they are subscribed to (RFC 6121 §4.3.1),
 * and a new contact starts with a subscribe (§3.1); either one, to a
 * contact JID (nick%server@transport), makes the contact watched on that
 * server's link: it goes into the link's buddy table (pg-roster.c, bounded
 * by PG_ROSTER_BUDDIES_MAX) and an add-buddy to the worker, which puts it
 * on libpurple's buddy list.  There prpl-irc polls ISON for it, and the
 * worker adds MONITOR where the server offers it
 * (backends/purple/pg-purple-watch.c); changes come back as buddy-presence
 * events, which pg_roster_on_buddy_presence() turns into presence from the
 * contact's JID.  So this file adds no second presence path: it only says
 * whom to watch.
 *
 * libpurple's buddy list lives in the worker, and a worker forgets it with
 * the account (nothing is written to disk: backends/purple/
 * pg-purple-commands.c), so each time a link comes up every watched contact
 * is added again (pg_roster_watch_on_connected()).  Nothing is kept across
 * sessions: the next login's probes say again whom to watch.  An
 * unsubscribe (the user removed the contact) stops the watch.
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include "core/pg-error.h"
#include "session/pg-limits.h"
#include "session/pg-link.h"
#include "session/pg-roster-watch.h"
#include "session/pg-roster.h"

static gboolean
pg_roster_watch_applies(PgTransport *transport, const PgNetworkAddress *address)
{
	return pg_network_has(pg_session_network(transport), PG_NETWORK_WATCH) && address != NULL &&
	       !address->is_room && !address->is_server;
}

static void
pg_roster_watch_send(PgLink *link, PgIpcKind kind, const gchar *who)
{
	pg_link_command(link,
			pg_ipc_message_new(kind, 0, "account", g_variant_new_string(link->account),
					   "who", g_variant_new_string(who), NULL),
			NULL);
}

void
pg_roster_watch(PgSessionManager *self, PgTransport *transport, const gchar *type,
		const gchar *user_jid, const PgJid *to)
{
	g_autoptr(PgNetworkAddress) address = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *from = NULL;
	PgRosterChange change;
	PgSession *session;
	PgLink *link;

	if (type == NULL || !pg_network_has(pg_session_network(transport), PG_NETWORK_WATCH))
		return;
	address = pg_session_parse_address(transport, to, NULL);
	if (!pg_roster_watch_applies(transport, address))
		return;
	session = pg_session_lookup(self, user_jid, transport);
	if (g_strcmp0(type, "unsubscribe") == 0) {
		link = session != NULL ? g_hash_table_lookup(session->links, address->server) : NULL;
		if (link == NULL || !g_hash_table_remove(pg_roster_buddies(link), address->name))
			return;
		from = pg_roster_contact_jid(link, address->name);
		if (from != NULL && g_hash_table_contains(link->online, from))
			pg_roster_send_presence(link, from, "offline", NULL);
		if (link->state == PG_LINK_CONNECTED)
			pg_roster_watch_send(link, PG_IPC_CMD_REMOVE_BUDDY, address->name);
		return;
	}
	if (g_strcmp0(type, "probe") != 0 && g_strcmp0(type, "subscribe") != 0)
		return;
	/* the probes of a login may come before its first presence */
	if (session == NULL) {
		if (!pg_session_user_allowed(self, transport, user_jid))
			return;
		session = pg_session_ensure(self, user_jid, transport);
	}
	link = pg_limits_get_link(self->limits, session, address->server, &error);
	if (link == NULL) {
		g_info("%s: not watching %s: %s", user_jid, address->name, error->message);
		return;
	}
	from = pg_roster_contact_jid(link, address->name);
	if (from == NULL)
		return;
	if (!pg_roster_table_put(pg_roster_buddies(link), address->name, NULL, NULL, &change,
				 &error)) {
		g_info("%s: not watching %s: %s", link->account, address->name, error->message);
		return;
	}
	/* a link that is down connects for it (pg_link_command()), and the
	 * watch is sent again whenever it comes up */
	if (change == PG_ROSTER_NEW)
		pg_roster_watch_send(link, PG_IPC_CMD_ADD_BUDDY, address->name);
}

void
pg_roster_watch_on_connected(PgLink *link)
{
	GHashTableIter iter;
	gpointer key;

	if (!pg_network_has(pg_session_network(link->session->transport), PG_NETWORK_WATCH) ||
	    link->buddies == NULL)
		return;
	g_hash_table_iter_init(&iter, link->buddies);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		pg_roster_watch_send(link, PG_IPC_CMD_ADD_BUDDY, key);
}
