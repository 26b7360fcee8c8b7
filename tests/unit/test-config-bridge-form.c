/* Bridges made by command (src/core/pg-config-bridge-form.c): a form's
 * fields are read and checked by the config file's own code, and each
 * problem names its field. */
#include "config.h"

#include <glib.h>

#include "core/pg-config-bridge-form.h"
#include "core/pg-error.h"

static const gchar pg_test_config[] = "[polygate]\n"
				      "database = registry.db\n"
				      "key_file = registry.key\n"
				      "[transport irc]\n"
				      "type = irc\n"
				      "jid = irc.example.org\n"
				      "secret = s3cret\n"
				      "[transport sms]\n"
				      "type = sms\n"
				      "jid = sms.example.org\n"
				      "secret = s3cret2\n"
				      "kannel_token = 0123456789abcdef-TOKEN\n"
				      "[bridge conf]\n"
				      "transport = irc\n"
				      "server = irc.example.net\n"
				      "channel = #conf\n"
				      "room = conf@conference.example.org\n"
				      "nick = confbridge\n";

typedef struct {
	const gchar *name;
	const gchar *field; /* set to value, or NULL */
	const gchar *value;
	const gchar *transport;
	gint code;          /* -1: accepted */
	const gchar *text;  /* the start of the error's message */
} PgFormCase;

static const PgFormCase pg_form_cases[] = {
    {.name = "accepted", .code = -1},
    {.name = "bad-room", .field = "room", .value = "not a jid", .code = PG_ERROR_BAD_REQUEST,
     .text = "room: 'not a jid' is not a bare JID"},
    {.name = "bad-channel", .field = "channel", .value = "nochannel",
     .code = PG_ERROR_BAD_REQUEST, .text = "channel: 'nochannel' is not an IRC channel"},
    {.name = "bad-phase", .field = "phase", .value = "sideways", .code = PG_ERROR_BAD_REQUEST,
     .text = "phase: "},
    {.name = "bad-name", .field = "name", .value = "two words", .code = PG_ERROR_BAD_REQUEST,
     .text = "name: "},
    {.name = "bracket-name", .field = "name", .value = "a]b", .code = PG_ERROR_BAD_REQUEST,
     .text = "name: "},
    {.name = "unknown-key", .field = "colour", .value = "red", .code = PG_ERROR_BAD_REQUEST,
     .text = "colour: unknown key"},
    {.name = "no-password-file", .field = "sasl_password_file", .value = "/etc/shadow",
     .code = PG_ERROR_BAD_REQUEST, .text = "sasl_password_file: "},
    {.name = "config-name-wins", .field = "name", .value = "conf", .code = PG_ERROR_CONFLICT,
     .text = "name: the config file has a [bridge conf]"},
    {.name = "room-of-another", .field = "room", .value = "conf@conference.example.org",
     .code = PG_ERROR_BAD_REQUEST, .text = "room: "},
    {.name = "not-a-network-with-rooms", .transport = "sms", .code = PG_ERROR_BAD_REQUEST,
     .text = "transport: "},
};

/* The fields of a bridge the config would take (transfer full). */
static GHashTable *
pg_test_values_new(void)
{
	GHashTable *values = g_hash_table_new(g_str_hash, g_str_equal);

	g_hash_table_insert(values, "name", "made");
	g_hash_table_insert(values, "channel", "#made");
	g_hash_table_insert(values, "room", "made@conference.example.org");
	g_hash_table_insert(values, "nick", "madebridge");
	g_hash_table_insert(values, "server", "irc.example.net");
	return values;
}

static void
test_form_case(gconstpointer data)
{
	const PgFormCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(PgConfig) config = pg_config_load_from_data(pg_test_config, "/nonexistent/test.conf", &error);
	g_autoptr(GHashTable) values = pg_test_values_new();
	g_autofree gchar *data_text = NULL;
	g_autoptr(PgBridgeConfig) bridge = NULL;

	g_assert_no_error(error);
	g_hash_table_insert(values, "FORM_TYPE", "ignored");
	g_hash_table_insert(values, "port", ""); /* an empty field is an absent key */
	if (c->field != NULL)
		g_hash_table_insert(values, (gpointer)c->field, (gpointer)c->value);
	data_text = pg_config_bridge_form_to_data(values, c->transport != NULL ? c->transport
									       : "irc",
						  &error);
	if (data_text != NULL)
		bridge = pg_config_bridge_form_parse(config, data_text, NULL, &error);
	if (c->code < 0) {
		g_assert_no_error(error);
		g_assert_cmpstr(bridge->name, ==, "made");
		g_assert_cmpstr(bridge->transport, ==, "irc");
		g_assert_cmpstr(bridge->phase, ==, "live");
		g_assert_cmpuint(bridge->port, ==, 0);
		return;
	}
	g_assert_error(error, PG_ERROR, c->code);
	g_assert_true(g_str_has_prefix(error->message, c->text));
	g_assert_null(bridge);
}

/* The text a bridge is kept as reads back the same; a second bridge of the
 * name, or of the room, is refused against those made before it. */
static void
test_form_round_trip_and_others(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgConfig) config = pg_config_load_from_data(pg_test_config, "/nonexistent/test.conf", &error);
	g_autoptr(GHashTable) values = pg_test_values_new();
	g_autoptr(GPtrArray) others =
	    g_ptr_array_new_with_free_func((GDestroyNotify)pg_bridge_config_free);
	g_autofree gchar *data_text = NULL;
	PgBridgeConfig *first;
	PgBridgeConfig *again;

	g_hash_table_insert(values, "kicks_to_irc", "0");
	g_hash_table_insert(values, "puppet_suffix", "[i r c]");
	data_text = pg_config_bridge_form_to_data(values, "irc", &error);
	g_assert_no_error(error);
	first = pg_config_bridge_form_parse(config, data_text, others, &error);
	g_assert_no_error(error);
	g_assert_false(first->kicks_to_irc);
	g_assert_cmpstr(first->puppet_suffix, ==, "[i r c]");
	g_ptr_array_add(others, first);
	again = pg_config_bridge_form_parse(config, data_text, others, &error);
	g_assert_error(error, PG_ERROR, PG_ERROR_CONFLICT);
	g_assert_null(again);
	g_clear_error(&error);
	g_hash_table_insert(values, "name", "made2");
	g_free(data_text);
	data_text = pg_config_bridge_form_to_data(values, "irc", &error);
	g_assert_no_error(error);
	again = pg_config_bridge_form_parse(config, data_text, others, &error);
	g_assert_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST);
	g_assert_true(g_str_has_prefix(error->message, "room: "));
	g_assert_null(again);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(pg_form_cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/config/bridge-form/%s", pg_form_cases[i].name);
		g_test_add_data_func(path, &pg_form_cases[i], test_form_case);
	}
	g_test_add_func("/config/bridge-form/round-trip-and-others", test_form_round_trip_and_others);
	return g_test_run();
}
