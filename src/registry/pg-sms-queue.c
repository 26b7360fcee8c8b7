/* The durable SMS outbox on the registry's SQLite database.
 *
 * DESIGN
 * - One row per SMS (table sms_outbox, schema v2 in pg-registry.c).  The
 *   queue of a (transport, user_jid, recipient) is its rows in id order;
 *   its head is the lowest id still queued or sending.  The partial index
 *   sms_outbox_queue holds exactly those rows, so finding a head is one index
 *   probe however much history the table keeps.
 * - State changes are single UPDATEs guarded by the states they may leave
 *   ("... WHERE id = ?1 AND state = 'queued'"), so two callers can never both
 *   take a message; a second look only explains a refusal.
 * - The body is sealed with the row id in its associated data; the id is
 *   only known after the INSERT, so enqueue inserts an empty body and seals
 *   it in the same transaction: no reader ever sees the empty one.
 * - A body that fails to unseal (a damaged or tampered row) fails its own
 *   message, loudly, instead of stopping every queue behind an error.
 */
#define G_LOG_DOMAIN "PgRegistry"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "registry/pg-sealed-rows.h"
#include "registry/pg-sms-queue.h"

#define PG_SMS_QUEUE_COLUMNS                                                                       \
	"id, transport, user_jid, recipient, body, xmpp_id, state, attempts, next_attempt_at, "   \
	"created_at, updated_at, legacy_id, last_error, want_receipt"

/* An unfinished message: the head of its queue is the lowest such id. */
#define PG_SMS_QUEUE_PENDING "state IN ('queued', 'sending')"

/* o is a queued row that heads its queue */
#define PG_SMS_QUEUE_IS_HEAD                                                                       \
	"o.state = 'queued' AND o.id = (SELECT MIN(h.id) FROM sms_outbox AS h "                   \
	"WHERE h.transport = o.transport AND h.user_jid = o.user_jid "                            \
	"AND h.recipient = o.recipient AND h." PG_SMS_QUEUE_PENDING ")"

static const gchar *const pg_sms_state_names[] = {
    [PG_SMS_STATE_QUEUED] = "queued",     [PG_SMS_STATE_SENDING] = "sending",
    [PG_SMS_STATE_ACCEPTED] = "accepted", [PG_SMS_STATE_DELIVERED] = "delivered",
    [PG_SMS_STATE_FAILED] = "failed",
};

const gchar *
pg_sms_state_to_string(PgSmsState state)
{
	if ((guint)state >= G_N_ELEMENTS(pg_sms_state_names))
		return "unknown";
	return pg_sms_state_names[state];
}

static PgSmsState
pg_sms_state_from_string(const gchar *text)
{
	for (guint i = 0; i < G_N_ELEMENTS(pg_sms_state_names); i++) {
		if (g_strcmp0(text, pg_sms_state_names[i]) == 0)
			return (PgSmsState)i;
	}
	/* the table's CHECK constraint rules this out */
	return PG_SMS_STATE_FAILED;
}

void
pg_sms_message_free(PgSmsMessage *message)
{
	if (message == NULL)
		return;
	g_free(message->transport);
	g_free(message->user_jid);
	g_free(message->recipient);
	pg_secret_free(message->body);
	g_free(message->xmpp_id);
	g_free(message->legacy_id);
	g_free(message->last_error);
	g_free(message);
}

/* A body's associated data is "sms\0transport\0user_jid\0recipient\0id"
 * (pg-sealed-rows.h).  The "sms" prefix keeps it apart from an account row's
 * "transport\0user_jid". */
static const PgSealedTable pg_sms_queue_table = {
    .table = "sms_outbox",
    .ad_prefix = "sms",
    .ad_columns = "transport, user_jid, recipient",
    .n_ad_columns = 3,
    .item_name = "SMS",
    .read_error = "cannot read the SMS queue",
};

/* @stmt is on a row of PG_SMS_QUEUE_COLUMNS.  The body is unsealed; if that
 * fails, the message comes back with body NULL and *@unseal_error set.
 * Returns: (transfer full). */
