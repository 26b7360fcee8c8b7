/* Bridges made by command (pg-config-bridge-form.h): a form's fields as a
 * [bridge NAME] group, read by pg-config-bridge.c as the file's groups are.
 *
 * A form is not a file: problems name the field only (the loader's form
 * mode, pg-config-loader.h), and a form may not name a file on the
 * gateway's disk (sasl_password_file), whose owner is the host's, not an
 * XMPP admin's.  A made bridge's SASL password is the form's text-private
 * field, which the caller takes out and seals (bridge/pg-bridges.c): it is
 * never part of the group's text. */
#include "config.h"

#include <string.h>

#include "core/pg-config-bridge-form.h"
#include "core/pg-config-bridge-private.h"
#include "core/pg-error.h"

/* What GKeyFile takes as a group name (no brackets, no control
 * characters) and a key name: anything else is refused before it is one. */
static gboolean
pg_config_bridge_form_is_group_text(const gchar *text)
{
	for (const gchar *p = text; *p != '\0'; p++) {
		if (*p == '[' || *p == ']' || g_ascii_iscntrl(*p))
			return FALSE;
	}
	return text[0] != '\0';
}

static gboolean
pg_config_bridge_form_is_key(const gchar *text)
{
	for (const gchar *p = text; *p != '\0'; p++) {
		if (!g_ascii_islower(*p) && *p != '_')
			return FALSE;
	}
	return text[0] != '\0';
}

gchar *
pg_config_bridge_form_to_data(GHashTable *values, const gchar *transport, GError **error)
{
	g_autoptr(GKeyFile) keyfile = g_key_file_new();
	g_autofree gchar *group = NULL;
	const gchar *name = g_hash_table_lookup(values, PG_CONFIG_BRIDGE_FORM_NAME);
	g_autoptr(GList) keys = g_hash_table_get_keys(values);

	if (name == NULL || !pg_config_bridge_form_is_group_text(name)) {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
			    PG_CONFIG_BRIDGE_FORM_NAME
			    ": a bridge needs a name of letters, digits, '-' or '_'");
		return NULL;
	}
	group = g_strconcat(PG_CONFIG_BRIDGE_PREFIX, name, NULL);
	keys = g_list_sort(keys, (GCompareFunc)g_strcmp0);
	for (GList *l = keys; l != NULL; l = l->next) {
		const gchar *key = l->data;
		const gchar *value = g_hash_table_lookup(values, key);

		if (g_strcmp0(key, "FORM_TYPE") == 0 ||
		    g_strcmp0(key, PG_CONFIG_BRIDGE_FORM_NAME) == 0 || value == NULL ||
		    value[0] == '\0')
			continue;
		if (!pg_config_bridge_form_is_key(key)) {
			g_set_error_literal(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
					    "a field of the form is not a key of [bridge NAME]");
			return NULL;
		}
		if (g_strcmp0(key, "transport") == 0) {
			g_set_error_literal(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
					    "transport: the bridge goes through the transport the "
					    "command is sent to");
			return NULL;
		}
		if (g_str_has_prefix(key, "sasl_password")) {
			g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "%s: not a key of a bridge made by command (its SASL "
				    "password is the form's " PG_CONFIG_BRIDGE_FORM_SASL_PASSWORD
				    " field)",
				    key);
			return NULL;
		}
		g_key_file_set_string(keyfile, group, key, value);
	}
	/* the bridge goes through the transport the admin asked */
	g_key_file_set_string(keyfile, group, "transport", transport);
	return g_key_file_to_data(keyfile, NULL, NULL);
}

PgBridgeConfig *
pg_config_bridge_form_parse(const PgConfig *config, const gchar *data, GPtrArray *others,
			    GError **error)
{
	g_autoptr(GKeyFile) keyfile = g_key_file_new();
	g_autoptr(GString) problems = g_string_new(NULL);
	g_autoptr(GError) parse_error = NULL;
	g_autoptr(PgBridgeConfig) bridge = NULL;
	g_autoptr(GPtrArray) all = g_ptr_array_new();
	g_auto(GStrv) groups = NULL;
	PgConfigLoader loader = {.keyfile = keyfile, .problems = problems, .form = TRUE};
	const gchar *name;

	if (!g_key_file_load_from_data(keyfile, data, (gsize)-1, G_KEY_FILE_NONE, &parse_error)) {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST, "%s", parse_error->message);
		return NULL;
	}
	groups = g_key_file_get_groups(keyfile, NULL);
	if (g_strv_length(groups) != 1 || !g_str_has_prefix(groups[0], PG_CONFIG_BRIDGE_PREFIX)) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "not one [bridge NAME] group");
		return NULL;
	}
	name = groups[0] + strlen(PG_CONFIG_BRIDGE_PREFIX);
	for (guint i = 0; i < config->bridges->len; i++) {
		const PgBridgeConfig *other = g_ptr_array_index(config->bridges, i);
		if (g_strcmp0(other->name, name) == 0) {
			g_set_error(error, PG_ERROR, PG_ERROR_CONFLICT,
				    PG_CONFIG_BRIDGE_FORM_NAME ": the config file has a [bridge %s], "
				    "which wins over a bridge made by command",
				    name);
			return NULL;
		}
	}
	for (guint i = 0; others != NULL && i < others->len; i++) {
		const PgBridgeConfig *other = g_ptr_array_index(others, i);
		if (g_strcmp0(other->name, name) == 0) {
			g_set_error(error, PG_ERROR, PG_ERROR_CONFLICT,
				    PG_CONFIG_BRIDGE_FORM_NAME
				    ": a bridge named %s was made by command already",
				    name);
			return NULL;
		}
	}
	bridge = pg_config_bridge_load(&loader, groups[0]);
	/* its room against every other bridge's: the new one comes last */
	g_ptr_array_extend(all, config->bridges, NULL, NULL);
	if (others != NULL)
		g_ptr_array_extend(all, others, NULL, NULL);
	g_ptr_array_add(all, bridge);
	pg_config_check_bridges(&loader, config, all);
	if (problems->len > 0) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_BAD_REQUEST, problems->str);
		return NULL;
	}
	return g_steal_pointer(&bridge);
}
