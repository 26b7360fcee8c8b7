/* protocol-info: a loaded plugin's declarations as a PgProtocolInfo.
 *
 * DESIGN: the daemon asks a short-lived worker that loaded every installed
 * plugin (--plugin=*, pg-purple-ui.c) once at start, so this runs where no
 * account exists and no network is reached.  Everything comes from the
 * plugin's PurplePluginProtocolInfo, read-only.  Two entry points take a
 * connection or an account that a probe does not have:
 * - chat_info(gc) only builds a list in every plugin Debian ships; it gets
 *   a zeroed connection, never NULL, so a plugin that reads a field of it
 *   reads NULL instead of crashing.  chat_info_defaults(gc, name) is not
 *   called: prpl-jabber reads its signed-on stream there.
 * - get_account_text_table(account) (the plugin's label for the account
 *   name) gets NULL, as libpurple's own callers do before an account
 *   exists.
 * The file is where the plugin really is: the worker loads plugins through
 * symlinks in its private dir (pg-purple-ui.c), so the link is read back.
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-purple"

#include <purple.h>

#include "core/pg-error.h"
#include "core/pg-protocol-info.h"
#include "ipc/pg-ipc-protocol-info.h"
#include "pg-purple-protocol.h"
#include "pg-purple-receipts.h"
#include "pg-purple-worker.h"

static void
pg_purple_protocol_add_option(PgProtocolInfo *info, PurpleAccountOption *option)
{
	const gchar *setting = purple_account_option_get_setting(option);
	const gchar *label = purple_account_option_get_text(option);
	g_autofree gchar *number = NULL;
	PgProtocolOption *entry;

	switch (purple_account_option_get_type(option)) {
	case PURPLE_PREF_BOOLEAN:
		pg_protocol_info_add_option(info, setting, PG_PROTOCOL_OPTION_BOOL, label,
					    purple_account_option_get_default_bool(option)
						? "true"
						: "false",
					    FALSE);
		break;
	case PURPLE_PREF_INT:
		number = g_strdup_printf("%d", purple_account_option_get_default_int(option));
		pg_protocol_info_add_option(info, setting, PG_PROTOCOL_OPTION_INT, label, number,
					    FALSE);
		break;
	case PURPLE_PREF_STRING:
		pg_protocol_info_add_option(info, setting, PG_PROTOCOL_OPTION_STRING, label,
					    purple_account_option_get_default_string(option),
					    purple_account_option_get_masked(option));
		break;
	case PURPLE_PREF_STRING_LIST:
		entry = pg_protocol_info_add_option(
		    info, setting, PG_PROTOCOL_OPTION_LIST, label,
		    purple_account_option_get_default_list_value(option), FALSE);
		for (GList *l = purple_account_option_get_list(option); l != NULL; l = l->next) {
			PurpleKeyValuePair *pair = l->data;
			pg_protocol_option_add_choice(entry, pair->key, pair->value);
		}
		break;
	default:
		/* PURPLE_PREF_NONE / PATH types: no plugin declares them as
		 * account options, and there is no form field for them */
		g_message("%s: skipping option %s of an unknown type", info->id, setting);
		break;
	}
}

static void
pg_purple_protocol_add_chat_fields(PgProtocolInfo *info, PurplePluginProtocolInfo *prpl_info)
{
	g_autofree PurpleConnection *probe = NULL;
	GList *entries;

	if (prpl_info->chat_info == NULL)
		return;
	probe = g_new0(PurpleConnection, 1);
	entries = prpl_info->chat_info(probe);
	for (GList *l = entries; l != NULL; l = l->next) {
		struct proto_chat_entry *entry = l->data;
		PgProtocolChatField *field = g_new0(PgProtocolChatField, 1);

		field->identifier = g_strdup(entry->identifier);
		field->label = g_strdup(entry->label);
		field->required = entry->required;
		field->is_int = entry->is_int;
		field->min = entry->min;
		field->max = entry->max;
		field->secret = entry->secret;
		g_ptr_array_add(info->chat_fields, field);
	}
	/* the caller frees the list and each entry (Pidgin's gtkblist.c) */
	g_list_free_full(entries, g_free);
}

