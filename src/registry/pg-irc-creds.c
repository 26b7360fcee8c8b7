/* IRC passwords bound to their server (pg-irc-creds.h). */
#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "core/pg-netpolicy.h"
#include "registry/pg-irc-creds.h"

#define PG_IRC_CREDS_KEY "server"

/* Lower case, without a trailing dot: how servers are compared. */
static gchar *
pg_irc_creds_normalize(const gchar *server)
{
	gchar *text = g_ascii_strdown(server, -1);
	gsize len = strlen(text);

	if (len > 1 && text[len - 1] == '.')
		text[len - 1] = '\0';
	return text;
}

gboolean
pg_irc_creds_bind(PgAccount *account, const PgTransportConfig *transport, GError **error)
{
	const gchar *given = pg_account_get_setting(account, PG_IRC_CREDS_KEY);
	g_autofree gchar *server = NULL;

	if (given != NULL && given[0] != '\0')
		server = pg_irc_creds_normalize(given);
	else if (transport->irc_server != NULL)
		server = pg_irc_creds_normalize(transport->irc_server);
	if (server == NULL) {
		pg_account_set_setting(account, PG_IRC_CREDS_KEY, NULL);
		pg_account_set_secret(account, PG_IRC_CREDS_KEY, NULL);
		return TRUE;
	}
	if (!pg_net_is_server_name(server)) {
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
			    "'%s' is not an IRC server name (irc.example.net or an address)",
			    server);
		return FALSE;
	}
	pg_account_set_setting(account, PG_IRC_CREDS_KEY, server);
	pg_account_set_secret(account, PG_IRC_CREDS_KEY, pg_secret_new_from_string(server));
	return TRUE;
}

const gchar *
pg_irc_creds_server(const PgAccount *account, const PgTransportConfig *transport)
{
	const PgSecret *sealed = pg_account_get_secret(account, PG_IRC_CREDS_KEY);

	if (sealed != NULL)
		return pg_secret_get_string(sealed);
	return transport->irc_server;
}

gboolean
pg_irc_creds_allowed(const PgAccount *account, const PgTransportConfig *transport,
		     const gchar *server)
{
	const gchar *bound = pg_irc_creds_server(account, transport);
	g_autofree gchar *a = NULL;
	g_autofree gchar *b = NULL;

	if (bound == NULL || server == NULL)
		return FALSE;
	a = pg_irc_creds_normalize(bound);
	b = pg_irc_creds_normalize(server);
	return strcmp(a, b) == 0;
}

gboolean
pg_irc_creds_any(const PgAccount *account)
{
	return pg_account_get_secret(account, "password") != NULL ||
	       pg_account_get_secret(account, "server_password") != NULL;
}

static gchar *
pg_irc_creds_server_key(const gchar *server, const gchar *name)
{
	g_autofree gchar *lower = g_ascii_strdown(server, -1);
	return g_strdup_printf(PG_ACCOUNT_SERVERS_PREFIX "%s/%s", lower, name);
}

const gchar *
pg_irc_creds_server_setting(const PgAccount *account, const gchar *server, const gchar *name)
{
	g_autofree gchar *key = NULL;

	if (account == NULL || server == NULL || server[0] == '\0')
		return NULL;
	key = pg_irc_creds_server_key(server, name);
	return pg_account_get_setting(account, key);
}

void
pg_irc_creds_set_server_setting(PgAccount *account, const gchar *server, const gchar *name,
				const gchar *value)
{
	g_autofree gchar *key = pg_irc_creds_server_key(server, name);
	pg_account_set_setting(account, key, value);
}

const gchar *
pg_irc_creds_nick(const PgAccount *account, const gchar *server)
{
	const gchar *nick = pg_irc_creds_server_setting(account, server, "nick");
	return nick != NULL && nick[0] != '\0' ? nick : NULL;
}

const PgSecret *
pg_irc_creds_server_secret(const PgAccount *account, const gchar *server, const gchar *name)
{
	g_autofree gchar *key = NULL;

	if (account == NULL || server == NULL || server[0] == '\0')
		return NULL;
	key = pg_irc_creds_server_key(server, name);
	return pg_account_get_secret(account, key);
}

void
pg_irc_creds_set_server_secret(PgAccount *account, const gchar *server, const gchar *name,
			       PgSecret *secret)
{
	g_autofree gchar *key = pg_irc_creds_server_key(server, name);
	pg_account_set_secret(account, key, secret);
}
