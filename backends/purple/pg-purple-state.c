/* Account state: what a plugin must find again at the next login.
 *
 * DESIGN: the user dir goes with the worker (pg-purple-ui.c), so what
 * libpurple keeps there for an account is lost at a restart.  What the
 * user decided must not be: a server certificate the user accepted (the
 * x509 "tls_peers" pool, certificate.c) goes to the daemon as an
 * account-state item "tls_peers/<host>" = PEM (src/ipc/pg-ipc-message.h),
 * the daemon seals it with the account (src/session/pg-account-state.c)
 * and hands it back in the next login, which writes it into the pool
 * before the account connects: the user is asked once.
 *
 * Whose certificate: the pool says "certificate-stored" from inside the
 * Accept callback of the certificate prompt; pg-purple-request.c tells
 * which account's user gave that answer.  A certificate stored any other
 * way (no user answered) is not reported.
 *
 * With users_per_worker > 1 the pool is shared by the worker's accounts
 * (libpurple has one per process): a certificate one user accepted is
 * trusted for the others in that worker until it exits.
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-purple"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "pg-purple-request.h"
#include "pg-purple-state.h"
#include "pg-purple-text.h"

#define PG_PURPLE_STATE_TLS_PEERS "tls_peers/"
#define PG_PURPLE_STATE_MAX_VALUE (64 * 1024)

static gint pg_purple_state_handle;

static PurpleCertificatePool *
pg_purple_state_pool(void)
{
	return purple_certificate_find_pool("x509", "tls_peers");
}

/* A host name or address as libpurple names a peer: no path tricks. */
static gboolean
pg_purple_state_id_is_valid(const gchar *id)
{
	gsize len = strlen(id);

	if (len == 0 || len > 255 || id[0] == '.')
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if (!g_ascii_isalnum(id[i]) && strchr(".-_:[]", id[i]) == NULL)
			return FALSE;
	return TRUE;
}

static void
pg_purple_state_stored_cb(PurpleCertificatePool *pool, const gchar *id, gpointer user_data)
{
	const gchar *account = pg_purple_request_get_answering_account();
	g_autofree gchar *path = NULL;
	g_autofree gchar *pem = NULL;
	g_autofree gchar *key = NULL;
	g_autoptr(GError) error = NULL;
	gsize len = 0;

	if (account == NULL || id == NULL || !pg_purple_state_id_is_valid(id))
		return;
	path = purple_certificate_pool_mkpath(pool, id);
	if (!g_file_get_contents(path, &pem, &len, &error) || len > PG_PURPLE_STATE_MAX_VALUE) {
		g_warning("cannot read the accepted certificate of %s: %s", id,
			  error != NULL ? error->message : "too large");
		return;
	}
	key = g_strconcat(PG_PURPLE_STATE_TLS_PEERS, id, NULL);
	pg_purple_worker_emit(pg_purple_worker_message_new(
	    PG_IPC_EVT_ACCOUNT_STATE, 0, "account", pg_purple_text_new(account), "key",
	    pg_purple_text_new(key), "value", pg_purple_text_new(pem), NULL));
}

void
pg_purple_state_restore(const PgIpcMessage *msg)
{
	g_autoptr(GVariant) state = pg_ipc_message_get_value(msg, "state");
	PurpleCertificatePool *pool = pg_purple_state_pool();
	GVariantIter iter;
	const gchar *key;
	const gchar *value;

	if (state == NULL || pool == NULL)
		return;
	g_variant_iter_init(&iter, state);
	while (g_variant_iter_next(&iter, "{&s&s}", &key, &value)) {
		const gchar *id = key + strlen(PG_PURPLE_STATE_TLS_PEERS);
		g_autofree gchar *path = NULL;
		g_autofree gchar *dir = NULL;
		g_autoptr(GError) error = NULL;

		if (!g_str_has_prefix(key, PG_PURPLE_STATE_TLS_PEERS) ||
		    !pg_purple_state_id_is_valid(id))
			continue; /* an item of a later worker: not ours to use */
		path = purple_certificate_pool_mkpath(pool, id);
		dir = g_path_get_dirname(path);
		if (g_mkdir_with_parents(dir, 0700) != 0) {
			g_warning("cannot create %s: %s", dir, g_strerror(errno));
			continue;
		}
		if (!g_file_set_contents_full(path, value, -1, G_FILE_SET_CONTENTS_CONSISTENT,
					      0600, &error))
			g_warning("cannot restore the accepted certificate of %s: %s", id,
				  error->message);
	}
}

void
pg_purple_state_init(void)
{
	PurpleCertificatePool *pool = pg_purple_state_pool();

	/* no TLS plugin, no pool */
	if (pool != NULL)
		purple_signal_connect(pool, "certificate-stored", &pg_purple_state_handle,
				      PURPLE_CALLBACK(pg_purple_state_stored_cb), NULL);
}

void
pg_purple_state_shutdown(void)
{
	purple_signals_disconnect_by_handle(&pg_purple_state_handle);
}
