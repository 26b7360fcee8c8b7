/* JIDs on the transport side: XEP-0106 escaping and legacy ID <-> JID.
 *
 * Schemes (DESIGN.md; biboumi's IRC scheme, so users can switch):
 *   IRC user   nick%irc.server.net@irc.example.org   (nick@... with a fixed irc_server)
 *   IRC room   #chan%irc.server.net@irc.example.org
 *   SMS        +15551234567@sms.example.org           (E.164)
 *   purple     the legacy ID, XEP-0106-escaped, as the local part
 */
#pragma once

#include <glib.h>

#include "core/pg-config.h"

G_BEGIN_DECLS

/* XEP-0106 §4: escape the characters a JID local part cannot hold. (transfer full) */
gchar *pg_jid_escape_node(const gchar *text);
/* XEP-0106 §4: undo pg_jid_escape_node(); unknown sequences stay as they are. (transfer full) */
gchar *pg_jid_unescape_node(const gchar *node);

/* RFC 2812 §2.3.1 nickname characters (length checked by the caller's network). */
gboolean pg_jid_is_valid_irc_nick(const gchar *nick);

/* Translate a legacy ID typed by a user (XEP-0100 §6.3 jabber:iq:gateway) to
 * the contact's JID on @transport.  Returns: (transfer full) the JID, or NULL
 * with PG_ERROR_JID_MALFORMED and why. */
gchar *pg_jid_from_legacy_id(const PgTransportConfig *transport, const gchar *legacy_id,
			     GError **error);

G_END_DECLS
