/* PgBridgeReplay: imported lines as replayed groupchat messages
 * (pg-bridge-replay.h). */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include "bridge/pg-bridge-replay.h"
#include "stanza/pg-stanza.h"

/* XEP-0082 DateTime in UTC, with the µs that tell equal seconds apart
 * (pg-bridge-import.c) when there are any. */
static gchar *
pg_bridge_replay_stamp(gint64 time_us)
{
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(time_us / G_USEC_PER_SEC);
	g_autoptr(GDateTime) exact = NULL;

	if (utc == NULL)
		return NULL;
	if (time_us % G_USEC_PER_SEC == 0)
		return g_date_time_format(utc, "%Y-%m-%dT%H:%M:%SZ");
	exact = g_date_time_add(utc, time_us % G_USEC_PER_SEC);
	return g_date_time_format(exact, "%Y-%m-%dT%H:%M:%S.%fZ");
}

xmpp_stanza_t *
pg_bridge_replay_stanza(xmpp_ctx_t *ctx, const gchar *from, const gchar *room,
			const PgBridgeLine *line, PgBridgeReplayStyle style, const gchar *origin_id,
			GTimeZone *zone)
{
	g_autoptr(xmpp_stanza_t) message = NULL;
	g_autofree gchar *stamp = NULL;
	g_autofree gchar *body = NULL;
	g_autofree gchar *when = NULL;
	xmpp_stanza_t *child;
	const gchar *text = line->text;

	if (line->kind != PG_BRIDGE_LINE_MESSAGE && line->kind != PG_BRIDGE_LINE_NOTICE &&
	    line->kind != PG_BRIDGE_LINE_ACTION)
		return NULL;
	if (text[0] == '\0')
		return NULL;
	stamp = pg_bridge_replay_stamp(line->time_us);
	if (stamp == NULL)
		return NULL;
	if (style == PG_BRIDGE_REPLAY_TIME_IN_BODY) {
		g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
		g_autoptr(GDateTime) at =
		    g_date_time_new_from_unix_utc(line->time_us / G_USEC_PER_SEC);
		g_autoptr(GDateTime) local =
		    g_date_time_to_timezone(at, zone != NULL ? zone : utc);

		when = g_date_time_format(local, "[%Y-%m-%d %H:%M]");
	}
	/* XEP-0245: "/me " must open the body, so an action's time goes last */
	if (line->kind == PG_BRIDGE_LINE_ACTION)
		body = when != NULL ? g_strdup_printf("/me %s %s", text, when)
				    : g_strconcat("/me ", text, NULL);
	else
		body = when != NULL ? g_strdup_printf("%s %s", when, text) : g_strdup(text);
	message = xmpp_message_new(ctx, "groupchat", NULL, NULL);
	pg_stanza_set_from(message, from);
	pg_stanza_set_to(message, room);
	pg_stanza_set_body(message, body);
	child = pg_stanza_add_child(message, "delay", PG_NS_DELAY);
	pg_stanza_set_from(child, room);
	pg_stanza_set_attribute(child, "stamp", stamp);
	if (origin_id != NULL) {
		child = pg_stanza_add_child(message, "origin-id", PG_NS_SID);
		pg_stanza_set_attribute(child, "id", origin_id);
	}
	return g_steal_pointer(&message);
}
