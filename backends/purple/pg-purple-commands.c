/* PG_IPC_CMD_* messages -> libpurple calls.
 *
 * DESIGN: one handler per command kind, each answering failure with an
 * error event that names the request id and an RFC 6120 condition; a
 * command never kills the worker.  Text from the daemon is plain text and
 * libpurple parses outgoing text as HTML, so bodies are escaped here
 * (newlines become <br>, which prpl-irc sends as separate lines) and CR is
 * dropped.  Names that end up inside a protocol line (IRC targets, channel
 * names, topics) are refused if they hold control characters, and for
 * prpl-irc spaces and commas: "bob\r\nQUIT" must not become a command.
 *
 * login makes or reconnects an account in pg-purple-login.c.
 *
 * SMS (prpl-polygate-sms, backends/purple-kannel/README.md): send-im may
 * carry the message id the daemon chose; it reaches the plugin as the
 * account setting "next-message-id", which the plugin takes and clears in
 * send_im.  The plugin reports every send, refusals included, with its
 * "sms-sent" signal (pg-purple-events.c turns it into sms-sent), so a
 * refused send is not reported a second time as an error.  inject-im is
 * the other direction: an SMS Kannel handed to the daemon becomes a
 * received IM on the account's connection, and so im-received.
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-purple"

#include <string.h>
#include <time.h>

#include "core/pg-error.h"
#include "pg-purple-buddies.h"
#include "pg-purple-chatstate.h"
#include "pg-purple-commands.h"
#include "pg-purple-numerics.h"
#include "pg-purple-request.h"
#include "pg-purple-protocol.h"
#include "pg-purple-receipts.h"
#include "pg-purple-sendq.h"
#include "pg-purple-events.h"
#include "pg-purple-admin.h"
#include "pg-purple-lines.h"
#include "pg-purple-login.h"
#include "pg-purple-worker.h"

static gboolean
pg_purple_commands_check_name(PgPurpleAccount *entry, const gchar *value, const gchar *what,
			      GError **error)
{
	gboolean irc = entry != NULL &&
		       g_strcmp0(purple_account_get_protocol_id(entry->account), "prpl-irc") == 0;

	if (value == NULL || value[0] == '\0') {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST, "empty %s", what);
		return FALSE;
	}
	for (const gchar *p = value; *p != '\0'; p++) {
		guchar c = (guchar)*p;
		if (c < 0x20 || c == 0x7f || (irc && (c == ' ' || c == ','))) {
			g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "%s contains a forbidden character (0x%02x)", what, c);
			return FALSE;
		}
	}
	return TRUE;
}

/* Plain text -> the HTML libpurple expects. Returns: (transfer full) */
static gchar *
pg_purple_commands_to_html(const gchar *text)
{
	g_autofree gchar *escaped = g_markup_escape_text(text, -1);
	GString *html = g_string_sized_new(strlen(escaped) + 16);

	for (const gchar *p = escaped; *p != '\0'; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n')
			g_string_append(html, "<br>");
		else
			g_string_append_c(html, *p);
	}
	return g_string_free(html, FALSE);
}

static PgPurpleAccount *
pg_purple_commands_account(const PgIpcMessage *msg, GError **error)
{
	const gchar *key = pg_ipc_message_get_string(msg, "account");
	PgPurpleAccount *entry = g_hash_table_lookup(pg_purple_worker_get()->accounts, key);

	if (entry == NULL)
		g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND, "no account %s", key);
	return entry;
}

/* The account's connection, if signed on. */
static PurpleConnection *
pg_purple_commands_connection(PgPurpleAccount *entry, GError **error)
{
	PurpleConnection *gc = purple_account_get_connection(entry->account);

	if (gc == NULL || purple_connection_get_state(gc) != PURPLE_CONNECTED) {
		g_set_error(error, PG_ERROR, PG_ERROR_SERVICE_UNAVAILABLE,
			    "account %s is not connected", entry->key);
		return NULL;
	}
	return gc;
}

static PurpleConversation *
pg_purple_commands_room(PgPurpleAccount *entry, const gchar *room, GError **error)
{
	PurpleConversation *conv =
	    purple_find_conversation_with_account(PURPLE_CONV_TYPE_CHAT, room, entry->account);

	if (conv == NULL || purple_conv_chat_has_left(purple_conversation_get_chat_data(conv))) {
		g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND, "not in room %s", room);
		return NULL;
	}
	return conv;
}

