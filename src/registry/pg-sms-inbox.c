/* The SMS inbox on the registry's SQLite database: see pg-sms-inbox.h.
 *
 * DESIGN
 * - One row per item (table sms_inbox, schema v4 in pg-registry.c), read
 *   back in id order per (transport, user_jid) through the index
 *   sms_inbox_user.
 * - As in the outbox (pg-sms-queue.c), the body is sealed with the row id in
 *   its associated data, so the row is inserted with an empty body and
 *   sealed in the same transaction: no reader ever sees the empty one.
 * - An item is deleted only after its stanza was handed to the component;
 *   so a crash between the two repeats an item, it never loses one.
 */
#define G_LOG_DOMAIN "PgRegistry"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "registry/pg-sealed-rows.h"
#include "registry/pg-sms-inbox.h"

#define PG_SMS_INBOX_COLUMNS                                                                       \
	"id, transport, user_jid, kind, peer, body, xmpp_id, condition, error_type, created_at"

static const gchar *const pg_sms_inbox_kind_names[] = {
    [PG_SMS_INBOX_SMS] = "sms",
    [PG_SMS_INBOX_RECEIPT] = "receipt",
    [PG_SMS_INBOX_FAILURE] = "failure",
};

static PgSmsInboxKind
pg_sms_inbox_kind_from_string(const gchar *text)
{
	for (guint i = 0; i < G_N_ELEMENTS(pg_sms_inbox_kind_names); i++) {
		if (g_strcmp0(text, pg_sms_inbox_kind_names[i]) == 0)
			return (PgSmsInboxKind)i;
	}
	/* the table's CHECK constraint rules this out */
	return PG_SMS_INBOX_FAILURE;
}

void
pg_sms_inbox_item_free(PgSmsInboxItem *item)
{
	if (item == NULL)
		return;
	g_free(item->transport);
	g_free(item->user_jid);
	g_free(item->peer);
	pg_secret_free(item->body);
	g_free(item->xmpp_id);
	g_free(item->condition);
	g_free(item->error_type);
	g_free(item);
}

/* The body's associated data is "sms-in\0transport\0user_jid\0kind\0peer\0id"
 * (pg-sealed-rows.h).  The "sms-in" prefix keeps it apart from the outbox's
 * "sms" and from an account row's "transport\0user_jid". */
static const PgSealedTable pg_sms_inbox_table = {
    .table = "sms_inbox",
    .ad_prefix = "sms-in",
    .ad_columns = "transport, user_jid, kind, peer",
    .n_ad_columns = 4,
    .item_name = "inbox item",
    .read_error = "cannot read the SMS inbox",
};

/* ---- put ---- */

