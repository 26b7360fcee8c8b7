/* PgHistory: the rooms' archive on its own SQLite file.
 *
 * DESIGN
 * - Its own file, not the registry's.  The registry holds credentials: it is
 *   never deleted or rebuilt, its writers take BEGIN IMMEDIATE for the SMS
 *   outbox, and an operator backs it up.  The archive is the opposite: the
 *   busiest writer of the gateway (one row per relayed line per user), prunable
 *   at will, and an operator may delete it to start over.  In one file its
 *   write transactions and WAL checkpoints would queue the registry's.
 * - Bodies are stored, not sealed.  Channel lines are what every member of
 *   the channel and the IRC network's operators read already; the registry
 *   seals what grants access (passwords, tokens) and the SMS texts of one
 *   person to another.  Sealing each line would also make `polygate rekey`
 *   rewrite the whole archive.  The file is 0600 like the registry.  (A
 *   later step could seal bodies under a data key wrapped by the vault, so
 *   that a rekey rewraps one key.)
 * - One archive per (transport, user, server, room).  Each user has their
 *   own IRC connection, so each user's copy of a line is a line the gateway
 *   relays anyway: storing it costs in proportion to the relaying, and a
 *   user's archive holds exactly what their own link saw while it was in
 *   the room, nothing from before they joined or while they were out.
 *   Sharing one archive per channel would need join intervals per user and
 *   one "recording" link per channel, and an IRC line has no id to dedupe
 *   the copies by.  Each archive is bounded by the operator's count limit
 *   (pg_history_append()'s @keep) and age limit (pg_history_expire()).
 * - An item's id is its time in microseconds since 1970, made strictly
 *   increasing (max(now, last + 1)): a XEP-0359 stanza-id that is unique,
 *   ordered, and carries the time, so XEP-0313's start/end filters are id
 *   ranges on the one (room, id) key.  The table is WITHOUT ROWID on that
 *   key: one room's archive is contiguous on disk, a page of 50 is one
 *   range scan.
 * - Writes are batched and off the main loop: pg_history_append() queues in
 *   memory, and a 100 ms timer (or a full batch) hands the lines to a writer
 *   thread (pg-history-writer.c) that writes them in one transaction.  WAL,
 *   synchronous=NORMAL: a crash of the process loses what was not handed
 *   over and committed (at most ~100 ms of lines); a power loss may lose the
 *   last batch.
 */
#define G_LOG_DOMAIN "pg-history"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <unistd.h>

#include "core/pg-error.h"
#include "core/pg-schema.h"
#include "history/pg-history-writer.h"
#include "history/pg-history.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

/* Schema history (PRAGMA user_version):
 *   v1  room (transport, user, server, lower-case name, name, persistent,
 *       nick), message (room, id, nick, body) WITHOUT ROWID
 *   v2  room.keep: the user's own count limit for the room (NULL: the
 *       operator's), set in the room's configuration
 *   v3  room.charset: the room's own encoding (NULL: the server's), the same */
#define PG_HISTORY_SCHEMA_VERSION 3

static const gchar *const pg_history_migrations[PG_HISTORY_SCHEMA_VERSION + 1] = {
    /* AUTOINCREMENT: a forgotten room's id is never another's (the
     * retention table may still name it) */
    [1] = "CREATE TABLE room ("
	  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	  "  transport TEXT NOT NULL,"
	  "  user_jid TEXT NOT NULL,"
	  "  server TEXT NOT NULL,"
	  "  folded TEXT NOT NULL,"
	  "  name TEXT NOT NULL,"
	  "  persistent INTEGER NOT NULL DEFAULT 0,"
	  "  nick TEXT,"
	  "  UNIQUE (transport, user_jid, server, folded)"
	  ");"
	  "CREATE TABLE message ("
	  "  room INTEGER NOT NULL,"
	  "  id INTEGER NOT NULL,"
	  "  nick TEXT NOT NULL,"
	  "  body TEXT NOT NULL,"
	  "  PRIMARY KEY (room, id)"
	  ") WITHOUT ROWID;",
    [2] = "ALTER TABLE room ADD COLUMN keep INTEGER;",
    [3] = "ALTER TABLE room ADD COLUMN charset TEXT;",
};

