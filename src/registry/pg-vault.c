/* PgVault: the registry key file and AES-256-GCM sealing.
 *
 * DESIGN
 * - Only OpenSSL's EVP AEAD interface is used, and every EVP return is
 *   checked; a failure becomes PG_ERROR_CRYPTO with OpenSSL's own text.
 * - Nonces are 96 random bits from RAND_bytes(), fresh for every seal.  With
 *   random nonces NIST SP 800-38D §8.3 limits one key to 2^32 invocations;
 *   a registry reseals each account a handful of times a day at most, far
 *   below that, and pg_registry_rekey() starts the count again.
 * - The key id prefix and the caller's associated data (the row's transport
 *   and user JID) are authenticated, so neither a blob's key id nor the row
 *   it sits in can be changed without unsealing failing.
 * - The key file is the only copy of the key.  It is written to a temporary
 *   file, fsync()ed, renamed over the old one and the directory fsync()ed, so
 *   a crash leaves either the old or the new file, never a torn one.  Rotation
 *   writes old + new keys and only then lets anyone seal with the new key;
 *   forgetting old keys is a separate, later step (see pg_registry_rekey()).
 * - Key bytes live in individually allocated PgVaultKey records (never in a
 *   growable array that could leave copies behind on realloc) and are wiped
 *   with OPENSSL_cleanse() when dropped.  The file's hex text is read into and
 *   written from PgSecret buffers, which wipe themselves.
 */
#define G_LOG_DOMAIN "PgVault"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "core/pg-error.h"
#include "registry/pg-vault.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_CIPHER_CTX, EVP_CIPHER_CTX_free)

/* "4294967295 " + 64 hex digits + "\n" */
#define PG_VAULT_LINE_MAX (10 + 1 + PG_VAULT_KEY_LEN * 2 + 1)
/* a key file is a few lines; anything bigger is not ours */
#define PG_VAULT_FILE_MAX (64 * 1024)

typedef struct {
	guint32 id;
	guint8 bytes[PG_VAULT_KEY_LEN];
} PgVaultKey;

struct _PgVault {
	gchar *key_file; /* NULL for a test vault */
	GPtrArray *keys; /* element-type PgVaultKey, owned; the last one is current */
};

static void
pg_vault_key_free(PgVaultKey *key)
{
	OPENSSL_cleanse(key, sizeof(*key));
	g_free(key);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgVaultKey, pg_vault_key_free)

static GPtrArray *
pg_vault_keys_new(void)
{
	return g_ptr_array_new_with_free_func((GDestroyNotify)pg_vault_key_free);
}

static PgVaultKey *
pg_vault_key_dup(const PgVaultKey *key)
{
	PgVaultKey *copy = g_new0(PgVaultKey, 1);
	copy->id = key->id;
	memcpy(copy->bytes, key->bytes, sizeof(copy->bytes));
	return copy;
}

/* Turns the first queued OpenSSL error into @error, and drains the queue so a
 * stale entry never shows up in a later, unrelated message. */
static void
pg_vault_set_openssl_error(GError **error, const gchar *what)
{
	gchar text[256] = "no OpenSSL error queued";
	unsigned long code = ERR_get_error();

	if (code != 0)
		ERR_error_string_n(code, text, sizeof(text));
	ERR_clear_error();
	g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO, "%s: %s", what, text);
}

static const PgVaultKey *
pg_vault_current_key(const PgVault *self)
{
	return g_ptr_array_index(self->keys, self->keys->len - 1);
}

static const PgVaultKey *
pg_vault_find_key(const PgVault *self, guint32 id)
{
	for (guint i = 0; i < self->keys->len; i++) {
		const PgVaultKey *key = g_ptr_array_index(self->keys, i);
		if (key->id == id)
			return key;
	}
	return NULL;
}

static PgVaultKey *
pg_vault_key_new_random(guint32 id, GError **error)
{
	PgVaultKey *key = g_new0(PgVaultKey, 1);

	key->id = id;
	if (RAND_bytes(key->bytes, sizeof(key->bytes)) != 1) {
		pg_vault_key_free(key);
		pg_vault_set_openssl_error(error, "cannot generate a key");
		return NULL;
	}
	return key;
}

/* ---- key file text ---- */

