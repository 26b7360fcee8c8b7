/* PgBridgeLine: one line of a legacy channel's log, as the importers
 * (pg-bridge-import.c) read it and the bridge store's spool
 * (pg-bridge-store.c) keeps it until it is replayed into the room.
 *
 * Plain data, no network: a line is {time, nick, kind, text}.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	PG_BRIDGE_LINE_MESSAGE, /* <nick> text */
	PG_BRIDGE_LINE_ACTION,  /* * nick text (CTCP ACTION, /me) */
	PG_BRIDGE_LINE_NOTICE,  /* -nick- text */
	PG_BRIDGE_LINE_JOIN,
	PG_BRIDGE_LINE_PART,    /* text: the part reason, may be "" */
	PG_BRIDGE_LINE_QUIT,    /* text: the quit reason, may be "" */
	PG_BRIDGE_LINE_NICK,    /* nick: the old nick, text: the new one */
	PG_BRIDGE_LINE_TOPIC,   /* nick: who set it, text: the new topic */
	PG_BRIDGE_LINE_KICK,    /* nick: who was kicked, text: who kicked, then " (reason)" if any */
	PG_BRIDGE_LINE_MODE,    /* nick: who set it, text: the modes, e.g. "+o bob" */
	PG_BRIDGE_LINE_OTHER,   /* anything else the log says; nick may be "" */
	PG_BRIDGE_LINE_LAST
} PgBridgeLineKind;

typedef struct {
	gint64 time_us;        /* UTC, µs since 1970 */
	gchar *nick;           /* never NULL, may be "" */
	PgBridgeLineKind kind;
	gchar *text;           /* never NULL, valid UTF-8, no CR/LF/NUL */
} PgBridgeLine;

/* Returns: (transfer full) a line holding copies of @nick and @text. */
PgBridgeLine *pg_bridge_line_new(gint64 time_us, const gchar *nick, PgBridgeLineKind kind,
				 const gchar *text) G_GNUC_WARN_UNUSED_RESULT;
void pg_bridge_line_free(PgBridgeLine *line);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgBridgeLine, pg_bridge_line_free)

/* "message", "action", ... as stored in the spool; NULL for an invalid kind. */
const gchar *pg_bridge_line_kind_to_string(PgBridgeLineKind kind);
/* Returns: TRUE and *@kind if @name is one of the names above. */
gboolean pg_bridge_line_kind_from_string(const gchar *name, PgBridgeLineKind *kind);

G_END_DECLS
