/* What the store's own files share (pg-bridge-store.c, -stats.c, -spool.c);
 * nothing outside src/bridge/pg-bridge-store*.c includes this. */
#pragma once

#include <glib.h>
#include <sqlite3.h>

#include "bridge/pg-bridge-store.h"

G_BEGIN_DECLS

#define PG_BRIDGE_STORE_TEXT_MAX     1024  /* bytes of a mapped line's text */
#define PG_BRIDGE_STORE_MAP_KEEP     10000 /* default map entries per bridge */
#define PG_BRIDGE_STORE_FLUSH_US     G_USEC_PER_SEC
#define PG_BRIDGE_STORE_MINUTES_KEPT 60
#define PG_BRIDGE_STORE_RATE_MINUTES 5
#define PG_BRIDGE_STORE_MINUTE_US    (G_GINT64_CONSTANT(60) * G_USEC_PER_SEC)
#define PG_BRIDGE_STORE_COMMIT_MS    50    /* the longest a hot-path write stays uncommitted */

struct _PgBridgeStore {
	sqlite3 *db;
	gchar *path;
	GHashTable *stmts;     /* SQL text (static) -> sqlite3_stmt, finalized at free */
	guint map_keep;
	GHashTable *map_added; /* bridge -> adds since its map was last bounded */
	GHashTable *counts;    /* "direction\nminute\nbridge" -> lines not yet written */
	gint64 last_flush_us;
	gint64 pending_since_us; /* monotonic start of the open hot-path transaction; 0: none */
	guint commit_id;         /* the timer that commits it */
};

/* A cached statement, borrowed from the store: reset (not finalized) when
 * it goes out of scope, so no read keeps a WAL snapshot open. */
typedef sqlite3_stmt PgBridgeStmt;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgBridgeStmt, sqlite3_reset)

gboolean pg_bridge_store_set_error_db(PgBridgeStore *self, GError **error, const gchar *what);
/* Returns: (transfer none) the cached statement for @sql (a string literal:
 * its address is the key), reset and unbound, or NULL with @error. */
PgBridgeStmt *pg_bridge_store_stmt(PgBridgeStore *self, const gchar *sql, GError **error);
gboolean pg_bridge_store_step_done(PgBridgeStore *self, sqlite3_stmt *stmt, GError **error);
gboolean pg_bridge_store_exec(PgBridgeStore *self, const gchar *sql, GError **error);
void pg_bridge_store_rollback(PgBridgeStore *self);
/* Binds @text, or NULL for a NULL @text. */
void pg_bridge_store_bind_text(sqlite3_stmt *stmt, int index, const gchar *text);
/* Returns: (transfer full) the column's text, or NULL. */
gchar *pg_bridge_store_column_text(sqlite3_stmt *stmt, int column);
/* Commits the open hot-path transaction, if any (pg-bridge-store.c). */
gboolean pg_bridge_store_commit_pending(PgBridgeStore *self, GError **error);
/* Opens the hot-path transaction unless one is open; a later write joins it. */
gboolean pg_bridge_store_join_pending(PgBridgeStore *self, GError **error);
/* Commits what is pending, then BEGIN IMMEDIATE for a transaction of one's own. */
gboolean pg_bridge_store_begin(PgBridgeStore *self, GError **error);
/* Makes @bridge's row if it has none. */
gboolean pg_bridge_store_ensure(PgBridgeStore *self, const gchar *bridge, GError **error);

G_END_DECLS
