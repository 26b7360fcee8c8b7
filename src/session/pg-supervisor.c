/* Worker pool and login queue; see pg-supervisor.h for the design.
 *
 * BACKPRESSURE: pg_supervisor_set_reading(FALSE) pauses every worker's
 * channel, and a worker started meanwhile starts paused.  All of them, not
 * those of one transport: pools are per libpurple protocol, so one worker
 * may serve several transports, and every component of a daemon talks to
 * the same XMPP server (one [xmpp] host), which is what fell behind.
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include "core/pg-error.h"
#include "core/pg-protocol-info.h"
#include "session/pg-ident.h"
#include "session/pg-supervisor.h"
#include "session/pg-worker.h"
#include "session/pg-worker-dirs.h"

#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* a login that never reports back frees its slot after this long */
#define PG_SUPERVISOR_LOGIN_TIMEOUT_S 30
#define PG_SUPERVISOR_STOP_TIMEOUT_MS 2000

typedef struct {
	gchar *account;
	gchar *protocol;
	PgIpcMessage *login;
} PgSupervisorLogin;

struct _PgSupervisor {
	gchar *worker_path;
	guint users_per_worker;
	guint max_concurrent_logins;
	PgSupervisorCallbacks callbacks;
	gpointer user_data;
	GPtrArray *workers;        /* element-type PgWorker, owned */
	GHashTable *placement;     /* account -> PgWorker (borrowed) */
	GQueue *queue;             /* PgSupervisorLogin, waiting for a slot */
	GHashTable *in_flight;     /* account -> start time (gint64 µs, boxed) */
	guint in_flight_check_id;
	guint next_index;
	GPtrArray *dead;           /* workers to free from an idle */
	guint reap_id;
	gboolean paused;           /* pg_supervisor_set_reading(FALSE) */
	gboolean holding;          /* pg_supervisor_hold_logins(TRUE) */
	gchar *sandbox;            /* the workers' --sandbox, or NULL */
	gchar *dirs_base;          /* where their private dirs go, or NULL */
	gint sandbox_abi;          /* Landlock ABI the workers get, 0: unconfined */
	GHashTable *protocols;     /* protocol id -> PgProtocolInfo, or NULL */
	PgIdent *ident;            /* identd and WEBIRC (borrowed), or NULL */
};

static void pg_supervisor_pump(PgSupervisor *self);

static void
pg_supervisor_login_free(PgSupervisorLogin *login)
{
	g_free(login->account);
	g_free(login->protocol);
	pg_ipc_message_free(login->login);
	g_free(login);
}

static gboolean
pg_supervisor_reap_cb(gpointer user_data)
{
	PgSupervisor *self = user_data;
	self->reap_id = 0;
	g_ptr_array_set_size(self->dead, 0);
	return G_SOURCE_REMOVE;
}

static void
pg_supervisor_worker_event_cb(PgWorker *worker, const PgIpcMessage *msg, gpointer user_data)
{
	PgSupervisor *self = user_data;
	const gchar *account = pg_ipc_message_get_string(msg, "account");

	/* the worker owns @account (pg-worker-policy.c); the claim is still
	 * checked against the others (pg-ident.h) */
	if (msg->kind == PG_IPC_EVT_CONNECTION) {
		if (self->ident != NULL)
			pg_ident_claim(self->ident, account,
				       pg_ipc_message_get_uint32(msg, "local_port", 0),
				       pg_ipc_message_get_uint32(msg, "remote_port", 0));
		return;
	}
	if (msg->kind == PG_IPC_EVT_LOGIN_STATE &&
	    g_strcmp0(pg_ipc_message_get_string(msg, "state"), "disconnected") == 0)
		pg_ident_forget(self->ident, account);
	if (self->callbacks.event != NULL)
		self->callbacks.event(self, msg, self->user_data);
}

