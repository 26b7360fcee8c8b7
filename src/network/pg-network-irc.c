/* The IRC driver (pg-network-irc.h): biboumi's JID scheme, the IRC
 * registration form, and prpl-irc's login options.
 */
#define G_LOG_DOMAIN "pg-network"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "network/pg-network-irc.h"
#include "network/pg-network-private.h"
#include "registry/pg-irc-creds.h"

static gchar *
pg_network_irc_unescape_len(const gchar *node, gsize len)
{
	g_autofree gchar *copy = g_strndup(node, len);
	return pg_jid_unescape_node(copy);
}

static gboolean
pg_network_irc_is_valid_hostname(const gchar *host)
{
	if (host == NULL || host[0] == '\0' || strlen(host) > 253 || host[0] == '.' ||
	    host[0] == '-')
		return FALSE;
	for (const gchar *p = host; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.' && *p != ':')
			return FALSE;
	}
	return TRUE;
}

static gchar *
pg_network_irc_jid_from_legacy_id(const PgTransportConfig *transport, const gchar *legacy_id,
				  GError **error)
{
	g_auto(GStrv) parts = g_strsplit(legacy_id, "%", 2);
	const gchar *name = parts[0];
	const gchar *server = parts[1] != NULL ? parts[1] : transport->irc_server;
	gboolean channel = name[0] == '#' || name[0] == '&';

	if (server == NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
			    "'%s': give the IRC server too, as nick%%irc.example.net", legacy_id);
		return NULL;
	}
	if (!pg_network_irc_is_valid_hostname(server)) {
		g_set_error(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
			    "'%s' is not an IRC server name", server);
		return NULL;
	}
	if (channel ? (name[1] == '\0' || strpbrk(name, " ,\a") != NULL)
		    : !pg_network_irc_is_valid_nick(name)) {
		g_set_error(error, PG_ERROR, PG_ERROR_JID_MALFORMED, "'%s' is not a valid IRC %s",
			    name, channel ? "channel" : "nickname");
		return NULL;
	}
	{
		g_autofree gchar *node = pg_jid_escape_node(name);
		g_autofree gchar *server_lower = g_ascii_strdown(server, -1);
		/* with a fixed server, the short form is the canonical one */
		if (parts[1] == NULL || g_strcmp0(server_lower, transport->irc_server) == 0)
			return g_strdup_printf("%s@%s", node, transport->jid);
		return g_strdup_printf("%s%%%s@%s", node, server_lower, transport->jid);
	}
}

gchar *
pg_network_irc_to_jid(const PgTransportConfig *transport, const gchar *name, const gchar *server,
		      const gchar *resource)
{
	g_autofree gchar *node = pg_jid_escape_node(name);
	GString *jid = g_string_new(node);

	if (transport->irc_server == NULL || g_ascii_strcasecmp(server, transport->irc_server) != 0)
		g_string_append_printf(jid, "%%%s", server);
	g_string_append_printf(jid, "@%s", transport->jid);
	if (resource != NULL)
		g_string_append_printf(jid, "/%s", resource);
	return g_string_free(jid, FALSE);
}

/* biboumi's server JID: irc.example.net@transport, the server (XEP-0106
 * escaped) as the whole local part.  Told from a nick by its shape: a
 * host name with a dot or a colon, which no nick has (127.0.0.1,
 * irc.libera.chat, \3a\3a1).  A server whose name is
 * also a nick (localhost) is reached as the transport itself when it is
 * the fixed irc_server. */
static gboolean
pg_network_irc_is_server_name(const gchar *name)
{
	return pg_network_irc_is_valid_hostname(name) && strpbrk(name, ".:") != NULL;
}

static gboolean
pg_network_irc_is_server_node(const gchar *node)
{
	g_autofree gchar *name = NULL;

	/* no escapes: the name is the node (the boundary's fast path) */
	if (strchr(node, '\\') == NULL)
		return pg_network_irc_is_server_name(node);
	name = pg_jid_unescape_node(node);
	return name != NULL && pg_network_irc_is_server_name(name);
}

