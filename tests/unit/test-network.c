/* The network drivers (src/network/): the table, disconnect verdicts, the
 * login message each driver builds and the registration it reads. */
#include "config.h"

#include <glib.h>
#include <string.h>

#include "core/pg-error.h"
#include "network/pg-network-irc.h"
#include "registry/pg-irc-creds.h"
#include "network/pg-network.h"

static void
test_network_table(void)
{
	g_assert_cmpstr(pg_network_for(PG_TRANSPORT_TYPE_IRC)->name, ==, "irc");
	g_assert_cmpstr(pg_network_for(PG_TRANSPORT_TYPE_SMS)->name, ==, "sms");
	g_assert_cmpstr(pg_network_for(PG_TRANSPORT_TYPE_PURPLE)->name, ==, "purple");
	/* an unknown type gets the generic driver, never NULL */
	g_assert_cmpstr(pg_network_for((PgTransportType)99)->name, ==, "purple");
	g_assert_true(pg_network_has(pg_network_for(PG_TRANSPORT_TYPE_IRC), PG_NETWORK_SERVERS));
	g_assert_true(pg_network_has(pg_network_for(PG_TRANSPORT_TYPE_IRC), PG_NETWORK_ROOMS));
	g_assert_false(pg_network_has(pg_network_for(PG_TRANSPORT_TYPE_IRC), PG_NETWORK_OUTBOX));
	g_assert_true(pg_network_has(pg_network_for(PG_TRANSPORT_TYPE_SMS), PG_NETWORK_OUTBOX));
	g_assert_false(pg_network_has(pg_network_for(PG_TRANSPORT_TYPE_PURPLE), PG_NETWORK_ROOMS));
}

/* Which plugin's options the daemon reads at start, per transport. */
static void
test_network_probed_protocol(void)
{
	PgTransportConfig irc = {.type = PG_TRANSPORT_TYPE_IRC};
	PgTransportConfig sms = {.type = PG_TRANSPORT_TYPE_SMS};
	PgTransportConfig jabber = {.type = PG_TRANSPORT_TYPE_PURPLE};
	PgTransportConfig discord = {.type = PG_TRANSPORT_TYPE_PURPLE,
				     .purple_protocol = (gchar *)"prpl-eionrobb-discord"};

	g_assert_cmpstr(pg_network_for(irc.type)->probed_protocol(&irc), ==, "prpl-irc");
	g_assert_null(pg_network_for(sms.type)->probed_protocol(&sms));
	g_assert_cmpstr(pg_network_for(jabber.type)->probed_protocol(&jabber), ==, "prpl-jabber");
	g_assert_cmpstr(pg_network_for(discord.type)->probed_protocol(&discord), ==,
			"prpl-eionrobb-discord");
}

typedef struct {
	PgTransportType type;
	const gchar *reason;
	gboolean fatal;
	gboolean was_connected;
	guint flags_in;
	PgNetworkVerdict verdict;
	guint flags_out;
} TestVerdictCase;

static const TestVerdictCase test_verdict_cases[] = {
    /* a plain drop is retried, on every network */
    {.type = PG_TRANSPORT_TYPE_IRC, .reason = "Read error", .verdict = PG_NETWORK_RETRY},
    {.type = PG_TRANSPORT_TYPE_PURPLE, .reason = NULL, .verdict = PG_NETWORK_RETRY},
    /* the worker's final word is final */
    {.type = PG_TRANSPORT_TYPE_SMS, .reason = "x", .fatal = TRUE, .verdict = PG_NETWORK_FINAL},
    /* a refusal of our credentials before we were in: retrying hammers */
    {.type = PG_TRANSPORT_TYPE_IRC, .reason = "ERROR :Access denied: Bad password?",
     .verdict = PG_NETWORK_FINAL},
    {.type = PG_TRANSPORT_TYPE_PURPLE, .reason = "Not Authorized", .verdict = PG_NETWORK_FINAL},
    /* ... but once in, the same words are a drop like any other */
    {.type = PG_TRANSPORT_TYPE_IRC, .reason = "K-lined", .was_connected = TRUE,
     .verdict = PG_NETWORK_RETRY},
    /* IRC: no SASL on the server: once, retry with NickServ instead */
    {.type = PG_TRANSPORT_TYPE_IRC, .reason = "Server does not support SASL authentication.",
     .verdict = PG_NETWORK_RETRY_CHANGED, .flags_out = 1},
    {.type = PG_TRANSPORT_TYPE_IRC, .reason = "Server does not support SASL authentication.",
     .flags_in = 1, .verdict = PG_NETWORK_RETRY, .flags_out = 1},
    /* other networks know nothing of it */
    {.type = PG_TRANSPORT_TYPE_PURPLE, .reason = "Server does not support SASL authentication.",
     .verdict = PG_NETWORK_RETRY},
};

