/* PgSupervisor: the pool of worker processes and the login queue.
 *
 * Accounts (opaque keys chosen by the sessions) are placed on workers, at
 * most users_per_worker per process; a worker whose last account logs out
 * is stopped.  Logins pass a bounded queue (max_concurrent_logins in
 * flight), so a restart of the gateway or of the XMPP server never turns
 * into a reconnect storm against a legacy network.  When a worker dies, each
 * of its accounts is reported lost; the sessions decide when to log in
 * again (with their own backoff), which starts a fresh worker.
 */
#pragma once

#include <glib.h>

#include "ipc/pg-ipc-message.h"

G_BEGIN_DECLS

typedef struct _PgSupervisor PgSupervisor;

typedef struct {
	/* an event from a worker; @msg is borrowed (its "account" field names the account) */
	void (*event)(PgSupervisor *supervisor, const PgIpcMessage *msg, gpointer user_data);
	/* the worker holding @account died; the account is no longer placed anywhere */
	void (*account_lost)(PgSupervisor *supervisor, const gchar *account, const gchar *reason,
			     gpointer user_data);
} PgSupervisorCallbacks;

PgSupervisor *pg_supervisor_new(const gchar *worker_path, guint users_per_worker,
				guint max_concurrent_logins,
				const PgSupervisorCallbacks *callbacks, gpointer user_data);
void pg_supervisor_free(PgSupervisor *self);
/* Start workers in their sandbox of mode @sandbox (NULL: the worker's
 * default), each with a private dir under @dirs_base (NULL: the worker
 * makes its own); @dirs_base is created and swept of whatever a crash left
 * there (pg-worker-dirs.h).  FALSE with @error if @dirs_base is unusable. */
gboolean pg_supervisor_set_worker_sandbox(PgSupervisor *self, const gchar *sandbox,
					  const gchar *dirs_base, GError **error);

/* Where each protocol's plugin is: protocol id -> PgProtocolInfo, as
 * pg_protocol_probe_run() found them (a reference is taken).  A protocol
 * not in it cannot log in.  Without it workers load their default plugins. */
void pg_supervisor_set_protocols(PgSupervisor *self, GHashTable *protocols);

/* Who the IRC connections of this pool's workers say they are: their
 * logins get WEBIRC, their connections' claims reach @ident's identd
 * (pg-ident.h).  @ident is borrowed, NULL for none. */
typedef struct _PgIdent PgIdent;
void pg_supervisor_set_ident(PgSupervisor *self, PgIdent *ident);
/* @account speaks for @owner (a person's bare JID) in its ident name and
 * WEBIRC host, instead of its key's own (pg-ident.h); call it before each
 * pg_supervisor_login().  Forgotten at pg_supervisor_logout(). */
void pg_supervisor_set_owner(PgSupervisor *self, const gchar *account, const gchar *owner);

/* Queue a login for @account; @login (transfer full) is a CMD_LOGIN message.
 * FALSE with @error if no worker can be started. */
gboolean pg_supervisor_login(PgSupervisor *self, const gchar *account, PgIpcMessage *login,
			     GError **error);
/* Keep every login queued (TRUE), starting no worker, until released
 * (FALSE): for tests/fuzz/fuzz-handlers.c, where links must stay pending. */
void pg_supervisor_hold_logins(PgSupervisor *self, gboolean hold);
/* Hand @msg (borrowed) to the event callback as if the worker holding its
 * account had sent it: for tests/fuzz/fuzz-handlers.c, where no worker runs. */
void pg_supervisor_deliver_event(PgSupervisor *self, const PgIpcMessage *msg);
/* The login of @account finished (either way): frees its slot. */
void pg_supervisor_login_done(PgSupervisor *self, const gchar *account);
/* Send a command for @account to its worker; the id is set here. */
gboolean pg_supervisor_send(PgSupervisor *self, const gchar *account, PgIpcMessage *msg,
			    GError **error);
/* Log @account out and forget where it was. */
void pg_supervisor_logout(PgSupervisor *self, const gchar *account);
gboolean pg_supervisor_has_account(PgSupervisor *self, const gchar *account);
/* Stop (FALSE) or resume (TRUE) reading every worker's events, for
 * back-pressure from the XMPP side; workers started meanwhile start paused.
 * Commands still go out while paused. */
void pg_supervisor_set_reading(PgSupervisor *self, gboolean reading);
gboolean pg_supervisor_is_reading(PgSupervisor *self);
/* pg_worker_get_last_frame() of the worker that holds (or, while its exit
 * is reported, held) @account; 0 if none. */
gint64 pg_supervisor_get_last_frame(PgSupervisor *self, const gchar *account);

/* For admins: one line per worker, "pid N: K account(s), RSS M KiB". (transfer full) */
GPtrArray *pg_supervisor_describe_workers(PgSupervisor *self);
guint pg_supervisor_get_n_workers(PgSupervisor *self);
/* The Landlock ABI version new workers confine themselves with; 0 when they
 * run unconfined (no Landlock in the kernel, or worker_sandbox = off). */
gint pg_supervisor_get_sandbox_abi(PgSupervisor *self);
guint64 pg_supervisor_get_total_rss_kib(PgSupervisor *self);

/* Logins sent to a worker and not yet answered, and logins waiting for one
 * of the max_concurrent_logins slots. */
guint pg_supervisor_get_n_logins_in_flight(PgSupervisor *self);
guint pg_supervisor_get_n_logins_queued(PgSupervisor *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgSupervisor, pg_supervisor_free)

G_END_DECLS
