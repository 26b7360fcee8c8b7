/* libpurple signals -> PG_IPC_EVT_* messages.
 *
 * DESIGN: every event names its account by the daemon's key, looked up
 * from the PurpleAccount; events for accounts we do not know (already
 * logged out) are dropped.  Text leaves as plain text: libpurple hands out
 * HTML, which purple_markup_strip_html() turns back into text (it also
 * decodes entities, so no second unescape: "&amp;lt;" must stay "&lt;").
 *
 * Room joins: prpl-irc emits chat-joined on our JOIN, before the server's
 * NAMES reply, then adds the whole NAMES list in one batch (chat-buddy-joined
 * with new_arrival FALSE).  So a room stays "joining" until that batch is
 * over (an idle callback after the first such signal), or until
 * PG_PURPLE_JOIN_SETTLE_MS passed; then room-joined goes out with the
 * occupant list and the subject, as a MUC join needs them.  Any other event
 * for a joining room (a message) flushes the room-joined first, so the
 * daemon always sees room-joined before anything else about the room.
 * prpl-irc adds the batch from one call (on RPL_ENDOFNAMES), so the idle
 * may run as soon as that dispatch returns: it has G_PRIORITY_HIGH, because
 * a default idle waits until no IRC socket of the worker is ready, and in
 * a join storm (every JOIN fans out to every account) one nearly always is.
 *
 * Passwords: once signed on (or failed), the worker needs the password no
 * more; libpurple would g_free() its copies unwiped, so they are wiped here
 * first.  A new login command brings the password again.  The exception is
 * prpl-polygate-sms: its password is Kannel's sendsms-user password, which
 * goes into every send, so it stays until logout (drop_account wipes it).
 *
 * SMS: prpl-polygate-sms reports each send with its plugin signal
 * "sms-sent" (account, to, message_id, outcome, reason), exactly once per
 * message, which becomes sms-sent.  When it comes synchronously from inside
 * a send-im (a refusal), the event carries that command's request id.
 *
 * IMs: a received one leaves from the conversation UI op write_conv, with
 * its time (pg-purple-im.c).
 *
 * Memory: libpurple keeps every message of a conversation in its history
 * (~280 B each, unbounded); we clear it after each write.  Channel lines
 * never get there: they are taken at receiving-chat-msg (see there).
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-purple"

#include <openssl/crypto.h>
#include <string.h>

#include "pg-purple-buddies.h"
#include "pg-purple-chatstate.h"
#include "pg-purple-events.h"
#include "pg-purple-im.h"
#include "pg-purple-sendq.h"
#include "pg-purple-text.h"
#include "pg-purple-worker.h"

#define PG_PURPLE_JOIN_SETTLE_MS 3000

typedef struct {
	PurpleConversation *conv;
	gchar *name;
	gboolean joined;
	gchar *subject;
	gchar *subject_by;
	guint flush_id;
} PgPurpleRoom;

static void pg_purple_events_occupant(PgPurpleRoom *room, const gchar *nick, const gchar *change,
				      const gchar *new_nick, const gchar *reason);

static gint pg_purple_events_handle;
/* PurpleConversation* -> PgPurpleRoom (owned) */
static GHashTable *pg_purple_events_rooms;

static void
pg_purple_room_free(PgPurpleRoom *room)
{
	g_clear_handle_id(&room->flush_id, g_source_remove);
	g_free(room->name);
	g_free(room->subject);
	g_free(room->subject_by);
	g_free(room);
}

void
pg_purple_events_wipe_password(PurpleAccount *account)
{
	PurpleConnection *gc = purple_account_get_connection(account);
	gchar *password = (gchar *)purple_account_get_password(account);

	/* Wiped, then left as "" rather than NULL: prpl-irc's SASL callback
	 * calls strlen() on the account's password, and a server may welcome
	 * us (sign-on, hence this wipe) and still ask for the SASL payload
	 * afterwards ("AUTHENTICATE +").  With NULL the worker crashed; with ""
	 * that server gets an empty secret. */
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		purple_account_set_password(account, "");
	}
	if (gc != NULL && gc->password != NULL) {
		explicit_bzero(gc->password, strlen(gc->password));
		g_free(gc->password);
		gc->password = g_strdup("");
	}
}

/* Login state ---------------------------------------------------------------- */