/* Parses one line "<id> <64 hex>" between @line and @end (no newline).
 * Returns: (transfer full) the key, or NULL with @error naming @path:@lineno. */
static PgVaultKey *
pg_vault_parse_line(const gchar *path, guint lineno, const gchar *line, const gchar *end,
		    GError **error)
{
	g_autoptr(PgVaultKey) key = g_new0(PgVaultKey, 1);
	const gchar *p = line;
	guint64 id = 0;

	if (p == end || !g_ascii_isdigit(*p)) {
		g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO,
			    "key file %s line %u: expected \"<key id> <64 hex digits>\"", path,
			    lineno);
		return NULL;
	}
	for (; p < end && g_ascii_isdigit(*p); p++) {
		id = id * 10 + (guint64)(*p - '0');
		if (id > G_MAXUINT32) {
			g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO,
				    "key file %s line %u: key id is larger than %u", path, lineno,
				    G_MAXUINT32);
			return NULL;
		}
	}
	if (p == end || (*p != ' ' && *p != '\t')) {
		g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO,
			    "key file %s line %u: expected a space after the key id", path,
			    lineno);
		return NULL;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	/* the key: exactly 64 hex digits, then the end of the line */
	for (gsize i = 0; i < PG_VAULT_KEY_LEN; i++) {
		gint hi, lo;
		if (end - p < 2 || (hi = g_ascii_xdigit_value(p[0])) < 0 ||
		    (lo = g_ascii_xdigit_value(p[1])) < 0) {
			g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO,
				    "key file %s line %u: the key must be %d hex digits", path,
				    lineno, PG_VAULT_KEY_LEN * 2);
			return NULL;
		}
		key->bytes[i] = (guint8)(hi << 4 | lo);
		p += 2;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p != end) {
		g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO,
			    "key file %s line %u: the key must be %d hex digits", path, lineno,
			    PG_VAULT_KEY_LEN * 2);
		return NULL;
	}
	key->id = (guint32)id;
	return g_steal_pointer(&key);
}

static GPtrArray *
pg_vault_parse(const gchar *path, const gchar *text, gsize len, GError **error)
{
	g_autoptr(GPtrArray) keys = pg_vault_keys_new();
	const gchar *line = text;
	const gchar *text_end = text + len;
	guint lineno = 0;

	while (line < text_end) {
		const gchar *nl = memchr(line, '\n', (gsize)(text_end - line));
		const gchar *end = nl != NULL ? nl : text_end;
		const gchar *next = nl != NULL ? nl + 1 : text_end;
		PgVaultKey *key;

		lineno++;
		if (end > line && end[-1] == '\r')
			end--;
		if (end == line) { /* blank lines are harmless */
			line = next;
			continue;
		}
		key = pg_vault_parse_line(path, lineno, line, end, error);
		if (key == NULL)
			return NULL;
		for (guint i = 0; i < keys->len; i++) {
			const PgVaultKey *other = g_ptr_array_index(keys, i);
			if (other->id == key->id) {
				g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO,
					    "key file %s line %u: key id %u appears twice", path,
					    lineno, key->id);
				pg_vault_key_free(key);
				return NULL;
			}
		}
		g_ptr_array_add(keys, key);
		line = next;
	}
	if (keys->len == 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO, "key file %s holds no key", path);
		return NULL;
	}
	return g_steal_pointer(&keys);
}

/* Returns: (transfer full) the text of @keys, in a buffer that wipes itself. */
static PgSecret *
pg_vault_format(GPtrArray *keys)
{
	static const gchar hex[] = "0123456789abcdef";
	gsize cap = keys->len * PG_VAULT_LINE_MAX;
	g_autoptr(PgSecret) text = pg_secret_new_take(g_malloc0(cap + 1), cap);
	gchar *p = (gchar *)text->data;

	for (guint i = 0; i < keys->len; i++) {
		const PgVaultKey *key = g_ptr_array_index(keys, i);
		p += g_snprintf(p, 12, "%u ", key->id);
		for (gsize j = 0; j < PG_VAULT_KEY_LEN; j++) {
			*p++ = hex[key->bytes[j] >> 4];
			*p++ = hex[key->bytes[j] & 0xf];
		}
		*p++ = '\n';
	}
	/* only the bytes written count; nothing was ever written past them, so
	 * the wipe on free (len + 1 bytes) still covers every key digit */
	text->len = (gsize)(p - (gchar *)text->data);
	return g_steal_pointer(&text);
}

