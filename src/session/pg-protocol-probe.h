/* The daemon's one look at the installed libpurple plugins.
 *
 * At start (and for --check-config) the daemon runs one short-lived worker
 * that loads every installed plugin (--plugin=*) and asks it, for each
 * protocol id the config names, what the plugin declares
 * (protocol-info, src/ipc/pg-ipc-message.h).  The answers are the cache:
 * - the file of each protocol's plugin, which every later worker of that
 *   protocol loads (pg-supervisor.c): plugins are found by what they say
 *   their id is, never by guessing a file name from the id
 *   (purple-discord's prpl-eionrobb-discord lives in libdiscord.so);
 * - the options, user splits and password flag that the registration form
 *   of a purple transport is built from (src/network/pg-purple-form.c).
 * Loading every plugin costs that worker some 50 MB for a fraction of a
 * second; it exits before the gateway serves anyone.
 */
#pragma once

#include <glib.h>

#include "core/pg-config.h"
#include "core/pg-protocol-info.h"

G_BEGIN_DECLS

/* Under ASan with every Debian plugin it answers in 0.5-3.5 s on an idle
 * host, and in more than 15 s on a loaded one (two test runs side by side
 * on 2 CPUs); the daemon starts without the answers past this (a plain
 * form, and workers with their default plugins: a degraded gateway, worse
 * than a slower start). */
#define PG_PROTOCOL_PROBE_TIMEOUT_MS 60000

/* Ask a worker (@worker_path, in sandbox mode @sandbox, may be NULL) about
 * each of @protocols, waiting at most @timeout_ms on a private main
 * context (nothing else of the daemon runs meanwhile).
 * Returns: (transfer full) protocol id -> PgProtocolInfo (owned) for every
 * protocol some installed plugin provides; an id no plugin has is absent.
 * NULL with @error if the worker could not be run or did not answer. */
GHashTable *pg_protocol_probe_run(const gchar *worker_path, const gchar *sandbox,
				  const gchar *const *protocols, guint timeout_ms,
				  GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* The protocol ids of @config's purple and IRC transports, each once.
 * Returns: (transfer full) */
GStrv pg_protocol_probe_configured(const PgConfig *config) G_GNUC_WARN_UNUSED_RESULT;

/* What is wrong between @config and the installed plugins @protocols (as
 * pg_protocol_probe_run() found them): a protocol no plugin provides, an
 * option.* key naming no option of it, a value of the wrong type.
 * Returns: (transfer full) one "FILE: [group] key: problem" line each,
 * maybe none. */
GPtrArray *pg_protocol_probe_check_config(const PgConfig *config, GHashTable *protocols)
    G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
