/* The roster ladder (pg-roster-ladder.c).  Private to src/session/. */
#pragma once

#include "session/pg-roster.h"

G_BEGIN_DECLS

#define PG_NS_ROSTER  "jabber:iq:roster"
#define PG_NS_ROSTERX "http://jabber.org/protocol/rosterx" /* XEP-0144 */

/* How the buddy list reaches the user's roster, best first. */
typedef enum {
	PG_ROSTER_MODE_PRIVILEGED, /* XEP-0356: the server lets us write the roster */
	PG_ROSTER_MODE_EXCHANGE,   /* XEP-0144: a client of the user takes suggestions */
	PG_ROSTER_MODE_SUBSCRIBE,  /* RFC 6121 §3.1: one subscribe per contact */
} PgRosterMode;

/* Bits of PgSession.roster_resources. */
#define PG_ROSTER_RESOURCE_ASKED   (1u << 0) /* disco#info sent */
#define PG_ROSTER_RESOURCE_ROSTERX (1u << 1) /* it advertised XEP-0144 */

/* How long the buddy list may take to arrive after the first buddy (or
 * the sign-on) before it is offered: the worker sends it in one burst. */
#define PG_ROSTER_SETTLE_MS 1000
/* Privileged roster sets in flight per user at once. */
#define PG_ROSTER_PUSH_WINDOW 16
/* Items per XEP-0144 message. */
#define PG_ROSTER_EXCHANGE_ITEMS_MAX 100

/* Builders (the unit tests check them).  Returns: (transfer full)
 * A roster set (RFC 6121 §2.1.5, one item) to @user_jid: @contact with the
 * name and group of @buddy and subscription both, or (@buddy NULL) its
 * removal. */
xmpp_stanza_t *
pg_roster_push_new(xmpp_ctx_t *ctx, const gchar *user_jid, const gchar *contact,
		   const PgRosterBuddy *buddy);
/* An empty XEP-0144 suggestion to @to (a full JID).  Returns: (transfer full) */
xmpp_stanza_t *
pg_roster_exchange_new(xmpp_ctx_t *ctx, const gchar *to);
/* One <item action=@action/> (add | modify | delete) for @contact, named
 * and grouped as @buddy (nullable for delete), in @exchange. */
void
pg_roster_exchange_add(xmpp_stanza_t *exchange, const gchar *action, const gchar *contact,
		       const PgRosterBuddy *buddy);

/* The rung used for @session's user now. */
PgRosterMode
pg_roster_ladder_mode(PgSession *session);
/* "privileged", "rosterx" or "subscription". */
const gchar *
pg_roster_mode_to_string(PgRosterMode mode);

/* Worker events about the buddy list of @link (checked by pg-roster.c). */
void
pg_roster_ladder_on_buddy(PgLink *link, const PgIpcMessage *msg);
void
pg_roster_ladder_on_buddy_removed(PgLink *link, const PgIpcMessage *msg);
/* @link signed on: its list is offered once it settled. */
void
pg_roster_ladder_on_link_connected(PgLink *link);
/* @resource (a full JID) of the user came (@available) or went. */
void
pg_roster_ladder_on_resource(PgSession *session, const gchar *resource, gboolean available);
/* Offer @link's whole list now by the current rung (privileged: read the
 * roster first, then add what is missing and remove what is stale).
 * Returns: the number of buddies offered (privileged with read access:
 * the number known; the pushes follow the server's answer). */
guint
pg_roster_ladder_sync(PgLink *link);

G_END_DECLS
