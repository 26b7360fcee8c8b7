/* identd and WEBIRC (src/session/pg-ident.h, pg-identd.h): the RFC 1413
 * query parser, the names, the WEBIRC line, the claims and their disputes,
 * and the [webirc] config. */
#include "config.h"

#include <string.h>

#include "core/pg-config.h"
#include "core/pg-error.h"
#include "session/pg-ident.h"
#include "session/pg-identd.h"

typedef struct {
	const gchar *line;
	gboolean ok;
	guint local;
	guint remote;
} PgIdentQueryCase;

static const PgIdentQueryCase query_cases[] = {
    {.line = "6193, 23", .ok = TRUE, .local = 6193, .remote = 23},
    {.line = "6195 , 23", .ok = TRUE, .local = 6195, .remote = 23},
    {.line = "  1,65535  ", .ok = TRUE, .local = 1, .remote = 65535},
    {.line = "\t40000\t,\t6667", .ok = TRUE, .local = 40000, .remote = 6667},
    {.line = "", .ok = FALSE},
    {.line = " ", .ok = FALSE},
    {.line = ",", .ok = FALSE},
    {.line = "6193", .ok = FALSE},
    {.line = "6193,", .ok = FALSE},
    {.line = ",23", .ok = FALSE},
    {.line = "0, 23", .ok = FALSE},
    {.line = "23, 0", .ok = FALSE},
    {.line = "65536, 23", .ok = FALSE},
    {.line = "23, 65536", .ok = FALSE},
    {.line = "000023, 23", .ok = FALSE},
    {.line = "99999999999999999999, 1", .ok = FALSE},
    {.line = "-1, 23", .ok = FALSE},
    {.line = "+1, 23", .ok = FALSE},
    {.line = "1 2, 3", .ok = FALSE},
    {.line = "1, 2, 3", .ok = FALSE},
    {.line = "1, 2 x", .ok = FALSE},
    {.line = "0x10, 23", .ok = FALSE},
    {.line = "GET / HTTP/1.0", .ok = FALSE},
};

static void
test_ident_query_table(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(query_cases); i++) {
		const PgIdentQueryCase *c = &query_cases[i];
		guint local = 0, remote = 0;
		gboolean ok = pg_identd_parse_query(c->line, strlen(c->line), &local, &remote);

		g_test_message("query '%s'", c->line);
		g_assert_cmpint(ok, ==, c->ok);
		if (ok) {
			g_assert_cmpuint(local, ==, c->local);
			g_assert_cmpuint(remote, ==, c->remote);
		}
	}
}

static void
test_ident_query_not_terminated(void)
{
	/* the parser reads @len bytes, never up to a NUL */
	const gchar buffer[] = {'1', ',', '2', '3', '4'};
	guint local = 0, remote = 0;

	g_assert_true(pg_identd_parse_query(buffer, 3, &local, &remote));
	g_assert_cmpuint(remote, ==, 2);
	g_assert_false(pg_identd_parse_query("1,\0002", 4, &local, &remote));
}

static const guint8 test_key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static PgConfig *
test_ident_config(const gchar *extra)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = g_strdup_printf(
	    "[polygate]\ndatabase = /tmp/x.db\nkey_file = /tmp/x.key\n"
	    "[transport irc]\njid = irc.example.org\nsecret = s\ntype = irc\n%s",
	    extra);
	PgConfig *config = pg_config_load_from_data(text, "/nonexistent/polygate.conf", &error);

	g_assert_no_error(error);
	return config;
}

