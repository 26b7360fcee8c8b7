/* prpl-polygate-sms: a libpurple 2.x protocol plugin that sends SMS through
 * Kannel's sendsms HTTP interface.
 *
 * Design
 * - A plain libpurple plugin: it links libpurple and GLib only and uses no
 *   Polygate symbol, so Pidgin, Finch or bitlbee load it as well as
 *   polygate-purple does (README.md says how to configure it there).
 * - Sending only.  Inbound SMS and delivery reports are HTTP callbacks from
 *   Kannel (get-url, dlr-url) to whoever runs the HTTP server: the Polygate
 *   daemon injects them into the worker, which calls serv_got_im() on this
 *   connection.  So login needs no network: the account is connected at once.
 * - One sendsms GET per message, through libpurple's own HTTP fetcher (it
 *   honours the account's proxy and TLS plugins).  Kannel splits a long text
 *   into concatenated SMS itself; we only measure it (see send_im).
 * - Outcomes are reported by two plugin signals, so any UI can follow a
 *   message without knowing this plugin's internals:
 *     "sms-sending" (PurpleAccount *account, const char *to, const char *message_id)
 *       emitted synchronously inside send_im, before anything can fail, so
 *       a caller can map its own request to our message id;
 *     "sms-sent" (PurpleAccount *account, const char *to, const char *message_id,
 *                 int outcome, const char *reason)
 *       exactly once per "sms-sending", possibly still inside send_im
 *       (a request refused before it left), with outcome a PgSmsOutcome:
 *       0 accepted, 1 temporary failure, 2 permanent failure.
 *   The message id is also the "id" parameter of the dlr-url, so delivery
 *   reports can be matched to it.  It is random, unless the UI chose it by
 *   setting the account's "next-message-id" just before the send.
 *
 * Invariant: a PgSmsRequest is owned by its connection's pending list from
 * the moment the fetch starts until pg_sms_request_finish() runs, which
 * happens exactly once: from the fetch callback, the timeout, or close().
 * libpurple may run the fetch callback before
 * purple_util_fetch_url_request_len_with_account() returns (it then returns
 * NULL), so send_im never touches the request after starting the fetch.
 */
#include "config.h"

#define PURPLE_PLUGINS

#include <errno.h>
#include <string.h>

#include <glib.h>

#include <accountopt.h>
#include <blist.h>
#include <connection.h>
#include <conversation.h>
#include <debug.h>
#include <plugin.h>
#include <prpl.h>
#include <signals.h>
#include <status.h>
#include <util.h>
#include <version.h>

#include "pg-sms-kannel.h"
#include "pg-sms-text.h"

#define PG_SMS_PLUGIN_ID	   "prpl-polygate-sms"
#define PG_SMS_DEBUG		   "polygate-sms"
#define PG_SMS_DEFAULT_SENDSMS_URL "http://127.0.0.1:13013/cgi-bin/sendsms"
#define PG_SMS_DEFAULT_TIMEOUT	   30	     /* seconds for Kannel to answer */
#define PG_SMS_REPLY_MAX	   (64 * 1024) /* Kannel's answers are one line */
#define PG_SMS_USER_AGENT	   "polygate-sms/" PACKAGE_VERSION

/* Account option keys: the interface for UIs (README.md). */
#define PG_SMS_OPTION_URL	  "sendsms-url"
#define PG_SMS_OPTION_USERNAME	  "sendsms-username"
#define PG_SMS_OPTION_DLR_URL	  "dlr-url"
#define PG_SMS_OPTION_SMSC	  "smsc"
#define PG_SMS_OPTION_SENDER	  "sender"
#define PG_SMS_OPTION_MAX_PARTS	  "max-parts"
#define PG_SMS_OPTION_TIMEOUT	  "timeout"
#define PG_SMS_OPTION_SHOW_ERRORS "show-errors"
/* Not an account option a person sees: a UI that must know a message's id
 * before the send (to match delivery reports that may arrive before it
 * hears back) sets it right before serv_send_im(); send_im takes it and
 * clears it, so it applies to exactly one message. */
#define PG_SMS_SETTING_NEXT_MESSAGE_ID "next-message-id"
#define PG_SMS_MESSAGE_ID_MAX	       64

