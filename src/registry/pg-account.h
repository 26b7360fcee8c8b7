/* PgAccount: one user's registration with one transport, as the registry
 * stores it.  A plain struct: thousands of them share one process.
 *
 * Settings are the public registration fields (server, port, nick...).
 * Secrets (password, tokens, accepted certificates) are plaintext only in
 * memory, each in a PgSecret; the registry seals them at rest.
 */
#pragma once

#include <glib.h>

#include "core/pg-secret.h"

G_BEGIN_DECLS

typedef struct {
	gchar *transport;     /* component JID, e.g. irc.example.org */
	gchar *user_jid;      /* bare JID */
	gchar *legacy_id;     /* nick / E.164 number / username: plaintext, indexed, for routing;
			       * may be NULL */
	GHashTable *settings; /* gchar* -> gchar*: public registration fields */
	GHashTable *secrets;  /* gchar* -> PgSecret*: plaintext in memory only, sealed at rest */
	gint64 created_at;    /* unix seconds; set by the registry */
	gint64 updated_at;    /* unix seconds; set by the registry */
} PgAccount;

/* Returns: (transfer full) an account with no settings and no secrets. */
PgAccount *pg_account_new(const gchar *transport, const gchar *user_jid, const gchar *legacy_id)
    G_GNUC_WARN_UNUSED_RESULT;
void pg_account_free(PgAccount *self);

/* Copies @key and @value; a NULL @value removes @key. */
void pg_account_set_setting(PgAccount *self, const gchar *key, const gchar *value);
/* Returns: (transfer none) the value, or NULL. */
const gchar *pg_account_get_setting(const PgAccount *self, const gchar *key);

/* Takes ownership of @secret (transfer full); a NULL @secret removes @key
 * (the old secret is wiped). */
void pg_account_set_secret(PgAccount *self, const gchar *key, PgSecret *secret);
/* Returns: (transfer none) the secret, or NULL; valid until it is replaced or
 * the account is freed. */
const PgSecret *pg_account_get_secret(const PgAccount *self, const gchar *key);

/* Key prefixes of settings and secrets that no registration form sets. */
#define PG_ACCOUNT_SERVERS_PREFIX "servers/" /* registry/pg-irc-creds.c */
#define PG_ACCOUNT_STATE_PREFIX	  "state:"   /* session/pg-account-state.c */

/* What a new registration keeps of the one it replaces: the keys that no
 * registration form sets.  "servers/..." (per-server settings and their
 * passwords, registry/pg-irc-creds.c) always; "state:..." (what the plugin
 * saved on its account, session/pg-account-state.c) only while the legacy id
 * is the same, since another legacy account's state is not this one's.  A
 * key @self already has is left as it is. */
void pg_account_keep_from(PgAccount *self, const PgAccount *old);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgAccount, pg_account_free)

G_END_DECLS
