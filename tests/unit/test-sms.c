/* Unit tests for the SMS plugin's pure functions (backends/purple-kannel):
 * the GSM 03.38 alphabet, part counting, E.164 numbers, the sendsms request
 * and Kannel's replies. */
#include "config.h"

#include <string.h>

#include "backends/purple-kannel/pg-sms-kannel.h"
#include "backends/purple-kannel/pg-sms-text.h"

/* GSM 03.38 ----------------------------------------------------------------- */

typedef struct {
	const gchar *name;
	gunichar c;
	guint septets;
} GsmCase;

static const GsmCase gsm_cases[] = {
    {.name = "ascii-letter", .c = 'a', .septets = 1},
    {.name = "ascii-digit", .c = '7', .septets = 1},
    {.name = "at-sign", .c = '@', .septets = 1},
    {.name = "dollar", .c = '$', .septets = 1},
    {.name = "newline", .c = '\n', .septets = 1},
    {.name = "carriage-return", .c = '\r', .septets = 1},
    {.name = "e-acute", .c = 0x00E9, .septets = 1},
    {.name = "E-acute", .c = 0x00C9, .septets = 1},
    {.name = "C-cedilla", .c = 0x00C7, .septets = 1},
    {.name = "c-cedilla-is-not-gsm", .c = 0x00E7, .septets = 0},
    {.name = "a-grave", .c = 0x00E0, .septets = 1},
    {.name = "A-grave-is-not-gsm", .c = 0x00C0, .septets = 0},
    {.name = "u-umlaut", .c = 0x00FC, .septets = 1},
    {.name = "sharp-s", .c = 0x00DF, .septets = 1},
    {.name = "pound", .c = 0x00A3, .septets = 1},
    {.name = "section", .c = 0x00A7, .septets = 1},
    {.name = "greek-delta", .c = 0x0394, .septets = 1},
    {.name = "greek-small-alpha-is-not-gsm", .c = 0x03B1, .septets = 0},
    {.name = "euro-is-extension", .c = 0x20AC, .septets = 2},
    {.name = "brace-is-extension", .c = '{', .septets = 2},
    {.name = "backslash-is-extension", .c = '\\', .septets = 2},
    {.name = "pipe-is-extension", .c = '|', .septets = 2},
    {.name = "tilde-is-extension", .c = '~', .septets = 2},
    {.name = "caret-is-extension", .c = '^', .septets = 2},
    {.name = "form-feed-is-extension", .c = 0x000C, .septets = 2},
    {.name = "backtick-is-not-gsm", .c = '`', .septets = 0},
    {.name = "tab-is-not-gsm", .c = '\t', .septets = 0},
    {.name = "nul-is-not-gsm", .c = 0, .septets = 0},
    {.name = "escape-is-not-a-character", .c = 0x1B, .septets = 0},
    {.name = "emoji-is-not-gsm", .c = 0x1F600, .septets = 0},
    {.name = "cyrillic-is-not-gsm", .c = 0x0416, .septets = 0},
};

static void
test_sms_gsm_septets(gconstpointer data)
{
	const GsmCase *test = data;

	g_assert_cmpuint(pg_sms_gsm_septets(test->c), ==, test->septets);
}

/* Measuring ------------------------------------------------------------------ */

typedef struct {
	const gchar *name;
	const gchar *unit; /* repeated count times */
	guint count;
	PgSmsCoding coding;
	guint units;
	guint parts;
} MeasureCase;

