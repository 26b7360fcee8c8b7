/* XEP-0313 Message Archive Management on a room's JID, with XEP-0059
 * result set paging (pg-room-archive.h).
 *
 * The archive a user queries is their own copy of the room
 * (history/pg-history.c says why): what their link relayed while it was in
 * the room.  A query names it by the room's JID; no session or link needs
 * to exist, so a client catches up after the gateway restarted too.
 *
 * Supported: the form's with (room@service/nick: what that nick said),
 * start, end, and MAM 0.7's before-id and after-id (urn:xmpp:mam:2#extended);
 * RSM max, after, before (empty: the last page) and <flip-page/>.  Ids that
 * the archive does not hold are item-not-found (§4.1.4), a form field we do
 * not know is bad-request, RSM <index/> is feature-not-implemented.
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include "core/pg-error.h"
#include "history/pg-history.h"
#include "session/pg-room-archive.h"
#include "stanza/pg-form.h"
#include "stanza/pg-jid.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-mam.h"
#include "xmpp/pg-muc.h"

#define PG_ROOM_ARCHIVE_PAGE_DEFAULT 50
#define PG_ROOM_ARCHIVE_PAGE_MAX     250 /* a client asking for more gets this many */

static const gchar *const pg_room_archive_fields[] = {"FORM_TYPE", "with",	"start",
						      "end",	   "before-id", "after-id",
						      NULL};

void
pg_room_archive_add_features(PgTransport *transport, xmpp_stanza_t *query)
{
	static const gchar *const features[] = {PG_NS_MAM, PG_NS_MAM_EXTENDED, PG_NS_SID};

	if (!pg_transport_get_config(transport)->history->enabled)
		return;
	for (gsize i = 0; i < G_N_ELEMENTS(features); i++) {
		xmpp_stanza_t *feature = pg_stanza_add_child(query, "feature", NULL);
		xmpp_stanza_set_attribute(feature, "var", features[i]);
	}
}

/* XEP-0313 §4.1.5: the fields a query may use. */
static xmpp_stanza_t *
pg_room_archive_form(xmpp_stanza_t *iq)
{
	xmpp_stanza_t *reply = pg_stanza_iq_result(iq);
	xmpp_stanza_t *query = pg_stanza_add_child(reply, "query", PG_NS_MAM);
	g_autoptr(PgForm) form = pg_form_new("form", PG_NS_MAM, NULL, NULL);

	pg_form_add_field(form, "with", "jid-single", NULL, FALSE, NULL);
	pg_form_add_field(form, "start", "text-single", NULL, FALSE, NULL);
	pg_form_add_field(form, "end", "text-single", NULL, FALSE, NULL);
	pg_form_add_field(form, "before-id", "text-single", NULL, FALSE, NULL);
	pg_form_add_field(form, "after-id", "text-single", NULL, FALSE, NULL);
	xmpp_stanza_add_child_ex(query, pg_form_to_stanza(form, xmpp_stanza_get_context(iq)), 0);
	return reply;
}

/* An archive id of @room in @text, into *@id (the lowest bound wins for
 * "after", the highest for "before", as both narrow the same range). */
static gboolean
pg_room_archive_id(PgHistory *history, gint64 room, const gchar *text, guint64 *id,
		   GError **error)
{
	guint64 value = 0;

	if (!g_ascii_string_to_unsigned(text, 10, 1, G_MAXINT64, &value, NULL) || room == 0 ||
	    !pg_history_contains(history, room, value)) {
		g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
			    "the archive holds no message with id '%s'", text);
		return FALSE;
	}
	*id = value;
	return TRUE;
}

static gboolean
pg_room_archive_time(GHashTable *values, const gchar *var, gint64 *time_us, GError **error)
{
	const gchar *text = g_hash_table_lookup(values, var);

	if (text == NULL || text[0] == '\0')
		return TRUE;
	if (!pg_mam_parse_time(text, time_us)) {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
			    "%s is not a XEP-0082 DateTime, e.g. 2026-12-03T06:00:00Z", var);
		return FALSE;
	}
	return TRUE;
}

/* The form's filters into @query.  *@nothing: no message can match (a
 * 'with' that is not this room). */
