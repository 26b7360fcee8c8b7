/* Unit tests for the JID boundary: the RFC 7622 parser (src/stanza/pg-jid.c)
 * and the check every stanza passes before routing
 * (pg_transport_check_addresses() in src/xmpp/pg-transport.c), on every
 * transport's scheme. */
#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "network/pg-network-irc.h"
#include "network/pg-network-purple.h"
#include "network/pg-network-sms.h"
#include "stanza/pg-jid.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-transport-private.h"

static xmpp_ctx_t *test_ctx;

/* ---------------------------------------------------------------- RFC 7622 */

typedef struct {
	const gchar *text;
	const gchar *local; /* expected parts; all NULL and ok FALSE: malformed */
	const gchar *domain;
	const gchar *resource;
	gboolean ok;
} TestJidCase;

#define OK(t, l, d, r) {t, l, d, r, TRUE}
#define BAD(t) {t, NULL, NULL, NULL, FALSE}

static const TestJidCase test_jid_cases[] = {
    /* RFC 7622 §3.1: the parts and where '@' and '/' may stand */
    OK("example.org", NULL, "example.org", NULL),
    OK("user@example.org", "user", "example.org", NULL),
    OK("user@example.org/res", "user", "example.org", "res"),
    OK("example.org/res", NULL, "example.org", "res"),
    /* the first '/' ends the domain; '@' and '/' after it are the resource's */
    OK("sms.example.org/a@b", NULL, "sms.example.org", "a@b"),
    OK("purple.example.org/a@b/c", NULL, "purple.example.org", "a@b/c"),
    OK("a@b.example/c@d/e", "a", "b.example", "c@d/e"),
    OK("room@muc.example/nick with spaces", "room", "muc.example", "nick with spaces"),
    /* §3.2: the domain is case-insensitive, one final dot is stripped */
    OK("Alice@Example.ORG/Phone", "Alice", "example.org", "Phone"),
    OK("alice@example.org./x", "alice", "example.org", "x"),
    OK("[::1]", NULL, "[::1]", NULL),
    OK("a@127.0.0.1", "a", "127.0.0.1", NULL),
    OK("a@xn--bcher-kva.example", "a", "xn--bcher-kva.example", NULL),
    OK("a@bücher.example", "a", "bücher.example", NULL),
    OK("a@under_score.example", "a", "under_score.example", NULL),
    /* transport schemes: IRC (biboumi), E.164, XEP-0106 escapes */
    OK("#chan%irc.example.net@irc.example.org/nick", "#chan%irc.example.net", "irc.example.org",
       "nick"),
    OK("nick%irc.example.net@irc.example.org", "nick%irc.example.net", "irc.example.org", NULL),
    OK("+15551234567@sms.example.org", "+15551234567", "sms.example.org", NULL),
    OK("bob\\40legacy.example@purple.example.org", "bob\\40legacy.example",
       "purple.example.org", NULL),
    OK("[b]^`{|}_-@irc.example.org", "[b]^`{|}_-", "irc.example.org", NULL),
    OK("ñandú@example.org", "ñandú", "example.org", NULL),
    OK("用户@example.org", "用户", "example.org", NULL),
    /* non-ASCII symbols pass in localparts (stringprep servers route them) */
    OK("#\xe2\x98\x83%irc.example.net@irc.example.org", "#\xe2\x98\x83%irc.example.net",
       "irc.example.org", NULL),
    /* resources take symbols, punctuation and emoji (OpaqueString) */
    OK("a@example.org/☃ ♥ ✓", "a", "example.org", "☃ ♥ ✓"),
    OK("a@example.org/\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9", "a", "example.org",
       "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9"),
    /* empty parts */
    BAD(""),
    BAD("@example.org"),
    BAD("user@"),
    BAD("user@/res"),
    BAD("user@example.org/"),
    BAD("example.org/"),
    BAD("/res"),
    BAD("@"),
    BAD("/"),
    BAD("a@example..org"),
    BAD(".example.org"),
    BAD("example.org.."),
    /* '@' in the domain: a second '@' before the first '/' */
    BAD("a@b@example.org"),
    /* §3.3.1: characters no localpart may hold */
    BAD("a\"b@example.org"),
    BAD("a&b@example.org"),
    BAD("a'b@example.org"),
    BAD("a:b@example.org"),
    BAD("a<b@example.org"),
    BAD("a>b@example.org"),
    BAD("a b@example.org"),
    BAD("a\tb@example.org"),
    BAD("a\x7f" "b@example.org"),
    BAD("a\x01" "b@example.org"),
    BAD("a\xc2\x85" "b@example.org"),      /* U+0085, a C1 control */
    BAD("a\xc2\xa0" "b@example.org"),      /* U+00A0, a space */
    BAD("a\xe2\x80\x8b" "b@example.org"),  /* U+200B, a format character */
    BAD("a\xef\xbf\xbe" "b@example.org"),  /* U+FFFE, a non-character */
    BAD("a\xee\x80\x80" "b@example.org"),  /* U+E000, private use */
    BAD("a\xe2\x80\x8f" "b@example.org"),  /* U+200F, a direction mark */
    BAD("#chan\x1f%irc.example.net@irc.example.org"),
    /* domains */
    BAD("a@exa mple.org"),
    BAD("a@exa%mple.org"),
    BAD("a@-example.org"),
    BAD("a@example-.org"),
    BAD("a@example.org\x01"),
    BAD("a@[::1"),
    BAD("a@[not-an-ip]"),
    BAD("a@[127.0.0.1]"),
    BAD("a@\xe2\x98\x83.example"),
    /* resources: controls and non-characters */
    BAD("a@example.org/x\x01y"),
    BAD("a@example.org/x\ty"),
    BAD("a@example.org/x\x7fy"),
    BAD("a@example.org/x\xc2\x9fy"),
    BAD("a@example.org/x\xef\xb7\x90y"),   /* U+FDD0 */
    /* invalid UTF-8 in every part */
    BAD("a\xff@example.org"),
    BAD("a@exam\xc3ple.org"),
    BAD("a@example.org/\xed\xa0\x80"),     /* a UTF-16 surrogate */
    BAD("a@example.org/\xc0\xaf"),         /* an overlong '/' */
    BAD("a@example.org/\xe2\x82"),         /* truncated */
};

