/* PgBridgeStore: the community bridges' own SQLite state (pg-bridge-store.h).
 *
 * DESIGN
 * - Its own file, neither the registry's nor the rooms' archive.  The
 *   registry holds credentials and is backed up; this holds what a bridge
 *   needs to survive a restart (consent, phase, the id map) and what an
 *   operator reads (`polygate bridge status`), and it may be deleted to
 *   start over (a bridge then asks its chanop again).  The daemon writes it
 *   while the CLI reads it from another process: WAL, short transactions, a
 *   busy timeout.  Created 0600 like the registry: the map and the spool
 *   hold channel lines.
 * - Keyed by the bridge's NAME, the `[bridge NAME]` config group; nothing
 *   here knows IRC, so any legacy network with group chats fits.
 * - The id map is bounded per bridge (pg_bridge_store_set_map_limit(), and
 *   pg_bridge_store_map_prune() by age).  It serves dedupe (a stanza-id or
 *   origin-id seen before is an echo), XEP-0308 corrections (the text that
 *   was relayed, to render the change) and XEP-0461 replies (who said the
 *   line replied to).  Its text is cut at PG_BRIDGE_STORE_TEXT_MAX bytes.
 * - Counters are the busiest writer (one per relayed line), so they are
 *   summed in memory and written at most once a second, into a running
 *   total per direction and one row per minute (an hour of them is kept)
 *   from which status computes lines per minute.
 * - The id map's writes, one per relayed line, are grouped into one
 *   transaction per 50 ms (see "hot-path transactions" below).
 * - Statements are prepared once and kept (pg_bridge_store_stmt()); each
 *   use resets its statement when it goes out of scope, so no read holds a
 *   WAL snapshot open between calls.
 */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <unistd.h>

#include "bridge/pg-bridge-store-private.h"
#include "bridge/pg-bridge-store.h"
#include "core/pg-error.h"
#include "core/pg-schema.h"

/* Schema history (PRAGMA user_version):
 *   v1  bridge (name, phase, consent, occupants), direction_state (totals,
 *       last error), minute (lines per minute), idmap, puppet, spool
 *   v2  bridge.held_out (IRC people a room limit keeps out of the room)
 *   v3  made (the bridges an admin made by command: their group's text)
 *   v4  private_messages (whether an XMPP person takes private messages
 *       from IRC, by bare JID: pg-bridge-store-prefs.c)
 *   v5  made.sasl_sealed (a made bridge's SASL password, sealed by the
 *       registry's vault: pg-bridges.c; never plain here) */
#define PG_BRIDGE_STORE_SCHEMA_VERSION 5

