#include "config.h"

#include "core/pg-error.h"

G_DEFINE_QUARK(polygate-error-quark, pg_error)

typedef struct {
	const gchar *condition;
	const gchar *type;
} PgErrorInfo;

/* RFC 6120 §8.3.3 gives each condition its usual type; keep that pairing. */
static const PgErrorInfo pg_error_infos[PG_ERROR_LAST] = {
    [PG_ERROR_BAD_REQUEST] = {"bad-request", "modify"},
    [PG_ERROR_CONFLICT] = {"conflict", "cancel"},
    [PG_ERROR_FEATURE_NOT_IMPLEMENTED] = {"feature-not-implemented", "cancel"},
    [PG_ERROR_FORBIDDEN] = {"forbidden", "auth"},
    [PG_ERROR_INTERNAL_SERVER_ERROR] = {"internal-server-error", "wait"},
    [PG_ERROR_ITEM_NOT_FOUND] = {"item-not-found", "cancel"},
    [PG_ERROR_JID_MALFORMED] = {"jid-malformed", "modify"},
    [PG_ERROR_NOT_ACCEPTABLE] = {"not-acceptable", "modify"},
    [PG_ERROR_NOT_ALLOWED] = {"not-allowed", "cancel"},
    [PG_ERROR_NOT_AUTHORIZED] = {"not-authorized", "auth"},
    [PG_ERROR_RECIPIENT_UNAVAILABLE] = {"recipient-unavailable", "wait"},
    [PG_ERROR_REGISTRATION_REQUIRED] = {"registration-required", "auth"},
    [PG_ERROR_REMOTE_SERVER_NOT_FOUND] = {"remote-server-not-found", "cancel"},
    [PG_ERROR_REMOTE_SERVER_TIMEOUT] = {"remote-server-timeout", "wait"},
    [PG_ERROR_RESOURCE_CONSTRAINT] = {"resource-constraint", "wait"},
    [PG_ERROR_SERVICE_UNAVAILABLE] = {"service-unavailable", "cancel"},
    [PG_ERROR_UNDEFINED_CONDITION] = {"undefined-condition", "cancel"},
    /* §8.3.3.12; "cancel": a per-user limit (pg-limits.h) does not go away by
     * retrying the same request */
    [PG_ERROR_POLICY_VIOLATION] = {"policy-violation", "cancel"},
    [PG_ERROR_CONFIG] = {"internal-server-error", "wait"},
    [PG_ERROR_DATABASE] = {"internal-server-error", "wait"},
    [PG_ERROR_CRYPTO] = {"internal-server-error", "wait"},
    [PG_ERROR_IO] = {"internal-server-error", "wait"},
};

const gchar *
pg_error_to_condition(PgErrorCode code)
{
	if ((guint)code >= PG_ERROR_LAST)
		return "undefined-condition";
	return pg_error_infos[code].condition;
}

const gchar *
pg_error_to_type(PgErrorCode code)
{
	if ((guint)code >= PG_ERROR_LAST)
		return "cancel";
	return pg_error_infos[code].type;
}
