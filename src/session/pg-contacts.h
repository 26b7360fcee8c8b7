/* Legacy contacts (pg-contacts.c).  Private to src/session/. */
#pragma once

#include "session/pg-session-private.h"
#include "stanza/pg-stanza.h" /* PG_NS_DELAY */

G_BEGIN_DECLS

#define PG_NS_CHATSTATES "http://jabber.org/protocol/chatstates"

/* Worker events about contacts of @link. */
void pg_contacts_on_im(PgLink *link, const PgIpcMessage *msg);
void pg_contacts_on_typing(PgLink *link, const PgIpcMessage *msg);
/* The user's @message to the contact @who on @link: its @body (nullable: a
 * chat state goes as typing). */
void pg_contacts_send(PgLink *link, xmpp_stanza_t *message, const gchar *who, const gchar *body);
/* Unavailable presence from @from (a contact or the transport) to the user. */
void pg_contacts_send_unavailable(PgSession *session, const gchar *from);
/* The gateway stops: every contact of @link shown online goes offline. */
void pg_contacts_say_goodbye(PgLink *link);

G_END_DECLS
