/* Which network servers users may make the gateway connect to.
 *
 * A server named by a user (an IRC server in a JID) is checked in two
 * steps: its name and port before it is resolved, and then every address
 * it resolved to.  The operator's lists ([transport NAME] irc_allow and
 * irc_deny, conf/polygate.conf.example) hold entries of three kinds, each
 * with an optional :port (none = any port):
 *
 *   irc.libera.chat   *.libera.chat   *       host names; "*." matches
 *                                              below the domain, "*" any
 *                                              server, addresses included
 *   192.0.2.7   198.51.100.0/24   [2001:db8::1]   [2001:db8::/32]
 *                                              addresses and CIDR ranges
 *
 * - A deny entry that matches the name or any address refuses the server.
 * - With an allow list, the name must match an allow name entry, or every
 *   address an allow address entry.
 * - Loopback, link-local, private (RFC 1918, RFC 6598, RFC 4193),
 *   unspecified, multicast and reserved addresses are refused unless an
 *   allow ADDRESS entry covers them: a name entry never does, so a name
 *   that resolves to 127.0.0.1 stays refused even when the name is allowed.
 *
 * IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64
 * (64:ff9b::a.b.c.d, RFC 6052) IPv6 addresses are judged as the IPv4
 * address they carry.  Only canonical literals are addresses: a name such
 * as 127.1 or 0x7f000001, which inet_aton() would take for 127.0.0.1, is
 * refused as neither a name nor an address.
 *
 * No I/O here: resolving is the caller's (src/session/pg-irc-gate.c).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	guint8 family; /* 4 or 6 */
	guint8 bytes[16]; /* network order; IPv4 in the first 4 bytes */
} PgNetAddress;

typedef struct _PgNetPolicy PgNetPolicy;

PgNetPolicy *pg_net_policy_new(void);
void pg_net_policy_free(PgNetPolicy *self);
/* Add one entry (the syntax above) to the allow or the deny list.  FALSE
 * with PG_ERROR_CONFIG and why if it does not parse. */
gboolean pg_net_policy_add(PgNetPolicy *self, gboolean allow, const gchar *entry,
			   GError **error);
gboolean pg_net_policy_has_allow_list(const PgNetPolicy *self);

/* Check @host on @port.  With @n_addresses == 0 and a host name, only what
 * can be decided before resolving (the name lists); with the addresses it
 * resolved to, everything.  A literal @host is its own address (@addresses
 * is then ignored).  FALSE with PG_ERROR_NOT_ALLOWED and a sentence for the
 * user if the server is refused. */
gboolean pg_net_policy_check(const PgNetPolicy *self, const gchar *host, guint16 port,
			     const PgNetAddress *addresses, gsize n_addresses, GError **error);

/* A host name or a canonical address literal: what may name a server. */
gboolean pg_net_is_server_name(const gchar *text);
/* A canonical IPv4 or IPv6 literal (no brackets)?  Fills @address. */
gboolean pg_net_address_parse(const gchar *text, PgNetAddress *address);
/* Fills @address from @len bytes (4 or 16) in network order. */
void pg_net_address_set(PgNetAddress *address, const guint8 *bytes, gsize len);
/* The kind of special-purpose range @address is in ("loopback",
 * "link-local", "private", "unspecified", "multicast", "reserved"), or
 * NULL for an ordinary address. */
const gchar *pg_net_address_special(const PgNetAddress *address);
gboolean pg_net_address_is_loopback(const PgNetAddress *address);
/* Returns: (transfer full) the address as text. */
gchar *pg_net_address_to_string(const PgNetAddress *address);

/* PORTS USERS MAY CHOOSE ([transport NAME] irc_user_ports): a set of TCP
 * ports and ranges ("6665-6669; 6697"), or none at all ("none").  A port a
 * user sets for a server is in this set and passes the policy above for
 * that server (src/network/pg-network-irc-settings.c). */
typedef struct _PgNetPorts PgNetPorts;

/* The set @entries (each "PORT" or "LOW-HIGH", 1..65535, or the single
 * entry "none") describe.  Returns: (transfer full) or NULL with
 * PG_ERROR_CONFIG and why. */
PgNetPorts *pg_net_ports_parse(const gchar *const *entries, GError **error);
void pg_net_ports_free(PgNetPorts *self);
gboolean pg_net_ports_contains(const PgNetPorts *self, guint16 port);
/* Returns: (transfer full) the set as the operator could write it, for
 * messages ("6665-6669, 6697" or "none"). */
gchar *pg_net_ports_to_string(const PgNetPorts *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgNetPolicy, pg_net_policy_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgNetPorts, pg_net_ports_free)

G_END_DECLS
