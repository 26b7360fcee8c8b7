/* A user's text as IRC lines: /me, long lines and pastes (prpl-irc only).
 *
 * WHY: prpl-irc sends what the conversation gets as PRIVMSG, split at
 * newlines and at IRC_MAX_MSG_SIZE - strlen(target) - 64 bytes
 * (irc/cmds.c irc_cmd_privmsg).  Those 64 bytes are less than the prefix a
 * server puts in front when it relays the line (":nick!user@host "), so a
 * long line from a user with a long host name reaches the others cut short
 * (RFC 2812 §2.3: 512 bytes with CRLF, prefix included).  And "/me waves"
 * goes out as the literal text: Pidgin parses the command in its UI
 * (purple_cmd_do_command()), and our conversations have none.
 *
 * HOW: each line of the body (XEP-0245 §2: "/me " at the very start makes
 * the whole body an action) is cut at UTF-8 character boundaries, at a space
 * where there is one in the last quarter (that space is left out: it
 * becomes the line break), into pieces that fit with the
 * largest prefix a server may add: nick, a USERLEN of 10, a HOSTLEN of 63
 * (RFC 2812 §1.2.1 / the ircd defaults).  Each piece goes through prpl-irc's
 * own "quote" command, so that every line takes the same queue and the same
 * token bucket (ratelimit-interval/-burst) as anything prpl-irc sends: a
 * paste leaves under the throttle, in order.  An empty line is skipped (IRC
 * has no empty PRIVMSG: 412 ERR_NOTEXTTOSEND).  In a room, one echo of the
 * whole body follows, as irc_chat_send() gives one, so the daemon reflects
 * one message with the user's id (XEP-0045 §7.2.16).
 *
 * The daemon refuses a paste of more lines than the transport's
 * max_lines_per_message before it gets here (src/session/pg-limits.c).
 *
 * NOTICE, the other way: prpl-irc hands a NOTICE over as a message whose
 * text starts with "(notice) " (irc/msgs.c irc_msg_handle_privmsg()): in a
 * channel it is a channel line, to us a private one.  So a NOTICE reaches
 * the user as the same type as a PRIVMSG from the same place: groupchat
 * from room/nick, chat from nick%server; a client shows it in the
 * conversation it belongs to, and the prefix tells it apart.
 */
#define G_LOG_DOMAIN "pg-purple"

#include "config.h"

#include <string.h>
#include <time.h>

#include "core/pg-error.h"
#include "pg-purple-lines.h"
#include "pg-purple-sendq.h"
#include "pg-purple-worker.h"

/* RFC 2812 §2.3: a line is at most 512 bytes, CRLF included */
#define PG_PURPLE_LINES_MAX 512
/* The prefix a server adds when it relays: ":" nick "!" user "@" host " ",
 * with USERLEN 10 (an ident's "~" included) and HOSTLEN 63 */
#define PG_PURPLE_LINES_PREFIX_FIXED (1 + 1 + 10 + 1 + 63 + 1)
/* never cut a line into pieces smaller than this (a huge target name) */
#define PG_PURPLE_LINES_PIECE_MIN 64

gsize
pg_purple_lines_piece_max(const gchar *nick, const gchar *target, gboolean action)
{
	gssize room = PG_PURPLE_LINES_MAX - 2 /* CRLF */ - PG_PURPLE_LINES_PREFIX_FIXED -
		      (gssize)strlen(nick != NULL ? nick : "") - (gssize)strlen("PRIVMSG ") -
		      (gssize)strlen(target) - (gssize)strlen(" :");

	if (action)
		room -= (gssize)strlen("\001ACTION \001");
	return (gsize)MAX(room, PG_PURPLE_LINES_PIECE_MIN);
}

/* The end of the next piece of @text (at most @max bytes): at a character
 * boundary, at the last space if one is in the last quarter. */
static const gchar *
pg_purple_lines_cut(const gchar *text, gsize max)
{
	const gchar *end = text + max;
	const gchar *space;

	if (strlen(text) <= max)
		return text + strlen(text);
	/* back to the start of the character that would be split */
	while (end > text && ((guchar)*end & 0xC0) == 0x80)
		end--;
	if (end == text)
		return text + max; /* not UTF-8 after all: cut where it fits */
	space = g_strrstr_len(text, end - text, " ");
	if (space != NULL && space > text && (gsize)(space - text) >= max * 3 / 4)
		return space;
	return end;
}

GPtrArray *
pg_purple_lines_split(const gchar *body, gsize max, gboolean *action)
{
	GPtrArray *pieces = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) lines = NULL;

	*action = g_str_has_prefix(body, "/me ");
	lines = g_strsplit(*action ? body + strlen("/me ") : body, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_autofree gchar *line = g_strdelimit(g_strdup(lines[i]), "\r", ' ');
		const gchar *p = line;

		while (*p != '\0') {
			const gchar *end = pg_purple_lines_cut(p, max);
			g_ptr_array_add(pieces, g_strndup(p, end - p));
			/* a space where the line is cut is the line break: servers
			 * drop a line's trailing spaces anyway (ngircd does) */
			p = *end == ' ' ? end + 1 : end;
		}
	}
	return pieces;
}

