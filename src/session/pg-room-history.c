/* Room history: the archive of every line a room relays, history on join,
 * and rooms that stay joined while their user is offline.
 *
 * DESIGN
 * - Recording: pg-room.c hands every groupchat line it relays (both ways:
 *   our own lines come back as the network's echo) to
 *   pg_room_history_record() before it renders it; the line's archive id is
 *   the XEP-0359 stanza-id of every copy sent live, so it is the same id a
 *   XEP-0313 query returns (pg-room-archive.c).  Storage and its costs are
 *   history/pg-history.c's.
 * - History on join (XEP-0045 §7.2.15): the join presence says what it
 *   wants (maxstanzas, maxchars, seconds, since; no <history/>: the
 *   transport's history_join_default), kept per resource until the room
 *   state is sent to it; a rejoin after a lost link asks nothing again, so
 *   a client never gets the same lines twice from us.
 * - Persistent rooms: a flag on the room's archive.  Such a room is not
 *   left when the user's last resource goes (an unavailable presence to the
 *   room, or going offline), the session is held (PgSessionEvents.holds)
 *   with its link and rooms, and lines go on being recorded.  The user
 *   catches up with MAM.  A lost link rejoins its rooms as always
 *   (pg_room_rejoin_all()); after a restart of the gateway, the component's
 *   "connected" joins every persistent room again (pg_room_history_restore()).
 *   The session audit (pg-session-audit.c) still drops unconfirmed
 *   resources; only the ending of the session waits for the rooms.
 * - The room's configuration (XEP-0045 §10.2, muc#owner from inside the
 *   room) holds the persistence and the user's own count limit on the
 *   archive (PG_ROOMCONFIG_HISTORY_MAX, kept in the archive's room row),
 *   which can only be lower than the operator's (history_max_messages,
 *   history_servers, history_channels: core/pg-config-history.h), and,
 *   where the network reads bytes in a charset (PgNetwork.check_charset),
 *   the room's own encoding (PG_ROOMCONFIG_CHARSET), which the join carries
 *   to the worker: it takes effect at the next join.
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "history/pg-history.h"
#include "session/pg-limits.h"
#include "session/pg-link.h"
#include "session/pg-room-history.h"
#include "stanza/pg-form.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-mam.h"
#include "xmpp/pg-muc.h"

#define PG_ROOM_HISTORY_EXPIRE_S 3600 /* how often the age limit runs */
#define PG_NS_MUC_OWNER		 "http://jabber.org/protocol/muc#owner"
#define PG_NS_MUC_ROOMCONFIG	 "http://jabber.org/protocol/muc#roomconfig"
#define PG_ROOMCONFIG_PERSISTENT "muc#roomconfig_persistentroom"
/* the user's own limit on the room's archive, at most the operator's */
#define PG_ROOMCONFIG_HISTORY_MAX "polygate#history_max_messages"
/* the room's own encoding, where the network has one (PgNetwork.check_charset) */
#define PG_ROOMCONFIG_CHARSET "polygate#encoding"

static void
pg_room_history_release(gpointer stanza)
{
	xmpp_stanza_release(stanza);
}

/* What one join asked (§7.2.15); -1: not asked. */
typedef struct {
	gint64 maxchars;
	gint64 maxstanzas;
	gint64 seconds;
	gint64 since_us;
} PgHistoryWant;

static const PgHistoryConfig *
pg_room_history_config(PgTransport *transport)
{
	return pg_transport_get_config(transport)->history;
}

/* The count limit of a room: the user's own where it is lower than the
 * operator's @keep (0: none). */
static guint
pg_room_history_keep(guint keep, guint own)
{
	return own > 0 && (keep == 0 || own < keep) ? own : keep;
}

/* ---------------------------------------------------------------- lifecycle */

