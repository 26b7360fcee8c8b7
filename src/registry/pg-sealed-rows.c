/* Rows with a sealed body, for the SMS outbox and inbox: see pg-sealed-rows.h.
 *
 * DESIGN
 * - The row id is in the associated data but only known after the INSERT,
 *   so a row is inserted with an empty body and sealed by an UPDATE in the
 *   same transaction (pg_sealed_rows_insert).
 * - Reseal reads every row first, then writes, as pg_registry_reseal_locked()
 *   does: no UPDATE runs while a SELECT on the same table is open.
 */
#define G_LOG_DOMAIN "PgRegistry"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "registry/pg-sealed-rows.h"

/* Returns: (transfer full) "prefix\0value…\0id". */
static GBytes *
pg_sealed_rows_ad(const PgSealedTable *table, const gchar *const *values, gint64 id)
{
	GByteArray *ad = g_byte_array_new();
	g_autofree gchar *id_text = g_strdup_printf("%" G_GINT64_FORMAT, id);

	g_byte_array_append(ad, (const guint8 *)table->ad_prefix,
			    (guint)strlen(table->ad_prefix));
	for (guint i = 0; i <= table->n_ad_columns; i++) {
		const gchar *part = i < table->n_ad_columns ? values[i] : id_text;

		g_byte_array_append(ad, (const guint8 *)"", 1);
		g_byte_array_append(ad, (const guint8 *)part, (guint)strlen(part));
	}
	return g_byte_array_free_to_bytes(ad);
}

GBytes *
pg_sealed_rows_seal(PgRegistry *self, const PgSealedTable *table, const gchar *const *values,
		    gint64 id, const guint8 *body, gsize len, GError **error)
{
	g_autoptr(GBytes) ad = pg_sealed_rows_ad(table, values, id);

	return pg_vault_seal(self->vault, body, len, g_bytes_get_data(ad, NULL),
			     g_bytes_get_size(ad), error);
}

PgSecret *
pg_sealed_rows_unseal(PgRegistry *self, const PgSealedTable *table, const gchar *const *values,
		      gint64 id, GBytes *sealed, GError **error)
{
	g_autoptr(GBytes) ad = pg_sealed_rows_ad(table, values, id);
	PgSecret *body;

	if (sealed == NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO,
			    "%s: %s %" G_GINT64_FORMAT " has no body", self->path,
			    table->item_name, id);
		return NULL;
	}
	body = pg_vault_unseal(self->vault, sealed, g_bytes_get_data(ad, NULL),
			       g_bytes_get_size(ad), error);
	if (body == NULL)
		g_prefix_error(error, "%s: body of %s %" G_GINT64_FORMAT ": ", self->path,
			       table->item_name, id);
	return body;
}

static gboolean
pg_sealed_rows_store(PgRegistry *self, const PgSealedTable *table, sqlite3_stmt **update,
		     gint64 id, GBytes *sealed, GError **error)
{
	if (*update == NULL) {
		g_autofree gchar *sql =
		    g_strdup_printf("UPDATE %s SET body = ?2 WHERE id = ?1;", table->table);
		if (!pg_registry_prepare(self, sql, update, error))
			return FALSE;
	}
	sqlite3_reset(*update);
	sqlite3_bind_int64(*update, 1, id);
	pg_registry_bind_bytes(*update, 2, sealed);
	return pg_registry_step_done(self, *update, error);
}

gint64
pg_sealed_rows_insert(PgRegistry *self, const PgSealedTable *table, sqlite3_stmt *insert,
		      const gchar *const *values, const guint8 *body, gsize len, GError **error)
{
	g_autoptr(sqlite3_stmt) update = NULL;
	g_autoptr(GBytes) sealed = NULL;
	gint64 id;

	if (!pg_registry_step_done(self, insert, error))
		return 0;
	id = sqlite3_last_insert_rowid(self->db);
	sealed = pg_sealed_rows_seal(self, table, values, id, body, len, error);
	if (sealed == NULL)
		return 0;
	if (!pg_sealed_rows_store(self, table, &update, id, sealed, error))
		return 0;
	return id;
}

/* ---- rekey ---- */

typedef struct {
	gint64 id;
	GStrv values; /* n_ad_columns of them */
	GBytes *sealed;
} PgSealedRow;

static void
pg_sealed_row_free(PgSealedRow *row)
{
	g_strfreev(row->values);
	g_bytes_unref(row->sealed);
	g_free(row);
}

gboolean
pg_sealed_rows_reseal_locked(PgRegistry *self, const PgSealedTable *table, guint *resealed,
			     GError **error)
{
	g_autoptr(sqlite3_stmt) select = NULL;
	g_autoptr(sqlite3_stmt) update = NULL;
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)pg_sealed_row_free);
	g_autofree gchar *sql = g_strdup_printf("SELECT id, %s, body FROM %s;", table->ad_columns,
						table->table);
	int rc;

	if (!pg_registry_prepare(self, sql, &select, error))
		return FALSE;
	while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
		PgSealedRow *row = g_new0(PgSealedRow, 1);

		row->id = sqlite3_column_int64(select, 0);
		row->values = g_new0(gchar *, table->n_ad_columns + 1);
		for (guint i = 0; i < table->n_ad_columns; i++)
			row->values[i] = g_strdup(pg_registry_column_text(select, (int)i + 1));
		row->sealed = pg_registry_column_bytes(select, (int)table->n_ad_columns + 1);
		g_ptr_array_add(rows, row);
	}
	if (rc != SQLITE_DONE)
		return pg_registry_set_error(self, error, table->read_error);

	for (guint i = 0; i < rows->len; i++) {
		PgSealedRow *row = g_ptr_array_index(rows, i);
		const gchar *const *values = (const gchar *const *)row->values;
		g_autoptr(PgSecret) plain = NULL;
		g_autoptr(GBytes) sealed = NULL;

		plain = pg_sealed_rows_unseal(self, table, values, row->id, row->sealed, error);
		if (plain == NULL) {
			g_prefix_error(error, "cannot reseal: ");
			return FALSE;
		}
		sealed = pg_sealed_rows_seal(self, table, values, row->id, plain->data,
					     plain->len, error);
		if (sealed == NULL)
			return FALSE;
		if (!pg_sealed_rows_store(self, table, &update, row->id, sealed, error))
			return FALSE;
	}
	*resealed += rows->len;
	return TRUE;
}

gboolean
pg_sealed_rows_count_stale_locked(PgRegistry *self, const PgSealedTable *table,
				  const guint8 *key_id_prefix, gsize prefix_len, gint64 *stale,
				  GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	g_autofree gchar *sql = g_strdup_printf(
	    "SELECT COUNT(*) FROM %s WHERE substr(body, 1, ?2) != ?1;", table->table);

	if (!pg_registry_prepare(self, sql, &stmt, error))
		return FALSE;
	sqlite3_bind_blob(stmt, 1, key_id_prefix, (int)prefix_len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 2, (gint64)prefix_len);
	*stale = pg_sealed_rows_count(self, stmt, "cannot check key ids", error);
	return *stale >= 0;
}

gint64
pg_sealed_rows_count(PgRegistry *self, sqlite3_stmt *stmt, const gchar *what, GError **error)
{
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		pg_registry_set_error(self, error, what);
		return -1;
	}
	return sqlite3_column_int64(stmt, 0);
}
