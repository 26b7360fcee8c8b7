/* Benchmark of the bridge's per-line bookkeeping (src/bridge/), not a test:
 * what one relayed line costs the gateway's main loop in the parts this
 * library owns, against issue 11's budget of 100 µs of CPU per line.
 *
 *   1. XMPP -> legacy: render the line (pg_bridge_render_message), map it
 *      (pg_bridge_store_map_add: one SQLite insert in its own transaction,
 *      WAL, synchronous=NORMAL) and count it (pg_bridge_store_count);
 *   2. legacy -> XMPP: the echo check (pg_bridge_store_map_find of an id
 *      that is there) and the count;
 *   3. the importer: log lines parsed per second (irssi format).
 *
 *   build-bench/contrib/bench/bench-bridge [LINES]      (default 20,000)
 *
 * Use an optimized build (meson -Dbuildtype=release build-bench).  CPU time
 * is the process's (user + system), per line.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "bridge/pg-bridge-import.h"
#include "bridge/pg-bridge-render.h"
#include "bridge/pg-bridge-store.h"

static gdouble
pg_bench_cpu_us(void)
{
	struct rusage usage;

	getrusage(RUSAGE_SELF, &usage);
	return (gdouble)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 +
	       (gdouble)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

int
main(int argc, char **argv)
{
	guint lines = argc > 1 ? (guint)g_ascii_strtoull(argv[1], NULL, 10) : 20000;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("bench-bridge-XXXXXX", &error);
	g_autofree gchar *path = g_build_filename(dir, "registry.db.bridge", NULL);
	g_autoptr(PgBridgeStore) store = pg_bridge_store_open(path, &error);
	g_autoptr(GString) log = g_string_new("--- Log opened Thu Dec 03 09:00:00 2026\n");
	PgBridgeRenderPolicy policy;
	gdouble cpu, wall;
	gint64 start;

	if (store == NULL) {
		g_printerr("%s\n", error->message);
		return 1;
	}
	pg_bridge_render_policy_init(&policy);

	start = g_get_monotonic_time();
	cpu = pg_bench_cpu_us();
	for (guint i = 0; i < lines; i++) {
		g_autofree gchar *origin = g_strdup_printf("origin-%u", i);
		g_auto(GStrv) irc = pg_bridge_render_message(
		    &policy, "alice", "a line of ordinary length, about sixty bytes long", NULL, NULL);
		PgBridgeMapEntry entry = {.direction = PG_BRIDGE_TO_LEGACY,
					  .origin_id = origin,
					  .nick = (gchar *)"alice",
					  .text = irc[0],
					  .time_us = g_get_real_time()};

		if (pg_bridge_store_map_add(store, "bench", &entry, &error) == 0) {
			g_printerr("%s\n", error->message);
			return 1;
		}
		pg_bridge_store_count(store, "bench", PG_BRIDGE_TO_LEGACY, 1, g_get_real_time());
	}
	cpu = pg_bench_cpu_us() - cpu;
	wall = (gdouble)(g_get_monotonic_time() - start);
	printf("to legacy: %u lines, %.1f µs CPU/line, %.0f lines/s (render + map_add + count)\n",
	       lines, cpu / lines, lines / (wall / 1e6));

	start = g_get_monotonic_time();
	cpu = pg_bench_cpu_us();
	for (guint i = 0; i < lines; i++) {
		/* among the newest 9,000: the map keeps 10,000 (pg-bridge-store.c) */
		g_autofree gchar *origin =
		    g_strdup_printf("origin-%u", lines - 1 - (i * 7919) % MIN(lines, 9000));
		g_autoptr(PgBridgeMapEntry) found =
		    pg_bridge_store_map_find(store, "bench", origin, NULL);

		if (found == NULL) {
			g_printerr("%s not found\n", origin);
			return 1;
		}
		pg_bridge_store_count(store, "bench", PG_BRIDGE_TO_XMPP, 1, g_get_real_time());
	}
	cpu = pg_bench_cpu_us() - cpu;
	wall = (gdouble)(g_get_monotonic_time() - start);
	printf("echo check: %u lookups, %.1f µs CPU/line, %.0f lookups/s (map_find + count)\n",
	       lines, cpu / lines, lines / (wall / 1e6));

	for (guint i = 0; i < lines; i++)
		g_string_append_printf(log, "%02u:%02u <bob> line %u of the old channel log\n",
				       (i / 60) % 24, i % 60, i);
	start = g_get_monotonic_time();
	{
		PgBridgeImportStats stats;
		g_autoptr(GPtrArray) parsed = pg_bridge_import_parse(
		    PG_BRIDGE_LOG_IRSSI, NULL, log->str, log->len, &stats, NULL);

		wall = (gdouble)(g_get_monotonic_time() - start);
		printf("import: %u irssi lines parsed, %.0f lines/s\n", parsed->len,
		       parsed->len / (wall / 1e6));
	}
	g_clear_pointer(&store, pg_bridge_store_free);
	{
		g_autofree gchar *wal = g_strconcat(path, "-wal", NULL);
		g_autofree gchar *shm = g_strconcat(path, "-shm", NULL);

		g_unlink(wal);
		g_unlink(shm);
		g_unlink(path);
		g_rmdir(dir);
	}
	return 0;
}