static void
pg_room_history_expire(PgSessionManager *self)
{
	for (guint i = 0; i < self->config->transports->len; i++) {
		const PgTransportConfig *transport = g_ptr_array_index(self->config->transports, i);
		g_autoptr(GError) error = NULL;

		if (transport->history->max_days == 0)
			continue;
		if (!pg_history_expire(self->history, transport->jid,
				       (guint64)transport->history->max_days * 86400, &error))
			g_warning("%s", error->message);
	}
}

static gboolean
pg_room_history_expire_cb(gpointer user_data)
{
	pg_room_history_expire(user_data);
	return G_SOURCE_CONTINUE;
}

gboolean
pg_room_history_start(PgSessionManager *self, GError **error)
{
	if (self->config->history_database == NULL)
		return TRUE;
	self->history = pg_history_open(self->config->history_database, error);
	if (self->history == NULL)
		return FALSE;
	pg_room_history_expire(self);
	self->history_expire_id =
	    g_timeout_add_seconds(PG_ROOM_HISTORY_EXPIRE_S, pg_room_history_expire_cb, self);
	return TRUE;
}

void
pg_room_history_stop(PgSessionManager *self)
{
	g_clear_handle_id(&self->history_expire_id, g_source_remove);
	g_clear_pointer(&self->history, pg_history_free);
}

/* ---------------------------------------------------------------- recording */

void
pg_room_history_attach(PgLink *link, PgRoom *room)
{
	PgSession *session = link->session;
	PgHistory *history = session->manager->history;
	const PgTransportConfig *config = pg_transport_get_config(session->transport);
	const gchar *transport = pg_transport_get_jid(session->transport);
	g_autoptr(GError) error = NULL;
	guint keep = 0;

	if (history == NULL ||
	    !pg_history_config_keep(config->history, link->server, room->name, config->irc_server,
				    &keep))
		return;
	room->archive = pg_history_room(history, transport, session->user_jid, link->server,
					room->name, &error);
	if (room->archive == 0) {
		g_warning("%s: no history for %s: %s", link->account, room->name, error->message);
		return;
	}
	pg_history_set_keep(history, room->archive,
			    pg_room_history_keep(keep, pg_history_get_user_keep(history, room->archive)));
	room->charset = pg_history_get_charset(history, room->archive);
	room->persistent =
	    config->history->persistent &&
	    pg_history_is_persistent(history, transport, session->user_jid, link->server, room->name);
}

gchar *
pg_room_history_record(PgLink *link, PgRoom *room, const gchar *nick, const gchar *body)
{
	PgHistory *history = link->session->manager->history;

	if (room->archive == 0 || history == NULL || body == NULL)
		return NULL;
	return g_strdup_printf("%" G_GUINT64_FORMAT,
			       pg_history_append(history, room->archive, nick, body));
}

/* ---------------------------------------------------------------- history on join */

static gint64
pg_room_history_attribute(xmpp_stanza_t *element, const gchar *name)
{
	const gchar *text = element != NULL ? xmpp_stanza_get_attribute(element, name) : NULL;
	guint64 value = 0;

	if (text == NULL || !g_ascii_string_to_unsigned(text, 10, 0, G_MAXINT32, &value, NULL))
		return -1; /* absent, or not a number: as if not asked */
	return (gint64)value;
}

void
pg_room_history_want(PgRoom *room, const gchar *resource, xmpp_stanza_t *presence)
{
	xmpp_stanza_t *x = xmpp_stanza_get_child_by_ns(presence, PG_NS_MUC);
	xmpp_stanza_t *element = x != NULL ? xmpp_stanza_get_child_by_name(x, "history") : NULL;
	PgHistoryWant *want = g_new0(PgHistoryWant, 1);
	const gchar *since = element != NULL ? xmpp_stanza_get_attribute(element, "since") : NULL;

	if (room->archive == 0) {
		g_free(want);
		return;
	}
	want->maxchars = pg_room_history_attribute(element, "maxchars");
	want->maxstanzas = pg_room_history_attribute(element, "maxstanzas");
	want->seconds = pg_room_history_attribute(element, "seconds");
	if (since == NULL || !pg_mam_parse_time(since, &want->since_us))
		want->since_us = 0;
	if (room->history_wants == NULL)
		room->history_wants =
		    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_hash_table_insert(room->history_wants, g_strdup(resource), want);
}

