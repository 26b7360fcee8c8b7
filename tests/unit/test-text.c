/* Unit tests for the text boundary (src/stanza/pg-text.c) and the stanza
 * builders that use it (src/stanza/pg-stanza.c).  Issue 8, item 1. */
#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "stanza/pg-stanza.h"
#include "stanza/pg-text.h"

#define FFFD "\xef\xbf\xbd"

static xmpp_ctx_t *test_ctx;

/* What XML 1.0 §2.2 allows, checked independently of pg-text.c. */
static void
test_assert_xml_chars(const gchar *text, gsize len)
{
	const gchar *end = NULL;

	g_assert_true(g_utf8_validate_len(text, len, &end));
	for (const gchar *p = text; p < text + len; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		gboolean ok = c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) ||
			      (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
		if (!ok)
			g_error("U+%04X at offset %zd of \"%s\"", c, p - text, text);
	}
}

static void
test_check(const gchar *input, gssize len, PgTextKind kind, const PgTextCharset *fallback,
	   const gchar *expected)
{
	g_autofree gchar *out = pg_text_sanitize(input, len, kind, fallback);
	gsize in_len = len < 0 ? strlen(input) : (gsize)len;

	g_assert_cmpstr(out, ==, expected);
	test_assert_xml_chars(out, strlen(out));
	/* cleaning is idempotent, and "clean" means "left alone" */
	g_assert_true(pg_text_is_clean(out, -1, kind));
	if (fallback == NULL) {
		g_assert_cmpint(pg_text_is_clean(input, len, kind), ==,
				in_len == strlen(out) && memcmp(input, out, in_len) == 0);
	}
}

/* Every C0 byte, between two letters, for each kind. */
static void
test_text_every_c0_byte(void)
{
	for (guint b = 0; b < 0x20; b++) {
		gchar input[] = {'a', (gchar)b, 'z'};
		gboolean white = b == '\t' || b == '\n' || b == '\r';
		gchar kept[] = {'a', (gchar)b, 'z', '\0'};

		g_test_message("byte 0x%02x", b);
		test_check(input, 3, PG_TEXT_BODY, NULL, white ? kept : "az");
		test_check(input, 3, PG_TEXT_LINE, NULL, white ? "a z" : "az");
		test_check(input, 3, PG_TEXT_NAME, NULL, "a?z");
		test_check(input, 3, PG_TEXT_XML, NULL, white ? kept : "a" FFFD "z");
	}
}

/* DEL and every C1 control (as UTF-8, U+0080..U+009F). */
static void
test_text_del_and_c1(void)
{
	test_check("a\x7fz", -1, PG_TEXT_BODY, NULL, "az");
	test_check("a\x7fz", -1, PG_TEXT_LINE, NULL, "az");
	test_check("a\x7fz", -1, PG_TEXT_NAME, NULL, "a?z");
	test_check("a\x7fz", -1, PG_TEXT_XML, NULL, "a\x7fz");
	for (guint c = 0x80; c <= 0x9f; c++) {
		gchar input[8] = "a";
		gint n = g_unichar_to_utf8(c, input + 1);
		input[1 + n] = 'z';

		g_test_message("U+%04X", c);
		test_check(input, -1, PG_TEXT_BODY, NULL, "az");
		test_check(input, -1, PG_TEXT_NAME, NULL, "a?z");
		test_check(input, -1, PG_TEXT_XML, NULL, input);
	}
}

typedef struct {
	const gchar *name;
	const gchar *input;
	const gchar *body; /* PG_TEXT_BODY, default fallback (WINDOWS-1252) */
	const gchar *name_kind; /* PG_TEXT_NAME, default fallback */
} TestTextCase;

