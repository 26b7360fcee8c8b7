/* PgIdentd: an RFC 1413 identification server for the gateway's own IRC
 * connections (issue 11, item 3); the names come from PgIdent (pg-ident.h).
 *
 * Hostile input is the rule on port 113: every connection is bounded in
 * number (PG_IDENTD_MAX_CLIENTS at once, more are closed at once), in bytes
 * (one query line of at most PG_IDENTD_LINE_MAX) and in time
 * (PG_IDENTD_TIMEOUT_S for the query to arrive and the answer to leave).
 * One query per connection; the answer closes it (RFC 1413 allows either).
 */
#pragma once

#include <glib.h>

#include "session/pg-ident.h"

G_BEGIN_DECLS

#define PG_IDENTD_MAX_CLIENTS 64
#define PG_IDENTD_LINE_MAX    128
#define PG_IDENTD_TIMEOUT_S   10
/* An ircd asks as soon as it accepts a connection, often before the worker
 * has told us the connection's ports: a query about a pair nobody claimed
 * waits this long for a claim, looking every PG_IDENTD_CLAIM_POLL_MS. */
#define PG_IDENTD_CLAIM_WAIT_MS 3000
#define PG_IDENTD_CLAIM_POLL_MS 50

typedef struct _PgIdentd PgIdentd;

/* Listen on @address (an IP literal) port @port; @ident is borrowed and
 * must outlive the server.  Returns: (transfer full) or NULL with @error. */
PgIdentd *pg_identd_new(PgIdent *ident, const gchar *address, guint16 port, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;
void pg_identd_free(PgIdentd *self);

/* RFC 1413 §2: "<port-on-server> , <port-on-client>", spaces allowed
 * around each port, CR LF (or LF) already cut off; @len bytes of @line
 * (not NUL-terminated).  FALSE for anything else, or a port outside
 * 1..65535. */
gboolean pg_identd_parse_query(const gchar *line, gsize len, guint *local_port,
			       guint *remote_port);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgIdentd, pg_identd_free)

G_END_DECLS
