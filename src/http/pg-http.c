/* PgHttp: Kannel callbacks, /metrics and /healthz on one libsoup 3 server.
 *
 * DESIGN
 * - One SoupServer on the thread-default main context (the daemon's main
 *   loop), one default handler that routes by exact path through a table, so
 *   an unknown path is 404 and a known path with another method is 405.
 * - Kannel requests are authenticated before anything else is looked at: the
 *   token= parameter is compared, in constant time, with every sms
 *   transport's kannel_token (pg_config_find_transport_by_kannel_token()), and
 *   the match names the transport.  A refusal is logged with the method, the
 *   path and the peer only: the query holds the token and the message text.
 * - The query is parsed here, not with soup_form_decode(): a UCS-2 text
 *   (Kannel's %b with coding=2) is full of NUL bytes, which a C string table
 *   would cut off.  Every value is kept with its length in a PgSecret, which
 *   is wiped when freed: values are tokens and message texts.
 * - The delegate answers synchronously with an HTTP status; the daemon's
 *   routing is quick (a registry lookup, a stanza or an IPC frame).
 * - Nothing is read that will be refused (issue 8): a request with a body
 *   is routed and its token checked in the early handler, when its headers
 *   are in, and a refusal (404, 405, 400, 403, 413 for a declared length
 *   over max_body) is answered there without reading the body
 *   (pg_http_guard_refuse()).  A chunked body is counted as it arrives and
 *   refused with 413 the moment it passes max_body.  Connections, their
 *   idle time and a request's time to arrive are bounded by PgHttpGuard.
 */
#define G_LOG_DOMAIN "PgHttp"

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "core/pg-error.h"
#include "core/pg-secret.h"
#include "http/pg-http.h"
#include "http/pg-http-guard.h"
#include "http/pg-http-query.h"

#define PG_HTTP_LISTEN_BACKLOG 1024

struct _PgHttp {
	SoupServer *server;
	const PgConfig *config;           /* borrowed */
	const PgHttpDelegate *delegate;   /* borrowed */
	gpointer user_data;
	guint16 port;
	PgHttpGuard *guard; /* connection limits and timeouts */
	gsize max_body;     /* [http] max_body */
	/* for /metrics */
	guint64 requests_total;
	guint64 kannel_refused_total;
	guint64 kannel_bad_request_total;
	guint64 kannel_inbound_total;
	guint64 kannel_dlr_total;
	guint64 body_too_large_total;
};

typedef void (*PgHttpRouteFunc)(PgHttp *self, SoupServerMessage *msg);

typedef struct {
	const gchar *path;
	const gchar *allow;   /* the Allow header of a 405 */
	gboolean head;        /* HEAD and GET are allowed */
	gboolean post;        /* POST is allowed */
	gboolean kannel;      /* needs a Kannel token */
	PgHttpRouteFunc func; /* for a Kannel route: called after the token check */
} PgHttpRoute;

static void pg_http_healthz(PgHttp *self, SoupServerMessage *msg);
static void pg_http_metrics(PgHttp *self, SoupServerMessage *msg);

/* ---- replies ---- */

static void
pg_http_reply(SoupServerMessage *msg, guint status, const gchar *content_type, const gchar *body)
{
	soup_server_message_set_status(msg, status, NULL);
	if (body == NULL)
		body = "";
	soup_server_message_set_response(msg, content_type != NULL ? content_type : "text/plain",
					  SOUP_MEMORY_COPY, body, strlen(body));
}

static void
pg_http_reply_status(SoupServerMessage *msg, guint status)
{
	g_autofree gchar *body = NULL;
	const gchar *phrase = soup_status_get_phrase(status);

	body = g_strdup_printf("%s\n", phrase != NULL ? phrase : "");
	pg_http_reply(msg, status, "text/plain; charset=utf-8", body);
}

/* ---- Kannel routes ---- */

static void
pg_http_bad_request(PgHttp *self, SoupServerMessage *msg, const gchar *path, const gchar *why)
{
	self->kannel_bad_request_total++;
	g_info("bad request to %s from %s: %s", path,
	       soup_server_message_get_remote_host(msg) != NULL
		   ? soup_server_message_get_remote_host(msg)
		   : "?",
	       why);
	pg_http_reply(msg, SOUP_STATUS_BAD_REQUEST, "text/plain; charset=utf-8", why);
}

