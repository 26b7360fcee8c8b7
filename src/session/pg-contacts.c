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
#include "session/pg-receipts.h"
#include "stanza/pg-stanza.h"

/* XEP-0203 §3: <delay from stamp/> on @message, sent at @stamp (Unix
 * seconds, from an untrusted worker) and kept by the legacy network; "from"
 * names the entity that delayed it, and the gateway is where the legacy
 * server's own address (which the plugin does not tell) meets XMPP.  A stamp
 * in the future, or one GLib cannot date, is no delay. */
static void
pg_contacts_add_delay(PgSession *session, xmpp_stanza_t *message, gint64 stamp)
{
	g_autoptr(GDateTime) when = NULL;
	g_autofree gchar *text = NULL;
	xmpp_stanza_t *delay;

	if (stamp <= 0 || stamp > g_get_real_time() / G_USEC_PER_SEC)
		return;
	when = g_date_time_new_from_unix_utc(stamp);
	if (when == NULL)
		return;
	/* XEP-0082 §3.2 DateTime, UTC */
	text = g_date_time_format(when, "%Y-%m-%dT%H:%M:%SZ");
	delay = pg_stanza_add_child(message, "delay", PG_NS_DELAY);
	pg_stanza_set_attribute(delay, "from", pg_transport_get_jid(session->transport));
	pg_stanza_set_attribute(delay, "stamp", text);
}

void
pg_contacts_on_im(PgLink *link, const PgIpcMessage *msg)
{
	PgSession *session = link->session;
	g_autoptr(GVariant) stamp = pg_ipc_message_get_value(msg, "stamp");
	g_autofree gchar *from = NULL;
	xmpp_stanza_t *message;

	from = pg_session_contact_jid(link, pg_ipc_message_get_string(msg, "from"));
	message = xmpp_message_new(pg_session_ctx(session), "chat", session->user_jid, NULL);
	pg_stanza_set_from(message, from);
	pg_stanza_set_body(message, pg_ipc_message_get_string(msg, "body"));
	if (stamp != NULL)
		pg_contacts_add_delay(session, message, g_variant_get_int64(stamp));
	else
		/* XEP-0085 §5.1: a live message says the contact is active; a
		 * late one says nothing of now */
		pg_stanza_add_child(message, "active", PG_NS_CHATSTATES);
	pg_receipts_on_im(link, msg, message);
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
	guint32 receipt;

	if (body == NULL) {
		xmpp_stanza_t *state = xmpp_stanza_get_child_by_ns(message, PG_NS_CHATSTATES);
		if (pg_receipts_on_user_receipt(link, message, who))
			return;
		/* a plugin without typing would take them for nothing (XEP-0085
		 * §5.1: they are not advertised then, pg-contact-caps.c) */
		if (state != NULL && link->state == PG_LINK_CONNECTED &&
		    pg_network_chat_states(pg_transport_get_config(link->session->transport)))
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
	receipt = pg_receipts_on_user_message(link, message, who);
	pg_link_command(link,
			pg_ipc_message_new(PG_IPC_CMD_SEND_IM, 0, "account",
					   g_variant_new_string(link->account), "to",
					   g_variant_new_string(who), "body",
					   g_variant_new_string(body), "receipt",
					   receipt != 0 ? g_variant_new_uint32(receipt) : NULL, NULL),
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