static gchar *
pg_network_irc_server_of_node(const gchar *node)
{
	g_autofree gchar *name = pg_jid_unescape_node(node);
	return g_ascii_strdown(name, -1);
}

static void
pg_network_irc_no_server_error(const PgTransportConfig *transport, GError **error)
{
	g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
		    "name the IRC server, as #channel%%irc.example.net@%s", transport->jid);
}

PgNetworkAddress *
pg_network_irc_parse(const PgTransportConfig *transport, const PgJid *jid, GError **error)
{
	g_autoptr(PgNetworkAddress) address = NULL;
	const gchar *percent;

	if (jid->local == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
				    "the address names no IRC nick or channel");
		return NULL;
	}
	address = g_new0(PgNetworkAddress, 1);
	address->resource = g_strdup(jid->resource);
	/* the server follows the last '%': a nick or channel cannot contain one
	 * (a channel named with one would not survive pg_network_irc_to_jid()'s
	 * short form, and could name another server's channel) */
	percent = strrchr(jid->local, '%');
	if (percent == NULL && pg_network_irc_is_server_node(jid->local)) {
		address->server = pg_network_irc_server_of_node(jid->local);
		address->name = g_strdup(address->server);
		address->is_server = TRUE;
		return g_steal_pointer(&address);
	}
	if (percent != NULL) {
		address->server = g_ascii_strdown(percent + 1, -1);
		address->name = pg_network_irc_unescape_len(jid->local, percent - jid->local);
	} else if (transport->irc_server != NULL) {
		address->server = g_ascii_strdown(transport->irc_server, -1);
		address->name = pg_jid_unescape_node(jid->local);
	} else {
		pg_network_irc_no_server_error(transport, error);
		return NULL;
	}
	address->is_room = address->name[0] == '#' || address->name[0] == '&';
	if (!pg_network_irc_is_valid_hostname(address->server) || address->name[0] == '\0' ||
	    (!address->is_room && !pg_network_irc_is_valid_nick(address->name)) ||
	    (address->is_room &&
	     (address->name[1] == '\0' || strpbrk(address->name, " ,\a%") != NULL))) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
				    "not an IRC address (nick%server or #channel%server)");
		return NULL;
	}
	return g_steal_pointer(&address);
}

/* pg_network_irc_parse()'s verdict without its allocations, for the boundary,
 * which every stanza passes (contrib/bench/jid_bench.c).  A localpart with
 * XEP-0106 escapes takes the full parse. */
static gboolean
pg_network_irc_check_address(const PgTransportConfig *transport, const PgJid *jid, GError **error)
{
	const gchar *percent;
	const gchar *server;
	gsize name_len;
	gboolean is_room;

	if (jid->local == NULL || strchr(jid->local, '\\') != NULL) {
		g_autoptr(PgNetworkAddress) address = pg_network_irc_parse(transport, jid, error);
		return address != NULL;
	}
	percent = strrchr(jid->local, '%');
	if (percent == NULL && pg_network_irc_is_server_node(jid->local))
		return TRUE;
	server = percent != NULL ? percent + 1 : transport->irc_server;
	if (server == NULL) {
		pg_network_irc_no_server_error(transport, error);
		return FALSE;
	}
	name_len = percent != NULL ? (gsize)(percent - jid->local) : strlen(jid->local);
	is_room = jid->local[0] == '#' || jid->local[0] == '&';
	/* no escapes: the name is the localpart's prefix, and a localpart holds
	 * no space or control (pg_jid_parse()) */
	if (pg_network_irc_is_valid_hostname(server) && name_len > 0 &&
	    (is_room ? name_len > 1 && memchr(jid->local, ',', name_len) == NULL &&
			   memchr(jid->local, '%', name_len) == NULL
		     : pg_network_irc_is_valid_nick_len(jid->local, name_len)))
		return TRUE;
	g_set_error_literal(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
			    "not an IRC address (nick%server or #channel%server)");
	return FALSE;
}