static const MeasureCase measure_cases[] = {
    {.name = "empty", .unit = "", .count = 1, .coding = PG_SMS_CODING_GSM, .units = 0, .parts = 1},
    {.name = "gsm-160-is-one", .unit = "a", .count = 160, .coding = PG_SMS_CODING_GSM,
     .units = 160, .parts = 1},
    {.name = "gsm-161-is-two", .unit = "a", .count = 161, .coding = PG_SMS_CODING_GSM,
     .units = 161, .parts = 2},
    {.name = "gsm-306-is-two", .unit = "a", .count = 306, .coding = PG_SMS_CODING_GSM,
     .units = 306, .parts = 2},
    {.name = "gsm-307-is-three", .unit = "a", .count = 307, .coding = PG_SMS_CODING_GSM,
     .units = 307, .parts = 3},
    {.name = "gsm-400-is-three", .unit = "a", .count = 400, .coding = PG_SMS_CODING_GSM,
     .units = 400, .parts = 3},
    {.name = "accents-stay-gsm", .unit = "héllo", .count = 1, .coding = PG_SMS_CODING_GSM,
     .units = 5, .parts = 1},
    {.name = "euro-costs-two-septets", .unit = "€", .count = 80, .coding = PG_SMS_CODING_GSM,
     .units = 160, .parts = 1},
    {.name = "euro-81-is-two-parts", .unit = "€", .count = 81, .coding = PG_SMS_CODING_GSM,
     .units = 162, .parts = 2},
    {.name = "ucs2-70-is-one", .unit = "ç", .count = 70, .coding = PG_SMS_CODING_UCS2,
     .units = 70, .parts = 1},
    {.name = "ucs2-71-is-two", .unit = "ç", .count = 71, .coding = PG_SMS_CODING_UCS2,
     .units = 71, .parts = 2},
    {.name = "ucs2-134-is-two", .unit = "ж", .count = 134, .coding = PG_SMS_CODING_UCS2,
     .units = 134, .parts = 2},
    {.name = "ucs2-135-is-three", .unit = "ж", .count = 135, .coding = PG_SMS_CODING_UCS2,
     .units = 135, .parts = 3},
    {.name = "emoji-is-two-utf16-units", .unit = "😀", .count = 35,
     .coding = PG_SMS_CODING_UCS2, .units = 70, .parts = 1},
    {.name = "emoji-36-is-two-parts", .unit = "😀", .count = 36, .coding = PG_SMS_CODING_UCS2,
     .units = 72, .parts = 2},
};

static void
test_sms_measure(gconstpointer data)
{
	const MeasureCase *test = data;
	g_autoptr(GString) text = g_string_new(NULL);
	PgSmsLength length;

	for (guint i = 0; i < test->count; i++)
		g_string_append(text, test->unit);
	pg_sms_text_measure(text->str, &length);
	g_assert_cmpint(length.coding, ==, test->coding);
	g_assert_cmpuint(length.units, ==, test->units);
	g_assert_cmpuint(length.parts, ==, test->parts);
}

static void
test_sms_measure_one_foreign_character_makes_all_ucs2(void)
{
	g_autoptr(GString) text = g_string_new(NULL);
	PgSmsLength length;

	for (guint i = 0; i < 100; i++)
		g_string_append_c(text, 'a');
	g_string_append(text, "ç");
	pg_sms_text_measure(text->str, &length);
	g_assert_cmpint(length.coding, ==, PG_SMS_CODING_UCS2);
	g_assert_cmpuint(length.units, ==, 101);
	g_assert_cmpuint(length.parts, ==, 2);
}

/* Numbers -------------------------------------------------------------------- */

typedef struct {
	const gchar *input;
	gboolean valid;
} NumberCase;

static const NumberCase number_cases[] = {
    {.input = "+15551234567", .valid = TRUE},
    {.input = "+2901234", .valid = TRUE},		/* 7 digits */
    {.input = "+290123", .valid = FALSE},		/* 6 digits */
    {.input = "+123456789012345", .valid = TRUE},	/* 15 digits */
    {.input = "+1234567890123456", .valid = FALSE}, /* 16 digits */
    {.input = "+0491510000001", .valid = FALSE},	/* country code 0 */
    {.input = "15551234567", .valid = FALSE},	/* no + */
    {.input = "+1 555 123 4567", .valid = FALSE},	/* spaces */
    {.input = "+1555123456a", .valid = FALSE},
    {.input = "+", .valid = FALSE},
    {.input = "", .valid = FALSE},
    {.input = "++15551234567", .valid = FALSE},
};

static void
test_sms_number_valid(gconstpointer data)
{
	const NumberCase *test = data;

	g_assert_cmpint(pg_sms_number_is_valid(test->input), ==, test->valid);
}