static PgSmsMessage *
pg_sms_queue_message_from_row(PgRegistry *self, sqlite3_stmt *stmt, GError **unseal_error)
{
	PgSmsMessage *message = g_new0(PgSmsMessage, 1);
	g_autoptr(GBytes) sealed = NULL;
	const gchar *values[3];

	message->id = sqlite3_column_int64(stmt, 0);
	message->transport = g_strdup(pg_registry_column_text(stmt, 1));
	message->user_jid = g_strdup(pg_registry_column_text(stmt, 2));
	message->recipient = g_strdup(pg_registry_column_text(stmt, 3));
	sealed = pg_registry_column_bytes(stmt, 4);
	message->xmpp_id = g_strdup(pg_registry_column_text(stmt, 5));
	message->state = pg_sms_state_from_string(pg_registry_column_text(stmt, 6));
	message->attempts = (guint)sqlite3_column_int64(stmt, 7);
	message->next_attempt_at = sqlite3_column_int64(stmt, 8);
	message->created_at = sqlite3_column_int64(stmt, 9);
	message->updated_at = sqlite3_column_int64(stmt, 10);
	message->legacy_id = g_strdup(pg_registry_column_text(stmt, 11));
	message->last_error = g_strdup(pg_registry_column_text(stmt, 12));
	message->want_receipt = sqlite3_column_int64(stmt, 13) != 0;
	values[0] = message->transport;
	values[1] = message->user_jid;
	values[2] = message->recipient;
	message->body = pg_sealed_rows_unseal(self, &pg_sms_queue_table, values, message->id,
					      sealed, unseal_error);
	return message;
}

/* Runs @stmt and collects its rows; a body that fails to unseal is an error.
 * Returns: (transfer full) (element-type PgSmsMessage), or NULL. */
static GPtrArray *
pg_sms_queue_query(PgRegistry *self, sqlite3_stmt *stmt, GError **error)
{
	g_autoptr(GPtrArray) messages =
	    g_ptr_array_new_with_free_func((GDestroyNotify)pg_sms_message_free);
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		GError *unseal_error = NULL;
		PgSmsMessage *message = pg_sms_queue_message_from_row(self, stmt, &unseal_error);
		if (message->body == NULL) {
			pg_sms_message_free(message);
			g_propagate_error(error, unseal_error);
			return NULL;
		}
		g_ptr_array_add(messages, message);
	}
	if (rc != SQLITE_DONE) {
		pg_registry_set_error(self, error, "cannot read the SMS queue");
		return NULL;
	}
	return g_steal_pointer(&messages);
}

/* Returns: (transfer full) the one message of @stmt, or NULL with
 * PG_ERROR_ITEM_NOT_FOUND ("no SMS for @what"). */
static PgSmsMessage *
pg_sms_queue_query_one(PgRegistry *self, sqlite3_stmt *stmt, const gchar *what, GError **error)
{
	g_autoptr(GPtrArray) messages = pg_sms_queue_query(self, stmt, error);

	if (messages == NULL)
		return NULL;
	if (messages->len == 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND, "no SMS %s", what);
		return NULL;
	}
	return g_ptr_array_steal_index(messages, 0);
}

/* ---- enqueue ---- */