/* Remove @dead's private dir and any other that no live worker owns. */
static void
pg_supervisor_sweep_dirs(PgSupervisor *self, PgWorker *dead)
{
	g_autoptr(GHashTable) keep = NULL;

	if (self->dirs_base == NULL)
		return;
	if (pg_worker_get_user_dir(dead) != NULL)
		pg_worker_dirs_remove(pg_worker_get_user_dir(dead));
	keep = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < self->workers->len; i++) {
		PgWorker *worker = g_ptr_array_index(self->workers, i);
		/* every worker in self->workers still runs; a dead one was
		 * moved to self->dead by its own exited callback */
		if (pg_worker_get_user_dir(worker) != NULL)
			g_hash_table_add(keep, (gpointer)pg_worker_get_user_dir(worker));
	}
	pg_worker_dirs_sweep(self->dirs_base, keep);
}

static void
pg_supervisor_worker_exited_cb(PgWorker *worker, const gchar *reason, gpointer user_data)
{
	PgSupervisor *self = user_data;
	g_autoptr(GPtrArray) accounts = pg_worker_get_accounts(worker);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	guint index = 0;

	/* INVARIANT: the worker is freed from an idle, not here: its channel
	 * signal may be on the stack below us */
	for (guint i = 0; i < accounts->len; i++)
		g_ptr_array_add(names, g_strdup(g_ptr_array_index(accounts, i)));
	for (guint i = 0; i < names->len; i++) {
		const gchar *account = g_ptr_array_index(names, i);
		pg_ident_forget(self->ident, account);
		g_hash_table_remove(self->placement, account);
		g_hash_table_remove(self->in_flight, account);
	}
	if (g_ptr_array_find(self->workers, worker, &index))
		g_ptr_array_add(self->dead, g_ptr_array_steal_index_fast(self->workers, index));
	if (self->reap_id == 0)
		self->reap_id = g_idle_add(pg_supervisor_reap_cb, self);
	/* the process is gone (exited comes from its wait): its dir can go */
	pg_supervisor_sweep_dirs(self, worker);
	for (guint i = 0; i < names->len; i++) {
		if (self->callbacks.account_lost != NULL)
			self->callbacks.account_lost(self, g_ptr_array_index(names, i), reason,
						     self->user_data);
	}
	pg_supervisor_pump(self);
}

static const PgWorkerCallbacks pg_supervisor_worker_callbacks = {
    .event = pg_supervisor_worker_event_cb,
    .exited = pg_supervisor_worker_exited_cb,
};

/* The libpurple plugins a worker for @protocol loads, and nothing else
 * (every plugin loaded costs memory in every worker; the numbers are in
 * backends/purple/pg-purple-ui.c): the
 * file the plugin itself said it is in (pg-protocol-probe.h), and TLS
 * (ssl.so + ssl-nss.so).  Without the probe's answers (tests that run a
 * supervisor alone), no --plugin: the worker's default, IRC and TLS.
 * Returns: (transfer full) a NULL-terminated array, or NULL with @error. */
static GPtrArray *
pg_supervisor_plugins_for(PgSupervisor *self, const gchar *protocol, GError **error)
{
	GPtrArray *plugins = g_ptr_array_new_with_free_func(g_free);
	const PgProtocolInfo *info;

	if (g_strcmp0(protocol, "prpl-polygate-sms") == 0) {
		/* our own plugin: beside the worker in a build tree, else installed */
		g_autofree gchar *dir = g_path_get_dirname(self->worker_path);
		g_autofree gchar *built =
		    g_build_filename(dir, "..", "purple-kannel", "libpolygate-sms.so", NULL);
		g_ptr_array_add(plugins, g_file_test(built, G_FILE_TEST_EXISTS)
					     ? g_steal_pointer(&built)
					     : g_strdup("libpolygate-sms.so"));
		g_ptr_array_add(plugins, NULL);
		return plugins;
	}
	if (self->protocols != NULL) {
		info = g_hash_table_lookup(self->protocols, protocol);
		if (info == NULL) {
			g_set_error(error, PG_ERROR, PG_ERROR_SERVICE_UNAVAILABLE,
				    "no installed libpurple plugin provides %s", protocol);
			g_ptr_array_unref(plugins);
			return NULL;
		}
		g_ptr_array_add(plugins, g_strdup(info->file));
		g_ptr_array_add(plugins, g_strdup("ssl.so"));
		g_ptr_array_add(plugins, g_strdup("ssl-nss.so"));
	}
	g_ptr_array_add(plugins, NULL);
	return plugins;
}