typedef struct {
	const gchar *input;
	const gchar *normalized; /* NULL: refused */
} NormalizeCase;

static const NormalizeCase normalize_cases[] = {
    {.input = "+15551234567", .normalized = "+15551234567"},
    {.input = "+1 (555) 123-4567", .normalized = "+15551234567"},
    {.input = "0049 151.000.0001", .normalized = "+491510000001"},
    {.input = " +44 20 7946 0000", .normalized = "+442079460000"},
    {.input = "0151 0000001", .normalized = NULL}, /* national form */
    {.input = "+49 151 0000001 ext", .normalized = NULL},
    {.input = "+0 555", .normalized = NULL},
    {.input = "", .normalized = NULL},
};

static void
test_sms_number_normalize(gconstpointer data)
{
	const NormalizeCase *test = data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *normalized = pg_sms_number_normalize(test->input, &error);

	g_assert_cmpstr(normalized, ==, test->normalized);
	if (test->normalized == NULL)
		g_assert_error(error, PG_SMS_ERROR, PG_SMS_ERROR_INVALID_NUMBER);
	else
		g_assert_no_error(error);
}

/* The sendsms request -------------------------------------------------------- */

static void
test_sms_query_escapes_every_value(void)
{
	PgSmsSendsms request = {
	    .url = "http://127.0.0.1:13013/cgi-bin/sendsms",
	    .username = "poly gate",
	    .password = "p&ss=w+rd%",
	    .from = "+15551234567",
	    .to = "+491510000001",
	    .text = "héllo & bye + 1 = 2?",
	    .coding = PG_SMS_CODING_GSM,
	};
	g_autofree gchar *query = pg_sms_kannel_query(&request);

	g_assert_cmpstr(query, ==,
			"username=poly%20gate&password=p%26ss%3Dw%2Brd%25"
			"&from=%2B15551234567&to=%2B491510000001"
			"&text=h%C3%A9llo%20%26%20bye%20%2B%201%20%3D%202%3F"
			"&charset=UTF-8&coding=0");
}

static void
test_sms_query_optional_parameters(void)
{
	g_autofree gchar *dlr = pg_sms_kannel_dlr_url(
	    "http://127.0.0.1:8080/kannel/dlr?token=abc", "7d1f2e4a-0000-4000-8000-000000000001");
	PgSmsSendsms request = {
	    .username = "u",
	    .password = "p",
	    .from = "+15551234567",
	    .to = "+491510000001",
	    .text = "😀",
	    .coding = PG_SMS_CODING_UCS2,
	    .smsc = "fake",
	    .dlr_url = dlr,
	};
	g_autofree gchar *query = pg_sms_kannel_query(&request);

	g_assert_cmpstr(dlr, ==,
			"http://127.0.0.1:8080/kannel/dlr?token=abc"
			"&id=7d1f2e4a-0000-4000-8000-000000000001&status=%d");
	/* the dlr-url is escaped once as a value: its "%d" becomes "%25d", which
	 * Kannel's CGI decoding turns back into the "%d" it substitutes */
	g_assert_cmpstr(query, ==,
			"username=u&password=p&from=%2B15551234567&to=%2B491510000001"
			"&text=%F0%9F%98%80&charset=UTF-8&coding=2&smsc=fake&dlr-mask=31"
			"&dlr-url=http%3A%2F%2F127.0.0.1%3A8080%2Fkannel%2Fdlr%3Ftoken%3Dabc"
			"%26id%3D7d1f2e4a-0000-4000-8000-000000000001%26status%3D%25d");
}

typedef struct {
	const gchar *url_template;
	const gchar *expected; /* NULL: no dlr-url */
} DlrCase;

