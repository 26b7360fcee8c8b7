/* A room's moderation and invites on IRC (prpl-irc only): room-admin in,
 * room-admin-done or error out; MODE changes and INVITEs to us as events.
 *
 * DESIGN: a room-admin command becomes the IRC line its action needs, sent
 * through prpl-irc's own "quote" command (so it takes the same queue and
 * throttle as every other line):
 *   kick nick (reason)        KICK #chan nick :reason
 *   ban mask [nick]           MODE #chan +b mask, then KICK #chan nick
 *   unban mask | nick         MODE #chan -b mask
 *   op/deop/voice/devoice     MODE #chan +o/-o/+v/-v nick
 *   invite nick               INVITE nick #chan
 *   nick nick                 NICK nick (the connection's: every room)
 *   bans                      MODE #chan +b (the list: 367 ... 368)
 *   notice nick reason        NOTICE nick :reason (a bridge's "we moved"
 *                             to a joiner; done once sent, no answer comes)
 *   quit reason               QUIT :reason, the connection's (a bridge's
 *                             occupant connection parks or its person left,
 *                             src/bridge/pg-bridge-clients.c); done once
 *                             sent, after the lines queued before it
 *   names                     NAMES #chan (353 ... 366), also for a channel
 *                             we are not in: a bridge checks who is chanop
 *                             before it joins (src/bridge/pg-bridge.c);
 *                             masks = the names with their prefixes (@bob)
 * IRC confirms most of these only by echoing the change to the channel
 * (RFC 2812 §3.2.3, §3.2.8) and refuses with a numeric, so each command is
 * remembered as an expectation (account, request id, channel, nick or mask)
 * and the raw lines prpl-irc receives ("irc-receiving-text") settle it:
 *   our own KICK / MODE / 341 RPL_INVITING / 368 RPL_ENDOFBANLIST
 *                                                 room-admin-done
 *   482 ERR_CHANOPRIVSNEEDED                      forbidden
 *   401 ERR_NOSUCHNICK, 403, 441 ERR_USERNOTINCHANNEL  item-not-found
 *   443 ERR_USERONCHANNEL, 433 ERR_NICKNAMEINUSE  conflict
 *   our own NICK                                  room-admin-done
 *   432 ERR_ERRONEUSNICKNAME                      not-acceptable
 *   442 ERR_NOTONCHANNEL                          not-acceptable
 * The oldest expectation of the channel takes the answer (a server answers
 * in order).  One with no answer in PG_PURPLE_ADMIN_TTL_S fails with
 * remote-server-timeout, so the daemon's IQ is always answered.
 *
 * A ban of a nick bans its host, *!*@host, when prpl-irc knows it (the
 * "userhost" of the chat buddy, from its JOIN or the WHO after ours), so
 * that another nick does not bring the user back; else nick!*@*.  The mask
 * set for a nick is kept (pg_purple_admin_banned) so that "unban nick"
 * lifts that same mask (XEP-0045 §9.2: affiliation none on an outcast);
 * a nick the gateway never banned is item-not-found.
 *
 * The other way: libpurple reports occupant flag changes (prpl-irc's
 * irc_msg_mode() for +o/-o/+h/+v/-v) with "chat-buddy-flags", which becomes
 * room-occupant with change "flags"; an INVITE becomes "chat-invited",
 * which becomes room-invited, and the prompt libpurple would show is
 * declined here: the user answers from their client (or not at all).
 */
#define G_LOG_DOMAIN "pg-purple"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "pg-purple-admin.h"
#include "pg-purple-events.h"
#include "pg-purple-lines.h"
#include "pg-purple-text.h"
#include "pg-purple-worker.h"

#define PG_PURPLE_ADMIN_TTL_S 30

typedef struct {
	gchar *account;
	guint32 request;
	gchar *channel; /* casefolded */
	gchar *nick;    /* casefolded, or NULL */
	gchar *action;
	GPtrArray *masks; /* bans: the list so far */
	guint timeout_id;
} PgAdminExpect;

/* every pending expectation, oldest first; the worker is single-threaded */
static GQueue pg_purple_admin_pending = G_QUEUE_INIT;
static gint pg_purple_admin_handle;
/* "account\nchannel\nnick" (casefolded) -> the mask its ban set */
static GHashTable *pg_purple_admin_banned;
/* bans remembered at most; past it the memory starts over */
#define PG_PURPLE_ADMIN_BANNED_MAX 1024

