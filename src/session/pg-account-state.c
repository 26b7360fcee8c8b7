/* What a plugin keeps across logins (issue 9): the account's state.
 *
 * DESIGN: the worker's user dir is private and goes with the worker
 * (src/session/pg-worker-dirs.h), so whatever a plugin must find again at the
 * next login, in a new worker, comes to the daemon as account-state
 * events (src/ipc/pg-ipc-message.h), one item each.  The first such item
 * is a server certificate the user accepted (libpurple's peer cache,
 * backends/purple/pg-purple-state.c): without it the user would be asked
 * at every login.
 *
 * Items are kept as secrets of the account ("state:" + key), so the
 * registry seals them at rest with the row's (transport, user) as
 * associated data, like a password; they go back to the worker in the
 * login command's state field, and nowhere else.  A worker is not trusted
 * (src/session/pg-worker-policy.h): it can only write its own account's
 * items (the supervisor checks the account is the worker's), at most
 * PG_ACCOUNT_STATE_MAX_ITEMS of at most PG_ACCOUNT_STATE_MAX_VALUE bytes,
 * under keys of printable ASCII.
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-session"

#include <string.h>

#include "registry/pg-registry.h"
#include "session/pg-account-state.h"
#include "xmpp/pg-transport.h"


gboolean
pg_account_state_key_is_valid(const gchar *key)
{
	gsize len = key != NULL ? strlen(key) : 0;

	if (len == 0 || len > PG_ACCOUNT_STATE_MAX_KEY || strstr(key, "..") != NULL)
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if (!g_ascii_isgraph(key[i]))
			return FALSE;
	return TRUE;
}

static guint
pg_account_state_count(const PgAccount *account)
{
	GHashTableIter iter;
	gpointer key;
	guint n = 0;

	g_hash_table_iter_init(&iter, account->secrets);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		if (g_str_has_prefix(key, PG_ACCOUNT_STATE_PREFIX))
			n++;
	return n;
}

void
pg_account_state_on_event(PgLink *link, const PgIpcMessage *msg)
{
	PgSession *session = link->session;
	const PgTransportConfig *transport = pg_transport_get_config(session->transport);
	PgRegistry *registry = pg_transport_get_registry(session->transport);
	const gchar *key = pg_ipc_message_get_string(msg, "key");
	const gchar *value = pg_ipc_message_get_string(msg, "value");
	g_autoptr(PgAccount) account = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *name = NULL;

	if (!pg_account_state_key_is_valid(key) ||
	    (value != NULL && strlen(value) > PG_ACCOUNT_STATE_MAX_VALUE)) {
		g_warning("%s: refusing an account state item (bad key or too large)",
			  link->account);
		return;
	}
	account = pg_registry_get_account(registry, transport->jid, session->user_jid, &error);
	if (account == NULL) {
		g_message("%s: no registration to keep state in: %s", link->account,
			  error != NULL ? error->message : "none");
		return;
	}
	name = g_strconcat(PG_ACCOUNT_STATE_PREFIX, key, NULL);
	if (value != NULL && pg_account_get_secret(account, name) == NULL &&
	    pg_account_state_count(account) >= PG_ACCOUNT_STATE_MAX_ITEMS) {
		g_warning("%s: refusing account state item %s: %u items kept already",
			  link->account, key, PG_ACCOUNT_STATE_MAX_ITEMS);
		return;
	}
	pg_account_set_secret(account, name,
			      value != NULL ? pg_secret_new_from_string(value) : NULL);
	if (!pg_registry_put_account(registry, account, NULL, &error)) {
		g_warning("%s: cannot keep account state item %s: %s", link->account, key,
			  error->message);
		return;
	}
	g_info("%s: kept account state item %s", link->account, key);
}

PgIpcMessage *
pg_account_state_attach(PgIpcMessage *login, const PgAccount *account)
{
	g_autoptr(PgIpcMessage) owned = login;
	GVariantBuilder fields;
	GVariantBuilder state;
	GHashTableIter iter;
	gpointer key, value;
	GVariantIter field_iter;
	const gchar *field;
	GVariant *field_value;
	gboolean any = FALSE;

	if (owned == NULL || account == NULL)
		return g_steal_pointer(&owned);
	g_variant_builder_init(&state, G_VARIANT_TYPE("a{ss}"));
	g_hash_table_iter_init(&iter, account->secrets);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		if (!g_str_has_prefix(key, PG_ACCOUNT_STATE_PREFIX))
			continue;
		/* items are text (a PEM); the registry keeps them as bytes */
		if (!g_utf8_validate(pg_secret_get_string(value), -1, NULL))
			continue;
		g_variant_builder_add(&state, "{ss}", (const gchar *)key + strlen(PG_ACCOUNT_STATE_PREFIX),
				      pg_secret_get_string(value));
		any = TRUE;
	}
	if (!any) {
		g_variant_builder_clear(&state);
		return g_steal_pointer(&owned);
	}
	g_variant_builder_init(&fields, G_VARIANT_TYPE("a{sv}"));
	g_variant_iter_init(&field_iter, owned->fields);
	while (g_variant_iter_next(&field_iter, "{&sv}", &field, &field_value)) {
		g_variant_builder_add(&fields, "{sv}", field, field_value);
		g_variant_unref(field_value);
	}
	g_variant_builder_add(&fields, "{sv}", "state", g_variant_builder_end(&state));
	return pg_ipc_message_new_from_fields(PG_IPC_CMD_LOGIN, owned->id,
					      g_variant_builder_end(&fields));
}
