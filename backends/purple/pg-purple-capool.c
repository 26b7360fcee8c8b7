/* libpurple's CA pool, loaded by need.
 *
 * WHY: libpurple 2.14's X.509 CA pool ("x509", "ca", certificate.c) reads
 * every *.pem and *.crt file of /etc/ssl/certs (SSL_CERTIFICATES_DIR) and
 * DATADIR/purple/ca-certs into NSS the first time any TLS check consults
 * it (x509_ca_lazy_init), and keeps them: about 150 certificates, 1.9 MiB
 * of heap in every worker (contrib/bench/README.md, purple_pss.py), for a
 * chain that needs one or two of them.  The pool's list, its paths and its
 * lookups (x509_ca_get_certs) are static; nothing in libpurple's API
 * limits them.
 *
 * HOW: at start, before the sandbox, this indexes the same files with
 * OpenSSL: the SHA-256 of each certificate's subject (DER) -> the file,
 * symlinks resolved (update-ca-certificates lists each CA as a NAME.pem
 * symlink into /usr/share/ca-certificates).  Nothing is kept but the index.
 * The "x509"/"tls_cached" verifier's start_verification is wrapped: before
 * libpurple checks a chain, the CAs whose subject is a certificate's
 * subject or issuer in that chain (matched on NSS's DER, byte for byte, as
 * RFC 5280 §7.1 name chaining does) are imported with the plugin's own
 * x509 scheme and stored in the pool (purple_certificate_pool_store), so
 * libpurple's unchanged verification finds them there.  The sandbox
 * (pg-purple-sandbox.c) lets the worker read those directories' files but
 * not list them, so libpurple's lazy init finds no file and loads nothing.
 *
 * Without the sandbox (worker_sandbox = off, or a kernel without
 * Landlock) libpurple loads every CA as before and the CAs stored here are
 * extra copies: the same verdicts, no saving.  Verification is
 * libpurple's own either way (x509_tls_cached_unknown_peer): a chain no
 * listed CA signed is still an unknown CA, asked of the user.
 *
 * The chain's certificates are ssl-nss's (PurpleCertificate.data is NSS's
 * CERTCertificate, whose derIssuer and derSubject are read here); with
 * another SSL plugin nothing is wrapped.
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-purple"

#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <purple.h>

/* NSS's public struct only: ssl-nss's certificates; no NSS call is made */
#include <cert.h>

#include "pg-purple-capool.h"

static const gchar *const pg_purple_capool_dirs[] = PG_PURPLE_CAPOOL_DIRS;

/* hex SHA-256 of a subject -> GPtrArray of file paths (owned) */
static GHashTable *pg_purple_capool_index;
/* keys already looked up (whatever was found) */
static GHashTable *pg_purple_capool_done;
static guint pg_purple_capool_count;
static guint pg_purple_capool_stored;
static PurpleCertificateVerifier *pg_purple_capool_verifier;
static void (*pg_purple_capool_start_orig)(PurpleCertificateVerificationRequest *vrq);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(BIO, BIO_free)

static gchar *
pg_purple_capool_key(const guint8 *der, gsize len)
{
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, der, len);
}

static void
pg_purple_capool_index_file(const gchar *path)
{
	g_autofree gchar *real = realpath(path, NULL);
	g_autoptr(BIO) bio = NULL;
	X509 *cert;

	if (real == NULL)
		return;
	bio = BIO_new_file(real, "r");
	if (bio == NULL)
		return;
	/* a file may hold several (a bundle): each is indexed */
	while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		guint8 *der = NULL;
		int len = i2d_X509_NAME(X509_get_subject_name(cert), &der);

		if (len > 0) {
			g_autofree gchar *key = pg_purple_capool_key(der, (gsize)len);
			GPtrArray *paths = g_hash_table_lookup(pg_purple_capool_index, key);

			if (paths == NULL) {
				paths = g_ptr_array_new_with_free_func(g_free);
				g_hash_table_insert(pg_purple_capool_index, g_strdup(key), paths);
			}
			if (!g_ptr_array_find_with_equal_func(paths, real, g_str_equal, NULL))
				g_ptr_array_add(paths, g_strdup(real));
			pg_purple_capool_count++;
		}
		OPENSSL_free(der);
		X509_free(cert);
	}
}

static void
pg_purple_capool_index_dir(const gchar *dir)
{
	g_autoptr(GDir) listing = g_dir_open(dir, 0, NULL);
	const gchar *name;

	if (listing == NULL)
		return;
	/* the files x509_ca_lazy_init() reads: *.pem and *.crt */
	while ((name = g_dir_read_name(listing)) != NULL) {
		g_autofree gchar *path = NULL;

		if (!g_str_has_suffix(name, ".pem") && !g_str_has_suffix(name, ".crt"))
			continue;
		path = g_build_filename(dir, name, NULL);
		pg_purple_capool_index_file(path);
	}
}

