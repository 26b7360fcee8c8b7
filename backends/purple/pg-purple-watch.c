/* IRC contacts' presence, sooner than prpl-irc alone gives it.
 *
 * WHY: prpl-irc learns whether its buddies are online by ISON, every 45 s
 * (irc_blist_timeout), and knows no MONITOR (IRCv3, "monitor" in ISUPPORT:
 * the server tells at once when a watched nick comes or goes).  A contact
 * that comes online should show within seconds.
 *
 * HOW: for each signed-on prpl-irc account
 *   - if the server's 005 (RPL_ISUPPORT) offers MONITOR, every buddy is
 *     watched with "MONITOR + nick,..." (at the 005, and for each buddy
 *     added later), and 730 (RPL_MONONLINE) / 731 (RPL_MONOFFLINE) set the
 *     buddy's status with purple_prpl_got_user_status(), which is what
 *     prpl-irc's own ISON answer does;
 *   - otherwise an ISON of all its buddies goes out every
 *     PG_PURPLE_WATCH_ISON_S seconds.  Each 303 (RPL_ISON) answers the
 *     oldest ISON not answered yet (ours or prpl-irc's, both seen on
 *     "irc-sending-text"): the nicks it asked about and lists are online,
 *     the others it asked about offline.  prpl-irc reads the 303 too, but
 *     only its own poll ever clears its "online" marks (irc_buddy_query), so
 *     alone it would see a contact leave 45 s late.
 * Whether an online contact is away comes from USERHOST (its '-' flag),
 * asked in the same tick for the buddies online.  Its away message only
 * WHOIS gives (301 RPL_AWAY, RFC 2812 §5.1): when USERHOST first says a
 * contact is away, one "WHOIS nick" goes out, and its 301 sets the buddy
 * away with that message (the status attribute "message" of prpl-irc's
 * away status), which becomes the presence's <status/>.  prpl-irc would
 * make a 301 with no WHOIS of its own pending an auto-reply IM, and shows
 * nothing of the other WHOIS numerics, so the lines answering our WHOIS
 * are blanked before it parses them (it skips an empty line as
 * unrecognised); the buffer is prpl-irc's to write (irc_parse_msg() takes
 * it as char *), and blanking only shortens it.  A 301 that answers a
 * message the user sent updates the message too, and stays the user's
 * auto-reply.  Where the server has IRCv3 away-notify (asked for with
 * CAP REQ after the 001; the server's ACK or NAK is ours and blanked, and
 * prpl-irc ignores AWAY lines), a contact in a channel we share sends
 * ":nick!user@host AWAY :message" on every change, and plain "AWAY" when
 * back: its message shows at once, a changed one too.  Elsewhere a
 * changed message while still away shows only when a 301 meets a message
 * to the contact (USERHOST says "still away", nothing more).
 * Status changes reach the daemon as every buddy's do
 * (pg-purple-buddies.c: buddy-presence).  Lines go out through the
 * plugin's send_raw, under its throttle (pg-purple-sendq.c).
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-purple"

#include <string.h>

#include "pg-purple-watch.h"
#include "pg-purple-worker.h"
#include "stanza/pg-text.h"

#define PG_PURPLE_WATCH_ISON_S 10
/* bytes of nicks per ISON / MONITOR line: RFC 2812 §2.3, 512 with CR LF */
#define PG_PURPLE_WATCH_LINE_MAX 400

static gint pg_purple_watch_handle;
static guint pg_purple_watch_timer;
/* account keys whose server offers MONITOR */
static GHashTable *pg_purple_watch_monitor;
/* account key -> GQueue of GStrv: the nicks of each ISON sent, unanswered */
static GHashTable *pg_purple_watch_asked;
/* ISONs kept per account: past it the oldest is dropped (a server that
 * answers none would otherwise grow the queue) */
#define PG_PURPLE_WATCH_ASKED_MAX 32
/* account key -> GHashTable: casefolded nick -> our WHOIS of it, pending */
static GHashTable *pg_purple_watch_whois;
/* WHOISes pending per account at most (a server that answers none) */
#define PG_PURPLE_WATCH_WHOIS_MAX 64

static void
pg_purple_watch_queue_free(GQueue *queue)
{
	g_queue_free_full(queue, (GDestroyNotify)g_strfreev);
}