/* The charset prpl-irc sends in: the first of its "encoding" option (its
 * irc_send_convert()), or NULL for UTF-8, which needs no conversion.
 * (transfer full) */
static gchar *
pg_purple_lines_out_charset(PurpleAccount *account, const gchar *room)
{
	const gchar *list = purple_account_get_string(account, "encoding", "UTF-8");
	PgPurpleAccount *entry = pg_purple_worker_lookup(account);
	const gchar *own = NULL;

	if (room != NULL && entry != NULL && entry->room_charsets != NULL) {
		g_autofree gchar *key = g_utf8_casefold(room, -1);
		own = g_hash_table_lookup(entry->room_charsets, key);
	}
	if (own != NULL)
		list = own;
	g_autofree gchar *first = g_strndup(list, strcspn(list, ","));

	g_strstrip(first);
	if (first[0] == '\0' || g_ascii_strcasecmp(first, "UTF-8") == 0 ||
	    g_ascii_strcasecmp(first, "UTF8") == 0)
		return NULL;
	return g_steal_pointer(&first);
}

/* A server with another encoding (the per-server setting, issue 10):
 * "quote" sends its line verbatim (irc_cmd_quote: irc_format "v"), so the
 * line is converted here, a character the charset lacks becoming '?', and
 * handed to send_raw: prpl-irc's same send queue and throttle. */
static gboolean
pg_purple_lines_send_converted(PurpleConnection *gc, const gchar *line, const gchar *charset,
			       GError **error)
{
	PurplePlugin *prpl = purple_connection_get_prpl(gc);
	PurplePluginProtocolInfo *info = prpl != NULL ? PURPLE_PLUGIN_PROTOCOL_INFO(prpl) : NULL;
	g_autoptr(GError) local = NULL;
	gsize written = 0;
	g_autofree gchar *converted =
	    g_convert_with_fallback(line, -1, charset, "UTF-8", "?", NULL, &written, &local);
	g_autofree gchar *raw = NULL;

	if (converted == NULL || info == NULL || !PURPLE_PROTOCOL_PLUGIN_HAS_FUNC(info, send_raw)) {
		g_set_error(error, PG_ERROR, PG_ERROR_SERVICE_UNAVAILABLE,
			    "cannot send in %s: %s", charset,
			    local != NULL ? local->message : "the protocol has no raw send");
		return FALSE;
	}
	raw = g_malloc(written + 3);
	memcpy(raw, converted, written);
	memcpy(raw + written, "\r\n", 3);
	info->send_raw(gc, raw, (int)(written + 2));
	pg_purple_sendq_kick();
	return TRUE;
}

gboolean
pg_purple_lines_send(PurpleConversation *conv, const gchar *body, const gchar *html, GError **error)
{
	PurpleConnection *gc = purple_conversation_get_gc(conv);
	const gchar *target = purple_conversation_get_name(conv);
	const gchar *nick = gc != NULL ? purple_connection_get_display_name(gc) : NULL;
	g_autoptr(GPtrArray) pieces = NULL;
	g_autofree gchar *charset = NULL;
	gboolean action;
	gsize max;

	if (gc == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_SERVICE_UNAVAILABLE,
				    "the account is not connected");
		return FALSE;
	}
	charset = pg_purple_lines_out_charset(
	    purple_connection_get_account(gc),
	    purple_conversation_get_type(conv) == PURPLE_CONV_TYPE_CHAT ? target : NULL);
	max = pg_purple_lines_piece_max(nick, target, g_str_has_prefix(body, "/me "));
	pieces = pg_purple_lines_split(body, max, &action);
	for (guint i = 0; i < pieces->len; i++) {
		const gchar *piece = g_ptr_array_index(pieces, i);
		g_autofree gchar *command =
		    action ? g_strdup_printf("quote PRIVMSG %s :\001ACTION %s\001", target, piece)
			   : g_strdup_printf("quote PRIVMSG %s :%s", target, piece);
		gchar *failure = NULL;
		PurpleCmdStatus status;

		if (charset != NULL) {
			if (!pg_purple_lines_send_converted(gc, command + strlen("quote "), charset,
							    error))
				return FALSE;
			continue;
		}
		status = purple_cmd_do_command(conv, command, command, &failure);

		if (status != PURPLE_CMD_STATUS_OK) {
			g_set_error(error, PG_ERROR, PG_ERROR_SERVICE_UNAVAILABLE,
				    "cannot send to %s (%s)", target,
				    failure != NULL ? failure : "no quote command");
			g_free(failure);
			return FALSE;
		}
		g_free(failure);
	}
	/* one echo for the whole body, as irc_chat_send() and
	 * irc_cmd_ctcp_action() give (a room's reflection, XEP-0045 §7.2.16) */
	if (purple_conversation_get_type(conv) == PURPLE_CONV_TYPE_CHAT)
		serv_got_chat_in(gc, purple_conv_chat_get_id(PURPLE_CONV_CHAT(conv)), nick,
				 PURPLE_MESSAGE_SEND, html, time(NULL));
	return TRUE;
}

