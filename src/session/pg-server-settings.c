/* Per-server settings: the XEP-0050 "configure" command on a server's JID
 * (biboumi's irc.example.net@gateway; issue 10, item 2).
 *
 * DESIGN: the form and what a submission changes belong to the network
 * driver (PgNetwork.server_settings_form / server_settings_read); this file
 * is the XEP-0050 exchange around them and the registry write.  The
 * settings live with the user's registration (registry/pg-irc-creds.h says
 * under which keys), so only a registered user has any, and they take
 * effect at the server's next login.
 *
 * The exchange (XEP-0050 §3.4, two stages): execute without a form gets the
 * form, status executing and a session id; the submission (execute or
 * complete, with the form) in that session saves it, status completed;
 * cancel cancels.  On a transport with a fixed server (irc_server), the
 * same command is on the transport's own JID too, for that server, through
 * the transport's ad-hoc commands (xmpp/pg-adhoc.h), as biboumi offers it
 * where a server's JID would be the transport's.  Open sessions (the manager's server_settings table) are
 * at most PG_SERVER_SETTINGS_SESSIONS, each for PG_SERVER_SETTINGS_SESSION_S
 * seconds.
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include "core/pg-error.h"
#include "registry/pg-registry.h"
#include "session/pg-server-settings.h"
#include "stanza/pg-form.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-adhoc.h"

#define PG_SERVER_SETTINGS_NODE       "configure"
#define PG_SERVER_SETTINGS_SESSIONS   64
#define PG_SERVER_SETTINGS_SESSION_S  600

/* a form handed out: to "user\nserver", when */
typedef struct {
	gchar *owner;
	gint64 at;
} PgServerSettingsSession;

static void
pg_server_settings_session_free(PgServerSettingsSession *session)
{
	g_free(session->owner);
	g_free(session);
}

GHashTable *
pg_server_settings_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				     (GDestroyNotify)pg_server_settings_session_free);
}

static void
pg_server_settings_prune(GHashTable *sessions)
{
	GHashTableIter iter;
	gpointer value;
	gint64 now = g_get_monotonic_time();

	g_hash_table_iter_init(&iter, sessions);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgServerSettingsSession *session = value;
		if (now - session->at > PG_SERVER_SETTINGS_SESSION_S * G_USEC_PER_SEC)
			g_hash_table_iter_remove(&iter);
	}
}

static xmpp_stanza_t *
pg_server_settings_reply(xmpp_stanza_t *iq, const gchar *sessionid, const gchar *status,
			 xmpp_stanza_t **command)
{
	xmpp_stanza_t *reply = pg_stanza_iq_result(iq);

	*command = pg_stanza_add_child(reply, "command", PG_NS_COMMANDS);
	xmpp_stanza_set_attribute(*command, "node", PG_SERVER_SETTINGS_NODE);
	if (sessionid != NULL)
		xmpp_stanza_set_attribute(*command, "sessionid", sessionid);
	xmpp_stanza_set_attribute(*command, "status", status);
	return reply;
}

/* disco#items on the commands node (XEP-0050 §2.2). */
static void
pg_server_settings_list(PgTransport *transport, xmpp_stanza_t *iq, const gchar *to)
{
	g_autoptr(xmpp_stanza_t) reply = pg_stanza_iq_result(iq);
	xmpp_stanza_t *query = pg_stanza_add_child(reply, "query", PG_NS_DISCO_ITEMS);
	xmpp_stanza_t *item = pg_stanza_add_child(query, "item", NULL);

	xmpp_stanza_set_attribute(query, "node", PG_NS_COMMANDS);
	pg_stanza_set_name_attribute(item, "jid", to);
	xmpp_stanza_set_attribute(item, "node", PG_SERVER_SETTINGS_NODE);
	xmpp_stanza_set_attribute(item, "name", "Configure this server");
	pg_transport_send(transport, reply);
}