static void
pg_purple_events_login_state(PgPurpleAccount *entry, PgPurpleLoginState state,
			     const gchar *reason, gboolean fatal)
{
	static const gchar *const names[] = {
	    [PG_PURPLE_LOGIN_CONNECTING] = "connecting",
	    [PG_PURPLE_LOGIN_CONNECTED] = "connected",
	    [PG_PURPLE_LOGIN_DISCONNECTED] = "disconnected",
	};

	entry->state = state;
	pg_purple_worker_emit(pg_purple_worker_message_new(
	    PG_IPC_EVT_LOGIN_STATE, 0, "account", pg_purple_text_new(entry->key), "state",
	    pg_purple_text_new(names[state]), "reason",
	    reason != NULL ? pg_purple_text_new(reason) : NULL, "fatal",
	    g_variant_new_boolean(fatal), NULL));
}

static void
pg_purple_events_account_connecting_cb(PurpleAccount *account, gpointer user_data)
{
	PgPurpleAccount *entry = pg_purple_worker_lookup(account);

	if (entry != NULL)
		pg_purple_events_login_state(entry, PG_PURPLE_LOGIN_CONNECTING, NULL, FALSE);
}

/* The user's after-connect lines (login's after_connect, issue 10): each
 * checked again (a command word, no CR/LF/NUL, bounded: the daemon's rules,
 * src/network/pg-network-irc-commands.c), then handed to the prpl's
 * send_raw, which for prpl-irc is its send queue and throttle, as any line
 * it sends.  Every copy is wiped. */
static void
pg_purple_events_after_connect(PurpleConnection *gc, PgPurpleAccount *entry)
{
	PurplePlugin *prpl = purple_connection_get_prpl(gc);
	PurplePluginProtocolInfo *info = prpl != NULL ? PURPLE_PLUGIN_PROTOCOL_INFO(prpl) : NULL;
	g_autoptr(PgSecret) lines = g_steal_pointer(&entry->after_connect);
	const gchar *p = lines != NULL ? pg_secret_get_string(lines) : NULL;
	guint n = 0;

	if (p == NULL)
		return;
	if (info == NULL || !PURPLE_PROTOCOL_PLUGIN_HAS_FUNC(info, send_raw)) {
		g_warning("%s: the protocol cannot send raw lines: after-connect commands dropped",
			  entry->key);
		return;
	}
	while (*p != '\0' && n < PG_IPC_AFTER_CONNECT_MAX_LINES) {
		const gchar *end = strchr(p, '\n');
		gsize len = end != NULL ? (gsize)(end - p) : strlen(p);
		gsize word = 0;

		while (word < len && g_ascii_isalpha(p[word]))
			word++;
		if (len > 0 && len <= PG_IPC_AFTER_CONNECT_LINE_MAX && word > 0 &&
		    (word == len || p[word] == ' ') && memchr(p, '\r', len) == NULL) {
			g_autofree gchar *line = g_strdup_printf("%.*s\r\n", (int)len, p);
			info->send_raw(gc, line, (int)strlen(line));
			OPENSSL_cleanse(line, strlen(line));
			n++;
		} else {
			g_warning("%s: after-connect command %u is not one IRC line: dropped",
				  entry->key, n + 1);
		}
		if (end == NULL)
			break;
		p = end + 1;
	}
	pg_purple_sendq_kick();
}

static void
pg_purple_events_signed_on_cb(PurpleConnection *gc, gpointer user_data)
{
	PurpleAccount *account = purple_connection_get_account(gc);
	PgPurpleAccount *entry = pg_purple_worker_lookup(account);

	if (g_strcmp0(purple_account_get_protocol_id(account), PG_PURPLE_SMS_PROTOCOL) != 0)
		pg_purple_events_wipe_password(account);
	if (entry == NULL)
		return;
	if (entry->identify_password != NULL) {
		/* NickServ identification (atheme, anope: "IDENTIFY <password>").
		 * The text goes through prpl-irc's HTML parsing like any message,
		 * so it is escaped; every copy is wiped after the send. */
		g_autofree gchar *escaped =
		    g_markup_escape_text(pg_secret_get_string(entry->identify_password), -1);
		g_autofree gchar *line = g_strdup_printf("IDENTIFY %s", escaped);
		serv_send_im(gc, "NickServ", line, 0);
		OPENSSL_cleanse(escaped, strlen(escaped));
		OPENSSL_cleanse(line, strlen(line));
		g_clear_pointer(&entry->identify_password, pg_secret_free);
	}
	pg_purple_events_after_connect(gc, entry);
	pg_purple_events_login_state(entry, PG_PURPLE_LOGIN_CONNECTED, NULL, FALSE);
}

