/* PgRegistry: who is registered with which transport, and their sealed
 * credentials.
 *
 * The interface is backend-neutral: no SQLite type appears here, accounts go
 * in and out as PgAccount with plaintext secrets, and sealing happens inside.
 * SQLite is the embedded backend; a PostgreSQL backend (one registry shared
 * by instances on several machines) would sit behind these same functions
 * (see the note in pg-registry.c).
 *
 * Not thread-safe: use one PgRegistry from one thread (the main loop).
 */
#pragma once

#include <glib.h>

#include "registry/pg-account.h"
#include "registry/pg-vault.h"

G_BEGIN_DECLS

typedef struct _PgRegistry PgRegistry;

/* Opens (creating it 0600 if needed) and migrates the database at @path.
 * @vault is borrowed and must outlive the registry.  A database written by a
 * newer Polygate is refused and left untouched (PG_ERROR_DATABASE).
 * Returns: (transfer full) the registry, or NULL with @error set. */
PgRegistry *pg_registry_open(const gchar *path, PgVault *vault, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;
void pg_registry_free(PgRegistry *self);

/* Inserts @account, or updates the row with the same (transport, user_jid),
 * keeping its created_at.  Sets *@created (if not NULL) to TRUE for an insert. */
gboolean pg_registry_put_account(PgRegistry *self, const PgAccount *account, gboolean *created,
				 GError **error);
/* Returns: (transfer full) the account, or NULL with PG_ERROR_ITEM_NOT_FOUND
 * if there is none (or another error). */
PgAccount *pg_registry_get_account(PgRegistry *self, const gchar *transport,
				   const gchar *user_jid, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Whether @user_jid has an account on @transport, without unsealing it: asked
 * for every stanza a user sends, so its statement is prepared once. */
gboolean pg_registry_has_account(PgRegistry *self, const gchar *transport, const gchar *user_jid);
/* As pg_registry_get_account(), by legacy id.  A legacy id need not be unique
 * within a transport (IRC nicks on different servers); the oldest
 * registration wins.  Returns: (transfer full). */
PgAccount *pg_registry_find_by_legacy_id(PgRegistry *self, const gchar *transport,
					 const gchar *legacy_id,
					 GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* PG_ERROR_ITEM_NOT_FOUND if there is no such account. */
gboolean pg_registry_remove_account(PgRegistry *self, const gchar *transport,
				    const gchar *user_jid, GError **error);
/* Returns: (transfer full) (element-type PgAccount) the accounts of
 * @transport (NULL: of every transport), ordered by transport then user JID. */
GPtrArray *pg_registry_list_accounts(PgRegistry *self, const gchar *transport,
				     GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Returns: (transfer full) (element-type utf8) the bare JIDs of the users
 * registered on @transport, sorted; nothing is unsealed (for work that
 * needs only who, such as presence probes). */
GPtrArray *pg_registry_list_user_jids(PgRegistry *self, const gchar *transport,
				      GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Rotates the vault key and reseals every row under the new one, then drops
 * the old keys from the key file.  Safe to kill at any point: no secret is
 * ever left sealed under a key the file no longer holds.  The caller must
 * ensure no other process writes the registry with a vault loaded before the
 * rotation (in practice: run it in the daemon, or with the daemon stopped).
 * *@resealed (if not NULL) is set to the number of rows resealed. */
gboolean pg_registry_rekey(PgRegistry *self, guint *resealed, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgRegistry, pg_registry_free)

G_END_DECLS
