/* PgBacklog: what a component has queued in libstrophe and not yet written,
 * in bytes, with a high/low watermark and a rule for giving memory back.
 *
 * Pure bookkeeping (no libstrophe, no clock of its own), so that it can be
 * unit-tested; pg-component.c feeds it and acts on what it says.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PgBacklog PgBacklog;

typedef enum {
	PG_BACKLOG_STEADY,    /* no change of state */
	PG_BACKLOG_CONGESTED, /* the backlog reached the high watermark */
	PG_BACKLOG_RELIEVED,  /* it fell back to the low watermark */
} PgBacklogChange;

/* @high > @low.  Once the backlog has drained to nothing after peaking at
 * @trim_after bytes or more, pg_backlog_should_trim() says so, at most once
 * per @trim_interval_us.  Returns: (transfer full) */
PgBacklog *pg_backlog_new(gsize high, gsize low, gsize trim_after, gint64 trim_interval_us)
    G_GNUC_WARN_UNUSED_RESULT;
void pg_backlog_free(PgBacklog *self);

/* A stanza of @bytes was queued behind the others. */
PgBacklogChange pg_backlog_push(PgBacklog *self, gsize bytes);
/* libstrophe now holds @queued of our stanzas (xmpp_conn_send_queue_len):
 * the oldest others left.  0 also after the stream was lost. */
PgBacklogChange pg_backlog_sync(PgBacklog *self, guint queued);

gsize pg_backlog_get_bytes(const PgBacklog *self);
guint pg_backlog_get_count(const PgBacklog *self);
gboolean pg_backlog_is_congested(const PgBacklog *self);

/* TRUE once when memory should go back to the system now (@now_us: the
 * monotonic clock); the caller then trims.  Returns the peak it is about
 * in @peak (nullable). */
gboolean pg_backlog_should_trim(PgBacklog *self, gint64 now_us, gsize *peak);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgBacklog, pg_backlog_free)

G_END_DECLS
