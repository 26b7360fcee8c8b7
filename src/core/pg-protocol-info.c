/* PgProtocolInfo: plain records and the typing rules of plugin options; see
 * pg-protocol-info.h. */
#include "config.h"

#define G_LOG_DOMAIN "pg-core"

#include <string.h>

#include "core/pg-error.h"
#include "core/pg-protocol-info.h"

static void
pg_protocol_choice_free(PgProtocolChoice *choice)
{
	g_free(choice->label);
	g_free(choice->value);
	g_free(choice);
}

static void
pg_protocol_option_free(PgProtocolOption *option)
{
	g_free(option->setting);
	g_free(option->label);
	g_free(option->default_value);
	g_ptr_array_unref(option->choices);
	g_free(option);
}

static void
pg_protocol_split_free(PgProtocolSplit *split)
{
	g_free(split->label);
	g_free(split->default_value);
	g_free(split->name);
	g_free(split);
}

static void
pg_protocol_chat_field_free(PgProtocolChatField *field)
{
	g_free(field->identifier);
	g_free(field->label);
	g_free(field);
}

PgProtocolInfo *
pg_protocol_info_new(const gchar *id)
{
	PgProtocolInfo *self = g_new0(PgProtocolInfo, 1);

	self->id = g_strdup(id);
	self->options = g_ptr_array_new_with_free_func((GDestroyNotify)pg_protocol_option_free);
	self->splits = g_ptr_array_new_with_free_func((GDestroyNotify)pg_protocol_split_free);
	self->chat_fields =
	    g_ptr_array_new_with_free_func((GDestroyNotify)pg_protocol_chat_field_free);
	return self;
}

void
pg_protocol_info_free(PgProtocolInfo *self)
{
	if (self == NULL)
		return;
	g_free(self->id);
	g_free(self->name);
	g_free(self->file);
	g_free(self->username_label);
	g_ptr_array_unref(self->options);
	g_ptr_array_unref(self->splits);
	g_ptr_array_unref(self->chat_fields);
	g_free(self);
}

PgProtocolOption *
pg_protocol_info_add_option(PgProtocolInfo *self, const gchar *setting, PgProtocolOptionType type,
			    const gchar *label, const gchar *default_value, gboolean masked)
{
	PgProtocolOption *option = g_new0(PgProtocolOption, 1);

	option->setting = g_strdup(setting);
	option->type = type;
	option->label = g_strdup(label);
	option->default_value = g_strdup(default_value != NULL ? default_value : "");
	option->masked = masked;
	option->choices = g_ptr_array_new_with_free_func((GDestroyNotify)pg_protocol_choice_free);
	g_ptr_array_add(self->options, option);
	return option;
}

void
pg_protocol_option_add_choice(PgProtocolOption *option, const gchar *label, const gchar *value)
{
	PgProtocolChoice *choice = g_new0(PgProtocolChoice, 1);

	choice->label = g_strdup(label);
	choice->value = g_strdup(value);
	g_ptr_array_add(option->choices, choice);
}

/* "split." + @label in lower case, every run of other characters one '_':
 * "Domain" -> split.domain.  Labels are the plugin's untranslated text (the
 * worker sets no locale), so the name is the same on every gateway. */
static gchar *
pg_protocol_split_name(const gchar *label)
{
	GString *name = g_string_new("split.");
	gboolean gap = FALSE;

	for (const gchar *p = label != NULL ? label : ""; *p != '\0'; p++) {
		if (g_ascii_isalnum(*p)) {
			if (gap && name->len > strlen("split."))
				g_string_append_c(name, '_');
			g_string_append_c(name, g_ascii_tolower(*p));
			gap = FALSE;
		} else {
			gap = TRUE;
		}
	}
	return g_string_free(name, FALSE);
}

PgProtocolSplit *
pg_protocol_info_add_split(PgProtocolInfo *self, const gchar *label, const gchar *default_value,
			   gchar separator, gboolean reverse)
{
	PgProtocolSplit *split = g_new0(PgProtocolSplit, 1);
	g_autofree gchar *name = pg_protocol_split_name(label);

	split->label = g_strdup(label);
	split->default_value = g_strdup(default_value != NULL ? default_value : "");
	split->separator = separator;
	split->reverse = reverse;
	/* two splits with one name (never seen): the later gets its position */
	if (pg_protocol_info_find_split(self, name) != NULL)
		split->name = g_strdup_printf("%s_%u", name, self->splits->len + 1);
	else
		split->name = g_steal_pointer(&name);
	g_ptr_array_add(self->splits, split);
	return split;
}

const PgProtocolOption *
pg_protocol_info_find_option(const PgProtocolInfo *self, const gchar *setting)
{
	for (guint i = 0; i < self->options->len; i++) {
		const PgProtocolOption *option = g_ptr_array_index(self->options, i);
		if (g_strcmp0(option->setting, setting) == 0)
			return option;
	}
	return NULL;
}

const PgProtocolSplit *
pg_protocol_info_find_split(const PgProtocolInfo *self, const gchar *name)
{
	for (guint i = 0; i < self->splits->len; i++) {
		const PgProtocolSplit *split = g_ptr_array_index(self->splits, i);
		if (g_strcmp0(split->name, name) == 0)
			return split;
	}
	return NULL;
}

static const gchar *const pg_protocol_option_types[] = {
    [PG_PROTOCOL_OPTION_STRING] = "string",
    [PG_PROTOCOL_OPTION_INT] = "int",
    [PG_PROTOCOL_OPTION_BOOL] = "bool",
    [PG_PROTOCOL_OPTION_LIST] = "list",
};

