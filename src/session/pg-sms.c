/* SMS through Kannel: the outbox pump, Kannel's answers, inbound SMS and
 * delivery reports.  See pg-sms.h for the design.
 *
 * IDs: the message id in the dlr-url is chosen here ("pg" + the outbox row
 * id) and handed to the plugin with send-im, so it is in the registry
 * before the send and a delivery report can never arrive for an id we do
 * not know yet.
 *
 * INVARIANT: every outbox row this process marks "sending" is resolved by
 * an sms-sent event, or put back by pg_sms_on_link_down() when its link
 * goes away; a row left "sending" would block its recipient's queue.
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "core/pg-phone.h"
#include "http/pg-http.h"
#include "network/pg-network-sms.h"
#include "registry/pg-account.h"
#include "session/pg-limits.h"
#include "session/pg-link.h"
#include "session/pg-session-metrics.h"
#include "session/pg-sms-private.h"
#include "session/pg-sms.h"
#include "stanza/pg-stanza.h"

#define PG_SMS_PUMP_BATCH 200
#define PG_SMS_RETRY_MIN_S 5
#define PG_SMS_RETRY_MAX_S 300
#define PG_SMS_SWEEP_S 30
#define PG_SMS_PURGE_AFTER_S (7 * 24 * 3600)
#define PG_NS_RECEIPTS "urn:xmpp:receipts"

static PgTransport *
pg_sms_find_transport(PgSms *self, const gchar *jid)
{
	for (guint i = 0; i < self->manager->transports->len; i++) {
		PgTransport *transport = g_ptr_array_index(self->manager->transports, i);
		if (g_strcmp0(pg_transport_get_jid(transport), jid) == 0)
			return transport;
	}
	return NULL;
}

/* Kannel gives numbers as the SMSC does: "+4915...", "004915..." or
 * "4915..." (international without the +). */
static gchar *
pg_sms_normalize_kannel_number(const gchar *number)
{
	gchar *e164 = pg_phone_normalize_e164(number, NULL);
	if (e164 == NULL && g_ascii_isdigit(number[0]) && number[0] != '0') {
		g_autofree gchar *plus = g_strdup_printf("+%s", number);
		e164 = pg_phone_normalize_e164(plus, NULL);
	}
	return e164;
}

/* A message error about a text the user sent (pg_sms_send_error_now()),
 * kept in the inbox while the XMPP server is away. */
static void
pg_sms_send_error(PgSms *self, PgTransport *transport, const PgSmsMessage *msg,
		  const gchar *condition, const gchar *type, const gchar *text)
{
	/* the XMPP server is away: the error waits in the inbox */
	if (pg_sms_keep(self, transport, msg->user_jid, PG_SMS_INBOX_FAILURE, msg->recipient, text,
			msg->xmpp_id, condition, type) == PG_SMS_KEPT)
		return;
	pg_sms_send_error_now(self->manager, transport, msg, condition, type, text);
}

/* ---------------------------------------------------------------- the outbox */

static void pg_sms_schedule(PgSms *self);

static void
pg_sms_pump(PgSms *self)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) due = NULL;
	gint64 now = pg_sms_now();

	if (self->draining)
		return;
	due = pg_sms_queue_next_due(self->registry, NULL, now, PG_SMS_PUMP_BATCH, &error);
	if (due == NULL) {
		g_warning("SMS outbox: %s", error->message);
		return;
	}
	for (guint i = 0; i < due->len; i++) {
		PgSmsMessage *msg = g_ptr_array_index(due, i);
		PgTransport *transport = pg_sms_find_transport(self, msg->transport);
		g_autofree gchar *legacy_id = g_strdup_printf("pg%" G_GINT64_FORMAT, msg->id);
		PgSession *session;
		PgLink *link;

		if (transport == NULL) {
			pg_sms_queue_mark_failed(self->registry, msg->id,
						 "the transport is no longer configured", now, NULL);
			continue;
		}
		if (!pg_sms_queue_mark_sending(self->registry, msg->id, legacy_id, now, &error)) {
			g_warning("SMS outbox: %s", error->message);
			g_clear_error(&error);
			continue;
		}
		/* sending does not need the user online: the session comes up for it */
		session = pg_session_ensure(self->manager, msg->user_jid, transport);
		link = pg_session_get_link(session, "");
		pg_link_command(link,
				pg_ipc_message_new(PG_IPC_CMD_SEND_IM, 0, "account",
						   g_variant_new_string(link->account), "to",
						   g_variant_new_string(msg->recipient), "body",
						   g_variant_new_string(pg_secret_get_string(msg->body)),
						   "message_id", g_variant_new_string(legacy_id), NULL),
				NULL);
	}
	pg_sms_schedule(self);
}

