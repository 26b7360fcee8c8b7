/* Legacy contacts: their messages, typing and presence to the user, and
 * the user's to them.  A contact's JID is its network driver's
 * (network/pg-network.h); its presence is remembered per link (online),
 * so that the user's client is told when the gateway stops.
 *
 * Roster items (XEP-0356, XEP-0144, subscription requests) are not pushed
 * yet: the user adds contacts, and their subscription is approved.
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include "session/pg-contacts.h"
#include "session/pg-link.h"
#include "xmpp/pg-stanza.h"

void
pg_contacts_on_im(PgLink *link, const PgIpcMessage *msg)
{
	PgSession *session = link->session;
	g_autofree gchar *from = NULL;
	xmpp_stanza_t *message;

	from = pg_session_contact_jid(link, pg_ipc_message_get_string(msg, "from"));
	message = xmpp_message_new(pg_session_ctx(session), "chat", session->user_jid, NULL);
	pg_stanza_set_from(message, from);
	pg_stanza_set_body(message, pg_ipc_message_get_string(msg, "body"));
	pg_stanza_add_child(message, "active", PG_NS_CHATSTATES);
	pg_session_send(session, message);
}

void
pg_contacts_on_typing(PgLink *link, const PgIpcMessage *msg)
{
	PgSession *session = link->session;
	g_autofree gchar *from =
	    pg_session_contact_jid(link, pg_ipc_message_get_string(msg, "from"));
	const gchar *state = pg_ipc_message_get_string(msg, "state");
	xmpp_stanza_t *message =
	    xmpp_message_new(pg_session_ctx(session), "chat", session->user_jid, NULL);

	/* the worker names XEP-0085 §5 chat states (pg-ipc-message.h) */
	pg_stanza_set_from(message, from);
	pg_stanza_add_child(message,
			    g_strv_contains((const gchar *const[]){"composing", "paused", "active",
								   "inactive", "gone", NULL},
					    state)
				? state
				: "active",
			    PG_NS_CHATSTATES);
	pg_session_send(session, message);
}

void
pg_contacts_on_buddy_presence(PgLink *link, const PgIpcMessage *msg)
{
	PgSession *session = link->session;
	g_autofree gchar *from =
	    pg_session_contact_jid(link, pg_ipc_message_get_string(msg, "who"));
	const gchar *status = pg_ipc_message_get_string(msg, "status");
	const gchar *text = pg_ipc_message_get_string(msg, "message");
	xmpp_stanza_t *presence = xmpp_presence_new(pg_session_ctx(session));

	pg_stanza_set_from(presence, from);
	xmpp_stanza_set_to(presence, session->user_jid);
	if (g_strcmp0(status, "offline") == 0) {
		xmpp_stanza_set_type(presence, "unavailable");
		g_hash_table_remove(link->online, from);
	} else {
		g_hash_table_add(link->online, g_strdup(from));
		/* RFC 6121 §4.7.2.1: <show/> is one of four words */
		if (g_strv_contains((const gchar *const[]){"away", "chat", "dnd", "xa", NULL},
				    status != NULL ? status : ""))
			pg_stanza_add_text_child(presence, "show", status);
	}
	if (text != NULL && text[0] != '\0')
		pg_stanza_add_text_child(presence, "status", text);
	pg_session_send(session, presence);
}

/* Presence to a contact: subscriptions are approved (legacy networks like
 * IRC have none), a probe learns nothing of the contact yet. */
gboolean
pg_contacts_handle_subscription(PgTransport *transport, xmpp_stanza_t *presence,
				const gchar *user_jid, const PgJid *to)
{
	const gchar *type = xmpp_stanza_get_type(presence);

	xmpp_stanza_t *reply;

	if (g_strcmp0(type, "subscribe") != 0 && g_strcmp0(type, "probe") != 0)
		return FALSE;
	reply = xmpp_presence_new(pg_transport_get_ctx(transport));
	xmpp_stanza_set_from(reply, to->bare);
	xmpp_stanza_set_to(reply, user_jid);
	xmpp_stanza_set_type(reply,
			     g_strcmp0(type, "subscribe") == 0 ? "subscribed" : "unavailable");
	pg_transport_send(transport, reply);
	xmpp_stanza_release(reply);
	return TRUE;
}

void
pg_contacts_send(PgLink *link, xmpp_stanza_t *message, const gchar *who, const gchar *body)
{
	if (body == NULL) {
		xmpp_stanza_t *state = xmpp_stanza_get_child_by_ns(message, PG_NS_CHATSTATES);
		if (state != NULL && link->state == PG_LINK_CONNECTED)
			pg_link_command(
			    link,
			    pg_ipc_message_new(PG_IPC_CMD_TYPING, 0, "account",
					       g_variant_new_string(link->account), "to",
					       g_variant_new_string(who), "state",
					       g_variant_new_string(xmpp_stanza_get_name(state)),
					       NULL),
			    NULL);
		return;
	}
	pg_link_command(link,
			pg_ipc_message_new(PG_IPC_CMD_SEND_IM, 0, "account",
					   g_variant_new_string(link->account), "to",
					   g_variant_new_string(who), "body",
					   g_variant_new_string(body), NULL),
			message);
}

/* Unavailable presence from @from (a contact or the transport) to the user. */
void
pg_contacts_send_unavailable(PgSession *session, const gchar *from)
{
	xmpp_stanza_t *presence = xmpp_presence_new(pg_session_ctx(session));

	xmpp_stanza_set_type(presence, "unavailable");
	pg_stanza_set_from(presence, from);
	xmpp_stanza_set_to(presence, session->user_jid);
	pg_session_send(session, presence);
}

void
pg_contacts_say_goodbye(PgLink *link)
{
	GHashTableIter iter;
	gpointer key;

	g_hash_table_iter_init(&iter, link->online);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		pg_contacts_send_unavailable(link->session, key);
	g_hash_table_remove_all(link->online);
}
