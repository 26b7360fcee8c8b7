/* What a worker may say; see pg-worker-policy.h for the design. */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include "session/pg-worker-policy.h"

#include <string.h>

/* Longest account key quoted in a log line: the key comes from the worker,
 * so it is escaped and cut, never written as it came. */
#define PG_WORKER_POLICY_QUOTE_MAX 80

/* kept in step with pg_supervisor_plugins_for() */
#define PG_WORKER_POLICY_SMS_PROTOCOL "prpl-polygate-sms"

static gchar *
pg_worker_policy_quote(const gchar *text)
{
	g_autofree gchar *escaped = g_strescape(text, NULL);

	/* g_strescape() leaves only ASCII, so bytes are characters here */
	if (strlen(escaped) <= PG_WORKER_POLICY_QUOTE_MAX)
		return g_steal_pointer(&escaped);
	return g_strdup_printf("%.*s...", PG_WORKER_POLICY_QUOTE_MAX, escaped);
}

PgWorkerVerdict
pg_worker_policy_check(const gchar *protocol, GHashTable *held, GHashTable *retired,
		       const PgIpcMessage *msg, gchar **why)
{
	const gchar *kind = pg_ipc_kind_to_string(msg->kind);
	const gchar *account;

	/* the decoder refuses commands from a worker; this keeps it so if a
	 * caller ever hands us a message from elsewhere */
	if (kind == NULL || pg_ipc_kind_get_direction(msg->kind) == PG_IPC_CMD) {
		*why = g_strdup_printf("sent a command (%s), not an event",
				       kind != NULL ? kind : "unknown kind");
		return PG_WORKER_VERDICT_LIE;
	}
	if (msg->kind == PG_IPC_EVT_SMS_SENT &&
	    g_strcmp0(protocol, PG_WORKER_POLICY_SMS_PROTOCOL) != 0) {
		*why = g_strdup_printf("sent %s, which only an SMS worker sends", kind);
		return PG_WORKER_VERDICT_LIE;
	}
	account = pg_ipc_message_get_string(msg, "account");
	if (account == NULL || g_hash_table_contains(held, account))
		return PG_WORKER_VERDICT_ACCEPT;
	if (retired != NULL && g_hash_table_contains(retired, account))
		return PG_WORKER_VERDICT_STALE;
	{
		g_autofree gchar *quoted = pg_worker_policy_quote(account);
		*why = g_strdup_printf("sent %s for account \"%s\", which is not placed on it",
				       kind, quoted);
	}
	return PG_WORKER_VERDICT_LIE;
}
