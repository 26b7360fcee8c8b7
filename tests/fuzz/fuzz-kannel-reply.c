/* Fuzz target: the answer of Kannel's sendsms (or of anything listening on
 * its port) as the SMS plugin reads it (backends/purple-kannel/
 * pg-sms-kannel.c), and the text measuring that decides how a text is split
 * into SMS (pg-sms-text.c).  A reply is untrusted bytes from the network. */
#include "config.h"

#include <string.h>

#include "backends/purple-kannel/pg-sms-kannel.h"
#include "backends/purple-kannel/pg-sms-text.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autofree gchar *reason = NULL;
	guint status = 0;
	PgSmsOutcome outcome;

	outcome = pg_sms_kannel_parse_reply((const gchar *)data, size, &status, &reason);
	g_assert_true(outcome == PG_SMS_OUTCOME_ACCEPTED || outcome == PG_SMS_OUTCOME_TEMPORARY ||
		      outcome == PG_SMS_OUTCOME_PERMANENT);
	/* the reason reaches the user in a stanza: valid UTF-8, bounded */
	g_assert_nonnull(reason);
	g_assert_true(g_utf8_validate(reason, -1, NULL));
	g_assert_cmpuint(g_utf8_strlen(reason, -1), <=, PG_SMS_REASON_MAX);
	g_assert_true(status == 0 || (status >= 100 && status <= 599));
	if (outcome == PG_SMS_OUTCOME_ACCEPTED)
		g_assert_true(status >= 200 && status < 300);
	/* and with no out-parameters */
	g_assert_true(pg_sms_kannel_parse_reply((const gchar *)data, size, NULL, NULL) == outcome);

	if (g_utf8_validate((const gchar *)data, (gssize)size, NULL) &&
	    memchr(data, '\0', size) == NULL) {
		g_autofree gchar *text = g_strndup((const gchar *)data, size);
		g_autofree gchar *normalized = g_utf8_normalize(text, -1, G_NORMALIZE_NFC);
		PgSmsLength length = {0};
		g_autoptr(GError) error = NULL;
		g_autofree gchar *number = NULL;

		pg_sms_text_measure(normalized, &length);
		g_assert_cmpuint(length.parts, >=, 1);
		number = pg_sms_number_normalize(text, &error);
		if (number != NULL)
			g_assert_true(pg_sms_number_is_valid(number));
		else
			g_assert_nonnull(error);
	}
	return 0;
}
