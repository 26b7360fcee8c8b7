/* PgIpcChannel: framed messages over one end of a socketpair.
 *
 * DESIGN: the fd is non-blocking and watched by a GUnixFDSource on the
 * creator's main context; nothing here ever blocks the loop (except
 * pg_ipc_channel_flush(), which a caller asks for).
 * - Reading: up to PG_IPC_CHANNEL_READ_ROUNDS recv() calls per wake-up (so
 *   one chatty peer cannot starve the rest of the loop), each appended to one
 *   reassembly buffer; every complete frame is decoded and emitted in order;
 *   a partial frame waits for more bytes.  The buffer grows only to hold the
 *   frame announced by the current header, at most PG_IPC_FRAME_MAX, and it
 *   is wiped whenever bytes leave it (they may hold a password).
 * - Writing: frames are encoded into wiped GBytes and queued; send() writes
 *   what the socket takes at once (sendmsg with up to 64 frames per call),
 *   a G_IO_OUT source writes the rest.  The queue is bounded
 *   (back-pressure): past queue_max, send() fails and the caller decides.
 * - Any protocol error (length over the limit, bytes that do not decode, a
 *   truncated last frame) closes the fd and emits "closed" with the error:
 *   the peer is dropped, never trusted again.  A write error does not emit
 *   "closed" from inside send() (callers would be re-entered); the read side
 *   sees the same dead socket and reports it from the loop.
 * - Pausing (pg_ipc_channel_set_reading): the read source is destroyed, so
 *   the peer's frames wait in the kernel's socket buffer and then in the
 *   peer (back-pressure the other way: the daemon stops reading workers
 *   while the XMPP server is behind).  A pause asked for by a "message"
 *   handler takes effect at once: the frames already read stay in the
 *   reassembly buffer, unparsed, and on resume the new source is made ready
 *   at once (g_source_set_ready_time) so they are emitted before any new
 *   read, in order.  While paused nothing reports a dead peer; the owner
 *   learns of a dead process by other means (the daemon: the child's exit).
 * - Re-entrancy: a "message" handler may send, close, pause or drop its
 *   last reference to the channel; the dispatcher holds a reference and
 *   re-checks the fd and the pause after every emission.
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-ipc"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/pg-error.h"
#include "ipc/pg-ipc-channel.h"

#define PG_IPC_CHANNEL_READ_CHUNK (64 * 1024)
#define PG_IPC_CHANNEL_READ_ROUNDS 16
#define PG_IPC_CHANNEL_IOV_MAX 64

struct _PgIpcChannel {
	GObject parent_instance;
	gint fd;
	PgIpcRole role;
	GMainContext *context;
	GSource *in_source;
	GSource *out_source;
	/* reassembly buffer: rlen valid bytes of rcap */
	guint8 *rbuf;
	gsize rlen;
	gsize rcap;
	/* write queue of GBytes frames; head_offset bytes of the head are sent */
	GQueue wqueue;
	gsize head_offset;
	gsize queued;
	gsize queue_max;
	gboolean write_failed;
	gboolean paused; /* pg_ipc_channel_set_reading(FALSE): no in_source */
	guint32 next_id;
};

enum { SIGNAL_MESSAGE, SIGNAL_CLOSED, SIGNAL_LAST };
static guint pg_ipc_channel_signals[SIGNAL_LAST];

G_DEFINE_TYPE(PgIpcChannel, pg_ipc_channel, G_TYPE_OBJECT)

static void
pg_ipc_channel_free_buffers(PgIpcChannel *self)
{
	if (self->rbuf != NULL) {
		explicit_bzero(self->rbuf, self->rcap);
		g_clear_pointer(&self->rbuf, g_free);
	}
	self->rlen = 0;
	self->rcap = 0;
	g_queue_clear_full(&self->wqueue, (GDestroyNotify)g_bytes_unref);
	self->head_offset = 0;
	self->queued = 0;
}

static void
pg_ipc_channel_drop_source(GSource **source)
{
	if (*source == NULL)
		return;
	g_source_destroy(*source);
	g_clear_pointer(source, g_source_unref);
}

