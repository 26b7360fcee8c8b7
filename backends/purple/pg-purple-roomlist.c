/* The network's room list: list-rooms -> libpurple's roomlist -> room-list.
 *
 * DESIGN: purple_roomlist_get_list() asks the plugin (prpl-irc sends LIST)
 * and returns a PurpleRoomlist that fills as the server answers: each room
 * comes through the add_room UI op, and the end through in_progress(FALSE)
 * (prpl-irc: RPL_LISTEND, 323).  We hold a reference on the list while it
 * fills, so the plugin dropping its own (a second LIST, a disconnect) never
 * frees it under us.
 *
 * Rooms go to the daemon in chunks of PG_PURPLE_ROOMLIST_CHUNK, each a
 * room-list event with the command's request id, the last one complete.
 * The daemon's bound (max) is kept here too: past it the worker stops the
 * listing (purple_roomlist_cancel_get_list(), which ends it with
 * in_progress(FALSE)) and says truncated, so a network with a million
 * channels never fills the worker's memory.  libpurple keeps the rooms of a
 * list in list->rooms until the list goes, so the bound is the worker's
 * memory bound as well.
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-purple"

#include "core/pg-error.h"
#include "pg-purple-roomlist.h"
#include "pg-purple-worker.h"
#include "stanza/pg-text.h"

/* rooms per room-list frame: 256 rooms with 512-byte topics stay far under
 * PG_IPC_FRAME_MAX */
#define PG_PURPLE_ROOMLIST_CHUNK 256

typedef struct {
	gchar *account;       /* the daemon's key */
	guint max;            /* the daemon's bound */
	guint count;          /* rooms taken so far */
	gboolean truncated;   /* the bound stopped the listing */
	GVariantBuilder *chunk; /* a(sus), or NULL when empty */
	guint in_chunk;
} PgPurpleRoomlistRequest;

/* PurpleRoomlist * (referenced) -> PgPurpleRoomlistRequest (owned) */
static GHashTable *pg_purple_roomlist_requests;
static gint pg_purple_roomlist_handle;

static void
pg_purple_roomlist_request_free(PgPurpleRoomlistRequest *request)
{
	if (request->chunk != NULL)
		g_variant_builder_unref(request->chunk);
	g_free(request->account);
	g_free(request);
}

static void
pg_purple_roomlist_emit(const gchar *account, GVariantBuilder **chunk, gboolean complete,
			gboolean truncated, const gchar *error)
{
	GVariant *rooms;

	if (*chunk == NULL)
		rooms = g_variant_new_array(G_VARIANT_TYPE("(sus)"), NULL, 0);
	else
		rooms = g_variant_builder_end(*chunk);
	g_clear_pointer(chunk, g_variant_builder_unref);
	pg_purple_worker_emit(pg_purple_worker_message_new(
	    PG_IPC_EVT_ROOM_LIST, 0, "account", g_variant_new_string(account), "rooms", rooms,
	    "complete", g_variant_new_boolean(complete), "truncated",
	    complete ? g_variant_new_boolean(truncated) : NULL, "error",
	    error != NULL ? g_variant_new_string(error) : NULL, NULL));
}

/* A field's text, as the plugin gives it (prpl-irc strips mIRC codes from
 * topics: irc_mirc2txt); anything not valid UTF-8 is made so, since a
 * GVariant string must be. */
static gchar *
pg_purple_roomlist_text(const gchar *text)
{
	if (text == NULL)
		return g_strdup("");
	if (g_utf8_validate(text, -1, NULL))
		return g_strdup(text);
	return pg_text_sanitize(text, -1, PG_TEXT_UTF8, NULL);
}

static void
pg_purple_roomlist_add_room(PurpleRoomlist *list, PurpleRoomlistRoom *room)
{
	PgPurpleRoomlistRequest *request = g_hash_table_lookup(pg_purple_roomlist_requests, list);
	g_autofree gchar *name = NULL;
	g_autofree gchar *topic = NULL;
	guint users = 0;
	GList *value;
	GList *field;

	if (request == NULL || request->truncated ||
	    purple_roomlist_room_get_type(room) != PURPLE_ROOMLIST_ROOMTYPE_ROOM)
		return;
	if (request->count >= request->max) {
		/* ends the listing through in_progress(FALSE) */
		request->truncated = TRUE;
		purple_roomlist_cancel_get_list(list);
		return;
	}
	name = pg_purple_roomlist_text(purple_roomlist_room_get_name(room));
	/* the plugin's columns: the first int is the user count, the string
	 * named "topic" the topic (prpl-irc: channel, users, topic) */
	for (field = purple_roomlist_get_fields(list), value = purple_roomlist_room_get_fields(room);
	     field != NULL && value != NULL; field = field->next, value = value->next) {
		PurpleRoomlistField *f = field->data;
		if (purple_roomlist_field_get_type(f) == PURPLE_ROOMLIST_FIELD_INT && users == 0)
			users = (guint)MAX(GPOINTER_TO_INT(value->data), 0);
		else if (purple_roomlist_field_get_type(f) == PURPLE_ROOMLIST_FIELD_STRING &&
			 g_strcmp0(f->name, "topic") == 0 && topic == NULL)
			topic = pg_purple_roomlist_text(value->data);
	}
	if (request->chunk == NULL)
		request->chunk = g_variant_builder_new(G_VARIANT_TYPE("a(sus)"));
	g_variant_builder_add(request->chunk, "(sus)", name, users, topic != NULL ? topic : "");
	request->count++;
	if (++request->in_chunk >= PG_PURPLE_ROOMLIST_CHUNK) {
		request->in_chunk = 0;
		pg_purple_roomlist_emit(request->account, &request->chunk, FALSE, FALSE, NULL);
	}
}

