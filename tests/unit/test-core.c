/* Unit tests of src/core: config validation, E.164 normalisation, PgSecret,
 * error conditions. */
#define G_LOG_DOMAIN "test-core"

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "core/pg-config.h"
#include "core/pg-error.h"
#include "core/pg-phone.h"
#include "core/pg-secret.h"

/* ---- helpers ---- */

typedef struct {
	gchar *dir;
	gchar *config_path; /* never created: pg_config_load_from_data() gets the text */
} PgTestFixture;

static void
pg_test_write_file(const gchar *path, const gchar *contents, mode_t mode)
{
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, contents, -1, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_chmod(path, mode), ==, 0);
}

static void
pg_test_fixture_setup(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *good = NULL;
	g_autofree gchar *world = NULL;

	fixture->dir = g_dir_make_tmp("polygate-test-core-XXXXXX", &error);
	g_assert_no_error(error);
	fixture->config_path = g_build_filename(fixture->dir, "polygate.conf", NULL);
	/* secret files the cases refer to by relative path */
	good = g_build_filename(fixture->dir, "sms.secret", NULL);
	pg_test_write_file(good, "file-secret\n", 0600);
	world = g_build_filename(fixture->dir, "world.secret", NULL);
	pg_test_write_file(world, "world-secret\n", 0644);
}

static void
pg_test_fixture_teardown(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GDir) dir = g_dir_open(fixture->dir, 0, NULL);
	const gchar *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *path = g_build_filename(fixture->dir, name, NULL);
		g_unlink(path);
	}
	g_rmdir(fixture->dir);
	g_free(fixture->dir);
	g_free(fixture->config_path);
}

static void
pg_test_assert_contains(const gchar *haystack, const gchar *needle)
{
	if (strstr(haystack, needle) == NULL)
		g_error("expected \"%s\" in:\n%s", needle, haystack);
}

/* ---- config: a valid file ---- */

#define PG_TEST_TOKEN	"0123456789abcdef-TOKEN"
#define PG_TEST_TOKEN_2 "fedcba9876543210-OTHER"

static const gchar pg_test_valid_config[] = "[polygate]\n"
					    "database = state/registry.db\n"
					    "key_file = /etc/polygate/registry.key\n"
					    "log_level = info\n"
					    "admins = admin@example.org;ops@example.net\n"
					    "\n"
					    "[transport irc]\n"
					    "jid = IRC.Example.org\n"
					    "secret = s3cret\n"
					    "type = irc\n"
					    "irc_server = irc.libera.chat\n"
					    "\n"
					    "[transport sms]\n"
					    "jid = sms.example.org\n"
					    "secret_file = sms.secret\n"
					    "type = sms\n"
					    "name = Text messages\n"
					    "allowed_domains = example.org; Example.NET\n"
					    "kannel_token = " PG_TEST_TOKEN "\n"
					    "\n"
					    "[transport xmpp]\n"
					    "jid = gateway\n"
					    "secret = other\n"
					    "type = purple\n"
					    "purple_protocol = prpl-jabber\n"
					    "allowed_domains = *\n";