static const gchar *const pg_protocol_passwords[] = {
    [PG_PROTOCOL_PASSWORD_REQUIRED] = "required",
    [PG_PROTOCOL_PASSWORD_OPTIONAL] = "optional",
    [PG_PROTOCOL_PASSWORD_NONE] = "none",
};

const gchar *
pg_protocol_option_type_to_string(PgProtocolOptionType type)
{
	g_return_val_if_fail((guint)type < G_N_ELEMENTS(pg_protocol_option_types), NULL);
	return pg_protocol_option_types[type];
}

gboolean
pg_protocol_option_type_from_string(const gchar *text, PgProtocolOptionType *type)
{
	for (guint i = 0; i < G_N_ELEMENTS(pg_protocol_option_types); i++) {
		if (g_strcmp0(text, pg_protocol_option_types[i]) == 0) {
			*type = (PgProtocolOptionType)i;
			return TRUE;
		}
	}
	return FALSE;
}

const gchar *
pg_protocol_password_to_string(PgProtocolPassword password)
{
	g_return_val_if_fail((guint)password < G_N_ELEMENTS(pg_protocol_passwords), NULL);
	return pg_protocol_passwords[password];
}

gboolean
pg_protocol_password_from_string(const gchar *text, PgProtocolPassword *password)
{
	for (guint i = 0; i < G_N_ELEMENTS(pg_protocol_passwords); i++) {
		if (g_strcmp0(text, pg_protocol_passwords[i]) == 0) {
			*password = (PgProtocolPassword)i;
			return TRUE;
		}
	}
	return FALSE;
}

gboolean
pg_protocol_option_is_secret(const PgProtocolOption *option)
{
	static const gchar *const words[] = {"password", "passwd", "token", "secret"};
	g_autofree gchar *lower = NULL;

	if (option->type != PG_PROTOCOL_OPTION_STRING)
		return FALSE;
	if (option->masked)
		return TRUE;
	lower = g_ascii_strdown(option->setting, -1);
	for (guint i = 0; i < G_N_ELEMENTS(words); i++) {
		if (strstr(lower, words[i]) != NULL)
			return TRUE;
	}
	return FALSE;
}

gchar *
pg_protocol_option_normalize(const PgProtocolOption *option, const gchar *value, GError **error)
{
	gint64 number = 0;

	if (strlen(value) > PG_PROTOCOL_VALUE_MAX) {
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
			    "'%s' is longer than %u bytes", option->label, PG_PROTOCOL_VALUE_MAX);
		return NULL;
	}
	if (!g_utf8_validate(value, -1, NULL)) {
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE, "'%s' is not valid UTF-8",
			    option->label);
		return NULL;
	}
	switch (option->type) {
	case PG_PROTOCOL_OPTION_INT:
		/* the worker sets it with purple_account_set_int(): a gint */
		if (!g_ascii_string_to_signed(value, 10, G_MININT, G_MAXINT, &number, NULL)) {
			g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
				    "'%s' must be a whole number, not '%s'", option->label, value);
			return NULL;
		}
		return g_strdup_printf("%" G_GINT64_FORMAT, number);
	case PG_PROTOCOL_OPTION_BOOL:
		/* XEP-0004 §3.3 boolean: "0", "1", "false", "true" */
		if (g_strcmp0(value, "1") == 0 || g_strcmp0(value, "true") == 0)
			return g_strdup("true");
		if (g_strcmp0(value, "0") == 0 || g_strcmp0(value, "false") == 0)
			return g_strdup("false");
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
			    "'%s' must be true or false (1 or 0), not '%s'", option->label, value);
		return NULL;
	case PG_PROTOCOL_OPTION_LIST:
		for (guint i = 0; i < option->choices->len; i++) {
			const PgProtocolChoice *choice = g_ptr_array_index(option->choices, i);
			if (g_strcmp0(choice->value, value) == 0)
				return g_strdup(value);
		}
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
			    "'%s' is not one of the choices of '%s'", value, option->label);
		return NULL;
	case PG_PROTOCOL_OPTION_STRING:
	default:
		for (const gchar *p = value; *p != '\0'; p = g_utf8_next_char(p)) {
			if (g_unichar_iscntrl(g_utf8_get_char(p))) {
				g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
					    "'%s' contains a control character", option->label);
				return NULL;
			}
		}
		return g_strdup(value);
	}
}

gchar *
pg_protocol_info_join_username(const PgProtocolInfo *self, const gchar *first,
			       const gchar *const *split_values)
{
	GString *username = g_string_new(first != NULL ? first : "");

	for (guint i = 0; i < self->splits->len; i++) {
		const PgProtocolSplit *split = g_ptr_array_index(self->splits, i);
		const gchar *value = split_values != NULL ? split_values[i] : NULL;

		g_string_append_c(username, split->separator);
		g_string_append(username, value != NULL && value[0] != '\0' ? value
									    : split->default_value);
	}
	return g_string_free(username, FALSE);
}

gchar **
pg_protocol_info_split_username(const PgProtocolInfo *self, const gchar *username)
{
	guint n = self->splits->len;
	gchar **parts = g_new0(gchar *, n + 2);
	g_autofree gchar *rest = g_strdup(username != NULL ? username : "");

	for (guint i = n; i > 0; i--) {
		const PgProtocolSplit *split = g_ptr_array_index(self->splits, i - 1);
		gchar *cut = split->reverse ? strrchr(rest, split->separator)
					    : strchr(rest, split->separator);

		if (cut != NULL) {
			parts[i] = g_strdup(cut + 1);
			*cut = '\0';
		} else {
			parts[i] = g_strdup("");
		}
	}
	parts[0] = g_steal_pointer(&rest);
	return parts;
}
