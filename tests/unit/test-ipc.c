/* Unit tests for src/ipc/: message validation, framing and the channel. */
#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/pg-error.h"
#include "ipc/pg-ipc-channel.h"
#include "ipc/pg-ipc-message.h"

/* The contract's rows, read straight from the header's X-macro. */
typedef struct {
	PgIpcKind kind;
	const gchar *fields;
} PgIpcTestRow;

static const PgIpcTestRow pg_ipc_test_rows[] = {
#define PG_IPC_X_TEST(sym, wire, dir, spec) {.kind = PG_IPC_##sym, .fields = spec},
    PG_IPC_MESSAGES(PG_IPC_X_TEST)
#undef PG_IPC_X_TEST
};

/* A sample value for GVariant type @type; strings carry markup-like and
 * non-ASCII text to prove nothing is escaped or mangled on the way. */
static GVariant *
pg_ipc_test_sample(const gchar *name, const gchar *type)
{
	if (g_strcmp0(type, "s") == 0)
		return g_variant_new_printf("%s: a<b & \"q\" ü €", name);
	if (g_strcmp0(type, "u") == 0)
		return g_variant_new_uint32(4000000000u);
	if (g_strcmp0(type, "t") == 0)
		return g_variant_new_uint64(G_GUINT64_CONSTANT(123456789012345));
	if (g_strcmp0(type, "x") == 0)
		return g_variant_new_int64(G_GINT64_CONSTANT(1764720000)); /* a time */
	if (g_strcmp0(type, "b") == 0)
		return g_variant_new_boolean(TRUE);
	if (g_strcmp0(type, "a{ss}") == 0) {
		GVariantBuilder builder;
		g_variant_builder_init(&builder, G_VARIANT_TYPE("a{ss}"));
		g_variant_builder_add(&builder, "{ss}", "port", "6697");
		g_variant_builder_add(&builder, "{ss}", "ssl", "true");
		return g_variant_builder_end(&builder);
	}
	if (g_strcmp0(type, "as") == 0) {
		static const gchar *const addresses[] = {"192.0.2.7", "2001:db8::7", NULL};
		return g_variant_new_strv(addresses, -1);
	}
	if (g_strcmp0(type, "a(ss)") == 0) {
		GVariantBuilder builder;
		g_variant_builder_init(&builder, G_VARIANT_TYPE("a(ss)"));
		g_variant_builder_add(&builder, "(ss)", "alice", "op");
		g_variant_builder_add(&builder, "(ss)", "bob", "");
		return g_variant_builder_end(&builder);
	}
	if (g_strcmp0(type, "a(sus)") == 0) {
		GVariantBuilder builder;
		g_variant_builder_init(&builder, G_VARIANT_TYPE("a(sus)"));
		g_variant_builder_add(&builder, "(sus)", "#a<b", 3, "topic & \"q\" ü");
		g_variant_builder_add(&builder, "(sus)", "#empty", 0, "");
		return g_variant_builder_end(&builder);
	}
	/* other arrays (protocol-info's tuples): empty; test-purple-form.c
	 * fills them */
	if (type[0] == 'a') {
		g_autoptr(GVariantType) array = g_variant_type_new(type);
		return g_variant_new_array(g_variant_type_element(array), NULL, 0);
	}
	g_assert_not_reached();
}

/* All fields of @row (optional ones only if @with_optional). */
static GVariant *
pg_ipc_test_fields(const PgIpcTestRow *row, gboolean with_optional)
{
	g_auto(GStrv) tokens = g_strsplit(row->fields, " ", -1);
	GVariantBuilder builder;

	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	for (guint i = 0; tokens[i] != NULL; i++) {
		g_auto(GStrv) parts = NULL;
		g_autofree gchar *type = NULL;
		gboolean optional;

		if (tokens[i][0] == '\0')
			continue;
		parts = g_strsplit(tokens[i], ":", 2);
		optional = strchr(parts[1], '?') != NULL;
		type = g_strdelimit(g_strdup(parts[1]), "?!", ' ');
		g_strstrip(type);
		if (optional && !with_optional)
			continue;
		g_variant_builder_add(&builder, "{sv}", parts[0],
				      pg_ipc_test_sample(parts[0], type));
	}
	return g_variant_builder_end(&builder);
}

static PgIpcRole
pg_ipc_test_receiver(PgIpcKind kind)
{
	return pg_ipc_kind_get_direction(kind) == PG_IPC_EVT ? PG_IPC_ROLE_DAEMON
							     : PG_IPC_ROLE_WORKER;
}