void
pg_room_history_unwant(PgRoom *room, const gchar *resource)
{
	if (room->history_wants != NULL)
		g_hash_table_remove(room->history_wants, resource);
}

void
pg_room_history_send(PgSession *session, PgRoom *room, const gchar *to)
{
	const PgHistoryConfig *config = pg_room_history_config(session->transport);
	PgHistory *history = session->manager->history;
	g_autofree PgHistoryWant *want = NULL;
	g_autofree gchar *resource = NULL;
	g_autoptr(GPtrArray) items = NULL;
	g_autoptr(GPtrArray) stanzas = NULL;
	g_autoptr(GError) error = NULL;
	PgHistoryQuery query = {.room = room->archive, .last = TRUE};
	gint64 chars = 0;
	guint from = 0;

	if (room->history_wants == NULL ||
	    !g_hash_table_steal_extended(room->history_wants, to, (gpointer *)&resource,
					 (gpointer *)&want))
		return;
	if (history == NULL || room->archive == 0 || want->maxchars == 0)
		return;
	query.max = want->maxstanzas >= 0 ? (guint)MIN(want->maxstanzas, config->join_max)
					  : config->join_default;
	if (want->seconds >= 0)
		query.start_us = g_get_real_time() - want->seconds * G_USEC_PER_SEC;
	query.start_us = MAX(query.start_us, want->since_us + (want->since_us > 0 ? 1 : 0));
	if (query.max == 0)
		return;
	items = pg_history_query(history, &query, NULL, &error);
	if (items == NULL) {
		g_warning("%s: history of %s: %s", session->user_jid, room->name, error->message);
		return;
	}
	stanzas = g_ptr_array_new_with_free_func(pg_room_history_release);
	for (guint i = 0; i < items->len; i++) {
		const PgHistoryItem *item = g_ptr_array_index(items, i);
		g_autofree gchar *id = g_strdup_printf("%" G_GUINT64_FORMAT, item->id);
		xmpp_stanza_t *message =
		    pg_muc_message(pg_session_ctx(session), room->jid,
				   item->nick[0] != '\0' ? item->nick : NULL, to, item->body, NULL);

		pg_mam_add_delay(message, room->jid, (gint64)item->id);
		pg_mam_add_stanza_id(message, id, room->jid);
		g_ptr_array_add(stanzas, message);
	}
	/* §7.2.15: maxchars counts whole stanzas, newest first */
	if (want->maxchars > 0) {
		from = stanzas->len;
		while (from > 0) {
			g_autofree gchar *text = NULL;
			size_t len = 0;

			if (xmpp_stanza_to_text(g_ptr_array_index(stanzas, from - 1), &text, &len) !=
				XMPP_EOK ||
			    chars + (gint64)len > want->maxchars)
				break;
			chars += (gint64)len;
			from--;
		}
	}
	for (guint i = from; i < stanzas->len; i++)
		pg_transport_send(session->transport, g_ptr_array_index(stanzas, i));
}

/* ---------------------------------------------------------------- persistence */

gboolean
pg_room_history_holds(PgSession *session)
{
	GHashTableIter links;
	gpointer link;

	g_hash_table_iter_init(&links, session->links);
	while (g_hash_table_iter_next(&links, NULL, &link)) {
		GHashTableIter rooms;
		gpointer room;

		g_hash_table_iter_init(&rooms, ((PgLink *)link)->rooms);
		while (g_hash_table_iter_next(&rooms, NULL, &room)) {
			if (((PgRoom *)room)->persistent)
				return TRUE;
		}
	}
	return FALSE;
}

