/* Worker process management.
 *
 * DESIGN
 * spawn: socketpair(AF_UNIX, SOCK_STREAM) -> child end is fd 3 of the
 * worker (g_subprocess_launcher_take_fd), parent end becomes a PgIpcChannel.
 * The environment is the daemon's minus libpurple's debug switches, which
 * would print raw protocol traffic, passwords included.
 * life: hello both ways (versions must match), then commands; a ping timer
 * detects a hung worker; g_subprocess_wait_async() learns of its death.
 * hang detection: any frame from the worker is a sign of life, not only a
 * pong (during a burst its pong waits behind thousands of events).  While
 * the supervisor has paused reading (pg_worker_set_reading: the XMPP
 * server is behind), the worker's pong sits unread in the socket, and the
 * worker itself may be blocked writing to us; so paused time does not
 * count as silence: on resume the last sign of life moves forward by the
 * pause's length, and only silence while we were reading can kill it.
 * Unread bytes waiting in the socket count as a sign of life as well: after
 * a resume the XMPP server may fill up again before this worker's turn to
 * be read came (pg_supervisor_set_reading() resumes the longest-unread
 * first, but a busy peer can still take the whole window).
 * death: reported once through callbacks->exited, whatever the cause.
 * trust: every event is judged by pg_worker_policy_check() against the
 * accounts placed here; a worker that lies is killed at once (nothing more
 * it wrote is read) and its users go through the usual exited path.  Accounts taken off the worker stay in a small
 * "retired" set, so that its late events about them are dropped, not taken
 * for lies.
 *
 * INVARIANT: callbacks->exited may free nothing of ours; the owner frees the
 * worker later (from an idle or its own teardown), never from inside the
 * callback, since the channel signal that led there is still on the stack.
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/pg-error.h"
#include "ipc/pg-ipc-channel.h"
#include "session/pg-worker.h"
#include "session/pg-worker-policy.h"

/* accounts remembered after they left a worker (see DESIGN "trust") */
#define PG_WORKER_RETIRED_MAX 256

struct _PgWorker {
	guint index;
	gchar *protocol;
	gchar *user_dir;      /* given at spawn, or NULL */
	gchar *pid;
	GSubprocess *process;
	PgIpcChannel *channel;
	GCancellable *cancellable;
	PgWorkerCallbacks callbacks;
	gpointer user_data;
	GHashTable *accounts; /* account key set */
	GHashTable *retired;  /* account keys taken off it (set, bounded) */
	GQueue *retired_order; /* the same keys, oldest first (borrowed) */
	guint ping_id;
	guint kill_id;        /* pg_worker_shutdown()'s deadline */
	gboolean stopping;
	gint64 last_seen;     /* monotonic µs of the last frame, shifted by pauses */
	gint64 paused_since;  /* monotonic µs, 0 while reading */
	gint64 last_frame;    /* monotonic µs of the last frame read, never shifted */
	gboolean hello_seen;
	gboolean lied;        /* killed for a lie: its frames are dropped unread */
	gboolean alive;
	gchar *death;         /* first reason we saw, for the exit report */
};

static void
pg_worker_report_exit(PgWorker *self, const gchar *reason)
{
	if (!self->alive)
		return;
	self->alive = FALSE;
	g_clear_handle_id(&self->ping_id, g_source_remove);
	g_clear_handle_id(&self->kill_id, g_source_remove);
	if (self->channel != NULL)
		pg_ipc_channel_close(self->channel);
	if (self->stopping)
		g_info("worker %u (pid %s) stopped: %s", self->index, self->pid, reason);
	else
		g_warning("worker %u (pid %s) is gone: %s", self->index, self->pid, reason);
	if (self->callbacks.exited != NULL)
		self->callbacks.exited(self, reason, self->user_data);
}

/* Kill and remember why; the wait callback then reports it. */
static void
pg_worker_kill(PgWorker *self, const gchar *why)
{
	if (self->death == NULL)
		self->death = g_strdup(why);
	if (self->process != NULL)
		g_subprocess_force_exit(self->process);
}