static void
pg_purple_roomlist_in_progress(PurpleRoomlist *list, gboolean flag)
{
	PgPurpleRoomlistRequest *request;

	if (flag)
		return;
	request = g_hash_table_lookup(pg_purple_roomlist_requests, list);
	if (request == NULL)
		return;
	pg_purple_roomlist_emit(request->account, &request->chunk, TRUE, request->truncated, NULL);
	/* drops our reference: the plugin may hold none any more */
	g_hash_table_remove(pg_purple_roomlist_requests, list);
}

static PurpleRoomlistUiOps pg_purple_roomlist_ops = {
    .add_room = pg_purple_roomlist_add_room,
    .in_progress = pg_purple_roomlist_in_progress,
};

/* Lists of an account whose connection went before they finished: they
 * end with an error, so that the daemon is not left waiting. */
static void
pg_purple_roomlist_signed_off_cb(PurpleConnection *gc, gpointer user_data)
{
	PurpleAccount *account = purple_connection_get_account(gc);
	GHashTableIter iter;
	gpointer key;
	gpointer value;

	if (pg_purple_roomlist_requests == NULL)
		return;
	g_hash_table_iter_init(&iter, pg_purple_roomlist_requests);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		PurpleRoomlist *list = key;
		PgPurpleRoomlistRequest *request = value;
		if (list->account != account)
			continue;
		g_clear_pointer(&request->chunk, g_variant_builder_unref);
		pg_purple_roomlist_emit(request->account, &request->chunk, TRUE, FALSE,
					"the connection went before the room list was complete");
		g_hash_table_iter_remove(&iter);
	}
}

void
pg_purple_roomlist_init(void)
{
	pg_purple_roomlist_requests = g_hash_table_new_full(
	    g_direct_hash, g_direct_equal, (GDestroyNotify)purple_roomlist_unref,
	    (GDestroyNotify)pg_purple_roomlist_request_free);
	purple_roomlist_set_ui_ops(&pg_purple_roomlist_ops);
	purple_signal_connect(purple_connections_get_handle(), "signed-off",
			      &pg_purple_roomlist_handle,
			      PURPLE_CALLBACK(pg_purple_roomlist_signed_off_cb), NULL);
}

void
pg_purple_roomlist_uninit(void)
{
	purple_signals_disconnect_by_handle(&pg_purple_roomlist_handle);
	purple_roomlist_set_ui_ops(NULL);
	g_clear_pointer(&pg_purple_roomlist_requests, g_hash_table_unref);
}

static void
pg_purple_roomlist_forget(const gchar *account)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, pg_purple_roomlist_requests);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		if (g_strcmp0(((PgPurpleRoomlistRequest *)value)->account, account) == 0)
			g_hash_table_iter_remove(&iter);
	}
}

/* list-rooms.  Only an unknown account is an error event; a list that
 * cannot be had is a room-list with its error, which the daemon finds by
 * the account (one list per account at a time). */
static gboolean
pg_purple_roomlist_list(const PgIpcMessage *msg, GError **error)
{
	const gchar *key = pg_ipc_message_get_string(msg, "account");
	PgPurpleAccount *entry = g_hash_table_lookup(pg_purple_worker_get()->accounts, key);
	PurpleConnection *gc;
	PurplePluginProtocolInfo *prpl_info;
	PurpleRoomlist *list;
	PgPurpleRoomlistRequest *request;
	GVariantBuilder *none = NULL;

	if (entry == NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND, "no account %s", key);
		return FALSE;
	}
	gc = purple_account_get_connection(entry->account);
	if (gc == NULL || purple_connection_get_state(gc) != PURPLE_CONNECTED) {
		pg_purple_roomlist_emit(key, &none, TRUE, FALSE, "not connected to the network");
		return TRUE;
	}
	prpl_info = PURPLE_PLUGIN_PROTOCOL_INFO(purple_connection_get_prpl(gc));
	list = prpl_info != NULL && prpl_info->roomlist_get_list != NULL
		   ? purple_roomlist_get_list(gc)
		   : NULL;
	if (list == NULL) {
		pg_purple_roomlist_emit(key, &none, TRUE, FALSE, "this network gives no room list");
		return TRUE;
	}
	/* prpl-irc dropped its earlier list of this account, if any: ours go */
	pg_purple_roomlist_forget(key);
	purple_roomlist_ref(list);
	request = g_new0(PgPurpleRoomlistRequest, 1);
	request->account = g_strdup(key);
	request->max = pg_ipc_message_get_uint32(msg, "max", 0);
	g_hash_table_replace(pg_purple_roomlist_requests, list, request);
	/* a plugin that answers at once has nothing in progress */
	if (!purple_roomlist_get_in_progress(list) && list->rooms != NULL)
		pg_purple_roomlist_in_progress(list, FALSE);
	return TRUE;
}

void
pg_purple_roomlist_dispatch(const PgIpcMessage *msg)
{
	g_autoptr(GError) error = NULL;

	if (!pg_purple_roomlist_list(msg, &error))
		pg_purple_worker_emit_error(pg_ipc_message_get_string(msg, "account"), msg->id,
					    error);
}
