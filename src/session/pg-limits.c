/* Per-user and gateway-wide limits.  See pg-limits.h for the design.
 *
 * Counting: nothing here keeps a running count of links, rooms or queued
 * bytes.  Each check counts what the session holds at that moment (a few
 * links, their rooms, their pending queues), so no code path that adds or
 * removes one can leave a counter wrong.  The SMS rates are counted in the
 * durable outbox for the same reason, and to survive restarts.
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "network/pg-network.h"
#include "registry/pg-sms-queue.h"
#include "session/pg-limits.h"
#include "session/pg-session-private.h"
#include "xmpp/pg-transport.h"

#define PG_LIMITS_MINUTE_S 60
#define PG_LIMITS_DAY_S	   (24 * 3600)

struct _PgLimits {
	const PgConfig *config;
	GHashTable *rejections; /* const PgTransportConfig * -> guint64[PG_LIMIT_LAST] */
};

static const gchar *const pg_limit_names[PG_LIMIT_LAST] = {
    [PG_LIMIT_LINKS] = "links",
    [PG_LIMIT_ROOMS] = "rooms",
    [PG_LIMIT_QUEUED_BYTES] = "queued_bytes",
    [PG_LIMIT_SMS_PER_MINUTE] = "sms_per_minute",
    [PG_LIMIT_SMS_PER_DAY] = "sms_per_day",
    [PG_LIMIT_LISTED_ROOMS] = "listed_rooms",
    [PG_LIMIT_CONTACTS] = "contacts",
    [PG_LIMIT_AVATAR_BYTES] = "avatar_bytes",
    [PG_LIMIT_GATEWAY_LINKS] = "gateway_links",
    [PG_LIMIT_LINES] = "lines_per_message",
};

PgLimits *
pg_limits_new(const PgConfig *config)
{
	PgLimits *self = g_new0(PgLimits, 1);
	self->config = config;
	self->rejections = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	return self;
}

void
pg_limits_free(PgLimits *self)
{
	if (self == NULL)
		return;
	g_hash_table_unref(self->rejections);
	g_free(self);
}

const gchar *
pg_limit_to_string(PgLimit limit)
{
	if ((guint)limit >= PG_LIMIT_LAST)
		return "unknown";
	return pg_limit_names[limit];
}

guint
pg_limits_get_value(const PgLimits *self, const PgTransportConfig *transport, PgLimit limit)
{
	switch (limit) {
	case PG_LIMIT_LINKS:
		return transport->max_links_per_user;
	case PG_LIMIT_ROOMS:
		return transport->max_rooms_per_user;
	case PG_LIMIT_QUEUED_BYTES:
		return transport->max_queued_bytes_per_user;
	case PG_LIMIT_SMS_PER_MINUTE:
		return transport->max_sms_per_minute_per_user;
	case PG_LIMIT_SMS_PER_DAY:
		return transport->max_sms_per_day_per_user;
	case PG_LIMIT_LISTED_ROOMS:
		return PG_LIMITS_LISTED_ROOMS;
	case PG_LIMIT_CONTACTS:
		return transport->max_contacts_per_user;
	case PG_LIMIT_AVATAR_BYTES:
		return transport->max_avatar_bytes_per_user;
	case PG_LIMIT_GATEWAY_LINKS:
		return self->config->max_links;
	case PG_LIMIT_LINES:
		return transport->max_lines_per_message;
	case PG_LIMIT_LAST:
	default:
		return 0;
	}
}

