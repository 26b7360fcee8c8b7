/* Kannel's sendsms HTTP interface: building the request, reading the reply.
 *
 * Pure functions (GLib only), linked into the plugin and the unit tests.
 * Kannel 1.4.5 gw/smsbox.c is the reference for the parameter names and the
 * replies; see backends/purple-kannel/README.md for the Kannel side.
 */
#pragma once

#include <glib.h>

#include "pg-sms-text.h"

G_BEGIN_DECLS

/* Kannel asks for every delivery report type: 1 delivered, 2 undeliverable,
 * 4 queued on the SMSC, 8 accepted by the SMSC (ACK), 16 rejected (NACK). */
#define PG_SMS_DLR_MASK_ALL 31

/* What became of one sendsms request; the int of the "sms-sent" signal. */
typedef enum {
	PG_SMS_OUTCOME_ACCEPTED = 0,  /* Kannel took it ("0: Accepted", "3: Queued") */
	PG_SMS_OUTCOME_TEMPORARY = 1, /* try again later: no connection, timeout, 5xx */
	PG_SMS_OUTCOME_PERMANENT = 2, /* do not retry: 4xx, bad number, text too long */
} PgSmsOutcome;

/* One sendsms request.  Strings are borrowed; NULL or "" leaves an optional
 * parameter out. */
typedef struct {
	const gchar *url;      /* e.g. http://127.0.0.1:13013/cgi-bin/sendsms */
	const gchar *username; /* sendsms-user username */
	const gchar *password; /* sendsms-user password (a secret: see below) */
	const gchar *from;     /* sender number */
	const gchar *to;       /* receiver, E.164 */
	const gchar *text;     /* UTF-8, sent with charset=UTF-8 */
	PgSmsCoding coding;
	const gchar *smsc;    /* optional smsc-id */
	const gchar *dlr_url; /* optional, complete (pg_sms_kannel_dlr_url()); sets dlr-mask */
} PgSmsSendsms;

/* The sendsms query string "username=...&password=...&...", every value
 * percent-encoded (RFC 3986 unreserved characters stay, so "+" is %2B and a
 * space %20: Kannel decodes "+" to a space).
 * Returns: (transfer full) the query; it holds the password, so free it with
 * pg_sms_kannel_free_secret(). */
gchar *pg_sms_kannel_query(const PgSmsSendsms *request);

/* The whole HTTP/1.0 GET request for @request, as
 * purple_util_fetch_url_request_len_with_account() sends it verbatim (that
 * function still connects to the host and port of request->url).  Any query
 * already in request->url is kept in front of ours.
 * Returns: (transfer full) the request (free with pg_sms_kannel_free_secret()),
 * or NULL with PG_SMS_ERROR_INVALID_URL. */
gchar *pg_sms_kannel_http_request(const PgSmsSendsms *request, const gchar *user_agent,
				  GError **error);

/* The dlr-url Kannel calls back: @url_template plus "id=<message_id>&status=%d"
 * (with "?" or "&" as needed).  Kannel replaces %d with the report type; the
 * template may use Kannel's other escapes (%p, %P, %T, %A...) itself.
 * Returns: (transfer full) the URL, not yet escaped for the sendsms query
 * (pg_sms_kannel_query() does that once). */
gchar *pg_sms_kannel_dlr_url(const gchar *url_template, const gchar *message_id);

/* Characters of Kannel's answer kept as the reason. */
#define PG_SMS_REASON_MAX 200

/* Classify Kannel's reply: @response is the raw HTTP response with its
 * headers (libpurple's include_headers = TRUE), @len its length.
 * @http_status: (out) (optional) the status code, 0 if there was none.
 * @reason: (out) (optional) (transfer full) the first line of the body, or
 * the status line when the body is empty.
 * 2xx: accepted.  A body starting "4:" (Kannel's queue full), 408, 429 and
 * 5xx: temporary.  Other 4xx and 3xx: permanent.  No status line: temporary
 * (something that is not Kannel answered; the request may be retried). */
PgSmsOutcome pg_sms_kannel_parse_reply(const gchar *response, gsize len, guint *http_status,
				       gchar **reason);

/* Overwrite then free a string that held a password. */
void pg_sms_kannel_free_secret(gchar *secret);

G_END_DECLS
