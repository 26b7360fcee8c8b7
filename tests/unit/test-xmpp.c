/* Unit tests for src/xmpp: data forms, JID escaping and translation, stanza errors. */
#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "stanza/pg-form.h"
#include "network/pg-network-irc.h"
#include "network/pg-network-purple.h"
#include "network/pg-network-sms.h"
#include "stanza/pg-jid.h"
#include "stanza/pg-stanza.h"

static xmpp_ctx_t *test_ctx;

static xmpp_stanza_t *
test_parse(const gchar *xml)
{
	xmpp_stanza_t *stanza = xmpp_stanza_new_from_string(test_ctx, xml);
	g_assert_nonnull(stanza);
	return stanza;
}

static gchar *
test_to_text(xmpp_stanza_t *stanza)
{
	char *buf = NULL;
	size_t len = 0;
	g_assert_cmpint(xmpp_stanza_to_text(stanza, &buf, &len), ==, XMPP_EOK);
	return buf; /* g_malloc'd: the context allocates with GLib */
}

static void
test_form_build(void)
{
	g_autoptr(PgForm) form = pg_form_new("form", "jabber:iq:register", "Title", "Fill it in");
	g_autoptr(xmpp_stanza_t) x = NULL;
	g_autofree gchar *text = NULL;
	xmpp_stanza_t *field;
	guint n = 0;

	pg_form_add_field(form, "nick", "text-single", "Nick", TRUE, "alice");
	pg_form_add_field(form, "password", "text-private", "Password", FALSE, NULL);
	x = pg_form_to_stanza(form, test_ctx);
	g_assert_cmpstr(xmpp_stanza_get_ns(x), ==, "jabber:x:data");
	g_assert_cmpstr(xmpp_stanza_get_type(x), ==, "form");
	for (field = xmpp_stanza_get_child_by_name(x, "field"); field != NULL;
	     field = xmpp_stanza_get_next(field)) {
		const gchar *var = xmpp_stanza_get_attribute(field, "var");
		if (g_strcmp0(xmpp_stanza_get_name(field), "field") != 0)
			continue;
		n++;
		if (g_strcmp0(var, "FORM_TYPE") == 0) {
			g_autofree gchar *value = pg_stanza_get_child_text(field, "value");
			g_assert_cmpstr(xmpp_stanza_get_type(field), ==, "hidden");
			g_assert_cmpstr(value, ==, "jabber:iq:register");
		} else if (g_strcmp0(var, "nick") == 0) {
			g_autofree gchar *value = pg_stanza_get_child_text(field, "value");
			g_assert_nonnull(xmpp_stanza_get_child_by_name(field, "required"));
			g_assert_cmpstr(value, ==, "alice");
			g_assert_cmpstr(xmpp_stanza_get_attribute(field, "label"), ==, "Nick");
		} else {
			g_assert_cmpstr(var, ==, "password");
			g_assert_null(xmpp_stanza_get_child_by_name(field, "required"));
			g_assert_null(xmpp_stanza_get_child_by_name(field, "value"));
		}
	}
	g_assert_cmpuint(n, ==, 3);
	text = test_to_text(x);
	g_assert_nonnull(strstr(text, "<title>Title</title>"));
}

typedef struct {
	const gchar *xml;
	const gchar *nick;     /* expected value of 'nick', NULL if absent */
	gint error;            /* -1: parses */
} TestFormCase;

static const TestFormCase test_form_cases[] = {
    {.xml = "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>jabber:iq:"
	    "register</value></field><field var='nick'><value>bob</value></field></x>",
     .nick = "bob", .error = -1},
    {.xml = "<x xmlns='jabber:x:data' type='submit'><field var='nick'><value>a</value>"
	    "<value>b</value></field><field var='nick'><value>c</value></field></x>",
     .nick = "a\nb", .error = -1}, /* several values: joined (text-multi); a repeat: ignored */
    {.xml = "<x xmlns='jabber:x:data' type='submit'><field var='nick'/></x>", .nick = "",
     .error = -1},
    {.xml = "<x xmlns='jabber:x:data' type='submit'/>", .nick = NULL, .error = -1},
    {.xml = "<x xmlns='jabber:x:data' type='form'><field var='nick'><value>x</value></field></x>",
     .error = PG_ERROR_BAD_REQUEST},
    {.xml = "<x xmlns='jabber:x:data'><field var='nick'><value>x</value></field></x>",
     .error = PG_ERROR_BAD_REQUEST},
    {.xml = "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:other"
	    "</value></field></x>",
     .error = PG_ERROR_BAD_REQUEST},
};