static void
pg_admin_expect_free(PgAdminExpect *expect)
{
	g_clear_handle_id(&expect->timeout_id, g_source_remove);
	g_free(expect->account);
	g_free(expect->channel);
	g_free(expect->nick);
	g_free(expect->action);
	g_clear_pointer(&expect->masks, g_ptr_array_unref);
	g_free(expect);
}

static void
pg_purple_admin_settle(PgAdminExpect *expect, const GError *error)
{
	g_queue_remove(&pg_purple_admin_pending, expect);
	if (error != NULL) {
		pg_purple_worker_emit_error(expect->account, expect->request, error);
	} else {
		GVariant *masks = NULL;
		if (expect->masks != NULL) {
			GVariantBuilder builder;
			g_variant_builder_init(&builder, G_VARIANT_TYPE("as"));
			for (guint i = 0; i < expect->masks->len; i++)
				g_variant_builder_add_value(
				    &builder,
				    pg_purple_text_new(g_ptr_array_index(expect->masks, i)));
			masks = g_variant_builder_end(&builder);
		}
		pg_purple_worker_emit(pg_purple_worker_message_new(
		    PG_IPC_EVT_ROOM_ADMIN_DONE, expect->request, "account",
		    pg_purple_text_new(expect->account), "request",
		    g_variant_new_uint32(expect->request), "masks", masks, NULL));
	}
	pg_admin_expect_free(expect);
}

static gboolean
pg_purple_admin_timeout_cb(gpointer user_data)
{
	PgAdminExpect *expect = user_data;
	g_autoptr(GError) error =
	    g_error_new(PG_ERROR, PG_ERROR_REMOTE_SERVER_TIMEOUT,
			"the IRC server did not answer the %s", expect->action);

	expect->timeout_id = 0;
	pg_purple_admin_settle(expect, error);
	return G_SOURCE_REMOVE;
}

/* A name that goes into a protocol line as one word. */
static gboolean
pg_purple_admin_check_word(const gchar *value, const gchar *what, GError **error)
{
	if (value == NULL || value[0] == '\0' || value[0] == ':') {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST, "no %s", what);
		return FALSE;
	}
	for (const gchar *p = value; *p != '\0'; p++) {
		if ((guchar)*p <= 0x20 || *p == 0x7f || *p == ',') {
			g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "%s contains a forbidden character (0x%02x)", what, (guchar)*p);
			return FALSE;
		}
	}
	return TRUE;
}

/* prpl-irc's "quote": the line as it is, through its queue. */
static gboolean
pg_purple_admin_quote(PurpleConversation *conv, const gchar *line, GError **error)
{
	g_autofree gchar *command = g_strdup_printf("quote %s", line);
	gchar *failure = NULL;

	if (purple_cmd_do_command(conv, command, command, &failure) != PURPLE_CMD_STATUS_OK) {
		g_set_error(error, PG_ERROR, PG_ERROR_SERVICE_UNAVAILABLE, "cannot send: %s",
			    failure != NULL ? failure : "no quote command");
		g_free(failure);
		return FALSE;
	}
	g_free(failure);
	return TRUE;
}

static gchar *
pg_purple_admin_banned_key(const gchar *account, const gchar *channel, const gchar *nick)
{
	g_autofree gchar *folded_channel = g_utf8_casefold(channel, -1);
	g_autofree gchar *folded_nick = g_utf8_casefold(nick, -1);
	return g_strdup_printf("%s\n%s\n%s", account, folded_channel, folded_nick);
}

/* The mask that bans @nick in @conv: its host if prpl-irc knows it. */
static gchar *
pg_purple_admin_ban_mask(PurpleConversation *conv, const gchar *nick)
{
	PurpleConvChatBuddy *buddy = purple_conv_chat_cb_find(PURPLE_CONV_CHAT(conv), nick);
	const gchar *userhost =
	    buddy != NULL ? purple_conv_chat_cb_get_attribute(buddy, "userhost") : NULL;
	const gchar *host = userhost != NULL ? strrchr(userhost, '@') : NULL;

	if (host != NULL && host[1] != '\0' && pg_purple_admin_check_word(host + 1, "host", NULL))
		return g_strdup_printf("*!*@%s", host + 1);
	return g_strdup_printf("%s!*@*", nick);
}

