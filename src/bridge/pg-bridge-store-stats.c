/* PgBridgeStore, the part `polygate bridge status` reads: the last error
 * per direction, the puppets' health and the occupants on each side (the
 * runtime writes them), and the status that sums them up with the
 * counters (written by pg_bridge_store_count() in pg-bridge-store.c).
 */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include "bridge/pg-bridge-store-private.h"
#include "core/pg-error.h"

gboolean
pg_bridge_store_set_error(PgBridgeStore *self, const gchar *bridge, PgBridgeDirection direction,
			  const gchar *message, gint64 now_us, GError **error)
{
	g_autoptr(PgBridgeStmt) stmt = NULL;

	g_return_val_if_fail(pg_bridge_direction_to_string(direction) != NULL, FALSE);
	if (!pg_bridge_store_ensure(self, bridge, error))
		return FALSE;
	stmt = pg_bridge_store_stmt(self,
				    "INSERT INTO direction_state (bridge, direction, last_error,"
				    " last_error_us) VALUES (?1, ?2, ?3, ?4)"
				    " ON CONFLICT (bridge, direction) DO UPDATE SET"
				    " last_error = excluded.last_error,"
				    " last_error_us = excluded.last_error_us;",
				    error);
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, direction);
	pg_bridge_store_bind_text(stmt, 3, message);
	sqlite3_bind_int64(stmt, 4, now_us);
	return pg_bridge_store_step_done(self, stmt, error);
}

gboolean
pg_bridge_store_set_puppet(PgBridgeStore *self, const gchar *bridge, const gchar *nick,
			   gboolean healthy, gint64 now_us, GError **error)
{
	g_autoptr(PgBridgeStmt) stmt = NULL;

	if (!pg_bridge_store_ensure(self, bridge, error))
		return FALSE;
	stmt = pg_bridge_store_stmt(self,
				    "INSERT OR REPLACE INTO puppet (bridge, nick, healthy, updated_us)"
				    " VALUES (?1, ?2, ?3, ?4);",
				    error);
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, nick, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 3, healthy ? 1 : 0);
	sqlite3_bind_int64(stmt, 4, now_us);
	return pg_bridge_store_step_done(self, stmt, error);
}

gboolean
pg_bridge_store_remove_puppet(PgBridgeStore *self, const gchar *bridge, const gchar *nick,
			      GError **error)
{
	g_autoptr(PgBridgeStmt) stmt = pg_bridge_store_stmt(
	    self, "DELETE FROM puppet WHERE bridge = ?1 AND nick = ?2;", error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, nick, -1, SQLITE_STATIC);
	return pg_bridge_store_step_done(self, stmt, error);
}

gboolean
pg_bridge_store_set_occupants(PgBridgeStore *self, const gchar *bridge, guint legacy, guint xmpp,
			      gint64 now_us, GError **error)
{
	g_autoptr(PgBridgeStmt) stmt = NULL;

	if (!pg_bridge_store_ensure(self, bridge, error))
		return FALSE;
	stmt = pg_bridge_store_stmt(self,
				    "UPDATE bridge SET legacy_occupants = ?2, xmpp_occupants = ?3,"
				    " occupants_us = ?4 WHERE name = ?1;",
				    error);
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, legacy);
	sqlite3_bind_int64(stmt, 3, xmpp);
	sqlite3_bind_int64(stmt, 4, now_us);
	return pg_bridge_store_step_done(self, stmt, error);
}

gboolean
pg_bridge_store_set_held_out(PgBridgeStore *self, const gchar *bridge, guint held_out,
			     GError **error)
{
	g_autoptr(PgBridgeStmt) stmt = NULL;

	if (!pg_bridge_store_ensure(self, bridge, error))
		return FALSE;
	stmt = pg_bridge_store_stmt(self, "UPDATE bridge SET held_out = ?2 WHERE name = ?1;",
				    error);
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, held_out);
	return pg_bridge_store_step_done(self, stmt, error);
}

/* ---------------------------------------------------------------- status */

