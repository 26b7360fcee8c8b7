/* Unit tests of src/http: a real PgHttp on 127.0.0.1 (ephemeral port) and a
 * SoupSession client in the same process and main loop.  Every request waits
 * for its reply with a deadline that fails the test. */
#define G_LOG_DOMAIN "test-http"

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "core/pg-config.h"
#include "core/pg-error.h"
#include "http/pg-http.h"

#define PG_TEST_TOKEN_1	 "token-one-0123456789abcdef"
#define PG_TEST_TOKEN_2	 "token-two-fedcba9876543210"
#define PG_TEST_BAD_TOKEN "token-one-0123456789abcdeX"
#define PG_TEST_DEADLINE_S 10

static const gchar pg_test_config[] = "[polygate]\n"
				      "database = registry.db\n"
				      "key_file = registry.key\n"
				      "[transport irc]\n"
				      "jid = irc.example.org\n"
				      "secret = s\n"
				      "type = irc\n"
				      "[transport sms1]\n"
				      "jid = sms1.example.org\n"
				      "secret = s\n"
				      "type = sms\n"
				      "kannel_token = " PG_TEST_TOKEN_1 "\n"
				      "[transport sms2]\n"
				      "jid = sms2.example.org\n"
				      "secret = s\n"
				      "type = sms\n"
				      "kannel_token = " PG_TEST_TOKEN_2 "\n";

/* ---- log capture: every message of every domain, checked by the tests ---- */

typedef struct {
	GLogLevelFlags level;
	gchar *domain;
	gchar *message;
} PgTestLogLine;

static GPtrArray *pg_test_log; /* element-type PgTestLogLine */

static void
pg_test_log_line_free(PgTestLogLine *line)
{
	g_free(line->domain);
	g_free(line->message);
	g_free(line);
}

static GLogWriterOutput
pg_test_log_writer_cb(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
		      gpointer user_data)
{
	PgTestLogLine *line = g_new0(PgTestLogLine, 1);

	line->level = level & G_LOG_LEVEL_MASK;
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
			line->message = g_strdup(fields[i].value);
		else if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0)
			line->domain = g_strdup(fields[i].value);
	}
	g_ptr_array_add(pg_test_log, line);
	/* GLib's test mode already echoes every message as a TAP comment */
	return G_LOG_WRITER_HANDLED;
}

/* Asserts that a warning from PgHttp saying exactly @message was logged, and
 * forgets it; the teardown fails on any warning left over. */
static void
pg_test_take_warning(const gchar *message)
{
	for (guint i = 0; i < pg_test_log->len; i++) {
		PgTestLogLine *line = g_ptr_array_index(pg_test_log, i);
		if (line->level == G_LOG_LEVEL_WARNING && g_strcmp0(line->domain, "PgHttp") == 0 &&
		    g_strcmp0(line->message, message) == 0) {
			g_ptr_array_remove_index(pg_test_log, i);
			return;
		}
	}
	for (guint i = 0; i < pg_test_log->len; i++) {
		PgTestLogLine *line = g_ptr_array_index(pg_test_log, i);
		g_printerr("logged: %s: %s\n", line->domain, line->message);
	}
	g_error("expected the warning \"%s\"", message);
}

/* No log line at any level may hold @needle (a token). */
static void
pg_test_assert_not_logged(const gchar *needle)
{
	for (guint i = 0; i < pg_test_log->len; i++) {
		PgTestLogLine *line = g_ptr_array_index(pg_test_log, i);
		if (line->message != NULL && strstr(line->message, needle) != NULL)
			g_error("a log line holds \"%s\": %s", needle, line->message);
	}
}

/* ---- fixture: config, delegate recording its calls, server, client ---- */

typedef struct {
	PgConfig *config;
	PgHttpDelegate delegate;
	PgHttp *http;
	SoupSession *session;
	/* what the delegate saw */
	guint n_inbound;
	guint n_dlr;
	const PgTransportConfig *transport;
	gchar *from;
	gchar *to;
	gchar *text;
	gchar *message_id;
	gint dlr_status;
	gchar *answer;
	/* what it answers */
	guint answer_status;
	const gchar *metrics;
} PgTestFixture;

static guint
pg_test_inbound_cb(PgHttp *http, const PgTransportConfig *transport, const gchar *from,
		   const gchar *to, const gchar *text, gpointer user_data)
{
	PgTestFixture *fixture = user_data;

	g_assert_true(http == fixture->http);
	fixture->n_inbound++;
	fixture->transport = transport;
	g_free(fixture->from);
	fixture->from = g_strdup(from);
	g_free(fixture->to);
	fixture->to = g_strdup(to);
	g_free(fixture->text);
	fixture->text = g_strdup(text);
	return fixture->answer_status;
}

