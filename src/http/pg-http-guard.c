/* PgHttpGuard: connection limits and timeouts of the HTTP listener.
 *
 * DESIGN (pg-http-guard.h says what; this says how, on libsoup 3.2):
 * - SoupServer emits "request-started" for the first request of a
 *   connection as soon as it is accepted (before any byte), and for each
 *   later one at its first byte.  soup_server_message_get_socket() names
 *   the connection, so a PgHttpConn hangs on its GSocket as object data:
 *   it is freed when libsoup lets go of the socket, which is when the
 *   connection stops counting.
 * - The idle timeout is the GSocket timeout: libsoup waits on pollable
 *   sources of the socket, which fire after that long with nothing to do,
 *   and the next read or write then fails with G_IO_ERROR_TIMED_OUT; libsoup
 *   drops the connection.
 * - Closing a connection from outside (the request deadline, an eviction)
 *   is g_socket_shutdown() of both directions: libsoup wakes up to an end
 *   of stream and drops it; the fd is never closed under libsoup's feet.
 * - A refused request is stolen from libsoup (the documented way to take
 *   a connection over) and answered here in a few bytes on a socket that
 *   has nothing queued, so a non-blocking send takes them at once.  The
 *   rest is synchronous too, so freeing the guard never leaves a callback
 *   behind.
 */
#define G_LOG_DOMAIN "PgHttp"

#include "config.h"

#include <string.h>

#include "http/pg-http-guard.h"

#define PG_HTTP_GUARD_CONN_KEY "pg-http-guard-conn"
/* A fresh connection that sent nothing yet is not evicted before this:
 * Kannel's request is usually already on its way. */
#define PG_HTTP_GUARD_GRACE_US (1 * G_USEC_PER_SEC)
/* After a refusal, what the client still sends is read and dropped for at
 * most this long and this much, then the socket is closed. */
#define PG_HTTP_GUARD_LINGER_S 2
#define PG_HTTP_GUARD_LINGER_MAX (1024 * 1024)

typedef enum {
	PG_HTTP_CONN_WAITING, /* a request started (or the connection is new) */
	PG_HTTP_CONN_BUSY,    /* its headers are in: body, handler, answer */
	PG_HTTP_CONN_IDLE,    /* answered; waiting for the next request */
	PG_HTTP_CONN_CLOSING, /* shut down by us (or taken over to refuse) */
} PgHttpConnState;

typedef struct {
	PgHttpGuard *guard; /* NULL once the guard is gone */
	GSocket *socket;    /* borrowed: we are its object data */
	GList *link;        /* in guard->conns */
	PgHttpConnState state;
	gint64 since;       /* monotonic time of the last state change */
	guint deadline_id;  /* request_timeout */
} PgHttpConn;

typedef struct {
	PgHttpGuard *guard;
	GIOStream *stream; /* taken from libsoup */
	GSocket *socket;   /* borrowed from the stream */
	GSource *source;
	guint deadline_id;
	gsize drained;
} PgHttpRefusal;

struct _PgHttpGuard {
	SoupServer *server;
	PgHttpLimits limits;
	gulong request_started_id;
	GQueue conns;    /* PgHttpConn, oldest first */
	guint n_open;    /* of conns, those not closing */
	GQueue refusals; /* PgHttpRefusal */
	guint64 evicted_total;
	guint64 refused_connections_total;
	guint64 timeouts_total;
	guint64 refused_requests_total;
};

/* ---- connections ---- */

static void
pg_http_conn_set_state(PgHttpConn *conn, PgHttpConnState state)
{
	if (conn->state != PG_HTTP_CONN_CLOSING && state == PG_HTTP_CONN_CLOSING &&
	    conn->guard != NULL)
		conn->guard->n_open--;
	conn->state = state;
	conn->since = g_get_monotonic_time();
	if (state != PG_HTTP_CONN_WAITING && state != PG_HTTP_CONN_BUSY)
		g_clear_handle_id(&conn->deadline_id, g_source_remove);
}

