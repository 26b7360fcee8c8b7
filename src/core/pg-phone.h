/* Phone numbers: E.164 normalisation (ITU-T E.164 §6: at most 15 digits,
 * country code first, never starting with 0). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Normalise "+1 555-123-4567" or "0015551234567" to "+15551234567".
 * Spaces and dashes are dropped; a leading "00" is the international prefix.
 * Returns: (transfer full) the E.164 form, or NULL with PG_ERROR_JID_MALFORMED
 * and a message saying why. */
gchar *pg_phone_normalize_e164(const gchar *input, GError **error);

G_END_DECLS
