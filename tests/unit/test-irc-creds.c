/* src/registry/pg-irc-creds.c: IRC passwords bound to their server. */
#include "config.h"

#include "core/pg-error.h"
#include "registry/pg-irc-creds.h"
#include "registry/pg-registry.h"

#include "pg-test-registry.h"

#define PG_TEST_IRC  "irc.example.org"
#define PG_TEST_USER "alice@example.org"

typedef PgTestRegistry PgTestFixture;

static void
pg_test_fixture_setup(PgTestFixture *fixture, gconstpointer user_data)
{
	pg_test_registry_init(fixture, "test-irc-creds", "registry.key", "registry.db");
	pg_test_registry_open(fixture);
}

static void
pg_test_fixture_teardown(PgTestFixture *fixture, gconstpointer user_data)
{
	pg_test_registry_clear(fixture);
}

static PgAccount *
pg_test_account(const gchar *server_field)
{
	PgAccount *account = pg_account_new(PG_TEST_IRC, PG_TEST_USER, "alice");
	pg_account_set_secret(account, "password", pg_secret_new_from_string("nickserv-pw"));
	if (server_field != NULL)
		pg_account_set_setting(account, "server", server_field);
	return account;
}

/* Which servers get the passwords, by the registration's server field and
 * the transport's fixed irc_server. */
static void
test_bind_and_allow(void)
{
	static const struct {
		const gchar *field;     /* the registration's "server", or NULL */
		const gchar *fixed;     /* irc_server, or NULL */
		const gchar *bound;     /* expected binding, or NULL */
		const gchar *server;    /* a server a JID names */
		gboolean allowed;
	} cases[] = {
	    {NULL, "irc.libera.chat", "irc.libera.chat", "irc.libera.chat", TRUE},
	    {NULL, "irc.libera.chat", "irc.libera.chat", "IRC.Libera.Chat.", TRUE},
	    {NULL, "irc.libera.chat", "irc.libera.chat", "evil.example", FALSE},
	    {NULL, "irc.libera.chat", "irc.libera.chat", "irc.libera.chat.evil.example", FALSE},
	    {NULL, "127.0.0.1", "127.0.0.1", "127.0.0.2", FALSE},
	    {NULL, NULL, NULL, "irc.libera.chat", FALSE},
	    {NULL, NULL, NULL, "evil.example", FALSE},
	    {"", NULL, NULL, "evil.example", FALSE},
	    {"irc.oftc.net", NULL, "irc.oftc.net", "irc.oftc.net", TRUE},
	    {"IRC.OFTC.NET.", NULL, "irc.oftc.net", "irc.oftc.net", TRUE},
	    {"irc.oftc.net", NULL, "irc.oftc.net", "evil.example", FALSE},
	    {"irc.oftc.net", "irc.libera.chat", "irc.oftc.net", "irc.libera.chat", FALSE},
	    {"irc.oftc.net", "irc.libera.chat", "irc.oftc.net", "irc.oftc.net", TRUE},
	    {"2001:db8::7", NULL, "2001:db8::7", "2001:db8::7", TRUE},
	};
	PgTransportConfig transport = {.type = PG_TRANSPORT_TYPE_IRC, .jid = (gchar *)PG_TEST_IRC};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(PgAccount) account = pg_test_account(cases[i].field);
		g_autoptr(GError) error = NULL;

		transport.irc_server = (gchar *)cases[i].fixed;
		g_assert_true(pg_irc_creds_bind(account, &transport, &error));
		g_assert_no_error(error);
		g_assert_cmpstr(pg_irc_creds_server(account, &transport), ==, cases[i].bound);
		g_assert_cmpstr(pg_account_get_setting(account, "server"), ==, cases[i].bound);
		if (pg_irc_creds_allowed(account, &transport, cases[i].server) != cases[i].allowed)
			g_error("row %zu: field '%s', irc_server '%s', server '%s': expected %s", i,
				cases[i].field, cases[i].fixed, cases[i].server,
				cases[i].allowed ? "allowed" : "withheld");
		g_assert_true(pg_irc_creds_any(account));
	}
}