static void
pg_purple_admin_expect(const gchar *key, guint32 request, const gchar *room, const gchar *nick,
		       const gchar *action)
{
	PgAdminExpect *expect = g_new0(PgAdminExpect, 1);

	expect->account = g_strdup(key);
	expect->request = request;
	expect->channel = g_utf8_casefold(room, -1);
	expect->nick = g_utf8_casefold(nick != NULL ? nick : "", -1);
	expect->action = g_strdup(action);
	if (g_strcmp0(action, "bans") == 0 || g_strcmp0(action, "names") == 0)
		expect->masks = g_ptr_array_new_with_free_func(g_free);
	expect->timeout_id =
	    g_timeout_add_seconds(PG_PURPLE_ADMIN_TTL_S, pg_purple_admin_timeout_cb, expect);
	g_queue_push_tail(&pg_purple_admin_pending, expect);
}

/* NAMES of a channel we need not be in: no conversation to "quote"
 * through, so the line goes by the prpl's send_raw. */
static gboolean
pg_purple_admin_names(PgPurpleAccount *entry, const PgIpcMessage *msg, const gchar *room,
		      GError **error)
{
	PurpleConnection *gc = purple_account_get_connection(entry->account);
	PurplePlugin *prpl = gc != NULL ? purple_connection_get_prpl(gc) : NULL;
	PurplePluginProtocolInfo *info = prpl != NULL ? PURPLE_PLUGIN_PROTOCOL_INFO(prpl) : NULL;
	g_autofree gchar *line = NULL;

	if (!pg_purple_admin_check_word(room, "room", error))
		return FALSE;
	if (info == NULL || info->send_raw == NULL ||
	    purple_connection_get_state(gc) != PURPLE_CONNECTED) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_SERVICE_UNAVAILABLE,
				    "not connected");
		return FALSE;
	}
	line = g_strdup_printf("NAMES %s\r\n", room);
	if (info->send_raw(gc, line, (int)strlen(line)) < 0) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_SERVICE_UNAVAILABLE, "cannot send");
		return FALSE;
	}
	pg_purple_admin_expect(entry->key, msg->id, room, NULL, "names");
	return TRUE;
}