static gboolean
pg_sms_pump_cb(gpointer user_data)
{
	PgSms *self = user_data;
	self->pump_id = 0;
	pg_sms_pump(self);
	return G_SOURCE_REMOVE;
}

/* Wake up when the next queue head is due (at most a minute from now, so a
 * clock step never strands the outbox). */
static void
pg_sms_schedule(PgSms *self)
{
	gint64 next = pg_sms_queue_next_wakeup(self->registry, NULL);
	gint64 delay;

	g_clear_handle_id(&self->pump_id, g_source_remove);
	if (next == G_MAXINT64 || self->draining)
		return;
	delay = CLAMP(next - pg_sms_now(), 0, 60);
	if (delay == 0)
		self->pump_id = g_idle_add(pg_sms_pump_cb, self);
	else
		self->pump_id = g_timeout_add_seconds((guint)delay, pg_sms_pump_cb, self);
}

gboolean
pg_sms_handle_message(PgSms *self, PgTransport *transport, xmpp_stanza_t *message,
		      const gchar *user_jid, const PgJid *to)
{
	g_autofree gchar *body = pg_stanza_get_child_text(message, "body");
	g_autofree gchar *number = NULL;
	g_autofree gchar *contact = NULL;
	g_autoptr(GError) error = NULL;
	gboolean want_receipt;
	gint64 id;

	if (body == NULL || body[0] == '\0')
		return TRUE; /* chat states and receipts: SMS has none */
	number = pg_network_sms_parse(pg_transport_get_config(transport), to, &error);
	if (number == NULL) {
		pg_transport_reply_error(transport, message, error);
		return TRUE;
	}
	if (!pg_limits_allow_sms(self->manager->limits, transport, user_jid, pg_sms_now(), &error)) {
		pg_transport_reply_error(transport, message, error);
		return TRUE;
	}
	/* XEP-0184 §5.4: a receipt only for a message that asked for one */
	want_receipt = xmpp_stanza_get_child_by_name_and_ns(message, "request", PG_NS_RECEIPTS) !=
		       NULL;
	id = pg_sms_queue_enqueue(self->registry, pg_transport_get_jid(transport), user_jid, number,
				  (const guint8 *)body, strlen(body), xmpp_stanza_get_id(message),
				  want_receipt, pg_sms_now(), &error);
	if (id == 0) {
		pg_transport_reply_error(transport, message, error);
		return TRUE;
	}
	contact = pg_sms_contact_jid(transport, number);
	pg_sms_offer_contact(transport, pg_session_ensure(self->manager, user_jid, transport),
			     user_jid, contact);
	pg_sms_pump(self);
	return TRUE;
}

static guint
pg_sms_retry_delay(guint attempts)
{
	guint delay = PG_SMS_RETRY_MIN_S;
	for (guint i = 1; i < attempts && delay < PG_SMS_RETRY_MAX_S; i++)
		delay *= 2;
	return MIN(delay, PG_SMS_RETRY_MAX_S);
}

static void pg_sms_release_session(PgSms *self, PgTransport *transport, const gchar *user_jid);