/* Bytes that are not UTF-8 are read one by one as WINDOWS-1252. */
static const TestTextCase test_text_invalid_cases[] = {
    {.name = "lone continuation", .input = "a\x80z", .body = "a\xe2\x82\xacz"},
    {.name = "undefined cp1252 byte", .input = "a\x81z", .body = "a" FFFD "z"},
    {.name = "lead byte at the end", .input = "caf\xc3", .body = "caf\xc3\x83"},
    {.name = "truncated three-byte", .input = "\xe2\x82z", .body = "\xc3\xa2\xe2\x80\x9az"},
    {.name = "overlong <", .input = "\xc0\xbc", .body = "\xc3\x80\xc2\xbc"},
    {.name = "overlong NUL", .input = "\xc0\x80", .body = "\xc3\x80\xe2\x82\xac"},
    {.name = "overlong three-byte /", .input = "\xe0\x80\xaf", .body = "\xc3\xa0\xe2\x82\xac\xc2\xaf"},
    {.name = "overlong four-byte", .input = "\xf0\x80\x80\xaf",
     .body = "\xc3\xb0\xe2\x82\xac\xe2\x82\xac\xc2\xaf"},
    {.name = "high surrogate", .input = "\xed\xa0\x80", .body = "\xc3\xad\xc2\xa0\xe2\x82\xac"},
    {.name = "low surrogate", .input = "\xed\xbf\xbf", .body = "\xc3\xad\xc2\xbf\xc2\xbf"},
    {.name = "above U+10FFFF", .input = "\xf4\x90\x80\x80",
     .body = "\xc3\xb4" FFFD "\xe2\x82\xac\xe2\x82\xac"},
    {.name = "F5 lead", .input = "\xf5z", .body = "\xc3\xb5z"},
    {.name = "FE FF", .input = "\xfe\xff", .body = "\xc3\xbe\xc3\xbf"},
    {.name = "cp1252 quotes", .input = "\x93hi\x94", .body = "\xe2\x80\x9chi\xe2\x80\x9d"},
    {.name = "valid UTF-8 stays", .input = "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
     .body = "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
    {.name = "U+FFFE", .input = "a\xef\xbf\xbez", .body = "az", .name_kind = "a?z"},
    {.name = "U+FFFF", .input = "a\xef\xbf\xbfz", .body = "az", .name_kind = "a?z"},
    {.name = "U+FFFD stays", .input = "a" FFFD "z", .body = "a" FFFD "z"},
    {.name = "U+10FFFF stays", .input = "\xf4\x8f\xbf\xbf", .body = "\xf4\x8f\xbf\xbf"},
    {.name = "last before surrogates", .input = "\xed\x9f\xbf", .body = "\xed\x9f\xbf"},
    {.name = "first after surrogates", .input = "\xee\x80\x80", .body = "\xee\x80\x80"},
    {.name = "mixed", .input = "\xe9t\xc3\xa9", .body = "\xc3\xa9t\xc3\xa9"},
};

/* mIRC formatting: gone in texts, '?' in names. */
static const TestTextCase test_text_mirc_cases[] = {
    {.name = "bold", .input = "\x02" "bold\x02", .body = "bold", .name_kind = "?bold?"},
    {.name = "colour", .input = "\x03" "04red", .body = "red", .name_kind = "?04red"},
    {.name = "colour one digit", .input = "\x03" "4red", .body = "red"},
    {.name = "colour fg,bg", .input = "\x03" "4,12x", .body = "x"},
    {.name = "colour fg,bg two digits", .input = "\x03" "04,12x", .body = "x"},
    {.name = "colour 3 digits keeps the third", .input = "\x03" "123", .body = "3"},
    {.name = "colour reset then comma", .input = "\x03,5x", .body = ",5x"},
    {.name = "colour fg then comma text", .input = "\x03" "12, x", .body = ", x"},
    {.name = "colour at the end", .input = "x\x03", .body = "x"},
    {.name = "colour fg, at the end", .input = "x\x03" "1,", .body = "x,"},
    {.name = "hex colour", .input = "\x04" "FF0000red", .body = "red"},
    {.name = "hex colour fg,bg", .input = "\x04" "ff0000,00FF00x", .body = "x"},
    {.name = "hex colour too short", .input = "\x04" "FF00", .body = "FF00"},
    {.name = "hex colour bad bg", .input = "\x04" "FF0000,00FF0x", .body = ",00FF0x"},
    {.name = "reset", .input = "a\x0f" "b", .body = "ab"},
    {.name = "monospace", .input = "\x11" "code\x11", .body = "code"},
    {.name = "reverse", .input = "\x16rev", .body = "rev"},
    {.name = "italic", .input = "\x1dit\x1d", .body = "it"},
    {.name = "strikethrough", .input = "\x1es\x1e", .body = "s"},
    {.name = "underline", .input = "\x1fu\x1f", .body = "u"},
    {.name = "CTCP delimiters", .input = "\x01VERSION\x01", .body = "VERSION"},
    {.name = "all at once", .input = "\x02\x1d\x03" "3,4\x04" "123456hi\x0f!", .body = "hi!"},
    {.name = "nick with bold", .input = "bob\x02", .body = "bob", .name_kind = "bob?"},
};

typedef struct {
	const TestTextCase *cases;
	gsize n_cases;
} TestTextTable;

static const TestTextTable test_text_invalid = {test_text_invalid_cases,
						G_N_ELEMENTS(test_text_invalid_cases)};
static const TestTextTable test_text_mirc = {test_text_mirc_cases,
					     G_N_ELEMENTS(test_text_mirc_cases)};

static void
test_text_table(gconstpointer data)
{
	const TestTextTable *table = data;
	const TestTextCase *cases = table->cases;

	for (gsize i = 0; i < table->n_cases; i++) {
		g_test_message("case: %s", cases[i].name);
		test_check(cases[i].input, -1, PG_TEXT_BODY, NULL, cases[i].body);
		if (cases[i].name_kind != NULL)
			test_check(cases[i].input, -1, PG_TEXT_NAME, NULL, cases[i].name_kind);
	}
}

/* What stringprep prohibits in a JID part becomes '?' in a name, and
 * stays in a text. */
static void
test_text_name_stringprep(void)
{
	static const gchar *const prohibited[] = {
	    FFFD,		    /* C.6, the replacement character itself */
	    "\xee\x80\x80",	    /* U+E000 private use (C.3) */
	    "\xf3\xb0\x80\x80",  /* U+F0000 private use (C.3) */
	    "\xef\xb7\x90",	    /* U+FDD0 non-character (C.4) */
	    "\xf0\x9f\xbf\xbe",  /* U+1FFFE non-character (C.4) */
	    "\xe2\xbf\xb0",	    /* U+2FF0 ideographic description (C.7) */
	    "\xe2\x80\x8f",	    /* U+200F right-to-left mark (C.8) */
	    "\xe2\x80\xae",	    /* U+202E right-to-left override (C.8) */
	    "\xf3\xa0\x80\x81",  /* U+E0001 language tag (C.9) */
	};

	for (gsize i = 0; i < G_N_ELEMENTS(prohibited); i++) {
		g_autofree gchar *input = g_strconcat("a", prohibited[i], "z", NULL);
		test_check(input, -1, PG_TEXT_NAME, NULL, "a?z");
		if (i != 4) /* U+1FFFE is a valid XML Char, kept in text */
			test_check(input, -1, PG_TEXT_BODY, NULL, input);
	}
	test_check("j\xc3\xa9r\xc3\xb4me \xe4\xbd\xa0", -1, PG_TEXT_NAME, NULL,
		   "j\xc3\xa9r\xc3\xb4me \xe4\xbd\xa0");
	/* an undefined fallback byte is U+FFFD, so '?' in a name */
	test_check("a\x81z", -1, PG_TEXT_NAME, NULL, "a?z");
}

static void
test_text_latin1_and_others(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgTextCharset) latin1 = pg_text_charset_new("ISO-8859-1", &error);
	g_autoptr(PgTextCharset) koi8 = NULL;
	g_autoptr(PgTextCharset) cp1251 = NULL;
	g_autoptr(PgTextCharset) bad = NULL;

	g_assert_no_error(error);
	g_assert_cmpstr(pg_text_charset_get_name(latin1), ==, "ISO-8859-1");
	test_check("caf\xe9", -1, PG_TEXT_BODY, latin1, "caf\xc3\xa9");
	/* Latin-1's 0x80..0x9F are C1 controls: dropped in a text */
	test_check("a\x80z", -1, PG_TEXT_BODY, latin1, "az");
	test_check("a\x80z", -1, PG_TEXT_NAME, latin1, "a?z");
	test_check("a\x85z", -1, PG_TEXT_XML, latin1, "a\xc2\x85z");
	/* valid UTF-8 is never reinterpreted */
	test_check("caf\xc3\xa9 \xe9", -1, PG_TEXT_BODY, latin1, "caf\xc3\xa9 \xc3\xa9");

	koi8 = pg_text_charset_new("KOI8-R", &error);
	g_assert_no_error(error);
	test_check("\xd0\xd2\xc9\xd7\xc5\xd4", -1, PG_TEXT_BODY, koi8,
		   "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
	cp1251 = pg_text_charset_new("WINDOWS-1251", &error);
	g_assert_no_error(error);
	test_check("\xcc\xe8\xf0", -1, PG_TEXT_BODY, cp1251, "\xd0\x9c\xd0\xb8\xd1\x80");

	bad = pg_text_charset_new("UTF-16LE", &error);
	g_assert_error(error, PG_ERROR, PG_ERROR_CONFIG);
	g_assert_null(bad);
	g_clear_error(&error);
	bad = pg_text_charset_new("NO-SUCH-CHARSET", &error);
	g_assert_error(error, PG_ERROR, PG_ERROR_CONFIG);
	g_clear_error(&error);
	bad = pg_text_charset_new("", &error);
	g_assert_error(error, PG_ERROR, PG_ERROR_CONFIG);
}

/* The built-in table is what iconv calls WINDOWS-1252. */
static void
test_text_default_is_iconv_cp1252(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgTextCharset) iconv = pg_text_charset_new("WINDOWS-1252", &error);

	g_assert_no_error(error);
	for (guint b = 0x80; b <= 0xff; b++) {
		gchar input[] = {(gchar)b, '\0'};
		g_autofree gchar *ours = pg_text_sanitize(input, 1, PG_TEXT_NAME, NULL);
		g_autofree gchar *theirs = pg_text_sanitize(input, 1, PG_TEXT_NAME, iconv);
		g_test_message("byte 0x%02x", b);
		g_assert_cmpstr(ours, ==, theirs);
	}
	g_assert_cmpstr(pg_text_charset_get_name(pg_text_charset_default()), ==, "WINDOWS-1252");
}

