/* The worker singleton: accounts table, event sink, exit. */
#include "config.h"

#define G_LOG_DOMAIN "pg-purple"

#include <stdlib.h>
#include <string.h>

#include "core/pg-error.h"
#include "pg-purple-worker.h"

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

void
pg_purple_worker_emit(PgIpcMessage *msg)
{
	g_autoptr(PgIpcMessage) owned = msg;
	g_autoptr(GError) error = NULL;
	PgPurpleWorker *worker = pg_purple_worker_get();

	if (worker->channel == NULL || !pg_ipc_channel_is_open(worker->channel))
		return;
	if (!pg_ipc_channel_send(worker->channel, owned, &error)) {
		/* a dead peer is reported by the channel's "closed" */
		if (g_error_matches(error, PG_ERROR, PG_ERROR_IO))
			g_debug("cannot send %s to the daemon: %s",
				pg_ipc_kind_to_string(owned->kind), error->message);
		else
			g_warning("cannot send %s to the daemon: %s", pg_ipc_kind_to_string(owned->kind),
			  error->message);
	}
}

void
pg_purple_worker_emit_error(const gchar *account, guint32 request, const GError *error)
{
	PgErrorCode code = PG_ERROR_UNDEFINED_CONDITION;

	if (error != NULL && error->domain == PG_ERROR)
		code = (PgErrorCode)error->code;
	g_debug("request %u failed: %s", request, error != NULL ? error->message : "?");
	pg_purple_worker_emit(pg_ipc_message_new(
	    PG_IPC_EVT_ERROR, request, "account",
	    account != NULL ? g_variant_new_string(account) : NULL, "request",
	    g_variant_new_uint32(request), "condition",
	    g_variant_new_string(pg_error_to_condition(code)), "text",
	    g_variant_new_string(error != NULL ? error->message : "unknown error"), NULL));
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
