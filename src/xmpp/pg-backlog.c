/* Bytes waiting in a component's send queue, with hysteresis.
 *
 * DESIGN
 * libstrophe counts the stanzas in its send queue (xmpp_conn_send_queue_len)
 * but not their bytes, and bytes are what costs memory: a MUC message is a
 * few hundred, an occupant list with avatars many thousands.  So we keep
 * the size of every stanza we queue in a FIFO (a ring of guint32), and when
 * libstrophe reports fewer stanzas queued, the oldest ones have left: its
 * queue is FIFO too (conn.c, _send_raw appends at the tail; event.c,
 * xmpp_run_once writes from the head).  libstrophe does not count the
 * stanza it is in the middle of writing, so that one leaves our count a
 * little early; the error is at most one stanza.
 *
 * Hysteresis: congested from the moment the backlog reaches @high until it
 * falls to @low or below.  Two thresholds, not one, so that a backlog
 * hovering around one value does not flip the state (and pause and resume
 * every worker) on every stanza.
 *
 * Trimming: glibc keeps freed heap for reuse, so a queue that once held
 * 100 MB leaves a 100 MB RSS behind.  When the backlog has drained to
 * nothing after it peaked at @trim_after or more, the owner is told to call
 * malloc_trim(0) — once, not on every write, and at most once per
 * @trim_interval_us, since a trim walks the whole heap.
 */
#define G_LOG_DOMAIN "pg-xmpp"

#include "config.h"

#include "xmpp/pg-backlog.h"

#define PG_BACKLOG_RING_MIN 64

struct _PgBacklog {
	guint32 *sizes; /* ring: count entries from head */
	guint cap;
	guint head;
	guint count;
	gsize bytes;
	gsize high;
	gsize low;
	gboolean congested;
	gsize peak;      /* highest backlog since the last trim */
	gsize trim_after;
	gint64 trim_interval_us;
	gint64 last_trim_us;
	gboolean trimmed_once;
};

PgBacklog *
pg_backlog_new(gsize high, gsize low, gsize trim_after, gint64 trim_interval_us)
{
	PgBacklog *self;

	g_return_val_if_fail(high > low, NULL);

	self = g_new0(PgBacklog, 1);
	self->high = high;
	self->low = low;
	self->trim_after = trim_after;
	self->trim_interval_us = trim_interval_us;
	return self;
}

void
pg_backlog_free(PgBacklog *self)
{
	if (self == NULL)
		return;
	g_free(self->sizes);
	g_free(self);
}

static PgBacklogChange
pg_backlog_check(PgBacklog *self)
{
	self->peak = MAX(self->peak, self->bytes);
	if (!self->congested && self->bytes >= self->high) {
		self->congested = TRUE;
		return PG_BACKLOG_CONGESTED;
	}
	if (self->congested && self->bytes <= self->low) {
		self->congested = FALSE;
		return PG_BACKLOG_RELIEVED;
	}
	return PG_BACKLOG_STEADY;
}

/* Double the ring, unrolling it so that head is 0 again. */
static void
pg_backlog_grow(PgBacklog *self)
{
	guint cap = MAX(self->cap * 2, (guint)PG_BACKLOG_RING_MIN);
	guint32 *sizes = g_new(guint32, cap);

	for (guint i = 0; i < self->count; i++)
		sizes[i] = self->sizes[(self->head + i) % self->cap];
	g_free(self->sizes);
	self->sizes = sizes;
	self->cap = cap;
	self->head = 0;
}

PgBacklogChange
pg_backlog_push(PgBacklog *self, gsize bytes)
{
	guint32 size = (guint32)MIN(bytes, (gsize)G_MAXUINT32);

	if (self->count == self->cap)
		pg_backlog_grow(self);
	self->sizes[(self->head + self->count) % self->cap] = size;
	self->count++;
	self->bytes += size;
	return pg_backlog_check(self);
}

PgBacklogChange
pg_backlog_sync(PgBacklog *self, guint queued)
{
	while (self->count > queued) {
		self->bytes -= self->sizes[self->head];
		self->head = (self->head + 1) % self->cap;
		self->count--;
	}
	/* an empty ring after a large backlog: let its memory go too */
	if (self->count == 0 && self->cap > PG_BACKLOG_RING_MIN * 16) {
		g_clear_pointer(&self->sizes, g_free);
		self->cap = 0;
		self->head = 0;
	}
	return pg_backlog_check(self);
}

gsize
pg_backlog_get_bytes(const PgBacklog *self)
{
	return self->bytes;
}

guint
pg_backlog_get_count(const PgBacklog *self)
{
	return self->count;
}

gboolean
pg_backlog_is_congested(const PgBacklog *self)
{
	return self->congested;
}

gboolean
pg_backlog_should_trim(PgBacklog *self, gint64 now_us, gsize *peak)
{
	if (self->count > 0 || self->peak < self->trim_after)
		return FALSE;
	if (self->trimmed_once && now_us - self->last_trim_us < self->trim_interval_us)
		return FALSE; /* asked again later: the peak is kept until then */
	if (peak != NULL)
		*peak = self->peak;
	self->peak = 0;
	self->last_trim_us = now_us;
	self->trimmed_once = TRUE;
	return TRUE;
}
