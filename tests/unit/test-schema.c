/* The one SQLite migration runner (src/core/pg-schema.c), shared by the
 * registry, the rooms' archive and the bridge store: steps run forward from
 * the file's version, a failing step changes nothing, a newer file is
 * refused untouched. */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "core/pg-error.h"
#include "core/pg-schema.h"

static const gchar *const pg_test_steps[] = {
    [1] = "CREATE TABLE a (x INTEGER);",
    [2] = "CREATE TABLE b (y INTEGER); INSERT INTO b VALUES (2);",
    [3] = "ALTER TABLE a ADD COLUMN z TEXT;",
};

static const gchar *const pg_test_broken_steps[] = {
    [1] = "CREATE TABLE a (x INTEGER);",
    [2] = "CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);",
};

typedef struct {
	gchar *dir;
	gchar *path;
	sqlite3 *db;
} PgTestFixture;

static void
pg_test_setup(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	fixture->dir = g_dir_make_tmp("test-schema-XXXXXX", &error);
	g_assert_no_error(error);
	fixture->path = g_build_filename(fixture->dir, "s.sqlite", NULL);
	g_assert_cmpint(sqlite3_open(fixture->path, &fixture->db), ==, SQLITE_OK);
}

static void
pg_test_teardown(PgTestFixture *fixture, gconstpointer user_data)
{
	sqlite3_close(fixture->db);
	g_unlink(fixture->path);
	g_rmdir(fixture->dir);
	g_free(fixture->path);
	g_free(fixture->dir);
}

static gint
pg_test_version(PgTestFixture *fixture)
{
	g_autoptr(GError) error = NULL;
	gint version = -1;

	g_assert_true(pg_schema_get_version(fixture->db, fixture->path, &version, &error));
	g_assert_no_error(error);
	return version;
}

static gint
pg_test_tables(PgTestFixture *fixture)
{
	sqlite3_stmt *stmt = NULL;
	gint n;

	g_assert_cmpint(sqlite3_prepare_v2(fixture->db,
					   "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table';",
					   -1, &stmt, NULL),
			==, SQLITE_OK);
	g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
	n = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return n;
}

/* From empty to the latest step by step, then from the middle; at the
 * latest version nothing runs again. */
static void
test_schema_runs_forward(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(pg_test_version(fixture), ==, 0);
	g_assert_true(pg_schema_migrate(fixture->db, fixture->path, pg_test_steps, 2, &error));
	g_assert_no_error(error);
	g_assert_cmpint(pg_test_version(fixture), ==, 2);
	g_assert_cmpint(pg_test_tables(fixture), ==, 2);
	g_assert_true(pg_schema_migrate(fixture->db, fixture->path, pg_test_steps, 3, &error));
	g_assert_cmpint(pg_test_version(fixture), ==, 3);
	g_assert_cmpint(sqlite3_exec(fixture->db, "SELECT z FROM a;", NULL, NULL, NULL), ==,
			SQLITE_OK);
	/* a step run twice would fail (ALTER TABLE ADD COLUMN z again) */
	g_assert_true(pg_schema_migrate(fixture->db, fixture->path, pg_test_steps, 3, &error));
	g_assert_no_error(error);
	g_assert_true(sqlite3_get_autocommit(fixture->db));
}

/* A failing step: the message names the two versions, and the earlier
 * steps of the same run are rolled back with it. */
static void
test_schema_a_failing_step_changes_nothing(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	g_assert_false(
	    pg_schema_migrate(fixture->db, fixture->path, pg_test_broken_steps, 2, &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_DATABASE);
	g_assert_true(g_str_has_prefix(error->message,
				       "cannot migrate from schema version 1 to 2: "));
	g_assert_nonnull(strstr(error->message, "nowhere"));
	g_assert_cmpint(pg_test_version(fixture), ==, 0);
	g_assert_cmpint(pg_test_tables(fixture), ==, 0);
	g_assert_true(sqlite3_get_autocommit(fixture->db));
}

/* A file newer than the code is refused with both versions, untouched. */
static void
test_schema_refuses_a_newer_file(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *expected = NULL;

	g_assert_cmpint(sqlite3_exec(fixture->db, "PRAGMA user_version = 7;", NULL, NULL, NULL),
			==, SQLITE_OK);
	g_assert_false(pg_schema_migrate(fixture->db, fixture->path, pg_test_steps, 3, &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_DATABASE);
	expected = g_strdup_printf("%s has schema version 7, but this Polygate knows only up to "
				   "version 3",
				   fixture->path);
	g_assert_true(g_str_has_prefix(error->message, expected));
	g_assert_cmpint(pg_test_version(fixture), ==, 7);
	g_assert_cmpint(pg_test_tables(fixture), ==, 0);
	g_clear_error(&error);
	g_assert_false(pg_schema_check_version(fixture->path, -1, 3, &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_DATABASE);
}

/* Not a database: an error, not a crash, and the file stays as it was. */
static void
test_schema_not_a_database(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("test-schema-XXXXXX", &error);
	g_autofree gchar *path = g_build_filename(dir, "junk", NULL);
	g_autofree gchar *contents = NULL;
	sqlite3 *db = NULL;
	gint version = -1;

	g_assert_true(g_file_set_contents(path, "not a database, not at all\n", -1, &error));
	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	g_assert_false(pg_schema_get_version(db, path, &version, &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_DATABASE);
	g_clear_error(&error);
	g_assert_false(pg_schema_migrate(db, path, pg_test_steps, 3, &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_DATABASE);
	sqlite3_close(db);
	g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
	g_assert_cmpstr(contents, ==, "not a database, not at all\n");
	g_unlink(path);
	g_rmdir(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, func)                                                                          \
	g_test_add(path, PgTestFixture, NULL, pg_test_setup, func, pg_test_teardown)
	ADD("/core/schema/runs-forward-once", test_schema_runs_forward);
	ADD("/core/schema/a-failing-step-changes-nothing",
	    test_schema_a_failing_step_changes_nothing);
	ADD("/core/schema/refuses-a-newer-file", test_schema_refuses_a_newer_file);
#undef ADD
	g_test_add_func("/core/schema/not-a-database", test_schema_not_a_database);
	return g_test_run();
}
