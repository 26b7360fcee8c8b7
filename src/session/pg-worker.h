/* PgWorker: one polygate-purple process and the IPC channel to it.
 *
 * The worker is spawned with GSubprocess; its end of a socketpair() becomes
 * its fd 3, so credentials travel over that socket, never in argv or the
 * environment (both show in /proc).  A ping every PG_WORKER_PING_INTERVAL
 * seconds that stays unanswered for PG_WORKER_PING_TIMEOUT seconds (of time
 * we were reading it; any frame counts as an answer) marks the worker hung:
 * it is killed, and the owner hears "exited" like for any other death.  The owner (PgSupervisor) decides about restarts.
 */
#pragma once

#include <glib.h>

#include "ipc/pg-ipc-message.h"

G_BEGIN_DECLS

#define PG_WORKER_PING_INTERVAL 10
#define PG_WORKER_PING_TIMEOUT 10

typedef struct _PgWorker PgWorker;

typedef struct {
	/* a validated event from the worker; @msg is borrowed */
	void (*event)(PgWorker *worker, const PgIpcMessage *msg, gpointer user_data);
	/* the worker is gone (exit, crash, hang, protocol error); @reason is for
	 * users and logs.  The PgWorker stays valid until pg_worker_free(). */
	void (*exited)(PgWorker *worker, const gchar *reason, gpointer user_data);
} PgWorkerCallbacks;

/* Spawn @path for accounts of @protocol, loading only @plugins (file names
 * or paths of libpurple plugins), in its sandbox of mode @sandbox ("required",
 * "best-effort", "off"; NULL: the worker's default) with @user_dir (an empty
 * 0700 dir; NULL: the worker makes one) as its private dir.
 * Returns: (transfer full) or NULL with @error. */
PgWorker *pg_worker_spawn(const gchar *path, const gchar *protocol, const gchar *const *plugins,
			  const gchar *sandbox, const gchar *user_dir, guint index,
			  const PgWorkerCallbacks *callbacks, gpointer user_data, GError **error);
/* The private dir given at spawn, or NULL. */
const gchar *pg_worker_get_user_dir(const PgWorker *self);
const gchar *pg_worker_get_protocol(const PgWorker *self);
/* Send a command; FALSE with @error if the worker is gone or the queue is full. */
gboolean pg_worker_send(PgWorker *self, const PgIpcMessage *msg, GError **error);
guint32 pg_worker_next_id(PgWorker *self);
/* Stop (FALSE) or resume (TRUE) reading the worker's events; they wait in
 * the socket and in the worker meanwhile.  Paused time does not count
 * towards the ping timeout. */
void pg_worker_set_reading(PgWorker *self, gboolean reading);
/* When the last frame (any event, or a pong) was read from it, monotonic
 * µs; 0 before the first.  A stopped or hung worker sends none, and frames
 * left unread while reading is paused do not count. */
gint64 pg_worker_get_last_frame(const PgWorker *self);
/* Ask it to shut down, then kill it if it has not exited after @timeout_ms;
 * waits for the exit (daemon shutdown only: it blocks the main loop). */
void pg_worker_stop(PgWorker *self, guint timeout_ms);
/* The same without waiting: the exit is reported through callbacks->exited
 * as usual.  From now on the worker takes no new account. */
void pg_worker_shutdown(PgWorker *self, guint timeout_ms);
void pg_worker_free(PgWorker *self);

/* Running and not shutting down. */
gboolean pg_worker_is_alive(const PgWorker *self);
guint pg_worker_get_index(const PgWorker *self);
const gchar *pg_worker_get_pid(const PgWorker *self);
/* Resident memory of the process in KiB (from /proc), 0 if unknown. */
guint64 pg_worker_get_rss_kib(const PgWorker *self);
/* Accounts assigned here; the supervisor keeps the count. */
guint pg_worker_get_n_accounts(const PgWorker *self);
void pg_worker_add_account(PgWorker *self, const gchar *account);
void pg_worker_remove_account(PgWorker *self, const gchar *account);
gboolean pg_worker_has_account(const PgWorker *self, const gchar *account);
/* Returns: (transfer container) the account keys assigned here */
GPtrArray *pg_worker_get_accounts(const PgWorker *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgWorker, pg_worker_free)

G_END_DECLS
