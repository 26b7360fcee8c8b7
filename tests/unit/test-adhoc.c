/* Unit tests for XEP-0050 ad-hoc commands (src/xmpp/pg-adhoc.c): the command
 * list each requester sees, and the reply to every kind of request, built
 * from parsed stanzas on a transport that never connects. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "core/pg-error.h"
#include "registry/pg-registry.h"
#include "xmpp/pg-adhoc.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-transport-private.h"

#define PG_TEST_TRANSPORT "irc.example.org"
#define PG_TEST_USER "user@example.org/phone"
#define PG_TEST_ADMIN "admin@example.org/desk"
#define PG_TEST_STRANGER "mallory@evil.example/laptop"

static const guint8 pg_test_key[PG_VAULT_KEY_LEN] = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a,
    0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25,
    0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
};

static const gchar pg_test_config[] = "[polygate]\n"
				      "database = registry.db\n"
				      "key_file = registry.key\n"
				      "admins = admin@example.org\n"
				      "\n"
				      "[transport irc]\n"
				      "jid = " PG_TEST_TRANSPORT "\n"
				      "secret = s3cret\n"
				      "type = irc\n";

typedef struct {
	gchar *dir;
	xmpp_ctx_t *ctx;
	PgConfig *config;
	PgVault *vault;
	PgRegistry *registry;
	PgTransport *transport;
} PgTestFixture;

static void
pg_test_fixture_setup(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *config_path = NULL;
	g_autofree gchar *db_path = NULL;

	fixture->dir = g_dir_make_tmp("polygate-test-adhoc-XXXXXX", &error);
	g_assert_no_error(error);
	config_path = g_build_filename(fixture->dir, "polygate.conf", NULL);
	fixture->config = pg_config_load_from_data(pg_test_config, config_path, &error);
	g_assert_no_error(error);
	db_path = g_build_filename(fixture->dir, "registry.db", NULL);
	fixture->vault = pg_vault_new_for_test(1, pg_test_key);
	fixture->registry = pg_registry_open(db_path, fixture->vault, &error);
	g_assert_no_error(error);
	fixture->transport = pg_transport_new(
	    fixture->config, g_ptr_array_index(fixture->config->transports, 0), fixture->registry);
	fixture->ctx = pg_stanza_ctx_new();
}

static void
pg_test_fixture_teardown(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GDir) dir = g_dir_open(fixture->dir, 0, NULL);
	const gchar *name;

	g_clear_pointer(&fixture->transport, pg_transport_free);
	g_clear_pointer(&fixture->registry, pg_registry_free);
	g_clear_pointer(&fixture->vault, pg_vault_free);
	g_clear_pointer(&fixture->config, pg_config_free);
	g_clear_pointer(&fixture->ctx, xmpp_ctx_free);
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *path = g_build_filename(fixture->dir, name, NULL);
		g_unlink(path);
	}
	g_rmdir(fixture->dir);
	g_free(fixture->dir);
}

/* ---- helpers ---- */

static xmpp_stanza_t *
pg_test_parse(PgTestFixture *fixture, const gchar *xml)
{
	xmpp_stanza_t *stanza = xmpp_stanza_new_from_string(fixture->ctx, xml);
	g_assert_nonnull(stanza);
	return stanza;
}

static gchar *
pg_test_to_text(xmpp_stanza_t *stanza)
{
	char *buf = NULL;
	size_t len = 0;
	g_assert_cmpint(xmpp_stanza_to_text(stanza, &buf, &len), ==, XMPP_EOK);
	return buf; /* g_malloc'd: the context allocates with GLib */
}

/* The IQ set of a <command/> from @from; @attributes go inside the tag
 * (e.g. "node='ping' action='cancel'"), @payload inside the element. */