static void
test_form_parse_table(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(test_form_cases); i++) {
		const TestFormCase *c = &test_form_cases[i];
		g_autoptr(xmpp_stanza_t) x = test_parse(c->xml);
		g_autoptr(GError) error = NULL;
		g_autoptr(GHashTable) values = pg_form_parse_submit(x, "jabber:iq:register", &error);

		g_test_message("case %zu: %s", i, c->xml);
		if (c->error >= 0) {
			g_assert_error(error, PG_ERROR, c->error);
			g_assert_null(values);
			continue;
		}
		g_assert_no_error(error);
		g_assert_nonnull(values);
		g_assert_cmpstr(g_hash_table_lookup(values, "nick"), ==, c->nick);
	}
}

typedef struct {
	const gchar *text;
	const gchar *escaped;
} TestEscapeCase;

/* XEP-0106 §5 examples and every escaped character */
static const TestEscapeCase test_escape_cases[] = {
    {.text = "space cadet", .escaped = "space\\20cadet"},
    {.text = "call me \"ishmael\"", .escaped = "call\\20me\\20\\22ishmael\\22"},
    {.text = "at&t guy", .escaped = "at\\26t\\20guy"},
    {.text = "d'artagnan", .escaped = "d\\27artagnan"},
    {.text = "/.fanboy", .escaped = "\\2f.fanboy"},
    {.text = "::foo::", .escaped = "\\3a\\3afoo\\3a\\3a"},
    {.text = "<foo>", .escaped = "\\3cfoo\\3e"},
    {.text = "user@host", .escaped = "user\\40host"},
    {.text = "c:\\net", .escaped = "c\\3a\\net"},
    {.text = "c:\\\\net", .escaped = "c\\3a\\\\net"},
    {.text = "c:\\cool stuff", .escaped = "c\\3a\\cool\\20stuff"},
    {.text = "c:\\5commas", .escaped = "c\\3a\\5c5commas"},
    {.text = "plain[nick]|_^", .escaped = "plain[nick]|_^"},
};

static void
test_jid_escape_table(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(test_escape_cases); i++) {
		g_autofree gchar *escaped = pg_jid_escape_node(test_escape_cases[i].text);
		g_autofree gchar *back = pg_jid_unescape_node(escaped);
		g_assert_cmpstr(escaped, ==, test_escape_cases[i].escaped);
		g_assert_cmpstr(back, ==, test_escape_cases[i].text);
	}
}

static void
test_jid_irc_nick(void)
{
	static const gchar *const good[] = {"alice", "[away]", "a-b", "x9", "`^_|{}", "A"};
	static const gchar *const bad[] = {"", "9lives", "-dash", "a b", "a@b", "a!b", "#chan",
					   "a,b", "é"};
	for (gsize i = 0; i < G_N_ELEMENTS(good); i++)
		g_assert_true(pg_network_irc_is_valid_nick(good[i]));
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_false(pg_network_irc_is_valid_nick(bad[i]));
}

typedef struct {
	PgTransportType type;
	const gchar *irc_server;
	const gchar *legacy_id;
	const gchar *jid; /* NULL: jid-malformed */
} TestLegacyCase;

static const TestLegacyCase test_legacy_cases[] = {
    {PG_TRANSPORT_TYPE_IRC, NULL, "bob%irc.example.net", "bob%irc.example.net@gw.example.org"},
    {PG_TRANSPORT_TYPE_IRC, NULL, "bob%IRC.Example.NET", "bob%irc.example.net@gw.example.org"},
    {PG_TRANSPORT_TYPE_IRC, NULL, "#chan%irc.example.net", "#chan%irc.example.net@gw.example.org"},
    {PG_TRANSPORT_TYPE_IRC, NULL, "bob", NULL},
    {PG_TRANSPORT_TYPE_IRC, "irc.example.net", "bob", "bob@gw.example.org"},
    {PG_TRANSPORT_TYPE_IRC, "irc.example.net", "bob%irc.example.net", "bob@gw.example.org"},
    {PG_TRANSPORT_TYPE_IRC, "irc.example.net", "bob%other.net", "bob%other.net@gw.example.org"},
    {PG_TRANSPORT_TYPE_IRC, NULL, "bad nick%irc.example.net", NULL},
    {PG_TRANSPORT_TYPE_IRC, NULL, "bob%bad/server", NULL},
    {PG_TRANSPORT_TYPE_SMS, NULL, "+1 555 123-4567", "+15551234567@gw.example.org"},
    {PG_TRANSPORT_TYPE_SMS, NULL, "0044 20 7946 0958", "+442079460958@gw.example.org"},
    {PG_TRANSPORT_TYPE_SMS, NULL, "12ab", NULL},
    {PG_TRANSPORT_TYPE_SMS, NULL, "", NULL},
    {PG_TRANSPORT_TYPE_PURPLE, NULL, "bob@legacy.example.net",
     "bob\\40legacy.example.net@gw.example.org"},
    {PG_TRANSPORT_TYPE_PURPLE, NULL, "  ", NULL},
};