G_STATIC_ASSERT(PG_SMS_OUTCOME_ACCEPTED == 0 && PG_SMS_OUTCOME_TEMPORARY == 1 &&
		PG_SMS_OUTCOME_PERMANENT == 2);

/* Set by init_plugin; libpurple keeps one instance per process. */
static PurplePlugin *pg_sms_plugin;

typedef struct {
	GList *pending; /* PgSmsRequest, owned */
} PgSmsConnection;

typedef struct {
	PurpleConnection *gc;
	gchar *to;
	gchar *message_id;
	PurpleUtilFetchUrlData *fetch; /* NULL once libpurple is done with it */
	guint timeout_id;
} PgSmsRequest;

/* Signals ------------------------------------------------------------------ */

/* libpurple has no marshaller for (pointer, pointer, pointer, int, pointer). */
static void
pg_sms_marshal_sent(PurpleCallback cb, va_list args, void *data, void **return_val)
{
	void *account = va_arg(args, void *);
	void *to = va_arg(args, void *);
	void *message_id = va_arg(args, void *);
	gint outcome = va_arg(args, gint);
	void *reason = va_arg(args, void *);

	((void (*)(void *, void *, void *, gint, void *, void *))cb)(account, to, message_id,
								     outcome, reason, data);
}

static void
pg_sms_register_signals(PurplePlugin *plugin)
{
	purple_signal_register(plugin, "sms-sending", purple_marshal_VOID__POINTER_POINTER_POINTER,
			       NULL, 3, purple_value_new(PURPLE_TYPE_SUBTYPE, PURPLE_SUBTYPE_ACCOUNT),
			       purple_value_new(PURPLE_TYPE_STRING),
			       purple_value_new(PURPLE_TYPE_STRING));
	purple_signal_register(plugin, "sms-sent", pg_sms_marshal_sent, NULL, 5,
			       purple_value_new(PURPLE_TYPE_SUBTYPE, PURPLE_SUBTYPE_ACCOUNT),
			       purple_value_new(PURPLE_TYPE_STRING),
			       purple_value_new(PURPLE_TYPE_STRING),
			       purple_value_new(PURPLE_TYPE_INT),
			       purple_value_new(PURPLE_TYPE_STRING));
}

/* Emit "sms-sent" and, for a failure, tell a human UI in the conversation. */
static void
pg_sms_report(PurpleAccount *account, const gchar *to, const gchar *message_id,
	      PgSmsOutcome outcome, const gchar *reason)
{
	purple_debug_info(PG_SMS_DEBUG, "message %s: outcome %d (%s)\n", message_id,
			  (gint)outcome, reason != NULL ? reason : "");
	purple_signal_emit(pg_sms_plugin, "sms-sent", account, to, message_id, (gint)outcome,
			   reason != NULL ? reason : "");
	if (outcome != PG_SMS_OUTCOME_ACCEPTED &&
	    purple_account_get_bool(account, PG_SMS_OPTION_SHOW_ERRORS, TRUE)) {
		g_autofree gchar *what = g_strdup_printf(
		    outcome == PG_SMS_OUTCOME_TEMPORARY
			? "SMS not sent: %s (temporary failure, try again later)"
			: "SMS not sent: %s",
		    reason != NULL ? reason : "unknown error");

		purple_conv_present_error(to, account, what);
	}
}

/* Requests ------------------------------------------------------------------ */

static void
pg_sms_request_free(PgSmsRequest *request)
{
	g_free(request->to);
	g_free(request->message_id);
	g_free(request);
}

/* Takes @request off its connection, reports, frees it.  Exactly once. */
static void
pg_sms_request_finish(PgSmsRequest *request, PgSmsOutcome outcome, const gchar *reason)
{
	PgSmsConnection *connection = purple_connection_get_protocol_data(request->gc);
	PurpleAccount *account = purple_connection_get_account(request->gc);

	connection->pending = g_list_remove(connection->pending, request);
	if (request->timeout_id != 0) {
		purple_timeout_remove(request->timeout_id);
		request->timeout_id = 0;
	}
	if (request->fetch != NULL) {
		purple_util_fetch_url_cancel(request->fetch);
		request->fetch = NULL;
	}
	pg_sms_report(account, request->to, request->message_id, outcome, reason);
	pg_sms_request_free(request);
}