void
pg_sms_on_sent(PgSms *self, PgLink *link, const PgIpcMessage *msg)
{
	PgTransport *transport = link->session->transport;
	const gchar *message_id = pg_ipc_message_get_string(msg, "message_id");
	const gchar *reason = pg_ipc_message_get_string(msg, "reason");
	guint outcome = pg_ipc_message_get_uint32(msg, "outcome", 2);
	g_autoptr(GError) error = NULL;
	g_autoptr(PgSmsMessage) sms = NULL;
	gint64 now = pg_sms_now();

	sms = pg_sms_queue_find_by_legacy_id(self->registry, pg_transport_get_jid(transport),
					     message_id, &error);
	if (sms == NULL) {
		g_debug("sms-sent for an unknown message: %s", error->message);
		return;
	}
	if (sms->state != PG_SMS_STATE_SENDING) {
		/* already resolved: its delivery report overtook this answer (the
		 * report comes straight from Kannel, the answer through the
		 * worker), or it was requeued after a worker crash */
		pg_sms_pump(self);
		return;
	}
	switch (outcome) {
	case 0:
		pg_sms_queue_mark_accepted(self->registry, sms->id, NULL, now, NULL);
		break;
	case 1: {
		guint max_age = pg_transport_get_config(transport)->sms_retry_max_age;
		if (now - sms->created_at >= (gint64)max_age) {
			/* tried long enough: fail it now rather than at the next sweep */
			g_autofree gchar *text = g_strdup_printf(
			    "the SMS gateway did not take the message within %u s (%s)", max_age,
			    reason != NULL ? reason : "temporary failure");
			pg_sms_queue_mark_failed(self->registry, sms->id, text, now, NULL);
			pg_sms_send_error(self, transport, sms, "remote-server-timeout", "wait", text);
			break;
		}
		g_message("SMS %" G_GINT64_FORMAT " of %s: Kannel did not take it (%s); retrying",
			  sms->id, sms->user_jid, reason != NULL ? reason : "temporary failure");
		pg_sms_queue_mark_retry(self->registry, sms->id, pg_sms_retry_delay(sms->attempts),
					reason, now, NULL);
		break;
	}
	default:
		/* RFC 6120 §8.3.3.11: the SMS gateway refused it for good */
		pg_sms_queue_mark_failed(self->registry, sms->id, reason, now, NULL);
		pg_sms_send_error(self, transport, sms, "not-acceptable", "cancel",
				  reason != NULL ? reason : "the SMS gateway refused the message");
		break;
	}
	pg_sms_pump(self);
	pg_sms_release_session(self, transport, sms->user_jid);
}

void
pg_sms_on_link_down(PgSms *self, PgLink *link)
{
	PgSession *session = link->session;
	g_autoptr(GPtrArray) messages = NULL;
	gint64 now = pg_sms_now();

	if (self == NULL || !pg_sms_serves(session->transport))
		return;
	/* sends that waited for this link would go out a second time once the
	 * rows below are queued again: drop them, the pump resends */
	for (GList *l = link->pending->head; l != NULL;) {
		GList *next = l->next;
		PgIpcMessage *pending = l->data;
		if (pending->kind == PG_IPC_CMD_SEND_IM) {
			pg_ipc_message_free(pending);
			g_queue_delete_link(link->pending, l);
		}
		l = next;
	}
	messages = pg_sms_queue_list_for_user(self->registry, pg_transport_get_jid(session->transport),
					      session->user_jid, NULL);
	for (guint i = 0; messages != NULL && i < messages->len; i++) {
		PgSmsMessage *sms = g_ptr_array_index(messages, i);
		if (sms->state == PG_SMS_STATE_SENDING)
			pg_sms_queue_mark_retry(self->registry, sms->id,
						pg_sms_retry_delay(sms->attempts),
						link->last_error != NULL ? link->last_error
									 : "connection lost",
						now, NULL);
	}
	pg_sms_schedule(self);
}