static gboolean
pg_purple_commands_logout(const PgIpcMessage *msg, GError **error)
{
	PgPurpleAccount *entry = pg_purple_commands_account(msg, error);

	if (entry == NULL)
		return FALSE;
	pg_purple_login_drop(entry, msg->id, "logged out");
	return TRUE;
}

void
pg_purple_commands_logout_all(const gchar *reason)
{
	PgPurpleWorker *worker = pg_purple_worker_get();
	g_autoptr(GList) entries = g_hash_table_get_values(worker->accounts);

	for (GList *l = entries; l != NULL; l = l->next)
		pg_purple_login_drop(l->data, 0, reason);
}

static gboolean
pg_purple_commands_set_status(const PgIpcMessage *msg, GError **error)
{
	static const struct {
		const gchar *name;
		PurpleStatusPrimitive primitive;
		PurpleStatusPrimitive fallback;
	} table[] = {
	    {"available", PURPLE_STATUS_AVAILABLE, PURPLE_STATUS_AVAILABLE},
	    {"away", PURPLE_STATUS_AWAY, PURPLE_STATUS_AWAY},
	    {"xa", PURPLE_STATUS_EXTENDED_AWAY, PURPLE_STATUS_AWAY},
	    {"dnd", PURPLE_STATUS_UNAVAILABLE, PURPLE_STATUS_AWAY},
	    {"offline", PURPLE_STATUS_OFFLINE, PURPLE_STATUS_OFFLINE},
	};
	PgPurpleAccount *entry = pg_purple_commands_account(msg, error);
	const gchar *status = pg_ipc_message_get_string(msg, "status");
	const gchar *message = pg_ipc_message_get_string(msg, "message");
	PurpleStatusType *type = NULL;
	g_autofree gchar *html = NULL;

	if (entry == NULL)
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(table); i++) {
		if (g_strcmp0(table[i].name, status) != 0)
			continue;
		type = purple_account_get_status_type_with_primitive(entry->account,
								     table[i].primitive);
		if (type == NULL)
			type = purple_account_get_status_type_with_primitive(entry->account,
									     table[i].fallback);
		break;
	}
	if (type == NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST, "unsupported status '%s'",
			    status);
		return FALSE;
	}
	if (message != NULL && purple_status_type_get_attr(type, "message") != NULL) {
		html = pg_purple_commands_to_html(message);
		purple_account_set_status(entry->account, purple_status_type_get_id(type), TRUE,
					  "message", html, NULL);
	} else {
		purple_account_set_status(entry->account, purple_status_type_get_id(type), TRUE,
					  NULL);
	}
	return TRUE;
}

static gboolean
pg_purple_commands_is_sms(PgPurpleAccount *entry)
{
	return g_strcmp0(purple_account_get_protocol_id(entry->account),
			 PG_PURPLE_SMS_PROTOCOL) == 0;
}

/* The plugin's own rule (it goes into a URL unescaped): 1 to 64 of
 * [A-Za-z0-9._-].  The plugin would replace a bad id with a random one,
 * which the daemon could never match; refuse it here instead. */
static gboolean
pg_purple_commands_check_message_id(const gchar *message_id, GError **error)
{
	gsize len = strlen(message_id);

	for (const gchar *p = message_id; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '.' && *p != '_' && *p != '-') {
			g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "message_id contains a forbidden character (0x%02x)",
				    (guchar)*p);
			return FALSE;
		}
	}
	if (len == 0 || len > PG_PURPLE_MESSAGE_ID_MAX) {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
			    "message_id must be 1 to %d characters long",
			    PG_PURPLE_MESSAGE_ID_MAX);
		return FALSE;
	}
	return TRUE;
}