static const gchar *const pg_bridge_store_migrations[PG_BRIDGE_STORE_SCHEMA_VERSION + 1] = {
    [1] = "CREATE TABLE bridge ("
	  "  name TEXT PRIMARY KEY,"
	  "  phase TEXT NOT NULL DEFAULT 'pending', phase_us INTEGER NOT NULL DEFAULT 0,"
	  "  approved_by TEXT, approved_us INTEGER NOT NULL DEFAULT 0,"
	  "  revoked_by TEXT, revoked_us INTEGER NOT NULL DEFAULT 0,"
	  "  legacy_occupants INTEGER NOT NULL DEFAULT 0,"
	  "  xmpp_occupants INTEGER NOT NULL DEFAULT 0,"
	  "  occupants_us INTEGER NOT NULL DEFAULT 0"
	  ");"
	  "CREATE TABLE direction_state ("
	  "  bridge TEXT NOT NULL, direction INTEGER NOT NULL,"
	  "  lines INTEGER NOT NULL DEFAULT 0,"
	  "  last_error TEXT, last_error_us INTEGER NOT NULL DEFAULT 0,"
	  "  PRIMARY KEY (bridge, direction)"
	  ") WITHOUT ROWID;"
	  "CREATE TABLE minute ("
	  "  bridge TEXT NOT NULL, direction INTEGER NOT NULL, minute INTEGER NOT NULL,"
	  "  lines INTEGER NOT NULL,"
	  "  PRIMARY KEY (bridge, direction, minute)"
	  ") WITHOUT ROWID;"
	  "CREATE TABLE idmap ("
	  "  id INTEGER PRIMARY KEY,"
	  "  bridge TEXT NOT NULL, direction INTEGER NOT NULL,"
	  "  stanza_id TEXT, origin_id TEXT, legacy_id TEXT,"
	  "  nick TEXT NOT NULL, text TEXT NOT NULL, time_us INTEGER NOT NULL"
	  ");"
	  "CREATE INDEX idmap_bridge ON idmap (bridge);"
	  "CREATE INDEX idmap_stanza ON idmap (bridge, stanza_id) WHERE stanza_id IS NOT NULL;"
	  "CREATE INDEX idmap_origin ON idmap (bridge, origin_id) WHERE origin_id IS NOT NULL;"
	  "CREATE TABLE puppet ("
	  "  bridge TEXT NOT NULL, nick TEXT NOT NULL,"
	  "  healthy INTEGER NOT NULL, updated_us INTEGER NOT NULL,"
	  "  PRIMARY KEY (bridge, nick)"
	  ") WITHOUT ROWID;"
	  "CREATE TABLE spool ("
	  "  id INTEGER PRIMARY KEY,"
	  "  bridge TEXT NOT NULL, time_us INTEGER NOT NULL, kind TEXT NOT NULL,"
	  "  nick TEXT NOT NULL, text TEXT NOT NULL, source TEXT NOT NULL,"
	  "  replayed_us INTEGER NOT NULL DEFAULT 0, stanza_id TEXT,"
	  "  UNIQUE (bridge, time_us, kind, nick, text)"
	  ");"
	  "CREATE INDEX spool_order ON spool (bridge, time_us, id);",
    [2] = "ALTER TABLE bridge ADD COLUMN held_out INTEGER NOT NULL DEFAULT 0;",
    [3] = "CREATE TABLE made ("
	  "  name TEXT PRIMARY KEY, data TEXT NOT NULL,"
	  "  made_by TEXT NOT NULL, made_us INTEGER NOT NULL"
	  ");",
    [4] = "CREATE TABLE private_messages ("
	  "  jid TEXT PRIMARY KEY, allow INTEGER NOT NULL, updated_us INTEGER NOT NULL"
	  ") WITHOUT ROWID;",
    [5] = "ALTER TABLE made ADD COLUMN sasl_sealed BLOB;",
};

#define PG_BRIDGE_STORE_BUSY_TIMEOUT_MS 5000

/* --------------------------------------------------------------- records */

void
pg_bridge_consent_clear(PgBridgeConsent *consent)
{
	g_clear_pointer(&consent->approved_by, g_free);
	g_clear_pointer(&consent->revoked_by, g_free);
	consent->approved_us = 0;
	consent->revoked_us = 0;
}

void
pg_bridge_map_entry_free(PgBridgeMapEntry *entry)
{
	if (entry == NULL)
		return;
	g_free(entry->stanza_id);
	g_free(entry->origin_id);
	g_free(entry->legacy_id);
	g_free(entry->nick);
	g_free(entry->text);
	g_free(entry);
}

void
pg_bridge_status_free(PgBridgeStatus *status)
{
	if (status == NULL)
		return;
	g_free(status->bridge);
	g_free(status->phase);
	pg_bridge_consent_clear(&status->consent);
	for (guint i = 0; i < PG_BRIDGE_DIRECTIONS; i++)
		g_free(status->last_error[i]);
	g_free(status);
}

void
pg_bridge_spool_item_free(PgBridgeSpoolItem *item)
{
	if (item == NULL)
		return;
	pg_bridge_line_free(item->line);
	g_free(item->source);
	g_free(item->stanza_id);
	g_free(item);
}

const gchar *
pg_bridge_direction_to_string(PgBridgeDirection direction)
{
	switch (direction) {
	case PG_BRIDGE_TO_LEGACY:
		return "to-legacy";
	case PG_BRIDGE_TO_XMPP:
		return "to-xmpp";
	default:
		return NULL;
	}
}

gchar *
pg_bridge_store_default_path(const gchar *registry_path)
{
	return g_strconcat(registry_path, ".bridge", NULL);
}

/* ------------------------------------------------------------------ SQL */

gboolean
pg_bridge_store_set_error_db(PgBridgeStore *self, GError **error, const gchar *what)
{
	g_set_error(error, PG_ERROR, PG_ERROR_DATABASE, "%s: %s: %s", self->path, what,
		    sqlite3_errmsg(self->db));
	return FALSE;
}

/* Returns: (transfer none) the cached statement for @sql (a string
 * literal: its address is the key), reset and unbound, or NULL with @error. */