static void
pg_server_settings_ask(GHashTable *sessions, PgTransport *transport, xmpp_stanza_t *iq,
		       const PgAccount *account, const gchar *owner, const gchar *server)
{
	const PgNetwork *network = pg_session_network(transport);
	g_autoptr(PgForm) form =
	    network->server_settings_form(pg_transport_get_config(transport), account, server);
	g_autofree gchar *sessionid = NULL;
	PgServerSettingsSession *session;
	g_autoptr(xmpp_stanza_t) reply = NULL;
	xmpp_stanza_t *command;
	xmpp_stanza_t *actions;

	pg_server_settings_prune(sessions);
	if (g_hash_table_size(sessions) >= PG_SERVER_SETTINGS_SESSIONS) {
		pg_transport_reply_error_code(transport, iq, PG_ERROR_RESOURCE_CONSTRAINT,
					      "too many settings forms are open; try again later");
		return;
	}
	sessionid = g_uuid_string_random();
	session = g_new0(PgServerSettingsSession, 1);
	session->owner = g_strdup(owner);
	session->at = g_get_monotonic_time();
	g_hash_table_insert(sessions, g_strdup(sessionid), session);
	reply = pg_server_settings_reply(iq, sessionid, "executing", &command);
	actions = pg_stanza_add_child(command, "actions", NULL);
	xmpp_stanza_set_attribute(actions, "execute", "complete");
	pg_stanza_add_child(actions, "complete", NULL);
	xmpp_stanza_add_child_ex(command, pg_form_to_stanza(form, pg_transport_get_ctx(transport)),
				 0);
	pg_transport_send(transport, reply);
}

static void
pg_server_settings_save(PgTransport *transport, xmpp_stanza_t *iq, PgAccount *account,
			const gchar *sessionid, const gchar *server, xmpp_stanza_t *x)
{
	const PgNetwork *network = pg_session_network(transport);
	g_autoptr(GHashTable) values = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(xmpp_stanza_t) reply = NULL;
	g_autofree gchar *note_text = NULL;
	xmpp_stanza_t *command;
	xmpp_stanza_t *note;

	values = pg_form_parse_submit(x, NULL, &error);
	if (values == NULL ||
	    !network->server_settings_read(pg_transport_get_config(transport), account, server,
					   values, &error) ||
	    !pg_registry_put_account(pg_transport_get_registry(transport), account, NULL, &error)) {
		pg_transport_reply_error(transport, iq, error);
		return;
	}
	reply = pg_server_settings_reply(iq, sessionid, "completed", &command);
	note_text = g_strdup_printf("Saved. The settings for %s take effect at its next login.",
				    server);
	note = pg_stanza_add_text_child(command, "note", note_text);
	xmpp_stanza_set_attribute(note, "type", "info");
	pg_transport_send(transport, reply);
}

gboolean
pg_server_settings_handle_iq(PgSessionManager *manager, PgTransport *transport,
			     xmpp_stanza_t *iq, const gchar *user_jid,
			     const PgNetworkAddress *server)
{
	const PgNetwork *network = pg_session_network(transport);
	xmpp_stanza_t *items = xmpp_stanza_get_child_by_ns(iq, PG_NS_DISCO_ITEMS);
	xmpp_stanza_t *command = xmpp_stanza_get_child_by_ns(iq, PG_NS_COMMANDS);
	g_autofree gchar *owner = NULL;
	g_autoptr(PgAccount) account = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *sessionid;
	const gchar *action;
	xmpp_stanza_t *x;

	if (network->server_settings_form == NULL)
		return FALSE;
	if (items != NULL) {
		if (g_strcmp0(xmpp_stanza_get_attribute(items, "node"), PG_NS_COMMANDS) != 0)
			return FALSE; /* the room list */
		pg_server_settings_list(transport, iq, xmpp_stanza_get_to(iq));
		return TRUE;
	}
	if (command == NULL || g_strcmp0(xmpp_stanza_get_type(iq), "set") != 0)
		return FALSE;
	if (g_strcmp0(xmpp_stanza_get_attribute(command, "node"), PG_SERVER_SETTINGS_NODE) != 0) {
		pg_transport_reply_error_code(transport, iq, PG_ERROR_ITEM_NOT_FOUND,
					      "no such command on this server");
		return TRUE;
	}
	account = pg_registry_get_account(pg_transport_get_registry(transport),
					  pg_transport_get_jid(transport), user_jid, &error);
	if (account == NULL) {
		pg_transport_reply_error_code(transport, iq, PG_ERROR_REGISTRATION_REQUIRED,
					      "register with this gateway first: the settings "
					      "are kept with your registration");
		return TRUE;
	}
	owner = g_strdup_printf("%s\n%s", user_jid, server->server);
	sessionid = xmpp_stanza_get_attribute(command, "sessionid");
	action = xmpp_stanza_get_attribute(command, "action");
	x = xmpp_stanza_get_child_by_ns(command, PG_NS_DATA);
	if (sessionid == NULL) {
		pg_server_settings_ask(manager->server_settings, transport, iq, account, owner,
				       server->server);
		return TRUE;
	}
	{
		GHashTable *sessions = manager->server_settings;
		PgServerSettingsSession *session = g_hash_table_lookup(sessions, sessionid);
		if (session == NULL || g_strcmp0(session->owner, owner) != 0) {
			pg_transport_reply_error_code(transport, iq, PG_ERROR_BAD_REQUEST,
						      "this settings session is over");
			return TRUE;
		}
		if (g_strcmp0(action, "cancel") == 0) {
			xmpp_stanza_t *reply_command;
			g_autoptr(xmpp_stanza_t) reply =
			    pg_server_settings_reply(iq, sessionid, "canceled", &reply_command);
			g_hash_table_remove(sessions, sessionid);
			pg_transport_send(transport, reply);
			return TRUE;
		}
		if (x == NULL) {
			pg_transport_reply_error_code(transport, iq, PG_ERROR_BAD_REQUEST,
						      "submit the form");
			return TRUE;
		}
		pg_server_settings_save(transport, iq, account, sessionid, server->server, x);
		g_hash_table_remove(sessions, sessionid);
	}
	return TRUE;
}