static gint64
pg_sms_queue_enqueue_locked(PgRegistry *self, const gchar *transport, const gchar *user_jid,
			    const gchar *recipient, const guint8 *body, gsize len,
			    const gchar *xmpp_id, gboolean want_receipt, gint64 now,
			    GError **error)
{
	g_autoptr(sqlite3_stmt) insert = NULL;
	const gchar *values[] = {transport, user_jid, recipient};

	if (!pg_registry_prepare(self,
				 "INSERT INTO sms_outbox (transport, user_jid, recipient, body, "
				 "xmpp_id, state, attempts, next_attempt_at, created_at, updated_at, "
				 "want_receipt) "
				 "VALUES (?1, ?2, ?3, X'', ?4, 'queued', 0, ?5, ?5, ?5, ?6);",
				 &insert, error))
		return 0;
	sqlite3_bind_text(insert, 1, transport, -1, SQLITE_STATIC);
	sqlite3_bind_text(insert, 2, user_jid, -1, SQLITE_STATIC);
	sqlite3_bind_text(insert, 3, recipient, -1, SQLITE_STATIC);
	sqlite3_bind_text(insert, 4, xmpp_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(insert, 5, now);
	sqlite3_bind_int(insert, 6, want_receipt && xmpp_id != NULL);
	return pg_sealed_rows_insert(self, &pg_sms_queue_table, insert, values, body, len, error);
}

gint64
pg_sms_queue_enqueue(PgRegistry *self, const gchar *transport, const gchar *user_jid,
		     const gchar *recipient, const guint8 *body, gsize len, const gchar *xmpp_id,
		     gboolean want_receipt, gint64 now, GError **error)
{
	gint64 id;

	g_return_val_if_fail(self != NULL, 0);
	g_return_val_if_fail(transport != NULL && user_jid != NULL && recipient != NULL, 0);
	g_return_val_if_fail(body != NULL || len == 0, 0);

	if (!pg_registry_begin(self, error))
		return 0;
	id = pg_sms_queue_enqueue_locked(self, transport, user_jid, recipient,
					 body != NULL ? body : (const guint8 *)"", len, xmpp_id,
					 want_receipt, now, error);
	if (id == 0) {
		pg_registry_rollback(self);
		return 0;
	}
	if (!pg_registry_commit(self, error))
		return 0;
	return id;
}

/* ---- the heads of the queues ---- */

GPtrArray *
pg_sms_queue_next_due(PgRegistry *self, const gchar *transport, gint64 now, guint limit,
		      GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	g_autoptr(GPtrArray) due =
	    g_ptr_array_new_with_free_func((GDestroyNotify)pg_sms_message_free);
	int rc;

	g_return_val_if_fail(self != NULL, NULL);

	if (!pg_registry_prepare(self,
				 "SELECT " PG_SMS_QUEUE_COLUMNS " FROM sms_outbox AS o "
				 "WHERE o.next_attempt_at <= ?1 AND (?2 IS NULL OR o.transport = ?2) "
				 "AND " PG_SMS_QUEUE_IS_HEAD " ORDER BY o.id LIMIT ?3;",
				 &stmt, error))
		return NULL;
	sqlite3_bind_int64(stmt, 1, now);
	sqlite3_bind_text(stmt, 2, transport, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, limit > 0 ? (gint64)limit : -1);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		g_autoptr(GError) unseal_error = NULL;
		PgSmsMessage *message = pg_sms_queue_message_from_row(self, stmt, &unseal_error);

		if (message->body != NULL) {
			g_ptr_array_add(due, message);
			continue;
		}
		/* fail it (after the scan: see pg_registry_reseal_locked), so
		 * the messages behind it move on */
		g_warning("%s", unseal_error->message);
		g_free(message->last_error);
		message->last_error = g_strdup("the stored text cannot be read");
		message->state = PG_SMS_STATE_FAILED;
		g_ptr_array_add(due, message);
	}
	if (rc != SQLITE_DONE) {
		pg_registry_set_error(self, error, "cannot read the SMS queue");
		return NULL;
	}
	g_clear_pointer(&stmt, sqlite3_finalize);
	for (guint i = 0; i < due->len;) {
		PgSmsMessage *message = g_ptr_array_index(due, i);
		if (message->state != PG_SMS_STATE_FAILED) {
			i++;
			continue;
		}
		if (!pg_sms_queue_mark_failed(self, message->id, message->last_error, now, error))
			return NULL;
		g_ptr_array_remove_index(due, i);
	}
	return g_steal_pointer(&due);
}

gint64
pg_sms_queue_next_wakeup(PgRegistry *self, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;

	g_return_val_if_fail(self != NULL, G_MAXINT64);

	if (!pg_registry_prepare(self,
				 "SELECT MIN(o.next_attempt_at) FROM sms_outbox AS o "
				 "WHERE " PG_SMS_QUEUE_IS_HEAD ";",
				 &stmt, error))
		return G_MAXINT64;
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		pg_registry_set_error(self, error, "cannot read the SMS queue");
		return G_MAXINT64;
	}
	if (sqlite3_column_type(stmt, 0) == SQLITE_NULL)
		return G_MAXINT64;
	return sqlite3_column_int64(stmt, 0);
}

/* ---- state changes ---- */

/* Runs @sql, an UPDATE of row ?1 guarded by the states it may leave, with
 * ?2 = @now, ?3 = @text, ?4 = @number.  If no row changed, says why:
 * PG_ERROR_ITEM_NOT_FOUND, or PG_ERROR_CONFLICT naming the state. */