static PgIpcMessage *
pg_ipc_test_round_trip(const PgIpcMessage *msg, PgIpcRole receiver)
{
	g_autoptr(GBytes) frame = NULL;
	g_autoptr(GError) error = NULL;
	PgIpcMessage *back;
	const guint8 *data;
	gsize size = 0;
	guint32 len;

	frame = pg_ipc_message_encode(msg, &error);
	g_assert_no_error(error);
	g_assert_nonnull(frame);
	data = g_bytes_get_data(frame, &size);
	g_assert_cmpuint(size, >, PG_IPC_FRAME_HEADER_SIZE);
	len = ((guint32)data[0] << 24) | ((guint32)data[1] << 16) | ((guint32)data[2] << 8) | data[3];
	g_assert_cmpuint(len, ==, size - PG_IPC_FRAME_HEADER_SIZE);
	back = pg_ipc_message_decode(data + PG_IPC_FRAME_HEADER_SIZE, len, receiver, &error);
	g_assert_no_error(error);
	g_assert_nonnull(back);
	return back;
}

static void
test_ipc_message_round_trip_every_kind(void)
{
	g_assert_cmpuint(G_N_ELEMENTS(pg_ipc_test_rows), ==, PG_IPC_KIND_LAST - 1);
	for (guint i = 0; i < G_N_ELEMENTS(pg_ipc_test_rows); i++) {
		const PgIpcTestRow *row = &pg_ipc_test_rows[i];
		for (guint full = 0; full <= 1; full++) {
			g_autoptr(PgIpcMessage) msg = pg_ipc_message_new_from_fields(
			    row->kind, 1000 + i, pg_ipc_test_fields(row, full));
			g_autoptr(PgIpcMessage) back =
			    pg_ipc_test_round_trip(msg, pg_ipc_test_receiver(row->kind));
			g_assert_cmpint(back->kind, ==, row->kind);
			g_assert_cmpuint(back->id, ==, 1000 + i);
			g_assert_true(g_variant_equal(back->fields, msg->fields));
			/* BOTH kinds must decode for either receiver */
			if (pg_ipc_kind_get_direction(row->kind) == PG_IPC_BOTH) {
				g_autoptr(PgIpcMessage) other =
				    pg_ipc_test_round_trip(msg, PG_IPC_ROLE_DAEMON);
				g_assert_cmpint(other->kind, ==, row->kind);
			}
		}
	}
}

static void
test_ipc_message_getters(void)
{
	g_autoptr(PgIpcMessage) msg = pg_ipc_message_new(
	    PG_IPC_EVT_ROOM_MESSAGE, 7, "account", g_variant_new_string("a@b/irc"), "room",
	    g_variant_new_string("#x"), "from", g_variant_new_string("bob"), "body",
	    g_variant_new_string("hi <there> & you"), "own", g_variant_new_boolean(TRUE),
	    "missing", NULL, NULL);
	g_autoptr(PgIpcMessage) back = pg_ipc_test_round_trip(msg, PG_IPC_ROLE_DAEMON);

	g_assert_cmpstr(pg_ipc_message_get_string(back, "body"), ==, "hi <there> & you");
	g_assert_true(pg_ipc_message_get_boolean(back, "own", FALSE));
	g_assert_null(pg_ipc_message_get_string(back, "missing"));
	g_assert_null(pg_ipc_message_get_string(back, "own")); /* wrong type */
	g_assert_cmpuint(pg_ipc_message_get_uint32(back, "body", 99), ==, 99);
	g_assert_false(pg_ipc_message_has_field(back, "missing"));
	g_assert_cmpstr(pg_ipc_kind_to_string(back->kind), ==, "room-message");
	/* a message of our own reads the same before it is sent; a field of
	 * the wrong type or unknown to the kind reads as absent */
	g_assert_cmpstr(pg_ipc_message_get_string(msg, "room"), ==, "#x");
	{
		g_autoptr(PgIpcMessage) odd = pg_ipc_message_new(
		    PG_IPC_EVT_ROOM_MESSAGE, 8, "body", g_variant_new_uint32(5), "nonsense",
		    g_variant_new_string("x"), "room", g_variant_new_string("#y"), NULL);
		g_assert_null(pg_ipc_message_get_string(odd, "body"));
		g_assert_false(pg_ipc_message_has_field(odd, "nonsense"));
		g_assert_cmpstr(pg_ipc_message_get_string(odd, "room"), ==, "#y");
		g_assert_false(pg_ipc_message_validate(odd, NULL));
	}
	{
		/* every required field there: an unknown one still fails, also
		 * when nobody asks why */
		g_autoptr(PgIpcMessage) extra = pg_ipc_message_new(
		    PG_IPC_EVT_ROOM_MESSAGE, 9, "account", g_variant_new_string("a@b/irc"), "room",
		    g_variant_new_string("#x"), "from", g_variant_new_string("bob"), "body",
		    g_variant_new_string("hi"), "own", g_variant_new_boolean(FALSE), "nonsense",
		    g_variant_new_string("x"), NULL);
		g_assert_false(pg_ipc_message_validate(extra, NULL));
		g_assert_null(pg_ipc_message_encode(extra, NULL));
	}
	g_assert_cmpint(pg_ipc_kind_from_string("room-message", PG_IPC_ROLE_WORKER), ==,
			PG_IPC_CMD_ROOM_MESSAGE);
	g_assert_cmpint(pg_ipc_kind_from_string("room-message", PG_IPC_ROLE_DAEMON), ==,
			PG_IPC_EVT_ROOM_MESSAGE);
}