static xmpp_stanza_t *
pg_test_command_iq(PgTestFixture *fixture, const gchar *from, const gchar *attributes,
		   const gchar *payload)
{
	g_autofree gchar *xml = g_strdup_printf(
	    "<iq type='set' id='c1' from='%s' to='" PG_TEST_TRANSPORT "'>"
	    "<command xmlns='" PG_NS_COMMANDS "' %s>%s</command></iq>",
	    from, attributes, payload != NULL ? payload : "");
	return pg_test_parse(fixture, xml);
}

static xmpp_stanza_t *
pg_test_execute(PgTestFixture *fixture, const gchar *from, const gchar *attributes,
		const gchar *payload)
{
	g_autoptr(xmpp_stanza_t) iq = pg_test_command_iq(fixture, from, attributes, payload);
	xmpp_stanza_t *reply = pg_adhoc_reply(fixture->transport, iq);
	g_assert_nonnull(reply);
	g_assert_cmpstr(xmpp_stanza_get_id(reply), ==, "c1");
	g_assert_cmpstr(xmpp_stanza_get_to(reply), ==, from);
	return reply;
}

/* The RFC 6120 condition of an error reply, and its XEP-0050 one (or NULL). */
static void
pg_test_error_conditions(xmpp_stanza_t *reply, const gchar **condition, const gchar **specific)
{
	xmpp_stanza_t *error = xmpp_stanza_get_child_by_name(reply, "error");

	*condition = NULL;
	*specific = NULL;
	g_assert_cmpstr(xmpp_stanza_get_type(reply), ==, "error");
	g_assert_nonnull(error);
	for (xmpp_stanza_t *child = xmpp_stanza_get_children(error); child != NULL;
	     child = xmpp_stanza_get_next(child)) {
		const gchar *ns = xmpp_stanza_get_ns(child);
		if (g_strcmp0(ns, PG_NS_STANZAS) == 0 &&
		    g_strcmp0(xmpp_stanza_get_name(child), "text") != 0)
			*condition = xmpp_stanza_get_name(child);
		else if (g_strcmp0(ns, PG_NS_COMMANDS) == 0)
			*specific = xmpp_stanza_get_name(child);
	}
}

/* "node1,node2" of the items of a disco#items reply on the commands node */
static gchar *
pg_test_listed_nodes(xmpp_stanza_t *reply)
{
	xmpp_stanza_t *query = xmpp_stanza_get_child_by_ns(reply, PG_NS_DISCO_ITEMS);
	g_autoptr(GString) nodes = g_string_new(NULL);

	g_assert_cmpstr(xmpp_stanza_get_type(reply), ==, "result");
	g_assert_nonnull(query);
	g_assert_cmpstr(xmpp_stanza_get_attribute(query, "node"), ==, PG_NS_COMMANDS);
	for (xmpp_stanza_t *item = xmpp_stanza_get_children(query); item != NULL;
	     item = xmpp_stanza_get_next(item)) {
		g_assert_cmpstr(xmpp_stanza_get_name(item), ==, "item");
		g_assert_cmpstr(xmpp_stanza_get_attribute(item, "jid"), ==, PG_TEST_TRANSPORT);
		g_assert_nonnull(xmpp_stanza_get_attribute(item, "name"));
		if (nodes->len > 0)
			g_string_append_c(nodes, ',');
		g_string_append(nodes, xmpp_stanza_get_attribute(item, "node"));
	}
	return g_string_free(g_steal_pointer(&nodes), FALSE);
}

static xmpp_stanza_t *
pg_test_disco(PgTestFixture *fixture, const gchar *ns, const gchar *from, const gchar *node)
{
	g_autofree gchar *xml = g_strdup_printf(
	    "<iq type='get' id='d1' from='%s' to='" PG_TEST_TRANSPORT "'>"
	    "<query xmlns='%s' node='%s'/></iq>",
	    from, ns, node);
	g_autoptr(xmpp_stanza_t) iq = pg_test_parse(fixture, xml);
	xmpp_stanza_t *reply = g_strcmp0(ns, PG_NS_DISCO_ITEMS) == 0
				   ? pg_adhoc_disco_items_reply(fixture->transport, iq, node)
				   : pg_adhoc_disco_info_reply(fixture->transport, iq, node);
	g_assert_nonnull(reply);
	return reply;
}