static gchar *
pg_network_irc_check_nick(const gchar *value, GError **error)
{
	if (!pg_network_irc_is_valid_nick(value)) {
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
			    "'%s' is not a valid IRC nickname: letters, digits and []\\`_^{|}- "
			    "only, not starting with a digit or '-'",
			    value);
		return NULL;
	}
	return g_strdup(value);
}

static const PgNetworkField pg_network_irc_fields[] = {
    {.var = "nick",
     .legacy = TRUE,
     .type = "text-single",
     .label = "IRC nickname",
     .required = TRUE,
     .legacy_id = TRUE,
     .check = pg_network_irc_check_nick},
    {.var = "password",
     .legacy = TRUE,
     .type = "text-private",
     .label = "NickServ password (optional)",
     .secret = TRUE},
    {.var = "server_password",
     .type = "text-private",
     .label = "IRC server password (optional)",
     .secret = TRUE},
    /* the only server that ever gets the passwords (registry/pg-irc-creds.h) */
    {.var = "server",
     .type = "text-single",
     .label = "IRC server the passwords are for (default: the gateway's own "
	      "server)"},
};

static const PgNetworkField *
pg_network_irc_register_fields(const PgTransportConfig *transport, gsize *n_fields)
{
	*n_fields = G_N_ELEMENTS(pg_network_irc_fields);
	return pg_network_irc_fields;
}

static PgAccount *
pg_network_irc_register_read(const PgNetwork *network, const PgTransportConfig *transport,
			     const gchar *user_jid, GHashTable *values, GError **error)
{
	g_autoptr(PgAccount) account =
	    pg_network_schema_read(network, transport, user_jid, values, error);

	if (account == NULL || !pg_irc_creds_bind(account, transport, error))
		return NULL;
	return g_steal_pointer(&account);
}

static gchar *
pg_network_irc_address_to_jid(const PgTransportConfig *transport, const gchar *name,
			      const gchar *server, const gchar *resource)
{
	return pg_network_irc_to_jid(transport, name, server, resource);
}

/* A user who did not register is on IRC as the nick they joined a room
 * with, or else as their JID's local part made a nick (RFC 2812 §2.3.1:
 * what is not a nick character becomes '_', a leading digit or '-' gets a
 * letter before it), at most 16 characters (NICKLEN is 9 to 32 on today's
 * servers; the server's own limit cuts it, prpl-irc then tries another). */
static PgAccount *
pg_network_irc_guest_account(const PgTransportConfig *transport, const gchar *user_jid,
			     const gchar *nick)
{
	g_autoptr(GString) made = NULL;

	if (nick != NULL && pg_network_irc_is_valid_nick(nick))
		return pg_account_new(transport->jid, user_jid, nick);
	made = g_string_new(NULL);
	for (const gchar *p = user_jid; *p != '\0' && *p != '@' && made->len < 16; p++) {
		gboolean ok = g_ascii_isalnum(*p) || *p == '-' || strchr("[]\\`_^{|}", *p) != NULL;
		g_string_append_c(made, ok ? *p : '_');
	}
	if (made->len == 0 || g_ascii_isdigit(made->str[0]) || made->str[0] == '-')
		g_string_prepend_c(made, 'x');
	return pg_account_new(transport->jid, user_jid, made->str);
}

/* The fixed server comes up with the session; others on first use. */
static const gchar *
pg_network_irc_session_server(const PgTransportConfig *transport)
{
	return transport->irc_server;
}