static gboolean
pg_purple_commands_send_im(const PgIpcMessage *msg, GError **error)
{
	PgPurpleWorker *worker = pg_purple_worker_get();
	PgPurpleAccount *entry = pg_purple_commands_account(msg, error);
	const gchar *to = pg_ipc_message_get_string(msg, "to");
	const gchar *message_id = pg_ipc_message_get_string(msg, "message_id");
	g_autofree gchar *html = NULL;
	PurpleConnection *gc;
	gboolean sms;
	gint sent;

	if (entry == NULL || !pg_purple_commands_check_name(entry, to, "recipient", error))
		return FALSE;
	sms = pg_purple_commands_is_sms(entry);
	/* other protocols have no use for it (and would keep the setting) */
	if (!sms)
		message_id = NULL;
	if (message_id != NULL && !pg_purple_commands_check_message_id(message_id, error))
		return FALSE;
	gc = pg_purple_commands_connection(entry, error);
	if (gc == NULL)
		return FALSE;
	html = pg_purple_commands_to_html(pg_ipc_message_get_string(msg, "body"));
	if (message_id != NULL)
		purple_account_set_string(entry->account, PG_PURPLE_SETTING_NEXT_MESSAGE_ID,
					  message_id);
	/* Pidgin and bitlbee always send from an open conversation, and
	 * plugins count on one: prpl-jabber looks it up to decide on custom
	 * smileys and fails an assertion without it (issue 9). */
	if (purple_find_conversation_with_account(PURPLE_CONV_TYPE_IM, to, entry->account) ==
	    NULL)
		purple_conversation_new(PURPLE_CONV_TYPE_IM, entry->account, to);
	worker->sending_request = msg->id;
	pg_purple_receipts_arm(entry->account, msg); /* XEP-0184: pg-purple-receipts.c */
	sent = pg_purple_lines_is_irc(entry->account) /* /me, long lines: pg-purple-lines.c */
		   ? pg_purple_lines_send_im(entry->account, to, msg, NULL)
		   : serv_send_im(gc, to, html, 0);
	worker->sending_request = 0;
	pg_purple_receipts_disarm();
	/* send_im takes the id; should it not have run, a later send must not
	 * reuse this one */
	if (message_id != NULL &&
	    purple_account_get_string(entry->account, PG_PURPLE_SETTING_NEXT_MESSAGE_ID, NULL) !=
		NULL)
		purple_account_set_string(entry->account, PG_PURPLE_SETTING_NEXT_MESSAGE_ID, NULL);
	/* an SMS refusal was already reported, with its reason, as sms-sent */
	if (sent < 0 && !sms) {
		g_set_error(error, PG_ERROR, PG_ERROR_RECIPIENT_UNAVAILABLE,
			    "cannot send a message to %s", to);
		return FALSE;
	}
	return TRUE;
}

/* An inbound SMS, which Kannel handed to the daemon: it becomes a received
 * IM on the account's connection, so the ordinary received-im-msg path
 * reports it (as im-received) and any libpurple plugin sees it too.  Only
 * for prpl-polygate-sms, which has no inbound path of its own: on any other
 * protocol this would forge a message from a user of that network. */
static gboolean
pg_purple_commands_inject_im(const PgIpcMessage *msg, GError **error)
{
	PgPurpleAccount *entry = pg_purple_commands_account(msg, error);
	const gchar *from = pg_ipc_message_get_string(msg, "from");
	g_autofree gchar *html = NULL;
	g_autofree gchar *received = NULL;
	PurpleConnection *gc;

	if (entry == NULL || !pg_purple_commands_check_name(entry, from, "sender", error))
		return FALSE;
	if (!pg_purple_commands_is_sms(entry)) {
		g_set_error(error, PG_ERROR, PG_ERROR_FEATURE_NOT_IMPLEMENTED,
			    "inject-im is for %s accounts only", PG_PURPLE_SMS_PROTOCOL);
		return FALSE;
	}
	gc = purple_account_get_connection(entry->account);
	if (gc == NULL || purple_connection_get_state(gc) != PURPLE_CONNECTED) {
		g_set_error(error, PG_ERROR, PG_ERROR_RECIPIENT_UNAVAILABLE,
			    "account %s is not connected", entry->key);
		return FALSE;
	}
	html = pg_purple_commands_to_html(pg_ipc_message_get_string(msg, "body"));
	/* im-received strips the HTML again, and purple_markup_strip_html()
	 * turns any raw whitespace but a space into a space; an entity comes
	 * back as the character itself */
	received = purple_strreplace(html, "\t", "&#9;");
	serv_got_im(gc, from, received, PURPLE_MESSAGE_RECV, time(NULL));
	return TRUE;
}