static guint
pg_http_checked_status(guint status)
{
	/* a delegate's bug must not become a malformed reply */
	if (status < 200 || status > 599) {
		g_warning("delegate answered HTTP status %u; sending 500", status);
		return SOUP_STATUS_INTERNAL_SERVER_ERROR;
	}
	return status;
}

static void
pg_http_kannel_inbound(PgHttp *self, SoupServerMessage *msg, GHashTable *params,
		       const PgTransportConfig *transport)
{
	const gchar *path = "/kannel/inbound";
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	gboolean post = g_strcmp0(soup_server_message_get_method(msg), SOUP_METHOD_POST) == 0;
	gboolean bad = FALSE;
	const gchar *from = pg_http_query_string(params, "from", &bad);
	const gchar *to = pg_http_query_string(params, "to", &bad);
	const gchar *charset = pg_http_query_string(params, "charset", &bad);
	const gchar *coding_text = pg_http_query_string(params, "coding", &bad);
	g_autoptr(GHashTable) content_params = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(PgSecret) text = NULL;
	g_autoptr(GError) error = NULL;
	const guint8 *data;
	gsize len = 0;
	gint coding = -1;
	guint status;

	if (bad) {
		pg_http_bad_request(self, msg, path, "a parameter is not UTF-8 or holds a NUL");
		return;
	}
	if (post) {
		/* post-url: Kannel's own headers, unless the query says otherwise */
		if (from == NULL)
			from = soup_message_headers_get_one(headers, "X-Kannel-From");
		if (to == NULL)
			to = soup_message_headers_get_one(headers, "X-Kannel-To");
		if (coding_text == NULL)
			coding_text = soup_message_headers_get_one(headers, "X-Kannel-Coding");
		if (charset == NULL &&
		    soup_message_headers_get_content_type(headers, &content_params) != NULL &&
		    content_params != NULL)
			charset = g_hash_table_lookup(content_params, "charset");
		body = soup_message_body_flatten(soup_server_message_get_request_body(msg));
		data = g_bytes_get_data(body, &len);
		if (data == NULL)
			data = (const guint8 *)"";
	} else {
		PgSecret *value = g_hash_table_lookup(params, "text");
		if (value == NULL) {
			pg_http_bad_request(self, msg, path, "text is missing");
			return;
		}
		data = value->data;
		len = value->len;
	}
	if (from == NULL || from[0] == '\0' || to == NULL || to[0] == '\0') {
		pg_http_bad_request(self, msg, path, "from and to are required");
		return;
	}
	if (!g_utf8_validate(from, -1, NULL) || !g_utf8_validate(to, -1, NULL)) {
		pg_http_bad_request(self, msg, path, "from or to is not UTF-8");
		return;
	}
	if (!pg_http_query_parse_coding(coding_text, &coding)) {
		pg_http_bad_request(self, msg, path, "coding must be 0, 1 or 2");
		return;
	}
	if (len > self->max_body) {
		pg_http_bad_request(self, msg, path, "the text is too long");
		return;
	}
	text = pg_http_query_decode_text(data, len, charset, coding, &error);
	if (text == NULL) {
		pg_http_bad_request(self, msg, path, error->message);
		return;
	}
	self->kannel_inbound_total++;
	g_debug("inbound SMS on %s from %s to %s, %" G_GSIZE_FORMAT " bytes", transport->name,
		from, to, text->len);
	if (self->delegate->inbound == NULL) {
		pg_http_reply_status(msg, SOUP_STATUS_SERVICE_UNAVAILABLE);
		return;
	}
	status = self->delegate->inbound(self, transport, from, to, pg_secret_get_string(text),
					 self->user_data);
	/* an empty answer: with max-messages != 0 Kannel would send it as a reply SMS */
	pg_http_reply(msg, pg_http_checked_status(status), "text/plain; charset=utf-8", "");
}