PgBridgeStmt *
pg_bridge_store_stmt(PgBridgeStore *self, const gchar *sql, GError **error)
{
	sqlite3_stmt *stmt = g_hash_table_lookup(self->stmts, sql);

	if (stmt == NULL) {
		if (sqlite3_prepare_v3(self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt,
				       NULL) != SQLITE_OK) {
			pg_bridge_store_set_error_db(self, error, "cannot prepare a statement");
			return NULL;
		}
		g_hash_table_insert(self->stmts, (gpointer)sql, stmt);
	}
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return stmt;
}

gboolean
pg_bridge_store_step_done(PgBridgeStore *self, sqlite3_stmt *stmt, GError **error)
{
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		return pg_bridge_store_set_error_db(self, error, "cannot execute a statement");
	return TRUE;
}

gboolean
pg_bridge_store_exec(PgBridgeStore *self, const gchar *sql, GError **error)
{
	if (sqlite3_exec(self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return pg_bridge_store_set_error_db(self, error, "cannot execute a statement");
	return TRUE;
}

void
pg_bridge_store_rollback(PgBridgeStore *self)
{
	if (!sqlite3_get_autocommit(self->db))
		sqlite3_exec(self->db, "ROLLBACK;", NULL, NULL, NULL);
}

/* Binds @text, or NULL for a NULL @text. */
void
pg_bridge_store_bind_text(sqlite3_stmt *stmt, int index, const gchar *text)
{
	if (text == NULL)
		sqlite3_bind_null(stmt, index);
	else
		sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
}

gchar *
pg_bridge_store_column_text(sqlite3_stmt *stmt, int column)
{
	return g_strdup((const gchar *)sqlite3_column_text(stmt, column));
}

/* ------------------------------------------------- hot-path transactions */

/* The relay's per-line writes (the id map) join one transaction that is
 * committed PG_BRIDGE_STORE_COMMIT_MS after it opened (by the next write
 * after that, or by a main-loop timer if none comes): one commit per line
 * was 40 µs of CPU, mostly the kernel's fcntl() locks and pwrite() of a WAL
 * frame (contrib/bench/bridge_bench.c).  A crash loses at most those 50 ms
 * of map entries; a line relayed in them may then be relayed once more. */

static gboolean
pg_bridge_store_commit_cb(gpointer user_data)
{
	PgBridgeStore *self = user_data;
	g_autoptr(GError) error = NULL;

	self->commit_id = 0;
	if (!pg_bridge_store_commit_pending(self, &error))
		g_warning("%s", error->message);
	return G_SOURCE_REMOVE;
}

gboolean
pg_bridge_store_commit_pending(PgBridgeStore *self, GError **error)
{
	g_clear_handle_id(&self->commit_id, g_source_remove);
	if (self->pending_since_us == 0)
		return TRUE;
	self->pending_since_us = 0;
	if (!pg_bridge_store_exec(self, "COMMIT;", error)) {
		pg_bridge_store_rollback(self);
		return FALSE;
	}
	return TRUE;
}

gboolean
pg_bridge_store_join_pending(PgBridgeStore *self, GError **error)
{
	gint64 now = g_get_monotonic_time();

	if (self->pending_since_us != 0) {
		if (now - self->pending_since_us < PG_BRIDGE_STORE_COMMIT_MS * 1000)
			return TRUE;
		if (!pg_bridge_store_commit_pending(self, error))
			return FALSE;
	}
	if (!pg_bridge_store_exec(self, "BEGIN IMMEDIATE;", error))
		return FALSE;
	self->pending_since_us = MAX(now, 1);
	self->commit_id = g_timeout_add(PG_BRIDGE_STORE_COMMIT_MS, pg_bridge_store_commit_cb, self);
	return TRUE;
}

gboolean
pg_bridge_store_begin(PgBridgeStore *self, GError **error)
{
	if (!pg_bridge_store_commit_pending(self, error))
		return FALSE;
	return pg_bridge_store_exec(self, "BEGIN IMMEDIATE;", error);
}

static void
pg_bridge_store_finalize_cb(gpointer stmt)
{
	sqlite3_finalize(stmt);
}

PgBridgeStore *
pg_bridge_store_open(const gchar *path, GError **error)
{
	g_autoptr(PgBridgeStore) self = g_new0(PgBridgeStore, 1);
	int fd;

	self->path = g_strdup(path);
	self->stmts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					    pg_bridge_store_finalize_cb);
	self->map_keep = PG_BRIDGE_STORE_MAP_KEEP;
	self->map_added = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	/* 0600 before SQLite makes it (its -wal and -shm take the same mode) */
	fd = g_open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_DATABASE, "%s: cannot create: %s", path,
			    g_strerror(errno));
		return NULL;
	}
	close(fd);
	if (sqlite3_open_v2(path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		pg_bridge_store_set_error_db(self, error, "cannot open");
		return NULL;
	}
	sqlite3_busy_timeout(self->db, PG_BRIDGE_STORE_BUSY_TIMEOUT_MS);
	if (!pg_bridge_store_exec(self,
				  "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
				  "PRAGMA foreign_keys = OFF;",
				  error) ||
	    !pg_schema_migrate(self->db, self->path, pg_bridge_store_migrations,
			       PG_BRIDGE_STORE_SCHEMA_VERSION, error))
		return NULL;
	return g_steal_pointer(&self);
}

