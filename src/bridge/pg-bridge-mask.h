/* IRC ban masks (issue 11 item 5: an IRC ban becomes a room outcast).
 *
 * A channel ban (RFC 2812 §3.2.3, MODE +b) is a mask nick!user@host with
 * the wildcards '*' (any run of characters, none too) and '?' (exactly one
 * character), compared case-insensitively under RFC 1459 case mapping
 * (RFC 2812 §2.2: "{}|^" are the lower case of "[]\~").  A server writes
 * a partial mask out in full ("bob" is bob!*@*, "*@host" is *!*@host);
 * pg_bridge_mask_match() does the same.  An extended ban ("$a:account",
 * "~q:...") names no nick!user@host and matches nothing here. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Whether @mask bans @who, "nick!user@host" (or just "nick" when the user
 * and host are not known: then only a mask whose user and host parts are
 * all '*' can match it). */
gboolean pg_bridge_mask_match(const gchar *mask, const gchar *who);

G_END_DECLS
