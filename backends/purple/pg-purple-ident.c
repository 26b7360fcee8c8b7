/* WEBIRC and the identd's ports for prpl-irc connections (issue 11, item 3).
 *
 * WHAT: the first line an IRC connection sends (its registration: CAP,
 * PASS or USER) carries, in front of it, the login's WEBIRC line (IRCv3
 * WEBIRC: it must come before the registration); and once that first line
 * goes, the connection is up, so its TCP ports are reported to the daemon
 * (ipc "connection") for the identd (src/session/pg-ident.h).
 *
 * HOW (read in libpurple 2.14's prpl-irc, irc.c): do_login() sends the
 * registration with irc_send(), which emits "irc-sending-text" (gc,
 * char **text) with a g_strdup() of each line before it queues or writes
 * it; a handler may replace *text (libpurple frees whatever is there
 * after).  do_login() runs from the connect callback: for plain TCP
 * irc_login_cb(), for TLS irc_login_cb_ssl() once the handshake is done.
 * The "signing-on" signal (purple_connection_new, before the prpl's login)
 * marks a connection whose next line is its first.
 *
 * Which socket: do_login() runs inside the callback of the fd that just
 * connected: libpurple's proxy connect waits for it to become writable
 * through our event loop UI ops (plain TCP), and ssl-nss reads its
 * handshake through them too (TLS), both on the connection's own fd.  The
 * UI says which fd it is dispatching (pg-purple-ui.h).  When libpurple
 * connected at once (no callback), the fallback is the one connected TCP
 * socket to the account's port that no other connection reported.  The
 * daemon does not take our word for it anyway (pg-ident.h).
 *
 * Secrets: the WEBIRC line is wiped here once used; libpurple's own copy of
 * the line it sends (irc_send_len) is freed by it without wiping, as every
 * line it sends is (PASS and NickServ passwords alike).
 */
#define G_LOG_DOMAIN "pg-purple"

#include "config.h"

#include <netinet/in.h>
#include <openssl/crypto.h>
#include <string.h>
#include <sys/socket.h>

#include "pg-purple-ident.h"
#include "pg-purple-ui.h"
#include "pg-purple-worker.h"

#define PG_PURPLE_IDENT_FD_SCAN_MAX 4096

static gint pg_purple_ident_handle;
/* PurpleConnection* whose first line has not gone yet */
static GHashTable *pg_purple_ident_fresh;
/* PurpleConnection* -> GUINT_TO_POINTER(local port) reported for it */
static GHashTable *pg_purple_ident_reported;
/* PurpleConnection* that sent WEBIRC and is not signed on yet */
static GHashTable *pg_purple_ident_webirc_sent;

static gboolean
pg_purple_ident_ports(gint fd, guint *local_port, guint *remote_port)
{
	struct sockaddr_storage local, remote;
	socklen_t local_len = sizeof(local), remote_len = sizeof(remote);
	gint type = 0;
	socklen_t type_len = sizeof(type);

	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0 ||
	    type != SOCK_STREAM || getsockname(fd, (struct sockaddr *)&local, &local_len) != 0 ||
	    getpeername(fd, (struct sockaddr *)&remote, &remote_len) != 0 ||
	    local.ss_family != remote.ss_family)
		return FALSE;
	if (local.ss_family == AF_INET) {
		*local_port = ntohs(((struct sockaddr_in *)&local)->sin_port);
		*remote_port = ntohs(((struct sockaddr_in *)&remote)->sin_port);
		return TRUE;
	}
	if (local.ss_family == AF_INET6) {
		*local_port = ntohs(((struct sockaddr_in6 *)&local)->sin6_port);
		*remote_port = ntohs(((struct sockaddr_in6 *)&remote)->sin6_port);
		return TRUE;
	}
	return FALSE;
}

static gboolean
pg_purple_ident_is_reported(guint local_port)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, pg_purple_ident_reported);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		if (GPOINTER_TO_UINT(value) == local_port)
			return TRUE;
	}
	return FALSE;
}

/* The socket of @account's connection that just came up, or FALSE. */
static gboolean
pg_purple_ident_find(PurpleAccount *account, guint *local_port, guint *remote_port)
{
	guint port = (guint)purple_account_get_int(account, "port", 0);
	guint found = 0;

	if (pg_purple_ident_ports(pg_purple_ui_get_dispatching_fd(), local_port, remote_port) &&
	    (port == 0 || *remote_port == port))
		return TRUE;
	if (port == 0)
		return FALSE;
	for (gint fd = 3; fd < PG_PURPLE_IDENT_FD_SCAN_MAX; fd++) {
		guint lport = 0, rport = 0;
		if (!pg_purple_ident_ports(fd, &lport, &rport) || rport != port ||
		    pg_purple_ident_is_reported(lport))
			continue;
		if (found++ > 0)
			return FALSE; /* two candidates: say nothing rather than guess */
		*local_port = lport;
		*remote_port = rport;
	}
	return found == 1;
}

static void
pg_purple_ident_signing_on_cb(PurpleConnection *gc, gpointer user_data)
{
	if (g_strcmp0(purple_account_get_protocol_id(purple_connection_get_account(gc)),
		      "prpl-irc") == 0)
		g_hash_table_add(pg_purple_ident_fresh, gc);
}