void
pg_bridge_store_free(PgBridgeStore *self)
{
	g_autoptr(GError) error = NULL;

	if (self == NULL)
		return;
	/* flush commits the pending transaction first (pg_bridge_store_begin) */
	if (self->db != NULL && !pg_bridge_store_flush(self, &error)) {
		g_warning("%s", error->message);
		g_clear_error(&error);
	}
	if (self->db != NULL && !pg_bridge_store_commit_pending(self, &error))
		g_warning("%s", error->message);
	/* statements before the connection: sqlite3_close() refuses while any is open */
	g_hash_table_unref(self->stmts);
	sqlite3_close(self->db);
	g_hash_table_unref(self->map_added);
	g_hash_table_unref(self->counts);
	g_free(self->path);
	g_free(self);
}

/* Makes @bridge's row if it has none. */
gboolean
pg_bridge_store_ensure(PgBridgeStore *self, const gchar *bridge, GError **error)
{
	g_autoptr(PgBridgeStmt) stmt =
	    pg_bridge_store_stmt(self, "INSERT OR IGNORE INTO bridge (name) VALUES (?1);", error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
	return pg_bridge_store_step_done(self, stmt, error);
}

GStrv
pg_bridge_store_list(PgBridgeStore *self, GError **error)
{
	g_autoptr(GStrvBuilder) names = g_strv_builder_new();
	g_autoptr(PgBridgeStmt) stmt =
	    pg_bridge_store_stmt(self, "SELECT name FROM bridge ORDER BY name;", error);
	int rc;

	if (stmt == NULL)
		return NULL;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_strv_builder_add(names, (const gchar *)sqlite3_column_text(stmt, 0));
	if (rc != SQLITE_DONE) {
		pg_bridge_store_set_error_db(self, error, "cannot list the bridges");
		return NULL;
	}
	return g_strv_builder_end(names);
}

gboolean
pg_bridge_store_remove(PgBridgeStore *self, const gchar *bridge, GError **error)
{
	static const gchar *const sqls[] = {
	    "DELETE FROM bridge WHERE name = ?1;", "DELETE FROM direction_state WHERE bridge = ?1;",
	    "DELETE FROM minute WHERE bridge = ?1;", "DELETE FROM idmap WHERE bridge = ?1;",
	    "DELETE FROM puppet WHERE bridge = ?1;", "DELETE FROM spool WHERE bridge = ?1;",
	};

	/* counts not written yet would bring its rows back */
	if (!pg_bridge_store_flush(self, error) || !pg_bridge_store_begin(self, error))
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(sqls); i++) {
		g_autoptr(PgBridgeStmt) stmt = pg_bridge_store_stmt(self, sqls[i], error);

		if (stmt == NULL) {
			pg_bridge_store_rollback(self);
			return FALSE;
		}
		sqlite3_bind_text(stmt, 1, bridge, -1, SQLITE_STATIC);
		if (!pg_bridge_store_step_done(self, stmt, error)) {
			pg_bridge_store_rollback(self);
			return FALSE;
		}
	}
	g_hash_table_remove(self->map_added, bridge);
	if (!pg_bridge_store_exec(self, "COMMIT;", error)) {
		pg_bridge_store_rollback(self);
		return FALSE;
	}
	return TRUE;
}

/* ------------------------------------------------------------- counters */

