/* protocol-info <-> PgProtocolInfo; see pg-ipc-protocol-info.h. */
#include "config.h"

#define G_LOG_DOMAIN "pg-ipc"

#include <string.h>

#include "core/pg-error.h"
#include "ipc/pg-ipc-protocol-info.h"

PgIpcMessage *
pg_ipc_protocol_info_to_message(const PgProtocolInfo *info, guint32 id)
{
	GVariantBuilder options;
	GVariantBuilder splits;
	GVariantBuilder chat_fields;

	g_variant_builder_init(&options, G_VARIANT_TYPE("a(ssssba(ss))"));
	for (guint i = 0; i < info->options->len; i++) {
		const PgProtocolOption *option = g_ptr_array_index(info->options, i);
		GVariantBuilder choices;

		g_variant_builder_init(&choices, G_VARIANT_TYPE("a(ss)"));
		for (guint j = 0; j < option->choices->len; j++) {
			const PgProtocolChoice *choice = g_ptr_array_index(option->choices, j);
			g_variant_builder_add(&choices, "(ss)", choice->label, choice->value);
		}
		g_variant_builder_add(&options, "(ssssba(ss))", option->setting,
				      pg_protocol_option_type_to_string(option->type),
				      option->label, option->default_value, option->masked,
				      &choices);
	}
	g_variant_builder_init(&splits, G_VARIANT_TYPE("a(sssb)"));
	for (guint i = 0; i < info->splits->len; i++) {
		const PgProtocolSplit *split = g_ptr_array_index(info->splits, i);
		gchar separator[2] = {split->separator, '\0'};
		g_variant_builder_add(&splits, "(sssb)", split->label, split->default_value,
				      separator, split->reverse);
	}
	g_variant_builder_init(&chat_fields, G_VARIANT_TYPE("a(ssbbiib)"));
	for (guint i = 0; i < info->chat_fields->len; i++) {
		const PgProtocolChatField *field = g_ptr_array_index(info->chat_fields, i);
		g_variant_builder_add(&chat_fields, "(ssbbiib)", field->identifier, field->label,
				      field->required, field->is_int, field->min, field->max,
				      field->secret);
	}
	return pg_ipc_message_new(
	    PG_IPC_EVT_PROTOCOL_INFO, id, "protocol", g_variant_new_string(info->id), "name",
	    g_variant_new_string(info->name != NULL ? info->name : info->id), "file",
	    g_variant_new_string(info->file != NULL ? info->file : ""), "password",
	    g_variant_new_string(pg_protocol_password_to_string(info->password)),
	    "username_label",
	    info->username_label != NULL ? g_variant_new_string(info->username_label) : NULL,
	    "options", g_variant_builder_end(&options), "splits", g_variant_builder_end(&splits),
	    "chat_fields", g_variant_builder_end(&chat_fields), "typing",
	    g_variant_new_boolean(info->typing), "receipts", g_variant_new_boolean(info->receipts),
	    NULL);
}

static gboolean
pg_ipc_protocol_info_check_text(const gchar *what, const gchar *text, GError **error)
{
	if (strlen(text) > PG_IPC_PROTOCOL_INFO_MAX_TEXT) {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
			    "protocol-info: %s is longer than %u bytes", what,
			    PG_IPC_PROTOCOL_INFO_MAX_TEXT);
		return FALSE;
	}
	return TRUE;
}

static gboolean
pg_ipc_protocol_info_check_count(const gchar *what, GVariant *array, GError **error)
{
	if (g_variant_n_children(array) > PG_IPC_PROTOCOL_INFO_MAX_ENTRIES) {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
			    "protocol-info: more than %u %s", PG_IPC_PROTOCOL_INFO_MAX_ENTRIES,
			    what);
		return FALSE;
	}
	return TRUE;
}

static gboolean
pg_ipc_protocol_info_read_options(PgProtocolInfo *info, GVariant *options, GError **error)
{
	GVariantIter iter;
	const gchar *setting;
	const gchar *type_text;
	const gchar *label;
	const gchar *default_value;
	gboolean masked;
	GVariantIter *choices;

	if (!pg_ipc_protocol_info_check_count("options", options, error))
		return FALSE;
	g_variant_iter_init(&iter, options);
	while (g_variant_iter_next(&iter, "(&s&s&s&sba(ss))", &setting, &type_text, &label,
				   &default_value, &masked, &choices)) {
		g_autoptr(GVariantIter) owned = choices;
		PgProtocolOptionType type;
		PgProtocolOption *option;
		const gchar *choice_label;
		const gchar *choice_value;

		if (setting[0] == '\0' || !pg_protocol_option_type_from_string(type_text, &type) ||
		    pg_protocol_info_find_option(info, setting) != NULL) {
			g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "protocol-info: option '%s' is empty, twice or of unknown type "
				    "'%s'",
				    setting, type_text);
			return FALSE;
		}
		if (!pg_ipc_protocol_info_check_text("an option", setting, error) ||
		    !pg_ipc_protocol_info_check_text("an option's label", label, error) ||
		    !pg_ipc_protocol_info_check_text("an option's default", default_value, error))
			return FALSE;
		if (g_variant_iter_n_children(owned) > PG_IPC_PROTOCOL_INFO_MAX_ENTRIES ||
		    (type == PG_PROTOCOL_OPTION_LIST) != (g_variant_iter_n_children(owned) > 0)) {
			g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "protocol-info: option '%s' has choices that do not fit its type",
				    setting);
			return FALSE;
		}
		option = pg_protocol_info_add_option(info, setting, type, label, default_value,
						     masked);
		while (g_variant_iter_next(owned, "(&s&s)", &choice_label, &choice_value)) {
			if (!pg_ipc_protocol_info_check_text("a choice", choice_label, error) ||
			    !pg_ipc_protocol_info_check_text("a choice", choice_value, error))
				return FALSE;
			pg_protocol_option_add_choice(option, choice_label, choice_value);
		}
	}
	return TRUE;
}