#define PG_HISTORY_FLUSH_MS	   100  /* the longest a relayed line waits in memory */
#define PG_HISTORY_BATCH_MAX	   1024 /* a batch this large is written at once */
#define PG_HISTORY_BUSY_TIMEOUT_MS 5000

/* Per room: its count limit and the rows added since it was last pruned. */
typedef struct {
	guint keep;
	guint added;
} PgHistoryRetention;

struct _PgHistory {
	sqlite3 *db;            /* the main loop's: reads and everything but lines */
	gchar *path;
	PgHistoryWriter *writer; /* writes the lines (pg-history-writer.c) */
	GArray *pending;        /* PgHistoryPending not handed to the writer yet */
	GArray *prunes;         /* PgHistoryPrune, the same */
	guint flush_id;
	guint64 last_id;
	GHashTable *rooms;      /* "transport\nuser\nserver\nkey" -> room id */
	GHashTable *retention;  /* room id -> PgHistoryRetention */
};

void
pg_history_item_free(PgHistoryItem *item)
{
	if (item == NULL)
		return;
	g_free(item->nick);
	g_free(item->body);
	g_free(item);
}

void
pg_history_persistent_free(PgHistoryPersistent *room)
{
	if (room == NULL)
		return;
	g_free(room->user_jid);
	g_free(room->server);
	g_free(room->name);
	g_free(room->nick);
	g_free(room);
}

static gboolean
pg_history_set_error(PgHistory *self, GError **error, const gchar *what)
{
	g_set_error(error, PG_ERROR, PG_ERROR_DATABASE, "%s: %s: %s", self->path, what,
		    sqlite3_errmsg(self->db));
	return FALSE;
}

static gboolean
pg_history_prepare(PgHistory *self, const gchar *sql, sqlite3_stmt **stmt, GError **error)
{
	if (sqlite3_prepare_v2(self->db, sql, -1, stmt, NULL) != SQLITE_OK)
		return pg_history_set_error(self, error, "cannot prepare a statement");
	return TRUE;
}

static gboolean
pg_history_step_done(PgHistory *self, sqlite3_stmt *stmt, GError **error)
{
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		return pg_history_set_error(self, error, "cannot execute a statement");
	return TRUE;
}

static gboolean
pg_history_exec(PgHistory *self, const gchar *sql, GError **error)
{
	const gchar *tail = sql;

	while (tail != NULL && *tail != '\0') {
		g_autoptr(sqlite3_stmt) stmt = NULL;
		const gchar *next = NULL;

		if (sqlite3_prepare_v2(self->db, tail, -1, &stmt, &next) != SQLITE_OK)
			return pg_history_set_error(self, error, "cannot prepare a statement");
		if (stmt != NULL && !pg_history_step_done(self, stmt, error))
			return FALSE;
		tail = next;
	}
	return TRUE;
}

static void
pg_history_rollback(PgHistory *self)
{
	if (!sqlite3_get_autocommit(self->db))
		sqlite3_exec(self->db, "ROLLBACK;", NULL, NULL, NULL);
}

PgHistory *
pg_history_open(const gchar *path, GError **error)
{
	g_autoptr(PgHistory) self = g_new0(PgHistory, 1);
	g_autoptr(sqlite3_stmt) stmt = NULL;
	int fd;

	self->path = g_strdup(path);
	self->pending = g_array_new(FALSE, FALSE, sizeof(PgHistoryPending));
	self->prunes = g_array_new(FALSE, FALSE, sizeof(PgHistoryPrune));
	self->rooms = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	self->retention = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
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
		pg_history_set_error(self, error, "cannot open");
		return NULL;
	}
	sqlite3_busy_timeout(self->db, PG_HISTORY_BUSY_TIMEOUT_MS);
	if (!pg_history_exec(self, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
			     error) ||
	    !pg_schema_migrate(self->db, self->path, pg_history_migrations,
			       PG_HISTORY_SCHEMA_VERSION, error))
		return NULL;
	/* ids go on from the newest one, even if the clock went back */
	if (!pg_history_prepare(self, "SELECT MAX(id) FROM message;", &stmt, error))
		return NULL;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		self->last_id = (guint64)sqlite3_column_int64(stmt, 0);
	self->writer = pg_history_writer_new(path, error);
	if (self->writer == NULL)
		return NULL;
	return g_steal_pointer(&self);
}

