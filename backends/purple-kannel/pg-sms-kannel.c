/* Kannel's sendsms HTTP interface: request building and reply parsing.
 *
 * Design: why the plugin hands libpurple a complete request instead of a URL.
 * purple_util_fetch_url_request_len_with_account() with request = NULL builds
 * "GET /<path>" from purple_url_parse(), which scans the path with
 * "%255[...]": anything past 255 characters is cut off, and a sendsms URL
 * passes that with a few dozen characters of text.  Sending the path as the
 * absolute URL (full = TRUE) does not help either: Kannel's HTTP server
 * (gwlib/http.c) compares the request target with "/cgi-bin/sendsms" as is.
 * So we give libpurple the request line and headers; it still does the
 * connecting, TLS, proxies and reading, and we never parse URLs by hand
 * (GUri does).  HTTP/1.0 with "Connection: close" keeps Kannel from using
 * chunked replies, which libpurple does not decode when headers are kept.
 *
 * Escaping: every value goes through g_uri_escape_string() with no reserved
 * characters allowed, exactly once.  The dlr-url is itself a URL carrying a
 * query; it is built unescaped (its own parts escaped at their level), then
 * escaped once more as the value of the sendsms parameter.  Kannel decodes
 * the sendsms query once and keeps the dlr-url's own "%d" for substitution.
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-sms"

#include <string.h>

#include "pg-sms-kannel.h"

static void
pg_sms_kannel_append_param(GString *query, const gchar *name, const gchar *value)
{
	g_autofree gchar *escaped = NULL;

	if (value == NULL || *value == '\0')
		return;
	escaped = g_uri_escape_string(value, NULL, FALSE);
	if (query->len > 0)
		g_string_append_c(query, '&');
	g_string_append(query, name);
	g_string_append_c(query, '=');
	g_string_append(query, escaped);
	/* the escaped password is as secret as the password */
	explicit_bzero(escaped, strlen(escaped));
}

gchar *
pg_sms_kannel_query(const PgSmsSendsms *request)
{
	/* sized so that it rarely grows: a realloc() leaves the old buffer,
	 * password included, unwiped in freed memory (best effort) */
	GString *query = g_string_sized_new(1024);
	gchar coding[4];

	g_return_val_if_fail(request != NULL, NULL);

	g_snprintf(coding, sizeof(coding), "%d", (gint)request->coding);
	pg_sms_kannel_append_param(query, "username", request->username);
	pg_sms_kannel_append_param(query, "password", request->password);
	pg_sms_kannel_append_param(query, "from", request->from);
	pg_sms_kannel_append_param(query, "to", request->to);
	pg_sms_kannel_append_param(query, "text", request->text);
	/* Kannel converts from UTF-8 to GSM (coding 0) or UCS-2 (coding 2) */
	pg_sms_kannel_append_param(query, "charset", "UTF-8");
	pg_sms_kannel_append_param(query, "coding", coding);
	pg_sms_kannel_append_param(query, "smsc", request->smsc);
	if (request->dlr_url != NULL && *request->dlr_url != '\0') {
		pg_sms_kannel_append_param(query, "dlr-mask", G_STRINGIFY(PG_SMS_DLR_MASK_ALL));
		pg_sms_kannel_append_param(query, "dlr-url", request->dlr_url);
	}
	return g_string_free(query, FALSE);
}

gchar *
pg_sms_kannel_http_request(const PgSmsSendsms *request, const gchar *user_agent,
			   GError **error)
{
	g_autoptr(GUri) uri = NULL;
	g_autoptr(GError) parse_error = NULL;
	g_autofree gchar *host = NULL;
	const gchar *scheme;
	const gchar *path;
	const gchar *existing;
	gchar *query;
	gchar *http;
	gint port;

	g_return_val_if_fail(request != NULL, NULL);

	if (request->url == NULL || *request->url == '\0') {
		g_set_error_literal(error, PG_SMS_ERROR, PG_SMS_ERROR_INVALID_URL,
				    "no sendsms URL configured");
		return NULL;
	}
	uri = g_uri_parse(request->url, G_URI_FLAGS_ENCODED, &parse_error);
	if (uri == NULL) {
		g_set_error(error, PG_SMS_ERROR, PG_SMS_ERROR_INVALID_URL,
			    "sendsms URL '%s': %s", request->url, parse_error->message);
		return NULL;
	}
	scheme = g_uri_get_scheme(uri);
	if (g_ascii_strcasecmp(scheme, "http") != 0 && g_ascii_strcasecmp(scheme, "https") != 0) {
		g_set_error(error, PG_SMS_ERROR, PG_SMS_ERROR_INVALID_URL,
			    "sendsms URL '%s': only http and https are supported", request->url);
		return NULL;
	}
	if (g_uri_get_host(uri) == NULL || *g_uri_get_host(uri) == '\0') {
		g_set_error(error, PG_SMS_ERROR, PG_SMS_ERROR_INVALID_URL,
			    "sendsms URL '%s' has no host", request->url);
		return NULL;
	}
	/* an IPv6 literal needs its brackets back in the Host header */
	port = g_uri_get_port(uri);
	if (strchr(g_uri_get_host(uri), ':') != NULL)
		host = g_strdup_printf("[%s]", g_uri_get_host(uri));
	else
		host = g_strdup(g_uri_get_host(uri));
	if (port > 0) {
		gchar *with_port = g_strdup_printf("%s:%d", host, port);

		g_free(host);
		host = with_port;
	}
	path = *g_uri_get_path(uri) != '\0' ? g_uri_get_path(uri) : "/";
	existing = g_uri_get_query(uri);

	query = pg_sms_kannel_query(request);
	http = g_strdup_printf("GET %s?%s%s%s HTTP/1.0\r\n"
			       "Host: %s\r\n"
			       "User-Agent: %s\r\n"
			       "Accept: */*\r\n"
			       "Connection: close\r\n"
			       "\r\n",
			       path, existing != NULL ? existing : "",
			       existing != NULL && *existing != '\0' ? "&" : "", query, host,
			       user_agent != NULL ? user_agent : "polygate-sms");
	pg_sms_kannel_free_secret(query);
	return http;
}

