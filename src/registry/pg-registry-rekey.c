/* pg_registry_rekey() (pg-registry.h): every sealed row of the registry,
 * the accounts here and the SMS outbox and inbox in their own files, moves
 * to a new key.  The steps and why each is safe are at pg_registry_rekey().
 *
 * It sits above pg-registry.c, pg-sms-queue.c and pg-sms-inbox.c: those
 * know their rows, this file knows that a rekey takes all of them.
 */
#define G_LOG_DOMAIN "PgRegistry"

#include "config.h"

#include "core/pg-error.h"
#include "registry/pg-registry-private.h"
#include "registry/pg-registry.h"

typedef struct {
	gchar *transport;
	gchar *user_jid;
	GBytes *sealed;
} PgRegistrySealedRow;

static void
pg_registry_sealed_row_free(PgRegistrySealedRow *row)
{
	g_free(row->transport);
	g_free(row->user_jid);
	g_bytes_unref(row->sealed);
	g_free(row);
}

/* Within a transaction: reseals every row's secrets under the current key. */
static gboolean
pg_registry_reseal_locked(PgRegistry *self, guint *resealed, GError **error)
{
	g_autoptr(sqlite3_stmt) select = NULL;
	g_autoptr(sqlite3_stmt) update = NULL;
	g_autoptr(GPtrArray) rows =
	    g_ptr_array_new_with_free_func((GDestroyNotify)pg_registry_sealed_row_free);
	int rc;

	/* read everything first: SQLite leaves a scan undefined if the same
	 * connection modifies the table under it */
	if (!pg_registry_prepare(self,
				 "SELECT transport, user_jid, secrets FROM account "
				 "WHERE secrets IS NOT NULL;",
				 &select, error))
		return FALSE;
	while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
		PgRegistrySealedRow *row = g_new0(PgRegistrySealedRow, 1);
		row->transport = g_strdup(pg_registry_column_text(select, 0));
		row->user_jid = g_strdup(pg_registry_column_text(select, 1));
		row->sealed = pg_registry_column_bytes(select, 2);
		g_ptr_array_add(rows, row);
	}
	if (rc != SQLITE_DONE)
		return pg_registry_set_error(self, error, "cannot read accounts");

	if (!pg_registry_prepare(self,
				 "UPDATE account SET secrets = ?3 "
				 "WHERE transport = ?1 AND user_jid = ?2;",
				 &update, error))
		return FALSE;
	for (guint i = 0; i < rows->len; i++) {
		PgRegistrySealedRow *row = g_ptr_array_index(rows, i);
		g_autoptr(GBytes) ad = pg_registry_row_ad(row->transport, row->user_jid);
		g_autoptr(PgSecret) plain = NULL;
		g_autoptr(GBytes) sealed = NULL;

		plain = pg_vault_unseal(self->vault, row->sealed, g_bytes_get_data(ad, NULL),
					g_bytes_get_size(ad), error);
		if (plain == NULL) {
			g_prefix_error(error, "cannot reseal %s on %s: ", row->user_jid,
				       row->transport);
			return FALSE;
		}
		sealed = pg_vault_seal(self->vault, plain->data, plain->len,
				       g_bytes_get_data(ad, NULL), g_bytes_get_size(ad), error);
		if (sealed == NULL)
			return FALSE;
		sqlite3_reset(update);
		sqlite3_bind_text(update, 1, row->transport, -1, SQLITE_STATIC);
		sqlite3_bind_text(update, 2, row->user_jid, -1, SQLITE_STATIC);
		pg_registry_bind_bytes(update, 3, sealed);
		if (!pg_registry_step_done(self, update, error))
			return FALSE;
	}
	*resealed = rows->len;
	/* the SMS outbox and inbox are sealed under the same key */
	return pg_sms_queue_reseal_locked(self, resealed, error) &&
	       pg_sms_inbox_reseal_locked(self, resealed, error);
}

