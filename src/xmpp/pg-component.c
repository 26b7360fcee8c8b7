/* XEP-0114 component connection on the GLib main loop.
 *
 * DESIGN
 * libstrophe has its own select() loop; we never run it.  Instead a GSource
 * watches the connection's socket and calls xmpp_run_once(ctx, 0), which
 * writes the send queue, fires timed handlers, does one read() and parses
 * it.  The watch asks for G_IO_OUT while connecting and while anything is
 * queued, so a reply goes out on the next loop iteration, not on a timer.
 * A 1 s timer also runs xmpp_run_once: it fires libstrophe's connect
 * timeout and writes the tail of a partly written stanza, which
 * xmpp_conn_send_queue_len() does not count.  Idle, the daemon sleeps in
 * poll(): no busy loop.
 *
 * libstrophe gives no getter for the socket: the sockopt callback sees it
 * (synchronously inside the connect, before connect(), once per address
 * candidate and again on every reconnect), so the last value it saw is the
 * socket.  We connect to an IP literal or a host name; with a name that
 * resolves to several addresses the last one wins, which is the one
 * libstrophe is still trying when the callback returns.
 *
 * WORKAROUND (libstrophe 0.12.2, still in 0.12.3): in component mode the
 * connection has no stream-management state, and the first received stanza
 * dereferences it (conn.c, _handle_stream_stanza: conn->sm_state->sm_enabled)
 * -> SIGSEGV.  Only xmpp_connect_client() allocates that state.  We borrow
 * one through the public API: a spare connection is pointed at a refused
 * loopback port with xmpp_connect_client() (which allocates the state before
 * it resolves anything), pumped until it is disconnected, and its state is
 * moved to our connection with xmpp_conn_get_sm_state/xmpp_conn_set_sm_state.
 * The state then lives as long as our connection and survives reconnects
 * (libstrophe only resets it).  Chosen over patching a vendored libstrophe
 * so that Debian's package, with its security updates, stays the one we use.
 *
 * BACKPRESSURE: a burst on the legacy side fans out (one IRC line to 100
 * users is 100 stanzas), and the XMPP server may take them slower than the
 * workers produce them; whatever it has not taken waits in libstrophe's
 * send queue, in our heap.  pg_component_send() therefore records every
 * stanza's size in a PgBacklog (pg-backlog.c: libstrophe counts stanzas,
 * not bytes), and when the bytes queued reach PG_COMPONENT_BACKLOG_HIGH the
 * component reports itself congested through callbacks->congested; the
 * owner stops reading the workers (pg-supervisor.c), so the rest of the
 * burst waits in the workers, in kernel socket buffers and in the legacy
 * server, not here.  At PG_COMPONENT_BACKLOG_LOW the component reports
 * relief.  We never stop reading the XMPP socket: replies to a user's own
 * requests keep flowing, only later than the backlog.  The watermarks are
 * constants, 4 MiB and 1 MiB: that bounds the daemon's heap whatever the
 * server's speed, and 1 MiB left when reading resumes is ~0.25 s of a busy
 * Prosody's work (~10,000 stanzas/s of ~400 bytes on loopback), far more
 * than the workers need to refill it, so the server never waits for us.
 * Measured (contrib/bench/README.md, 100 users in one IRC channel): 1 MiB /
 * 256 KiB paused so often that a worker shared by 50 users, blocked on
 * writing to us, was slow to send its own users' lines (a paste reached IRC
 * at 333 lines/s instead of 1006); 4 MiB / 1 MiB gave 578 lines/s and
 * everything else as fast as before or faster, for the same RSS after the
 * burst (16 MiB instead of 179 MiB without back-pressure).
 * Not paused: the HTTP listener (src/http).  A Kannel callback yields an IPC
 * frame to a worker (whose answer is then held back like any event) or, for
 * a user with no session, one stanza; SMS arrive at the SMSC's pace, a few
 * hundred bytes each, so they cannot grow the queue by much, and answering
 * Kannel with an error instead would lose the text (smsbox does not retry
 * a failed get-url unless http-request-retry is set).
 *
 * GIVING MEMORY BACK: even bounded, a backlog leaves freed heap behind that
 * glibc keeps.  When the queue has drained to nothing after peaking at
 * PG_COMPONENT_TRIM_AFTER bytes, malloc_trim(0) returns the free pages to
 * the system (glibc: "release free memory from the heap", including pages
 * inside the heap, by madvise); at most once per PG_COMPONENT_TRIM_INTERVAL_S.
 *
 * SECRETS: libstrophe keeps its own copy of the component secret
 * (xmpp_conn_set_pass strdups it) and frees it without wiping; that copy is
 * outside our control for the connection's lifetime.
 */