/* The text of the <note/> and the values of the 'lines' field ("a,b"; NULL
 * if there is no form) of a completed reply. */
static void
pg_test_completed(xmpp_stanza_t *reply, const gchar *node, gchar **note, gchar **lines)
{
	xmpp_stanza_t *command = xmpp_stanza_get_child_by_ns(reply, PG_NS_COMMANDS);
	xmpp_stanza_t *x;
	xmpp_stanza_t *note_element;

	g_assert_cmpstr(xmpp_stanza_get_type(reply), ==, "result");
	g_assert_nonnull(command);
	g_assert_cmpstr(xmpp_stanza_get_attribute(command, "node"), ==, node);
	g_assert_cmpstr(xmpp_stanza_get_attribute(command, "status"), ==, "completed");
	g_assert_nonnull(xmpp_stanza_get_attribute(command, "sessionid"));
	note_element = xmpp_stanza_get_child_by_name(command, "note");
	g_assert_nonnull(note_element);
	g_assert_cmpstr(xmpp_stanza_get_type(note_element), ==, "info");
	*note = xmpp_stanza_get_text(note_element);
	*lines = NULL;
	x = xmpp_stanza_get_child_by_ns(command, PG_NS_DATA);
	if (x != NULL) {
		xmpp_stanza_t *field = xmpp_stanza_get_child_by_name(x, "field");
		g_autoptr(GString) values = g_string_new(NULL);
		g_assert_cmpstr(xmpp_stanza_get_type(x), ==, "result");
		g_assert_nonnull(field);
		g_assert_cmpstr(xmpp_stanza_get_attribute(field, "var"), ==, "lines");
		g_assert_cmpstr(xmpp_stanza_get_type(field), ==, "text-multi");
		for (xmpp_stanza_t *value = xmpp_stanza_get_children(field); value != NULL;
		     value = xmpp_stanza_get_next(value)) {
			g_autofree gchar *text = xmpp_stanza_get_text(value);
			if (values->len > 0)
				g_string_append_c(values, ',');
			g_string_append(values, text != NULL ? text : "");
		}
		*lines = g_string_free(g_steal_pointer(&values), FALSE);
	}
}

static void
pg_test_add_account(PgTestFixture *fixture, const gchar *transport, const gchar *user_jid)
{
	g_autoptr(PgAccount) account = pg_account_new(transport, user_jid, "nick");
	g_autoptr(GError) error = NULL;

	g_assert_true(pg_registry_put_account(fixture->registry, account, NULL, &error));
	g_assert_no_error(error);
}

/* ---- discovery ---- */

static void
test_adhoc_items_hide_admin_commands_from_users(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(xmpp_stanza_t) user = NULL;
	g_autoptr(xmpp_stanza_t) admin = NULL;
	g_autofree gchar *user_nodes = NULL;
	g_autofree gchar *admin_nodes = NULL;

	user = pg_test_disco(fixture, PG_NS_DISCO_ITEMS, PG_TEST_USER, PG_NS_COMMANDS);
	user_nodes = pg_test_listed_nodes(user);
	g_assert_cmpstr(user_nodes, ==, "ping");
	admin = pg_test_disco(fixture, PG_NS_DISCO_ITEMS, PG_TEST_ADMIN, PG_NS_COMMANDS);
	admin_nodes = pg_test_listed_nodes(admin);
	g_assert_cmpstr(admin_nodes, ==, "ping,registered-users");
}

static void
test_adhoc_items_empty_for_a_domain_not_served(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(xmpp_stanza_t) reply =
	    pg_test_disco(fixture, PG_NS_DISCO_ITEMS, PG_TEST_STRANGER, PG_NS_COMMANDS);
	g_autofree gchar *nodes = pg_test_listed_nodes(reply);
	g_assert_cmpstr(nodes, ==, "");
}

