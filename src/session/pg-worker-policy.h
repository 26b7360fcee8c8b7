/* What a worker may say: the daemon's check of every event a worker sends.
 *
 * Trust boundary: a worker runs a libpurple protocol plugin
 * that talks to a legacy network, so it can be exploited; the daemon treats
 * it as an untrusted peer.  The IPC decoder (src/ipc/pg-ipc-message.c)
 * already rejects a frame that is not a well-formed worker event; this
 * judges the well-formed ones against what the daemon placed on the worker:
 * - an event naming an account ("account" field) must name one the daemon
 *   placed on this worker, since routing goes by that field and a worker
 *   could otherwise speak in another user's name;
 * - an event that only one kind of worker produces (sms-sent: the SMS
 *   plugin's answer from Kannel) must come from that kind of worker.
 * A lie gets the worker killed (pg-worker.c).  An event for an account the
 * daemon took off the worker a moment ago is not a lie but a race (the
 * worker wrote it before it read the logout): it is dropped.
 */
#pragma once

#include <glib.h>

#include "ipc/pg-ipc-message.h"

G_BEGIN_DECLS

typedef enum {
	PG_WORKER_VERDICT_ACCEPT, /* pass it on */
	PG_WORKER_VERDICT_STALE,  /* about an account taken off the worker: drop it */
	PG_WORKER_VERDICT_LIE,    /* the worker may not send this: kill it */
} PgWorkerVerdict;

/* Judge @msg from a worker for @protocol that holds the accounts in @held
 * (a set of account keys) and recently held those in @retired (a set, may
 * be NULL).  For a LIE, @why says what was wrong, for the log; it never
 * quotes a field that could hold a secret (only the kind and the account
 * key, escaped).  Returns the verdict. */
PgWorkerVerdict pg_worker_policy_check(const gchar *protocol, GHashTable *held,
				       GHashTable *retired, const PgIpcMessage *msg,
				       gchar **why);

G_END_DECLS
