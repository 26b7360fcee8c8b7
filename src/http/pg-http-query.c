/* The query and text decoding of the Kannel callbacks (src/http/pg-http.c),
 * apart so that tests/fuzz/fuzz-http-query.c reaches them. */
#define G_LOG_DOMAIN "PgHttp"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "http/pg-http-query.h"

/* ---- the query: name=value&..., '+' is a space, %XX a byte ---- */

static gint
pg_http_hex_value(gchar c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Returns: (transfer full) the decoded bytes, or NULL if a '%' is not
 * followed by two hex digits. */
static PgSecret *
pg_http_form_decode(const gchar *text, gsize len)
{
	g_autoptr(PgSecret) value = pg_secret_new_take(g_malloc0(len + 1), 0);
	gsize n = 0;

	for (gsize i = 0; i < len; i++) {
		if (text[i] == '+') {
			value->data[n++] = ' ';
		} else if (text[i] == '%') {
			gint high, low;
			if (len - i < 3)
				return NULL;
			high = pg_http_hex_value(text[i + 1]);
			low = pg_http_hex_value(text[i + 2]);
			if (high < 0 || low < 0)
				return NULL;
			value->data[n++] = (guint8)(high << 4 | low);
			i += 2;
		} else {
			value->data[n++] = (guint8)text[i];
		}
	}
	value->data[n] = '\0';
	value->len = n;
	return g_steal_pointer(&value);
}

/* Parses a raw (still percent-encoded) query into name -> PgSecret.
 * Returns: (transfer full) the table, or NULL with a reason in @why
 * (a malformed escape, or a name given twice). */
GHashTable *
pg_http_query_parse(const gchar *query, const gchar **why)
{
	g_autoptr(GHashTable) params = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
							      (GDestroyNotify)pg_secret_free);
	const gchar *p = query;

	while (p != NULL && *p != '\0') {
		const gchar *end = strchr(p, '&');
		const gchar *eq;
		gsize len = end != NULL ? (gsize)(end - p) : strlen(p);
		g_autoptr(PgSecret) name = NULL;
		g_autoptr(PgSecret) value = NULL;

		eq = memchr(p, '=', len);
		if (len > 0) {
			gsize name_len = eq != NULL ? (gsize)(eq - p) : len;
			name = pg_http_form_decode(p, name_len);
			value = eq != NULL ? pg_http_form_decode(eq + 1, len - name_len - 1)
					   : pg_secret_new((const guint8 *)"", 0);
			if (name == NULL || value == NULL) {
				*why = "malformed %-escape in the query";
				return NULL;
			}
			if (strlen(pg_secret_get_string(name)) != name->len) {
				*why = "NUL in a parameter name";
				return NULL;
			}
			if (g_hash_table_contains(params, name->data)) {
				*why = "a parameter is given twice";
				return NULL;
			}
			g_hash_table_insert(params, g_strdup(pg_secret_get_string(name)),
					    g_steal_pointer(&value));
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return g_steal_pointer(&params);
}

/* A parameter as a C string: (transfer none), NULL if absent, and NULL with
 * *@bad set if it holds a NUL or is not UTF-8. */
const gchar *
pg_http_query_string(GHashTable *params, const gchar *name, gboolean *bad)
{
	PgSecret *value = g_hash_table_lookup(params, name);
	const gchar *text;

	if (value == NULL)
		return NULL;
	text = pg_secret_get_string(value);
	if (strlen(text) != value->len || !g_utf8_validate(text, (gssize)value->len, NULL)) {
		*bad = TRUE;
		return NULL;
	}
	return text;
}

/* ---- text decoding ---- */

static gboolean
pg_http_charset_is(const gchar *charset, const gchar *name)
{
	return g_ascii_strcasecmp(charset, name) == 0;
}

/* Returns: (transfer full) @data (@len bytes) as UTF-8 without NUL, or NULL
 * with PG_ERROR_BAD_REQUEST.  @charset may be NULL; @coding is Kannel's %c
 * (-1 if not given). */
PgSecret *
pg_http_query_decode_text(const guint8 *data, gsize len, const gchar *charset, gint coding,
		    GError **error)
{
	g_autoptr(GError) convert_error = NULL;
	PgSecret *text = NULL;

	if (charset == NULL || charset[0] == '\0')
		charset = coding == 2 ? "UTF-16BE" : "UTF-8";

	if (pg_http_charset_is(charset, "UTF-8") || pg_http_charset_is(charset, "UTF8") ||
	    pg_http_charset_is(charset, "binary") || pg_http_charset_is(charset, "8-BIT") ||
	    pg_http_charset_is(charset, "GSM")) {
		if (g_utf8_validate_len((const gchar *)data, len, NULL)) {
			text = pg_secret_new(data, len);
		} else if (pg_http_charset_is(charset, "GSM")) {
			/* Kannels before 1.4 keep 7-bit text as Latin-1 */
			charset = "WINDOWS-1252";
		} else {
			g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "the text is not valid UTF-8 (charset %s)", charset);
			return NULL;
		}
	}
	if (text == NULL) {
		gsize written = 0;
		gchar *converted = g_convert((const gchar *)data, (gssize)len, "UTF-8", charset,
					     NULL, &written, &convert_error);
		if (converted == NULL) {
			g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "cannot read the text as %s: %s", charset,
				    convert_error->message);
			return NULL;
		}
		text = pg_secret_new_take((guint8 *)converted, written);
	}
	if (memchr(text->data, '\0', text->len) != NULL) {
		pg_secret_free(text);
		g_set_error_literal(error, PG_ERROR, PG_ERROR_BAD_REQUEST, "the text holds a NUL");
		return NULL;
	}
	return text;
}

/* Kannel's %c: 0, 1 or 2; -1 when absent; FALSE if malformed. */
gboolean
pg_http_query_parse_coding(const gchar *text, gint *coding)
{
	guint64 value = 0;

	*coding = -1;
	if (text == NULL || text[0] == '\0')
		return TRUE;
	if (!g_ascii_string_to_unsigned(text, 10, 0, 2, &value, NULL))
		return FALSE;
	*coding = (gint)value;
	return TRUE;
}