/* ---- key file I/O ---- */

static gboolean
pg_vault_write_all(int fd, const guint8 *data, gsize len, const gchar *path, GError **error)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved_errno = errno;
			g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot write %s: %s", path,
				    g_strerror(saved_errno));
			return FALSE;
		}
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}

static gboolean
pg_vault_fsync_dir(const gchar *dir, GError **error)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0) {
		int saved_errno = errno;
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot open directory %s: %s", dir,
			    g_strerror(saved_errno));
		return FALSE;
	}
	rc = fsync(fd);
	if (rc != 0) {
		int saved_errno = errno;
		close(fd);
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot sync directory %s: %s", dir,
			    g_strerror(saved_errno));
		return FALSE;
	}
	close(fd);
	return TRUE;
}

/* Writes @keys to a synced temporary file next to @path.
 * Returns: (transfer full) the temporary file's path, or NULL. */
static gchar *
pg_vault_write_tmp(const gchar *path, GPtrArray *keys, GError **error)
{
	g_autoptr(PgSecret) text = pg_vault_format(keys);
	g_autofree gchar *tmp_path = g_strdup_printf("%s.XXXXXX", path);
	int fd = g_mkstemp_full(tmp_path, O_WRONLY | O_CLOEXEC, 0600);

	if (fd < 0) {
		int saved_errno = errno;
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot create a file next to %s: %s",
			    path, g_strerror(saved_errno));
		return NULL;
	}
	/* mkstemp already uses 0600; say so explicitly in case a libc does not */
	if (fchmod(fd, 0600) != 0 ||
	    !pg_vault_write_all(fd, text->data, text->len, tmp_path, NULL) || fsync(fd) != 0) {
		int saved_errno = errno;
		close(fd);
		g_unlink(tmp_path);
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot write %s: %s", tmp_path,
			    g_strerror(saved_errno));
		return NULL;
	}
	if (close(fd) != 0) {
		int saved_errno = errno;
		g_unlink(tmp_path);
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot write %s: %s", tmp_path,
			    g_strerror(saved_errno));
		return NULL;
	}
	return g_steal_pointer(&tmp_path);
}

/* Replaces @path with @keys atomically. */
static gboolean
pg_vault_write_file(const gchar *path, GPtrArray *keys, GError **error)
{
	g_autofree gchar *dir = g_path_get_dirname(path);
	g_autofree gchar *tmp_path = pg_vault_write_tmp(path, keys, error);

	if (tmp_path == NULL)
		return FALSE;
	if (g_rename(tmp_path, path) != 0) {
		int saved_errno = errno;
		g_unlink(tmp_path);
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot replace %s: %s", path,
			    g_strerror(saved_errno));
		return FALSE;
	}
	/* without this the rename may not survive a power loss, while rows
	 * sealed under the new key would */
	return pg_vault_fsync_dir(dir, error);
}

/* Creates @path with one fresh key.  link() instead of rename(): if another
 * process created the file meanwhile, we must use its key, not replace it.
 * Returns: TRUE if created, FALSE with @error, or FALSE without @error set
 * when the file appeared meanwhile (the caller then reads it). */
static gboolean
pg_vault_create_file(const gchar *path, GError **error)
{
	g_autofree gchar *dir = g_path_get_dirname(path);
	g_autofree gchar *tmp_path = NULL;
	g_autoptr(GPtrArray) keys = pg_vault_keys_new();
	PgVaultKey *key;

	if (g_mkdir_with_parents(dir, 0700) != 0) {
		int saved_errno = errno;
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot create directory %s: %s", dir,
			    g_strerror(saved_errno));
		return FALSE;
	}
	key = pg_vault_key_new_random(1, error);
	if (key == NULL)
		return FALSE;
	g_ptr_array_add(keys, key);
	tmp_path = pg_vault_write_tmp(path, keys, error);
	if (tmp_path == NULL)
		return FALSE;
	if (link(tmp_path, path) != 0) {
		int saved_errno = errno;
		g_unlink(tmp_path);
		if (saved_errno == EEXIST)
			return FALSE;
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot create %s: %s", path,
			    g_strerror(saved_errno));
		return FALSE;
	}
	g_unlink(tmp_path);
	if (!pg_vault_fsync_dir(dir, error))
		return FALSE;
	g_message("created key file %s with a new random key", path);
	return TRUE;
}

