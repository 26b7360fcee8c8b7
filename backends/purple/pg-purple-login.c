/* The login command: an account made or reconnected with the daemon's
 * credentials, options and pins, and an account dropped (pg-purple-login.h).
 *
 * DESIGN: the password arrives in a wiped frame, is copied once into a
 * PgSecret, handed to libpurple (which copies it again) and wiped here;
 * libpurple's copies are wiped by pg-purple-events.c as soon as the login
 * finished (prpl-polygate-sms excepted: it needs its password for every
 * send).  Errors are GErrors in PG_ERROR; pg-purple-commands.c turns them
 * into error events.
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-purple"

#include <string.h>

#include "core/pg-error.h"
#include "pg-purple-events.h"
#include "pg-purple-login.h"
#include "pg-purple-request.h"
#include "pg-purple-state.h"
#include "pg-purple-text.h"
#include "pg-purple-ui.h"
#include "pg-purple-worker.h"

/* Apply the daemon's a{ss} to the account, typed by the prpl's options.
 * Settings a prpl reads without declaring them (prpl-irc's
 * ratelimit-interval, ratelimit-burst) are typed by their value. */
static gboolean
pg_purple_login_apply_options(PurpleAccount *account, PurplePluginProtocolInfo *prpl_info,
			      GVariant *options, GError **error)
{
	GVariantIter iter;
	const gchar *name;
	const gchar *value;

	if (options == NULL)
		return TRUE;
	g_variant_iter_init(&iter, options);
	while (g_variant_iter_next(&iter, "{&s&s}", &name, &value)) {
		PurplePrefType type = PURPLE_PREF_NONE;
		gint64 number = 0;

		for (GList *l = prpl_info->protocol_options; l != NULL; l = l->next) {
			PurpleAccountOption *option = l->data;
			if (g_strcmp0(purple_account_option_get_setting(option), name) == 0) {
				type = purple_account_option_get_type(option);
				break;
			}
		}
		if (type == PURPLE_PREF_NONE) {
			if (g_ascii_string_to_signed(value, 10, G_MININT, G_MAXINT, &number, NULL))
				type = PURPLE_PREF_INT;
			else if (g_strcmp0(value, "true") == 0 || g_strcmp0(value, "false") == 0)
				type = PURPLE_PREF_BOOLEAN;
			else
				type = PURPLE_PREF_STRING;
		}
		switch (type) {
		case PURPLE_PREF_INT:
			if (!g_ascii_string_to_signed(value, 10, G_MININT, G_MAXINT, &number,
						      NULL)) {
				g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
					    "option %s wants an integer, not '%s'", name, value);
				return FALSE;
			}
			purple_account_set_int(account, name, (gint)number);
			break;
		case PURPLE_PREF_BOOLEAN:
			if (g_strcmp0(value, "true") != 0 && g_strcmp0(value, "false") != 0) {
				g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
					    "option %s wants true or false, not '%s'", name,
					    value);
				return FALSE;
			}
			purple_account_set_bool(account, name, g_strcmp0(value, "true") == 0);
			break;
		default:
			purple_account_set_string(account, name, value);
			break;
		}
	}
	return TRUE;
}

static void
pg_purple_account_free(PgPurpleAccount *entry)
{
	g_free(entry->key);
	g_free(entry->cert_sha256);
	g_free(entry->pin_failure);
	pg_secret_free(entry->after_connect);
	pg_secret_free(entry->webirc);
	g_clear_pointer(&entry->requested_rooms, g_hash_table_unref);
	g_clear_pointer(&entry->room_charsets, g_hash_table_unref);
	pg_secret_free(entry->identify_password);
	g_free(entry);
}

/* prpl-irc connects to the server of "nick@server": pin it to the
 * addresses the daemon checked (pg-purple-ui.c). */
static void
pg_purple_login_pin(const PgIpcMessage *msg, const gchar *username)
{
	g_autoptr(GVariant) pin = pg_ipc_message_get_value(msg, "pin");
	const gchar *at = username != NULL ? strrchr(username, '@') : NULL;
	g_autofree const gchar **addresses = NULL;

	if (pin == NULL || at == NULL)
		return;
	addresses = g_variant_get_strv(pin, NULL);
	pg_purple_ui_pin_host(at + 1, addresses);
}

/* The certificate this login accepts, if the user pinned one; the lines
 * it sends once signed on. */
static void
pg_purple_login_set_pin(PgPurpleAccount *entry, const PgIpcMessage *msg)
{
	pg_secret_free(entry->after_connect);
	entry->after_connect = pg_ipc_message_dup_secret(msg, "after_connect");
	pg_secret_free(entry->webirc);
	entry->webirc = pg_ipc_message_dup_secret(msg, "webirc");
	g_free(entry->cert_sha256);
	entry->cert_sha256 = pg_ipc_message_has_field(msg, "cert_sha256")
				 ? g_strdup(pg_ipc_message_get_string(msg, "cert_sha256"))
				 : NULL;
	g_clear_pointer(&entry->pin_failure, g_free);
	entry->deaf = pg_ipc_message_get_boolean(msg, "deaf", FALSE);
}

