/* PgBridgeImport: reads a legacy channel's old logs (irssi, weechat, ZNC)
 * into PgBridgeLine records, for `polygate bridge import` (issue 11 §6).
 *
 * Streaming and bounded: the file is fed in chunks of any size; each
 * complete line is parsed on its own; a line longer than max_line_bytes,
 * or one that is not UTF-8 when the options refuse those, is skipped and
 * counted, never a failure of the whole file.  Times are the log's local
 * times read in the given time zone, in UTC µs; lines of one file are made
 * strictly increasing (see pg-bridge-import.c) so that the spool can tell
 * two equal lines of one minute apart.
 */
#pragma once

#include <glib.h>

#include "bridge/pg-bridge-line.h"

G_BEGIN_DECLS

typedef enum {
	PG_BRIDGE_LOG_IRSSI,   /* "--- Log opened ...", "HH:MM <nick> text" */
	PG_BRIDGE_LOG_WEECHAT, /* "YYYY-MM-DD HH:MM:SS\tprefix\ttext" */
	PG_BRIDGE_LOG_ZNC,     /* "[HH:MM:SS] <nick> text", the date in the file's name */
	PG_BRIDGE_LOG_LAST
} PgBridgeLogFormat;

const gchar *pg_bridge_log_format_to_string(PgBridgeLogFormat format);
gboolean pg_bridge_log_format_from_string(const gchar *name, PgBridgeLogFormat *format);

typedef struct {
	GTimeZone *zone;  /* the zone the log's times are in; NULL: UTC */
	gsize max_line_bytes; /* longer lines are skipped (default 4096) */
	guint64 max_lines;    /* lines read before the rest is left (default 10,000,000) */
	gboolean refuse_invalid_utf8; /* skip such lines, else read them as CP1252 (default) */
	const gchar *file_name; /* ZNC: its base name gives the date (YYYY-MM-DD or YYYYMMDD) */
} PgBridgeImportOptions;

void pg_bridge_import_options_init(PgBridgeImportOptions *options);

typedef struct {
	guint64 lines_read;       /* every line seen, kept or not */
	guint64 lines_kept;       /* became a PgBridgeLine */
	guint64 lines_unknown;    /* not a line this format writes (skipped) */
	guint64 lines_undated;    /* before the log said which day it was (skipped) */
	guint64 lines_too_long;   /* skipped */
	guint64 invalid_utf8_converted;
	guint64 invalid_utf8_refused; /* skipped */
	gboolean truncated;       /* max_lines was reached: the rest was not read */
} PgBridgeImportStats;

typedef struct _PgBridgeImport PgBridgeImport;

/* Returns: (transfer full) a parser, or NULL with PG_ERROR_BAD_REQUEST
 * (ZNC without a date in the file name). */
PgBridgeImport *pg_bridge_import_new(PgBridgeLogFormat format, const PgBridgeImportOptions *options,
				     GError **error) G_GNUC_WARN_UNUSED_RESULT;
void pg_bridge_import_free(PgBridgeImport *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgBridgeImport, pg_bridge_import_free)

/* Parses every line @data completes, appending what it reads to @lines
 * (element-type PgBridgeLine, which owns them).  @data may hold any bytes,
 * NUL included, and end mid-line. */
void pg_bridge_import_feed(PgBridgeImport *self, const gchar *data, gsize len, GPtrArray *lines);
/* Parses the last line if the file did not end with a line break. */
void pg_bridge_import_finish(PgBridgeImport *self, GPtrArray *lines);
const PgBridgeImportStats *pg_bridge_import_get_stats(const PgBridgeImport *self);

/* All of @data at once.  Returns: (transfer full) (element-type
 * PgBridgeLine), or NULL with @error as pg_bridge_import_new(). */
GPtrArray *pg_bridge_import_parse(PgBridgeLogFormat format, const PgBridgeImportOptions *options,
				  const gchar *data, gsize len, PgBridgeImportStats *stats,
				  GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
