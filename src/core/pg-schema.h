/* SQLite schemas that migrate forward, numbered by PRAGMA user_version:
 * one runner for each of the gateway's own files (the registry in
 * src/registry, the rooms' archive in src/history, the bridge store in
 * src/bridge).
 *
 * A file's owner keeps its steps as an array indexed by version:
 * migrations[v] upgrades schema v-1 to v (several statements allowed;
 * migrations[0] is unused), and the schema history as a comment above its
 * latest version (STYLE.md, as fwupd src/fu-history.c).  A file newer than
 * the code is refused and left untouched, with both versions in the message:
 * it holds credentials or archives, never a cache to start over. */
#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* *@version = @db's PRAGMA user_version (@path names it in messages).
 * FALSE with PG_ERROR_DATABASE (e.g. the file is not a database). */
gboolean pg_schema_get_version(sqlite3 *db, const gchar *path, gint *version, GError **error);
/* FALSE with PG_ERROR_DATABASE if @version is not one of 0..@latest. */
gboolean pg_schema_check_version(const gchar *path, gint version, gint latest, GError **error);
/* Upgrades @db from its version to @latest with @migrations[version+1 ..
 * latest] and sets user_version, all in one BEGIN IMMEDIATE transaction
 * (the version is read under its write lock: another process may have
 * migrated); nothing changes if a step fails. */
gboolean pg_schema_migrate(sqlite3 *db, const gchar *path, const gchar *const *migrations,
			   gint latest, GError **error);

G_END_DECLS