static void
test_adhoc_info_of_a_command_node(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(xmpp_stanza_t) reply =
	    pg_test_disco(fixture, PG_NS_DISCO_INFO, PG_TEST_USER, "ping");
	g_autofree gchar *text = pg_test_to_text(reply);
	xmpp_stanza_t *query = xmpp_stanza_get_child_by_ns(reply, PG_NS_DISCO_INFO);
	xmpp_stanza_t *identity;

	g_assert_cmpstr(xmpp_stanza_get_type(reply), ==, "result");
	g_assert_cmpstr(xmpp_stanza_get_attribute(query, "node"), ==, "ping");
	identity = xmpp_stanza_get_child_by_name(query, "identity");
	g_assert_cmpstr(xmpp_stanza_get_attribute(identity, "category"), ==, "automation");
	g_assert_cmpstr(xmpp_stanza_get_attribute(identity, "type"), ==, "command-node");
	g_assert_cmpstr(xmpp_stanza_get_attribute(identity, "name"), ==, "Ping the gateway");
	g_assert_nonnull(strstr(text, "<feature var=\"" PG_NS_COMMANDS "\"/>"));
	g_assert_nonnull(strstr(text, "<feature var=\"" PG_NS_DATA "\"/>"));
}

static void
test_adhoc_info_of_the_commands_node(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(xmpp_stanza_t) reply =
	    pg_test_disco(fixture, PG_NS_DISCO_INFO, PG_TEST_USER, PG_NS_COMMANDS);
	xmpp_stanza_t *query = xmpp_stanza_get_child_by_ns(reply, PG_NS_DISCO_INFO);
	xmpp_stanza_t *identity = xmpp_stanza_get_child_by_name(query, "identity");

	g_assert_cmpstr(xmpp_stanza_get_type(reply), ==, "result");
	g_assert_cmpstr(xmpp_stanza_get_attribute(identity, "category"), ==, "automation");
	g_assert_cmpstr(xmpp_stanza_get_attribute(identity, "type"), ==, "command-list");
}

typedef struct {
	const gchar *ns;
	const gchar *from;
	const gchar *node;
	const gchar *condition;
} PgTestDiscoErrorCase;

static const PgTestDiscoErrorCase pg_test_disco_error_cases[] = {
    {.ns = PG_NS_DISCO_INFO, .from = PG_TEST_USER, .node = "nope", .condition = "item-not-found"},
    {.ns = PG_NS_DISCO_ITEMS, .from = PG_TEST_USER, .node = "nope", .condition = "item-not-found"},
    {.ns = PG_NS_DISCO_ITEMS, .from = PG_TEST_ADMIN, .node = "ping",
     .condition = "item-not-found"},
    {.ns = PG_NS_DISCO_INFO, .from = PG_TEST_USER, .node = "registered-users",
     .condition = "forbidden"},
    {.ns = PG_NS_DISCO_INFO, .from = PG_TEST_STRANGER, .node = "ping", .condition = "forbidden"},
};

static void
test_adhoc_disco_errors(PgTestFixture *fixture, gconstpointer user_data)
{
	for (gsize i = 0; i < G_N_ELEMENTS(pg_test_disco_error_cases); i++) {
		const PgTestDiscoErrorCase *c = &pg_test_disco_error_cases[i];
		g_autoptr(xmpp_stanza_t) reply = pg_test_disco(fixture, c->ns, c->from, c->node);
		const gchar *condition;
		const gchar *specific;

		g_test_message("case %" G_GSIZE_FORMAT ": %s node=%s from %s", i, c->ns, c->node,
			       c->from);
		pg_test_error_conditions(reply, &condition, &specific);
		g_assert_cmpstr(condition, ==, c->condition);
		g_assert_null(specific);
	}
}

/* ---- execution ---- */

