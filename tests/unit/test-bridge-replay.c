/* Unit tests of src/bridge/pg-bridge-replay.c: an imported line as the
 * groupchat message its puppet replays into the room, with its original
 * time in a XEP-0203 <delay/> (and in the body for a server that drops
 * it), a XEP-0359 origin-id, and no message for comings and goings. */
#define G_LOG_DOMAIN "test-bridge-replay"

#include "config.h"

#include <string.h>

#include "bridge/pg-bridge-replay.h"
#include "stanza/pg-stanza.h"

/* 2020-01-01 10:00:00 UTC */
#define PG_TEST_T (G_GINT64_CONSTANT(1577872800) * G_USEC_PER_SEC)
#define PG_TEST_ROOM "project@conference.example.org"
#define PG_TEST_FROM "alice%irc.example.net@irc.example.org/bridge"

static xmpp_ctx_t *ctx;

static gchar *
pg_test_replay(const PgBridgeLine *line, PgBridgeReplayStyle style, GTimeZone *zone)
{
	g_autoptr(xmpp_stanza_t) stanza =
	    pg_bridge_replay_stanza(ctx, PG_TEST_FROM, PG_TEST_ROOM, line, style, "o-1", zone);
	gchar *text = NULL;
	size_t len = 0;

	if (stanza == NULL)
		return NULL;
	g_assert_cmpint(xmpp_stanza_to_text(stanza, &text, &len), ==, XMPP_EOK);
	return text;
}

static void
test_bridge_replay_delay(void)
{
	g_autoptr(PgBridgeLine) line =
	    pg_bridge_line_new(PG_TEST_T, "alice", PG_BRIDGE_LINE_MESSAGE, "hello <b> & you");
	g_autoptr(xmpp_stanza_t) stanza = pg_bridge_replay_stanza(
	    ctx, PG_TEST_FROM, PG_TEST_ROOM, line, PG_BRIDGE_REPLAY_DELAY, "o-1", NULL);
	g_autofree gchar *body = NULL;
	xmpp_stanza_t *delay, *origin;

	g_assert_nonnull(stanza);
	g_assert_cmpstr(xmpp_stanza_get_type(stanza), ==, "groupchat");
	g_assert_cmpstr(xmpp_stanza_get_to(stanza), ==, PG_TEST_ROOM);
	g_assert_cmpstr(xmpp_stanza_get_from(stanza), ==, PG_TEST_FROM);
	body = pg_stanza_get_child_text(stanza, "body");
	g_assert_cmpstr(body, ==, "hello <b> & you");
	delay = xmpp_stanza_get_child_by_ns(stanza, PG_NS_DELAY);
	g_assert_nonnull(delay);
	g_assert_cmpstr(xmpp_stanza_get_name(delay), ==, "delay");
	g_assert_cmpstr(xmpp_stanza_get_attribute(delay, "stamp"), ==, "2020-01-01T10:00:00Z");
	g_assert_cmpstr(xmpp_stanza_get_attribute(delay, "from"), ==, PG_TEST_ROOM);
	origin = xmpp_stanza_get_child_by_ns(stanza, PG_NS_SID);
	g_assert_nonnull(origin);
	g_assert_cmpstr(xmpp_stanza_get_name(origin), ==, "origin-id");
	g_assert_cmpstr(xmpp_stanza_get_id(origin), ==, "o-1");
}

static void
test_bridge_replay_time_in_body(void)
{
	g_autoptr(GTimeZone) paris = g_time_zone_new_identifier("Europe/Paris");
	/* the second line of that minute: 1 µs later (pg-bridge-import.c) */
	g_autoptr(PgBridgeLine) line =
	    pg_bridge_line_new(PG_TEST_T + 1, "alice", PG_BRIDGE_LINE_MESSAGE, "hello");
	g_autoptr(PgBridgeLine) action =
	    pg_bridge_line_new(PG_TEST_T, "alice", PG_BRIDGE_LINE_ACTION, "waves");
	g_autofree gchar *xml = pg_test_replay(line, PG_BRIDGE_REPLAY_TIME_IN_BODY, paris);
	g_autofree gchar *action_xml = pg_test_replay(action, PG_BRIDGE_REPLAY_TIME_IN_BODY, NULL);

	g_assert_nonnull(strstr(xml, "<body>[2020-01-01 11:00] hello</body>"));
	g_assert_nonnull(strstr(xml, "\"2020-01-01T10:00:00.000001Z\""));
	/* XEP-0245: /me opens the body */
	g_assert_nonnull(strstr(action_xml, "<body>/me waves [2020-01-01 10:00]</body>"));
}

static void
test_bridge_replay_skips_comings_and_goings(void)
{
	static const PgBridgeLineKind none[] = {
	    PG_BRIDGE_LINE_JOIN,  PG_BRIDGE_LINE_PART, PG_BRIDGE_LINE_QUIT,  PG_BRIDGE_LINE_NICK,
	    PG_BRIDGE_LINE_TOPIC, PG_BRIDGE_LINE_KICK, PG_BRIDGE_LINE_MODE, PG_BRIDGE_LINE_OTHER,
	};

	for (guint i = 0; i < G_N_ELEMENTS(none); i++) {
		g_autoptr(PgBridgeLine) line = pg_bridge_line_new(PG_TEST_T, "a", none[i], "x");
		g_autofree gchar *xml = pg_test_replay(line, PG_BRIDGE_REPLAY_DELAY, NULL);

		g_assert_null(xml);
	}
	{
		g_autoptr(PgBridgeLine) empty =
		    pg_bridge_line_new(PG_TEST_T, "a", PG_BRIDGE_LINE_MESSAGE, "");
		g_autofree gchar *xml = pg_test_replay(empty, PG_BRIDGE_REPLAY_DELAY, NULL);

		g_assert_null(xml);
	}
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	ctx = pg_stanza_ctx_new();
	g_test_add_func("/bridge-replay/delay-and-origin-id", test_bridge_replay_delay);
	g_test_add_func("/bridge-replay/time-in-body-for-prosody", test_bridge_replay_time_in_body);
	g_test_add_func("/bridge-replay/no-message-for-comings-and-goings",
			test_bridge_replay_skips_comings_and_goings);
	rc = g_test_run();
	xmpp_ctx_free(ctx);
	return rc;
}
