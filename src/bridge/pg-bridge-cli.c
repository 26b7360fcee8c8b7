/* `polygate bridge import|export|status`: the operator's tools for moving a
 * community (issue 11 §6-7; README.md "Move a community").
 *
 * DESIGN
 * - They work on the bridge store only (pg-bridge-store.h), never on a
 *   running bridge: import spools lines that the daemon replays, status
 *   reads what the daemon wrote.  So they run beside the daemon (the store
 *   is WAL) and need neither the registry's key nor the XMPP server.
 * - The store is found as the daemon finds it: the config's database +
 *   ".bridge" (pg_bridge_store_default_path()), or --store.
 * - Import streams each file in 64 KiB chunks and spools 1,000 lines per
 *   transaction: a year of a busy channel costs constant memory, and a
 *   failure loses at most the batch at hand (a second run adds the rest:
 *   the spool ignores lines it has).
 */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bridge/pg-bridge-cli.h"
#include "bridge/pg-bridge-export.h"
#include "bridge/pg-bridge-import.h"
#include "bridge/pg-bridge-store.h"
#include "core/pg-config.h"
#include "core/pg-error.h"

#define PG_BRIDGE_CLI_DEFAULT_CONFIG "/etc/polygate/polygate.conf"
#define PG_BRIDGE_CLI_CHUNK	     65536
#define PG_BRIDGE_CLI_BATCH	     1000
#define PG_BRIDGE_CLI_PAGE	     1000

typedef struct {
	gchar *config_path;
	gchar *store_path;
	gchar *bridge;
	gchar *format;
	gchar *zone;
	gboolean refuse_invalid_utf8;
	gint max_line_bytes;
	gchar **rest;
} PgBridgeCliOptions;

static void
pg_bridge_cli_options_clear(PgBridgeCliOptions *options)
{
	g_free(options->config_path);
	g_free(options->store_path);
	g_free(options->bridge);
	g_free(options->format);
	g_free(options->zone);
	g_strfreev(options->rest);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PgBridgeCliOptions, pg_bridge_cli_options_clear)

/* An import names a [bridge NAME] of the config: a typo would spool the
 * lines under a name no bridge replays.  Returns: FALSE with a message. */
static gboolean
pg_bridge_cli_known_bridge(const PgConfig *config, const gchar *name)
{
	g_autoptr(GString) names = g_string_new(NULL);

	for (guint i = 0; i < config->bridges->len; i++) {
		const PgBridgeConfig *bridge = g_ptr_array_index(config->bridges, i);
		if (g_strcmp0(bridge->name, name) == 0)
			return TRUE;
		g_string_append_printf(names, "%s%s", names->len > 0 ? ", " : "", bridge->name);
	}
	g_printerr("polygate bridge import: no [bridge %s] in the config; %s%s\n", name,
		   names->len > 0 ? "its bridges are: " : "it has no bridge",
		   names->str);
	return FALSE;
}

/* Returns: (transfer full) the store's path, or NULL with a message printed.
 * An import is checked against the config's bridges unless only --store
 * is given. */
static gchar *
pg_bridge_cli_store_path(const PgBridgeCliOptions *options, gboolean import)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgConfig) config = NULL;

	if (options->store_path != NULL && (!import || options->config_path == NULL))
		return g_strdup(options->store_path);
	config = pg_config_load(options->config_path != NULL ? options->config_path
							     : PG_BRIDGE_CLI_DEFAULT_CONFIG,
				&error);
	if (config == NULL) {
		g_printerr("%s\n(or name the bridge store with --store FILE)\n", error->message);
		return NULL;
	}
	if (import && !pg_bridge_cli_known_bridge(config, options->bridge))
		return NULL;
	if (options->store_path != NULL)
		return g_strdup(options->store_path);
	return pg_bridge_store_default_path(config->database);
}

static GTimeZone *
pg_bridge_cli_timezone(const gchar *name)
{
	if (name == NULL)
		return g_time_zone_new_utc();
	return g_time_zone_new_identifier(name);
}

static gchar *
pg_bridge_cli_time(gint64 time_us)
{
	g_autoptr(GDateTime) utc = NULL;

	if (time_us <= 0)
		return g_strdup("never");
	utc = g_date_time_new_from_unix_utc(time_us / G_USEC_PER_SEC);
	return utc != NULL ? g_date_time_format(utc, "%Y-%m-%d %H:%M:%S UTC") : g_strdup("?");
}

/* ---------------------------------------------------------------- import */

typedef struct {
	guint64 added;
	guint64 duplicates;
} PgBridgeCliTotals;