static gboolean
pg_ipc_protocol_info_read_splits(PgProtocolInfo *info, GVariant *splits, GError **error)
{
	GVariantIter iter;
	const gchar *label;
	const gchar *default_value;
	const gchar *separator;
	gboolean reverse;

	if (!pg_ipc_protocol_info_check_count("splits", splits, error))
		return FALSE;
	g_variant_iter_init(&iter, splits);
	while (g_variant_iter_next(&iter, "(&s&s&sb)", &label, &default_value, &separator,
				   &reverse)) {
		/* a separator is one byte in libpurple (a char), and must be
		 * ASCII to join and cut UTF-8 names safely */
		if (strlen(separator) != 1 || (guchar)separator[0] >= 0x80 ||
		    (guchar)separator[0] < 0x20) {
			g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "protocol-info: split '%s' has no one-character separator",
				    label);
			return FALSE;
		}
		if (!pg_ipc_protocol_info_check_text("a split's label", label, error) ||
		    !pg_ipc_protocol_info_check_text("a split's default", default_value, error))
			return FALSE;
		pg_protocol_info_add_split(info, label, default_value, separator[0], reverse);
	}
	return TRUE;
}

static gboolean
pg_ipc_protocol_info_read_chat_fields(PgProtocolInfo *info, GVariant *fields, GError **error)
{
	GVariantIter iter;
	const gchar *identifier;
	const gchar *label;
	gboolean required;
	gboolean is_int;
	gint32 min;
	gint32 max;
	gboolean secret;

	if (!pg_ipc_protocol_info_check_count("chat fields", fields, error))
		return FALSE;
	g_variant_iter_init(&iter, fields);
	while (g_variant_iter_next(&iter, "(&s&sbbiib)", &identifier, &label, &required, &is_int,
				   &min, &max, &secret)) {
		PgProtocolChatField *field;

		if (!pg_ipc_protocol_info_check_text("a chat field", identifier, error) ||
		    !pg_ipc_protocol_info_check_text("a chat field's label", label, error))
			return FALSE;
		field = g_new0(PgProtocolChatField, 1);
		field->identifier = g_strdup(identifier);
		field->label = g_strdup(label);
		field->required = required;
		field->is_int = is_int;
		field->min = min;
		field->max = max;
		field->secret = secret;
		g_ptr_array_add(info->chat_fields, field);
	}
	return TRUE;
}

PgProtocolInfo *
pg_ipc_protocol_info_from_message(const PgIpcMessage *msg, GError **error)
{
	g_autoptr(PgProtocolInfo) info = NULL;
	g_autoptr(GVariant) options = pg_ipc_message_get_value(msg, "options");
	g_autoptr(GVariant) splits = pg_ipc_message_get_value(msg, "splits");
	g_autoptr(GVariant) chat_fields = pg_ipc_message_get_value(msg, "chat_fields");
	const gchar *password = pg_ipc_message_get_string(msg, "password");
	const gchar *file = pg_ipc_message_get_string(msg, "file");
	const gchar *username_label = pg_ipc_message_get_string(msg, "username_label");

	g_return_val_if_fail(msg->kind == PG_IPC_EVT_PROTOCOL_INFO, NULL);
	info = pg_protocol_info_new(pg_ipc_message_get_string(msg, "protocol"));
	info->name = g_strdup(pg_ipc_message_get_string(msg, "name"));
	if (!pg_protocol_password_from_string(password, &info->password)) {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
			    "protocol-info: password must be required, optional or none");
		return NULL;
	}
	/* the daemon hands it to the next worker as --plugin=FILE */
	if (!g_path_is_absolute(file)) {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
			    "protocol-info: the plugin file '%s' is not an absolute path", file);
		return NULL;
	}
	info->file = g_strdup(file);
	info->typing = pg_ipc_message_get_boolean(msg, "typing", FALSE);
	info->receipts = pg_ipc_message_get_boolean(msg, "receipts", FALSE);
	if (username_label != NULL && username_label[0] != '\0')
		info->username_label = g_strdup(username_label);
	if (!pg_ipc_protocol_info_check_text("the name", info->name, error) ||
	    !pg_ipc_protocol_info_check_text("the file", info->file, error) ||
	    !pg_ipc_protocol_info_read_options(info, options, error) ||
	    !pg_ipc_protocol_info_read_splits(info, splits, error) ||
	    !pg_ipc_protocol_info_read_chat_fields(info, chat_fields, error))
		return NULL;
	return g_steal_pointer(&info);
}
