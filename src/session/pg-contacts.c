/* Legacy contacts: their messages and typing to the user, and
 * the user's to them.  A contact's JID is its network driver's
 * (network/pg-network.h); its presence is remembered per link (online),
 * so that the user's client is told when the gateway stops.
 *
 * Buddy lists, contact presence and subscriptions are pg-roster.c's.
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include "session/pg-contacts.h"
#include "session/pg-link.h"
#include "stanza/pg-stanza.h"

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
