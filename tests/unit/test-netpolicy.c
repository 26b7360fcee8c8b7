/* src/core/pg-netpolicy.c: which servers users may reach.  Table-driven:
 * addresses and their ranges, entry syntax, and checks of hosts, resolved
 * addresses, ports, wildcards, IPv4 and IPv6 (IPv4-mapped included). */
#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "core/pg-netpolicy.h"

static void
test_address_special(void)
{
	static const struct {
		const gchar *address;
		const gchar *special; /* NULL = ordinary */
	} cases[] = {
	    {"127.0.0.1", "loopback"},
	    {"127.255.255.254", "loopback"},
	    {"127.0.0.2", "loopback"},
	    {"::1", "loopback"},
	    {"::ffff:127.0.0.1", "loopback"},   /* IPv4-mapped */
	    {"::127.0.0.1", "loopback"},        /* IPv4-compatible */
	    {"64:ff9b::7f00:1", "loopback"},    /* NAT64 */
	    {"169.254.169.254", "link-local"},  /* cloud metadata */
	    {"fe80::1", "link-local"},
	    {"febf:ffff::1", "link-local"},
	    {"10.0.0.1", "private"},
	    {"10.255.255.255", "private"},
	    {"172.16.0.1", "private"},
	    {"172.31.255.255", "private"},
	    {"172.32.0.1", NULL},
	    {"172.15.255.255", NULL},
	    {"192.168.1.1", "private"},
	    {"::ffff:192.168.1.1", "private"},
	    {"100.64.0.1", "private"},
	    {"100.128.0.1", NULL},
	    {"fc00::1", "private"},
	    {"fd12:3456::1", "private"},
	    {"fec0::1", "private"},
	    {"0.0.0.0", "unspecified"},
	    {"0.1.2.3", "unspecified"},
	    {"::", "unspecified"},
	    {"::ffff:0.0.0.0", "unspecified"},
	    {"224.0.0.1", "multicast"},
	    {"239.255.255.250", "multicast"},
	    {"ff02::1", "multicast"},
	    {"255.255.255.255", "reserved"},
	    {"240.0.0.1", "reserved"},
	    {"8.8.8.8", NULL},
	    {"192.0.2.1", NULL},
	    {"2001:db8::1", NULL},
	    {"2a01:4f8::1", NULL},
	    {"::ffff:8.8.8.8", NULL},
	    {"fe7f::1", NULL},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		PgNetAddress address;
		g_assert_true(pg_net_address_parse(cases[i].address, &address));
		g_assert_cmpstr(pg_net_address_special(&address), ==, cases[i].special);
	}
}

static void
test_address_parse(void)
{
	static const struct {
		const gchar *text;
		gboolean ok;
		guint8 family;
	} cases[] = {
	    {"192.0.2.1", TRUE, 4},  {"::1", TRUE, 6},	 {"2001:db8::1", TRUE, 6},
	    {"127.1", FALSE, 0},     {"0x7f000001", FALSE, 0}, {"2130706433", FALSE, 0},
	    {"[::1]", FALSE, 0},     {"irc.example.net", FALSE, 0}, {"", FALSE, 0},
	    {"1.2.3.4.5", FALSE, 0}, {"::ffff:1.2.3.4", TRUE, 6},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		PgNetAddress address;
		g_assert_cmpint(pg_net_address_parse(cases[i].text, &address), ==, cases[i].ok);
		if (cases[i].ok)
			g_assert_cmpuint(address.family, ==, cases[i].family);
	}
}

static void
test_entries(void)
{
	static const struct {
		const gchar *entry;
		gboolean ok;
	} cases[] = {
	    {"irc.libera.chat", TRUE},
	    {"IRC.Libera.Chat.", TRUE},
	    {"*.libera.chat", TRUE},
	    {"*.libera.chat:6697", TRUE},
	    {"*", TRUE},
	    {"*:6697", TRUE},
	    {"127.0.0.1", TRUE},
	    {"127.0.0.1:6667", TRUE},
	    {"127.0.0.0/8", TRUE},
	    {"10.0.0.0/8:6667", TRUE},
	    {"::1", TRUE},
	    {"[::1]", TRUE},
	    {"[::1]:6667", TRUE},
	    {"fd00::/8", TRUE},
	    {"[fd00::/8]:6697", TRUE},
	    {"::ffff:10.0.0.0/104", TRUE},
	    {"irc.example.net:0", FALSE},
	    {"irc.example.net:65536", FALSE},
	    {"irc.example.net:x", FALSE},
	    {"127.0.0.0/33", FALSE},
	    {"::1/129", FALSE},
	    {"[::1", FALSE},
	    {"[irc.example.net]:6667", FALSE},
	    {"*.", FALSE},
	    {"*.*.example.net", FALSE},
	    {"irc..example.net", FALSE},
	    {"127.1", FALSE},
	    {"0x7f000001", FALSE},
	    {"irc example", FALSE},
	    {"irc/example", FALSE},
	    {"", FALSE},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(PgNetPolicy) policy = pg_net_policy_new();
		g_autoptr(GError) error = NULL;
		gboolean ok = pg_net_policy_add(policy, TRUE, cases[i].entry, &error);
		if (ok != cases[i].ok)
			g_error("entry '%s': expected %s", cases[i].entry,
				cases[i].ok ? "accepted" : "refused");
		if (!ok)
			g_assert_error(error, PG_ERROR, PG_ERROR_CONFIG);
	}
}