static guint
pg_test_dlr_cb(PgHttp *http, const PgTransportConfig *transport, const gchar *message_id,
	       gint status, const gchar *answer, gpointer user_data)
{
	PgTestFixture *fixture = user_data;

	fixture->n_dlr++;
	fixture->transport = transport;
	g_free(fixture->message_id);
	fixture->message_id = g_strdup(message_id);
	fixture->dlr_status = status;
	g_free(fixture->answer);
	fixture->answer = g_strdup(answer);
	return fixture->answer_status;
}

static gchar *
pg_test_metrics_cb(gpointer user_data)
{
	PgTestFixture *fixture = user_data;
	return g_strdup(fixture->metrics);
}

static void
pg_test_fixture_setup(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	g_ptr_array_set_size(pg_test_log, 0);
	fixture->config = pg_config_load_from_data(pg_test_config, "/nonexistent/polygate.conf",
						   &error);
	g_assert_no_error(error);
	fixture->delegate.inbound = pg_test_inbound_cb;
	fixture->delegate.dlr = pg_test_dlr_cb;
	fixture->delegate.metrics = pg_test_metrics_cb;
	fixture->answer_status = SOUP_STATUS_OK;
	fixture->http = pg_http_new_for_address(fixture->config, "127.0.0.1", 0,
						&fixture->delegate, fixture, &error);
	g_assert_no_error(error);
	g_assert_nonnull(fixture->http);
	g_assert_cmpuint(pg_http_get_port(fixture->http), >, 0);
	fixture->session = soup_session_new();
}

static void
pg_test_fixture_teardown(PgTestFixture *fixture, gconstpointer user_data)
{
	g_clear_object(&fixture->session);
	g_clear_pointer(&fixture->http, pg_http_free);
	/* no token ever reaches a log, whatever the test did */
	pg_test_assert_not_logged(PG_TEST_TOKEN_1);
	pg_test_assert_not_logged(PG_TEST_TOKEN_2);
	pg_test_assert_not_logged(PG_TEST_BAD_TOKEN);
	for (guint i = 0; i < pg_test_log->len; i++) {
		PgTestLogLine *line = g_ptr_array_index(pg_test_log, i);
		if (line->level <= G_LOG_LEVEL_WARNING)
			g_error("unexpected warning: %s: %s", line->domain, line->message);
	}
	g_clear_pointer(&fixture->config, pg_config_free);
	g_free(fixture->from);
	g_free(fixture->to);
	g_free(fixture->text);
	g_free(fixture->message_id);
	g_free(fixture->answer);
}

/* ---- the client ---- */

typedef struct {
	gboolean done;
	GBytes *body;
	GError *error;
} PgTestReply;

static void
pg_test_reply_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	PgTestReply *reply = user_data;

	reply->body = soup_session_send_and_read_finish(SOUP_SESSION(source), result,
							&reply->error);
	reply->done = TRUE;
}

static gboolean
pg_test_deadline_cb(gpointer user_data)
{
	g_error("no HTTP reply within %d s", PG_TEST_DEADLINE_S);
	return G_SOURCE_REMOVE;
}

/* Sends @method @path_and_query (raw: escapes are sent as written) with an
 * optional body, runs the main loop until the reply is in, and returns the
 * status.  *@body_out (if not NULL) gets the body as a string; *@msg_out (if
 * not NULL) the message, to read headers. */
static guint
pg_test_request_full(PgTestFixture *fixture, const gchar *method, const gchar *path_and_query,
		     const gchar *content_type, const gchar *body, gsize body_len,
		     const gchar *const *headers, gchar **body_out, SoupMessage **msg_out)
{
	g_autofree gchar *url = g_strdup_printf("http://127.0.0.1:%u%s",
						pg_http_get_port(fixture->http), path_and_query);
	g_autoptr(SoupMessage) msg = soup_message_new(method, url);
	PgTestReply reply = {0};
	guint deadline;

	g_assert_nonnull(msg);
	if (body != NULL) {
		g_autoptr(GBytes) bytes = g_bytes_new(body, body_len);
		soup_message_set_request_body_from_bytes(msg, content_type, bytes);
	}
	for (guint i = 0; headers != NULL && headers[i] != NULL; i += 2)
		soup_message_headers_replace(soup_message_get_request_headers(msg), headers[i],
					     headers[i + 1]);
	soup_session_send_and_read_async(fixture->session, msg, G_PRIORITY_DEFAULT, NULL,
					 pg_test_reply_cb, &reply);
	deadline = g_timeout_add_seconds(PG_TEST_DEADLINE_S, pg_test_deadline_cb, NULL);
	while (!reply.done)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(deadline);
	g_assert_no_error(reply.error);
	if (body_out != NULL)
		*body_out = g_bytes_get_size(reply.body) > 0
				? g_strndup(g_bytes_get_data(reply.body, NULL),
					    g_bytes_get_size(reply.body))
				: g_strdup("");
	g_bytes_unref(reply.body);
	if (msg_out != NULL)
		*msg_out = g_object_ref(msg);
	return soup_message_get_status(msg);
}

