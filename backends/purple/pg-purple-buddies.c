/* The legacy buddy list, both ways.
 *
 * DESIGN: libpurple keeps each account's buddies in the global PurpleBuddyList
 * (blist.c): the plugin adds them as the server's roster arrives (prpl-jabber:
 * jabber_roster_parse), maybe before sign-on.  Events leave only once the
 * account is signed on: at sign-on every buddy goes out (buddy, then its
 * presence), and after that each "buddy-added" / "buddy-removed" signal.
 * So the daemon learns the whole list at every login, in the same order,
 * whatever the plugin did before; it treats a repeated buddy as known.
 *
 * The other way, add-buddy and remove-buddy change the list as Pidgin's
 * "Add Buddy" does: the buddy joins the blist, then purple_account_add_buddy()
 * lets the plugin tell its server (prpl-jabber: a roster set and a subscribe).
 * Names stay as the plugin spells them; the daemon bounds them
 * (src/session/pg-roster.c).
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-purple"

#include "core/pg-error.h"
#include "pg-purple-buddies.h"
#include "pg-purple-text.h"
#include "pg-purple-worker.h"

#define PG_PURPLE_DEFAULT_GROUP "Buddies"

static gint pg_purple_buddies_handle;

static const gchar *
pg_purple_buddies_status_name(PurpleStatus *status)
{
	switch (purple_status_type_get_primitive(purple_status_get_type(status))) {
	case PURPLE_STATUS_AVAILABLE:
	case PURPLE_STATUS_MOBILE:
	case PURPLE_STATUS_TUNE:
	case PURPLE_STATUS_MOOD:
		return "available";
	case PURPLE_STATUS_AWAY:
		return "away";
	case PURPLE_STATUS_EXTENDED_AWAY:
		return "xa";
	case PURPLE_STATUS_UNAVAILABLE:
		return "dnd";
	default:
		return "offline";
	}
}

/* The account's entry if it is signed on: before that, sign-on reports all. */
static PgPurpleAccount *
pg_purple_buddies_entry(PurpleBuddy *buddy)
{
	PgPurpleAccount *entry = pg_purple_worker_lookup(purple_buddy_get_account(buddy));

	if (entry == NULL || entry->state != PG_PURPLE_LOGIN_CONNECTED)
		return NULL;
	return entry;
}

void
pg_purple_buddies_presence(PurpleBuddy *buddy)
{
	PgPurpleAccount *entry = pg_purple_buddies_entry(buddy);
	PurpleStatus *status;
	const gchar *message;
	g_autofree gchar *plain = NULL;

	if (entry == NULL)
		return;
	status = purple_presence_get_active_status(purple_buddy_get_presence(buddy));
	if (status != NULL && !purple_presence_is_online(purple_buddy_get_presence(buddy)))
		status = NULL;
	message = status != NULL ? purple_status_get_attr_string(status, "message") : NULL;
	if (message != NULL)
		plain = pg_purple_text_plain(message);
	pg_purple_worker_emit(
	    pg_purple_worker_message_new(PG_IPC_EVT_BUDDY_PRESENCE, 0, "account",
					 pg_purple_text_new(entry->key), "who",
					 pg_purple_text_new(purple_buddy_get_name(buddy)), "status",
					 pg_purple_text_new(
					     status != NULL ? pg_purple_buddies_status_name(status)
							    : "offline"),
					 "message",
					 plain != NULL && plain[0] != '\0'
					     ? pg_purple_text_new(plain)
					     : NULL,
					 NULL));
}

static void
pg_purple_buddies_emit(PurpleBuddy *buddy)
{
	PgPurpleAccount *entry = pg_purple_buddies_entry(buddy);
	PurpleGroup *group;
	const gchar *alias;

	if (entry == NULL)
		return;
	group = purple_buddy_get_group(buddy);
	alias = purple_buddy_get_alias_only(buddy);
	pg_purple_worker_emit(
	    pg_purple_worker_message_new(PG_IPC_EVT_BUDDY, 0, "account",
					 pg_purple_text_new(entry->key), "who",
					 pg_purple_text_new(purple_buddy_get_name(buddy)), "alias",
					 alias != NULL && alias[0] != '\0'
					     ? pg_purple_text_new(alias)
					     : NULL,
					 "group",
					 group != NULL
					     ? pg_purple_text_new(purple_group_get_name(group))
					     : NULL,
					 NULL));
}

void
pg_purple_buddies_report_all(PurpleAccount *account)
{
	GSList *buddies = purple_find_buddies(account, NULL);

	for (GSList *l = buddies; l != NULL; l = l->next) {
		pg_purple_buddies_emit(l->data);
		pg_purple_buddies_presence(l->data);
	}
	g_slist_free(buddies);
}