void
pg_ipc_channel_close(PgIpcChannel *self)
{
	g_return_if_fail(PG_IPC_IS_CHANNEL(self));

	pg_ipc_channel_drop_source(&self->in_source);
	pg_ipc_channel_drop_source(&self->out_source);
	if (self->fd >= 0) {
		close(self->fd);
		self->fd = -1;
	}
	pg_ipc_channel_free_buffers(self);
}

/* Close, then tell the owner why (NULL: clean end of stream). */
static void
pg_ipc_channel_fail(PgIpcChannel *self, GError *error)
{
	g_autoptr(GError) owned = error;

	if (self->fd < 0)
		return;
	pg_ipc_channel_close(self);
	g_signal_emit(self, pg_ipc_channel_signals[SIGNAL_CLOSED], 0, owned);
}

static guint32
pg_ipc_channel_read_be32(const guint8 *p)
{
	return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

/* Grow to at least @need bytes, wiping the old storage. */
static void
pg_ipc_channel_reserve(PgIpcChannel *self, gsize need)
{
	guint8 *bigger;
	gsize cap;

	if (self->rcap >= need)
		return;
	cap = MAX(need, MAX(self->rcap * 2, (gsize)PG_IPC_CHANNEL_READ_CHUNK));
	cap = MIN(cap, (gsize)(PG_IPC_FRAME_HEADER_SIZE + PG_IPC_FRAME_MAX + PG_IPC_CHANNEL_READ_CHUNK));
	cap = MAX(cap, need);
	bigger = g_malloc(cap);
	if (self->rbuf != NULL) {
		memcpy(bigger, self->rbuf, self->rlen);
		explicit_bzero(self->rbuf, self->rcap);
		g_free(self->rbuf);
	}
	self->rbuf = bigger;
	self->rcap = cap;
}

/* Decode and emit every complete frame.  FALSE when the channel closed. */
static gboolean
pg_ipc_channel_parse(PgIpcChannel *self)
{
	gsize pos = 0;

	while (self->rlen - pos >= PG_IPC_FRAME_HEADER_SIZE) {
		g_autoptr(PgIpcMessage) msg = NULL;
		g_autoptr(GError) error = NULL;
		guint32 flen = pg_ipc_channel_read_be32(self->rbuf + pos);

		if (flen > PG_IPC_FRAME_MAX) {
			pg_ipc_channel_fail(self, g_error_new(PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
							      "peer sent a frame of %u bytes, over "
							      "the %u byte limit",
							      flen, (guint)PG_IPC_FRAME_MAX));
			return FALSE;
		}
		if (self->rlen - pos - PG_IPC_FRAME_HEADER_SIZE < flen)
			break;
		msg = pg_ipc_message_decode(self->rbuf + pos + PG_IPC_FRAME_HEADER_SIZE, flen,
					    self->role, &error);
		pos += PG_IPC_FRAME_HEADER_SIZE + flen;
		if (msg == NULL) {
			g_prefix_error(&error, "invalid frame from peer: ");
			pg_ipc_channel_fail(self, g_steal_pointer(&error));
			return FALSE;
		}
		g_signal_emit(self, pg_ipc_channel_signals[SIGNAL_MESSAGE], 0, msg);
		/* the handler may have closed us, which freed rbuf */
		if (self->fd < 0)
			return FALSE;
		/* or paused us: the rest waits in rbuf for the resume */
		if (self->paused)
			break;
	}
	if (pos > 0) {
		gsize rest = self->rlen - pos;
		memmove(self->rbuf, self->rbuf + pos, rest);
		explicit_bzero(self->rbuf + rest, pos);
		self->rlen = rest;
	}
	/* make room for the whole frame the next header announces, if it may
	 * be that long: the loop above did not look at it when a handler
	 * paused us, and a length over the limit fails the channel when it is
	 * parsed (on resume), never allocating it (fuzz-ipc-channel.c found a
	 * worker could make us allocate and wipe up to 4 GiB here) */
	if (self->rlen >= PG_IPC_FRAME_HEADER_SIZE) {
		guint32 flen = pg_ipc_channel_read_be32(self->rbuf);
		if (flen <= PG_IPC_FRAME_MAX)
			pg_ipc_channel_reserve(self, PG_IPC_FRAME_HEADER_SIZE + (gsize)flen);
	}
	return TRUE;
}

static gboolean
pg_ipc_channel_read_cb(gint fd, GIOCondition condition, gpointer user_data)
{
	g_autoptr(PgIpcChannel) self = g_object_ref(PG_IPC_CHANNEL(user_data));

	/* frames read before a pause come first (a resume made us ready) */
	if (self->in_source != NULL)
		g_source_set_ready_time(self->in_source, -1);
	if (self->rlen > 0 && !pg_ipc_channel_parse(self))
		return G_SOURCE_REMOVE;

	for (guint round = 0; round < PG_IPC_CHANNEL_READ_ROUNDS; round++) {
		gssize n;
		gsize space;

		/* paused by a handler: this source is already destroyed */
		if (self->paused)
			return G_SOURCE_REMOVE;

		if (self->rcap - self->rlen < PG_IPC_CHANNEL_READ_CHUNK / 4)
			pg_ipc_channel_reserve(self, self->rlen + PG_IPC_CHANNEL_READ_CHUNK);
		space = self->rcap - self->rlen;
		n = recv(self->fd, self->rbuf + self->rlen, space, MSG_DONTWAIT);
		if (n < 0) {
			gint saved = errno;
			if (saved == EINTR)
				continue;
			if (saved == EAGAIN || saved == EWOULDBLOCK)
				break;
			/* a socketpair reports ECONNRESET, not EOF, when the peer
			 * closed its end with data of ours still unread: that is
			 * the peer hanging up all the same */
			if (saved != ECONNRESET) {
				pg_ipc_channel_fail(self,
						    g_error_new(PG_ERROR, PG_ERROR_IO,
								"cannot read from peer: %s",
								g_strerror(saved)));
				return G_SOURCE_REMOVE;
			}
			n = 0;
		}
		if (n == 0) {
			if (self->rlen > 0) {
				pg_ipc_channel_fail(
				    self, g_error_new(PG_ERROR, PG_ERROR_BAD_REQUEST,
						      "peer closed the stream in the middle of a "
						      "frame (%" G_GSIZE_FORMAT " bytes pending)",
						      self->rlen));
			} else {
				pg_ipc_channel_fail(self, NULL);
			}
			return G_SOURCE_REMOVE;
		}
		self->rlen += (gsize)n;
		if (!pg_ipc_channel_parse(self))
			return G_SOURCE_REMOVE;
		if ((gsize)n < space)
			break;
	}
	return self->fd >= 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* Write what the socket takes.  FALSE with @error on a write error. */
static gboolean
pg_ipc_channel_write_some(PgIpcChannel *self, GError **error)
{
	while (!g_queue_is_empty(&self->wqueue)) {
		struct iovec iov[PG_IPC_CHANNEL_IOV_MAX];
		struct msghdr hdr = {0};
		guint n_iov = 0;
		gssize n;
		gsize done;

		for (GList *l = self->wqueue.head; l != NULL && n_iov < PG_IPC_CHANNEL_IOV_MAX;
		     l = l->next) {
			gsize size = 0;
			const guint8 *data = g_bytes_get_data(l->data, &size);
			gsize skip = n_iov == 0 ? self->head_offset : 0;
			iov[n_iov].iov_base = (void *)(data + skip);
			iov[n_iov].iov_len = size - skip;
			n_iov++;
		}
		hdr.msg_iov = iov;
		hdr.msg_iovlen = n_iov;
		n = sendmsg(self->fd, &hdr, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			gint saved = errno;
			if (saved == EINTR)
				continue;
			if (saved == EAGAIN || saved == EWOULDBLOCK)
				return TRUE;
			if (saved == EPIPE || saved == ECONNRESET)
				g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
						    "the peer closed the connection");
			else
				g_set_error(error, PG_ERROR, PG_ERROR_IO,
					    "cannot write to peer: %s", g_strerror(saved));
			return FALSE;
		}
		done = (gsize)n;
		self->queued -= done;
		while (done > 0) {
			GBytes *head = g_queue_peek_head(&self->wqueue);
			gsize left = g_bytes_get_size(head) - self->head_offset;
			if (done < left) {
				self->head_offset += done;
				break;
			}
			done -= left;
			self->head_offset = 0;
			g_bytes_unref(g_queue_pop_head(&self->wqueue));
		}
	}
	return TRUE;
}

static gboolean
pg_ipc_channel_write_cb(gint fd, GIOCondition condition, gpointer user_data)
{
	PgIpcChannel *self = PG_IPC_CHANNEL(user_data);
	g_autoptr(GError) error = NULL;

	if (!pg_ipc_channel_write_some(self, &error)) {
		g_clear_pointer(&self->out_source, g_source_unref);
		/* the peer hung up: what we still had for it has no reader left */
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
			g_clear_error(&error);
		pg_ipc_channel_fail(self, g_steal_pointer(&error));
		return G_SOURCE_REMOVE;
	}
	if (g_queue_is_empty(&self->wqueue)) {
		g_clear_pointer(&self->out_source, g_source_unref);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static GSource *
pg_ipc_channel_add_source(PgIpcChannel *self, GIOCondition condition, GUnixFDSourceFunc func)
{
	GSource *source = g_unix_fd_source_new(self->fd, condition);
	g_source_set_callback(source, G_SOURCE_FUNC(func), self, NULL);
	g_source_set_name(source, "pg-ipc-channel");
	g_source_attach(source, self->context);
	return source;
}

gboolean
pg_ipc_channel_send(PgIpcChannel *self, const PgIpcMessage *msg, GError **error)
{
	g_autoptr(GBytes) frame = NULL;
	gsize size;

	g_return_val_if_fail(PG_IPC_IS_CHANNEL(self), FALSE);
	g_return_val_if_fail(msg != NULL, FALSE);

	if (self->fd < 0 || self->write_failed) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_IO, "channel is closed");
		return FALSE;
	}
	frame = pg_ipc_message_encode(msg, error);
	if (frame == NULL)
		return FALSE;
	size = g_bytes_get_size(frame);
	if (self->queued + size > self->queue_max) {
		g_set_error(error, PG_ERROR, PG_ERROR_RESOURCE_CONSTRAINT,
			    "write queue full (%" G_GSIZE_FORMAT " bytes pending)", self->queued);
		return FALSE;
	}
	g_queue_push_tail(&self->wqueue, g_steal_pointer(&frame));
	self->queued += size;
	if (self->out_source != NULL)
		return TRUE;
	if (!pg_ipc_channel_write_some(self, error)) {
		/* the read side reports the dead peer from the loop */
		self->write_failed = TRUE;
		g_queue_clear_full(&self->wqueue, (GDestroyNotify)g_bytes_unref);
		self->head_offset = 0;
		self->queued = 0;
		return FALSE;
	}
	if (!g_queue_is_empty(&self->wqueue))
		self->out_source = pg_ipc_channel_add_source(self, G_IO_OUT, pg_ipc_channel_write_cb);
	return TRUE;
}

gboolean
pg_ipc_channel_flush(PgIpcChannel *self, gint timeout_ms, GError **error)
{
	return pg_ipc_channel_flush_to(self, 0, timeout_ms, error);
}

gboolean
pg_ipc_channel_flush_to(PgIpcChannel *self, gsize max_queued, gint timeout_ms, GError **error)
{
	gint64 deadline = timeout_ms < 0 ? -1 : g_get_monotonic_time() + timeout_ms * 1000;

	g_return_val_if_fail(PG_IPC_IS_CHANNEL(self), FALSE);

	while (self->fd >= 0 && self->queued > max_queued) {
		struct pollfd pfd = {.fd = self->fd, .events = POLLOUT};
		gint wait = -1;

		if (!pg_ipc_channel_write_some(self, error))
			return FALSE;
		if (self->queued <= max_queued)
			break;
		if (deadline >= 0) {
			gint64 left = deadline - g_get_monotonic_time();
			if (left <= 0) {
				g_set_error(error, PG_ERROR, PG_ERROR_REMOTE_SERVER_TIMEOUT,
					    "peer did not read %" G_GSIZE_FORMAT
					    " queued bytes in time",
					    self->queued);
				return FALSE;
			}
			wait = (gint)((left + 999) / 1000);
		}
		if (poll(&pfd, 1, wait) < 0 && errno != EINTR) {
			g_set_error(error, PG_ERROR, PG_ERROR_IO, "poll: %s", g_strerror(errno));
			return FALSE;
		}
	}
	if (g_queue_is_empty(&self->wqueue))
		pg_ipc_channel_drop_source(&self->out_source);
	if (self->fd < 0) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_IO, "channel is closed");
		return FALSE;
	}
	return TRUE;
}

