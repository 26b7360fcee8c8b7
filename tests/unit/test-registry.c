/* Unit tests of src/registry: the vault (sealing, key file) and the SQLite
 * registry (accounts, schema versions, rekey, nothing secret on disk). */
#define G_LOG_DOMAIN "test-registry"

#include "config.h"

#include <errno.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "core/pg-error.h"
#include "registry/pg-registry.h"
#include "registry/pg-vault.h"

#include "pg-test-registry.h"

#define PG_TEST_PASSWORD "hunter2-correct-horse-battery"

/* ---- helpers ---- */

typedef PgTestRegistry PgTestFixture;

static void
pg_test_fixture_setup(PgTestFixture *fixture, gconstpointer user_data)
{
	pg_test_registry_init(fixture, "test-registry", "keys/registry.key", "db/registry.db");
}

static void
pg_test_fixture_teardown(PgTestFixture *fixture, gconstpointer user_data)
{
	pg_test_registry_clear(fixture);
}

static void
pg_test_write_file(const gchar *path, const gchar *contents, mode_t mode)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_path_get_dirname(path);

	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	g_file_set_contents(path, contents, -1, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_chmod(path, mode), ==, 0);
}

static guint
pg_test_count_lines(const gchar *path)
{
	g_autofree gchar *contents = NULL;
	guint lines = 0;

	g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
	for (const gchar *p = contents; *p != '\0'; p++)
		lines += *p == '\n';
	return lines;
}

static mode_t
pg_test_file_mode(const gchar *path)
{
	struct stat st;

	g_assert_cmpint(g_stat(path, &st), ==, 0);
	return st.st_mode & 07777;
}

static const guint8 pg_test_key_a[PG_VAULT_KEY_LEN] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
static const guint8 pg_test_key_b[PG_VAULT_KEY_LEN] = {
    0xff, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};

#define PG_TEST_AD "irc.example.org\0alice@example.org"

static GBytes *
pg_test_seal(PgVault *vault, const gchar *text)
{
	g_autoptr(GError) error = NULL;
	GBytes *sealed = pg_vault_seal(vault, (const guint8 *)text, strlen(text),
				       (const guint8 *)PG_TEST_AD, sizeof(PG_TEST_AD) - 1, &error);
	g_assert_no_error(error);
	g_assert_nonnull(sealed);
	return sealed;
}

/* ---- vault: sealing ---- */

typedef struct {
	const gchar *plain;
	gsize len; /* 0: strlen(plain) */
	const gchar *ad;
	gsize ad_len;
} PgSealCase;

static void
test_vault_seal_round_trip(gconstpointer user_data)
{
	const PgSealCase *cases = user_data;
	g_autoptr(PgVault) vault = pg_vault_new_for_test(7, pg_test_key_a);

	for (const PgSealCase *c = cases; c->plain != NULL; c++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) sealed = NULL;
		g_autoptr(PgSecret) plain = NULL;
		gsize len = c->len > 0 ? c->len : strlen(c->plain);
		const guint8 *blob;

		sealed = pg_vault_seal(vault, (const guint8 *)c->plain, len,
				       (const guint8 *)c->ad, c->ad_len, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(g_bytes_get_size(sealed), ==, len + PG_VAULT_OVERHEAD);
		/* the key id prefix, big-endian */
		blob = g_bytes_get_data(sealed, NULL);
		g_assert_cmpmem(blob, 4, "\0\0\0\7", 4);

		plain = pg_vault_unseal(vault, sealed, (const guint8 *)c->ad, c->ad_len, &error);
		g_assert_no_error(error);
		g_assert_nonnull(plain);
		g_assert_cmpmem(plain->data, plain->len, c->plain, len);
		/* PgSecret promises a NUL after the data */
		g_assert_cmpint(plain->data[plain->len], ==, 0);
	}
}

static const gchar pg_test_long_text[] =
    "a long secret with an embedded NUL here:\0 and more after it, so that the "
    "plaintext spans several AES blocks and the length is not a multiple of 16";

static const PgSealCase pg_seal_cases[] = {
    {.plain = "", .ad = NULL, .ad_len = 0},
    {.plain = "x", .ad = "ad", .ad_len = 2},
    {.plain = PG_TEST_PASSWORD, .ad = PG_TEST_AD, .ad_len = sizeof(PG_TEST_AD) - 1},
    {.plain = pg_test_long_text, .len = sizeof(pg_test_long_text) - 1, .ad = NULL, .ad_len = 0},
    {.plain = NULL},
};

typedef enum {
	PG_TAMPER_CIPHERTEXT,
	PG_TAMPER_TAG,
	PG_TAMPER_NONCE,
	PG_TAMPER_KEY_ID,
	PG_TAMPER_WRONG_AD,
	PG_TAMPER_NO_AD,
	PG_TAMPER_WRONG_KEY,
	PG_TAMPER_UNKNOWN_KEY_ID,
	PG_TAMPER_TRUNCATE_SHORT,
	PG_TAMPER_TRUNCATE_ONE,
	PG_TAMPER_EMPTY,
} PgTamper;

typedef struct {
	const gchar *name;
	PgTamper tamper;
	const gchar *message; /* expected substring */
} PgTamperCase;

