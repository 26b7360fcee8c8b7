/* The SMS driver (pg-network-sms.h): E.164 addresses, the phone number
 * registration, and the Kannel options of prpl-polygate-sms's login.
 */
#define G_LOG_DOMAIN "pg-network"

#include "config.h"

#include "core/pg-error.h"
#include "core/pg-phone.h"
#include "network/pg-network-private.h"
#include "network/pg-network-sms.h"

gchar *
pg_network_sms_parse(const PgTransportConfig *transport, const PgJid *jid, GError **error)
{
	g_autofree gchar *number = NULL;

	if (jid->local == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
				    "the address names no phone number");
		return NULL;
	}
	/* a malformed number first, then whether it can exist */
	number = pg_phone_normalize_e164(jid->local, error);
	if (number == NULL || !pg_network_check_bare_contact(jid, error))
		return NULL;
	return g_steal_pointer(&number);
}

static PgNetworkAddress *
pg_network_sms_parse_address(const PgTransportConfig *transport, const PgJid *jid, GError **error)
{
	gchar *number = pg_network_sms_parse(transport, jid, error);
	return number != NULL ? pg_network_contact_address(number) : NULL;
}

static gboolean
pg_network_sms_check_address(const PgTransportConfig *transport, const PgJid *jid, GError **error)
{
	g_autofree gchar *number = pg_network_sms_parse(transport, jid, error);
	return number != NULL;
}

/* E.164 needs no XEP-0106 escape. */
static gchar *
pg_network_sms_address_to_jid(const PgTransportConfig *transport, const gchar *name,
			      const gchar *server, const gchar *resource)
{
	return g_strdup_printf("%s@%s", name, transport->jid);
}

static gchar *
pg_network_sms_jid_from_legacy_id(const PgTransportConfig *transport, const gchar *legacy_id,
				  GError **error)
{
	g_autofree gchar *number = pg_phone_normalize_e164(legacy_id, error);

	if (number == NULL)
		return NULL;
	return pg_network_sms_address_to_jid(transport, number, "", NULL);
}

static const gchar *
pg_network_sms_session_server(const PgTransportConfig *transport)
{
	return "";
}

static gchar *
pg_network_sms_check_phone(const gchar *value, GError **error)
{
	return pg_phone_normalize_e164(value, error);
}

static const PgNetworkField pg_network_sms_fields[] = {
    {.var = "phone",
     .legacy = TRUE,
     .type = "text-single",
     .label = "Your mobile number, international form (e.g. +15551234567)",
     .required = TRUE,
     .legacy_id = TRUE,
     .check = pg_network_sms_check_phone},
};

static const PgNetworkField *
pg_network_sms_register_fields(const PgTransportConfig *transport, gsize *n_fields)
{
	*n_fields = G_N_ELEMENTS(pg_network_sms_fields);
	return pg_network_sms_fields;
}

/* A number routes inbound texts: it can belong to one user only. */
static gboolean
pg_network_sms_register_check(const PgTransportConfig *transport, PgRegistry *registry,
			      const PgAccount *account, GError **error)
{
	g_autoptr(PgAccount) owner =
	    pg_registry_find_by_legacy_id(registry, transport->jid, account->legacy_id, NULL);

	if (owner != NULL && g_strcmp0(owner->user_jid, account->user_jid) != 0) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_CONFLICT,
				    "this number is registered by another user");
		return FALSE;
	}
	return TRUE;
}

static PgIpcMessage *
pg_network_sms_build_login(const PgNetworkLogin *login, gchar **notice)
{
	const PgTransportConfig *transport = login->transport;
	const PgConfig *config = login->config;
	g_autoptr(GVariantBuilder) options = g_variant_builder_new(G_VARIANT_TYPE("a{ss}"));

	g_variant_builder_add(options, "{ss}", "sendsms-url", transport->kannel_sendsms_url);
	if (transport->kannel_username != NULL)
		g_variant_builder_add(options, "{ss}", "sendsms-username",
				      transport->kannel_username);
	if (transport->kannel_smsc != NULL)
		g_variant_builder_add(options, "{ss}", "smsc", transport->kannel_smsc);
	/* the plugin appends &id=<message id>&status=%d; the token is how our
	 * listener knows the report comes from Kannel */
	if (transport->sms_dlr && config->http_port != 0 && transport->kannel_token != NULL) {
		g_autofree gchar *dlr = g_strdup_printf(
		    "http://%s:%u/kannel/dlr?token=%s&answer=%%A",
		    g_strcmp0(config->http_listen, "0.0.0.0") == 0 ? "127.0.0.1"
								   : config->http_listen,
		    config->http_port, pg_secret_get_string(transport->kannel_token));
		g_variant_builder_add(options, "{ss}", "dlr-url", dlr);
	}
	g_variant_builder_add(options, "{ss}", "show-errors", "false");
	return pg_network_login_message(login, "prpl-polygate-sms", login->account->legacy_id,
					transport->kannel_password, NULL,
					g_variant_builder_end(options), NULL);
}

/* Our own plugin, which the supervisor finds beside the worker
 * (session/pg-supervisor.c): its options are ours. */
static const gchar *
pg_network_sms_probed_protocol(const PgTransportConfig *transport)
{
	return NULL;
}

static const gchar *
pg_network_sms_disco_type(const PgTransportConfig *transport)
{
	return "sms";
}

const PgNetwork pg_network_sms = {
    .name = "sms",
    .flags = PG_NETWORK_OUTBOX,
    .parse_address = pg_network_sms_parse_address,
    .check_address = pg_network_sms_check_address,
    .address_to_jid = pg_network_sms_address_to_jid,
    .jid_from_legacy_id = pg_network_sms_jid_from_legacy_id,
    .gateway_prompt = "Phone number (+15551234567)",
    .session_server = pg_network_sms_session_server,
    .register_instructions = "Enter your mobile phone number in international form (+ and "
			     "the country code). Text messages to that number reach you here.",
    .register_fields = pg_network_sms_register_fields,
    .register_form = pg_network_schema_form,
    .register_read = pg_network_schema_read,
    .register_check = pg_network_sms_register_check,
    .build_login = pg_network_sms_build_login,
    .classify_disconnect = pg_network_purple_classify_disconnect,
    .disco_type = pg_network_sms_disco_type,
    .probed_protocol = pg_network_sms_probed_protocol,
};