static void
pg_sms_fetch_cb(PurpleUtilFetchUrlData *url_data, gpointer user_data, const gchar *reply,
		gsize len, const gchar *error_message)
{
	PgSmsRequest *request = user_data;
	g_autofree gchar *reason = NULL;
	PgSmsOutcome outcome;
	guint status = 0;

	/* libpurple frees url_data itself after this callback returns */
	request->fetch = NULL;
	if (reply == NULL) {
		/* no answer at all: refused, reset, DNS, TLS: worth retrying */
		outcome = PG_SMS_OUTCOME_TEMPORARY;
		reason = g_strdup(error_message != NULL ? error_message : "no reply");
	} else {
		outcome = pg_sms_kannel_parse_reply(reply, len, &status, &reason);
		purple_debug_info(PG_SMS_DEBUG, "message %s: HTTP %u\n", request->message_id,
				  status);
	}
	pg_sms_request_finish(request, outcome, reason);
}

static gboolean
pg_sms_timeout_cb(gpointer user_data)
{
	PgSmsRequest *request = user_data;
	PurpleAccount *account = purple_connection_get_account(request->gc);
	g_autofree gchar *reason = g_strdup_printf(
	    "the sendsms server did not answer within %d s",
	    purple_account_get_int(account, PG_SMS_OPTION_TIMEOUT, PG_SMS_DEFAULT_TIMEOUT));

	request->timeout_id = 0; /* this source is removed by returning FALSE */
	pg_sms_request_finish(request, PG_SMS_OUTCOME_TEMPORARY, reason);
	return FALSE;
}

/* Protocol ------------------------------------------------------------------ */

static const gchar *
pg_sms_list_icon(PurpleAccount *account, PurpleBuddy *buddy)
{
	return "sms";
}

static GList *
pg_sms_status_types(PurpleAccount *account)
{
	GList *types = NULL;

	types = g_list_append(types, purple_status_type_new(PURPLE_STATUS_AVAILABLE, NULL, NULL,
							    TRUE));
	/* means nothing to SMS; it lets a UI mirror "away" without an error
	 * (libpurple UIs fall back to it for extended away and busy) */
	types = g_list_append(types, purple_status_type_new(PURPLE_STATUS_AWAY, NULL, NULL, TRUE));
	types = g_list_append(types, purple_status_type_new(PURPLE_STATUS_OFFLINE, NULL, NULL,
							    TRUE));
	return types;
}

/* A phone has no presence; show every contact as reachable. */
static void
pg_sms_buddy_reachable(PurpleAccount *account, const gchar *name)
{
	purple_prpl_got_user_status(account, name, "available", NULL);
}

static void
pg_sms_login(PurpleAccount *account)
{
	PurpleConnection *gc = purple_account_get_connection(account);
	const gchar *username = purple_account_get_username(account);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *probe = NULL;
	GSList *buddies;
	PgSmsSendsms check = {
	    .url = purple_account_get_string(account, PG_SMS_OPTION_URL,
					     PG_SMS_DEFAULT_SENDSMS_URL),
	};

	if (!pg_sms_number_is_valid(username)) {
		g_autofree gchar *message = g_strdup_printf(
		    "The username '%s' must be your own phone number in E.164 form, "
		    "e.g. +15551234567",
		    username != NULL ? username : "");

		purple_connection_error_reason(gc, PURPLE_CONNECTION_ERROR_INVALID_SETTINGS,
					       message);
		return;
	}
	probe = pg_sms_kannel_http_request(&check, PG_SMS_USER_AGENT, &error);
	if (probe == NULL) {
		purple_connection_error_reason(gc, PURPLE_CONNECTION_ERROR_INVALID_SETTINGS,
					       error->message);
		return;
	}

	purple_connection_set_protocol_data(gc, g_new0(PgSmsConnection, 1));
	/* SMS is plain text: no fonts, colours, images or link texts */
	gc->flags |= PURPLE_CONNECTION_NO_BGCOLOR | PURPLE_CONNECTION_NO_FONTSIZE |
		     PURPLE_CONNECTION_NO_URLDESC | PURPLE_CONNECTION_NO_IMAGES;
	/* no network to wait for: Kannel is asked per message */
	purple_connection_set_state(gc, PURPLE_CONNECTED);

	buddies = purple_find_buddies(account, NULL);
	for (GSList *l = buddies; l != NULL; l = l->next)
		pg_sms_buddy_reachable(account, purple_buddy_get_name(l->data));
	g_slist_free(buddies);
}

