/* Who the gateway's IRC connections say they are (issue 11, item 3):
 * an RFC 1413 identd and IRCv3 WEBIRC, for every IRC connection the
 * gateway makes (users' links and the bridges' clients alike).
 *
 *   [polygate]
 *   identd_listen = 127.0.0.1:113   the identd's address and port (IPv6 as
 *                                   [::1]:113); absent: no identd
 *   ident_key_file = FILE           the key of the per-user names and hosts
 *                                   (default: key_file + ".ident"; made 0600
 *                                   with a random key when missing)
 *
 *   [webirc NAME]                   one per IRC network that trusts us
 *   servers = irc.example.net; *.example.net
 *                                   the IRC server names (shell patterns,
 *                                   any case) the connections go to
 *   password_file = FILE            the network's WEBIRC password (a 0600
 *                                   file), or password = ... inline
 *   gateway = polygate              the gateway name announced (one word)
 *   host_suffix = users.gw.example.org
 *                                   each user's host is <hash>.<host_suffix>
 *   ip_prefix = fd12:3456:789a::/48 each user's address is one of this IPv6
 *                                   prefix (absent: 127.0.0.1 for everyone)
 *
 * Parsed here so that pg-config.c only hands the keys and groups over.
 */
#pragma once

#include <glib.h>

#include "core/pg-secret.h"

G_BEGIN_DECLS

#define PG_CONFIG_WEBIRC_PREFIX "webirc "
/* the longest host_suffix: with the 13 bytes of "<hash>." a host stays
 * within the 63 bytes ircds keep (ngircd CLIENT_HOST_LEN 64, with NUL) */
#define PG_CONFIG_WEBIRC_SUFFIX_MAX 50
#define PG_CONFIG_WEBIRC_PASSWORD_MAX 256

typedef struct {
	gchar *name;        /* NAME of [webirc NAME] */
	gchar **servers;    /* lower-case shell patterns */
	PgSecret *password;
	gchar *gateway;
	gchar *host_suffix;
	gboolean has_prefix;
	guint8 prefix[16];  /* the IPv6 prefix, host bits zero */
	guint prefix_len;   /* its length in bits (16..120) */
} PgWebircConfig;

typedef struct {
	gchar *identd_address; /* NULL: no identd */
	guint16 identd_port;
	gchar *key_file;       /* set when the identd or a [webirc] is */
	GPtrArray *webirc;     /* element-type PgWebircConfig, never NULL */
} PgIdentConfig;

void pg_webirc_config_free(PgWebircConfig *webirc);
void pg_ident_config_free(PgIdentConfig *config);
/* The [webirc] group whose servers match @server (lower-case), or NULL. */
const PgWebircConfig *pg_ident_config_webirc_for(const PgIdentConfig *config,
						  const gchar *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgWebircConfig, pg_webirc_config_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgIdentConfig, pg_ident_config_free)

G_END_DECLS