void
pg_supervisor_set_ident(PgSupervisor *self, PgIdent *ident)
{
	self->ident = ident;
}

void
pg_supervisor_set_owner(PgSupervisor *self, const gchar *account, const gchar *owner)
{
	if (self->ident != NULL)
		pg_ident_set_owner(self->ident, account, owner);
}

void
pg_supervisor_set_protocols(PgSupervisor *self, GHashTable *protocols)
{
	g_clear_pointer(&self->protocols, g_hash_table_unref);
	if (protocols != NULL)
		self->protocols = g_hash_table_ref(protocols);
}

/* A worker for @protocol with room for one more account, started if need be. */
static PgWorker *
pg_supervisor_place(PgSupervisor *self, const gchar *protocol, GError **error)
{
	PgWorker *worker;
	g_autoptr(GPtrArray) plugins = NULL;
	g_autofree gchar *user_dir = NULL;

	for (guint i = 0; i < self->workers->len; i++) {
		worker = g_ptr_array_index(self->workers, i);
		if (pg_worker_is_alive(worker) &&
		    g_strcmp0(pg_worker_get_protocol(worker), protocol) == 0 &&
		    pg_worker_get_n_accounts(worker) < self->users_per_worker)
			return worker;
	}
	plugins = pg_supervisor_plugins_for(self, protocol, error);
	if (plugins == NULL)
		return NULL;
	if (self->dirs_base != NULL) {
		user_dir = pg_worker_dirs_create(self->dirs_base, self->next_index, error);
		if (user_dir == NULL)
			return NULL;
	}
	worker = pg_worker_spawn(self->worker_path, protocol,
				 plugins->len > 1 ? (const gchar *const *)plugins->pdata : NULL,
				 self->sandbox, user_dir, self->next_index++,
				 &pg_supervisor_worker_callbacks, self, error);
	if (worker == NULL) {
		if (user_dir != NULL)
			pg_worker_dirs_remove(user_dir);
		return NULL;
	}
	if (self->paused)
		pg_worker_set_reading(worker, FALSE);
	g_ptr_array_add(self->workers, worker);
	return worker;
}

static void
pg_supervisor_start_login(PgSupervisor *self, PgSupervisorLogin *login)
{
	g_autoptr(GError) error = NULL;
	PgWorker *worker = g_hash_table_lookup(self->placement, login->account);

	if (worker == NULL) {
		worker = pg_supervisor_place(self, login->protocol, &error);
		if (worker == NULL) {
			g_warning("%s", error->message);
			if (self->callbacks.account_lost != NULL)
				self->callbacks.account_lost(self, login->account,
							     "the gateway could not start a worker",
							     self->user_data);
			return;
		}
		pg_worker_add_account(worker, login->account);
		g_hash_table_insert(self->placement, g_strdup(login->account), worker);
	}
	login->login->id = pg_worker_next_id(worker);
	if (!pg_worker_send(worker, login->login, &error)) {
		g_warning("login of a session failed to reach worker %u: %s",
			  pg_worker_get_index(worker), error->message);
		return;
	}
	g_hash_table_insert(self->in_flight, g_strdup(login->account),
			    g_memdup2(&(gint64){g_get_monotonic_time()}, sizeof(gint64)));
}

static void
pg_supervisor_pump(PgSupervisor *self)
{
	if (self->holding)
		return;
	while (g_hash_table_size(self->in_flight) < self->max_concurrent_logins &&
	       !g_queue_is_empty(self->queue)) {
		PgSupervisorLogin *login = g_queue_pop_head(self->queue);
		pg_supervisor_start_login(self, login);
		pg_supervisor_login_free(login);
	}
}