static PgIpcMessage *
pg_network_irc_build_login(const PgNetworkLogin *login, gchar **notice)
{
	const PgTransportConfig *transport = login->transport;
	const PgAccount *account = login->account;
	const PgNetworkTarget *target = login->target;
	g_autoptr(GVariantBuilder) options = g_variant_builder_new(G_VARIANT_TYPE("a{ss}"));
	g_autoptr(GVariant) pin = NULL; /* the addresses the worker may connect to */
	g_autofree gchar *port = NULL;
	g_autofree gchar *port_notice = NULL;
	gboolean tls = target->tls;
	guint16 port_number = target->port;
	g_autofree gchar *interval = g_strdup_printf("%u", transport->irc_throttle_interval);
	g_autofree gchar *burst = g_strdup_printf("%u", transport->irc_throttle_burst);
	/* the server's own encoding (its configure form), else UTF-8 */
	const gchar *server_charset =
	    pg_irc_creds_server_setting(account, login->server, "encoding");
	g_autofree gchar *encoding =
	    server_charset != NULL
		? g_strdup_printf("%s,ISO-8859-1", server_charset)
		: g_strdup_printf("UTF-8,%s,ISO-8859-1", transport->irc_charset);
	/* a nick set for this server (pg-irc-creds.h) over the registration's */
	const gchar *nick = pg_irc_creds_nick(account, login->server);
	g_autofree gchar *username = g_strdup_printf(
	    "%s@%s", nick != NULL && pg_network_irc_is_valid_nick(nick) ? nick : account->legacy_id,
	    login->server);
	/* the passwords go to the server they were registered for, and to no
	 * other (pg-irc-creds.h) */
	gboolean ours = pg_irc_creds_allowed(account, transport, login->server);
	const PgSecret *nickserv = ours ? pg_account_get_secret(account, "password") : NULL;
	const PgSecret *password = ours ? pg_account_get_secret(account, "server_password") : NULL;
	const PgSecret *identify = NULL;
	/* the passwords set for this server in its configure form, found under
	 * its keys only (pg-irc-creds.h), come before the registration's */
	const PgSecret *own_nickserv =
	    pg_irc_creds_server_secret(account, login->server, "password");
	const PgSecret *own_password =
	    pg_irc_creds_server_secret(account, login->server, "server_password");

	if (own_nickserv != NULL)
		nickserv = own_nickserv;
	if (own_password != NULL)
		password = own_password;

	if (!ours && pg_irc_creds_any(account)) {
		const gchar *bound = pg_irc_creds_server(account, transport);
		*notice = g_strdup_printf("Your IRC passwords are not sent to %s: your "
					  "registration gives them for %s.",
					  login->server, bound != NULL ? bound : "no server");
	}
	/* the user's TLS and port for this server (its configure form) */
	pg_network_irc_settings_target(transport, account, login->server, target, &tls,
				       &port_number, &port_notice);
	port = g_strdup_printf("%u", port_number);
	if (port_notice != NULL) {
		g_autofree gchar *before = g_steal_pointer(notice);
		*notice = before != NULL ? g_strdup_printf("%s\n%s", before, port_notice)
					 : g_steal_pointer(&port_notice);
	}
	if (target->addresses != NULL)
		pin = g_variant_ref_sink(
		    g_variant_new_strv((const gchar *const *)target->addresses, -1));
	/* The NickServ password authenticates with SASL PLAIN where the network
	 * offers it (prpl-irc uses the account password for SASL, so not when a
	 * server password takes that place); otherwise, or once the server said
	 * it has no SASL, the worker identifies with NickServ after sign-on. */
	if (nickserv != NULL && password == NULL && (login->flags & PG_NETWORK_IRC_NO_SASL) == 0) {
		password = nickserv;
		g_variant_builder_add(options, "{ss}", "sasl", "true");
		g_variant_builder_add(options, "{ss}", "auth_plain_in_clear", "true");
	} else {
		identify = nickserv;
		g_variant_builder_add(options, "{ss}", "sasl", "false");
	}
	g_variant_builder_add(options, "{ss}", "port", port);
	g_variant_builder_add(options, "{ss}", "ssl", tls ? "true" : "false");
	/* prpl-irc reads a line as the first of these it converts from: UTF-8,
	 * else irc_charset (or the server's encoding), else Latin-1 (which takes
	 * any byte: a byte the charset leaves undefined must not lose the line).
	 * It sends in the first.  The daemon cleans the result again (src/stanza/pg-text.c). */
	g_variant_builder_add(options, "{ss}", "encoding", encoding);
	/* a line that is valid UTF-8 is read as such whatever the list says
	 * (irc_recv_convert()); a server's own encoding sends in it and reads
	 * the rest in it (pg-network-irc-settings.c) */
	g_variant_builder_add(options, "{ss}", "autodetect_utf8", "true");
	g_variant_builder_add(options, "{ss}", "ratelimit-interval", interval);
	g_variant_builder_add(options, "{ss}", "ratelimit-burst", burst);
	/* a pinned certificate (the configure form) is for TLS only */
	return pg_network_login_message_full(
	    login, "prpl-irc", username, password, identify, g_variant_builder_end(options), pin,
	    tls ? pg_irc_creds_server_setting(account, login->server, "fingerprint") : NULL,
	    pg_irc_creds_server_secret(account, login->server, "commands"));
}