static void
test_jid_parse_table(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(test_jid_cases); i++) {
		const TestJidCase *c = &test_jid_cases[i];
		g_autoptr(GError) error = NULL;
		g_autoptr(PgJid) jid = pg_jid_parse(c->text, &error);
		g_autofree gchar *bare = NULL;
		g_autofree gchar *full = NULL;

		g_test_message("case %zu", i);
		if (!c->ok) {
			g_assert_null(jid);
			g_assert_error(error, PG_ERROR, PG_ERROR_JID_MALFORMED);
			continue;
		}
		g_assert_no_error(error);
		g_assert_cmpstr(jid->local, ==, c->local);
		g_assert_cmpstr(jid->domain, ==, c->domain);
		g_assert_cmpstr(jid->resource, ==, c->resource);
		bare = c->local != NULL ? g_strdup_printf("%s@%s", c->local, c->domain)
					: g_strdup(c->domain);
		full = c->resource != NULL ? g_strdup_printf("%s/%s", bare, c->resource)
					   : g_strdup(bare);
		g_assert_cmpstr(jid->bare, ==, bare);
		g_assert_cmpstr(jid->full, ==, full);
		/* the canonical form parses to itself */
		{
			g_autoptr(PgJid) again = pg_jid_parse(jid->full, &error);
			g_assert_no_error(error);
			g_assert_cmpstr(again->full, ==, jid->full);
		}
	}
}

