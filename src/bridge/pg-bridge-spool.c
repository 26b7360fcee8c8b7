/* PgBridgeStore, the import spool: legacy log lines that
 * `polygate bridge import` read (pg-bridge-import.c), waiting for the
 * running daemon to replay them into the room with XEP-0203 delays, and
 * read again by `polygate bridge export`.
 *
 * A line is unique per (bridge, time, kind, nick, text): importing the same
 * file twice, or two overlapping logs of the same channel (two people's
 * irssi logs), adds each line once.  Order is (time, id): the time a log
 * gives, and among lines of the same second the order they were read in.
 */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include "bridge/pg-bridge-store-private.h"
#include "core/pg-error.h"

gboolean
pg_bridge_store_spool_add(PgBridgeStore *self, const gchar *bridge, GPtrArray *lines,
			  const gchar *source, guint *added, guint *duplicates, GError **error)
{
	guint n_added = 0, n_duplicates = 0;

	if (!pg_bridge_store_begin(self, error))
		return FALSE;
	if (!pg_bridge_store_ensure(self, bridge, error)) {
		pg_bridge_store_rollback(self);
		return FALSE;
	}
	for (guint i = 0; i < lines->len; i++) {
		const PgBridgeLine *line = g_ptr_array_index(lines, i);
		const gchar *kind = pg_bridge_line_kind_to_string(line->kind);
		g_autoptr(PgBridgeStmt) stmt = NULL;

		if (kind == NULL) {
			g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "line %u has no valid kind", i);
			pg_bridge_store_rollback(self);
			return FALSE;
		}
		stmt = pg_bridge_store_stmt(self,
					    "INSERT OR IGNORE INTO spool (bridge, time_us, kind,"
					    " nick, text, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6);",
					    error);
		if (stmt == NULL) {
			pg_bridge_store_rollback(self);
			return FALSE;
		}
		sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 2, line->time_us);
		sqlite3_bind_text(stmt, 3, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 4, line->nick, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 5, line->text, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 6, source != NULL ? source : "", -1, SQLITE_STATIC);
		if (!pg_bridge_store_step_done(self, stmt, error)) {
			pg_bridge_store_rollback(self);
			return FALSE;
		}
		if (sqlite3_changes(self->db) > 0)
			n_added++;
		else
			n_duplicates++;
	}
	if (!pg_bridge_store_exec(self, "COMMIT;", error)) {
		pg_bridge_store_rollback(self);
		return FALSE;
	}
	if (added != NULL)
		*added = n_added;
	if (duplicates != NULL)
		*duplicates = n_duplicates;
	return TRUE;
}

GPtrArray *
pg_bridge_store_spool_read(PgBridgeStore *self, const gchar *bridge, gint64 after_time_us,
			   gint64 after_id, guint max, gboolean pending_only, GError **error)
{
	g_autoptr(GPtrArray) items =
	    g_ptr_array_new_with_free_func((GDestroyNotify)pg_bridge_spool_item_free);
	g_autoptr(PgBridgeStmt) stmt = pg_bridge_store_stmt(
	    self,
	    "SELECT id, time_us, kind, nick, text, source, replayed_us, stanza_id FROM spool"
	    " WHERE bridge = ?1 AND (time_us > ?2 OR (time_us = ?2 AND id > ?3))"
	    " AND (?4 = 0 OR replayed_us = 0)"
	    " ORDER BY time_us, id LIMIT ?5;",
	    error);
	int rc;

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, after_time_us);
	sqlite3_bind_int64(stmt, 3, after_id);
	sqlite3_bind_int(stmt, 4, pending_only ? 1 : 0);
	sqlite3_bind_int64(stmt, 5, max);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		PgBridgeSpoolItem *item = g_new0(PgBridgeSpoolItem, 1);
		PgBridgeLineKind kind = PG_BRIDGE_LINE_OTHER;

		/* a kind a later Polygate added reads as "other" */
		if (!pg_bridge_line_kind_from_string((const gchar *)sqlite3_column_text(stmt, 2),
						     &kind))
			kind = PG_BRIDGE_LINE_OTHER;
		item->id = sqlite3_column_int64(stmt, 0);
		item->line = pg_bridge_line_new(sqlite3_column_int64(stmt, 1),
						(const gchar *)sqlite3_column_text(stmt, 3), kind,
						(const gchar *)sqlite3_column_text(stmt, 4));
		item->source = pg_bridge_store_column_text(stmt, 5);
		item->replayed_us = sqlite3_column_int64(stmt, 6);
		item->stanza_id = pg_bridge_store_column_text(stmt, 7);
		g_ptr_array_add(items, item);
	}
	if (rc != SQLITE_DONE) {
		pg_bridge_store_set_error_db(self, error, "cannot read the spool");
		return NULL;
	}
	return g_steal_pointer(&items);
}

gboolean
pg_bridge_store_spool_mark_replayed(PgBridgeStore *self, gint64 id, const gchar *stanza_id,
				    gint64 now_us, GError **error)
{
	g_autoptr(PgBridgeStmt) stmt = pg_bridge_store_stmt(
	    self, "UPDATE spool SET replayed_us = ?2, stanza_id = ?3 WHERE id = ?1;", error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, MAX(now_us, 1));
	pg_bridge_store_bind_text(stmt, 3, stanza_id);
	if (!pg_bridge_store_step_done(self, stmt, error))
		return FALSE;
	if (sqlite3_changes(self->db) == 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND, "no spooled line %" G_GINT64_FORMAT,
			    id);
		return FALSE;
	}
	return TRUE;
}

gint64
pg_bridge_store_spool_clear(PgBridgeStore *self, const gchar *bridge, GError **error)
{
	g_autoptr(PgBridgeStmt) stmt =
	    pg_bridge_store_stmt(self, "DELETE FROM spool WHERE bridge = ?1;", error);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
	if (!pg_bridge_store_step_done(self, stmt, error))
		return -1;
	return sqlite3_changes(self->db);
}
