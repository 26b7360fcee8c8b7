/* option.NAME, option_default.NAME, option_hidden.NAME; see
 * pg-config-options.h. */
#include "config.h"

#define G_LOG_DOMAIN "pg-core"

#include <string.h>

#include "core/pg-config-options.h"
#include "core/pg-config-loader.h"
#include "core/pg-error.h"

#define PG_OPTION_FIXED "option."
#define PG_OPTION_DEFAULT "option_default."
#define PG_OPTION_HIDDEN "option_hidden."

static void
pg_option_override_free(PgOptionOverride *override)
{
	g_free(override->name);
	g_free(override->fixed);
	g_free(override->default_value);
	g_free(override);
}

gboolean
pg_config_options_is_key(const gchar *key)
{
	return g_str_has_prefix(key, PG_OPTION_FIXED) || g_str_has_prefix(key, PG_OPTION_DEFAULT) ||
	       g_str_has_prefix(key, PG_OPTION_HIDDEN);
}

const PgOptionOverride *
pg_config_options_find(const GPtrArray *overrides, const gchar *name)
{
	for (guint i = 0; overrides != NULL && i < overrides->len; i++) {
		const PgOptionOverride *override = g_ptr_array_index(overrides, i);
		if (g_strcmp0(override->name, name) == 0)
			return override;
	}
	return NULL;
}

static PgOptionOverride *
pg_config_options_get(GPtrArray *overrides, const gchar *name)
{
	PgOptionOverride *override = (PgOptionOverride *)pg_config_options_find(overrides, name);

	if (override == NULL) {
		override = g_new0(PgOptionOverride, 1);
		override->name = g_strdup(name);
		g_ptr_array_add(overrides, override);
	}
	return override;
}

GPtrArray *
pg_config_options_parse(GKeyFile *keyfile, const gchar *group, GPtrArray *problems)
{
	GPtrArray *overrides =
	    g_ptr_array_new_with_free_func((GDestroyNotify)pg_option_override_free);
	g_auto(GStrv) keys = g_key_file_get_keys(keyfile, group, NULL, NULL);

	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		const gchar *key = keys[i];
		g_autofree gchar *value = NULL;
		const gchar *name;
		PgOptionOverride *override;

		if (!pg_config_options_is_key(key))
			continue;
		name = strchr(key, '.') + 1;
		if (name[0] == '\0') {
			pg_config_key_problem(problems, key, "names no option");
			continue;
		}
		value = g_key_file_get_string(keyfile, group, key, NULL);
		if (value == NULL)
			continue;
		g_strstrip(value);
		override = pg_config_options_get(overrides, name);
		if (g_str_has_prefix(key, PG_OPTION_HIDDEN)) {
			if (g_strcmp0(value, "true") != 0 && g_strcmp0(value, "false") != 0) {
				pg_config_key_problem(problems, key,
							  "must be true or false, not '%s'", value);
				continue;
			}
			override->hidden = g_strcmp0(value, "true") == 0;
		} else if (g_str_has_prefix(key, PG_OPTION_DEFAULT)) {
			override->default_value = g_steal_pointer(&value);
		} else {
			override->fixed = g_steal_pointer(&value);
		}
	}
	for (guint i = 0; i < overrides->len; i++) {
		const PgOptionOverride *override = g_ptr_array_index(overrides, i);
		g_autofree gchar *key = g_strconcat(PG_OPTION_DEFAULT, override->name, NULL);
		if (override->fixed != NULL && override->default_value != NULL)
			pg_config_key_problem(problems, key,
						  "pointless: option.%s fixes the value",
						  override->name);
	}
	return overrides;
}

static void
pg_config_options_check_value(const PgProtocolInfo *info, const PgOptionOverride *override,
			      const gchar *prefix, const gchar *value, GPtrArray *problems)
{
	g_autofree gchar *key = g_strconcat(prefix, override->name, NULL);
	const PgProtocolOption *option = pg_protocol_info_find_option(info, override->name);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *normalized = NULL;

	if (value == NULL)
		return;
	if (option == NULL) {
		/* a split: any text its form field would take */
		for (const gchar *p = value; *p != '\0'; p++) {
			if ((guchar)*p < 0x20) {
				pg_config_key_problem(problems, key,
							  "contains a control character");
				return;
			}
		}
		return;
	}
	normalized = pg_protocol_option_normalize(option, value, &error);
	if (normalized == NULL)
		pg_config_key_problem(problems, key, "%s", error->message);
}

void
pg_config_options_check(const GPtrArray *overrides, const PgProtocolInfo *info,
			GPtrArray *problems)
{
	for (guint i = 0; overrides != NULL && i < overrides->len; i++) {
		const PgOptionOverride *override = g_ptr_array_index(overrides, i);
		const gchar *prefix = override->fixed != NULL		? PG_OPTION_FIXED
				      : override->default_value != NULL ? PG_OPTION_DEFAULT
									: PG_OPTION_HIDDEN;

		if (pg_protocol_info_find_option(info, override->name) == NULL &&
		    pg_protocol_info_find_split(info, override->name) == NULL) {
			g_autoptr(GString) known = g_string_new(NULL);
			g_autofree gchar *key = g_strconcat(prefix, override->name, NULL);
			for (guint j = 0; j < info->options->len; j++) {
				const PgProtocolOption *option = g_ptr_array_index(info->options, j);
				g_string_append_printf(known, "%s%s", known->len > 0 ? ", " : "",
						       option->setting);
			}
			for (guint j = 0; j < info->splits->len; j++) {
				const PgProtocolSplit *split = g_ptr_array_index(info->splits, j);
				g_string_append_printf(known, "%s%s", known->len > 0 ? ", " : "",
						       split->name);
			}
			pg_config_key_problem(problems, key, "%s has no option '%s' (it has: %s)", info->id,
						  override->name, known->len > 0 ? known->str : "none");
			continue;
		}
		pg_config_options_check_value(info, override, PG_OPTION_FIXED, override->fixed,
					      problems);
		pg_config_options_check_value(info, override, PG_OPTION_DEFAULT,
					      override->default_value, problems);
	}
}
