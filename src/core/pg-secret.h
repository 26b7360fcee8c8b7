/* PgSecret: the only home of a plaintext credential in Polygate.
 *
 * g_free() does not zero memory; a password, token, key or component secret
 * lives in a PgSecret and is wiped with OPENSSL_cleanse() when freed.  The
 * data is always NUL-terminated (not counted in @len) so it can be handed to
 * APIs that want a C string, which must not copy it further.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	guint8 *data;
	gsize len;
} PgSecret;

/* Returns: (transfer full) a copy of @len bytes at @data. */
PgSecret *pg_secret_new(const guint8 *data, gsize len);
/* Returns: (transfer full) a copy of the C string @text. */
PgSecret *pg_secret_new_from_string(const gchar *text);
/* Takes ownership of @data (g_malloc'd, @len bytes plus a NUL): no copy left behind. */
PgSecret *pg_secret_new_take(guint8 *data, gsize len);
PgSecret *pg_secret_dup(const PgSecret *secret);
const gchar *pg_secret_get_string(const PgSecret *secret);
gboolean pg_secret_equal(const PgSecret *a, const PgSecret *b);
void pg_secret_free(PgSecret *secret);

/* Wipe then free a g_malloc'd C string (NULL is fine). */
void pg_secret_wipe_string(gchar *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgSecret, pg_secret_free)

G_END_DECLS