/* RFC 7622 §3.1: each part at most 1023 octets; the error never quotes the input */
static void
test_jid_parse_lengths(void)
{
	g_autofree gchar *part = g_strnfill(1023, 'a');
	g_autofree gchar *long_part = g_strnfill(1024, 'a');
	g_autofree gchar *label = g_strnfill(63, 'b');
	g_autofree gchar *long_label = g_strnfill(64, 'b');
	g_autofree gchar *huge = g_strnfill(1 << 20, 'c');
	struct {
		gchar *text;
		gboolean ok;
	} cases[] = {
	    {g_strdup_printf("%s@example.org/%s", part, part), TRUE},
	    {g_strdup_printf("%s@example.org", long_part), FALSE},
	    {g_strdup_printf("a@example.org/%s", long_part), FALSE},
	    {g_strdup_printf("a@%s.example", label), TRUE},
	    {g_strdup_printf("a@%s.example", long_label), FALSE},
	    {g_strdup_printf("a@%s", huge), FALSE},
	    {g_strdup_printf("%s@example.org", huge), FALSE},
	    {g_strdup_printf("a@example.org/%s", huge), FALSE},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(PgJid) jid = pg_jid_parse(cases[i].text, &error);
		g_test_message("case %zu", i);
		if (cases[i].ok) {
			g_assert_no_error(error);
		} else {
			g_assert_error(error, PG_ERROR, PG_ERROR_JID_MALFORMED);
			g_assert_cmpuint(strlen(error->message), <, 100);
		}
		g_free(cases[i].text);
	}
	g_assert_null(pg_jid_parse(NULL, NULL));
}

static void
test_jid_is_domain(void)
{
	g_autoptr(PgJid) domain = pg_jid_parse("SMS.example.org", NULL);
	g_autoptr(PgJid) resource = pg_jid_parse("sms.example.org/a@b", NULL);
	g_autoptr(PgJid) contact = pg_jid_parse("+15551234567@sms.example.org", NULL);

	g_assert_true(pg_jid_is_domain(domain, "sms.example.org"));
	g_assert_false(pg_jid_is_domain(resource, "sms.example.org"));
	g_assert_false(pg_jid_is_domain(contact, "sms.example.org"));
	g_assert_false(pg_jid_is_domain(domain, "irc.example.org"));
}

/* ---------------------------------------------------------------- the boundary */

#define DROP (-1) /* dropped, nothing answered */
#define ROUTE (-2)

typedef struct {
	PgTransportType type;
	const gchar *irc_server;
	const gchar *to;   /* NULL: no 'to' attribute */
	gint expected;     /* ROUTE, DROP or the PgErrorCode answered */
	const gchar *from; /* NULL: the default user */
} TestBoundaryCase;

#define IRC PG_TRANSPORT_TYPE_IRC
#define SMS PG_TRANSPORT_TYPE_SMS
#define PURPLE PG_TRANSPORT_TYPE_PURPLE
#define MALFORMED PG_ERROR_JID_MALFORMED
#define NOT_FOUND PG_ERROR_ITEM_NOT_FOUND