static gboolean
pg_sms_queue_update(PgRegistry *self, gint64 id, const gchar *sql, gint64 now, const gchar *text,
		    gint64 number, const gchar *to_state, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	g_autoptr(sqlite3_stmt) select = NULL;
	int rc;

	if (!pg_registry_prepare(self, sql, &stmt, error))
		return FALSE;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, now);
	sqlite3_bind_text(stmt, 3, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, number);
	if (!pg_registry_step_done(self, stmt, error))
		return FALSE;
	if (sqlite3_changes(self->db) > 0)
		return TRUE;

	if (!pg_registry_prepare(self, "SELECT state FROM sms_outbox WHERE id = ?1;", &select,
				 error))
		return FALSE;
	sqlite3_bind_int64(select, 1, id);
	rc = sqlite3_step(select);
	if (rc == SQLITE_DONE) {
		g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
			    "no SMS with id %" G_GINT64_FORMAT, id);
		return FALSE;
	}
	if (rc != SQLITE_ROW)
		return pg_registry_set_error(self, error, "cannot read the SMS queue");
	g_set_error(error, PG_ERROR, PG_ERROR_CONFLICT,
		    "SMS %" G_GINT64_FORMAT " is %s; it cannot become %s", id,
		    pg_registry_column_text(select, 0), to_state);
	return FALSE;
}

gboolean
pg_sms_queue_mark_sending(PgRegistry *self, gint64 id, const gchar *legacy_id, gint64 now,
			  GError **error)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return pg_sms_queue_update(self, id,
				   "UPDATE sms_outbox SET state = 'sending', "
				   "attempts = attempts + 1, legacy_id = COALESCE(?3, legacy_id), "
				   "updated_at = ?2 WHERE id = ?1 AND state = 'queued';",
				   now, legacy_id, 0, "sending", error);
}

gboolean
pg_sms_queue_mark_accepted(PgRegistry *self, gint64 id, const gchar *legacy_id, gint64 now,
			   GError **error)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return pg_sms_queue_update(self, id,
				   "UPDATE sms_outbox SET state = 'accepted', "
				   "legacy_id = COALESCE(?3, legacy_id), last_error = NULL, "
				   "updated_at = ?2 WHERE id = ?1 AND state = 'sending';",
				   now, legacy_id, 0, "accepted", error);
}

gboolean
pg_sms_queue_mark_retry(PgRegistry *self, gint64 id, guint delay, const gchar *last_error,
			gint64 now, GError **error)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return pg_sms_queue_update(self, id,
				   "UPDATE sms_outbox SET state = 'queued', "
				   "next_attempt_at = ?2 + ?4, last_error = ?3, updated_at = ?2 "
				   "WHERE id = ?1 AND state = 'sending';",
				   now, last_error, (gint64)delay, "queued for a retry", error);
}

gboolean
pg_sms_queue_mark_failed(PgRegistry *self, gint64 id, const gchar *last_error, gint64 now,
			 GError **error)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return pg_sms_queue_update(self, id,
				   "UPDATE sms_outbox SET state = 'failed', last_error = ?3, "
				   "updated_at = ?2 WHERE id = ?1 "
				   "AND state IN ('queued', 'sending', 'accepted');",
				   now, last_error, 0, "failed", error);
}

gboolean
pg_sms_queue_mark_delivered(PgRegistry *self, gint64 id, gint64 now, GError **error)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return pg_sms_queue_update(self, id,
				   "UPDATE sms_outbox SET state = 'delivered', updated_at = ?2 "
				   "WHERE id = ?1 AND state IN ('sending', 'accepted', 'delivered');",
				   now, NULL, 0, "delivered", error);
}

/* ---- lookups ---- */

PgSmsMessage *
pg_sms_queue_find_by_legacy_id(PgRegistry *self, const gchar *transport, const gchar *legacy_id,
			       GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	g_autofree gchar *what = NULL;

	g_return_val_if_fail(self != NULL, NULL);
	g_return_val_if_fail(transport != NULL && legacy_id != NULL, NULL);

	if (!pg_registry_prepare(self,
				 "SELECT " PG_SMS_QUEUE_COLUMNS " FROM sms_outbox "
				 "WHERE transport = ?1 AND legacy_id = ?2 ORDER BY id DESC LIMIT 1;",
				 &stmt, error))
		return NULL;
	sqlite3_bind_text(stmt, 1, transport, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, legacy_id, -1, SQLITE_STATIC);
	what = g_strdup_printf("with legacy id %s on %s", legacy_id, transport);
	return pg_sms_queue_query_one(self, stmt, what, error);
}