#define G_LOG_DOMAIN "pg-xmpp"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#endif
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xmpp/pg-backlog.h"
#include "xmpp/pg-component.h"
#include "stanza/pg-text.h"
#include "stanza/pg-stanza.h"

#define PG_COMPONENT_BACKOFF_MIN_MS 500
#define PG_COMPONENT_BACKOFF_MAX_MS 30000
#define PG_COMPONENT_TRIM_AFTER (256 * 1024)
#define PG_COMPONENT_TRIM_INTERVAL_S 5

struct _PgComponent {
	gchar *jid;
	gchar *host;
	guint16 port;
	PgSecret *secret;
	PgComponentCallbacks callbacks;
	gpointer user_data;

	xmpp_ctx_t *ctx;
	xmpp_conn_t *conn;
	int fd;             /* -1 when no socket */
	int reserved_fd;    /* a low fd held for the next socket, or -1 */
	GSource *io_source; /* watches fd */
	gpointer io_tag;
	GIOCondition io_condition; /* what io_tag watches now */
	guint tick_id;      /* 1 s timer while a socket exists */
	guint reconnect_id; /* pending reconnect */
	guint backoff_ms;
	gboolean connected;
	gboolean stopping;
	gboolean in_run_once;
	guint connect_count;
	PgBacklog *backlog;
};

typedef struct {
	GSource source;
	PgComponent *component;
} PgComponentSource;

static void pg_component_schedule_reconnect(PgComponent *self);
static void pg_component_update_io(PgComponent *self);

static gboolean
pg_component_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	PgComponentSource *component_source = (PgComponentSource *)source;
	PgComponent *self = component_source->component;

	self->in_run_once = TRUE;
	xmpp_run_once(self->ctx, 0);
	/* Until the handshake completes, libstrophe queues its own data (stream
	 * header, handshake) from inside the read it just did, and
	 * xmpp_conn_send_queue_len() counts only user stanzas: write it now. */
	if (!self->connected && self->conn != NULL && !xmpp_conn_is_disconnected(self->conn))
		xmpp_run_once(self->ctx, 0);
	self->in_run_once = FALSE;
	pg_component_update_io(self);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs pg_component_source_funcs = {
    .dispatch = pg_component_source_dispatch,
};