/* Joins @persistent again, with no resource of its user in it. */
static void
pg_room_history_rejoin(PgSessionManager *self, PgTransport *transport,
		       const PgHistoryPersistent *persistent)
{
	const PgTransportConfig *config = pg_transport_get_config(transport);
	g_autofree gchar *key = g_utf8_strdown(persistent->name, -1);
	g_autofree gchar *room_jid = NULL;
	g_autoptr(GError) error = NULL;
	PgSession *session;
	PgLink *link;
	PgRoom *room;

	if (persistent->nick == NULL ||
	    !pg_session_user_registered(self, transport, persistent->user_jid))
		return;
	session = pg_session_ensure(self, persistent->user_jid, transport);
	link = pg_limits_get_link(self->limits, session, persistent->server, &error);
	if (link == NULL) {
		g_warning("%s: cannot keep %s joined for %s: %s", config->jid, persistent->name,
			  persistent->user_jid, error->message);
		return;
	}
	if (g_hash_table_contains(link->rooms, key))
		return; /* joined already (the component reconnected) */
	room_jid = pg_session_network(transport)->address_to_jid(config, persistent->name,
								 persistent->server, NULL);
	room = pg_room_new(persistent->name, room_jid, persistent->nick);
	g_hash_table_insert(link->rooms, g_strdup(key), room);
	pg_room_history_attach(link, room);
	g_info("%s: joining %s again for %s, who keeps it persistent", config->jid,
	       persistent->name, persistent->user_jid);
	pg_link_send_join(link, room, room->nick, NULL);
}

void
pg_room_history_restore(PgSessionManager *self, PgTransport *transport)
{
	g_autoptr(GPtrArray) rooms = NULL;
	g_autoptr(GError) error = NULL;

	if (self->history == NULL || !pg_room_history_config(transport)->persistent ||
	    !pg_network_has(pg_session_network(transport), PG_NETWORK_ROOMS))
		return;
	rooms = pg_history_list_persistent(self->history, pg_transport_get_jid(transport), &error);
	if (rooms == NULL) {
		g_warning("%s", error->message);
		return;
	}
	for (guint i = 0; i < rooms->len; i++)
		pg_room_history_rejoin(self, transport, g_ptr_array_index(rooms, i));
}

void
pg_room_history_forget_user(PgSessionManager *self, PgTransport *transport,
			    const gchar *user_jid)
{
	g_autoptr(GError) error = NULL;

	if (self->history != NULL &&
	    !pg_history_forget_user(self->history, pg_transport_get_jid(transport), user_jid,
				    &error))
		g_warning("%s", error->message);
}

/* ---------------------------------------------------------------- muc#owner */

static xmpp_stanza_t *
pg_room_history_owner_form(xmpp_stanza_t *iq, gboolean persistent, guint keep, guint own,
			   gboolean charsets, const gchar *charset)
{
	g_autofree gchar *own_text = own > 0 ? g_strdup_printf("%u", own) : NULL;
	g_autofree gchar *label =
	    keep > 0 ? g_strdup_printf("Messages this room's archive keeps (1 to %u; empty: %u, "
				       "the gateway's limit)",
				       keep, keep)
		     : g_strdup("Messages this room's archive keeps (empty: no limit)");
	xmpp_stanza_t *reply = pg_stanza_iq_result(iq);
	xmpp_stanza_t *query = pg_stanza_add_child(reply, "query", PG_NS_MUC_OWNER);
	g_autoptr(PgForm) form =
	    pg_form_new("form", PG_NS_MUC_ROOMCONFIG, "Room configuration",
			"A persistent room stays joined on the legacy network while you are "
			"offline, and records what is said; your client catches up through its "
			"archive (XEP-0313).");

	pg_form_add_field(form, PG_ROOMCONFIG_PERSISTENT, "boolean",
			  "Stay in the room while I am offline", FALSE, persistent ? "1" : "0");
	pg_form_add_field(form, PG_ROOMCONFIG_HISTORY_MAX, "text-single", label, FALSE, own_text);
	pg_form_set_datatype(form, "xs:integer", 1, keep > 0 ? keep : G_MAXINT32);
	if (charsets)
		pg_form_add_field(form, PG_ROOMCONFIG_CHARSET, "text-single",
				  "Encoding of this room's lines, in and out, e.g. ISO-8859-15 "
				  "(empty: the server's); from the next join",
				  FALSE, charset);
	xmpp_stanza_add_child_ex(query, pg_form_to_stanza(form, xmpp_stanza_get_context(iq)), 0);
	return reply;
}