static void
test_ipc_message_secret(void)
{
	g_autoptr(PgSecret) password = pg_secret_new_from_string("hunter2-ü");
	g_autoptr(PgSecret) bad = pg_secret_new((const guint8 *)"a\xff\x00z", 4);
	g_autoptr(PgSecret) copy = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) frame = NULL;
	g_autoptr(PgIpcMessage) msg = pg_ipc_message_new(
	    PG_IPC_CMD_LOGIN, 3, "account", g_variant_new_string("a@b/irc"), "protocol",
	    g_variant_new_string("prpl-irc"), "username", g_variant_new_string("nick@server"),
	    "password", pg_ipc_variant_new_secret(password), NULL);
	g_autoptr(PgIpcMessage) back = pg_ipc_test_round_trip(msg, PG_IPC_ROLE_WORKER);
	g_autoptr(PgIpcMessage) invalid = pg_ipc_message_new(
	    PG_IPC_CMD_LOGIN, 4, "account", g_variant_new_string("a@b/irc"), "protocol",
	    g_variant_new_string("prpl-irc"), "username", g_variant_new_string("nick@server"),
	    "password", pg_ipc_variant_new_secret(bad), NULL);

	copy = pg_ipc_message_dup_secret(back, "password");
	g_assert_true(pg_secret_equal(copy, password));
	frame = pg_ipc_message_encode(invalid, &error);
	g_assert_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST);
	g_assert_null(frame);
}

/* Serialise an arbitrary (usa{sv}) payload, bypassing encode's checks. */
static GBytes *
pg_ipc_test_raw_payload(const gchar *kind, GVariant *fields)
{
	g_autoptr(GVariant) frame =
	    g_variant_ref_sink(g_variant_new("(us@a{sv})", 1, kind, fields));
	return g_variant_get_data_as_bytes(frame);
}

static PgIpcMessage *
pg_ipc_test_decode_bytes(GBytes *payload, PgIpcRole receiver, GError **error)
{
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(payload, &size);
	return pg_ipc_message_decode(data, size, receiver, error);
}

typedef struct {
	const gchar *name;
	const gchar *kind;
	const gchar *fields; /* GVariant text format of an a{sv} */
	PgIpcRole receiver;
} PgIpcBadCase;

