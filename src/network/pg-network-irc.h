/* The IRC network driver (a libpurple prpl-irc specialisation).
 *
 * Addresses follow biboumi's scheme (so users can switch):
 *   IRC user   nick%irc.server.net@irc.example.org   (nick@... with a fixed
 * irc_server) IRC room   #chan%irc.server.net@irc.example.org  (+ /nick: an
 * occupant) One link per server; each server passes the gate
 * (session/pg-irc-gate.h) before the gateway connects to it.  The registration
 * takes a nick and optional NickServ and server passwords, bound to one server
 * (registry/pg-irc-creds.h).
 */
#pragma once

#include "network/pg-network.h"

G_BEGIN_DECLS

/* pg-network-irc-nick.c: RFC 2812 §2.3.1 nickname characters (length
 * checked by the network); the first @len bytes of @nick. */
gboolean pg_network_irc_is_valid_nick(const gchar *nick);
gboolean pg_network_irc_is_valid_nick_len(const gchar *nick, gsize len);

/* Read the IRC address out of @jid, a JID on the IRC @transport parsed by
 * pg_jid_parse().  is_room is set for a #channel or &channel.  Returns:
 * (transfer full) or NULL with PG_ERROR_JID_MALFORMED (PG_ERROR_ITEM_NOT_FOUND
 * if no server is given and the transport has no fixed one). */
PgNetworkAddress *pg_network_irc_parse(const PgTransportConfig *transport, const PgJid *jid,
				       GError **error);
/* The JID of @name on @server (the short form when @server is the fixed
 * one), with @resource if not NULL.  Returns: (transfer full) */
gchar *pg_network_irc_to_jid(const PgTransportConfig *transport, const gchar *name,
			     const gchar *server, const gchar *resource);

/* The link bit of classify_disconnect: the server refused SASL, identify
 * with NickServ instead. */
#define PG_NETWORK_IRC_NO_SASL (1u << 0)

/* pg-network-irc-settings.c: PgNetwork.server_settings_form / _read */
PgForm *pg_network_irc_settings_form(const PgTransportConfig *transport,
				     const PgAccount *account, const gchar *server);
gboolean pg_network_irc_settings_read(const PgTransportConfig *transport, PgAccount *account,
				      const gchar *server, GHashTable *values, GError **error);
/* A SHA-256 fingerprint as the user may write it (hex, any case, ':' or
 * spaces between pairs) as "AB:CD:...".  Returns: (transfer full) or NULL
 * if @value is none. */
gchar *pg_network_irc_settings_fingerprint(const gchar *value);
/* One charset iconv knows that keeps ASCII both ways, upper-cased.
 * Returns: (transfer full) or NULL if @value is none. */
gchar *pg_network_irc_settings_charset(const gchar *value);
/* pg-network-irc-commands.c: the after-connect commands of a server. */
void pg_network_irc_commands_add_field(PgForm *form, const PgAccount *account,
				       const gchar *server);
/* One after-connect line of @len bytes: a command word, no CR/LF/NUL, not
 * too long. */
gboolean pg_network_irc_commands_line_ok(const gchar *line, gsize len);
/* The lines of a submitted @value (joined by '\n', blank ones left out) as
 * the secret to keep.  Returns: (transfer full) the secret, or NULL: none
 * given (keep what is set), or with @error set (PG_ERROR_NOT_ACCEPTABLE). */
PgSecret *pg_network_irc_commands_check(const gchar *value, GError **error);
/* TLS and port of a login to @server: the user's choice (the configure
 * form) where set and still allowed, else the gate's @target; a port that
 * is no longer allowed gets *@notice (transfer full) for the user. */
void pg_network_irc_settings_target(const PgTransportConfig *transport, const PgAccount *account,
				    const gchar *server, const PgNetworkTarget *target,
				    gboolean *tls, guint16 *port, gchar **notice);

G_END_DECLS
