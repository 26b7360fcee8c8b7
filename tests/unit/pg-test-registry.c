/* The registry fixture of the unit tests: see pg-test-registry.h. */
#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include <glib/gstdio.h>

#include "pg-test-registry.h"

void
pg_test_rm_rf(const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);

	if (dir != NULL) {
		const gchar *name;
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);
			pg_test_rm_rf(child);
		}
		g_rmdir(path);
		return;
	}
	g_unlink(path);
}

void
pg_test_registry_init(PgTestRegistry *fixture, const gchar *name, const gchar *key_file,
		      const gchar *db_path)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *template = g_strdup_printf("polygate-%s-XXXXXX", name);

	fixture->dir = g_dir_make_tmp(template, &error);
	g_assert_no_error(error);
	fixture->key_file = g_build_filename(fixture->dir, key_file, NULL);
	fixture->db_path = g_build_filename(fixture->dir, db_path, NULL);
	fixture->vault = NULL;
	fixture->registry = NULL;
}

void
pg_test_registry_open(PgTestRegistry *fixture)
{
	g_autoptr(GError) error = NULL;

	fixture->vault = pg_vault_open(fixture->key_file, &error);
	g_assert_no_error(error);
	g_assert_nonnull(fixture->vault);
	fixture->registry = pg_registry_open(fixture->db_path, fixture->vault, &error);
	g_assert_no_error(error);
	g_assert_nonnull(fixture->registry);
}

void
pg_test_registry_close(PgTestRegistry *fixture)
{
	g_clear_pointer(&fixture->registry, pg_registry_free);
	g_clear_pointer(&fixture->vault, pg_vault_free);
}

void
pg_test_registry_clear(PgTestRegistry *fixture)
{
	pg_test_registry_close(fixture);
	pg_test_rm_rf(fixture->dir);
	g_clear_pointer(&fixture->dir, g_free);
	g_clear_pointer(&fixture->key_file, g_free);
	g_clear_pointer(&fixture->db_path, g_free);
}

void
pg_test_registry_setup(PgTestRegistry *fixture, gconstpointer user_data)
{
	g_autofree gchar *name = g_path_get_basename(g_get_prgname());

	pg_test_registry_init(fixture, name, "registry.key", "registry.db");
	pg_test_registry_open(fixture);
}

void
pg_test_registry_teardown(PgTestRegistry *fixture, gconstpointer user_data)
{
	pg_test_registry_clear(fixture);
}

void
pg_test_sqlite_exec(const gchar *path, const gchar *sql)
{
	sqlite3 *db = NULL;
	gchar *message = NULL;

	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK)
		g_error("%s: %s", sql, message);
	g_assert_cmpint(sqlite3_close(db), ==, SQLITE_OK);
}

gint64
pg_test_sqlite_int(const gchar *path, const gchar *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	gint64 value;

	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
	value = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	g_assert_cmpint(sqlite3_close(db), ==, SQLITE_OK);
	return value;
}

GBytes *
pg_test_read_file(const gchar *path)
{
	g_autoptr(GError) error = NULL;
	gchar *contents = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &contents, &len, &error)) {
		g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
		return NULL;
	}
	return g_bytes_new_take(contents, len);
}

gboolean
pg_test_bytes_contain(GBytes *bytes, const gchar *needle)
{
	gsize len = 0, needle_len = strlen(needle);
	const guint8 *data = bytes != NULL ? g_bytes_get_data(bytes, &len) : NULL;

	for (gsize i = 0; data != NULL && i + needle_len <= len; i++) {
		if (memcmp(data + i, needle, needle_len) == 0)
			return TRUE;
	}
	return FALSE;
}
