/* Pinned server certificates: a user who gave the SHA-256 fingerprint of
 * a server's certificate (the IRC configure form; login's cert_sha256,
 * src/ipc/pg-ipc-message.h) gets that certificate accepted, self-signed or
 * not, without a question, and any other refused.
 *
 * DESIGN: every TLS connection libpurple 2.14 makes is verified by the
 * verifier that sslconn.c looks up by name when it connects,
 * purple_certificate_find_verifier("x509", "tls_cached").  We take that
 * name: our verifier is registered in its place and holds the original.
 * A request for an account with a pin is decided here; every other goes
 * to the original unchanged (the user's question, the accepted-peers
 * cache of pg-purple-state.c).  Whose request it is: the SSL backends
 * (ssl-nss.c, ssl-gnutls.c) pass their PurpleSslConnection as the
 * request's cb_data, and a prpl passes its PurpleConnection as the
 * connection's connect_cb_data (prpl-irc, prpl-jabber); the account is the
 * one whose connection that is, compared as a pointer.  A request whose
 * owner is not found (no account of ours, or a verify from elsewhere) is
 * the original's.
 *
 * A mismatch is not asked about: the user said which certificate.  The
 * reason, with the fingerprint the server showed, is kept on the account
 * and replaces libpurple's "invalid certificate" in the login's failure
 * (pg-purple-events.c), which is then final: a retry would meet the same
 * certificate.
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-purple"

#include <purple.h>
#include <string.h>

#include "pg-purple-pin.h"
#include "pg-purple-worker.h"

static PurpleCertificateVerifier *pg_purple_pin_original;

/* "AB:CD:..." of @bytes.  (transfer full) */
static gchar *
pg_purple_pin_hex(const GByteArray *bytes)
{
	GString *text = g_string_new(NULL);

	for (guint i = 0; i < bytes->len; i++)
		g_string_append_printf(text, "%s%02X", i > 0 ? ":" : "", bytes->data[i]);
	return g_string_free(text, FALSE);
}

/* Our account whose TLS connection asks (see DESIGN), or NULL. */
static PgPurpleAccount *
pg_purple_pin_owner(PurpleCertificateVerificationRequest *vrq)
{
	PgPurpleWorker *worker = pg_purple_worker_get();
	PurpleSslConnection *gsc = vrq->cb_data;
	GHashTableIter iter;
	gpointer value;

	if (gsc == NULL)
		return NULL;
	g_hash_table_iter_init(&iter, worker->accounts);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgPurpleAccount *entry = value;
		PurpleConnection *gc = purple_account_get_connection(entry->account);
		if (gc != NULL && gsc->connect_cb_data == gc)
			return entry;
	}
	return NULL;
}

static void
pg_purple_pin_start_verification(PurpleCertificateVerificationRequest *vrq)
{
	PgPurpleAccount *entry = pg_purple_pin_owner(vrq);
	PurpleCertificate *peer = vrq->cert_chain != NULL ? vrq->cert_chain->data : NULL;
	GByteArray *sha256 = NULL;
	g_autofree gchar *seen = NULL;

	if (entry == NULL || entry->cert_sha256 == NULL) {
		pg_purple_pin_original->start_verification(vrq);
		return;
	}
	if (peer != NULL)
		sha256 = purple_certificate_get_fingerprint_sha256(peer, FALSE);
	if (sha256 != NULL) {
		seen = pg_purple_pin_hex(sha256);
		g_byte_array_free(sha256, TRUE);
	}
	if (seen != NULL && g_ascii_strcasecmp(seen, entry->cert_sha256) == 0) {
		g_info("%s: %s presented the pinned certificate", entry->key, vrq->subject_name);
		purple_certificate_verify_complete(vrq, PURPLE_CERTIFICATE_VALID);
		return;
	}
	g_free(entry->pin_failure);
	entry->pin_failure =
	    seen != NULL
		? g_strdup_printf("the certificate of %s does not match the pinned fingerprint: "
				  "its SHA-256 fingerprint is %s, the pin is %s",
				  vrq->subject_name, seen, entry->cert_sha256)
		: g_strdup_printf("the certificate of %s cannot be checked against the pinned "
				  "fingerprint (no SHA-256 of it)",
				  vrq->subject_name);
	g_message("%s: %s", entry->key, entry->pin_failure);
	purple_certificate_verify_complete(vrq, PURPLE_CERTIFICATE_INVALID);
}

static void
pg_purple_pin_destroy_request(PurpleCertificateVerificationRequest *vrq)
{
	/* the original's data, if it started the request; ours keep none */
	if (pg_purple_pin_original->destroy_request != NULL)
		pg_purple_pin_original->destroy_request(vrq);
}

static PurpleCertificateVerifier pg_purple_pin_verifier = {
    .scheme_name = "x509",
    .name = "tls_cached",
    .start_verification = pg_purple_pin_start_verification,
    .destroy_request = pg_purple_pin_destroy_request,
};

void
pg_purple_pin_init(void)
{
	PurpleCertificateVerifier *original = purple_certificate_find_verifier("x509", "tls_cached");

	if (original == NULL || original == &pg_purple_pin_verifier) {
		g_warning("libpurple has no x509 tls_cached verifier: pinned certificates "
			  "are refused");
		return;
	}
	pg_purple_pin_original = original;
	purple_certificate_unregister_verifier(original);
	purple_certificate_register_verifier(&pg_purple_pin_verifier);
}

void
pg_purple_pin_shutdown(void)
{
	if (pg_purple_pin_original == NULL)
		return;
	purple_certificate_unregister_verifier(&pg_purple_pin_verifier);
	purple_certificate_register_verifier(pg_purple_pin_original);
	pg_purple_pin_original = NULL;
}