static void
test_config_valid(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgConfig) config = NULL;
	g_autofree gchar *database = g_build_filename(fixture->dir, "state", "registry.db", NULL);
	PgTransportConfig *irc, *sms, *xmpp;
	g_autoptr(PgSecret) file_secret = pg_secret_new_from_string("file-secret");
	g_autoptr(PgSecret) inline_secret = pg_secret_new_from_string("s3cret");

	config = pg_config_load_from_data(pg_test_valid_config, fixture->config_path, &error);
	g_assert_no_error(error);
	g_assert_nonnull(config);

	g_assert_cmpstr(config->path, ==, fixture->config_path);
	/* relative paths are resolved against the config file's directory */
	g_assert_cmpstr(config->database, ==, database);
	g_assert_cmpstr(config->key_file, ==, "/etc/polygate/registry.key");
	g_assert_cmpint(config->log_level, ==, G_LOG_LEVEL_INFO);
	g_assert_cmpuint(g_strv_length(config->admins), ==, 2);
	g_assert_true(pg_config_is_admin(config, "ops@example.net"));
	g_assert_false(pg_config_is_admin(config, "user@example.org"));
	/* [xmpp] absent: the defaults */
	g_assert_cmpstr(config->xmpp_host, ==, "127.0.0.1");
	g_assert_cmpuint(config->xmpp_port, ==, 5347);
	g_assert_null(config->worker_path);
	g_assert_cmpuint(config->users_per_worker, ==, 1);
	g_assert_cmpuint(config->max_concurrent_logins, ==, 10);
	g_assert_cmpstr(config->worker_sandbox, ==, "best-effort");
	g_assert_cmpuint(config->probe_timeout, ==, 45);

	g_assert_cmpuint(config->transports->len, ==, 3);
	irc = g_ptr_array_index(config->transports, 0);
	sms = g_ptr_array_index(config->transports, 1);
	xmpp = g_ptr_array_index(config->transports, 2);

	g_assert_cmpstr(irc->name, ==, "irc");
	g_assert_cmpstr(irc->jid, ==, "irc.example.org"); /* lower-cased */
	g_assert_cmpint(irc->type, ==, PG_TRANSPORT_TYPE_IRC);
	g_assert_true(pg_secret_equal(irc->secret, inline_secret));
	g_assert_cmpstr(irc->display_name, ==, "Polygate irc gateway");
	g_assert_cmpstr(irc->irc_server, ==, "irc.libera.chat");
	g_assert_null(irc->purple_protocol);
	g_assert_cmpuint(irc->irc_port, ==, 6667);
	g_assert_false(irc->irc_tls);
	g_assert_false(irc->irc_tls_set); /* TLS unless the server is on loopback */
	g_assert_false(irc->irc_port_set);
	g_assert_nonnull(irc->irc_policy);
	g_assert_false(pg_net_policy_has_allow_list(irc->irc_policy));
	g_assert_cmpuint(irc->irc_throttle_burst, ==, 5);
	g_assert_cmpuint(irc->irc_throttle_interval, ==, 2);
	g_assert_cmpstr(irc->irc_charset, ==, "WINDOWS-1252");
	/* users may choose IRC's usual ports, and no other */
	g_assert_true(pg_net_ports_contains(irc->irc_user_ports, 6697));
	g_assert_true(pg_net_ports_contains(irc->irc_user_ports, 6667));
	g_assert_false(pg_net_ports_contains(irc->irc_user_ports, 25));
	/* allowed_domains defaults to the parent of the component's domain */
	g_assert_cmpuint(g_strv_length(irc->allowed_domains), ==, 1);
	g_assert_cmpstr(irc->allowed_domains[0], ==, "example.org");
	g_assert_true(pg_transport_config_allows_domain(irc, "example.org"));
	g_assert_true(pg_transport_config_allows_domain(irc, "EXAMPLE.org"));
	g_assert_false(pg_transport_config_allows_domain(irc, "example.net"));
	g_assert_false(pg_transport_config_allows_domain(irc, "irc.example.org.evil"));

	g_assert_cmpstr(sms->jid, ==, "sms.example.org");
	g_assert_cmpint(sms->type, ==, PG_TRANSPORT_TYPE_SMS);
	/* secret_file: the trailing newline is not part of the secret */
	g_assert_true(pg_secret_equal(sms->secret, file_secret));
	g_assert_cmpstr(sms->display_name, ==, "Text messages");
	g_assert_cmpuint(g_strv_length(sms->allowed_domains), ==, 2);
	g_assert_cmpstr(sms->allowed_domains[1], ==, "example.net");
	g_assert_true(pg_transport_config_allows_domain(sms, "example.net"));
	g_assert_null(sms->irc_server);
	/* Kannel: the defaults */
	g_assert_cmpstr(sms->kannel_sendsms_url, ==, "http://127.0.0.1:13013/cgi-bin/sendsms");
	g_assert_null(sms->kannel_username);
	g_assert_null(sms->kannel_password);
	g_assert_cmpstr(pg_secret_get_string(sms->kannel_token), ==, PG_TEST_TOKEN);
	g_assert_null(sms->kannel_smsc);
	g_assert_cmpuint(sms->sms_retry_max_age, ==, 3600);
	g_assert_true(sms->sms_dlr);
	/* ... and nothing Kannel on other types */
	g_assert_null(irc->kannel_sendsms_url);
	g_assert_null(irc->kannel_token);
	/* [http] absent: the defaults */
	g_assert_cmpstr(config->http_listen, ==, "127.0.0.1");
	g_assert_cmpuint(config->http_port, ==, 8088);

	g_assert_cmpint(xmpp->type, ==, PG_TRANSPORT_TYPE_PURPLE);
	g_assert_cmpstr(xmpp->purple_protocol, ==, "prpl-jabber");
	g_assert_true(pg_transport_config_allows_domain(xmpp, "anywhere.example"));
}

static void
test_config_xmpp_group_and_defaults(PgTestFixture *fixture, gconstpointer user_data)
{
	static const gchar text[] = "[polygate]\n"
				    "database = registry.db\n"
				    "key_file = registry.key\n"
				    "worker = bin/polygate-purple\n"
				    "users_per_worker = 20\n"
				    "worker_sandbox = required\n"
				    "[xmpp]\n"
				    "host = xmpp.internal\n"
				    "port = 5275\n"
				    "probe_timeout = 10\n"
				    "[transport gw]\n"
				    "jid = gateway\n"
				    "secret = s\n"
				    "type = irc\n"
				    "irc_port = 6697\n"
				    "irc_tls = true\n"
				    "irc_throttle_interval = 0\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(PgConfig) config = pg_config_load_from_data(text, fixture->config_path, &error);
	g_autofree gchar *key_file = g_build_filename(fixture->dir, "registry.key", NULL);
	g_autofree gchar *worker = g_build_filename(fixture->dir, "bin", "polygate-purple", NULL);
	PgTransportConfig *gw;

	g_assert_no_error(error);
	g_assert_cmpstr(config->xmpp_host, ==, "xmpp.internal");
	g_assert_cmpuint(config->xmpp_port, ==, 5275);
	g_assert_cmpuint(config->probe_timeout, ==, 10);
	g_assert_cmpstr(config->key_file, ==, key_file);
	g_assert_cmpint(config->log_level, ==, G_LOG_LEVEL_MESSAGE);
	g_assert_null(config->admins);
	g_assert_cmpstr(config->worker_path, ==, worker);
	g_assert_cmpuint(config->users_per_worker, ==, 20);
	g_assert_cmpstr(config->worker_sandbox, ==, "required");
	gw = g_ptr_array_index(config->transports, 0);
	g_assert_cmpuint(gw->irc_port, ==, 6697);
	g_assert_true(gw->irc_tls);
	g_assert_cmpuint(gw->irc_throttle_interval, ==, 0);
	/* a top-level component name has no parent: it serves its own domain */
	g_assert_cmpstr(gw->allowed_domains[0], ==, "gateway");
}

