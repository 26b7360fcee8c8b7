/* PgBridgeLine: one legacy log line (pg-bridge-line.h). */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include "bridge/pg-bridge-line.h"

/* Stored in the spool: never rename one, only add. */
static const gchar *const pg_bridge_line_kind_names[PG_BRIDGE_LINE_LAST] = {
	[PG_BRIDGE_LINE_MESSAGE] = "message", [PG_BRIDGE_LINE_ACTION] = "action",
	[PG_BRIDGE_LINE_NOTICE] = "notice",   [PG_BRIDGE_LINE_JOIN] = "join",
	[PG_BRIDGE_LINE_PART] = "part",       [PG_BRIDGE_LINE_QUIT] = "quit",
	[PG_BRIDGE_LINE_NICK] = "nick",       [PG_BRIDGE_LINE_TOPIC] = "topic",
	[PG_BRIDGE_LINE_KICK] = "kick",       [PG_BRIDGE_LINE_MODE] = "mode",
	[PG_BRIDGE_LINE_OTHER] = "other",
};

PgBridgeLine *
pg_bridge_line_new(gint64 time_us, const gchar *nick, PgBridgeLineKind kind, const gchar *text)
{
	PgBridgeLine *line = g_new0(PgBridgeLine, 1);

	line->time_us = time_us;
	line->nick = g_strdup(nick != NULL ? nick : "");
	line->kind = kind;
	line->text = g_strdup(text != NULL ? text : "");
	return line;
}

void
pg_bridge_line_free(PgBridgeLine *line)
{
	if (line == NULL)
		return;
	g_free(line->nick);
	g_free(line->text);
	g_free(line);
}

const gchar *
pg_bridge_line_kind_to_string(PgBridgeLineKind kind)
{
	if ((guint)kind >= PG_BRIDGE_LINE_LAST)
		return NULL;
	return pg_bridge_line_kind_names[kind];
}

gboolean
pg_bridge_line_kind_from_string(const gchar *name, PgBridgeLineKind *kind)
{
	if (name == NULL)
		return FALSE;
	for (guint i = 0; i < PG_BRIDGE_LINE_LAST; i++) {
		if (g_strcmp0(name, pg_bridge_line_kind_names[i]) == 0) {
			*kind = (PgBridgeLineKind)i;
			return TRUE;
		}
	}
	return FALSE;
}
