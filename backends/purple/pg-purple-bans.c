/* Bans set or lifted in a channel by someone else, as room-ban events.
 *
 * prpl-irc writes another user's MODE +b into the conversation as text
 * ("mode (+b mask) by op") and emits no signal for it, so the raw line
 * ("irc-receiving-text", each line before prpl-irc parses it) is read
 * here: ":op!u@h MODE #chan +bo-b mask1 nick mask2" (RFC 2812 §3.2.3)
 * gives one room-ban per b, with the mask, who set it, and the channel's
 * people as nick!user@host (prpl-irc's "userhost" of each chat buddy, from
 * its JOIN or the WHO after ours), so the daemon can tell whom a mask bans
 * (a community bridge makes them room outcasts, issue 11).  Our own MODE
 * lines are the admin commands' (pg-purple-admin.c), not reported. */
#define G_LOG_DOMAIN "pg-purple"

#include "config.h"

#include <string.h>

#include "pg-purple-bans.h"
#include "pg-purple-text.h"
#include "pg-purple-worker.h"

static gint pg_purple_bans_handle;

/* Whether channel mode @mode, being set (@plus) or unset, takes an
 * argument: the list modes and the prefixes always, a key always (most
 * servers), the rest only when set (l, and InspIRCd's f j).  A mode this
 * table gets wrong only shifts the arguments of the modes after it. */
static gboolean
pg_purple_bans_takes_arg(gchar mode, gboolean plus)
{
	if (strchr("beIqaohvk", mode) != NULL)
		return TRUE;
	return plus && strchr("lfjL", mode) != NULL;
}

static GVariant *
pg_purple_bans_occupants(PurpleConversation *conv)
{
	GVariantBuilder builder;

	g_variant_builder_init(&builder, G_VARIANT_TYPE("as"));
	for (GList *users = purple_conv_chat_get_users(PURPLE_CONV_CHAT(conv)); users != NULL;
	     users = users->next) {
		PurpleConvChatBuddy *buddy = users->data;
		const gchar *name = purple_conv_chat_cb_get_name(buddy);
		const gchar *userhost = purple_conv_chat_cb_get_attribute(buddy, "userhost");
		g_autofree gchar *who = userhost != NULL && strchr(userhost, '@') != NULL
					    ? g_strdup_printf("%s!%s", name, userhost)
					    : g_strdup(name);
		g_variant_builder_add_value(&builder, pg_purple_text_new(who));
	}
	return g_variant_builder_end(&builder);
}

static void
pg_purple_bans_receiving_cb(PurpleConnection *gc, gchar **line, gpointer user_data)
{
	PurpleAccount *account = purple_connection_get_account(gc);
	PgPurpleAccount *entry = pg_purple_worker_lookup(account);
	const gchar *me = purple_connection_get_display_name(gc);
	g_auto(GStrv) words = NULL;
	g_autofree gchar *from = NULL;
	PurpleConversation *conv;
	guint n;
	guint arg = 4;
	gboolean plus = TRUE;

	if (entry == NULL || line == NULL || *line == NULL || (*line)[0] != ':' ||
	    strstr(*line, " MODE ") == NULL)
		return;
	words = g_strsplit(*line + 1, " ", -1);
	n = g_strv_length(words);
	/* ":from MODE #chan modes [args]"; a trailing ':' on the last one */
	if (n < 5 || g_strcmp0(words[1], "MODE") != 0 || strchr("#&!+", words[2][0]) == NULL)
		return;
	if (words[n - 1][0] == ':')
		memmove(words[n - 1], words[n - 1] + 1, strlen(words[n - 1]));
	from = g_strndup(words[0], strcspn(words[0], "!"));
	if (me != NULL && purple_utf8_strcasecmp(from, me) == 0)
		return;
	conv = purple_find_conversation_with_account(PURPLE_CONV_TYPE_CHAT, words[2], account);
	if (conv == NULL)
		return;
	for (const gchar *mode = words[3]; *mode != '\0'; mode++) {
		if (*mode == '+' || *mode == '-') {
			plus = *mode == '+';
			continue;
		}
		if (!pg_purple_bans_takes_arg(*mode, plus))
			continue;
		if (arg >= n)
			break;
		if (*mode == 'b')
			pg_purple_worker_emit(pg_purple_worker_message_new(
			    PG_IPC_EVT_ROOM_BAN, 0, "account", pg_purple_text_new(entry->key), "room",
			    pg_purple_text_new(purple_conversation_get_name(conv)), "mask",
			    pg_purple_text_new(words[arg]), "set", g_variant_new_boolean(plus), "by",
			    pg_purple_text_new(from), "occupants", pg_purple_bans_occupants(conv),
			    NULL));
		arg++;
	}
}

void
pg_purple_bans_connect(void)
{
	PurplePlugin *irc = purple_plugins_find_with_id("prpl-irc");

	if (irc != NULL && purple_plugin_is_loaded(irc))
		purple_signal_connect(irc, "irc-receiving-text", &pg_purple_bans_handle,
				      PURPLE_CALLBACK(pg_purple_bans_receiving_cb), NULL);
}

void
pg_purple_bans_disconnect(void)
{
	purple_signals_disconnect_by_handle(&pg_purple_bans_handle);
}