static const DlrCase dlr_cases[] = {
    {.url_template = "http://h/dlr", .expected = "http://h/dlr?id=X&status=%d"},
    {.url_template = "http://h/dlr?", .expected = "http://h/dlr?id=X&status=%d"},
    {.url_template = "http://h/dlr?t=1", .expected = "http://h/dlr?t=1&id=X&status=%d"},
    {.url_template = "http://h/dlr?t=1&", .expected = "http://h/dlr?t=1&id=X&status=%d"},
    {.url_template = "http://h/dlr?to=%p&ts=%T", .expected = "http://h/dlr?to=%p&ts=%T&id=X&status=%d"},
    {.url_template = "", .expected = NULL},
    {.url_template = NULL, .expected = NULL},
};

static void
test_sms_dlr_url(gconstpointer data)
{
	const DlrCase *test = data;
	g_autofree gchar *url = pg_sms_kannel_dlr_url(test->url_template, "X");

	g_assert_cmpstr(url, ==, test->expected);
}

static void
test_sms_dlr_url_escapes_the_id(void)
{
	g_autofree gchar *url = pg_sms_kannel_dlr_url("http://h/dlr", "a&b c");

	g_assert_cmpstr(url, ==, "http://h/dlr?id=a%26b%20c&status=%d");
}

static void
test_sms_http_request(void)
{
	PgSmsSendsms request = {
	    .url = "http://127.0.0.1:13013/cgi-bin/sendsms",
	    .username = "u",
	    .password = "p",
	    .from = "+15551234567",
	    .to = "+491510000001",
	    .text = "hi",
	};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *http = pg_sms_kannel_http_request(&request, "test/1", &error);

	g_assert_no_error(error);
	g_assert_cmpstr(http, ==,
			"GET /cgi-bin/sendsms?username=u&password=p&from=%2B15551234567"
			"&to=%2B491510000001&text=hi&charset=UTF-8&coding=0 HTTP/1.0\r\n"
			"Host: 127.0.0.1:13013\r\n"
			"User-Agent: test/1\r\n"
			"Accept: */*\r\n"
			"Connection: close\r\n"
			"\r\n");
}

