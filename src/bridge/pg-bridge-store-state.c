/* PgBridgeStore, what a bridge needs to survive a restart: the chanop's
 * consent, the phase of the move, and the map between room message ids
 * and legacy lines (pg-bridge-store.h; pg-bridge-store.c holds the file,
 * its schema and the design note).
 */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include <string.h>

#include "bridge/pg-bridge-store-private.h"
#include "core/pg-error.h"

/* -------------------------------------------------------- consent, phase */

gboolean
pg_bridge_store_approve(PgBridgeStore *self, const gchar *bridge, const gchar *by, gint64 now_us,
			GError **error)
{
	g_autoptr(PgBridgeStmt) stmt = NULL;

	if (!pg_bridge_store_ensure(self, bridge, error))
		return FALSE;
	stmt = pg_bridge_store_stmt(self,
				    "UPDATE bridge SET approved_by = ?2, approved_us = ?3,"
				    " revoked_by = NULL, revoked_us = 0 WHERE name = ?1;",
				    error);
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, now_us);
	return pg_bridge_store_step_done(self, stmt, error);
}

gboolean
pg_bridge_store_revoke(PgBridgeStore *self, const gchar *bridge, const gchar *by, gint64 now_us,
		       GError **error)
{
	g_autoptr(PgBridgeStmt) stmt =
	    pg_bridge_store_stmt(self,
				 "UPDATE bridge SET revoked_by = ?2, revoked_us = ?3"
				 " WHERE name = ?1 AND approved_by IS NOT NULL;",
				 error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, now_us);
	if (!pg_bridge_store_step_done(self, stmt, error))
		return FALSE;
	if (sqlite3_changes(self->db) == 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
			    "bridge %s was never approved", bridge);
		return FALSE;
	}
	return TRUE;
}

gboolean
pg_bridge_store_get_consent(PgBridgeStore *self, const gchar *bridge, PgBridgeConsent *consent,
			    GError **error)
{
	g_autoptr(PgBridgeStmt) stmt =
	    pg_bridge_store_stmt(self,
				 "SELECT approved_by, approved_us, revoked_by, revoked_us"
				 " FROM bridge WHERE name = ?1;",
				 error);
	int rc;

	pg_bridge_consent_clear(consent);
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE)
		return TRUE;
	if (rc != SQLITE_ROW)
		return pg_bridge_store_set_error_db(self, error, "cannot read the consent");
	consent->approved_by = pg_bridge_store_column_text(stmt, 0);
	consent->approved_us = sqlite3_column_int64(stmt, 1);
	consent->revoked_by = pg_bridge_store_column_text(stmt, 2);
	consent->revoked_us = sqlite3_column_int64(stmt, 3);
	return TRUE;
}

gboolean
pg_bridge_store_has_consent(PgBridgeStore *self, const gchar *bridge)
{
	g_auto(PgBridgeConsent) consent = {0};
	g_autoptr(GError) error = NULL;

	if (!pg_bridge_store_get_consent(self, bridge, &consent, &error)) {
		g_warning("%s", error->message);
		return FALSE;
	}
	return consent.approved_by != NULL && consent.revoked_by == NULL;
}

gboolean
pg_bridge_store_set_phase(PgBridgeStore *self, const gchar *bridge, const gchar *phase,
			  gint64 now_us, GError **error)
{
	g_autoptr(PgBridgeStmt) stmt = NULL;

	if (!pg_bridge_store_ensure(self, bridge, error))
		return FALSE;
	stmt = pg_bridge_store_stmt(
	    self, "UPDATE bridge SET phase = ?2, phase_us = ?3 WHERE name = ?1;", error);
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, phase, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, now_us);
	return pg_bridge_store_step_done(self, stmt, error);
}

gchar *
pg_bridge_store_get_phase(PgBridgeStore *self, const gchar *bridge)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgBridgeStmt) stmt =
	    pg_bridge_store_stmt(self, "SELECT phase FROM bridge WHERE name = ?1;", &error);

	if (stmt == NULL) {
		g_warning("%s", error->message);
		return g_strdup("pending");
	}
	sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		return pg_bridge_store_column_text(stmt, 0);
	return g_strdup("pending");
}

/* ---------------------------------------------------------------- id map */

void
pg_bridge_store_set_map_limit(PgBridgeStore *self, guint keep)
{
	self->map_keep = MAX(keep, 1);
}

/* Returns: (transfer full) @text cut to at most @max bytes on a character
 * boundary (@text is valid UTF-8). */
static gchar *
pg_bridge_store_cut(const gchar *text, gsize max)
{
	const gchar *end;

	if (text == NULL)
		return g_strdup("");
	if (strlen(text) <= max)
		return g_strdup(text);
	end = text + max;
	/* back to the start of the character that crosses the bound */
	while (end > text && ((guchar)*end & 0xC0) == 0x80)
		end--;
	return g_strndup(text, (gsize)(end - text));
}

/* Drops @bridge's oldest entries beyond the limit.  Bounding on every add
 * would scan map_keep index entries per line; once every tenth of the
 * limit keeps the map within 110 % of it. */