typedef struct {
	const gchar *name;
	const gchar *from;
	const gchar *iq_type;    /* NULL: set */
	const gchar *attributes; /* of <command/> */
	const gchar *payload;
	const gchar *status;     /* expected on success */
	const gchar *error_type; /* expected on failure */
	const gchar *condition;
	const gchar *specific;   /* XEP-0050 §4.6 condition, or NULL */
} PgTestExecuteCase;

static const PgTestExecuteCase pg_test_execute_cases[] = {
    {.name = "ping", .from = PG_TEST_USER, .attributes = "node='ping' action='execute'",
     .status = "completed"},
    {.name = "no action means execute", .from = PG_TEST_USER, .attributes = "node='ping'",
     .status = "completed"},
    {.name = "an admin runs user commands too", .from = PG_TEST_ADMIN,
     .attributes = "node='ping'", .status = "completed"},
    {.name = "cancel", .from = PG_TEST_USER,
     .attributes = "node='ping' action='cancel' sessionid='s1'", .status = "canceled"},
    {.name = "admin command by a user", .from = PG_TEST_USER,
     .attributes = "node='registered-users'", .error_type = "auth", .condition = "forbidden"},
    {.name = "unknown node", .from = PG_TEST_ADMIN, .attributes = "node='nope'",
     .error_type = "cancel", .condition = "item-not-found"},
    {.name = "domain not served", .from = PG_TEST_STRANGER, .attributes = "node='ping'",
     .error_type = "auth", .condition = "forbidden"},
    {.name = "a server, not a user", .from = "example.org", .attributes = "node='ping'",
     .error_type = "auth", .condition = "forbidden"},
    {.name = "unknown action", .from = PG_TEST_USER, .attributes = "node='ping' action='fly'",
     .error_type = "modify", .condition = "bad-request", .specific = "malformed-action"},
    {.name = "next on a single stage", .from = PG_TEST_USER,
     .attributes = "node='ping' action='next'", .error_type = "modify",
     .condition = "bad-request", .specific = "bad-action"},
    {.name = "a finished session", .from = PG_TEST_USER,
     .attributes = "node='ping' action='complete' sessionid='s1'", .error_type = "cancel",
     .condition = "not-allowed", .specific = "session-expired"},
    {.name = "a form that is not submitted", .from = PG_TEST_USER, .attributes = "node='ping'",
     .payload = "<x xmlns='jabber:x:data' type='form'/>", .error_type = "modify",
     .condition = "bad-request", .specific = "bad-payload"},
    {.name = "no node", .from = PG_TEST_USER, .attributes = "action='execute'",
     .error_type = "modify", .condition = "bad-request"},
    {.name = "a get", .from = PG_TEST_USER, .iq_type = "get", .attributes = "node='ping'",
     .error_type = "modify", .condition = "bad-request"},
};

static void
test_adhoc_execute_table(PgTestFixture *fixture, gconstpointer user_data)
{
	for (gsize i = 0; i < G_N_ELEMENTS(pg_test_execute_cases); i++) {
		const PgTestExecuteCase *c = &pg_test_execute_cases[i];
		g_autoptr(xmpp_stanza_t) iq =
		    pg_test_command_iq(fixture, c->from, c->attributes, c->payload);
		g_autoptr(xmpp_stanza_t) reply = NULL;
		g_autofree gchar *text = NULL;

		g_test_message("case %" G_GSIZE_FORMAT ": %s", i, c->name);
		if (c->iq_type != NULL)
			xmpp_stanza_set_type(iq, c->iq_type);
		reply = pg_adhoc_reply(fixture->transport, iq);
		g_assert_nonnull(reply);
		text = pg_test_to_text(reply);
		g_test_message("reply: %s", text);
		g_assert_cmpstr(xmpp_stanza_get_id(reply), ==, "c1");
		if (c->status != NULL) {
			xmpp_stanza_t *command = xmpp_stanza_get_child_by_ns(reply, PG_NS_COMMANDS);
			g_assert_cmpstr(xmpp_stanza_get_type(reply), ==, "result");
			g_assert_cmpstr(xmpp_stanza_get_attribute(command, "status"), ==,
					c->status);
			g_assert_cmpstr(xmpp_stanza_get_attribute(command, "node"), ==, "ping");
		} else {
			const gchar *condition;
			const gchar *specific;
			pg_test_error_conditions(reply, &condition, &specific);
			g_assert_cmpstr(condition, ==, c->condition);
			g_assert_cmpstr(specific, ==, c->specific);
			g_assert_cmpstr(xmpp_stanza_get_type(
					    xmpp_stanza_get_child_by_name(reply, "error")),
					==, c->error_type);
			/* RFC 6120 §8.3.1: the error does not echo the request */
			g_assert_null(xmpp_stanza_get_child_by_ns(reply, PG_NS_COMMANDS));
		}
	}
}