/* The operator's count limit of @room on @link (0: none). */
static guint
pg_room_history_operator_keep(PgTransport *transport, PgLink *link, PgRoom *room)
{
	const PgTransportConfig *config = pg_transport_get_config(transport);
	guint keep = 0;

	if (!pg_history_config_keep(config->history, link->server, room->name, config->irc_server,
				    &keep))
		return 0;
	return keep;
}

/* The user's own limit on @room's archive from @value (NULL: not in the
 * form; empty: back to the operator's), at most the operator's. */
static gboolean
pg_room_history_configure_keep(PgSessionManager *self, PgTransport *transport, PgLink *link,
			       PgRoom *room, const gchar *value, GError **error)
{
	guint keep = pg_room_history_operator_keep(transport, link, room);
	g_autofree gchar *text = value != NULL ? g_strstrip(g_strdup(value)) : NULL;
	guint64 own = 0;

	if (text == NULL)
		return TRUE;
	if (text[0] != '\0' &&
	    !g_ascii_string_to_unsigned(text, 10, 1, keep > 0 ? keep : G_MAXINT32, &own, NULL)) {
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
			    "%s must be a number from 1 to %u (this gateway's limit for the room), "
			    "or empty",
			    PG_ROOMCONFIG_HISTORY_MAX, keep > 0 ? keep : (guint)G_MAXINT32);
		return FALSE;
	}
	if (!pg_history_set_user_keep(self->history, room->archive, (guint)own, error))
		return FALSE;
	pg_history_set_keep(self->history, room->archive,
			    pg_room_history_keep(keep, (guint)own));
	return TRUE;
}

/* The room's own encoding from @value (NULL: not in the form; empty: the
 * server's), as the network checks it. */
static gboolean
pg_room_history_configure_charset(PgSessionManager *self, PgTransport *transport, PgRoom *room,
				  const gchar *value, GError **error)
{
	gchar *(*check)(const gchar *) = pg_session_network(transport)->check_charset;
	g_autofree gchar *text = value != NULL ? g_strstrip(g_strdup(value)) : NULL;
	g_autofree gchar *charset = NULL;

	if (text == NULL)
		return TRUE;
	if (check == NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_FEATURE_NOT_IMPLEMENTED,
			    "this network has no encoding per room");
		return FALSE;
	}
	if (text[0] != '\0' && (charset = check(text)) == NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
			    "'%s' is not one charset that iconv knows and that keeps ASCII "
			    "(e.g. ISO-8859-15, WINDOWS-1252, KOI8-R)",
			    text);
		return FALSE;
	}
	if (!pg_history_set_charset(self->history, room->archive, charset, error))
		return FALSE;
	g_free(room->charset);
	room->charset = g_steal_pointer(&charset);
	return TRUE;
}

/* Sets the persistence of the room @address from the form in @x. */
static gboolean
pg_room_history_configure(PgSessionManager *self, PgTransport *transport, PgLink *link,
			  PgRoom *room, xmpp_stanza_t *x, GError **error)
{
	g_autoptr(GHashTable) values = pg_form_parse_submit(x, PG_NS_MUC_ROOMCONFIG, error);
	const gchar *value;
	gboolean persistent;

	if (values == NULL ||
	    !pg_room_history_configure_charset(self, transport, room,
					       g_hash_table_lookup(values, PG_ROOMCONFIG_CHARSET),
					       error) ||
	    !pg_room_history_configure_keep(self, transport, link, room,
					    g_hash_table_lookup(values, PG_ROOMCONFIG_HISTORY_MAX),
					    error))
		return FALSE;
	value = g_hash_table_lookup(values, PG_ROOMCONFIG_PERSISTENT);
	if (value == NULL)
		return TRUE; /* nothing else we keep was changed */
	if (g_strcmp0(value, "1") != 0 && g_strcmp0(value, "true") != 0 &&
	    g_strcmp0(value, "0") != 0 && g_strcmp0(value, "false") != 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST, "%s must be a boolean",
			    PG_ROOMCONFIG_PERSISTENT);
		return FALSE;
	}
	persistent = g_strcmp0(value, "1") == 0 || g_strcmp0(value, "true") == 0;
	if (!pg_history_set_persistent(self->history, pg_transport_get_jid(transport),
				       link->session->user_jid, link->server, room->name, room->nick,
				       persistent, error))
		return FALSE;
	room->persistent = persistent;
	g_message("%s: %s made %s %s", pg_transport_get_jid(transport), link->session->user_jid,
		  room->name, persistent ? "persistent" : "not persistent");
	return TRUE;
}

