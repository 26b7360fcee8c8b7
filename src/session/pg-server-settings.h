/* Per-server settings: XEP-0050 "configure" on a server's JID
 * (pg-server-settings.c).  Private to src/session/. */
#pragma once

#include "session/pg-session-private.h"

G_BEGIN_DECLS

/* Returns: (transfer full) the table of open settings sessions, for the
 * manager (PgSessionManager.server_settings). */
GHashTable *pg_server_settings_new(void);
/* An IQ to @server (is_server) from @user_jid: disco#items on the commands
 * node, or the configure command.  FALSE if not ours to answer. */
gboolean pg_server_settings_handle_iq(PgSessionManager *manager, PgTransport *transport,
				      xmpp_stanza_t *iq, const gchar *user_jid,
				      const PgNetworkAddress *server);

/* On a transport with a fixed server, the configure command on the
 * transport's own JID too (for that server). */
void pg_server_settings_add_command(PgSessionManager *self, PgTransport *transport);
void pg_server_settings_remove_command(PgTransport *transport);

G_END_DECLS
