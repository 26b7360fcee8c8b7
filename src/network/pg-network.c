/* What the network drivers share: addresses, and the registration schema
 * turned into a XEP-0004 form and read back into an account.
 *
 * The reading keeps pg-register.c's rules (its header lists the errors):
 * every value is bounded and valid UTF-8; a value that is not secret holds
 * no control character; each field's own check (an IRC nick, an E.164
 * number) may refuse or rewrite it.  Secrets go straight into a PgSecret
 * and their copies are wiped.
 */
#define G_LOG_DOMAIN "pg-network"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "network/pg-network-private.h"
#include "stanza/pg-stanza.h"

#define PG_NETWORK_MAX_VALUE 1024

void
pg_network_address_free(PgNetworkAddress *address)
{
	if (address == NULL)
		return;
	g_free(address->name);
	g_free(address->server);
	g_free(address->resource);
	g_free(address);
}

gboolean
pg_network_check_bare_contact(const PgJid *jid, GError **error)
{
	if (jid->local == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
				    "the address names no contact");
		return FALSE;
	}
	/* contacts on these networks are bare JIDs: a resource names nothing
	 * there (RFC 6120 §8.3.3.7 item-not-found) */
	if (jid->resource != NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
				    "contacts on this gateway have no resources");
		return FALSE;
	}
	return TRUE;
}

PgNetworkAddress *
pg_network_contact_address(gchar *name)
{
	PgNetworkAddress *address = g_new0(PgNetworkAddress, 1);

	address->name = name;
	address->server = g_strdup("");
	return address;
}

gboolean
pg_network_chat_states(const PgTransportConfig *transport)
{
	return pg_network_has(pg_network_for(transport->type), PG_NETWORK_BUDDY_LIST) &&
	       transport->protocol_info != NULL && transport->protocol_info->typing;
}

gboolean
pg_network_receipts(const PgTransportConfig *transport)
{
	return pg_network_has(pg_network_for(transport->type), PG_NETWORK_BUDDY_LIST) &&
	       transport->protocol_info != NULL && transport->protocol_info->receipts;
}

PgForm *
pg_network_schema_form(const PgNetwork *network, const PgTransportConfig *transport,
		       const PgAccount *account)
{
	PgForm *form = pg_form_new("form", PG_NS_REGISTER, transport->display_name,
				   network->register_instructions);
	gsize n_fields = 0;
	const PgNetworkField *fields = network->register_fields(transport, &n_fields);

	for (gsize i = 0; i < n_fields; i++)
		pg_form_add_field(form, fields[i].var, fields[i].type, fields[i].label,
				  fields[i].required, pg_network_field_value(&fields[i], account));
	return form;
}

const gchar *
pg_network_field_value(const PgNetworkField *field, const PgAccount *account)
{
	if (account == NULL || field->secret)
		return NULL;
	return field->legacy_id ? account->legacy_id : pg_account_get_setting(account, field->var);
}

/* Check one value; may rewrite it (E.164 normalisation).
 * Returns: (transfer full) the value to store. */
static gchar *
pg_network_check_value(const PgNetworkField *field, const gchar *value, GError **error)
{
	if (strlen(value) > PG_NETWORK_MAX_VALUE) {
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE, "%s is too long", field->var);
		return NULL;
	}
	if (!g_utf8_validate(value, -1, NULL)) {
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE, "%s is not valid UTF-8",
			    field->var);
		return NULL;
	}
	if (field->secret)
		return g_strdup(value);
	if (field->check != NULL)
		return field->check(value, error);
	for (const gchar *p = value; *p != '\0'; p = g_utf8_next_char(p)) {
		if (g_unichar_iscntrl(g_utf8_get_char(p))) {
			g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
				    "%s contains a control character", field->var);
			return NULL;
		}
	}
	return g_strdup(value);
}

PgAccount *
pg_network_schema_read(const PgNetwork *network, const PgTransportConfig *transport,
		       const gchar *user_jid, GHashTable *values, GError **error)
{
	g_autoptr(PgAccount) account = pg_account_new(transport->jid, user_jid, NULL);
	gsize n_fields = 0;
	const PgNetworkField *fields = network->register_fields(transport, &n_fields);

	for (gsize i = 0; i < n_fields; i++) {
		const gchar *value = g_hash_table_lookup(values, fields[i].var);
		g_autofree gchar *checked = NULL;

		if (value == NULL || value[0] == '\0') {
			if (fields[i].required) {
				g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
					    "the field '%s' is required", fields[i].var);
				return NULL;
			}
			continue;
		}
		checked = pg_network_check_value(&fields[i], value, error);
		if (checked == NULL)
			return NULL;
		if (fields[i].secret) {
			pg_account_set_secret(account, fields[i].var,
					      pg_secret_new_from_string(checked));
			pg_secret_wipe_string(g_steal_pointer(&checked));
		} else if (fields[i].legacy_id) {
			g_free(account->legacy_id);
			account->legacy_id = g_steal_pointer(&checked);
		} else {
			pg_account_set_setting(account, fields[i].var, checked);
		}
	}
	return g_steal_pointer(&account);
}

PgNetworkVerdict
pg_network_classify_refusal(const gchar *reason, gboolean fatal, gboolean was_connected)
{
	/* libpurple reports a server's refusal of our credentials or of us (an
	 * IRC server's "ERROR :Access denied: Bad password?", a K-line) as a
	 * plain network error; retrying that only hammers the server */
	static const gchar *const refusals[] = {"password", "access denied", "banned",
						"k-lined",  "g-lined",       "not authorized"};
	g_autofree gchar *lower = NULL;

	if (fatal)
		return PG_NETWORK_FINAL;
	if (was_connected || reason == NULL)
		return PG_NETWORK_RETRY;
	lower = g_utf8_strdown(reason, -1);
	for (gsize i = 0; i < G_N_ELEMENTS(refusals); i++) {
		if (strstr(lower, refusals[i]) != NULL)
			return PG_NETWORK_FINAL;
	}
	return PG_NETWORK_RETRY;
}

PgIpcMessage *
pg_network_login_message(const PgNetworkLogin *login, const gchar *protocol, const gchar *username,
			 const PgSecret *password, const PgSecret *identify, GVariant *options,
			 GVariant *pin)
{
	return pg_network_login_message_full(login, protocol, username, password, identify,
					     options, pin, NULL, NULL);
}

PgIpcMessage *
pg_network_login_message_full(const PgNetworkLogin *login, const gchar *protocol,
			      const gchar *username, const PgSecret *password,
			      const PgSecret *identify, GVariant *options, GVariant *pin,
			      const gchar *cert_sha256, const PgSecret *after_connect)
{
	return pg_ipc_message_new(
	    PG_IPC_CMD_LOGIN, 0, "account", g_variant_new_string(login->account_key), "protocol",
	    g_variant_new_string(protocol), "username", g_variant_new_string(username), "password",
	    password != NULL ? pg_ipc_variant_new_secret(password) : NULL, "identify_password",
	    identify != NULL ? pg_ipc_variant_new_secret(identify) : NULL, "options", options,
	    "pin", pin, "cert_sha256", cert_sha256 != NULL ? g_variant_new_string(cert_sha256) : NULL,
	    "after_connect",
	    after_connect != NULL ? pg_ipc_variant_new_secret(after_connect) : NULL, NULL);
}