/* ---- config: [http] and the Kannel keys of an sms transport ---- */

static void
test_config_http_and_kannel(PgTestFixture *fixture, gconstpointer user_data)
{
	static const gchar text[] = "[polygate]\n"
				    "database = registry.db\n"
				    "key_file = registry.key\n"
				    "[http]\n"
				    "listen = ::1\n"
				    "port = 18088\n"
				    "[transport sms]\n"
				    "jid = sms.example.org\n"
				    "secret = s\n"
				    "type = sms\n"
				    "kannel_sendsms_url = https://kannel.internal:13013/cgi-bin/sendsms\n"
				    "kannel_username = polygate\n"
				    "kannel_password_file = kannel.password\n"
				    "kannel_token_file = kannel.token\n"
				    "kannel_smsc = fake\n"
				    "sms_retry_max_age = 600\n"
				    "sms_dlr = false\n"
				    "[transport sms2]\n"
				    "jid = sms2.example.org\n"
				    "secret = s\n"
				    "type = sms\n"
				    "kannel_username = other\n"
				    "kannel_password = inline-password\n"
				    "kannel_token = " PG_TEST_TOKEN_2 "\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(PgConfig) config = NULL;
	g_autofree gchar *password_path = g_build_filename(fixture->dir, "kannel.password", NULL);
	g_autofree gchar *token_path = g_build_filename(fixture->dir, "kannel.token", NULL);
	PgTransportConfig *sms, *sms2;
	const PgTransportConfig *found;

	pg_test_write_file(password_path, "file-password\n", 0600);
	pg_test_write_file(token_path, PG_TEST_TOKEN "\n", 0600);
	config = pg_config_load_from_data(text, fixture->config_path, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(config->http_listen, ==, "::1");
	g_assert_cmpuint(config->http_port, ==, 18088);

	sms = g_ptr_array_index(config->transports, 0);
	sms2 = g_ptr_array_index(config->transports, 1);
	g_assert_cmpstr(sms->kannel_sendsms_url, ==,
			"https://kannel.internal:13013/cgi-bin/sendsms");
	g_assert_cmpstr(sms->kannel_username, ==, "polygate");
	g_assert_cmpstr(pg_secret_get_string(sms->kannel_password), ==, "file-password");
	g_assert_cmpstr(pg_secret_get_string(sms->kannel_token), ==, PG_TEST_TOKEN);
	g_assert_cmpstr(sms->kannel_smsc, ==, "fake");
	g_assert_cmpuint(sms->sms_retry_max_age, ==, 600);
	g_assert_false(sms->sms_dlr);
	g_assert_cmpstr(pg_secret_get_string(sms2->kannel_password), ==, "inline-password");

	/* the token names the transport */
	found = pg_config_find_transport_by_kannel_token(config, (const guint8 *)PG_TEST_TOKEN,
							 strlen(PG_TEST_TOKEN));
	g_assert_true(found == sms);
	found = pg_config_find_transport_by_kannel_token(config, (const guint8 *)PG_TEST_TOKEN_2,
							 strlen(PG_TEST_TOKEN_2));
	g_assert_true(found == sms2);
	/* a prefix, a longer string, a wrong byte, nothing: no transport */
	g_assert_null(pg_config_find_transport_by_kannel_token(config, (const guint8 *)PG_TEST_TOKEN,
							       strlen(PG_TEST_TOKEN) - 1));
	g_assert_null(pg_config_find_transport_by_kannel_token(
	    config, (const guint8 *)PG_TEST_TOKEN "x", strlen(PG_TEST_TOKEN) + 1));
	g_assert_null(pg_config_find_transport_by_kannel_token(
	    config, (const guint8 *)"0123456789abcdef-TOKEM", strlen(PG_TEST_TOKEN)));
	g_assert_null(pg_config_find_transport_by_kannel_token(config, NULL, 0));
}

static void
test_config_http_off_needs_no_token(PgTestFixture *fixture, gconstpointer user_data)
{
	static const gchar text[] = "[polygate]\n"
				    "database = registry.db\n"
				    "key_file = registry.key\n"
				    "[http]\n"
				    "port = 0\n"
				    "[transport sms]\n"
				    "jid = sms.example.org\n"
				    "secret = s\n"
				    "type = sms\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(PgConfig) config = pg_config_load_from_data(text, fixture->config_path, &error);
	PgTransportConfig *sms;

	g_assert_no_error(error);
	g_assert_cmpuint(config->http_port, ==, 0);
	sms = g_ptr_array_index(config->transports, 0);
	g_assert_null(sms->kannel_token);
	g_assert_null(pg_config_find_transport_by_kannel_token(config, (const guint8 *)"", 0));
}

/* ---- config: a table of bad inputs ---- */

#define PG_POLYGATE "[polygate]\ndatabase = registry.db\nkey_file = registry.key\n"
#define PG_IRC      "[transport irc]\njid = irc.example.org\nsecret = s3cret\ntype = irc\n"
#define PG_SMS                                                                                     \
	"[transport sms]\njid = sms.example.org\nsecret = s3cret\ntype = sms\n"                     \
	"kannel_token = " PG_TEST_TOKEN "\n"

typedef struct {
	const gchar *name;
	const gchar *text;
	const gchar *message; /* expected substring (after "PATH: ") */
} PgConfigCase;

static const PgConfigCase pg_config_bad_cases[] = {
    {"missing-polygate-group", PG_IRC, "[polygate] missing group"},
    {"missing-database", "[polygate]\nkey_file = registry.key\n" PG_IRC,
     "[polygate] database: missing (required)"},
    {"missing-key-file", "[polygate]\ndatabase = registry.db\n" PG_IRC,
     "[polygate] key_file: missing (required)"},
    {"empty-database", "[polygate]\ndatabase =\nkey_file = k\n" PG_IRC,
     "[polygate] database: empty value"},
    {"unknown-key", PG_POLYGATE "colour = blue\n" PG_IRC, "[polygate] colour: unknown key"},
    {"unknown-transport-key", PG_POLYGATE PG_IRC "passwd = x\n",
     "[transport irc] passwd: unknown key"},
    {"unknown-group", PG_POLYGATE PG_IRC "[server]\nhost = x\n",
     "[server] unknown group (expected [polygate], [xmpp], [http], [transport NAME], [bridge NAME] or [webirc NAME])"},
    {"port-0", PG_POLYGATE "[xmpp]\nport = 0\n" PG_IRC,
     "[xmpp] port: must be a TCP port number from 1 to 65535"},
    {"port-70000", PG_POLYGATE "[xmpp]\nport = 70000\n" PG_IRC,
     "[xmpp] port: must be a TCP port number from 1 to 65535"},
    {"port-negative", PG_POLYGATE "[xmpp]\nport = -1\n" PG_IRC,
     "[xmpp] port: must be a TCP port number from 1 to 65535"},
    {"port-abc", PG_POLYGATE "[xmpp]\nport = abc\n" PG_IRC,
     "[xmpp] port: must be a TCP port number from 1 to 65535"},
    {"bad-type",
     PG_POLYGATE "[transport tg]\njid = tg.example.org\nsecret = s\ntype = telegram\n",
     "[transport tg] type: 'telegram' is not one of irc, sms, purple"},
    {"missing-type", PG_POLYGATE "[transport tg]\njid = tg.example.org\nsecret = s\n",
     "[transport tg] type: missing (required)"},
    {"missing-jid", PG_POLYGATE "[transport irc]\nsecret = s\ntype = irc\n",
     "[transport irc] jid: missing (required)"},
    {"jid-with-at",
     PG_POLYGATE "[transport irc]\njid = gw@irc.example.org\nsecret = s\ntype = irc\n",
     "[transport irc] jid: 'gw@irc.example.org' is not a component domain"},
    {"jid-with-resource",
     PG_POLYGATE "[transport irc]\njid = irc.example.org/x\nsecret = s\ntype = irc\n",
     "[transport irc] jid: 'irc.example.org/x' is not a component domain"},
    {"jid-empty-label", PG_POLYGATE "[transport irc]\njid = irc..org\nsecret = s\ntype = irc\n",
     "[transport irc] jid: 'irc..org' is not a component domain"},
    {"secret-and-secret-file",
     PG_POLYGATE "[transport irc]\njid = irc.example.org\nsecret = s\nsecret_file = sms.secret\n"
		 "type = irc\n",
     "[transport irc] secret: give either secret or secret_file, not both"},
    {"no-secret", PG_POLYGATE "[transport irc]\njid = irc.example.org\ntype = irc\n",
     "[transport irc] secret: missing: set secret or secret_file"},
    {"empty-secret", PG_POLYGATE "[transport irc]\njid = irc.example.org\nsecret =\ntype = irc\n",
     "[transport irc] secret: empty value"},
    {"secret-file-world-readable",
     PG_POLYGATE "[transport irc]\njid = irc.example.org\nsecret_file = world.secret\ntype = irc\n",
     "world.secret is accessible by group or others (mode 0644); run: chmod 600 "},
    {"secret-file-missing",
     PG_POLYGATE "[transport irc]\njid = irc.example.org\nsecret_file = nowhere.secret\n"
		 "type = irc\n",
     "[transport irc] secret_file: cannot read "},
    {"empty-allowed-domains", PG_POLYGATE PG_IRC "allowed_domains =\n",
     "[transport irc] allowed_domains: needs at least one domain, or * for any"},
    {"bad-allowed-domain", PG_POLYGATE PG_IRC "allowed_domains = example.org;a@b\n",
     "[transport irc] allowed_domains: 'a@b' is not a domain"},
    {"bad-admin-jid", "[polygate]\ndatabase = d\nkey_file = k\nadmins = admin\n" PG_IRC,
     "[polygate] admins: 'admin' is not a bare JID (user@domain)"},
    {"admin-full-jid",
     "[polygate]\ndatabase = d\nkey_file = k\nadmins = a@example.org/phone\n" PG_IRC,
     "[polygate] admins: 'a@example.org/phone' is not a bare JID"},
    {"duplicate-jid",
     PG_POLYGATE PG_IRC "[transport irc2]\njid = IRC.example.org\nsecret = t\ntype = irc\n",
     "[transport irc] and [transport irc2] both use jid irc.example.org"},
    {"duplicate-name",
     PG_POLYGATE PG_IRC "[transport  irc]\njid = irc2.example.org\nsecret = t\ntype = irc\n",
     "two transport groups are both named irc"},
    {"bad-log-level", "[polygate]\ndatabase = d\nkey_file = k\nlog_level = loud\n" PG_IRC,
     "[polygate] log_level: 'loud' is not one of debug, info, message, warning, error"},
    {"irc-server-on-sms",
     PG_POLYGATE "[transport sms]\njid = sms.example.org\nsecret = s\ntype = sms\n"
		 "irc_server = irc.libera.chat\n",
     "[transport sms] irc_server: only valid with type = irc"},
    {"irc-tls-on-sms",
     PG_POLYGATE "[transport sms]\njid = sms.example.org\nsecret = s\ntype = sms\n"
		 "irc_tls = true\n",
     "[transport sms] irc_tls: only valid with type = irc"},
    {"irc-port-0", PG_POLYGATE PG_IRC "irc_port = 0\n",
     "[transport irc] irc_port: must be a whole number from 1 to 65535"},
    {"irc-tls-not-boolean", PG_POLYGATE PG_IRC "irc_tls = maybe\n",
     "[transport irc] irc_tls: must be true or false"},
    {"irc-allow-bad-entry", PG_POLYGATE PG_IRC "irc_allow = *.libera.chat;127.0.0.0/33;\n",
     "[transport irc] irc_allow: '127.0.0.0/33' is not a host name"},
    {"irc-deny-bad-port", PG_POLYGATE PG_IRC "irc_deny = irc.example.net:99999;\n",
     "[transport irc] irc_deny: 'irc.example.net:99999' is not a host name"},
    {"irc-user-ports-bad", PG_POLYGATE PG_IRC "irc_user_ports = 6697;25-21\n",
     "[transport irc] irc_user_ports: '25-21': the range ends before it starts"},
    {"irc-charset-unknown", PG_POLYGATE PG_IRC "irc_charset = NO-SUCH-CHARSET\n",
     "[transport irc] irc_charset: 'NO-SUCH-CHARSET' is not a charset that iconv knows"},
    {"irc-charset-not-ascii", PG_POLYGATE PG_IRC "irc_charset = UTF-16LE\n",
     "[transport irc] irc_charset: 'UTF-16LE' is not a charset that iconv knows"},
    {"irc-charset-a-list", PG_POLYGATE PG_IRC "irc_charset = UTF-8,KOI8-R\n",
     "[transport irc] irc_charset: 'UTF-8,KOI8-R' is not a charset that iconv knows"},
    {"irc-charset-on-sms",
     PG_POLYGATE "[transport sms]\njid = sms.example.org\nsecret = s\ntype = sms\n"
		 "irc_charset = KOI8-R\n",
     "[transport sms] irc_charset: only valid with type = irc"},
    {"irc-allow-empty", PG_POLYGATE PG_IRC "irc_allow = ;\n",
     "[transport irc] irc_allow: needs at least one entry"},
    {"irc-allow-on-sms",
     PG_POLYGATE "[transport sms]\njid = sms.example.org\nsecret = s\ntype = sms\n"
		 "irc_allow = *;\n",
     "[transport sms] irc_allow: only valid with type = irc"},
    {"users-per-worker-0", "[polygate]\ndatabase = d\nkey_file = k\nusers_per_worker = 0\n" PG_IRC,
     "[polygate] users_per_worker: must be a whole number from 1 to 10000"},
    {"worker-sandbox-unknown", PG_POLYGATE "worker_sandbox = strict\n" PG_IRC,
     "[polygate] worker_sandbox: 'strict' is not one of required, best-effort, off"},
    {"probe-timeout-0", PG_POLYGATE "[xmpp]\nprobe_timeout = 0\n" PG_IRC,
     "[xmpp] probe_timeout: must be a whole number from 1 to 3600"},
    {"purple-protocol-on-irc", PG_POLYGATE PG_IRC "purple_protocol = prpl-jabber\n",
     "[transport irc] purple_protocol: only valid with type = purple"},
    {"no-transport", PG_POLYGATE, "no [transport NAME] group: nothing to serve"},
    {"http-listen-host-name", PG_POLYGATE "[http]\nlisten = localhost\n" PG_IRC,
     "[http] listen: 'localhost' is not an IPv4 or IPv6 address"},
    {"http-port-70000", PG_POLYGATE "[http]\nport = 70000\n" PG_IRC,
     "[http] port: must be a whole number from 0 to 65535"},
    {"http-unknown-key", PG_POLYGATE "[http]\nbind = 127.0.0.1\n" PG_IRC,
     "[http] bind: unknown key"},
    {"kannel-token-on-irc", PG_POLYGATE PG_IRC "kannel_token = " PG_TEST_TOKEN "\n",
     "[transport irc] kannel_token: only valid with type = sms"},
    {"sms-dlr-on-purple",
     PG_POLYGATE "[transport x]\njid = x.example.org\nsecret = s\ntype = purple\n"
		 "sms_dlr = false\n",
     "[transport x] sms_dlr: only valid with type = sms"},
    {"kannel-token-missing-with-http-on",
     PG_POLYGATE "[transport sms]\njid = sms.example.org\nsecret = s\ntype = sms\n",
     "[transport sms] kannel_token: missing: set kannel_token or kannel_token_file"},
    {"kannel-token-too-short", PG_POLYGATE PG_SMS "[transport sms2]\njid = sms2.example.org\n"
		 "secret = s\ntype = sms\nkannel_token = s3cret\n",
     "[transport sms2] kannel_token: too short (6 characters)"},
    {"kannel-token-not-url-safe",
     PG_POLYGATE "[transport sms]\njid = sms.example.org\nsecret = s\ntype = sms\n"
		 "kannel_token = s3cret&s3cret+s3cret\n",
     "[transport sms] kannel_token: may hold only letters, digits"},
    {"kannel-token-shared",
     PG_POLYGATE PG_SMS "[transport sms2]\njid = sms2.example.org\nsecret = s\ntype = sms\n"
		 "kannel_token = " PG_TEST_TOKEN "\n",
     "[transport sms] and [transport sms2] have the same kannel_token"},
    {"kannel-token-and-token-file", PG_POLYGATE PG_SMS "kannel_token_file = sms.secret\n",
     "[transport sms] kannel_token: give either kannel_token or kannel_token_file, not both"},
    {"kannel-token-file-world-readable",
     PG_POLYGATE "[transport sms]\njid = sms.example.org\nsecret = s\ntype = sms\n"
		 "kannel_token_file = world.secret\n",
     "[transport sms] kannel_token_file: "},
    {"kannel-username-without-password", PG_POLYGATE PG_SMS "kannel_username = polygate\n",
     "[transport sms] kannel_password: missing: kannel_username needs kannel_password"},
    {"kannel-password-without-username", PG_POLYGATE PG_SMS "kannel_password = s3cret\n",
     "[transport sms] kannel_username: missing: a Kannel password needs kannel_username"},
    {"kannel-sendsms-url-not-http",
     PG_POLYGATE PG_SMS "kannel_sendsms_url = ftp://127.0.0.1/cgi-bin/sendsms\n",
     "[transport sms] kannel_sendsms_url: 'ftp://127.0.0.1/cgi-bin/sendsms' is not an http://"},
    {"kannel-sendsms-url-with-query",
     PG_POLYGATE PG_SMS "kannel_sendsms_url = http://127.0.0.1:13013/cgi-bin/sendsms?x=1\n",
     "[transport sms] kannel_sendsms_url: "},
    {"sms-retry-max-age-0", PG_POLYGATE PG_SMS "sms_retry_max_age = 0\n",
     "[transport sms] sms_retry_max_age: must be a whole number from 10 to 604800"},
    {"sms-dlr-not-boolean", PG_POLYGATE PG_SMS "sms_dlr = sometimes\n",
     "[transport sms] sms_dlr: must be true or false"},
    {"not-a-key-file", "this is not a key file\n", "polygate.conf: "},
};

static void
test_config_bad(PgTestFixture *fixture, gconstpointer user_data)
{
	const PgConfigCase *c = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(PgConfig) config =
	    pg_config_load_from_data(c->text, fixture->config_path, &error);
	g_autofree gchar *prefix = g_strdup_printf("%s: ", fixture->config_path);

	g_assert_null(config);
	g_assert_error(error, PG_ERROR, PG_ERROR_CONFIG);
	/* every problem names the file first */
	g_assert_true(g_str_has_prefix(error->message, prefix));
	pg_test_assert_contains(error->message, c->message);
	/* a secret value never appears in a message */
	g_assert_null(strstr(error->message, "s3cret"));
	g_assert_null(strstr(error->message, "world-secret"));
	g_assert_null(strstr(error->message, PG_TEST_TOKEN));
}

static void
test_config_all_problems_reported(PgTestFixture *fixture, gconstpointer user_data)
{
	static const gchar text[] = "[polygate]\n"
				    "key_file = registry.key\n"
				    "log_level = loud\n"
				    "[xmpp]\n"
				    "port = 0\n"
				    "[transport irc]\n"
				    "jid = a@b\n"
				    "type = telegram\n"
				    "[bogus]\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(PgConfig) config = pg_config_load_from_data(text, fixture->config_path, &error);
	g_auto(GStrv) lines = NULL;

	g_assert_null(config);
	g_assert_error(error, PG_ERROR, PG_ERROR_CONFIG);
	pg_test_assert_contains(error->message, "[polygate] database: missing (required)");
	pg_test_assert_contains(error->message, "[polygate] log_level: 'loud'");
	pg_test_assert_contains(error->message, "[xmpp] port: must be");
	pg_test_assert_contains(error->message, "[transport irc] jid: 'a@b'");
	pg_test_assert_contains(error->message, "[transport irc] type: 'telegram'");
	pg_test_assert_contains(error->message, "[transport irc] secret: missing");
	pg_test_assert_contains(error->message, "[bogus] unknown group");
	/* one problem a line, each naming the file */
	lines = g_strsplit(error->message, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, 7);
	for (guint i = 0; lines[i] != NULL; i++)
		g_assert_true(g_str_has_prefix(lines[i], fixture->config_path));
}

static void
test_config_world_readable_file_with_inline_secret(PgTestFixture *fixture,
						   gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgConfig) config = NULL;

	pg_test_write_file(fixture->config_path, PG_POLYGATE PG_IRC, 0644);
	config = pg_config_load(fixture->config_path, &error);
	g_assert_null(config);
	g_assert_error(error, PG_ERROR, PG_ERROR_CONFIG);
	pg_test_assert_contains(error->message, "holds a secret inline (secret, kannel_password, "
						"kannel_token or a [webirc NAME] password) but is "
						"world-readable (mode 0644)");
	g_clear_error(&error);

	g_assert_cmpint(g_chmod(fixture->config_path, 0640), ==, 0);
	config = pg_config_load(fixture->config_path, &error);
	g_assert_no_error(error);
	g_assert_nonnull(config);
}

