/* The generic libpurple driver (pg-network-purple.h): the default for
 * every network that has a libpurple protocol plugin.  IRC and SMS
 * specialise it (pg-network-irc.c, pg-network-sms.c).
 *
 * The registration is the plugin's own form (pg-purple-form.h), built from
 * what the plugin declares (the daemon reads it at start); without that it
 * asks for the legacy account's name and password.  The login hands them
 * and the account's options to the transport's purple_protocol (prpl-jabber
 * if the operator named none).
 */
#define G_LOG_DOMAIN "pg-network"

#include "config.h"

#include "core/pg-error.h"
#include "network/pg-network-private.h"
#include "network/pg-network-purple.h"
#include "network/pg-purple-form.h"

static const PgNetworkField pg_network_purple_fields[] = {
    {.var = "username",
     .legacy = TRUE,
     .type = "text-single",
     .label = "Legacy account name",
     .required = TRUE,
     .legacy_id = TRUE},
    {.var = "password",
     .legacy = TRUE,
     .type = "text-private",
     .label = "Password",
     .required = TRUE,
     .secret = TRUE},
};

gchar *
pg_network_purple_parse(const PgTransportConfig *transport, const PgJid *jid, GError **error)
{
	if (!pg_network_check_bare_contact(jid, error))
		return NULL;
	return pg_jid_unescape_node(jid->local);
}

static PgNetworkAddress *
pg_network_purple_parse_address(const PgTransportConfig *transport, const PgJid *jid,
				GError **error)
{
	gchar *name = pg_network_purple_parse(transport, jid, error);
	return name != NULL ? pg_network_contact_address(name) : NULL;
}

static gboolean
pg_network_purple_check_address(const PgTransportConfig *transport, const PgJid *jid,
				GError **error)
{
	return pg_network_check_bare_contact(jid, error);
}

static gchar *
pg_network_purple_address_to_jid(const PgTransportConfig *transport, const gchar *name,
				 const gchar *server, const gchar *resource)
{
	g_autofree gchar *node = pg_jid_escape_node(name);
	return g_strdup_printf("%s@%s", node, transport->jid);
}

static gchar *
pg_network_purple_jid_from_legacy_id(const PgTransportConfig *transport, const gchar *legacy_id,
				     GError **error)
{
	return pg_network_purple_address_to_jid(transport, legacy_id, "", NULL);
}

static const gchar *
pg_network_purple_session_server(const PgTransportConfig *transport)
{
	return ""; /* the one link comes up with the session */
}

static const PgNetworkField *
pg_network_purple_register_fields(const PgTransportConfig *transport, gsize *n_fields)
{
	*n_fields = G_N_ELEMENTS(pg_network_purple_fields);
	return pg_network_purple_fields;
}

/* The plugin's own form when the daemon could read what it declares
 * (pg-purple-form.h), else the account's name and password. */
static PgForm *
pg_network_purple_register_form(const PgNetwork *network, const PgTransportConfig *transport,
				const PgAccount *account)
{
	if (transport->protocol_info != NULL)
		return pg_purple_form_new(transport->protocol_info, transport, account);
	return pg_network_schema_form(network, transport, account);
}

static PgAccount *
pg_network_purple_register_read(const PgNetwork *network, const PgTransportConfig *transport,
				const gchar *user_jid, GHashTable *values, GError **error)
{
	if (transport->protocol_info != NULL)
		return pg_purple_form_build_account(transport->protocol_info, transport,
						    transport->jid, user_jid, values, error);
	return pg_network_schema_read(network, transport, user_jid, values, error);
}

static PgIpcMessage *
pg_network_purple_build_login(const PgNetworkLogin *login, gchar **notice)
{
	const PgTransportConfig *transport = login->transport;
	g_autoptr(GVariantBuilder) options = g_variant_builder_new(G_VARIANT_TYPE("a{ss}"));

	/* the registration's options and the operator's (pg-purple-form.h) */
	pg_purple_form_add_login_options(transport->protocol_info, transport, login->account,
					 options);
	return pg_network_login_message(
	    login, pg_transport_config_get_purple_protocol(transport),
	    login->account->legacy_id, pg_account_get_secret(login->account, "password"), NULL,
	    g_variant_builder_end(options), NULL);
}

PgNetworkVerdict
pg_network_purple_classify_disconnect(guint *link_flags, const gchar *reason, gboolean fatal,
				      gboolean was_connected)
{
	return pg_network_classify_refusal(reason, fatal, was_connected);
}

/* XEP-0100 §5 / the XMPP registrar's "gateway" category types */
static const gchar *
pg_network_purple_disco_type(const PgTransportConfig *transport)
{
	static const struct {
		const gchar *protocol;
		const gchar *type;
	} types[] = {
	    {"prpl-jabber", "xmpp"},
	    {"prpl-icq", "icq"},
	    {"prpl-gg", "gadu-gadu"},
	    {"prpl-simple", "sip"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(types); i++) {
		if (g_strcmp0(transport->purple_protocol, types[i].protocol) == 0)
			return types[i].type;
	}
	return "legacy";
}

const PgNetwork pg_network_purple = {
    .name = "purple",
    .flags = PG_NETWORK_BUDDY_LIST,
    .parse_address = pg_network_purple_parse_address,
    .check_address = pg_network_purple_check_address,
    .address_to_jid = pg_network_purple_address_to_jid,
    .jid_from_legacy_id = pg_network_purple_jid_from_legacy_id,
    .gateway_prompt = "Legacy account name",
    .session_server = pg_network_purple_session_server,
    .register_instructions = "Enter the name and password of your account on the legacy "
			     "network, and its options if you like. Passwords and tokens are "
			     "stored encrypted.",
    .register_fields = pg_network_purple_register_fields,
    .register_form = pg_network_purple_register_form,
    .register_read = pg_network_purple_register_read,
    .build_login = pg_network_purple_build_login,
    .classify_disconnect = pg_network_purple_classify_disconnect,
    .disco_type = pg_network_purple_disco_type,
    .probed_protocol = pg_transport_config_get_purple_protocol,
};