static void
test_sms_http_request_keeps_an_existing_query_and_long_text(void)
{
	g_autoptr(GString) text = g_string_new(NULL);
	PgSmsSendsms request = {
	    .url = "https://sms.example.org/cgi-bin/sendsms?account=a1",
	    .to = "+491510000001",
	    .coding = PG_SMS_CODING_GSM,
	};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *http = NULL;

	/* longer than libpurple's 255-character path limit: must not be cut */
	for (guint i = 0; i < 400; i++)
		g_string_append_c(text, 'x');
	request.text = text->str;
	http = pg_sms_kannel_http_request(&request, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(g_str_has_prefix(http, "GET /cgi-bin/sendsms?account=a1&to=%2B491510000001"
					     "&text=xxxx"));
	g_assert_nonnull(strstr(http, "&charset=UTF-8&coding=0 HTTP/1.0\r\nHost: "
				      "sms.example.org\r\nUser-Agent: polygate-sms\r\n"));
	g_assert_cmpuint(strlen(http), >, 400);
}

typedef struct {
	const gchar *url;
} BadUrlCase;

static const BadUrlCase bad_url_cases[] = {
    {.url = ""},
    {.url = "not a url"},
    {.url = "ftp://127.0.0.1/cgi-bin/sendsms"},
    {.url = "http:///cgi-bin/sendsms"},
};

static void
test_sms_http_request_bad_url(gconstpointer data)
{
	const BadUrlCase *test = data;
	PgSmsSendsms request = {.url = test->url, .to = "+491510000001", .text = "x"};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *http = pg_sms_kannel_http_request(&request, NULL, &error);

	g_assert_null(http);
	g_assert_error(error, PG_SMS_ERROR, PG_SMS_ERROR_INVALID_URL);
}

/* Kannel's replies ------------------------------------------------------------ */

typedef struct {
	const gchar *name;
	const gchar *reply;
	PgSmsOutcome outcome;
	guint status;
	const gchar *reason;
} ReplyCase;

#define KANNEL_HEADERS "Server: Kannel/1.4.5\r\nContent-Type: text/html\r\n\r\n"

static const ReplyCase reply_cases[] = {
    {.name = "accepted",
     .reply = "HTTP/1.1 202 Accepted\r\n" KANNEL_HEADERS "0: Accepted for delivery",
     .outcome = PG_SMS_OUTCOME_ACCEPTED,
     .status = 202,
     .reason = "0: Accepted for delivery"},
    {.name = "queued",
     .reply = "HTTP/1.1 202 Accepted\r\n" KANNEL_HEADERS "3: Queued for later delivery",
     .outcome = PG_SMS_OUTCOME_ACCEPTED,
     .status = 202,
     .reason = "3: Queued for later delivery"},
    {.name = "immediate-reply-sent",
     .reply = "HTTP/1.0 202 Accepted\r\n" KANNEL_HEADERS "Sent. Message splits: 3",
     .outcome = PG_SMS_OUTCOME_ACCEPTED,
     .status = 202,
     .reason = "Sent. Message splits: 3"},
    {.name = "queue-full-is-temporary",
     .reply = "HTTP/1.1 503 Service Unavailable\r\n" KANNEL_HEADERS "4: Message queue full",
     .outcome = PG_SMS_OUTCOME_TEMPORARY,
     .status = 503,
     .reason = "4: Message queue full"},
    {.name = "queue-full-is-temporary-even-as-4xx",
     .reply = "HTTP/1.1 403 Forbidden\r\n" KANNEL_HEADERS "4: Message queue full",
     .outcome = PG_SMS_OUTCOME_TEMPORARY,
     .status = 403,
     .reason = "4: Message queue full"},
    {.name = "temporal-failure",
     .reply = "HTTP/1.1 503 Service Unavailable\r\n" KANNEL_HEADERS
	      "Temporal failure, try again later.",
     .outcome = PG_SMS_OUTCOME_TEMPORARY,
     .status = 503,
     .reason = "Temporal failure, try again later."},
    {.name = "sending-failed",
     .reply = "HTTP/1.1 500 Internal Server Error\r\n" KANNEL_HEADERS "Sending failed.",
     .outcome = PG_SMS_OUTCOME_TEMPORARY,
     .status = 500,
     .reason = "Sending failed."},
    {.name = "wrong-password-is-permanent",
     .reply = "HTTP/1.1 403 Forbidden\r\n" KANNEL_HEADERS "Authorization failed for sendsms",
     .outcome = PG_SMS_OUTCOME_PERMANENT,
     .status = 403,
     .reason = "Authorization failed for sendsms"},
    {.name = "not-routable-is-permanent",
     .reply = "HTTP/1.1 403 Forbidden\r\n" KANNEL_HEADERS "Not routable. Do not try again.",
     .outcome = PG_SMS_OUTCOME_PERMANENT,
     .status = 403,
     .reason = "Not routable. Do not try again."},
    {.name = "bad-request-is-permanent",
     .reply = "HTTP/1.1 400 Bad Request\r\n" KANNEL_HEADERS
	      "Sender missing and no global set, rejected\n",
     .outcome = PG_SMS_OUTCOME_PERMANENT,
     .status = 400,
     .reason = "Sender missing and no global set, rejected"},
    {.name = "too-many-requests-is-temporary",
     .reply = "HTTP/1.1 429 Too Many Requests\r\n\r\n",
     .outcome = PG_SMS_OUTCOME_TEMPORARY,
     .status = 429,
     .reason = "HTTP/1.1 429 Too Many Requests"},
    {.name = "not-found-is-permanent",
     .reply = "HTTP/1.1 404 Not Found\r\n" KANNEL_HEADERS "Unknown request.",
     .outcome = PG_SMS_OUTCOME_PERMANENT,
     .status = 404,
     .reason = "Unknown request."},
    {.name = "bare-newlines",
     .reply = "HTTP/1.0 202 Accepted\nServer: x\n\n0: Accepted for delivery\n",
     .outcome = PG_SMS_OUTCOME_ACCEPTED,
     .status = 202,
     .reason = "0: Accepted for delivery"},
    {.name = "not-http-is-temporary",
     .reply = "SSH-2.0-OpenSSH_9.2\r\n",
     .outcome = PG_SMS_OUTCOME_TEMPORARY,
     .status = 0,
     .reason = "malformed reply from the sendsms server"},
    {.name = "no-status-code-is-temporary",
     .reply = "HTTP/1.1 OK\r\n\r\n",
     .outcome = PG_SMS_OUTCOME_TEMPORARY,
     .status = 0,
     .reason = "malformed status line from the sendsms server"},
    {.name = "empty",
     .reply = "",
     .outcome = PG_SMS_OUTCOME_TEMPORARY,
     .status = 0,
     .reason = "malformed reply from the sendsms server"},
};

static void
test_sms_parse_reply(gconstpointer data)
{
	const ReplyCase *test = data;
	g_autofree gchar *reason = NULL;
	guint status = 1;
	PgSmsOutcome outcome;

	outcome = pg_sms_kannel_parse_reply(test->reply, strlen(test->reply), &status, &reason);
	g_assert_cmpint(outcome, ==, test->outcome);
	g_assert_cmpuint(status, ==, test->status);
	g_assert_cmpstr(reason, ==, test->reason);
}

static void
test_sms_parse_reply_reason_is_bounded_and_valid_utf8(void)
{
	g_autoptr(GString) reply = g_string_new("HTTP/1.1 400 Bad Request\r\n\r\n\xff");
	g_autofree gchar *reason = NULL;

	for (guint i = 0; i < 1000; i++)
		g_string_append_c(reply, 'x');
	g_assert_cmpint(pg_sms_kannel_parse_reply(reply->str, reply->len, NULL, &reason), ==,
			PG_SMS_OUTCOME_PERMANENT);
	g_assert_true(g_utf8_validate(reason, -1, NULL));
	g_assert_cmpuint(g_utf8_strlen(reason, -1), ==, 200);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	for (guint i = 0; i < G_N_ELEMENTS(gsm_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/sms/gsm/%s", gsm_cases[i].name);
		g_test_add_data_func(path, &gsm_cases[i], test_sms_gsm_septets);
	}
	for (guint i = 0; i < G_N_ELEMENTS(measure_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/sms/measure/%s", measure_cases[i].name);
		g_test_add_data_func(path, &measure_cases[i], test_sms_measure);
	}
	g_test_add_func("/sms/measure/one-foreign-character-makes-all-ucs2",
			test_sms_measure_one_foreign_character_makes_all_ucs2);
	for (guint i = 0; i < G_N_ELEMENTS(number_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/sms/number/valid/%u", i);
		g_test_add_data_func(path, &number_cases[i], test_sms_number_valid);
	}
	for (guint i = 0; i < G_N_ELEMENTS(normalize_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/sms/number/normalize/%u", i);
		g_test_add_data_func(path, &normalize_cases[i], test_sms_number_normalize);
	}
	g_test_add_func("/sms/query/escapes-every-value", test_sms_query_escapes_every_value);
	g_test_add_func("/sms/query/optional-parameters", test_sms_query_optional_parameters);
	for (guint i = 0; i < G_N_ELEMENTS(dlr_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/sms/dlr-url/%u", i);
		g_test_add_data_func(path, &dlr_cases[i], test_sms_dlr_url);
	}
	g_test_add_func("/sms/dlr-url/escapes-the-id", test_sms_dlr_url_escapes_the_id);
	g_test_add_func("/sms/http-request/plain", test_sms_http_request);
	g_test_add_func("/sms/http-request/keeps-an-existing-query-and-long-text",
			test_sms_http_request_keeps_an_existing_query_and_long_text);
	for (guint i = 0; i < G_N_ELEMENTS(bad_url_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/sms/http-request/bad-url/%u", i);
		g_test_add_data_func(path, &bad_url_cases[i], test_sms_http_request_bad_url);
	}
	for (guint i = 0; i < G_N_ELEMENTS(reply_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/sms/reply/%s", reply_cases[i].name);
		g_test_add_data_func(path, &reply_cases[i], test_sms_parse_reply);
	}
	g_test_add_func("/sms/reply/reason-is-bounded-and-valid-utf8",
			test_sms_parse_reply_reason_is_bounded_and_valid_utf8);
	return g_test_run();
}
