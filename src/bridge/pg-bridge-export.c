/* PgBridgeExport: log lines for a room's website (pg-bridge-export.h).
 *
 * One file per day (the CLI names them YYYY-MM-DD.txt or .html): a static
 * site serves them as they are, and a day is the unit people link to.
 * HTML is a bare list with one anchor per line (#HHMMSS-N), no script and
 * no style beyond a line of CSS, so that it can be dropped into any site.
 */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include "bridge/pg-bridge-export.h"

static const gchar *const pg_bridge_export_format_names[PG_BRIDGE_EXPORT_LAST] = {
	[PG_BRIDGE_EXPORT_TEXT] = "text",
	[PG_BRIDGE_EXPORT_HTML] = "html",
};

const gchar *
pg_bridge_export_format_to_string(PgBridgeExportFormat format)
{
	if ((guint)format >= PG_BRIDGE_EXPORT_LAST)
		return NULL;
	return pg_bridge_export_format_names[format];
}

gboolean
pg_bridge_export_format_from_string(const gchar *name, PgBridgeExportFormat *format)
{
	for (guint i = 0; name != NULL && i < PG_BRIDGE_EXPORT_LAST; i++) {
		if (g_strcmp0(name, pg_bridge_export_format_names[i]) == 0) {
			*format = (PgBridgeExportFormat)i;
			return TRUE;
		}
	}
	return FALSE;
}

const gchar *
pg_bridge_export_format_extension(PgBridgeExportFormat format)
{
	return format == PG_BRIDGE_EXPORT_HTML ? "html" : "txt";
}

gchar *
pg_bridge_export_describe(const PgBridgeLine *line)
{
	const gchar *nick = line->nick;
	const gchar *text = line->text;
	gboolean has_text = text[0] != '\0';

	switch (line->kind) {
	case PG_BRIDGE_LINE_MESSAGE:
		return g_strdup_printf("<%s> %s", nick, text);
	case PG_BRIDGE_LINE_ACTION:
		return g_strdup_printf("* %s %s", nick, text);
	case PG_BRIDGE_LINE_NOTICE:
		return g_strdup_printf("-%s- %s", nick, text);
	case PG_BRIDGE_LINE_JOIN:
		return g_strdup_printf("%s joined", nick);
	case PG_BRIDGE_LINE_PART:
		return has_text ? g_strdup_printf("%s left (%s)", nick, text)
				: g_strdup_printf("%s left", nick);
	case PG_BRIDGE_LINE_QUIT:
		return has_text ? g_strdup_printf("%s quit (%s)", nick, text)
				: g_strdup_printf("%s quit", nick);
	case PG_BRIDGE_LINE_NICK:
		return g_strdup_printf("%s is now known as %s", nick, text);
	case PG_BRIDGE_LINE_TOPIC:
		return g_strdup_printf("%s set the topic: %s", nick, text);
	case PG_BRIDGE_LINE_KICK:
		return g_strdup_printf("%s was kicked by %s", nick, text);
	case PG_BRIDGE_LINE_MODE:
		return g_strdup_printf("%s sets mode %s", nick, text);
	case PG_BRIDGE_LINE_OTHER:
	default:
		return has_text ? g_strdup_printf("%s %s", nick, text) : g_strdup(nick);
	}
}

void
pg_bridge_export_append_line(GString *out, PgBridgeExportFormat format, const PgBridgeLine *line,
			     GTimeZone *zone)
{
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(line->time_us / G_USEC_PER_SEC);
	g_autoptr(GDateTime) local = NULL;
	g_autofree gchar *time = NULL;
	g_autofree gchar *what = pg_bridge_export_describe(line);

	if (utc == NULL) { /* beyond year 9999: the importer never makes one */
		time = g_strdup("--:--:--");
	} else {
		local = g_date_time_to_timezone(utc, zone);
		time = g_date_time_format(local, "%H:%M:%S");
	}
	if (format == PG_BRIDGE_EXPORT_TEXT) {
		g_string_append_printf(out, "[%s] %s\n", time, what);
		return;
	}
	{
		g_autofree gchar *escaped = g_markup_escape_text(what, -1);
		/* the µs within the second tell equal times apart (pg-bridge-import.c) */
		gint64 sub = line->time_us % G_USEC_PER_SEC;
		g_autofree gchar *anchor = g_strdup_printf("%c%c%c%c%c%c-%" G_GINT64_FORMAT, time[0],
							   time[1], time[3], time[4], time[6],
							   time[7], sub < 0 ? 0 : sub);

		g_string_append_printf(out,
				       "<li class=\"%s\" id=\"t%s\"><a href=\"#t%s\">%s</a> %s</li>\n",
				       pg_bridge_line_kind_to_string(line->kind) != NULL
					   ? pg_bridge_line_kind_to_string(line->kind)
					   : "other",
				       anchor, anchor, time, escaped);
	}
}

void
pg_bridge_export_append_head(GString *out, PgBridgeExportFormat format, const gchar *title)
{
	g_autofree gchar *escaped = g_markup_escape_text(title, -1);

	if (format == PG_BRIDGE_EXPORT_TEXT) {
		g_string_append_printf(out, "# %s\n", title);
		return;
	}
	g_string_append_printf(out,
			       "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
			       "<title>%s</title>\n"
			       "<style>ul{list-style:none;padding:0}a{color:inherit}"
			       ".join,.part,.quit,.nick,.mode{opacity:.6}</style>\n"
			       "</head><body>\n<h1>%s</h1>\n<ul>\n",
			       escaped, escaped);
}

void
pg_bridge_export_append_tail(GString *out, PgBridgeExportFormat format)
{
	if (format == PG_BRIDGE_EXPORT_HTML)
		g_string_append(out, "</ul>\n</body></html>\n");
}