static void
test_adhoc_ping_says_who_and_how_long(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(xmpp_stanza_t) reply =
	    pg_test_execute(fixture, PG_TEST_USER, "node='ping'", NULL);
	g_autofree gchar *note = NULL;
	g_autofree gchar *lines = NULL;

	pg_test_completed(reply, "ping", &note, &lines);
	g_assert_true(g_str_has_prefix(note, "pong from " PG_TEST_TRANSPORT ", up "));
	g_assert_true(g_str_has_suffix(note, " s"));
	g_assert_null(lines);
}

static void
test_adhoc_sessionids_are_unique(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(xmpp_stanza_t) a = pg_test_execute(fixture, PG_TEST_USER, "node='ping'", NULL);
	g_autoptr(xmpp_stanza_t) b = pg_test_execute(fixture, PG_TEST_USER, "node='ping'", NULL);

	g_assert_cmpstr(
	    xmpp_stanza_get_attribute(xmpp_stanza_get_child_by_ns(a, PG_NS_COMMANDS), "sessionid"),
	    !=,
	    xmpp_stanza_get_attribute(xmpp_stanza_get_child_by_ns(b, PG_NS_COMMANDS), "sessionid"));
}

static void
test_adhoc_registered_users_lists_this_transport_only(PgTestFixture *fixture,
						       gconstpointer user_data)
{
	g_autoptr(xmpp_stanza_t) empty = NULL;
	g_autoptr(xmpp_stanza_t) reply = NULL;
	g_autofree gchar *note = NULL;
	g_autofree gchar *lines = NULL;
	g_autofree gchar *empty_note = NULL;
	g_autofree gchar *empty_lines = NULL;

	empty = pg_test_execute(fixture, PG_TEST_ADMIN, "node='registered-users'", NULL);
	pg_test_completed(empty, "registered-users", &empty_note, &empty_lines);
	g_assert_cmpstr(empty_note, ==, "0 registered user(s)");
	g_assert_null(empty_lines);

	pg_test_add_account(fixture, PG_TEST_TRANSPORT, "zoe@example.org");
	pg_test_add_account(fixture, PG_TEST_TRANSPORT, "bob@example.org");
	pg_test_add_account(fixture, "sms.example.org", "carol@example.org");
	reply = pg_test_execute(fixture, PG_TEST_ADMIN, "node='registered-users'", NULL);
	pg_test_completed(reply, "registered-users", &note, &lines);
	g_assert_cmpstr(note, ==, "2 registered user(s)");
	g_assert_cmpstr(lines, ==, "bob@example.org,zoe@example.org");
}

static void
test_adhoc_registered_users_admin_outside_allowed_domains(PgTestFixture *fixture,
							  gconstpointer user_data)
{
	/* admins are named by the operator: they need not be of a served domain */
	g_autoptr(xmpp_stanza_t) reply = NULL;
	g_autofree gchar *note = NULL;
	g_autofree gchar *lines = NULL;
	g_auto(GStrv) old = fixture->config->admins;

	fixture->config->admins = g_strsplit("root@ops.example.net", ";", -1);
	reply = pg_test_execute(fixture, "root@ops.example.net/x", "node='registered-users'", NULL);
	pg_test_completed(reply, "registered-users", &note, &lines);
	g_assert_cmpstr(note, ==, "0 registered user(s)");
	g_strfreev(fixture->config->admins);
	fixture->config->admins = g_steal_pointer(&old);
}

