/* SMS text rules that need no network and no libpurple: phone numbers, the
 * GSM 03.38 alphabet, and how many SMS parts a text costs.
 *
 * Linked into the prpl-polygate-sms plugin and into tests/unit/test-sms.c.
 * Depends on GLib only, so the plugin stays loadable by any libpurple UI.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PG_SMS_ERROR (pg_sms_error_quark())

typedef enum {
	PG_SMS_ERROR_INVALID_NUMBER, /* not an E.164 number */
	PG_SMS_ERROR_INVALID_URL,    /* the sendsms URL cannot be used */
	PG_SMS_ERROR_EMPTY_TEXT,     /* nothing left to send after stripping markup */
} PgSmsErrorCode;

GQuark pg_sms_error_quark(void);

/* Data coding as Kannel's sendsms `coding` parameter spells it. */
typedef enum {
	PG_SMS_CODING_GSM = 0,  /* GSM 03.38 default alphabet, 7-bit septets */
	PG_SMS_CODING_UCS2 = 2, /* UCS-2 (UTF-16BE on the air), 16-bit units */
} PgSmsCoding;

/* GSM 03.38 single SMS and concatenated part sizes.  A concatenated part
 * carries a 6-octet UDH (3GPP TS 23.040 §9.2.3.24.1: IEI 00, 8-bit reference),
 * so 140 octets hold 160 septets alone, 153 per part, 70 / 67 UCS-2 units. */
#define PG_SMS_GSM_SINGLE  160
#define PG_SMS_GSM_PART	   153
#define PG_SMS_UCS2_SINGLE 70
#define PG_SMS_UCS2_PART   67

typedef struct {
	PgSmsCoding coding;
	guint units; /* septets (GSM; extension characters count 2) or UTF-16 code units */
	guint parts; /* SMS needed: 1 up to the single limit, else ceil(units / part size) */
} PgSmsLength;

/* Number of septets @c costs in the GSM 03.38 default alphabet: 1 for the
 * basic table, 2 for the basic extension table (escape + character), 0 when
 * the alphabet does not have it. */
guint pg_sms_gsm_septets(gunichar c);

/* Which coding @text (UTF-8, NFC) needs, and how long it is in that coding.
 * GSM when every character is in the default alphabet or its extension
 * table, UCS-2 otherwise.  An empty text is one (empty) GSM part. */
void pg_sms_text_measure(const gchar *text, PgSmsLength *length);

/* Whether @number is an E.164 number: "+", then 7 to 15 digits, the first
 * (country code) never 0.  Nothing else, not even spaces. */
gboolean pg_sms_number_is_valid(const gchar *number);

/* Normalise a number a person typed ("+49 151-000 0001", "0049...") to E.164.
 * Spaces, dashes, dots and parentheses are dropped; a leading "00" is the
 * international prefix.  Same rules as the daemon's src/core/pg-phone.c.
 * Returns: (transfer full) the E.164 form, or NULL with
 * PG_SMS_ERROR_INVALID_NUMBER and a message saying why. */
gchar *pg_sms_number_normalize(const gchar *input, GError **error);

G_END_DECLS