static void
pg_purple_watch_sending_cb(PurpleConnection *gc, gchar **line, gpointer user_data)
{
	PgPurpleAccount *entry = pg_purple_worker_lookup(purple_connection_get_account(gc));
	g_autofree gchar *text = NULL;
	GQueue *queue;

	if (entry == NULL || line == NULL || *line == NULL ||
	    g_ascii_strncasecmp(*line, "ISON ", 5) != 0)
		return;
	text = g_strstrip(g_strdup(*line + 5));
	queue = g_hash_table_lookup(pg_purple_watch_asked, entry->key);
	if (queue == NULL) {
		queue = g_queue_new();
		g_hash_table_insert(pg_purple_watch_asked, g_strdup(entry->key), queue);
	}
	if (g_queue_get_length(queue) >= PG_PURPLE_WATCH_ASKED_MAX)
		g_strfreev(g_queue_pop_head(queue));
	g_queue_push_tail(queue, g_strsplit_set(text[0] == ':' ? text + 1 : text, " ", -1));
}

static void pg_purple_watch_send(PurpleConnection *gc, const gchar *line);

/* Ask WHOIS of @nick once, for its away message (its 301). */
static void
pg_purple_watch_ask_away(PurpleAccount *account, const gchar *nick)
{
	PgPurpleAccount *entry = pg_purple_worker_lookup(account);
	PurpleConnection *gc = purple_account_get_connection(account);
	GHashTable *asked;
	g_autofree gchar *line = NULL;

	if (entry == NULL || gc == NULL)
		return;
	asked = g_hash_table_lookup(pg_purple_watch_whois, entry->key);
	if (asked == NULL) {
		asked = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_hash_table_insert(pg_purple_watch_whois, g_strdup(entry->key), asked);
	}
	if (g_hash_table_size(asked) >= PG_PURPLE_WATCH_WHOIS_MAX)
		g_hash_table_remove_all(asked);
	if (!g_hash_table_add(asked, g_utf8_casefold(nick, -1)))
		return; /* asked already */
	line = g_strdup_printf("WHOIS %s", nick);
	pg_purple_watch_send(gc, line);
}

/* What a line says of @nick: "online" (ISON, MONITOR: available unless it
 * is known away), "offline", "away" or "here" (USERHOST).  The buddy's
 * status changes only when that says something new, so the polls make no
 * presence of their own. */
static void
pg_purple_watch_set(PurpleAccount *account, const gchar *nick, const gchar *what)
{
	PurpleBuddy *buddy = purple_find_buddy(account, nick);
	PurplePresence *presence;
	gboolean online;
	gboolean available;

	if (buddy == NULL)
		return;
	presence = purple_buddy_get_presence(buddy);
	online = purple_presence_is_online(presence);
	available = purple_presence_is_available(presence);
	if (g_strcmp0(what, "offline") == 0 && online)
		purple_prpl_got_user_status(account, nick, "offline", NULL);
	else if (g_strcmp0(what, "online") == 0 && !online)
		purple_prpl_got_user_status(account, nick, "available", NULL);
	else if (g_strcmp0(what, "away") == 0 && online && available)
		pg_purple_watch_ask_away(account, nick); /* away with its message */
	else if (g_strcmp0(what, "here") == 0 && online && !available)
		purple_prpl_got_user_status(account, nick, "available", NULL);
}

/* 302 ":server 302 me :nick*=+user@host nick2=-user@host": '-' is away
 * (RFC 2812 §4.8). */
static void
pg_purple_watch_userhost_answer(PurpleAccount *account, const gchar *replies)
{
	g_auto(GStrv) items = g_strsplit(replies, " ", -1);

	for (guint i = 0; items[i] != NULL; i++) {
		gchar *equals = strchr(items[i], '=');
		if (equals == NULL || equals == items[i] || (equals[1] != '+' && equals[1] != '-'))
			continue;
		gboolean away = equals[1] == '-';
		*equals = '\0';
		if (equals[-1] == '*') /* an IRC operator */
			equals[-1] = '\0';
		pg_purple_watch_set(account, items[i], away ? "away" : "here");
	}
}

/* 303 ":server 303 me :nick nick": the answer to the oldest ISON. */
static void
pg_purple_watch_ison_answer(PgPurpleAccount *entry, const gchar *listed)
{
	GQueue *queue = g_hash_table_lookup(pg_purple_watch_asked, entry->key);
	g_auto(GStrv) asked = queue != NULL ? g_queue_pop_head(queue) : NULL;
	g_auto(GStrv) online = g_strsplit(listed, " ", -1);

	for (guint i = 0; asked != NULL && asked[i] != NULL; i++) {
		gboolean on = FALSE;
		if (asked[i][0] == '\0' || purple_find_buddy(entry->account, asked[i]) == NULL)
			continue;
		for (guint j = 0; online[j] != NULL && !on; j++)
			on = purple_utf8_strcasecmp(online[j], asked[i]) == 0;
		pg_purple_watch_set(entry->account, asked[i], on ? "online" : "offline");
	}
}