/* ---- E.164 ---- */

typedef struct {
	const gchar *input;
	const gchar *output; /* NULL: refused */
	const gchar *message;
} PgPhoneCase;

static const PgPhoneCase pg_phone_cases[] = {
    {"+1 555-123-4567", "+15551234567", NULL},
    {"0044 20 7946 0958", "+442079460958", NULL},
    {"+15551234567", "+15551234567", NULL},
    {"  +33 6 12 34 56 78", "+33612345678", NULL},
    {"+2901234", "+2901234", NULL},          /* 7 digits: the shortest */
    {"+123456789012345", "+123456789012345", NULL}, /* 15 digits: the longest */
    {"5551234567", NULL, "is not in international form"},
    {"0 44 20 7946 0958", NULL, "is not in international form"},
    {"+1555abc", NULL, "unexpected character 'a'"},
    {"+1 (555) 123-4567", NULL, "unexpected character '('"},
    {"+0123456789", NULL, "a country code never starts with 0"},
    {"00 0123456789", NULL, "a country code never starts with 0"},
    {"+123456", NULL, "has 6 digits; an E.164 number has 7 to 15"},
    {"+1234567890123456", NULL, "has 16 digits; an E.164 number has 7 to 15"},
    {"+", NULL, "has 0 digits"},
    {"", NULL, "empty phone number"},
    {NULL},
};

