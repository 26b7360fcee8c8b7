/* PgBridgeStore: the community bridges' own state, on its own SQLite file
 * (the registry's path + ".bridge", pg_bridge_store_default_path()).
 *
 * Per bridge NAME (the `[bridge NAME]` config group): the chanop's consent,
 * the phase of the move, a bounded map between room message ids and legacy
 * lines (for dedupe, corrections and replies: DESIGN "loops and dedupe go
 * by ids, never by nicks"), per-direction counters and the last error (for
 * `polygate bridge status`), the puppets' health, and the spool of imported
 * log lines waiting to be replayed into the room.
 *
 * The daemon writes it; `polygate bridge status|import|export` open the
 * same file from another process (WAL; each write is short).
 * Not thread-safe: one PgBridgeStore per thread.
 */
#pragma once

#include <glib.h>

#include "bridge/pg-bridge-line.h"

G_BEGIN_DECLS

typedef struct _PgBridgeStore PgBridgeStore;

/* Which way a line went. */
typedef enum {
	PG_BRIDGE_TO_LEGACY, /* from the room to the legacy channel */
	PG_BRIDGE_TO_XMPP,   /* from the legacy channel to the room */
	PG_BRIDGE_DIRECTIONS
} PgBridgeDirection;

const gchar *pg_bridge_direction_to_string(PgBridgeDirection direction);

/* Returns: (transfer full) @registry_path + ".bridge". */
gchar *pg_bridge_store_default_path(const gchar *registry_path) G_GNUC_WARN_UNUSED_RESULT;

/* Opens (creating it 0600) and migrates the store at @path.
 * Returns: (transfer full) or NULL with PG_ERROR_DATABASE. */
