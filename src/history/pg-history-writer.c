/* The archive's writer thread.
 *
 * WHY: an INSERT costs the SQLite B-tree and WAL a few microseconds per
 * line (contrib/bench/history_bench.c), and a WAL checkpoint an fsync now
 * and then; on the main loop both come out of the relay's time, the fsync
 * as a stall of every user.  The main loop only queues lines in memory
 * (pg-history.c); this thread writes each batch it is handed in one
 * transaction, on its own connection (SQLite's multi-thread mode: one
 * connection per thread).
 *
 * INVARIANT: everything the main loop reads or changes in the file itself
 * (queries, rooms, persistence, pruning by age, forgetting a user) comes
 * after pg_history_writer_wait(), and the writer only ever takes what the
 * main loop handed over: the two connections never write at once, except
 * the room rows the main loop adds, which wait on SQLite's busy timeout.
 */
#define G_LOG_DOMAIN "pg-history"

#include "config.h"

#include <sqlite3.h>

#include "core/pg-error.h"
#include "history/pg-history-writer.h"

#define PG_HISTORY_WRITER_BUSY_TIMEOUT_MS 5000
/* Lines waiting for the thread at most (~10 MB of chat lines): a disk
 * slower than the relay makes the relay wait, it never grows memory. */
#define PG_HISTORY_WRITER_QUEUE_MAX 65536

struct _PgHistoryWriter {
	gchar *path;
	sqlite3 *db;          /* the thread's own */
	sqlite3_stmt *insert;
	sqlite3_stmt *prune;
	GThread *thread;
	GMutex lock;
	GCond cond;
	/* under lock */
	GArray *batch;        /* PgHistoryPending handed over, not yet taken */
	GArray *prunes;       /* PgHistoryPrune, the same */
	guint busy;           /* batches taken and not yet committed */
	gboolean stopping;
	GError *error;        /* of a failed batch, for the next wait */
	guint64 transactions;
	guint64 rows;
};

static void
pg_history_writer_clear_lines(GArray *batch)
{
	for (guint i = 0; i < batch->len; i++) {
		PgHistoryPending *pending = &g_array_index(batch, PgHistoryPending, i);
		g_free(pending->nick);
		g_free(pending->body);
	}
	g_array_set_size(batch, 0);
}

static gboolean
pg_history_writer_fail(PgHistoryWriter *self, GError **error, const gchar *what)
{
	g_set_error(error, PG_ERROR, PG_ERROR_DATABASE, "%s: %s: %s", self->path, what,
		    sqlite3_errmsg(self->db));
	if (!sqlite3_get_autocommit(self->db))
		sqlite3_exec(self->db, "ROLLBACK;", NULL, NULL, NULL);
	return FALSE;
}

/* One transaction: the lines of @batch, then the rooms of @prunes. */
static gboolean
pg_history_writer_write(PgHistoryWriter *self, GArray *batch, GArray *prunes, GError **error)
{
	if (sqlite3_exec(self->db, "BEGIN IMMEDIATE;", NULL, NULL, NULL) != SQLITE_OK)
		return pg_history_writer_fail(self, error, "cannot begin a transaction");
	for (guint i = 0; i < batch->len; i++) {
		const PgHistoryPending *pending = &g_array_index(batch, PgHistoryPending, i);

		sqlite3_reset(self->insert);
		sqlite3_bind_int64(self->insert, 1, pending->room);
		sqlite3_bind_int64(self->insert, 2, (gint64)pending->id);
		sqlite3_bind_text(self->insert, 3, pending->nick, -1, SQLITE_STATIC);
		sqlite3_bind_text(self->insert, 4, pending->body, -1, SQLITE_STATIC);
		if (sqlite3_step(self->insert) != SQLITE_DONE) {
			sqlite3_reset(self->insert);
			return pg_history_writer_fail(self, error, "cannot store a message");
		}
	}
	sqlite3_reset(self->insert);
	sqlite3_clear_bindings(self->insert);
	for (guint i = 0; i < prunes->len; i++) {
		const PgHistoryPrune *prune = &g_array_index(prunes, PgHistoryPrune, i);

		sqlite3_reset(self->prune);
		sqlite3_bind_int64(self->prune, 1, prune->room);
		sqlite3_bind_int64(self->prune, 2, prune->keep);
		if (sqlite3_step(self->prune) != SQLITE_DONE) {
			sqlite3_reset(self->prune);
			return pg_history_writer_fail(self, error, "cannot prune a room");
		}
	}
	sqlite3_reset(self->prune);
	if (sqlite3_exec(self->db, "COMMIT;", NULL, NULL, NULL) != SQLITE_OK)
		return pg_history_writer_fail(self, error, "cannot commit");
	return TRUE;
}

