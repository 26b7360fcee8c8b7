/* The IRC driver's per-server settings (issue 10, item 2): the form of
 * the "configure" command on irc.example.net@gateway, and reading it into
 * the registration (registry/pg-irc-creds.h keeps them under the server's
 * own keys).
 *
 * It covers the nick; the two passwords: the server password (PASS) and
 * the SASL/NickServ one; TLS and the port; a pinned certificate; the
 * after-connect commands (pg-network-irc-commands.c); the encoding.
 *
 * Encoding: "encoding" is empty (lines sent in UTF-8, a line that is not
 * UTF-8 read in the transport's irc_charset) or one charset that iconv
 * knows and that keeps ASCII (IRC's commands are ASCII), e.g. ISO-8859-15:
 * lines are sent in it, and a line that is not valid UTF-8 is read in it
 * (prpl-irc's "encoding" option with autodetect_utf8, pg-network-irc.c;
 * the worker converts the lines it sends itself,
 * backends/purple/pg-purple-lines.c).  The passwords are
 * text-private fields that never carry the password back (XEP-0004 §3.3):
 * the label says whether one is set, an empty submission keeps it, and a
 * boolean "clear_NAME" removes it.  They are sealed with the
 * registration's secrets under the server's keys
 * (pg_irc_creds_server_secret()).  A field left out of a submission keeps
 * its value; an empty one goes back to the gateway's choice.
 *
 * TLS and port: "tls" is default (the gate's choice, session/pg-irc-gate.h:
 * irc_tls, else TLS unless the server is on loopback), true or false
 * (not where the operator set irc_tls = true: not-allowed);
 * "port" is empty (irc_port, else 6697 with TLS and 6667 without) or a
 * port among the operator's irc_user_ports that the policy (irc_allow,
 * irc_deny: core/pg-netpolicy.h) allows for this server.  The fixed
 * irc_server is the operator's and is held to irc_user_ports only, as the
 * gate never holds it to the policy.  The form checks the name (and a
 * literal address); the login checks again with the addresses the gate
 * resolved (pg_network_irc_settings_target()), since the config or DNS
 * may have changed since.
 *
 * Pinned certificate: "fingerprint" is the SHA-256 of the server's
 * certificate (64 hex digits, any case, colons or not; kept and shown as
 * openssl prints it, "AB:CD:...").  The login carries it (cert_sha256 in
 * ipc/pg-ipc-message.h) and the worker accepts that certificate and no
 * other (backends/purple/pg-purple-pin.c).  A fingerprint is no secret.
 */
#define G_LOG_DOMAIN "pg-network"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "core/pg-netpolicy.h"
#include "network/pg-network-irc.h"
#include "network/pg-network-private.h"
#include "registry/pg-irc-creds.h"

#define PG_NETWORK_IRC_SETTINGS_FORM_TYPE "urn:xmpp:polygate:irc-server:0"
/* longer than any IRC line could carry after "PASS " (RFC 2812 §2.3) */
#define PG_NETWORK_IRC_SETTINGS_SECRET_MAX 400

/* the per-server passwords: field (and secret) name, what it is */
static const struct {
	const gchar *name;
	const gchar *what;
} pg_network_irc_settings_secrets[] = {
    {"server_password", "Server password (PASS)"},
    {"password", "SASL / NickServ password"},
};

static void
pg_network_irc_settings_add_secret(PgForm *form, const PgAccount *account, const gchar *server,
				   const gchar *name, const gchar *what)
{
	gboolean set = pg_irc_creds_server_secret(account, server, name) != NULL;
	g_autofree gchar *label =
	    g_strdup_printf("%s for this server only: %s", what,
			    set ? "set (leave empty to keep it)" : "not set");
	g_autofree gchar *clear = g_strdup_printf("clear_%s", name);
	g_autofree gchar *clear_label = g_strdup_printf("Remove the %s", what);

	/* never a value: the password does not travel back */
	pg_form_add_field(form, name, "text-private", label, FALSE, NULL);
	if (set)
		pg_form_add_field(form, clear, "boolean", clear_label, FALSE, "0");
}

static gboolean
pg_network_irc_settings_true(const gchar *value)
{
	return g_strcmp0(value, "1") == 0 || g_strcmp0(value, "true") == 0;
}

static gboolean
pg_network_irc_settings_is_fixed(const PgTransportConfig *transport, const gchar *server)
{
	return transport->irc_server != NULL && g_ascii_strcasecmp(transport->irc_server, server) == 0;
}

/* Whether the operator lets a user connect to @server on @port: among
 * irc_user_ports, and (but on the fixed server) allowed by the policy for
 * the name and @addresses (n may be 0: the name only).  FALSE with
 * PG_ERROR_NOT_ALLOWED and a sentence for the user. */