static void
test_jid_from_legacy_table(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(test_legacy_cases); i++) {
		const TestLegacyCase *c = &test_legacy_cases[i];
		PgTransportConfig transport = {
		    .jid = (gchar *)"gw.example.org",
		    .type = c->type,
		    .irc_server = (gchar *)c->irc_server,
		};
		g_autoptr(GError) error = NULL;
		g_autofree gchar *jid = pg_network_jid_from_legacy_id(&transport, c->legacy_id, &error);

		g_test_message("case %zu: %s", i, c->legacy_id);
		if (c->jid == NULL) {
			g_assert_error(error, PG_ERROR, PG_ERROR_JID_MALFORMED);
			g_assert_null(jid);
		} else {
			g_assert_no_error(error);
			g_assert_cmpstr(jid, ==, c->jid);
		}
	}
}

typedef struct {
	const gchar *irc_server; /* the transport's fixed server, or NULL */
	const gchar *jid;
	const gchar *name;       /* NULL: refused */
	const gchar *server;
	const gchar *resource;
	gboolean is_channel;
	const gchar *back;       /* pg_network_irc_to_jid() of the parsed parts */
} TestIrcCase;

static const TestIrcCase test_irc_cases[] = {
    {NULL, "#chan%irc.example.net@gw.example.org/alice", "#chan", "irc.example.net", "alice",
     TRUE, "#chan%irc.example.net@gw.example.org/alice"},
    {NULL, "bob%IRC.Example.net@gw.example.org", "bob", "irc.example.net", NULL, FALSE,
     "bob%irc.example.net@gw.example.org"},
    {"irc.example.net", "bob@gw.example.org", "bob", "irc.example.net", NULL, FALSE,
     "bob@gw.example.org"},
    {"irc.example.net", "#c@gw.example.org/me", "#c", "irc.example.net", "me", TRUE,
     "#c@gw.example.org/me"},
    {"irc.example.net", "bob%other.net@gw.example.org", "bob", "other.net", NULL, FALSE,
     "bob%other.net@gw.example.org"},
    /* XEP-0106: a channel name with characters a local part cannot hold */
    {NULL, "#a\\26b%irc.example.net@gw.example.org", "#a&b", "irc.example.net", NULL, TRUE,
     "#a\\26b%irc.example.net@gw.example.org"},
    {NULL, "#a\\40b%irc.example.net@gw.example.org", "#a@b", "irc.example.net", NULL, TRUE,
     "#a\\40b%irc.example.net@gw.example.org"},
    {.jid = "bob@gw.example.org"},
    {.jid = "gw.example.org"},
    {.jid = "bad nick%irc.example.net@gw.example.org"},
    {.jid = "#bad,chan%irc.example.net@gw.example.org"},
    {.jid = "bob%bad/host@gw.example.org"},
};

static void
test_jid_irc_table(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(test_irc_cases); i++) {
		const TestIrcCase *c = &test_irc_cases[i];
		PgTransportConfig transport = {
		    .jid = (gchar *)"gw.example.org",
		    .type = PG_TRANSPORT_TYPE_IRC,
		    .irc_server = (gchar *)c->irc_server,
		};
		g_autoptr(GError) error = NULL;
		g_autoptr(PgJid) jid = pg_jid_parse(c->jid, &error);
		g_autoptr(PgNetworkAddress) address =
		    jid != NULL ? pg_network_irc_parse(&transport, jid, &error) : NULL;
		g_autofree gchar *back = NULL;

		g_test_message("case %zu: %s", i, c->jid);
		if (c->name == NULL) {
			g_assert_null(address);
			g_assert_true(g_error_matches(error, PG_ERROR, PG_ERROR_JID_MALFORMED) ||
				      g_error_matches(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND));
			continue;
		}
		g_assert_no_error(error);
		g_assert_cmpstr(address->name, ==, c->name);
		g_assert_cmpstr(address->server, ==, c->server);
		g_assert_cmpstr(address->resource, ==, c->resource);
		g_assert_cmpint(address->is_room, ==, c->is_channel);
		back = pg_network_irc_to_jid(&transport, address->name, address->server,
					 address->resource);
		g_assert_cmpstr(back, ==, c->back);
	}
}