static gchar *
pg_purple_protocol_username_label(PurplePluginProtocolInfo *prpl_info)
{
	GHashTable *table;
	gchar *label = NULL;

	if (!PURPLE_PROTOCOL_PLUGIN_HAS_FUNC(prpl_info, get_account_text_table))
		return NULL;
	table = prpl_info->get_account_text_table(NULL);
	if (table == NULL)
		return NULL;
	label = g_strdup(g_hash_table_lookup(table, "login_label"));
	g_hash_table_destroy(table);
	return label;
}

/* Plugins' strings are meant to be UTF-8 but nothing checks them; a
 * GVariant string must be (pg-purple-text.c does the same for events). */
static void
pg_purple_protocol_make_valid(gchar **text)
{
	gchar *valid;

	if (*text == NULL || g_utf8_validate(*text, -1, NULL))
		return;
	valid = g_utf8_make_valid(*text, -1);
	g_free(*text);
	*text = valid;
}

static void
pg_purple_protocol_make_all_valid(PgProtocolInfo *info)
{
	pg_purple_protocol_make_valid(&info->name);
	pg_purple_protocol_make_valid(&info->username_label);
	for (guint i = 0; i < info->options->len; i++) {
		PgProtocolOption *option = g_ptr_array_index(info->options, i);
		pg_purple_protocol_make_valid(&option->setting);
		pg_purple_protocol_make_valid(&option->label);
		pg_purple_protocol_make_valid(&option->default_value);
		for (guint j = 0; j < option->choices->len; j++) {
			PgProtocolChoice *choice = g_ptr_array_index(option->choices, j);
			pg_purple_protocol_make_valid(&choice->label);
			pg_purple_protocol_make_valid(&choice->value);
		}
	}
	for (guint i = 0; i < info->splits->len; i++) {
		PgProtocolSplit *split = g_ptr_array_index(info->splits, i);
		pg_purple_protocol_make_valid(&split->label);
		pg_purple_protocol_make_valid(&split->default_value);
	}
	for (guint i = 0; i < info->chat_fields->len; i++) {
		PgProtocolChatField *field = g_ptr_array_index(info->chat_fields, i);
		pg_purple_protocol_make_valid(&field->identifier);
		pg_purple_protocol_make_valid(&field->label);
	}
}

gboolean
pg_purple_protocol_info(const PgIpcMessage *msg, GError **error)
{
	const gchar *id = pg_ipc_message_get_string(msg, "protocol");
	PurplePlugin *plugin = purple_find_prpl(id);
	PurplePluginProtocolInfo *prpl_info;
	g_autoptr(PgProtocolInfo) info = NULL;
	g_autofree gchar *target = NULL;

	if (plugin == NULL || plugin->info == NULL || plugin->path == NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
			    "no loaded libpurple plugin provides %s", id);
		return FALSE;
	}
	prpl_info = PURPLE_PLUGIN_PROTOCOL_INFO(plugin);
	info = pg_protocol_info_new(id);
	info->name = g_strdup(plugin->info->name);
	target = g_file_read_link(plugin->path, NULL);
	info->file = g_strdup(target != NULL ? target : plugin->path);
	if (prpl_info->options & OPT_PROTO_NO_PASSWORD)
		info->password = PG_PROTOCOL_PASSWORD_NONE;
	else if (prpl_info->options & OPT_PROTO_PASSWORD_OPTIONAL)
		info->password = PG_PROTOCOL_PASSWORD_OPTIONAL;
	else
		info->password = PG_PROTOCOL_PASSWORD_REQUIRED;
	info->username_label = pg_purple_protocol_username_label(prpl_info);
	for (GList *l = prpl_info->protocol_options; l != NULL; l = l->next)
		pg_purple_protocol_add_option(info, l->data);
	for (GList *l = prpl_info->user_splits; l != NULL; l = l->next) {
		PurpleAccountUserSplit *split = l->data;
		pg_protocol_info_add_split(info, purple_account_user_split_get_text(split),
					   purple_account_user_split_get_default_value(split),
					   purple_account_user_split_get_separator(split),
					   purple_account_user_split_get_reverse(split));
	}
	pg_purple_protocol_add_chat_fields(info, prpl_info);
	/* XEP-0085 and XEP-0184 on the plugin's contacts (src/session/
	 * pg-contact-caps.c): what it can send, what the worker can carry */
	info->typing = prpl_info->send_typing != NULL;
	info->receipts = pg_purple_receipts_supported(id);
	pg_purple_protocol_make_all_valid(info);
	pg_purple_worker_emit(pg_ipc_protocol_info_to_message(info, msg->id));
	return TRUE;
}