static gboolean
pg_bridge_store_status_directions(PgBridgeStore *self, PgBridgeStatus *status, gint64 now_us,
				  GError **error)
{
	g_autoptr(PgBridgeStmt) state = pg_bridge_store_stmt(
	    self,
	    "SELECT direction, lines, last_error, last_error_us FROM direction_state"
	    " WHERE bridge = ?1;",
	    error);
	g_autoptr(PgBridgeStmt) minutes = NULL;
	gint64 now_minute = now_us / PG_BRIDGE_STORE_MINUTE_US;
	gint64 first = now_minute - PG_BRIDGE_STORE_RATE_MINUTES;
	gdouble span;
	int rc;

	if (state == NULL)
		return FALSE;
	sqlite3_bind_text(state, 1, status->bridge, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(state)) == SQLITE_ROW) {
		gint direction = sqlite3_column_int(state, 0);

		if (direction < 0 || direction >= PG_BRIDGE_DIRECTIONS)
			continue;
		status->lines[direction] = (guint64)sqlite3_column_int64(state, 1);
		status->last_error[direction] = pg_bridge_store_column_text(state, 2);
		status->last_error_us[direction] = sqlite3_column_int64(state, 3);
	}
	if (rc != SQLITE_DONE)
		return pg_bridge_store_set_error_db(self, error, "cannot read the counters");
	/* The window: the last PG_BRIDGE_STORE_RATE_MINUTES whole minutes and
	 * the current one so far, so a burst shows at once and fades in 5 min. */
	minutes = pg_bridge_store_stmt(self,
				       "SELECT direction, SUM(lines) FROM minute"
				       " WHERE bridge = ?1 AND minute >= ?2 AND minute <= ?3"
				       " GROUP BY direction;",
				       error);
	if (minutes == NULL)
		return FALSE;
	sqlite3_bind_text(minutes, 1, status->bridge, -1, SQLITE_STATIC);
	sqlite3_bind_int64(minutes, 2, first);
	sqlite3_bind_int64(minutes, 3, now_minute);
	span = (gdouble)(now_us - first * PG_BRIDGE_STORE_MINUTE_US) / PG_BRIDGE_STORE_MINUTE_US;
	while ((rc = sqlite3_step(minutes)) == SQLITE_ROW) {
		gint direction = sqlite3_column_int(minutes, 0);

		if (direction < 0 || direction >= PG_BRIDGE_DIRECTIONS)
			continue;
		status->lines_per_minute[direction] =
		    (gdouble)sqlite3_column_int64(minutes, 1) / span;
	}
	if (rc != SQLITE_DONE)
		return pg_bridge_store_set_error_db(self, error, "cannot read the counters");
	return TRUE;
}

static gboolean
pg_bridge_store_status_rest(PgBridgeStore *self, PgBridgeStatus *status, GError **error)
{
	g_autoptr(PgBridgeStmt) bridge = pg_bridge_store_stmt(
	    self,
	    "SELECT phase, phase_us, legacy_occupants, xmpp_occupants, occupants_us,"
	    " (SELECT COUNT(*) FROM puppet WHERE bridge = ?1),"
	    " (SELECT COUNT(*) FROM puppet WHERE bridge = ?1 AND healthy),"
	    " (SELECT COUNT(*) FROM spool WHERE bridge = ?1),"
	    " (SELECT COUNT(*) FROM spool WHERE bridge = ?1 AND replayed_us = 0),"
	    " held_out"
	    " FROM bridge WHERE name = ?1;",
	    error);

	if (bridge == NULL)
		return FALSE;
	sqlite3_bind_text(bridge, 1, status->bridge, -1, SQLITE_STATIC);
	if (sqlite3_step(bridge) != SQLITE_ROW)
		return pg_bridge_store_set_error_db(self, error, "cannot read a bridge");
	status->phase = pg_bridge_store_column_text(bridge, 0);
	status->phase_us = sqlite3_column_int64(bridge, 1);
	status->occupants[PG_BRIDGE_TO_LEGACY] = (guint)sqlite3_column_int64(bridge, 2);
	status->occupants[PG_BRIDGE_TO_XMPP] = (guint)sqlite3_column_int64(bridge, 3);
	status->occupants_us = sqlite3_column_int64(bridge, 4);
	status->puppets = (guint)sqlite3_column_int64(bridge, 5);
	status->puppets_healthy = (guint)sqlite3_column_int64(bridge, 6);
	status->spool_total = (guint64)sqlite3_column_int64(bridge, 7);
	status->spool_pending = (guint64)sqlite3_column_int64(bridge, 8);
	status->held_out = (guint)sqlite3_column_int64(bridge, 9);
	return TRUE;
}

GPtrArray *
pg_bridge_store_status(PgBridgeStore *self, const gchar *bridge, gint64 now_us, GError **error)
{
	g_autoptr(GPtrArray) statuses =
	    g_ptr_array_new_with_free_func((GDestroyNotify)pg_bridge_status_free);
	g_auto(GStrv) names = NULL;

	/* our own unwritten counts too, for a daemon that reports on itself */
	if (!pg_bridge_store_flush(self, error))
		return NULL;
	names = pg_bridge_store_list(self, error);
	if (names == NULL)
		return NULL;
	if (bridge != NULL && !g_strv_contains((const gchar *const *)names, bridge)) {
		g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
			    "the store %s knows no bridge %s", self->path, bridge);
		return NULL;
	}
	for (guint i = 0; names[i] != NULL; i++) {
		g_autoptr(PgBridgeStatus) status = NULL;

		if (bridge != NULL && g_strcmp0(names[i], bridge) != 0)
			continue;
		status = g_new0(PgBridgeStatus, 1);
		status->bridge = g_strdup(names[i]);
		if (!pg_bridge_store_get_consent(self, names[i], &status->consent, error) ||
		    !pg_bridge_store_status_rest(self, status, error) ||
		    !pg_bridge_store_status_directions(self, status, now_us, error))
			return NULL;
		g_ptr_array_add(statuses, g_steal_pointer(&status));
	}
	return g_steal_pointer(&statuses);
}