static gboolean
pg_purple_admin_room_admin(const PgIpcMessage *msg, GError **error)
{
	const gchar *key = pg_ipc_message_get_string(msg, "account");
	const gchar *room = pg_ipc_message_get_string(msg, "room");
	const gchar *action = pg_ipc_message_get_string(msg, "action");
	const gchar *nick = pg_ipc_message_get_string(msg, "nick");
	g_autofree gchar *mask = g_strdup(pg_ipc_message_get_string(msg, "mask"));
	g_autofree gchar *reason = g_strdup(pg_ipc_message_get_string(msg, "reason"));
	PgPurpleAccount *entry = g_hash_table_lookup(pg_purple_worker_get()->accounts, key);
	g_autofree gchar *line = NULL;
	g_autofree gchar *kick = NULL;
	PurpleConversation *conv;
	static const struct {
		const gchar *action;
		const gchar *mode;
	} modes[] = { { "op", "+o" },      { "deop", "-o" },  { "voice", "+v" },
		      { "devoice", "-v" }, { "unban", "-b" }, { "ban", "+b" } };

	if (entry == NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND, "no account %s", key);
		return FALSE;
	}
	if (!pg_purple_lines_is_irc(entry->account)) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_FEATURE_NOT_IMPLEMENTED,
				    "this network has no room moderation here");
		return FALSE;
	}
	if (g_strcmp0(action, "names") == 0)
		return pg_purple_admin_names(entry, msg, room, error);
	conv = purple_find_conversation_with_account(PURPLE_CONV_TYPE_CHAT, room, entry->account);
	if (conv == NULL || purple_conv_chat_has_left(PURPLE_CONV_CHAT(conv))) {
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE, "not in room %s", room);
		return FALSE;
	}
	room = purple_conversation_get_name(conv);
	if (!pg_purple_admin_check_word(room, "room", error) ||
	    (nick != NULL && !pg_purple_admin_check_word(nick, "nick", error)) ||
	    (mask != NULL && !pg_purple_admin_check_word(mask, "mask", error)))
		return FALSE;
	/* a ban names a nick: its mask is its host's (or nick!*@*) and the
	 * nick is kicked too; an unban of a nick lifts the mask its ban set */
	if (mask == NULL && nick != NULL &&
	    (g_strcmp0(action, "ban") == 0 || g_strcmp0(action, "unban") == 0)) {
		g_autofree gchar *banned_key = pg_purple_admin_banned_key(key, room, nick);
		if (strpbrk(nick, "!@") != NULL) {
			mask = g_strdup(nick);
			nick = NULL;
		} else if (g_strcmp0(action, "ban") == 0) {
			mask = pg_purple_admin_ban_mask(conv, nick);
			if (g_hash_table_size(pg_purple_admin_banned) >= PG_PURPLE_ADMIN_BANNED_MAX)
				g_hash_table_remove_all(pg_purple_admin_banned);
			g_hash_table_replace(pg_purple_admin_banned, g_steal_pointer(&banned_key),
					     g_strdup(mask));
		} else {
			mask = g_strdup(g_hash_table_lookup(pg_purple_admin_banned, banned_key));
			if (mask == NULL) {
				g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
					    "no ban of %s from here: lift it by its mask "
					    "(the outcast list)",
					    nick);
				return FALSE;
			}
			g_hash_table_remove(pg_purple_admin_banned, banned_key);
			nick = NULL;
		}
	}
	/* a reason is the trailing parameter: one line */
	if (reason != NULL)
		g_strdelimit(reason, "\r\n", ' ');
	if (g_strcmp0(action, "kick") == 0 && nick != NULL) {
		line = reason != NULL && reason[0] != '\0'
			   ? g_strdup_printf("KICK %s %s :%s", room, nick, reason)
			   : g_strdup_printf("KICK %s %s", room, nick);
	} else if (g_strcmp0(action, "nick") == 0 && nick != NULL) {
		line = g_strdup_printf("NICK %s", nick);
	} else if (g_strcmp0(action, "invite") == 0 && nick != NULL) {
		line = g_strdup_printf("INVITE %s %s", nick, room);
	} else if (g_strcmp0(action, "notice") == 0 && nick != NULL && reason != NULL &&
		   reason[0] != '\0') {
		line = g_strdup_printf("NOTICE %s :%s", nick, reason);
	} else if (g_strcmp0(action, "quit") == 0) {
		line = reason != NULL && reason[0] != '\0' ? g_strdup_printf("QUIT :%s", reason)
							    : g_strdup("QUIT");
	} else if (g_strcmp0(action, "bans") == 0) {
		line = g_strdup_printf("MODE %s +b", room);
	} else {
		const gchar *argument =
		    g_str_has_suffix(action != NULL ? action : "", "ban") ? mask : nick;
		for (guint i = 0; i < G_N_ELEMENTS(modes) && argument != NULL; i++) {
			if (g_strcmp0(modes[i].action, action) == 0)
				line =
				    g_strdup_printf("MODE %s %s %s", room, modes[i].mode, argument);
		}
		/* XEP-0045 §9.1: a ban also removes the occupant */
		if (g_strcmp0(action, "ban") == 0 && line != NULL && nick != NULL)
			kick = reason != NULL && reason[0] != '\0'
				   ? g_strdup_printf("KICK %s %s :%s", room, nick, reason)
				   : g_strdup_printf("KICK %s %s", room, nick);
	}
	if (line == NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
			    "room-admin %s: unknown action or missing nick/mask", action);
		return FALSE;
	}
	if (!pg_purple_admin_quote(conv, line, error) ||
	    (kick != NULL && !pg_purple_admin_quote(conv, kick, error)))
		return FALSE;
	/* RFC 2812 §3.3.2: a NOTICE is never answered; it is done once sent */
	if (g_strcmp0(action, "notice") == 0 || g_strcmp0(action, "quit") == 0) {
		pg_purple_worker_emit(pg_purple_worker_message_new(
		    PG_IPC_EVT_ROOM_ADMIN_DONE, msg->id, "account", pg_purple_text_new(key),
		    "request", g_variant_new_uint32(msg->id), NULL));
		return TRUE;
	}
	/* a ban is settled by its MODE line, which names the mask */
	pg_purple_admin_expect(key, msg->id, room,
			       g_strcmp0(action, "ban") == 0 || g_strcmp0(action, "unban") == 0
				   ? mask
				   : nick,
			       action);
	return TRUE;
}

