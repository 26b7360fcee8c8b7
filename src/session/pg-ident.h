/* PgIdent: who the gateway's IRC connections say they are (issue 11, item 3).
 *
 * DESIGN: every IRC connection the gateway makes speaks for an *owner*: a
 * user (their bare JID) or a bridge.  The owner of an account is its
 * worker key up to the first '/': a user link's key is
 * "user@domain/transport/server" (src/session/pg-session.c), a bridge
 * client's "bridge:NAME" (src/bridge/pg-bridges.c).  A connection that
 * speaks for someone else (one per XMPP occupant of a bridge) needs a key
 * whose part before any '/' names that someone, e.g. "bridge:NAME:ID", or
 * an owner set for it (pg_ident_set_owner(): a person's bare JID, so that
 * their bridge connection and their own links are one ident and one host,
 * and one IRC ban holds for both).
 *
 * From the owner, with a keyed hash (HMAC-SHA-256 under the ident key,
 * pg-config-ident.h) so that nobody can go back from a name to a JID:
 *   - the ident name the identd answers (RFC 1413): a bridge's own name, or
 *     "x" and 9 base-32 characters, 10 in all (the USERLEN of most ircds);
 *   - the WEBIRC host, "<12 base-32 characters>.<host_suffix>", and the
 *     WEBIRC address: one of ip_prefix (its host bits from the hash), or
 *     127.0.0.1 without a prefix.
 * Stable across restarts (the key is in a file), different for each owner,
 * so an IRC op can ban one XMPP user (by ident, host or address) without
 * banning the gateway, and ban the whole gateway by its suffix or prefix.
 *
 * The logins of both supervisors pass pg_ident_attach_login() (the
 * supervisor calls it), so every IRC connection gets WEBIRC where its
 * server has a [webirc] group, whoever built the login.
 *
 * The identd needs each connection's ports.  The worker reports them
 * (ipc "connection") once the connection is up; a claim is untrusted:
 *   - the worker may only name its own accounts (pg-worker-policy.c);
 *   - an account holds at most PG_IDENT_CLAIMS_PER_ACCOUNT port pairs, so a
 *     worker cannot claim the port space in advance;
 *   - a port pair claimed by two accounts is disputed: nobody's name is
 *     given for it (a liar can deny someone an ident, never take theirs);
 *   - at query time the kernel's table (/proc/net/tcp, tcp6) must hold an
 *     established connection from that local port to the querier's address
 *     and port (RFC 1413 §3: only the peer of a connection may ask about it).
 */
#pragma once

#include <glib.h>
#include <gio/gio.h>

#include "core/pg-config-ident.h"
#include "ipc/pg-ipc-message.h"

G_BEGIN_DECLS

#define PG_IDENT_NAME_MAX 10
#define PG_IDENT_CLAIMS_PER_ACCOUNT 2

typedef struct _PgIdent PgIdent;

/* Loads the ident key from @config->key_file, creating it (0600, a random
 * key) when missing; refuses a file that group or others may read.
 * Returns: (transfer full) or NULL with @error. */
PgIdent *pg_ident_new(const PgIdentConfig *config, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* For tests: a fixed 32-byte @key. Returns: (transfer full) */
PgIdent *pg_ident_new_for_test(const PgIdentConfig *config, const guint8 *key)
    G_GNUC_WARN_UNUSED_RESULT;
void pg_ident_free(PgIdent *self);

/* The owner of worker key @account by its shape (see above).
 * Returns: (transfer full) */
gchar *pg_ident_owner_of(const gchar *account);
/* @account speaks for @owner (NULL: by its key's shape again), from its
 * next login on; kept until pg_ident_forget_owner(). */
void pg_ident_set_owner(PgIdent *self, const gchar *account, const gchar *owner);
void pg_ident_forget_owner(PgIdent *self, const gchar *account);
/* The owner of @account: the one set, else by its shape.  Returns: (transfer full) */
gchar *pg_ident_get_owner(PgIdent *self, const gchar *account);
/* The ident name of @owner.  Returns: (transfer full) */
gchar *pg_ident_name(PgIdent *self, const gchar *owner);
/* The WEBIRC host and address of @owner under @webirc.  Returns: (transfer full) */
gchar *pg_ident_webirc_host(PgIdent *self, const PgWebircConfig *webirc, const gchar *owner);
gchar *pg_ident_webirc_ip(PgIdent *self, const PgWebircConfig *webirc, const gchar *owner);

/* @login (transfer full, a CMD_LOGIN) with "webirc" added when it is a
 * prpl-irc login to a server a [webirc] group names.  Returns: (transfer full) */
PgIpcMessage *pg_ident_attach_login(PgIdent *self, const gchar *account, PgIpcMessage *login)
    G_GNUC_WARN_UNUSED_RESULT;

/* A worker's claim (an EVT_CONNECTION of @account, already checked to be
 * one of the worker's accounts). */
void pg_ident_claim(PgIdent *self, const gchar *account, guint local_port, guint remote_port);
/* @account's connection is gone (logout, disconnect, worker death). */
void pg_ident_forget(PgIdent *self, const gchar *account);
/* The name to answer @querier (its address) about the connection from our
 * @local_port to its @remote_port, or NULL (NO-USER).  Returns: (transfer full) */
gchar *pg_ident_lookup(PgIdent *self, GInetAddress *querier, guint local_port,
		       guint remote_port);

/* Whether any account claimed the pair (even a disputed claim). */
gboolean pg_ident_is_claimed(PgIdent *self, guint local_port, guint remote_port);
/* Whether lookups check the kernel's table (tests turn it off to see that
 * the claims alone decide); on by default. */
void pg_ident_set_check_kernel(PgIdent *self, gboolean check);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgIdent, pg_ident_free)

G_END_DECLS