/* ---- commands added by other layers ---- */

typedef struct {
	guint calls;
	gchar *user_jid;
	gchar *color;
	gboolean had_form;
} PgTestCommandState;

static gchar *
pg_test_echo_cb(PgTransport *transport, const gchar *user_jid, GHashTable *form_values,
		gpointer user_data, GError **error)
{
	PgTestCommandState *state = user_data;

	state->calls++;
	g_free(state->user_jid);
	state->user_jid = g_strdup(user_jid);
	state->had_form = form_values != NULL;
	if (form_values != NULL) {
		g_free(state->color);
		state->color = g_strdup(g_hash_table_lookup(form_values, "color"));
	}
	return g_strdup("Done: 2 lines follow\r\nfirst\nsecond\n\n");
}

static gchar *
pg_test_refuse_cb(PgTransport *transport, const gchar *user_jid, GHashTable *form_values,
		  gpointer user_data, GError **error)
{
	g_set_error_literal(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE, "no rooms to leave");
	return NULL;
}

static gchar *
pg_test_crash_cb(PgTransport *transport, const gchar *user_jid, GHashTable *form_values,
		 gpointer user_data, GError **error)
{
	g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_IO, "/var/secret/path broke");
	return NULL;
}

static const PgAdhocCommand pg_test_commands[] = {
    {.node = "echo", .name = "Echo", .execute = pg_test_echo_cb},
    {.node = "refuse", .name = "Refuse", .execute = pg_test_refuse_cb},
    {.node = "crash", .name = "Crash", .admin_only = TRUE, .execute = pg_test_crash_cb},
};

static void
test_adhoc_added_commands(PgTestFixture *fixture, gconstpointer user_data)
{
	PgTestCommandState state = {0};
	g_autoptr(xmpp_stanza_t) items = NULL;
	g_autoptr(xmpp_stanza_t) echo = NULL;
	g_autoptr(xmpp_stanza_t) form = NULL;
	g_autoptr(xmpp_stanza_t) refuse = NULL;
	g_autoptr(xmpp_stanza_t) crash = NULL;
	g_autoptr(xmpp_stanza_t) removed = NULL;
	g_autofree gchar *nodes = NULL;
	g_autofree gchar *note = NULL;
	g_autofree gchar *lines = NULL;
	g_autofree gchar *crash_text = NULL;
	const gchar *condition;
	const gchar *specific;

	for (gsize i = 0; i < G_N_ELEMENTS(pg_test_commands); i++)
		pg_transport_add_command(fixture->transport, &pg_test_commands[i], &state);
	items = pg_test_disco(fixture, PG_NS_DISCO_ITEMS, PG_TEST_USER, PG_NS_COMMANDS);
	nodes = pg_test_listed_nodes(items);
	g_assert_cmpstr(nodes, ==, "ping,echo,refuse");

	/* the bare JID, no form; the first line is the note, the rest a form */
	echo = pg_test_execute(fixture, "User@EXAMPLE.org/phone", "node='echo'", NULL);
	pg_test_completed(echo, "echo", &note, &lines);
	g_assert_cmpuint(state.calls, ==, 1);
	g_assert_cmpstr(state.user_jid, ==, "User@example.org");
	g_assert_false(state.had_form);
	g_assert_cmpstr(note, ==, "Done: 2 lines follow");
	g_assert_cmpstr(lines, ==, "first,second");

	form = pg_test_execute(fixture, PG_TEST_USER, "node='echo'",
			       "<x xmlns='jabber:x:data' type='submit'><field var='color'>"
			       "<value>blue</value></field></x>");
	g_assert_cmpstr(xmpp_stanza_get_type(form), ==, "result");
	g_assert_true(state.had_form);
	g_assert_cmpstr(state.color, ==, "blue");

	/* a PG_ERROR is the stanza error; anything else is internal, unnamed */
	refuse = pg_test_execute(fixture, PG_TEST_USER, "node='refuse'", NULL);
	pg_test_error_conditions(refuse, &condition, &specific);
	g_assert_cmpstr(condition, ==, "not-acceptable");
	g_test_expect_message("pg-xmpp", G_LOG_LEVEL_INFO, "*runs the command crash");
	g_test_expect_message("pg-xmpp", G_LOG_LEVEL_INFO, "*the command crash failed*");
	g_test_expect_message("pg-xmpp", G_LOG_LEVEL_WARNING, "internal error answered to *");
	crash = pg_test_execute(fixture, PG_TEST_ADMIN, "node='crash'", NULL);
	g_test_assert_expected_messages();
	pg_test_error_conditions(crash, &condition, &specific);
	g_assert_cmpstr(condition, ==, "internal-server-error");
	crash_text = pg_test_to_text(crash);
	g_assert_null(strstr(crash_text, "/var/secret"));

	g_assert_true(pg_transport_remove_command(fixture->transport, "echo"));
	g_assert_false(pg_transport_remove_command(fixture->transport, "echo"));
	removed = pg_test_execute(fixture, PG_TEST_USER, "node='echo'", NULL);
	pg_test_error_conditions(removed, &condition, &specific);
	g_assert_cmpstr(condition, ==, "item-not-found");
	g_assert_cmpuint(state.calls, ==, 2);
	g_free(state.user_jid);
	g_free(state.color);
}