void
pg_ipc_channel_set_reading(PgIpcChannel *self, gboolean reading)
{
	g_return_if_fail(PG_IPC_IS_CHANNEL(self));

	if (self->paused == !reading)
		return;
	self->paused = !reading;
	if (self->fd < 0)
		return;
	if (!reading) {
		pg_ipc_channel_drop_source(&self->in_source);
		return;
	}
	self->in_source =
	    pg_ipc_channel_add_source(self, G_IO_IN | G_IO_HUP | G_IO_ERR, pg_ipc_channel_read_cb);
	if (self->rlen > 0)
		g_source_set_ready_time(self->in_source, 0);
}

gboolean
pg_ipc_channel_is_reading(PgIpcChannel *self)
{
	g_return_val_if_fail(PG_IPC_IS_CHANNEL(self), FALSE);
	return !self->paused;
}

gboolean
pg_ipc_channel_is_open(PgIpcChannel *self)
{
	g_return_val_if_fail(PG_IPC_IS_CHANNEL(self), FALSE);
	return self->fd >= 0;
}

PgIpcRole
pg_ipc_channel_get_role(PgIpcChannel *self)
{
	g_return_val_if_fail(PG_IPC_IS_CHANNEL(self), PG_IPC_ROLE_DAEMON);
	return self->role;
}