static void
test_network_verdicts(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(test_verdict_cases); i++) {
		const TestVerdictCase *c = &test_verdict_cases[i];
		guint flags = c->flags_in;

		g_test_message("case %zu: %s", i, c->reason != NULL ? c->reason : "(null)");
		g_assert_cmpint(pg_network_for(c->type)->classify_disconnect(
				    &flags, c->reason, c->fatal, c->was_connected),
				==, c->verdict);
		g_assert_cmpuint(flags, ==, c->flags_out);
	}
}

/* The login's protocol and username, and whether a password went along. */
static void
test_network_login_check(PgTransportType type, const PgTransportConfig *transport,
			 const PgAccount *account, const gchar *protocol, const gchar *username,
			 gboolean password)
{
	PgConfig config = {.http_port = 0};
	PgNetworkTarget target = {.allowed = TRUE, .tls = FALSE, .port = 6667};
	PgNetworkLogin login = {
	    .config = &config,
	    .transport = transport,
	    .account = account,
	    .account_key = "alice@example.org/gw.example.org",
	    .server = type == PG_TRANSPORT_TYPE_IRC ? "irc.example.net" : "",
	    .target = &target,
	};
	g_autofree gchar *notice = NULL;
	g_autoptr(PgIpcMessage) msg = pg_network_for(type)->build_login(&login, &notice);
	g_autoptr(GVariant) secret = NULL;

	g_assert_nonnull(msg);
	g_assert_cmpint(msg->kind, ==, PG_IPC_CMD_LOGIN);
	g_assert_cmpstr(pg_ipc_message_get_string(msg, "account"), ==, login.account_key);
	g_assert_cmpstr(pg_ipc_message_get_string(msg, "protocol"), ==, protocol);
	g_assert_cmpstr(pg_ipc_message_get_string(msg, "username"), ==, username);
	secret = pg_ipc_message_get_value(msg, "password");
	g_assert_true((secret != NULL) == password);
	g_assert_null(notice);
}

static void
test_network_login(void)
{
	PgTransportConfig purple = {.jid = (gchar *)"gw.example.org",
				    .type = PG_TRANSPORT_TYPE_PURPLE};
	PgTransportConfig discord = {.jid = (gchar *)"gw.example.org",
				     .type = PG_TRANSPORT_TYPE_PURPLE,
				     .purple_protocol = (gchar *)"prpl-eionrobb-discord"};
	PgTransportConfig irc = {.jid = (gchar *)"gw.example.org",
				 .type = PG_TRANSPORT_TYPE_IRC,
				 .irc_server = (gchar *)"irc.example.net",
				 .irc_charset = (gchar *)"ISO-8859-15"};
	g_autoptr(PgAccount) account =
	    pg_account_new("gw.example.org", "alice@example.org", "bob@legacy.example.net");

	pg_account_set_secret(account, "password", pg_secret_new_from_string("s3cret"));
	/* prpl-jabber unless the operator named another protocol */
	test_network_login_check(PG_TRANSPORT_TYPE_PURPLE, &purple, account, "prpl-jabber",
				 "bob@legacy.example.net", TRUE);
	test_network_login_check(PG_TRANSPORT_TYPE_PURPLE, &discord, account,
				 "prpl-eionrobb-discord", "bob@legacy.example.net", TRUE);
	/* IRC: nick@server; the NickServ password (bound to no server, so the
	 * fixed one) goes as the SASL password */
	g_free(account->legacy_id);
	account->legacy_id = g_strdup("alice");
	test_network_login_check(PG_TRANSPORT_TYPE_IRC, &irc, account, "prpl-irc",
				 "alice@irc.example.net", TRUE);
}

