#define G_LOG_DOMAIN "PgAccount"

#include "config.h"

#include "registry/pg-account.h"

PgAccount *
pg_account_new(const gchar *transport, const gchar *user_jid, const gchar *legacy_id)
{
	PgAccount *self;

	g_return_val_if_fail(transport != NULL, NULL);
	g_return_val_if_fail(user_jid != NULL, NULL);

	self = g_new0(PgAccount, 1);
	self->transport = g_strdup(transport);
	self->user_jid = g_strdup(user_jid);
	self->legacy_id = g_strdup(legacy_id);
	self->settings = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	self->secrets =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)pg_secret_free);
	return self;
}

void
pg_account_free(PgAccount *self)
{
	if (self == NULL)
		return;
	g_free(self->transport);
	g_free(self->user_jid);
	g_free(self->legacy_id);
	g_clear_pointer(&self->settings, g_hash_table_unref);
	/* each PgSecret wipes itself as the table drops it */
	g_clear_pointer(&self->secrets, g_hash_table_unref);
	g_free(self);
}

void
pg_account_set_setting(PgAccount *self, const gchar *key, const gchar *value)
{
	g_return_if_fail(self != NULL);
	g_return_if_fail(key != NULL);

	if (value == NULL)
		g_hash_table_remove(self->settings, key);
	else
		g_hash_table_replace(self->settings, g_strdup(key), g_strdup(value));
}

const gchar *
pg_account_get_setting(const PgAccount *self, const gchar *key)
{
	g_return_val_if_fail(self != NULL, NULL);
	g_return_val_if_fail(key != NULL, NULL);
	return g_hash_table_lookup(self->settings, key);
}

void
pg_account_set_secret(PgAccount *self, const gchar *key, PgSecret *secret)
{
	g_return_if_fail(self != NULL);
	g_return_if_fail(key != NULL);

	if (secret == NULL)
		g_hash_table_remove(self->secrets, key);
	else
		g_hash_table_replace(self->secrets, g_strdup(key), secret);
}

const PgSecret *
pg_account_get_secret(const PgAccount *self, const gchar *key)
{
	g_return_val_if_fail(self != NULL, NULL);
	g_return_val_if_fail(key != NULL, NULL);
	return g_hash_table_lookup(self->secrets, key);
}

void
pg_account_keep_from(PgAccount *self, const PgAccount *old)
{
	gboolean same_legacy;
	GHashTableIter iter;
	gpointer key, value;

	g_return_if_fail(self != NULL && old != NULL);
	same_legacy = g_strcmp0(self->legacy_id, old->legacy_id) == 0;
	g_hash_table_iter_init(&iter, old->settings);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		if (g_str_has_prefix(key, PG_ACCOUNT_SERVERS_PREFIX) &&
		    !g_hash_table_contains(self->settings, key))
			pg_account_set_setting(self, key, value);
	}
	g_hash_table_iter_init(&iter, old->secrets);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		if ((g_str_has_prefix(key, PG_ACCOUNT_SERVERS_PREFIX) ||
		     (same_legacy && g_str_has_prefix(key, PG_ACCOUNT_STATE_PREFIX))) &&
		    !g_hash_table_contains(self->secrets, key))
			pg_account_set_secret(self, key, pg_secret_dup(value));
	}
}
