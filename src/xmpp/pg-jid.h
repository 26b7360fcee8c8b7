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

/* An XMPP address split as RFC 7622 §3.1 says: the resourcepart is all that
 * follows the first '/', the localpart is what precedes the first '@' before
 * that '/', the domainpart is what lies between.  This is the one parser for
 * the 'to' and 'from' of every stanza on every transport (pg-transport.c);
 * nothing else in src/ splits a JID by hand.
 *
 * What it checks (RFC 7622 §3.2-§3.4; PRECIS is approximated without
 * normalisation tables, IDN U-labels are accepted but not converted):
 *   - each present part is 1..1023 octets of valid UTF-8 (§3.1);
 *     an '@' or '/' present with nothing on its side is malformed;
 *   - localpart (§3.3.1): printable ASCII other than " & ' / : < > @; no
 *     space, control, format, private-use, unassigned or non-character
 *     code point (non-ASCII symbols and punctuation pass, as the servers'
 *     stringprep lets them: pg-jid.c says why);
 *   - domainpart (§3.2): dot-separated labels of 1..63 octets of letters,
 *     digits, '-' and '_' (ASCII, or non-ASCII letters/digits/marks), not
 *     starting or ending with '-', or an IP literal; one final '.' is
 *     stripped (§3.2) and ASCII is lowercased;
 *   - resourcepart (OpaqueString, §3.4): any character but controls,
 *     unassigned code points and non-characters.
 * The localpart and resourcepart keep their case. */
typedef struct {
	const gchar *local;    /* NULL if there is none */
	const gchar *domain;   /* never NULL */
	const gchar *resource; /* NULL if there is none */
	const gchar *bare;     /* local@domain or domain */
	const gchar *full;     /* bare, then /resource if any */
} PgJid;

/* Parse @text (NULL-safe).  Returns: (transfer full) the parts, freed
 * with pg_jid_free(), or NULL with PG_ERROR_JID_MALFORMED saying which part
 * is wrong (the text never quotes @text). */
PgJid *pg_jid_parse(const gchar *text, GError **error) G_GNUC_WARN_UNUSED_RESULT;
void pg_jid_free(PgJid *jid);
/* TRUE if @jid is the bare domain @domain (already in canonical form). */
gboolean pg_jid_is_domain(const PgJid *jid, const gchar *domain);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgJid, pg_jid_free)

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

/* Read the IRC address out of @jid, a JID on @transport (an IRC one)
 * parsed by pg_jid_parse().  Returns: (transfer full) or NULL with
 * PG_ERROR_JID_MALFORMED (PG_ERROR_ITEM_NOT_FOUND if no server is given and
 * the transport has no fixed one). */
PgIrcAddress *pg_jid_parse_irc(const PgTransportConfig *transport, const PgJid *jid,
			       GError **error);
/* The JID of @name on @server (the short form when @server is the fixed
 * one), with @resource if not NULL.  Returns: (transfer full) */
gchar *pg_jid_irc_to_jid(const PgTransportConfig *transport, const gchar *name,
			 const gchar *server, const gchar *resource);
void pg_irc_address_free(PgIrcAddress *address);

/* The E.164 number of a contact JID on an SMS @transport.  SMS contacts have
 * no resources.  Returns: (transfer full) or NULL with PG_ERROR_JID_MALFORMED,
 * or PG_ERROR_ITEM_NOT_FOUND for a resource. */
gchar *pg_jid_parse_sms(const PgTransportConfig *transport, const PgJid *jid, GError **error);
/* The legacy ID (XEP-0106-unescaped localpart) of a contact JID on a purple
 * @transport; contacts have no resources there either.  Returns: (transfer
 * full) or NULL with PG_ERROR_JID_MALFORMED or PG_ERROR_ITEM_NOT_FOUND. */
gchar *pg_jid_parse_purple(const PgTransportConfig *transport, const PgJid *jid,
			   GError **error);
/* Check that @jid, with a localpart, names something @transport can address
 * (an IRC nick or room, an E.164 number, a legacy ID): the per-network part
 * of the boundary in pg-transport.c.  FALSE with the error to answer. */
gboolean pg_jid_check_contact(const PgTransportConfig *transport, const PgJid *jid,
			      GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgIrcAddress, pg_irc_address_free)

G_END_DECLS