static const PgTamperCase pg_tamper_cases[] = {
    {"tampered-ciphertext-is-refused", PG_TAMPER_CIPHERTEXT, "failed authentication"},
    {"tampered-tag-is-refused", PG_TAMPER_TAG, "failed authentication"},
    {"tampered-nonce-is-refused", PG_TAMPER_NONCE, "failed authentication"},
    {"tampered-key-id-is-refused", PG_TAMPER_KEY_ID, "key id 8, which the key file does not hold"},
    {"wrong-associated-data-is-refused", PG_TAMPER_WRONG_AD, "failed authentication"},
    {"missing-associated-data-is-refused", PG_TAMPER_NO_AD, "failed authentication"},
    {"wrong-key-is-refused", PG_TAMPER_WRONG_KEY, "failed authentication"},
    {"unknown-key-id-is-refused", PG_TAMPER_UNKNOWN_KEY_ID, "key id 7, which the key file"},
    {"truncated-blob-is-refused", PG_TAMPER_TRUNCATE_SHORT, "too short (31 bytes, at least 32)"},
    {"blob-missing-one-byte-is-refused", PG_TAMPER_TRUNCATE_ONE, "failed authentication"},
    {"empty-blob-is-refused", PG_TAMPER_EMPTY, "too short (0 bytes"},
};

static void
test_vault_tamper(gconstpointer user_data)
{
	const PgTamperCase *c = user_data;
	g_autoptr(PgVault) vault = pg_vault_new_for_test(7, pg_test_key_a);
	g_autoptr(PgVault) unseal_vault = NULL;
	g_autoptr(GBytes) sealed = pg_test_seal(vault, PG_TEST_PASSWORD);
	g_autoptr(GBytes) tampered = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(PgSecret) plain = NULL;
	g_autoptr(GByteArray) copy = g_byte_array_new();
	gsize len = g_bytes_get_size(sealed);
	guint8 *blob;
	const gchar *ad = PG_TEST_AD;
	gsize ad_len = sizeof(PG_TEST_AD) - 1;

	g_byte_array_append(copy, g_bytes_get_data(sealed, NULL), (guint)len);
	blob = copy->data;
	switch (c->tamper) {
	case PG_TAMPER_CIPHERTEXT:
		blob[PG_VAULT_KEY_ID_LEN + PG_VAULT_NONCE_LEN + 3] ^= 0x01;
		break;
	case PG_TAMPER_TAG:
		blob[len - 1] ^= 0x80;
		break;
	case PG_TAMPER_NONCE:
		blob[PG_VAULT_KEY_ID_LEN] ^= 0x01;
		break;
	case PG_TAMPER_KEY_ID:
		blob[3] = 8;
		break;
	case PG_TAMPER_WRONG_AD:
		ad = "irc.example.org\0mallory@example.org";
		ad_len = sizeof("irc.example.org\0mallory@example.org") - 1;
		break;
	case PG_TAMPER_NO_AD:
		ad = NULL;
		ad_len = 0;
		break;
	case PG_TAMPER_WRONG_KEY:
		unseal_vault = pg_vault_new_for_test(7, pg_test_key_b);
		break;
	case PG_TAMPER_UNKNOWN_KEY_ID:
		unseal_vault = pg_vault_new_for_test(9, pg_test_key_a);
		break;
	case PG_TAMPER_TRUNCATE_SHORT:
		len = PG_VAULT_OVERHEAD - 1;
		break;
	case PG_TAMPER_TRUNCATE_ONE:
		len--;
		break;
	case PG_TAMPER_EMPTY:
		len = 0;
		break;
	default:
		g_assert_not_reached();
	}
	tampered = g_bytes_new(blob, len);
	plain = pg_vault_unseal(unseal_vault != NULL ? unseal_vault : vault, tampered,
				(const guint8 *)ad, ad_len, &error);
	g_assert_null(plain);
	g_assert_error(error, PG_ERROR, PG_ERROR_CRYPTO);
	if (strstr(error->message, c->message) == NULL)
		g_error("expected \"%s\" in \"%s\"", c->message, error->message);
}

static void
test_vault_fresh_nonce(void)
{
	g_autoptr(PgVault) vault = pg_vault_new_for_test(1, pg_test_key_a);
	g_autoptr(GBytes) first = pg_test_seal(vault, PG_TEST_PASSWORD);
	g_autoptr(GBytes) second = pg_test_seal(vault, PG_TEST_PASSWORD);
	const guint8 *a = g_bytes_get_data(first, NULL);
	const guint8 *b = g_bytes_get_data(second, NULL);

	g_assert_cmpuint(g_bytes_get_size(first), ==, g_bytes_get_size(second));
	g_assert_false(g_bytes_equal(first, second));
	/* the nonces differ, and so, with GCM, does every ciphertext byte run */
	g_assert_true(memcmp(a + PG_VAULT_KEY_ID_LEN, b + PG_VAULT_KEY_ID_LEN,
			     PG_VAULT_NONCE_LEN) != 0);
	g_assert_true(memcmp(a + PG_VAULT_KEY_ID_LEN + PG_VAULT_NONCE_LEN,
			     b + PG_VAULT_KEY_ID_LEN + PG_VAULT_NONCE_LEN,
			     strlen(PG_TEST_PASSWORD)) != 0);
}

/* ---- vault: key file ---- */

