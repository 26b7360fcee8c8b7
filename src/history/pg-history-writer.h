/* The archive's writer thread (pg-history-writer.c).  Private to
 * src/history/: pg-history.c hands it batches of lines. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One line to write.  The strings belong to the batch it is in. */
typedef struct {
	gint64 room;
	guint64 id;
	gchar *nick;
	gchar *body;
} PgHistoryPending;

/* A room to cut down to its @keep newest lines, in the same transaction. */
typedef struct {
	gint64 room;
	guint keep;
} PgHistoryPrune;

typedef struct _PgHistoryWriter PgHistoryWriter;

/* Opens a second connection to the archive at @path (migrated, in WAL
 * mode) and starts the thread.  Returns: (transfer full) or NULL. */
PgHistoryWriter *pg_history_writer_new(const gchar *path, GError **error);
/* Writes what was handed over, then stops the thread and closes. */
void pg_history_writer_free(PgHistoryWriter *self);
/* Hands over the lines of @batch (element-type PgHistoryPending; they and
 * their strings move to the writer, @batch is left empty) and the rooms of
 * @prune (emptied too); written in one transaction, soon. */
void pg_history_writer_push(PgHistoryWriter *self, GArray *batch, GArray *prune);
/* Waits until everything handed over is committed.  FALSE with the error of
 * a batch that failed since the last wait (its lines are lost). */
gboolean pg_history_writer_wait(PgHistoryWriter *self, GError **error);
/* Transactions and rows written so far. */
void pg_history_writer_get_stats(PgHistoryWriter *self, guint64 *transactions, guint64 *rows);

G_END_DECLS