/* One policy per row: allow and deny lists as ';'-separated entries. */
typedef struct {
	const gchar *allow;
	const gchar *deny;
	const gchar *host;
	guint16 port;
	const gchar *resolved; /* ';'-separated addresses, or NULL (not resolved yet) */
	gboolean ok;
} PgCheckCase;

static const PgCheckCase pg_check_cases[] = {
    /* the default: public is fine, special ranges are not */
    {NULL, NULL, "irc.libera.chat", 6697, NULL, TRUE},
    {NULL, NULL, "irc.libera.chat", 6697, "130.185.232.126;2001:4b7a:a008::6667", TRUE},
    {NULL, NULL, "8.8.8.8", 6667, NULL, TRUE},
    {NULL, NULL, "2a01:4f8::1", 6667, NULL, TRUE},
    {NULL, NULL, "127.0.0.1", 6667, NULL, FALSE},
    {NULL, NULL, "127.0.0.2", 6667, NULL, FALSE},
    {NULL, NULL, "::1", 6667, NULL, FALSE},
    {NULL, NULL, "::ffff:127.0.0.1", 6667, NULL, FALSE},
    {NULL, NULL, "0.0.0.0", 6667, NULL, FALSE},
    {NULL, NULL, "10.1.2.3", 6667, NULL, FALSE},
    {NULL, NULL, "172.20.0.1", 6667, NULL, FALSE},
    {NULL, NULL, "192.168.0.10", 6667, NULL, FALSE},
    {NULL, NULL, "169.254.169.254", 80, NULL, FALSE},
    {NULL, NULL, "fe80::1", 6667, NULL, FALSE},
    {NULL, NULL, "fd00::1", 6667, NULL, FALSE},
    {NULL, NULL, "224.0.0.1", 6667, NULL, FALSE},
    {NULL, NULL, "ff02::1", 6667, NULL, FALSE},
    /* names: undecided before resolving, refused by what they resolve to */
    {NULL, NULL, "localhost", 6667, NULL, TRUE},
    {NULL, NULL, "localhost", 6667, "127.0.0.1;::1", FALSE},
    {NULL, NULL, "evil.example", 6667, "198.51.100.1;127.0.0.1", FALSE},
    {NULL, NULL, "evil.example", 6667, "::ffff:10.0.0.1", FALSE},
    {NULL, NULL, "evil.example", 6667, "198.51.100.1", TRUE},
    /* names that inet_aton() would read as addresses */
    {NULL, NULL, "127.1", 6667, NULL, FALSE},
    {NULL, NULL, "2130706433", 6667, NULL, FALSE},
    {NULL, NULL, "0x7f000001", 6667, NULL, FALSE},
    {NULL, NULL, "0x7f.0.0.1", 6667, NULL, FALSE},
    {NULL, NULL, "irc.example.123", 6667, NULL, FALSE},
    {NULL, NULL, "", 6667, NULL, FALSE},
    {NULL, NULL, "irc example", 6667, NULL, FALSE},
    /* the operator allows ranges */
    {"*;127.0.0.0/8;::1", NULL, "127.0.0.1", 6667, NULL, TRUE},
    {"*;127.0.0.0/8;::1", NULL, "::ffff:127.0.0.5", 6667, NULL, TRUE},
    {"*;127.0.0.0/8;::1", NULL, "localhost", 6667, "127.0.0.1;::1", TRUE},
    {"*;127.0.0.0/8", NULL, "localhost", 6667, "127.0.0.1;::1", FALSE},
    {"*;127.0.0.1", NULL, "127.0.0.2", 6667, NULL, FALSE},
    {"*;127.0.0.1:6667", NULL, "127.0.0.1", 6697, NULL, FALSE},
    {"*;127.0.0.1:6667", NULL, "127.0.0.1", 6667, NULL, TRUE},
    {"*;[::1]:6667", NULL, "::1", 6667, NULL, TRUE},
    {"*;[fd00::/8]", NULL, "fd12::1", 6667, NULL, TRUE},
    {"*;[fd00::/8]", NULL, "fc00::1", 6667, NULL, FALSE},
    {"*;::ffff:10.0.0.0/104", NULL, "10.2.3.4", 6667, NULL, TRUE},
    /* a name entry never lifts a special range */
    {"*.localhost", NULL, "fake.localhost", 6667, NULL, TRUE},
    {"*.localhost", NULL, "fake.localhost", 6667, "127.0.0.1", FALSE},
    {"irc.corp;10.0.0.0/8", NULL, "irc.corp", 6667, "10.1.2.3", TRUE},
    {"irc.corp", NULL, "irc.corp", 6667, "10.1.2.3", FALSE},
    /* an allow list: names, wildcards, ports, ranges for names */
    {"*.libera.chat", NULL, "irc.libera.chat", 6697, NULL, TRUE},
    {"*.libera.chat", NULL, "IRC.LIBERA.CHAT.", 6697, NULL, TRUE},
    {"*.libera.chat", NULL, "libera.chat", 6697, NULL, FALSE},
    {"*.libera.chat", NULL, "evil-libera.chat", 6697, NULL, FALSE},
    {"*.libera.chat", NULL, "irc.libera.chat.evil.example", 6697, NULL, FALSE},
    {"*.libera.chat", NULL, "irc.oftc.net", 6697, NULL, FALSE},
    {"*.libera.chat", NULL, "198.51.100.1", 6697, NULL, FALSE},
    {"*.libera.chat:6697", NULL, "irc.libera.chat", 6667, NULL, FALSE},
    {"*.libera.chat:6697", NULL, "irc.libera.chat", 6697, NULL, TRUE},
    {"irc.oftc.net", NULL, "irc.oftc.net", 6667, NULL, TRUE},
    {"irc.oftc.net", NULL, "www.irc.oftc.net", 6667, NULL, FALSE},
    {"*:6697", NULL, "irc.example.net", 6697, "198.51.100.1", TRUE},
    {"*:6697", NULL, "irc.example.net", 6667, NULL, FALSE},
    {"198.51.100.0/24", NULL, "irc.example.net", 6667, NULL, TRUE},
    {"198.51.100.0/24", NULL, "irc.example.net", 6667, "198.51.100.7", TRUE},
    {"198.51.100.0/24", NULL, "irc.example.net", 6667, "198.51.100.7;203.0.113.1", FALSE},
    {"198.51.100.0/24", NULL, "198.51.100.200", 6667, NULL, TRUE},
    {"198.51.100.0/24", NULL, "198.51.101.1", 6667, NULL, FALSE},
    {"127.0.0.2;*.localhost", NULL, "127.0.0.2", 6667, NULL, TRUE},
    {"127.0.0.2;*.localhost", NULL, "127.0.0.3", 6667, NULL, FALSE},
    {"127.0.0.2;*.localhost", NULL, "192.0.2.1", 6667, NULL, FALSE},
    {"127.0.0.2;*.localhost", NULL, "::ffff:127.0.0.2", 6667, NULL, TRUE},
    /* deny wins */
    {NULL, "*.evil.example", "irc.evil.example", 6667, NULL, FALSE},
    {NULL, "*.evil.example", "evil.example", 6667, "198.51.100.1", TRUE},
    {NULL, "evil.example", "EVIL.example.", 6667, NULL, FALSE},
    {NULL, "*:25", "mail.example.net", 25, NULL, FALSE},
    {NULL, "*:25", "mail.example.net", 6667, NULL, TRUE},
    {NULL, "198.51.100.0/24", "irc.example.net", 6667, "198.51.100.9", FALSE},
    {NULL, "198.51.100.0/24", "::ffff:198.51.100.9", 6667, NULL, FALSE},
    {NULL, "2001:db8::/32", "irc.example.net", 6667, "2001:db8::1", FALSE},
    {"*;127.0.0.0/8", "127.0.0.2", "127.0.0.2", 6667, NULL, FALSE},
    {"*.libera.chat", "irc.libera.chat", "irc.libera.chat", 6697, NULL, FALSE},
};

