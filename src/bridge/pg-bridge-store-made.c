/* PgBridgeStore, the bridges an admin made by command (pg-bridge-store.h;
 * pg-bridge-store.c holds the file, its schema and the design note).
 *
 * Each is kept as the text of its [bridge NAME] group
 * (core/pg-config-bridge-form.h), read again at every start against that
 * start's config: a bridge made by command lives as long as its row, and a
 * change of the config (a transport renamed, a group of the same name) is
 * judged then, by the same checks as the file's groups.  Its SASL password,
 * if any, is kept beside it only as the vault sealed it (pg-bridges.c): the
 * row goes, and the sealed password with it, when the bridge is removed.
 */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include "bridge/pg-bridge-store-private.h"
#include "core/pg-error.h"

gboolean
pg_bridge_store_add_made(PgBridgeStore *self, const gchar *bridge, const gchar *data,
			 GBytes *sasl_sealed, const gchar *by, gint64 now_us, GError **error)
{
	g_autoptr(PgBridgeStmt) stmt = pg_bridge_store_stmt(
	    self,
	    "INSERT INTO made (name, data, made_by, made_us, sasl_sealed)"
	    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO NOTHING;",
	    error);
	gsize sealed_len = 0;
	gconstpointer sealed =
	    sasl_sealed != NULL ? g_bytes_get_data(sasl_sealed, &sealed_len) : NULL;

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, data, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, now_us);
	if (sealed != NULL)
		sqlite3_bind_blob(stmt, 5, sealed, (int)sealed_len, SQLITE_STATIC);
	if (!pg_bridge_store_step_done(self, stmt, error))
		return FALSE;
	if (sqlite3_changes(self->db) == 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_CONFLICT,
			    "a bridge named %s was made by command already", bridge);
		return FALSE;
	}
	return TRUE;
}

GBytes *
pg_bridge_store_get_made_sasl(PgBridgeStore *self, const gchar *bridge, GError **error)
{
	g_autoptr(PgBridgeStmt) stmt = pg_bridge_store_stmt(
	    self, "SELECT sasl_sealed FROM made WHERE name = ?1 AND sasl_sealed IS NOT NULL;",
	    error);
	int rc;

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		return g_bytes_new(sqlite3_column_blob(stmt, 0),
				   (gsize)sqlite3_column_bytes(stmt, 0));
	if (rc != SQLITE_DONE)
		pg_bridge_store_set_error_db(self, error, "cannot read a made bridge's password");
	return NULL;
}

gboolean
pg_bridge_store_drop_made(PgBridgeStore *self, const gchar *bridge, GError **error)
{
	g_autoptr(PgBridgeStmt) stmt =
	    pg_bridge_store_stmt(self, "DELETE FROM made WHERE name = ?1;", error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
	return pg_bridge_store_step_done(self, stmt, error);
}

GPtrArray *
pg_bridge_store_list_made(PgBridgeStore *self, GError **error)
{
	g_autoptr(GPtrArray) made = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(PgBridgeStmt) stmt =
	    pg_bridge_store_stmt(self, "SELECT data FROM made ORDER BY made_us, name;", error);
	int rc;

	if (stmt == NULL)
		return NULL;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(made, pg_bridge_store_column_text(stmt, 0));
	if (rc != SQLITE_DONE) {
		pg_bridge_store_set_error_db(self, error, "cannot list the bridges made by command");
		return NULL;
	}
	return g_steal_pointer(&made);
}