static gboolean
pg_purple_watch_is_irc(PurpleAccount *account)
{
	return g_strcmp0(purple_account_get_protocol_id(account), "prpl-irc") == 0;
}

static void
pg_purple_watch_send(PurpleConnection *gc, const gchar *line)
{
	PurplePluginProtocolInfo *prpl_info =
	    PURPLE_PLUGIN_PROTOCOL_INFO(purple_connection_get_prpl(gc));
	g_autofree gchar *raw = g_strdup_printf("%s\r\n", line);

	if (prpl_info != NULL && prpl_info->send_raw != NULL)
		prpl_info->send_raw(gc, raw, (gint)strlen(raw));
}

/* "@command nick nick ..." (ISON: spaces) or "@command nick,nick" (MONITOR
 * +: commas), in lines of at most PG_PURPLE_WATCH_LINE_MAX bytes, for
 * every buddy of @account. */
static void
pg_purple_watch_send_buddies(PurpleConnection *gc, const gchar *command, gchar separator)
{
	PurpleAccount *account = purple_connection_get_account(gc);
	GSList *buddies = purple_find_buddies(account, NULL);
	g_autoptr(GString) line = g_string_new(NULL);

	for (GSList *l = buddies; l != NULL; l = l->next) {
		const gchar *name = purple_buddy_get_name(l->data);
		if (line->len > 0 && line->len + strlen(name) + 1 > PG_PURPLE_WATCH_LINE_MAX) {
			pg_purple_watch_send(gc, line->str);
			g_string_truncate(line, 0);
		}
		if (line->len == 0)
			g_string_append_printf(line, "%s ", command);
		else
			g_string_append_c(line, separator);
		g_string_append(line, name);
	}
	if (line->len > 0)
		pg_purple_watch_send(gc, line->str);
	g_slist_free(buddies);
}

/* Neither ISON nor MONITOR says who is away: USERHOST does, five nicks a
 * line (RFC 2812 §4.8), for the buddies online now. */
static void
pg_purple_watch_userhost(PurpleConnection *gc)
{
	GSList *buddies = purple_find_buddies(purple_connection_get_account(gc), NULL);
	g_autoptr(GString) line = g_string_new(NULL);
	guint n = 0;

	for (GSList *l = buddies; l != NULL; l = l->next) {
		if (!PURPLE_BUDDY_IS_ONLINE((PurpleBuddy *)l->data))
			continue;
		g_string_append_printf(line, "%s%s", n == 0 ? "USERHOST " : " ",
				       purple_buddy_get_name(l->data));
		if (++n == 5) {
			pg_purple_watch_send(gc, line->str);
			g_string_truncate(line, 0);
			n = 0;
		}
	}
	if (n > 0)
		pg_purple_watch_send(gc, line->str);
	g_slist_free(buddies);
}

static gboolean
pg_purple_watch_ison_cb(gpointer user_data)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, pg_purple_worker_get()->accounts);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgPurpleAccount *entry = value;
		PurpleConnection *gc = purple_account_get_connection(entry->account);
		if (gc == NULL || purple_connection_get_state(gc) != PURPLE_CONNECTED ||
		    !pg_purple_watch_is_irc(entry->account))
			continue;
		pg_purple_watch_userhost(gc);
		if (!g_hash_table_contains(pg_purple_watch_monitor, entry->key))
			pg_purple_watch_send_buddies(gc, "ISON", ' ');
	}
	return G_SOURCE_CONTINUE;
}

/* 730 / 731: "nick!user@host,nick2..." (or bare nicks) */
static void
pg_purple_watch_set_status(PurpleAccount *account, const gchar *targets, const gchar *status)
{
	g_auto(GStrv) items = g_strsplit(targets, ",", -1);

	for (guint i = 0; items[i] != NULL; i++) {
		gchar *bang = strchr(items[i], '!');
		if (bang != NULL)
			*bang = '\0';
		g_strstrip(items[i]);
		if (items[i][0] != '\0')
			pg_purple_watch_set(account, items[i], status);
	}
}