static void
pg_purple_buddies_signed_on_cb(PurpleConnection *gc, gpointer user_data)
{
	pg_purple_buddies_report_all(purple_connection_get_account(gc));
}

static void
pg_purple_buddies_added_cb(PurpleBuddy *buddy, gpointer user_data)
{
	pg_purple_buddies_emit(buddy);
	pg_purple_buddies_presence(buddy);
}

static void
pg_purple_buddies_removed_cb(PurpleBuddy *buddy, gpointer user_data)
{
	PgPurpleAccount *entry = pg_purple_buddies_entry(buddy);
	GSList *same;
	guint n;

	if (entry == NULL)
		return;
	/* one name may sit in several groups: gone when the last one goes */
	same = purple_find_buddies(entry->account, purple_buddy_get_name(buddy));
	n = g_slist_length(same);
	g_slist_free(same);
	if (n > 1)
		return;
	pg_purple_worker_emit(
	    pg_purple_worker_message_new(PG_IPC_EVT_BUDDY_REMOVED, 0, "account",
					 pg_purple_text_new(entry->key), "who",
					 pg_purple_text_new(purple_buddy_get_name(buddy)), NULL));
}

static PgPurpleAccount *
pg_purple_buddies_signed_on_account(const PgIpcMessage *msg, GError **error)
{
	PgPurpleWorker *worker = pg_purple_worker_get();
	PgPurpleAccount *entry =
	    g_hash_table_lookup(worker->accounts, pg_ipc_message_get_string(msg, "account"));

	if (entry == NULL || !purple_account_is_connected(entry->account)) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
				    "the account is not signed on");
		return NULL;
	}
	return entry;
}

gboolean
pg_purple_buddies_add(const PgIpcMessage *msg, GError **error)
{
	PgPurpleAccount *entry = pg_purple_buddies_signed_on_account(msg, error);
	const gchar *who = pg_ipc_message_get_string(msg, "who");
	const gchar *group_name = pg_ipc_message_get_string(msg, "group");
	PurpleGroup *group;
	PurpleBuddy *buddy;

	if (entry == NULL)
		return FALSE;
	if (purple_find_buddy(entry->account, who) != NULL)
		return TRUE;
	if (group_name == NULL || group_name[0] == '\0')
		group_name = PG_PURPLE_DEFAULT_GROUP;
	group = purple_find_group(group_name);
	if (group == NULL) {
		group = purple_group_new(group_name);
		purple_blist_add_group(group, NULL);
	}
	buddy = purple_buddy_new(entry->account, who, pg_ipc_message_get_string(msg, "alias"));
	/* emits buddy-added: the daemon hears of it as of any other buddy */
	purple_blist_add_buddy(buddy, NULL, group, NULL);
	purple_account_add_buddy(entry->account, buddy);
	return TRUE;
}

gboolean
pg_purple_buddies_remove(const PgIpcMessage *msg, GError **error)
{
	PgPurpleAccount *entry = pg_purple_buddies_signed_on_account(msg, error);
	GSList *buddies;

	if (entry == NULL)
		return FALSE;
	buddies = purple_find_buddies(entry->account, pg_ipc_message_get_string(msg, "who"));
	for (GSList *l = buddies; l != NULL; l = l->next) {
		PurpleBuddy *buddy = l->data;
		/* the plugin tells the server, then the blist forgets it (buddy-removed) */
		purple_account_remove_buddy(entry->account, buddy, purple_buddy_get_group(buddy));
		purple_blist_remove_buddy(buddy);
	}
	g_slist_free(buddies);
	return TRUE;
}

void
pg_purple_buddies_connect(void)
{
	void *blist = purple_blist_get_handle();

	/* after pg-purple-events.c's: login-state connected goes out first */
	purple_signal_connect_priority(purple_connections_get_handle(), "signed-on",
				       &pg_purple_buddies_handle,
				       PURPLE_CALLBACK(pg_purple_buddies_signed_on_cb), NULL,
				       PURPLE_SIGNAL_PRIORITY_DEFAULT + 1);
	purple_signal_connect(blist, "buddy-added", &pg_purple_buddies_handle,
			      PURPLE_CALLBACK(pg_purple_buddies_added_cb), NULL);
	purple_signal_connect(blist, "buddy-removed", &pg_purple_buddies_handle,
			      PURPLE_CALLBACK(pg_purple_buddies_removed_cb), NULL);
}

void
pg_purple_buddies_disconnect(void)
{
	purple_signals_disconnect_by_handle(&pg_purple_buddies_handle);
}