static void
pg_http_kannel_dlr(PgHttp *self, SoupServerMessage *msg, GHashTable *params,
		   const PgTransportConfig *transport)
{
	const gchar *path = "/kannel/dlr";
	gboolean bad = FALSE;
	const gchar *id = pg_http_query_string(params, "id", &bad);
	const gchar *status_text = pg_http_query_string(params, "status", &bad);
	PgSecret *answer_value = g_hash_table_lookup(params, "answer");
	g_autofree gchar *answer = NULL;
	gint64 dlr_status = 0;
	guint status;

	if (bad) {
		pg_http_bad_request(self, msg, path, "a parameter is not UTF-8 or holds a NUL");
		return;
	}
	if (id == NULL || id[0] == '\0') {
		pg_http_bad_request(self, msg, path, "id is required");
		return;
	}
	if (status_text == NULL ||
	    !g_ascii_string_to_signed(status_text, 10, 0, G_MAXUINT16, &dlr_status, NULL)) {
		pg_http_bad_request(self, msg, path, "status must be a whole number (Kannel's %d)");
		return;
	}
	/* the SMSC's free text: never a reason to drop the report */
	answer = answer_value != NULL
		     ? g_utf8_make_valid((const gchar *)answer_value->data, (gssize)answer_value->len)
		     : g_strdup("");
	self->kannel_dlr_total++;
	g_debug("delivery report on %s for %s: status %" G_GINT64_FORMAT, transport->name, id,
		dlr_status);
	if (self->delegate->dlr == NULL) {
		pg_http_reply_status(msg, SOUP_STATUS_SERVICE_UNAVAILABLE);
		return;
	}
	status = self->delegate->dlr(self, transport, id, (gint)dlr_status, answer, self->user_data);
	pg_http_reply(msg, pg_http_checked_status(status), "text/plain; charset=utf-8", "");
}

/* Checks the token= of a Kannel request.  Returns: (transfer none) its
 * transport, and the parsed query in *@params; or NULL with the status to
 * refuse with in *@status (400 malformed query, with the reason in *@why;
 * 403 no or wrong token), counted and logged (never the query: it holds
 * the token and the text). */
static const PgTransportConfig *
pg_http_kannel_authenticate(PgHttp *self, SoupServerMessage *msg, const gchar *path,
			    GHashTable **params, guint *status, const gchar **why)
{
	GUri *uri = soup_server_message_get_uri(msg);
	const gchar *remote = soup_server_message_get_remote_host(msg);
	const PgTransportConfig *transport = NULL;
	PgSecret *token;

	/* SoupServer parses with G_URI_FLAGS_ENCODED_QUERY: this is the raw query */
	*params = pg_http_query_parse(g_uri_get_query(uri), why);
	if (*params == NULL) {
		self->kannel_bad_request_total++;
		g_info("bad request to %s from %s: %s", path, remote != NULL ? remote : "?", *why);
		*status = SOUP_STATUS_BAD_REQUEST;
		return NULL;
	}
	token = g_hash_table_lookup(*params, "token");
	if (token != NULL)
		transport = pg_config_find_transport_by_kannel_token(self->config, token->data,
								      token->len);
	if (transport == NULL) {
		self->kannel_refused_total++;
		/* the method, the path, the peer: never the query (token, text) */
		g_warning("refused %s %s from %s: %s", soup_server_message_get_method(msg), path,
			  remote != NULL ? remote : "?",
			  token == NULL ? "no token" : "wrong token");
		g_clear_pointer(params, g_hash_table_unref);
		*status = SOUP_STATUS_FORBIDDEN;
		return NULL;
	}
	return transport;
}

/* Authenticates a Kannel request, then hands it to @func. */
static void
pg_http_kannel(PgHttp *self, SoupServerMessage *msg, const gchar *path,
	       void (*func)(PgHttp *, SoupServerMessage *, GHashTable *, const PgTransportConfig *))
{
	g_autoptr(GHashTable) params = NULL;
	const PgTransportConfig *transport;
	const gchar *why = NULL;
	guint status = 0;

	transport = pg_http_kannel_authenticate(self, msg, path, &params, &status, &why);
	if (transport == NULL) {
		if (status == SOUP_STATUS_BAD_REQUEST)
			pg_http_reply(msg, status, "text/plain; charset=utf-8", why);
		else
			pg_http_reply_status(msg, status);
		return;
	}
	func(self, msg, params, transport);
}

static void
pg_http_kannel_inbound_route(PgHttp *self, SoupServerMessage *msg)
{
	pg_http_kannel(self, msg, "/kannel/inbound", pg_http_kannel_inbound);
}