static void
pg_http_conn_close(PgHttpConn *conn)
{
	if (conn->state == PG_HTTP_CONN_CLOSING)
		return;
	pg_http_conn_set_state(conn, PG_HTTP_CONN_CLOSING);
	g_socket_shutdown(conn->socket, TRUE, TRUE, NULL);
}

/* The GSocket is finalized: libsoup is done with the connection. */
static void
pg_http_conn_free(gpointer data)
{
	PgHttpConn *conn = data;

	g_clear_handle_id(&conn->deadline_id, g_source_remove);
	if (conn->guard != NULL) {
		if (conn->state != PG_HTTP_CONN_CLOSING)
			conn->guard->n_open--;
		g_queue_delete_link(&conn->guard->conns, conn->link);
	}
	g_free(conn);
}

static gboolean
pg_http_conn_deadline_cb(gpointer user_data)
{
	PgHttpConn *conn = user_data;

	conn->deadline_id = 0;
	if (conn->guard != NULL)
		conn->guard->timeouts_total++;
	g_info("closing an HTTP connection: its request did not arrive within %u s",
	       conn->guard != NULL ? conn->guard->limits.request_timeout_s : 0);
	pg_http_conn_close(conn);
	return G_SOURCE_REMOVE;
}

static PgHttpConn *
pg_http_conn_lookup(SoupServerMessage *msg)
{
	GSocket *socket = soup_server_message_get_socket(msg);
	return socket != NULL ? g_object_get_data(G_OBJECT(socket), PG_HTTP_GUARD_CONN_KEY) : NULL;
}

static void
pg_http_conn_got_headers_cb(SoupServerMessage *msg, gpointer user_data)
{
	PgHttpConn *conn = g_object_get_data(user_data, PG_HTTP_GUARD_CONN_KEY);

	if (conn != NULL && conn->state == PG_HTTP_CONN_WAITING)
		pg_http_conn_set_state(conn, PG_HTTP_CONN_BUSY);
}

static void
pg_http_conn_got_body_cb(SoupServerMessage *msg, gpointer user_data)
{
	PgHttpConn *conn = g_object_get_data(user_data, PG_HTTP_GUARD_CONN_KEY);

	/* the whole request is in: the deadline is met */
	if (conn != NULL && conn->state != PG_HTTP_CONN_CLOSING)
		g_clear_handle_id(&conn->deadline_id, g_source_remove);
}

static void
pg_http_conn_finished_cb(SoupServerMessage *msg, gpointer user_data)
{
	PgHttpConn *conn = g_object_get_data(user_data, PG_HTTP_GUARD_CONN_KEY);

	if (conn != NULL && conn->state != PG_HTTP_CONN_CLOSING)
		pg_http_conn_set_state(conn, PG_HTTP_CONN_IDLE);
}

/* Close the oldest connection that is not in the middle of a request.
 * FALSE if there is none. */
static gboolean
pg_http_guard_evict(PgHttpGuard *self)
{
	gint64 now = g_get_monotonic_time();

	for (GList *l = self->conns.head; l != NULL; l = l->next) {
		PgHttpConn *conn = l->data;
		if (conn->state == PG_HTTP_CONN_IDLE ||
		    (conn->state == PG_HTTP_CONN_WAITING &&
		     now - conn->since >= PG_HTTP_GUARD_GRACE_US)) {
			self->evicted_total++;
			g_info("HTTP listener at its %u connections: closing the oldest idle one",
			       self->limits.max_connections);
			pg_http_conn_close(conn);
			return TRUE;
		}
	}
	return FALSE;
}

/* Send the few bytes of @reply on @socket without blocking; a socket that
 * takes less (a peer that never reads) gets less. */
static void
pg_http_guard_send_now(GSocket *socket, const gchar *reply)
{
	gsize len = strlen(reply);

	while (len > 0) {
		gssize n = g_socket_send_with_blocking(socket, reply, len, FALSE, NULL, NULL);
		if (n <= 0)
			return;
		reply += n;
		len -= (gsize)n;
	}
}

