/* The one SQLite migration runner (pg-schema.h). */
#define G_LOG_DOMAIN "pg-schema"

#include "config.h"

#include "core/pg-error.h"
#include "core/pg-schema.h"

static gboolean
pg_schema_set_error(sqlite3 *db, const gchar *path, const gchar *what, GError **error)
{
	g_set_error(error, PG_ERROR, PG_ERROR_DATABASE, "%s: %s: %s", path, what,
		    sqlite3_errmsg(db));
	return FALSE;
}

static gboolean
pg_schema_exec(sqlite3 *db, const gchar *path, const gchar *sql, GError **error)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return pg_schema_set_error(db, path, "cannot execute a statement", error);
	return TRUE;
}

gboolean
pg_schema_get_version(sqlite3 *db, const gchar *path, gint *version, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	gboolean ok;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version;", -1, &stmt, NULL) != SQLITE_OK)
		return pg_schema_set_error(db, path, "cannot read the schema version", error);
	ok = sqlite3_step(stmt) == SQLITE_ROW;
	if (ok)
		*version = sqlite3_column_int(stmt, 0);
	else
		pg_schema_set_error(db, path, "cannot read the schema version", error);
	sqlite3_finalize(stmt);
	return ok;
}

gboolean
pg_schema_check_version(const gchar *path, gint version, gint latest, GError **error)
{
	if (version > latest || version < 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_DATABASE,
			    "%s has schema version %d, but this Polygate knows only up to "
			    "version %d; it was written by a newer Polygate, so it is left "
			    "untouched: upgrade Polygate",
			    path, version, latest);
		return FALSE;
	}
	return TRUE;
}

static gboolean
pg_schema_migrate_locked(sqlite3 *db, const gchar *path, const gchar *const *migrations,
			 gint latest, GError **error)
{
	g_autofree gchar *set_version = NULL;
	gint version = 0;

	if (!pg_schema_get_version(db, path, &version, error) ||
	    !pg_schema_check_version(path, version, latest, error))
		return FALSE;
	if (version == latest)
		return TRUE;
	for (gint v = version + 1; v <= latest; v++) {
		if (!pg_schema_exec(db, path, migrations[v], error)) {
			g_prefix_error(error, "cannot migrate from schema version %d to %d: ",
				       v - 1, v);
			return FALSE;
		}
	}
	/* PRAGMA takes no bound parameter; the value is the caller's constant */
	set_version = g_strdup_printf("PRAGMA user_version = %d;", latest);
	if (!pg_schema_exec(db, path, set_version, error))
		return FALSE;
	g_info("migrated %s from schema version %d to %d", path, version, latest);
	return TRUE;
}

gboolean
pg_schema_migrate(sqlite3 *db, const gchar *path, const gchar *const *migrations, gint latest,
		  GError **error)
{
	/* IMMEDIATE: the write lock before the version is read */
	if (!pg_schema_exec(db, path, "BEGIN IMMEDIATE;", error))
		return FALSE;
	if (!pg_schema_migrate_locked(db, path, migrations, latest, error) ||
	    !pg_schema_exec(db, path, "COMMIT;", error)) {
		/* some errors (SQLITE_FULL, SQLITE_IOERR) have rolled back already */
		if (!sqlite3_get_autocommit(db))
			sqlite3_exec(db, "ROLLBACK;", NULL, NULL, NULL);
		return FALSE;
	}
	return TRUE;
}
