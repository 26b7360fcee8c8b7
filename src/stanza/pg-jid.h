/* JIDs: the one parser (RFC 7622) and XEP-0106 escaping.
 *
 * What a JID under a transport means on its legacy network (a nick, a
 * room, a number) is the network driver's business (network/pg-network.h).
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

G_END_DECLS