PgSmsMessage *
pg_sms_queue_get(PgRegistry *self, gint64 id, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	g_autofree gchar *what = NULL;

	g_return_val_if_fail(self != NULL, NULL);

	if (!pg_registry_prepare(self,
				 "SELECT " PG_SMS_QUEUE_COLUMNS " FROM sms_outbox WHERE id = ?1;",
				 &stmt, error))
		return NULL;
	sqlite3_bind_int64(stmt, 1, id);
	what = g_strdup_printf("with id %" G_GINT64_FORMAT, id);
	return pg_sms_queue_query_one(self, stmt, what, error);
}

GPtrArray *
pg_sms_queue_list_for_user(PgRegistry *self, const gchar *transport, const gchar *user_jid,
			   GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;

	g_return_val_if_fail(self != NULL, NULL);
	g_return_val_if_fail(transport != NULL && user_jid != NULL, NULL);

	if (!pg_registry_prepare(self,
				 "SELECT " PG_SMS_QUEUE_COLUMNS " FROM sms_outbox "
				 "WHERE transport = ?1 AND user_jid = ?2 ORDER BY id;",
				 &stmt, error))
		return NULL;
	sqlite3_bind_text(stmt, 1, transport, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, user_jid, -1, SQLITE_STATIC);
	return pg_sms_queue_query(self, stmt, error);
}

gint64
pg_sms_queue_count_pending(PgRegistry *self, const gchar *transport, const gchar *user_jid,
			   GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;

	g_return_val_if_fail(self != NULL, -1);

	if (!pg_registry_prepare(self,
				 "SELECT COUNT(*) FROM sms_outbox WHERE " PG_SMS_QUEUE_PENDING " "
				 "AND (?1 IS NULL OR transport = ?1) "
				 "AND (?2 IS NULL OR user_jid = ?2);",
				 &stmt, error))
		return -1;
	sqlite3_bind_text(stmt, 1, transport, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, user_jid, -1, SQLITE_STATIC);
	return pg_sealed_rows_count(self, stmt, "cannot count the SMS queue", error);
}

gint64
pg_sms_queue_count_since(PgRegistry *self, const gchar *transport, const gchar *user_jid,
			 gint64 since, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;

	g_return_val_if_fail(self != NULL, -1);
	g_return_val_if_fail(transport != NULL && user_jid != NULL, -1);

	/* the index sms_outbox_user (transport, user_jid, id) narrows it to the
	 * user's rows of the last week */
	if (!pg_registry_prepare(self,
				 "SELECT COUNT(*) FROM sms_outbox WHERE transport = ?1 "
				 "AND user_jid = ?2 AND created_at > ?3;",
				 &stmt, error))
		return -1;
	sqlite3_bind_text(stmt, 1, transport, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, user_jid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, since);
	return pg_sealed_rows_count(self, stmt, "cannot count the user's texts", error);
}

gint64
pg_sms_queue_count_sending(PgRegistry *self, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;

	g_return_val_if_fail(self != NULL, -1);

	if (!pg_registry_prepare(self, "SELECT COUNT(*) FROM sms_outbox WHERE state = 'sending';",
				 &stmt, error))
		return -1;
	return pg_sealed_rows_count(self, stmt, "cannot count the SMS queue", error);
}

/* ---- housekeeping ---- */