static guint
pg_test_get(PgTestFixture *fixture, const gchar *path_and_query, gchar **body_out)
{
	return pg_test_request_full(fixture, SOUP_METHOD_GET, path_and_query, NULL, NULL, 0, NULL,
				    body_out, NULL);
}

typedef struct {
	gboolean done;
	gsize len;
	GError *error;
} PgTestRawReply;

static void
pg_test_raw_reply_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	PgTestRawReply *reply = user_data;

	g_input_stream_read_all_finish(G_INPUT_STREAM(source), result, &reply->len,
				       &reply->error);
	reply->done = TRUE;
}

/* Sends "GET @target HTTP/1.1" as raw bytes: a client library would refuse a
 * malformed escape before sending it.  Returns: the reply's status. */
static guint
pg_test_raw_get(PgTestFixture *fixture, const gchar *target)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketConnection) connection = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *request = g_strdup_printf(
	    "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", target);
	gchar buffer[4096] = {0};
	PgTestRawReply reply = {0};
	guint deadline;
	guint status = 0;

	/* the listener's backlog completes the connect without the main loop */
	connection = g_socket_client_connect_to_host(client, "127.0.0.1",
						     pg_http_get_port(fixture->http), NULL, &error);
	g_assert_no_error(error);
	g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(connection)), request,
				  strlen(request), NULL, NULL, &error);
	g_assert_no_error(error);
	g_input_stream_read_all_async(g_io_stream_get_input_stream(G_IO_STREAM(connection)),
				      buffer, sizeof(buffer) - 1, G_PRIORITY_DEFAULT, NULL,
				      pg_test_raw_reply_cb, &reply);
	deadline = g_timeout_add_seconds(PG_TEST_DEADLINE_S, pg_test_deadline_cb, NULL);
	while (!reply.done)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(deadline);
	g_assert_no_error(reply.error);
	g_assert_true(g_str_has_prefix(buffer, "HTTP/1.1 "));
	status = (guint)g_ascii_strtoull(buffer + strlen("HTTP/1.1 "), NULL, 10);
	return status;
}

static PgTransportConfig *
pg_test_transport(PgTestFixture *fixture, const gchar *name)
{
	for (guint i = 0; i < fixture->config->transports->len; i++) {
		PgTransportConfig *transport = g_ptr_array_index(fixture->config->transports, i);
		if (g_strcmp0(transport->name, name) == 0)
			return transport;
	}
	g_assert_not_reached();
}

/* ---- /healthz, /metrics, routing ---- */

static void
test_healthz(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *body = NULL;
	g_autoptr(SoupMessage) msg = NULL;

	g_assert_cmpuint(pg_test_get(fixture, "/healthz", &body), ==, 200);
	g_assert_cmpstr(body, ==, "ok\n");
	g_assert_cmpuint(pg_test_request_full(fixture, SOUP_METHOD_HEAD, "/healthz", NULL, NULL, 0,
					      NULL, NULL, NULL),
			 ==, 200);
	g_assert_cmpuint(pg_test_request_full(fixture, SOUP_METHOD_POST, "/healthz", "text/plain",
					      "x", 1, NULL, NULL, &msg),
			 ==, 405);
	g_assert_cmpstr(soup_message_headers_get_one(soup_message_get_response_headers(msg),
						     "Allow"),
			==, "GET, HEAD");
}

static void
test_metrics_default(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *body = NULL;
	g_autoptr(SoupMessage) msg = NULL;
	const gchar *content_type;

	fixture->delegate.metrics = NULL;
	g_assert_cmpuint(pg_test_request_full(fixture, SOUP_METHOD_GET, "/metrics", NULL, NULL, 0,
					      NULL, &body, &msg),
			 ==, 200);
	content_type = soup_message_headers_get_one(soup_message_get_response_headers(msg),
						    "Content-Type");
	g_assert_nonnull(strstr(content_type, "text/plain"));
	g_assert_nonnull(strstr(content_type, "version=0.0.4"));
	g_assert_nonnull(strstr(body, "\npolygate_up 1\n"));
	g_assert_nonnull(strstr(body, "# TYPE polygate_up gauge\n"));
	/* this request is the first one */
	g_assert_nonnull(strstr(body, "\npolygate_http_requests_total 1\n"));
}