gboolean
pg_sms_holds_session(PgSms *self, PgSession *session)
{
	if (self == NULL || !pg_sms_serves(session->transport))
		return FALSE;
	return pg_sms_queue_count_pending(self->registry, pg_transport_get_jid(session->transport),
					  session->user_jid, NULL) != 0;
}

/* A session that came up only to send (its user has no available
 * resource) ends once its texts are out of the queue: each is answered,
 * accepted or given up.  The grace period leaves room for the next text. */
static void
pg_sms_release_session(PgSms *self, PgTransport *transport, const gchar *user_jid)
{
	PgSession *session = pg_session_lookup(self->manager, user_jid, transport);

	if (session != NULL && !pg_sms_holds_session(self, session))
		pg_session_release(session);
}

/* Every PG_SMS_SWEEP_S: fail what waited too long, forget old rows, and end
 * the sessions that only existed to send. */
static gboolean
pg_sms_sweep_cb(gpointer user_data)
{
	PgSms *self = user_data;
	gint64 now = pg_sms_now();
	GHashTableIter iter;
	gpointer value;

	for (guint i = 0; i < self->manager->transports->len; i++) {
		PgTransport *transport = g_ptr_array_index(self->manager->transports, i);
		const PgTransportConfig *config = pg_transport_get_config(transport);
		g_autoptr(GPtrArray) expired = NULL;

		if (!pg_sms_serves(transport))
			continue;
		expired = pg_sms_queue_expire(self->registry, config->jid, config->sms_retry_max_age,
					      now, NULL);
		for (guint j = 0; expired != NULL && j < expired->len; j++) {
			PgSmsMessage *sms = g_ptr_array_index(expired, j);
			g_autofree gchar *text = NULL;

			text = g_strdup_printf(
			    "the SMS gateway did not take the message within %u s (%s)",
			    config->sms_retry_max_age,
			    sms->last_error != NULL ? sms->last_error : "no answer");
			pg_sms_send_error(self, transport, sms, "remote-server-timeout", "wait", text);
		}
	}
	pg_sms_queue_purge(self->registry, now - PG_SMS_PURGE_AFTER_S, NULL, NULL);
	g_hash_table_iter_init(&iter, self->manager->sessions);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgSession *session = value;
		if (!pg_sms_holds_session(self, session) &&
		    pg_sms_serves(session->transport))
			pg_session_release(session);
	}
	return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------- Kannel's callbacks */

