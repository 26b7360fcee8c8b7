/* Prompt sending through prpl-irc's line queue.
 *
 * WHY: Debian's prpl-irc (libpurple 2.14.12) queues every outgoing line and
 * drains the queue from a timer it arms at login with
 * g_timeout_add_seconds(1, ...), called directly (not through our event
 * loop UI ops).  The token bucket (ratelimit-interval/-burst) then decides
 * how many queued lines may go; but even with the throttle off a line waits
 * for the next tick: 0-1 s, ~0.5 s on average (measured with
 * contrib/bench/irc_bench.py: XMPP->IRC p50 999 ms, vs biboumi's 1 ms).
 *
 * HOW: this executable defines g_timeout_add_seconds (exported with
 * --export-dynamic-symbol, so the plugin's reference binds here first).
 * Every call passes through to GLib's g_timeout_add_seconds_full(); a
 * one-second timer whose callback lives in libirc.so is also recorded, with
 * a destroy notify that forgets it when the plugin removes its source.
 * pg_purple_sendq_kick() then runs each recorded callback once from an
 * idle, right after the worker handed lines to libpurple: the queue and
 * its token bucket work as designed (nothing is sent that the throttle
 * would hold back), only without the wait for the tick.
 *
 * That idle has G_PRIORITY_HIGH, not g_idle_add()'s DEFAULT_IDLE: a worker
 * with many accounts in one channel always has IRC sockets ready (every
 * line fans out to all of them), and a default idle runs only once none is,
 * so a user's line (or JOIN) could wait until the worker had read the
 * fan-out of everything before it.  The commands that queued the lines
 * have all been dispatched by then; only the sending moves ahead of the
 * reading.
 *
 * If a libpurple ever drains differently, nothing is recorded and lines go
 * out on the plugin's own schedule, as before: slower, never wrong.
 */
#define _GNU_SOURCE /* dladdr() */
#define G_LOG_DOMAIN "pg-purple"

#include "config.h"

#include <dlfcn.h>
#include <string.h>

#include "pg-purple-sendq.h"

typedef struct {
	GSourceFunc function;
	gpointer data;
	guint id;
} PgPurpleSendqTimer;

/* PgPurpleSendqTimer set; the worker is single-threaded (libpurple is) */
static GHashTable *pg_purple_sendq_timers;
static guint pg_purple_sendq_idle_id;

guint g_timeout_add_seconds(guint interval, GSourceFunc function, gpointer data);

static gboolean
pg_purple_sendq_is_irc(GSourceFunc function)
{
	/* ISO C has no cast from a function pointer to void *; dladdr() needs one */
	union {
		GSourceFunc function;
		void *address;
	} symbol = {.function = function};
	Dl_info info;

	if (dladdr(symbol.address, &info) == 0 || info.dli_fname == NULL)
		return FALSE;
	return g_str_has_suffix(info.dli_fname, "/libirc.so");
}

static gboolean
pg_purple_sendq_tick_cb(gpointer user_data)
{
	PgPurpleSendqTimer *timer = user_data;
	return timer->function(timer->data);
}

static void
pg_purple_sendq_forget_cb(gpointer user_data)
{
	PgPurpleSendqTimer *timer = user_data;
	if (pg_purple_sendq_timers != NULL)
		g_hash_table_remove(pg_purple_sendq_timers, timer);
	g_free(timer);
}

guint
g_timeout_add_seconds(guint interval, GSourceFunc function, gpointer data)
{
	PgPurpleSendqTimer *timer;

	if (interval != 1 || !pg_purple_sendq_is_irc(function))
		return g_timeout_add_seconds_full(G_PRIORITY_DEFAULT, interval, function, data,
						  NULL);
	if (pg_purple_sendq_timers == NULL)
		pg_purple_sendq_timers = g_hash_table_new(g_direct_hash, g_direct_equal);
	timer = g_new0(PgPurpleSendqTimer, 1);
	timer->function = function;
	timer->data = data;
	timer->id = g_timeout_add_seconds_full(G_PRIORITY_DEFAULT, interval,
					       pg_purple_sendq_tick_cb, timer,
					       pg_purple_sendq_forget_cb);
	g_hash_table_add(pg_purple_sendq_timers, timer);
	return timer->id;
}

static gboolean
pg_purple_sendq_idle_cb(gpointer user_data)
{
	g_autoptr(GPtrArray) timers = NULL;
	GHashTableIter iter;
	gpointer timer;

	pg_purple_sendq_idle_id = 0;
	if (pg_purple_sendq_timers == NULL)
		return G_SOURCE_REMOVE;
	/* a callback may end its connection, which removes timers: copy first,
	 * and run only those still recorded */
	timers = g_ptr_array_new();
	g_hash_table_iter_init(&iter, pg_purple_sendq_timers);
	while (g_hash_table_iter_next(&iter, &timer, NULL))
		g_ptr_array_add(timers, timer);
	for (guint i = 0; i < timers->len; i++) {
		PgPurpleSendqTimer *t = g_ptr_array_index(timers, i);
		if (!g_hash_table_contains(pg_purple_sendq_timers, t))
			continue;
		if (!t->function(t->data))
			g_source_remove(t->id); /* as GLib would on FALSE; frees t */
	}
	return G_SOURCE_REMOVE;
}

void
pg_purple_sendq_kick(void)
{
	if (pg_purple_sendq_idle_id == 0 && pg_purple_sendq_timers != NULL &&
	    g_hash_table_size(pg_purple_sendq_timers) > 0)
		pg_purple_sendq_idle_id =
		    g_idle_add_full(G_PRIORITY_HIGH, pg_purple_sendq_idle_cb, NULL, NULL);
}
