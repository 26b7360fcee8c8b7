/* One short-lived worker that tells the daemon what the installed plugins
 * declare; see pg-protocol-probe.h. */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include "core/pg-error.h"
#include "ipc/pg-ipc-protocol-info.h"
#include "network/pg-network.h"
#include "session/pg-protocol-probe.h"
#include "session/pg-worker.h"
#include "session/pg-worker-dirs.h"

#define PG_PROTOCOL_PROBE_STOP_MS 2000

typedef struct {
	GHashTable *pending; /* request id (GUINT_TO_POINTER) -> protocol id (borrowed) */
	GHashTable *found;   /* protocol id -> PgProtocolInfo (owned) */
	gchar *exited;       /* why the worker went, or NULL */
	gboolean timed_out;
} PgProtocolProbe;

static void
pg_protocol_probe_event_cb(PgWorker *worker, const PgIpcMessage *msg, gpointer user_data)
{
	PgProtocolProbe *probe = user_data;
	gpointer key = GUINT_TO_POINTER(msg->id);
	const gchar *protocol = g_hash_table_lookup(probe->pending, key);
	g_autoptr(GError) error = NULL;
	PgProtocolInfo *info;

	if (msg->kind == PG_IPC_EVT_ERROR && protocol != NULL) {
		g_message("libpurple plugins: %s", pg_ipc_message_get_string(msg, "text"));
		g_hash_table_remove(probe->pending, key);
		return;
	}
	if (msg->kind != PG_IPC_EVT_PROTOCOL_INFO || protocol == NULL)
		return;
	info = pg_ipc_protocol_info_from_message(msg, &error);
	if (info == NULL) {
		g_warning("the plugin of %s describes itself badly: %s", protocol, error->message);
	} else if (g_strcmp0(info->id, protocol) != 0) {
		g_warning("asked about %s, the probe answered about %s", protocol, info->id);
		pg_protocol_info_free(info);
	} else {
		g_debug("%s is in %s: %u options, %u user splits", info->id, info->file,
			info->options->len, info->splits->len);
		g_hash_table_replace(probe->found, info->id, info);
	}
	g_hash_table_remove(probe->pending, key);
}

static void
pg_protocol_probe_exited_cb(PgWorker *worker, const gchar *reason, gpointer user_data)
{
	PgProtocolProbe *probe = user_data;

	if (probe->exited == NULL)
		probe->exited = g_strdup(reason);
}

static const PgWorkerCallbacks pg_protocol_probe_callbacks = {
    .event = pg_protocol_probe_event_cb,
    .exited = pg_protocol_probe_exited_cb,
};

static gboolean
pg_protocol_probe_timeout_cb(gpointer user_data)
{
	PgProtocolProbe *probe = user_data;
	probe->timed_out = TRUE;
	return G_SOURCE_REMOVE;
}