static const PgIpcBadCase pg_ipc_bad_cases[] = {
    {.name = "unknown-kind", .kind = "launch-missiles", .fields = "@a{sv} {}"},
    {.name = "empty-kind", .kind = "", .fields = "@a{sv} {}"},
    {.name = "event-sent-to-worker",
     .kind = "login-state",
     .fields = "{'account': <'a'>, 'state': <'connected'>, 'fatal': <false>}",
     .receiver = PG_IPC_ROLE_WORKER},
    {.name = "command-sent-to-daemon",
     .kind = "login",
     .fields = "{'account': <'a'>, 'protocol': <'p'>, 'username': <'u'>}",
     .receiver = PG_IPC_ROLE_DAEMON},
    {.name = "wrong-field-type",
     .kind = "send-im",
     .fields = "{'account': <'a'>, 'to': <'bob'>, 'body': <uint32 5>}",
     .receiver = PG_IPC_ROLE_WORKER},
    {.name = "missing-required-field",
     .kind = "send-im",
     .fields = "{'account': <'a'>, 'to': <'bob'>}",
     .receiver = PG_IPC_ROLE_WORKER},
    {.name = "unknown-field",
     .kind = "send-im",
     .fields = "{'account': <'a'>, 'to': <'bob'>, 'body': <'x'>, 'pasword': <'x'>}",
     .receiver = PG_IPC_ROLE_WORKER},
    {.name = "field-given-twice",
     .kind = "send-im",
     .fields = "{'account': <'a'>, 'to': <'bob'>, 'body': <'x'>, 'body': <'y'>}",
     .receiver = PG_IPC_ROLE_WORKER},
    /* a room list whose rooms lack the user count (issue 10, channel list) */
    {.name = "room-list-with-rooms-of-the-wrong-shape",
     .kind = "room-list",
     .fields = "{'account': <'a'>, 'rooms': <[('#x', 'topic')]>, 'complete': <true>}",
     .receiver = PG_IPC_ROLE_DAEMON},
    {.name = "list-rooms-without-its-bound",
     .kind = "list-rooms",
     .fields = "{'account': <'a'>}",
     .receiver = PG_IPC_ROLE_WORKER},
    {.name = "optional-field-wrong-type",
     .kind = "error",
     .fields = "{'request': <'1'>, 'condition': <'x'>, 'text': <'y'>}",
     .receiver = PG_IPC_ROLE_DAEMON},
    /* v7: a message's time is a signed 64-bit count of seconds, nothing else */
    {.name = "im-stamp-as-text",
     .kind = "im-received",
     .fields = "{'account': <'a'>, 'from': <'b'>, 'body': <'x'>, "
	       "'stamp': <'2026-12-03T06:00:00Z'>}",
     .receiver = PG_IPC_ROLE_DAEMON},
    {.name = "im-stamp-unsigned",
     .kind = "im-received",
     .fields = "{'account': <'a'>, 'from': <'b'>, 'body': <'x'>, 'stamp': <uint64 5>}",
     .receiver = PG_IPC_ROLE_DAEMON},
};

static void
test_ipc_decode_rejects(gconstpointer user_data)
{
	const PgIpcBadCase *bad = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) fields = g_variant_parse(NULL, bad->fields, NULL, NULL, &error);
	g_autoptr(GBytes) payload = NULL;
	g_autoptr(PgIpcMessage) msg = NULL;

	g_assert_no_error(error);
	payload = pg_ipc_test_raw_payload(bad->kind, fields);
	msg = pg_ipc_test_decode_bytes(payload, bad->receiver, &error);
	g_assert_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST);
	g_assert_null(msg);
	g_test_message("%s: %s", bad->name, error->message);
}

static GBytes *
pg_ipc_test_send_im_payload(const gchar *body)
{
	g_autoptr(PgIpcMessage) msg =
	    pg_ipc_message_new(PG_IPC_CMD_SEND_IM, 9, "account", g_variant_new_string("a"), "to",
			       g_variant_new_string("bob"), "body", g_variant_new_string(body), NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) frame = pg_ipc_message_encode(msg, &error);

	g_assert_no_error(error);
	return g_bytes_new_from_bytes(frame, PG_IPC_FRAME_HEADER_SIZE,
				      g_bytes_get_size(frame) - PG_IPC_FRAME_HEADER_SIZE);
}

static void
test_ipc_decode_truncated(void)
{
	g_autoptr(GBytes) payload = pg_ipc_test_send_im_payload("hello there");
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(payload, &size);

	/* every proper prefix must fail cleanly, never crash */
	for (gsize len = 0; len < size; len++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(PgIpcMessage) msg =
		    pg_ipc_message_decode(data, len, PG_IPC_ROLE_WORKER, &error);
		g_assert_null(msg);
		g_assert_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST);
	}
}

static void
test_ipc_decode_oversized(void)
{
	g_autofree gchar *huge = g_malloc(PG_IPC_FRAME_MAX + 2);
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) error2 = NULL;
	g_autoptr(PgIpcMessage) msg = NULL;
	g_autoptr(PgIpcMessage) decoded = NULL;
	g_autoptr(GBytes) frame = NULL;

	memset(huge, 'x', PG_IPC_FRAME_MAX + 1);
	huge[PG_IPC_FRAME_MAX + 1] = '\0';
	msg = pg_ipc_message_new(PG_IPC_CMD_SEND_IM, 9, "account", g_variant_new_string("a"), "to",
				 g_variant_new_string("bob"), "body", g_variant_new_string(huge),
				 NULL);
	frame = pg_ipc_message_encode(msg, &error);
	g_assert_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE);
	g_assert_null(frame);
	decoded = pg_ipc_message_decode((const guint8 *)huge, PG_IPC_FRAME_MAX + 1,
					PG_IPC_ROLE_WORKER, &error2);
	g_assert_error(error2, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE);
	g_assert_null(decoded);
}

