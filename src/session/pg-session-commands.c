/* XEP-0050 ad-hoc commands of the session layer: for users (reconnect,
 * leave every room, the roster mode and re-sync on networks with a buddy
 * list: pg-roster-command.c) and for admins (online users, worker processes). */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include "session/pg-link.h"
#include "session/pg-prompts.h"
#include "session/pg-room.h"
#include "session/pg-roster-command.h"
#include "session/pg-roster-ladder.h"
#include "session/pg-server-settings.h"
#include "session/pg-session-commands.h"
#include "session/pg-supervisor.h"
#include "xmpp/pg-adhoc.h"

static gchar *
pg_session_command_reconnect_cb(PgTransport *transport, const gchar *user_jid,
				GHashTable *form_values, gpointer user_data, GError **error)
{
	PgSessionManager *self = user_data;
	PgSession *session = pg_session_lookup(self, user_jid, transport);
	GHashTableIter iter;
	gpointer value;
	guint n = 0;

	if (session == NULL || g_hash_table_size(session->links) == 0)
		return g_strdup("You have no connection on this gateway; go online first.");
	g_hash_table_iter_init(&iter, session->links);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgLink *link = value;
		pg_supervisor_logout(self->supervisor, link->account);
		link->backoff_s = PG_LINK_BACKOFF_MIN_S;
		pg_link_connect(link);
		n++;
	}
	return g_strdup_printf("Reconnecting %u connection(s); your rooms will be rejoined.", n);
}

static gchar *
pg_session_command_leave_all_cb(PgTransport *transport, const gchar *user_jid,
				GHashTable *form_values, gpointer user_data, GError **error)
{
	PgSessionManager *self = user_data;
	PgSession *session = pg_session_lookup(self, user_jid, transport);

	if (session == NULL)
		return g_strdup("You are in no room.");
	return g_strdup_printf("Left %u room(s).", pg_room_leave_all(session));
}

static gchar *
pg_session_command_online_users_cb(PgTransport *transport, const gchar *user_jid,
				   GHashTable *form_values, gpointer user_data, GError **error)
{
	PgSessionManager *self = user_data;
	GString *text = g_string_new(NULL);
	GHashTableIter iter;
	gpointer value;
	guint n = 0;

	g_hash_table_iter_init(&iter, self->sessions);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgSession *session = value;
		GHashTableIter links;
		gpointer link;
		if (session->transport != transport)
			continue;
		n++;
		g_string_append_printf(text, "\n%s (%u resource(s))", session->user_jid,
				       g_hash_table_size(session->resources));
		/* the roster ladder's rung, for the admin as for the user */
		if (pg_network_has(pg_session_network(transport), PG_NETWORK_BUDDY_LIST))
			g_string_append_printf(
			    text, " roster by %s;",
			    pg_roster_mode_to_string(pg_roster_ladder_mode(session)));
		g_hash_table_iter_init(&links, session->links);
		while (g_hash_table_iter_next(&links, NULL, &link))
			g_string_append_printf(text, " %s: %s, %u room(s);",
					       ((PgLink *)link)->server[0] != '\0'
						   ? ((PgLink *)link)->server
						   : "legacy",
					       pg_link_state_to_string(((PgLink *)link)->state),
					       g_hash_table_size(((PgLink *)link)->rooms));
	}
	g_string_prepend(text, "");
	{
		g_autofree gchar *head = g_strdup_printf("%u user(s) online", n);
		g_string_prepend(text, head);
	}
	return g_string_free(text, FALSE);
}

static gchar *
pg_session_command_worker_stats_cb(PgTransport *transport, const gchar *user_jid,
				   GHashTable *form_values, gpointer user_data, GError **error)
{
	PgSessionManager *self = user_data;
	g_autoptr(GPtrArray) lines = pg_supervisor_describe_workers(self->supervisor);
	GString *text = g_string_new(NULL);

	g_string_append_printf(text, "%u worker process(es), %u session(s)", lines->len,
			       g_hash_table_size(self->sessions));
	for (guint i = 0; i < lines->len; i++)
		g_string_append_printf(text, "\n%s", (const gchar *)g_ptr_array_index(lines, i));
	return g_string_free(text, FALSE);
}

static const PgAdhocCommand pg_session_commands[] = {
    {.node = "reconnect",
     .name = "Reconnect to the legacy network",
     .execute = pg_session_command_reconnect_cb},
    {.node = "leave-all-rooms",
     .name = "Leave all rooms",
     .execute = pg_session_command_leave_all_cb},
    {.node = "answer-question", .name = "Answer the legacy network's question",
     .form = pg_prompts_command_form_cb, .execute = pg_prompts_command_answer_cb},
    {.node = "online-users",
     .name = "Online users",
     .admin_only = TRUE,
     .execute = pg_session_command_online_users_cb},
    {.node = "worker-stats",
     .name = "Worker processes",
     .admin_only = TRUE,
     .execute = pg_session_command_worker_stats_cb},
};

void
pg_session_commands_add(PgSessionManager *self, PgTransport *transport)
{
	for (gsize i = 0; i < G_N_ELEMENTS(pg_session_commands); i++)
		pg_transport_add_command(transport, &pg_session_commands[i], self);
	/* a network with a buddy list has a roster ladder (pg-roster-command.c) */
	if (pg_network_has(pg_session_network(transport), PG_NETWORK_BUDDY_LIST))
		pg_transport_add_command(transport, &pg_roster_command, self);
	/* the fixed server's settings (pg-server-settings.c) */
	pg_server_settings_add_command(self, transport);
}

void
pg_session_commands_remove(PgTransport *transport)
{
	for (gsize i = 0; i < G_N_ELEMENTS(pg_session_commands); i++)
		pg_transport_remove_command(transport, pg_session_commands[i].node);
	pg_transport_remove_command(transport, pg_roster_command.node);
	pg_server_settings_remove_command(transport);
}
