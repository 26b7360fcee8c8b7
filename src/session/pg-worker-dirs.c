/* The workers' private dirs; see pg-worker-dirs.h for the design. */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/pg-error.h"
#include "session/pg-worker-dirs.h"

#define PG_WORKER_DIRS_PREFIX "worker-"

gchar *
pg_worker_dirs_base_for(const gchar *database)
{
	return g_strconcat(database, ".workers", NULL);
}

gboolean
pg_worker_dirs_prepare(const gchar *base, GError **error)
{
	GStatBuf st;

	if (g_mkdir(base, 0700) != 0 && errno != EEXIST) {
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot create %s: %s", base,
			    g_strerror(errno));
		return FALSE;
	}
	if (g_lstat(base, &st) != 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot stat %s: %s", base,
			    g_strerror(errno));
		return FALSE;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0077) != 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_IO,
			    "%s must be a directory of uid %u with mode 0700 (it holds the "
			    "workers' private dirs)",
			    base, (guint)geteuid());
		return FALSE;
	}
	return TRUE;
}

gchar *
pg_worker_dirs_create(const gchar *base, guint index, GError **error)
{
	g_autofree gchar *path =
	    g_strdup_printf("%s/" PG_WORKER_DIRS_PREFIX "%u-XXXXXX", base, index);

	if (g_mkdtemp_full(path, 0700) == NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot create a worker dir in %s: %s",
			    base, g_strerror(errno));
		return NULL;
	}
	return g_steal_pointer(&path);
}

void
pg_worker_dirs_remove(const gchar *path)
{
	GStatBuf st;

	if (g_lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
		const gchar *name;

		/* a worker leaves its dir 0700; a dir it made unreadable to
		 * keep us from cleaning up is made ours again */
		if (dir == NULL && g_chmod(path, 0700) == 0)
			dir = g_dir_open(path, 0, NULL);
		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);
			pg_worker_dirs_remove(child);
		}
		if (g_rmdir(path) != 0)
			g_warning("cannot remove %s: %s", path, g_strerror(errno));
	} else if (g_unlink(path) != 0) {
		g_warning("cannot remove %s: %s", path, g_strerror(errno));
	}
}

guint
pg_worker_dirs_sweep(const gchar *base, GHashTable *keep)
{
	g_autoptr(GDir) dir = g_dir_open(base, 0, NULL);
	g_autoptr(GPtrArray) stale = g_ptr_array_new_with_free_func(g_free);
	const gchar *name;

	/* collect first: removing while reading a dir may skip entries */
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *path = g_build_filename(base, name, NULL);
		if (keep == NULL || !g_hash_table_contains(keep, path))
			g_ptr_array_add(stale, g_steal_pointer(&path));
	}
	for (guint i = 0; i < stale->len; i++) {
		g_info("removing %s, left behind by a worker that is gone",
		       (const gchar *)g_ptr_array_index(stale, i));
		pg_worker_dirs_remove(g_ptr_array_index(stale, i));
	}
	return stale->len;
}
