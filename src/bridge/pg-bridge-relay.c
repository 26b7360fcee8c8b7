/* What XMPP occupants say, as lines of the bridge's IRC client (issue 11
 * §3, §4): one relay speaks for everyone as "<nick> text"
 * (pg-bridge-render.h says how each line reads).
 *
 * - XEP-0461 replies: the quote goes (its XEP-0428 fallback range), the
 *   author's nick comes in front.
 * - XEP-0308 corrections: IRC has none; the old text comes from the
 *   store's id map (pg-bridge-store.h), which keeps each relayed message
 *   under its id and its room stanza-id, and the line says what changed.
 * - A message the multi-line policy refuses is answered privately to its
 *   sender, from the relay occupant; nothing of it reaches IRC.
 */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include <string.h>

#include "bridge/pg-bridge-private.h"
#include "stanza/pg-stanza.h"

#define PG_BRIDGE_NS_REPLACE "urn:xmpp:message-correct:0"
#define PG_BRIDGE_NS_REPLY "urn:xmpp:reply:0"
#define PG_BRIDGE_NS_FALLBACK "urn:xmpp:fallback:0"

/* Tell @nick (an occupant) privately why their message did not reach IRC. */
static void
pg_bridge_relay_tell(PgBridge *bridge, const gchar *nick, const gchar *text)
{
	g_autoptr(xmpp_stanza_t) answer =
	    xmpp_message_new(pg_transport_get_ctx(bridge->transport), "chat", NULL, NULL);
	g_autofree gchar *to = g_strdup_printf("%s/%s", bridge->config->room, nick);

	pg_stanza_set_from(answer, bridge->jid);
	pg_stanza_set_to(answer, to);
	pg_stanza_set_body(answer, text);
	if (pg_transport_is_connected(bridge->transport))
		pg_transport_send(bridge->transport, answer);
}

/* XEP-0461 §4: the reply's author (the resource of 'to') and, through its
 * XEP-0428 fallback, the body without the quote.  (transfer full) */
static gchar *
pg_bridge_relay_reply_body(xmpp_stanza_t *message, const gchar *body, gchar **reply_nick)
{
	xmpp_stanza_t *reply = xmpp_stanza_get_child_by_name_and_ns(message, "reply",
								     PG_BRIDGE_NS_REPLY);
	const gchar *to = reply != NULL ? xmpp_stanza_get_attribute(reply, "to") : NULL;
	const gchar *slash = to != NULL ? strchr(to, '/') : NULL;

	*reply_nick = slash != NULL && slash[1] != '\0' ? g_strdup(slash + 1) : NULL;
	for (xmpp_stanza_t *child = xmpp_stanza_get_children(message); child != NULL;
	     child = xmpp_stanza_get_next(child)) {
		xmpp_stanza_t *range;
		const gchar *start;
		const gchar *end;

		if (g_strcmp0(xmpp_stanza_get_name(child), "fallback") != 0 ||
		    g_strcmp0(xmpp_stanza_get_ns(child), PG_BRIDGE_NS_FALLBACK) != 0 ||
		    g_strcmp0(xmpp_stanza_get_attribute(child, "for"), PG_BRIDGE_NS_REPLY) != 0)
			continue;
		range = xmpp_stanza_get_child_by_name(child, "body");
		start = range != NULL ? xmpp_stanza_get_attribute(range, "start") : NULL;
		end = range != NULL ? xmpp_stanza_get_attribute(range, "end") : NULL;
		if (start != NULL && end != NULL)
			return pg_bridge_render_strip_fallback(body, g_ascii_strtoll(start, NULL, 10),
							       g_ascii_strtoll(end, NULL, 10));
	}
	return g_strdup(body);
}

/* Keep what was said under @ids (the message's id, its stanza-id) for a
 * later correction of it (XEP-0308 names the id it corrects). */
static void
pg_bridge_relay_map(PgBridge *bridge, const gchar *origin_id, const gchar *stanza_id,
		   const gchar *nick, const gchar *text)
{
	PgBridgeMapEntry entry = {
	    .direction = PG_BRIDGE_TO_LEGACY,
	    .stanza_id = (gchar *)stanza_id,
	    .origin_id = (gchar *)origin_id,
	    .nick = (gchar *)nick,
	    .text = (gchar *)text,
	    .time_us = g_get_real_time(),
	};
	g_autoptr(GError) error = NULL;

	if (bridge->store == NULL || (origin_id == NULL && stanza_id == NULL))
		return;
	if (pg_bridge_store_map_add(bridge->store, bridge->config->name, &entry, &error) == 0)
		g_warning("bridge %s: %s", bridge->config->name, error->message);
}

/* @lines from @client, the person's own connection, or from the relay */
static void
pg_bridge_relay_say_lines(PgBridge *bridge, PgBridgeClient *client, GStrv lines)
{
	if (client != NULL) {
		pg_bridge_clients_send(client, lines);
		return;
	}
	for (guint i = 0; lines != NULL && lines[i] != NULL; i++)
		pg_bridge_link_say(bridge, lines[i]);
}

/* An XMPP occupant's message, as IRC lines of the relay
 * (pg-bridge-render.h says how they read). */
void
pg_bridge_relay_message(PgBridge *bridge, xmpp_stanza_t *message, const gchar *nick,
			     const gchar *stanza_id)
{
	g_autofree gchar *body = pg_stanza_get_child_text(message, "body");
	xmpp_stanza_t *replace =
	    xmpp_stanza_get_child_by_name_and_ns(message, "replace", PG_BRIDGE_NS_REPLACE);
	const gchar *id = xmpp_stanza_get_id(message);
	g_autofree gchar *reply_nick = NULL;
	g_autofree gchar *text = NULL;
	g_auto(GStrv) lines = NULL;
	g_autoptr(GError) error = NULL;
	PgBridgeClient *client;
	const PgBridgeRenderPolicy *policy;

	if (body == NULL || bridge->paused)
		return;
	/* irc_clients = per-occupant: the person's own connection, as plain
	 * lines (pg-bridge-clients.c); else the relay */
	client = pg_bridge_clients_speaker(bridge, nick);
	policy = client != NULL ? pg_bridge_clients_policy(bridge) : &bridge->policy;
	if (replace != NULL && xmpp_stanza_get_attribute(replace, "id") != NULL) {
		const gchar *old_id = xmpp_stanza_get_attribute(replace, "id");
		g_autoptr(PgBridgeMapEntry) old =
		    bridge->store != NULL ? pg_bridge_store_map_find(bridge->store,
								     bridge->config->name, old_id,
								     NULL)
					  : NULL;
		g_autofree gchar *line = pg_bridge_render_correction(
		    policy, nick, old != NULL ? old->text : NULL, body);
		gchar *one[] = {line, NULL};
		if (line != NULL)
			pg_bridge_relay_say_lines(bridge, client, one);
		/* the next correction names the first id again (XEP-0308 §4) */
		pg_bridge_relay_map(bridge, old_id, stanza_id, nick, body);
		return;
	}
	text = pg_bridge_relay_reply_body(message, body, &reply_nick);
	lines = pg_bridge_render_message(policy, nick, text, reply_nick, &error);
	if (lines == NULL) {
		g_autofree gchar *why = g_strdup_printf("Not relayed to IRC: %s", error->message);
		pg_bridge_relay_tell(bridge, nick, why);
		return;
	}
	pg_bridge_relay_say_lines(bridge, client, lines);
	pg_bridge_relay_map(bridge, id, stanza_id, nick, text);
}