PgBridgeStore *pg_bridge_store_open(const gchar *path, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Writes pending counters, then closes. */
void pg_bridge_store_free(PgBridgeStore *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgBridgeStore, pg_bridge_store_free)

/* Returns: (transfer full) the names of every bridge the store knows, sorted. */
GStrv pg_bridge_store_list(PgBridgeStore *self, GError **error);
/* Forgets everything about @bridge (an admin removed it). */
gboolean pg_bridge_store_remove(PgBridgeStore *self, const gchar *bridge, GError **error);

/* ---- bridges made by an admin's command (pg-bridge-store-made.c) ---- */

/* Keeps @bridge, made by @by, as @data (the text of its [bridge NAME]
 * group, core/pg-config-bridge-form.h) with @sasl_sealed (nullable: its
 * SASL password as sealed by the caller; the store never sees it plain).
 * PG_ERROR_CONFLICT if a bridge of that name is kept already. */
gboolean pg_bridge_store_add_made(PgBridgeStore *self, const gchar *bridge, const gchar *data,
				  GBytes *sasl_sealed, const gchar *by, gint64 now_us,
				  GError **error);
/* The sealed SASL password kept with @bridge, or NULL (none, or @error). */
GBytes *pg_bridge_store_get_made_sasl(PgBridgeStore *self, const gchar *bridge,
				      GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Forgets that @bridge was made, with its sealed SASL password (its state
 * stays: pg_bridge_store_remove()). */
gboolean pg_bridge_store_drop_made(PgBridgeStore *self, const gchar *bridge, GError **error);
/* Returns: (transfer full) (element-type utf8) the data of every bridge
 * made by command, oldest first, or NULL with @error. */
GPtrArray *pg_bridge_store_list_made(PgBridgeStore *self, GError **error);

/* ---- consent ---- */

typedef struct {
	gchar *approved_by;   /* e.g. "nick!user@host" of the chanop; NULL if never approved */
	gint64 approved_us;
	gchar *revoked_by;    /* NULL unless revoked after the last approval */
	gint64 revoked_us;
} PgBridgeConsent;

void pg_bridge_consent_clear(PgBridgeConsent *consent);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PgBridgeConsent, pg_bridge_consent_clear)

/* Records that @by approved @bridge at @now_us (clears an earlier revocation). */
gboolean pg_bridge_store_approve(PgBridgeStore *self, const gchar *bridge, const gchar *by,
				 gint64 now_us, GError **error);
/* Records that @by revoked it.  PG_ERROR_ITEM_NOT_FOUND if never approved. */
gboolean pg_bridge_store_revoke(PgBridgeStore *self, const gchar *bridge, const gchar *by,
				gint64 now_us, GError **error);
/* Fills @consent (all NULL/0 if the bridge was never approved). */
gboolean pg_bridge_store_get_consent(PgBridgeStore *self, const gchar *bridge,
				     PgBridgeConsent *consent, GError **error);
/* TRUE if approved and not revoked since; FALSE also on a read error. */
gboolean pg_bridge_store_has_consent(PgBridgeStore *self, const gchar *bridge);

/* ---- phase ---- */

/* The phase is the runtime's word (the config's phase, e.g. "live",
 * "moved", "readonly" from core/pg-config-bridge.h, or a state of its own
 * such as "pending" consent or "paused"); the store only keeps it, with
 * the time it was set. */
gboolean pg_bridge_store_set_phase(PgBridgeStore *self, const gchar *bridge, const gchar *phase,
				   gint64 now_us, GError **error);
/* Returns: (transfer full) @bridge's phase, "pending" for a bridge the store
 * does not know (or on a read error, logged). */
gchar *pg_bridge_store_get_phase(PgBridgeStore *self, const gchar *bridge) G_GNUC_WARN_UNUSED_RESULT;

/* ---- the id map (room message ids <-> legacy lines) ---- */

/* One relayed line.  At least one of stanza_id/origin_id is set. */
typedef struct {
	gint64 id;             /* the map's own row id */
	PgBridgeDirection direction;
	gchar *stanza_id;      /* XEP-0359 <stanza-id by=room> the room gave it, or NULL */
	gchar *origin_id;      /* XEP-0359 <origin-id>, or NULL */
	gchar *legacy_id;      /* the legacy line's own id (IRCv3 msgid), or NULL */
	gchar *nick;           /* who said it on its own side */
	gchar *text;           /* the text as relayed (for corrections), bounded */
	gint64 time_us;
} PgBridgeMapEntry;

void pg_bridge_map_entry_free(PgBridgeMapEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgBridgeMapEntry, pg_bridge_map_entry_free)

/* How many entries each bridge's map keeps (default 10000; the oldest go
 * when an add passes the bound). */
void pg_bridge_store_set_map_limit(PgBridgeStore *self, guint keep);
/* Adds @entry (its id is ignored) to @bridge's map.  Returns: the new row id, or 0 with @error. */
gint64 pg_bridge_store_map_add(PgBridgeStore *self, const gchar *bridge,
			       const PgBridgeMapEntry *entry, GError **error);
/* Sets the stanza-id of the entry whose origin-id is @origin_id (the room
 * reflected our puppet's message).  PG_ERROR_ITEM_NOT_FOUND if none. */
gboolean pg_bridge_store_map_set_stanza_id(PgBridgeStore *self, const gchar *bridge,
					   const gchar *origin_id, const gchar *stanza_id,
					   GError **error);
/* Returns: (transfer full) the entry whose stanza-id or origin-id is @id
 * (the newest if several), or NULL (with @error only on a read failure). */
PgBridgeMapEntry *pg_bridge_store_map_find(PgBridgeStore *self, const gchar *bridge,
					   const gchar *id, GError **error);
/* Drops @bridge's entries older than @before_us.  Returns: how many, or -1 with @error. */
gint64 pg_bridge_store_map_prune(PgBridgeStore *self, const gchar *bridge, gint64 before_us,
				 GError **error);

/* ---- counters, errors, health ---- */

/* Counts @lines relayed @direction at @now_us.  Kept in memory and written
 * at most once a second (or at pg_bridge_store_flush()). */
void pg_bridge_store_count(PgBridgeStore *self, const gchar *bridge, PgBridgeDirection direction,
			   guint lines, gint64 now_us);
/* Writes the pending counters now. */
gboolean pg_bridge_store_flush(PgBridgeStore *self, GError **error);
/* Records the last error @direction (e.g. "excess flood", "409 conflict"). */
gboolean pg_bridge_store_set_error(PgBridgeStore *self, const gchar *bridge,
				   PgBridgeDirection direction, const gchar *message, gint64 now_us,
				   GError **error);
/* The runtime records each puppet's health (XEP-0410 self-ping). */
gboolean pg_bridge_store_set_puppet(PgBridgeStore *self, const gchar *bridge, const gchar *nick,
				    gboolean healthy, gint64 now_us, GError **error);
gboolean pg_bridge_store_remove_puppet(PgBridgeStore *self, const gchar *bridge,
				       const gchar *nick, GError **error);
/* Occupants on each side, as the runtime last saw them. */
gboolean pg_bridge_store_set_occupants(PgBridgeStore *self, const gchar *bridge, guint legacy,
				       guint xmpp, gint64 now_us, GError **error);

/* How many legacy people a room limit (or max_puppets) keeps out of the
 * room: they speak through the relay (src/bridge/pg-bridge-limits.c). */
gboolean pg_bridge_store_set_held_out(PgBridgeStore *self, const gchar *bridge, guint held_out,
				      GError **error);

/* What `polygate bridge status` prints for one bridge. */
typedef struct {
	gchar *bridge;
	gchar *phase;
	gint64 phase_us;                                /* when it was set; 0 never */
	PgBridgeConsent consent;
	guint64 lines[PG_BRIDGE_DIRECTIONS];            /* since the store was made */
	gdouble lines_per_minute[PG_BRIDGE_DIRECTIONS]; /* over the last 5 minutes */
	gchar *last_error[PG_BRIDGE_DIRECTIONS];        /* NULL if none */
	gint64 last_error_us[PG_BRIDGE_DIRECTIONS];
	guint occupants[PG_BRIDGE_DIRECTIONS];          /* [TO_LEGACY]: legacy side, [TO_XMPP]: room */
	gint64 occupants_us;                            /* when counted; 0 never */
	guint puppets;
	guint puppets_healthy;
	guint held_out;                                 /* kept out of the room by a limit */
	guint64 spool_total;
	guint64 spool_pending;                          /* imported, not yet replayed */
} PgBridgeStatus;

void pg_bridge_status_free(PgBridgeStatus *status);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgBridgeStatus, pg_bridge_status_free)