static void
test_metrics_from_delegate(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *body = NULL;
	g_autofree gchar *refused = NULL;

	fixture->metrics = "# TYPE polygate_sessions gauge\npolygate_sessions 3";
	g_assert_cmpuint(pg_test_get(fixture, "/kannel/inbound?token=nope", NULL), ==, 403);
	pg_test_take_warning("refused GET /kannel/inbound from 127.0.0.1: wrong token");
	g_assert_cmpuint(pg_test_get(fixture, "/metrics", &body), ==, 200);
	/* the delegate's text, a newline added, then our counters */
	g_assert_true(g_str_has_prefix(body, "# TYPE polygate_sessions gauge\n"
					     "polygate_sessions 3\n# HELP"));
	g_assert_null(strstr(body, "polygate_up"));
	g_assert_nonnull(strstr(body, "\npolygate_http_kannel_refused_total 1\n"));
	g_assert_nonnull(strstr(body, "\npolygate_http_requests_total 2\n"));
}

static void
test_unknown_path_and_method(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(SoupMessage) msg = NULL;

	g_assert_cmpuint(pg_test_get(fixture, "/", NULL), ==, 404);
	g_assert_cmpuint(pg_test_get(fixture, "/kannel", NULL), ==, 404);
	g_assert_cmpuint(pg_test_get(fixture, "/kannel/inbound/", NULL), ==, 404);
	g_assert_cmpuint(pg_test_get(fixture, "/healthz/x", NULL), ==, 404);
	g_assert_cmpuint(pg_test_get(fixture, "/KANNEL/INBOUND", NULL), ==, 404);
	g_assert_cmpuint(pg_test_request_full(fixture, SOUP_METHOD_POST,
					      "/kannel/dlr?token=" PG_TEST_TOKEN_1 "&id=1&status=1",
					      "text/plain", "", 0, NULL, NULL, &msg),
			 ==, 405);
	g_assert_cmpstr(soup_message_headers_get_one(soup_message_get_response_headers(msg),
						     "Allow"),
			==, "GET");
	g_assert_cmpuint(pg_test_request_full(fixture, SOUP_METHOD_PUT,
					      "/kannel/inbound?token=" PG_TEST_TOKEN_1, "text/plain",
					      "", 0, NULL, NULL, NULL),
			 ==, 405);
	/* HEAD would run the delegate for nothing */
	g_assert_cmpuint(pg_test_request_full(fixture, SOUP_METHOD_HEAD,
					      "/kannel/inbound?token=" PG_TEST_TOKEN_1
					      "&from=1&to=2&text=x",
					      NULL, NULL, 0, NULL, NULL, NULL),
			 ==, 405);
	g_assert_cmpuint(fixture->n_inbound + fixture->n_dlr, ==, 0);
}

/* ---- /kannel/inbound ---- */

static void
test_inbound_reaches_the_delegate(PgTestFixture *fixture, gconstpointer user_data)
{
	/* "Grüße, 1+1=2 & more" in UTF-8: spaces as '+', a real '+' as %2B */
	static const gchar query[] = "/kannel/inbound?token=" PG_TEST_TOKEN_1
				     "&from=%2B4915100000001&to=12345"
				     "&text=Gr%C3%BC%C3%9Fe,+1%2B1%3D2+%26+more"
				     "&charset=binary&coding=1&smsc=fake&id=abc-1&ts=1700000000";
	g_autofree gchar *body = NULL;

	g_assert_cmpuint(pg_test_get(fixture, query, &body), ==, 200);
	g_assert_cmpstr(body, ==, "");
	g_assert_cmpuint(fixture->n_inbound, ==, 1);
	g_assert_true(fixture->transport == pg_test_transport(fixture, "sms1"));
	g_assert_cmpstr(fixture->from, ==, "+4915100000001");
	g_assert_cmpstr(fixture->to, ==, "12345");
	g_assert_cmpstr(fixture->text, ==, "Grüße, 1+1=2 & more");

	/* the delegate's status goes back to Kannel */
	fixture->answer_status = 404;
	g_assert_cmpuint(pg_test_get(fixture, query, NULL), ==, 404);
	fixture->answer_status = 503;
	g_assert_cmpuint(pg_test_get(fixture, query, NULL), ==, 503);
	/* a nonsense status is not passed on */
	fixture->answer_status = 42;
	g_assert_cmpuint(pg_test_get(fixture, query, NULL), ==, 500);
	pg_test_take_warning("delegate answered HTTP status 42; sending 500");
	g_assert_cmpuint(fixture->n_inbound, ==, 4);
}

