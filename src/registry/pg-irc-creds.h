/* Which IRC server a user's IRC passwords belong to.
 *
 * A registration on an IRC transport may hold a NickServ password
 * ("password") and a server password ("server_password").  They are given
 * for one server, and only that server ever receives them (no PASS, no
 * SASL, no NickServ IDENTIFY to any other), whatever server a JID names:
 * otherwise a link such as #x%evil.example@irc.example.org in a chat would
 * phish them.
 *
 * The server is the registration's "server" field, or the transport's fixed
 * irc_server when the user leaves it empty.  It is kept twice: as a public
 * setting, which the registration form shows, and inside the sealed secrets
 * (key "server"), which is the one that counts: the registry's AES-GCM seal
 * (src/registry/pg-registry.c) covers it, so whoever can write the database
 * but not read the key cannot point the passwords at another server.
 * Registrations made before servers were recorded have neither: their
 * passwords belong to the fixed irc_server if there is one, else to none.
 */
#pragma once

#include <glib.h>

#include "core/pg-config.h"
#include "registry/pg-account.h"

G_BEGIN_DECLS

/* Record the server @account's passwords are for: its "server" setting
 * (checked and lower-cased), else @transport's irc_server, else none.
 * FALSE with PG_ERROR_NOT_ACCEPTABLE if the setting is no server name. */
gboolean pg_irc_creds_bind(PgAccount *account, const PgTransportConfig *transport,
			   GError **error);
/* Returns: (transfer none) the server @account's passwords belong to, or NULL. */
const gchar *pg_irc_creds_server(const PgAccount *account, const PgTransportConfig *transport);
/* TRUE if @account's passwords may be sent to @server. */
gboolean pg_irc_creds_allowed(const PgAccount *account, const PgTransportConfig *transport,
			      const gchar *server);
/* TRUE if @account holds an IRC password of either kind. */
gboolean pg_irc_creds_any(const PgAccount *account);

/* PER-SERVER SETTINGS (issue 10, item 2): what a user sets for one server
 * lives with their registration, under keys of that server only
 * ("servers/SERVER/NAME"), so nothing set for one server is ever read for
 * another.  The setting @name for @server (any case), or NULL. */
const gchar *pg_irc_creds_server_setting(const PgAccount *account, const gchar *server,
					 const gchar *name);
/* Set (or with a NULL @value, clear) setting @name for @server. */
void pg_irc_creds_set_server_setting(PgAccount *account, const gchar *server, const gchar *name,
				     const gchar *value);
/* The nick the user chose for @server, or NULL: the registration's nick
 * (PgAccount.legacy_id) is used there.  The one place that says which nick
 * a user has on a server (the login, a room join's default). */
const gchar *pg_irc_creds_nick(const PgAccount *account, const gchar *server);
/* The passwords a user set for one server (the configure form): @name is
 * "password" (SASL PLAIN, else NickServ IDENTIFY) or "server_password"
 * (PASS).  They are sealed with the registration's other secrets, under
 * that server's keys, so they are found for @server only and never for
 * another; the login prefers them to the registration's own (which stay
 * bound to the registration's server, above).
 * Returns: (transfer none) the secret, or NULL. */
const PgSecret *pg_irc_creds_server_secret(const PgAccount *account, const gchar *server,
					   const gchar *name);
/* Takes ownership of @secret; NULL clears (the old one is wiped). */
void pg_irc_creds_set_server_secret(PgAccount *account, const gchar *server, const gchar *name,
				    PgSecret *secret);

G_END_DECLS
