/* One-to-one messages from the legacy network: im-received.
 *
 * DESIGN: a received IM leaves from the conversation UI op write_conv, not
 * from the "received-im-msg" signal, because only the write carries the
 * message's time.  serv_got_im() (libpurple 2.14 server.c) emits
 * received-im-msg without it, then purple_conv_im_write(..., mtime), which
 * reaches write_conv (conversation.c purple_conversation_write()) for every
 * message it shows, with PURPLE_MESSAGE_RECV on what came from the other
 * side.  Our own sends come back there too (PURPLE_MESSAGE_SEND) and
 * system lines ("X has left the conversation", PURPLE_MESSAGE_SYSTEM):
 * neither is a message from the contact.
 *
 * Delayed delivery (XEP-0203): the plugin's mtime is the time it gives the
 * message.  prpl-jabber 2.14 (jabber/message.c) takes it from the stanza's
 * <delay/> (urn:xmpp:delay, or the legacy jabber:x:delay) when the server
 * kept the message offline, and otherwise from time(NULL) as it parses; it
 * passes flags 0 for a 1:1 message, never PURPLE_MESSAGE_DELAYED (only for
 * room history).  So a message is "late" when the plugin says DELAYED, or
 * when its time is more than PG_PURPLE_IM_LATE_S before ours: a live
 * message is written in the same second it is parsed (or the next).  A
 * plugin that stamps live messages with its server's clock (a web API) may
 * show a few seconds of skew as a delay; the stamp is still the server's
 * own time of the message, which is what a client shows.  A time in the
 * future is no delay.
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-purple"

#include <string.h>

#include "pg-purple-im.h"
#include "pg-purple-text.h"
#include "pg-purple-worker.h"

/* prpl-jabber names the sender of a message by its full JID, resource
 * included, and its normalize (the buddy's name) drops the resource; one
 * contact per resource would give the user a new contact for each of the
 * buddy's devices, and a reply to a resource that went away.  So when the
 * normal form is @who cut short (case folded), the normal form it is;
 * anything else a normalize does (prpl-irc folds case, the SMS plugin
 * rewrites numbers) leaves @who as it came, so a nick keeps the case its
 * owner chose and an SMS sender stays what the daemon expects. */
gchar *
pg_purple_im_contact(PurpleAccount *account, const gchar *who)
{
	const gchar *normal = purple_normalize(account, who);
	g_autofree gchar *folded_who = NULL;
	g_autofree gchar *folded_normal = NULL;

	if (normal == NULL)
		return g_strdup(who);
	folded_who = g_utf8_casefold(who, -1);
	folded_normal = g_utf8_casefold(normal, -1);
	if (strlen(folded_normal) < strlen(folded_who) &&
	    g_str_has_prefix(folded_who, folded_normal))
		return g_strdup(normal);
	return g_strdup(who);
}

/* pg_purple_im_expect_receipt() */
static PurpleAccount *pg_purple_im_receipt_account;
static guint32 pg_purple_im_receipt;

void
pg_purple_im_expect_receipt(PurpleAccount *account, guint32 number)
{
	pg_purple_im_receipt_account = account;
	pg_purple_im_receipt = number;
}

/* The number of the IM being written on @account, taken once; or 0. */
static guint32
pg_purple_im_take_receipt(PurpleAccount *account)
{
	guint32 number = pg_purple_im_receipt;

	if (account == NULL || account != pg_purple_im_receipt_account)
		return 0;
	pg_purple_im_expect_receipt(NULL, 0);
	return number;
}

gint64
pg_purple_im_stamp(PurpleMessageFlags flags, gint64 mtime, gint64 now)
{
	if (mtime <= 0 || mtime > now)
		return 0;
	if ((flags & PURPLE_MESSAGE_DELAYED) != 0 || mtime < now - PG_PURPLE_IM_LATE_S)
		return mtime;
	return 0;
}

void
pg_purple_im_write_conv(PurpleConversation *conv, const char *who, const char *alias,
			const char *message, PurpleMessageFlags flags, time_t mtime)
{
	PurpleAccount *account = purple_conversation_get_account(conv);
	PgPurpleAccount *entry = pg_purple_worker_lookup(account);
	const guint not_from_the_contact =
	    PURPLE_MESSAGE_SEND | PURPLE_MESSAGE_SYSTEM | PURPLE_MESSAGE_ERROR;
	g_autofree gchar *body = NULL;
	g_autofree gchar *from = NULL;
	gint64 stamp;
	guint32 receipt;

	if (entry == NULL || purple_conversation_get_type(conv) != PURPLE_CONV_TYPE_IM ||
	    (flags & PURPLE_MESSAGE_RECV) == 0 || (flags & not_from_the_contact) != 0)
		return;
	if (who == NULL)
		who = purple_conversation_get_name(conv);
	if (who == NULL || message == NULL)
		return;
	body = pg_purple_text_plain(message);
	from = pg_purple_im_contact(account, who);
	stamp = pg_purple_im_stamp(flags, (gint64)mtime, g_get_real_time() / G_USEC_PER_SEC);
	receipt = pg_purple_im_take_receipt(account); /* XEP-0184 */
	pg_purple_worker_emit(pg_purple_worker_message_new(
	    PG_IPC_EVT_IM_RECEIVED, 0, "account", pg_purple_text_new(entry->key), "from",
	    pg_purple_text_new(from), "body", pg_purple_text_new(body), "flags",
	    g_variant_new_uint32(flags), "stamp", stamp != 0 ? g_variant_new_int64(stamp) : NULL,
	    "receipt", receipt != 0 ? g_variant_new_uint32(receipt) : NULL, NULL));
}