static void
test_ipc_decode_non_normal(void)
{
	g_autoptr(GBytes) payload = pg_ipc_test_send_im_payload("hello there");
	g_autoptr(GByteArray) data = g_byte_array_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(PgIpcMessage) msg = NULL;
	gsize at = G_MAXSIZE;

	g_byte_array_append(data, g_bytes_get_data(payload, NULL), g_bytes_get_size(payload));
	for (gsize i = 0; i + 5 <= data->len && at == G_MAXSIZE; i++) {
		if (memcmp(data->data + i, "hello", 5) == 0)
			at = i;
	}
	/* invalid UTF-8 inside a string: GVariant would read it as "" */
	g_assert_cmpuint(at, <, data->len);
	data->data[at] = 0xff;
	msg = pg_ipc_message_decode(data->data, data->len, PG_IPC_ROLE_WORKER, &error);
	g_assert_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST);
	g_assert_null(msg);
}

static void
test_ipc_decode_garbage(void)
{
	GRand *rand = g_rand_new_with_seed(42);

	/* random bytes and bit flips of a valid payload: errors, never crashes */
	for (guint round = 0; round < 2000; round++) {
		g_autoptr(GBytes) payload = pg_ipc_test_send_im_payload("bit flip target");
		g_autoptr(GByteArray) copy = g_byte_array_new();
		guint8 *data;
		gsize size;
		g_autoptr(GError) error = NULL;
		g_autoptr(PgIpcMessage) msg = NULL;

		g_byte_array_append(copy, g_bytes_get_data(payload, NULL), g_bytes_get_size(payload));
		data = copy->data;
		size = copy->len;
		if (round % 2 == 0) {
			for (gsize i = 0; i < size; i++)
				data[i] = (guint8)g_rand_int_range(rand, 0, 256);
		} else {
			data[g_rand_int_range(rand, 0, (gint32)size)] ^=
			    (guint8)(1u << g_rand_int_range(rand, 0, 8));
		}
		msg = pg_ipc_message_decode(data, size, PG_IPC_ROLE_WORKER, &error);
		g_assert_true((msg == NULL) == (error != NULL));
	}
	g_rand_free(rand);
}

/* Channel tests ------------------------------------------------------------ */

typedef struct {
	PgIpcChannel *channel;
	gint peer_fd;
	GPtrArray *received;
	gboolean closed;
	GError *closed_error;
} PgIpcChannelFixture;

static void
pg_ipc_fixture_message_cb(PgIpcChannel *channel, PgIpcMessage *msg, gpointer user_data)
{
	PgIpcChannelFixture *fixture = user_data;
	g_ptr_array_add(fixture->received,
			pg_ipc_message_new_from_fields(msg->kind, msg->id, msg->fields));
}

static void
pg_ipc_fixture_closed_cb(PgIpcChannel *channel, const GError *error, gpointer user_data)
{
	PgIpcChannelFixture *fixture = user_data;
	g_assert_false(fixture->closed);
	fixture->closed = TRUE;
	fixture->closed_error = error != NULL ? g_error_copy(error) : NULL;
}

static void
pg_ipc_fixture_setup(PgIpcChannelFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	gint fds[2];

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
	fixture->channel = pg_ipc_channel_new(fds[0], PG_IPC_ROLE_WORKER, &error);
	g_assert_no_error(error);
	fixture->peer_fd = fds[1];
	fixture->received = g_ptr_array_new_with_free_func((GDestroyNotify)pg_ipc_message_free);
	g_signal_connect(fixture->channel, "message", G_CALLBACK(pg_ipc_fixture_message_cb),
			 fixture);
	g_signal_connect(fixture->channel, "closed", G_CALLBACK(pg_ipc_fixture_closed_cb),
			 fixture);
}

static void
pg_ipc_fixture_teardown(PgIpcChannelFixture *fixture, gconstpointer user_data)
{
	g_clear_object(&fixture->channel);
	if (fixture->peer_fd >= 0)
		close(fixture->peer_fd);
	g_ptr_array_unref(fixture->received);
	g_clear_error(&fixture->closed_error);
}

static gboolean
pg_ipc_test_timeout_cb(gpointer user_data)
{
	gboolean *timed_out = user_data;
	*timed_out = TRUE;
	return G_SOURCE_REMOVE;
}

/* Run the loop until *@count reaches @want or the channel closed; a deadline
 * fails the test instead of hanging it. */