static void
test_inbound_token_names_the_transport(PgTestFixture *fixture, gconstpointer user_data)
{
	g_assert_cmpuint(pg_test_get(fixture,
				     "/kannel/inbound?token=" PG_TEST_TOKEN_2
				     "&from=4915100000002&to=555&text=hi",
				     NULL),
			 ==, 200);
	g_assert_true(fixture->transport == pg_test_transport(fixture, "sms2"));
	g_assert_cmpstr(fixture->text, ==, "hi");
	/* an empty SMS is still an SMS */
	g_assert_cmpuint(pg_test_get(fixture,
				     "/kannel/inbound?token=" PG_TEST_TOKEN_2
				     "&from=4915100000002&to=555&text=",
				     NULL),
			 ==, 200);
	g_assert_cmpstr(fixture->text, ==, "");
}

typedef struct {
	const gchar *name;
	const gchar *query; /* after /kannel/inbound? */
	const gchar *warning;
} PgTestRefusedCase;

static const PgTestRefusedCase pg_test_refused_cases[] = {
    {.name = "missing-token",
     .query = "from=1&to=2&text=x",
     .warning = "refused GET /kannel/inbound from 127.0.0.1: no token"},
    {.name = "wrong-token",
     .query = "token=" PG_TEST_BAD_TOKEN "&from=1&to=2&text=x",
     .warning = "refused GET /kannel/inbound from 127.0.0.1: wrong token"},
    {.name = "empty-token",
     .query = "token=&from=1&to=2&text=x",
     .warning = "refused GET /kannel/inbound from 127.0.0.1: wrong token"},
    {.name = "token-prefix",
     .query = "token=token-one-0123456789abcde&from=1&to=2&text=x",
     .warning = "refused GET /kannel/inbound from 127.0.0.1: wrong token"},
    {.name = "token-with-suffix",
     .query = "token=" PG_TEST_TOKEN_1 "0&from=1&to=2&text=x",
     .warning = "refused GET /kannel/inbound from 127.0.0.1: wrong token"},
    {.name = "token-in-another-case",
     .query = "TOKEN=" PG_TEST_TOKEN_1 "&from=1&to=2&text=x",
     .warning = "refused GET /kannel/inbound from 127.0.0.1: no token"},
};

static void
test_inbound_refused(PgTestFixture *fixture, gconstpointer user_data)
{
	const PgTestRefusedCase *c = user_data;
	g_autofree gchar *path = g_strdup_printf("/kannel/inbound?%s", c->query);
	g_autofree gchar *body = NULL;
	g_auto(GStrv) warning = NULL;
	g_autofree gchar *dlr_warning = NULL;

	g_assert_cmpuint(pg_test_get(fixture, path, &body), ==, 403);
	g_assert_cmpstr(body, ==, "Forbidden\n");
	g_assert_cmpuint(fixture->n_inbound, ==, 0);
	pg_test_take_warning(c->warning);
	/* also for a delivery report */
	g_free(path);
	path = g_strdup_printf("/kannel/dlr?%s&id=1&status=1", c->query);
	g_assert_cmpuint(pg_test_get(fixture, path, NULL), ==, 403);
	g_assert_cmpuint(fixture->n_dlr, ==, 0);
	warning = g_strsplit(c->warning, "/kannel/inbound", 2);
	dlr_warning = g_strjoinv("/kannel/dlr", warning);
	pg_test_take_warning(dlr_warning);
	/* the teardown checks that no log line holds any token */
}

typedef struct {
	const gchar *name;
	const gchar *query; /* after token=...& */
	const gchar *text;  /* expected; NULL: 400 and no delegate call */
} PgTestTextCase;

