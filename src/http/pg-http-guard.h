/* PgHttpGuard: the limits of the HTTP listener's connections (issue 8:
 * a hostile client must not hold the daemon's memory or its sockets).
 * Private to src/http/.
 *
 * - At most max_connections are open at once.  A connection past the cap
 *   takes the place of the oldest one that is not in the middle of a
 *   request (idle between requests, or silent for more than a second since
 *   it connected); if there is none, the newcomer gets "503" and is closed.
 * - idle_timeout: a connection that waits longer than this for a byte in
 *   either direction is closed (GSocket's timeout, which libsoup 3.2 has no
 *   property for).
 * - request_timeout: a request whose headers and body have not all arrived
 *   this long after it started (from the connect, for the first one) is
 *   closed: a trickle of one header byte a second never lets the idle
 *   timeout fire.
 * - pg_http_guard_refuse(): answers a request at once WITHOUT reading its
 *   body (libsoup 3.2 reads the body of every request after the early
 *   handlers, whatever status they set): the connection is taken from
 *   libsoup, the answer written, the write side shut down, and whatever the
 *   client still sends is read and dropped for a short while (a bounded
 *   "lingering close", so the client sees the answer instead of a reset).
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct {
	guint max_connections;
	guint idle_timeout_s;
	guint request_timeout_s;
} PgHttpLimits;

typedef struct _PgHttpGuard PgHttpGuard;

/* Watches every connection of @server (borrowed; outlives the guard). */
PgHttpGuard *pg_http_guard_new(SoupServer *server, const PgHttpLimits *limits);
/* Closes the connections it took over (refused requests). */
void pg_http_guard_free(PgHttpGuard *self);

/* Answer @msg with @status (and @allow as its Allow header, if not NULL)
 * now, without reading its body, and close the connection.  For an early
 * handler or a "got-chunk" handler; @msg must not be used afterwards. */
void pg_http_guard_refuse(PgHttpGuard *self, SoupServerMessage *msg, guint status,
			  const gchar *allow);

guint pg_http_guard_get_n_connections(PgHttpGuard *self);
/* For /metrics (counters since start). */
guint64 pg_http_guard_get_evicted_total(PgHttpGuard *self);
guint64 pg_http_guard_get_refused_connections_total(PgHttpGuard *self);
guint64 pg_http_guard_get_timeouts_total(PgHttpGuard *self);
guint64 pg_http_guard_get_refused_requests_total(PgHttpGuard *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgHttpGuard, pg_http_guard_free)

G_END_DECLS
