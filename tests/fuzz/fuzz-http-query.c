/* Fuzz target: what the HTTP listener decodes from Kannel before any
 * delegate sees it (src/http/pg-http-query.c): the raw query, and the text
 * of an inbound SMS in whatever charset and coding the request names.
 *
 * Input: the query, then optionally a NUL byte and a body.  The query's own
 * charset= and coding= drive the text decoding, as in pg-http.c. */
#include "config.h"

#include <string.h>

#include "http/pg-http-query.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	const guint8 *nul = memchr(data, '\0', size);
	gsize query_len = nul != NULL ? (gsize)(nul - data) : size;
	g_autofree gchar *query = g_strndup((const gchar *)data, query_len);
	const guint8 *body = nul != NULL ? nul + 1 : NULL;
	gsize body_len = nul != NULL ? size - query_len - 1 : 0;
	g_autoptr(GHashTable) params = NULL;
	const gchar *why = NULL;
	gboolean bad = FALSE;
	const gchar *charset;
	gint coding = -1;
	PgSecret *text;

	params = pg_http_query_parse(query, &why);
	if (params == NULL) {
		g_assert_nonnull(why);
		return 0;
	}
	/* every value keeps its length and a terminating NUL; a name has no NUL */
	{
		GHashTableIter iter;
		gpointer key, value;
		g_hash_table_iter_init(&iter, params);
		while (g_hash_table_iter_next(&iter, &key, &value)) {
			PgSecret *secret = value;
			g_assert_true(g_hash_table_contains(params, key));
			g_assert_cmpint(secret->data[secret->len], ==, '\0');
		}
	}
	charset = pg_http_query_string(params, "charset", &bad);
	if (!pg_http_query_parse_coding(pg_http_query_string(params, "coding", &bad), &coding))
		coding = -1;
	text = g_hash_table_lookup(params, "text");
	if (body == NULL && text != NULL) {
		body = text->data;
		body_len = text->len;
	}
	if (body != NULL) {
		g_autoptr(GError) error = NULL;
		g_autoptr(PgSecret) decoded =
		    pg_http_query_decode_text(body, body_len, charset, coding, &error);
		if (decoded != NULL) {
			/* what the delegate gets: UTF-8 without NUL */
			g_assert_true(g_utf8_validate((const gchar *)decoded->data,
						      (gssize)decoded->len, NULL));
			g_assert_null(memchr(decoded->data, '\0', decoded->len));
			g_assert_cmpint(decoded->data[decoded->len], ==, '\0');
		} else {
			g_assert_nonnull(error);
		}
	}
	return 0;
}