static void
test_bad_server_is_not_acceptable(void)
{
	static const gchar *const bad[] = {"irc example", "127.1", "0x7f000001", "irc/x", "-x"};
	PgTransportConfig transport = {.type = PG_TRANSPORT_TYPE_IRC, .jid = (gchar *)PG_TEST_IRC};

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(PgAccount) account = pg_test_account(bad[i]);
		g_autoptr(GError) error = NULL;
		g_assert_false(pg_irc_creds_bind(account, &transport, &error));
		g_assert_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE);
	}
}

/* Registrations from before the binding have none: the fixed server then,
 * else nobody. */
static void
test_unbound_registration(void)
{
	g_autoptr(PgAccount) account = pg_test_account(NULL);
	PgTransportConfig transport = {.type = PG_TRANSPORT_TYPE_IRC, .jid = (gchar *)PG_TEST_IRC};

	g_assert_false(pg_irc_creds_allowed(account, &transport, "irc.libera.chat"));
	transport.irc_server = (gchar *)"irc.libera.chat";
	g_assert_true(pg_irc_creds_allowed(account, &transport, "irc.libera.chat"));
	g_assert_false(pg_irc_creds_allowed(account, &transport, "evil.example"));
}

/* The sealed copy is the one that counts: the public setting is only shown. */
static void
test_sealed_binding_survives_the_registry(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(PgAccount) account = pg_test_account("irc.oftc.net");
	g_autoptr(PgAccount) stored = NULL;
	g_autoptr(GError) error = NULL;
	PgTransportConfig transport = {.type = PG_TRANSPORT_TYPE_IRC, .jid = (gchar *)PG_TEST_IRC};

	g_assert_true(pg_irc_creds_bind(account, &transport, &error));
	g_assert_true(pg_registry_put_account(fixture->registry, account, NULL, &error));
	g_assert_no_error(error);
	stored = pg_registry_get_account(fixture->registry, PG_TEST_IRC, PG_TEST_USER, &error);
	g_assert_no_error(error);
	g_assert_true(pg_irc_creds_allowed(stored, &transport, "irc.oftc.net"));
	/* someone who can write the settings but not the seal */
	pg_account_set_setting(stored, "server", "evil.example");
	g_assert_false(pg_irc_creds_allowed(stored, &transport, "evil.example"));
	g_assert_true(pg_irc_creds_allowed(stored, &transport, "irc.oftc.net"));
	/* and the binding is not readable on disk */
	{
		g_autoptr(GBytes) bytes = pg_test_read_file(fixture->db_path);
		g_autoptr(GBytes) wal = NULL;
		g_autofree gchar *wal_path = g_strconcat(fixture->db_path, "-wal", NULL);
		wal = pg_test_read_file(wal_path);
		g_assert_false(pg_test_bytes_contain(bytes, "nickserv-pw"));
		g_assert_false(pg_test_bytes_contain(wal, "nickserv-pw"));
	}
}

/* A nick set for one server is that server's only (issue 10, item 2). */
static void
test_server_nick_is_for_its_server_only(void)
{
	g_autoptr(PgAccount) account = pg_test_account(NULL);

	g_assert_null(pg_irc_creds_nick(account, "irc.libera.chat"));
	pg_irc_creds_set_server_setting(account, "IRC.Libera.Chat", "nick", "alice_l");
	g_assert_cmpstr(pg_irc_creds_nick(account, "irc.libera.chat"), ==, "alice_l");
	g_assert_cmpstr(pg_irc_creds_nick(account, "IRC.LIBERA.CHAT"), ==, "alice_l");
	g_assert_null(pg_irc_creds_nick(account, "irc.oftc.net"));
	g_assert_null(pg_irc_creds_nick(account, ""));
	/* an empty value is no nick: the registration's applies */
	pg_irc_creds_set_server_setting(account, "irc.libera.chat", "nick", "");
	g_assert_null(pg_irc_creds_nick(account, "irc.libera.chat"));
	pg_irc_creds_set_server_setting(account, "irc.libera.chat", "nick", NULL);
	g_assert_null(pg_irc_creds_server_setting(account, "irc.libera.chat", "nick"));
}