static void
pg_purple_events_connection_error_cb(PurpleConnection *gc, PurpleConnectionError reason,
				     const gchar *description, gpointer user_data)
{
	PurpleAccount *account = purple_connection_get_account(gc);
	PgPurpleAccount *entry = pg_purple_worker_lookup(account);

	pg_purple_events_wipe_password(account);
	if (entry == NULL)
		return;
	/* the pinned certificate refused the server (pg-purple-pin.c): say
	 * which certificate it saw; the same one would come back, so final */
	if (entry->pin_failure != NULL) {
		g_autofree gchar *why = g_steal_pointer(&entry->pin_failure);
		pg_purple_events_login_state(entry, PG_PURPLE_LOGIN_DISCONNECTED, why, TRUE);
		return;
	}
	/* libpurple never reconnects by itself: the daemon decides */
	pg_purple_events_login_state(entry, PG_PURPLE_LOGIN_DISCONNECTED,
				     description != NULL ? description : "connection error",
				     purple_connection_error_is_fatal(reason));
}

static void
pg_purple_events_signed_off_cb(PurpleConnection *gc, gpointer user_data)
{
	PgPurpleAccount *entry = pg_purple_worker_lookup(purple_connection_get_account(gc));

	if (entry != NULL && entry->state != PG_PURPLE_LOGIN_DISCONNECTED)
		pg_purple_events_login_state(entry, PG_PURPLE_LOGIN_DISCONNECTED, NULL, FALSE);
}

/* Rooms ------------------------------------------------------------------------ */

static PgPurpleAccount *
pg_purple_events_conv_account(PurpleConversation *conv)
{
	return pg_purple_worker_lookup(purple_conversation_get_account(conv));
}