static guint
pg_sms_http_inbound_cb(PgHttp *http, const PgTransportConfig *config, const gchar *from,
		       const gchar *to, const gchar *text, gpointer user_data)
{
	PgSms *self = user_data;
	PgTransport *transport = pg_sms_find_transport(self, config->jid);
	g_autofree gchar *receiver = pg_sms_normalize_kannel_number(to);
	g_autofree gchar *sender = pg_sms_normalize_kannel_number(from);
	g_autofree gchar *contact = NULL;
	g_autoptr(PgAccount) account = NULL;
	PgSession *session;
	PgLink *link;

	if (transport == NULL)
		return 503;
	if (receiver == NULL || sender == NULL) {
		g_message("%s: inbound SMS with an unusable number (from %s to %s): dropped",
			  config->jid, from, to);
		return 404;
	}
	account = pg_registry_find_by_legacy_id(self->registry, config->jid, receiver, NULL);
	if (account == NULL) {
		g_message("%s: inbound SMS for %s, which no user registered: refused", config->jid,
			  receiver);
		return 404;
	}
	/* Kannel's answer says whether it may forget the SMS, so 200 comes only
	 * once the SMS is out to the XMPP server or committed to the inbox.  If
	 * it cannot be kept, 503: smsbox retries a failed get-url only if its
	 * http-request-retry is set (the Kannel User's Guide, smsbox group; the
	 * retries live in smsbox's memory) and else texts the sender its
	 * reply-requestfailed, which is still better than a 200 for a lost SMS. */
	switch (pg_sms_keep(self, transport, account->user_jid, PG_SMS_INBOX_SMS, sender, text, NULL,
			    NULL, NULL)) {
	case PG_SMS_KEPT:
		return 200;
	case PG_SMS_NOT_KEPT:
		return 503;
	case PG_SMS_SEND_NOW:
	default:
		break;
	}
	contact = pg_sms_contact_jid(transport, sender);
	session = pg_session_lookup(self->manager, account->user_jid, transport);
	link = session != NULL ? g_hash_table_lookup(session->links, "") : NULL;
	pg_sms_offer_contact(transport, session, account->user_jid, contact);
	if (link != NULL && link->state == PG_LINK_CONNECTED) {
		/* the plugin sees it like any received IM; im-received follows */
		pg_link_command(link,
				pg_ipc_message_new(PG_IPC_CMD_INJECT_IM, 0, "account",
						   g_variant_new_string(link->account), "from",
						   g_variant_new_string(sender), "body",
						   g_variant_new_string(text), NULL),
				NULL);
	} else {
		/* no session: to the bare JID, which the server stores offline */
		xmpp_stanza_t *message = xmpp_message_new(pg_transport_get_ctx(transport), "chat",
							  account->user_jid, NULL);
		pg_stanza_set_from(message, contact);
		pg_stanza_set_body(message, text);
		pg_transport_send(transport, message);
		xmpp_stanza_release(message);
	}
	return 200;
}

static guint
pg_sms_http_dlr_cb(PgHttp *http, const PgTransportConfig *config, const gchar *message_id,
		   gint status, const gchar *answer, gpointer user_data)
{
	PgSms *self = user_data;
	PgTransport *transport = pg_sms_find_transport(self, config->jid);
	g_autoptr(PgSmsMessage) sms = NULL;
	gint64 now = pg_sms_now();

	if (transport == NULL)
		return 503;
	sms = pg_sms_queue_find_by_legacy_id(self->registry, config->jid, message_id, NULL);
	if (sms == NULL)
		return 404;
	if ((status & PG_HTTP_DLR_DELIVERED) != 0) {
		/* one receipt, on the report that moves it to delivered; the
		 * request is stored with the message, so this holds across a
		 * restart between the send and the report */
		gboolean first = sms->state == PG_SMS_STATE_SENDING ||
				 sms->state == PG_SMS_STATE_ACCEPTED;
		gboolean receipt = first && sms->want_receipt && sms->xmpp_id != NULL;
		PgSmsKeep keep = receipt ? pg_sms_keep(self, transport, sms->user_jid,
						       PG_SMS_INBOX_RECEIPT, sms->recipient,
						       sms->xmpp_id, NULL, NULL, NULL)
					 : PG_SMS_SEND_NOW;

		if (keep == PG_SMS_NOT_KEPT)
			return 503; /* Kannel may report it again; nothing changed */
		if (pg_sms_queue_mark_delivered(self->registry, sms->id, now, NULL) && receipt &&
		    keep == PG_SMS_SEND_NOW)
			pg_sms_send_receipt(transport, sms->user_jid, sms->recipient, sms->xmpp_id);
	} else if ((status & (PG_HTTP_DLR_FAILED | PG_HTTP_DLR_SMSC_NACK)) != 0) {
		g_autofree gchar *text = g_strdup_printf(
		    "the text message could not be delivered%s%s", answer[0] != '\0' ? ": " : "",
		    answer);
		if (sms->state != PG_SMS_STATE_FAILED) {
			pg_sms_queue_mark_failed(self->registry, sms->id, text, now, NULL);
			pg_sms_send_error(self, transport, sms, "recipient-unavailable", "cancel", text);
		}
	}
	/* buffered (4) and SMSC acknowledgement (8): nothing to tell yet.  A
	 * final report may resolve a message still "sending" (it can overtake
	 * the sendsms answer), which frees its recipient's queue. */
	if (sms->state == PG_SMS_STATE_SENDING)
		pg_sms_pump(self);
	return 200;
}

