/* PgIpcChannel: one end of the worker socketpair on the GLib main loop.
 *
 * Signals (emitted on the thread-default main context of the creator):
 *   "message" (PgIpcMessage *msg): a validated message; @msg is owned by the
 *       channel and valid only during the emission.
 *   "closed" (const GError *error): the peer went away (@error NULL for a
 *       clean end of stream) or broke the protocol (oversized, truncated or
 *       invalid frame; @error says which).  Emitted at most once, never
 *       from pg_ipc_channel_close().  The fd is already closed.
 */
#pragma once

#include <gio/gio.h>

#include "ipc/pg-ipc-message.h"

G_BEGIN_DECLS

#define PG_IPC_TYPE_CHANNEL (pg_ipc_channel_get_type())
G_DECLARE_FINAL_TYPE(PgIpcChannel, pg_ipc_channel, PG_IPC, CHANNEL, GObject)

/* Default bound of the write queue; past it pg_ipc_channel_send() fails
 * with PG_ERROR_RESOURCE_CONSTRAINT rather than buffering without limit. */
#define PG_IPC_CHANNEL_QUEUE_MAX (16 * 1024 * 1024)

/* Takes ownership of @fd (a connected stream socket) and makes it
 * non-blocking and close-on-exec.  @role is who we are; it decides which
 * kinds are accepted from the peer.
 * Returns: (transfer full) or NULL with @error set (@fd is closed then) */
PgIpcChannel *pg_ipc_channel_new(gint fd, PgIpcRole role, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;

/* Validate, encode and queue @msg; never blocks.  Writes as much as the
 * socket takes now, the rest when it becomes writable. */
gboolean pg_ipc_channel_send(PgIpcChannel *self, const PgIpcMessage *msg, GError **error);
/* Block up to @timeout_ms (-1: forever) until the write queue is empty.
 * For a worker about to exit, so its last events are not lost. */
gboolean pg_ipc_channel_flush(PgIpcChannel *self, gint timeout_ms, GError **error);
/* The same until at most @max_queued bytes are left queued: for a sender
 * that must wait for a slow reader rather than buffer without limit.
 * FALSE with @error on a write error or a closed channel (PG_ERROR_IO) or
 * at the timeout (PG_ERROR_REMOTE_SERVER_TIMEOUT; nothing is lost then). */
gboolean pg_ipc_channel_flush_to(PgIpcChannel *self, gsize max_queued, gint timeout_ms,
				 GError **error);
/* Stop (FALSE) or resume (TRUE) reading from the peer.  While paused no
 * "message" is emitted, not even for frames already read (a handler may
 * pause from inside an emission: the next frame waits), and a closed peer
 * is not noticed; the peer is held back by the socket buffer filling up.
 * On resume, frames already read are emitted first, from the main loop. */
void pg_ipc_channel_set_reading(PgIpcChannel *self, gboolean reading);
gboolean pg_ipc_channel_is_reading(PgIpcChannel *self);
/* Close the fd and drop queued data; no "closed" signal. Idempotent. */
void pg_ipc_channel_close(PgIpcChannel *self);

gboolean pg_ipc_channel_is_open(PgIpcChannel *self);
PgIpcRole pg_ipc_channel_get_role(PgIpcChannel *self);
gsize pg_ipc_channel_get_queued_bytes(PgIpcChannel *self);
/* Bytes the peer wrote that this end has not decoded yet: in the
 * reassembly buffer and in the kernel's socket buffer (FIONREAD).  While
 * reading is paused they prove the peer alive.  0 once closed. */
gsize pg_ipc_channel_get_unread_bytes(PgIpcChannel *self);
void pg_ipc_channel_set_queue_max(PgIpcChannel *self, gsize bytes);
/* A fresh non-zero request id. */
guint32 pg_ipc_channel_next_id(PgIpcChannel *self);

G_END_DECLS
