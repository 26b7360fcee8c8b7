/* Benchmark of the rooms' archive (src/history/pg-history.c), not a test:
 *
 *   1. messages stored per second, appended as the relay does (one call
 *      per line, handed to the writer thread per 1024 lines or 100 ms, one
 *      transaction each), and what the appending cost the main loop;
 *   2. the p50/p99 of a XEP-0313 page of 50 over the archive (default
 *      100,000 lines in the room, plus as many in 9 other rooms of the
 *      file): the query, and each line built as the <message><result>
 *      <forwarded> stanza the gateway sends and serialised;
 *   3. the same for history on join with maxstanzas=20 (the last 20 lines,
 *      built as delayed groupchat messages).
 *
 *   build-bench/contrib/bench/bench-history [MESSAGES] [QUERIES]
 *
 * Use an optimized build (meson -Dbuildtype=release build-bench).  The
 * archive lives in a temporary directory, removed at the end.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#include "history/pg-history.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-mam.h"
#include "xmpp/pg-muc.h"

#define PG_BENCH_ROOM_JID "#bench%irc.example.net@irc.example.org"
#define PG_BENCH_TO	  "alice@example.org/phone"

static gint
pg_bench_compare(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a;
	gint64 y = *(const gint64 *)b;
	return x < y ? -1 : x > y;
}

static gint64
pg_bench_percentile(GArray *values, gdouble fraction)
{
	guint index;

	g_array_sort(values, pg_bench_compare);
	index = (guint)(fraction * (values->len - 1) + 0.5);
	return g_array_index(values, gint64, index);
}

/* Builds and serialises what the gateway sends for @items; returns bytes. */
static gsize
pg_bench_render(xmpp_ctx_t *ctx, GPtrArray *items, gboolean archive)
{
	gsize bytes = 0;

	for (guint i = 0; i < items->len; i++) {
		const PgHistoryItem *item = g_ptr_array_index(items, i);
		g_autofree gchar *id = g_strdup_printf("%" G_GUINT64_FORMAT, item->id);
		g_autofree gchar *text = NULL;
		size_t len = 0;
		xmpp_stanza_t *message =
		    pg_muc_message(ctx, PG_BENCH_ROOM_JID, item->nick,
				   archive ? NULL : PG_BENCH_TO, item->body, NULL);
		xmpp_stanza_t *stanza = message;

		if (archive) {
			stanza = pg_mam_result(ctx, PG_BENCH_ROOM_JID, PG_BENCH_TO, "q1", id,
					       (gint64)item->id, message);
		} else {
			pg_mam_add_delay(message, PG_BENCH_ROOM_JID, (gint64)item->id);
			pg_mam_add_stanza_id(message, id, PG_BENCH_ROOM_JID);
		}
		xmpp_stanza_to_text(stanza, &text, &len);
		bytes += len;
		xmpp_stanza_release(stanza);
	}
	return bytes;
}