static gchar *
pg_sms_http_metrics_cb(gpointer user_data)
{
	PgSms *self = user_data;
	return pg_session_manager_metrics(self->manager);
}

static const PgHttpDelegate pg_sms_http_delegate = {
    .inbound = pg_sms_http_inbound_cb,
    .dlr = pg_sms_http_dlr_cb,
    .metrics = pg_sms_http_metrics_cb,
};

PgSms *
pg_sms_new(PgSessionManager *manager, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	PgSms *self = g_new0(PgSms, 1);
	guint requeued = 0;

	self->manager = manager;
	for (guint i = 0; i < manager->transports->len && self->registry == NULL; i++)
		self->registry = pg_transport_get_registry(g_ptr_array_index(manager->transports, i));
	if (manager->config->http_port != 0) {
		self->http = pg_http_new(manager->config, &pg_sms_http_delegate, self, error);
		if (self->http == NULL) {
			g_free(self);
			return NULL;
		}
		g_info("HTTP listener on %s:%u", manager->config->http_listen,
		       pg_http_get_port(self->http));
	}
	if (self->registry != NULL) {
		if (!pg_sms_queue_requeue_in_flight(self->registry, &requeued, pg_sms_now(),
						    &local_error))
			g_warning("SMS outbox: %s", local_error->message);
		else if (requeued > 0)
			g_message("SMS outbox: %u message(s) left in flight are queued again",
				  requeued);
		pg_sms_schedule(self);
		self->sweep_id = g_timeout_add_seconds(PG_SMS_SWEEP_S, pg_sms_sweep_cb, self);
	}
	return self;
}

static gboolean
pg_sms_drain_deadline_cb(gpointer user_data)
{
	gboolean *expired = user_data;
	*expired = TRUE;
	return G_SOURCE_REMOVE;
}

/* DESIGN: a text whose sendsms request is under way when the gateway stops
 * may or may not have reached Kannel; the worker cannot tell, so it is
 * queued again and sent a second time after the restart.  A crash cannot
 * avoid that, a restart can: wait for the answers first (they take
 * milliseconds), with a deadline so that a hung SMS gateway cannot hold
 * the stop. */
void
pg_sms_drain(PgSms *self, guint timeout_ms)
{
	gboolean expired = FALSE;
	guint deadline_id;
	gint64 sending;

	if (self == NULL)
		return;
	self->draining = TRUE;
	g_clear_handle_id(&self->pump_id, g_source_remove);
	sending = pg_sms_queue_count_sending(self->registry, NULL);
	if (sending <= 0)
		return;
	g_message("waiting up to %u ms for the answers to %" G_GINT64_FORMAT
		  " text(s) handed to the SMS gateway",
		  timeout_ms, sending);
	deadline_id = g_timeout_add(timeout_ms, pg_sms_drain_deadline_cb, &expired);
	while (!expired && pg_sms_queue_count_sending(self->registry, NULL) > 0)
		g_main_context_iteration(NULL, TRUE);
	if (expired)
		g_warning("SMS: %" G_GINT64_FORMAT " text(s) still unanswered at shutdown; "
			  "they are sent again after the restart",
			  pg_sms_queue_count_sending(self->registry, NULL));
	else
		g_source_remove(deadline_id);
}

void
pg_sms_free(PgSms *self)
{
	if (self == NULL)
		return;
	g_clear_handle_id(&self->pump_id, g_source_remove);
	g_clear_handle_id(&self->sweep_id, g_source_remove);
	g_clear_handle_id(&self->deliver_id, g_source_remove);
	g_clear_pointer(&self->http, pg_http_free);
	g_free(self);
}