static void
test_phone_normalize(gconstpointer user_data)
{
	for (const PgPhoneCase *c = user_data; c->input != NULL; c++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *output = pg_phone_normalize_e164(c->input, &error);

		if (c->output != NULL) {
			g_assert_no_error(error);
			g_assert_cmpstr(output, ==, c->output);
		} else {
			g_assert_null(output);
			g_assert_error(error, PG_ERROR, PG_ERROR_JID_MALFORMED);
			pg_test_assert_contains(error->message, c->message);
		}
	}
}

/* ---- PgSecret ---- */

static void
test_secret_equal_and_dup(void)
{
	g_autoptr(PgSecret) a = pg_secret_new_from_string("correct horse");
	g_autoptr(PgSecret) b = pg_secret_new((const guint8 *)"correct horse", 13);
	g_autoptr(PgSecret) prefix = pg_secret_new_from_string("correct");
	g_autoptr(PgSecret) other = pg_secret_new_from_string("correct horsf");
	g_autoptr(PgSecret) empty = pg_secret_new((const guint8 *)"", 0);
	g_autoptr(PgSecret) with_nul = pg_secret_new((const guint8 *)"a\0b", 3);
	g_autoptr(PgSecret) copy = NULL;

	g_assert_true(pg_secret_equal(a, b));
	g_assert_false(pg_secret_equal(a, prefix));
	g_assert_false(pg_secret_equal(a, other));
	g_assert_false(pg_secret_equal(a, empty));
	g_assert_false(pg_secret_equal(a, NULL));
	g_assert_false(pg_secret_equal(NULL, a));
	g_assert_true(pg_secret_equal(NULL, NULL));
	g_assert_cmpuint(empty->len, ==, 0);
	g_assert_cmpstr(pg_secret_get_string(empty), ==, "");

	/* a copy is equal but shares no memory */
	copy = pg_secret_dup(with_nul);
	g_assert_true(pg_secret_equal(copy, with_nul));
	g_assert_true(copy->data != with_nul->data);
	g_assert_cmpuint(copy->len, ==, 3);
	g_assert_cmpmem(copy->data, copy->len, "a\0b", 3);
	/* always NUL-terminated past len */
	g_assert_cmpint(copy->data[copy->len], ==, 0);
	g_assert_cmpstr(pg_secret_get_string(a), ==, "correct horse");
}

