/* Unit tests of src/bridge/pg-bridge-export.c: imported lines as a room's
 * website shows them.  A log line full of markup stays text in HTML;
 * times are shown in the zone asked for; each kind reads as a sentence. */
#define G_LOG_DOMAIN "test-bridge-export"

#include "config.h"

#include <string.h>

#include "bridge/pg-bridge-export.h"

/* 2026-12-03 09:00:00 UTC */
#define PG_TEST_T0 (G_GINT64_CONSTANT(1796288400) * G_USEC_PER_SEC)

static void
test_bridge_export_html_escapes(void)
{
	g_autoptr(PgBridgeLine) line = pg_bridge_line_new(
	    PG_TEST_T0 + 7, "<script>", PG_BRIDGE_LINE_MESSAGE,
	    "</li><script>alert('x')</script> & \"q\"");
	g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
	g_autoptr(GString) out = g_string_new(NULL);

	pg_bridge_export_append_head(out, PG_BRIDGE_EXPORT_HTML, "<b>title</b>");
	pg_bridge_export_append_line(out, PG_BRIDGE_EXPORT_HTML, line, utc);
	pg_bridge_export_append_tail(out, PG_BRIDGE_EXPORT_HTML);
	g_assert_null(strstr(out->str, "<script>"));
	g_assert_null(strstr(out->str, "<b>"));
	g_assert_nonnull(strstr(out->str, "&lt;script&gt;"));
	g_assert_nonnull(strstr(out->str, "&lt;/li&gt;"));
	g_assert_nonnull(strstr(out->str, "&amp; &quot;q&quot;"));
	/* one anchor per line, the µs telling equal seconds apart */
	g_assert_nonnull(strstr(out->str, "id=\"t090000-7\""));
	g_assert_true(g_str_has_suffix(out->str, "</ul>\n</body></html>\n"));
}

static void
test_bridge_export_text_in_a_zone(void)
{
	g_autoptr(PgBridgeLine) line =
	    pg_bridge_line_new(PG_TEST_T0, "alice", PG_BRIDGE_LINE_ACTION, "waves");
	g_autoptr(GTimeZone) tokyo = g_time_zone_new_identifier("Asia/Tokyo");
	g_autoptr(GString) out = g_string_new(NULL);

	g_assert_nonnull(tokyo);
	pg_bridge_export_append_line(out, PG_BRIDGE_EXPORT_TEXT, line, tokyo);
	g_assert_cmpstr(out->str, ==, "[18:00:00] * alice waves\n");
}

typedef struct {
	PgBridgeLineKind kind;
	const gchar *text;
	const gchar *expect;
} PgTestDescribeCase;

static const PgTestDescribeCase describe_cases[] = {
    {PG_BRIDGE_LINE_MESSAGE, "hi", "<bob> hi"},
    {PG_BRIDGE_LINE_NOTICE, "hi", "-bob- hi"},
    {PG_BRIDGE_LINE_JOIN, "", "bob joined"},
    {PG_BRIDGE_LINE_PART, "", "bob left"},
    {PG_BRIDGE_LINE_PART, "bye", "bob left (bye)"},
    {PG_BRIDGE_LINE_QUIT, "Ping timeout", "bob quit (Ping timeout)"},
    {PG_BRIDGE_LINE_NICK, "bob_", "bob is now known as bob_"},
    {PG_BRIDGE_LINE_TOPIC, "new", "bob set the topic: new"},
    {PG_BRIDGE_LINE_KICK, "op (spam)", "bob was kicked by op (spam)"},
    {PG_BRIDGE_LINE_MODE, "+o carol", "bob sets mode +o carol"},
};

static void
test_bridge_export_describe(gconstpointer data)
{
	const PgTestDescribeCase *test = data;
	g_autoptr(PgBridgeLine) line = pg_bridge_line_new(0, "bob", test->kind, test->text);
	g_autofree gchar *what = pg_bridge_export_describe(line);

	g_assert_cmpstr(what, ==, test->expect);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bridge-export/html/escapes-every-text", test_bridge_export_html_escapes);
	g_test_add_func("/bridge-export/text/time-in-a-zone", test_bridge_export_text_in_a_zone);
	for (guint i = 0; i < G_N_ELEMENTS(describe_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/bridge-export/describe/%u", i);
		g_test_add_data_func(path, &describe_cases[i], test_bridge_export_describe);
	}
	return g_test_run();
}