static void
test_network_register_read(void)
{
	PgTransportConfig sms = {.jid = (gchar *)"sms.example.org", .type = PG_TRANSPORT_TYPE_SMS};
	PgTransportConfig irc = {.jid = (gchar *)"irc.example.org",
				 .type = PG_TRANSPORT_TYPE_IRC,
				 .irc_server = (gchar *)"irc.example.net"};
	const PgNetwork *network = pg_network_for(PG_TRANSPORT_TYPE_SMS);
	g_autoptr(GHashTable) values = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(PgAccount) account = NULL;
	g_autoptr(GError) error = NULL;

	/* the number is normalised to E.164 */
	g_hash_table_insert(values, "phone", "0044 20 7946 0958");
	account = network->register_read(network, &sms, "alice@example.org", values, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(account->legacy_id, ==, "+442079460958");
	g_clear_pointer(&account, pg_account_free);
	/* a nick IRC cannot carry is refused */
	network = pg_network_for(PG_TRANSPORT_TYPE_IRC);
	g_hash_table_remove_all(values);
	g_hash_table_insert(values, "nick", "9lives");
	account = network->register_read(network, &irc, "alice@example.org", values, &error);
	g_assert_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE);
	g_assert_null(account);
	g_clear_error(&error);
	/* a required field missing */
	g_hash_table_remove_all(values);
	account = network->register_read(network, &irc, "alice@example.org", values, &error);
	g_assert_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE);
	g_assert_null(account);
}

typedef struct {
	const gchar *input;
	const gchar *output; /* NULL: refused */
} PgFingerprintCase;

#define PG_FP_UPPER "00:DD:26:77:27:78:03:64:EA:B9:A0:5A:0B:66:5E:3E:E8:2E:57:9F:7A:AA:B1:9C:D6:47:C0:B2:E7:60:B0:0A"

static const PgFingerprintCase fingerprint_cases[] = {
    {.input = PG_FP_UPPER, .output = PG_FP_UPPER},
    {.input = "00dd2677277803 64eab9a05a0b665e3ee82e579f7aaab19cd647c0b2e760b00a",
     .output = PG_FP_UPPER},
    {.input = "00dd26772778036 4eab9a05a0b665e3ee82e579f7aaab19cd647c0b2e760b00a"},
    {.input = "00dd2677277803"},
    {.input = PG_FP_UPPER ":00"},
    {.input = "zz"},
    {.input = ""},
    {.input = "sha256:00dd2677277803"},
};

static void
test_network_irc_fingerprint(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(fingerprint_cases); i++) {
		g_autofree gchar *got =
		    pg_network_irc_settings_fingerprint(fingerprint_cases[i].input);
		g_assert_cmpstr(got, ==, fingerprint_cases[i].output);
	}
}

typedef struct {
	const gchar *value;
	gsize len; /* of @value, when it holds a NUL; 0: strlen */
	guint lines;  /* kept, 0: none */
	gboolean refused;
} PgCommandsCase;

static const PgCommandsCase commands_cases[] = {
    {.value = "MODE me +x\nPRIVMSG NickServ :IDENTIFY pw", .lines = 2},
    {.value = "\n  \nJOIN #a\n", .lines = 1},
    {.value = "", .lines = 0},
    {.value = "JOIN #a\rQUIT :x", .refused = TRUE},
    {.value = ":me PRIVMSG x :y", .refused = TRUE},
    {.value = " JOIN #a", .refused = TRUE},
    {.value = "J0IN #a", .refused = TRUE},
    {.value = "A\nB\nC\nD\nE\nF\nG\nH\nI\nJ", .lines = 10},
    {.value = "A\nB\nC\nD\nE\nF\nG\nH\nI\nJ\nK", .refused = TRUE},
};

static void
test_network_irc_commands(void)
{
	static const gchar with_nul[] = "JOIN #a\0QUIT";
	g_autofree gchar *long_line = g_strnfill(PG_IPC_AFTER_CONNECT_LINE_MAX + 1, 'A');

	for (gsize i = 0; i < G_N_ELEMENTS(commands_cases); i++) {
		const PgCommandsCase *c = &commands_cases[i];
		g_autoptr(GError) error = NULL;
		g_autoptr(PgSecret) secret = pg_network_irc_commands_check(c->value, &error);

		if (c->refused) {
			g_assert_null(secret);
			g_assert_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE);
		} else if (c->lines == 0) {
			g_assert_null(secret);
			g_assert_no_error(error);
		} else {
			g_auto(GStrv) lines = g_strsplit(pg_secret_get_string(secret), "\n", -1);
			g_assert_no_error(error);
			g_assert_cmpuint(g_strv_length(lines), ==, c->lines);
		}
	}
	/* the worker's check: a NUL or a CR in a line, too long a line */
	g_assert_false(pg_network_irc_commands_line_ok(with_nul, sizeof(with_nul) - 1));
	g_assert_false(pg_network_irc_commands_line_ok("JOIN #a\r", 8));
	g_assert_false(pg_network_irc_commands_line_ok(long_line, strlen(long_line)));
	g_assert_true(pg_network_irc_commands_line_ok(long_line, PG_IPC_AFTER_CONNECT_LINE_MAX));
}

