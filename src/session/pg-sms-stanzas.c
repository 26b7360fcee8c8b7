/* The stanzas the SMS side sends to a user: from a number's contact JID,
 * a subscription request, an error about a text, a delivery receipt.
 * Shared by the outbox (pg-sms.c) and the inbox delivery (pg-sms-kept.c).
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include "session/pg-sms-private.h"
#include "stanza/pg-stanza.h"

#define PG_NS_RECEIPTS "urn:xmpp:receipts"

gint64
pg_sms_now(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

gboolean
pg_sms_serves(PgTransport *transport)
{
	return pg_network_has(pg_session_network(transport), PG_NETWORK_OUTBOX);
}

gchar *
pg_sms_contact_jid(PgTransport *transport, const gchar *number)
{
	return g_strdup_printf("%s@%s", number, pg_transport_get_jid(transport));
}

/* XEP-0100 §4.1.2: a contact the user texts (or who texts them) is offered
 * to their roster once per session with a subscription request from it. */
void
pg_sms_offer_contact(PgTransport *transport, PgSession *session, const gchar *user_jid,
		     const gchar *contact_jid)
{
	xmpp_stanza_t *presence;

	if (session != NULL) {
		if (g_hash_table_contains(session->contacts, contact_jid))
			return;
		g_hash_table_add(session->contacts, g_strdup(contact_jid));
	}
	presence = xmpp_presence_new(pg_transport_get_ctx(transport));
	xmpp_stanza_set_type(presence, "subscribe");
	pg_stanza_set_from(presence, contact_jid);
	xmpp_stanza_set_to(presence, user_jid);
	pg_transport_send(transport, presence);
	xmpp_stanza_release(presence);
}

/* A message error about an SMS the user sent (RFC 6120 §8.3), from the
 * contact it was for, carrying the user's message id.  RFC 6121
 * §8.5.2.1.1: a server silently drops a message of type error sent to a
 * bare JID, so it goes to each of the user's online resources; with none
 * online, the user learns it from a chat message, which the server keeps
 * offline. */
void
pg_sms_send_error_now(PgSessionManager *manager, PgTransport *transport, const PgSmsMessage *msg,
		      const gchar *condition, const gchar *type, const gchar *text)
{
	g_autofree gchar *from = pg_sms_contact_jid(transport, msg->recipient);
	PgSession *session = pg_session_lookup(manager, msg->user_jid, transport);
	g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter iter;
	gpointer resource;

	if (session != NULL) {
		g_hash_table_iter_init(&iter, session->resources);
		while (g_hash_table_iter_next(&iter, &resource, NULL))
			g_ptr_array_add(targets, g_strdup(resource));
	}
	for (guint i = 0; i < targets->len; i++) {
		xmpp_stanza_t *message =
		    xmpp_message_new(pg_transport_get_ctx(transport), "error",
				     g_ptr_array_index(targets, i), msg->xmpp_id);
		xmpp_stanza_t *error;

		pg_stanza_set_from(message, from);
		error = pg_stanza_add_child(message, "error", NULL);
		xmpp_stanza_set_type(error, type);
		pg_stanza_add_child(error, condition, PG_NS_STANZAS);
		xmpp_stanza_set_ns(pg_stanza_add_text_child(error, "text", text), PG_NS_STANZAS);
		pg_transport_send(transport, message);
		xmpp_stanza_release(message);
	}
	if (targets->len == 0) {
		g_autofree gchar *notice =
		    g_strdup_printf("Your text message was not sent: %s", text);
		xmpp_stanza_t *message =
		    xmpp_message_new(pg_transport_get_ctx(transport), "chat", msg->user_jid, NULL);
		pg_stanza_set_from(message, from);
		pg_stanza_set_body(message, notice);
		pg_transport_send(transport, message);
		xmpp_stanza_release(message);
	}
}

/* XEP-0184 §4: the receipt names the message it acknowledges. */
void
pg_sms_send_receipt(PgTransport *transport, const gchar *user_jid, const gchar *recipient,
		    const gchar *xmpp_id)
{
	g_autofree gchar *from = pg_sms_contact_jid(transport, recipient);
	g_autofree gchar *id = g_uuid_string_random();
	xmpp_stanza_t *message =
	    xmpp_message_new(pg_transport_get_ctx(transport), NULL, user_jid, id);
	xmpp_stanza_t *received;

	pg_stanza_set_from(message, from);
	received = pg_stanza_add_child(message, "received", PG_NS_RECEIPTS);
	pg_stanza_set_attribute(received, "id", xmpp_id);
	pg_transport_send(transport, message);
	xmpp_stanza_release(message);
}