static const PgTestTextCase pg_test_text_cases[] = {
    /* coding=2 (UCS-2) with %b: UTF-16BE bytes, NULs included; "Hi €" */
    {.name = "ucs2-by-coding", .query = "text=%00H%00i%00%20%20%AC&coding=2", .text = "Hi €"},
    {.name = "ucs2-by-charset",
     .query = "text=%00H%00i%00%20%20%AC&charset=UTF-16BE&coding=2",
     .text = "Hi €"},
    /* an emoji is a surrogate pair in UTF-16 */
    {.name = "utf16-surrogate-pair",
     .query = "text=%D8%3D%DE%00&charset=UTF-16BE",
     .text = "\xF0\x9F\x98\x80"},
    {.name = "windows-1252-after-mo-recode",
     .query = "text=caf%E9+%80&charset=WINDOWS-1252",
     .text = "café €"},
    {.name = "gsm-already-utf8", .query = "text=caf%C3%A9&charset=GSM&coding=0", .text = "café"},
    {.name = "gsm-as-latin1-from-old-kannel", .query = "text=caf%E9&charset=GSM", .text = "café"},
    {.name = "plus-and-percent-2b",
     .query = "text=a+b%2Bc%25d%2b",
     .text = "a b+c%d+"},
    {.name = "newlines-kept", .query = "text=line1%0Aline2%0D%0A++x", .text = "line1\nline2\r\n  x"},
    {.name = "invalid-utf8", .query = "text=caf%E9&charset=UTF-8"},
    {.name = "invalid-utf8-no-charset", .query = "text=%FF%FE"},
    {.name = "binary-not-text", .query = "text=%FF%00%01&charset=binary&coding=1"},
    {.name = "odd-ucs2", .query = "text=%00H%00&coding=2"},
    {.name = "nul-in-text", .query = "text=a%00b"},
    {.name = "nul-in-ucs2-text", .query = "text=%00a%00%00&coding=2"},
    {.name = "unknown-charset", .query = "text=x&charset=NO-SUCH-CHARSET"},
    {.name = "bad-coding", .query = "text=x&coding=7"},
    {.name = "malformed-escape", .query = "text=%G1"},
    {.name = "truncated-escape", .query = "text=abc%4"},
    {.name = "text-missing", .query = "coding=0"},
};

static void
test_inbound_text(PgTestFixture *fixture, gconstpointer user_data)
{
	const PgTestTextCase *c = user_data;
	g_autofree gchar *path = g_strdup_printf(
	    "/kannel/inbound?token=" PG_TEST_TOKEN_1 "&from=%%2B4915100000001&to=555&%s",
	    c->query);

	if (c->text == NULL) {
		g_assert_cmpuint(pg_test_raw_get(fixture, path), ==, 400);
		g_assert_cmpuint(fixture->n_inbound, ==, 0);
		return;
	}
	g_assert_cmpuint(pg_test_get(fixture, path, NULL), ==, 200);
	g_assert_cmpuint(fixture->n_inbound, ==, 1);
	g_assert_cmpstr(fixture->text, ==, c->text);
	g_assert_true(g_utf8_validate(fixture->text, -1, NULL));
}

static void
test_inbound_bad_parameters(PgTestFixture *fixture, gconstpointer user_data)
{
	static const gchar *const queries[] = {
	    "token=" PG_TEST_TOKEN_1 "&to=555&text=x",            /* no from */
	    "token=" PG_TEST_TOKEN_1 "&from=&to=555&text=x",      /* empty from */
	    "token=" PG_TEST_TOKEN_1 "&from=1&text=x",            /* no to */
	    "token=" PG_TEST_TOKEN_1 "&from=%FF&to=555&text=x",   /* from not UTF-8 */
	    "token=" PG_TEST_TOKEN_1 "&from=1%002&to=555&text=x", /* NUL in from */
	    /* a parameter twice: which one would count? */
	    "token=" PG_TEST_TOKEN_1 "&from=1&from=2&to=555&text=x",
	    "token=" PG_TEST_TOKEN_1 "&token=" PG_TEST_TOKEN_2 "&from=1&to=555&text=x",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(queries); i++) {
		g_autofree gchar *path = g_strdup_printf("/kannel/inbound?%s", queries[i]);
		g_assert_cmpuint(pg_test_get(fixture, path, NULL), ==, 400);
	}
	g_assert_cmpuint(fixture->n_inbound, ==, 0);
}

