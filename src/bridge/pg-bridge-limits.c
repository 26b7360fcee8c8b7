/* Room limits for the bridge's puppets (issue 11).
 *
 * A room may refuse a puppet's join because it is full (XEP-0045 §7.2.10:
 * service-unavailable; ejabberd 23.01 answers max_users with
 * resource-constraint, RFC 6120 §8.3.3.18, as
 * tests/integration/test_bridge_limits.py sees) or closed to it (XEP-0045
 * §7.2: registration-required, forbidden, not-allowed).  Trying again would
 * only be refused again, so the first such refusal becomes the bridge's
 * last error (`polygate bridge status`), no more puppets are sent in, and
 * the IRC channel is told once, in one NOTICE from the bridge's own
 * client, how many of its people the room does not show.  The limit is
 * lifted when the bridge loses the room (a restarted server). */

#include "pg-bridge-private.h"

/* Refusals come back together (one affiliation batch, then the joins):
 * the NOTICE waits this long to count them all. */
#define PG_BRIDGE_LIMITS_NOTICE_S 3

static const gchar *const pg_bridge_limits_conditions[] = {
    "service-unavailable", "resource-constraint", "not-allowed", "registration-required",
    "forbidden", NULL};

static guint
pg_bridge_limits_unshown(PgBridge *bridge)
{
	GHashTableIter iter;
	gpointer value;
	guint n = 0;

	g_hash_table_iter_init(&iter, bridge->puppets);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		n += ((PgBridgePuppet *)value)->refused;
	return n;
}

static gboolean
pg_bridge_limits_notice_cb(gpointer user_data)
{
	PgBridge *bridge = user_data;
	guint n = pg_bridge_limits_unshown(bridge);
	g_autofree gchar *text = NULL;

	bridge->limit_notice_id = 0;
	if (n == 0 || bridge->limit == NULL || !bridge->link.in_channel)
		return G_SOURCE_REMOVE;
	bridge->limit_told = TRUE;
	text = g_strdup_printf("%u %s on IRC could not be shown in the room %s: "
			       "it refused them (%s)",
			       n, n == 1 ? "person" : "people", bridge->config->room, bridge->limit);
	pg_bridge_link_notice(bridge, bridge->config->channel, text);
	return G_SOURCE_REMOVE;
}

static void
pg_bridge_limits_tell(PgBridge *bridge)
{
	if (bridge->limit_told || bridge->limit_notice_id != 0)
		return;
	bridge->limit_notice_id =
	    g_timeout_add_seconds(PG_BRIDGE_LIMITS_NOTICE_S, pg_bridge_limits_notice_cb, bridge);
}

gboolean
pg_bridge_limits_refused(PgBridgePuppet *puppet, const gchar *condition)
{
	PgBridge *bridge = puppet->bridge;

	if (condition == NULL || !g_strv_contains(pg_bridge_limits_conditions, condition))
		return FALSE;
	puppet->state = PG_BRIDGE_OCCUPANT_OUT;
	puppet->refused = TRUE;
	g_queue_clear_full(puppet->lines, g_free);
	if (bridge->limit == NULL) {
		bridge->limit = g_strdup(condition);
		pg_bridge_fail(bridge, PG_BRIDGE_TO_XMPP,
			       g_strdup_printf("%s could not join: %s; no more puppets are sent "
					       "into the room",
					       puppet->irc_nick, condition));
	} else {
		g_message("bridge %s: %s could not join either: %s", bridge->config->name,
			  puppet->irc_nick, condition);
	}
	pg_bridge_limits_tell(bridge);
	return TRUE;
}

gboolean
pg_bridge_limits_allow(PgBridgePuppet *puppet)
{
	PgBridge *bridge = puppet->bridge;

	if (bridge->limit == NULL)
		return TRUE;
	puppet->refused = TRUE;
	pg_bridge_limits_tell(bridge);
	return FALSE;
}

void
pg_bridge_limits_reset(PgBridge *bridge)
{
	GHashTableIter iter;
	gpointer value;

	g_clear_handle_id(&bridge->limit_notice_id, g_source_remove);
	g_clear_pointer(&bridge->limit, g_free);
	bridge->limit_told = FALSE;
	g_hash_table_iter_init(&iter, bridge->puppets);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		((PgBridgePuppet *)value)->refused = FALSE;
}