static gboolean
pg_room_archive_read_form(PgHistory *history, xmpp_stanza_t *x, const gchar *archive,
			  PgHistoryQuery *query, gchar **nick, gboolean *nothing, GError **error)
{
	g_autoptr(GHashTable) values = pg_form_parse_submit(x, PG_NS_MAM, error);
	GHashTableIter iter;
	gpointer var;
	const gchar *text;

	if (values == NULL)
		return FALSE;
	g_hash_table_iter_init(&iter, values);
	while (g_hash_table_iter_next(&iter, &var, NULL)) {
		if (!g_strv_contains(pg_room_archive_fields, var)) {
			g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "this archive has no field '%s'", (const gchar *)var);
			return FALSE;
		}
	}
	text = g_hash_table_lookup(values, "with");
	if (text != NULL && text[0] != '\0') {
		g_autoptr(PgJid) with = pg_jid_parse(text, error);
		g_autofree gchar *with_bare = NULL;
		g_autofree gchar *room_bare = NULL;
		if (with == NULL)
			return FALSE;
		/* XEP-0313 §5.1.2: in a MUC archive, with is an occupant */
		with_bare = g_utf8_strdown(with->bare, -1);
		room_bare = g_utf8_strdown(archive, -1);
		if (g_strcmp0(with_bare, room_bare) != 0)
			*nothing = TRUE;
		*nick = g_strdup(with->resource);
	}
	if (!pg_room_archive_time(values, "start", &query->start_us, error) ||
	    !pg_room_archive_time(values, "end", &query->end_us, error))
		return FALSE;
	text = g_hash_table_lookup(values, "after-id");
	if (text != NULL && text[0] != '\0' &&
	    !pg_room_archive_id(history, query->room, text, &query->after_id, error))
		return FALSE;
	text = g_hash_table_lookup(values, "before-id");
	if (text != NULL && text[0] != '\0' &&
	    !pg_room_archive_id(history, query->room, text, &query->before_id, error))
		return FALSE;
	return TRUE;
}

/* XEP-0059 <set/> of the query into @query. */
static gboolean
pg_room_archive_read_set(PgHistory *history, xmpp_stanza_t *set, PgHistoryQuery *query,
			 GError **error)
{
	xmpp_stanza_t *element;
	guint64 value = 0;

	query->max = PG_ROOM_ARCHIVE_PAGE_DEFAULT;
	if (set == NULL)
		return TRUE;
	if (xmpp_stanza_get_child_by_name(set, "index") != NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_FEATURE_NOT_IMPLEMENTED,
				    "this archive pages by id, not by index");
		return FALSE;
	}
	element = xmpp_stanza_get_child_by_name(set, "max");
	if (element != NULL) {
		g_autofree gchar *text = xmpp_stanza_get_text(element);
		if (text == NULL || !g_ascii_string_to_unsigned(g_strstrip(text), 10, 0,
								G_MAXUINT32, &value, NULL)) {
			g_set_error_literal(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
					    "<max/> must be a whole number");
			return FALSE;
		}
		query->max = (guint)MIN(value, PG_ROOM_ARCHIVE_PAGE_MAX);
	}
	element = xmpp_stanza_get_child_by_name(set, "after");
	if (element != NULL) {
		g_autofree gchar *text = xmpp_stanza_get_text(element);
		guint64 after = 0;
		if (!pg_room_archive_id(history, query->room, text != NULL ? text : "", &after,
					error))
			return FALSE;
		query->after_id = MAX(query->after_id, after);
	}
	element = xmpp_stanza_get_child_by_name(set, "before");
	if (element != NULL) {
		g_autofree gchar *text = xmpp_stanza_get_text(element);
		/* XEP-0059 §2.5: an empty <before/> asks for the last page */
		query->last = TRUE;
		if (text != NULL && text[0] != '\0') {
			guint64 before = 0;
			if (!pg_room_archive_id(history, query->room, text, &before, error))
				return FALSE;
			query->before_id = query->before_id != 0 ? MIN(query->before_id, before)
								 : before;
		}
	}
	return TRUE;
}

/* Answers the query @iq on the archive @archive (the room's bare JID) of
 * the room @address. */
