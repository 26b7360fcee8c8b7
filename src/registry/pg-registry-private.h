/* Inside src/registry only: the SQLite half of PgRegistry, shared by
 * pg-registry.c (accounts, schema), pg-registry-lookup.c, pg-registry-rekey.c, pg-sms-queue.c (the SMS outbox)
 * and pg-sms-inbox.c (the SMS inbox).  Nothing outside src/registry may
 * include this: the public interface (pg-registry.h, pg-sms-queue.h,
 * pg-sms-inbox.h) stays free of SQLite types. */
#pragma once

#include <glib.h>
#include <sqlite3.h>

#include "registry/pg-registry.h"
#include "registry/pg-vault.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

struct _PgRegistry {
	sqlite3 *db;
	PgVault *vault; /* borrowed */
	gchar *path;
	/* prepared once, reset after each use (pg-registry-lookup.c) */
	sqlite3_stmt *has_account;
};

/* Sets PG_ERROR_DATABASE "path: @what: sqlite message"; returns FALSE. */
gboolean pg_registry_set_error(PgRegistry *self, GError **error, const gchar *what);
gboolean pg_registry_prepare(PgRegistry *self, const gchar *sql, sqlite3_stmt **stmt,
			     GError **error);
/* Steps @stmt until it is done, ignoring any rows. */
gboolean pg_registry_step_done(PgRegistry *self, sqlite3_stmt *stmt, GError **error);
/* Runs one or more ';'-separated statements. */
gboolean pg_registry_exec(PgRegistry *self, const gchar *sql, GError **error);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK (a no-op if SQLite rolled back already). */
gboolean pg_registry_begin(PgRegistry *self, GError **error);
gboolean pg_registry_commit(PgRegistry *self, GError **error);
void pg_registry_rollback(PgRegistry *self);
/* An empty blob is bound as a zero-length blob, not as NULL. */
void pg_registry_bind_bytes(sqlite3_stmt *stmt, int index, GBytes *bytes);
/* Returns: (transfer full) the blob in column @index, or NULL if it is SQL NULL. */
GBytes *pg_registry_column_bytes(sqlite3_stmt *stmt, int index);
const gchar *pg_registry_column_text(sqlite3_stmt *stmt, int index);
/* Returns: (transfer full) "transport\0user_jid", the associated data of a row. */
GBytes *pg_registry_row_ad(const gchar *transport, const gchar *user_jid);

/* pg-sms-queue.c, for pg_registry_rekey() (pg-registry-rekey.c), within its transaction:
 * reseal every SMS body under the current key (adds the count to *@resealed),
 * and count the bodies still sealed under another key than @key_id_prefix. */
gboolean pg_sms_queue_reseal_locked(PgRegistry *self, guint *resealed, GError **error);
gboolean pg_sms_queue_count_stale_locked(PgRegistry *self, const guint8 *key_id_prefix,
					 gsize prefix_len, gint64 *stale, GError **error);
/* pg-sms-inbox.c, the same for the SMS inbox. */
gboolean pg_sms_inbox_reseal_locked(PgRegistry *self, guint *resealed, GError **error);
gboolean pg_sms_inbox_count_stale_locked(PgRegistry *self, const guint8 *key_id_prefix,
					 gsize prefix_len, gint64 *stale, GError **error);

G_END_DECLS