/* 301 ":server 301 me nick :message": @nick is away with @message (raw
 * IRC bytes). */
static void
pg_purple_watch_away_message(PurpleAccount *account, const gchar *nick, const gchar *message)
{
	PurpleBuddy *buddy = purple_find_buddy(account, nick);
	g_autofree gchar *utf8 = NULL;
	g_autofree gchar *html = NULL;

	if (buddy == NULL || !purple_presence_is_online(purple_buddy_get_presence(buddy)))
		return;
	/* the status message is HTML to libpurple (pg_purple_buddies_presence()
	 * strips it); the daemon cleans the text for its stanza */
	utf8 = pg_text_sanitize(message, -1, PG_TEXT_UTF8, NULL);
	html = g_markup_escape_text(utf8, -1);
	purple_prpl_got_user_status(account, nick, "away", "message", html, NULL);
}

/* Whether @line (split in @words, its trailing parameter @trailing)
 * answers our WHOIS; the 301 in it sets the away message, the 318 ends it. */
static gboolean
pg_purple_watch_whois_answer(PgPurpleAccount *entry, gchar **words, const gchar *trailing)
{
	static const gchar *const numerics[] = { "276", "301", "307", "311", "312", "313",
						 "317", "318", "319", "320", "330", "338",
						 "378", "379", "671", NULL };
	GHashTable *asked = g_hash_table_lookup(pg_purple_watch_whois, entry->key);
	g_autofree gchar *nick = NULL;
	g_autofree gchar *folded = NULL;

	if (!g_strv_contains(numerics, words[1]))
		return FALSE;
	/* a server's bytes: casefolding reads them as UTF-8 */
	nick = g_utf8_make_valid(words[3], (gssize)strcspn(words[3], " "));
	folded = g_utf8_casefold(nick, -1);
	if (asked == NULL || !g_hash_table_contains(asked, folded)) {
		/* RFC 2812 §3.3.1: a PRIVMSG to an away nick is answered with its
		 * 301; prpl-irc shows it as an auto-reply, and it is news here */
		if (g_strcmp0(words[1], "301") == 0 && trailing != words[3])
			pg_purple_watch_away_message(entry->account, nick, trailing);
		return FALSE;
	}
	if (g_strcmp0(words[1], "301") == 0 && trailing != words[3])
		pg_purple_watch_away_message(entry->account, nick, trailing);
	else if (g_strcmp0(words[1], "318") == 0)
		g_hash_table_remove(asked, folded);
	return TRUE;
}

static void
pg_purple_watch_receiving_cb(PurpleConnection *gc, gchar **line, gpointer user_data)
{
	PurpleAccount *account = purple_connection_get_account(gc);
	PgPurpleAccount *entry = pg_purple_worker_lookup(account);
	g_auto(GStrv) words = NULL;
	const gchar *trailing;

	if (entry == NULL || line == NULL || *line == NULL || (*line)[0] != ':')
		return;
	words = g_strsplit(*line, " ", 4);
	if (g_strv_length(words) >= 2 && g_strcmp0(words[1], "AWAY") == 0) {
		/* IRCv3 away-notify: ":nick!user@host AWAY [:message]" */
		g_autofree gchar *nick =
		    g_utf8_make_valid(words[0] + 1, (gssize)strcspn(words[0] + 1, "!"));
		trailing = strstr(*line, " :");
		trailing = trailing != NULL ? trailing + 2 : words[2];
		if (trailing != NULL && trailing[0] != '\0')
			pg_purple_watch_away_message(account, nick, trailing);
		else
			pg_purple_watch_set(account, nick, "here");
		return;
	}
	if (g_strv_length(words) < 4)
		return;
	trailing = strstr(*line, " :");
	trailing = trailing != NULL ? trailing + 2 : words[3];
	if (g_strcmp0(words[1], "001") == 0) {
		pg_purple_watch_send(gc, "CAP REQ :away-notify");
	} else if (g_strcmp0(words[1], "CAP") == 0 && strstr(trailing, "away-notify") != NULL) {
		(*line)[0] = '\0'; /* our CAP REQ's ACK or NAK: not prpl-irc's SASL */
	} else if (pg_purple_watch_whois_answer(entry, words, trailing)) {
		(*line)[0] = '\0'; /* ours: not for prpl-irc (see the top) */
	} else if (g_strcmp0(words[1], "005") == 0) {
		g_auto(GStrv) tokens = g_strsplit(words[3], " ", -1);
		for (guint i = 0; tokens[i] != NULL && tokens[i][0] != ':'; i++) {
			if (g_strcmp0(tokens[i], "MONITOR") == 0 ||
			    g_str_has_prefix(tokens[i], "MONITOR=")) {
				g_hash_table_add(pg_purple_watch_monitor, g_strdup(entry->key));
				pg_purple_watch_send_buddies(gc, "MONITOR +", ',');
				break;
			}
		}
	} else if (g_strcmp0(words[1], "302") == 0) {
		g_autofree gchar *replies = g_strstrip(g_strdup(trailing));
		pg_purple_watch_userhost_answer(account, replies);
	} else if (g_strcmp0(words[1], "303") == 0) {
		g_autofree gchar *listed = g_strstrip(g_strdup(trailing));
		pg_purple_watch_ison_answer(entry, listed);
	} else if (g_strcmp0(words[1], "730") == 0) {
		g_autofree gchar *targets = g_strchomp(g_strdup(trailing));
		pg_purple_watch_set_status(account, targets, "online");
	} else if (g_strcmp0(words[1], "731") == 0) {
		g_autofree gchar *targets = g_strchomp(g_strdup(trailing));
		pg_purple_watch_set_status(account, targets, "offline");
	}
}