static void
pg_worker_wait_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *reason = NULL;
	PgWorker *self;
	GSubprocess *process = G_SUBPROCESS(source);

	if (!g_subprocess_wait_finish(process, result, &error) &&
	    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* pg_worker_free(): self is gone */
	self = user_data;
	if (self->death != NULL)
		reason = g_strdup(self->death);
	else if (g_subprocess_get_if_signaled(process))
		reason = g_strdup_printf("killed by signal %d (%s)",
					 g_subprocess_get_term_sig(process),
					 g_strsignal(g_subprocess_get_term_sig(process)));
	else
		reason = g_strdup_printf("exited with status %d",
					 g_subprocess_get_exit_status(process));
	pg_worker_report_exit(self, reason);
}

/* TRUE if @msg may go on to the owner; a liar is killed here. */
static gboolean
pg_worker_judge(PgWorker *self, const PgIpcMessage *msg)
{
	g_autofree gchar *why = NULL;

	switch (pg_worker_policy_check(self->protocol, self->accounts, self->retired, msg, &why)) {
	case PG_WORKER_VERDICT_ACCEPT:
		return TRUE;
	case PG_WORKER_VERDICT_STALE:
		g_debug("worker %u: dropped %s for an account it no longer holds", self->index,
			pg_ipc_kind_to_string(msg->kind));
		return FALSE;
	case PG_WORKER_VERDICT_LIE:
	default:
		break;
	}
	g_warning("worker %u (pid %s) %s: killing it", self->index, self->pid, why);
	/* Not one more frame from it: what it wrote after the lie is no
	 * better.  The socket stays open until it is dead (report_exit closes
	 * it): closed now, the worker would start to exit on its own at the
	 * same time as the SIGKILL lands, a race that (under LSan's exit-time
	 * ptrace) left unreaped children behind in the integration tests. */
	self->lied = TRUE;
	pg_ipc_channel_set_reading(self->channel, FALSE);
	pg_worker_kill(self, "killed by the gateway: it sent an event it may not send");
	return FALSE;
}

static void
pg_worker_message_cb(PgIpcChannel *channel, PgIpcMessage *msg, gpointer user_data)
{
	PgWorker *self = user_data;
	g_autoptr(GError) error = NULL;

	if (self->lied)
		return;
	self->last_seen = g_get_monotonic_time();
	self->last_frame = self->last_seen;
	switch (msg->kind) {
	case PG_IPC_HELLO:
		if (pg_ipc_message_get_uint32(msg, "version", 0) != PG_IPC_PROTOCOL_VERSION) {
			pg_worker_kill(self, "speaks another worker protocol version");
			return;
		}
		self->hello_seen = TRUE;
		return;
	case PG_IPC_PING: {
		g_autoptr(PgIpcMessage) pong = pg_ipc_message_new(PG_IPC_PONG, msg->id, NULL);
		if (!pg_ipc_channel_send(channel, pong, &error))
			g_debug("worker %u: cannot answer ping: %s", self->index, error->message);
		return;
	}
	case PG_IPC_PONG:
		return; /* last_seen is set above */
	default:
		break;
	}
	if (!self->hello_seen) {
		pg_worker_kill(self, "sent events before its hello");
		return;
	}
	if (!pg_worker_judge(self, msg))
		return;
	if (self->callbacks.event != NULL)
		self->callbacks.event(self, msg, self->user_data);
}

static void
pg_worker_closed_cb(PgIpcChannel *channel, const GError *error, gpointer user_data)
{
	PgWorker *self = user_data;
	/* the process exit follows; a protocol error means we must make it exit */
	if (error != NULL) {
		g_autofree gchar *why = g_strdup_printf("broke the worker protocol: %s",
							 error->message);
		pg_worker_kill(self, why);
	} else if (self->process != NULL && self->death == NULL) {
		/* EOF without exit yet: give it the ping timeout to exit by itself */
		self->last_seen = MIN(self->last_seen, g_get_monotonic_time() -
							   PG_WORKER_PING_INTERVAL * G_USEC_PER_SEC);
	}
}