static gboolean
pg_network_irc_settings_port_allowed(const PgTransportConfig *transport, const gchar *server,
				     guint16 port, const PgNetAddress *addresses, gsize n,
				     GError **error)
{
	if (!pg_net_ports_contains(transport->irc_user_ports, port)) {
		g_autofree gchar *ports = pg_net_ports_to_string(transport->irc_user_ports);
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ALLOWED,
			    "port %u is not among the ports this gateway lets users choose (%s)",
			    port, ports);
		return FALSE;
	}
	if (pg_network_irc_settings_is_fixed(transport, server))
		return TRUE;
	return pg_net_policy_check(transport->irc_policy, server, port, addresses, n, error);
}

/* irc_tls = true: the operator wants TLS to every server, and a user may
 * not turn it off. */
static gboolean
pg_network_irc_settings_tls_forced(const PgTransportConfig *transport)
{
	return transport->irc_tls_set && transport->irc_tls;
}

static const gchar *
pg_network_irc_settings_tls(const PgAccount *account, const gchar *server)
{
	const gchar *tls = pg_irc_creds_server_setting(account, server, "tls");
	return tls != NULL ? tls : "default";
}

void
pg_network_irc_settings_target(const PgTransportConfig *transport, const PgAccount *account,
			       const gchar *server, const PgNetworkTarget *target, gboolean *tls,
			       guint16 *port, gchar **notice)
{
	const gchar *tls_setting = pg_network_irc_settings_tls(account, server);
	const gchar *port_setting = pg_irc_creds_server_setting(account, server, "port");
	g_autoptr(GArray) addresses = g_array_new(FALSE, TRUE, sizeof(PgNetAddress));
	g_autoptr(GError) error = NULL;
	guint64 chosen = 0;

	*tls = target->tls;
	*port = target->port;
	/* plain TCP where the operator wants TLS everywhere: not taken, even if
	 * it was set before the operator said so */
	if (g_strcmp0(tls_setting, "default") != 0 &&
	    !(g_strcmp0(tls_setting, "false") == 0 && pg_network_irc_settings_tls_forced(transport)))
		*tls = g_strcmp0(tls_setting, "true") == 0;
	/* the gate's port follows its TLS choice: keep them together */
	if (*tls != target->tls && !transport->irc_port_set)
		*port = *tls ? 6697 : 6667;
	if (port_setting == NULL ||
	    !g_ascii_string_to_unsigned(port_setting, 10, 1, 65535, &chosen, NULL))
		return;
	for (guint i = 0; target->addresses != NULL && target->addresses[i] != NULL; i++) {
		PgNetAddress address;
		if (pg_net_address_parse(target->addresses[i], &address))
			g_array_append_val(addresses, address);
	}
	if (!pg_network_irc_settings_port_allowed(transport, server, (guint16)chosen,
						  (const PgNetAddress *)addresses->data,
						  addresses->len, &error)) {
		*notice = g_strdup_printf("Your port %u for %s is not used: %s. Connecting to "
					  "port %u instead.",
					  (guint)chosen, server, error->message, *port);
		return;
	}
	*port = (guint16)chosen;
}

PgForm *
pg_network_irc_settings_form(const PgTransportConfig *transport, const PgAccount *account,
			     const gchar *server)
{
	g_autofree gchar *title = g_strdup_printf("Settings for %s", server);
	PgForm *form = pg_form_new("form", PG_NETWORK_IRC_SETTINGS_FORM_TYPE, title,
				   "Your settings for this IRC server only. They take effect at "
				   "its next login.");

	pg_form_add_field(form, "nick", "text-single",
			  "Nickname on this server (empty: your registration's)", FALSE,
			  pg_irc_creds_nick(account, server));
	for (gsize i = 0; i < G_N_ELEMENTS(pg_network_irc_settings_secrets); i++)
		pg_network_irc_settings_add_secret(form, account, server,
						   pg_network_irc_settings_secrets[i].name,
						   pg_network_irc_settings_secrets[i].what);
	pg_form_add_field(form, "tls", "list-single", "TLS to this server", FALSE,
			  pg_network_irc_settings_tls(account, server));
	pg_form_add_option(form, "The gateway's choice (TLS unless on this machine)", "default");
	pg_form_add_option(form, "TLS (the certificate is checked)", "true");
	pg_form_add_option(form, "Plain TCP (not encrypted)", "false");
	{
		g_autofree gchar *ports = pg_net_ports_to_string(transport->irc_user_ports);
		g_autofree gchar *label = g_strdup_printf(
		    "Port (empty: the gateway's; allowed: %s)", ports);
		pg_form_add_field(form, "port", "text-single", label, FALSE,
				  pg_irc_creds_server_setting(account, server, "port"));
		pg_form_set_datatype(form, "xs:integer", 1, 65535);
	}
	{
		g_autofree gchar *label = g_strdup_printf(
		    "Encoding of this server's lines, in and out, e.g. ISO-8859-15 or "
		    "WINDOWS-1252 (empty: UTF-8, reading other lines as %s)",
		    transport->irc_charset != NULL ? transport->irc_charset : "Latin-1");
		pg_form_add_field(form, "encoding", "text-single", label, FALSE,
				  pg_irc_creds_server_setting(account, server, "encoding"));
	}
	pg_network_irc_commands_add_field(form, account, server);
	pg_form_add_field(form, "fingerprint", "text-single",
			  "Pinned certificate, SHA-256 fingerprint (AB:CD:...): with TLS, this "
			  "certificate and no other is accepted (empty: the usual checks)",
			  FALSE, pg_irc_creds_server_setting(account, server, "fingerprint"));
	return form;
}