int
main(int argc, char **argv)
{
	guint n_messages = argc > 1 ? (guint)strtoul(argv[1], NULL, 10) : 100000;
	guint n_queries = argc > 2 ? (guint)strtoul(argv[2], NULL, 10) : 2000;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("bench-history-XXXXXX", &error);
	g_autofree gchar *path = g_build_filename(dir, "history.sqlite", NULL);
	g_autoptr(PgHistory) history = NULL;
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(guint64));
	g_autoptr(GArray) page_us = g_array_new(FALSE, FALSE, sizeof(gint64));
	g_autoptr(GArray) join_us = g_array_new(FALSE, FALSE, sizeof(gint64));
	xmpp_ctx_t *ctx = pg_stanza_ctx_new();
	gint64 rooms[10];
	guint64 transactions = 0;
	guint64 rows = 0;
	gint64 start;
	gdouble seconds;
	gint64 main_us;
	gsize bytes = 0;

	history = pg_history_open(path, &error);
	if (history == NULL) {
		g_printerr("%s\n", error->message);
		return EXIT_FAILURE;
	}
	for (guint r = 0; r < G_N_ELEMENTS(rooms); r++) {
		g_autofree gchar *name = g_strdup_printf("#bench%u", r);
		rooms[r] = pg_history_room(history, "irc.example.org", "alice@example.org",
					   "irc.example.net", name, &error);
		pg_history_set_keep(history, rooms[r], 0);
	}

	/* 1. appends: every room gets n_messages, interleaved, as the lines of
	 * several channels arrive */
	/* in rounds of 1000 lines, each written before the next: the relay
	 * (about 13k lines/s at its fastest) never outruns the writer (over
	 * 100k lines/s), so the appends alone are what the main loop pays */
	start = g_get_monotonic_time();
	main_us = 0;
	for (guint i = 0; i < n_messages * G_N_ELEMENTS(rooms); i++) {
		guint r = i % G_N_ELEMENTS(rooms);
		g_autofree gchar *body =
		    g_strdup_printf("line %u of the benchmark, about as long as a chat line is", i);
		gint64 t0 = g_get_monotonic_time();
		guint64 id = pg_history_append(history, rooms[r], r == 0 ? "bob" : "carol", body);

		main_us += g_get_monotonic_time() - t0;
		if (r == 0)
			g_array_append_val(ids, id);
		if (i % 1000 == 999 && !pg_history_flush(history, &error)) {
			g_printerr("%s\n", error->message);
			return EXIT_FAILURE;
		}
	}
	if (!pg_history_flush(history, &error)) {
		g_printerr("%s\n", error->message);
		return EXIT_FAILURE;
	}
	seconds = (gdouble)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
	pg_history_get_stats(history, &transactions, &rows);
	g_print("stored %" G_GUINT64_FORMAT " lines in %.2f s: %.0f lines/s, %" G_GUINT64_FORMAT
		" transactions (%.0f lines each); the appends cost the main loop %.2f us per "
		"line\n",
		rows, seconds, rows / seconds, transactions, (gdouble)rows / MAX(transactions, 1),
		(gdouble)main_us / rows);

	/* 2. pages of 50 from random places, forward and backward */
	for (guint q = 0; q < n_queries; q++) {
		PgHistoryQuery query = {.room = rooms[0], .max = 50};
		g_autoptr(GPtrArray) items = NULL;
		gint64 t0 = g_get_monotonic_time();
		gint64 elapsed;

		if (q % 2 == 0)
			query.after_id = g_array_index(ids, guint64, g_random_int_range(0, ids->len));
		else {
			query.last = TRUE;
			if (q % 4 == 1)
				query.before_id =
				    g_array_index(ids, guint64, g_random_int_range(0, ids->len));
		}
		items = pg_history_query(history, &query, NULL, &error);
		if (items == NULL) {
			g_printerr("%s\n", error->message);
			return EXIT_FAILURE;
		}
		bytes += pg_bench_render(ctx, items, TRUE);
		elapsed = g_get_monotonic_time() - t0;
		g_array_append_val(page_us, elapsed);
	}
	g_print("MAM page of 50 over %u lines (%u queries): p50 %.3f ms, p99 %.3f ms, max %.3f ms "
		"(%.0f bytes per page)\n",
		n_messages, n_queries, pg_bench_percentile(page_us, 0.50) / 1000.0,
		pg_bench_percentile(page_us, 0.99) / 1000.0,
		pg_bench_percentile(page_us, 1.0) / 1000.0, (gdouble)bytes / n_queries);

	/* 3. history on join, maxstanzas=20 */
	for (guint q = 0; q < n_queries; q++) {
		PgHistoryQuery query = {.room = rooms[q % G_N_ELEMENTS(rooms)], .max = 20,
					.last = TRUE};
		g_autoptr(GPtrArray) items = NULL;
		gint64 t0 = g_get_monotonic_time();
		gint64 elapsed;

		items = pg_history_query(history, &query, NULL, &error);
		pg_bench_render(ctx, items, FALSE);
		elapsed = g_get_monotonic_time() - t0;
		g_array_append_val(join_us, elapsed);
	}
	g_print("history on join, maxstanzas=20: p50 %.3f ms, p99 %.3f ms\n",
		pg_bench_percentile(join_us, 0.50) / 1000.0,
		pg_bench_percentile(join_us, 0.99) / 1000.0);

	g_clear_pointer(&history, pg_history_free);
	xmpp_ctx_free(ctx);
	{
		g_autofree gchar *wal = g_strconcat(path, "-wal", NULL);
		g_autofree gchar *shm = g_strconcat(path, "-shm", NULL);
		g_unlink(wal);
		g_unlink(shm);
		g_unlink(path);
		g_rmdir(dir);
	}
	return EXIT_SUCCESS;
}