gboolean
pg_purple_admin_dispatch(const PgIpcMessage *msg, GError **error)
{
	if (msg->kind == PG_IPC_CMD_ROOM_ADMIN)
		return pg_purple_admin_room_admin(msg, error);
	/* the channel only delivers kinds a worker accepts */
	g_set_error(error, PG_ERROR, PG_ERROR_FEATURE_NOT_IMPLEMENTED, "unhandled message kind %s",
		    pg_ipc_kind_to_string(msg->kind));
	return FALSE;
}

/* ------------------------------------------------------- answers from IRC */

/* The oldest expectation of @account on @channel (casefolded), of @action
 * if not NULL, whose nick is @nick if not NULL. */
static PgAdminExpect *
pg_purple_admin_find(const gchar *account, const gchar *channel, const gchar *action,
		     const gchar *nick)
{
	g_autofree gchar *folded_channel = channel != NULL ? g_utf8_casefold(channel, -1) : NULL;
	g_autofree gchar *folded_nick = nick != NULL ? g_utf8_casefold(nick, -1) : NULL;

	for (GList *l = pg_purple_admin_pending.head; l != NULL; l = l->next) {
		PgAdminExpect *expect = l->data;
		if (g_strcmp0(expect->account, account) != 0 ||
		    (folded_channel != NULL && g_strcmp0(expect->channel, folded_channel) != 0) ||
		    (action != NULL && g_strcmp0(expect->action, action) != 0) ||
		    (folded_nick != NULL && g_strcmp0(expect->nick, folded_nick) != 0))
			continue;
		return expect;
	}
	return NULL;
}

/* ":prefix COMMAND p1 p2 :trailing" -> words (prefix first, or "") */
static gchar **
pg_purple_admin_parse(const gchar *line)
{
	g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
	g_autofree gchar *copy = g_strdup(line);
	gchar *p = copy;

	g_strchomp(copy);
	if (*p == ':') {
		gchar *space = strchr(p, ' ');
		if (space == NULL)
			return NULL;
		*space = '\0';
		g_ptr_array_add(words, g_strdup(p + 1));
		p = space + 1;
	} else {
		g_ptr_array_add(words, g_strdup(""));
	}
	while (*p != '\0') {
		gchar *space;
		while (*p == ' ')
			p++;
		if (*p == ':') {
			g_ptr_array_add(words, g_strdup(p + 1));
			break;
		}
		space = strchr(p, ' ');
		if (space == NULL) {
			g_ptr_array_add(words, g_strdup(p));
			break;
		}
		g_ptr_array_add(words, g_strndup(p, space - p));
		p = space + 1;
	}
	g_ptr_array_add(words, NULL);
	return (gchar **)g_ptr_array_free(g_steal_pointer(&words), FALSE);
}

static void
pg_purple_admin_fail(PgAdminExpect *expect, PgErrorCode code, const gchar *text)
{
	g_autoptr(GError) error = g_error_new(PG_ERROR, code, "%s", text);
	pg_purple_admin_settle(expect, error);
}