static void
test_ident_names(void)
{
	g_autoptr(PgConfig) config = test_ident_config("");
	g_autoptr(PgIdent) ident = pg_ident_new_for_test(config->ident, test_key);
	g_autofree gchar *alice = pg_ident_name(ident, "alice@example.org");
	g_autofree gchar *alice2 = pg_ident_name(ident, "alice@example.org");
	g_autofree gchar *bob = pg_ident_name(ident, "bob@example.org");
	g_autofree gchar *bridge = pg_ident_name(ident, "bridge:Project-Chat_2026");
	g_autofree gchar *digits = pg_ident_name(ident, "bridge:42");
	g_autofree gchar *occupant = pg_ident_name(ident, "bridge:project:abc");
	g_autofree gchar *owner = pg_ident_owner_of("alice@example.org/irc.example.org/irc.net");

	g_assert_cmpstr(alice, ==, alice2);
	g_assert_cmpstr(alice, !=, bob);
	g_assert_cmpuint(strlen(alice), ==, PG_IDENT_NAME_MAX);
	g_assert_true(alice[0] == 'x');
	for (const gchar *p = alice; *p != '\0'; p++)
		g_assert_true(g_ascii_islower(*p) || g_ascii_isdigit(*p));
	g_assert_null(strstr(alice, "alice"));
	g_assert_cmpstr(bridge, ==, "project-ch");
	/* a name that cannot start an ident falls back to the hash */
	g_assert_true(digits[0] == 'x' && strlen(digits) == PG_IDENT_NAME_MAX);
	g_assert_true(occupant[0] == 'x' && strlen(occupant) == PG_IDENT_NAME_MAX);
	g_assert_cmpstr(owner, ==, "alice@example.org");
}

static void
test_ident_set_owner(void)
{
	g_autoptr(PgConfig) config = test_ident_config("");
	g_autoptr(PgIdent) ident = pg_ident_new_for_test(config->ident, test_key);
	g_autoptr(GInetAddress) here = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autofree gchar *alice = pg_ident_name(ident, "alice@example.org");
	g_autofree gchar *by_shape = NULL;
	g_autofree gchar *as_alice = NULL;
	g_autofree gchar *again = NULL;

	/* a bridge's connection for alice answers as alice's own links do */
	pg_ident_set_check_kernel(ident, FALSE);
	pg_ident_claim(ident, "bridge:project:1f2e", 40000, 6667);
	by_shape = pg_ident_lookup(ident, here, 40000, 6667);
	g_assert_cmpstr(by_shape, !=, alice);
	pg_ident_set_owner(ident, "bridge:project:1f2e", "alice@example.org");
	as_alice = pg_ident_lookup(ident, here, 40000, 6667);
	g_assert_cmpstr(as_alice, ==, alice);
	pg_ident_forget_owner(ident, "bridge:project:1f2e");
	again = pg_ident_lookup(ident, here, 40000, 6667);
	g_assert_cmpstr(again, ==, by_shape);
}

static void
test_ident_webirc_line(void)
{
	g_autoptr(PgConfig) config = test_ident_config(
	    "[webirc libera]\nservers = irc.example.net;*.example.net\npassword = s3cret\n"
	    "gateway = polygate\nhost_suffix = users.gw.example.org\n"
	    "ip_prefix = fd12:3456:789a::/48\n"
	    "[webirc other]\nservers = other.example\npassword = pw\nhost_suffix = x.example\n");
	g_autoptr(PgIdent) ident = pg_ident_new_for_test(config->ident, test_key);
	const PgWebircConfig *libera = pg_ident_config_webirc_for(config->ident, "IRC.Example.NET");
	const PgWebircConfig *other = pg_ident_config_webirc_for(config->ident, "other.example");
	g_autofree gchar *ip = NULL;
	g_autofree gchar *plain_ip = NULL;
	g_autofree gchar *host = NULL;
	g_autoptr(PgIpcMessage) login = NULL;
	g_autoptr(PgIpcMessage) elsewhere = NULL;
	g_autoptr(PgSecret) line = NULL;
	g_auto(GStrv) words = NULL;

	g_assert_nonnull(libera);
	g_assert_true(pg_ident_config_webirc_for(config->ident, "a.example.net") == libera);
	g_assert_null(pg_ident_config_webirc_for(config->ident, "example.org"));
	ip = pg_ident_webirc_ip(ident, libera, "alice@example.org");
	g_assert_true(g_str_has_prefix(ip, "fd12:3456:789a:"));
	plain_ip = pg_ident_webirc_ip(ident, other, "alice@example.org");
	g_assert_cmpstr(plain_ip, ==, "127.0.0.1");
	host = pg_ident_webirc_host(ident, libera, "alice@example.org");
	g_assert_true(g_str_has_suffix(host, ".users.gw.example.org"));
	g_assert_cmpuint(strlen(host), ==, 12 + strlen(".users.gw.example.org"));

	login = pg_ident_attach_login(
	    ident, "alice@example.org/irc.example.org/irc.example.net",
	    pg_ipc_message_new(PG_IPC_CMD_LOGIN, 0, "account", g_variant_new_string("a"),
			       "protocol", g_variant_new_string("prpl-irc"), "username",
			       g_variant_new_string("alice@irc.example.net"), NULL));
	line = pg_ipc_message_dup_secret(login, "webirc");
	g_assert_nonnull(line);
	words = g_strsplit(pg_secret_get_string(line), " ", -1);
	g_assert_cmpuint(g_strv_length(words), ==, 5);
	g_assert_cmpstr(words[0], ==, "WEBIRC");
	g_assert_cmpstr(words[1], ==, "s3cret");
	g_assert_cmpstr(words[2], ==, "polygate");
	g_assert_cmpstr(words[3], ==, host);
	g_assert_cmpstr(words[4], ==, ip);
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) frame = pg_ipc_message_encode(login, &error);
		g_assert_no_error(error);
		g_assert_nonnull(frame);
	}
	/* no [webirc] for the server, or not IRC: no line */
	elsewhere = pg_ident_attach_login(
	    ident, "alice@example.org/irc.example.org/irc.example.org",
	    pg_ipc_message_new(PG_IPC_CMD_LOGIN, 0, "account", g_variant_new_string("a"),
			       "protocol", g_variant_new_string("prpl-irc"), "username",
			       g_variant_new_string("alice@irc.example.org"), NULL));
	g_assert_false(pg_ipc_message_has_field(elsewhere, "webirc"));
}