gboolean
pg_purple_login(const PgIpcMessage *msg, GError **error)
{
	PgPurpleWorker *worker = pg_purple_worker_get();
	const gchar *key = pg_ipc_message_get_string(msg, "account");
	const gchar *protocol = pg_ipc_message_get_string(msg, "protocol");
	const gchar *username = pg_ipc_message_get_string(msg, "username");
	g_autoptr(PgSecret) password = pg_ipc_message_dup_secret(msg, "password");
	g_autoptr(GVariant) options = pg_ipc_message_get_value(msg, "options");
	PgPurpleAccount *entry = g_hash_table_lookup(worker->accounts, key);
	PurplePlugin *prpl = purple_find_prpl(protocol);
	PurplePluginProtocolInfo *prpl_info;
	PurpleAccount *account;

	if (prpl == NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
			    "protocol %s is not loaded in this worker", protocol);
		return FALSE;
	}
	prpl_info = PURPLE_PLUGIN_PROTOCOL_INFO(prpl);
	pg_purple_login_pin(msg, username);
	/* before the account connects: the certificates the user accepted */
	pg_purple_state_restore(msg);
	if (entry != NULL) {
		/* a reconnect the daemon decided on, with fresh credentials */
		if (entry->state != PG_PURPLE_LOGIN_DISCONNECTED ||
		    !purple_account_is_disconnected(entry->account)) {
			g_set_error(error, PG_ERROR, PG_ERROR_CONFLICT,
				    "account %s is already logged in", key);
			return FALSE;
		}
		if (g_strcmp0(purple_account_get_username(entry->account), username) != 0 ||
		    g_strcmp0(purple_account_get_protocol_id(entry->account), protocol) != 0) {
			g_set_error(error, PG_ERROR, PG_ERROR_CONFLICT,
				    "account %s exists with another username or protocol", key);
			return FALSE;
		}
		if (!pg_purple_login_apply_options(entry->account, prpl_info, options, error))
			return FALSE;
		if (password != NULL) {
			/* an SMS account still holds the last one (see events.c) */
			pg_purple_events_wipe_password(entry->account);
			purple_account_set_password(entry->account,
						    pg_secret_get_string(password));
		}
		pg_secret_free(entry->identify_password);
		entry->identify_password = pg_ipc_message_dup_secret(msg, "identify_password");
		pg_purple_login_set_pin(entry, msg);
		purple_account_connect(entry->account);
		return TRUE;
	}

	account = purple_account_new(username, protocol);
	/* never written to accounts.xml: see pg-purple-ui.c */
	purple_account_set_remember_password(account, FALSE);
	if (!pg_purple_login_apply_options(account, prpl_info, options, error)) {
		purple_account_destroy(account);
		return FALSE;
	}
	if (password != NULL)
		purple_account_set_password(account, pg_secret_get_string(password));
	purple_accounts_add(account);

	entry = g_new0(PgPurpleAccount, 1);
	entry->key = g_strdup(key);
	entry->account = account;
	entry->state = PG_PURPLE_LOGIN_DISCONNECTED;
	entry->requested_rooms = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	entry->room_charsets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	entry->identify_password = pg_ipc_message_dup_secret(msg, "identify_password");
	pg_purple_login_set_pin(entry, msg);
	g_hash_table_insert(worker->accounts, entry->key, entry);
	g_hash_table_insert(worker->by_account, account, entry);
	/* connects at once: a new account's status is available */
	purple_account_set_enabled(account, PG_PURPLE_UI_ID, TRUE);
	return TRUE;
}

void
pg_purple_login_drop(PgPurpleAccount *entry, guint32 request, const gchar *reason)
{
	PgPurpleWorker *worker = pg_purple_worker_get();
	PurpleAccount *account = entry->account;

	pg_purple_events_wipe_password(account);
	pg_purple_request_forget_account(entry->key);
	/* report first: the signed-off that follows then stays quiet */
	if (entry->state != PG_PURPLE_LOGIN_DISCONNECTED) {
		entry->state = PG_PURPLE_LOGIN_DISCONNECTED;
		pg_purple_worker_emit(pg_purple_worker_message_new(
		    PG_IPC_EVT_LOGIN_STATE, request, "account", g_variant_new_string(entry->key),
		    "state", g_variant_new_string("disconnected"), "reason",
		    pg_purple_text_new(reason), "fatal", g_variant_new_boolean(FALSE), NULL));
	}
	purple_account_set_enabled(account, PG_PURPLE_UI_ID, FALSE);
	if (!purple_account_is_disconnected(account))
		purple_account_disconnect(account);
	g_hash_table_remove(worker->by_account, account);
	g_hash_table_remove(worker->accounts, entry->key);
	pg_purple_account_free(entry);
	/* forgets the account, its buddies and conversations, and frees it */
	purple_accounts_delete(account);
}
