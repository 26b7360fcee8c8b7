/* Polygate's one error domain.
 *
 * Most codes are named after the RFC 6120 §8.3.3 stanza error conditions, so
 * that xmpp/ turns any GError into a stanza error in one place
 * (pg_error_to_condition()).  The last few are daemon-side failures (config,
 * storage, crypto, I/O); towards a user they all become internal-server-error.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PG_ERROR (pg_error_quark())

typedef enum {
	PG_ERROR_BAD_REQUEST,
	PG_ERROR_CONFLICT,
	PG_ERROR_FEATURE_NOT_IMPLEMENTED,
	PG_ERROR_FORBIDDEN,
	PG_ERROR_INTERNAL_SERVER_ERROR,
	PG_ERROR_ITEM_NOT_FOUND,
	PG_ERROR_JID_MALFORMED,
	PG_ERROR_NOT_ACCEPTABLE,
	PG_ERROR_NOT_ALLOWED,
	PG_ERROR_NOT_AUTHORIZED,
	PG_ERROR_RECIPIENT_UNAVAILABLE,
	PG_ERROR_REGISTRATION_REQUIRED,
	PG_ERROR_REMOTE_SERVER_NOT_FOUND,
	PG_ERROR_REMOTE_SERVER_TIMEOUT,
	PG_ERROR_RESOURCE_CONSTRAINT,
	PG_ERROR_SERVICE_UNAVAILABLE,
	PG_ERROR_UNDEFINED_CONDITION,
	PG_ERROR_POLICY_VIOLATION,
	/* daemon-side failures, never named to a user in detail */
	PG_ERROR_CONFIG,
	PG_ERROR_DATABASE,
	PG_ERROR_CRYPTO,
	PG_ERROR_IO,
	PG_ERROR_LAST
} PgErrorCode;

GQuark pg_error_quark(void);

/* The RFC 6120 §8.3.3 condition element name for @code, e.g. "item-not-found". */
const gchar *pg_error_to_condition(PgErrorCode code);
/* The RFC 6120 §8.3.2 error type for @code: "cancel", "modify", "auth" or "wait". */
const gchar *pg_error_to_type(PgErrorCode code);

G_END_DECLS
