/* What Kannel hands us while the XMPP side is away: kept in the registry's
 * inbox (pg-sms-inbox.h) and sent when the component is back.
 *
 * INVARIANT: an item leaves the inbox only after its stanza was handed to
 * a connected component; while older items of a user wait, newer ones
 * queue behind them, so a user's items keep the order Kannel gave them.
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include "session/pg-sms-kept.h"
#include "session/pg-sms-private.h"
#include "stanza/pg-stanza.h"

#define PG_NS_RECEIPTS "urn:xmpp:receipts"
#define PG_SMS_INBOX_BATCH 200

/* DESIGN: what Kannel hands us for a user (an inbound SMS, a delivery
 * report) becomes a stanza at once; a stanza sent while the component is
 * disconnected would be dropped (pg-component.c), and Kannel would have had
 * its 200 already.  So while the component is away, or while older items of
 * the same user still wait (their order is kept), the item goes to the
 * sealed inbox in the registry (pg-sms-inbox.h), committed before Kannel
 * gets its answer, and pg_sms_deliver_kept() sends it when the component is
 * back. */
static gboolean pg_sms_deliver_kept_cb(gpointer user_data);

PgSmsKeep
pg_sms_keep(PgSms *self, PgTransport *transport, const gchar *user_jid, PgSmsInboxKind kind,
	    const gchar *peer, const gchar *body, const gchar *xmpp_id, const gchar *condition,
	    const gchar *error_type)
{
	g_autoptr(GError) error = NULL;
	const gchar *jid = pg_transport_get_jid(transport);

	if (self->registry == NULL)
		return PG_SMS_SEND_NOW;
	if (pg_transport_is_connected(transport) &&
	    (self->delivering || pg_sms_inbox_count(self->registry, jid, user_jid, NULL) == 0))
		return PG_SMS_SEND_NOW;
	if (pg_sms_inbox_put(self->registry, jid, user_jid, kind, peer, body, xmpp_id, condition,
			     error_type, pg_sms_now(), &error) == 0) {
		g_warning("%s: cannot keep an item for %s while the XMPP server is away: %s", jid,
			  user_jid, error->message);
		return PG_SMS_NOT_KEPT;
	}
	g_message("%s: kept an item for %s until the XMPP server is back", jid, user_jid);
	/* connected, but behind older items: they all go out in order soon */
	if (pg_transport_is_connected(transport) && self->deliver_id == 0)
		self->deliver_id = g_idle_add(pg_sms_deliver_kept_cb, self);
	return PG_SMS_KEPT;
}

/* An SMS kept in the inbox, to the user's bare JID (the XMPP server keeps
 * it offline if no resource is online), stamped with when Kannel gave it
 * to us (XEP-0203 §3: from is the entity that delayed it). */
static void
pg_sms_send_kept_sms(PgSms *self, PgTransport *transport, const PgSmsInboxItem *item)
{
	g_autofree gchar *contact = pg_sms_contact_jid(transport, item->peer);
	g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc(item->created_at);
	g_autofree gchar *stamp = g_date_time_format(when, "%Y-%m-%dT%H:%M:%SZ");
	xmpp_stanza_t *message = xmpp_message_new(pg_transport_get_ctx(transport), "chat",
						  item->user_jid, NULL);
	xmpp_stanza_t *delay;

	pg_sms_offer_contact(transport, pg_session_lookup(self->manager, item->user_jid, transport),
			     item->user_jid, contact);
	pg_stanza_set_from(message, contact);
	pg_stanza_set_body(message, pg_secret_get_string(item->body));
	delay = pg_stanza_add_child(message, "delay", PG_NS_DELAY);
	pg_stanza_set_attribute(delay, "from", pg_transport_get_jid(transport));
	pg_stanza_set_attribute(delay, "stamp", stamp);
	pg_transport_send(transport, message);
	xmpp_stanza_release(message);
}

/* Sends what waits in the inbox for @transport's users, oldest first, each
 * deleted once handed to the component.  Stops if the component goes away
 * again meanwhile (the rest waits for the next time). */
static void
pg_sms_deliver_kept_on(PgSms *self, PgTransport *transport)
{
	const gchar *jid = pg_transport_get_jid(transport);
	guint delivered = 0;

	self->delivering = TRUE;
	for (;;) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) items = NULL;

		if (!pg_transport_is_connected(transport))
			break;
		items = pg_sms_inbox_list(self->registry, jid, NULL, PG_SMS_INBOX_BATCH, &error);
		if (items == NULL) {
			g_warning("%s: cannot read the SMS inbox: %s", jid, error->message);
			break;
		}
		for (guint i = 0; i < items->len && pg_transport_is_connected(transport); i++) {
			PgSmsInboxItem *item = g_ptr_array_index(items, i);

			switch (item->kind) {
			case PG_SMS_INBOX_SMS:
				pg_sms_send_kept_sms(self, transport, item);
				break;
			case PG_SMS_INBOX_RECEIPT:
				pg_sms_send_receipt(transport, item->user_jid, item->peer,
						    pg_secret_get_string(item->body));
				break;
			case PG_SMS_INBOX_FAILURE:
			default: {
				PgSmsMessage msg = {.user_jid = item->user_jid,
						    .recipient = item->peer,
						    .xmpp_id = item->xmpp_id};
				pg_sms_send_error_now(self->manager, transport, &msg,
						  item->condition != NULL ? item->condition
									  : "undefined-condition",
						  item->error_type != NULL ? item->error_type
									   : "cancel",
						  pg_secret_get_string(item->body));
				break;
			}
			}
			/* a crash right here repeats this item; it never loses it */
			if (!pg_sms_inbox_delete(self->registry, item->id, &error)) {
				g_warning("%s: %s", jid, error->message);
				self->delivering = FALSE;
				return;
			}
			delivered++;
		}
		if (items->len < PG_SMS_INBOX_BATCH)
			break;
	}
	self->delivering = FALSE;
	if (delivered > 0)
		g_message("%s: delivered %u item(s) kept while the XMPP server was away", jid,
			  delivered);
}

static gboolean
pg_sms_deliver_kept_cb(gpointer user_data)
{
	PgSms *self = user_data;

	self->deliver_id = 0;
	for (guint i = 0; i < self->manager->transports->len; i++)
		pg_sms_deliver_kept(self, g_ptr_array_index(self->manager->transports, i));
	return G_SOURCE_REMOVE;
}

void
pg_sms_deliver_kept(PgSms *self, PgTransport *transport)
{
	if (self == NULL || self->registry == NULL || !pg_sms_serves(transport))
		return;
	pg_sms_deliver_kept_on(self, transport);
}

gboolean
pg_sms_keep_im(PgSms *self, PgLink *link, const gchar *from, const gchar *body)
{
	PgTransport *transport = link->session->transport;

	if (self == NULL || !pg_sms_serves(transport) ||
	    pg_transport_is_connected(transport))
		return FALSE;
	return pg_sms_keep(self, transport, link->session->user_jid, PG_SMS_INBOX_SMS, from, body,
			   NULL, NULL, NULL) == PG_SMS_KEPT;
}