static gboolean
pg_purple_commands_typing(const PgIpcMessage *msg, GError **error)
{
	PgPurpleAccount *entry = pg_purple_commands_account(msg, error);
	const gchar *to = pg_ipc_message_get_string(msg, "to");
	const gchar *state = pg_ipc_message_get_string(msg, "state");
	PurpleTypingState typing;
	PurpleConnection *gc;

	if (entry == NULL || !pg_purple_commands_check_name(entry, to, "recipient", error))
		return FALSE;
	if (!pg_purple_chatstate_to_typing(state, &typing)) {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST, "%s is no XEP-0085 chat state",
			    state);
		return FALSE;
	}
	gc = pg_purple_commands_connection(entry, error);
	if (gc == NULL)
		return FALSE;
	serv_send_typing(gc, to, typing);
	return TRUE;
}

static gboolean
pg_purple_commands_join_room(const PgIpcMessage *msg, GError **error)
{
	PgPurpleAccount *entry = pg_purple_commands_account(msg, error);
	const gchar *room = pg_ipc_message_get_string(msg, "room");
	g_autoptr(PgSecret) password = pg_ipc_message_dup_secret(msg, "password");
	PurplePluginProtocolInfo *prpl_info;
	PurpleConversation *conv;
	PurpleConnection *gc;
	GHashTable *components;
	gchar *secret_value = NULL;

	if (entry == NULL || !pg_purple_commands_check_name(entry, room, "room", error))
		return FALSE;
	gc = pg_purple_commands_connection(entry, error);
	if (gc == NULL)
		return FALSE;
	/* the room's own encoding, or the server's again (pg-purple-lines.c),
	 * also for a room still joined */
	if (pg_ipc_message_has_field(msg, "charset"))
		g_hash_table_replace(entry->room_charsets, g_utf8_casefold(room, -1),
				     g_strdup(pg_ipc_message_get_string(msg, "charset")));
	else {
		g_autofree gchar *key = g_utf8_casefold(room, -1);
		g_hash_table_remove(entry->room_charsets, key);
	}
	conv = purple_find_conversation_with_account(PURPLE_CONV_TYPE_CHAT, room, entry->account);
	if (conv != NULL && !purple_conv_chat_has_left(purple_conversation_get_chat_data(conv)) &&
	    pg_purple_events_room_report(conv))
		return TRUE;
	prpl_info = PURPLE_PLUGIN_PROTOCOL_INFO(purple_connection_get_prpl(gc));
	if (prpl_info->join_chat == NULL || prpl_info->chat_info_defaults == NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_FEATURE_NOT_IMPLEMENTED,
			    "%s has no rooms", purple_account_get_protocol_id(entry->account));
		return FALSE;
	}
	/* the nick field is not used: prpl-irc has one nick per connection */
	components = prpl_info->chat_info_defaults(gc, room);
	if (password != NULL && prpl_info->chat_info != NULL) {
		GList *entries = prpl_info->chat_info(gc);
		for (GList *l = entries; l != NULL; l = l->next) {
			struct proto_chat_entry *field = l->data;
			if (field->secret && secret_value == NULL) {
				secret_value = g_strdup(pg_secret_get_string(password));
				/* keys are the prpl's static identifiers */
				g_hash_table_replace(components, (gpointer)field->identifier,
						     secret_value);
			}
		}
		g_list_free_full(entries, g_free);
	}
	g_hash_table_replace(entry->requested_rooms, g_utf8_casefold(room, -1), g_strdup(room));
	serv_join_chat(gc, components);
	if (secret_value != NULL)
		explicit_bzero(secret_value, strlen(secret_value));
	g_hash_table_destroy(components);
	return TRUE;
}

static gboolean
pg_purple_commands_leave_room(const PgIpcMessage *msg, GError **error)
{
	PgPurpleAccount *entry = pg_purple_commands_account(msg, error);
	const gchar *room = pg_ipc_message_get_string(msg, "room");
	g_autofree gchar *folded = NULL;
	PurpleConversation *conv;

	if (entry == NULL)
		return FALSE;
	conv = pg_purple_commands_room(entry, room, error);
	if (conv == NULL)
		return FALSE;
	folded = g_utf8_casefold(room, -1);
	pg_purple_events_forget_room(conv, NULL);
	g_hash_table_remove(entry->requested_rooms, folded);
	/* parts the channel (serv_chat_leave) and frees the conversation */
	purple_conversation_destroy(conv);
	return TRUE;
}