static gboolean
pg_bridge_store_map_bound(PgBridgeStore *self, const gchar *bridge, GError **error)
{
	guint added = GPOINTER_TO_UINT(g_hash_table_lookup(self->map_added, bridge)) + 1;
	g_autoptr(PgBridgeStmt) stmt = NULL;

	if (added < MAX(self->map_keep / 10, 1)) {
		g_hash_table_insert(self->map_added, g_strdup(bridge), GUINT_TO_POINTER(added));
		return TRUE;
	}
	g_hash_table_insert(self->map_added, g_strdup(bridge), GUINT_TO_POINTER(0));
	stmt = pg_bridge_store_stmt(self,
				    "DELETE FROM idmap WHERE bridge = ?1 AND id <= ("
				    " SELECT id FROM idmap WHERE bridge = ?1"
				    " ORDER BY id DESC LIMIT 1 OFFSET ?2);",
				    error);
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, self->map_keep);
	return pg_bridge_store_step_done(self, stmt, error);
}

gint64
pg_bridge_store_map_add(PgBridgeStore *self, const gchar *bridge, const PgBridgeMapEntry *entry,
			GError **error)
{
	g_autoptr(PgBridgeStmt) stmt = NULL;
	g_autofree gchar *text = NULL;
	gint64 id;

	if (entry->stanza_id == NULL && entry->origin_id == NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
			    "a mapped line needs a stanza-id or an origin-id");
		return 0;
	}
	if (pg_bridge_direction_to_string(entry->direction) == NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST, "no such direction %d",
			    entry->direction);
		return 0;
	}
	text = pg_bridge_store_cut(entry->text, PG_BRIDGE_STORE_TEXT_MAX);
	if (!pg_bridge_store_join_pending(self, error))
		return 0;
	stmt = pg_bridge_store_stmt(self,
				    "INSERT INTO idmap (bridge, direction, stanza_id, origin_id,"
				    " legacy_id, nick, text, time_us)"
				    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8);",
				    error);
	if (stmt == NULL)
		return 0;
	sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, entry->direction);
	pg_bridge_store_bind_text(stmt, 3, entry->stanza_id);
	pg_bridge_store_bind_text(stmt, 4, entry->origin_id);
	pg_bridge_store_bind_text(stmt, 5, entry->legacy_id);
	sqlite3_bind_text(stmt, 6, entry->nick != NULL ? entry->nick : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 7, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 8, entry->time_us);
	if (!pg_bridge_store_step_done(self, stmt, error))
		return 0;
	id = sqlite3_last_insert_rowid(self->db);
	if (!pg_bridge_store_map_bound(self, bridge, error))
		return 0;
	return id;
}

gboolean
pg_bridge_store_map_set_stanza_id(PgBridgeStore *self, const gchar *bridge,
				  const gchar *origin_id, const gchar *stanza_id, GError **error)
{
	g_autoptr(PgBridgeStmt) stmt =
	    pg_bridge_store_stmt(self,
				 "UPDATE idmap SET stanza_id = ?3 WHERE id = ("
				 " SELECT MAX(id) FROM idmap WHERE bridge = ?1 AND origin_id = ?2);",
				 error);

	if (stmt == NULL || !pg_bridge_store_join_pending(self, error))
		return FALSE;
	sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, origin_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, stanza_id, -1, SQLITE_STATIC);
	if (!pg_bridge_store_step_done(self, stmt, error))
		return FALSE;
	if (sqlite3_changes(self->db) == 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
			    "bridge %s has no line with origin-id %s", bridge, origin_id);
		return FALSE;
	}
	return TRUE;
}

PgBridgeMapEntry *
pg_bridge_store_map_find(PgBridgeStore *self, const gchar *bridge, const gchar *id,
			 GError **error)
{
	/* two indexed lookups, not one OR that SQLite may scan for */
	g_autoptr(PgBridgeStmt) stmt = pg_bridge_store_stmt(
	    self,
	    "SELECT id, direction, stanza_id, origin_id, legacy_id, nick, text, time_us"
	    " FROM idmap WHERE id = (SELECT MAX(id) FROM ("
	    "  SELECT MAX(id) AS id FROM idmap WHERE bridge = ?1 AND stanza_id = ?2"
	    "  UNION ALL"
	    "  SELECT MAX(id) AS id FROM idmap WHERE bridge = ?1 AND origin_id = ?2));",
	    error);
	PgBridgeMapEntry *entry;
	int rc;

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE)
		return NULL;
	if (rc != SQLITE_ROW) {
		pg_bridge_store_set_error_db(self, error, "cannot read the id map");
		return NULL;
	}
	entry = g_new0(PgBridgeMapEntry, 1);
	entry->id = sqlite3_column_int64(stmt, 0);
	entry->direction = (PgBridgeDirection)sqlite3_column_int(stmt, 1);
	entry->stanza_id = pg_bridge_store_column_text(stmt, 2);
	entry->origin_id = pg_bridge_store_column_text(stmt, 3);
	entry->legacy_id = pg_bridge_store_column_text(stmt, 4);
	entry->nick = pg_bridge_store_column_text(stmt, 5);
	entry->text = pg_bridge_store_column_text(stmt, 6);
	entry->time_us = sqlite3_column_int64(stmt, 7);
	return entry;
}

gint64
pg_bridge_store_map_prune(PgBridgeStore *self, const gchar *bridge, gint64 before_us,
			  GError **error)
{
	g_autoptr(PgBridgeStmt) stmt = pg_bridge_store_stmt(
	    self, "DELETE FROM idmap WHERE bridge = ?1 AND time_us < ?2;", error);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, before_us);
	if (!pg_bridge_store_step_done(self, stmt, error))
		return -1;
	return sqlite3_changes(self->db);
}
