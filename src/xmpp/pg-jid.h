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

/* An IRC address on a transport: nick%server or #chan%server (+ /resource). */
typedef struct {
	gchar *name;        /* nick or channel, unescaped (XEP-0106) */
	gchar *server;      /* IRC server, lowercase */
	gchar *resource;    /* the JID's resource (a MUC occupant nick), or NULL */
	gboolean is_channel;
} PgIrcAddress;

/* Parse a JID on an IRC transport.  Returns: (transfer full) or NULL with
 * PG_ERROR_JID_MALFORMED (PG_ERROR_ITEM_NOT_FOUND if no server is given and
 * the transport has no fixed one). */
PgIrcAddress *pg_jid_parse_irc(const PgTransportConfig *transport, const gchar *jid,
			       GError **error);
/* The JID of @name on @server (the short form when @server is the fixed
 * one), with @resource if not NULL.  Returns: (transfer full) */
gchar *pg_jid_irc_to_jid(const PgTransportConfig *transport, const gchar *name,
			 const gchar *server, const gchar *resource);
void pg_irc_address_free(PgIrcAddress *address);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgIrcAddress, pg_irc_address_free)

G_END_DECLS