static PgNetworkVerdict
pg_network_irc_classify_disconnect(guint *link_flags, const gchar *reason, gboolean fatal,
				   gboolean was_connected)
{
	/* prpl-irc fails the login when SASL was asked for and the server has
	 * none ("...Server does not support SASL authentication."): fall back to
	 * NickServ at once, which is what the user's registration asked for */
	if (reason != NULL && strstr(reason, "does not support SASL") != NULL &&
	    (*link_flags & PG_NETWORK_IRC_NO_SASL) == 0) {
		*link_flags |= PG_NETWORK_IRC_NO_SASL;
		return PG_NETWORK_RETRY_CHANGED;
	}
	return pg_network_purple_classify_disconnect(link_flags, reason, fatal, was_connected);
}

static const gchar *
pg_network_irc_probed_protocol(const PgTransportConfig *transport)
{
	return "prpl-irc";
}

static const gchar *
pg_network_irc_disco_type(const PgTransportConfig *transport)
{
	return "irc";
}

const PgNetwork pg_network_irc = {
    .name = "irc",
    .flags = PG_NETWORK_SERVERS | PG_NETWORK_ROOMS | PG_NETWORK_WATCH,
    /* 512 - CRLF - the prefix of a 30-character nick with USERLEN 10 and
     * HOSTLEN 63 - "PRIVMSG #a-long-channel-name :" - an ACTION's bytes,
     * rounded down (backends/purple/pg-purple-lines.c) */
    .text_line_bytes = 320,
    .parse_address = pg_network_irc_parse,
    .check_address = pg_network_irc_check_address,
    .address_to_jid = pg_network_irc_address_to_jid,
    .jid_from_legacy_id = pg_network_irc_jid_from_legacy_id,
    .gateway_prompt = "IRC nickname or #channel (nick%irc.server)",
    .session_server = pg_network_irc_session_server,
    .register_instructions = "Choose the IRC nickname to use on this gateway. The NickServ "
			     "and server passwords are optional, stored encrypted, and sent "
			     "only to the IRC server you give with them.",
    .register_fields = pg_network_irc_register_fields,
    .register_form = pg_network_schema_form,
    .register_read = pg_network_irc_register_read,
    .server_settings_form = pg_network_irc_settings_form,
    .server_settings_read = pg_network_irc_settings_read,
    .check_charset = pg_network_irc_settings_charset,
    .guest_account = pg_network_irc_guest_account,
    .build_login = pg_network_irc_build_login,
    .classify_disconnect = pg_network_irc_classify_disconnect,
    .disco_type = pg_network_irc_disco_type,
    .room_disco_type = "irc",
    .probed_protocol = pg_network_irc_probed_protocol,
};