/* Reads and checks @path.  Returns: (transfer full) its keys, or NULL; with
 * *@missing set (and no error) if the file does not exist. */
static GPtrArray *
pg_vault_read_file(const gchar *path, gboolean *missing, GError **error)
{
	struct stat st;
	g_autoptr(PgSecret) text = NULL;
	gsize len = 0;
	int fd;

	*missing = FALSE;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int saved_errno = errno;
		if (saved_errno == ENOENT) {
			*missing = TRUE;
			return NULL;
		}
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot open key file %s: %s", path,
			    g_strerror(saved_errno));
		return NULL;
	}
	/* check the file we opened, not the name: no window to swap it */
	if (fstat(fd, &st) != 0) {
		int saved_errno = errno;
		close(fd);
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot stat key file %s: %s", path,
			    g_strerror(saved_errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO, "key file %s is not a regular file",
			    path);
		return NULL;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		close(fd);
		g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO,
			    "key file %s is readable by group or others (mode %04o); "
			    "run: chmod 600 %s",
			    path, (guint)(st.st_mode & 07777), path);
		return NULL;
	}
	if (st.st_size > PG_VAULT_FILE_MAX) {
		close(fd);
		g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO,
			    "key file %s is too large to be a key file (%lld bytes)", path,
			    (long long)st.st_size);
		return NULL;
	}
	text = pg_secret_new_take(g_malloc0((gsize)st.st_size + 1), (gsize)st.st_size);
	while (len < text->len) {
		ssize_t n = read(fd, text->data + len, text->len - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved_errno = errno;
			close(fd);
			g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot read key file %s: %s",
				    path, g_strerror(saved_errno));
			return NULL;
		}
		if (n == 0)
			break;
		len += (gsize)n;
	}
	close(fd);
	return pg_vault_parse(path, (const gchar *)text->data, len, error);
}

/* ---- public API ---- */