static gint64
pg_sms_inbox_put_locked(PgRegistry *self, const gchar *transport, const gchar *user_jid,
			PgSmsInboxKind kind, const gchar *peer, const gchar *body,
			const gchar *xmpp_id, const gchar *condition, const gchar *error_type,
			gint64 now, GError **error)
{
	g_autoptr(sqlite3_stmt) insert = NULL;
	const gchar *values[] = {transport, user_jid, pg_sms_inbox_kind_names[kind], peer};
	gint64 count;

	count = pg_sms_inbox_count(self, transport, user_jid, error);
	if (count < 0)
		return 0;
	if (count >= PG_SMS_INBOX_MAX_PER_USER) {
		g_set_error(error, PG_ERROR, PG_ERROR_RESOURCE_CONSTRAINT,
			    "%s: %" G_GINT64_FORMAT " items already wait for %s on %s", self->path,
			    count, user_jid, transport);
		return 0;
	}
	if (!pg_registry_prepare(self,
				 "INSERT INTO sms_inbox (transport, user_jid, kind, peer, body, "
				 "xmpp_id, condition, error_type, created_at) "
				 "VALUES (?1, ?2, ?3, ?4, X'', ?5, ?6, ?7, ?8);",
				 &insert, error))
		return 0;
	sqlite3_bind_text(insert, 1, transport, -1, SQLITE_STATIC);
	sqlite3_bind_text(insert, 2, user_jid, -1, SQLITE_STATIC);
	sqlite3_bind_text(insert, 3, pg_sms_inbox_kind_names[kind], -1, SQLITE_STATIC);
	sqlite3_bind_text(insert, 4, peer, -1, SQLITE_STATIC);
	sqlite3_bind_text(insert, 5, xmpp_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(insert, 6, condition, -1, SQLITE_STATIC);
	sqlite3_bind_text(insert, 7, error_type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(insert, 8, now);
	return pg_sealed_rows_insert(self, &pg_sms_inbox_table, insert, values, (const guint8 *)body,
				     strlen(body), error);
}

gint64
pg_sms_inbox_put(PgRegistry *self, const gchar *transport, const gchar *user_jid,
		 PgSmsInboxKind kind, const gchar *peer, const gchar *body, const gchar *xmpp_id,
		 const gchar *condition, const gchar *error_type, gint64 now, GError **error)
{
	gint64 id;

	g_return_val_if_fail(self != NULL, 0);
	g_return_val_if_fail(transport != NULL && user_jid != NULL && peer != NULL, 0);
	g_return_val_if_fail((guint)kind < G_N_ELEMENTS(pg_sms_inbox_kind_names), 0);

	if (!pg_registry_begin(self, error))
		return 0;
	id = pg_sms_inbox_put_locked(self, transport, user_jid, kind, peer,
				     body != NULL ? body : "", xmpp_id, condition, error_type, now,
				     error);
	if (id == 0) {
		pg_registry_rollback(self);
		return 0;
	}
	if (!pg_registry_commit(self, error))
		return 0;
	return id;
}

/* ---- list, delete, count ---- */

GPtrArray *
pg_sms_inbox_list(PgRegistry *self, const gchar *transport, const gchar *user_jid, guint limit,
		  GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	g_autoptr(GPtrArray) items =
	    g_ptr_array_new_with_free_func((GDestroyNotify)pg_sms_inbox_item_free);
	g_autoptr(GArray) unreadable = g_array_new(FALSE, FALSE, sizeof(gint64));
	int rc;

	g_return_val_if_fail(self != NULL, NULL);
	g_return_val_if_fail(transport != NULL, NULL);

	if (!pg_registry_prepare(self,
				 "SELECT " PG_SMS_INBOX_COLUMNS " FROM sms_inbox "
				 "WHERE transport = ?1 AND (?2 IS NULL OR user_jid = ?2) "
				 "ORDER BY id LIMIT ?3;",
				 &stmt, error))
		return NULL;
	sqlite3_bind_text(stmt, 1, transport, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, user_jid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, limit > 0 ? (gint64)limit : -1);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		g_autoptr(PgSmsInboxItem) item = g_new0(PgSmsInboxItem, 1);
		g_autoptr(GBytes) sealed = NULL;
		g_autoptr(GError) unseal_error = NULL;
		const gchar *values[4];

		item->id = sqlite3_column_int64(stmt, 0);
		item->transport = g_strdup(pg_registry_column_text(stmt, 1));
		item->user_jid = g_strdup(pg_registry_column_text(stmt, 2));
		item->kind = pg_sms_inbox_kind_from_string(pg_registry_column_text(stmt, 3));
		item->peer = g_strdup(pg_registry_column_text(stmt, 4));
		sealed = pg_registry_column_bytes(stmt, 5);
		item->xmpp_id = g_strdup(pg_registry_column_text(stmt, 6));
		item->condition = g_strdup(pg_registry_column_text(stmt, 7));
		item->error_type = g_strdup(pg_registry_column_text(stmt, 8));
		item->created_at = sqlite3_column_int64(stmt, 9);
		values[0] = item->transport;
		values[1] = item->user_jid;
		values[2] = pg_sms_inbox_kind_names[item->kind];
		values[3] = item->peer;
		item->body = pg_sealed_rows_unseal(self, &pg_sms_inbox_table, values, item->id,
						   sealed, &unseal_error);
		if (item->body == NULL) {
			/* a damaged or moved row: say so, and do not let it
			 * stall the items behind it */
			g_warning("%s; the item is dropped", unseal_error->message);
			g_array_append_val(unreadable, item->id);
			continue;
		}
		g_ptr_array_add(items, g_steal_pointer(&item));
	}
	if (rc != SQLITE_DONE) {
		pg_registry_set_error(self, error, "cannot read the SMS inbox");
		return NULL;
	}
	g_clear_pointer(&stmt, sqlite3_finalize);
	for (guint i = 0; i < unreadable->len; i++) {
		if (!pg_sms_inbox_delete(self, g_array_index(unreadable, gint64, i), error))
			return NULL;
	}
	return g_steal_pointer(&items);
}

gboolean
pg_sms_inbox_delete(PgRegistry *self, gint64 id, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;

	g_return_val_if_fail(self != NULL, FALSE);

	if (!pg_registry_prepare(self, "DELETE FROM sms_inbox WHERE id = ?1;", &stmt, error))
		return FALSE;
	sqlite3_bind_int64(stmt, 1, id);
	return pg_registry_step_done(self, stmt, error);
}

gint64
pg_sms_inbox_count(PgRegistry *self, const gchar *transport, const gchar *user_jid,
		   GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;

	g_return_val_if_fail(self != NULL, -1);

	if (!pg_registry_prepare(self,
				 "SELECT COUNT(*) FROM sms_inbox WHERE (?1 IS NULL OR transport = ?1) "
				 "AND (?2 IS NULL OR user_jid = ?2);",
				 &stmt, error))
		return -1;
	sqlite3_bind_text(stmt, 1, transport, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, user_jid, -1, SQLITE_STATIC);
	return pg_sealed_rows_count(self, stmt, "cannot count the SMS inbox", error);
}

/* ---- rekey (pg-registry-private.h) ---- */

gboolean
pg_sms_inbox_reseal_locked(PgRegistry *self, guint *resealed, GError **error)
{
	return pg_sealed_rows_reseal_locked(self, &pg_sms_inbox_table, resealed, error);
}

gboolean
pg_sms_inbox_count_stale_locked(PgRegistry *self, const guint8 *key_id_prefix, gsize prefix_len,
				gint64 *stale, GError **error)
{
	return pg_sealed_rows_count_stale_locked(self, &pg_sms_inbox_table, key_id_prefix,
						 prefix_len, stale, error);
}