/* @value as "AB:CD:..." (transfer full), or NULL if it is no SHA-256
 * fingerprint: 32 bytes in hex, pairs optionally separated by ':' or
 * spaces. */
gchar *
pg_network_irc_settings_fingerprint(const gchar *value)
{
	g_autoptr(GString) out = g_string_new(NULL);
	guint digits = 0;

	for (const gchar *p = value; *p != '\0'; p++) {
		if (*p == ':' || *p == ' ') {
			if (digits % 2 != 0)
				return NULL; /* a separator inside a pair */
			continue;
		}
		if (!g_ascii_isxdigit(*p) || digits >= 64)
			return NULL;
		if (digits > 0 && digits % 2 == 0)
			g_string_append_c(out, ':');
		g_string_append_c(out, g_ascii_toupper(*p));
		digits++;
	}
	return digits == 64 ? g_string_free(g_steal_pointer(&out), FALSE) : NULL;
}

/* A charset name iconv knows that maps ASCII to itself both ways, as
 * prpl-irc's option needs one (no ',': that separates its list).
 * (transfer full) the name upper-cased, or NULL. */
gchar *
pg_network_irc_settings_charset(const gchar *value)
{
	gchar ascii[0x7f];
	g_autofree gchar *name = g_ascii_strup(value, -1);
	g_autofree gchar *decoded = NULL;
	g_autofree gchar *encoded = NULL;
	gsize written = 0;

	if (name[0] == '\0' || strlen(name) > 40)
		return NULL;
	for (const gchar *p = name; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && strchr("-_.:", *p) == NULL)
			return NULL;
	}
	for (guint i = 1; i < 0x80; i++)
		ascii[i - 1] = (gchar)i;
	decoded = g_convert(ascii, sizeof(ascii), "UTF-8", name, NULL, &written, NULL);
	if (decoded == NULL || written != sizeof(ascii) || memcmp(decoded, ascii, written) != 0)
		return NULL;
	encoded = g_convert(ascii, sizeof(ascii), name, "UTF-8", NULL, &written, NULL);
	if (encoded == NULL || written != sizeof(ascii) || memcmp(encoded, ascii, written) != 0)
		return NULL;
	return g_steal_pointer(&name);
}

/* "port": empty, or a port the operator allows for @server.  *@port 0:
 * back to the gateway's. */
static gboolean
pg_network_irc_settings_read_port(const PgTransportConfig *transport, const gchar *server,
				  const gchar *value, guint *port, GError **error)
{
	guint64 number = 0;
	g_autofree gchar *text = g_strstrip(g_strdup(value));

	*port = 0;
	if (text[0] == '\0')
		return TRUE;
	if (!g_ascii_string_to_unsigned(text, 10, 1, 65535, &number, NULL)) {
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
			    "the port must be a number from 1 to 65535, not '%s'", text);
		return FALSE;
	}
	if (!pg_network_irc_settings_port_allowed(transport, server, (guint16)number, NULL, 0,
						  error))
		return FALSE;
	*port = (guint)number;
	return TRUE;
}