static void
test_text_empty_null_nul(void)
{
	g_autofree gchar *cleaned = NULL;
	const gchar *clean = "plain ASCII text, nothing to do";

	test_check("", -1, PG_TEXT_BODY, NULL, "");
	test_check("", 0, PG_TEXT_NAME, NULL, "");
	g_assert_null(pg_text_sanitize(NULL, -1, PG_TEXT_BODY, NULL));
	g_assert_true(pg_text_is_clean(NULL, -1, PG_TEXT_BODY));
	/* an embedded NUL (#x0) is a control like any other */
	test_check("a\0b", 3, PG_TEXT_BODY, NULL, "ab");
	test_check("a\0b", 3, PG_TEXT_NAME, NULL, "a?b");
	/* a clean text is handed back as it is, no copy */
	g_assert_true(pg_text_clean(clean, PG_TEXT_BODY, &cleaned) == clean);
	g_assert_null(cleaned);
	g_assert_null(pg_text_clean(NULL, PG_TEXT_BODY, &cleaned));
	g_assert_cmpstr(pg_text_clean("x\x01y", PG_TEXT_BODY, &cleaned), ==, "xy");
	g_assert_nonnull(cleaned);
}

/* 1 MiB: all bytes at random, and clean text with one bad byte at the end
 * (past the eight-at-a-time fast path). */