static const TestBoundaryCase test_boundary_cases[] = {
    /* every transport: its own domain, its contacts */
    {IRC, NULL, "gw.example.org", ROUTE, NULL},
    {IRC, NULL, NULL, ROUTE, NULL},
    {IRC, NULL, "GW.Example.Org.", ROUTE, NULL},
    {IRC, NULL, "#chan%irc.example.net@gw.example.org/nick", ROUTE, NULL},
    {IRC, NULL, "#chan%irc.example.net@gw.example.org", ROUTE, NULL},
    {IRC, NULL, "nick%irc.example.net@gw.example.org", ROUTE, NULL},
    {IRC, NULL, "nick%irc.example.net@gw.example.org/whatever", ROUTE, NULL},
    {IRC, "irc.example.net", "nick@gw.example.org", ROUTE, NULL},
    {SMS, NULL, "+15551234567@gw.example.org", ROUTE, NULL},
    {SMS, NULL, "gw.example.org", ROUTE, NULL},
    {PURPLE, NULL, "bob\\40legacy.example@gw.example.org", ROUTE, NULL},
    {PURPLE, NULL, "gw.example.org", ROUTE, NULL},
    /* issue 8: the bare domain with a resource (it crashed the daemon) */
    {SMS, NULL, "gw.example.org/a@b", NOT_FOUND, NULL},
    {PURPLE, NULL, "gw.example.org/a@b", NOT_FOUND, NULL},
    {IRC, NULL, "gw.example.org/a@b", NOT_FOUND, NULL},
    {IRC, NULL, "gw.example.org/x", NOT_FOUND, NULL},
    /* issue 8: another domain's stanza (ejabberd global_routes: true) */
    {SMS, NULL, "irc.example.org", NOT_FOUND, NULL},
    {SMS, NULL, "#chan%irc.example.net@irc.example.org/nick", NOT_FOUND, NULL},
    {SMS, NULL, "+15551234567@irc.example.org", NOT_FOUND, NULL},
    {IRC, NULL, "+15551234567@sms.example.org", NOT_FOUND, NULL},
    {PURPLE, NULL, "alice@example.org", NOT_FOUND, NULL},
    {IRC, NULL, "gw.example.org.evil", NOT_FOUND, NULL},
    {IRC, NULL, "evil.gw.example.org", NOT_FOUND, NULL},
    /* malformed 'to' */
    {IRC, NULL, "", MALFORMED, NULL},
    {IRC, NULL, "@gw.example.org", MALFORMED, NULL},
    {SMS, NULL, "@gw.example.org", MALFORMED, NULL},
    {PURPLE, NULL, "@gw.example.org", MALFORMED, NULL},
    {IRC, NULL, "a@b@gw.example.org", MALFORMED, NULL},
    {IRC, NULL, "gw.example.org/", MALFORMED, NULL},
    {IRC, NULL, "a b@gw.example.org", MALFORMED, NULL},
    {PURPLE, NULL, "a<b@gw.example.org", MALFORMED, NULL},
    {SMS, NULL, "+1555\x01" "1234567@gw.example.org", MALFORMED, NULL},
    /* IRC shapes */
    {IRC, NULL, "nick@gw.example.org", NOT_FOUND, NULL},        /* no server, none fixed */
    {IRC, NULL, "nick%@gw.example.org", MALFORMED, NULL},        /* '%' without server */
    {IRC, NULL, "#chan%@gw.example.org/nick", MALFORMED, NULL},  /* '#chan%' empty server */
    {IRC, NULL, "%irc.example.net@gw.example.org", MALFORMED, NULL},
    {IRC, NULL, "#%irc.example.net@gw.example.org/nick", MALFORMED, NULL},
    {IRC, NULL, "bad!nick%irc.example.net@gw.example.org", MALFORMED, NULL},
    {IRC, NULL, "#a,b%irc.example.net@gw.example.org/nick", MALFORMED, NULL},
    {IRC, NULL, "nick%bad_host!%@gw.example.org", MALFORMED, NULL},
    {IRC, NULL, "nick%irc.example.net%@gw.example.org", MALFORMED, NULL},
    {IRC, "irc.example.net", "1nick@gw.example.org", MALFORMED, NULL},
    /* the server itself (biboumi's server@gw: its room list, its settings) */
    {IRC, NULL, "irc.example.net@gw.example.org", ROUTE, NULL},
    {IRC, "irc.example.net", "127.0.0.1@gw.example.org", ROUTE, NULL},
    {IRC, NULL, "\\3a\\3a1@gw.example.org", ROUTE, NULL},
    {IRC, "irc.example.net", "bad_host.example@gw.example.org", MALFORMED, NULL},
    /* a '%' in a channel name: with the fixed server its short form
     * (#a%b@gw) would name channel #a on server b (found by fuzz-jid) */
    {IRC, "irc.example.net", "#a%b%irc.example.net@gw.example.org/nick", MALFORMED, NULL},
    {IRC, NULL, "#a%b%irc.example.net@gw.example.org/nick", MALFORMED, NULL},
    /* SMS shapes: E.164 only, no resource */
    {SMS, NULL, "+15551234567@gw.example.org/phone", NOT_FOUND, NULL},
    {SMS, NULL, "bob@gw.example.org", MALFORMED, NULL},
    {SMS, NULL, "+1@gw.example.org", MALFORMED, NULL},
    {SMS, NULL, "+1234567890123456@gw.example.org", MALFORMED, NULL},
    {SMS, NULL, "15551234567@gw.example.org", MALFORMED, NULL},
    {SMS, NULL, "+0551234567@gw.example.org", MALFORMED, NULL},
    {SMS, NULL, "a@gw.example.org/b@c", MALFORMED, NULL},
    /* purple shapes: any escaped legacy ID, no resource */
    {PURPLE, NULL, "bob@gw.example.org/phone", NOT_FOUND, NULL},
    /* malformed 'from': answered with jid-malformed (the reply goes to it) */
    {IRC, NULL, "gw.example.org", MALFORMED, "a@b@example.org"},
    {SMS, NULL, "+15551234567@gw.example.org", MALFORMED, "user@example.org/"},
    {PURPLE, NULL, "gw.example.org", MALFORMED, "@example.org"},
    /* a server or component may send from its domain alone */
    {IRC, NULL, "gw.example.org", ROUTE, "example.org"},
};