void
pg_history_free(PgHistory *self)
{
	g_autoptr(GError) error = NULL;

	if (self == NULL)
		return;
	g_clear_handle_id(&self->flush_id, g_source_remove);
	if (self->writer != NULL && !pg_history_flush(self, &error))
		g_warning("%s", error->message);
	/* it writes what it was handed before it stops */
	g_clear_pointer(&self->writer, pg_history_writer_free);
	sqlite3_close(self->db);
	g_array_unref(self->pending);
	g_array_unref(self->prunes);
	g_hash_table_unref(self->rooms);
	g_hash_table_unref(self->retention);
	g_free(self->path);
	g_free(self);
}

/* ---------------------------------------------------------------- rooms */

static gchar *
pg_history_room_key(const gchar *transport, const gchar *user_jid, const gchar *server,
		    const gchar *name)
{
	g_autofree gchar *key = g_utf8_strdown(name, -1);
	g_autofree gchar *host = g_ascii_strdown(server, -1);
	return g_strdup_printf("%s\n%s\n%s\n%s", transport, user_jid, host, key);
}

static gint64
pg_history_lookup_room(PgHistory *self, const gchar *transport, const gchar *user_jid,
		       const gchar *server, const gchar *name, gboolean create, GError **error)
{
	g_autofree gchar *cache_key = pg_history_room_key(transport, user_jid, server, name);
	g_autofree gchar *key = g_utf8_strdown(name, -1);
	g_autofree gchar *host = g_ascii_strdown(server, -1);
	g_autoptr(sqlite3_stmt) insert = NULL;
	g_autoptr(sqlite3_stmt) select = NULL;
	gint64 *cached = g_hash_table_lookup(self->rooms, cache_key);
	gint64 id;

	if (cached != NULL)
		return *cached;
	if (create) {
		if (!pg_history_prepare(self,
					"INSERT OR IGNORE INTO room (transport, user_jid, server, "
					"folded, name) VALUES (?1, ?2, ?3, ?4, ?5);",
					&insert, error))
			return 0;
		sqlite3_bind_text(insert, 1, transport, -1, SQLITE_STATIC);
		sqlite3_bind_text(insert, 2, user_jid, -1, SQLITE_STATIC);
		sqlite3_bind_text(insert, 3, host, -1, SQLITE_STATIC);
		sqlite3_bind_text(insert, 4, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(insert, 5, name, -1, SQLITE_STATIC);
		if (!pg_history_step_done(self, insert, error))
			return 0;
	}
	if (!pg_history_prepare(self,
				"SELECT id FROM room WHERE transport = ?1 AND user_jid = ?2 AND "
				"server = ?3 AND folded = ?4;",
				&select, error))
		return 0;
	sqlite3_bind_text(select, 1, transport, -1, SQLITE_STATIC);
	sqlite3_bind_text(select, 2, user_jid, -1, SQLITE_STATIC);
	sqlite3_bind_text(select, 3, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(select, 4, key, -1, SQLITE_STATIC);
	if (sqlite3_step(select) != SQLITE_ROW) {
		if (create)
			pg_history_set_error(self, error, "cannot find the room just made");
		return 0;
	}
	id = sqlite3_column_int64(select, 0);
	g_hash_table_insert(self->rooms, g_steal_pointer(&cache_key), g_memdup2(&id, sizeof(id)));
	return id;
}

gint64
pg_history_room(PgHistory *self, const gchar *transport, const gchar *user_jid,
		const gchar *server, const gchar *name, GError **error)
{
	return pg_history_lookup_room(self, transport, user_jid, server, name, TRUE, error);
}

gint64
pg_history_find_room(PgHistory *self, const gchar *transport, const gchar *user_jid,
		     const gchar *server, const gchar *name)
{
	return pg_history_lookup_room(self, transport, user_jid, server, name, FALSE, NULL);
}

/* ---------------------------------------------------------------- writing */

/* What the main loop queued goes to the writer thread, with the rooms that
 * grew past their limit.  A room is pruned once it grew by an eighth of
 * its limit: each row is scanned a few times in its life, never once per
 * line, and a room holds at most 9/8 of it. */
static void
pg_history_hand_over(PgHistory *self)
{
	GHashTableIter iter;
	gpointer room;
	gpointer value;

	g_clear_handle_id(&self->flush_id, g_source_remove);
	g_hash_table_iter_init(&iter, self->retention);
	while (g_hash_table_iter_next(&iter, &room, &value)) {
		PgHistoryRetention *retention = value;
		PgHistoryPrune prune = {.room = (gint64)GPOINTER_TO_SIZE(room),
					.keep = retention->keep};

		if (retention->added < MAX(retention->keep / 8, 1))
			continue;
		g_array_append_val(self->prunes, prune);
		retention->added = 0;
	}
	pg_history_writer_push(self->writer, self->pending, self->prunes);
}

static gboolean
pg_history_flush_cb(gpointer user_data)
{
	PgHistory *self = user_data;

	self->flush_id = 0;
	pg_history_hand_over(self);
	return G_SOURCE_REMOVE;
}

void
pg_history_set_keep(PgHistory *self, gint64 room, guint keep)
{
	PgHistoryRetention *retention =
	    g_hash_table_lookup(self->retention, GSIZE_TO_POINTER(room));

	if (keep == 0) {
		g_hash_table_remove(self->retention, GSIZE_TO_POINTER(room));
		return;
	}
	if (retention == NULL) {
		/* pruned at its first write since the start, so that rows
		 * added over many restarts cannot add up past the limit */
		retention = g_new0(PgHistoryRetention, 1);
		retention->added = G_MAXUINT / 2;
		g_hash_table_insert(self->retention, GSIZE_TO_POINTER(room), retention);
	}
	retention->keep = keep;
}

guint64
pg_history_append(PgHistory *self, gint64 room, const gchar *nick, const gchar *body)
{
	PgHistoryPending pending = {
	    .room = room,
	    .id = MAX((guint64)g_get_real_time(), self->last_id + 1),
	    .nick = g_strdup(nick != NULL ? nick : ""),
	    .body = g_strdup(body != NULL ? body : ""),
	};
	PgHistoryRetention *retention =
	    g_hash_table_lookup(self->retention, GSIZE_TO_POINTER(room));

	self->last_id = pending.id;
	g_array_append_val(self->pending, pending);
	if (retention != NULL && retention->added < G_MAXUINT)
		retention->added++;
	if (self->pending->len >= PG_HISTORY_BATCH_MAX)
		pg_history_hand_over(self);
	else if (self->flush_id == 0)
		self->flush_id = g_timeout_add(PG_HISTORY_FLUSH_MS, pg_history_flush_cb, self);
	return pending.id;
}

gboolean
pg_history_flush(PgHistory *self, GError **error)
{
	pg_history_hand_over(self);
	return pg_history_writer_wait(self->writer, error);
}

/* ---------------------------------------------------------------- reading */

GPtrArray *
pg_history_query(PgHistory *self, const PgHistoryQuery *query, gboolean *complete,
		 GError **error)
{
	g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(
	    (GDestroyNotify)pg_history_item_free);
	g_autoptr(sqlite3_stmt) stmt = NULL;
	g_autofree gchar *sql = NULL;
	guint found = 0;
	int rc;

	if (!pg_history_flush(self, error))
		return NULL;
	sql = g_strdup_printf("SELECT id, nick, body FROM message WHERE room = ?1 AND id > ?2 AND "
			      "id < ?3 AND id >= ?4 AND id <= ?5%s ORDER BY id %s LIMIT ?7;",
			      query->nick != NULL ? " AND nick = ?6 COLLATE NOCASE" : "",
			      query->last ? "DESC" : "ASC");
	if (!pg_history_prepare(self, sql, &stmt, error))
		return NULL;
	sqlite3_bind_int64(stmt, 1, query->room);
	sqlite3_bind_int64(stmt, 2, (gint64)query->after_id);
	sqlite3_bind_int64(stmt, 3, query->before_id != 0 ? (gint64)query->before_id : G_MAXINT64);
	sqlite3_bind_int64(stmt, 4, query->start_us);
	sqlite3_bind_int64(stmt, 5, query->end_us != 0 ? query->end_us : G_MAXINT64);
	if (query->nick != NULL)
		sqlite3_bind_text(stmt, 6, query->nick, -1, SQLITE_STATIC);
	/* one more than asked: whether the page is the last one */
	sqlite3_bind_int64(stmt, 7, (gint64)query->max + 1);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		PgHistoryItem *item;

		if (++found > query->max)
			break;
		item = g_new0(PgHistoryItem, 1);
		item->id = (guint64)sqlite3_column_int64(stmt, 0);
		item->nick = g_strdup((const gchar *)sqlite3_column_text(stmt, 1));
		item->body = g_strdup((const gchar *)sqlite3_column_text(stmt, 2));
		g_ptr_array_add(items, item);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		pg_history_set_error(self, error, "cannot read the archive");
		return NULL;
	}
	if (complete != NULL)
		*complete = found <= query->max;
	if (query->last) {
		/* oldest first, whichever end the page came from */
		for (guint i = 0; i < items->len / 2; i++) {
			gpointer swap = items->pdata[i];
			items->pdata[i] = items->pdata[items->len - 1 - i];
			items->pdata[items->len - 1 - i] = swap;
		}
	}
	return g_steal_pointer(&items);
}

gboolean
pg_history_contains(PgHistory *self, gint64 room, guint64 id)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	g_autoptr(GError) error = NULL;

	if (!pg_history_flush(self, &error) ||
	    !pg_history_prepare(self, "SELECT 1 FROM message WHERE room = ?1 AND id = ?2;", &stmt,
				&error)) {
		g_warning("%s", error->message);
		return FALSE;
	}
	sqlite3_bind_int64(stmt, 1, room);
	sqlite3_bind_int64(stmt, 2, (gint64)id);
	return sqlite3_step(stmt) == SQLITE_ROW;
}

