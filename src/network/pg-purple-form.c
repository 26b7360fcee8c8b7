/* The registration form of a purple transport; see pg-purple-form.h.
 *
 * DESIGN: the form offers what the plugin declares, minus what the
 * operator fixed or hid; submitting checks exactly the offered fields and
 * nothing else, so a fixed option (say connect_server) can never be set
 * by a user who types its var into a hand-made form.  Every check here is
 * a PgProtocolOption rule (core/pg-protocol-info.c), the same one
 * --check-config applies to the operator's values.  Errors are
 * not-acceptable (XEP-0077 §3.2: a value the service cannot accept; RFC
 * 6120 §8.3.3.12), with a text naming the field by its label.
 */
#define G_LOG_DOMAIN "pg-network"

#include "config.h"

#include <string.h>

#include "core/pg-config-options.h"
#include "core/pg-error.h"
#include "core/pg-secret.h"
#include "ipc/pg-ipc-message.h"
#include "network/pg-purple-form.h"
#include "stanza/pg-stanza.h"

/* Labels may hold newlines and runs of spaces (pidgin-sipe's do); a form
 * label is one line.  Returns: (transfer full) */
static gchar *
pg_purple_form_label(const gchar *text)
{
	g_auto(GStrv) words = g_strsplit_set(text != NULL ? text : "", " \t\r\n", -1);
	GString *label = g_string_new(NULL);

	for (guint i = 0; words[i] != NULL; i++) {
		if (words[i][0] == '\0')
			continue;
		if (label->len > 0)
			g_string_append_c(label, ' ');
		g_string_append(label, words[i]);
	}
	return g_string_free(label, FALSE);
}

/* Whether the user fills in @name (an option's setting or a split's
 * name): not if the operator fixed or hid it, or if it names a program. */
/* Options that name a program the plugin runs: a user who sets them runs
 * that program in their worker (under its sandbox, but still).  They are
 * left out of the form, and a stored value out of the login, unless the
 * operator decides otherwise (option.NAME, or option_hidden.NAME = false).
 * Found by reading the plugins Debian ships: prpl-zephyr runs tzc_command
 * (with use_tzc), pidgin-sipe runs rdp_client for desktop sharing. */
static const struct {
	const gchar *protocol;
	const gchar *setting;
} pg_purple_form_programs[] = {
    {"prpl-zephyr", "tzc_command"},
    {"prpl-zephyr", "use_tzc"},
    {"prpl-sipe", "rdp_client"},
};

static gboolean
pg_purple_form_offers(const PgTransportConfig *transport, const gchar *name)
{
	const PgOptionOverride *override =
	    pg_config_options_find(transport->option_overrides, name);
	const gchar *protocol = pg_transport_config_get_purple_protocol(transport);

	if (override != NULL)
		return override->fixed == NULL && !override->hidden;
	for (guint i = 0; i < G_N_ELEMENTS(pg_purple_form_programs); i++) {
		if (g_strcmp0(pg_purple_form_programs[i].protocol, protocol) == 0 &&
		    g_strcmp0(pg_purple_form_programs[i].setting, name) == 0)
			return FALSE;
	}
	return TRUE;
}

static const gchar *
pg_purple_form_operator_default(const PgTransportConfig *transport, const gchar *name)
{
	const PgOptionOverride *override =
	    pg_config_options_find(transport->option_overrides, name);

	return override != NULL ? override->default_value : NULL;
}

gchar *
pg_purple_form_instructions(const PgProtocolInfo *info)
{
	return g_strdup_printf("Enter your %s account: its name%s and, if you like, its "
			       "options. Passwords and tokens are stored encrypted.",
			       info->name != NULL ? info->name : info->id,
			       info->password == PG_PROTOCOL_PASSWORD_NONE ? "" : ", password");
}