static gboolean
pg_bridge_cli_spool(PgBridgeStore *store, const gchar *bridge, GPtrArray *lines,
		    const gchar *source, PgBridgeCliTotals *totals, GError **error)
{
	guint added = 0, duplicates = 0;

	if (lines->len == 0)
		return TRUE;
	if (!pg_bridge_store_spool_add(store, bridge, lines, source, &added, &duplicates, error))
		return FALSE;
	totals->added += added;
	totals->duplicates += duplicates;
	g_ptr_array_set_size(lines, 0);
	return TRUE;
}

static gboolean
pg_bridge_cli_import_file(PgBridgeStore *store, const PgBridgeCliOptions *options,
			  PgBridgeLogFormat format, GTimeZone *zone, const gchar *path,
			  PgBridgeImportStats *stats, PgBridgeCliTotals *totals, GError **error)
{
	PgBridgeImportOptions import_options;
	g_autoptr(PgBridgeImport) import = NULL;
	g_autoptr(GPtrArray) lines =
	    g_ptr_array_new_with_free_func((GDestroyNotify)pg_bridge_line_free);
	g_autofree gchar *buffer = g_malloc(PG_BRIDGE_CLI_CHUNK);
	g_autofree gchar *source = g_path_get_basename(path);
	int fd;

	pg_bridge_import_options_init(&import_options);
	import_options.zone = zone;
	import_options.file_name = path;
	import_options.refuse_invalid_utf8 = options->refuse_invalid_utf8;
	if (options->max_line_bytes > 0)
		import_options.max_line_bytes = (gsize)options->max_line_bytes;
	import = pg_bridge_import_new(format, &import_options, error);
	if (import == NULL)
		return FALSE;
	fd = g_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "%s: %s", path, g_strerror(errno));
		return FALSE;
	}
	for (;;) {
		gssize got = read(fd, buffer, PG_BRIDGE_CLI_CHUNK);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			g_set_error(error, PG_ERROR, PG_ERROR_IO, "%s: %s", path,
				    g_strerror(errno));
			close(fd);
			return FALSE;
		}
		if (got == 0)
			break;
		pg_bridge_import_feed(import, buffer, (gsize)got, lines);
		if (lines->len >= PG_BRIDGE_CLI_BATCH &&
		    !pg_bridge_cli_spool(store, options->bridge, lines, source, totals, error)) {
			close(fd);
			return FALSE;
		}
	}
	close(fd);
	pg_bridge_import_finish(import, lines);
	if (!pg_bridge_cli_spool(store, options->bridge, lines, source, totals, error))
		return FALSE;
	*stats = *pg_bridge_import_get_stats(import);
	return TRUE;
}