static void
pg_ipc_fixture_wait(PgIpcChannelFixture *fixture, guint want, gboolean for_close)
{
	gboolean timed_out = FALSE;
	guint timeout_id = g_timeout_add_seconds(30, pg_ipc_test_timeout_cb, &timed_out);

	while (!timed_out) {
		if (for_close ? fixture->closed : fixture->received->len >= want)
			break;
		g_main_context_iteration(NULL, TRUE);
	}
	g_assert_false(timed_out);
	g_source_remove(timeout_id);
}

static void
pg_ipc_test_write_all(gint fd, const guint8 *data, gsize len)
{
	while (len > 0) {
		gssize n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		g_assert_cmpint(n, >, 0);
		data += n;
		len -= (gsize)n;
	}
}

static GBytes *
pg_ipc_test_frame(guint32 id, const gchar *body)
{
	g_autoptr(PgIpcMessage) msg = pg_ipc_message_new(
	    PG_IPC_CMD_ROOM_MESSAGE, id, "account", g_variant_new_string("acct"), "room",
	    g_variant_new_string("#room"), "body", g_variant_new_string(body), NULL);
	g_autoptr(GError) error = NULL;
	GBytes *frame = pg_ipc_message_encode(msg, &error);

	g_assert_no_error(error);
	return frame;
}

/* Drain everything pending on the context without blocking. */
static void
pg_ipc_test_drain(void)
{
	while (g_main_context_iteration(NULL, FALSE))
		;
}

static void
test_ipc_channel_split_at_every_byte(PgIpcChannelFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GByteArray) stream = g_byte_array_new();
	guint n_frames = 3;

	for (guint i = 0; i < n_frames; i++) {
		g_autofree gchar *body = g_strdup_printf("frame %u: %s", i, i == 1 ? "" : "ü<&>");
		g_autoptr(GBytes) frame = pg_ipc_test_frame(i + 1, body);
		g_byte_array_append(stream, g_bytes_get_data(frame, NULL), g_bytes_get_size(frame));
	}
	/* one byte at a time, letting the channel wake up between bytes */
	for (guint i = 0; i < stream->len; i++) {
		pg_ipc_test_write_all(fixture->peer_fd, stream->data + i, 1);
		pg_ipc_test_drain();
	}
	pg_ipc_fixture_wait(fixture, n_frames, FALSE);
	/* and every two-piece split of the stream */
	for (guint split = 1; split < stream->len; split++) {
		guint before = fixture->received->len;
		pg_ipc_test_write_all(fixture->peer_fd, stream->data, split);
		pg_ipc_test_drain();
		pg_ipc_test_write_all(fixture->peer_fd, stream->data + split, stream->len - split);
		pg_ipc_fixture_wait(fixture, before + n_frames, FALSE);
	}
	g_assert_cmpuint(fixture->received->len, ==, n_frames * stream->len);
	for (guint i = 0; i < fixture->received->len; i++) {
		PgIpcMessage *msg = g_ptr_array_index(fixture->received, i);
		g_assert_cmpuint(msg->id, ==, i % n_frames + 1);
		g_assert_cmpint(msg->kind, ==, PG_IPC_CMD_ROOM_MESSAGE);
	}
	g_assert_false(fixture->closed);
}

static void
test_ipc_channel_ten_thousand_in_order(PgIpcChannelFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgIpcChannel) sender =
	    pg_ipc_channel_new(dup(fixture->peer_fd), PG_IPC_ROLE_DAEMON, &error);
	guint total = 10000;

	g_assert_no_error(error);
	for (guint i = 1; i <= total; i++) {
		g_autofree gchar *body = g_strdup_printf("message number %u", i);
		g_autoptr(PgIpcMessage) msg = pg_ipc_message_new(
		    PG_IPC_CMD_ROOM_MESSAGE, pg_ipc_channel_next_id(sender), "account",
		    g_variant_new_string("acct"), "room", g_variant_new_string("#room"), "body",
		    g_variant_new_string(body), NULL);
		g_assert_true(pg_ipc_channel_send(sender, msg, &error));
		g_assert_no_error(error);
	}
	pg_ipc_fixture_wait(fixture, total, FALSE);
	for (guint i = 0; i < total; i++) {
		PgIpcMessage *msg = g_ptr_array_index(fixture->received, i);
		g_autofree gchar *body = g_strdup_printf("message number %u", i + 1);
		g_assert_cmpuint(msg->id, ==, i + 1);
		g_assert_cmpstr(pg_ipc_message_get_string(msg, "body"), ==, body);
	}
	g_assert_cmpuint(pg_ipc_channel_get_queued_bytes(sender), ==, 0);
}