static gboolean
pg_worker_ping_cb(gpointer user_data)
{
	PgWorker *self = user_data;
	g_autoptr(PgIpcMessage) ping = NULL;
	gint64 now = g_get_monotonic_time();
	gint64 silent;

	/* Bytes it wrote that we have not read are a sign of life too: the
	 * supervisor resumes its workers one after the other, and the XMPP
	 * server can fill up again before this one's turn comes (see DESIGN). */
	if (pg_ipc_channel_get_unread_bytes(self->channel) > 0)
		self->last_seen = MAX(self->last_seen, now);
	silent = now - self->last_seen;
	/* paused: its answers wait unread, silence proves nothing (see DESIGN) */
	if (self->paused_since == 0 &&
	    silent > (PG_WORKER_PING_INTERVAL + PG_WORKER_PING_TIMEOUT) * G_USEC_PER_SEC) {
		g_autofree gchar *why = g_strdup_printf(
		    "hung (no answer to ping for %" G_GINT64_FORMAT " s)", silent / G_USEC_PER_SEC);
		pg_worker_kill(self, why);
		return G_SOURCE_CONTINUE;
	}
	ping = pg_ipc_message_new(PG_IPC_PING, pg_ipc_channel_next_id(self->channel), NULL);
	pg_ipc_channel_send(self->channel, ping, NULL);
	return G_SOURCE_CONTINUE;
}

PgWorker *
pg_worker_spawn(const gchar *path, const gchar *protocol, const gchar *const *plugins,
		const gchar *sandbox, const gchar *user_dir, guint index,
		const PgWorkerCallbacks *callbacks, gpointer user_data, GError **error)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(PgWorker) self = g_new0(PgWorker, 1);
	g_autoptr(PgIpcMessage) hello = NULL;
	g_autoptr(GError) local_error = NULL;
	int fds[2];

	self->index = index;
	self->protocol = g_strdup(protocol);
	self->user_dir = g_strdup(user_dir);
	self->callbacks = *callbacks;
	self->user_data = user_data;
	self->accounts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->retired = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->retired_order = g_queue_new();
	self->cancellable = g_cancellable_new();
	self->pid = g_strdup("?");

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "socketpair: %s", g_strerror(errno));
		return NULL;
	}
	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
	/* libpurple prints raw protocol traffic, passwords included, with these */
	g_subprocess_launcher_unsetenv(launcher, "PURPLE_UNSAFE_DEBUG");
	g_subprocess_launcher_unsetenv(launcher, "PURPLE_VERBOSE_DEBUG");
	g_subprocess_launcher_unsetenv(launcher, "NSS_SSL_ENABLE_RENEGOTIATION");
	g_subprocess_launcher_take_fd(launcher, fds[1], 3);
	g_ptr_array_add(argv, g_strdup(path));
	g_ptr_array_add(argv, g_strdup("--ipc-fd"));
	g_ptr_array_add(argv, g_strdup("3"));
	for (guint i = 0; plugins != NULL && plugins[i] != NULL; i++)
		g_ptr_array_add(argv, g_strdup_printf("--plugin=%s", plugins[i]));
	if (sandbox != NULL)
		g_ptr_array_add(argv, g_strdup_printf("--sandbox=%s", sandbox));
	if (user_dir != NULL)
		g_ptr_array_add(argv, g_strdup_printf("--user-dir=%s", user_dir));
	g_ptr_array_add(argv, NULL);
	self->process = g_subprocess_launcher_spawnv(
	    launcher, (const gchar *const *)argv->pdata, &local_error);
	if (self->process == NULL) {
		close(fds[0]);
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot start the worker %s: %s", path,
			    local_error->message);
		return NULL;
	}
	g_free(self->pid);
	self->pid = g_strdup(g_subprocess_get_identifier(self->process));
	self->alive = TRUE;
	self->channel = pg_ipc_channel_new(fds[0], PG_IPC_ROLE_DAEMON, error);
	if (self->channel == NULL) {
		g_subprocess_force_exit(self->process);
		return NULL;
	}
	g_signal_connect(self->channel, "message", G_CALLBACK(pg_worker_message_cb), self);
	g_signal_connect(self->channel, "closed", G_CALLBACK(pg_worker_closed_cb), self);
	g_subprocess_wait_async(self->process, self->cancellable, pg_worker_wait_cb, self);

	hello = pg_ipc_message_new(PG_IPC_HELLO, 0, "version",
				   g_variant_new_uint32(PG_IPC_PROTOCOL_VERSION), "program",
				   g_variant_new_string("polygate"), NULL);
	if (!pg_ipc_channel_send(self->channel, hello, error)) {
		g_subprocess_force_exit(self->process);
		return NULL;
	}
	self->last_seen = g_get_monotonic_time();
	self->ping_id = g_timeout_add_seconds(PG_WORKER_PING_INTERVAL, pg_worker_ping_cb, self);
	g_info("worker %u (%s) started, pid %s", index, protocol, self->pid);
	return g_steal_pointer(&self);
}