static int
pg_bridge_cli_import(PgBridgeStore *store, const PgBridgeCliOptions *options)
{
	g_autoptr(GTimeZone) zone = pg_bridge_cli_timezone(options->zone);
	PgBridgeLogFormat format;
	guint64 kept = 0, skipped = 0;
	PgBridgeCliTotals totals = {0};
	guint failed = 0;

	if (options->format == NULL ||
	    !pg_bridge_log_format_from_string(options->format, &format)) {
		g_printerr("polygate bridge import: --format must be irssi, weechat or znc\n");
		return EXIT_FAILURE;
	}
	if (zone == NULL) {
		g_printerr("polygate bridge import: unknown time zone '%s' (e.g. Europe/Paris)\n",
			   options->zone);
		return EXIT_FAILURE;
	}
	if (options->rest == NULL || options->rest[0] == NULL) {
		g_printerr("polygate bridge import: name at least one log FILE\n");
		return EXIT_FAILURE;
	}
	for (guint i = 0; options->rest[i] != NULL; i++) {
		g_autoptr(GError) error = NULL;
		PgBridgeImportStats stats = {0};
		PgBridgeCliTotals before = totals;

		if (!pg_bridge_cli_import_file(store, options, format, zone, options->rest[i],
					       &stats, &totals, &error)) {
			g_printerr("%s: not imported: %s\n", options->rest[i], error->message);
			failed++;
			continue;
		}
		kept += stats.lines_kept;
		skipped += stats.lines_unknown + stats.lines_undated + stats.lines_too_long +
			   stats.invalid_utf8_refused;
		g_print("%s: %" G_GUINT64_FORMAT " lines read, %" G_GUINT64_FORMAT
			" spooled (%" G_GUINT64_FORMAT " new, %" G_GUINT64_FORMAT
			" already there); skipped: %" G_GUINT64_FORMAT " not understood, %"
			G_GUINT64_FORMAT " before any date, %" G_GUINT64_FORMAT
			" too long, %" G_GUINT64_FORMAT " not UTF-8; %" G_GUINT64_FORMAT
			" read as CP1252%s\n",
			options->rest[i], stats.lines_read, stats.lines_kept,
			totals.added - before.added, totals.duplicates - before.duplicates,
			stats.lines_unknown, stats.lines_undated, stats.lines_too_long,
			stats.invalid_utf8_refused, stats.invalid_utf8_converted,
			stats.truncated ? "; STOPPED at the line limit" : "");
	}
	g_print("bridge %s: %" G_GUINT64_FORMAT " lines spooled (%" G_GUINT64_FORMAT
		" new, %" G_GUINT64_FORMAT " already there), %" G_GUINT64_FORMAT
		" skipped, %u file(s) failed.\n"
		"They wait in the spool for the gateway to replay them into the room with "
		"their original times (XEP-0203); `polygate bridge status` shows how many "
		"wait.\n",
		options->bridge, kept, totals.added, totals.duplicates, skipped, failed);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ---------------------------------------------------------------- export */

static gboolean
pg_bridge_cli_write_day(const gchar *dir, const gchar *day, PgBridgeExportFormat format,
			GString *page, GError **error)
{
	g_autofree gchar *name =
	    g_strdup_printf("%s.%s", day, pg_bridge_export_format_extension(format));
	g_autofree gchar *path = g_build_filename(dir, name, NULL);

	pg_bridge_export_append_tail(page, format);
	/* a website's files: readable by the web server (g_file_set_contents
	 * makes them 0666 & ~umask) */
	return g_file_set_contents_full(path, page->str, (gssize)page->len,
					G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

static int
pg_bridge_cli_export(PgBridgeStore *store, const PgBridgeCliOptions *options)
{
	g_autoptr(GTimeZone) zone = pg_bridge_cli_timezone(options->zone);
	g_autoptr(GString) page = g_string_new(NULL);
	g_autofree gchar *day = NULL;
	PgBridgeExportFormat format;
	gint64 after_time = G_MININT64, after_id = 0;
	guint64 lines = 0;
	guint days = 0;
	const gchar *dir;

	if (options->format == NULL ||
	    !pg_bridge_export_format_from_string(options->format, &format)) {
		g_printerr("polygate bridge export: --format must be text or html\n");
		return EXIT_FAILURE;
	}
	if (zone == NULL) {
		g_printerr("polygate bridge export: unknown time zone '%s'\n", options->zone);
		return EXIT_FAILURE;
	}
	if (options->rest == NULL || options->rest[0] == NULL || options->rest[1] != NULL) {
		g_printerr("polygate bridge export: name one output DIR\n");
		return EXIT_FAILURE;
	}
	dir = options->rest[0];
	if (g_mkdir_with_parents(dir, 0755) != 0) {
		g_printerr("polygate bridge export: %s: %s\n", dir, g_strerror(errno));
		return EXIT_FAILURE;
	}
	for (;;) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) items = pg_bridge_store_spool_read(
		    store, options->bridge, after_time, after_id, PG_BRIDGE_CLI_PAGE, FALSE, &error);

		if (items == NULL) {
			g_printerr("polygate bridge export: %s\n", error->message);
			return EXIT_FAILURE;
		}
		if (items->len == 0)
			break;
		for (guint i = 0; i < items->len; i++) {
			const PgBridgeSpoolItem *item = g_ptr_array_index(items, i);
			g_autoptr(GDateTime) utc =
			    g_date_time_new_from_unix_utc(item->line->time_us / G_USEC_PER_SEC);
			g_autoptr(GDateTime) local =
			    utc != NULL ? g_date_time_to_timezone(utc, zone) : NULL;
			g_autofree gchar *this_day =
			    local != NULL ? g_date_time_format(local, "%Y-%m-%d") : NULL;

			after_time = item->line->time_us;
			after_id = item->id;
			if (this_day == NULL)
				continue;
			if (g_strcmp0(this_day, day) != 0) {
				g_autofree gchar *title = NULL;

				if (day != NULL &&
				    !pg_bridge_cli_write_day(dir, day, format, page, &error)) {
					g_printerr("polygate bridge export: %s\n", error->message);
					return EXIT_FAILURE;
				}
				g_free(day);
				day = g_steal_pointer(&this_day);
				days++;
				g_string_truncate(page, 0);
				title = g_strdup_printf("%s, %s", options->bridge, day);
				pg_bridge_export_append_head(page, format, title);
			}
			pg_bridge_export_append_line(page, format, item->line, zone);
			lines++;
		}
	}
	if (day != NULL) {
		g_autoptr(GError) error = NULL;

		if (!pg_bridge_cli_write_day(dir, day, format, page, &error)) {
			g_printerr("polygate bridge export: %s\n", error->message);
			return EXIT_FAILURE;
		}
	}
	g_print("bridge %s: %" G_GUINT64_FORMAT " lines written to %u file(s) in %s\n",
		options->bridge, lines, days, dir);
	return EXIT_SUCCESS;
}

/* ---------------------------------------------------------------- status */

static void
pg_bridge_cli_print_status(const PgBridgeStatus *status)
{
	const PgBridgeConsent *consent = &status->consent;
	g_autofree gchar *phase_time = pg_bridge_cli_time(status->phase_us);
	g_autofree gchar *approved = pg_bridge_cli_time(consent->approved_us);
	g_autofree gchar *revoked = pg_bridge_cli_time(consent->revoked_us);
	g_autofree gchar *counted = pg_bridge_cli_time(status->occupants_us);

	g_print("bridge %s\n", status->bridge);
	g_print("  phase:      %s (since %s)\n", status->phase, phase_time);
	if (consent->approved_by == NULL)
		g_print("  consent:    none yet: a chanop of the channel must approve the bridge\n");
	else if (consent->revoked_by != NULL)
		g_print("  consent:    REVOKED by %s at %s (approved by %s at %s)\n",
			consent->revoked_by, revoked, consent->approved_by, approved);
	else
		g_print("  consent:    approved by %s at %s\n", consent->approved_by, approved);
	g_print("  occupants:  %u on the legacy channel, %u in the room (counted %s)\n",
		status->occupants[PG_BRIDGE_TO_LEGACY], status->occupants[PG_BRIDGE_TO_XMPP],
		counted);
	g_print("  lines/min:  %.1f to the legacy channel, %.1f to the room (last 5 min; "
		"%" G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT " in all)\n",
		status->lines_per_minute[PG_BRIDGE_TO_LEGACY],
		status->lines_per_minute[PG_BRIDGE_TO_XMPP], status->lines[PG_BRIDGE_TO_LEGACY],
		status->lines[PG_BRIDGE_TO_XMPP]);
	for (guint d = 0; d < PG_BRIDGE_DIRECTIONS; d++) {
		g_autofree gchar *when = pg_bridge_cli_time(status->last_error_us[d]);
		const gchar *way = d == PG_BRIDGE_TO_LEGACY ? "to the legacy channel" : "to the room";

		if (status->last_error[d] == NULL)
			g_print("  last error %s: none\n", way);
		else
			g_print("  last error %s: %s (at %s)\n", way, status->last_error[d], when);
	}
	g_print("  puppets:    %u of %u healthy; %u held out by room limits (they speak "
		"through the relay)\n",
		status->puppets_healthy, status->puppets, status->held_out);
	g_print("  import:     %" G_GUINT64_FORMAT " lines spooled, %" G_GUINT64_FORMAT
		" waiting to be replayed\n",
		status->spool_total, status->spool_pending);
}

static int
pg_bridge_cli_status(PgBridgeStore *store, const PgBridgeCliOptions *options)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) statuses =
	    pg_bridge_store_status(store, options->bridge, g_get_real_time(), &error);

	if (statuses == NULL) {
		g_printerr("polygate bridge status: %s\n", error->message);
		return EXIT_FAILURE;
	}
	if (statuses->len == 0)
		g_print("no bridge has run or been imported into yet\n");
	for (guint i = 0; i < statuses->len; i++)
		pg_bridge_cli_print_status(g_ptr_array_index(statuses, i));
	return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------ main */