gsize
pg_ipc_channel_get_queued_bytes(PgIpcChannel *self)
{
	g_return_val_if_fail(PG_IPC_IS_CHANNEL(self), 0);
	return self->queued;
}

gsize
pg_ipc_channel_get_unread_bytes(PgIpcChannel *self)
{
	int waiting = 0;

	g_return_val_if_fail(PG_IPC_IS_CHANNEL(self), 0);
	if (self->fd < 0)
		return 0;
	/* unix(7): FIONREAD on a stream socket gives the bytes queued to read */
	if (ioctl(self->fd, FIONREAD, &waiting) != 0 || waiting < 0)
		waiting = 0;
	return self->rlen + (gsize)waiting;
}

void
pg_ipc_channel_set_queue_max(PgIpcChannel *self, gsize bytes)
{
	g_return_if_fail(PG_IPC_IS_CHANNEL(self));
	self->queue_max = bytes;
}

guint32
pg_ipc_channel_next_id(PgIpcChannel *self)
{
	g_return_val_if_fail(PG_IPC_IS_CHANNEL(self), 0);
	if (++self->next_id == 0)
		self->next_id = 1;
	return self->next_id;
}

PgIpcChannel *
pg_ipc_channel_new(gint fd, PgIpcRole role, GError **error)
{
	PgIpcChannel *self;
	gint flags;

	g_return_val_if_fail(fd >= 0, NULL);

	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		gint saved = errno;
		close(fd);
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot set up IPC fd: %s",
			    g_strerror(saved));
		return NULL;
	}
	self = g_object_new(PG_IPC_TYPE_CHANNEL, NULL);
	self->fd = fd;
	self->role = role;
	self->context = g_main_context_ref_thread_default();
	self->in_source =
	    pg_ipc_channel_add_source(self, G_IO_IN | G_IO_HUP | G_IO_ERR, pg_ipc_channel_read_cb);
	return self;
}

static void
pg_ipc_channel_dispose(GObject *object)
{
	PgIpcChannel *self = PG_IPC_CHANNEL(object);

	pg_ipc_channel_close(self);
	g_clear_pointer(&self->context, g_main_context_unref);
	G_OBJECT_CLASS(pg_ipc_channel_parent_class)->dispose(object);
}

static void
pg_ipc_channel_init(PgIpcChannel *self)
{
	self->fd = -1;
	self->queue_max = PG_IPC_CHANNEL_QUEUE_MAX;
	g_queue_init(&self->wqueue);
}

static void
pg_ipc_channel_class_init(PgIpcChannelClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = pg_ipc_channel_dispose;
	pg_ipc_channel_signals[SIGNAL_MESSAGE] =
	    g_signal_new("message", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
			 NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
	pg_ipc_channel_signals[SIGNAL_CLOSED] =
	    g_signal_new("closed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
			 NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}