static void
test_vault_key_file_created(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgVault) vault = NULL;
	g_autoptr(PgVault) reopened = NULL;
	g_autoptr(GBytes) sealed = NULL;
	g_autoptr(PgSecret) plain = NULL;
	g_autofree gchar *key_dir = g_path_get_dirname(fixture->key_file);
	g_autofree gchar *contents = NULL;
	g_autoptr(GRegex) line = g_regex_new("^1 [0-9a-f]{64}\n$", 0, 0, NULL);

	g_assert_false(g_file_test(key_dir, G_FILE_TEST_EXISTS));
	vault = pg_vault_open(fixture->key_file, &error);
	g_assert_no_error(error);
	g_assert_nonnull(vault);
	g_assert_cmpuint(pg_vault_get_current_key_id(vault), ==, 1);
	g_assert_cmpuint(pg_vault_get_n_keys(vault), ==, 1);

	g_assert_cmpint(pg_test_file_mode(fixture->key_file), ==, 0600);
	g_assert_cmpint(pg_test_file_mode(key_dir), ==, 0700);
	g_assert_true(g_file_get_contents(fixture->key_file, &contents, NULL, NULL));
	g_assert_true(g_regex_match(line, contents, 0, NULL));
	/* nothing left behind by the atomic write */
	{
		g_autoptr(GDir) dir = g_dir_open(key_dir, 0, NULL);
		g_assert_cmpstr(g_dir_read_name(dir), ==, "registry.key");
		g_assert_null(g_dir_read_name(dir));
	}

	/* a second open reads the same key instead of making another */
	sealed = pg_test_seal(vault, PG_TEST_PASSWORD);
	reopened = pg_vault_open(fixture->key_file, &error);
	g_assert_no_error(error);
	plain = pg_vault_unseal(reopened, sealed, (const guint8 *)PG_TEST_AD,
				sizeof(PG_TEST_AD) - 1, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(pg_secret_get_string(plain), ==, PG_TEST_PASSWORD);
}

static const guint pg_bad_modes[] = {0644, 0640, 0604, 0660, 0600 | 0010, 0600 | 0002, 0};

static void
test_vault_key_file_permissions(PgTestFixture *fixture, gconstpointer user_data)
{
	const gchar *key_line =
	    "1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";

	for (const guint *mode = pg_bad_modes; *mode != 0; mode++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(PgVault) vault = NULL;
		g_autofree gchar *expected = NULL;

		pg_test_write_file(fixture->key_file, key_line, *mode);
		vault = pg_vault_open(fixture->key_file, &error);
		g_assert_null(vault);
		g_assert_error(error, PG_ERROR, PG_ERROR_CRYPTO);
		expected = g_strdup_printf(
		    "key file %s is readable by group or others (mode %04o); run: chmod 600 %s",
		    fixture->key_file, *mode, fixture->key_file);
		g_assert_cmpstr(error->message, ==, expected);
	}

	/* and once fixed as the message says, it opens */
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(PgVault) vault = NULL;
		g_assert_cmpint(g_chmod(fixture->key_file, 0600), ==, 0);
		vault = pg_vault_open(fixture->key_file, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(pg_vault_get_current_key_id(vault), ==, 1);
	}
}

typedef struct {
	const gchar *name;
	const gchar *contents;
	const gchar *message; /* after "key file PATH " */
} PgKeyFileCase;

#define PG_TEST_HEX64 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static const PgKeyFileCase pg_key_file_cases[] = {
    {"empty", "", "holds no key"},
    {"blank-lines-only", "\n\n", "holds no key"},
    {"not-a-number", "abc " PG_TEST_HEX64 "\n", "line 1: expected \"<key id> <64 hex digits>\""},
    {"no-space", "1" PG_TEST_HEX64 "\n", "line 1: key id is larger than"},
    {"no-key", "1\n", "line 1: expected a space after the key id"},
    {"short-key", "1 " PG_TEST_HEX64 "\n2 0011\n", "line 2: the key must be 64 hex digits"},
    {"long-key", "1 " PG_TEST_HEX64 "00\n", "line 1: the key must be 64 hex digits"},
    {"not-hex", "1 zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
     "line 1: the key must be 64 hex digits"},
    {"id-too-large", "4294967296 " PG_TEST_HEX64 "\n", "line 1: key id is larger than 4294967295"},
    {"duplicate-id", "3 " PG_TEST_HEX64 "\n\n3 " PG_TEST_HEX64 "\n",
     "line 3: key id 3 appears twice"},
};

static void
test_vault_key_file_malformed(gconstpointer user_data)
{
	const PgKeyFileCase *c = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(PgVault) vault = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("polygate-test-key-XXXXXX", &error);
	g_autofree gchar *path = g_build_filename(dir, "registry.key", NULL);
	g_autofree gchar *expected = NULL;

	g_assert_no_error(error);
	pg_test_write_file(path, c->contents, 0600);
	vault = pg_vault_open(path, &error);
	g_assert_null(vault);
	g_assert_error(error, PG_ERROR, PG_ERROR_CRYPTO);
	expected = g_strdup_printf("key file %s %s", path, c->message);
	if (!g_str_has_prefix(error->message, expected))
		g_error("expected \"%s\" at the start of \"%s\"", expected, error->message);
	/* a refused file is never replaced with a fresh key */
	{
		g_autofree gchar *contents = NULL;
		g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
		g_assert_cmpstr(contents, ==, c->contents);
	}
	pg_test_rm_rf(dir);
}