static void
pg_sms_close(PurpleConnection *gc)
{
	PgSmsConnection *connection = purple_connection_get_protocol_data(gc);

	if (connection == NULL)
		return; /* login failed before it got that far */
	/* Kannel may or may not have taken these: say so rather than nothing */
	while (connection->pending != NULL)
		pg_sms_request_finish(connection->pending->data, PG_SMS_OUTCOME_TEMPORARY,
				      "account disconnected before the sendsms server answered; "
				      "the SMS may or may not have been sent");
	purple_connection_set_protocol_data(gc, NULL);
	g_free(connection);
}

/* The text as it goes into an SMS: markup stripped, entities decoded, NFC.
 * Raw newlines are kept: libpurple's HTML stripper would fold them to spaces
 * (HTML whitespace), and a UI that sends plain escaped text means them. */
static gchar *
pg_sms_plain_text(const gchar *message)
{
	g_autofree gchar *crlf = purple_strreplace(message, "\r\n", "<br>");
	g_autofree gchar *lf = purple_strreplace(crlf, "\n", "<br>");
	g_autofree gchar *plain = purple_markup_strip_html(lf);

	return g_utf8_normalize(plain, -1, G_NORMALIZE_NFC);
}

/* The id travels as the "id" parameter of the dlr-url, so a UI's id is
 * restricted to characters that need no escaping in a URL (RFC 3986
 * unreserved, minus "~"), and kept short. */
static gboolean
pg_sms_message_id_is_valid(const gchar *id)
{
	gsize len = 0;

	for (const gchar *p = id; *p != '\0'; p++, len++) {
		if (!g_ascii_isalnum(*p) && *p != '.' && *p != '_' && *p != '-')
			return FALSE;
	}
	return len > 0 && len <= PG_SMS_MESSAGE_ID_MAX;
}

/* The id of the message being sent: the UI's "next-message-id" if it set a
 * valid one (taken and cleared, so it is used once), else a random UUID.
 * Returns: (transfer full) */
static gchar *
pg_sms_take_message_id(PurpleAccount *account)
{
	const gchar *wanted =
	    purple_account_get_string(account, PG_SMS_SETTING_NEXT_MESSAGE_ID, NULL);
	g_autofree gchar *id = NULL;

	if (wanted == NULL || *wanted == '\0')
		return g_uuid_string_random();
	id = g_strdup(wanted);
	/* frees the string @wanted points into */
	purple_account_set_string(account, PG_SMS_SETTING_NEXT_MESSAGE_ID, NULL);
	if (!pg_sms_message_id_is_valid(id)) {
		purple_debug_warning(PG_SMS_DEBUG,
				     "ignoring an invalid next-message-id (want at most %d of "
				     "[A-Za-z0-9._-]); using a random one\n",
				     PG_SMS_MESSAGE_ID_MAX);
		return g_uuid_string_random();
	}
	return g_steal_pointer(&id);
}

/* Refused before anything left: report now, return what libpurple expects. */
static gint
pg_sms_refuse(PurpleAccount *account, const gchar *to, const gchar *message_id, gint err,
	      const gchar *reason)
{
	pg_sms_report(account, to, message_id, PG_SMS_OUTCOME_PERMANENT, reason);
	return err;
}