static gboolean
pg_supervisor_in_flight_check_cb(gpointer user_data)
{
	PgSupervisor *self = user_data;
	GHashTableIter iter;
	gpointer value;
	gint64 now = g_get_monotonic_time();

	g_hash_table_iter_init(&iter, self->in_flight);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		if (now - *(gint64 *)value > PG_SUPERVISOR_LOGIN_TIMEOUT_S * G_USEC_PER_SEC)
			g_hash_table_iter_remove(&iter);
	}
	pg_supervisor_pump(self);
	return G_SOURCE_CONTINUE;
}

PgSupervisor *
pg_supervisor_new(const gchar *worker_path, guint users_per_worker, guint max_concurrent_logins,
		  const PgSupervisorCallbacks *callbacks, gpointer user_data)
{
	PgSupervisor *self = g_new0(PgSupervisor, 1);
	self->worker_path = g_strdup(worker_path);
	self->users_per_worker = MAX(users_per_worker, 1);
	self->max_concurrent_logins = MAX(max_concurrent_logins, 1);
	self->callbacks = *callbacks;
	self->user_data = user_data;
	self->workers = g_ptr_array_new_with_free_func((GDestroyNotify)pg_worker_free);
	self->dead = g_ptr_array_new_with_free_func((GDestroyNotify)pg_worker_free);
	self->placement = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->in_flight = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	self->queue = g_queue_new();
	self->in_flight_check_id = g_timeout_add_seconds(5, pg_supervisor_in_flight_check_cb, self);
	return self;
}

void
pg_supervisor_free(PgSupervisor *self)
{
	gint64 deadline;

	if (self == NULL)
		return;
	g_clear_handle_id(&self->in_flight_check_id, g_source_remove);
	/* no reports and no new logins while we tear down */
	self->callbacks.account_lost = NULL;
	self->callbacks.event = NULL;
	g_queue_clear_full(self->queue, (GDestroyNotify)pg_supervisor_login_free);
	/* a worker blocked on writing to us must get to read its shutdown */
	pg_supervisor_set_reading(self, TRUE);
	/* All workers are told at once and awaited together (each is killed by
	 * its own timer if it does not exit), so shutting down N workers takes
	 * as long as the slowest one, not N times the timeout; their exits come
	 * through the usual callback, which moves them to self->dead. */
	for (guint i = 0; i < self->workers->len; i++)
		pg_worker_shutdown(g_ptr_array_index(self->workers, i), PG_SUPERVISOR_STOP_TIMEOUT_MS);
	deadline = g_get_monotonic_time() + (PG_SUPERVISOR_STOP_TIMEOUT_MS + 1000) * 1000;
	while (self->workers->len > 0 && g_get_monotonic_time() < deadline)
		g_main_context_iteration(NULL, TRUE);
	g_clear_handle_id(&self->reap_id, g_source_remove);
	g_queue_free(self->queue);
	g_hash_table_unref(self->placement);
	g_hash_table_unref(self->in_flight);
	g_ptr_array_unref(self->workers);
	g_ptr_array_unref(self->dead);
	g_free(self->worker_path);
	g_free(self->sandbox);
	g_free(self->dirs_base);
	g_clear_pointer(&self->protocols, g_hash_table_unref);
	g_free(self);
}

void
pg_supervisor_deliver_event(PgSupervisor *self, const PgIpcMessage *msg)
{
	if (self->callbacks.event != NULL)
		self->callbacks.event(self, msg, self->user_data);
}

void
pg_supervisor_hold_logins(PgSupervisor *self, gboolean hold)
{
	self->holding = hold;
	pg_supervisor_pump(self);
}

/* What the worker's sandbox will find (backends/purple/pg-purple-sandbox.c
 * asks the same): the kernel's Landlock ABI version, 0 if none. */
static gint
pg_supervisor_landlock_abi(void)
{
#ifdef SYS_landlock_create_ruleset
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1U /* ..._VERSION */);
	return abi > 0 ? (gint)abi : 0;
#else
	return 0;
#endif
}