/* Which limits mean something on a transport of @type (for /metrics). */
static gboolean
pg_limits_applies(PgTransportType type, PgLimit limit)
{
	const PgNetwork *network = pg_network_for(type);

	switch (limit) {
	case PG_LIMIT_LINKS:
		return pg_network_has(network, PG_NETWORK_SERVERS);
	case PG_LIMIT_ROOMS:
		return pg_network_has(network, PG_NETWORK_ROOMS);
	case PG_LIMIT_LISTED_ROOMS:
		return pg_network_has(network, PG_NETWORK_ROOMS) &&
		       pg_network_has(network, PG_NETWORK_SERVERS);
	case PG_LIMIT_QUEUED_BYTES:
		/* texts wait in the durable outbox, not in a link's queue */
		return !pg_network_has(network, PG_NETWORK_OUTBOX);
	case PG_LIMIT_SMS_PER_MINUTE:
	case PG_LIMIT_SMS_PER_DAY:
		return pg_network_has(network, PG_NETWORK_OUTBOX);
	case PG_LIMIT_CONTACTS:
	case PG_LIMIT_AVATAR_BYTES:
		return pg_network_has(network, PG_NETWORK_BUDDY_LIST);
	case PG_LIMIT_GATEWAY_LINKS:
		return TRUE;
	case PG_LIMIT_LINES:
		return network->text_line_bytes > 0;
	case PG_LIMIT_LAST:
	default:
		return FALSE;
	}
}

static gboolean
pg_limits_fits(const PgLimits *self, const PgTransportConfig *transport, PgLimit limit,
	       guint64 used, guint64 adding)
{
	guint value = pg_limits_get_value(self, transport, limit);
	return value == 0 || used + adding <= value;
}

/* The refusal's GError: RFC 6120 §8.3.3.12 policy-violation for what the user
 * chose to take (cancel: asking again does not help), §8.3.3.17
 * resource-constraint where waiting does (wait). */
static void
pg_limits_set_error(GError **error, PgLimit limit, guint64 used, guint value)
{
	switch (limit) {
	case PG_LIMIT_LINKS:
		g_set_error(error, PG_ERROR, PG_ERROR_POLICY_VIOLATION,
			    "You already have %" G_GUINT64_FORMAT " legacy connections (servers), "
			    "the most this gateway allows one user (max_links_per_user = %u). "
			    "Servers you no longer use are let go when you go offline.",
			    used, value);
		return;
	case PG_LIMIT_ROOMS:
		g_set_error(error, PG_ERROR, PG_ERROR_POLICY_VIOLATION,
			    "You are already in %" G_GUINT64_FORMAT " rooms, the most this "
			    "gateway allows one user (max_rooms_per_user = %u). Leave one first.",
			    used, value);
		return;
	case PG_LIMIT_QUEUED_BYTES:
		g_set_error(error, PG_ERROR, PG_ERROR_RESOURCE_CONSTRAINT,
			    "%" G_GUINT64_FORMAT " bytes of yours already wait for the legacy "
			    "connection, the most this gateway keeps for one user "
			    "(max_queued_bytes_per_user = %u). Send it again once you are "
			    "connected.",
			    used, value);
		return;
	case PG_LIMIT_SMS_PER_MINUTE:
		g_set_error(error, PG_ERROR, PG_ERROR_RESOURCE_CONSTRAINT,
			    "You sent %" G_GUINT64_FORMAT " text messages in the last minute, the "
			    "most this gateway allows one user (max_sms_per_minute_per_user = "
			    "%u). This one was not sent; send it again in a minute.",
			    used, value);
		return;
	case PG_LIMIT_SMS_PER_DAY:
		g_set_error(error, PG_ERROR, PG_ERROR_POLICY_VIOLATION,
			    "You sent %" G_GUINT64_FORMAT " text messages in the last 24 hours, "
			    "the most this gateway allows one user (max_sms_per_day_per_user = "
			    "%u). This one was not sent.",
			    used, value);
		return;
	case PG_LIMIT_LISTED_ROOMS:
		g_set_error(error, PG_ERROR, PG_ERROR_POLICY_VIOLATION,
			    "this gateway keeps the first %u rooms of a room list, by name. "
			    "Join a room by its address to reach the others.",
			    value);
		return;
	case PG_LIMIT_CONTACTS:
		g_set_error(error, PG_ERROR, PG_ERROR_POLICY_VIOLATION,
			    "Your contact list has more than %" G_GUINT64_FORMAT " contacts, the "
			    "most this gateway shows one user (max_contacts_per_user = %u); the "
			    "others are not shown.",
			    used, value);
		return;
	case PG_LIMIT_AVATAR_BYTES:
		g_set_error(error, PG_ERROR, PG_ERROR_RESOURCE_CONSTRAINT,
			    "Your contacts' pictures already take %" G_GUINT64_FORMAT " bytes, the "
			    "most this gateway keeps for one user (max_avatar_bytes_per_user = %u).",
			    used, value);
		return;
	case PG_LIMIT_GATEWAY_LINKS:
		g_set_error(error, PG_ERROR, PG_ERROR_RESOURCE_CONSTRAINT,
			    "The gateway already serves %" G_GUINT64_FORMAT " legacy connections, "
			    "its most (max_links = %u). Try again later.",
			    used, value);
		return;
	case PG_LIMIT_LINES:
		g_set_error(error, PG_ERROR, PG_ERROR_POLICY_VIOLATION,
			    "This message would be %" G_GUINT64_FORMAT " lines on the legacy "
			    "network, more than this gateway sends for one message "
			    "(max_lines_per_message = %u). It was not sent: paste it somewhere "
			    "and send the link.",
			    used, value);
		return;
	case PG_LIMIT_LAST:
	default:
		g_set_error_literal(error, PG_ERROR, PG_ERROR_RESOURCE_CONSTRAINT,
				    "a limit of this gateway was reached");
		return;
	}
}