static gint
pg_sms_send_im(PurpleConnection *gc, const gchar *who, const gchar *message,
	       PurpleMessageFlags flags)
{
	PurpleAccount *account = purple_connection_get_account(gc);
	PgSmsConnection *connection = purple_connection_get_protocol_data(gc);
	g_autofree gchar *message_id = pg_sms_take_message_id(account);
	g_autofree gchar *to = pg_sms_number_normalize(who, NULL);
	g_autofree gchar *text = pg_sms_plain_text(message);
	g_autofree gchar *dlr_url = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *sender;
	const gchar *to_name = to != NULL ? to : who;
	gint max_parts;
	gint timeout;
	gchar *http;
	PgSmsRequest *request;
	PurpleUtilFetchUrlData *fetch;
	PgSmsLength length;

	purple_signal_emit(pg_sms_plugin, "sms-sending", account, to_name, message_id);

	if (to == NULL) {
		g_autofree gchar *reason = g_strdup_printf(
		    "'%s' is not a phone number in E.164 form (e.g. +15551234567)", who);

		return pg_sms_refuse(account, to_name, message_id, -EINVAL, reason);
	}
	if (text == NULL || *text == '\0')
		return pg_sms_refuse(account, to_name, message_id, -EINVAL,
				     "the message is empty (or not valid UTF-8)");

	/* Kannel splits a long text into concatenated SMS itself, up to the
	 * sendsms-user's max-messages (default 1: the rest is silently cut).
	 * There is no sendsms parameter for it, so we measure the text the way
	 * Kannel will and refuse what the account says Kannel would cut. */
	pg_sms_text_measure(text, &length);
	max_parts = purple_account_get_int(account, PG_SMS_OPTION_MAX_PARTS, 0);
	if (max_parts > 0 && length.parts > (guint)max_parts) {
		g_autofree gchar *reason = g_strdup_printf(
		    "the message needs %u SMS parts; at most %d are allowed", length.parts,
		    max_parts);

		return pg_sms_refuse(account, to, message_id, -E2BIG, reason);
	}

	sender = purple_account_get_string(account, PG_SMS_OPTION_SENDER, "");
	if (sender == NULL || *sender == '\0')
		sender = purple_account_get_username(account);
	dlr_url = pg_sms_kannel_dlr_url(purple_account_get_string(account, PG_SMS_OPTION_DLR_URL,
								  ""),
					message_id);
	{
		PgSmsSendsms sendsms = {
		    .url = purple_account_get_string(account, PG_SMS_OPTION_URL,
						     PG_SMS_DEFAULT_SENDSMS_URL),
		    .username = purple_account_get_string(account, PG_SMS_OPTION_USERNAME, ""),
		    .password = purple_account_get_password(account),
		    .from = sender,
		    .to = to,
		    .text = text,
		    .coding = length.coding,
		    .smsc = purple_account_get_string(account, PG_SMS_OPTION_SMSC, ""),
		    .dlr_url = dlr_url,
		};

		http = pg_sms_kannel_http_request(&sendsms, PG_SMS_USER_AGENT, &error);
		if (http == NULL)
			return pg_sms_refuse(account, to, message_id, -EINVAL, error->message);
		purple_debug_info(PG_SMS_DEBUG,
				  "message %s: %u %s in %u part(s), coding %d%s\n", message_id,
				  length.units,
				  length.coding == PG_SMS_CODING_GSM ? "septets" : "UTF-16 units",
				  length.parts, (gint)length.coding,
				  dlr_url != NULL ? ", delivery reports on" : "");

		request = g_new0(PgSmsRequest, 1);
		request->gc = gc;
		request->to = g_strdup(to);
		request->message_id = g_strdup(message_id);
		connection->pending = g_list_prepend(connection->pending, request);
		timeout = purple_account_get_int(account, PG_SMS_OPTION_TIMEOUT,
						 PG_SMS_DEFAULT_TIMEOUT);
		request->timeout_id = purple_timeout_add_seconds(
		    timeout > 0 ? (guint)timeout : PG_SMS_DEFAULT_TIMEOUT, pg_sms_timeout_cb,
		    request);
		/* NULL means it already ran pg_sms_fetch_cb, which freed request */
		fetch = purple_util_fetch_url_request_len_with_account(
		    account, sendsms.url, TRUE, NULL, FALSE, http, TRUE, PG_SMS_REPLY_MAX,
		    pg_sms_fetch_cb, request);
		if (fetch != NULL)
			request->fetch = fetch;
		pg_sms_kannel_free_secret(http);
	}
	return 1;
}

static const gchar *
pg_sms_normalize(const PurpleAccount *account, const gchar *who)
{
	/* libpurple's contract: a static buffer, valid until the next call */
	static gchar normalized[256];
	g_autofree gchar *number = NULL;

	if (who == NULL)
		return NULL;
	/* not a number: leave it as it is, send_im will refuse it */
	number = pg_sms_number_normalize(who, NULL);
	g_strlcpy(normalized, number != NULL ? number : who, sizeof(normalized));
	return normalized;
}

static void
pg_sms_add_buddy(PurpleConnection *gc, PurpleBuddy *buddy, PurpleGroup *group)
{
	pg_sms_buddy_reachable(purple_connection_get_account(gc), purple_buddy_get_name(buddy));
}