gboolean
pg_supervisor_set_worker_sandbox(PgSupervisor *self, const gchar *sandbox, const gchar *dirs_base,
				 GError **error)
{
	guint swept;

	/* before the first worker: see the sweep below */
	g_return_val_if_fail(self->workers->len == 0, FALSE);
	g_free(self->sandbox);
	self->sandbox = g_strdup(sandbox);
	self->sandbox_abi = g_strcmp0(sandbox, "off") == 0 ? 0 : pg_supervisor_landlock_abi();
	if (g_strcmp0(sandbox, "off") == 0) {
		g_warning("workers run without their sandbox (worker_sandbox = off)");
	} else if (self->sandbox_abi == 0 && g_strcmp0(sandbox, "required") == 0) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_SERVICE_UNAVAILABLE,
				    "worker_sandbox = required, but the kernel offers no Landlock "
				    "(Linux 5.13 or later with landlock in its LSM list)");
		return FALSE;
	} else if (self->sandbox_abi == 0) {
		g_warning("the kernel offers no Landlock: workers run unconfined and can read "
			  "whatever this uid can (worker_sandbox = best-effort)");
	} else {
		g_message("workers run in a Landlock sandbox (ABI %d)", self->sandbox_abi);
	}
	g_clear_pointer(&self->dirs_base, g_free);
	if (dirs_base == NULL)
		return TRUE;
	if (!pg_worker_dirs_prepare(dirs_base, error))
		return FALSE;
	self->dirs_base = g_strdup(dirs_base);
	/* at start no worker of ours runs: whatever is there was left by a crash */
	swept = pg_worker_dirs_sweep(self->dirs_base, NULL);
	if (swept > 0)
		g_message("removed %u worker dir(s) left behind in %s", swept, self->dirs_base);
	return TRUE;
}

gboolean
pg_supervisor_login(PgSupervisor *self, const gchar *account, PgIpcMessage *login, GError **error)
{
	PgSupervisorLogin *entry = g_new0(PgSupervisorLogin, 1);
	entry->account = g_strdup(account);
	entry->protocol = g_strdup(pg_ipc_message_get_string(login, "protocol"));
	/* WEBIRC for every IRC login, whoever built it (pg-ident.h) */
	entry->login = pg_ident_attach_login(self->ident, account, login);
	g_queue_push_tail(self->queue, entry);
	pg_supervisor_pump(self);
	return TRUE;
}

void
pg_supervisor_login_done(PgSupervisor *self, const gchar *account)
{
	if (g_hash_table_remove(self->in_flight, account))
		pg_supervisor_pump(self);
}

gboolean
pg_supervisor_send(PgSupervisor *self, const gchar *account, PgIpcMessage *msg, GError **error)
{
	PgWorker *worker = g_hash_table_lookup(self->placement, account);

	if (worker == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_RECIPIENT_UNAVAILABLE,
				    "not connected to the legacy network");
		return FALSE;
	}
	msg->id = pg_worker_next_id(worker);
	return pg_worker_send(worker, msg, error);
}

void
pg_supervisor_logout(PgSupervisor *self, const gchar *account)
{
	PgWorker *worker = g_hash_table_lookup(self->placement, account);
	GList *link;

	/* a login still waiting for a slot is simply dropped */
	for (link = self->queue->head; link != NULL; link = link->next) {
		PgSupervisorLogin *login = link->data;
		if (g_strcmp0(login->account, account) == 0) {
			g_queue_delete_link(self->queue, link);
			pg_supervisor_login_free(login);
			break;
		}
	}
	g_hash_table_remove(self->in_flight, account);
	pg_ident_forget(self->ident, account);
	pg_ident_forget_owner(self->ident, account);
	if (worker == NULL)
		return;
	{
		g_autoptr(PgIpcMessage) logout = pg_ipc_message_new(
		    PG_IPC_CMD_LOGOUT, 0, "account", g_variant_new_string(account), NULL);
		pg_supervisor_send(self, account, logout, NULL);
	}
	pg_worker_remove_account(worker, account);
	g_hash_table_remove(self->placement, account);
	/* an empty worker goes; its exit comes back through the exited
	 * callback like any other, without blocking the main loop meanwhile */
	if (pg_worker_get_n_accounts(worker) == 0)
		pg_worker_shutdown(worker, PG_SUPERVISOR_STOP_TIMEOUT_MS);
	pg_supervisor_pump(self);
}

