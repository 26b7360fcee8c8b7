/* The worker singleton: accounts table, event sink, exit.
 *
 * BACKPRESSURE: when the XMPP server falls behind, the daemon stops reading
 * our socket (src/session/pg-supervisor.c).  Our channel's write queue is
 * bounded (PG_IPC_CHANNEL_QUEUE_MAX): past it a send fails, and an event
 * would be lost.  So once PG_PURPLE_WORKER_QUEUE_HIGH bytes wait, emitting
 * blocks the whole worker in poll() until the daemon has read it down to
 * PG_PURPLE_WORKER_QUEUE_LOW.  Blocked, we read no legacy socket either:
 * the rest of a burst waits in the kernel and in the legacy server (TCP
 * flow control), not in our heap.  Nothing is dropped and nothing aborts.
 * The price: while blocked we answer no legacy keepalive, so a daemon held
 * back for minutes (the server's ping timeout, 2-3 minutes on IRC) gets the
 * accounts disconnected, which the daemon then reports and reconnects like
 * any other drop; and a server that limits its send queue per client can
 * disconnect us sooner.  1 MiB (a few thousand events) rides out the short
 * stalls of a busy XMPP server without ever blocking.
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-purple"

#include <stdlib.h>
#include <string.h>

#include "core/pg-error.h"
#include "pg-purple-text.h"
#include "pg-purple-worker.h"

/* pg_ipc_message_validate() tracks a kind's fields in a 32-bit mask */
#define PG_PURPLE_WORKER_FIELDS_MAX 32

#define PG_PURPLE_WORKER_QUEUE_HIGH (1024 * 1024)
#define PG_PURPLE_WORKER_QUEUE_LOW (256 * 1024)
/* how often a long wait for the daemon is logged */
#define PG_PURPLE_WORKER_WAIT_LOG_MS 30000

static PgPurpleWorker pg_purple_worker = {
    .exit_code = EXIT_SUCCESS,
};

PgPurpleWorker *
pg_purple_worker_get(void)
{
	if (pg_purple_worker.accounts == NULL) {
		/* values are freed by logout / shutdown, keys belong to them */
		pg_purple_worker.accounts = g_hash_table_new(g_str_hash, g_str_equal);
		pg_purple_worker.by_account = g_hash_table_new(g_direct_hash, g_direct_equal);
	}
	return &pg_purple_worker;
}

PgPurpleAccount *
pg_purple_worker_lookup(PurpleAccount *account)
{
	if (account == NULL)
		return NULL;
	return g_hash_table_lookup(pg_purple_worker_get()->by_account, account);
}

/* Block until the daemon has read our queue down to the low watermark (see
 * BACKPRESSURE).  FALSE if the channel broke meanwhile. */
static gboolean
pg_purple_worker_wait_for_daemon(PgPurpleWorker *worker)
{
	guint waited_s = 0;

	while (TRUE) {
		g_autoptr(GError) error = NULL;

		if (pg_ipc_channel_flush_to(worker->channel, PG_PURPLE_WORKER_QUEUE_LOW,
					    PG_PURPLE_WORKER_WAIT_LOG_MS, &error))
			return TRUE;
		if (!g_error_matches(error, PG_ERROR, PG_ERROR_REMOTE_SERVER_TIMEOUT)) {
			g_debug("the daemon's socket broke while we waited: %s", error->message);
			return FALSE;
		}
		waited_s += PG_PURPLE_WORKER_WAIT_LOG_MS / 1000;
		g_message("the daemon has not read our events for %u s (%" G_GSIZE_FORMAT
			  " bytes waiting); still waiting",
			  waited_s, pg_ipc_channel_get_queued_bytes(worker->channel));
	}
}

/* Every line in a channel is one event per account in it, so building
 * events is hot: pg_ipc_message_new() adds each field with
 * g_variant_builder_add(builder, "{sv}", ...), which parses that format
 * string every time: 16-19 % of the worker's CPU at N=100 users in one
 * channel (perf, irc_bench.py).  This builds the same a{sv} from its parts:
 * a room-message built and encoded in 6.9 us instead of 8.8 us.
 * Same contract: NULL values are skipped, a floating value is taken, a
 * full reference stays the caller's.
 * Returns: (transfer full) the message. */
