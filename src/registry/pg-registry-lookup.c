/* pg-registry-lookup.c: questions asked of the registry on the hot path.
 *
 * Every message and presence a user sends asks whether the user is
 * registered.  pg_registry_get_account() prepares its statement and unseals
 * the account each time; here the statement is prepared once, kept on the
 * registry and reset after use, and nothing is unsealed. */
#include "registry/pg-registry-private.h"

gboolean
pg_registry_has_account(PgRegistry *self, const gchar *transport, const gchar *user_jid)
{
	gboolean found;

	g_return_val_if_fail(self != NULL, FALSE);
	g_return_val_if_fail(transport != NULL && user_jid != NULL, FALSE);

	if (self->has_account == NULL &&
	    sqlite3_prepare_v3(self->db,
			       "SELECT 1 FROM account WHERE transport = ?1 AND user_jid = ?2;", -1,
			       SQLITE_PREPARE_PERSISTENT, &self->has_account, NULL) != SQLITE_OK) {
		g_warning("%s: cannot prepare the account lookup: %s", self->path,
			  sqlite3_errmsg(self->db));
		g_clear_pointer(&self->has_account, sqlite3_finalize);
		return FALSE;
	}
	sqlite3_bind_text(self->has_account, 1, transport, -1, SQLITE_STATIC);
	sqlite3_bind_text(self->has_account, 2, user_jid, -1, SQLITE_STATIC);
	found = sqlite3_step(self->has_account) == SQLITE_ROW;
	/* reset and unbind: no pointer of the caller's stays in the statement */
	sqlite3_reset(self->has_account);
	sqlite3_clear_bindings(self->has_account);
	return found;
}