static void
pg_purple_ident_signing_off_cb(PurpleConnection *gc, gpointer user_data)
{
	g_hash_table_remove(pg_purple_ident_fresh, gc);
	g_hash_table_remove(pg_purple_ident_reported, gc);
	g_hash_table_remove(pg_purple_ident_webirc_sent, gc);
}

static void
pg_purple_ident_signed_on_cb(PurpleConnection *gc, gpointer user_data)
{
	g_hash_table_remove(pg_purple_ident_webirc_sent, gc);
}

/* A server that refuses our WEBIRC answers 464 (ERR_PASSWDMISMATCH) before
 * 001, and may go on registering us under our real host (ngircd does):
 * the operator must hear of it, the user's login goes on. */
static void
pg_purple_ident_receiving_cb(PurpleConnection *gc, gchar **line, gpointer user_data)
{
	PgPurpleAccount *entry;
	gchar **words;

	if (line == NULL || *line == NULL || !g_hash_table_contains(pg_purple_ident_webirc_sent, gc))
		return;
	words = g_strsplit(*line, " ", 3);
	if (words[0] != NULL && words[1] != NULL &&
	    (g_strcmp0(words[1], "464") == 0 || (words[0][0] != ':' && g_strcmp0(words[0], "464") == 0))) {
		entry = pg_purple_worker_lookup(purple_connection_get_account(gc));
		g_warning("%s: the IRC server refused WEBIRC (464): check the password of its "
			  "[webirc] group",
			  entry != NULL ? entry->key : "?");
		g_hash_table_remove(pg_purple_ident_webirc_sent, gc);
	}
	g_strfreev(words);
}

/* Put the WEBIRC line in front of @line (the registration's first). */
static void
pg_purple_ident_webirc(PgPurpleAccount *entry, gchar **line)
{
	g_autoptr(PgSecret) webirc = g_steal_pointer(&entry->webirc);
	gsize first_len;
	gchar *joined;

	if (webirc == NULL || *line == NULL)
		return;
	first_len = strlen(*line);
	joined = g_malloc(webirc->len + 2 + first_len + 1);
	memcpy(joined, webirc->data, webirc->len);
	memcpy(joined + webirc->len, "\r\n", 2);
	memcpy(joined + webirc->len + 2, *line, first_len + 1);
	/* the first line may be "PASS <server password>" */
	OPENSSL_cleanse(*line, first_len);
	g_free(*line);
	*line = joined;
	g_hash_table_add(pg_purple_ident_webirc_sent, purple_account_get_connection(entry->account));
	g_debug("%s: WEBIRC sent before the registration", entry->key);
}

static void
pg_purple_ident_sending_cb(PurpleConnection *gc, gchar **line, gpointer user_data)
{
	PgPurpleAccount *entry;
	guint local_port = 0, remote_port = 0;

	if (!g_hash_table_remove(pg_purple_ident_fresh, gc))
		return;
	entry = pg_purple_worker_lookup(purple_connection_get_account(gc));
	if (entry == NULL)
		return;
	pg_purple_ident_webirc(entry, line);
	if (!pg_purple_ident_find(entry->account, &local_port, &remote_port)) {
		g_message("%s: cannot tell which socket is the IRC connection: no identd for it",
			  entry->key);
		return;
	}
	g_hash_table_insert(pg_purple_ident_reported, gc, GUINT_TO_POINTER(local_port));
	pg_purple_worker_emit(pg_purple_worker_message_new(
	    PG_IPC_EVT_CONNECTION, 0, "account", g_variant_new_string(entry->key), "local_port",
	    g_variant_new_uint32(local_port), "remote_port", g_variant_new_uint32(remote_port),
	    NULL));
}

void
pg_purple_ident_connect(void)
{
	PurplePlugin *irc = purple_plugins_find_with_id("prpl-irc");

	pg_purple_ident_fresh = g_hash_table_new(g_direct_hash, g_direct_equal);
	pg_purple_ident_reported = g_hash_table_new(g_direct_hash, g_direct_equal);
	pg_purple_ident_webirc_sent = g_hash_table_new(g_direct_hash, g_direct_equal);
	if (irc == NULL || !purple_plugin_is_loaded(irc))
		return;
	purple_signal_connect(purple_connections_get_handle(), "signing-on",
			      &pg_purple_ident_handle,
			      PURPLE_CALLBACK(pg_purple_ident_signing_on_cb), NULL);
	purple_signal_connect(purple_connections_get_handle(), "signing-off",
			      &pg_purple_ident_handle,
			      PURPLE_CALLBACK(pg_purple_ident_signing_off_cb), NULL);
	purple_signal_connect(purple_connections_get_handle(), "signed-on",
			      &pg_purple_ident_handle,
			      PURPLE_CALLBACK(pg_purple_ident_signed_on_cb), NULL);
	purple_signal_connect(irc, "irc-sending-text", &pg_purple_ident_handle,
			      PURPLE_CALLBACK(pg_purple_ident_sending_cb), NULL);
	purple_signal_connect(irc, "irc-receiving-text", &pg_purple_ident_handle,
			      PURPLE_CALLBACK(pg_purple_ident_receiving_cb), NULL);
}

void
pg_purple_ident_disconnect(void)
{
	purple_signals_disconnect_by_handle(&pg_purple_ident_handle);
	g_clear_pointer(&pg_purple_ident_fresh, g_hash_table_unref);
	g_clear_pointer(&pg_purple_ident_reported, g_hash_table_unref);
	g_clear_pointer(&pg_purple_ident_webirc_sent, g_hash_table_unref);
}