/* A peer that hangs up with our frames unread makes the socketpair report
 * ECONNRESET (reading) or EPIPE (writing), not an end of stream: it is a
 * hang-up all the same, not a failure (a worker whose daemon closed first
 * must exit cleanly). */
static void
test_ipc_channel_peer_closed_with_our_data_unread(PgIpcChannelFixture *fixture,
						  gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	for (guint i = 1; i <= 3; i++) {
		g_autoptr(PgIpcMessage) msg = pg_ipc_message_new(PG_IPC_PING, i, NULL);
		g_assert_true(pg_ipc_channel_send(fixture->channel, msg, &error));
		g_assert_no_error(error);
	}
	g_assert_true(pg_ipc_channel_flush(fixture->channel, 5000, &error));
	g_assert_no_error(error);
	close(fixture->peer_fd); /* three pings unread */
	fixture->peer_fd = -1;
	{
		/* and one more to write into the hung-up socket */
		g_autoptr(PgIpcMessage) msg = pg_ipc_message_new(PG_IPC_PING, 4, NULL);
		pg_ipc_channel_send(fixture->channel, msg, NULL);
	}
	pg_ipc_fixture_wait(fixture, 0, TRUE);
	g_assert_no_error(fixture->closed_error);
	g_assert_false(pg_ipc_channel_is_open(fixture->channel));
}

static void
test_ipc_channel_peer_closed(PgIpcChannelFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) frame = pg_ipc_test_frame(1, "last words");
	g_autoptr(GError) error = NULL;
	g_autoptr(PgIpcMessage) msg = NULL;

	pg_ipc_test_write_all(fixture->peer_fd, g_bytes_get_data(frame, NULL),
			      g_bytes_get_size(frame));
	close(fixture->peer_fd);
	fixture->peer_fd = -1;
	pg_ipc_fixture_wait(fixture, 0, TRUE);
	/* the frame before the end of stream still arrives, then a clean close */
	g_assert_cmpuint(fixture->received->len, ==, 1);
	g_assert_null(fixture->closed_error);
	g_assert_false(pg_ipc_channel_is_open(fixture->channel));
	msg = pg_ipc_message_new(PG_IPC_PING, 1, NULL);
	g_assert_false(pg_ipc_channel_send(fixture->channel, msg, &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_IO);
}

static void
test_ipc_channel_truncated_at_end(PgIpcChannelFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) frame = pg_ipc_test_frame(1, "cut short");

	pg_ipc_test_write_all(fixture->peer_fd, g_bytes_get_data(frame, NULL),
			      g_bytes_get_size(frame) - 3);
	close(fixture->peer_fd);
	fixture->peer_fd = -1;
	pg_ipc_fixture_wait(fixture, 0, TRUE);
	g_assert_cmpuint(fixture->received->len, ==, 0);
	g_assert_error(fixture->closed_error, PG_ERROR, PG_ERROR_BAD_REQUEST);
}

static void
test_ipc_channel_oversized_frame(PgIpcChannelFixture *fixture, gconstpointer user_data)
{
	const guint8 header[] = {0x00, 0x10, 0x00, 0x01}; /* 1 MiB + 1 */

	pg_ipc_test_write_all(fixture->peer_fd, header, sizeof(header));
	pg_ipc_fixture_wait(fixture, 0, TRUE);
	g_assert_error(fixture->closed_error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE);
}

static void
test_ipc_channel_invalid_frame(PgIpcChannelFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) good = pg_ipc_test_frame(1, "fine");
	const guint8 bad[] = {0x00, 0x00, 0x00, 0x05, 'x', 'y', 'z', 'z', 'y'};

	pg_ipc_test_write_all(fixture->peer_fd, g_bytes_get_data(good, NULL),
			      g_bytes_get_size(good));
	pg_ipc_test_write_all(fixture->peer_fd, bad, sizeof(bad));
	pg_ipc_test_write_all(fixture->peer_fd, g_bytes_get_data(good, NULL),
			      g_bytes_get_size(good));
	pg_ipc_fixture_wait(fixture, 0, TRUE);
	/* the good frame before it is delivered, nothing after it */
	g_assert_cmpuint(fixture->received->len, ==, 1);
	g_assert_error(fixture->closed_error, PG_ERROR, PG_ERROR_BAD_REQUEST);
}