/* ---------------------------------------------------------------- retention */

gboolean
pg_history_expire(PgHistory *self, const gchar *transport, guint64 max_age_s, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	gint64 cutoff = g_get_real_time() - (gint64)MIN(max_age_s, (guint64)G_MAXINT64 / 2000000) *
						G_USEC_PER_SEC;

	if (!pg_history_flush(self, error) ||
	    !pg_history_prepare(self,
				"DELETE FROM message WHERE room IN (SELECT id FROM room WHERE "
				"transport = ?1) AND id < ?2;",
				&stmt, error))
		return FALSE;
	sqlite3_bind_text(stmt, 1, transport, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, cutoff);
	return pg_history_step_done(self, stmt, error);
}

gboolean
pg_history_forget_user(PgHistory *self, const gchar *transport, const gchar *user_jid,
		       GError **error)
{
	static const gchar *const statements[] = {
	    "DELETE FROM message WHERE room IN (SELECT id FROM room WHERE transport = ?1 AND "
	    "user_jid = ?2);",
	    "DELETE FROM room WHERE transport = ?1 AND user_jid = ?2;",
	};

	if (!pg_history_flush(self, error) || !pg_history_exec(self, "BEGIN IMMEDIATE;", error))
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(statements); i++) {
		g_autoptr(sqlite3_stmt) stmt = NULL;
		if (!pg_history_prepare(self, statements[i], &stmt, error)) {
			pg_history_rollback(self);
			return FALSE;
		}
		sqlite3_bind_text(stmt, 1, transport, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, user_jid, -1, SQLITE_STATIC);
		if (!pg_history_step_done(self, stmt, error)) {
			pg_history_rollback(self);
			return FALSE;
		}
	}
	if (!pg_history_exec(self, "COMMIT;", error)) {
		pg_history_rollback(self);
		return FALSE;
	}
	/* the room ids are gone: the cache must not hand them out */
	g_hash_table_remove_all(self->rooms);
	return TRUE;
}