static void
test_ident_config_problems(void)
{
	static const struct {
		const gchar *text;
		const gchar *problem;
	} cases[] = {
	    {"[webirc a]\nservers = x.net\npassword = p\n", "host_suffix: missing"},
	    {"[webirc a]\npassword = p\nhost_suffix = h.example\n", "servers: missing"},
	    {"[webirc a]\nservers = x.net\nhost_suffix = h.example\n", "password: missing"},
	    {"[webirc a]\nservers = x.net\npassword = two words\nhost_suffix = h.example\n",
	     "[webirc a] password: must be one word"},
	    {"[webirc a]\nservers = x.net\npassword = :colon\nhost_suffix = h.example\n",
	     "password: must be one word"},
	    {"[webirc a]\nservers = x.net\npassword = p\nhost_suffix = bad_host!\n",
	     "host_suffix: 'bad_host!' is not a host name"},
	    {"[webirc a]\nservers = x.net\npassword = p\nhost_suffix = h.example\n"
	     "ip_prefix = 10.0.0.0/8\n",
	     "ip_prefix: '10.0.0.0/8' is not an IPv6 prefix"},
	    {"[webirc a]\nservers = x.net\npassword = p\nhost_suffix = h.example\n"
	     "ip_prefix = fd00::/128\n",
	     "ip_prefix"},
	    {"[webirc a]\nservers = x.net\npassword = p\nhost_suffix = h.example\nport = 1\n",
	     "[webirc a] port: unknown key"},
	    {"[webirc a]\nservers = x.net\npassword = p\nhost_suffix = h.example\n"
	     "[webirc b]\nservers = x.net\npassword = p\nhost_suffix = h.example\n",
	     "both name server x.net"},
	};
	static const struct {
		const gchar *value;
		gboolean ok;
	} listens[] = {
	    {"127.0.0.1:113", TRUE}, {"[::1]:113", TRUE},   {"127.0.0.1", FALSE},
	    {"localhost:113", FALSE}, {"127.0.0.1:0", FALSE}, {"127.0.0.1:65536", FALSE},
	    {"[::1:113", FALSE},      {"::1:113", FALSE},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *text = g_strdup_printf(
		    "[polygate]\ndatabase = /tmp/x.db\nkey_file = /tmp/x.key\n"
		    "[transport irc]\njid = irc.example.org\nsecret = s\ntype = irc\n%s",
		    cases[i].text);
		g_autoptr(PgConfig) config =
		    pg_config_load_from_data(text, "/nonexistent/polygate.conf", &error);
		g_assert_null(config);
		g_assert_error(error, PG_ERROR, PG_ERROR_CONFIG);
		g_test_message("%s", error->message);
		g_assert_nonnull(strstr(error->message, cases[i].problem));
	}
	for (gsize i = 0; i < G_N_ELEMENTS(listens); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *text = g_strdup_printf(
		    "[polygate]\ndatabase = /tmp/x.db\nkey_file = /tmp/x.key\nidentd_listen = %s\n"
		    "[transport irc]\njid = irc.example.org\nsecret = s\ntype = irc\n",
		    listens[i].value);
		g_autoptr(PgConfig) config =
		    pg_config_load_from_data(text, "/nonexistent/polygate.conf", &error);
		g_test_message("identd_listen = %s", listens[i].value);
		g_assert_cmpint(config != NULL, ==, listens[i].ok);
		if (config != NULL) {
			g_assert_cmpuint(config->ident->identd_port, ==, 113);
			g_assert_cmpstr(config->ident->key_file, ==, "/tmp/x.key.ident");
		}
	}
}

