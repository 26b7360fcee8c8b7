/* One process at a time on a registry: the daemon or `polygate rekey`.
 *
 * The daemon reads the key file once, at start; `polygate rekey` re-seals
 * every secret under a new key and drops the old one from the key file.
 * Run under a running daemon, rekey left that daemon unable to unseal what
 * it re-sealed (issue 8, item 9).  So both take an exclusive lock on
 * "<database>.lock" first: the daemon for as long as it runs, rekey for its
 * whole run; whoever comes second is refused with the holder's pid and
 * changes nothing.  The same lock keeps a second daemon off the registry
 * (and off its workers' dirs, src/session/pg-worker-dirs.h).
 *
 * flock(2) on a file of its own, not on the database or the key file:
 * SQLite's own POSIX locks on the database are dropped by any close() of
 * it, and the key file is replaced by rename() on every rekey.  The lock
 * goes with the process, however it ends (a crash included); the file
 * stays, holding the last holder's pid for the message.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PgRegistryLock PgRegistryLock;

/* Take the lock of the registry at @database, without waiting.  @what
 * ("the gateway", "rekey") is written into the lock file for whoever is
 * refused.  Returns: (transfer full) the lock, or NULL with @error
 * (PG_ERROR_CONFLICT when another process holds it; the message names
 * its pid). */
PgRegistryLock *pg_registry_lock_acquire(const gchar *database, const gchar *what,
					 GError **error) G_GNUC_WARN_UNUSED_RESULT;
void pg_registry_lock_release(PgRegistryLock *lock);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgRegistryLock, pg_registry_lock_release)

G_END_DECLS
