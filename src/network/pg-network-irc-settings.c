/* The IRC driver's per-server settings (issue 10, item 2): the form of
 * the "configure" command on irc.example.net@gateway, and reading it into
 * the registration (registry/pg-irc-creds.h keeps them under the server's
 * own keys).
 *
 * Today it covers the nick, and the two passwords: the server password
 * (PASS) and the SASL/NickServ one.  The passwords are text-private fields
 * that never carry the password back (XEP-0004 §3.3): the label says
 * whether one is set, an empty submission keeps it, and a boolean
 * "clear_NAME" removes it.  They are sealed with the registration's
 * secrets under the server's keys (pg_irc_creds_server_secret()).  The rest
 * of biboumi's configure (after-connect commands, encodings, TLS and port,
 * a pinned certificate) is not here yet: a field that does nothing is not
 * offered.
 */
#define G_LOG_DOMAIN "pg-network"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "network/pg-network-irc.h"
#include "network/pg-network-private.h"
#include "registry/pg-irc-creds.h"

#define PG_NETWORK_IRC_SETTINGS_FORM_TYPE "urn:xmpp:polygate:irc-server:0"
/* longer than any IRC line could carry after "PASS " (RFC 2812 §2.3) */
#define PG_NETWORK_IRC_SETTINGS_SECRET_MAX 400

/* the per-server passwords: field (and secret) name, what it is */
static const struct {
	const gchar *name;
	const gchar *what;
} pg_network_irc_settings_secrets[] = {
    {"server_password", "Server password (PASS)"},
    {"password", "SASL / NickServ password"},
};

static void
pg_network_irc_settings_add_secret(PgForm *form, const PgAccount *account, const gchar *server,
				   const gchar *name, const gchar *what)
{
	gboolean set = pg_irc_creds_server_secret(account, server, name) != NULL;
	g_autofree gchar *label =
	    g_strdup_printf("%s for this server only: %s", what,
			    set ? "set (leave empty to keep it)" : "not set");
	g_autofree gchar *clear = g_strdup_printf("clear_%s", name);
	g_autofree gchar *clear_label = g_strdup_printf("Remove the %s", what);

	/* never a value: the password does not travel back */
	pg_form_add_field(form, name, "text-private", label, FALSE, NULL);
	if (set)
		pg_form_add_field(form, clear, "boolean", clear_label, FALSE, "0");
}

static gboolean
pg_network_irc_settings_true(const gchar *value)
{
	return g_strcmp0(value, "1") == 0 || g_strcmp0(value, "true") == 0;
}

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
	for (gsize i = 0; i < G_N_ELEMENTS(pg_network_irc_settings_secrets); i++)
		pg_network_irc_settings_add_secret(form, account, server,
						   pg_network_irc_settings_secrets[i].name,
						   pg_network_irc_settings_secrets[i].what);
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
	for (gsize i = 0; i < G_N_ELEMENTS(pg_network_irc_settings_secrets); i++) {
		const gchar *name = pg_network_irc_settings_secrets[i].name;
		const gchar *value = g_hash_table_lookup(values, name);
		/* the password goes into one line (PASS, AUTHENTICATE, PRIVMSG
		 * NickServ): a line break would start another command */
		if (value != NULL && (strpbrk(value, "\r\n") != NULL ||
				      strlen(value) > PG_NETWORK_IRC_SETTINGS_SECRET_MAX)) {
			g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
				    "the %s must be one line of at most %d bytes",
				    pg_network_irc_settings_secrets[i].what,
				    PG_NETWORK_IRC_SETTINGS_SECRET_MAX);
			return FALSE;
		}
	}
	if (nick != NULL)
		pg_irc_creds_set_server_setting(account, server, "nick",
						nick[0] != '\0' ? nick : NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(pg_network_irc_settings_secrets); i++) {
		const gchar *name = pg_network_irc_settings_secrets[i].name;
		const gchar *value = g_hash_table_lookup(values, name);
		g_autofree gchar *clear = g_strdup_printf("clear_%s", name);

		if (pg_network_irc_settings_true(g_hash_table_lookup(values, clear)))
			pg_irc_creds_set_server_secret(account, server, name, NULL);
		else if (value != NULL && value[0] != '\0') /* empty: keep it */
			pg_irc_creds_set_server_secret(account, server, name,
						       pg_secret_new_from_string(value));
	}
	return TRUE;
}