static gboolean
pg_limits_check_for(PgLimits *self, const PgTransportConfig *transport, PgLimit limit,
		    guint64 used, guint64 adding, const gchar *user_jid, GError **error)
{
	guint64 *counts;

	if (pg_limits_fits(self, transport, limit, used, adding))
		return TRUE;
	counts = g_hash_table_lookup(self->rejections, transport);
	if (counts == NULL) {
		counts = g_new0(guint64, PG_LIMIT_LAST);
		g_hash_table_insert(self->rejections, (gpointer)transport, counts);
	}
	counts[limit]++;
	/* info, not message: one hostile user can hit a limit a thousand
	 * times a second; /metrics counts them.  Contacts not even that: a
	 * worker's flood is 100000 buddies in a second, and the caller says
	 * it once per link (pg-roster.c). */
	if (limit != PG_LIMIT_CONTACTS && limit != PG_LIMIT_AVATAR_BYTES)
		g_info("%s: refused a request of %s: limit %s = %u reached", transport->jid,
		       user_jid != NULL ? user_jid : "a user", pg_limit_to_string(limit),
		       pg_limits_get_value(self, transport, limit));
	pg_limits_set_error(error, limit, used, pg_limits_get_value(self, transport, limit));
	return FALSE;
}

gboolean
pg_limits_check(PgLimits *self, const PgTransportConfig *transport, PgLimit limit, guint64 used,
		guint64 adding, GError **error)
{
	g_return_val_if_fail(self != NULL && transport != NULL, FALSE);
	g_return_val_if_fail((guint)limit < PG_LIMIT_LAST, FALSE);
	return pg_limits_check_for(self, transport, limit, used, adding, NULL, error);
}

guint64
pg_limits_get_rejections(const PgLimits *self, const PgTransportConfig *transport, PgLimit limit)
{
	const guint64 *counts = g_hash_table_lookup(self->rejections, transport);
	return counts != NULL && (guint)limit < PG_LIMIT_LAST ? counts[limit] : 0;
}

/* The lines @body becomes where each line is cut every @line_bytes bytes
 * (backends/purple/pg-purple-lines.c cuts at characters and spaces, at
 * most that often); empty lines are not sent. */
static guint64
pg_limits_count_lines(const gchar *body, gsize line_bytes)
{
	guint64 lines = 0;
	const gchar *p = g_str_has_prefix(body, "/me ") ? body + 4 : body;

	while (*p != '\0') {
		const gchar *end = strchr(p, '\n');
		gsize len = end != NULL ? (gsize)(end - p) : strlen(p);
		lines += (len + line_bytes - 1) / line_bytes;
		p += len + (end != NULL ? 1 : 0);
	}
	return lines;
}

gboolean
pg_limits_allow_lines(PgLimits *self, PgTransport *transport, const gchar *user_jid,
		      const gchar *body, GError **error)
{
	const PgTransportConfig *config = pg_transport_get_config(transport);
	gsize line_bytes = pg_network_for(config->type)->text_line_bytes;

	if (line_bytes == 0 || config->max_lines_per_message == 0 || body == NULL)
		return TRUE;
	return pg_limits_check_for(self, config, PG_LIMIT_LINES,
				   pg_limits_count_lines(body, line_bytes), 0, user_jid, error);
}