static void
test_ipc_channel_back_pressure(PgIpcChannelFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *body = g_strnfill(60000, 'b');
	guint sent = 0;

	/* the peer never reads: the queue must stop growing at its bound */
	pg_ipc_channel_set_queue_max(fixture->channel, 1024 * 1024);
	for (;;) {
		g_autoptr(PgIpcMessage) msg = pg_ipc_message_new(
		    PG_IPC_EVT_IM_RECEIVED, 1, "account", g_variant_new_string("a"), "from",
		    g_variant_new_string("b"), "body", g_variant_new_string(body), NULL);
		if (!pg_ipc_channel_send(fixture->channel, msg, &error))
			break;
		sent++;
		g_assert_cmpuint(sent, <, 10000);
	}
	g_assert_error(error, PG_ERROR, PG_ERROR_RESOURCE_CONSTRAINT);
	g_assert_cmpuint(pg_ipc_channel_get_queued_bytes(fixture->channel), <=, 1024 * 1024);
	g_assert_true(pg_ipc_channel_is_open(fixture->channel));
}

static void
pg_ipc_close_in_handler_cb(PgIpcChannel *channel, PgIpcMessage *msg, gpointer user_data)
{
	guint *count = user_data;
	(*count)++;
	pg_ipc_channel_close(channel);
}

static void
test_ipc_channel_close_from_handler(PgIpcChannelFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) frame = pg_ipc_test_frame(1, "x");
	guint count = 0;

	g_signal_connect(fixture->channel, "message", G_CALLBACK(pg_ipc_close_in_handler_cb),
			 &count);
	for (guint i = 0; i < 5; i++)
		pg_ipc_test_write_all(fixture->peer_fd, g_bytes_get_data(frame, NULL),
				      g_bytes_get_size(frame));
	pg_ipc_fixture_wait(fixture, 1, FALSE);
	pg_ipc_test_drain();
	g_assert_cmpuint(count, ==, 1);
	g_assert_false(fixture->closed); /* closing ourselves is not "closed" */
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/ipc/message/round-trip-every-kind", test_ipc_message_round_trip_every_kind);
	g_test_add_func("/ipc/message/getters", test_ipc_message_getters);
	g_test_add_func("/ipc/message/secret-round-trip", test_ipc_message_secret);
	for (guint i = 0; i < G_N_ELEMENTS(pg_ipc_bad_cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/ipc/decode/rejects/%s", pg_ipc_bad_cases[i].name);
		g_test_add_data_func(path, &pg_ipc_bad_cases[i], test_ipc_decode_rejects);
	}
	g_test_add_func("/ipc/decode/truncated-payload-fails", test_ipc_decode_truncated);
	g_test_add_func("/ipc/decode/oversized-payload-fails", test_ipc_decode_oversized);
	g_test_add_func("/ipc/decode/non-normal-form-fails", test_ipc_decode_non_normal);
	g_test_add_func("/ipc/decode/garbage-never-crashes", test_ipc_decode_garbage);
#define PG_IPC_ADD_CHANNEL_TEST(path, func)                                                       \
	g_test_add(path, PgIpcChannelFixture, NULL, pg_ipc_fixture_setup, func,                   \
		   pg_ipc_fixture_teardown)
	PG_IPC_ADD_CHANNEL_TEST("/ipc/channel/split-at-every-byte",
				test_ipc_channel_split_at_every_byte);
	PG_IPC_ADD_CHANNEL_TEST("/ipc/channel/ten-thousand-frames-in-order",
				test_ipc_channel_ten_thousand_in_order);
	PG_IPC_ADD_CHANNEL_TEST("/ipc/channel/peer-closing-emits-closed",
				test_ipc_channel_peer_closed);
	PG_IPC_ADD_CHANNEL_TEST("/ipc/channel/peer-closing-with-our-data-unread-is-a-clean-close",
				test_ipc_channel_peer_closed_with_our_data_unread);
	PG_IPC_ADD_CHANNEL_TEST("/ipc/channel/truncated-frame-at-end-is-an-error",
				test_ipc_channel_truncated_at_end);
	PG_IPC_ADD_CHANNEL_TEST("/ipc/channel/oversized-frame-drops-peer",
				test_ipc_channel_oversized_frame);
	PG_IPC_ADD_CHANNEL_TEST("/ipc/channel/invalid-frame-drops-peer",
				test_ipc_channel_invalid_frame);
	PG_IPC_ADD_CHANNEL_TEST("/ipc/channel/write-queue-is-bounded",
				test_ipc_channel_back_pressure);
	PG_IPC_ADD_CHANNEL_TEST("/ipc/channel/handler-may-close",
				test_ipc_channel_close_from_handler);
	return g_test_run();
}
