/* /metrics of the session layer (Prometheus text format): sessions, links
 * by state, logins, workers, limits (pg-limits.h), the sandbox. */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include "session/pg-limits.h"
#include "session/pg-link.h"
#include "session/pg-session-metrics.h"
#include "session/pg-session-private.h"
#include "session/pg-supervisor.h"

gchar *
pg_session_manager_metrics(PgSessionManager *self)
{
	GString *text = g_string_new(NULL);
	GHashTableIter iter;
	gpointer value;
	guint links[PG_LINK_FAILED + 1] = {0};
	g_autoptr(GPtrArray) workers = pg_supervisor_describe_workers(self->supervisor);

	g_hash_table_iter_init(&iter, self->links);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		links[((PgLink *)value)->state]++;
	g_string_append(text, "# HELP polygate_sessions Sessions (user x transport) in memory.\n"
			      "# TYPE polygate_sessions gauge\n");
	g_string_append_printf(text, "polygate_sessions %u\n", g_hash_table_size(self->sessions));
	g_string_append(text, "# HELP polygate_links Legacy connections by state.\n"
			      "# TYPE polygate_links gauge\n");
	for (guint state = PG_LINK_OFFLINE; state <= PG_LINK_FAILED; state++)
		g_string_append_printf(text, "polygate_links{state=\"%s\"} %u\n",
				       pg_link_state_to_string(state), links[state]);
	g_string_append(text, "# HELP polygate_logins Legacy logins sent to a worker and not "
			      "answered yet (in_flight, at most max_concurrent_logins), and "
			      "logins waiting for a slot (queued).\n"
			      "# TYPE polygate_logins gauge\n");
	g_string_append_printf(text, "polygate_logins{state=\"in_flight\"} %u\n",
			       pg_supervisor_get_n_logins_in_flight(self->supervisor));
	g_string_append_printf(text, "polygate_logins{state=\"queued\"} %u\n",
			       pg_supervisor_get_n_logins_queued(self->supervisor));
	g_string_append(text, "# HELP polygate_workers Worker processes running.\n"
			      "# TYPE polygate_workers gauge\n");
	g_string_append_printf(text, "polygate_workers %u\n", workers->len);
	g_string_append(text, "# HELP polygate_worker_rss_kib_total Resident memory of all "
			      "workers.\n# TYPE polygate_worker_rss_kib_total gauge\n");
	g_string_append_printf(text, "polygate_worker_rss_kib_total %" G_GUINT64_FORMAT "\n",
			       pg_supervisor_get_total_rss_kib(self->supervisor));
	pg_limits_append_metrics(self->limits, text);
	g_string_append(text, "# HELP polygate_worker_sandbox_abi Landlock ABI version of the "
			      "workers' sandbox; 0: they run unconfined.\n"
			      "# TYPE polygate_worker_sandbox_abi gauge\n");
	g_string_append_printf(text, "polygate_worker_sandbox_abi %d\n",
			       pg_supervisor_get_sandbox_abi(self->supervisor));
	return g_string_free(text, FALSE);
}