static void
pg_http_kannel_dlr_route(PgHttp *self, SoupServerMessage *msg)
{
	pg_http_kannel(self, msg, "/kannel/dlr", pg_http_kannel_dlr);
}

/* ---- /healthz, /metrics ---- */

static void
pg_http_healthz(PgHttp *self, SoupServerMessage *msg)
{
	pg_http_reply(msg, SOUP_STATUS_OK, "text/plain; charset=utf-8", "ok\n");
}

static void
pg_http_metrics_counter(GString *out, const gchar *name, const gchar *help, guint64 value)
{
	g_string_append_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %" G_GUINT64_FORMAT "\n",
			       name, help, name, name, value);
}

/* The listener's limits ([http] max_connections, idle_timeout,
 * request_timeout, max_body) and how often they were reached. */
static void
pg_http_metrics_limits(PgHttp *self, GString *out)
{
	g_string_append_printf(out,
			       "# HELP polygate_http_connections HTTP connections open.\n"
			       "# TYPE polygate_http_connections gauge\n"
			       "polygate_http_connections %u\n"
			       "# HELP polygate_http_max_connections The cap on open HTTP "
			       "connections ([http] max_connections).\n"
			       "# TYPE polygate_http_max_connections gauge\n"
			       "polygate_http_max_connections %u\n",
			       pg_http_guard_get_n_connections(self->guard),
			       self->config->http_max_connections);
	pg_http_metrics_counter(out, "polygate_http_connections_evicted_total",
				"Idle HTTP connections closed to make room for a new one.",
				pg_http_guard_get_evicted_total(self->guard));
	pg_http_metrics_counter(out, "polygate_http_connections_refused_total",
				"HTTP connections refused (503) at the cap, all others busy.",
				pg_http_guard_get_refused_connections_total(self->guard));
	pg_http_metrics_counter(out, "polygate_http_request_timeouts_total",
				"HTTP connections closed because a request did not arrive in "
				"request_timeout.",
				pg_http_guard_get_timeouts_total(self->guard));
	pg_http_metrics_counter(out, "polygate_http_requests_refused_unread_total",
				"HTTP requests refused before their body was read.",
				pg_http_guard_get_refused_requests_total(self->guard));
	pg_http_metrics_counter(out, "polygate_http_body_too_large_total",
				"HTTP requests refused (413) for a body over max_body.",
				self->body_too_large_total);
}

static void
pg_http_metrics(PgHttp *self, SoupServerMessage *msg)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autofree gchar *daemon = NULL;

	if (self->delegate->metrics != NULL)
		daemon = self->delegate->metrics(self->user_data);
	if (daemon != NULL) {
		g_string_append(out, daemon);
		if (out->len > 0 && out->str[out->len - 1] != '\n')
			g_string_append_c(out, '\n');
	} else {
		g_string_append(out, "# HELP polygate_up Whether the gateway is running.\n"
				     "# TYPE polygate_up gauge\n"
				     "polygate_up 1\n");
	}
	pg_http_metrics_counter(out, "polygate_http_requests_total",
				"HTTP requests received (all paths).", self->requests_total);
	pg_http_metrics_counter(out, "polygate_http_kannel_refused_total",
				"Kannel callbacks refused for a missing or wrong token.",
				self->kannel_refused_total);
	pg_http_metrics_counter(out, "polygate_http_kannel_bad_requests_total",
				"Kannel callbacks refused as malformed.",
				self->kannel_bad_request_total);
	pg_http_metrics_counter(out, "polygate_http_kannel_inbound_total",
				"Inbound SMS handed to the gateway.", self->kannel_inbound_total);
	pg_http_metrics_counter(out, "polygate_http_kannel_dlr_total",
				"Delivery reports handed to the gateway.", self->kannel_dlr_total);
	pg_http_metrics_limits(self, out);
	pg_http_reply(msg, SOUP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8", out->str);
}

/* ---- routing ---- */

static const PgHttpRoute pg_http_routes[] = {
    {.path = "/healthz", .allow = "GET, HEAD", .head = TRUE, .func = pg_http_healthz},
    {.path = "/metrics", .allow = "GET, HEAD", .head = TRUE, .func = pg_http_metrics},
    /* no HEAD on Kannel routes: it would run the delegate for a body nobody reads */
    {.path = "/kannel/inbound",
     .allow = "GET, POST",
     .post = TRUE,
     .kannel = TRUE,
     .func = pg_http_kannel_inbound_route},
    {.path = "/kannel/dlr", .allow = "GET", .kannel = TRUE, .func = pg_http_kannel_dlr_route},
};

