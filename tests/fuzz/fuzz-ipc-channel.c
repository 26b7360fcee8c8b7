/* Fuzz target: the framing of the worker channel (src/ipc/pg-ipc-channel.c)
 * on a real socketpair, including the paused path.  The input is a script
 * of what the peer and the owner do:
 *
 *   byte 0      bit 0: our role (daemon or worker)
 *   then ops    0 LEN(1)  DATA     the peer writes LEN raw bytes
 *               1 LEN(2)  PAYLOAD  the peer writes one frame: a 4-byte
 *                                   big-endian length, then the payload
 *                                   (the length may lie: see 7)
 *               2                  the owner pauses reading
 *               3                  the owner resumes reading
 *               4                  the next "message" handler pauses
 *               5                  the main loop runs until idle
 *               6 N(4)             the peer writes a bare header announcing N
 *               7 LEN(2)  PAYLOAD  a frame whose header says LEN + 1
 *
 * Then the owner resumes and the peer hangs up; "closed" must follow, after
 * every complete frame was emitted, none of them while paused, none after
 * "closed" (src/ipc/pg-ipc-message.h: a frame that fails validation is an
 * error, never a crash).  Writes that do not fit in the socket buffer are
 * cut short. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/pg-ipc-channel.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

typedef struct {
	PgIpcChannel *channel;
	gboolean owner_paused;  /* what the owner asked for last */
	gboolean pause_in_handler;
	gboolean closed;
	guint messages;
} FuzzChannel;

static void
fuzz_message_cb(PgIpcChannel *channel, PgIpcMessage *msg, gpointer user_data)
{
	FuzzChannel *fuzz = user_data;

	g_assert_false(fuzz->closed);
	g_assert_false(fuzz->owner_paused);
	g_assert_true(pg_ipc_channel_is_reading(channel));
	g_assert_nonnull(msg);
	fuzz->messages++;
	if (fuzz->pause_in_handler) {
		fuzz->pause_in_handler = FALSE;
		fuzz->owner_paused = TRUE;
		pg_ipc_channel_set_reading(channel, FALSE);
	}
}

static void
fuzz_closed_cb(PgIpcChannel *channel, const GError *error, gpointer user_data)
{
	FuzzChannel *fuzz = user_data;

	g_assert_false(fuzz->closed);
	fuzz->closed = TRUE;
	g_assert_false(pg_ipc_channel_is_open(channel));
}

static void
fuzz_peer_write(gint fd, const guint8 *bytes, gsize len)
{
	while (len > 0) {
		gssize n = send(fd, bytes, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* buffer full, or the channel closed its end */
		bytes += n;
		len -= (gsize)n;
	}
}

static void
fuzz_peer_header(gint fd, guint32 length)
{
	guint8 header[4] = {length >> 24, length >> 16, length >> 8, length};
	fuzz_peer_write(fd, header, sizeof header);
}

static void
fuzz_run_until_idle(GMainContext *context)
{
	for (guint i = 0; i < 64 && g_main_context_iteration(context, FALSE); i++)
		;
}

/* One context for every run (a new one costs an eventfd); each run leaves
 * nothing to dispatch on it, which the end of the run checks. */
static GMainContext *fuzz_context;

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	GMainContext *context;
	g_autoptr(GError) error = NULL;
	FuzzChannel fuzz = {0};
	gsize pos = 1;
	gint fds[2];
	gint peer;

	if (size < 1)
		return 0;
	if (fuzz_context == NULL)
		fuzz_context = g_main_context_new();
	context = fuzz_context;
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
	peer = fds[1];
	g_main_context_push_thread_default(context);
	fuzz.channel = pg_ipc_channel_new(fds[0], (data[0] & 1) ? PG_IPC_ROLE_WORKER
								 : PG_IPC_ROLE_DAEMON,
					  &error);
	g_assert_no_error(error);
	g_signal_connect(fuzz.channel, "message", G_CALLBACK(fuzz_message_cb), &fuzz);
	g_signal_connect(fuzz.channel, "closed", G_CALLBACK(fuzz_closed_cb), &fuzz);

	while (pos < size) {
		guint8 op = data[pos++] % 8;
		gsize len;

		switch (op) {
		case 0:
			if (pos >= size)
				break;
			len = MIN(data[pos], size - pos - 1);
			pos++;
			fuzz_peer_write(peer, data + pos, len);
			pos += len;
			break;
		case 1:
		case 7:
			if (pos + 2 > size)
				break;
			len = MIN((gsize)data[pos] << 8 | data[pos + 1], size - pos - 2);
			pos += 2;
			fuzz_peer_header(peer, (guint32)len + (op == 7 ? 1 : 0));
			fuzz_peer_write(peer, data + pos, len);
			pos += len;
			break;
		case 2:
			fuzz.owner_paused = TRUE;
			pg_ipc_channel_set_reading(fuzz.channel, FALSE);
			g_assert_false(pg_ipc_channel_is_reading(fuzz.channel));
			break;
		case 3:
			fuzz.owner_paused = FALSE;
			pg_ipc_channel_set_reading(fuzz.channel, TRUE);
			g_assert_true(pg_ipc_channel_is_reading(fuzz.channel));
			break;
		case 4:
			fuzz.pause_in_handler = TRUE;
			break;
		case 5:
			fuzz_run_until_idle(context);
			break;
		case 6:
			if (pos + 4 > size)
				break;
			fuzz_peer_header(peer, (guint32)data[pos] << 24 |
						   (guint32)data[pos + 1] << 16 |
						   (guint32)data[pos + 2] << 8 | data[pos + 3]);
			pos += 4;
			break;
		}
		if (fuzz.closed)
			break;
	}

	/* the end: the owner reads again, the peer hangs up */
	fuzz.pause_in_handler = FALSE;
	fuzz.owner_paused = FALSE;
	pg_ipc_channel_set_reading(fuzz.channel, TRUE);
	close(peer);
	for (guint i = 0; i < 4096 && !fuzz.closed; i++)
		g_main_context_iteration(context, FALSE);
	/* a paused channel notices nothing; a reading one must see the end */
	g_assert_true(fuzz.closed);
	g_assert_false(pg_ipc_channel_is_open(fuzz.channel));

	g_object_unref(fuzz.channel);
	/* nothing of the channel is left to dispatch */
	g_assert_false(g_main_context_pending(context));
	g_main_context_pop_thread_default(context);
	return 0;
}