/* A password set for one server is that server's only, among the sealed
 * secrets, never a public setting (issue 10, item 2). */
static void
test_server_password_is_for_its_server_only(void)
{
	g_autoptr(PgAccount) account = pg_test_account(NULL);

	g_assert_null(pg_irc_creds_server_secret(account, "irc.libera.chat", "password"));
	pg_irc_creds_set_server_secret(account, "IRC.Libera.Chat", "password",
				       pg_secret_new_from_string("s3cret"));
	g_assert_cmpstr(pg_secret_get_string(pg_irc_creds_server_secret(
			    account, "irc.libera.chat", "password")), ==, "s3cret");
	g_assert_null(pg_irc_creds_server_secret(account, "irc.oftc.net", "password"));
	g_assert_null(pg_irc_creds_server_secret(account, "irc.libera.chat", "server_password"));
	g_assert_null(pg_irc_creds_server_setting(account, "irc.libera.chat", "password"));
	g_assert_null(pg_irc_creds_server_secret(account, "", "password"));
	pg_irc_creds_set_server_secret(account, "irc.libera.chat", "password", NULL);
	g_assert_null(pg_irc_creds_server_secret(account, "irc.libera.chat", "password"));
}

/* A new registration keeps what no form sets: per-server settings always,
 * the plugin's saved state only for the same legacy account. */
static void
test_keep_from_old_registration(void)
{
	g_autoptr(PgAccount) old = pg_account_new("irc.example.org", "a@example.org", "alice");
	g_autoptr(PgAccount) same = pg_account_new("irc.example.org", "a@example.org", "alice");
	g_autoptr(PgAccount) other = pg_account_new("irc.example.org", "a@example.org", "bob");

	pg_irc_creds_set_server_setting(old, "irc.example.net", "nick", "al");
	pg_account_set_secret(old, PG_ACCOUNT_SERVERS_PREFIX "irc.example.net/password",
			      pg_secret_new_from_string("s3cret"));
	pg_account_set_secret(old, PG_ACCOUNT_STATE_PREFIX "cert", pg_secret_new_from_string("x"));
	pg_account_set_setting(old, "nick", "alice");
	pg_account_set_setting(same, "nick", "alice2");

	pg_account_keep_from(same, old);
	g_assert_cmpstr(pg_irc_creds_nick(same, "irc.example.net"), ==, "al");
	g_assert_nonnull(
	    pg_account_get_secret(same, PG_ACCOUNT_SERVERS_PREFIX "irc.example.net/password"));
	g_assert_nonnull(pg_account_get_secret(same, PG_ACCOUNT_STATE_PREFIX "cert"));
	g_assert_cmpstr(pg_account_get_setting(same, "nick"), ==, "alice2"); /* the form's */

	pg_account_keep_from(other, old);
	g_assert_cmpstr(pg_irc_creds_nick(other, "irc.example.net"), ==, "al");
	g_assert_null(pg_account_get_secret(other, PG_ACCOUNT_STATE_PREFIX "cert"));
	g_assert_null(pg_account_get_setting(other, "nick"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/irc-creds/server-nick-is-for-its-server-only",
			test_server_nick_is_for_its_server_only);
	g_test_add_func("/irc-creds/server-password-is-for-its-server-only",
			test_server_password_is_for_its_server_only);
	g_test_add_func("/irc-creds/bind-and-allow", test_bind_and_allow);
	g_test_add_func("/irc-creds/bad-server-is-not-acceptable",
			test_bad_server_is_not_acceptable);
	g_test_add_func("/irc-creds/unbound-registration", test_unbound_registration);
	g_test_add_func("/irc-creds/keep-from-old-registration", test_keep_from_old_registration);
	g_test_add("/irc-creds/sealed-binding-survives-the-registry", PgTestFixture, NULL,
		   pg_test_fixture_setup, test_sealed_binding_survives_the_registry,
		   pg_test_fixture_teardown);
	return g_test_run();
}
