/* Legacy buddies' icons as XEP-0153 vCard-based avatars
 * (pg-contact-avatar.c).  Private to src/session/. */
#pragma once

#include "session/pg-session-private.h"

G_BEGIN_DECLS

#define PG_NS_VCARD        "vcard-temp"
#define PG_NS_VCARD_UPDATE "vcard-temp:x:update"
/* The largest icon the daemon keeps, whatever max_avatar_bytes_per_user
 * says (backends/purple/pg-purple-icons.h sends no more). */
#define PG_CONTACT_AVATAR_MAX (256 * 1024)

/* Keep the icon (@value, an "ay", nullable) of contact @jid on @link, or
 * forget it when it is empty, too big, of another type than an image, or
 * past max_avatar_bytes_per_user.  Returns: TRUE if what is shown changed. */
gboolean pg_contact_avatar_store(PgLink *link, const gchar *jid, const gchar *type,
				 GVariant *value);
/* XEP-0153 §4.1: the <x><photo>hash</photo></x> of contact @jid on @link's
 * available @presence, if its avatar is known. */
void pg_contact_avatar_add_update(PgLink *link, const gchar *jid, xmpp_stanza_t *presence);
/* The bytes of avatar @link keeps.  For max_avatar_bytes_per_user. */
guint64 pg_contact_avatar_bytes(PgLink *link);
/* The answer to the vcard-temp get @iq to @who (a legacy id) on @link
 * (nullable: no session, an empty vCard).  Returns: (transfer full)
 * (nullable: nobody to answer) */
xmpp_stanza_t *pg_contact_avatar_vcard_reply(PgLink *link, const gchar *who, xmpp_stanza_t *iq);

/* A vcard-temp get from @user_jid to the contact @to of @transport: answered
 * here (TRUE) from the user's session, else FALSE. */
gboolean pg_contact_avatar_handle_iq(PgSessionManager *self, PgTransport *transport,
				     xmpp_stanza_t *iq, const gchar *user_jid, const PgJid *to);

G_END_DECLS
