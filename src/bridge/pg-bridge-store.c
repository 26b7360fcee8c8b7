/* PgBridgeStore: the community bridges' own SQLite state (pg-bridge-store.h).
 * Skeleton: the storage lands in the next commit. */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include "bridge/pg-bridge-store.h"

static const gchar *const pg_bridge_phase_names[PG_BRIDGE_PHASE_LAST] = {
	[PG_BRIDGE_PHASE_PENDING] = "pending",     [PG_BRIDGE_PHASE_ACTIVE] = "active",
	[PG_BRIDGE_PHASE_PAUSED] = "paused",       [PG_BRIDGE_PHASE_MOVED] = "moved",
	[PG_BRIDGE_PHASE_READ_ONLY] = "read-only",
};

const gchar *
pg_bridge_phase_to_string(PgBridgePhase phase)
{
	if ((guint)phase >= PG_BRIDGE_PHASE_LAST)
		return NULL;
	return pg_bridge_phase_names[phase];
}

gboolean
pg_bridge_phase_from_string(const gchar *name, PgBridgePhase *phase)
{
	if (name == NULL)
		return FALSE;
	for (guint i = 0; i < PG_BRIDGE_PHASE_LAST; i++) {
		if (g_strcmp0(name, pg_bridge_phase_names[i]) == 0) {
			*phase = (PgBridgePhase)i;
			return TRUE;
		}
	}
	return FALSE;
}

const gchar *
pg_bridge_direction_to_string(PgBridgeDirection direction)
{
	switch (direction) {
	case PG_BRIDGE_TO_LEGACY:
		return "to-legacy";
	case PG_BRIDGE_TO_XMPP:
		return "to-xmpp";
	default:
		return NULL;
	}
}

gchar *
pg_bridge_store_default_path(const gchar *registry_path)
{
	return g_strconcat(registry_path, ".bridge", NULL);
}