static const PgHttpRoute *
pg_http_route_for(const gchar *path)
{
	for (gsize i = 0; i < G_N_ELEMENTS(pg_http_routes); i++) {
		if (g_strcmp0(path, pg_http_routes[i].path) == 0)
			return &pg_http_routes[i];
	}
	return NULL;
}

static gboolean
pg_http_route_allows(const PgHttpRoute *route, const gchar *method)
{
	return g_strcmp0(method, SOUP_METHOD_GET) == 0 ||
	       (route->head && g_strcmp0(method, SOUP_METHOD_HEAD) == 0) ||
	       (route->post && g_strcmp0(method, SOUP_METHOD_POST) == 0);
}

static void
pg_http_handler_cb(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
		   gpointer user_data)
{
	PgHttp *self = user_data;
	const gchar *method = soup_server_message_get_method(msg);
	const PgHttpRoute *route = pg_http_route_for(path);

	self->requests_total++;
	if (route != NULL) {
		if (!pg_http_route_allows(route, method)) {
			soup_message_headers_replace(soup_server_message_get_response_headers(msg),
						     "Allow", route->allow);
			pg_http_reply_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED);
			return;
		}
		route->func(self, msg);
		return;
	}
	pg_http_reply_status(msg, SOUP_STATUS_NOT_FOUND);
}

/* A chunk of a body the early handler let in: past max_body the request is
 * answered 413 at once and nothing more is read. */
static void
pg_http_got_chunk_cb(SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
	PgHttp *self = user_data;
	SoupMessageBody *body = soup_server_message_get_request_body(msg);

	if (body->length <= (goffset)self->max_body)
		return;
	self->requests_total++;
	self->body_too_large_total++;
	g_signal_handlers_disconnect_by_data(msg, self); /* the only one with @self */
	pg_http_guard_refuse(self->guard, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, NULL);
}

/* Runs when the headers of a request are in, before its body is read.  A
 * request with a body that would be refused is refused now, without
 * reading the body (libsoup reads it whatever status is set here). */
static void
pg_http_early_handler_cb(SoupServer *server, SoupServerMessage *msg, const char *path,
			 GHashTable *query, gpointer user_data)
{
	PgHttp *self = user_data;
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	SoupEncoding encoding = soup_message_headers_get_encoding(headers);
	goffset length = encoding == SOUP_ENCODING_CONTENT_LENGTH
			     ? soup_message_headers_get_content_length(headers)
			     : 0;
	const PgHttpRoute *route = pg_http_route_for(path);
	g_autoptr(GHashTable) params = NULL;
	const gchar *why = NULL;
	guint status = 0;

	if (encoding != SOUP_ENCODING_CHUNKED && length == 0)
		return; /* no body: the handler answers, and keeps the connection */
	if (route == NULL) {
		status = SOUP_STATUS_NOT_FOUND;
	} else if (!pg_http_route_allows(route, soup_server_message_get_method(msg))) {
		status = SOUP_STATUS_METHOD_NOT_ALLOWED;
	} else if (route->kannel &&
		   pg_http_kannel_authenticate(self, msg, route->path, &params, &status, &why) ==
		       NULL) {
		/* status says why: 400 or 403 */
	} else if (length > (goffset)self->max_body) {
		self->body_too_large_total++;
		status = SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
	}
	if (status != 0) {
		self->requests_total++;
		pg_http_guard_refuse(self->guard, msg, status,
				     status == SOUP_STATUS_METHOD_NOT_ALLOWED ? route->allow : NULL);
		return;
	}
	if (encoding != SOUP_ENCODING_CONTENT_LENGTH)
		g_signal_connect(msg, "got-chunk", G_CALLBACK(pg_http_got_chunk_cb), self);
}

/* ---- lifetime ---- */

