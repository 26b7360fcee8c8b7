/* The durable SMS outbox, kept in the registry (schema v2, table sms_outbox).
 *
 * An SMS from a user goes in with pg_sms_queue_enqueue() before anything is
 * sent, so neither a gateway restart nor Kannel being down loses it.  Each
 * (transport, user JID, recipient) pair is one FIFO queue: SMS to one number
 * leave in the order they were written.  A message moves through
 *
 *   queued --mark_sending--> sending --mark_accepted--> accepted --> delivered
 *     ^                         |                          |            (DLR 1)
 *     +------mark_retry---------+                          +--> failed  (DLR 2/16)
 *   queued/sending --mark_failed / expire--> failed
 *
 * "accepted" means Kannel took it (sendsms answered 202); "delivered" and a
 * late "failed" come from delivery reports, found by their legacy_id (the id
 * the sender put in the dlr-url).
 *
 * ORDER: pg_sms_queue_next_due() returns only the HEAD of each queue (its
 * oldest queued-or-sending message), and only when that head is queued and
 * due.  So at most one message per recipient is in flight, and a head that
 * waits for its retry time holds back the later ones to the same recipient,
 * but never those to anyone else.
 *
 * SECRECY: the body is sealed with the vault (AES-256-GCM) under associated
 * data "sms\0transport\0user_jid\0recipient\0id": a stolen database shows no
 * text, and a sealed body moved to another row, user or number fails to
 * open.  Bodies come back as PgSecret (wiped when freed).  pg_registry_rekey()
 * reseals them with the accounts.
 *
 * TIME: every function that depends on the clock takes @now (Unix seconds),
 * so the daemon passes g_get_real_time() / G_USEC_PER_SEC and tests pass
 * whatever they like.
 *
 * Same threading rule as PgRegistry: one thread.
 */
#pragma once

#include <glib.h>

#include "core/pg-secret.h"
#include "registry/pg-registry.h"

G_BEGIN_DECLS

typedef enum {
	PG_SMS_STATE_QUEUED,    /* waiting to be sent (first time or retry) */
	PG_SMS_STATE_SENDING,   /* handed to Kannel, no answer yet */
	PG_SMS_STATE_ACCEPTED,  /* Kannel accepted it; a delivery report may follow */
	PG_SMS_STATE_DELIVERED, /* the handset got it (final) */
	PG_SMS_STATE_FAILED,    /* given up (final); last_error says why */
} PgSmsState;

typedef struct {
	gint64 id;          /* unique, never reused */
	gchar *transport;
	gchar *user_jid;    /* the sender's bare JID */
	gchar *recipient;   /* E.164 */
	PgSecret *body;     /* plaintext, UTF-8 */
	gchar *xmpp_id;     /* the XMPP message id, for receipts and errors; may be NULL */
	PgSmsState state;
	guint attempts;     /* times it was marked sending */
	gint64 next_attempt_at;
	gint64 created_at;
	gint64 updated_at;
	gchar *legacy_id;   /* the id in the dlr-url, or NULL */
	gchar *last_error;  /* why the last attempt failed, or NULL */
	gboolean want_receipt; /* the sender asked for a XEP-0184 receipt (needs xmpp_id) */
} PgSmsMessage;

const gchar *pg_sms_state_to_string(PgSmsState state);
void pg_sms_message_free(PgSmsMessage *message);

/* Queues @body (@len bytes) from @user_jid to @recipient, due at once.
 * @want_receipt records that the sender asked for a delivery receipt
 * (XEP-0184 §5.4); it is kept only with an @xmpp_id to name in the receipt.
 * Returns: the new message's id, or 0 with @error set. */
gint64 pg_sms_queue_enqueue(PgRegistry *registry, const gchar *transport, const gchar *user_jid,
			    const gchar *recipient, const guint8 *body, gsize len,
			    const gchar *xmpp_id, gboolean want_receipt, gint64 now,
			    GError **error);

/* The heads of the queues that are due at @now, oldest first, at most
 * @limit (0 = no limit), of @transport (NULL = every transport).
 * Returns: (transfer full) (element-type PgSmsMessage), or NULL on error. */