/* Store in the pool the CAs whose subject has @key, once per key. */
static void
pg_purple_capool_load(PurpleCertificateScheme *x509, PurpleCertificatePool *pool,
		      const gchar *key)
{
	GPtrArray *paths;

	if (g_hash_table_contains(pg_purple_capool_done, key))
		return;
	g_hash_table_add(pg_purple_capool_done, g_strdup(key));
	paths = g_hash_table_lookup(pg_purple_capool_index, key);
	for (guint i = 0; paths != NULL && i < paths->len; i++) {
		GSList *certs = purple_certificates_import(x509, g_ptr_array_index(paths, i));

		for (GSList *l = certs; l != NULL; l = l->next) {
			PurpleCertificate *crt = l->data;
			CERTCertificate *nss = crt->data;
			g_autofree gchar *subject = NULL;
			g_autofree gchar *id = NULL;

			/* a bundle holds others too: only the one asked for */
			if (nss != NULL)
				subject = pg_purple_capool_key(nss->derSubject.data,
							       nss->derSubject.len);
			if (g_strcmp0(subject, key) == 0) {
				id = purple_certificate_get_unique_id(crt);
				if (id != NULL && purple_certificate_pool_store(pool, id, crt))
					pg_purple_capool_stored++;
			}
			purple_certificate_destroy(crt);
		}
		g_slist_free(certs);
	}
}

static void
pg_purple_capool_start_cb(PurpleCertificateVerificationRequest *vrq)
{
	PurpleCertificateScheme *x509 = purple_certificate_find_scheme("x509");
	PurpleCertificatePool *pool = purple_certificate_find_pool("x509", "ca");

	/* x509_tls_cached_unknown_peer() looks up the issuer of the chain's
	 * last certificate and that certificate itself, and a failing one's
	 * own name: every name in the chain covers them all */
	for (GList *l = vrq->cert_chain; x509 != NULL && pool != NULL && l != NULL; l = l->next) {
		PurpleCertificate *crt = l->data;
		CERTCertificate *nss = crt != NULL && crt->scheme == x509 ? crt->data : NULL;
		g_autofree gchar *issuer = NULL;
		g_autofree gchar *subject = NULL;

		if (nss == NULL)
			continue;
		issuer = pg_purple_capool_key(nss->derIssuer.data, nss->derIssuer.len);
		subject = pg_purple_capool_key(nss->derSubject.data, nss->derSubject.len);
		pg_purple_capool_load(x509, pool, issuer);
		pg_purple_capool_load(x509, pool, subject);
	}
	pg_purple_capool_start_orig(vrq);
}

void
pg_purple_capool_init(void)
{
	PurplePlugin *nss = purple_plugins_find_with_id("ssl-nss");
	PurplePlugin *gnutls = purple_plugins_find_with_id("ssl-gnutls");

	/* the chain's certificates must be NSS's to be read here */
	if (nss == NULL || !purple_plugin_is_loaded(nss) ||
	    (gnutls != NULL && purple_plugin_is_loaded(gnutls)))
		return;
	pg_purple_capool_verifier = purple_certificate_find_verifier("x509", "tls_cached");
	if (pg_purple_capool_verifier == NULL ||
	    pg_purple_capool_verifier->start_verification == NULL)
		return;
	pg_purple_capool_index =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
	pg_purple_capool_done = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; pg_purple_capool_dirs[i] != NULL; i++)
		pg_purple_capool_index_dir(pg_purple_capool_dirs[i]);
	pg_purple_capool_start_orig = pg_purple_capool_verifier->start_verification;
	pg_purple_capool_verifier->start_verification = pg_purple_capool_start_cb;
	g_debug("CA pool: %u certificates indexed", pg_purple_capool_count);
}

void
pg_purple_capool_shutdown(void)
{
	if (pg_purple_capool_verifier != NULL && pg_purple_capool_start_orig != NULL)
		pg_purple_capool_verifier->start_verification = pg_purple_capool_start_orig;
	pg_purple_capool_verifier = NULL;
	pg_purple_capool_start_orig = NULL;
	g_clear_pointer(&pg_purple_capool_index, g_hash_table_unref);
	g_clear_pointer(&pg_purple_capool_done, g_hash_table_unref);
}

guint
pg_purple_capool_indexed(void)
{
	return pg_purple_capool_count;
}

guint
pg_purple_capool_loaded(void)
{
	return pg_purple_capool_stored;
}