static gboolean
pg_purple_commands_room_message(const PgIpcMessage *msg, GError **error)
{
	PgPurpleAccount *entry = pg_purple_commands_account(msg, error);
	PurpleConversation *conv;
	g_autofree gchar *html = NULL;

	if (entry == NULL)
		return FALSE;
	conv = pg_purple_commands_room(entry, pg_ipc_message_get_string(msg, "room"), error);
	if (conv == NULL)
		return FALSE;
	html = pg_purple_commands_to_html(pg_ipc_message_get_string(msg, "body"));
	if (pg_purple_lines_is_irc(entry->account)) /* /me, long lines (pg-purple-lines.c) */
		return pg_purple_lines_send(conv, pg_ipc_message_get_string(msg, "body"), html,
					    error);
	purple_conv_chat_send(purple_conversation_get_chat_data(conv), html);
	return TRUE;
}

static gboolean
pg_purple_commands_set_room_subject(const PgIpcMessage *msg, GError **error)
{
	PgPurpleAccount *entry = pg_purple_commands_account(msg, error);
	const gchar *subject = pg_ipc_message_get_string(msg, "subject");
	PurplePluginProtocolInfo *prpl_info;
	PurpleConversation *conv;
	PurpleConnection *gc;

	if (entry == NULL)
		return FALSE;
	/* a topic is one protocol line: no control characters (spaces are fine) */
	for (const gchar *p = subject; *p != '\0'; p++) {
		if ((guchar)*p < 0x20) {
			g_set_error_literal(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
					    "subject contains a control character");
			return FALSE;
		}
	}
	gc = pg_purple_commands_connection(entry, error);
	if (gc == NULL)
		return FALSE;
	conv = pg_purple_commands_room(entry, pg_ipc_message_get_string(msg, "room"), error);
	if (conv == NULL)
		return FALSE;
	prpl_info = PURPLE_PLUGIN_PROTOCOL_INFO(purple_connection_get_prpl(gc));
	if (prpl_info->set_chat_topic == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_FEATURE_NOT_IMPLEMENTED,
				    "this protocol cannot set a room subject");
		return FALSE;
	}
	prpl_info->set_chat_topic(gc, purple_conv_chat_get_id(purple_conversation_get_chat_data(conv)),
				  subject);
	return TRUE;
}

static gboolean
pg_purple_commands_room_private_message(const PgIpcMessage *msg, GError **error)
{
	PgPurpleAccount *entry = pg_purple_commands_account(msg, error);
	const gchar *nick = pg_ipc_message_get_string(msg, "nick");
	PurplePluginProtocolInfo *prpl_info;
	PurpleConversation *conv;
	PurpleConnection *gc;
	g_autofree gchar *who = NULL;
	g_autofree gchar *html = NULL;

	if (entry == NULL || !pg_purple_commands_check_name(entry, nick, "nick", error))
		return FALSE;
	gc = pg_purple_commands_connection(entry, error);
	if (gc == NULL)
		return FALSE;
	conv = pg_purple_commands_room(entry, pg_ipc_message_get_string(msg, "room"), error);
	if (conv == NULL)
		return FALSE;
	prpl_info = PURPLE_PLUGIN_PROTOCOL_INFO(purple_connection_get_prpl(gc));
	if (prpl_info->get_cb_real_name != NULL)
		who = prpl_info->get_cb_real_name(
		    gc, purple_conv_chat_get_id(purple_conversation_get_chat_data(conv)), nick);
	if (who == NULL)
		who = g_strdup(nick);
	html = pg_purple_commands_to_html(pg_ipc_message_get_string(msg, "body"));
	if ((pg_purple_lines_is_irc(entry->account)
		 ? pg_purple_lines_send_im(entry->account, who, msg, NULL)
		 : serv_send_im(gc, who, html, 0)) < 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_RECIPIENT_UNAVAILABLE,
			    "cannot send a message to %s", nick);
		return FALSE;
	}
	return TRUE;
}