gchar *
pg_purple_events_occupant_flags(PurpleConvChatBuddyFlags flags)
{
	GString *text = g_string_new(NULL);
	static const struct {
		PurpleConvChatBuddyFlags flag;
		const gchar *name;
	} table[] = {
	    {PURPLE_CBFLAGS_FOUNDER, "founder"},
	    {PURPLE_CBFLAGS_OP, "op"},
	    {PURPLE_CBFLAGS_HALFOP, "halfop"},
	    {PURPLE_CBFLAGS_VOICE, "voice"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(table); i++) {
		if ((flags & table[i].flag) == 0)
			continue;
		if (text->len > 0)
			g_string_append_c(text, ',');
		g_string_append(text, table[i].name);
	}
	return g_string_free(text, FALSE);
}

static void
pg_purple_events_room_flush(PgPurpleRoom *room)
{
	PgPurpleAccount *entry = pg_purple_events_conv_account(room->conv);
	PurpleConvChat *chat = purple_conversation_get_chat_data(room->conv);
	GVariantBuilder occupants;

	g_clear_handle_id(&room->flush_id, g_source_remove);
	if (room->joined || entry == NULL)
		return;
	room->joined = TRUE;
	g_variant_builder_init(&occupants, G_VARIANT_TYPE("a(ss)"));
	for (GList *l = purple_conv_chat_get_users(chat); l != NULL; l = l->next) {
		PurpleConvChatBuddy *buddy = l->data;
		g_autofree gchar *flags =
		    pg_purple_events_occupant_flags(purple_conv_chat_user_get_flags(
			chat, purple_conv_chat_cb_get_name(buddy)));
		g_variant_builder_add(&occupants, "(@s@s)",
				      pg_purple_text_new(purple_conv_chat_cb_get_name(buddy)),
				      pg_purple_text_new(flags));
	}
	pg_purple_worker_emit(pg_purple_worker_message_new(
	    PG_IPC_EVT_ROOM_JOINED, 0, "account", pg_purple_text_new(entry->key), "room",
	    pg_purple_text_new(room->name), "nick",
	    pg_purple_text_new(purple_conv_chat_get_nick(chat)), "occupants",
	    g_variant_builder_end(&occupants), "subject",
	    room->subject != NULL ? pg_purple_text_new(room->subject) : NULL, NULL));
}

static gboolean
pg_purple_events_room_flush_cb(gpointer user_data)
{
	PgPurpleRoom *room = user_data;

	room->flush_id = 0;
	pg_purple_events_room_flush(room);
	return G_SOURCE_REMOVE;
}

/* The room, with room-joined already sent; NULL if not ours. */
static PgPurpleRoom *
pg_purple_events_room_joined(PurpleConversation *conv)
{
	PgPurpleRoom *room = g_hash_table_lookup(pg_purple_events_rooms, conv);

	if (room != NULL && !room->joined)
		pg_purple_events_room_flush(room);
	return room;
}

static void
pg_purple_events_chat_joined_cb(PurpleConversation *conv, gpointer user_data)
{
	PgPurpleAccount *entry = pg_purple_events_conv_account(conv);
	g_autofree gchar *folded = NULL;
	const gchar *requested;
	PgPurpleRoom *room;

	if (entry == NULL)
		return;
	/* A conversation we already know joins again after a reconnect:
	 * libpurple ends a lost connection's chats without chat-left and reuses
	 * them when the account rejoins, so the old record is stale; the daemon
	 * needs a fresh room-joined (occupants, subject) for its MUC rejoin. */
	g_hash_table_remove(pg_purple_events_rooms, conv);
	folded = g_utf8_casefold(purple_conversation_get_name(conv), -1);
	requested = g_hash_table_lookup(entry->requested_rooms, folded);
	room = g_new0(PgPurpleRoom, 1);
	room->conv = conv;
	/* report the name the daemon used, whatever case the server echoed */
	room->name = g_strdup(requested != NULL ? requested : purple_conversation_get_name(conv));
	room->flush_id =
	    g_timeout_add(PG_PURPLE_JOIN_SETTLE_MS, pg_purple_events_room_flush_cb, room);
	g_hash_table_insert(pg_purple_events_rooms, conv, room);
}

void
pg_purple_events_forget_room(PurpleConversation *conv, const gchar *reason)
{
	PgPurpleRoom *room = g_hash_table_lookup(pg_purple_events_rooms, conv);
	PgPurpleAccount *entry = pg_purple_events_conv_account(conv);

	if (room == NULL)
		return;
	if (entry != NULL && room->joined) {
		pg_purple_worker_emit(pg_purple_worker_message_new(
		    PG_IPC_EVT_ROOM_LEFT, 0, "account", pg_purple_text_new(entry->key), "room",
		    pg_purple_text_new(room->name), "reason",
		    reason != NULL ? pg_purple_text_new(reason) : NULL, NULL));
	}
	g_hash_table_remove(pg_purple_events_rooms, conv);
}

gboolean
pg_purple_events_room_report(PurpleConversation *conv)
{
	PgPurpleRoom *room = g_hash_table_lookup(pg_purple_events_rooms, conv);

	if (room == NULL)
		return FALSE;
	/* a joining room reports itself when its NAMES batch is over */
	if (room->joined) {
		room->joined = FALSE;
		pg_purple_events_room_flush(room);
	}
	return TRUE;
}

const gchar *
pg_purple_events_room_name(PurpleConversation *conv)
{
	PgPurpleRoom *room = pg_purple_events_room_joined(conv);

	return room != NULL ? room->name : NULL;
}

static void
pg_purple_events_chat_left_cb(PurpleConversation *conv, gpointer user_data)
{
	pg_purple_events_forget_room(conv, NULL);
}

static void
pg_purple_events_deleting_conversation_cb(PurpleConversation *conv, gpointer user_data)
{
	pg_purple_events_forget_room(conv, NULL);
}

static void
pg_purple_events_occupant(PgPurpleRoom *room, const gchar *nick, const gchar *change,
			  const gchar *new_nick, const gchar *reason)
{
	PgPurpleAccount *entry = pg_purple_events_conv_account(room->conv);

	if (entry == NULL)
		return;
	pg_purple_worker_emit(pg_purple_worker_message_new(
	    PG_IPC_EVT_ROOM_OCCUPANT, 0, "account", pg_purple_text_new(entry->key), "room",
	    pg_purple_text_new(room->name), "nick", pg_purple_text_new(nick), "change",
	    pg_purple_text_new(change), "new_nick",
	    new_nick != NULL ? pg_purple_text_new(new_nick) : NULL, "reason",
	    reason != NULL && reason[0] != '\0' ? pg_purple_text_new(reason) : NULL, NULL));
}

static void
pg_purple_events_chat_buddy_joined_cb(PurpleConversation *conv, const gchar *name,
				      PurpleConvChatBuddyFlags flags, gboolean new_arrival,
				      gpointer user_data)
{
	PgPurpleRoom *room = g_hash_table_lookup(pg_purple_events_rooms, conv);

	if (room == NULL)
		return;
	if (!room->joined) {
		/* the NAMES batch: flush once it is over (see DESIGN) */
		g_clear_handle_id(&room->flush_id, g_source_remove);
		room->flush_id = g_idle_add_full(G_PRIORITY_HIGH, pg_purple_events_room_flush_cb,
						 room, NULL);
		return;
	}
	pg_purple_events_occupant(room, name, "join", NULL, NULL);
}

static void
pg_purple_events_chat_buddy_left_cb(PurpleConversation *conv, const gchar *name,
				    const gchar *reason, gpointer user_data)
{
	PgPurpleRoom *room = g_hash_table_lookup(pg_purple_events_rooms, conv);
	const gchar *change = "part";

	if (room == NULL || !room->joined)
		return;
	/* prpl-irc's own wording: a QUIT is "quit: %s", lower case and never
	 * translated (libpurple 2.x protocols/irc/msgs.c, irc_chat_remove_buddy);
	 * a KICK is _("Kicked by %s (%s)"), untranslated as we never call
	 * setlocale */
	if (reason != NULL && g_str_has_prefix(reason, "quit: ")) {
		change = "quit";
		reason += strlen("quit: ");
	} else if (reason != NULL && g_str_has_prefix(reason, "Kicked by ")) {
		change = "kick";
	}
	pg_purple_events_occupant(room, name, change, NULL, reason);
}

/* libpurple 2.x has no chat-buddy-renamed signal: renames reach only the
 * conversation UiOps. */
static void
pg_purple_events_chat_rename_user(PurpleConversation *conv, const char *old_name,
				  const char *new_name, const char *new_alias)
{
	PgPurpleRoom *room = pg_purple_events_room_joined(conv);

	if (room != NULL)
		pg_purple_events_occupant(room, old_name, "nick", new_name, NULL);
}

static PurpleConversationUiOps pg_purple_events_conversation_ops = {
    .write_conv = pg_purple_im_write_conv,
    .chat_rename_user = pg_purple_events_chat_rename_user,
};

static void
pg_purple_events_chat_join_failed_cb(PurpleConnection *gc, GHashTable *components,
				     gpointer user_data)
{
	PgPurpleAccount *entry = pg_purple_worker_lookup(purple_connection_get_account(gc));
	PurplePluginProtocolInfo *prpl_info =
	    PURPLE_PLUGIN_PROTOCOL_INFO(purple_connection_get_prpl(gc));
	g_autofree gchar *name = NULL;
	g_autofree gchar *folded = NULL;
	const gchar *requested;

	if (entry == NULL || prpl_info->get_chat_name == NULL)
		return;
	name = prpl_info->get_chat_name(components);
	if (name == NULL)
		return;
	folded = g_utf8_casefold(name, -1);
	requested = g_hash_table_lookup(entry->requested_rooms, folded);
	/* a room-left for a room never joined: the join was refused */
	pg_purple_worker_emit(pg_purple_worker_message_new(
	    PG_IPC_EVT_ROOM_LEFT, 0, "account", pg_purple_text_new(entry->key), "room",
	    pg_purple_text_new(requested != NULL ? requested : name), "reason",
	    pg_purple_text_new("join failed"), NULL));
	g_hash_table_remove(entry->requested_rooms, folded);
}

static void
pg_purple_events_chat_topic_changed_cb(PurpleConversation *conv, const gchar *who,
				       const gchar *topic, gpointer user_data)
{
	PgPurpleRoom *room = g_hash_table_lookup(pg_purple_events_rooms, conv);
	PgPurpleAccount *entry = pg_purple_events_conv_account(conv);

	if (room == NULL || entry == NULL)
		return;
	g_free(room->subject);
	room->subject = g_strdup(topic != NULL ? topic : "");
	g_free(room->subject_by);
	room->subject_by = g_strdup(who);
	if (!room->joined)
		return; /* goes out with room-joined */
	pg_purple_worker_emit(pg_purple_worker_message_new(
	    PG_IPC_EVT_ROOM_SUBJECT, 0, "account", pg_purple_text_new(entry->key), "room",
	    pg_purple_text_new(room->name), "subject", pg_purple_text_new(room->subject),
	    "by", who != NULL ? pg_purple_text_new(who) : NULL, NULL));
}

/* "receiving-chat-msg", the first thing serv_got_chat_in() does with a
 * channel line once it has set PURPLE_MESSAGE_SEND or _RECV: we forward
 * the line here and return TRUE, libpurple's "drop this message", so that
 * it skips what only a UI with windows needs: the received-chat-msg
 * signal, purple_conv_chat_write() (the ignore list,
 * nick normalisation, a Unicode-normalising search for our nick in the
 * text), purple_conversation_write() (writing-/wrote-chat-msg, a buddy list
 * lookup for an alias, a history entry that we then cleared): about 14 %
 * of the worker's CPU at N=100, users_per_worker=50 (perf, irc_bench.py:
 * serv_got_chat_in() minus our handler, 18 % before, 4 % after).  Nothing
 * we use is lost: the sender, the text and the SEND flag are all here, we
 * never ignore anyone, and the lines prpl-irc writes into a channel itself
 * (a kick: see wrote_msg_cb) do not come through here.  A line for a room
 * or an account that is not ours goes on as before (FALSE).  A deaf
 * account's lines (login's deaf, src/ipc/pg-ipc-message.h) are dropped
 * here the same way, unforwarded. */
static gboolean
pg_purple_events_receiving_chat_msg_cb(PurpleAccount *account, gchar **sender, gchar **message,
				       PurpleConversation *conv, PurpleMessageFlags *flags,
				       gpointer user_data)
{
	PgPurpleAccount *entry = pg_purple_worker_lookup(account);
	PgPurpleRoom *room = pg_purple_events_room_joined(conv);
	g_autofree gchar *body = NULL;

	if (entry == NULL || room == NULL || *sender == NULL || *message == NULL)
		return FALSE;
	if (entry->deaf)
		return TRUE;
	body = pg_purple_text_plain(*message);
	/* our own sends come back with PURPLE_MESSAGE_SEND: the daemon decides
	 * whether to echo them (MUC wants the echo) */
	pg_purple_worker_emit(pg_purple_worker_message_new(
	    PG_IPC_EVT_ROOM_MESSAGE, 0, "account", pg_purple_text_new(entry->key), "room",
	    pg_purple_text_new(room->name), "from", pg_purple_text_new(*sender), "body",
	    pg_purple_text_new(body), "own",
	    g_variant_new_boolean((*flags & PURPLE_MESSAGE_SEND) != 0), NULL));
	return TRUE;
}

/* IMs, typing, presence ------------------------------------------------------ */

/* prpl-irc tells a kicked user only with a system line in the room
 * ("You have been kicked by %s: (%s)", irc/msgs.c irc_msg_kick) just before
 * it leaves the conversation; match it in whatever language libpurple
 * speaks here, so the daemon can say 307 (XEP-0045 §8.2) and not just
 * "left". */
static gboolean
pg_purple_events_parse_self_kick(const gchar *message, gchar **by, gchar **reason)
{
	const gchar *format = g_dgettext("pidgin", "You have been kicked by %s: (%s)");
	g_autofree gchar *plain = purple_markup_strip_html(message);
	g_autofree gchar *text = purple_unescape_html(plain);
	g_auto(GStrv) parts = g_strsplit(format, "%s", -1);
	g_autoptr(GString) pattern = g_string_new("^");
	g_autoptr(GRegex) regex = NULL;
	g_autoptr(GMatchInfo) match = NULL;

	if (g_strv_length(parts) != 3)
		return FALSE;
	for (guint i = 0; parts[i] != NULL; i++) {
		g_autofree gchar *escaped = g_regex_escape_string(parts[i], -1);
		g_string_append(pattern, escaped);
		if (parts[i + 1] != NULL)
			g_string_append(pattern, "(.*?)");
	}
	g_string_append_c(pattern, '$');
	regex = g_regex_new(pattern->str, G_REGEX_DOTALL, 0, NULL);
	if (regex == NULL || !g_regex_match(regex, text, 0, &match))
		return FALSE;
	*by = g_match_info_fetch(match, 1);
	*reason = g_match_info_fetch(match, 2);
	return TRUE;
}

static void
pg_purple_events_wrote_msg_cb(PurpleAccount *account, const gchar *who, const gchar *message,
			      PurpleConversation *conv, PurpleMessageFlags flags,
			      gpointer user_data)
{
	PgPurpleRoom *room = g_hash_table_lookup(pg_purple_events_rooms, conv);
	g_autofree gchar *by = NULL;
	g_autofree gchar *reason = NULL;

	if (room != NULL && room->joined && (flags & PURPLE_MESSAGE_SYSTEM) != 0 &&
	    purple_conversation_get_type(conv) == PURPLE_CONV_TYPE_CHAT &&
	    pg_purple_events_parse_self_kick(message, &by, &reason)) {
		g_autofree gchar *why = g_strdup_printf("kicked by %s: %s", by, reason);
		pg_purple_events_occupant(room, purple_conv_chat_get_nick(PURPLE_CONV_CHAT(conv)),
					  "kick", NULL, why);
		/* the chat-left that follows must not report a plain leave */
		room->joined = FALSE;
	}
	/* emitted after libpurple appended the message to the history */
	purple_conversation_clear_message_history(conv);
}

static void
pg_purple_events_typing(PurpleAccount *account, const gchar *name, PurpleTypingState typing)
{
	PgPurpleAccount *entry = pg_purple_worker_lookup(account);
	g_autofree gchar *from = NULL;

	if (entry == NULL || name == NULL)
		return;
	from = pg_purple_im_contact(account, name);
	pg_purple_worker_emit(pg_purple_worker_message_new(
	    PG_IPC_EVT_TYPING, 0, "account", pg_purple_text_new(entry->key), "from",
	    pg_purple_text_new(from), "state",
	    pg_purple_text_new(pg_purple_chatstate_from_typing(typing)), NULL));
}

static void
pg_purple_events_buddy_typing_cb(PurpleAccount *account, const gchar *name, gpointer user_data)
{
	pg_purple_events_typing(account, name, PURPLE_TYPING);
}

static void
pg_purple_events_buddy_typed_cb(PurpleAccount *account, const gchar *name, gpointer user_data)
{
	pg_purple_events_typing(account, name, PURPLE_TYPED);
}

static void
pg_purple_events_buddy_typing_stopped_cb(PurpleAccount *account, const gchar *name,
					 gpointer user_data)
{
	pg_purple_events_typing(account, name, PURPLE_NOT_TYPING);
}

static void
pg_purple_events_buddy_status_changed_cb(PurpleBuddy *buddy, PurpleStatus *old_status,
					 PurpleStatus *new_status, gpointer user_data)
{
	pg_purple_buddies_presence(buddy);
}

static void
pg_purple_events_buddy_signed_cb(PurpleBuddy *buddy, gpointer user_data)
{
	pg_purple_buddies_presence(buddy);
}

/* SMS -------------------------------------------------------------------------- */

static void
pg_purple_events_sms_sent_cb(PurpleAccount *account, const gchar *to, const gchar *message_id,
			     gint outcome, const gchar *reason, gpointer user_data)
{
	PgPurpleAccount *entry = pg_purple_worker_lookup(account);

	if (entry == NULL || to == NULL || message_id == NULL || outcome < 0)
		return;
	pg_purple_worker_emit(pg_purple_worker_message_new(
	    PG_IPC_EVT_SMS_SENT, pg_purple_worker_get()->sending_request, "account",
	    pg_purple_text_new(entry->key), "to", pg_purple_text_new(to), "message_id",
	    pg_purple_text_new(message_id), "outcome", g_variant_new_uint32((guint32)outcome),
	    "reason", reason != NULL && reason[0] != '\0' ? pg_purple_text_new(reason) : NULL,
	    NULL));
}

/* Wiring --------------------------------------------------------------------- */

void
pg_purple_events_connect(void)
{
	void *handle = &pg_purple_events_handle;
	void *connections = purple_connections_get_handle();
	void *conversations = purple_conversations_get_handle();
	void *blist = purple_blist_get_handle();
	PurplePlugin *sms;

	pg_purple_events_rooms = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
						       (GDestroyNotify)pg_purple_room_free);
	purple_signal_connect(purple_accounts_get_handle(), "account-connecting", handle,
			      PURPLE_CALLBACK(pg_purple_events_account_connecting_cb), NULL);
	purple_signal_connect(connections, "signed-on", handle,
			      PURPLE_CALLBACK(pg_purple_events_signed_on_cb), NULL);
	purple_signal_connect(connections, "signed-off", handle,
			      PURPLE_CALLBACK(pg_purple_events_signed_off_cb), NULL);
	purple_signal_connect(connections, "connection-error", handle,
			      PURPLE_CALLBACK(pg_purple_events_connection_error_cb), NULL);
	purple_signal_connect(conversations, "chat-joined", handle,
			      PURPLE_CALLBACK(pg_purple_events_chat_joined_cb), NULL);
	purple_signal_connect(conversations, "chat-left", handle,
			      PURPLE_CALLBACK(pg_purple_events_chat_left_cb), NULL);
	purple_signal_connect(conversations, "deleting-conversation", handle,
			      PURPLE_CALLBACK(pg_purple_events_deleting_conversation_cb), NULL);
	purple_signal_connect(conversations, "chat-buddy-joined", handle,
			      PURPLE_CALLBACK(pg_purple_events_chat_buddy_joined_cb), NULL);
	purple_signal_connect(conversations, "chat-buddy-left", handle,
			      PURPLE_CALLBACK(pg_purple_events_chat_buddy_left_cb), NULL);
	purple_signal_connect(conversations, "chat-join-failed", handle,
			      PURPLE_CALLBACK(pg_purple_events_chat_join_failed_cb), NULL);
	purple_conversations_set_ui_ops(&pg_purple_events_conversation_ops);
	purple_signal_connect(conversations, "chat-topic-changed", handle,
			      PURPLE_CALLBACK(pg_purple_events_chat_topic_changed_cb), NULL);
	purple_signal_connect(conversations, "receiving-chat-msg", handle,
			      PURPLE_CALLBACK(pg_purple_events_receiving_chat_msg_cb), NULL);
	purple_signal_connect(conversations, "wrote-im-msg", handle,
			      PURPLE_CALLBACK(pg_purple_events_wrote_msg_cb), NULL);
	purple_signal_connect(conversations, "wrote-chat-msg", handle,
			      PURPLE_CALLBACK(pg_purple_events_wrote_msg_cb), NULL);
	purple_signal_connect(conversations, "buddy-typing", handle,
			      PURPLE_CALLBACK(pg_purple_events_buddy_typing_cb), NULL);
	purple_signal_connect(conversations, "buddy-typed", handle,
			      PURPLE_CALLBACK(pg_purple_events_buddy_typed_cb), NULL);
	purple_signal_connect(conversations, "buddy-typing-stopped", handle,
			      PURPLE_CALLBACK(pg_purple_events_buddy_typing_stopped_cb), NULL);
	purple_signal_connect(blist, "buddy-status-changed", handle,
			      PURPLE_CALLBACK(pg_purple_events_buddy_status_changed_cb), NULL);
	purple_signal_connect(blist, "buddy-signed-on", handle,
			      PURPLE_CALLBACK(pg_purple_events_buddy_signed_cb), NULL);
	purple_signal_connect(blist, "buddy-signed-off", handle,
			      PURPLE_CALLBACK(pg_purple_events_buddy_signed_cb), NULL);
	/* the plugin registers its signals when loaded, i.e. by core init */
	sms = purple_plugins_find_with_id(PG_PURPLE_SMS_PROTOCOL);
	if (sms != NULL && purple_plugin_is_loaded(sms))
		purple_signal_connect(sms, "sms-sent", handle,
				      PURPLE_CALLBACK(pg_purple_events_sms_sent_cb), NULL);
}

void
pg_purple_events_disconnect(void)
{
	purple_signals_disconnect_by_handle(&pg_purple_events_handle);
	purple_conversations_set_ui_ops(NULL);
	g_clear_pointer(&pg_purple_events_rooms, g_hash_table_unref);
}
