/* The IRC driver's per-server settings (issue 10, item 2): the form of
 * the "configure" command on irc.example.net@gateway, and reading it into
 * the registration (registry/pg-irc-creds.h keeps them under the server's
 * own keys).
 *
 * Today it covers the nick.  The rest of biboumi's configure (SASL and
 * server passwords, after-connect commands, encodings, TLS and port, a
 * pinned certificate) is not here yet: a field that does nothing is not
 * offered.
 */
#define G_LOG_DOMAIN "pg-network"

#include "config.h"

#include "core/pg-error.h"
#include "network/pg-network-irc.h"
#include "network/pg-network-private.h"
#include "registry/pg-irc-creds.h"

#define PG_NETWORK_IRC_SETTINGS_FORM_TYPE "urn:xmpp:polygate:irc-server:0"

PgForm *
pg_network_irc_settings_form(const PgTransportConfig *transport, const PgAccount *account,
			     const gchar *server)
{
	g_autofree gchar *title = g_strdup_printf("Settings for %s", server);
	PgForm *form = pg_form_new("form", PG_NETWORK_IRC_SETTINGS_FORM_TYPE, title,
				   "Your settings for this IRC server only. They take effect at "
				   "its next login.");

	pg_form_add_field(form, "nick", "text-single",
			  "Nickname on this server (empty: your registration's)", FALSE,
			  pg_irc_creds_nick(account, server));
	return form;
}

gboolean
pg_network_irc_settings_read(const PgTransportConfig *transport, PgAccount *account,
			     const gchar *server, GHashTable *values, GError **error)
{
	const gchar *nick = g_hash_table_lookup(values, "nick");

	if (nick != NULL && nick[0] != '\0' && !pg_network_irc_is_valid_nick(nick)) {
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
			    "'%s' is not a valid IRC nickname: letters, digits and []\\`_^{|}- "
			    "only, not starting with a digit or '-'",
			    nick);
		return FALSE;
	}
	if (nick != NULL)
		pg_irc_creds_set_server_setting(account, server, "nick",
						nick[0] != '\0' ? nick : NULL);
	return TRUE;
}
