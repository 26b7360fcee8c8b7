#include "config.h"

#include <openssl/crypto.h>
#include <string.h>

#include "core/pg-secret.h"

PgSecret *
pg_secret_new_take(guint8 *data, gsize len)
{
	PgSecret *secret = g_new0(PgSecret, 1);
	secret->data = data;
	secret->len = len;
	return secret;
}

PgSecret *
pg_secret_new(const guint8 *data, gsize len)
{
	guint8 *copy = g_malloc(len + 1);
	if (len > 0)
		memcpy(copy, data, len);
	copy[len] = '\0';
	return pg_secret_new_take(copy, len);
}

PgSecret *
pg_secret_new_from_string(const gchar *text)
{
	g_return_val_if_fail(text != NULL, NULL);
	return pg_secret_new((const guint8 *)text, strlen(text));
}

PgSecret *
pg_secret_dup(const PgSecret *secret)
{
	g_return_val_if_fail(secret != NULL, NULL);
	return pg_secret_new(secret->data, secret->len);
}

const gchar *
pg_secret_get_string(const PgSecret *secret)
{
	g_return_val_if_fail(secret != NULL, NULL);
	return (const gchar *)secret->data;
}

gboolean
pg_secret_equal(const PgSecret *a, const PgSecret *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return a->len == b->len && CRYPTO_memcmp(a->data, b->data, a->len) == 0;
}

void
pg_secret_free(PgSecret *secret)
{
	if (secret == NULL)
		return;
	if (secret->data != NULL) {
		OPENSSL_cleanse(secret->data, secret->len + 1);
		g_free(secret->data);
	}
	g_free(secret);
}

void
pg_secret_wipe_string(gchar *text)
{
	if (text == NULL)
		return;
	OPENSSL_cleanse(text, strlen(text));
	g_free(text);
}
