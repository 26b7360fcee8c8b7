/* People's own settings in the bridges' store (pg-bridge-store.h): for now
 * whether an XMPP person takes private messages from IRC (issue 11 §3),
 * keyed by bare JID, so one answer holds for every bridge. */
#include "config.h"

#include <sqlite3.h>

#include "bridge/pg-bridge-store-private.h"

gboolean
pg_bridge_store_set_private_messages(PgBridgeStore *self, const gchar *jid, gboolean allow,
				     gint64 now_us, GError **error)
{
	g_autoptr(PgBridgeStmt) stmt = pg_bridge_store_stmt(
	    self,
	    "INSERT INTO private_messages (jid, allow, updated_us) VALUES (?1, ?2, ?3) "
	    "ON CONFLICT (jid) DO UPDATE SET allow = ?2, updated_us = ?3;",
	    error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, jid, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, allow ? 1 : 0);
	sqlite3_bind_int64(stmt, 3, now_us);
	return pg_bridge_store_step_done(self, stmt, error);
}

gboolean
pg_bridge_store_get_private_messages(PgBridgeStore *self, const gchar *jid)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgBridgeStmt) stmt = pg_bridge_store_stmt(
	    self, "SELECT allow FROM private_messages WHERE jid = ?1;", &error);

	if (stmt == NULL) {
		g_warning("%s", error->message);
		return FALSE;
	}
	sqlite3_bind_text(stmt, 1, jid, -1, SQLITE_STATIC);
	return sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0) != 0;
}