static gboolean
pg_purple_commands_hello(const PgIpcMessage *msg, GError **error)
{
	guint32 version = pg_ipc_message_get_uint32(msg, "version", 0);

	if (version != PG_IPC_PROTOCOL_VERSION) {
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
			    "daemon speaks protocol %u, this worker %u", version,
			    (guint)PG_IPC_PROTOCOL_VERSION);
		return FALSE;
	}
	return TRUE;
}

static gboolean
pg_purple_commands_ping(const PgIpcMessage *msg, GError **error)
{
	PgPurpleWorker *worker = pg_purple_worker_get();

	pg_purple_worker_emit(pg_purple_worker_message_new(PG_IPC_PONG, msg->id, NULL));
	pg_purple_worker_emit(pg_purple_worker_message_new(
	    PG_IPC_EVT_STATS, msg->id, "rss_kib", g_variant_new_uint64(pg_purple_worker_rss_kib()),
	    "accounts", g_variant_new_uint32(g_hash_table_size(worker->accounts)), NULL));
	return TRUE;
}

void
pg_purple_commands_dispatch(const PgIpcMessage *msg)
{
	g_autoptr(GError) error = NULL;
	gboolean ok = TRUE;

	/* lines handed to prpl-irc go out now, not at its next queue tick */
	pg_purple_sendq_kick();
	switch (msg->kind) {
	case PG_IPC_HELLO:
		ok = pg_purple_commands_hello(msg, &error);
		if (!ok) {
			pg_purple_worker_emit_error(NULL, msg->id, error);
			pg_purple_worker_quit(EXIT_FAILURE);
			return;
		}
		break;
	case PG_IPC_PING:
		ok = pg_purple_commands_ping(msg, &error);
		break;
	case PG_IPC_PONG:
		break;
	case PG_IPC_CMD_LOGIN:
		ok = pg_purple_login(msg, &error);
		break;
	case PG_IPC_CMD_LOGOUT:
		ok = pg_purple_commands_logout(msg, &error);
		break;
	case PG_IPC_CMD_SET_STATUS:
		ok = pg_purple_commands_set_status(msg, &error);
		break;
	case PG_IPC_CMD_SEND_IM:
		ok = pg_purple_commands_send_im(msg, &error);
		break;
	case PG_IPC_CMD_INJECT_IM:
		ok = pg_purple_commands_inject_im(msg, &error);
		break;
	case PG_IPC_CMD_TYPING:
		ok = pg_purple_commands_typing(msg, &error);
		break;
	case PG_IPC_CMD_RECEIPT:
		ok = pg_purple_receipts_answer(msg, &error);
		break;
	case PG_IPC_CMD_JOIN_ROOM:
		ok = pg_purple_commands_join_room(msg, &error);
		break;
	case PG_IPC_CMD_LEAVE_ROOM:
		ok = pg_purple_commands_leave_room(msg, &error);
		break;
	case PG_IPC_CMD_ROOM_MESSAGE:
		ok = pg_purple_commands_room_message(msg, &error);
		break;
	case PG_IPC_CMD_SET_ROOM_SUBJECT:
		ok = pg_purple_commands_set_room_subject(msg, &error);
		break;
	case PG_IPC_CMD_ROOM_PRIVATE_MESSAGE:
		ok = pg_purple_commands_room_private_message(msg, &error);
		break;
	case PG_IPC_CMD_ADD_BUDDY:
		ok = pg_purple_buddies_add(msg, &error);
		break;
	case PG_IPC_CMD_REMOVE_BUDDY:
		ok = pg_purple_buddies_remove(msg, &error);
		break;
	case PG_IPC_CMD_ANSWER:
		ok = pg_purple_request_answer(msg, &error);
		break;
	case PG_IPC_CMD_SHUTDOWN:
		pg_purple_worker_quit(EXIT_SUCCESS);
		break;
	case PG_IPC_CMD_PROTOCOL_INFO:
		ok = pg_purple_protocol_info(msg, &error);
		break;
	default:
		/* moderation and invites (pg-purple-admin.c), or unhandled */
		ok = pg_purple_admin_dispatch(msg, &error);
		break;
	}
	if (!ok)
		pg_purple_worker_emit_error(pg_ipc_message_get_string(msg, "account"), msg->id,
					    error);
	else
		pg_purple_numerics_expect(msg); /* the server may still refuse it */
}