static void
test_secret_take_and_wipe(void)
{
	guint8 *data = (guint8 *)g_strdup("token-123");
	g_autoptr(PgSecret) secret = pg_secret_new_take(data, 9);

	/* no copy: the secret owns the caller's buffer */
	g_assert_true(secret->data == data);
	g_assert_cmpstr(pg_secret_get_string(secret), ==, "token-123");

	/* wiping frees; NULL is fine (ASan checks the wipe stays in bounds) */
	pg_secret_wipe_string(g_strdup("a password"));
	pg_secret_wipe_string(g_strdup(""));
	pg_secret_wipe_string(NULL);
	pg_secret_free(NULL);
}

/* ---- errors ---- */

typedef struct {
	PgErrorCode code;
	const gchar *condition;
	const gchar *type;
} PgErrorCase;

static const PgErrorCase pg_error_cases[] = {
    {PG_ERROR_ITEM_NOT_FOUND, "item-not-found", "cancel"},
    {PG_ERROR_JID_MALFORMED, "jid-malformed", "modify"},
    {PG_ERROR_NOT_AUTHORIZED, "not-authorized", "auth"},
    {PG_ERROR_REGISTRATION_REQUIRED, "registration-required", "auth"},
    {PG_ERROR_REMOTE_SERVER_TIMEOUT, "remote-server-timeout", "wait"},
    {PG_ERROR_DATABASE, "internal-server-error", "wait"},
    {PG_ERROR_CRYPTO, "internal-server-error", "wait"},
    {PG_ERROR_POLICY_VIOLATION, "policy-violation", "cancel"},
    {PG_ERROR_LAST, "undefined-condition", "cancel"},
};

