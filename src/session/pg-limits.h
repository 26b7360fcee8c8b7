/* PgLimits: what one user may take of the gateway, and what all may.
 *
 * Per user, per transport ([transport NAME], 0 = no limit):
 *   max_links_per_user         legacy connections (IRC servers) at once
 *   max_rooms_per_user         rooms joined at once, over all the user's links
 *   max_queued_bytes_per_user  bytes of the user's commands waiting for a link
 *                              that is not up yet (the serialised IPC fields)
 *   max_sms_per_minute_per_user, max_sms_per_day_per_user
 *                              texts taken into the SMS outbox in any 60 s and
 *                              any 24 h; counted from the outbox itself
 *                              (pg_sms_queue_count_since()), so a restart of
 *                              the gateway does not reset them
 *   listed rooms               rooms kept of one server's room list (IRC LIST,
 *                              session/pg-room-list.c): PG_LIMITS_LISTED_ROOMS,
 *                              not configurable yet; a longer list is cut
 *                              there, the user is told and the cut counted
 *   max_contacts_per_user      legacy buddies a worker may have the daemon
 *                              show as contacts (networks with a buddy list):
 *                              the only one that bounds what a worker sends,
 *                              not what the user asks; a buddy past it is not
 *                              shown and is counted
 *   max_avatar_bytes_per_user  bytes of buddy icons kept for the user's
 *                              contacts (XEP-0153 avatars), one icon at most
 *                              PG_CONTACT_AVATAR_MAX; an icon past it is not
 *                              kept (the contact shows none) and is counted
 * Gateway-wide ([polygate]):
 *   max_links                  legacy connections of all users at once; with
 *                              users_per_worker = 1 that bounds the processes
 *
 * A request past a limit is refused with a GError for a stanza error on the
 * stanza that asked (RFC 6120 §8.3.3.12 policy-violation for a user's own
 * limits, §8.3.3.17 resource-constraint where waiting helps: the queue, the
 * SMS minute, the gateway's connections), whose text names the limit, its
 * key and its value.  Nothing is dropped silently.  Each refusal is counted
 * and /metrics shows the counts and the configured values
 * (pg_limits_append_metrics()).
 *
 * conf/polygate.conf.example gives the defaults and why.
 */
#pragma once

#include <glib.h>

#include "core/pg-config.h"
#include "ipc/pg-ipc-message.h"

G_BEGIN_DECLS

typedef enum {
	PG_LIMIT_LINKS,
	PG_LIMIT_ROOMS,
	PG_LIMIT_QUEUED_BYTES,
	PG_LIMIT_SMS_PER_MINUTE,
	PG_LIMIT_SMS_PER_DAY,
	PG_LIMIT_LISTED_ROOMS, /* rooms kept of one server's room list */
	PG_LIMIT_CONTACTS,
	PG_LIMIT_AVATAR_BYTES,
	PG_LIMIT_GATEWAY_LINKS,
	PG_LIMIT_LINES, /* legacy lines one message becomes (max_lines_per_message) */
	PG_LIMIT_LAST
} PgLimit;

/* A big network (Libera: ~50k channels) lists more; the first 10,000 by
 * name are what a client can page through in reasonable time, and cost the
 * daemon about 2 MB per list at most. */
#define PG_LIMITS_LISTED_ROOMS 10000

typedef struct _PgLimits PgLimits;
typedef struct _PgSession PgSession;
typedef struct _PgLink PgLink;
typedef struct _PgTransport PgTransport;

/* @config is borrowed and outlives the limits. */
PgLimits *pg_limits_new(const PgConfig *config);
void pg_limits_free(PgLimits *self);

/* The label of @limit in /metrics: "links", "rooms", ... */
const gchar *pg_limit_to_string(PgLimit limit);
/* The configured value of @limit for @transport (0 = no limit). */
guint pg_limits_get_value(const PgLimits *self, const PgTransportConfig *transport,
			  PgLimit limit);

/* Whether the worker may add one more buddy to @link's list: the buddies
 * of all the session's links within max_contacts_per_user. */
gboolean pg_limits_allow_contact(PgLimits *self, PgLink *link, GError **error);
/* Whether @link may show one more contact that is not on its list (a
 * network without a buddy list, e.g. prpl-irc's presence of a nick), by
 * the same limit over the contacts it shows online. */
gboolean pg_limits_allow_online_contact(PgLimits *self, PgLink *link, GError **error);

/* Whether @adding more fit when @used are taken: @used + @adding <= the value
 * of @limit, or no limit.  Otherwise FALSE with @error (PG_ERROR_POLICY_VIOLATION
 * or PG_ERROR_RESOURCE_CONSTRAINT, its message for the user), and the
 * refusal is counted for @transport. */
gboolean pg_limits_check(PgLimits *self, const PgTransportConfig *transport, PgLimit limit,
			 guint64 used, guint64 adding, GError **error);
guint64 pg_limits_get_rejections(const PgLimits *self, const PgTransportConfig *transport,
				 PgLimit limit);

/* The link of @session to @server (pg_session_get_link()), made if the
 * user's and the gateway's link limits allow.  At a limit, the session's
 * idle links (offline or failed, with no room and nothing queued) are
 * dropped first, so servers that never answered do not hold the user's
 * slots.  Returns: (transfer none) the link, or NULL with @error. */
PgLink *pg_limits_get_link(PgLimits *self, PgSession *session, const gchar *server,
			   GError **error);
/* Whether pg_limits_get_link() would make a new link for @session now
 * (counting its idle links as given up), without counting a refusal: for
 * work to skip before the link is asked for, such as resolving the name of
 * a server the user may not connect to anyway. */
gboolean pg_limits_link_fits(const PgLimits *self, PgSession *session);
/* Whether the user of @session may join one more room. */
gboolean pg_limits_allow_room(PgLimits *self, PgSession *session, GError **error);
/* Whether @msg may wait in @link's pending queue: the bytes already queued
 * on all the session's links, plus its own, within max_queued_bytes_per_user.
 * Joins are not counted (max_rooms_per_user bounds them). */
gboolean pg_limits_allow_queue(PgLimits *self, PgLink *link, const PgIpcMessage *msg,
			       GError **error);
/* The bytes a queued @msg holds (its serialised fields). */
gsize pg_limits_message_size(const PgIpcMessage *msg);
/* Whether @user_jid may send one more text on @transport at @now (Unix
 * seconds): the outbox's count over the last minute and the last day. */
gboolean pg_limits_allow_sms(PgLimits *self, PgTransport *transport, const gchar *user_jid,
			     gint64 now, GError **error);

/* Whether @body fits in max_lines_per_message legacy lines: its lines,
 * each cut into pieces of the network's text_line_bytes (network/pg-network.h).
 * Otherwise FALSE with policy-violation: the paste is refused, not cut. */
gboolean pg_limits_allow_lines(PgLimits *self, PgTransport *transport, const gchar *user_jid,
			       const gchar *body, GError **error);

/* The limits and the refusals, Prometheus text format:
 *   polygate_limit_per_user{transport,limit}           gauge
 *   polygate_limit_gateway{limit="links"}              gauge
 *   polygate_limit_rejections_total{transport,limit}   counter */
void pg_limits_append_metrics(const PgLimits *self, GString *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgLimits, pg_limits_free)

G_END_DECLS