gboolean
pg_worker_send(PgWorker *self, const PgIpcMessage *msg, GError **error)
{
	if (!self->alive || !pg_ipc_channel_is_open(self->channel)) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_RECIPIENT_UNAVAILABLE,
				    "the worker process is not running");
		return FALSE;
	}
	return pg_ipc_channel_send(self->channel, msg, error);
}

gint64
pg_worker_get_last_frame(const PgWorker *self)
{
	return self->last_frame;
}

void
pg_worker_set_reading(PgWorker *self, gboolean reading)
{
	gint64 now = g_get_monotonic_time();

	if (reading == (self->paused_since == 0))
		return;
	if (reading) {
		self->last_seen += now - self->paused_since;
		self->paused_since = 0;
	} else {
		self->paused_since = now;
	}
	if (self->channel != NULL)
		pg_ipc_channel_set_reading(self->channel, reading);
}

/* Request ids are unique across every worker the daemon runs, not per
 * channel: a session remembers the stanza behind each request id to answer
 * its error (pg-session.c), and a worker started after a crash would count
 * from 1 again, so its errors would answer older stanzas that the dead
 * worker had already delivered, and the failed ones would get nothing. */
guint32
pg_worker_next_id(PgWorker *self)
{
	static guint32 next_id;

	g_return_val_if_fail(self != NULL, 0);
	if (++next_id == 0)
		next_id = 1;
	return next_id;
}

typedef struct {
	GMainLoop *loop;
	gboolean exited;
} PgWorkerStopWait;

static void
pg_worker_stop_wait_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	PgWorkerStopWait *wait = user_data;
	g_subprocess_wait_finish(G_SUBPROCESS(source), result, NULL);
	wait->exited = TRUE;
	g_main_loop_quit(wait->loop);
}

static gboolean
pg_worker_stop_timeout_cb(gpointer user_data)
{
	g_main_loop_quit(user_data);
	return G_SOURCE_REMOVE;
}

void
pg_worker_stop(PgWorker *self, guint timeout_ms)
{
	g_autoptr(PgIpcMessage) shutdown = NULL;
	g_autoptr(GMainContext) context = NULL;
	g_autoptr(GMainLoop) loop = NULL;
	g_autoptr(GSource) timeout = NULL;
	PgWorkerStopWait wait = {0};

	if (self->process == NULL || !self->alive)
		return;
	self->death = self->death != NULL ? self->death : g_strdup("stopped by the gateway");
	shutdown = pg_ipc_message_new(PG_IPC_CMD_SHUTDOWN, pg_worker_next_id(self), NULL);
	if (pg_ipc_channel_send(self->channel, shutdown, NULL))
		pg_ipc_channel_flush(self->channel, (gint)timeout_ms, NULL);
	/* wait on a private context so nothing else runs meanwhile */
	context = g_main_context_new();
	g_main_context_push_thread_default(context);
	loop = g_main_loop_new(context, FALSE);
	wait.loop = loop;
	g_subprocess_wait_async(self->process, NULL, pg_worker_stop_wait_cb, &wait);
	timeout = g_timeout_source_new(timeout_ms);
	g_source_set_callback(timeout, pg_worker_stop_timeout_cb, loop, NULL);
	g_source_attach(timeout, context);
	g_main_loop_run(loop);
	if (!wait.exited) {
		g_warning("worker %u (pid %s) did not stop in %u ms: killing it", self->index,
			  self->pid, timeout_ms);
		g_subprocess_force_exit(self->process);
		while (!wait.exited)
			g_main_context_iteration(context, TRUE);
	}
	g_source_destroy(timeout);
	g_main_context_pop_thread_default(context);
	self->alive = FALSE;
	g_clear_handle_id(&self->ping_id, g_source_remove);
	pg_ipc_channel_close(self->channel);
}

static gboolean
pg_worker_kill_cb(gpointer user_data)
{
	PgWorker *self = user_data;
	self->kill_id = 0;
	g_warning("worker %u (pid %s) did not stop in time: killing it", self->index, self->pid);
	pg_worker_kill(self, "stopped by the gateway (killed: it did not exit)");
	return G_SOURCE_REMOVE;
}