static gboolean
pg_sms_offline_message(const PurpleBuddy *buddy)
{
	return TRUE; /* an SMS waits on the network for a phone that is off */
}

/* Plugin --------------------------------------------------------------------- */

static gboolean
pg_sms_plugin_load(PurplePlugin *plugin)
{
	pg_sms_register_signals(plugin);
	return TRUE;
}

static gboolean
pg_sms_plugin_unload(PurplePlugin *plugin)
{
	purple_signals_unregister_by_instance(plugin);
	return TRUE;
}

static PurplePluginProtocolInfo pg_sms_prpl_info = {
    .options = 0,
    .icon_spec = NO_BUDDY_ICONS,
    .list_icon = pg_sms_list_icon,
    .status_types = pg_sms_status_types,
    .login = pg_sms_login,
    .close = pg_sms_close,
    .send_im = pg_sms_send_im,
    .add_buddy = pg_sms_add_buddy,
    .normalize = pg_sms_normalize,
    .offline_message = pg_sms_offline_message,
    .struct_size = sizeof(PurplePluginProtocolInfo),
};

static PurplePluginInfo pg_sms_plugin_info = {
    .magic = PURPLE_PLUGIN_MAGIC,
    .major_version = PURPLE_MAJOR_VERSION,
    .minor_version = PURPLE_MINOR_VERSION,
    .type = PURPLE_PLUGIN_PROTOCOL,
    .priority = PURPLE_PRIORITY_DEFAULT,
    .id = PG_SMS_PLUGIN_ID,
    .name = "SMS (Kannel)",
    .version = PACKAGE_VERSION,
    .summary = "Send SMS through a Kannel SMS gateway",
    .description = "Sends each message as an SMS through Kannel's sendsms HTTP "
		   "interface. The username is your own phone number (E.164, e.g. "
		   "+15551234567), the password is the sendsms-user password. Receiving "
		   "SMS needs something that handles Kannel's get-url callbacks.",
    .author = "Polygate",
    .homepage = "https://polygate.invalid/",
    .load = pg_sms_plugin_load,
    .unload = pg_sms_plugin_unload,
    .extra_info = &pg_sms_prpl_info,
};

static void
pg_sms_init_plugin(PurplePlugin *plugin)
{
	GList *options = NULL;

	pg_sms_plugin = plugin;
	options = g_list_append(options,
				purple_account_option_string_new("sendsms URL", PG_SMS_OPTION_URL,
								 PG_SMS_DEFAULT_SENDSMS_URL));
	options = g_list_append(options, purple_account_option_string_new(
					     "sendsms username", PG_SMS_OPTION_USERNAME, ""));
	options = g_list_append(options, purple_account_option_string_new(
					     "Sender (default: the username)",
					     PG_SMS_OPTION_SENDER, ""));
	options = g_list_append(options, purple_account_option_string_new(
					     "SMSC id (empty: Kannel's routing)",
					     PG_SMS_OPTION_SMSC, ""));
	options = g_list_append(options, purple_account_option_string_new(
					     "Delivery report URL (empty: none)",
					     PG_SMS_OPTION_DLR_URL, ""));
	options = g_list_append(options, purple_account_option_int_new(
					     "Most SMS parts per message (0: no limit)",
					     PG_SMS_OPTION_MAX_PARTS, 0));
	options = g_list_append(options, purple_account_option_int_new(
					     "Seconds to wait for Kannel", PG_SMS_OPTION_TIMEOUT,
					     PG_SMS_DEFAULT_TIMEOUT));
	options = g_list_append(options, purple_account_option_bool_new(
					     "Show send errors in the conversation",
					     PG_SMS_OPTION_SHOW_ERRORS, TRUE));
	pg_sms_prpl_info.protocol_options = options;
}

/* PURPLE_INIT_PLUGIN defines purple_init_plugin() without a prototype. */
G_GNUC_BEGIN_IGNORE_DEPRECATIONS
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wmissing-declarations"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
PURPLE_INIT_PLUGIN(polygate_sms, pg_sms_init_plugin, pg_sms_plugin_info)
#pragma GCC diagnostic pop
G_GNUC_END_IGNORE_DEPRECATIONS