PgVault *
pg_vault_open(const gchar *key_file, GError **error)
{
	g_autoptr(PgVault) self = NULL;
	g_autoptr(GPtrArray) keys = NULL;
	gboolean missing = FALSE;

	g_return_val_if_fail(key_file != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	keys = pg_vault_read_file(key_file, &missing, error);
	if (keys == NULL && missing) {
		g_autoptr(GError) create_error = NULL;
		if (!pg_vault_create_file(key_file, &create_error) && create_error != NULL) {
			g_propagate_error(error, g_steal_pointer(&create_error));
			return NULL;
		}
		keys = pg_vault_read_file(key_file, &missing, error);
		if (keys == NULL && missing)
			g_set_error(error, PG_ERROR, PG_ERROR_IO,
				    "key file %s vanished right after it was created", key_file);
	}
	if (keys == NULL)
		return NULL;

	self = g_new0(PgVault, 1);
	self->key_file = g_strdup(key_file);
	self->keys = g_steal_pointer(&keys);
	return g_steal_pointer(&self);
}

PgVault *
pg_vault_new_for_test(guint32 key_id, const guint8 key[PG_VAULT_KEY_LEN])
{
	PgVault *self = g_new0(PgVault, 1);
	PgVaultKey *vault_key = g_new0(PgVaultKey, 1);

	vault_key->id = key_id;
	memcpy(vault_key->bytes, key, PG_VAULT_KEY_LEN);
	self->keys = pg_vault_keys_new();
	g_ptr_array_add(self->keys, vault_key);
	return self;
}

void
pg_vault_free(PgVault *self)
{
	if (self == NULL)
		return;
	g_free(self->key_file);
	if (self->keys != NULL)
		g_ptr_array_unref(self->keys);
	g_free(self);
}

guint32
pg_vault_get_current_key_id(const PgVault *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return pg_vault_current_key(self)->id;
}

guint
pg_vault_get_n_keys(const PgVault *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return self->keys->len;
}

GBytes *
pg_vault_seal(PgVault *self, const guint8 *plain, gsize len, const guint8 *ad, gsize ad_len,
	      GError **error)
{
	const PgVaultKey *key;
	g_autoptr(EVP_CIPHER_CTX) ctx = NULL;
	g_autofree guint8 *blob = NULL;
	guint8 *nonce, *out, *tag;
	gsize total;
	int outl = 0;

	g_return_val_if_fail(self != NULL, NULL);
	g_return_val_if_fail(plain != NULL || len == 0, NULL);
	g_return_val_if_fail(ad != NULL || ad_len == 0, NULL);

	/* EVP lengths are ints */
	if (len > (gsize)INT_MAX - PG_VAULT_OVERHEAD || ad_len > (gsize)INT_MAX) {
		g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO, "cannot seal %" G_GSIZE_FORMAT
			    " bytes: too large", len);
		return NULL;
	}
	key = pg_vault_current_key(self);
	total = len + PG_VAULT_OVERHEAD;
	blob = g_malloc(total);
	blob[0] = (guint8)(key->id >> 24);
	blob[1] = (guint8)(key->id >> 16);
	blob[2] = (guint8)(key->id >> 8);
	blob[3] = (guint8)key->id;
	nonce = blob + PG_VAULT_KEY_ID_LEN;
	out = nonce + PG_VAULT_NONCE_LEN;
	tag = out + len;

	if (RAND_bytes(nonce, PG_VAULT_NONCE_LEN) != 1) {
		pg_vault_set_openssl_error(error, "cannot generate a nonce");
		return NULL;
	}
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL) {
		pg_vault_set_openssl_error(error, "cannot create a cipher context");
		return NULL;
	}
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, PG_VAULT_NONCE_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key->bytes, nonce) != 1) {
		pg_vault_set_openssl_error(error, "cannot start AES-256-GCM");
		return NULL;
	}
	/* associated data: our key id header, then the caller's */
	if (EVP_EncryptUpdate(ctx, NULL, &outl, blob, PG_VAULT_KEY_ID_LEN) != 1 ||
	    (ad_len > 0 && EVP_EncryptUpdate(ctx, NULL, &outl, ad, (int)ad_len) != 1)) {
		pg_vault_set_openssl_error(error, "cannot authenticate associated data");
		return NULL;
	}
	outl = 0;
	if (len > 0 && EVP_EncryptUpdate(ctx, out, &outl, plain, (int)len) != 1) {
		pg_vault_set_openssl_error(error, "cannot encrypt");
		return NULL;
	}
	/* GCM is a stream mode: Update wrote everything, Final writes nothing */
	if (EVP_EncryptFinal_ex(ctx, out + outl, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, PG_VAULT_TAG_LEN, tag) != 1) {
		pg_vault_set_openssl_error(error, "cannot finish encryption");
		return NULL;
	}
	return g_bytes_new_take(g_steal_pointer(&blob), total);
}