static void
pg_purple_form_add_option_field(PgForm *form, const PgProtocolOption *option,
				const gchar *value)
{
	g_autofree gchar *var = g_strconcat(PG_PURPLE_FORM_OPTION_PREFIX, option->setting, NULL);
	g_autofree gchar *label = pg_purple_form_label(option->label);

	switch (option->type) {
	case PG_PROTOCOL_OPTION_BOOL:
		/* XEP-0004 §3.3 boolean: "1" / "0" */
		pg_form_add_field(form, var, "boolean", label, FALSE,
				  g_strcmp0(value, "true") == 0 ? "1" : "0");
		break;
	case PG_PROTOCOL_OPTION_INT:
		/* XEP-0122 §3.2: the worker sets a gint */
		pg_form_add_field(form, var, "text-single", label, FALSE, value);
		pg_form_set_datatype(form, "xs:integer", G_MININT, G_MAXINT);
		break;
	case PG_PROTOCOL_OPTION_LIST:
		pg_form_add_field(form, var, "list-single", label, FALSE, value);
		for (guint i = 0; i < option->choices->len; i++) {
			const PgProtocolChoice *choice = g_ptr_array_index(option->choices, i);
			g_autofree gchar *choice_label = pg_purple_form_label(choice->label);
			pg_form_add_option(form, choice_label, choice->value);
		}
		break;
	case PG_PROTOCOL_OPTION_STRING:
	default:
		if (pg_protocol_option_is_secret(option))
			pg_form_add_field(form, var, "text-private", label, FALSE, NULL);
		else
			pg_form_add_field(form, var, "text-single", label, FALSE,
					  value != NULL && value[0] != '\0' ? value : NULL);
		break;
	}
}

void
pg_purple_form_add_fields(PgForm *form, const PgProtocolInfo *info,
			  const PgTransportConfig *transport, const PgAccount *account,
			  gchar **username_out)
{
	g_auto(GStrv) parts = NULL;
	g_autofree gchar *username_label = NULL;

	*username_out = NULL;
	if (account != NULL && account->legacy_id != NULL) {
		parts = pg_protocol_info_split_username(info, account->legacy_id);
		*username_out = g_strdup(account->legacy_id);
	}
	username_label =
	    pg_purple_form_label(info->username_label != NULL ? info->username_label : "Username");
	pg_form_add_field(form, "username", "text-single", username_label, TRUE,
			  parts != NULL ? parts[0] : NULL);
	for (guint i = 0; i < info->splits->len; i++) {
		const PgProtocolSplit *split = g_ptr_array_index(info->splits, i);
		const gchar *value = pg_purple_form_operator_default(transport, split->name);
		g_autofree gchar *label = pg_purple_form_label(split->label);

		if (!pg_purple_form_offers(transport, split->name))
			continue;
		if (parts != NULL)
			value = parts[i + 1];
		else if (value == NULL)
			value = split->default_value;
		pg_form_add_field(form, split->name, "text-single", label, FALSE,
				  value != NULL && value[0] != '\0' ? value : NULL);
	}
	if (info->password != PG_PROTOCOL_PASSWORD_NONE)
		pg_form_add_field(form, "password", "text-private", "Password",
				  info->password == PG_PROTOCOL_PASSWORD_REQUIRED, NULL);
	for (guint i = 0; i < info->options->len; i++) {
		const PgProtocolOption *option = g_ptr_array_index(info->options, i);
		g_autofree gchar *key =
		    g_strconcat(PG_PURPLE_FORM_OPTION_PREFIX, option->setting, NULL);
		const gchar *value = account != NULL ? pg_account_get_setting(account, key) : NULL;

		if (!pg_purple_form_offers(transport, option->setting))
			continue;
		if (value == NULL)
			value = pg_purple_form_operator_default(transport, option->setting);
		if (value == NULL)
			value = option->default_value;
		pg_purple_form_add_option_field(form, option, value);
	}
}

PgForm *
pg_purple_form_new(const PgProtocolInfo *info, const PgTransportConfig *transport,
		   const PgAccount *account)
{
	g_autofree gchar *instructions = pg_purple_form_instructions(info);
	g_autofree gchar *username = NULL;
	PgForm *form = pg_form_new("form", PG_NS_REGISTER, transport->display_name, instructions);

	pg_purple_form_add_fields(form, info, transport, account, &username);
	return form;
}

/* A submitted text value: not empty, valid, one line.  Returns: the value,
 * or NULL for "not given". */