static void
test_vault_key_file_accepts_crlf_and_rotated_keys(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgVault) vault = NULL;

	pg_test_write_file(fixture->key_file,
			   "4 " PG_TEST_HEX64 "\r\n\n9\t" PG_TEST_HEX64 "  \n2 " PG_TEST_HEX64,
			   0400);
	vault = pg_vault_open(fixture->key_file, &error);
	g_assert_no_error(error);
	/* the last line is current, whatever its number */
	g_assert_cmpuint(pg_vault_get_current_key_id(vault), ==, 2);
	g_assert_cmpuint(pg_vault_get_n_keys(vault), ==, 3);
}

static void
test_vault_rotate_and_forget(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgVault) vault = pg_vault_open(fixture->key_file, &error);
	g_autoptr(PgVault) from_file = NULL;
	g_autoptr(GBytes) old_sealed = NULL;
	g_autoptr(GBytes) new_sealed = NULL;
	g_autoptr(PgSecret) plain = NULL;

	g_assert_no_error(error);
	old_sealed = pg_test_seal(vault, PG_TEST_PASSWORD);

	g_assert_true(pg_vault_rotate(vault, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(pg_vault_get_current_key_id(vault), ==, 2);
	g_assert_cmpuint(pg_test_count_lines(fixture->key_file), ==, 2);
	g_assert_cmpint(pg_test_file_mode(fixture->key_file), ==, 0600);
	new_sealed = pg_test_seal(vault, PG_TEST_PASSWORD);
	g_assert_cmpmem(g_bytes_get_data(new_sealed, NULL), 4, "\0\0\0\2", 4);

	/* the file alone now opens both generations */
	from_file = pg_vault_open(fixture->key_file, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(pg_vault_get_current_key_id(from_file), ==, 2);
	plain = pg_vault_unseal(from_file, old_sealed, (const guint8 *)PG_TEST_AD,
				sizeof(PG_TEST_AD) - 1, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(pg_secret_get_string(plain), ==, PG_TEST_PASSWORD);
	g_clear_pointer(&plain, pg_secret_free);
	g_clear_pointer(&from_file, pg_vault_free);

	g_assert_true(pg_vault_forget_old_keys(vault, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(pg_vault_get_n_keys(vault), ==, 1);
	g_assert_cmpuint(pg_test_count_lines(fixture->key_file), ==, 1);
	from_file = pg_vault_open(fixture->key_file, &error);
	g_assert_no_error(error);
	plain = pg_vault_unseal(from_file, old_sealed, (const guint8 *)PG_TEST_AD,
				sizeof(PG_TEST_AD) - 1, &error);
	g_assert_null(plain);
	g_assert_error(error, PG_ERROR, PG_ERROR_CRYPTO);
	g_clear_error(&error);
	plain = pg_vault_unseal(from_file, new_sealed, (const guint8 *)PG_TEST_AD,
				sizeof(PG_TEST_AD) - 1, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(pg_secret_get_string(plain), ==, PG_TEST_PASSWORD);
}

/* ---- registry ---- */

static PgAccount *
pg_test_account_new(const gchar *transport, const gchar *user_jid, const gchar *legacy_id,
		    const gchar *password)
{
	PgAccount *account = pg_account_new(transport, user_jid, legacy_id);

	pg_account_set_setting(account, "server", "irc.libera.chat");
	pg_account_set_setting(account, "port", "6697");
	if (password != NULL)
		pg_account_set_secret(account, "password", pg_secret_new_from_string(password));
	return account;
}

static void
pg_test_put(PgTestFixture *fixture, PgAccount *account, gboolean expect_created)
{
	g_autoptr(GError) error = NULL;
	gboolean created = !expect_created;

	g_assert_true(pg_registry_put_account(fixture->registry, account, &created, &error));
	g_assert_no_error(error);
	g_assert_cmpint(created, ==, expect_created);
}

static void
test_registry_account_crud(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgAccount) account =
	    pg_test_account_new("irc.example.org", "alice@example.org", "alice", PG_TEST_PASSWORD);
	g_autoptr(PgAccount) got = NULL;
	gint64 created_at;

	pg_test_registry_open(fixture);
	pg_account_set_secret(account, "token", pg_secret_new((const guint8 *)"\0\1\2", 3));
	pg_test_put(fixture, account, TRUE);

	got = pg_registry_get_account(fixture->registry, "irc.example.org", "alice@example.org",
				      &error);
	g_assert_no_error(error);
	g_assert_nonnull(got);
	g_assert_cmpstr(got->transport, ==, "irc.example.org");
	g_assert_cmpstr(got->user_jid, ==, "alice@example.org");
	g_assert_cmpstr(got->legacy_id, ==, "alice");
	g_assert_cmpuint(g_hash_table_size(got->settings), ==, 2);
	g_assert_cmpstr(pg_account_get_setting(got, "server"), ==, "irc.libera.chat");
	g_assert_cmpstr(pg_account_get_setting(got, "port"), ==, "6697");
	g_assert_cmpuint(g_hash_table_size(got->secrets), ==, 2);
	g_assert_cmpstr(pg_secret_get_string(pg_account_get_secret(got, "password")), ==,
			PG_TEST_PASSWORD);
	g_assert_cmpmem(pg_account_get_secret(got, "token")->data,
			pg_account_get_secret(got, "token")->len, "\0\1\2", 3);
	g_assert_cmpint(got->created_at, >, 0);
	g_assert_cmpint(got->updated_at, ==, got->created_at);
	created_at = got->created_at;
	g_clear_pointer(&got, pg_account_free);

	/* update: new nick, one setting and one secret gone, created_at kept */
	g_free(account->legacy_id);
	account->legacy_id = g_strdup("alice_");
	pg_account_set_setting(account, "port", NULL);
	pg_account_set_secret(account, "token", NULL);
	pg_account_set_secret(account, "password", pg_secret_new_from_string("new password"));
	pg_test_put(fixture, account, FALSE);
	got = pg_registry_get_account(fixture->registry, "irc.example.org", "alice@example.org",
				      &error);
	g_assert_no_error(error);
	g_assert_cmpstr(got->legacy_id, ==, "alice_");
	g_assert_null(pg_account_get_setting(got, "port"));
	g_assert_cmpuint(g_hash_table_size(got->settings), ==, 1);
	g_assert_null(pg_account_get_secret(got, "token"));
	g_assert_cmpstr(pg_secret_get_string(pg_account_get_secret(got, "password")), ==,
			"new password");
	g_assert_cmpint(got->created_at, ==, created_at);
	g_assert_cmpint(got->updated_at, >=, created_at);
	g_clear_pointer(&got, pg_account_free);

	/* remove, then every lookup says item-not-found */
	g_assert_true(pg_registry_remove_account(fixture->registry, "irc.example.org",
						 "alice@example.org", &error));
	g_assert_no_error(error);
	got = pg_registry_get_account(fixture->registry, "irc.example.org", "alice@example.org",
				      &error);
	g_assert_null(got);
	g_assert_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND);
	g_clear_error(&error);
	g_assert_false(pg_registry_remove_account(fixture->registry, "irc.example.org",
						  "alice@example.org", &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND);
	g_clear_error(&error);
	got = pg_registry_find_by_legacy_id(fixture->registry, "irc.example.org", "alice_", &error);
	g_assert_null(got);
	g_assert_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND);
}

static void
test_registry_account_without_secrets_or_legacy_id(PgTestFixture *fixture,
						   gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgAccount) account = pg_account_new("xmpp.example.org", "bob@example.org", NULL);
	g_autoptr(PgAccount) got = NULL;

	pg_test_registry_open(fixture);
	pg_test_put(fixture, account, TRUE);
	got = pg_registry_get_account(fixture->registry, "xmpp.example.org", "bob@example.org",
				      &error);
	g_assert_no_error(error);
	g_assert_null(got->legacy_id);
	g_assert_cmpuint(g_hash_table_size(got->settings), ==, 0);
	g_assert_cmpuint(g_hash_table_size(got->secrets), ==, 0);
}

static void
test_registry_list_and_find(PgTestFixture *fixture, gconstpointer user_data)
{
	static const struct {
		const gchar *transport;
		const gchar *user_jid;
		const gchar *legacy_id;
	} rows[] = {
	    {"sms.example.org", "carol@example.org", "+15551234567"},
	    {"irc.example.org", "bob@example.org", "bob"},
	    {"irc.example.org", "alice@example.org", "alice"},
	    {"sms.example.org", "dave@example.org", "+442079460958"},
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) all = NULL;
	g_autoptr(GPtrArray) irc = NULL;
	g_autoptr(GPtrArray) none = NULL;
	g_autoptr(PgAccount) found = NULL;

	pg_test_registry_open(fixture);
	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_autofree gchar *password = g_strdup_printf("password-%" G_GSIZE_FORMAT, i);
		g_autoptr(PgAccount) account = pg_test_account_new(
		    rows[i].transport, rows[i].user_jid, rows[i].legacy_id, password);
		pg_test_put(fixture, account, TRUE);
	}

	all = pg_registry_list_accounts(fixture->registry, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(all->len, ==, 4);
	/* ordered by transport, then user JID */
	g_assert_cmpstr(((PgAccount *)all->pdata[0])->user_jid, ==, "alice@example.org");
	g_assert_cmpstr(((PgAccount *)all->pdata[1])->user_jid, ==, "bob@example.org");
	g_assert_cmpstr(((PgAccount *)all->pdata[2])->user_jid, ==, "carol@example.org");
	g_assert_cmpstr(((PgAccount *)all->pdata[3])->user_jid, ==, "dave@example.org");
	g_assert_cmpstr(
	    pg_secret_get_string(pg_account_get_secret(all->pdata[2], "password")), ==,
	    "password-0");

	irc = pg_registry_list_accounts(fixture->registry, "irc.example.org", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(irc->len, ==, 2);
	none = pg_registry_list_accounts(fixture->registry, "nowhere.example.org", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(none->len, ==, 0);
	{
		/* who is registered, without unsealing anything */
		g_autoptr(GPtrArray) sms = pg_registry_list_user_jids(fixture->registry,
								      "sms.example.org", &error);
		g_autoptr(GPtrArray) nobody = pg_registry_list_user_jids(
		    fixture->registry, "nowhere.example.org", &error);
		g_assert_no_error(error);
		g_assert_cmpuint(sms->len, ==, 2);
		g_assert_cmpstr(sms->pdata[0], ==, "carol@example.org");
		g_assert_cmpstr(sms->pdata[1], ==, "dave@example.org");
		g_assert_cmpuint(nobody->len, ==, 0);
	}

	found = pg_registry_find_by_legacy_id(fixture->registry, "sms.example.org",
					      "+442079460958", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(found->user_jid, ==, "dave@example.org");
	g_assert_cmpstr(pg_secret_get_string(pg_account_get_secret(found, "password")), ==,
			"password-3");
	g_clear_pointer(&found, pg_account_free);
	/* a legacy id is looked up within its transport only */
	found = pg_registry_find_by_legacy_id(fixture->registry, "irc.example.org",
					      "+442079460958", &error);
	g_assert_null(found);
	g_assert_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND);
}

static void
test_registry_secrets_survive_reopen(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgAccount) account = pg_test_account_new("irc.example.org", "alice@example.org",
							   "alice", PG_TEST_PASSWORD);
	g_autoptr(PgAccount) got = NULL;

	pg_test_registry_open(fixture);
	pg_test_put(fixture, account, TRUE);
	pg_test_registry_close(fixture);

	pg_test_registry_open(fixture);
	got = pg_registry_get_account(fixture->registry, "irc.example.org", "alice@example.org",
				      &error);
	g_assert_no_error(error);
	g_assert_cmpstr(pg_secret_get_string(pg_account_get_secret(got, "password")), ==,
			PG_TEST_PASSWORD);
	g_assert_cmpint(pg_test_file_mode(fixture->db_path), ==, 0600);
}

static void
test_registry_moved_ciphertext_is_refused(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgAccount) alice = pg_test_account_new("irc.example.org", "alice@example.org",
							 "alice", PG_TEST_PASSWORD);
	g_autoptr(PgAccount) mallory = pg_test_account_new(
	    "irc.example.org", "mallory@example.org", "mallory", "mallory's own");
	g_autoptr(PgAccount) got = NULL;

	pg_test_registry_open(fixture);
	pg_test_put(fixture, alice, TRUE);
	pg_test_put(fixture, mallory, TRUE);
	pg_test_registry_close(fixture);

	/* someone with write access to the file copies alice's blob into mallory's row */
	pg_test_sqlite_exec(fixture->db_path,
			    "UPDATE account SET secrets = (SELECT secrets FROM account "
			    "WHERE user_jid = 'alice@example.org') "
			    "WHERE user_jid = 'mallory@example.org';");
	pg_test_registry_open(fixture);
	got = pg_registry_get_account(fixture->registry, "irc.example.org", "mallory@example.org",
				      &error);
	g_assert_null(got);
	g_assert_error(error, PG_ERROR, PG_ERROR_CRYPTO);
	g_assert_nonnull(strstr(error->message, "mallory@example.org"));
	g_clear_error(&error);
	got = pg_registry_get_account(fixture->registry, "irc.example.org", "alice@example.org",
				      &error);
	g_assert_no_error(error);
}

static void
test_registry_newer_schema_is_refused(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgAccount) account = pg_test_account_new("irc.example.org", "alice@example.org",
							   "alice", PG_TEST_PASSWORD);
	g_autoptr(PgRegistry) registry = NULL;
	g_autoptr(GBytes) before = NULL;
	g_autoptr(GBytes) after = NULL;
	g_autofree gchar *expected = NULL;

	pg_test_registry_open(fixture);
	pg_test_put(fixture, account, TRUE);
	pg_test_registry_close(fixture);
	pg_test_sqlite_exec(fixture->db_path, "PRAGMA user_version = 99;");

	before = pg_test_read_file(fixture->db_path);
	fixture->vault = pg_vault_open(fixture->key_file, &error);
	g_assert_no_error(error);
	registry = pg_registry_open(fixture->db_path, fixture->vault, &error);
	g_assert_null(registry);
	g_assert_error(error, PG_ERROR, PG_ERROR_DATABASE);
	expected = g_strdup_printf("%s has schema version 99, but this Polygate knows only up to "
				   "version 4",
				   fixture->db_path);
	if (!g_str_has_prefix(error->message, expected))
		g_error("expected \"%s\" at the start of \"%s\"", expected, error->message);
	after = pg_test_read_file(fixture->db_path);
	g_assert_true(g_bytes_equal(before, after));
}

static void
test_registry_not_a_database_is_refused(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgRegistry) registry = NULL;
	g_autofree gchar *contents = NULL;

	pg_test_write_file(fixture->db_path, "this is not an SQLite database, not at all\n", 0600);
	fixture->vault = pg_vault_new_for_test(1, pg_test_key_a);
	registry = pg_registry_open(fixture->db_path, fixture->vault, &error);
	g_assert_null(registry);
	g_assert_error(error, PG_ERROR, PG_ERROR_DATABASE);
	g_assert_true(g_file_get_contents(fixture->db_path, &contents, NULL, NULL));
	g_assert_cmpstr(contents, ==, "this is not an SQLite database, not at all\n");
}

static void
test_registry_rekey(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) accounts = NULL;
	g_autofree gchar *old_key_file = NULL;
	g_autofree gchar *new_key_file = NULL;
	g_autofree gchar *old_key_hex = NULL;
	guint resealed = 0;

	pg_test_registry_open(fixture);
	for (guint i = 0; i < 5; i++) {
		g_autofree gchar *user_jid = g_strdup_printf("user%u@example.org", i);
		g_autofree gchar *password = g_strdup_printf("password-%u", i);
		g_autoptr(PgAccount) account =
		    pg_test_account_new("irc.example.org", user_jid, user_jid, password);
		pg_test_put(fixture, account, TRUE);
	}
	g_assert_true(g_file_get_contents(fixture->key_file, &old_key_file, NULL, NULL));
	/* the hex of key 1: "1 <hex>\n" */
	old_key_hex = g_strndup(old_key_file + 2, PG_VAULT_KEY_LEN * 2);

	g_assert_true(pg_registry_rekey(fixture->registry, &resealed, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(resealed, ==, 5);
	g_assert_cmpuint(pg_vault_get_current_key_id(fixture->vault), ==, 2);
	g_assert_cmpuint(pg_vault_get_n_keys(fixture->vault), ==, 1);

	/* the old key is gone from the file; only the new one is left */
	g_assert_true(g_file_get_contents(fixture->key_file, &new_key_file, NULL, NULL));
	g_assert_null(strstr(new_key_file, old_key_hex));
	g_assert_true(g_str_has_prefix(new_key_file, "2 "));
	g_assert_cmpuint(pg_test_count_lines(fixture->key_file), ==, 1);
	g_assert_cmpint(pg_test_file_mode(fixture->key_file), ==, 0600);

	/* a fresh vault from the file reads every row */
	pg_test_registry_close(fixture);
	pg_test_registry_open(fixture);
	accounts = pg_registry_list_accounts(fixture->registry, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(accounts->len, ==, 5);
	for (guint i = 0; i < accounts->len; i++) {
		PgAccount *account = g_ptr_array_index(accounts, i);
		g_autofree gchar *password = g_strdup_printf("password-%u", i);
		g_assert_cmpstr(pg_secret_get_string(pg_account_get_secret(account, "password")),
				==, password);
	}

	/* and again, on an empty registry too */
	pg_test_sqlite_exec(fixture->db_path, "DELETE FROM account;");
	g_assert_true(pg_registry_rekey(fixture->registry, &resealed, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(resealed, ==, 0);
	g_assert_cmpuint(pg_vault_get_current_key_id(fixture->vault), ==, 3);
}

/* As if `polygate rekey` were killed right after step 1 (rotation): the file
 * holds both keys, every row is still under the old one and still readable,
 * and a later rekey completes. */
static void
test_registry_rekey_interrupted_after_rotation(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgAccount) account = pg_test_account_new("irc.example.org", "alice@example.org",
							   "alice", PG_TEST_PASSWORD);
	g_autoptr(PgAccount) got = NULL;
	guint resealed = 0;

	pg_test_registry_open(fixture);
	pg_test_put(fixture, account, TRUE);
	g_assert_true(pg_vault_rotate(fixture->vault, &error));
	g_assert_no_error(error);
	pg_test_registry_close(fixture);

	pg_test_registry_open(fixture);
	g_assert_cmpuint(pg_vault_get_n_keys(fixture->vault), ==, 2);
	got = pg_registry_get_account(fixture->registry, "irc.example.org", "alice@example.org",
				      &error);
	g_assert_no_error(error);
	g_assert_cmpstr(pg_secret_get_string(pg_account_get_secret(got, "password")), ==,
			PG_TEST_PASSWORD);
	g_clear_pointer(&got, pg_account_free);

	g_assert_true(pg_registry_rekey(fixture->registry, &resealed, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(resealed, ==, 1);
	pg_test_registry_close(fixture);
	pg_test_registry_open(fixture);
	g_assert_cmpuint(pg_vault_get_n_keys(fixture->vault), ==, 1);
	g_assert_cmpuint(pg_vault_get_current_key_id(fixture->vault), ==, 3);
	got = pg_registry_get_account(fixture->registry, "irc.example.org", "alice@example.org",
				      &error);
	g_assert_no_error(error);
	g_assert_cmpstr(pg_secret_get_string(pg_account_get_secret(got, "password")), ==,
			PG_TEST_PASSWORD);
}

static void
test_registry_no_plaintext_on_disk(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(PgAccount) account = pg_test_account_new("irc.example.org", "alice@example.org",
							   "alice-nick", PG_TEST_PASSWORD);
	g_autofree gchar *wal_path = g_strconcat(fixture->db_path, "-wal", NULL);
	g_autoptr(GBytes) db = NULL;
	g_autoptr(GBytes) wal = NULL;

	pg_test_registry_open(fixture);
	pg_test_put(fixture, account, TRUE);
	/* an update writes the password again, in a new WAL frame */
	pg_test_put(fixture, account, FALSE);

	/* while open, the rows sit in the WAL; read both files */
	db = pg_test_read_file(fixture->db_path);
	wal = pg_test_read_file(wal_path);
	g_assert_nonnull(wal);
	g_assert_cmpint(pg_test_file_mode(wal_path), ==, 0600);
	/* the scan works: the public legacy id is there, in plaintext */
	g_assert_true(pg_test_bytes_contain(db, "alice-nick") ||
		      pg_test_bytes_contain(wal, "alice-nick"));
	g_assert_false(pg_test_bytes_contain(db, PG_TEST_PASSWORD));
	g_assert_false(pg_test_bytes_contain(wal, PG_TEST_PASSWORD));
	g_clear_pointer(&db, g_bytes_unref);
	g_clear_pointer(&wal, g_bytes_unref);

	/* after close, the checkpoint has moved everything into the main file */
	pg_test_registry_close(fixture);
	db = pg_test_read_file(fixture->db_path);
	wal = pg_test_read_file(wal_path);
	g_assert_true(pg_test_bytes_contain(db, "alice-nick"));
	g_assert_false(pg_test_bytes_contain(db, PG_TEST_PASSWORD));
	g_assert_false(pg_test_bytes_contain(wal, PG_TEST_PASSWORD));
}

/* ---- account struct ---- */

static void
test_account_setters(void)
{
	g_autoptr(PgAccount) account = pg_account_new("sms.example.org", "carol@example.org",
						      "+15551234567");

	g_assert_null(pg_account_get_setting(account, "missing"));
	pg_account_set_setting(account, "name", "Carol");
	pg_account_set_setting(account, "name", "Caroline");
	g_assert_cmpstr(pg_account_get_setting(account, "name"), ==, "Caroline");
	pg_account_set_setting(account, "name", NULL);
	g_assert_null(pg_account_get_setting(account, "name"));

	pg_account_set_secret(account, "password", pg_secret_new_from_string("one"));
	pg_account_set_secret(account, "password", pg_secret_new_from_string("two"));
	g_assert_cmpstr(pg_secret_get_string(pg_account_get_secret(account, "password")), ==,
			"two");
	pg_account_set_secret(account, "password", NULL);
	g_assert_null(pg_account_get_secret(account, "password"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_data_func("/registry/vault/seal-unseal-round-trip", pg_seal_cases,
			     test_vault_seal_round_trip);
	for (gsize i = 0; i < G_N_ELEMENTS(pg_tamper_cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/registry/vault/%s", pg_tamper_cases[i].name);
		g_test_add_data_func(path, &pg_tamper_cases[i], test_vault_tamper);
	}
	g_test_add_func("/registry/vault/each-seal-uses-a-fresh-nonce", test_vault_fresh_nonce);
	g_test_add("/registry/vault/key-file-is-created-0600", PgTestFixture, NULL,
		   pg_test_fixture_setup, test_vault_key_file_created, pg_test_fixture_teardown);
	g_test_add("/registry/vault/group-or-world-readable-key-file-is-refused", PgTestFixture,
		   NULL, pg_test_fixture_setup, test_vault_key_file_permissions,
		   pg_test_fixture_teardown);
	for (gsize i = 0; i < G_N_ELEMENTS(pg_key_file_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/registry/vault/malformed-key-file/%s",
							 pg_key_file_cases[i].name);
		g_test_add_data_func(path, &pg_key_file_cases[i], test_vault_key_file_malformed);
	}
	g_test_add("/registry/vault/key-file-last-line-is-current", PgTestFixture, NULL,
		   pg_test_fixture_setup, test_vault_key_file_accepts_crlf_and_rotated_keys,
		   pg_test_fixture_teardown);
	g_test_add("/registry/vault/rotate-keeps-old-keys-until-forgotten", PgTestFixture, NULL,
		   pg_test_fixture_setup, test_vault_rotate_and_forget, pg_test_fixture_teardown);

	g_test_add_func("/registry/account/setters", test_account_setters);
	g_test_add("/registry/account/put-get-update-remove", PgTestFixture, NULL,
		   pg_test_fixture_setup, test_registry_account_crud, pg_test_fixture_teardown);
	g_test_add("/registry/account/no-secrets-and-no-legacy-id", PgTestFixture, NULL,
		   pg_test_fixture_setup, test_registry_account_without_secrets_or_legacy_id,
		   pg_test_fixture_teardown);
	g_test_add("/registry/account/list-and-find-by-legacy-id", PgTestFixture, NULL,
		   pg_test_fixture_setup, test_registry_list_and_find, pg_test_fixture_teardown);
	g_test_add("/registry/account/secrets-survive-close-and-reopen", PgTestFixture, NULL,
		   pg_test_fixture_setup, test_registry_secrets_survive_reopen,
		   pg_test_fixture_teardown);
	g_test_add("/registry/account/ciphertext-moved-to-another-row-is-refused", PgTestFixture,
		   NULL, pg_test_fixture_setup, test_registry_moved_ciphertext_is_refused,
		   pg_test_fixture_teardown);
	g_test_add("/registry/schema/newer-version-is-refused-and-file-untouched", PgTestFixture,
		   NULL, pg_test_fixture_setup, test_registry_newer_schema_is_refused,
		   pg_test_fixture_teardown);
	g_test_add("/registry/schema/not-a-database-is-refused-and-file-untouched", PgTestFixture,
		   NULL, pg_test_fixture_setup, test_registry_not_a_database_is_refused,
		   pg_test_fixture_teardown);
	g_test_add("/registry/rekey/reseals-every-row-and-forgets-the-old-key", PgTestFixture,
		   NULL, pg_test_fixture_setup, test_registry_rekey, pg_test_fixture_teardown);
	g_test_add("/registry/rekey/interrupted-after-rotation-loses-nothing", PgTestFixture, NULL,
		   pg_test_fixture_setup, test_registry_rekey_interrupted_after_rotation,
		   pg_test_fixture_teardown);
	g_test_add("/registry/db/no-password-in-db-or-wal-file", PgTestFixture, NULL,
		   pg_test_fixture_setup, test_registry_no_plaintext_on_disk,
		   pg_test_fixture_teardown);
	return g_test_run();
}