static void
test_text_huge(void)
{
	const gsize size = 1024 * 1024;
	g_autofree gchar *random = g_malloc(size);
	g_autofree gchar *ascii = g_malloc(size + 1);
	g_autofree gchar *out = NULL;
	g_autofree gchar *again = NULL;
	g_autofree gchar *out_ascii = NULL;

	for (gsize i = 0; i < size; i++)
		random[i] = (gchar)g_test_rand_int_range(0, 256);
	for (PgTextKind kind = PG_TEXT_BODY; kind <= PG_TEXT_XML; kind++) {
		g_clear_pointer(&out, g_free);
		g_clear_pointer(&again, g_free);
		out = pg_text_sanitize(random, (gssize)size, kind, NULL);
		test_assert_xml_chars(out, strlen(out));
		g_assert_true(pg_text_is_clean(out, -1, kind));
		again = pg_text_sanitize(out, -1, kind, NULL);
		g_assert_cmpstr(again, ==, out);
	}
	memset(ascii, 'x', size);
	ascii[size - 1] = '\x01';
	ascii[size] = '\0';
	g_assert_false(pg_text_is_clean(ascii, -1, PG_TEXT_BODY));
	out_ascii = pg_text_sanitize(ascii, -1, PG_TEXT_BODY, NULL);
	g_assert_cmpuint(strlen(out_ascii), ==, size - 1);
	ascii[size - 1] = 'x';
	g_assert_true(pg_text_is_clean(ascii, -1, PG_TEXT_BODY));
}

