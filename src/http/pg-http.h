/* PgHttp: the daemon's one HTTP listener (libsoup 3, on the GLib main loop).
 *
 *   GET  /healthz          200 "ok"
 *   GET  /metrics          200, Prometheus text format 0.0.4
 *   GET  /kannel/inbound   an inbound SMS, from Kannel's sms-service get-url
 *   POST /kannel/inbound   the same from post-url (text in the body)
 *   GET  /kannel/dlr       a delivery report, from the dlr-url of a sent SMS
 *
 * Anything else: 404 for an unknown path, 405 (with Allow) for a known path
 * and another method.  HEAD is answered wherever GET is.
 *
 * KANNEL CALLBACKS.  Every /kannel/ request carries token=TOKEN in its query,
 * the kannel_token of one [transport NAME] with type = sms.  The token both
 * authenticates the request and says which transport it is for.  A missing or
 * wrong token is answered 403 and logged WITHOUT the token or the query.
 * Query parameters (Kannel escapes for URL):
 *
 *   /kannel/inbound   token  the transport's kannel_token        (required)
 *                     from   %p  the sender's number             (required)
 *                     to     %P  the receiving number            (required)
 *                     text   %b  the message, exactly as received (required for
 *                            GET; %a also works but squeezes runs of spaces)
 *                     charset %C the text's charset: "UTF-16BE" when coding=2,
 *                            "WINDOWS-1252" after mo-recode, "GSM"/"binary"
 *                            otherwise (treated as UTF-8)
 *                     coding %c  0 = 7 bit, 1 = 8 bit, 2 = UCS-2
 *                     smsc   %i  smsc-id, id %I Kannel's message id,
 *                     ts     %T  (or %t): accepted and ignored, for logs and
 *                            later use
 *   POST (post-url): the text is the body; from/to/charset/coding come from
 *   the query if present, else from the X-Kannel-From, X-Kannel-To,
 *   X-Kannel-Coding headers and the charset of Content-Type.  (Kannel sends
 *   X-Kannel-From only with send-sender = true in the sms-service.)
 *
 *   /kannel/dlr       token  the transport's kannel_token        (required)
 *                     id     the message id the sender chose and appended to
 *                            its dlr-url                          (required)
 *                     status %d  1 delivered, 2 failed, 4 buffered,
 *                            8 SMSC ack, 16 SMSC nack            (required)
 *                     answer %A  the SMSC's reply, if any
 *                     to     %p  the handset (in a DLR %p is the recipient)
 *
 * Text handling: the text handed to the delegate is valid UTF-8 without NUL.
 * UTF-16BE (coding=2, or charset=UTF-16BE) and any charset iconv knows are
 * converted; "GSM" text that is not UTF-8 is read as WINDOWS-1252 (what
 * older Kannels keep internally); anything else that is not UTF-8 is 400.
 *
 * The delegate's return value is the HTTP status sent back to Kannel:
 * 200 taken, 404 unknown receiver (Kannel drops it), 503 try later (Kannel
 * retries get-url as often as the smsbox's http-request-retry allows).
 * A Kannel get-url answer body becomes a reply SMS unless the sms-service
 * has max-messages = 0: set it; our bodies are empty anyway.
 *
 * Example Kannel config (smsbox), PORT = [http] port, TOKEN = kannel_token:
 *   group = sms-service
 *   keyword = default
 *   catch-all = true
 *   max-messages = 0
 *   get-url = "http://127.0.0.1:PORT/kannel/inbound?token=TOKEN&from=%p&to=%P&text=%b&charset=%C&coding=%c&smsc=%i&id=%I&ts=%T"
 * and for each sendsms: dlr-mask=31 (or 3) and
 *   dlr-url = http://127.0.0.1:PORT/kannel/dlr?token=TOKEN&status=%d&answer=%A&to=%p&id=ID
 * (URL-encoded as a sendsms parameter), ID being the sender's own message id.
 *
 * Bodies are never logged above debug level; a token never at any level.
 *
 * LIMITS ([http] max_connections, idle_timeout, request_timeout, max_body;
 * src/http/pg-http-guard.h).  A request with a body that will be refused
 * (404, 405, a malformed query 400, no or wrong token 403, a declared length
 * over max_body 413) is answered before its body is read, with
 * "Connection: close"; a chunked body is refused (413) the moment it passes
 * max_body.  Connections past max_connections evict the oldest idle one or
 * get 503; a connection silent for idle_timeout, or whose request has not
 * all arrived request_timeout after it started, is closed.  /metrics counts
 * each of these.
 */
#pragma once

#include <glib.h>

#include "core/pg-config.h"

G_BEGIN_DECLS

typedef struct _PgHttp PgHttp;

/* The daemon's side.  Each callback runs on the main loop, synchronously,
 * inside the request; a NULL callback answers 503 (inbound, dlr). */
typedef struct {
	/* An inbound SMS on @transport (a type = sms transport, the token's).
	 * @from and @to are as Kannel gave them (not normalised); @text is valid
	 * UTF-8.  Returns: the HTTP status for Kannel (200, 404 or 503). */
	guint (*inbound)(PgHttp *http, const PgTransportConfig *transport, const gchar *from,
			 const gchar *to, const gchar *text, gpointer user_data);
	/* A delivery report for the SMS whose id the sender chose as
	 * @message_id.  @status is Kannel's %d; @answer is the SMSC's reply (may
	 * be empty, never NULL).  Returns: the HTTP status (200, 404 or 503). */
	guint (*dlr)(PgHttp *http, const PgTransportConfig *transport, const gchar *message_id,
		     gint status, const gchar *answer, gpointer user_data);
	/* Returns: (transfer full) (nullable) the daemon's metrics in Prometheus
	 * text format, each line ending in '\n'.  NULL callback: "polygate_up 1". */
	gchar *(*metrics)(gpointer user_data);
} PgHttpDelegate;

/* Kannel's delivery report values (%d); several may be or-ed in a dlr-mask. */
typedef enum {
	PG_HTTP_DLR_DELIVERED = 1,
	PG_HTTP_DLR_FAILED = 2,
	PG_HTTP_DLR_BUFFERED = 4,
	PG_HTTP_DLR_SMSC_ACK = 8,
	PG_HTTP_DLR_SMSC_NACK = 16,
} PgHttpDlrStatus;

/* Listens on @config's http_listen:http_port, which must not be 0 (that means
 * "no listener": do not call this then).  @config and @delegate are borrowed
 * and must outlive the PgHttp; the transports are looked up in @config.
 * Returns: (transfer full) the listener, or NULL with @error set (PG_ERROR_CONFIG
 * for a bad address, PG_ERROR_IO when the port cannot be bound). */
PgHttp *pg_http_new(const PgConfig *config, const PgHttpDelegate *delegate, gpointer user_data,
		    GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* As pg_http_new() on @address (an IP literal) and @port; @port 0 binds an
 * ephemeral port (tests): read it back with pg_http_get_port(). */
PgHttp *pg_http_new_for_address(const PgConfig *config, const gchar *address, guint16 port,
				const PgHttpDelegate *delegate, gpointer user_data,
				GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Stops listening and frees; requests in progress are dropped.  Never call
 * it from inside a delegate callback (the request being answered would
 * outlive its server): defer it to an idle source. */
void pg_http_free(PgHttp *self);

/* The port actually bound. */
guint16 pg_http_get_port(PgHttp *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgHttp, pg_http_free)

G_END_DECLS