void
pg_worker_shutdown(PgWorker *self, guint timeout_ms)
{
	g_autoptr(PgIpcMessage) shutdown = NULL;

	if (!self->alive || self->stopping)
		return;
	self->stopping = TRUE;
	if (self->death == NULL)
		self->death = g_strdup("stopped by the gateway");
	shutdown = pg_ipc_message_new(PG_IPC_CMD_SHUTDOWN, pg_worker_next_id(self), NULL);
	if (!pg_ipc_channel_send(self->channel, shutdown, NULL))
		g_subprocess_force_exit(self->process);
	self->kill_id = g_timeout_add(timeout_ms, pg_worker_kill_cb, self);
}

void
pg_worker_free(PgWorker *self)
{
	if (self == NULL)
		return;
	g_clear_handle_id(&self->ping_id, g_source_remove);
	g_clear_handle_id(&self->kill_id, g_source_remove);
	if (self->cancellable != NULL)
		g_cancellable_cancel(self->cancellable);
	if (self->alive && self->process != NULL)
		g_subprocess_force_exit(self->process);
	if (self->channel != NULL) {
		g_signal_handlers_disconnect_by_data(self->channel, self);
		pg_ipc_channel_close(self->channel);
		g_object_unref(self->channel);
	}
	g_clear_object(&self->process);
	g_clear_object(&self->cancellable);
	g_hash_table_unref(self->accounts);
	g_queue_free(self->retired_order);
	g_hash_table_unref(self->retired);
	g_free(self->protocol);
	g_free(self->user_dir);
	g_free(self->pid);
	g_free(self->death);
	g_free(self);
}

const gchar *
pg_worker_get_protocol(const PgWorker *self)
{
	return self->protocol;
}

const gchar *
pg_worker_get_user_dir(const PgWorker *self)
{
	return self->user_dir;
}

gboolean
pg_worker_is_alive(const PgWorker *self)
{
	return self->alive && !self->stopping;
}

guint
pg_worker_get_index(const PgWorker *self)
{
	return self->index;
}

const gchar *
pg_worker_get_pid(const PgWorker *self)
{
	return self->pid;
}

guint64
pg_worker_get_rss_kib(const PgWorker *self)
{
	g_autofree gchar *path = g_strdup_printf("/proc/%s/status", self->pid);
	g_autofree gchar *contents = NULL;
	const gchar *line;

	if (!self->alive || !g_file_get_contents(path, &contents, NULL, NULL))
		return 0;
	line = strstr(contents, "VmRSS:");
	return line != NULL ? g_ascii_strtoull(line + strlen("VmRSS:"), NULL, 10) : 0;
}

guint
pg_worker_get_n_accounts(const PgWorker *self)
{
	return g_hash_table_size(self->accounts);
}

static void
pg_worker_unretire(PgWorker *self, const gchar *account)
{
	gchar *key = NULL;

	if (!g_hash_table_lookup_extended(self->retired, account, (gpointer *)&key, NULL))
		return;
	g_queue_remove(self->retired_order, key);
	g_hash_table_remove(self->retired, account);
}

void
pg_worker_add_account(PgWorker *self, const gchar *account)
{
	pg_worker_unretire(self, account);
	g_hash_table_add(self->accounts, g_strdup(account));
}

void
pg_worker_remove_account(PgWorker *self, const gchar *account)
{
	gchar *key;

	if (!g_hash_table_remove(self->accounts, account))
		return;
	key = g_strdup(account);
	g_hash_table_add(self->retired, key);
	g_queue_push_tail(self->retired_order, key);
	if (g_queue_get_length(self->retired_order) > PG_WORKER_RETIRED_MAX)
		g_hash_table_remove(self->retired, g_queue_pop_head(self->retired_order));
}

gboolean
pg_worker_has_account(const PgWorker *self, const gchar *account)
{
	return g_hash_table_contains(self->accounts, account);
}

GPtrArray *
pg_worker_get_accounts(const PgWorker *self)
{
	GPtrArray *accounts = g_ptr_array_new();
	GHashTableIter iter;
	gpointer key;

	g_hash_table_iter_init(&iter, self->accounts);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		g_ptr_array_add(accounts, key);
	return accounts;
}