static void
pg_policy_add_list(PgNetPolicy *policy, gboolean allow, const gchar *list)
{
	g_auto(GStrv) entries = g_strsplit(list != NULL ? list : "", ";", -1);

	for (guint i = 0; entries[i] != NULL; i++) {
		if (entries[i][0] != '\0')
			g_assert_true(pg_net_policy_add(policy, allow, entries[i], NULL));
	}
}

static void
test_check(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(pg_check_cases); i++) {
		const PgCheckCase *c = &pg_check_cases[i];
		g_autoptr(PgNetPolicy) policy = pg_net_policy_new();
		g_autoptr(GError) error = NULL;
		g_auto(GStrv) resolved = g_strsplit(c->resolved != NULL ? c->resolved : "", ";", -1);
		g_autoptr(GArray) addresses = g_array_new(FALSE, TRUE, sizeof(PgNetAddress));
		gboolean ok;

		pg_policy_add_list(policy, TRUE, c->allow);
		pg_policy_add_list(policy, FALSE, c->deny);
		for (guint j = 0; resolved[j] != NULL; j++) {
			PgNetAddress address;
			if (resolved[j][0] == '\0')
				continue;
			g_assert_true(pg_net_address_parse(resolved[j], &address));
			g_array_append_val(addresses, address);
		}
		ok = pg_net_policy_check(policy, c->host, c->port, (PgNetAddress *)addresses->data,
					 addresses->len, &error);
		if (ok != c->ok)
			g_error("row %zu: allow '%s' deny '%s', %s port %u resolved to '%s': "
				"expected %s, got %s",
				i, c->allow, c->deny, c->host, c->port, c->resolved,
				c->ok ? "allowed" : "refused",
				error != NULL ? error->message : "allowed");
		if (!ok) {
			g_assert_error(error, PG_ERROR, PG_ERROR_NOT_ALLOWED);
			g_assert_cmpuint(strlen(error->message), >, 10);
		}
	}
}