GPtrArray *pg_sms_queue_next_due(PgRegistry *registry, const gchar *transport, gint64 now,
				 guint limit, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* The earliest next_attempt_at among queue heads that are queued, or
 * G_MAXINT64 if there is none: when the daemon should look again.  A
 * head that is sending blocks its queue until it is resolved. */
gint64 pg_sms_queue_next_wakeup(PgRegistry *registry, GError **error);

/* queued -> sending; attempts + 1.  @legacy_id (may be NULL) is the id the
 * sender puts in the dlr-url: set it now, since a delivery report may beat
 * the sendsms answer.  PG_ERROR_ITEM_NOT_FOUND if there is no such message,
 * PG_ERROR_CONFLICT if it is not queued. */
gboolean pg_sms_queue_mark_sending(PgRegistry *registry, gint64 id, const gchar *legacy_id,
				   gint64 now, GError **error);
/* sending -> accepted; @legacy_id replaces the stored one unless NULL. */
gboolean pg_sms_queue_mark_accepted(PgRegistry *registry, gint64 id, const gchar *legacy_id,
				    gint64 now, GError **error);
/* sending -> queued, due at @now + @delay seconds, with @last_error. */
gboolean pg_sms_queue_mark_retry(PgRegistry *registry, gint64 id, guint delay,
				 const gchar *last_error, gint64 now, GError **error);
/* queued, sending or accepted -> failed, with @last_error (a failed delivery
 * report comes after acceptance). */
gboolean pg_sms_queue_mark_failed(PgRegistry *registry, gint64 id, const gchar *last_error,
				  gint64 now, GError **error);
/* sending or accepted -> delivered.  Delivered twice is not an error. */
gboolean pg_sms_queue_mark_delivered(PgRegistry *registry, gint64 id, gint64 now,
				     GError **error);

/* Returns: (transfer full) the message of @transport whose legacy_id is
 * @legacy_id (the newest, should there be several), or NULL with
 * PG_ERROR_ITEM_NOT_FOUND. */
PgSmsMessage *pg_sms_queue_find_by_legacy_id(PgRegistry *registry, const gchar *transport,
					     const gchar *legacy_id,
					     GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Returns: (transfer full) the message @id, or NULL with PG_ERROR_ITEM_NOT_FOUND. */
PgSmsMessage *pg_sms_queue_get(PgRegistry *registry, gint64 id,
			       GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Returns: (transfer full) (element-type PgSmsMessage) every message of
 * @user_jid on @transport, in any state, oldest first; or NULL on error. */
GPtrArray *pg_sms_queue_list_for_user(PgRegistry *registry, const gchar *transport,
				      const gchar *user_jid,
				      GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Messages queued or sending, of @transport and @user_jid (each NULL = any);
 * -1 on error. */
gint64 pg_sms_queue_count_pending(PgRegistry *registry, const gchar *transport,
				  const gchar *user_jid, GError **error);

/* Messages handed to the SMS gateway and not answered yet (state sending),
 * of every transport; -1 on error. */
gint64 pg_sms_queue_count_sending(PgRegistry *registry, GError **error);
/* Messages of @user_jid on @transport created after @since (Unix seconds), in
 * any state: what the user sent in a time window, for the per-user SMS rate
 * (session/pg-limits.h).  Finished rows stay PG_SMS_PURGE_AFTER_S (7 days) in
 * pg-sms.c, so windows up to that are counted whole.  -1 on error. */
gint64 pg_sms_queue_count_since(PgRegistry *registry, const gchar *transport,
				const gchar *user_jid, gint64 since, GError **error);

/* Fails every message of @transport still queued and created at or before
 * @now - @max_age (the transport's sms_retry_max_age), so the daemon can send
 * each user an error.  A message in flight (sending) is left to its answer.
 * Returns: (transfer full) (element-type PgSmsMessage) the messages failed
 * now, in their new state; or NULL on error. */
GPtrArray *pg_sms_queue_expire(PgRegistry *registry, const gchar *transport, guint max_age,
			       gint64 now, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* At start-up: a message left "sending" by a daemon that died was maybe sent,
 * maybe not; put it back to queued (sending twice beats losing it).
 * *@requeued (if not NULL) gets the count. */
gboolean pg_sms_queue_requeue_in_flight(PgRegistry *registry, guint *requeued, gint64 now,
					GError **error);
/* Deletes finished messages (delivered, failed) and accepted ones that never
 * got a final report, last changed at or before @before.
 * *@deleted (if not NULL) gets the count. */
gboolean pg_sms_queue_purge(PgRegistry *registry, gint64 before, guint *deleted,
			    GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgSmsMessage, pg_sms_message_free)

G_END_DECLS
