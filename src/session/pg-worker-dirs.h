/* The workers' private dirs: one libpurple user dir per worker process.
 *
 * The daemon makes each worker's dir (0700) before it starts the worker and
 * hands it over with --user-dir; the worker's sandbox lets it write there
 * and nowhere else (backends/purple/pg-purple-sandbox.h).  A sandboxed
 * worker cannot remove an entry of the parent, so the daemon removes the dir
 * once the worker is gone.  A crash of the worker, or of the daemon, leaves
 * dirs behind: they are swept at daemon start and whenever a worker dies.
 *
 * All of them live in one base dir that belongs to this daemon alone: it
 * sits beside the registry (<database>.workers), and the registry lock
 * (src/registry/pg-registry-lock.h) keeps a second daemon off the same
 * registry, so a sweep never removes another daemon's worker dir.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Returns: (transfer full) the base dir for the workers of @database */
gchar *pg_worker_dirs_base_for(const gchar *database);
/* Create @base (0700) if missing; FALSE if it is not a dir of ours that
 * no one else may enter (a symlink, another owner, group or world access). */
gboolean pg_worker_dirs_prepare(const gchar *base, GError **error);
/* A fresh empty 0700 dir under @base for worker @index.
 * Returns: (transfer full) its path, or NULL with @error */
gchar *pg_worker_dirs_create(const gchar *base, guint index, GError **error);
/* rm -r @path, never following a symlink (a user dir holds links into /usr). */
void pg_worker_dirs_remove(const gchar *path);
/* Remove every entry of @base whose path is not in @keep (a set of paths,
 * may be NULL: remove all).  Returns how many were removed. */
guint pg_worker_dirs_sweep(const gchar *base, GHashTable *keep);

G_END_DECLS