gboolean
pg_room_history_handle_owner_iq(PgSessionManager *self, PgTransport *transport,
				xmpp_stanza_t *iq, const gchar *user_jid,
				const PgNetworkAddress *address)
{
	xmpp_stanza_t *query = xmpp_stanza_get_child_by_ns(iq, PG_NS_MUC_OWNER);
	const gchar *type = xmpp_stanza_get_type(iq);
	PgSession *session = pg_session_lookup(self, user_jid, transport);
	PgLink *link =
	    session != NULL ? g_hash_table_lookup(session->links, address->server) : NULL;
	g_autofree gchar *key = g_utf8_strdown(address->name, -1);
	PgRoom *room = link != NULL ? g_hash_table_lookup(link->rooms, key) : NULL;
	g_autoptr(GError) error = NULL;
	xmpp_stanza_t *x;
	xmpp_stanza_t *reply;

	if (query == NULL)
		return FALSE;
	if (g_strcmp0(type, "get") != 0 && g_strcmp0(type, "set") != 0)
		return TRUE; /* a result or an error: never answered */
	if (self->history == NULL || !pg_room_history_config(transport)->persistent) {
		pg_transport_reply_error_code(transport, iq, PG_ERROR_FEATURE_NOT_IMPLEMENTED,
					      "this gateway keeps no room joined for offline users");
		return TRUE;
	}
	/* the user's own view of the room: only from inside it (its nick is
	 * the one the room is joined again with) */
	if (room == NULL || !g_hash_table_contains(room->resources, xmpp_stanza_get_from(iq))) {
		pg_transport_reply_error_code(transport, iq, PG_ERROR_NOT_ACCEPTABLE,
					      "join the room before configuring it");
		return TRUE;
	}
	if (room->archive == 0) {
		pg_transport_reply_error_code(transport, iq, PG_ERROR_NOT_ALLOWED,
					      "this gateway keeps no history of this room");
		return TRUE;
	}
	if (g_strcmp0(type, "get") == 0) {
		reply = pg_room_history_owner_form(
		    iq, room->persistent, pg_room_history_operator_keep(transport, link, room),
		    pg_history_get_user_keep(self->history, room->archive),
		    pg_session_network(transport)->check_charset != NULL, room->charset);
		pg_transport_send(transport, reply);
		xmpp_stanza_release(reply);
		return TRUE;
	}
	x = xmpp_stanza_get_child_by_ns(query, PG_NS_DATA);
	/* XEP-0045 §10.2: a cancelled form changes nothing */
	if (x == NULL ||
	    (g_strcmp0(xmpp_stanza_get_type(x), "cancel") != 0 &&
	     !pg_room_history_configure(self, transport, link, room, x, &error))) {
		if (error == NULL)
			g_set_error_literal(&error, PG_ERROR, PG_ERROR_BAD_REQUEST,
					    "send the room configuration form");
		pg_transport_reply_error(transport, iq, error);
		return TRUE;
	}
	reply = pg_stanza_iq_result(iq);
	pg_transport_send(transport, reply);
	xmpp_stanza_release(reply);
	return TRUE;
}