gint
pg_purple_lines_send_im(PurpleAccount *account, const gchar *to, const PgIpcMessage *msg,
			GError **error)
{
	PurpleConversation *conv =
	    purple_find_conversation_with_account(PURPLE_CONV_TYPE_IM, to, account);

	if (conv == NULL)
		conv = purple_conversation_new(PURPLE_CONV_TYPE_IM, account, to);
	return pg_purple_lines_send(conv, pg_ipc_message_get_string(msg, "body"), NULL, error)
		   ? 1
		   : -1;
}

/* ---------------------------------------------------------------- rooms' own encodings */

static int pg_purple_lines_handle;
/* The last line converted: irc_parse_msg() (irc/parse.c) hands its read
 * buffer to the signal and parses whatever the pointer then points to,
 * freeing neither, so the converted copy is ours to keep until the next
 * line (the parse of a line ends before the next one is read). */
static gchar *pg_purple_lines_converted;

/* The room's encoding of a line that names one of @entry's rooms with one
 * (a parameter before the trailing one: PRIVMSG #c, NOTICE #c, TOPIC #c,
 * 332 me #c ...), or NULL. */
static const gchar *
pg_purple_lines_line_charset(PgPurpleAccount *entry, const gchar *line)
{
	g_auto(GStrv) words = NULL;
	const gchar *p = line;
	const gchar *trailing;
	g_autofree gchar *head = NULL;

	if (*p == ':')
		p = strchr(p, ' ') != NULL ? strchr(p, ' ') + 1 : p + strlen(p);
	trailing = strstr(p, " :");
	head = trailing != NULL ? g_strndup(p, trailing - p) : g_strdup(p);
	words = g_strsplit(head, " ", 6);
	for (guint i = 1; words[i] != NULL; i++) {
		g_autofree gchar *key = NULL;
		const gchar *charset;

		/* g_utf8_casefold() walks UTF-8: a name with other bytes is none
		 * of ours (the daemon's room names are UTF-8) */
		if ((words[i][0] != '#' && words[i][0] != '&') ||
		    !g_utf8_validate(words[i], -1, NULL))
			continue;
		key = g_utf8_casefold(words[i], -1);
		charset = g_hash_table_lookup(entry->room_charsets, key);
		if (charset != NULL)
			return charset;
	}
	return NULL;
}

/* prpl-irc's "irc-receiving-text" (irc.c, each line before it is parsed):
 * a line of a room with its own encoding that is not UTF-8 becomes UTF-8
 * here, which prpl-irc then reads as it is (autodetect_utf8, set by the
 * daemon's IRC driver). */
static void
pg_purple_lines_receiving_cb(PurpleConnection *gc, gchar **text, gpointer user_data)
{
	PgPurpleAccount *entry = pg_purple_worker_lookup(purple_connection_get_account(gc));
	const gchar *charset;
	gchar *converted;

	if (entry == NULL || entry->room_charsets == NULL ||
	    g_hash_table_size(entry->room_charsets) == 0 || text == NULL || *text == NULL ||
	    g_utf8_validate(*text, -1, NULL))
		return;
	/* the command and the room names are ASCII in any charset we take */
	charset = pg_purple_lines_line_charset(entry, *text);
	if (charset == NULL)
		return;
	converted = g_convert(*text, -1, "UTF-8", charset, NULL, NULL, NULL);
	if (converted == NULL)
		return; /* prpl-irc's own list reads it */
	/* *text is prpl-irc's read buffer: never ours to free */
	g_free(pg_purple_lines_converted);
	pg_purple_lines_converted = converted;
	*text = converted;
}

void
pg_purple_lines_connect(void)
{
	PurplePlugin *irc = purple_plugins_find_with_id("prpl-irc");

	if (irc != NULL && purple_plugin_is_loaded(irc))
		purple_signal_connect(irc, "irc-receiving-text", &pg_purple_lines_handle,
				      PURPLE_CALLBACK(pg_purple_lines_receiving_cb), NULL);
}

void
pg_purple_lines_disconnect(void)
{
	purple_signals_disconnect_by_handle(&pg_purple_lines_handle);
	g_clear_pointer(&pg_purple_lines_converted, g_free);
}