PgHttp *
pg_http_new_for_address(const PgConfig *config, const gchar *address, guint16 port,
			const PgHttpDelegate *delegate, gpointer user_data, GError **error)
{
	g_autoptr(PgHttp) self = NULL;
	g_autoptr(GInetAddress) inet = NULL;
	g_autoptr(GSocketAddress) socket_address = NULL;
	g_autoptr(GSocket) listen_socket = NULL;
	g_autoptr(GError) listen_error = NULL;
	GSList *listeners;

	g_return_val_if_fail(config != NULL, NULL);
	g_return_val_if_fail(address != NULL, NULL);
	g_return_val_if_fail(delegate != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	inet = g_inet_address_new_from_string(address);
	if (inet == NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_CONFIG,
			    "HTTP listener: '%s' is not an IPv4 or IPv6 address", address);
		return NULL;
	}
	self = g_new0(PgHttp, 1);
	self->config = config;
	self->delegate = delegate;
	self->user_data = user_data;
	self->max_body = config->http_max_body;
	self->server = soup_server_new("server-header", PACKAGE_NAME, NULL);
	self->guard = pg_http_guard_new(
	    self->server, &(PgHttpLimits){.max_connections = config->http_max_connections,
					  .idle_timeout_s = config->http_idle_timeout,
					  .request_timeout_s = config->http_request_timeout});
	/* both on the default path: libsoup keeps one entry per path, and an
	 * entry with only an early handler would answer 500 for its subtree */
	soup_server_add_early_handler(self->server, NULL, pg_http_early_handler_cb, self, NULL);
	soup_server_add_handler(self->server, NULL, pg_http_handler_cb, self, NULL);

	socket_address = g_inet_socket_address_new(inet, port);
	/* Our own socket, for its backlog: GSocket's default of 10 overflows
	 * when Kannel delivers a burst (measured with contrib/bench/
	 * sms_bench.py: ~900 dropped SYNs per run, 1-7 s retransmit stalls). */
	listen_socket = g_socket_new(g_inet_address_get_family(inet), G_SOCKET_TYPE_STREAM,
				     G_SOCKET_PROTOCOL_TCP, &listen_error);
	if (listen_socket != NULL) {
		g_socket_set_listen_backlog(listen_socket, PG_HTTP_LISTEN_BACKLOG);
		if (!g_socket_bind(listen_socket, socket_address, TRUE, &listen_error) ||
		    !g_socket_listen(listen_socket, &listen_error) ||
		    !soup_server_listen_socket(self->server, listen_socket, 0, &listen_error))
			g_clear_object(&listen_socket);
	}
	if (listen_socket == NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "HTTP listener: cannot listen on %s%s%s:%u: %s",
			    g_inet_address_get_family(inet) == G_SOCKET_FAMILY_IPV6 ? "[" : "",
			    address,
			    g_inet_address_get_family(inet) == G_SOCKET_FAMILY_IPV6 ? "]" : "", port,
			    listen_error->message);
		return NULL;
	}
	listeners = soup_server_get_listeners(self->server);
	for (GSList *l = listeners; l != NULL; l = l->next) {
		g_autoptr(GSocketAddress) local = g_socket_get_local_address(l->data, NULL);
		if (local != NULL && G_IS_INET_SOCKET_ADDRESS(local))
			self->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
	}
	g_slist_free(listeners);
	if (!g_inet_address_get_is_loopback(inet))
		g_warning("HTTP listener on %s is not on loopback: it has no TLS, and /metrics "
			  "needs no token; keep it reachable only by Kannel and your scraper",
			  address);
	g_info("HTTP listener on %s port %u", address, self->port);
	return g_steal_pointer(&self);
}

PgHttp *
pg_http_new(const PgConfig *config, const PgHttpDelegate *delegate, gpointer user_data,
	    GError **error)
{
	g_return_val_if_fail(config != NULL, NULL);

	if (config->http_port == 0) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_CONFIG,
				    "HTTP listener is off ([http] port = 0)");
		return NULL;
	}
	return pg_http_new_for_address(config, config->http_listen, config->http_port, delegate,
				       user_data, error);
}

void
pg_http_free(PgHttp *self)
{
	if (self == NULL)
		return;
	g_clear_pointer(&self->guard, pg_http_guard_free);
	if (self->server != NULL) {
		soup_server_disconnect(self->server);
		g_object_unref(self->server);
	}
	g_free(self);
}

guint16
pg_http_get_port(PgHttp *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return self->port;
}