static xmpp_stanza_t *
test_stanza(const gchar *name, const gchar *from, const gchar *to)
{
	xmpp_stanza_t *stanza = xmpp_stanza_new(test_ctx);
	xmpp_stanza_set_name(stanza, name);
	if (from != NULL)
		xmpp_stanza_set_from(stanza, from);
	if (to != NULL)
		xmpp_stanza_set_to(stanza, to);
	return stanza;
}

static void
test_boundary_table(void)
{
	static const gchar *const names[] = {"message", "presence", "iq"};

	for (gsize i = 0; i < G_N_ELEMENTS(test_boundary_cases); i++) {
		const TestBoundaryCase *c = &test_boundary_cases[i];
		PgTransportConfig transport = {
		    .jid = (gchar *)"gw.example.org",
		    .type = c->type,
		    .irc_server = (gchar *)c->irc_server,
		};
		for (gsize n = 0; n < G_N_ELEMENTS(names); n++) {
			g_autoptr(xmpp_stanza_t) stanza = test_stanza(
			    names[n], c->from != NULL ? c->from : "user@example.org/phone", c->to);
			g_autoptr(PgJid) from = NULL;
			g_autoptr(PgJid) to = NULL;
			g_autoptr(GError) error = NULL;
			gboolean routed;

			g_test_message("case %zu, %s", i, names[n]);
			routed = pg_transport_check_addresses(&transport, stanza, &from, &to,
							      &error);
			if (c->expected == ROUTE) {
				g_assert_no_error(error);
				g_assert_true(routed);
				g_assert_nonnull(from);
				g_assert_nonnull(to);
				g_assert_cmpstr(to->domain, ==, "gw.example.org");
			} else {
				g_assert_false(routed);
				g_assert_null(from);
				g_assert_null(to);
				g_assert_error(error, PG_ERROR, c->expected);
			}
		}
	}
}

/* No 'from': nobody to answer, dropped without an error. */
static void
test_boundary_no_from(void)
{
	PgTransportConfig transport = {.jid = (gchar *)"gw.example.org",
				       .type = PG_TRANSPORT_TYPE_SMS};
	g_autoptr(xmpp_stanza_t) stanza = test_stanza("message", NULL, "gw.example.org/a@b");
	g_autoptr(PgJid) from = NULL;
	g_autoptr(PgJid) to = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_false(pg_transport_check_addresses(&transport, stanza, &from, &to, &error));
	g_assert_no_error(error);
}

/* 2 KB local parts, every C0 control, '%' everywhere: never an abort, always
 * an answer (or a route), on every transport. */
static void
test_boundary_hostile_sweep(void)
{
	static const PgTransportType types[] = {IRC, SMS, PURPLE};
	g_autoptr(GPtrArray) tos = g_ptr_array_new_with_free_func(g_free);
	g_autofree gchar *big = g_strnfill(2048, 'x');

	g_ptr_array_add(tos, g_strdup_printf("%s@gw.example.org", big));
	g_ptr_array_add(tos, g_strdup_printf("#%s%%irc.example.net@gw.example.org/n", big));
	g_ptr_array_add(tos, g_strdup_printf("gw.example.org/%s", big));
	g_ptr_array_add(tos, g_strdup_printf("a@%s.example.org", big));
	for (gint c = 1; c < 0x20; c++) {
		g_ptr_array_add(tos, g_strdup_printf("a%cb@gw.example.org", c));
		g_ptr_array_add(tos, g_strdup_printf("a@gw.example.org/%cx", c));
		g_ptr_array_add(tos, g_strdup_printf("gw.example.org/%c", c));
	}
	for (gsize t = 0; t < G_N_ELEMENTS(types); t++) {
		PgTransportConfig transport = {.jid = (gchar *)"gw.example.org", .type = types[t]};
		for (guint i = 0; i < tos->len; i++) {
			g_autoptr(xmpp_stanza_t) stanza =
			    test_stanza("message", "user@example.org/x", g_ptr_array_index(tos, i));
			g_autoptr(PgJid) from = NULL;
			g_autoptr(PgJid) to = NULL;
			g_autoptr(GError) error = NULL;
			g_assert_false(
			    pg_transport_check_addresses(&transport, stanza, &from, &to, &error));
			g_assert_true(g_error_matches(error, PG_ERROR, PG_ERROR_JID_MALFORMED) ||
				      g_error_matches(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND));
		}
	}
}