static const gchar *
pg_purple_form_text(GHashTable *values, const gchar *var)
{
	const gchar *value = g_hash_table_lookup(values, var);

	return value != NULL && value[0] != '\0' ? value : NULL;
}

static gboolean
pg_purple_form_check_line(const gchar *label, const gchar *value, GError **error)
{
	if (strlen(value) > PG_PROTOCOL_VALUE_MAX || !g_utf8_validate(value, -1, NULL)) {
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
			    "'%s' is not valid UTF-8 of at most %u bytes", label,
			    PG_PROTOCOL_VALUE_MAX);
		return FALSE;
	}
	for (const gchar *p = value; *p != '\0'; p = g_utf8_next_char(p)) {
		if (g_unichar_iscntrl(g_utf8_get_char(p))) {
			g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
				    "'%s' contains a control character", label);
			return FALSE;
		}
	}
	return TRUE;
}

/* The account name from "username" and the splits.  Each split takes its
 * submitted value, else the operator's fixed or default value, else the
 * plugin's default.  A registration without split fields (legacy XEP-0077
 * clients, or a user who typed "alice@example.net" whole) names the whole
 * account in "username": it is cut as Pidgin cuts a stored name. */
static gchar *
pg_purple_form_username(const PgProtocolInfo *info, const PgTransportConfig *transport,
			GHashTable *values, GError **error)
{
	const gchar *first = pg_purple_form_text(values, "username");
	g_autoptr(GPtrArray) split_values = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) whole = NULL;
	gboolean any_split = FALSE;

	if (first == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
				    "the field 'username' is required");
		return NULL;
	}
	if (!pg_purple_form_check_line("username", first, error))
		return NULL;
	for (guint i = 0; i < info->splits->len; i++) {
		const PgProtocolSplit *split = g_ptr_array_index(info->splits, i);
		if (pg_purple_form_offers(transport, split->name) &&
		    pg_purple_form_text(values, split->name) != NULL)
			any_split = TRUE;
	}
	if (!any_split && info->splits->len > 0)
		whole = pg_protocol_info_split_username(info, first);
	for (guint i = 0; i < info->splits->len; i++) {
		const PgProtocolSplit *split = g_ptr_array_index(info->splits, i);
		const PgOptionOverride *override =
		    pg_config_options_find(transport->option_overrides, split->name);
		const gchar *value = NULL;

		if (override != NULL && override->fixed != NULL)
			value = override->fixed;
		else if (pg_purple_form_offers(transport, split->name))
			value = whole != NULL ? whole[i + 1] : pg_purple_form_text(values, split->name);
		if ((value == NULL || value[0] == '\0') && override != NULL)
			value = override->default_value;
		if (value != NULL && !pg_purple_form_check_line(split->label, value, error))
			return NULL;
		g_ptr_array_add(split_values, g_strdup(value));
	}
	g_ptr_array_add(split_values, NULL);
	if (whole != NULL && whole[0][0] == '\0') {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
				    "the field 'username' is required");
		return NULL;
	}
	return pg_protocol_info_join_username(info, whole != NULL ? whole[0] : first,
					      (const gchar *const *)split_values->pdata);
}