static const gchar pg_bridge_cli_description[] =
    "Commands:\n"
    "  import --bridge NAME --format irssi|weechat|znc FILE...\n"
    "      Read old channel logs into the bridge's spool, where they wait for the\n"
    "      gateway to replay them into the room with their times (XEP-0203).\n"
    "      Importing a file twice adds nothing.  ZNC logs take their date from\n"
    "      their name (YYYY-MM-DD.log).\n"
    "  export --bridge NAME --format text|html DIR\n"
    "      Write the imported lines to DIR, one file per day (YYYY-MM-DD.txt or\n"
    "      .html, HTML-escaped), for the room's website.\n"
    "  status [--bridge NAME]\n"
    "      Per bridge: phase, consent, occupants each side, lines per minute each\n"
    "      way, the last error, puppets' health, imported lines still to replay.\n"
    "\n"
    "The bridge store is the config's database + \".bridge\" (--config), or --store.\n"
    "Examples:\n"
    "  polygate bridge import --bridge libera-project --format irssi \\\n"
    "      --timezone Europe/Berlin ~/irclogs/libera/#project.log\n"
    "  polygate bridge export --bridge libera-project --format html /var/www/logs\n"
    "  polygate bridge status\n";

int
pg_bridge_cli_main(int argc, char **argv)
{
	g_auto(PgBridgeCliOptions) options = {0};
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(PgBridgeStore) store = NULL;
	g_autofree gchar *store_path = NULL;
	const gchar *command;
	const GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &options.config_path,
	     "Configuration file (default " PG_BRIDGE_CLI_DEFAULT_CONFIG ")", "FILE"},
	    {"store", 0, 0, G_OPTION_ARG_FILENAME, &options.store_path,
	     "The bridge store itself, instead of the config's", "FILE"},
	    {"bridge", 'b', 0, G_OPTION_ARG_STRING, &options.bridge,
	     "NAME of the [bridge NAME] group", "NAME"},
	    {"format", 'f', 0, G_OPTION_ARG_STRING, &options.format,
	     "import: irssi, weechat or znc; export: text or html", "FORMAT"},
	    {"timezone", 0, 0, G_OPTION_ARG_STRING, &options.zone,
	     "The logs' local time zone (import) or the pages' (export); default UTC", "TZ"},
	    {"refuse-invalid-utf8", 0, 0, G_OPTION_ARG_NONE, &options.refuse_invalid_utf8,
	     "import: skip lines that are not UTF-8 (default: read them as CP1252)", NULL},
	    {"max-line-bytes", 0, 0, G_OPTION_ARG_INT, &options.max_line_bytes,
	     "import: skip longer lines (default 4096)", "N"},
	    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &options.rest, NULL, NULL},
	    G_OPTION_ENTRY_NULL,
	};

	/* the usage line says "polygate bridge", not our argv[0] */
	g_set_prgname("polygate bridge");
	context = g_option_context_new("import|export|status [FILE...|DIR]");
	g_option_context_set_summary(
	    context, "Tools for a community bridge (a legacy channel bridged to a room on the\n"
		     "XMPP server's own MUC service): import old logs, export them for a\n"
		     "website, and show each bridge's state.");
	g_option_context_set_description(context, pg_bridge_cli_description);
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("polygate bridge: %s (try polygate bridge --help)\n", error->message);
		return EXIT_FAILURE;
	}
	/* G_OPTION_REMAINING took every argument that is no option: the
	 * command first */
	command = options.rest != NULL ? options.rest[0] : NULL;
	if (command == NULL || (g_strcmp0(command, "import") != 0 &&
				g_strcmp0(command, "export") != 0 &&
				g_strcmp0(command, "status") != 0)) {
		g_printerr("polygate bridge: %s%s%s (try polygate bridge --help)\n",
			   command != NULL ? "unknown command '" : "name a command",
			   command != NULL ? command : "", command != NULL ? "'" : "");
		return EXIT_FAILURE;
	}
	{
		/* the command off, the files on */
		gchar **files = g_strdupv(options.rest + 1);
		g_autofree gchar *name = g_strdup(command);

		g_strfreev(options.rest);
		options.rest = files;
		command = NULL;
		if (g_strcmp0(name, "status") != 0 && options.bridge == NULL) {
			g_printerr("polygate bridge %s: --bridge NAME is required\n", name);
			return EXIT_FAILURE;
		}
		store_path = pg_bridge_cli_store_path(&options, g_strcmp0(name, "import") == 0);
		if (store_path == NULL)
			return EXIT_FAILURE;
		if (g_strcmp0(name, "import") != 0 && !g_file_test(store_path, G_FILE_TEST_EXISTS)) {
			g_print("no bridge store at %s yet: no bridge has run and nothing was "
				"imported\n",
				store_path);
			return options.bridge != NULL ? EXIT_FAILURE : EXIT_SUCCESS;
		}
		store = pg_bridge_store_open(store_path, &error);
		if (store == NULL) {
			g_printerr("polygate bridge %s: %s\n", name, error->message);
			return EXIT_FAILURE;
		}
		if (g_strcmp0(name, "import") == 0)
			return pg_bridge_cli_import(store, &options);
		if (g_strcmp0(name, "export") == 0)
			return pg_bridge_cli_export(store, &options);
		return pg_bridge_cli_status(store, &options);
	}
}