/* ---------------------------------------------------------------- persistence */

gboolean
pg_history_set_persistent(PgHistory *self, const gchar *transport, const gchar *user_jid,
			  const gchar *server, const gchar *name, const gchar *nick,
			  gboolean persistent, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	gint64 room = pg_history_room(self, transport, user_jid, server, name, error);

	if (room == 0 ||
	    !pg_history_prepare(self,
				"UPDATE room SET persistent = ?2, nick = COALESCE(?3, nick), "
				"name = ?4 WHERE id = ?1;",
				&stmt, error))
		return FALSE;
	sqlite3_bind_int64(stmt, 1, room);
	sqlite3_bind_int(stmt, 2, persistent ? 1 : 0);
	sqlite3_bind_text(stmt, 3, nick, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, name, -1, SQLITE_STATIC);
	return pg_history_step_done(self, stmt, error);
}

gboolean
pg_history_set_user_keep(PgHistory *self, gint64 room, guint keep, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;

	if (!pg_history_prepare(self, "UPDATE room SET keep = ?2 WHERE id = ?1;", &stmt, error))
		return FALSE;
	sqlite3_bind_int64(stmt, 1, room);
	if (keep > 0)
		sqlite3_bind_int64(stmt, 2, keep);
	else
		sqlite3_bind_null(stmt, 2);
	return pg_history_step_done(self, stmt, error);
}