static void
test_error_conditions(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(pg_error_cases); i++) {
		const PgErrorCase *c = &pg_error_cases[i];
		g_assert_cmpstr(pg_error_to_condition(c->code), ==, c->condition);
		g_assert_cmpstr(pg_error_to_type(c->code), ==, c->type);
	}
	/* every code has a condition */
	for (guint code = 0; code < PG_ERROR_LAST; code++)
		g_assert_nonnull(pg_error_to_condition(code));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add("/core/config/valid-file-loads-with-defaults", PgTestFixture, NULL,
		   pg_test_fixture_setup, test_config_valid, pg_test_fixture_teardown);
	g_test_add("/core/config/xmpp-group-and-top-level-jid", PgTestFixture, NULL,
		   pg_test_fixture_setup, test_config_xmpp_group_and_defaults,
		   pg_test_fixture_teardown);
	g_test_add("/core/config/http-group-and-kannel-keys", PgTestFixture, NULL,
		   pg_test_fixture_setup, test_config_http_and_kannel, pg_test_fixture_teardown);
	g_test_add("/core/config/http-off-needs-no-kannel-token", PgTestFixture, NULL,
		   pg_test_fixture_setup, test_config_http_off_needs_no_token,
		   pg_test_fixture_teardown);
	for (gsize i = 0; i < G_N_ELEMENTS(pg_config_bad_cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/core/config/refused/%s", pg_config_bad_cases[i].name);
		g_test_add(path, PgTestFixture, &pg_config_bad_cases[i], pg_test_fixture_setup,
			   test_config_bad, pg_test_fixture_teardown);
	}
	g_test_add("/core/config/every-problem-is-reported-at-once", PgTestFixture, NULL,
		   pg_test_fixture_setup, test_config_all_problems_reported,
		   pg_test_fixture_teardown);
	g_test_add("/core/config/world-readable-file-with-inline-secret-is-refused",
		   PgTestFixture, NULL, pg_test_fixture_setup,
		   test_config_world_readable_file_with_inline_secret, pg_test_fixture_teardown);
	g_test_add_data_func("/core/phone/normalize-e164", pg_phone_cases, test_phone_normalize);
	g_test_add_func("/core/secret/equal-and-dup", test_secret_equal_and_dup);
	g_test_add_func("/core/secret/take-and-wipe", test_secret_take_and_wipe);
	g_test_add_func("/core/error/stanza-conditions", test_error_conditions);
	return g_test_run();
}
