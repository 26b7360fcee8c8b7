/* Strings from libpurple as IPC values.
 *
 * WHY: a GVariant string must be valid UTF-8; g_variant_new_string()
 * refuses any other bytes with a critical and returns NULL, and the worker
 * then sent its event without that field (a 401 whose text was not UTF-8
 * lost its error: tests/integration/test_irc_hostile_names.py).  Most of
 * prpl-irc's strings are decoded already, but not all (the raw lines that
 * pg-purple-numerics.c reads), and other protocols promise nothing.
 *
 * HOW: every string that comes from libpurple or a legacy network goes
 * through pg_purple_text_new().  Valid UTF-8 stays as it is, controls
 * included: the daemon cleans each text for its stanza (src/stanza/pg-text.h)
 * and a worker is no place to decide that.  Other bytes are read in the
 * daemon's own fallback charset, by its own code (PG_TEXT_UTF8), so a
 * name reads the same whichever side decoded it.
 */
#define G_LOG_DOMAIN "pg-purple"

#include "config.h"

#include <purple.h>

#include "pg-purple-text.h"
#include "stanza/pg-text.h"

GVariant *
pg_purple_text_new(const gchar *bytes)
{
	const gchar *end;

	if (bytes == NULL)
		return NULL;
	if (G_LIKELY(g_utf8_validate(bytes, -1, &end))) {
		/* what g_variant_new_string() does, without validating twice
		 * (room lines are hot: see pg_purple_worker_message_new()) */
		g_autoptr(GBytes) data = g_bytes_new(bytes, (gsize)(end - bytes) + 1);
		return g_variant_new_from_bytes(G_VARIANT_TYPE_STRING, data, TRUE);
	}
	return g_variant_new_take_string(pg_text_sanitize(bytes, -1, PG_TEXT_UTF8, NULL));
}

gchar *
pg_purple_text_plain(const gchar *html)
{
	if (html == NULL)
		return g_strdup("");
	return purple_markup_strip_html(html);
}
