/* Unit tests of the HTTP listener's limits (src/http/pg-http-guard.c and
 * the early handler of src/http/pg-http.c): a refused request is answered
 * before its body is read, a chunked body stops at max_body, idle and slow
 * connections are closed, and connections are capped.  A real PgHttp on
 * 127.0.0.1 and raw sockets in the same process and main loop; every wait
 * has a deadline that fails the test. */
#define G_LOG_DOMAIN "test-http-limits"

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "core/pg-config.h"
#include "core/pg-error.h"
#include "http/pg-http.h"

#define PG_TEST_TOKEN "token-one-0123456789abcdef"
#define PG_TEST_DEADLINE_S 15

static const gchar pg_test_config[] = "[polygate]\n"
				      "database = registry.db\n"
				      "key_file = registry.key\n"
				      "[http]\n"
				      "max_connections = 2\n"
				      "idle_timeout = 1\n"
				      "request_timeout = 2\n"
				      "max_body = 8192\n"
				      "[transport sms]\n"
				      "jid = sms.example.org\n"
				      "secret = s\n"
				      "type = sms\n"
				      "kannel_token = " PG_TEST_TOKEN "\n";

typedef struct {
	PgConfig *config;
	PgHttpDelegate delegate;
	PgHttp *http;
	guint n_inbound;
} PgTestFixture;

static guint
pg_test_inbound_cb(PgHttp *http, const PgTransportConfig *transport, const gchar *from,
		   const gchar *to, const gchar *text, gpointer user_data)
{
	PgTestFixture *fixture = user_data;
	fixture->n_inbound++;
	return SOUP_STATUS_OK;
}

/* @user_data: NULL, or "slow" for long timeouts (30 s) */
static void
pg_test_fixture_setup(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	fixture->config = pg_config_load_from_data(pg_test_config, "/nonexistent/polygate.conf",
						   &error);
	g_assert_no_error(error);
	g_assert_cmpuint(fixture->config->http_max_connections, ==, 2);
	g_assert_cmpuint(fixture->config->http_idle_timeout, ==, 1);
	g_assert_cmpuint(fixture->config->http_request_timeout, ==, 2);
	g_assert_cmpuint(fixture->config->http_max_body, ==, 8192);
	if (g_strcmp0(user_data, "slow") == 0) {
		fixture->config->http_idle_timeout = 30;
		fixture->config->http_request_timeout = 30;
	}
	fixture->delegate.inbound = pg_test_inbound_cb;
	fixture->http = pg_http_new_for_address(fixture->config, "127.0.0.1", 0,
						&fixture->delegate, fixture, &error);
	g_assert_no_error(error);
}

static void
pg_test_fixture_teardown(PgTestFixture *fixture, gconstpointer user_data)
{
	g_clear_pointer(&fixture->http, pg_http_free);
	g_clear_pointer(&fixture->config, pg_config_free);
}

/* ---- a raw client, driven from the same main loop ---- */

typedef struct {
	GSocketConnection *connection;
	GString *received;
	gboolean closed; /* end of stream or reset */
	gboolean reading;
	gchar buffer[4096];
} PgTestClient;

static void pg_test_client_read(PgTestClient *client);

static void
pg_test_client_read_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	PgTestClient *client = user_data;
	g_autoptr(GError) error = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);

	client->reading = FALSE;
	if (n <= 0) {
		client->closed = TRUE;
		return;
	}
	g_string_append_len(client->received, client->buffer, n);
	pg_test_client_read(client);
}

static void
pg_test_client_read(PgTestClient *client)
{
	client->reading = TRUE;
	g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(client->connection)),
				  client->buffer, sizeof client->buffer, G_PRIORITY_DEFAULT, NULL,
				  pg_test_client_read_cb, client);
}

static PgTestClient *
pg_test_client_connect(PgTestFixture *fixture)
{
	g_autoptr(GSocketClient) socket_client = g_socket_client_new();
	g_autoptr(GError) error = NULL;
	PgTestClient *client = g_new0(PgTestClient, 1);

	/* the listener's backlog completes the connect without the main loop */
	client->connection = g_socket_client_connect_to_host(
	    socket_client, "127.0.0.1", pg_http_get_port(fixture->http), NULL, &error);
	g_assert_no_error(error);
	client->received = g_string_new(NULL);
	pg_test_client_read(client);
	return client;
}

static void
pg_test_client_send(PgTestClient *client, const gchar *data, gsize len)
{
	g_autoptr(GError) error = NULL;

	g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(client->connection)),
				  data, len, NULL, NULL, &error);
	g_assert_no_error(error);
}