static void
test_inbound_post(PgTestFixture *fixture, gconstpointer user_data)
{
	/* post-url: the text is the body, Kannel's headers say who and how */
	static const gchar *const headers[] = {"X-Kannel-From", "+4915100000003",
					       "X-Kannel-To",   "12345",
					       "X-Kannel-Coding", "0",
					       NULL};
	static const gchar ucs2[] = {0x00, 'O', 0x00, 'K', 0x00, '\n', 0x20, (gchar)0xAC};

	g_assert_cmpuint(pg_test_request_full(fixture, SOUP_METHOD_POST,
					      "/kannel/inbound?token=" PG_TEST_TOKEN_2,
					      "text/plain; charset=UTF-8", "Hello +\nworld ✓",
					      strlen("Hello +\nworld ✓"), headers, NULL, NULL),
			 ==, 200);
	g_assert_true(fixture->transport == pg_test_transport(fixture, "sms2"));
	g_assert_cmpstr(fixture->from, ==, "+4915100000003");
	g_assert_cmpstr(fixture->to, ==, "12345");
	g_assert_cmpstr(fixture->text, ==, "Hello +\nworld ✓");

	/* from/to in the query, UCS-2 body named by its Content-Type */
	g_assert_cmpuint(pg_test_request_full(fixture, SOUP_METHOD_POST,
					      "/kannel/inbound?token=" PG_TEST_TOKEN_1
					      "&from=%2B4915100000004&to=777&coding=2",
					      "text/plain; charset=UTF-16BE", ucs2, sizeof(ucs2),
					      NULL, NULL, NULL),
			 ==, 200);
	g_assert_true(fixture->transport == pg_test_transport(fixture, "sms1"));
	g_assert_cmpstr(fixture->from, ==, "+4915100000004");
	g_assert_cmpstr(fixture->to, ==, "777");
	g_assert_cmpstr(fixture->text, ==, "OK\n€");

	/* POST without a sender anywhere */
	g_assert_cmpuint(pg_test_request_full(fixture, SOUP_METHOD_POST,
					      "/kannel/inbound?token=" PG_TEST_TOKEN_1 "&to=777",
					      "text/plain", "x", 1, NULL, NULL, NULL),
			 ==, 400);
	g_assert_cmpuint(fixture->n_inbound, ==, 2);
}

static void
test_inbound_post_too_large(PgTestFixture *fixture, gconstpointer user_data)
{
	gsize len = 65 * 1024;
	g_autofree gchar *big = g_malloc(len);
	static const gchar *const headers[] = {"X-Kannel-From", "1", "X-Kannel-To", "2", NULL};

	memset(big, 'a', len);
	g_assert_cmpuint(pg_test_request_full(fixture, SOUP_METHOD_POST,
					      "/kannel/inbound?token=" PG_TEST_TOKEN_1,
					      "text/plain", big, len, headers, NULL, NULL),
			 ==, 413);
	g_assert_cmpuint(fixture->n_inbound, ==, 0);
}

/* ---- /kannel/dlr ---- */

static void
test_dlr_reaches_the_delegate(PgTestFixture *fixture, gconstpointer user_data)
{
	g_assert_cmpuint(pg_test_get(fixture,
				     "/kannel/dlr?token=" PG_TEST_TOKEN_2
				     "&status=8&answer=ACK%2F&to=%2B4915100000001&id=sms-42",
				     NULL),
			 ==, 200);
	g_assert_cmpuint(fixture->n_dlr, ==, 1);
	g_assert_true(fixture->transport == pg_test_transport(fixture, "sms2"));
	g_assert_cmpstr(fixture->message_id, ==, "sms-42");
	g_assert_cmpint(fixture->dlr_status, ==, PG_HTTP_DLR_SMSC_ACK);
	g_assert_cmpstr(fixture->answer, ==, "ACK/");

	/* no answer: an empty string; the delegate's status is passed on */
	fixture->answer_status = 404;
	g_assert_cmpuint(pg_test_get(fixture,
				     "/kannel/dlr?token=" PG_TEST_TOKEN_1 "&status=1&id=sms-43",
				     NULL),
			 ==, 404);
	g_assert_true(fixture->transport == pg_test_transport(fixture, "sms1"));
	g_assert_cmpint(fixture->dlr_status, ==, PG_HTTP_DLR_DELIVERED);
	g_assert_cmpstr(fixture->answer, ==, "");

	/* a non-UTF-8 SMSC answer is repaired, not refused */
	fixture->answer_status = 200;
	g_assert_cmpuint(pg_test_get(fixture,
				     "/kannel/dlr?token=" PG_TEST_TOKEN_1
				     "&status=16&id=sms-44&answer=NACK%2F%FF",
				     NULL),
			 ==, 200);
	g_assert_true(g_utf8_validate(fixture->answer, -1, NULL));
	g_assert_true(g_str_has_prefix(fixture->answer, "NACK/"));
	g_assert_cmpuint(fixture->n_dlr, ==, 3);
	g_assert_cmpuint(fixture->n_inbound, ==, 0);
}

static void
test_dlr_bad_parameters(PgTestFixture *fixture, gconstpointer user_data)
{
	static const gchar *const queries[] = {
	    "status=1",           /* no id */
	    "status=1&id=",       /* empty id */
	    "id=x",               /* no status */
	    "id=x&status=",       /* empty status */
	    "id=x&status=-1",     /* not Kannel's */
	    "id=x&status=1x",     /* not a number */
	    "id=x&status=99999",  /* out of range */
	    "id=%FF&status=1",    /* id not UTF-8 */
	};

	for (gsize i = 0; i < G_N_ELEMENTS(queries); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/kannel/dlr?token=" PG_TEST_TOKEN_1 "&%s", queries[i]);
		g_assert_cmpuint(pg_test_get(fixture, path, NULL), ==, 400);
	}
	g_assert_cmpuint(fixture->n_dlr, ==, 0);
}