gchar *
pg_sms_kannel_dlr_url(const gchar *url_template, const gchar *message_id)
{
	g_autofree gchar *id = NULL;
	const gchar *separator;
	gsize len;

	g_return_val_if_fail(message_id != NULL, NULL);

	if (url_template == NULL || *url_template == '\0')
		return NULL;
	len = strlen(url_template);
	if (strchr(url_template, '?') == NULL)
		separator = "?";
	else if (url_template[len - 1] == '?' || url_template[len - 1] == '&')
		separator = "";
	else
		separator = "&";
	/* escaped at the dlr-url's own level; our ids are UUIDs, so this is a
	 * no-op today, but an id is data and data gets escaped */
	id = g_uri_escape_string(message_id, NULL, FALSE);
	return g_strdup_printf("%s%sid=%s&status=%%d", url_template, separator, id);
}

static gchar *
pg_sms_kannel_reason(const gchar *start, const gchar *end)
{
	const gchar *eol = start;
	g_autofree gchar *line = NULL;
	g_autofree gchar *valid = NULL;

	while (eol < end && *eol != '\r' && *eol != '\n')
		eol++;
	line = g_strndup(start, eol - start);
	valid = g_utf8_make_valid(g_strstrip(line), -1);
	if (g_utf8_strlen(valid, -1) > PG_SMS_REASON_MAX)
		*g_utf8_offset_to_pointer(valid, PG_SMS_REASON_MAX) = '\0';
	return g_steal_pointer(&valid);
}

PgSmsOutcome
pg_sms_kannel_parse_reply(const gchar *response, gsize len, guint *http_status, gchar **reason)
{
	const gchar *end = response + len;
	const gchar *body = NULL;
	const gchar *status_text;
	gchar *status_end = NULL;
	guint64 status = 0;
	g_autofree gchar *text = NULL;
	PgSmsOutcome outcome;

	if (http_status != NULL)
		*http_status = 0;
	if (reason != NULL)
		*reason = NULL;
	if (response == NULL || len < 12 || strncmp(response, "HTTP/", 5) != 0) {
		if (reason != NULL)
			*reason = g_strdup("malformed reply from the sendsms server");
		return PG_SMS_OUTCOME_TEMPORARY;
	}

	/* "HTTP/1.1 202 Accepted": the code follows the first space */
	status_text = memchr(response, ' ', MIN(len, 16));
	if (status_text != NULL)
		status = g_ascii_strtoull(status_text + 1, &status_end, 10);
	if (status_text == NULL || status_end == status_text + 1 || status < 100 || status > 599) {
		if (reason != NULL)
			*reason = g_strdup("malformed status line from the sendsms server");
		return PG_SMS_OUTCOME_TEMPORARY;
	}
	if (http_status != NULL)
		*http_status = (guint)status;

	/* the body starts after the first empty line */
	for (const gchar *p = response; p < end; p++) {
		if (p + 3 < end && memcmp(p, "\r\n\r\n", 4) == 0) {
			body = p + 4;
			break;
		}
		if (p + 1 < end && memcmp(p, "\n\n", 2) == 0) {
			body = p + 2;
			break;
		}
	}
	if (body != NULL)
		text = pg_sms_kannel_reason(body, end);
	if (text == NULL || *text == '\0') {
		g_free(text);
		text = pg_sms_kannel_reason(response, end);
	}

	if (status >= 200 && status < 300)
		outcome = PG_SMS_OUTCOME_ACCEPTED;
	else if (status >= 500 || status == 408 || status == 429)
		outcome = PG_SMS_OUTCOME_TEMPORARY;
	else
		outcome = PG_SMS_OUTCOME_PERMANENT;
	/* Kannel numbers its answers: 0 accepted, 3 queued, 4 queue full
	 * (temporary whatever the status code says) */
	if (body != NULL && g_str_has_prefix(text, "4:"))
		outcome = PG_SMS_OUTCOME_TEMPORARY;

	if (reason != NULL)
		*reason = g_steal_pointer(&text);
	return outcome;
}

void
pg_sms_kannel_free_secret(gchar *secret)
{
	if (secret == NULL)
		return;
	explicit_bzero(secret, strlen(secret));
	g_free(secret);
}