static void
pg_test_client_free(PgTestClient *client)
{
	g_io_stream_close(G_IO_STREAM(client->connection), NULL, NULL);
	/* the read in flight ends (closed) on the next iterations */
	while (client->reading)
		g_main_context_iteration(NULL, TRUE);
	g_object_unref(client->connection);
	g_string_free(client->received, TRUE);
	g_free(client);
}

static gboolean
pg_test_deadline_cb(gpointer user_data)
{
	gboolean *expired = user_data;
	*expired = TRUE;
	return G_SOURCE_REMOVE;
}

/* Runs the loop until @client was closed by the server; FALSE if that did
 * not happen within @seconds. */
static gboolean
pg_test_client_wait_closed(PgTestClient *client, guint seconds)
{
	gboolean expired = FALSE;
	guint deadline = g_timeout_add_seconds(seconds, pg_test_deadline_cb, &expired);

	while (!client->closed && !expired)
		g_main_context_iteration(NULL, TRUE);
	if (!expired)
		g_source_remove(deadline);
	return client->closed;
}

static guint
pg_test_client_status(PgTestClient *client)
{
	if (!g_str_has_prefix(client->received->str, "HTTP/1.1 "))
		return 0;
	return (guint)g_ascii_strtoull(client->received->str + strlen("HTTP/1.1 "), NULL, 10);
}

/* ---- a request refused before its body is read ---- */

/* A chunked POST without a token: the 403 comes at once, while the client
 * has sent no byte of the body (libsoup alone would wait for all of it). */
static void
test_chunked_without_token_is_refused_unread(PgTestFixture *fixture, gconstpointer user_data)
{
	static const gchar request[] = "POST /kannel/inbound?from=1&to=2 HTTP/1.1\r\n"
				       "Host: 127.0.0.1\r\n"
				       "Transfer-Encoding: chunked\r\n"
				       "Content-Type: text/plain\r\n\r\n";
	PgTestClient *client = pg_test_client_connect(fixture);

	pg_test_client_send(client, request, strlen(request));
	g_assert_true(pg_test_client_wait_closed(client, PG_TEST_DEADLINE_S));
	g_assert_cmpuint(pg_test_client_status(client), ==, SOUP_STATUS_FORBIDDEN);
	g_assert_nonnull(strstr(client->received->str, "Connection: close\r\n"));
	g_assert_cmpuint(fixture->n_inbound, ==, 0);
	pg_test_client_free(client);
}