static PgHttpConn *
pg_http_guard_admit(PgHttpGuard *self, GSocket *socket)
{
	PgHttpConn *conn;

	if (self->n_open >= self->limits.max_connections && !pg_http_guard_evict(self)) {
		self->refused_connections_total++;
		g_info("HTTP listener at its %u connections, all busy: refusing one",
		       self->limits.max_connections);
		pg_http_guard_send_now(socket, "HTTP/1.1 503 Service Unavailable\r\n"
					       "Connection: close\r\n"
					       "Content-Length: 0\r\n\r\n");
		g_socket_shutdown(socket, TRUE, TRUE, NULL);
		return NULL;
	}
	conn = g_new0(PgHttpConn, 1);
	conn->guard = self;
	conn->socket = socket;
	conn->state = PG_HTTP_CONN_WAITING;
	conn->since = g_get_monotonic_time();
	g_queue_push_tail(&self->conns, conn);
	conn->link = self->conns.tail;
	self->n_open++;
	g_object_set_data_full(G_OBJECT(socket), PG_HTTP_GUARD_CONN_KEY, conn, pg_http_conn_free);
	g_socket_set_timeout(socket, self->limits.idle_timeout_s);
	return conn;
}

static void
pg_http_guard_request_started_cb(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
	PgHttpGuard *self = user_data;
	GSocket *socket = soup_server_message_get_socket(msg);
	PgHttpConn *conn;

	if (socket == NULL)
		return;
	conn = g_object_get_data(G_OBJECT(socket), PG_HTTP_GUARD_CONN_KEY);
	if (conn == NULL && (conn = pg_http_guard_admit(self, socket)) == NULL)
		return;
	if (conn->state == PG_HTTP_CONN_CLOSING)
		return;
	pg_http_conn_set_state(conn, PG_HTTP_CONN_WAITING);
	g_clear_handle_id(&conn->deadline_id, g_source_remove);
	conn->deadline_id =
	    g_timeout_add_seconds(self->limits.request_timeout_s, pg_http_conn_deadline_cb, conn);
	/* bound to the socket: gone with it */
	g_signal_connect_object(msg, "got-headers", G_CALLBACK(pg_http_conn_got_headers_cb),
				socket, 0);
	g_signal_connect_object(msg, "got-body", G_CALLBACK(pg_http_conn_got_body_cb), socket,
				0);
	g_signal_connect_object(msg, "finished", G_CALLBACK(pg_http_conn_finished_cb), socket,
				0);
}

/* ---- refusals: answer, shut the write side, drain a little, close ---- */

static void
pg_http_refusal_free(PgHttpRefusal *refusal)
{
	if (refusal->source != NULL) {
		g_source_destroy(refusal->source);
		g_source_unref(refusal->source);
	}
	g_clear_handle_id(&refusal->deadline_id, g_source_remove);
	g_io_stream_close(refusal->stream, NULL, NULL);
	g_object_unref(refusal->stream);
	g_free(refusal);
}

static void
pg_http_refusal_finish(PgHttpRefusal *refusal)
{
	g_queue_remove(&refusal->guard->refusals, refusal);
	pg_http_refusal_free(refusal);
}

static gboolean
pg_http_refusal_drain_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
	PgHttpRefusal *refusal = user_data;
	gchar buffer[8192];

	for (;;) {
		g_autoptr(GError) error = NULL;
		gssize n = g_socket_receive_with_blocking(socket, buffer, sizeof buffer, FALSE,
							  NULL, &error);
		if (n < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
			return G_SOURCE_CONTINUE;
		if (n <= 0 || (refusal->drained += (gsize)n) > PG_HTTP_GUARD_LINGER_MAX)
			break;
	}
	/* the source is destroyed with the refusal: do not let GLib unref it twice */
	g_clear_pointer(&refusal->source, g_source_unref);
	pg_http_refusal_finish(refusal);
	return G_SOURCE_REMOVE;
}

static gboolean
pg_http_refusal_deadline_cb(gpointer user_data)
{
	PgHttpRefusal *refusal = user_data;

	refusal->deadline_id = 0;
	pg_http_refusal_finish(refusal);
	return G_SOURCE_REMOVE;
}