/* Hold the lowest free fd for the next socket (see the sockopt callback). */
static void
pg_component_reserve_fd(PgComponent *self)
{
	if (self->reserved_fd < 0)
		self->reserved_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void
pg_component_drop_io(PgComponent *self)
{
	if (self->io_source != NULL) {
		g_source_destroy(self->io_source);
		g_clear_pointer(&self->io_source, g_source_unref);
		self->io_tag = NULL;
	}
	g_clear_handle_id(&self->tick_id, g_source_remove);
	self->fd = -1;
	pg_component_reserve_fd(self);
}

static gboolean
pg_component_tick_cb(gpointer user_data)
{
	PgComponent *self = user_data;
	xmpp_run_once(self->ctx, 0);
	pg_component_update_io(self);
	return G_SOURCE_CONTINUE;
}

static void
pg_component_backlog_changed(PgComponent *self, PgBacklogChange change)
{
	gboolean congested = change == PG_BACKLOG_CONGESTED;

	if (change == PG_BACKLOG_STEADY)
		return;
	g_debug("%s: send queue %s at %" G_GSIZE_FORMAT " bytes (%u stanzas)", self->jid,
		congested ? "congested" : "relieved", pg_backlog_get_bytes(self->backlog),
		pg_backlog_get_count(self->backlog));
	if (self->callbacks.congested != NULL)
		self->callbacks.congested(self, congested, self->user_data);
}

/* Resident set size in KiB, for the trim's log line; 0 if unknown. */
static guint64
pg_component_rss_kib(void)
{
	g_autofree gchar *statm = NULL;
	g_auto(GStrv) fields = NULL;

	if (!g_file_get_contents("/proc/self/statm", &statm, NULL, NULL))
		return 0;
	fields = g_strsplit(statm, " ", 3);
	if (g_strv_length(fields) < 2)
		return 0;
	return g_ascii_strtoull(fields[1], NULL, 10) * (guint64)sysconf(_SC_PAGESIZE) / 1024;
}

static void
pg_component_maybe_trim(PgComponent *self)
{
	gsize peak = 0;

	if (!pg_backlog_should_trim(self->backlog, g_get_monotonic_time(), &peak))
		return;
#ifdef __GLIBC__
	{
		guint64 before = pg_component_rss_kib();
		gint64 start = g_get_monotonic_time();
		malloc_trim(0);
		g_debug("%s: send queue drained after peaking at %" G_GSIZE_FORMAT
			" bytes; malloc_trim took %" G_GINT64_FORMAT " us, RSS %" G_GUINT64_FORMAT
			" -> %" G_GUINT64_FORMAT " KiB",
			self->jid, peak, g_get_monotonic_time() - start, before,
			pg_component_rss_kib());
	}
#endif
}

/* libstrophe wrote some of the queue, or dropped it with the stream. */
static void
pg_component_sync_backlog(PgComponent *self)
{
	guint queued = 0;

	if (self->conn != NULL && xmpp_conn_is_connected(self->conn))
		queued = (guint)MAX(xmpp_conn_send_queue_len(self->conn), 0);
	pg_component_backlog_changed(self, pg_backlog_sync(self->backlog, queued));
	pg_component_maybe_trim(self);
}

/* Recompute what we wait for on the socket after libstrophe ran.  Called
 * after every xmpp_run_once and after every send. */
static void
pg_component_update_io(PgComponent *self)
{
	GIOCondition condition = G_IO_IN | G_IO_HUP | G_IO_ERR;

	if (self->in_run_once)
		return;
	pg_component_sync_backlog(self);
	if (self->conn == NULL || xmpp_conn_is_disconnected(self->conn)) {
		/* libstrophe closed the socket: the fd number may be reused at once */
		pg_component_drop_io(self);
		return;
	}
	if (self->fd < 0)
		return;
	if (self->io_source == NULL) {
		PgComponentSource *source = (PgComponentSource *)g_source_new(
		    &pg_component_source_funcs, sizeof(PgComponentSource));
		source->component = self;
		self->io_source = (GSource *)source;
		g_source_set_name(self->io_source, "pg-component");
		self->io_tag = g_source_add_unix_fd(self->io_source, self->fd, condition);
		self->io_condition = condition;
		g_source_attach(self->io_source, NULL);
		self->tick_id = g_timeout_add_seconds(1, pg_component_tick_cb, self);
	}
	if (xmpp_conn_is_connecting(self->conn) || xmpp_conn_send_queue_len(self->conn) > 0)
		condition |= G_IO_OUT;
	/* each change wakes the main context (an eventfd write): a burst of
	 * sends would pay one per stanza for a condition already set */
	if (condition != self->io_condition) {
		g_source_modify_unix_fd(self->io_source, self->io_tag, condition);
		self->io_condition = condition;
	}
}

/* libstrophe's sockopt callback gets no user data, and there is no getter
 * for a connection's user data.  It runs synchronously inside
 * xmpp_connect_component(), so the component being connected is known for
 * exactly that call; this pointer is set around it and NULL otherwise.
 * (The daemon runs one main loop thread.) */
static PgComponent *pg_component_connecting = NULL;

static int
pg_component_sockopt_cb(xmpp_conn_t *conn, void *sock)
{
	PgComponent *self = pg_component_connecting;

	if (self == NULL)
		return 0;
	/* xmpp_run_once() uses select(), which cannot watch an fd past
	 * FD_SETSIZE, and a daemon with thousands of worker sockets opens fds
	 * far past it.  So the socket moves onto the low fd this component
	 * reserved while fds were still low (at start, or right after its last
	 * socket closed).  libstrophe passes the address of the variable it
	 * goes on to use (sock.c, sock_connect()), so the new number sticks. */
	if (self->reserved_fd >= 0 && self->reserved_fd < *(int *)sock) {
		if (dup2(*(int *)sock, self->reserved_fd) < 0 ||
		    fcntl(self->reserved_fd, F_SETFD, FD_CLOEXEC) < 0) {
			g_warning("%s: cannot move the socket to a low fd: %s", self->jid,
				  g_strerror(errno));
			return -1;
		}
		close(*(int *)sock);
		*(int *)sock = self->reserved_fd;
		self->reserved_fd = -1;
	}
	self->fd = *(int *)sock;
	if (self->fd >= FD_SETSIZE) {
		g_warning("%s: socket %d is past FD_SETSIZE; refusing it", self->jid, self->fd);
		return -1;
	}
	/* Every stanza is a small write of its own.  With Nagle's algorithm a
	 * write waits while an earlier one is unacknowledged, and the server
	 * acknowledges late (delayed ACK, 40 ms on Linux): a lone reply then
	 * took 40 ms more than it should (the p99 of irc_bench.py's latency). */
	{
		int one = 1;
		if (setsockopt(self->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
			g_warning("%s: cannot set TCP_NODELAY: %s", self->jid, g_strerror(errno));
	}
	return xmpp_sockopt_cb_keepalive(conn, sock);
}

static void
pg_component_conn_cb(xmpp_conn_t *conn, xmpp_conn_event_t status, int error,
		     xmpp_stream_error_t *stream_error, void *userdata)
{
	PgComponent *self = userdata;

	if (status == XMPP_CONN_CONNECT) {
		self->connected = TRUE;
		self->backoff_ms = PG_COMPONENT_BACKOFF_MIN_MS;
		self->connect_count++;
		g_message("%s: connected to %s:%u", self->jid, self->host, self->port);
		if (self->callbacks.state != NULL)
			self->callbacks.state(self, TRUE, self->user_data);
		return;
	}

	/* XMPP_CONN_DISCONNECT or XMPP_CONN_FAIL */
	if (stream_error != NULL && stream_error->type == XMPP_SE_NOT_AUTHORIZED)
		g_warning("%s: the server refused the component handshake: check the secret "
			  "for this transport on both sides",
			  self->jid);
	else if (stream_error != NULL)
		g_warning("%s: stream error %d%s%s", self->jid, stream_error->type,
			  stream_error->text != NULL ? ": " : "",
			  stream_error->text != NULL ? stream_error->text : "");
	else if (!self->stopping)
		g_message("%s: disconnected from %s:%u%s%s", self->jid, self->host, self->port,
			  error != 0 ? ": " : "", error != 0 ? g_strerror(error) : "");
	if (self->connected) {
		self->connected = FALSE;
		if (self->callbacks.state != NULL)
			self->callbacks.state(self, FALSE, self->user_data);
	}
	if (!self->stopping)
		pg_component_schedule_reconnect(self);
}

/* Every stanza from the server; libstrophe handler: return 1 to stay registered. */
static int
pg_component_stanza_cb(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *userdata)
{
	PgComponent *self = userdata;
	if (self->callbacks.stanza != NULL)
		self->callbacks.stanza(self, stanza, self->user_data);
	return 1;
}

static void
pg_component_connect(PgComponent *self)
{
	int rc;

	pg_component_drop_io(self);
	pg_component_connecting = self;
	rc = xmpp_connect_component(self->conn, self->host, self->port, pg_component_conn_cb,
				    self);
	pg_component_connecting = NULL;
	if (rc != XMPP_EOK) {
		g_warning("%s: cannot connect to %s:%u (libstrophe error %d)", self->jid,
			  self->host, self->port, rc);
		pg_component_drop_io(self);
		pg_component_schedule_reconnect(self);
		return;
	}
	pg_component_update_io(self);
}

static gboolean
pg_component_reconnect_cb(gpointer user_data)
{
	PgComponent *self = user_data;
	self->reconnect_id = 0;
	pg_component_connect(self);
	return G_SOURCE_REMOVE;
}

/* Exponential backoff with full jitter in [delay/2, delay], so that N
 * gateways restarted together do not reconnect in lockstep. */
static void
pg_component_schedule_reconnect(PgComponent *self)
{
	guint delay;

	if (self->reconnect_id != 0 || self->stopping)
		return;
	delay = self->backoff_ms / 2 + g_random_int_range(0, (gint32)(self->backoff_ms / 2) + 1);
	self->backoff_ms = MIN(self->backoff_ms * 2, PG_COMPONENT_BACKOFF_MAX_MS);
	g_debug("%s: reconnecting in %u ms", self->jid, delay);
	self->reconnect_id = g_timeout_add(delay, pg_component_reconnect_cb, self);
}

static void
pg_component_spare_conn_cb(xmpp_conn_t *conn, xmpp_conn_event_t status, int error,
			   xmpp_stream_error_t *stream_error, void *userdata)
{
}

/* See WORKAROUND above. */
static xmpp_sm_state_t *
pg_component_borrow_sm_state(xmpp_ctx_t *ctx)
{
	xmpp_conn_t *spare = xmpp_conn_new(ctx);
	xmpp_sm_state_t *state;
	gint64 deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;

	xmpp_conn_set_jid(spare, "polygate@localhost");
	xmpp_conn_set_pass(spare, "unused");
	xmpp_conn_set_flags(spare, XMPP_CONN_FLAG_DISABLE_TLS);
	/* port 9 (discard) on loopback: refused at once, nothing is ever sent */
	if (xmpp_connect_client(spare, "127.0.0.1", 9, pg_component_spare_conn_cb, NULL) ==
	    XMPP_EOK) {
		while (!xmpp_conn_is_disconnected(spare) && g_get_monotonic_time() < deadline)
			xmpp_run_once(ctx, 10);
	}
	state = xmpp_conn_get_sm_state(spare);
	xmpp_conn_release(spare);
	return state;
}

PgComponent *
pg_component_new(const gchar *jid, const PgSecret *secret, const gchar *host, guint16 port,
		 const PgComponentCallbacks *callbacks, gpointer user_data)
{
	PgComponent *self = g_new0(PgComponent, 1);
	xmpp_sm_state_t *state;

	self->jid = g_strdup(jid);
	self->host = g_strdup(host);
	self->port = port;
	self->secret = pg_secret_dup(secret);
	self->callbacks = *callbacks;
	self->user_data = user_data;
	self->fd = -1;
	self->reserved_fd = -1;
	pg_component_reserve_fd(self);
	self->backoff_ms = PG_COMPONENT_BACKOFF_MIN_MS;
	self->backlog = pg_backlog_new(PG_COMPONENT_BACKLOG_HIGH, PG_COMPONENT_BACKLOG_LOW,
				       PG_COMPONENT_TRIM_AFTER,
				       PG_COMPONENT_TRIM_INTERVAL_S * G_USEC_PER_SEC);

	self->ctx = pg_stanza_ctx_new();
	self->conn = xmpp_conn_new(self->ctx);
	state = pg_component_borrow_sm_state(self->ctx);
	if (state == NULL || xmpp_conn_set_sm_state(self->conn, state) != XMPP_EOK)
		g_error("libstrophe: cannot prepare stream state for %s", jid); /* cannot happen */
	xmpp_conn_set_jid(self->conn, jid);
	xmpp_conn_set_pass(self->conn, pg_secret_get_string(self->secret));
	xmpp_conn_set_flags(self->conn, XMPP_CONN_FLAG_DISABLE_TLS | XMPP_CONN_FLAG_DISABLE_SM);
	xmpp_conn_set_sockopt_callback(self->conn, pg_component_sockopt_cb);
	xmpp_handler_add(self->conn, pg_component_stanza_cb, NULL, NULL, NULL, self);
	return self;
}

void
pg_component_start(PgComponent *self)
{
	self->stopping = FALSE;
	pg_component_connect(self);
}

void
pg_component_stop(PgComponent *self, guint timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	self->stopping = TRUE;
	g_clear_handle_id(&self->reconnect_id, g_source_remove);
	if (self->conn == NULL || xmpp_conn_is_disconnected(self->conn)) {
		pg_component_drop_io(self);
		return;
	}
	/* write what is queued, then </stream:stream>, then wait for the close */
	while (xmpp_conn_is_connected(self->conn) && xmpp_conn_send_queue_len(self->conn) > 0 &&
	       g_get_monotonic_time() < deadline)
		xmpp_run_once(self->ctx, 10);
	xmpp_disconnect(self->conn);
	while (!xmpp_conn_is_disconnected(self->conn) && g_get_monotonic_time() < deadline)
		xmpp_run_once(self->ctx, 10);
	pg_component_drop_io(self);
}

void
pg_component_free(PgComponent *self)
{
	if (self == NULL)
		return;
	if (!self->stopping)
		pg_component_stop(self, 0);
	pg_component_drop_io(self);
	g_clear_handle_id(&self->reconnect_id, g_source_remove);
	xmpp_conn_release(self->conn);
	xmpp_ctx_free(self->ctx);
	if (self->reserved_fd >= 0)
		close(self->reserved_fd);
	pg_backlog_free(self->backlog);
	pg_secret_free(self->secret);
	g_free(self->jid);
	g_free(self->host);
	g_free(self);
}

void
pg_component_send(PgComponent *self, xmpp_stanza_t *stanza)
{
	g_autofree gchar *text = NULL;
	size_t len = 0;

	if (!self->connected) {
		g_debug("%s: not connected, dropping a <%s/>", self->jid,
			xmpp_stanza_get_name(stanza));
		return;
	}
	/* what xmpp_send() does, but we learn the size (see BACKPRESSURE) */
	if (xmpp_stanza_to_text(stanza, &text, &len) != XMPP_EOK) {
		g_warning("%s: cannot serialise a <%s/>, dropping it", self->jid,
			  xmpp_stanza_get_name(stanza));
		return;
	}
	/* The last line of the text boundary (pg-text.h): the builders clean
	 * every text, but one character XML forbids that got past them would
	 * end the stream for every user of the transport (RFC 6120
	 * §4.9.3.13 not-well-formed), so the whole stanza is checked once more;
	 * a clean one costs a scan, no copy. */
	if (G_UNLIKELY(!pg_text_is_clean(text, (gssize)len, PG_TEXT_XML))) {
		g_autofree gchar *cleaned = pg_text_sanitize(text, (gssize)len, PG_TEXT_XML, NULL);
		g_warning("%s: a <%s/> held characters XML 1.0 forbids; sent with U+FFFD "
			  "instead (a builder skipped the text boundary)",
			  self->jid, xmpp_stanza_get_name(stanza));
		g_free(text);
		text = g_steal_pointer(&cleaned);
		len = strlen(text);
	}
	xmpp_send_raw(self->conn, text, len);
	pg_component_backlog_changed(self, pg_backlog_push(self->backlog, len));
	pg_component_update_io(self);
}

gboolean
pg_component_is_connected(const PgComponent *self)
{
	return self->connected;
}

gboolean
pg_component_is_congested(const PgComponent *self)
{
	return pg_backlog_is_congested(self->backlog);
}

gsize
pg_component_get_backlog_bytes(const PgComponent *self)
{
	return pg_backlog_get_bytes(self->backlog);
}

const gchar *
pg_component_get_jid(const PgComponent *self)
{
	return self->jid;
}

xmpp_ctx_t *
pg_component_get_ctx(PgComponent *self)
{
	return self->ctx;
}

guint
pg_component_get_connect_count(const PgComponent *self)
{
	return self->connect_count;
}
