/* Stanzas of a room's archive: XEP-0359 stanza-ids, XEP-0203 delays,
 * XEP-0313 results and their end, XEP-0082 times.  Pure builders and
 * parsers, as pg-muc.h. */
#pragma once

#include <glib.h>
#include <strophe.h>

#include "stanza/pg-stanza.h"

G_BEGIN_DECLS

#define PG_NS_MAM	   "urn:xmpp:mam:2"
#define PG_NS_MAM_EXTENDED "urn:xmpp:mam:2#extended" /* before-id, after-id (MAM 0.7+) */
#define PG_NS_RSM	   "http://jabber.org/protocol/rsm"
#define PG_NS_FORWARD	   "urn:xmpp:forward:0"
/* PG_NS_SID and PG_NS_DELAY: stanza/pg-stanza.h */

/* XEP-0359 §3: <stanza-id id=@id by=@by/> added to @message. */
void pg_mam_add_stanza_id(xmpp_stanza_t *message, const gchar *id, const gchar *by);
/* XEP-0203: <delay from=@from stamp=@time_us/> added to @message. */
void pg_mam_add_delay(xmpp_stanza_t *message, const gchar *from, gint64 time_us);

/* XEP-0082 DateTime of @time_us (µs since 1970), UTC.  Returns: (transfer full) */
gchar *pg_mam_format_time(gint64 time_us);
/* Parses a XEP-0082 DateTime (a zone is required).  FALSE if it is not one. */
gboolean pg_mam_parse_time(const gchar *text, gint64 *time_us);

/* XEP-0313 §4.2: one result, @forwarded (transfer full: a message) wrapped
 * with its @id and time, from @archive to @to.  Returns: (transfer full) */
xmpp_stanza_t *pg_mam_result(xmpp_ctx_t *ctx, const gchar *archive, const gchar *to,
			     const gchar *queryid, const gchar *id, gint64 time_us,
			     xmpp_stanza_t *forwarded);
/* XEP-0313 §4.3: <fin complete?><set xmlns=rsm><first/><last/></set></fin>
 * added to @result (@first and @last NULL: an empty page). */
void pg_mam_add_fin(xmpp_stanza_t *result, gboolean complete, const gchar *first,
		    const gchar *last);

G_END_DECLS