static void
pg_purple_admin_receiving_cb(PurpleConnection *gc, gchar **line, gpointer user_data)
{
	PgPurpleAccount *entry = pg_purple_worker_lookup(purple_connection_get_account(gc));
	const gchar *me = purple_connection_get_display_name(gc);
	g_auto(GStrv) w = NULL;
	g_autofree gchar *from = NULL;
	guint n;
	PgAdminExpect *expect;
	const gchar *command;

	if (entry == NULL || line == NULL || *line == NULL ||
	    g_queue_is_empty(&pg_purple_admin_pending))
		return;
	w = pg_purple_admin_parse(*line);
	if (w == NULL || (n = g_strv_length(w)) < 3)
		return;
	command = w[1];
	from = g_strndup(w[0], strcspn(w[0], "!"));
	/* our own changes, echoed by the server */
	if (me != NULL && purple_utf8_strcasecmp(from, me) == 0) {
		if (g_strcmp0(command, "KICK") == 0 && n >= 4 &&
		    (expect = pg_purple_admin_find(entry->key, w[2], "kick", w[3])) != NULL)
			pg_purple_admin_settle(expect, NULL);
		else if (g_strcmp0(command, "NICK") == 0 &&
			 (expect = pg_purple_admin_find(entry->key, NULL, "nick", w[2])) != NULL)
			pg_purple_admin_settle(expect, NULL);
		else if (g_strcmp0(command, "MODE") == 0 && n >= 5) {
			const gchar *mode = w[3];
			const gchar *actions[] = {
				"op", "deop", "voice", "devoice", "unban", "ban"
			};
			const gchar *modes[] = { "+o", "-o", "+v", "-v", "-b", "+b" };
			for (guint i = 0; i < G_N_ELEMENTS(modes); i++) {
				if (g_strcmp0(mode, modes[i]) == 0 &&
				    (expect = pg_purple_admin_find(entry->key, w[2], actions[i],
								   w[4])) != NULL) {
					pg_purple_admin_settle(expect, NULL);
					break;
				}
			}
		}
		return;
	}
	if (n < 4 || strlen(command) != 3 || !g_ascii_isdigit(command[0]))
		return;
	/* numerics: w[2] is our nick */
	if (g_strcmp0(command, "433") == 0 || g_strcmp0(command, "432") == 0) {
		/* "<nick> :Nickname is already in use" (XEP-0045 §7.6: 409) */
		if ((expect = pg_purple_admin_find(entry->key, NULL, "nick", w[3])) != NULL)
			pg_purple_admin_fail(expect,
					     g_strcmp0(command, "433") == 0 ? PG_ERROR_CONFLICT
									    : PG_ERROR_NOT_ACCEPTABLE,
					     w[n - 1]);
	} else if (g_strcmp0(command, "367") == 0 && n >= 5) {
		expect = pg_purple_admin_find(entry->key, w[3], "bans", NULL);
		if (expect != NULL)
			g_ptr_array_add(expect->masks, g_strdup(w[4]));
	} else if (g_strcmp0(command, "368") == 0) {
		if ((expect = pg_purple_admin_find(entry->key, w[3], "bans", NULL)) != NULL)
			pg_purple_admin_settle(expect, NULL);
	} else if (g_strcmp0(command, "353") == 0 && n >= 6) {
		/* RPL_NAMREPLY: "<me> <type> <channel> :names" */
		expect = pg_purple_admin_find(entry->key, w[4], "names", NULL);
		if (expect != NULL) {
			g_auto(GStrv) names = g_strsplit(w[5], " ", -1);
			for (guint i = 0; names[i] != NULL; i++)
				if (names[i][0] != '\0')
					g_ptr_array_add(expect->masks, g_strdup(names[i]));
		}
	} else if (g_strcmp0(command, "366") == 0) {
		if ((expect = pg_purple_admin_find(entry->key, w[3], "names", NULL)) != NULL)
			pg_purple_admin_settle(expect, NULL);
	} else if (g_strcmp0(command, "341") == 0 && n >= 5) {
		/* RPL_INVITING: "<nick> <channel>" */
		if ((expect = pg_purple_admin_find(entry->key, w[4], "invite", w[3])) != NULL)
			pg_purple_admin_settle(expect, NULL);
	} else if (g_strcmp0(command, "482") == 0) {
		if ((expect = pg_purple_admin_find(entry->key, w[3], NULL, NULL)) != NULL)
			pg_purple_admin_fail(expect, PG_ERROR_FORBIDDEN, w[n - 1]);
	} else if (g_strcmp0(command, "442") == 0 || g_strcmp0(command, "403") == 0) {
		if ((expect = pg_purple_admin_find(entry->key, w[3], NULL, NULL)) != NULL)
			pg_purple_admin_fail(expect,
					     g_strcmp0(command, "442") == 0
						 ? PG_ERROR_NOT_ACCEPTABLE
						 : PG_ERROR_ITEM_NOT_FOUND,
					     w[n - 1]);
	} else if ((g_strcmp0(command, "441") == 0 || g_strcmp0(command, "443") == 0) && n >= 5) {
		/* "<nick> <channel> :text" */
		if ((expect = pg_purple_admin_find(entry->key, w[4], NULL, w[3])) != NULL)
			pg_purple_admin_fail(expect,
					     g_strcmp0(command, "441") == 0
						 ? PG_ERROR_ITEM_NOT_FOUND
						 : PG_ERROR_CONFLICT,
					     w[n - 1]);
	} else if (g_strcmp0(command, "401") == 0) {
		/* "<nick> :No such nick": the oldest command about that nick */
		if ((expect = pg_purple_admin_find(entry->key, NULL, NULL, w[3])) != NULL)
			pg_purple_admin_fail(expect, PG_ERROR_ITEM_NOT_FOUND, w[n - 1]);
	}
}