static gboolean
pg_registry_reseal_all(PgRegistry *self, guint *resealed, GError **error)
{
	gboolean ok;

	/* With WAL and synchronous=NORMAL a commit may be lost to a power cut
	 * ("durability is lost", sqlite.org/pragma.html#pragma_synchronous)
	 * while the key file change that follows is synced: the rows would come
	 * back sealed under a key that is gone.  FULL syncs the WAL at COMMIT. */
	if (!pg_registry_exec(self, "PRAGMA synchronous = FULL;", error))
		return FALSE;
	ok = pg_registry_begin(self, error);
	if (ok && !pg_registry_reseal_locked(self, resealed, error)) {
		pg_registry_rollback(self);
		ok = FALSE;
	}
	if (ok)
		ok = pg_registry_commit(self, error);
	if (!pg_registry_exec(self, "PRAGMA synchronous = NORMAL;", ok ? error : NULL))
		return FALSE;
	return ok;
}

/* Within a transaction (holding the write lock, so no row changes meanwhile):
 * forgets old keys only if no row still needs one. */
static gboolean
pg_registry_forget_old_keys_locked(PgRegistry *self, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	guint32 current = pg_vault_get_current_key_id(self->vault);
	guint8 prefix[PG_VAULT_KEY_ID_LEN] = {
	    (guint8)(current >> 24), (guint8)(current >> 16), (guint8)(current >> 8),
	    (guint8)current};
	gint64 stale;

	/* substr() counts bytes on a BLOB: this is the blob's key id header */
	if (!pg_registry_prepare(self,
				 "SELECT COUNT(*) FROM account "
				 "WHERE secrets IS NOT NULL AND substr(secrets, 1, 4) != ?1;",
				 &stmt, error))
		return FALSE;
	sqlite3_bind_blob(stmt, 1, prefix, sizeof(prefix), SQLITE_TRANSIENT);
	if (sqlite3_step(stmt) != SQLITE_ROW)
		return pg_registry_set_error(self, error, "cannot check key ids");
	stale = sqlite3_column_int64(stmt, 0);
	if (stale == 0 &&
	    !pg_sms_queue_count_stale_locked(self, prefix, sizeof(prefix), &stale, error))
		return FALSE;
	if (stale == 0 &&
	    !pg_sms_inbox_count_stale_locked(self, prefix, sizeof(prefix), &stale, error))
		return FALSE;
	if (stale > 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO,
			    "%s: %" G_GINT64_FORMAT " rows are still sealed under an old key "
			    "(another process wrote meanwhile?); old keys are kept, "
			    "run rekey again",
			    self->path, stale);
		return FALSE;
	}
	return pg_vault_forget_old_keys(self->vault, error);
}

gboolean
pg_registry_rekey(PgRegistry *self, guint *resealed, GError **error)
{
	guint count = 0;

	g_return_val_if_fail(self != NULL, FALSE);

	/* Each step leaves a state from which every secret can be read, so a kill
	 * at any point loses nothing, and rekey may simply be run again:
	 *   1. rotate: the key file holds old + new keys, rows are under old ones;
	 *   2. reseal every row under the new key in ONE transaction: all rows or
	 *      none move, and both keys are in the file either way;
	 *   3. drop the old keys from the file once no row uses them. */
	if (!pg_vault_rotate(self->vault, error))
		return FALSE;
	if (!pg_registry_reseal_all(self, &count, error))
		return FALSE;
	if (!pg_registry_begin(self, error))
		return FALSE;
	if (!pg_registry_forget_old_keys_locked(self, error)) {
		pg_registry_rollback(self);
		return FALSE;
	}
	if (!pg_registry_commit(self, error))
		return FALSE;
	g_message("%s: resealed %u rows (accounts, queued SMS) under key id %u", self->path, count,
		  pg_vault_get_current_key_id(self->vault));
	if (resealed != NULL)
		*resealed = count;
	return TRUE;
}
