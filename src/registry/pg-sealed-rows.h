/* Inside src/registry only: the rows whose `body` column is sealed with
 * AES-GCM through pg-vault, shared by pg-sms-queue.c (the outbox) and
 * pg-sms-inbox.c (the inbox), so the two tables seal, unseal and reseal
 * their bodies the same way.
 *
 * A body is sealed with associated data "prefix\0value…\0id": the table's
 * own prefix, the values of the row's identifying columns and the row id,
 * so a body moved to another row, or another table, does not unseal. */
#pragma once

#include <glib.h>
#include <sqlite3.h>

#include "registry/pg-registry-private.h"

G_BEGIN_DECLS

typedef struct {
	const gchar *table;	 /* "sms_outbox" */
	const gchar *ad_prefix;	 /* "sms": first part of the associated data */
	const gchar *ad_columns; /* "transport, user_jid, recipient": the text
				  * columns of the associated data, in order */
	guint n_ad_columns;
	const gchar *item_name;	 /* "SMS", in error messages */
	const gchar *read_error; /* "cannot read the SMS queue" */
} PgSealedTable;

/* @values: the @table's n_ad_columns values of row @id. */
GBytes *pg_sealed_rows_seal(PgRegistry *self, const PgSealedTable *table,
			    const gchar *const *values, gint64 id, const guint8 *body, gsize len,
			    GError **error);
/* @sealed NULL (an SQL NULL body) is an error too.
 * Returns: (transfer full) the body, or NULL with PG_ERROR_CRYPTO. */
PgSecret *pg_sealed_rows_unseal(PgRegistry *self, const PgSealedTable *table,
				const gchar *const *values, gint64 id, GBytes *sealed,
				GError **error);

/* Steps @insert (prepared and bound, with an empty body), then seals @body
 * for the new row and stores it: call it within a transaction, so no reader
 * sees the empty body.  Returns: the new row id, or 0. */
gint64 pg_sealed_rows_insert(PgRegistry *self, const PgSealedTable *table, sqlite3_stmt *insert,
			     const gchar *const *values, const guint8 *body, gsize len,
			     GError **error);

/* For pg_registry_rekey(), within its transaction: reseals every body of
 * @table under the current key (adds the count to *@resealed), and counts
 * the bodies still sealed under another key than @key_id_prefix. */
gboolean pg_sealed_rows_reseal_locked(PgRegistry *self, const PgSealedTable *table,
				      guint *resealed, GError **error);
gboolean pg_sealed_rows_count_stale_locked(PgRegistry *self, const PgSealedTable *table,
					   const guint8 *key_id_prefix, gsize prefix_len,
					   gint64 *stale, GError **error);

/* Steps @stmt, a bound "SELECT COUNT(*) …"; on failure sets
 * PG_ERROR_DATABASE "…: @what".  Returns: the count, or -1. */
gint64 pg_sealed_rows_count(PgRegistry *self, sqlite3_stmt *stmt, const gchar *what,
			    GError **error);

G_END_DECLS