static void
test_stanza_error_reply(void)
{
	g_autoptr(xmpp_stanza_t) iq = test_parse(
	    "<iq type='set' id='r1' from='alice@example.org/phone' to='gw.example.org'>"
	    "<query xmlns='jabber:iq:register'><password>hunter2</password></query></iq>");
	g_autoptr(GError) error =
	    g_error_new_literal(PG_ERROR, PG_ERROR_NOT_ACCEPTABLE, "nick is required");
	g_autoptr(GError) internal = g_error_new_literal(PG_ERROR, PG_ERROR_DATABASE, "disk /x full");
	g_autoptr(xmpp_stanza_t) reply = pg_stanza_error_reply(iq, error);
	g_autoptr(xmpp_stanza_t) reply2 = NULL;
	g_autofree gchar *text = test_to_text(reply);
	g_autofree gchar *text2 = NULL;
	xmpp_stanza_t *node = xmpp_stanza_get_child_by_name(reply, "error");

	/* the operator sees the details, the user does not */
	g_test_expect_message("pg-xmpp", G_LOG_LEVEL_WARNING, "*disk /x full*");
	reply2 = pg_stanza_error_reply(iq, internal);
	g_test_assert_expected_messages();
	text2 = test_to_text(reply2);

	g_assert_cmpstr(xmpp_stanza_get_type(reply), ==, "error");
	g_assert_cmpstr(xmpp_stanza_get_to(reply), ==, "alice@example.org/phone");
	g_assert_cmpstr(xmpp_stanza_get_from(reply), ==, "gw.example.org");
	g_assert_cmpstr(xmpp_stanza_get_id(reply), ==, "r1");
	g_assert_cmpstr(xmpp_stanza_get_type(node), ==, "modify");
	g_assert_nonnull(xmpp_stanza_get_child_by_name_and_ns(node, "not-acceptable", PG_NS_STANZAS));
	g_assert_nonnull(strstr(text, "nick is required"));
	/* the request's payload (a password) is never echoed back */
	g_assert_null(strstr(text, "hunter2"));
	/* daemon-side failures do not leak their details to users */
	g_assert_nonnull(strstr(text2, "internal-server-error"));
	g_assert_null(strstr(text2, "disk"));
}

static void
test_stanza_error_conditions(void)
{
	for (gint code = 0; code < PG_ERROR_LAST; code++) {
		const gchar *type = pg_error_to_type(code);
		g_assert_nonnull(pg_error_to_condition(code));
		g_assert_true(g_strv_contains((const gchar *const[]){"cancel", "modify", "auth",
								      "wait", NULL},
					      type));
	}
	g_assert_cmpstr(pg_error_to_condition(PG_ERROR_JID_MALFORMED), ==, "jid-malformed");
	g_assert_cmpstr(pg_error_to_condition(PG_ERROR_LAST), ==, "undefined-condition");
}

static void
test_stanza_bare_jid(void)
{
	g_autofree gchar *a = pg_stanza_bare_jid("Alice@Example.ORG/Phone");
	g_autofree gchar *b = pg_stanza_bare_jid("example.org");
	g_assert_cmpstr(a, ==, "Alice@example.org");
	g_assert_cmpstr(b, ==, "example.org");
	g_assert_null(pg_stanza_bare_jid(NULL));
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	test_ctx = pg_stanza_ctx_new();
	g_test_add_func("/xmpp/form/build", test_form_build);
	g_test_add_func("/xmpp/form/parse-submit-table", test_form_parse_table);
	g_test_add_func("/xmpp/jid/xep-0106-escape-table", test_jid_escape_table);
	g_test_add_func("/xmpp/jid/irc-nick-validity", test_jid_irc_nick);
	g_test_add_func("/xmpp/jid/legacy-id-to-jid-table", test_jid_from_legacy_table);
	g_test_add_func("/xmpp/jid/irc-address-table", test_jid_irc_table);
	g_test_add_func("/xmpp/stanza/error-reply-never-echoes-payload", test_stanza_error_reply);
	g_test_add_func("/xmpp/stanza/every-error-has-a-condition", test_stanza_error_conditions);
	g_test_add_func("/xmpp/stanza/bare-jid", test_stanza_bare_jid);
	rc = g_test_run();
	xmpp_ctx_free(test_ctx);
	return rc;
}