guint
pg_history_get_user_keep(PgHistory *self, gint64 room)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	gint64 keep;

	if (!pg_history_prepare(self, "SELECT keep FROM room WHERE id = ?1;", &stmt, NULL))
		return 0;
	sqlite3_bind_int64(stmt, 1, room);
	if (sqlite3_step(stmt) != SQLITE_ROW)
		return 0;
	keep = sqlite3_column_int64(stmt, 0);
	return keep > 0 && keep <= G_MAXUINT ? (guint)keep : 0;
}

gboolean
pg_history_set_charset(PgHistory *self, gint64 room, const gchar *charset, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;

	if (!pg_history_prepare(self, "UPDATE room SET charset = ?2 WHERE id = ?1;", &stmt,
				error))
		return FALSE;
	sqlite3_bind_int64(stmt, 1, room);
	sqlite3_bind_text(stmt, 2, charset, -1, SQLITE_STATIC);
	return pg_history_step_done(self, stmt, error);
}

gchar *
pg_history_get_charset(PgHistory *self, gint64 room)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	const guchar *text;

	if (!pg_history_prepare(self, "SELECT charset FROM room WHERE id = ?1;", &stmt, NULL))
		return NULL;
	sqlite3_bind_int64(stmt, 1, room);
	if (sqlite3_step(stmt) != SQLITE_ROW)
		return NULL;
	text = sqlite3_column_text(stmt, 0);
	return text != NULL ? g_strdup((const gchar *)text) : NULL;
}

gboolean
pg_history_is_persistent(PgHistory *self, const gchar *transport, const gchar *user_jid,
			 const gchar *server, const gchar *name)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	gint64 room = pg_history_find_room(self, transport, user_jid, server, name);

	if (room == 0 ||
	    !pg_history_prepare(self, "SELECT persistent FROM room WHERE id = ?1;", &stmt, NULL))
		return FALSE;
	sqlite3_bind_int64(stmt, 1, room);
	return sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0) != 0;
}

GPtrArray *
pg_history_list_persistent(PgHistory *self, const gchar *transport, GError **error)
{
	g_autoptr(GPtrArray) rooms =
	    g_ptr_array_new_with_free_func((GDestroyNotify)pg_history_persistent_free);
	g_autoptr(sqlite3_stmt) stmt = NULL;
	int rc;

	if (!pg_history_prepare(self,
				"SELECT user_jid, server, name, nick FROM room WHERE transport = "
				"?1 AND persistent = 1 ORDER BY id;",
				&stmt, error))
		return NULL;
	sqlite3_bind_text(stmt, 1, transport, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		PgHistoryPersistent *room = g_new0(PgHistoryPersistent, 1);
		room->user_jid = g_strdup((const gchar *)sqlite3_column_text(stmt, 0));
		room->server = g_strdup((const gchar *)sqlite3_column_text(stmt, 1));
		room->name = g_strdup((const gchar *)sqlite3_column_text(stmt, 2));
		room->nick = g_strdup((const gchar *)sqlite3_column_text(stmt, 3));
		g_ptr_array_add(rooms, room);
	}
	if (rc != SQLITE_DONE) {
		pg_history_set_error(self, error, "cannot list the persistent rooms");
		return NULL;
	}
	return g_steal_pointer(&rooms);
}

void
pg_history_get_stats(PgHistory *self, guint64 *transactions, guint64 *rows)
{
	pg_history_writer_get_stats(self->writer, transactions, rows);
}
