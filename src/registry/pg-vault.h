/* PgVault: the registry key and AES-256-GCM sealing (OpenSSL EVP).
 *
 * The key file is text, one key a line, "<key id> <64 hex digits>"; the LAST
 * line is the current key, used for every seal.  Older lines are kept only so
 * that rows not yet resealed by pg_registry_rekey() can still be read.
 *
 * A sealed blob is self-describing:
 *
 *   key id (4 bytes, big-endian) | nonce (12 bytes) | ciphertext | tag (16 bytes)
 *
 * The key id bytes and the caller's associated data are both authenticated.
 */
#pragma once

#include <glib.h>

#include "core/pg-secret.h"

G_BEGIN_DECLS

#define PG_VAULT_KEY_LEN     32
#define PG_VAULT_NONCE_LEN   12
#define PG_VAULT_TAG_LEN     16
#define PG_VAULT_KEY_ID_LEN  4
#define PG_VAULT_OVERHEAD    (PG_VAULT_KEY_ID_LEN + PG_VAULT_NONCE_LEN + PG_VAULT_TAG_LEN)

typedef struct _PgVault PgVault;

/* Loads @key_file, or creates it (mode 0600, parent directory 0700) with one
 * fresh random key if it does not exist.  Refuses a key file that group or
 * others may access, and a malformed one (PG_ERROR_CRYPTO, naming file and line).
 * Returns: (transfer full) the vault, or NULL with @error set. */
PgVault *pg_vault_open(const gchar *key_file, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* A vault with one key and no file behind it: rotate and forget only change memory.
 * Returns: (transfer full). */
PgVault *pg_vault_new_for_test(guint32 key_id, const guint8 key[PG_VAULT_KEY_LEN])
    G_GNUC_WARN_UNUSED_RESULT;
/* Wipes every key, then frees. */
void pg_vault_free(PgVault *self);

guint32 pg_vault_get_current_key_id(const PgVault *self);
/* The number of keys held (current plus old ones not yet forgotten). */
guint pg_vault_get_n_keys(const PgVault *self);

/* Seals @len bytes at @plain under the current key with a fresh random nonce.
 * @ad (@ad_len bytes, may be NULL if 0) is authenticated but not stored.
 * Returns: (transfer full) the sealed blob, or NULL with PG_ERROR_CRYPTO. */
GBytes *pg_vault_seal(PgVault *self, const guint8 *plain, gsize len, const guint8 *ad,
		      gsize ad_len, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Opens a blob from pg_vault_seal() with the key it names.  Fails with
 * PG_ERROR_CRYPTO on a short blob, an unknown key id, or any tampering with
 * the blob or a different @ad.
 * Returns: (transfer full) the plaintext, or NULL. */
PgSecret *pg_vault_unseal(PgVault *self, GBytes *sealed, const guint8 *ad, gsize ad_len,
			  GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Adds a new random key and makes it current.  The key file then holds the old
 * keys plus the new one, replaced atomically and synced before this returns,
 * so that data sealed under the new key can never outlive its key. */
gboolean pg_vault_rotate(PgVault *self, GError **error);
/* Drops every key but the current one, from memory and from the key file.
 * The caller guarantees nothing sealed under an old key is still needed. */
gboolean pg_vault_forget_old_keys(PgVault *self, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgVault, pg_vault_free)

G_END_DECLS
