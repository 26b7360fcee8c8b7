#include "config.h"

#include "core/pg-error.h"
#include "core/pg-phone.h"

#define PG_PHONE_MIN_DIGITS 7  /* the shortest numbers in service, e.g. +290 xxxx */
#define PG_PHONE_MAX_DIGITS 15 /* E.164 §6.1 */

gchar *
pg_phone_normalize_e164(const gchar *input, GError **error)
{
	g_autoptr(GString) out = g_string_new("+");
	const gchar *p = input;
	guint digits = 0;

	if (input == NULL || *input == '\0') {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_JID_MALFORMED, "empty phone number");
		return NULL;
	}
	while (*p == ' ')
		p++;
	if (*p == '+')
		p++;
	else if (p[0] == '0' && p[1] == '0')
		p += 2;
	else {
		g_set_error(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
			    "'%s' is not in international form: start with + or 00 and the "
			    "country code, e.g. +15551234567",
			    input);
		return NULL;
	}
	for (; *p != '\0'; p++) {
		if (*p == ' ' || *p == '-')
			continue;
		if (!g_ascii_isdigit(*p)) {
			g_set_error(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
				    "'%s' is not a phone number: unexpected character '%c'", input,
				    g_ascii_isprint(*p) ? *p : '?');
			return NULL;
		}
		if (digits == 0 && *p == '0') {
			g_set_error(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
				    "'%s': a country code never starts with 0", input);
			return NULL;
		}
		g_string_append_c(out, *p);
		digits++;
	}
	if (digits < PG_PHONE_MIN_DIGITS || digits > PG_PHONE_MAX_DIGITS) {
		g_set_error(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
			    "'%s' has %u digits; an E.164 number has %d to %d", input, digits,
			    PG_PHONE_MIN_DIGITS, PG_PHONE_MAX_DIGITS);
		return NULL;
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}
