/* Buddy icons, as libpurple learns them, to the daemon (buddy-icon events,
 * src/ipc/pg-ipc-message.h), which shows them as XEP-0153 vCard avatars
 * (src/session/pg-contact-avatar.c).
 *
 * DESIGN: a plugin sets a buddy's icon with purple_buddy_icons_set_for_user()
 * (prpl-jabber 2.14: from the vCard PHOTO when a presence carries a new
 * vcard-temp:x:update hash, or from the XEP-0084 metadata node), and
 * libpurple emits "buddy-icon-changed" (blist.c purple_buddy_set_icon()).
 * Each one becomes an event with the image and its type, or without data
 * when the icon went.  At sign-on the icons libpurple already holds go out
 * too.  An icon over PG_PURPLE_ICON_MAX is reported as none (and logged):
 * the daemon would refuse it anyway, and the frame must stay small.
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-purple"

#include "pg-purple-icons.h"
#include "pg-purple-text.h"
#include "pg-purple-worker.h"

static gint pg_purple_icons_handle;

/* The MIME type of a libpurple icon extension (purple_util_get_image_extension()
 * names png, gif, jpg, tif, ico, bmp; "icon" when it cannot tell). */
static const gchar *
pg_purple_icons_type(const gchar *extension)
{
	static const struct {
		const gchar *extension;
		const gchar *type;
	} types[] = {
	    {"png", "image/png"},
	    {"gif", "image/gif"},
	    {"jpg", "image/jpeg"},
	    {"tif", "image/tiff"},
	    {"ico", "image/vnd.microsoft.icon"},
	    {"bmp", "image/bmp"},
	};

	for (gsize i = 0; extension != NULL && i < G_N_ELEMENTS(types); i++)
		if (g_ascii_strcasecmp(extension, types[i].extension) == 0)
			return types[i].type;
	return "application/octet-stream";
}

void
pg_purple_icons_report(PurpleBuddy *buddy)
{
	PgPurpleAccount *entry = pg_purple_worker_lookup(purple_buddy_get_account(buddy));
	PurpleBuddyIcon *icon;
	gconstpointer data = NULL;
	size_t len = 0;
	GVariant *bytes = NULL;
	const gchar *type = NULL;

	if (entry == NULL || entry->state != PG_PURPLE_LOGIN_CONNECTED)
		return;
	icon = purple_buddy_get_icon(buddy);
	if (icon != NULL)
		data = purple_buddy_icon_get_data(icon, &len);
	if (data != NULL && len > PG_PURPLE_ICON_MAX) {
		g_message("%s: the icon of a buddy has %zu bytes, over %d: reported as none",
			  entry->key, len, PG_PURPLE_ICON_MAX);
		data = NULL;
	}
	if (data != NULL && len > 0) {
		bytes = g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, data, len, 1);
		type = pg_purple_icons_type(purple_buddy_icon_get_extension(icon));
	}
	pg_purple_worker_emit(pg_purple_worker_message_new(
	    PG_IPC_EVT_BUDDY_ICON, 0, "account", pg_purple_text_new(entry->key), "who",
	    pg_purple_text_new(purple_buddy_get_name(buddy)), "data", bytes, "type",
	    type != NULL ? g_variant_new_string(type) : NULL, NULL));
}

static void
pg_purple_icons_changed_cb(PurpleBuddy *buddy, gpointer user_data)
{
	pg_purple_icons_report(buddy);
}

/* After pg-purple-buddies.c's: a buddy is known before its icon. */
static void
pg_purple_icons_signed_on_cb(PurpleConnection *gc, gpointer user_data)
{
	GSList *buddies = purple_find_buddies(purple_connection_get_account(gc), NULL);

	for (GSList *l = buddies; l != NULL; l = l->next)
		if (purple_buddy_get_icon(l->data) != NULL)
			pg_purple_icons_report(l->data);
	g_slist_free(buddies);
}

void
pg_purple_icons_connect(void)
{
	purple_signal_connect(purple_blist_get_handle(), "buddy-icon-changed",
			      &pg_purple_icons_handle, PURPLE_CALLBACK(pg_purple_icons_changed_cb),
			      NULL);
	purple_signal_connect_priority(purple_connections_get_handle(), "signed-on",
				       &pg_purple_icons_handle,
				       PURPLE_CALLBACK(pg_purple_icons_signed_on_cb), NULL,
				       PURPLE_SIGNAL_PRIORITY_DEFAULT + 2);
}

void
pg_purple_icons_disconnect(void)
{
	purple_signals_disconnect_by_handle(&pg_purple_icons_handle);
}
