/* PgHistory: the rooms' message archive (XEP-0313 MAM, XEP-0045 history on
 * join) and which rooms stay joined while their user is offline.
 *
 * One archive per (transport, user, server, room): a user's archive holds
 * only what that user's own legacy connection relayed while it was in the
 * room (pg-history.c says why).  Items are appended in memory and written
 * in batches; every read flushes first, so a query always sees what was
 * relayed before it.
 *
 * Not thread-safe: one PgHistory, used from the main loop.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PgHistory PgHistory;

/* One archived groupchat message. */
typedef struct {
	guint64 id;    /* the XEP-0359 stanza-id; also its time (µs since 1970) */
	gchar *nick;   /* who said it ("" for the room itself) */
	gchar *body;
} PgHistoryItem;

void pg_history_item_free(PgHistoryItem *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgHistoryItem, pg_history_item_free)

/* What to read from one room's archive.  Bounds are exclusive for ids,
 * inclusive for times; 0 leaves a bound open. */
typedef struct {
	gint64 room;
	const gchar *nick;   /* only what this nick said, or NULL */
	guint64 after_id;
	guint64 before_id;
	gint64 start_us;
	gint64 end_us;
	guint max;           /* at most this many items (0: none, only whether any) */
	gboolean last;       /* the last @max that match, else the first */
} PgHistoryQuery;

/* A room that stays joined while its user is offline. */
typedef struct {
	gchar *user_jid;
	gchar *server;
	gchar *name; /* as the user first wrote it, e.g. #Chan */
	gchar *nick;
} PgHistoryPersistent;

void pg_history_persistent_free(PgHistoryPersistent *room);

/* Opens (creating it 0600) and migrates the archive at @path.
 * Returns: (transfer full) or NULL with PG_ERROR_DATABASE. */
PgHistory *pg_history_open(const gchar *path, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Writes what is pending, then closes. */
void pg_history_free(PgHistory *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgHistory, pg_history_free)

/* The archive of @name on @server (@server "" on networks without servers)
 * of @user_jid on @transport, made on first use.  Rooms are matched
 * case-insensitively.  Returns: its handle (> 0), or 0 with @error. */
gint64 pg_history_room(PgHistory *self, const gchar *transport, const gchar *user_jid,
		       const gchar *server, const gchar *name, GError **error);
/* The archive of that room if it has one, without making it; 0 if none. */
gint64 pg_history_find_room(PgHistory *self, const gchar *transport, const gchar *user_jid,
			    const gchar *server, const gchar *name);

/* @room's archive keeps at most @keep messages (0, the default: no count
 * limit); the oldest go at a later write. */
void pg_history_set_keep(PgHistory *self, gint64 room, guint keep);
/* Appends a message to @room's archive, written within 100 ms.
 * Returns: its id, never 0. */
guint64 pg_history_append(PgHistory *self, gint64 room, const gchar *nick, const gchar *body);
/* Writes every pending message now. */
gboolean pg_history_flush(PgHistory *self, GError **error);

/* Returns: (transfer full) (element-type PgHistoryItem) the matching items,
 * oldest first; *@complete (if not NULL) TRUE when no further match lies
 * beyond them in the query's direction. */
GPtrArray *pg_history_query(PgHistory *self, const PgHistoryQuery *query, gboolean *complete,
			    GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Whether @id is in @room's archive. */
gboolean pg_history_contains(PgHistory *self, gint64 room, guint64 id);

/* Drops the messages of @transport's rooms older than @max_age_s seconds. */
gboolean pg_history_expire(PgHistory *self, const gchar *transport, guint64 max_age_s,
			   GError **error);
/* Everything of @user_jid on @transport: archives and persistent rooms
 * (the user unregistered). */
gboolean pg_history_forget_user(PgHistory *self, const gchar *transport, const gchar *user_jid,
				GError **error);

/* The user's own count limit for @room (0: none, the operator's alone),
 * kept in the archive; the caller bounds it by the operator's. */
gboolean pg_history_set_user_keep(PgHistory *self, gint64 room, guint keep, GError **error);
guint pg_history_get_user_keep(PgHistory *self, gint64 room);
/* The room's own encoding (NULL: none, the server's); the caller checks it.
 * get: (transfer full) */
gboolean pg_history_set_charset(PgHistory *self, gint64 room, const gchar *charset,
				GError **error);
gchar *pg_history_get_charset(PgHistory *self, gint64 room);
/* Persistence of a room (the room need not have an archive yet). */
gboolean pg_history_set_persistent(PgHistory *self, const gchar *transport,
				   const gchar *user_jid, const gchar *server, const gchar *name,
				   const gchar *nick, gboolean persistent, GError **error);
gboolean pg_history_is_persistent(PgHistory *self, const gchar *transport,
				  const gchar *user_jid, const gchar *server, const gchar *name);
/* Returns: (transfer full) (element-type PgHistoryPersistent) the
 * persistent rooms of @transport. */
GPtrArray *pg_history_list_persistent(PgHistory *self, const gchar *transport,
				      GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* The number of statements that wrote rows, and the rows they wrote, since
 * the archive was opened (for the benchmark and /metrics). */
void pg_history_get_stats(PgHistory *self, guint64 *transactions, guint64 *rows);

G_END_DECLS
