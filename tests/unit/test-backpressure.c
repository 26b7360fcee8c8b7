/* Unit tests for back-pressure: the send-queue watermarks (src/xmpp/pg-backlog.c)
 * and pausing / blocking on an IPC channel (src/ipc/pg-ipc-channel.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/pg-error.h"
#include "ipc/pg-ipc-channel.h"
#include "xmpp/pg-backlog.h"

/* Backlog ------------------------------------------------------------------- */

typedef enum { PG_TEST_PUSH, PG_TEST_SYNC } PgTestOp;

typedef struct {
	PgTestOp op;
	gsize arg;              /* bytes pushed, or stanzas libstrophe still holds */
	PgBacklogChange change; /* what the call must report */
	gsize bytes;            /* the backlog after it */
	gboolean congested;
} PgBacklogStep;

/* high 1000, low 400: a walk through both thresholds and back */
static const PgBacklogStep pg_backlog_hysteresis_steps[] = {
    {.op = PG_TEST_PUSH, .arg = 300, .change = PG_BACKLOG_STEADY, .bytes = 300},
    {.op = PG_TEST_PUSH, .arg = 300, .change = PG_BACKLOG_STEADY, .bytes = 600},
    {.op = PG_TEST_PUSH, .arg = 399, .change = PG_BACKLOG_STEADY, .bytes = 999},
    /* reaching high (not only passing it) congests */
    {.op = PG_TEST_PUSH, .arg = 1, .change = PG_BACKLOG_CONGESTED, .bytes = 1000,
     .congested = TRUE},
    {.op = PG_TEST_PUSH, .arg = 500, .change = PG_BACKLOG_STEADY, .bytes = 1500,
     .congested = TRUE},
    /* the oldest leave first: 300 then 300 */
    {.op = PG_TEST_SYNC, .arg = 3, .change = PG_BACKLOG_STEADY, .bytes = 900,
     .congested = TRUE},
    /* below high but above low: still congested (hysteresis) */
    {.op = PG_TEST_SYNC, .arg = 3, .change = PG_BACKLOG_STEADY, .bytes = 900,
     .congested = TRUE},
    {.op = PG_TEST_SYNC, .arg = 2, .change = PG_BACKLOG_STEADY, .bytes = 501,
     .congested = TRUE},
    {.op = PG_TEST_PUSH, .arg = 100, .change = PG_BACKLOG_STEADY, .bytes = 601,
     .congested = TRUE},
    /* 1 + 500 + 100 left, then 500 + 100: 600 is still above low */
    {.op = PG_TEST_SYNC, .arg = 2, .change = PG_BACKLOG_STEADY, .bytes = 600,
     .congested = TRUE},
    /* reaching low (not only passing it) relieves */
    {.op = PG_TEST_SYNC, .arg = 1, .change = PG_BACKLOG_RELIEVED, .bytes = 100},
    {.op = PG_TEST_PUSH, .arg = 800, .change = PG_BACKLOG_STEADY, .bytes = 900},
    {.op = PG_TEST_PUSH, .arg = 100, .change = PG_BACKLOG_CONGESTED, .bytes = 1000,
     .congested = TRUE},
    /* the stream was lost: libstrophe holds nothing any more */
    {.op = PG_TEST_SYNC, .arg = 0, .change = PG_BACKLOG_RELIEVED, .bytes = 0},
    {.op = PG_TEST_SYNC, .arg = 0, .change = PG_BACKLOG_STEADY, .bytes = 0},
};

static void
test_backlog_hysteresis(void)
{
	g_autoptr(PgBacklog) backlog = pg_backlog_new(1000, 400, 1000, G_USEC_PER_SEC);

	for (guint i = 0; i < G_N_ELEMENTS(pg_backlog_hysteresis_steps); i++) {
		const PgBacklogStep *step = &pg_backlog_hysteresis_steps[i];
		PgBacklogChange change = step->op == PG_TEST_PUSH
					     ? pg_backlog_push(backlog, step->arg)
					     : pg_backlog_sync(backlog, (guint)step->arg);
		g_test_message("step %u", i);
		g_assert_cmpint(change, ==, step->change);
		g_assert_cmpuint(pg_backlog_get_bytes(backlog), ==, step->bytes);
		g_assert_cmpint(pg_backlog_is_congested(backlog), ==, step->congested);
	}
}