void
pg_http_guard_refuse(PgHttpGuard *self, SoupServerMessage *msg, guint status, const gchar *allow)
{
	PgHttpConn *conn = pg_http_conn_lookup(msg);
	const gchar *phrase = soup_status_get_phrase(status);
	g_autofree gchar *reply = NULL;
	PgHttpRefusal *refusal;
	GIOStream *stream;

	self->refused_requests_total++;
	if (conn != NULL)
		pg_http_conn_set_state(conn, PG_HTTP_CONN_CLOSING);
	stream = soup_server_message_steal_connection(msg);
	if (stream == NULL)
		return;
	refusal = g_new0(PgHttpRefusal, 1);
	refusal->guard = self;
	refusal->stream = stream;
	refusal->socket = g_object_get_data(G_OBJECT(stream), "GSocket");
	g_queue_push_tail(&self->refusals, refusal);
	if (refusal->socket == NULL) {
		pg_http_refusal_finish(refusal);
		return;
	}
	reply = g_strdup_printf("HTTP/1.1 %u %s\r\n"
				"Connection: close\r\n"
				"%s%s%s"
				"Content-Type: text/plain; charset=utf-8\r\n"
				"Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n%s\n",
				status, phrase, allow != NULL ? "Allow: " : "",
				allow != NULL ? allow : "", allow != NULL ? "\r\n" : "",
				strlen(phrase) + 1, phrase);
	pg_http_guard_send_now(refusal->socket, reply);
	g_socket_shutdown(refusal->socket, FALSE, TRUE, NULL);
	refusal->source = g_socket_create_source(refusal->socket, G_IO_IN | G_IO_HUP | G_IO_ERR,
						 NULL);
	g_source_set_callback(refusal->source, G_SOURCE_FUNC(pg_http_refusal_drain_cb), refusal,
			      NULL);
	g_source_attach(refusal->source, g_main_context_get_thread_default());
	refusal->deadline_id =
	    g_timeout_add_seconds(PG_HTTP_GUARD_LINGER_S, pg_http_refusal_deadline_cb, refusal);
}

/* ---- lifetime ---- */

PgHttpGuard *
pg_http_guard_new(SoupServer *server, const PgHttpLimits *limits)
{
	PgHttpGuard *self = g_new0(PgHttpGuard, 1);

	self->server = server;
	self->limits = *limits;
	self->limits.max_connections = MAX(self->limits.max_connections, 1);
	self->limits.request_timeout_s = MAX(self->limits.request_timeout_s, 1);
	g_queue_init(&self->conns);
	g_queue_init(&self->refusals);
	self->request_started_id =
	    g_signal_connect(server, "request-started",
			     G_CALLBACK(pg_http_guard_request_started_cb), self);
	return self;
}

void
pg_http_guard_free(PgHttpGuard *self)
{
	if (self == NULL)
		return;
	g_signal_handler_disconnect(self->server, self->request_started_id);
	/* connections still open are libsoup's: they outlive us unwatched */
	for (GList *l = self->conns.head; l != NULL; l = l->next) {
		PgHttpConn *conn = l->data;
		g_clear_handle_id(&conn->deadline_id, g_source_remove);
		conn->guard = NULL;
	}
	g_queue_clear(&self->conns);
	g_queue_clear_full(&self->refusals, (GDestroyNotify)pg_http_refusal_free);
	g_free(self);
}

guint
pg_http_guard_get_n_connections(PgHttpGuard *self)
{
	return self->n_open;
}

guint64
pg_http_guard_get_evicted_total(PgHttpGuard *self)
{
	return self->evicted_total;
}

guint64
pg_http_guard_get_refused_connections_total(PgHttpGuard *self)
{
	return self->refused_connections_total;
}

guint64
pg_http_guard_get_timeouts_total(PgHttpGuard *self)
{
	return self->timeouts_total;
}

guint64
pg_http_guard_get_refused_requests_total(PgHttpGuard *self)
{
	return self->refused_requests_total;
}