PgSecret *
pg_vault_unseal(PgVault *self, GBytes *sealed, const guint8 *ad, gsize ad_len, GError **error)
{
	const PgVaultKey *key;
	g_autoptr(EVP_CIPHER_CTX) ctx = NULL;
	g_autoptr(PgSecret) plain = NULL;
	const guint8 *blob, *nonce, *ciphertext;
	guint8 tag[PG_VAULT_TAG_LEN];
	gsize blob_len = 0, len;
	guint32 key_id;
	int outl = 0;

	g_return_val_if_fail(self != NULL, NULL);
	g_return_val_if_fail(sealed != NULL, NULL);
	g_return_val_if_fail(ad != NULL || ad_len == 0, NULL);

	blob = g_bytes_get_data(sealed, &blob_len);
	if (blob_len < PG_VAULT_OVERHEAD) {
		g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO,
			    "sealed data is too short (%" G_GSIZE_FORMAT " bytes, at least %d)",
			    blob_len, PG_VAULT_OVERHEAD);
		return NULL;
	}
	if (blob_len > (gsize)INT_MAX || ad_len > (gsize)INT_MAX) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_CRYPTO, "sealed data is too large");
		return NULL;
	}
	key_id = (guint32)blob[0] << 24 | (guint32)blob[1] << 16 | (guint32)blob[2] << 8 |
		 (guint32)blob[3];
	key = pg_vault_find_key(self, key_id);
	if (key == NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO,
			    "data was sealed with key id %u, which the key file does not hold "
			    "(current key id %u)",
			    key_id, pg_vault_current_key(self)->id);
		return NULL;
	}
	nonce = blob + PG_VAULT_KEY_ID_LEN;
	ciphertext = nonce + PG_VAULT_NONCE_LEN;
	len = blob_len - PG_VAULT_OVERHEAD;
	memcpy(tag, ciphertext + len, sizeof(tag));

	/* the plaintext buffer wipes itself on every return below */
	plain = pg_secret_new_take(g_malloc0(len + 1), len);
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL) {
		pg_vault_set_openssl_error(error, "cannot create a cipher context");
		return NULL;
	}
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, PG_VAULT_NONCE_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key->bytes, nonce) != 1) {
		pg_vault_set_openssl_error(error, "cannot start AES-256-GCM");
		return NULL;
	}
	if (EVP_DecryptUpdate(ctx, NULL, &outl, blob, PG_VAULT_KEY_ID_LEN) != 1 ||
	    (ad_len > 0 && EVP_DecryptUpdate(ctx, NULL, &outl, ad, (int)ad_len) != 1)) {
		pg_vault_set_openssl_error(error, "cannot authenticate associated data");
		return NULL;
	}
	outl = 0;
	if (len > 0 && EVP_DecryptUpdate(ctx, plain->data, &outl, ciphertext, (int)len) != 1) {
		pg_vault_set_openssl_error(error, "cannot decrypt");
		return NULL;
	}
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, PG_VAULT_TAG_LEN, tag) != 1) {
		pg_vault_set_openssl_error(error, "cannot set the authentication tag");
		return NULL;
	}
	/* NIST SP 800-38D §7.2: on a tag mismatch "the output is FAIL" and no
	 * plaintext may be released; the buffer is wiped by its autoptr. */
	if (EVP_DecryptFinal_ex(ctx, plain->data + outl, &outl) != 1) {
		ERR_clear_error();
		g_set_error_literal(error, PG_ERROR, PG_ERROR_CRYPTO,
				    "sealed data failed authentication: it was altered, or "
				    "belongs to another record");
		return NULL;
	}
	return g_steal_pointer(&plain);
}

gboolean
pg_vault_rotate(PgVault *self, GError **error)
{
	g_autoptr(GPtrArray) keys = pg_vault_keys_new();
	guint32 max_id = 0;
	PgVaultKey *key;

	g_return_val_if_fail(self != NULL, FALSE);

	for (guint i = 0; i < self->keys->len; i++) {
		const PgVaultKey *old = g_ptr_array_index(self->keys, i);
		max_id = MAX(max_id, old->id);
		g_ptr_array_add(keys, pg_vault_key_dup(old));
	}
	if (max_id == G_MAXUINT32) {
		g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO,
			    "cannot rotate: key id %u is the largest possible", max_id);
		return FALSE;
	}
	key = pg_vault_key_new_random(max_id + 1, error);
	if (key == NULL)
		return FALSE;
	g_ptr_array_add(keys, key);
	/* the file first: the new key must be on disk before anything is sealed with it */
	if (self->key_file != NULL && !pg_vault_write_file(self->key_file, keys, error)) {
		g_prefix_error(error, "cannot rotate the key: ");
		return FALSE;
	}
	g_ptr_array_unref(self->keys);
	self->keys = g_steal_pointer(&keys);
	g_info("rotated the registry key: current key id is now %u", key->id);
	return TRUE;
}

gboolean
pg_vault_forget_old_keys(PgVault *self, GError **error)
{
	g_autoptr(GPtrArray) keys = pg_vault_keys_new();

	g_return_val_if_fail(self != NULL, FALSE);

	g_ptr_array_add(keys, pg_vault_key_dup(pg_vault_current_key(self)));
	if (self->key_file != NULL && !pg_vault_write_file(self->key_file, keys, error)) {
		g_prefix_error(error, "cannot forget old keys: ");
		return FALSE;
	}
	g_ptr_array_unref(self->keys);
	self->keys = g_steal_pointer(&keys);
	return TRUE;
}