static gchar *
pg_bridge_store_count_key(const gchar *bridge, PgBridgeDirection direction, gint64 minute)
{
	return g_strdup_printf("%d\n%" G_GINT64_FORMAT "\n%s", direction, minute, bridge);
}

void
pg_bridge_store_count(PgBridgeStore *self, const gchar *bridge, PgBridgeDirection direction,
		      guint lines, gint64 now_us)
{
	g_autofree gchar *key = NULL;
	gpointer value;

	g_return_if_fail(pg_bridge_direction_to_string(direction) != NULL);
	key = pg_bridge_store_count_key(bridge, direction, now_us / PG_BRIDGE_STORE_MINUTE_US);
	value = g_hash_table_lookup(self->counts, key);
	g_hash_table_insert(self->counts, g_steal_pointer(&key),
			    GUINT_TO_POINTER(GPOINTER_TO_UINT(value) + lines));
	if (self->last_flush_us == 0)
		self->last_flush_us = now_us;
	if (now_us - self->last_flush_us >= PG_BRIDGE_STORE_FLUSH_US) {
		g_autoptr(GError) error = NULL;

		if (!pg_bridge_store_flush(self, &error))
			g_warning("%s", error->message);
		self->last_flush_us = now_us;
	}
}

static gboolean
pg_bridge_store_flush_one(PgBridgeStore *self, const gchar *key, guint lines, gint64 *newest,
			  GError **error)
{
	g_autoptr(PgBridgeStmt) total = NULL;
	g_autoptr(PgBridgeStmt) minute = NULL;
	g_auto(GStrv) parts = g_strsplit(key, "\n", 3);
	gint direction = atoi(parts[0]);
	gint64 minute_no = g_ascii_strtoll(parts[1], NULL, 10);
	const gchar *bridge = parts[2];

	*newest = MAX(*newest, minute_no);
	if (!pg_bridge_store_ensure(self, bridge, error))
		return FALSE;
	total = pg_bridge_store_stmt(self,
				     "INSERT INTO direction_state (bridge, direction, lines)"
				     " VALUES (?1, ?2, ?3) ON CONFLICT (bridge, direction)"
				     " DO UPDATE SET lines = lines + excluded.lines;",
				     error);
	if (total == NULL)
		return FALSE;
	sqlite3_bind_text(total, 1, bridge, -1, SQLITE_STATIC);
	sqlite3_bind_int(total, 2, direction);
	sqlite3_bind_int64(total, 3, lines);
	if (!pg_bridge_store_step_done(self, total, error))
		return FALSE;
	minute = pg_bridge_store_stmt(self,
				      "INSERT INTO minute (bridge, direction, minute, lines)"
				      " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (bridge, direction, minute)"
				      " DO UPDATE SET lines = lines + excluded.lines;",
				      error);
	if (minute == NULL)
		return FALSE;
	sqlite3_bind_text(minute, 1, bridge, -1, SQLITE_STATIC);
	sqlite3_bind_int(minute, 2, direction);
	sqlite3_bind_int64(minute, 3, minute_no);
	sqlite3_bind_int64(minute, 4, lines);
	return pg_bridge_store_step_done(self, minute, error);
}

gboolean
pg_bridge_store_flush(PgBridgeStore *self, GError **error)
{
	g_autoptr(PgBridgeStmt) prune = NULL;
	GHashTableIter iter;
	gpointer key, value;
	gint64 newest = G_MININT64;

	if (g_hash_table_size(self->counts) == 0)
		return TRUE;
	if (!pg_bridge_store_begin(self, error))
		return FALSE;
	g_hash_table_iter_init(&iter, self->counts);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		if (!pg_bridge_store_flush_one(self, key, GPOINTER_TO_UINT(value), &newest,
					       error)) {
			pg_bridge_store_rollback(self);
			return FALSE;
		}
	}
	prune = pg_bridge_store_stmt(self, "DELETE FROM minute WHERE minute < ?1;", error);
	if (prune == NULL) {
		pg_bridge_store_rollback(self);
		return FALSE;
	}
	sqlite3_bind_int64(prune, 1, newest - PG_BRIDGE_STORE_MINUTES_KEPT);
	if (!pg_bridge_store_step_done(self, prune, error) ||
	    !pg_bridge_store_exec(self, "COMMIT;", error)) {
		pg_bridge_store_rollback(self);
		return FALSE;
	}
	g_hash_table_remove_all(self->counts);
	return TRUE;
}