/* ------------------------------------------------------ events to the daemon
 */

static void
pg_purple_admin_chat_buddy_flags_cb(PurpleConversation *conv, const gchar *name,
				    PurpleConvChatBuddyFlags old_flags,
				    PurpleConvChatBuddyFlags new_flags, gpointer user_data)
{
	const PurpleConvChatBuddyFlags roles = PURPLE_CBFLAGS_FOUNDER | PURPLE_CBFLAGS_OP |
					       PURPLE_CBFLAGS_HALFOP | PURPLE_CBFLAGS_VOICE;
	PgPurpleAccount *entry = pg_purple_worker_lookup(purple_conversation_get_account(conv));
	const gchar *room;
	g_autofree gchar *flags = NULL;

	/* prpl-irc also flags away occupants (WHO): only roles matter here,
	 * and a joining room must not be flushed early for those */
	if (entry == NULL || name == NULL || (old_flags & roles) == (new_flags & roles))
		return;
	room = pg_purple_events_room_name(conv);
	if (room == NULL)
		return;
	flags = pg_purple_events_occupant_flags(new_flags);
	pg_purple_worker_emit(pg_purple_worker_message_new(
	    PG_IPC_EVT_ROOM_OCCUPANT, 0, "account", pg_purple_text_new(entry->key), "room",
	    pg_purple_text_new(room), "nick", pg_purple_text_new(name), "change",
	    pg_purple_text_new("flags"), "flags", pg_purple_text_new(flags), NULL));
}

/* Returns: -1, libpurple's "declined here" (no prompt, no join). */
static gint
pg_purple_admin_chat_invited_cb(PurpleAccount *account, const gchar *inviter, const gchar *chat,
				const gchar *message, GHashTable *components, gpointer user_data)
{
	PgPurpleAccount *entry = pg_purple_worker_lookup(account);

	if (entry == NULL || inviter == NULL || chat == NULL)
		return 0;
	pg_purple_worker_emit(pg_purple_worker_message_new(
	    PG_IPC_EVT_ROOM_INVITED, 0, "account", pg_purple_text_new(entry->key), "room",
	    pg_purple_text_new(chat), "from", pg_purple_text_new(inviter), NULL));
	return -1;
}

void
pg_purple_admin_connect(void)
{
	PurplePlugin *irc = purple_plugins_find_with_id("prpl-irc");
	void *conversations = purple_conversations_get_handle();

	purple_signal_connect(conversations, "chat-buddy-flags", &pg_purple_admin_handle,
			      PURPLE_CALLBACK(pg_purple_admin_chat_buddy_flags_cb), NULL);
	purple_signal_connect(conversations, "chat-invited", &pg_purple_admin_handle,
			      PURPLE_CALLBACK(pg_purple_admin_chat_invited_cb), NULL);
	pg_purple_admin_banned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (irc != NULL && purple_plugin_is_loaded(irc))
		purple_signal_connect(irc, "irc-receiving-text", &pg_purple_admin_handle,
				      PURPLE_CALLBACK(pg_purple_admin_receiving_cb), NULL);
}

void
pg_purple_admin_disconnect(void)
{
	purple_signals_disconnect_by_handle(&pg_purple_admin_handle);
	g_queue_clear_full(&pg_purple_admin_pending, (GDestroyNotify)pg_admin_expect_free);
	g_clear_pointer(&pg_purple_admin_banned, g_hash_table_unref);
}