static GPtrArray *
pg_sms_queue_expire_locked(PgRegistry *self, const gchar *transport, guint max_age, gint64 now,
			   GError **error)
{
	g_autoptr(sqlite3_stmt) select = NULL;
	g_autoptr(sqlite3_stmt) update = NULL;
	g_autoptr(GPtrArray) expired =
	    g_ptr_array_new_with_free_func((GDestroyNotify)pg_sms_message_free);
	g_autofree gchar *why = g_strdup_printf("not accepted by the SMS gateway within %u s",
						max_age);
	int rc;

	if (!pg_registry_prepare(self,
				 "SELECT " PG_SMS_QUEUE_COLUMNS " FROM sms_outbox "
				 "WHERE transport = ?1 AND state = 'queued' AND created_at <= ?2 "
				 "ORDER BY id;",
				 &select, error))
		return NULL;
	sqlite3_bind_text(select, 1, transport, -1, SQLITE_STATIC);
	sqlite3_bind_int64(select, 2, now - (gint64)max_age);
	while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
		g_autoptr(GError) unseal_error = NULL;
		PgSmsMessage *message = pg_sms_queue_message_from_row(self, select, &unseal_error);
		/* the user still gets the error; the text is not needed for it */
		if (message->body == NULL)
			g_warning("%s", unseal_error->message);
		g_ptr_array_add(expired, message);
	}
	if (rc != SQLITE_DONE) {
		pg_registry_set_error(self, error, "cannot read the SMS queue");
		return NULL;
	}

	if (!pg_registry_prepare(self,
				 "UPDATE sms_outbox SET state = 'failed', last_error = ?2, "
				 "updated_at = ?3 WHERE id = ?1 AND state = 'queued';",
				 &update, error))
		return NULL;
	for (guint i = 0; i < expired->len; i++) {
		PgSmsMessage *message = g_ptr_array_index(expired, i);

		sqlite3_reset(update);
		sqlite3_bind_int64(update, 1, message->id);
		sqlite3_bind_text(update, 2, why, -1, SQLITE_STATIC);
		sqlite3_bind_int64(update, 3, now);
		if (!pg_registry_step_done(self, update, error))
			return NULL;
		message->state = PG_SMS_STATE_FAILED;
		g_free(message->last_error);
		message->last_error = g_strdup(why);
		message->updated_at = now;
	}
	return g_steal_pointer(&expired);
}

GPtrArray *
pg_sms_queue_expire(PgRegistry *self, const gchar *transport, guint max_age, gint64 now,
		    GError **error)
{
	g_autoptr(GPtrArray) expired = NULL;

	g_return_val_if_fail(self != NULL, NULL);
	g_return_val_if_fail(transport != NULL, NULL);

	/* one transaction: a message is failed and returned, or neither */
	if (!pg_registry_begin(self, error))
		return NULL;
	expired = pg_sms_queue_expire_locked(self, transport, max_age, now, error);
	if (expired == NULL) {
		pg_registry_rollback(self);
		return NULL;
	}
	if (!pg_registry_commit(self, error))
		return NULL;
	return g_steal_pointer(&expired);
}

gboolean
pg_sms_queue_requeue_in_flight(PgRegistry *self, guint *requeued, gint64 now, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;

	g_return_val_if_fail(self != NULL, FALSE);

	if (!pg_registry_prepare(self,
				 "UPDATE sms_outbox SET state = 'queued', next_attempt_at = ?1, "
				 "last_error = 'interrupted by a restart', updated_at = ?1 "
				 "WHERE state = 'sending';",
				 &stmt, error))
		return FALSE;
	sqlite3_bind_int64(stmt, 1, now);
	if (!pg_registry_step_done(self, stmt, error))
		return FALSE;
	if (requeued != NULL)
		*requeued = (guint)sqlite3_changes(self->db);
	return TRUE;
}

gboolean
pg_sms_queue_purge(PgRegistry *self, gint64 before, guint *deleted, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;

	g_return_val_if_fail(self != NULL, FALSE);

	if (!pg_registry_prepare(self,
				 "DELETE FROM sms_outbox WHERE updated_at <= ?1 "
				 "AND state IN ('accepted', 'delivered', 'failed');",
				 &stmt, error))
		return FALSE;
	sqlite3_bind_int64(stmt, 1, before);
	if (!pg_registry_step_done(self, stmt, error))
		return FALSE;
	if (deleted != NULL)
		*deleted = (guint)sqlite3_changes(self->db);
	return TRUE;
}

/* ---- rekey (pg-registry-private.h) ---- */

gboolean
pg_sms_queue_reseal_locked(PgRegistry *self, guint *resealed, GError **error)
{
	return pg_sealed_rows_reseal_locked(self, &pg_sms_queue_table, resealed, error);
}

gboolean
pg_sms_queue_count_stale_locked(PgRegistry *self, const guint8 *key_id_prefix, gsize prefix_len,
				gint64 *stale, GError **error)
{
	return pg_sealed_rows_count_stale_locked(self, &pg_sms_queue_table, key_id_prefix,
						 prefix_len, stale, error);
}