/* Through the transport's stanza path (pg_transport_receive(), as the
 * component hands stanzas over): a refused stanza gets one error, from this
 * transport's own domain even when its 'to' named another (the server would
 * close the stream over a foreign 'from'), never reaches the sessions, and an
 * error is never answered. */
typedef struct {
	GPtrArray *sent;
	guint delegated;
} TestRouteRecord;

static void
test_stanza_unref(gpointer stanza)
{
	xmpp_stanza_release(stanza);
}

static void
test_route_sent_cb(PgTransport *transport, xmpp_stanza_t *stanza, gpointer user_data)
{
	TestRouteRecord *record = user_data;
	g_ptr_array_add(record->sent, xmpp_stanza_clone(stanza));
}

static gboolean
test_route_stanza_cb(PgTransport *transport, xmpp_stanza_t *stanza, const PgJid *from,
		     const PgJid *to, gpointer user_data)
{
	TestRouteRecord *record = user_data;
	record->delegated++;
	return TRUE;
}

static void
test_boundary_through_the_transport(void)
{
	static const gchar config_text[] = "[polygate]\n"
					   "database = registry.db\n"
					   "key_file = registry.key\n"
					   "[http]\n"
					   "port = 0\n"
					   "[transport sms]\n"
					   "jid = sms.example.org\n"
					   "secret = s\n"
					   "type = sms\n";
	static const struct {
		const gchar *to;
		const gchar *condition;
		const gchar *reply_from;
	} cases[] = {
	    {"sms.example.org/a@b", "item-not-found", "sms.example.org/a@b"},
	    {"+15551234567@sms.example.org/phone", "item-not-found",
	     "+15551234567@sms.example.org/phone"},
	    {"bob@sms.example.org", "jid-malformed", "bob@sms.example.org"},
	    {"#chan%irc.example.net@irc.example.org/nick", "item-not-found", "sms.example.org"},
	    {"irc.example.org", "item-not-found", "sms.example.org"},
	    {"a@b@sms.example.org", "jid-malformed", "sms.example.org"},
	    {"sms.example.org/", "jid-malformed", "sms.example.org"},
	    /* a reply comes from the canonical form of our own domain */
	    {"bob@SMS.Example.ORG./x", "jid-malformed", "bob@sms.example.org/x"},
	};
	static const gchar *const kinds[] = {"message", "presence", "iq"};
	g_autoptr(GError) error = NULL;
	PgConfig *config = pg_config_load_from_data(config_text, "/nonexistent/polygate.conf",
						    &error);
	TestRouteRecord record = {.sent = g_ptr_array_new_with_free_func(test_stanza_unref)};
	PgTransportDelegate delegate = {.stanza = test_route_stanza_cb};
	PgTransport *transport;

	g_assert_no_error(error);
	transport = pg_transport_new(config, g_ptr_array_index(config->transports, 0), NULL);
	pg_transport_set_send_func(transport, test_route_sent_cb, &record);
	pg_transport_set_delegate(transport, &delegate, &record);
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		for (gsize k = 0; k < G_N_ELEMENTS(kinds); k++) {
			for (gint is_error = 0; is_error < 2; is_error++) {
				g_autoptr(xmpp_stanza_t) stanza =
				    test_stanza(kinds[k], "user@example.org/phone", cases[i].to);
				xmpp_stanza_t *reply;
				xmpp_stanza_t *condition;

				g_test_message("case %zu, %s%s", i, kinds[k],
					       is_error ? " (error)" : "");
				xmpp_stanza_set_id(stanza, "x1");
				if (is_error)
					xmpp_stanza_set_type(stanza, "error");
				else if (g_strcmp0(kinds[k], "iq") == 0)
					xmpp_stanza_set_type(stanza, "get");
				if (g_strcmp0(kinds[k], "iq") == 0)
					pg_stanza_add_child(stanza, "query", PG_NS_DISCO_INFO);
				pg_transport_receive(transport, stanza);
				g_assert_cmpuint(record.delegated, ==, 0);
				if (is_error) {
					/* RFC 6120 §8.3.1 */
					g_assert_cmpuint(record.sent->len, ==, 0);
					continue;
				}
				g_assert_cmpuint(record.sent->len, ==, 1);
				reply = g_ptr_array_index(record.sent, 0);
				g_assert_cmpstr(xmpp_stanza_get_name(reply), ==, kinds[k]);
				g_assert_cmpstr(xmpp_stanza_get_type(reply), ==, "error");
				g_assert_cmpstr(xmpp_stanza_get_to(reply), ==, "user@example.org/phone");
				g_assert_cmpstr(xmpp_stanza_get_from(reply), ==, cases[i].reply_from);
				condition = xmpp_stanza_get_child_by_name(
				    xmpp_stanza_get_child_by_name(reply, "error"), cases[i].condition);
				g_assert_nonnull(condition);
				g_ptr_array_set_size(record.sent, 0);
			}
		}
	}
	/* RFC 6120 §8.2.3: an IQ result is not answered either */
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(xmpp_stanza_t) result =
		    test_stanza("iq", "user@example.org/phone", cases[i].to);
		xmpp_stanza_set_id(result, "r1");
		xmpp_stanza_set_type(result, "result");
		pg_transport_receive(transport, result);
		g_assert_cmpuint(record.sent->len, ==, 0);
		g_assert_cmpuint(record.delegated, ==, 0);
	}
	pg_transport_free(transport);
	pg_config_free(config);
	g_ptr_array_unref(record.sent);
}