/* Short random byte strings, many of them: every output is XML-clean. */
static void
test_text_random_short(void)
{
	for (guint round = 0; round < 20000; round++) {
		gchar input[24];
		gsize len = (gsize)g_test_rand_int_range(0, sizeof(input));
		for (gsize i = 0; i < len; i++)
			input[i] = (gchar)g_test_rand_int_range(0, 256);
		for (PgTextKind kind = PG_TEXT_BODY; kind <= PG_TEXT_XML; kind++) {
			g_autofree gchar *out = pg_text_sanitize(input, (gssize)len, kind, NULL);
			test_assert_xml_chars(out, strlen(out));
			g_assert_true(pg_text_is_clean(out, -1, kind));
		}
	}
}

/* PG_TEXT_UTF8 (a worker's IPC strings): every valid character stays,
 * controls included; only bytes that are not UTF-8 change, read as the
 * other kinds read them; the result is always valid UTF-8. */
static void
test_text_utf8_only(void)
{
	static const gchar *const kept[] = {"plain", "a\x01\x02\x03" "4\x1b\x7f z", "\xc2\x85\xc2\x9f",
					    "\xef\xbf\xbe\xef\xbf\xbf\xef\xbf\xbd", "\xf4\x8f\xbf\xbf"};
	static const struct {
		const gchar *in;
		const gchar *out;
	} decoded[] = {
		{"ev\xffil", "ev\xc3\xbfil"},
		{"\xc0\xaf", "\xc3\x80\xc2\xaf"},		       /* overlong "/" */
		{"lo\x80ne", "lo\xe2\x82\xacne"},		       /* lone continuation */
		{"u\x81\x02", "u" FFFD "\x02"},		       /* undefined in CP1252 */
		{"\xed\xa0\x80", "\xc3\xad\xc2\xa0\xe2\x82\xac"}, /* a surrogate */
		{"\xe2\x82", "\xc3\xa2\xe2\x80\x9a"},		       /* cut short */
	};

	for (gsize i = 0; i < G_N_ELEMENTS(kept); i++) {
		g_autofree gchar *out = pg_text_sanitize(kept[i], -1, PG_TEXT_UTF8, NULL);
		g_assert_cmpstr(out, ==, kept[i]);
		g_assert_true(pg_text_is_clean(kept[i], -1, PG_TEXT_UTF8));
	}
	for (gsize i = 0; i < G_N_ELEMENTS(decoded); i++) {
		g_autofree gchar *out = pg_text_sanitize(decoded[i].in, -1, PG_TEXT_UTF8, NULL);
		g_assert_cmpstr(out, ==, decoded[i].out);
		g_assert_false(pg_text_is_clean(decoded[i].in, -1, PG_TEXT_UTF8));
	}
	for (guint round = 0; round < 20000; round++) {
		gchar input[24];
		gsize len = (gsize)g_test_rand_int_range(0, sizeof(input));
		g_autofree gchar *out = NULL;

		for (gsize i = 0; i < len; i++)
			input[i] = (gchar)g_test_rand_int_range(1, 256);
		out = pg_text_sanitize(input, (gssize)len, PG_TEXT_UTF8, NULL);
		g_assert_true(g_utf8_validate(out, -1, NULL));
		g_assert_true(pg_text_is_clean(out, -1, PG_TEXT_UTF8));
		/* what the worker does with it (backends/purple/pg-purple-text.c) */
		g_variant_unref(g_variant_ref_sink(g_variant_new_take_string(g_steal_pointer(&out))));
	}
}

static gchar *
test_to_text(xmpp_stanza_t *stanza)
{
	char *buf = NULL;
	size_t len = 0;
	g_assert_cmpint(xmpp_stanza_to_text(stanza, &buf, &len), ==, XMPP_EOK);
	test_assert_xml_chars(buf, len);
	return buf; /* g_malloc'd: the context allocates with GLib */
}