PgIpcMessage *
pg_purple_worker_message_new(PgIpcKind kind, guint32 id, const gchar *first_field, ...)
{
	GVariant *entries[PG_PURPLE_WORKER_FIELDS_MAX];
	gsize n_entries = 0;
	va_list args;

	va_start(args, first_field);
	for (const gchar *name = first_field; name != NULL; name = va_arg(args, const gchar *)) {
		GVariant *value = va_arg(args, GVariant *);

		if (value == NULL)
			continue;
		/* more fields than any kind has: a bug, caught by the tests */
		g_assert(n_entries < G_N_ELEMENTS(entries));
		g_variant_ref_sink(value);
		entries[n_entries++] =
		    g_variant_new_dict_entry(g_variant_new_string(name), g_variant_new_variant(value));
		g_variant_unref(value);
	}
	va_end(args);
	return pg_ipc_message_new_from_fields(
	    kind, id, g_variant_new_array(G_VARIANT_TYPE("{sv}"), entries, n_entries));
}

void
pg_purple_worker_emit(PgIpcMessage *msg)
{
	g_autoptr(PgIpcMessage) owned = msg;
	g_autoptr(GError) error = NULL;
	PgPurpleWorker *worker = pg_purple_worker_get();

	if (worker->channel == NULL || !pg_ipc_channel_is_open(worker->channel))
		return;
	/* full (a frame bigger than the room left): wait for room, not drop */
	if (!pg_ipc_channel_send(worker->channel, owned, &error) &&
	    g_error_matches(error, PG_ERROR, PG_ERROR_RESOURCE_CONSTRAINT) &&
	    pg_purple_worker_wait_for_daemon(worker)) {
		g_clear_error(&error);
		pg_ipc_channel_send(worker->channel, owned, &error);
	}
	if (error != NULL) {
		/* a dead peer is reported by the channel's "closed" */
		if (g_error_matches(error, PG_ERROR, PG_ERROR_IO))
			g_debug("cannot send %s to the daemon: %s",
				pg_ipc_kind_to_string(owned->kind), error->message);
		else
			g_warning("cannot send %s to the daemon: %s",
				  pg_ipc_kind_to_string(owned->kind), error->message);
		return;
	}
	if (pg_ipc_channel_get_queued_bytes(worker->channel) >= PG_PURPLE_WORKER_QUEUE_HIGH)
		pg_purple_worker_wait_for_daemon(worker);
}

void
pg_purple_worker_emit_error(const gchar *account, guint32 request, const GError *error)
{
	PgErrorCode code = PG_ERROR_UNDEFINED_CONDITION;

	if (error != NULL && error->domain == PG_ERROR)
		code = (PgErrorCode)error->code;
	g_debug("request %u failed: %s", request, error != NULL ? error->message : "?");
	pg_purple_worker_emit(pg_purple_worker_message_new(
	    PG_IPC_EVT_ERROR, request, "account",
	    account != NULL ? g_variant_new_string(account) : NULL, "request",
	    g_variant_new_uint32(request), "condition",
	    g_variant_new_string(pg_error_to_condition(code)), "text",
	    pg_purple_text_new(error != NULL ? error->message : "unknown error"), NULL));
}

void
pg_purple_worker_quit(gint exit_code)
{
	PgPurpleWorker *worker = pg_purple_worker_get();

	if (exit_code != EXIT_SUCCESS)
		worker->exit_code = exit_code;
	if (worker->loop != NULL)
		g_main_loop_quit(worker->loop);
}

guint64
pg_purple_worker_rss_kib(void)
{
	g_autofree gchar *status = NULL;
	const gchar *line;

	if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL))
		return 0;
	line = strstr(status, "\nVmRSS:");
	if (line == NULL)
		return 0;
	return g_ascii_strtoull(line + strlen("\nVmRSS:"), NULL, 10);
}
