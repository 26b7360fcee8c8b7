/* sms-host: the smallest libpurple UI that drives prpl-polygate-sms, for
 * tests/integration/test_sms_plugin.py.
 *
 * It loads the plugin the way Pidgin does (a search path, then libpurple's
 * own probe), creates one account and speaks a line protocol:
 *   stdin  (commands):  set KEY VALUE | setint KEY N | setbool KEY 0|1 |
 *                       login USERNAME PASSWORD | send TO HTML |
 *                       send-with-id TO MESSAGE_ID HTML | inject FROM HTML |
 *                       logout | quit
 *   stdout (events):    ready | signed-on | connection-error REASON |
 *                       sms-sending TO ID | sms-sent TO ID OUTCOME REASON |
 *                       received-im FROM TEXT | conv-error WHO TEXT | signed-off
 * Every field is percent-encoded (RFC 3986), separated by one space.
 * "send" goes through a conversation (purple_conv_im_send), as Pidgin does;
 * "send-with-id" first sets the account's "next-message-id", as the worker
 * does when the daemon chose the id;
 * "inject" is what the Polygate worker does with an inbound SMS
 * (serv_got_im on the plugin's connection).
 *
 * Usage: sms-host PLUGIN_DIR USER_DIR
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include <account.h>
#include <connection.h>
#include <conversation.h>
#include <core.h>
#include <debug.h>
#include <eventloop.h>
#include <plugin.h>
#include <prefs.h>
#include <server.h>
#include <signals.h>

#define SMS_HOST_UI "sms-host"

static GMainLoop *sms_host_loop;
static PurpleAccount *sms_host_account;
static GHashTable *sms_host_options; /* key -> "s:value" | "i:N" | "b:0/1", set at login */
static gint sms_host_handle;	     /* address used as our signal handle */

/* Output -------------------------------------------------------------------- */

static void
sms_host_emit(const gchar *event, ...)
{
	g_autoptr(GString) line = g_string_new(event);
	va_list args;
	const gchar *field;

	va_start(args, event);
	while ((field = va_arg(args, const gchar *)) != NULL) {
		g_autofree gchar *escaped = g_uri_escape_string(field, NULL, FALSE);

		g_string_append_c(line, ' ');
		g_string_append(line, escaped);
	}
	va_end(args);
	g_string_append_c(line, '\n');
	fputs(line->str, stdout);
	fflush(stdout);
}

/* Event loop on GLib (as backends/purple/pg-purple-ui.c) ------------------- */

typedef struct {
	PurpleInputFunction function;
	gpointer data;
} SmsHostInput;

static gboolean
sms_host_input_cb(GIOChannel *channel, GIOCondition condition, gpointer user_data)
{
	SmsHostInput *input = user_data;
	PurpleInputCondition purple_condition = 0;

	if (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR))
		purple_condition |= PURPLE_INPUT_READ;
	if (condition & (G_IO_OUT | G_IO_HUP | G_IO_ERR | G_IO_NVAL))
		purple_condition |= PURPLE_INPUT_WRITE;
	input->function(input->data, g_io_channel_unix_get_fd(channel), purple_condition);
	return G_SOURCE_CONTINUE;
}

static guint
sms_host_input_add(gint fd, PurpleInputCondition condition, PurpleInputFunction function,
		   gpointer data)
{
	g_autoptr(GIOChannel) channel = g_io_channel_unix_new(fd);
	SmsHostInput *input = g_new0(SmsHostInput, 1);
	GIOCondition glib_condition = 0;

	input->function = function;
	input->data = data;
	if (condition & PURPLE_INPUT_READ)
		glib_condition |= G_IO_IN | G_IO_HUP | G_IO_ERR;
	if (condition & PURPLE_INPUT_WRITE)
		glib_condition |= G_IO_OUT | G_IO_HUP | G_IO_ERR | G_IO_NVAL;
	return g_io_add_watch_full(channel, G_PRIORITY_DEFAULT, glib_condition, sms_host_input_cb,
				   input, g_free);
}

static PurpleEventLoopUiOps sms_host_eventloop_ops = {
    .timeout_add = g_timeout_add,
    .timeout_remove = g_source_remove,
    .input_add = sms_host_input_add,
    .input_remove = g_source_remove,
    .timeout_add_seconds = g_timeout_add_seconds,
};

/* Conversations: report errors written into them ------------------------------ */

static void
sms_host_write_conv(PurpleConversation *conv, const char *name, const char *alias,
		    const char *message, PurpleMessageFlags flags, time_t mtime)
{
	if (flags & PURPLE_MESSAGE_ERROR)
		sms_host_emit("conv-error", purple_conversation_get_name(conv), message, NULL);
}