/* The builders clean what they are given; the serialised stanza is XML. */
static void
test_stanza_builders_clean(void)
{
	g_autoptr(xmpp_stanza_t) message = xmpp_message_new(test_ctx, "groupchat", "u@x/r", NULL);
	g_autoptr(xmpp_stanza_t) presence = xmpp_presence_new(test_ctx);
	g_autofree gchar *xml = NULL;
	g_autofree gchar *pxml = NULL;
	xmpp_stanza_t *item;

	pg_stanza_set_from(message, "#r@irc.x/bob\x02\x11");
	pg_stanza_set_body(message, "\x03" "4hi\x01 \xe9 \x1b[1m");
	pg_stanza_add_text_child(message, "subject", "top\x0bic\x7f");
	xml = test_to_text(message);
	g_assert_nonnull(strstr(xml, " from=\"#r@irc.x/bob?" "?\""));
	g_assert_nonnull(strstr(xml, "><body>hi \xc3\xa9 [1m</body><subject>topic</subject></message>"));

	pg_stanza_set_from(presence, "#r@irc.x/\x1f" "eve");
	item = pg_stanza_add_child(presence, "item", NULL);
	pg_stanza_set_name_attribute(item, "nick", "eve\r\n");
	pg_stanza_set_attribute(item, "reason", "line1\nline2\x05\"<&>");
	pxml = test_to_text(presence);
	g_assert_nonnull(strstr(pxml, "from=\"#r@irc.x/?eve\""));
	g_assert_nonnull(strstr(pxml, "nick=\"eve?" "?\""));
	g_assert_nonnull(strstr(pxml, "reason=\"line1 line2&quot;&lt;&amp;&gt;\""));
}

/* A worker's condition is an element name: only RFC 6120's get through. */
static void
test_stanza_reply_error_from_outside(void)
{
	g_autoptr(xmpp_stanza_t) request =
	    xmpp_stanza_new_from_string(test_ctx, "<message from='u@x/r' to='a@irc.x' id='1'/>");
	struct {
		const gchar *type;
		const gchar *condition;
		const gchar *text;
		const gchar *want;
	} cases[] = {
	    {"cancel", "item-not-found", "no such nick\x02",
	     "<error type=\"cancel\"><item-not-found xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"/>"
	     "<text xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\">no such nick</text></error>"},
	    {"cancel", "bad name<x", NULL,
	     "<error type=\"cancel\"><undefined-condition "
	     "xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"/></error>"},
	    {"wait", NULL, "\x01", "<error type=\"cancel\"><undefined-condition"},
	    {"bogus\x01", "policy-violation", "", "<error type=\"cancel\"><policy-violation"},
	    {"modify", "not-acceptable", NULL, "<error type=\"modify\"><not-acceptable"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(xmpp_stanza_t) reply = pg_stanza_reply_error(
		    request, cases[i].type, cases[i].condition, cases[i].text);
		g_autofree gchar *xml = test_to_text(reply);
		g_test_message("case %u: %s", i, xml);
		g_assert_nonnull(strstr(xml, cases[i].want));
		g_assert_null(strstr(xml, "<text xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"/>"));
	}
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	test_ctx = pg_stanza_ctx_new();
	g_test_add_func("/text/c0/every-byte-for-every-kind", test_text_every_c0_byte);
	g_test_add_func("/text/c1/del-and-c1-controls", test_text_del_and_c1);
	g_test_add_data_func("/text/utf8/invalid-is-read-as-cp1252", &test_text_invalid, test_text_table);
	g_test_add_data_func("/text/mirc/formatting-is-stripped", &test_text_mirc, test_text_table);
	g_test_add_func("/text/name/stringprep-prohibited", test_text_name_stringprep);
	g_test_add_func("/text/charset/latin1-koi8r-cp1251", test_text_latin1_and_others);
	g_test_add_func("/text/charset/default-is-iconv-cp1252", test_text_default_is_iconv_cp1252);
	g_test_add_func("/text/edge/empty-null-nul", test_text_empty_null_nul);
	g_test_add_func("/text/edge/one-mebibyte", test_text_huge);
	g_test_add_func("/text/edge/random-short-strings", test_text_random_short);
	g_test_add_func("/text/utf8/only-invalid-bytes-change", test_text_utf8_only);
	g_test_add_func("/text/stanza/builders-clean-legacy-text", test_stanza_builders_clean);
	g_test_add_func("/text/stanza/reply-error-from-outside", test_stanza_reply_error_from_outside);
	rc = g_test_run();
	xmpp_ctx_free(test_ctx);
	return rc;
}