/* The same with a declared length far over max_body: 413 before the body. */
static void
test_declared_length_over_max_is_413_unread(PgTestFixture *fixture, gconstpointer user_data)
{
	static const gchar request[] = "POST /kannel/inbound?token=" PG_TEST_TOKEN
				       "&from=1&to=2 HTTP/1.1\r\n"
				       "Host: 127.0.0.1\r\n"
				       "Content-Length: 52428800\r\n"
				       "Content-Type: text/plain\r\n\r\n";
	PgTestClient *client = pg_test_client_connect(fixture);

	pg_test_client_send(client, request, strlen(request));
	g_assert_true(pg_test_client_wait_closed(client, PG_TEST_DEADLINE_S));
	g_assert_cmpuint(pg_test_client_status(client), ==, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
	g_assert_cmpuint(fixture->n_inbound, ==, 0);
	pg_test_client_free(client);
}

/* With the right token a chunked body is read, up to max_body: one byte
 * more is 413, whatever follows is never taken. */
static void
test_chunked_body_stops_at_max_body(PgTestFixture *fixture, gconstpointer user_data)
{
	static const gchar request[] = "POST /kannel/inbound?token=" PG_TEST_TOKEN
				       "&from=1&to=2 HTTP/1.1\r\n"
				       "Host: 127.0.0.1\r\n"
				       "Transfer-Encoding: chunked\r\n"
				       "Content-Type: text/plain\r\n\r\n";
	g_autoptr(GString) body = g_string_new(NULL);
	PgTestClient *client = pg_test_client_connect(fixture);

	/* 9 chunks of 1 KiB: 9216 bytes > 8192, and no final chunk */
	for (guint i = 0; i < 9; i++) {
		g_string_append(body, "400\r\n");
		for (guint j = 0; j < 1024; j++)
			g_string_append_c(body, 'a');
		g_string_append(body, "\r\n");
	}
	pg_test_client_send(client, request, strlen(request));
	pg_test_client_send(client, body->str, body->len);
	g_assert_true(pg_test_client_wait_closed(client, PG_TEST_DEADLINE_S));
	g_assert_cmpuint(pg_test_client_status(client), ==, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
	g_assert_cmpuint(fixture->n_inbound, ==, 0);
	pg_test_client_free(client);
}

/* A body under max_body still reaches the delegate. */
static void
test_chunked_body_under_max_body_is_taken(PgTestFixture *fixture, gconstpointer user_data)
{
	static const gchar request[] = "POST /kannel/inbound?token=" PG_TEST_TOKEN
				       "&from=1&to=2 HTTP/1.1\r\n"
				       "Host: 127.0.0.1\r\n"
				       "Connection: close\r\n"
				       "Transfer-Encoding: chunked\r\n"
				       "Content-Type: text/plain; charset=utf-8\r\n\r\n"
				       "5\r\nhello\r\n0\r\n\r\n";
	PgTestClient *client = pg_test_client_connect(fixture);

	pg_test_client_send(client, request, strlen(request));
	g_assert_true(pg_test_client_wait_closed(client, PG_TEST_DEADLINE_S));
	g_assert_cmpuint(pg_test_client_status(client), ==, SOUP_STATUS_OK);
	g_assert_cmpuint(fixture->n_inbound, ==, 1);
	pg_test_client_free(client);
}

/* ---- timeouts ---- */

/* A connection that sends nothing is closed after idle_timeout (1 s). */
static void
test_idle_connection_is_closed(PgTestFixture *fixture, gconstpointer user_data)
{
	PgTestClient *client = pg_test_client_connect(fixture);
	gint64 start = g_get_monotonic_time();

	g_assert_true(pg_test_client_wait_closed(client, PG_TEST_DEADLINE_S));
	g_assert_cmpint(g_get_monotonic_time() - start, >=, G_USEC_PER_SEC / 2);
	pg_test_client_free(client);
}

typedef struct {
	PgTestClient *client;
	const gchar *next;
} PgTestTrickle;

static gboolean
pg_test_trickle_cb(gpointer user_data)
{
	PgTestTrickle *trickle = user_data;

	if (trickle->client->closed || *trickle->next == '\0')
		return G_SOURCE_REMOVE;
	/* the peer may be gone already: a failed write is fine here */
	g_output_stream_write(
	    g_io_stream_get_output_stream(G_IO_STREAM(trickle->client->connection)),
	    trickle->next++, 1, NULL, NULL);
	return G_SOURCE_CONTINUE;
}

/* A header trickle of a byte every 300 ms never lets idle_timeout (1 s)
 * fire; request_timeout (2 s) closes it. */
static void
test_header_trickle_is_closed(PgTestFixture *fixture, gconstpointer user_data)
{
	PgTestTrickle trickle = {
	    .client = pg_test_client_connect(fixture),
	    .next = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
	};
	gint64 start = g_get_monotonic_time();
	guint source = g_timeout_add(300, pg_test_trickle_cb, &trickle);

	g_assert_true(pg_test_client_wait_closed(trickle.client, PG_TEST_DEADLINE_S));
	g_assert_cmpint(g_get_monotonic_time() - start, >=, G_USEC_PER_SEC);
	/* the request never got its answer */
	g_assert_cmpuint(pg_test_client_status(trickle.client), !=, SOUP_STATUS_OK);
	g_assert_cmpint(*trickle.next, !=, '\0');
	g_source_remove(source);
	pg_test_client_free(trickle.client);
}

/* ---- the connection cap ---- */

static void
pg_test_http_get_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	guint *status = user_data;
	g_autoptr(GBytes) body = soup_session_send_and_read_finish(SOUP_SESSION(source), result,
								   NULL);
	*status = body != NULL ? 200 : 1;
}

/* GET /healthz with a fresh session; the status (0 at the deadline, 1 for a
 * transport error). */
static guint
pg_test_healthz(PgTestFixture *fixture)
{
	g_autoptr(SoupSession) session = soup_session_new();
	g_autofree gchar *url =
	    g_strdup_printf("http://127.0.0.1:%u/healthz", pg_http_get_port(fixture->http));
	g_autoptr(SoupMessage) msg = soup_message_new(SOUP_METHOD_GET, url);
	gboolean expired = FALSE;
	guint deadline = g_timeout_add_seconds(PG_TEST_DEADLINE_S, pg_test_deadline_cb, &expired);
	guint status = 0;

	soup_session_send_and_read_async(session, msg, G_PRIORITY_DEFAULT, NULL,
					 pg_test_http_get_cb, &status);
	while (status == 0 && !expired)
		g_main_context_iteration(NULL, TRUE);
	if (!expired)
		g_source_remove(deadline);
	return status == 200 ? soup_message_get_status(msg) : status;
}

static gboolean
pg_test_flag_cb(gpointer user_data)
{
	*(gboolean *)user_data = TRUE;
	return G_SOURCE_REMOVE;
}

/* Runs the loop until one of @clients (NULL-terminated) is closed by the
 * server; returns it, or NULL at the deadline. */
static PgTestClient *
pg_test_wait_any_closed(PgTestClient **clients)
{
	gboolean expired = FALSE;
	guint deadline = g_timeout_add_seconds(PG_TEST_DEADLINE_S, pg_test_deadline_cb, &expired);

	while (!expired) {
		for (guint i = 0; clients[i] != NULL; i++) {
			if (clients[i]->closed) {
				g_source_remove(deadline);
				return clients[i];
			}
		}
		g_main_context_iteration(NULL, TRUE);
	}
	return NULL;
}

/* max_connections = 2 (timeouts of 30 s): a third connection while two
 * fresh ones wait is refused (503, closed), or, on a machine so slow that
 * the first one has been silent for the grace second already, takes its
 * place.  Once they have been silent that long, a new request takes the
 * place of the oldest and /healthz answers. */
static void
test_connection_cap(PgTestFixture *fixture, gconstpointer user_data)
{
	PgTestClient *first = pg_test_client_connect(fixture);
	PgTestClient *second = pg_test_client_connect(fixture);
	PgTestClient *third = pg_test_client_connect(fixture);
	PgTestClient *clients[] = {first, second, third, NULL};
	PgTestClient *gone = pg_test_wait_any_closed(clients);
	gboolean later = FALSE;

	g_assert_nonnull(gone);
	g_assert_false(second->closed);
	if (gone == third) {
		g_assert_cmpuint(pg_test_client_status(third), ==,
				 SOUP_STATUS_SERVICE_UNAVAILABLE);
		g_assert_false(first->closed);
	} else {
		g_assert_true(gone == first);
		g_assert_false(third->closed);
	}
	g_timeout_add(1200, pg_test_flag_cb, &later);
	while (!later)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpuint(pg_test_healthz(fixture), ==, SOUP_STATUS_OK);
	/* the oldest still open made room: never more than two */
	g_assert_true(pg_test_client_wait_closed(gone == third ? first : second,
						 PG_TEST_DEADLINE_S));
	pg_test_client_free(first);
	pg_test_client_free(second);
	pg_test_client_free(third);
}

/* --check-config refuses limits out of range, one problem per key. */
static void
test_config_refuses_bad_limits(void)
{
	static const gchar text[] = "[http]\n"
				    "max_connections = 0\n"
				    "idle_timeout = -1\n"
				    "request_timeout = 99999\n"
				    "max_body = 10\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(PgConfig) config = pg_config_load_from_data(text, "/x/polygate.conf", &error);

	g_assert_null(config);
	g_assert_error(error, PG_ERROR, PG_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, "[http] max_connections: must be"));
	g_assert_nonnull(strstr(error->message, "[http] idle_timeout: must be"));
	g_assert_nonnull(strstr(error->message, "[http] request_timeout: must be"));
	g_assert_nonnull(strstr(error->message, "[http] max_body: must be"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* refusals are logged as warnings: expected here */
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

#define PG_TEST_ADD(path, func)                                                                    \
	g_test_add(path, PgTestFixture, NULL, pg_test_fixture_setup, func, pg_test_fixture_teardown)
	PG_TEST_ADD("/http/limits/chunked-without-token-is-403-unread",
		    test_chunked_without_token_is_refused_unread);
	PG_TEST_ADD("/http/limits/declared-length-over-max-is-413-unread",
		    test_declared_length_over_max_is_413_unread);
	PG_TEST_ADD("/http/limits/chunked-body-stops-at-max-body",
		    test_chunked_body_stops_at_max_body);
	PG_TEST_ADD("/http/limits/chunked-body-under-max-body-is-taken",
		    test_chunked_body_under_max_body_is_taken);
	PG_TEST_ADD("/http/limits/idle-connection-is-closed", test_idle_connection_is_closed);
	PG_TEST_ADD("/http/limits/header-trickle-is-closed", test_header_trickle_is_closed);
#undef PG_TEST_ADD
	g_test_add_func("/http/limits/config-refuses-bad-limits", test_config_refuses_bad_limits);
	g_test_add("/http/limits/connection-cap", PgTestFixture, "slow", pg_test_fixture_setup,
		   test_connection_cap, pg_test_fixture_teardown);
	return g_test_run();
}