GHashTable *
pg_protocol_probe_run(const gchar *worker_path, const gchar *sandbox,
		      const gchar *const *protocols, guint timeout_ms, GError **error)
{
	static const gchar *const every_plugin[] = {"*", NULL};
	g_autoptr(GMainContext) context = g_main_context_new();
	g_autoptr(GSource) timeout = NULL;
	g_autoptr(PgWorker) worker = NULL;
	g_autoptr(GHashTable) found = NULL;
	PgProtocolProbe probe = {0};
	gboolean spawned = FALSE;
	g_autofree gchar *user_dir = NULL;
	gboolean ok = TRUE;

	found = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
				      (GDestroyNotify)pg_protocol_info_free);
	if (protocols == NULL || protocols[0] == NULL)
		return g_steal_pointer(&found);
	probe.pending = g_hash_table_new(g_direct_hash, g_direct_equal);
	probe.found = found;
	/* INVARIANT: the worker's channel and its wait attach to the thread's
	 * default context at spawn: ours, so no stanza, timer or other worker
	 * of the daemon runs until the probe is over */
	g_main_context_push_thread_default(context);
	/* the daemon makes and removes the worker's dir, as for any worker: a
	 * sandboxed worker cannot remove an entry of the dir above its own */
	user_dir = g_dir_make_tmp("polygate-probe-XXXXXX", error);
	if (user_dir != NULL)
		worker = pg_worker_spawn(worker_path, "(probe)", every_plugin, sandbox, user_dir,
					 0, &pg_protocol_probe_callbacks, &probe, error);
	spawned = worker != NULL;
	for (guint i = 0; worker != NULL && protocols[i] != NULL; i++) {
		g_autoptr(PgIpcMessage) ask = pg_ipc_message_new(
		    PG_IPC_CMD_PROTOCOL_INFO, pg_worker_next_id(worker), "protocol",
		    g_variant_new_string(protocols[i]), NULL);
		g_hash_table_insert(probe.pending, GUINT_TO_POINTER(ask->id),
				    (gpointer)protocols[i]);
		if (!pg_worker_send(worker, ask, error)) {
			ok = FALSE;
			break;
		}
	}
	if (worker != NULL && ok) {
		timeout = g_timeout_source_new(timeout_ms);
		g_source_set_callback(timeout, pg_protocol_probe_timeout_cb, &probe, NULL);
		g_source_attach(timeout, context);
		while (g_hash_table_size(probe.pending) > 0 && probe.exited == NULL &&
		       !probe.timed_out)
			g_main_context_iteration(context, TRUE);
		g_source_destroy(timeout);
	}
	if (worker != NULL) {
		pg_worker_stop(worker, PG_PROTOCOL_PROBE_STOP_MS);
		/* its exit report, then the cancelled wait once it is freed */
		while (g_main_context_iteration(context, FALSE))
			;
		g_clear_pointer(&worker, pg_worker_free);
		while (g_main_context_iteration(context, FALSE))
			;
	}
	g_main_context_pop_thread_default(context);
	if (user_dir != NULL)
		pg_worker_dirs_remove(user_dir);
	if (!spawned) {
		ok = FALSE; /* @error says why */
	} else if (ok && g_hash_table_size(probe.pending) > 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_REMOTE_SERVER_TIMEOUT,
			    "the worker that reads them %s",
			    probe.exited != NULL ? probe.exited : "did not answer in time");
		ok = FALSE;
	}
	g_hash_table_unref(probe.pending);
	g_free(probe.exited);
	if (!ok) {
		g_prefix_error(error, "cannot read the installed libpurple plugins: ");
		return NULL;
	}
	return g_steal_pointer(&found);
}

GStrv
pg_protocol_probe_configured(const PgConfig *config)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < config->transports->len; i++) {
		const PgTransportConfig *transport = g_ptr_array_index(config->transports, i);
		/* e.g. IRC runs prpl-irc; SMS our own plugin (network/pg-network.h) */
		const gchar *protocol = pg_network_for(transport->type)->probed_protocol(transport);

		if (protocol == NULL || !g_hash_table_add(seen, (gpointer)protocol))
			continue;
		g_strv_builder_add(builder, protocol);
	}
	return g_strv_builder_end(builder);
}

GPtrArray *
pg_protocol_probe_check_config(const PgConfig *config, GHashTable *protocols)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < config->transports->len; i++) {
		const PgTransportConfig *transport = g_ptr_array_index(config->transports, i);
		const gchar *protocol = pg_transport_config_get_purple_protocol(transport);
		g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
		const PgProtocolInfo *info;

		if (protocol == NULL)
			continue;
		info = g_hash_table_lookup(protocols, protocol);
		if (info == NULL) {
			g_ptr_array_add(lines, g_strdup_printf("%s: [transport %s] purple_protocol: "
							       "no installed libpurple plugin "
							       "provides %s",
							       config->path, transport->name,
							       protocol));
			continue;
		}
		pg_config_options_check(transport->option_overrides, info, problems);
		for (guint j = 0; j < problems->len; j++)
			g_ptr_array_add(lines, g_strdup_printf("%s: [transport %s] %s", config->path,
							       transport->name,
							       (const gchar *)problems->pdata[j]));
	}
	return lines;
}
