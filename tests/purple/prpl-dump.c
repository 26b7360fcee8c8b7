/* prpl-dump: what each installed libpurple protocol plugin declares, as
 * JSON on stdout, for tests/integration/test_purple_forms.py.
 *
 * It is the test's oracle, so it shares no code with the worker: libpurple
 * loads every plugin of its own search paths, the way Pidgin starts, and
 * this prints, per protocol plugin, its id, name, file, account options
 * (setting, type, label, default, masked, list choices), user splits and
 * password flags and whether it sends typing, straight from the libpurple API.
 *
 * Usage: prpl-dump USER_DIR   (an empty dir libpurple may write to)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib.h>

#include <accountopt.h>
#include <core.h>
#include <debug.h>
#include <eventloop.h>
#include <plugin.h>
#include <prpl.h>
#include <util.h>

static void
prpl_dump_string(GString *out, const gchar *text)
{
	g_string_append_c(out, '"');
	for (const gchar *p = text != NULL ? text : ""; *p != '\0'; p++) {
		guchar c = (guchar)*p;
		if (c == '"' || c == '\\')
			g_string_append_printf(out, "\\%c", c);
		else if (c < 0x20)
			g_string_append_printf(out, "\\u%04x", c);
		else
			g_string_append_c(out, (gchar)c);
	}
	g_string_append_c(out, '"');
}

static void
prpl_dump_option(GString *out, PurpleAccountOption *option)
{
	const gchar *type = "unknown";
	g_autofree gchar *value = NULL;

	switch (purple_account_option_get_type(option)) {
	case PURPLE_PREF_BOOLEAN:
		type = "bool";
		value = g_strdup(purple_account_option_get_default_bool(option) ? "true" : "false");
		break;
	case PURPLE_PREF_INT:
		type = "int";
		value = g_strdup_printf("%d", purple_account_option_get_default_int(option));
		break;
	case PURPLE_PREF_STRING:
		type = "string";
		value = g_strdup(purple_account_option_get_default_string(option));
		break;
	case PURPLE_PREF_STRING_LIST:
		type = "list";
		value = g_strdup(purple_account_option_get_default_list_value(option));
		break;
	default:
		break;
	}
	g_string_append(out, "{\"setting\": ");
	prpl_dump_string(out, purple_account_option_get_setting(option));
	g_string_append(out, ", \"type\": ");
	prpl_dump_string(out, type);
	g_string_append(out, ", \"label\": ");
	prpl_dump_string(out, purple_account_option_get_text(option));
	g_string_append(out, ", \"default\": ");
	prpl_dump_string(out, value);
	/* libpurple asserts that only string options are masked */
	g_string_append_printf(out, ", \"masked\": %s, \"choices\": [",
			       purple_account_option_get_type(option) == PURPLE_PREF_STRING &&
				       purple_account_option_get_masked(option)
				   ? "true"
				   : "false");
	if (purple_account_option_get_type(option) == PURPLE_PREF_STRING_LIST) {
		for (GList *l = purple_account_option_get_list(option); l != NULL; l = l->next) {
			PurpleKeyValuePair *pair = l->data;
			g_string_append(out, "[");
			prpl_dump_string(out, pair->key);
			g_string_append(out, ", ");
			prpl_dump_string(out, pair->value);
			g_string_append(out, l->next != NULL ? "], " : "]");
		}
	}
	g_string_append(out, "]}");
}

static void
prpl_dump_protocol(GString *out, PurplePlugin *plugin)
{
	PurplePluginProtocolInfo *info = PURPLE_PLUGIN_PROTOCOL_INFO(plugin);
	const gchar *password = "required";

	if (info->options & OPT_PROTO_NO_PASSWORD)
		password = "none";
	else if (info->options & OPT_PROTO_PASSWORD_OPTIONAL)
		password = "optional";
	g_string_append(out, "{\"id\": ");
	prpl_dump_string(out, purple_plugin_get_id(plugin));
	g_string_append(out, ", \"name\": ");
	prpl_dump_string(out, purple_plugin_get_name(plugin));
	g_string_append(out, ", \"path\": ");
	prpl_dump_string(out, plugin->path);
	g_string_append(out, ", \"password\": ");
	prpl_dump_string(out, password);
	/* XEP-0085 chat states need a plugin that sends typing */
	g_string_append_printf(out, ", \"typing\": %s",
			       info->send_typing != NULL ? "true" : "false");
	g_string_append(out, ", \"options\": [");
	for (GList *l = info->protocol_options; l != NULL; l = l->next) {
		prpl_dump_option(out, l->data);
		if (l->next != NULL)
			g_string_append(out, ", ");
	}
	g_string_append(out, "], \"splits\": [");
	for (GList *l = info->user_splits; l != NULL; l = l->next) {
		PurpleAccountUserSplit *split = l->data;
		gchar separator[2] = {purple_account_user_split_get_separator(split), '\0'};
		g_string_append(out, "{\"label\": ");
		prpl_dump_string(out, purple_account_user_split_get_text(split));
		g_string_append(out, ", \"default\": ");
		prpl_dump_string(out, purple_account_user_split_get_default_value(split));
		g_string_append(out, ", \"separator\": ");
		prpl_dump_string(out, separator);
		g_string_append_printf(out, ", \"reverse\": %s}",
				       purple_account_user_split_get_reverse(split) ? "true"
										     : "false");
		if (l->next != NULL)
			g_string_append(out, ", ");
	}
	g_string_append(out, "]}");
}

static PurpleEventLoopUiOps prpl_dump_loop_ops = {
    .timeout_add = g_timeout_add,
    .timeout_remove = g_source_remove,
    .input_add = NULL,
    .input_remove = g_source_remove,
    .timeout_add_seconds = g_timeout_add_seconds,
};

int
main(int argc, char **argv)
{
	g_autoptr(GString) out = g_string_new("[");

	if (argc != 2) {
		g_printerr("usage: prpl-dump USER_DIR\n");
		return EXIT_FAILURE;
	}
	purple_util_set_user_dir(argv[1]);
	purple_debug_set_enabled(FALSE);
	purple_eventloop_set_ui_ops(&prpl_dump_loop_ops);
	if (!purple_core_init("prpl-dump")) {
		g_printerr("purple_core_init() failed\n");
		return EXIT_FAILURE;
	}
	for (GList *l = purple_plugins_get_protocols(); l != NULL; l = l->next) {
		prpl_dump_protocol(out, l->data);
		if (l->next != NULL)
			g_string_append(out, ",\n");
	}
	g_string_append(out, "]\n");
	fputs(out->str, stdout);
	fflush(stdout);
	/* no purple_core_quit(): some third-party plugins crash on unload, and
	 * the oracle's exit code must only say whether the dump was written */
	_exit(EXIT_SUCCESS);
}