/* The per-network parses take the parsed JID. */
static void
test_jid_network_parses(void)
{
	PgTransportConfig sms = {.jid = (gchar *)"sms.example.org", .type = SMS};
	PgTransportConfig purple = {.jid = (gchar *)"purple.example.org", .type = PURPLE};
	g_autoptr(PgJid) number = pg_jid_parse("0044 20 7946 0958@sms.example.org", NULL);
	g_autoptr(PgJid) e164 = pg_jid_parse("+442079460958@sms.example.org", NULL);
	g_autoptr(PgJid) legacy = pg_jid_parse("bob\\40legacy.example\\20x@purple.example.org", NULL);
	g_autofree gchar *parsed_number = pg_network_sms_parse(&sms, e164, NULL);
	g_autofree gchar *parsed_legacy = pg_network_purple_parse(&purple, legacy, NULL);

	g_assert_null(number); /* spaces: not even a JID */
	g_assert_cmpstr(parsed_number, ==, "+442079460958");
	g_assert_cmpstr(parsed_legacy, ==, "bob@legacy.example x");
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	test_ctx = pg_stanza_ctx_new();
	g_test_add_func("/jid/rfc7622/parse-table", test_jid_parse_table);
	g_test_add_func("/jid/rfc7622/part-lengths", test_jid_parse_lengths);
	g_test_add_func("/jid/rfc7622/is-domain", test_jid_is_domain);
	g_test_add_func("/jid/network/parses-take-parsed-jids", test_jid_network_parses);
	g_test_add_func("/jid/boundary/every-transport-table", test_boundary_table);
	g_test_add_func("/jid/boundary/no-from-is-dropped", test_boundary_no_from);
	g_test_add_func("/jid/boundary/hostile-sweep-never-aborts", test_boundary_hostile_sweep);
	g_test_add_func("/jid/boundary/refusals-come-from-own-domain-and-never-route",
			test_boundary_through_the_transport);
	rc = g_test_run();
	xmpp_ctx_free(test_ctx);
	return rc;
}
