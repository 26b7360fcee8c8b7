/* SMS text rules: E.164 numbers, the GSM 03.38 alphabet, part counting.
 *
 * Design: pure functions over UTF-8 strings, no allocation beyond the
 * returned strings, no global state.  The alphabet tables are written from
 * 3GPP TS 23.038 §6.2.1 (default alphabet) and §6.2.1.1 (default alphabet
 * extension table), in table order so a reader can check them against the
 * spec line by line.
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-sms"

#include "pg-sms-text.h"

#define PG_SMS_NUMBER_MIN_DIGITS 7  /* the shortest numbers in service, e.g. +290 xxxx */
#define PG_SMS_NUMBER_MAX_DIGITS 15 /* E.164 §6.1 */

G_DEFINE_QUARK(pg-sms-error-quark, pg_sms_error)

/* TS 23.038 §6.2.1, index = septet value.  0x1B is the escape to the
 * extension table, not a character (0 here; U+0000 is handled first). */
static const gunichar pg_sms_gsm_basic[128] = {
    /* 0x00 */ '@', 0x00A3, '$', 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC,
    /* 0x08 */ 0x00F2, 0x00C7, '\n', 0x00D8, 0x00F8, '\r', 0x00C5, 0x00E5,
    /* 0x10 */ 0x0394, '_', 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
    /* 0x18 */ 0x03A3, 0x0398, 0x039E, 0, 0x00C6, 0x00E6, 0x00DF, 0x00C9,
    /* 0x20 */ ' ', '!', '"', '#', 0x00A4, '%', '&', '\'',
    /* 0x28 */ '(', ')', '*', '+', ',', '-', '.', '/',
    /* 0x30 */ '0', '1', '2', '3', '4', '5', '6', '7',
    /* 0x38 */ '8', '9', ':', ';', '<', '=', '>', '?',
    /* 0x40 */ 0x00A1, 'A', 'B', 'C', 'D', 'E', 'F', 'G',
    /* 0x48 */ 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
    /* 0x50 */ 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W',
    /* 0x58 */ 'X', 'Y', 'Z', 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
    /* 0x60 */ 0x00BF, 'a', 'b', 'c', 'd', 'e', 'f', 'g',
    /* 0x68 */ 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    /* 0x70 */ 'p', 'q', 'r', 's', 't', 'u', 'v', 'w',
    /* 0x78 */ 'x', 'y', 'z', 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

/* TS 23.038 §6.2.1.1: the characters reached through the escape (0x1B).
 * Form feed (0x0A), ^ (0x14), { } (0x28 0x29), \ (0x2F), [ ~ ] (0x3C-0x3E),
 * | (0x40) and € (0x65).  The national shift tables are not used: Kannel's
 * sendsms never selects them. */
static const gunichar pg_sms_gsm_extension[] = {
    0x000C, '^', '{', '}', '\\', '[', '~', ']', '|', 0x20AC,
};

guint
pg_sms_gsm_septets(gunichar c)
{
	if (c == 0)
		return 0;
	for (guint i = 0; i < G_N_ELEMENTS(pg_sms_gsm_basic); i++) {
		if (pg_sms_gsm_basic[i] == c)
			return 1;
	}
	for (guint i = 0; i < G_N_ELEMENTS(pg_sms_gsm_extension); i++) {
		if (pg_sms_gsm_extension[i] == c)
			return 2;
	}
	return 0;
}

static guint
pg_sms_parts(guint units, guint single, guint part)
{
	if (units <= single)
		return 1;
	return (units + part - 1) / part;
}

void
pg_sms_text_measure(const gchar *text, PgSmsLength *length)
{
	guint septets = 0;
	guint utf16 = 0;
	gboolean gsm = TRUE;

	g_return_if_fail(text != NULL);
	g_return_if_fail(length != NULL);

	for (const gchar *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		guint cost = pg_sms_gsm_septets(c);

		if (cost == 0)
			gsm = FALSE;
		septets += cost;
		/* characters beyond the BMP take a surrogate pair: UCS-2 as sent by
		 * Kannel is really UTF-16BE, two units for an emoji */
		utf16 += c > 0xFFFF ? 2 : 1;
	}
	if (gsm) {
		length->coding = PG_SMS_CODING_GSM;
		length->units = septets;
		length->parts = pg_sms_parts(septets, PG_SMS_GSM_SINGLE, PG_SMS_GSM_PART);
	} else {
		length->coding = PG_SMS_CODING_UCS2;
		length->units = utf16;
		length->parts = pg_sms_parts(utf16, PG_SMS_UCS2_SINGLE, PG_SMS_UCS2_PART);
	}
}

gboolean
pg_sms_number_is_valid(const gchar *number)
{
	gsize digits;

	if (number == NULL || number[0] != '+' || number[1] < '1' || number[1] > '9')
		return FALSE;
	for (digits = 0; number[digits + 1] != '\0'; digits++) {
		if (!g_ascii_isdigit(number[digits + 1]))
			return FALSE;
	}
	return digits >= PG_SMS_NUMBER_MIN_DIGITS && digits <= PG_SMS_NUMBER_MAX_DIGITS;
}

gchar *
pg_sms_number_normalize(const gchar *input, GError **error)
{
	g_autoptr(GString) out = g_string_new("+");
	const gchar *p = input;

	if (input == NULL || *input == '\0') {
		g_set_error_literal(error, PG_SMS_ERROR, PG_SMS_ERROR_INVALID_NUMBER,
				    "empty phone number");
		return NULL;
	}
	while (*p == ' ')
		p++;
	if (*p == '+')
		p++;
	else if (p[0] == '0' && p[1] == '0')
		p += 2;
	else {
		g_set_error(error, PG_SMS_ERROR, PG_SMS_ERROR_INVALID_NUMBER,
			    "'%s' is not in international form: start with + or 00 and the "
			    "country code, e.g. +15551234567",
			    input);
		return NULL;
	}
	for (; *p != '\0'; p++) {
		if (*p == ' ' || *p == '-' || *p == '.' || *p == '(' || *p == ')')
			continue;
		if (!g_ascii_isdigit(*p)) {
			g_set_error(error, PG_SMS_ERROR, PG_SMS_ERROR_INVALID_NUMBER,
				    "'%s' is not a phone number: unexpected character '%c'", input,
				    g_ascii_isprint(*p) ? *p : '?');
			return NULL;
		}
		g_string_append_c(out, *p);
	}
	if (!pg_sms_number_is_valid(out->str)) {
		g_set_error(error, PG_SMS_ERROR, PG_SMS_ERROR_INVALID_NUMBER,
			    "'%s' is not an E.164 number: %d to %d digits, the first never 0",
			    input, PG_SMS_NUMBER_MIN_DIGITS, PG_SMS_NUMBER_MAX_DIGITS);
		return NULL;
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}