/* A backlog that hovers between the watermarks flips the state once. */
static void
test_backlog_hovering_does_not_flap(void)
{
	g_autoptr(PgBacklog) backlog = pg_backlog_new(1000, 400, 1000, G_USEC_PER_SEC);
	guint changes = 0;

	for (guint i = 0; i < 10; i++)
		changes += pg_backlog_push(backlog, 100) != PG_BACKLOG_STEADY;
	g_assert_cmpuint(changes, ==, 1);
	/* one stanza out, one in, 1000 times: between 900 and 1000 bytes */
	for (guint i = 0; i < 1000; i++) {
		changes += pg_backlog_sync(backlog, 9) != PG_BACKLOG_STEADY;
		changes += pg_backlog_push(backlog, 100) != PG_BACKLOG_STEADY;
	}
	g_assert_cmpuint(changes, ==, 1);
	g_assert_true(pg_backlog_is_congested(backlog));
}

/* Many more stanzas than the ring's first size, pushed and written in
 * uneven steps, so that the ring wraps and grows while wrapped. */
static void
test_backlog_ring_wraps_and_grows(void)
{
	g_autoptr(PgBacklog) backlog = pg_backlog_new(G_MAXSIZE, 0, G_MAXSIZE, 0);
	guint64 pushed = 0;
	guint64 popped = 0;
	guint next_pop = 1;

	for (guint round = 0; round < 50; round++) {
		guint n_push = 37 + round * 11;
		for (guint i = 0; i < n_push; i++)
			pg_backlog_push(backlog, ++pushed);
		/* libstrophe wrote all but a few: sizes must leave oldest first */
		for (guint keep = pg_backlog_get_count(backlog) / 3;
		     pg_backlog_get_count(backlog) > keep;) {
			guint before = pg_backlog_get_count(backlog);
			gsize bytes = pg_backlog_get_bytes(backlog);
			pg_backlog_sync(backlog, before - 1);
			g_assert_cmpuint(bytes - pg_backlog_get_bytes(backlog), ==, next_pop);
			next_pop++;
			popped++;
		}
	}
	g_assert_cmpuint(pg_backlog_get_count(backlog), ==, pushed - popped);
	pg_backlog_sync(backlog, 0);
	g_assert_cmpuint(pg_backlog_get_bytes(backlog), ==, 0);
	g_assert_cmpuint(pg_backlog_get_count(backlog), ==, 0);
}

static void
test_backlog_trim_once_after_drain(void)
{
	g_autoptr(PgBacklog) backlog = pg_backlog_new(1000, 400, 500, 5 * G_USEC_PER_SEC);
	gint64 now = 100 * G_USEC_PER_SEC;
	gsize peak = 0;

	/* a small backlog never asks for a trim */
	pg_backlog_push(backlog, 499);
	pg_backlog_sync(backlog, 0);
	g_assert_false(pg_backlog_should_trim(backlog, now, &peak));

	/* a large one asks once it drained, not before */
	pg_backlog_push(backlog, 300);
	pg_backlog_push(backlog, 300);
	g_assert_false(pg_backlog_should_trim(backlog, now, &peak));
	pg_backlog_sync(backlog, 1);
	g_assert_false(pg_backlog_should_trim(backlog, now, &peak));
	pg_backlog_sync(backlog, 0);
	g_assert_true(pg_backlog_should_trim(backlog, now, &peak));
	g_assert_cmpuint(peak, ==, 600);
	/* and only once */
	g_assert_false(pg_backlog_should_trim(backlog, now, &peak));

	/* another large backlog within the interval waits for the interval */
	pg_backlog_push(backlog, 700);
	pg_backlog_sync(backlog, 0);
	g_assert_false(pg_backlog_should_trim(backlog, now + G_USEC_PER_SEC, &peak));
	g_assert_true(pg_backlog_should_trim(backlog, now + 5 * G_USEC_PER_SEC, &peak));
	g_assert_cmpuint(peak, ==, 700);
	g_assert_false(pg_backlog_should_trim(backlog, now + 60 * G_USEC_PER_SEC, NULL));
}

/* Channel ------------------------------------------------------------------- */

typedef struct {
	PgIpcChannel *reader;   /* the daemon's end */
	PgIpcChannel *writer;   /* the worker's end */
	GPtrArray *received;    /* ids, as GUINT_TO_POINTER */
	guint pause_after;      /* the handler pauses the reader after this many */
	gboolean closed;
} PgChannelFixture;

static void
pg_channel_fixture_message_cb(PgIpcChannel *channel, PgIpcMessage *msg, gpointer user_data)
{
	PgChannelFixture *fixture = user_data;

	g_ptr_array_add(fixture->received, GUINT_TO_POINTER(msg->id));
	if (fixture->received->len == fixture->pause_after)
		pg_ipc_channel_set_reading(channel, FALSE);
}