static void
test_ident_claims(void)
{
	g_autoptr(PgConfig) config = test_ident_config("");
	g_autoptr(PgIdent) ident = pg_ident_new_for_test(config->ident, test_key);
	g_autoptr(GInetAddress) here = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autofree gchar *alice_name = pg_ident_name(ident, "alice@example.org");
	g_autofree gchar *answer = NULL;
	g_autofree gchar *none = NULL;
	g_autofree gchar *disputed = NULL;
	g_autofree gchar *oldest = NULL;
	g_autofree gchar *forgotten = NULL;

	/* the claims alone: the kernel's table has no such connections */
	pg_ident_set_check_kernel(ident, FALSE);
	pg_ident_claim(ident, "alice@example.org/irc/net", 40000, 6667);
	answer = pg_ident_lookup(ident, here, 40000, 6667);
	g_assert_cmpstr(answer, ==, alice_name);
	none = pg_ident_lookup(ident, here, 40000, 6668);
	g_assert_null(none);

	/* another account claims alice's connection: nobody's name is given */
	g_test_expect_message("pg-ident", G_LOG_LEVEL_WARNING, "*claims the connection*");
	pg_ident_claim(ident, "mallory@example.org/irc/net", 40000, 6667);
	g_test_assert_expected_messages();
	disputed = pg_ident_lookup(ident, here, 40000, 6667);
	g_assert_null(disputed);

	/* an account holds at most PG_IDENT_CLAIMS_PER_ACCOUNT pairs */
	for (guint port = 50000; port < 50010; port++)
		pg_ident_claim(ident, "mallory@example.org/irc/net", port, 6667);
	oldest = pg_ident_lookup(ident, here, 50000, 6667);
	g_assert_null(oldest);
	g_free(answer);
	answer = pg_ident_lookup(ident, here, 50009, 6667);
	g_assert_nonnull(answer);

	/* ports out of range are refused */
	pg_ident_claim(ident, "bob@example.org/irc/net", 70000, 6667);
	g_free(answer);
	answer = pg_ident_lookup(ident, here, 70000 & 0xffff, 6667);
	g_assert_null(answer);

	pg_ident_forget(ident, "mallory@example.org/irc/net");
	forgotten = pg_ident_lookup(ident, here, 50009, 6667);
	g_assert_null(forgotten);

	/* with the kernel's table: no connection 40001 -> 6667 to us exists */
	pg_ident_set_check_kernel(ident, TRUE);
	pg_ident_claim(ident, "carol@example.org/irc/net", 40001, 6667);
	g_free(answer);
	answer = pg_ident_lookup(ident, here, 40001, 6667);
	g_assert_null(answer);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ident/query/table", test_ident_query_table);
	g_test_add_func("/ident/query/not-terminated", test_ident_query_not_terminated);
	g_test_add_func("/ident/names/stable-short-and-opaque", test_ident_names);
	g_test_add_func("/ident/names/owner-set-for-an-account", test_ident_set_owner);
	g_test_add_func("/ident/webirc/line", test_ident_webirc_line);
	g_test_add_func("/ident/config/problems", test_ident_config_problems);
	g_test_add_func("/ident/claims/disputes-and-limits", test_ident_claims);
	return g_test_run();
}