static void
pg_purple_watch_buddy_added_cb(PurpleBuddy *buddy, gpointer user_data)
{
	PurpleAccount *account = purple_buddy_get_account(buddy);
	PgPurpleAccount *entry = pg_purple_worker_lookup(account);
	PurpleConnection *gc = purple_account_get_connection(account);
	g_autofree gchar *line = NULL;

	if (entry == NULL || gc == NULL || purple_connection_get_state(gc) != PURPLE_CONNECTED ||
	    !g_hash_table_contains(pg_purple_watch_monitor, entry->key))
		return;
	line = g_strdup_printf("MONITOR + %s", purple_buddy_get_name(buddy));
	pg_purple_watch_send(gc, line);
}

static void
pg_purple_watch_signed_off_cb(PurpleConnection *gc, gpointer user_data)
{
	PgPurpleAccount *entry = pg_purple_worker_lookup(purple_connection_get_account(gc));

	/* the next server may not offer it, nor answer these */
	if (entry != NULL) {
		g_hash_table_remove(pg_purple_watch_monitor, entry->key);
		g_hash_table_remove(pg_purple_watch_asked, entry->key);
		g_hash_table_remove(pg_purple_watch_whois, entry->key);
	}
}

void
pg_purple_watch_connect(void)
{
	PurplePlugin *irc = purple_plugins_find_with_id("prpl-irc");

	pg_purple_watch_monitor = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	pg_purple_watch_asked = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						      (GDestroyNotify)pg_purple_watch_queue_free);
	pg_purple_watch_whois = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						      (GDestroyNotify)g_hash_table_unref);
	if (irc == NULL || !purple_plugin_is_loaded(irc))
		return;
	purple_signal_connect(irc, "irc-receiving-text", &pg_purple_watch_handle,
			      PURPLE_CALLBACK(pg_purple_watch_receiving_cb), NULL);
	purple_signal_connect(irc, "irc-sending-text", &pg_purple_watch_handle,
			      PURPLE_CALLBACK(pg_purple_watch_sending_cb), NULL);
	purple_signal_connect(purple_blist_get_handle(), "buddy-added", &pg_purple_watch_handle,
			      PURPLE_CALLBACK(pg_purple_watch_buddy_added_cb), NULL);
	purple_signal_connect(purple_connections_get_handle(), "signed-off",
			      &pg_purple_watch_handle,
			      PURPLE_CALLBACK(pg_purple_watch_signed_off_cb), NULL);
	pg_purple_watch_timer =
	    g_timeout_add_seconds(PG_PURPLE_WATCH_ISON_S, pg_purple_watch_ison_cb, NULL);
}

void
pg_purple_watch_disconnect(void)
{
	g_clear_handle_id(&pg_purple_watch_timer, g_source_remove);
	purple_signals_disconnect_by_handle(&pg_purple_watch_handle);
	g_clear_pointer(&pg_purple_watch_monitor, g_hash_table_unref);
	g_clear_pointer(&pg_purple_watch_asked, g_hash_table_unref);
	g_clear_pointer(&pg_purple_watch_whois, g_hash_table_unref);
}