gboolean
pg_network_irc_settings_read(const PgTransportConfig *transport, PgAccount *account,
			     const gchar *server, GHashTable *values, GError **error)
{
	const gchar *nick = g_hash_table_lookup(values, "nick");
	const gchar *tls = g_hash_table_lookup(values, "tls");
	const gchar *port_text = g_hash_table_lookup(values, "port");
	const gchar *fingerprint_text = g_hash_table_lookup(values, "fingerprint");
	const gchar *commands_text = g_hash_table_lookup(values, "commands");
	const gchar *encoding_text = g_hash_table_lookup(values, "encoding");
	g_autofree gchar *encoding = NULL;
	g_autofree gchar *fingerprint = NULL;
	g_autoptr(PgSecret) commands = NULL;
	g_autoptr(GError) commands_error = NULL;
	guint port = 0;

	if (nick != NULL && nick[0] != '\0' && !pg_network_irc_is_valid_nick(nick)) {
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
			    "'%s' is not a valid IRC nickname: letters, digits and []\\`_^{|}- "
			    "only, not starting with a digit or '-'",
			    nick);
		return FALSE;
	}
	if (tls != NULL && tls[0] != '\0' && g_strcmp0(tls, "default") != 0 &&
	    g_strcmp0(tls, "true") != 0 && g_strcmp0(tls, "false") != 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
			    "TLS is default, true or false, not '%s'", tls);
		return FALSE;
	}
	if (g_strcmp0(tls, "false") == 0 && pg_network_irc_settings_tls_forced(transport)) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_NOT_ALLOWED,
				    "this gateway speaks TLS to every IRC server (irc_tls = true)");
		return FALSE;
	}
	if (port_text != NULL &&
	    !pg_network_irc_settings_read_port(transport, server, port_text, &port, error))
		return FALSE;
	if (encoding_text != NULL && strspn(encoding_text, " ") != strlen(encoding_text)) {
		g_autofree gchar *trimmed = g_strstrip(g_strdup(encoding_text));
		encoding = pg_network_irc_settings_charset(trimmed);
		if (encoding == NULL) {
			g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
				    "'%s' is not one charset that iconv knows and that keeps ASCII "
				    "(e.g. ISO-8859-15, WINDOWS-1252, KOI8-R)",
				    trimmed);
			return FALSE;
		}
	}
	if (commands_text != NULL &&
	    (commands = pg_network_irc_commands_check(commands_text, &commands_error)) == NULL &&
	    commands_error != NULL) {
		g_propagate_error(error, g_steal_pointer(&commands_error));
		return FALSE;
	}
	if (fingerprint_text != NULL && strspn(fingerprint_text, " ") != strlen(fingerprint_text) &&
	    (fingerprint = pg_network_irc_settings_fingerprint(fingerprint_text)) == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
				    "the fingerprint must be a certificate's SHA-256: 32 bytes in "
				    "hex, as AB:CD:... (openssl x509 -fingerprint -sha256)");
		return FALSE;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(pg_network_irc_settings_secrets); i++) {
		const gchar *name = pg_network_irc_settings_secrets[i].name;
		const gchar *value = g_hash_table_lookup(values, name);
		/* the password goes into one line (PASS, AUTHENTICATE, PRIVMSG
		 * NickServ): a line break would start another command */
		if (value != NULL && (strpbrk(value, "\r\n") != NULL ||
				      strlen(value) > PG_NETWORK_IRC_SETTINGS_SECRET_MAX)) {
			g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
				    "the %s must be one line of at most %d bytes",
				    pg_network_irc_settings_secrets[i].what,
				    PG_NETWORK_IRC_SETTINGS_SECRET_MAX);
			return FALSE;
		}
	}
	if (nick != NULL)
		pg_irc_creds_set_server_setting(account, server, "nick",
						nick[0] != '\0' ? nick : NULL);
	if (tls != NULL)
		pg_irc_creds_set_server_setting(
		    account, server, "tls",
		    tls[0] != '\0' && g_strcmp0(tls, "default") != 0 ? tls : NULL);
	if (fingerprint_text != NULL)
		pg_irc_creds_set_server_setting(account, server, "fingerprint", fingerprint);
	if (encoding_text != NULL)
		pg_irc_creds_set_server_setting(account, server, "encoding", encoding);
	if (pg_network_irc_settings_true(g_hash_table_lookup(values, "clear_commands")))
		pg_irc_creds_set_server_secret(account, server, "commands", NULL);
	else if (commands != NULL)
		pg_irc_creds_set_server_secret(account, server, "commands",
					       g_steal_pointer(&commands));
	if (port_text != NULL) {
		g_autofree gchar *text = port != 0 ? g_strdup_printf("%u", port) : NULL;
		pg_irc_creds_set_server_setting(account, server, "port", text);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(pg_network_irc_settings_secrets); i++) {
		const gchar *name = pg_network_irc_settings_secrets[i].name;
		const gchar *value = g_hash_table_lookup(values, name);
		g_autofree gchar *clear = g_strdup_printf("clear_%s", name);

		if (pg_network_irc_settings_true(g_hash_table_lookup(values, clear)))
			pg_irc_creds_set_server_secret(account, server, name, NULL);
		else if (value != NULL && value[0] != '\0') /* empty: keep it */
			pg_irc_creds_set_server_secret(account, server, name,
						       pg_secret_new_from_string(value));
	}
	return TRUE;
}
