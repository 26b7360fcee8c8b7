/* PgBridgeExport: imported log lines as a room's website shows them, for
 * `polygate bridge export` (issue 11 §6: when a server cannot take
 * imported history, offer the logs for the room's website instead).
 *
 * Pure functions: one line of text or HTML per PgBridgeLine, and the page
 * around one day's lines.  Every text from a log is escaped for HTML with
 * g_markup_escape_text(), so a log line can never become markup.
 */
#pragma once

#include <glib.h>

#include "bridge/pg-bridge-line.h"

G_BEGIN_DECLS

typedef enum {
	PG_BRIDGE_EXPORT_TEXT,
	PG_BRIDGE_EXPORT_HTML,
	PG_BRIDGE_EXPORT_LAST
} PgBridgeExportFormat;

const gchar *pg_bridge_export_format_to_string(PgBridgeExportFormat format);
gboolean pg_bridge_export_format_from_string(const gchar *name, PgBridgeExportFormat *format);
/* "txt" or "html" */
const gchar *pg_bridge_export_format_extension(PgBridgeExportFormat format);

/* Returns: (transfer full) what the line says, without its time:
 * "<nick> text", "* nick text", "-nick- text", "nick joined", ... */
gchar *pg_bridge_export_describe(const PgBridgeLine *line) G_GNUC_WARN_UNUSED_RESULT;

/* Appends @line to @out in @format, its time shown in @zone:
 * "[HH:MM:SS] <nick> text\n", or one HTML <li> with an anchor per line. */
void pg_bridge_export_append_line(GString *out, PgBridgeExportFormat format,
				  const PgBridgeLine *line, GTimeZone *zone);
/* The page around one day's lines (HTML: the document up to the list and
 * after it; text: a heading line and nothing).  @title is escaped. */
void pg_bridge_export_append_head(GString *out, PgBridgeExportFormat format, const gchar *title);
void pg_bridge_export_append_tail(GString *out, PgBridgeExportFormat format);

G_END_DECLS
