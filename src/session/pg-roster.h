/* Legacy buddy lists and the user's roster (pg-roster.c).  Private to
 * src/session/. */
#pragma once

#include "session/pg-session-private.h"

G_BEGIN_DECLS

#define PG_NS_NICK "http://jabber.org/protocol/nick" /* XEP-0172 */

/* What the daemon takes from a worker about one account's buddies.  A
 * worker is untrusted (it runs a protocol plugin): past these, a buddy
 * event is refused (a name) or cut (a text), and a buddy past the count is
 * not offered to the user (who is told once).  The count a user gets is
 * max_contacts_per_user (session/pg-limits.h); this is its ceiling. */
#define PG_ROSTER_BUDDIES_MAX     PG_CONFIG_MAX_CONTACTS_PER_USER_CEILING /* per link */
#define PG_ROSTER_WHO_MAX         512  /* bytes of a legacy id */
#define PG_ROSTER_ALIAS_MAX       256  /* bytes of a nickname */
#define PG_ROSTER_GROUP_MAX       256  /* bytes of a group name */
#define PG_ROSTER_STATUS_TEXT_MAX 1024 /* bytes of a status message */

typedef enum {
	PG_ROSTER_SAME,
	PG_ROSTER_NEW,
	PG_ROSTER_CHANGED,
} PgRosterChange;

/* Returns: (transfer full) a table of legacy id -> PgRosterBuddy. */
GHashTable *
pg_roster_table_new(void);
/* Check the fields of a buddy, buddy-removed or buddy-presence event
 * beyond what the contract checks: a legacy id 1..PG_ROSTER_WHO_MAX bytes
 * with no control character, a known status.  FALSE with
 * PG_ERROR_BAD_REQUEST. */
gboolean
pg_roster_check_event(const PgIpcMessage *msg, GError **error);
/* @text cut to at most @max bytes on a character boundary.  Returns:
 * (transfer full) (nullable) */
gchar *
pg_roster_bound_text(const gchar *text, gsize max);
/* Record buddy @who in @buddies (texts bounded here) and say in @change
 * what that changed.  FALSE with PG_ERROR_RESOURCE_CONSTRAINT when a new
 * buddy would pass PG_ROSTER_BUDDIES_MAX. */
gboolean
pg_roster_table_put(GHashTable *buddies, const gchar *who, const gchar *alias, const gchar *group,
		    PgRosterChange *change, GError **error);

/* Returns: (transfer none) @link's table of legacy id -> PgRosterBuddy. */
GHashTable *
pg_roster_buddies(PgLink *link);
/* The contact JID of @who on @link, checked as any JID is (pg-jid.h), or
 * NULL (logged): a name the addressing cannot carry.  (transfer full) */
gchar *
pg_roster_contact_jid(PgLink *link, const gchar *who);
/* Returns: (transfer full) a presence of @type (NULL: available) from
 * @from to the user. */
xmpp_stanza_t *
pg_roster_presence_new(PgSession *session, const gchar *from, const gchar *type);
/* The presence of contact @from as @status with @text (nullable). */
void
pg_roster_send_presence(PgLink *link, const gchar *from, const gchar *status, const gchar *text);

/* Worker events (checked here first).  A buddy event goes into the table:
 * TRUE with what it changed in *@change, FALSE if it was refused (logged;
 * the user is told once of the cap).  A buddy-removed event leaves it and
 * shows the contact offline: the contact's JID (transfer full), or NULL if
 * nothing was removed.  The ladder (pg-roster-ladder.c) tells the roster. */
gboolean
pg_roster_take_buddy(PgLink *link, const PgIpcMessage *msg, PgRosterChange *change);
gchar *
pg_roster_take_removal(PgLink *link, const PgIpcMessage *msg);
void
pg_roster_on_buddy_presence(PgLink *link, const PgIpcMessage *msg);
/* @link's legacy connection is gone: every buddy is offline, and the
 * user is told of those shown available. */
void
pg_roster_on_link_down(PgLink *link);
/* A subscription or probe presence from the user to the contact @to:
 * answered here (TRUE), else FALSE. */
gboolean
pg_roster_handle_subscription(PgSessionManager *self, PgTransport *transport,
			      xmpp_stanza_t *presence, const gchar *user_jid, const PgJid *to);

/* A buddy-icon event of @link's worker (checked here). */
void pg_roster_on_buddy_icon(PgLink *link, const PgIpcMessage *msg);

G_END_DECLS