static void
pg_channel_fixture_closed_cb(PgIpcChannel *channel, const GError *error, gpointer user_data)
{
	PgChannelFixture *fixture = user_data;
	fixture->closed = TRUE;
}

static void
pg_channel_fixture_setup(PgChannelFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	gint fds[2];

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
	fixture->reader = pg_ipc_channel_new(fds[0], PG_IPC_ROLE_DAEMON, &error);
	g_assert_no_error(error);
	fixture->writer = pg_ipc_channel_new(fds[1], PG_IPC_ROLE_WORKER, &error);
	g_assert_no_error(error);
	fixture->received = g_ptr_array_new();
	g_signal_connect(fixture->reader, "message", G_CALLBACK(pg_channel_fixture_message_cb),
			 fixture);
	g_signal_connect(fixture->reader, "closed", G_CALLBACK(pg_channel_fixture_closed_cb),
			 fixture);
}

static void
pg_channel_fixture_teardown(PgChannelFixture *fixture, gconstpointer user_data)
{
	g_clear_object(&fixture->reader);
	g_clear_object(&fixture->writer);
	g_ptr_array_unref(fixture->received);
}

static gboolean
pg_channel_test_timeout_cb(gpointer user_data)
{
	gboolean *timed_out = user_data;
	*timed_out = TRUE;
	return G_SOURCE_REMOVE;
}

/* Run the loop until @want messages arrived; a deadline fails the test. */
static void
pg_channel_fixture_wait(PgChannelFixture *fixture, guint want)
{
	gboolean timed_out = FALSE;
	guint timeout_id = g_timeout_add_seconds(30, pg_channel_test_timeout_cb, &timed_out);

	while (!timed_out && fixture->received->len < want)
		g_main_context_iteration(NULL, TRUE);
	g_assert_false(timed_out);
	g_source_remove(timeout_id);
}

/* Everything the loop can do now, without blocking. */
static void
pg_channel_test_drain(void)
{
	while (g_main_context_iteration(NULL, FALSE))
		;
}

static void
pg_channel_test_send(PgIpcChannel *channel, guint32 id, gsize body_size)
{
	g_autofree gchar *body = g_strnfill(body_size, 'x');
	g_autoptr(PgIpcMessage) msg = pg_ipc_message_new(
	    PG_IPC_EVT_ROOM_MESSAGE, id, "account", g_variant_new_string("acct"), "room",
	    g_variant_new_string("#room"), "from", g_variant_new_string("bob"), "body",
	    g_variant_new_string(body), "own", g_variant_new_boolean(FALSE), NULL);
	g_autoptr(GError) error = NULL;

	g_assert_true(pg_ipc_channel_send(channel, msg, &error));
	g_assert_no_error(error);
}

static void
pg_channel_test_assert_in_order(PgChannelFixture *fixture)
{
	for (guint i = 0; i < fixture->received->len; i++)
		g_assert_cmpuint(GPOINTER_TO_UINT(g_ptr_array_index(fixture->received, i)), ==,
				 i + 1);
}

/* A handler pauses the channel in the middle of a read of many frames: the
 * rest are not emitted until the resume, then all come, in order. */
static void
test_channel_pause_from_a_handler_holds_the_rest(PgChannelFixture *fixture, gconstpointer data)
{
	guint total = 200;

	fixture->pause_after = 3;
	for (guint i = 1; i <= total; i++)
		pg_channel_test_send(fixture->writer, i, 40);
	pg_channel_fixture_wait(fixture, 3);
	pg_channel_test_drain();
	g_assert_cmpuint(fixture->received->len, ==, 3);
	g_assert_false(pg_ipc_channel_is_reading(fixture->reader));

	pg_ipc_channel_set_reading(fixture->reader, TRUE);
	pg_channel_fixture_wait(fixture, total);
	g_assert_cmpuint(fixture->received->len, ==, total);
	pg_channel_test_assert_in_order(fixture);
	g_assert_false(fixture->closed);
}

/* Frames already read into the channel's buffer when it was paused are
 * emitted on resume even if the peer never writes again. */
static void
test_channel_resume_emits_buffered_frames_without_new_input(PgChannelFixture *fixture,
							    gconstpointer data)
{
	fixture->pause_after = 1;
	for (guint i = 1; i <= 5; i++)
		pg_channel_test_send(fixture->writer, i, 10);
	pg_channel_fixture_wait(fixture, 1);
	g_clear_object(&fixture->writer); /* nothing more will ever come */
	pg_ipc_channel_set_reading(fixture->reader, TRUE);
	pg_channel_fixture_wait(fixture, 5);
	pg_channel_test_assert_in_order(fixture);
}

