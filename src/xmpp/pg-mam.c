/* Archive stanzas (pg-mam.h). */
#define G_LOG_DOMAIN "pg-xmpp"

#include "config.h"

#include <string.h>

#include "stanza/pg-stanza.h"
#include "xmpp/pg-mam.h"

void
pg_mam_add_stanza_id(xmpp_stanza_t *message, const gchar *id, const gchar *by)
{
	xmpp_stanza_t *sid = pg_stanza_add_child(message, "stanza-id", PG_NS_SID);

	pg_stanza_set_attribute(sid, "id", id);
	pg_stanza_set_name_attribute(sid, "by", by);
}

void
pg_mam_add_delay(xmpp_stanza_t *message, const gchar *from, gint64 time_us)
{
	xmpp_stanza_t *delay = pg_stanza_add_child(message, "delay", PG_NS_DELAY);
	g_autofree gchar *stamp = pg_mam_format_time(time_us);

	if (from != NULL)
		pg_stanza_set_name_attribute(delay, "from", from);
	pg_stanza_set_attribute(delay, "stamp", stamp);
}

gchar *
pg_mam_format_time(gint64 time_us)
{
	g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc(time_us / G_USEC_PER_SEC);
	g_autofree gchar *seconds = NULL;

	if (when == NULL)
		return g_strdup("1970-01-01T00:00:00Z");
	seconds = g_date_time_format(when, "%Y-%m-%dT%H:%M:%S");
	/* XEP-0082 §3.2: fractions of a second are allowed; they make the
	 * stamp as exact as the id */
	return g_strdup_printf("%s.%06dZ", seconds, (gint)(time_us % G_USEC_PER_SEC));
}

gboolean
pg_mam_parse_time(const gchar *text, gint64 *time_us)
{
	g_autoptr(GDateTime) when = NULL;

	/* XEP-0082 §3.2: CCYY-MM-DDThh:mm:ss[.sss]TZD, the zone mandatory */
	if (text == NULL || strlen(text) < 20 || text[4] != '-' || text[10] != 'T')
		return FALSE;
	when = g_date_time_new_from_iso8601(text, NULL);
	if (when == NULL)
		return FALSE;
	*time_us = g_date_time_to_unix(when) * G_USEC_PER_SEC + g_date_time_get_microsecond(when);
	return *time_us >= 0;
}

xmpp_stanza_t *
pg_mam_result(xmpp_ctx_t *ctx, const gchar *archive, const gchar *to, const gchar *queryid,
	      const gchar *id, gint64 time_us, xmpp_stanza_t *forwarded)
{
	xmpp_stanza_t *message = xmpp_message_new(ctx, NULL, NULL, NULL);
	xmpp_stanza_t *result;
	xmpp_stanza_t *wrapper;

	pg_stanza_set_from(message, archive);
	pg_stanza_set_to(message, to);
	result = pg_stanza_add_child(message, "result", PG_NS_MAM);
	if (queryid != NULL)
		pg_stanza_set_attribute(result, "queryid", queryid);
	pg_stanza_set_attribute(result, "id", id);
	wrapper = pg_stanza_add_child(result, "forwarded", PG_NS_FORWARD);
	pg_mam_add_delay(wrapper, NULL, time_us);
	xmpp_stanza_set_ns(forwarded, "jabber:client");
	xmpp_stanza_add_child_ex(wrapper, forwarded, 0); /* takes our reference */
	return message;
}

void
pg_mam_add_fin(xmpp_stanza_t *result, gboolean complete, const gchar *first, const gchar *last)
{
	xmpp_stanza_t *fin = pg_stanza_add_child(result, "fin", PG_NS_MAM);
	xmpp_stanza_t *set = pg_stanza_add_child(fin, "set", PG_NS_RSM);

	if (complete)
		xmpp_stanza_set_attribute(fin, "complete", "true");
	if (first != NULL) {
		/* no index attribute: it is optional (XEP-0059 §2.6), and a count
		 * of the whole set would cost a scan of the archive per page */
		pg_stanza_add_text_child(set, "first", first);
		pg_stanza_add_text_child(set, "last", last);
	}
}