PgAccount *
pg_purple_form_build_account(const PgProtocolInfo *info, const PgTransportConfig *transport,
			     const gchar *transport_jid, const gchar *user_jid,
			     GHashTable *values, GError **error)
{
	g_autoptr(PgAccount) account = pg_account_new(transport_jid, user_jid, NULL);
	const gchar *password = pg_purple_form_text(values, "password");

	account->legacy_id = pg_purple_form_username(info, transport, values, error);
	if (account->legacy_id == NULL)
		return NULL;
	if (info->password == PG_PROTOCOL_PASSWORD_REQUIRED && password == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
				    "the field 'password' is required");
		return NULL;
	}
	if (info->password != PG_PROTOCOL_PASSWORD_NONE && password != NULL) {
		if (strlen(password) > PG_PROTOCOL_VALUE_MAX ||
		    !g_utf8_validate(password, -1, NULL)) {
			g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
				    "the password must be valid UTF-8 of at most %u bytes",
				    PG_PROTOCOL_VALUE_MAX);
			return NULL;
		}
		pg_account_set_secret(account, "password", pg_secret_new_from_string(password));
	}
	for (guint i = 0; i < info->options->len; i++) {
		const PgProtocolOption *option = g_ptr_array_index(info->options, i);
		g_autofree gchar *var =
		    g_strconcat(PG_PURPLE_FORM_OPTION_PREFIX, option->setting, NULL);
		const gchar *value = pg_purple_form_text(values, var);
		g_autofree gchar *normalized = NULL;

		if (value == NULL || !pg_purple_form_offers(transport, option->setting))
			continue;
		normalized = pg_protocol_option_normalize(option, value, error);
		if (normalized == NULL)
			return NULL;
		if (pg_protocol_option_is_secret(option)) {
			pg_account_set_secret(account, var, pg_secret_new_from_string(normalized));
			pg_secret_wipe_string(g_steal_pointer(&normalized));
		} else {
			pg_account_set_setting(account, var, normalized);
		}
	}
	return g_steal_pointer(&account);
}

void
pg_purple_form_add_login_options(const PgProtocolInfo *info, const PgTransportConfig *transport,
				 const PgAccount *account, GVariantBuilder *options)
{
	/* setting -> value (borrowed): one entry per setting, the last word wins */
	g_autoptr(GHashTable) chosen = g_hash_table_new(g_str_hash, g_str_equal);
	/* setting -> PgSecret (borrowed): the chosen values that are credentials */
	g_autoptr(GHashTable) secrets = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTableIter iter;
	gpointer key;
	gpointer value;

	g_hash_table_iter_init(&iter, account->settings);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		const gchar *setting = key;

		if (!g_str_has_prefix(setting, PG_PURPLE_FORM_OPTION_PREFIX))
			continue;
		setting += strlen(PG_PURPLE_FORM_OPTION_PREFIX);
		/* an option the plugin dropped, or the operator fixed or hid
		 * since the user registered: not the user's to set any more */
		if (info != NULL && pg_protocol_info_find_option(info, setting) == NULL)
			continue;
		if (!pg_purple_form_offers(transport, setting))
			continue;
		g_hash_table_insert(chosen, (gpointer)setting, value);
	}
	g_hash_table_iter_init(&iter, account->secrets);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		const gchar *setting = key;

		if (!g_str_has_prefix(setting, PG_PURPLE_FORM_OPTION_PREFIX))
			continue;
		setting += strlen(PG_PURPLE_FORM_OPTION_PREFIX);
		if ((info != NULL && pg_protocol_info_find_option(info, setting) == NULL) ||
		    !pg_purple_form_offers(transport, setting))
			continue;
		g_hash_table_insert(chosen, (gpointer)setting, (gpointer)pg_secret_get_string(value));
		g_hash_table_insert(secrets, (gpointer)setting, value);
	}
	for (guint i = 0; transport->option_overrides != NULL && i < transport->option_overrides->len;
	     i++) {
		const PgOptionOverride *override = g_ptr_array_index(transport->option_overrides, i);

		/* splits are in the account name, not options */
		if (g_str_has_prefix(override->name, "split."))
			continue;
		if (override->fixed != NULL) {
			g_hash_table_insert(chosen, override->name, override->fixed);
			g_hash_table_remove(secrets, override->name);
		} else if (override->default_value != NULL &&
			   !g_hash_table_contains(chosen, override->name)) {
			g_hash_table_insert(chosen, override->name, override->default_value);
		}
	}
	g_hash_table_iter_init(&iter, chosen);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		const PgSecret *secret = g_hash_table_lookup(secrets, key);

		/* a credential goes in a buffer wiped when the login is freed,
		 * as the password does (pg_ipc_variant_new_secret()) */
		if (secret != NULL)
			g_variant_builder_add_value(
			    options, g_variant_new_dict_entry(g_variant_new_string(key),
							      pg_ipc_variant_new_secret(secret)));
		else
			g_variant_builder_add(options, "{ss}", (const gchar *)key,
					      (const gchar *)value);
	}
}