static PurpleConversationUiOps sms_host_conversation_ops = {
    .write_conv = sms_host_write_conv,
};

/* Signals ------------------------------------------------------------------- */

static void
sms_host_signed_on_cb(PurpleConnection *gc, gpointer data)
{
	sms_host_emit("signed-on", NULL);
}

static void
sms_host_signed_off_cb(PurpleConnection *gc, gpointer data)
{
	sms_host_emit("signed-off", NULL);
}

static void
sms_host_connection_error_cb(PurpleConnection *gc, PurpleConnectionError reason,
			     const char *description, gpointer data)
{
	sms_host_emit("connection-error", description, NULL);
}

static void
sms_host_received_im_cb(PurpleAccount *account, const char *sender, const char *message,
			PurpleConversation *conv, PurpleMessageFlags flags, gpointer data)
{
	sms_host_emit("received-im", sender, message, NULL);
}

static void
sms_host_sms_sending_cb(PurpleAccount *account, const char *to, const char *message_id,
			gpointer data)
{
	sms_host_emit("sms-sending", to, message_id, NULL);
}

static void
sms_host_sms_sent_cb(PurpleAccount *account, const char *to, const char *message_id,
		     gint outcome, const char *reason, gpointer data)
{
	g_autofree gchar *outcome_text = g_strdup_printf("%d", outcome);

	g_assert(account == sms_host_account);
	sms_host_emit("sms-sent", to, message_id, outcome_text, reason, NULL);
}

/* Commands ------------------------------------------------------------------ */

static void
sms_host_apply_option(gpointer key, gpointer value, gpointer user_data)
{
	const gchar *typed = value;

	if (typed[0] == 's')
		purple_account_set_string(sms_host_account, key, typed + 2);
	else if (typed[0] == 'i')
		purple_account_set_int(sms_host_account, key, atoi(typed + 2));
	else
		purple_account_set_bool(sms_host_account, key, typed[2] == '1');
}

static void
sms_host_login(const gchar *username, const gchar *password)
{
	sms_host_account = purple_account_new(username, "prpl-polygate-sms");
	purple_account_set_remember_password(sms_host_account, FALSE);
	purple_account_set_password(sms_host_account, password);
	g_hash_table_foreach(sms_host_options, sms_host_apply_option, NULL);
	purple_accounts_add(sms_host_account);
	/* connects at once: the default status is available */
	purple_account_set_enabled(sms_host_account, SMS_HOST_UI, TRUE);
}

static void
sms_host_send(const gchar *to, const gchar *html)
{
	PurpleConversation *conv =
	    purple_find_conversation_with_account(PURPLE_CONV_TYPE_IM, to, sms_host_account);

	if (conv == NULL)
		conv = purple_conversation_new(PURPLE_CONV_TYPE_IM, sms_host_account, to);
	purple_conv_im_send(PURPLE_CONV_IM(conv), html);
}

static void
sms_host_inject(const gchar *from, const gchar *html)
{
	PurpleConnection *gc = purple_account_get_connection(sms_host_account);

	serv_got_im(gc, from, html, PURPLE_MESSAGE_RECV, time(NULL));
}

static void
sms_host_command(gchar **words)
{
	guint n = g_strv_length(words);

	if (n == 3 && g_str_equal(words[0], "set"))
		g_hash_table_replace(sms_host_options, g_strdup(words[1]),
				     g_strconcat("s:", words[2], NULL));
	else if (n == 3 && g_str_equal(words[0], "setint"))
		g_hash_table_replace(sms_host_options, g_strdup(words[1]),
				     g_strconcat("i:", words[2], NULL));
	else if (n == 3 && g_str_equal(words[0], "setbool"))
		g_hash_table_replace(sms_host_options, g_strdup(words[1]),
				     g_strconcat("b:", words[2], NULL));
	else if (n == 3 && g_str_equal(words[0], "login"))
		sms_host_login(words[1], words[2]);
	else if (n == 3 && g_str_equal(words[0], "send"))
		sms_host_send(words[1], words[2]);
	else if (n == 4 && g_str_equal(words[0], "send-with-id")) {
		purple_account_set_string(sms_host_account, "next-message-id", words[2]);
		sms_host_send(words[1], words[3]);
	} else if (n == 3 && g_str_equal(words[0], "inject"))
		sms_host_inject(words[1], words[2]);
	else if (n == 1 && g_str_equal(words[0], "logout"))
		purple_account_set_enabled(sms_host_account, SMS_HOST_UI, FALSE);
	else if (n == 1 && g_str_equal(words[0], "quit"))
		g_main_loop_quit(sms_host_loop);
	else
		sms_host_emit("bad-command", words[0] != NULL ? words[0] : "", NULL);
}