static gboolean
pg_channel_test_resume_cb(gpointer user_data)
{
	pg_ipc_channel_set_reading(PG_IPC_CHANNEL(user_data), TRUE);
	return G_SOURCE_REMOVE;
}

/* A paused reader holds the writer back: its queue grows, nothing is lost,
 * and flush_to() times out with REMOTE_SERVER_TIMEOUT instead of failing. */
static void
test_channel_paused_reader_blocks_writer_without_loss(PgChannelFixture *fixture,
						      gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	guint total = 0;

	pg_ipc_channel_set_reading(fixture->reader, FALSE);
	/* write until the kernel's buffer is full and our queue holds 256 KiB */
	while (pg_ipc_channel_get_queued_bytes(fixture->writer) < 256 * 1024)
		pg_channel_test_send(fixture->writer, ++total, 1000);
	g_assert_false(pg_ipc_channel_flush_to(fixture->writer, 1024, 50, &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_REMOTE_SERVER_TIMEOUT);
	g_clear_error(&error);
	g_assert_cmpuint(pg_ipc_channel_get_queued_bytes(fixture->writer), >=, 200 * 1024);
	pg_channel_test_drain();
	g_assert_cmpuint(fixture->received->len, ==, 0);
	/* what waits unread in the socket proves the writer alive (the daemon's
	 * hang check, session/pg-worker.c) */
	g_assert_cmpuint(pg_ipc_channel_get_unread_bytes(fixture->reader), >, 0);

	/* the reader resumes: the writer's queue drains, every frame arrives */
	g_idle_add(pg_channel_test_resume_cb, fixture->reader);
	pg_channel_fixture_wait(fixture, total);
	g_assert_true(pg_ipc_channel_flush_to(fixture->writer, 0, 5000, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(fixture->received->len, ==, total);
	pg_channel_test_assert_in_order(fixture);
	g_assert_cmpuint(pg_ipc_channel_get_unread_bytes(fixture->reader), ==, 0);
}

typedef struct {
	gint fd;
	gsize want;
	gsize got;
} PgDrainThread;

static gpointer
pg_channel_test_drain_thread(gpointer user_data)
{
	PgDrainThread *drain = user_data;
	guint8 buffer[16384];

	while (drain->got < drain->want) {
		gssize n = read(drain->fd, buffer, sizeof buffer);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		drain->got += (gsize)n;
	}
	return NULL;
}

/* flush_to() returns as soon as the queue is down to the bound, while the
 * reader is still reading (here a thread reading the raw socket). */
static void
test_channel_flush_to_waits_only_down_to_the_bound(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgIpcChannel) writer = NULL;
	PgDrainThread drain = {0};
	GThread *thread;
	gint fds[2];

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
	writer = pg_ipc_channel_new(fds[1], PG_IPC_ROLE_WORKER, &error);
	g_assert_no_error(error);
	for (guint i = 1; pg_ipc_channel_get_queued_bytes(writer) < 512 * 1024; i++)
		pg_channel_test_send(writer, i, 1000);
	drain.fd = fds[0];
	drain.want = G_MAXSIZE;
	thread = g_thread_new("drain", pg_channel_test_drain_thread, &drain);
	g_assert_true(pg_ipc_channel_flush_to(writer, 128 * 1024, 10000, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(pg_ipc_channel_get_queued_bytes(writer), <=, 128 * 1024);
	/* the rest still goes out from the loop (the G_IO_OUT source stays) */
	{
		gboolean timed_out = FALSE;
		guint timeout_id =
		    g_timeout_add_seconds(30, pg_channel_test_timeout_cb, &timed_out);
		while (!timed_out && pg_ipc_channel_get_queued_bytes(writer) > 0)
			g_main_context_iteration(NULL, TRUE);
		g_assert_false(timed_out);
		g_source_remove(timeout_id);
	}
	pg_ipc_channel_close(writer); /* EOF ends the thread */
	g_thread_join(thread);
	close(fds[0]);
}

/* The process's peak RSS in KiB since the last pg_test_reset_peak_rss(). */
static guint64
pg_test_peak_rss_kib(void)
{
	g_autofree gchar *status = NULL;
	const gchar *line;

	g_assert_true(g_file_get_contents("/proc/self/status", &status, NULL, NULL));
	line = strstr(status, "VmHWM:");
	g_assert_nonnull(line);
	return g_ascii_strtoull(line + strlen("VmHWM:"), NULL, 10);
}

static void
pg_test_reset_peak_rss(void)
{
	/* proc(5): writing 5 to clear_refs resets the peak RSS (Linux 4.0) */
	gint fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, "5", 1), ==, 1);
	close(fd);
}

/* A frame header over PG_IPC_FRAME_MAX that is already in the buffer when a
 * handler pauses the reader is refused on resume, and never allocated for:
 * found by tests/fuzz/fuzz-ipc-channel.c, where a worker could make the
 * daemon allocate (and wipe) up to 4 GiB by announcing a frame that size
 * right behind the one that made it pause. */
static void
test_channel_paused_oversized_header_is_not_allocated(void)
{
	PgChannelFixture fixture = {.pause_after = 1, .received = g_ptr_array_new()};
	g_autoptr(PgIpcMessage) msg = pg_ipc_message_new(
	    PG_IPC_EVT_TYPING, 1, "account", g_variant_new_string("acct"), "from",
	    g_variant_new_string("bob"), "state", g_variant_new_string("typing"), NULL);
	g_autoptr(GBytes) frame = pg_ipc_message_encode(msg, NULL);
	static const guint8 oversized[4] = {0x20, 0x00, 0x00, 0x00}; /* 512 MiB */
	g_autoptr(GError) error = NULL;
	gboolean timed_out = FALSE;
	guint timeout_id;
	guint64 before;
	gint fds[2];

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
	fixture.reader = pg_ipc_channel_new(fds[0], PG_IPC_ROLE_DAEMON, &error);
	g_assert_no_error(error);
	g_signal_connect(fixture.reader, "message", G_CALLBACK(pg_channel_fixture_message_cb),
			 &fixture);
	g_signal_connect(fixture.reader, "closed", G_CALLBACK(pg_channel_fixture_closed_cb),
			 &fixture);
	/* one write: both are read at once, the handler pauses after the first */
	{
		g_autoptr(GByteArray) bytes = g_byte_array_new();
		g_byte_array_append(bytes, g_bytes_get_data(frame, NULL), g_bytes_get_size(frame));
		g_byte_array_append(bytes, oversized, sizeof oversized);
		g_assert_cmpint(write(fds[1], bytes->data, bytes->len), ==, (gssize)bytes->len);
	}
	pg_test_reset_peak_rss();
	before = pg_test_peak_rss_kib();
	pg_channel_fixture_wait(&fixture, 1);
	g_assert_false(pg_ipc_channel_is_reading(fixture.reader));

	pg_ipc_channel_set_reading(fixture.reader, TRUE);
	timeout_id = g_timeout_add_seconds(30, pg_channel_test_timeout_cb, &timed_out);
	while (!timed_out && !fixture.closed)
		g_main_context_iteration(NULL, TRUE);
	g_assert_false(timed_out);
	g_source_remove(timeout_id);
	g_assert_cmpuint(fixture.received->len, ==, 1);
	g_assert_cmpuint(pg_test_peak_rss_kib() - before, <, 64 * 1024);

	close(fds[1]);
	g_clear_object(&fixture.reader);
	g_ptr_array_unref(fixture.received);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/backpressure/backlog/hysteresis", test_backlog_hysteresis);
	g_test_add_func("/backpressure/backlog/hovering-does-not-flap",
			test_backlog_hovering_does_not_flap);
	g_test_add_func("/backpressure/backlog/ring-wraps-and-grows-oldest-first",
			test_backlog_ring_wraps_and_grows);
	g_test_add_func("/backpressure/backlog/trim-once-after-a-large-backlog-drained",
			test_backlog_trim_once_after_drain);
	g_test_add("/backpressure/channel/pause-from-a-handler-holds-the-rest",
		   PgChannelFixture, NULL, pg_channel_fixture_setup,
		   test_channel_pause_from_a_handler_holds_the_rest, pg_channel_fixture_teardown);
	g_test_add("/backpressure/channel/resume-emits-buffered-frames-without-new-input",
		   PgChannelFixture, NULL, pg_channel_fixture_setup,
		   test_channel_resume_emits_buffered_frames_without_new_input,
		   pg_channel_fixture_teardown);
	g_test_add("/backpressure/channel/paused-reader-holds-writer-back-without-loss",
		   PgChannelFixture, NULL, pg_channel_fixture_setup,
		   test_channel_paused_reader_blocks_writer_without_loss,
		   pg_channel_fixture_teardown);
	g_test_add_func("/backpressure/channel/paused-oversized-header-is-not-allocated",
			test_channel_paused_oversized_header_is_not_allocated);
	g_test_add_func("/backpressure/channel/flush-to-waits-only-down-to-the-bound",
			test_channel_flush_to_waits_only_down_to_the_bound);
	return g_test_run();
}