static void
test_refusal_says_why(void)
{
	g_autoptr(PgNetPolicy) policy = pg_net_policy_new();
	g_autoptr(GError) error = NULL;
	PgNetAddress address;

	g_assert_true(pg_net_address_parse("127.0.0.1", &address));
	g_assert_false(pg_net_policy_check(policy, "evil.example", 6667, &address, 1, &error));
	g_assert_nonnull(strstr(error->message, "evil.example"));
	g_assert_nonnull(strstr(error->message, "loopback"));
	g_assert_nonnull(strstr(error->message, "127.0.0.1"));
}

typedef struct {
	const gchar *entries; /* ';'-separated */
	const gchar *text;    /* pg_net_ports_to_string(), or NULL: refused */
	guint16 in;
	guint16 out;
} PgPortsCase;

static const PgPortsCase ports_cases[] = {
    {.entries = "6665-6669;6697", .text = "6665-6669, 6697", .in = 6697, .out = 6670},
    {.entries = " 7000 ; 9999 ", .text = "7000, 9999", .in = 9999, .out = 7001},
    {.entries = "1-65535", .text = "1-65535", .in = 65535, .out = 0},
    {.entries = "none", .text = "none", .in = 0, .out = 6667},
    {.entries = "NONE", .text = "none", .in = 0, .out = 1},
    {.entries = "none;6667"},
    {.entries = "0"},
    {.entries = "65536"},
    {.entries = "6669-6665"},
    {.entries = "66a"},
    {.entries = "6665-"},
    {.entries = ""},
    {.entries = ";;"},
};

static void
test_ports(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(ports_cases); i++) {
		const PgPortsCase *c = &ports_cases[i];
		g_auto(GStrv) entries = g_strsplit(c->entries, ";", -1);
		g_autoptr(GError) error = NULL;
		g_autoptr(PgNetPorts) ports =
		    pg_net_ports_parse((const gchar *const *)entries, &error);
		g_autofree gchar *text = NULL;

		if (c->text == NULL) {
			if (ports != NULL)
				g_error("row %zu: '%s' should be refused", i, c->entries);
			g_assert_error(error, PG_ERROR, PG_ERROR_CONFIG);
			continue;
		}
		if (ports == NULL)
			g_error("row %zu: '%s' refused: %s", i, c->entries, error->message);
		text = pg_net_ports_to_string(ports);
		g_assert_cmpstr(text, ==, c->text);
		if (c->in != 0)
			g_assert_true(pg_net_ports_contains(ports, c->in));
		if (c->out != 0)
			g_assert_false(pg_net_ports_contains(ports, c->out));
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/netpolicy/address/special", test_address_special);
	g_test_add_func("/netpolicy/address/parse", test_address_parse);
	g_test_add_func("/netpolicy/entries", test_entries);
	g_test_add_func("/netpolicy/check", test_check);
	g_test_add_func("/netpolicy/refusal-says-why", test_refusal_says_why);
	g_test_add_func("/netpolicy/ports", test_ports);
	return g_test_run();
}