/* ---------------------------------------------------------------- sessions */

static gboolean
pg_limits_link_is_idle(const PgLink *link)
{
	return (link->state == PG_LINK_OFFLINE || link->state == PG_LINK_FAILED) &&
	       g_hash_table_size(link->rooms) == 0 && g_queue_is_empty(link->pending);
}

/* Safe here: we handle a user's stanza, never one of these links' events
 * (the INVARIANT of pg-session.c). */
static void
pg_limits_drop_idle_links(PgSession *session)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, session->links);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		if (pg_limits_link_is_idle(value))
			g_hash_table_iter_remove(&iter);
	}
}

gboolean
pg_limits_link_fits(const PgLimits *self, PgSession *session)
{
	const PgTransportConfig *transport = pg_transport_get_config(session->transport);
	GHashTableIter iter;
	gpointer value;
	guint idle = 0;

	g_hash_table_iter_init(&iter, session->links);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		idle += pg_limits_link_is_idle(value) ? 1 : 0;
	return pg_limits_fits(self, transport, PG_LIMIT_LINKS,
			      g_hash_table_size(session->links) - idle, 1) &&
	       pg_limits_fits(self, transport, PG_LIMIT_GATEWAY_LINKS,
			      g_hash_table_size(session->manager->links) - idle, 1);
}

PgLink *
pg_limits_get_link(PgLimits *self, PgSession *session, const gchar *server, GError **error)
{
	const PgTransportConfig *transport = pg_transport_get_config(session->transport);
	GHashTable *all = session->manager->links;
	PgLink *link = g_hash_table_lookup(session->links, server);

	if (link != NULL)
		return link;
	if (!pg_limits_fits(self, transport, PG_LIMIT_LINKS, g_hash_table_size(session->links),
			    1) ||
	    !pg_limits_fits(self, transport, PG_LIMIT_GATEWAY_LINKS, g_hash_table_size(all), 1))
		pg_limits_drop_idle_links(session);
	if (!pg_limits_check_for(self, transport, PG_LIMIT_LINKS, g_hash_table_size(session->links),
				 1, session->user_jid, error) ||
	    !pg_limits_check_for(self, transport, PG_LIMIT_GATEWAY_LINKS, g_hash_table_size(all), 1,
				 session->user_jid, error))
		return NULL;
	return pg_session_get_link(session, server);
}

gboolean
pg_limits_allow_contact(PgLimits *self, PgLink *link, GError **error)
{
	PgSession *session = link->session;
	GHashTableIter iter;
	gpointer value;
	guint64 buddies = 0;

	g_hash_table_iter_init(&iter, session->links);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		GHashTable *table = ((PgLink *)value)->buddies;
		buddies += table != NULL ? g_hash_table_size(table) : 0;
	}
	return pg_limits_check_for(self, pg_transport_get_config(session->transport),
				   PG_LIMIT_CONTACTS, buddies, 1, session->user_jid, error);
}

gboolean
pg_limits_allow_online_contact(PgLimits *self, PgLink *link, GError **error)
{
	return pg_limits_check_for(self, pg_transport_get_config(link->session->transport),
				   PG_LIMIT_CONTACTS, g_hash_table_size(link->online), 1,
				   link->session->user_jid, error);
}

gboolean
pg_limits_allow_room(PgLimits *self, PgSession *session, GError **error)
{
	GHashTableIter iter;
	gpointer value;
	guint64 rooms = 0;

	g_hash_table_iter_init(&iter, session->links);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		rooms += g_hash_table_size(((PgLink *)value)->rooms);
	return pg_limits_check_for(self, pg_transport_get_config(session->transport),
				   PG_LIMIT_ROOMS, rooms, 1, session->user_jid, error);
}

gsize
pg_limits_message_size(const PgIpcMessage *msg)
{
	return g_variant_get_size(msg->fields);
}

/* Joins and leaves: bounded by max_rooms_per_user, so neither counted nor
 * refused by the bytes (refusing a join there would leave the room half
 * made). */