static gboolean
sms_host_stdin_cb(GIOChannel *channel, GIOCondition condition, gpointer data)
{
	g_autofree gchar *line = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) words = NULL;
	GIOStatus status;

	status = g_io_channel_read_line(channel, &line, NULL, NULL, &error);
	if (status == G_IO_STATUS_AGAIN)
		return G_SOURCE_CONTINUE;
	if (status != G_IO_STATUS_NORMAL) {
		/* the test went away: stop */
		g_main_loop_quit(sms_host_loop);
		return G_SOURCE_REMOVE;
	}
	g_strchomp(line);
	words = g_strsplit(line, " ", -1);
	for (guint i = 0; words[i] != NULL; i++) {
		gchar *decoded = g_uri_unescape_string(words[i], NULL);

		g_free(words[i]);
		words[i] = decoded != NULL ? decoded : g_strdup("");
	}
	sms_host_command(words);
	return G_SOURCE_CONTINUE;
}

int
main(int argc, char **argv)
{
	g_autoptr(GIOChannel) input = NULL;
	PurplePlugin *plugin;

	if (argc != 3) {
		g_printerr("usage: %s PLUGIN_DIR USER_DIR\n", argv[0]);
		return EXIT_FAILURE;
	}
	/* keep plugins mapped at exit, so leak reports can name their functions */
	g_setenv("PURPLE_LEAKCHECK_HELP", "1", TRUE);
	/* libpurple would export itself on the session bus otherwise */
	g_unsetenv("DBUS_SESSION_BUS_ADDRESS");
	sms_host_loop = g_main_loop_new(NULL, FALSE);
	sms_host_options = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	purple_util_set_user_dir(argv[2]);
	purple_debug_set_enabled(g_getenv("SMS_HOST_DEBUG") != NULL);
	purple_eventloop_set_ui_ops(&sms_host_eventloop_ops);
	purple_conversations_set_ui_ops(&sms_host_conversation_ops);
	purple_plugins_add_search_path(argv[1]);
	if (!purple_core_init(SMS_HOST_UI)) {
		g_printerr("purple_core_init failed\n");
		return EXIT_FAILURE;
	}
	purple_set_blist(purple_blist_new());
	purple_prefs_set_bool("/purple/logging/log_ims", FALSE);
	purple_prefs_set_bool("/purple/logging/log_chats", FALSE);
	purple_prefs_set_bool("/purple/logging/log_system", FALSE);

	plugin = purple_plugins_find_with_id("prpl-polygate-sms");
	if (plugin == NULL || !purple_plugin_is_loaded(plugin)) {
		g_printerr("prpl-polygate-sms not found or not loaded from %s\n", argv[1]);
		return EXIT_FAILURE;
	}
	purple_signal_connect(purple_connections_get_handle(), "signed-on", &sms_host_handle,
			      PURPLE_CALLBACK(sms_host_signed_on_cb), NULL);
	purple_signal_connect(purple_connections_get_handle(), "signed-off", &sms_host_handle,
			      PURPLE_CALLBACK(sms_host_signed_off_cb), NULL);
	purple_signal_connect(purple_connections_get_handle(), "connection-error",
			      &sms_host_handle, PURPLE_CALLBACK(sms_host_connection_error_cb),
			      NULL);
	purple_signal_connect(purple_conversations_get_handle(), "received-im-msg",
			      &sms_host_handle, PURPLE_CALLBACK(sms_host_received_im_cb), NULL);
	purple_signal_connect(plugin, "sms-sending", &sms_host_handle,
			      PURPLE_CALLBACK(sms_host_sms_sending_cb), NULL);
	purple_signal_connect(plugin, "sms-sent", &sms_host_handle,
			      PURPLE_CALLBACK(sms_host_sms_sent_cb), NULL);

	input = g_io_channel_unix_new(STDIN_FILENO);
	g_io_add_watch(input, G_IO_IN | G_IO_HUP | G_IO_ERR, sms_host_stdin_cb, NULL);
	sms_host_emit("ready", NULL);
	g_main_loop_run(sms_host_loop);

	purple_signals_disconnect_by_handle(&sms_host_handle);
	purple_core_quit();
	g_hash_table_unref(sms_host_options);
	g_main_loop_unref(sms_host_loop);
	return EXIT_SUCCESS;
}