/* ------------------------------------------- on the transport's own JID */

static const gchar *
pg_server_settings_fixed_server(PgTransport *transport)
{
	const PgNetwork *network = pg_session_network(transport);
	return network->session_server != NULL
		   ? network->session_server(pg_transport_get_config(transport))
		   : NULL;
}

static PgAccount *
pg_server_settings_account(PgTransport *transport, const gchar *user_jid, GError **error)
{
	g_autoptr(GError) local = NULL;
	PgAccount *account = pg_registry_get_account(pg_transport_get_registry(transport),
						     pg_transport_get_jid(transport), user_jid,
						     &local);
	if (account == NULL)
		g_set_error_literal(error, PG_ERROR, PG_ERROR_REGISTRATION_REQUIRED,
				    "register with this gateway first: the settings are kept "
				    "with your registration");
	return account;
}

static xmpp_stanza_t *
pg_server_settings_fixed_form_cb(PgTransport *transport, const gchar *user_jid,
				 gpointer user_data, GError **error)
{
	const gchar *server = pg_server_settings_fixed_server(transport);
	g_autoptr(PgAccount) account = pg_server_settings_account(transport, user_jid, error);
	g_autoptr(PgForm) form = NULL;

	if (account == NULL)
		return NULL;
	form = pg_session_network(transport)->server_settings_form(
	    pg_transport_get_config(transport), account, server);
	return pg_form_to_stanza(form, pg_transport_get_ctx(transport));
}

static gchar *
pg_server_settings_fixed_execute_cb(PgTransport *transport, const gchar *user_jid,
				    GHashTable *form_values, gpointer user_data, GError **error)
{
	const gchar *server = pg_server_settings_fixed_server(transport);
	g_autoptr(PgAccount) account = pg_server_settings_account(transport, user_jid, error);

	if (account == NULL)
		return NULL;
	if (form_values == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_BAD_REQUEST, "submit the form");
		return NULL;
	}
	if (!pg_session_network(transport)->server_settings_read(
		pg_transport_get_config(transport), account, server, form_values, error) ||
	    !pg_registry_put_account(pg_transport_get_registry(transport), account, NULL, error))
		return NULL;
	return g_strdup_printf("Saved. The settings for %s take effect at its next login.",
			       server);
}

static const PgAdhocCommand pg_server_settings_command = {
    .node = PG_SERVER_SETTINGS_NODE,
    .name = "Configure the IRC server",
    .execute = pg_server_settings_fixed_execute_cb,
    .form = pg_server_settings_fixed_form_cb,
};

void
pg_server_settings_add_command(PgSessionManager *self, PgTransport *transport)
{
	if (pg_session_network(transport)->server_settings_form != NULL &&
	    pg_server_settings_fixed_server(transport) != NULL)
		pg_transport_add_command(transport, &pg_server_settings_command, self);
}

void
pg_server_settings_remove_command(PgTransport *transport)
{
	pg_transport_remove_command(transport, PG_SERVER_SETTINGS_NODE);
}