static gboolean
pg_limits_is_room_membership(const PgIpcMessage *msg)
{
	return msg->kind == PG_IPC_CMD_JOIN_ROOM || msg->kind == PG_IPC_CMD_LEAVE_ROOM;
}

gboolean
pg_limits_allow_queue(PgLimits *self, PgLink *link, const PgIpcMessage *msg, GError **error)
{
	PgSession *session = link->session;
	GHashTableIter iter;
	gpointer value;
	guint64 queued = 0;

	if (pg_limits_is_room_membership(msg))
		return TRUE;
	g_hash_table_iter_init(&iter, session->links);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		for (GList *l = ((PgLink *)value)->pending->head; l != NULL; l = l->next) {
			if (!pg_limits_is_room_membership(l->data))
				queued += pg_limits_message_size(l->data);
		}
	}
	return pg_limits_check_for(self, pg_transport_get_config(session->transport),
				   PG_LIMIT_QUEUED_BYTES, queued, pg_limits_message_size(msg),
				   session->user_jid, error);
}

gboolean
pg_limits_allow_sms(PgLimits *self, PgTransport *transport, const gchar *user_jid, gint64 now,
		    GError **error)
{
	static const struct {
		PgLimit limit;
		gint64 window;
	} windows[] = {
	    {PG_LIMIT_SMS_PER_MINUTE, PG_LIMITS_MINUTE_S},
	    {PG_LIMIT_SMS_PER_DAY, PG_LIMITS_DAY_S},
	};
	const PgTransportConfig *config = pg_transport_get_config(transport);

	for (gsize i = 0; i < G_N_ELEMENTS(windows); i++) {
		gint64 sent;

		if (pg_limits_get_value(self, config, windows[i].limit) == 0)
			continue;
		sent = pg_sms_queue_count_since(pg_transport_get_registry(transport), config->jid,
						user_jid, now - windows[i].window, error);
		if (sent < 0)
			return FALSE;
		if (!pg_limits_check_for(self, config, windows[i].limit, (guint64)sent, 1, user_jid,
					 error))
			return FALSE;
	}
	return TRUE;
}

/* ---------------------------------------------------------------- metrics */

void
pg_limits_append_metrics(const PgLimits *self, GString *text)
{
	GPtrArray *transports = self->config->transports;

	g_string_append(text, "# HELP polygate_limit_per_user Per-user limits of each transport "
			      "(0 = none).\n# TYPE polygate_limit_per_user gauge\n");
	for (guint i = 0; i < transports->len; i++) {
		const PgTransportConfig *transport = g_ptr_array_index(transports, i);
		for (PgLimit limit = 0; limit < PG_LIMIT_GATEWAY_LINKS; limit++) {
			if (pg_limits_applies(transport->type, limit))
				g_string_append_printf(
				    text, "polygate_limit_per_user{transport=\"%s\",limit=\"%s\"} %u\n",
				    transport->jid, pg_limit_to_string(limit),
				    pg_limits_get_value(self, transport, limit));
		}
	}
	g_string_append(text, "# HELP polygate_limit_gateway Gateway-wide limits (0 = none).\n"
			      "# TYPE polygate_limit_gateway gauge\n");
	g_string_append_printf(text, "polygate_limit_gateway{limit=\"links\"} %u\n",
			       self->config->max_links);
	g_string_append(text, "# HELP polygate_limit_rejections_total Requests refused because "
			      "they hit a limit.\n# TYPE polygate_limit_rejections_total counter\n");
	for (guint i = 0; i < transports->len; i++) {
		const PgTransportConfig *transport = g_ptr_array_index(transports, i);
		for (PgLimit limit = 0; limit < PG_LIMIT_LAST; limit++) {
			if (pg_limits_applies(transport->type, limit))
				g_string_append_printf(
				    text,
				    "polygate_limit_rejections_total{transport=\"%s\",limit=\"%s\"} "
				    "%" G_GUINT64_FORMAT "\n",
				    transport->jid, pg_limit_to_string(limit),
				    pg_limits_get_rejections(self, transport, limit));
		}
	}
}