/* ---- construction ---- */

static void
test_new_refuses_bad_addresses(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgConfig) config =
	    pg_config_load_from_data(pg_test_config, "/nonexistent/polygate.conf", &error);
	static const PgHttpDelegate delegate = {0};
	g_autoptr(PgHttp) http = NULL;
	g_autoptr(PgHttp) other = NULL;
	guint16 port;

	g_assert_no_error(error);
	http = pg_http_new_for_address(config, "localhost", 0, &delegate, NULL, &error);
	g_assert_null(http);
	g_assert_error(error, PG_ERROR, PG_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, "'localhost' is not an IPv4 or IPv6 address"));
	g_clear_error(&error);

	/* [http] port = 0 means no listener */
	config->http_port = 0;
	http = pg_http_new(config, &delegate, NULL, &error);
	g_assert_null(http);
	g_assert_error(error, PG_ERROR, PG_ERROR_CONFIG);
	g_clear_error(&error);

	/* a port in use: an I/O error naming it; then the config's own port */
	http = pg_http_new_for_address(config, "127.0.0.1", 0, &delegate, NULL, &error);
	g_assert_no_error(error);
	port = pg_http_get_port(http);
	config->http_port = port;
	other = pg_http_new(config, &delegate, NULL, &error);
	g_assert_null(other);
	g_assert_error(error, PG_ERROR, PG_ERROR_IO);
	g_assert_nonnull(strstr(error->message, "cannot listen on 127.0.0.1:"));
	g_clear_error(&error);
	g_clear_pointer(&http, pg_http_free);
	other = pg_http_new(config, &delegate, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(pg_http_get_port(other), ==, port);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* warnings are captured and checked (pg_test_take_warning), not fatal */
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	pg_test_log = g_ptr_array_new_with_free_func((GDestroyNotify)pg_test_log_line_free);
	g_log_set_writer_func(pg_test_log_writer_cb, NULL, NULL);

#define PG_TEST_ADD(path, func)                                                                    \
	g_test_add(path, PgTestFixture, NULL, pg_test_fixture_setup, func, pg_test_fixture_teardown)
	PG_TEST_ADD("/http/healthz/answers-ok", test_healthz);
	PG_TEST_ADD("/http/metrics/default-is-polygate-up", test_metrics_default);
	PG_TEST_ADD("/http/metrics/delegate-text-then-http-counters", test_metrics_from_delegate);
	PG_TEST_ADD("/http/routing/unknown-path-is-404-wrong-method-is-405",
		    test_unknown_path_and_method);
	PG_TEST_ADD("/http/kannel/inbound/right-token-reaches-the-delegate",
		    test_inbound_reaches_the_delegate);
	PG_TEST_ADD("/http/kannel/inbound/token-names-the-transport",
		    test_inbound_token_names_the_transport);
	for (gsize i = 0; i < G_N_ELEMENTS(pg_test_refused_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/http/kannel/refused/%s",
							 pg_test_refused_cases[i].name);
		g_test_add(path, PgTestFixture, &pg_test_refused_cases[i], pg_test_fixture_setup,
			   test_inbound_refused, pg_test_fixture_teardown);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(pg_test_text_cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/http/kannel/inbound/text/%s", pg_test_text_cases[i].name);
		g_test_add(path, PgTestFixture, &pg_test_text_cases[i], pg_test_fixture_setup,
			   test_inbound_text, pg_test_fixture_teardown);
	}
	PG_TEST_ADD("/http/kannel/inbound/bad-parameters-are-400", test_inbound_bad_parameters);
	PG_TEST_ADD("/http/kannel/inbound/post-url-body-and-headers", test_inbound_post);
	PG_TEST_ADD("/http/kannel/inbound/post-too-large-is-413", test_inbound_post_too_large);
	PG_TEST_ADD("/http/kannel/dlr/right-token-reaches-the-delegate",
		    test_dlr_reaches_the_delegate);
	PG_TEST_ADD("/http/kannel/dlr/bad-parameters-are-400", test_dlr_bad_parameters);
#undef PG_TEST_ADD
	g_test_add_func("/http/new/refuses-bad-address-disabled-port-and-port-in-use",
			test_new_refuses_bad_addresses);
	return g_test_run();
}