/* Returns: (transfer full) (element-type PgBridgeStatus) one per bridge
 * (only @bridge if not NULL: PG_ERROR_ITEM_NOT_FOUND if unknown), or NULL with @error. */
GPtrArray *pg_bridge_store_status(PgBridgeStore *self, const gchar *bridge, gint64 now_us,
				  GError **error);

/* ---- the import spool ---- */

typedef struct {
	gint64 id;
	PgBridgeLine *line;
	gchar *source;         /* the file it came from */
	gint64 replayed_us;    /* 0 until replayed */
	gchar *stanza_id;      /* the room's id for it once replayed, or NULL */
} PgBridgeSpoolItem;

void pg_bridge_spool_item_free(PgBridgeSpoolItem *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgBridgeSpoolItem, pg_bridge_spool_item_free)

/* Adds @lines (element-type PgBridgeLine) in one transaction.  A line that
 * is already there (same time, kind, nick, text) is skipped, so importing
 * a file twice adds nothing.  *@added and *@duplicates if not NULL. */
gboolean pg_bridge_store_spool_add(PgBridgeStore *self, const gchar *bridge, GPtrArray *lines,
				   const gchar *source, guint *added, guint *duplicates,
				   GError **error);
/* Returns: (transfer full) (element-type PgBridgeSpoolItem) up to @max of
 * @bridge's items ordered by (time, id) that come after (@after_time_us,
 * @after_id) (pass G_MININT64, 0 to start), only those not yet replayed if
 * @pending_only.  NULL with @error. */
GPtrArray *pg_bridge_store_spool_read(PgBridgeStore *self, const gchar *bridge, gint64 after_time_us,
				      gint64 after_id, guint max, gboolean pending_only,
				      GError **error);
/* Marks spool item @id replayed at @now_us as the room's @stanza_id (may be NULL). */
gboolean pg_bridge_store_spool_mark_replayed(PgBridgeStore *self, gint64 id,
					     const gchar *stanza_id, gint64 now_us, GError **error);
/* Drops @bridge's whole spool.  Returns: how many, or -1 with @error. */
gint64 pg_bridge_store_spool_clear(PgBridgeStore *self, const gchar *bridge, GError **error);

/* pg-bridge-store-prefs.c: whether the XMPP person @jid (a bare JID)
 * takes private messages from IRC through per-occupant connections (issue
 * 11 §3); nobody does until they say so. */
gboolean pg_bridge_store_set_private_messages(PgBridgeStore *self, const gchar *jid,
					      gboolean allow, gint64 now_us, GError **error);
gboolean pg_bridge_store_get_private_messages(PgBridgeStore *self, const gchar *jid);

G_END_DECLS