static void
pg_room_archive_query(PgSessionManager *self, PgTransport *transport, xmpp_stanza_t *iq,
		      xmpp_stanza_t *mam, const gchar *user_jid, const PgNetworkAddress *address,
		      const gchar *archive)
{
	xmpp_ctx_t *ctx = pg_transport_get_ctx(transport);
	xmpp_stanza_t *x = xmpp_stanza_get_child_by_ns(mam, PG_NS_DATA);
	const gchar *queryid = xmpp_stanza_get_attribute(mam, "queryid");
	PgHistoryQuery query = {0};
	g_autofree gchar *nick = NULL;
	g_autoptr(GPtrArray) items = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(xmpp_stanza_t) reply = NULL;
	gboolean nothing = FALSE;
	gboolean complete = TRUE;
	gboolean flip = xmpp_stanza_get_child_by_name(mam, "flip-page") != NULL;
	g_autofree gchar *first = NULL;
	g_autofree gchar *last = NULL;

	query.room = pg_history_find_room(self->history, pg_transport_get_jid(transport), user_jid,
					  address->server, address->name);
	if ((x != NULL &&
	     !pg_room_archive_read_form(self->history, x, archive, &query, &nick, &nothing,
					&error)) ||
	    !pg_room_archive_read_set(self->history,
				      xmpp_stanza_get_child_by_ns(mam, PG_NS_RSM), &query,
				      &error)) {
		pg_transport_reply_error(transport, iq, error);
		return;
	}
	query.nick = nick;
	if (query.room != 0 && !nothing) {
		items = pg_history_query(self->history, &query, &complete, &error);
		if (items == NULL) {
			g_warning("%s: archive of %s: %s", user_jid, address->name, error->message);
			pg_transport_reply_error(transport, iq, error);
			return;
		}
	}
	for (guint n = 0; items != NULL && n < items->len; n++) {
		/* XEP-0313 §4.3 <flip-page/>: the page in reverse order */
		const PgHistoryItem *item = g_ptr_array_index(items, flip ? items->len - 1 - n : n);
		g_autofree gchar *id = g_strdup_printf("%" G_GUINT64_FORMAT, item->id);
		xmpp_stanza_t *message =
		    pg_muc_message(ctx, archive, item->nick[0] != '\0' ? item->nick : NULL, NULL,
				   item->body, NULL);
		xmpp_stanza_t *result = pg_mam_result(ctx, archive, xmpp_stanza_get_from(iq),
						      queryid, id, (gint64)item->id, message);

		pg_transport_send(transport, result);
		xmpp_stanza_release(result);
		if (n == 0)
			first = g_steal_pointer(&id);
		else if (n == items->len - 1)
			last = g_steal_pointer(&id);
	}
	if (first != NULL && last == NULL)
		last = g_strdup(first);
	reply = pg_stanza_iq_result(iq);
	pg_mam_add_fin(reply, complete, first, last);
	pg_transport_send(transport, reply);
}

gboolean
pg_room_archive_handle_iq(PgSessionManager *self, PgTransport *transport, xmpp_stanza_t *iq,
			  const gchar *user_jid, const PgNetworkAddress *address)
{
	xmpp_stanza_t *mam = xmpp_stanza_get_child_by_ns(iq, PG_NS_MAM);
	const gchar *type = xmpp_stanza_get_type(iq);
	g_autofree gchar *archive = NULL;
	xmpp_stanza_t *reply;

	if (mam == NULL)
		return FALSE;
	if (self->history == NULL || !pg_transport_get_config(transport)->history->enabled) {
		pg_transport_reply_error_code(transport, iq, PG_ERROR_FEATURE_NOT_IMPLEMENTED,
					      "this gateway keeps no room history");
		return TRUE;
	}
	if (g_strcmp0(type, "get") == 0) {
		reply = pg_room_archive_form(iq);
		pg_transport_send(transport, reply);
		xmpp_stanza_release(reply);
		return TRUE;
	}
	if (g_strcmp0(type, "set") != 0)
		return TRUE; /* a result or an error: nothing to answer */
	archive = pg_stanza_bare_jid(xmpp_stanza_get_to(iq));
	if (archive == NULL)
		return FALSE;
	pg_room_archive_query(self, transport, iq, mam, user_jid, address, archive);
	return TRUE;
}
