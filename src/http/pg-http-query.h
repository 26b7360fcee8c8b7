/* Decoding what Kannel sends to the HTTP listener (src/http/pg-http.c): the
 * raw query of a callback and the text of an inbound SMS.  Pure functions,
 * no I/O: tests/fuzz/fuzz-http-query.c feeds them anything. */
#pragma once

#include <glib.h>

#include "core/pg-secret.h"

G_BEGIN_DECLS

/* Parses a raw (still percent-encoded) query, name=value&..., '+' a space,
 * %XX a byte, into name -> PgSecret (values keep their length: a UCS-2 text
 * is full of NUL bytes).  @query may be NULL (no query: an empty table).
 * Returns: (transfer full) the table, or NULL with a reason in @why (a
 * malformed escape, a NUL in a name, or a name given twice). */
GHashTable *pg_http_query_parse(const gchar *query, const gchar **why);

/* A parameter as a C string: (transfer none), NULL if absent, and NULL with
 * *@bad set if it holds a NUL or is not UTF-8. */
const gchar *pg_http_query_string(GHashTable *params, const gchar *name, gboolean *bad);

/* Returns: (transfer full) @data (@len bytes) as UTF-8 without NUL, or NULL
 * with PG_ERROR_BAD_REQUEST.  @charset may be NULL; @coding is Kannel's %c
 * (-1 if not given): 2 means UTF-16BE when no charset is named. */
PgSecret *pg_http_query_decode_text(const guint8 *data, gsize len, const gchar *charset,
				    gint coding, GError **error);

/* Kannel's %c: 0, 1 or 2 in *@coding; -1 when @text is NULL or empty;
 * FALSE if malformed. */
gboolean pg_http_query_parse_coding(const gchar *text, gint *coding);

G_END_DECLS