static gint
pg_supervisor_by_last_frame(gconstpointer a, gconstpointer b)
{
	gint64 left = pg_worker_get_last_frame(*(PgWorker *const *)a);
	gint64 right = pg_worker_get_last_frame(*(PgWorker *const *)b);

	return (left > right) - (left < right);
}

void
pg_supervisor_set_reading(PgSupervisor *self, gboolean reading)
{
	if (self->paused == !reading)
		return;
	self->paused = !reading;
	g_debug("%s reading %u worker(s)", reading ? "resumed" : "paused", self->workers->len);
	if (!reading) {
		for (guint i = 0; i < self->workers->len; i++)
			pg_worker_set_reading(g_ptr_array_index(self->workers, i), FALSE);
		return;
	}
	/* Resume the worker read longest ago first: sources of one priority are
	 * dispatched in the order they were added, and the XMPP server can fill
	 * up again before the last ones are read.  Always the same order would
	 * starve the same workers at every resume. */
	/* borrowed pointers (g_ptr_array_copy() would take the free function) */
	g_autoptr(GPtrArray) order = g_ptr_array_sized_new(self->workers->len);
	for (guint i = 0; i < self->workers->len; i++)
		g_ptr_array_add(order, g_ptr_array_index(self->workers, i));
	g_ptr_array_sort(order, pg_supervisor_by_last_frame);
	for (guint i = 0; i < order->len; i++)
		pg_worker_set_reading(g_ptr_array_index(order, i), TRUE);
}

gboolean
pg_supervisor_is_reading(PgSupervisor *self)
{
	return !self->paused;
}

gint64
pg_supervisor_get_last_frame(PgSupervisor *self, const gchar *account)
{
	PgWorker *worker = g_hash_table_lookup(self->placement, account);

	/* account_lost runs before the dead worker is reaped (from an idle) */
	for (guint i = 0; worker == NULL && i < self->dead->len; i++) {
		PgWorker *dead = g_ptr_array_index(self->dead, i);
		if (pg_worker_has_account(dead, account))
			worker = dead;
	}
	return worker != NULL ? pg_worker_get_last_frame(worker) : 0;
}

gboolean
pg_supervisor_has_account(PgSupervisor *self, const gchar *account)
{
	return g_hash_table_contains(self->placement, account);
}

GPtrArray *
pg_supervisor_describe_workers(PgSupervisor *self)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < self->workers->len; i++) {
		PgWorker *worker = g_ptr_array_index(self->workers, i);
		g_ptr_array_add(lines, g_strdup_printf(
					   "worker %u, pid %s: %u account(s), RSS %" G_GUINT64_FORMAT
					   " KiB",
					   pg_worker_get_index(worker), pg_worker_get_pid(worker),
					   pg_worker_get_n_accounts(worker),
					   pg_worker_get_rss_kib(worker)));
	}
	return lines;
}

gint
pg_supervisor_get_sandbox_abi(PgSupervisor *self)
{
	return self->sandbox_abi;
}

guint
pg_supervisor_get_n_workers(PgSupervisor *self)
{
	return self->workers->len;
}

guint
pg_supervisor_get_n_logins_in_flight(PgSupervisor *self)
{
	return g_hash_table_size(self->in_flight);
}

guint
pg_supervisor_get_n_logins_queued(PgSupervisor *self)
{
	return g_queue_get_length(self->queue);
}

guint64
pg_supervisor_get_total_rss_kib(PgSupervisor *self)
{
	guint64 total = 0;
	for (guint i = 0; i < self->workers->len; i++)
		total += pg_worker_get_rss_kib(g_ptr_array_index(self->workers, i));
	return total;
}