static gpointer
pg_history_writer_thread(gpointer user_data)
{
	PgHistoryWriter *self = user_data;
	g_autoptr(GArray) batch = g_array_new(FALSE, FALSE, sizeof(PgHistoryPending));
	g_autoptr(GArray) prunes = g_array_new(FALSE, FALSE, sizeof(PgHistoryPrune));

	g_mutex_lock(&self->lock);
	for (;;) {
		GArray *swap;
		g_autoptr(GError) error = NULL;
		gboolean ok;

		while (self->batch->len == 0 && self->prunes->len == 0 && !self->stopping)
			g_cond_wait(&self->cond, &self->lock);
		if (self->batch->len == 0 && self->prunes->len == 0)
			break; /* stopping, and nothing left */
		/* take the whole hand-over: the main loop fills the other array */
		swap = self->batch;
		self->batch = batch;
		batch = swap;
		swap = self->prunes;
		self->prunes = prunes;
		prunes = swap;
		self->busy++;
		g_mutex_unlock(&self->lock);

		ok = pg_history_writer_write(self, batch, prunes, &error);
		if (!ok)
			g_warning("%s (%u lines lost)", error->message, batch->len);

		g_mutex_lock(&self->lock);
		if (ok) {
			self->transactions++;
			self->rows += batch->len;
		} else if (self->error == NULL) {
			self->error = g_steal_pointer(&error);
		}
		pg_history_writer_clear_lines(batch);
		g_array_set_size(prunes, 0);
		self->busy--;
		g_cond_broadcast(&self->cond);
	}
	g_mutex_unlock(&self->lock);
	return NULL;
}

PgHistoryWriter *
pg_history_writer_new(const gchar *path, GError **error)
{
	PgHistoryWriter *self = g_new0(PgHistoryWriter, 1);

	self->path = g_strdup(path);
	g_mutex_init(&self->lock);
	g_cond_init(&self->cond);
	self->batch = g_array_new(FALSE, FALSE, sizeof(PgHistoryPending));
	self->prunes = g_array_new(FALSE, FALSE, sizeof(PgHistoryPrune));
	if (sqlite3_open_v2(path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
		SQLITE_OK ||
	    sqlite3_busy_timeout(self->db, PG_HISTORY_WRITER_BUSY_TIMEOUT_MS) != SQLITE_OK ||
	    sqlite3_exec(self->db, "PRAGMA synchronous = NORMAL;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(self->db,
			       "INSERT INTO message (room, id, nick, body) VALUES (?1, ?2, ?3, ?4);",
			       -1, &self->insert, NULL) != SQLITE_OK ||
	    /* the newest @keep stay: everything up to the (keep+1)-th newest goes */
	    sqlite3_prepare_v2(self->db,
			       "DELETE FROM message WHERE room = ?1 AND id <= (SELECT id FROM "
			       "message WHERE room = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2);",
			       -1, &self->prune, NULL) != SQLITE_OK) {
		g_set_error(error, PG_ERROR, PG_ERROR_DATABASE, "%s: cannot open for writing: %s",
			    path, self->db != NULL ? sqlite3_errmsg(self->db) : "out of memory");
		pg_history_writer_free(self);
		return NULL;
	}
	self->thread = g_thread_new("pg-history", pg_history_writer_thread, self);
	return self;
}

void
pg_history_writer_free(PgHistoryWriter *self)
{
	if (self == NULL)
		return;
	if (self->thread != NULL) {
		g_mutex_lock(&self->lock);
		self->stopping = TRUE;
		g_cond_broadcast(&self->cond);
		g_mutex_unlock(&self->lock);
		g_thread_join(self->thread);
	}
	sqlite3_finalize(self->insert);
	sqlite3_finalize(self->prune);
	sqlite3_close(self->db);
	pg_history_writer_clear_lines(self->batch);
	g_array_unref(self->batch);
	g_array_unref(self->prunes);
	g_clear_error(&self->error);
	g_mutex_clear(&self->lock);
	g_cond_clear(&self->cond);
	g_free(self->path);
	g_free(self);
}

void
pg_history_writer_push(PgHistoryWriter *self, GArray *batch, GArray *prune)
{
	if (batch->len == 0 && prune->len == 0)
		return;
	g_mutex_lock(&self->lock);
	while (self->batch->len >= PG_HISTORY_WRITER_QUEUE_MAX)
		g_cond_wait(&self->cond, &self->lock);
	/* the structs move; their strings with them */
	g_array_append_vals(self->batch, batch->data, batch->len);
	g_array_append_vals(self->prunes, prune->data, prune->len);
	g_cond_broadcast(&self->cond);
	g_mutex_unlock(&self->lock);
	g_array_set_size(batch, 0);
	g_array_set_size(prune, 0);
}

gboolean
pg_history_writer_wait(PgHistoryWriter *self, GError **error)
{
	GError *failed;

	g_mutex_lock(&self->lock);
	while (self->batch->len > 0 || self->prunes->len > 0 || self->busy > 0)
		g_cond_wait(&self->cond, &self->lock);
	failed = g_steal_pointer(&self->error);
	g_mutex_unlock(&self->lock);
	if (failed != NULL) {
		g_propagate_error(error, failed);
		return FALSE;
	}
	return TRUE;
}

void
pg_history_writer_get_stats(PgHistoryWriter *self, guint64 *transactions, guint64 *rows)
{
	g_mutex_lock(&self->lock);
	*transactions = self->transactions;
	*rows = self->rows;
	g_mutex_unlock(&self->lock);
}
