/* A registry in a fresh temporary directory, shared by the unit tests of
 * src/registry (test-registry.c, test-irc-creds.c, test-sms-queue.c,
 * test-sms-inbox.c). */
#pragma once

#include <glib.h>

#include "registry/pg-registry.h"
#include "registry/pg-vault.h"

G_BEGIN_DECLS

typedef struct {
	gchar *dir;
	gchar *key_file;
	gchar *db_path;
	PgVault *vault;
	PgRegistry *registry;
} PgTestRegistry;

/* Creates a temporary directory named after `name` and the (not yet
 * existing) paths of the key file and the database inside it, relative to
 * that directory (they may name subdirectories).  Opens nothing. */
void pg_test_registry_init(PgTestRegistry *fixture, const gchar *name, const gchar *key_file,
			   const gchar *db_path);

/* Opens the vault from the key file and the registry on it; asserts success. */
void pg_test_registry_open(PgTestRegistry *fixture);

/* Closes the registry and the vault (they can be opened again). */
void pg_test_registry_close(PgTestRegistry *fixture);

/* Closes, removes the directory with all it holds and frees the paths. */
void pg_test_registry_clear(PgTestRegistry *fixture);

/* g_test_add() fixture functions: a registry.key and registry.db in a
 * directory named after the test program, opened; and pg_test_registry_clear(). */
void pg_test_registry_setup(PgTestRegistry *fixture, gconstpointer user_data);
void pg_test_registry_teardown(PgTestRegistry *fixture, gconstpointer user_data);

/* Runs @sql on the database at @path behind the registry's back (it must
 * be closed), as someone with write access to the file would. */
void pg_test_sqlite_exec(const gchar *path, const gchar *sql);
/* Returns: the integer in the first column of the first row of @sql. */
gint64 pg_test_sqlite_int(const gchar *path, const gchar *sql);

/* Returns: (transfer full) the bytes of the file at @path, or NULL if it
 * does not exist (any other error fails the test). */
GBytes *pg_test_read_file(const gchar *path);

/* Whether @needle (a C string) occurs in @bytes (NULL: no bytes). */
gboolean pg_test_bytes_contain(GBytes *bytes, const gchar *needle);

/* Removes path: a file, or a directory with everything below it. */
void pg_test_rm_rf(const gchar *path);

G_END_DECLS