static void
test_network_irc_charset(void)
{
	static const struct {
		const gchar *input;
		const gchar *output;
	} cases[] = {
	    {"iso-8859-15", "ISO-8859-15"}, {"WINDOWS-1252", "WINDOWS-1252"}, {"koi8-r", "KOI8-R"},
	    {"UTF-8", "UTF-8"},		     {"UTF-16LE", NULL},	       {"UTF-7", NULL},
	    {"ISO-8859-1,KOI8-R", NULL},     {"NO-SUCH-CHARSET", NULL},	       {"", NULL},
	    {"ISO 8859-1", NULL},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *got = pg_network_irc_settings_charset(cases[i].input);
		g_assert_cmpstr(got, ==, cases[i].output);
	}
}

/* The operator's TLS everywhere (irc_tls = true) is not the user's to turn
 * off; the user's port must be among irc_user_ports. */
static void
test_network_irc_settings_respect_the_operator(void)
{
	const gchar *const ports_text[] = {"6697", NULL};
	g_autoptr(PgNetPorts) ports = pg_net_ports_parse(ports_text, NULL);
	g_autoptr(PgNetPolicy) policy = pg_net_policy_new();
	PgTransportConfig irc = {.type = PG_TRANSPORT_TYPE_IRC,
				 .jid = (gchar *)"irc.example.org",
				 .irc_tls = TRUE,
				 .irc_tls_set = TRUE,
				 .irc_user_ports = ports,
				 .irc_policy = policy};
	g_autoptr(PgAccount) account = pg_account_new("irc.example.org", "a@example.org", "alice");
	g_autoptr(GHashTable) values = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GError) error = NULL;

	g_hash_table_insert(values, (gpointer) "tls", (gpointer) "false");
	g_assert_false(pg_network_irc_settings_read(&irc, account, "irc.example.net", values,
						    &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_NOT_ALLOWED);
	g_clear_error(&error);
	g_hash_table_insert(values, (gpointer) "tls", (gpointer) "true");
	g_hash_table_insert(values, (gpointer) "port", (gpointer) "6667");
	g_assert_false(pg_network_irc_settings_read(&irc, account, "irc.example.net", values,
						    &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_NOT_ALLOWED);
	g_clear_error(&error);
	g_hash_table_insert(values, (gpointer) "port", (gpointer) "6697");
	g_assert_true(pg_network_irc_settings_read(&irc, account, "irc.example.net", values,
						   &error));
	g_assert_no_error(error);
	/* a "false" kept from before the operator said so is not used */
	pg_irc_creds_set_server_setting(account, "irc.example.net", "tls", "false");
	{
		PgNetworkTarget target = {.allowed = TRUE, .tls = TRUE, .port = 6697};
		gboolean tls = FALSE;
		guint16 port = 0;
		g_autofree gchar *notice = NULL;

		pg_network_irc_settings_target(&irc, account, "irc.example.net", &target, &tls,
					       &port, &notice);
		g_assert_true(tls);
		g_assert_cmpuint(port, ==, 6697);
		g_assert_null(notice);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/network/table", test_network_table);
	g_test_add_func("/network/probed-protocol", test_network_probed_protocol);
	g_test_add_func("/network/disconnect/verdicts", test_network_verdicts);
	g_test_add_func("/network/login/protocol-and-username", test_network_login);
	g_test_add_func("/network/register/read", test_network_register_read);
	g_test_add_func("/network/irc/fingerprint", test_network_irc_fingerprint);
	g_test_add_func("/network/irc/charset", test_network_irc_charset);
	g_test_add_func("/network/irc/settings/respect-the-operator",
			test_network_irc_settings_respect_the_operator);
	g_test_add_func("/network/irc/after-connect-commands", test_network_irc_commands);
	return g_test_run();
}