static void
test_adhoc_no_reply_without_a_sender(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(xmpp_stanza_t) iq = pg_test_parse(
	    fixture,
	    "<iq type='set' id='c1'><command xmlns='" PG_NS_COMMANDS "' node='ping'/></iq>");
	g_assert_null(pg_adhoc_reply(fixture->transport, iq));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define PG_TEST_ADD(path, func)                                                                    \
	g_test_add(path, PgTestFixture, NULL, pg_test_fixture_setup, func, pg_test_fixture_teardown)
	PG_TEST_ADD("/adhoc/disco/items-hide-admin-commands-from-users",
		    test_adhoc_items_hide_admin_commands_from_users);
	PG_TEST_ADD("/adhoc/disco/items-empty-for-a-domain-not-served",
		    test_adhoc_items_empty_for_a_domain_not_served);
	PG_TEST_ADD("/adhoc/disco/info-of-a-command-node", test_adhoc_info_of_a_command_node);
	PG_TEST_ADD("/adhoc/disco/info-of-the-commands-node", test_adhoc_info_of_the_commands_node);
	PG_TEST_ADD("/adhoc/disco/errors-table", test_adhoc_disco_errors);
	PG_TEST_ADD("/adhoc/execute/table", test_adhoc_execute_table);
	PG_TEST_ADD("/adhoc/execute/ping-says-who-and-how-long",
		    test_adhoc_ping_says_who_and_how_long);
	PG_TEST_ADD("/adhoc/execute/sessionids-are-unique", test_adhoc_sessionids_are_unique);
	PG_TEST_ADD("/adhoc/execute/registered-users-lists-this-transport-only",
		    test_adhoc_registered_users_lists_this_transport_only);
	PG_TEST_ADD("/adhoc/execute/admin-outside-allowed-domains-may-run-admin-commands",
		    test_adhoc_registered_users_admin_outside_allowed_domains);
	PG_TEST_ADD("/adhoc/command/added-commands-get-user-form-and-errors",
		    test_adhoc_added_commands);
	PG_TEST_ADD("/adhoc/execute/no-reply-without-a-sender",
		    test_adhoc_no_reply_without_a_sender);
#undef PG_TEST_ADD
	return g_test_run();
}
