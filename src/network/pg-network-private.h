/* What the drivers of src/network/ share.  Private to src/network/. */
#pragma once

#include "network/pg-network.h"

G_BEGIN_DECLS

/* The drivers (pg-network-table.c hands them out). */
extern const PgNetwork pg_network_purple;
extern const PgNetwork pg_network_irc;
extern const PgNetwork pg_network_sms;

/* A contact JID on a network where contacts are bare JIDs: a local part,
 * no resource.  FALSE with PG_ERROR_JID_MALFORMED or PG_ERROR_ITEM_NOT_FOUND.
 */
gboolean pg_network_check_bare_contact(const PgJid *jid, GError **error);
/* Returns: (transfer full) a contact address of @name (transfer full) with no
 * server. */
PgNetworkAddress *pg_network_contact_address(gchar *name);
/* The value @field shows a registered user: none for a secret. */
const gchar *pg_network_field_value(const PgNetworkField *field, const PgAccount *account);
/* The generic part of classify_disconnect: @fatal, or a refusal of our
 * credentials or of us on a link that never came up, is final. */
PgNetworkVerdict pg_network_classify_refusal(const gchar *reason, gboolean fatal,
					     gboolean was_connected);
/* Returns: (transfer full) the PG_IPC_CMD_LOGIN message (ipc/pg-ipc-message.h);
 * @options is consumed if floating, @pin (nullable) borrowed. */
PgIpcMessage *pg_network_login_message(const PgNetworkLogin *login, const gchar *protocol,
				       const gchar *username, const PgSecret *password,
				       const PgSecret *identify, GVariant *options, GVariant *pin);
/* The same with the login's optional fields (nullable): @cert_sha256 the
 * pinned certificate, @after_connect the IRC lines to send once signed on. */
PgIpcMessage *pg_network_login_message_full(const PgNetworkLogin *login, const gchar *protocol,
					    const gchar *username, const PgSecret *password,
					    const PgSecret *identify, GVariant *options,
					    GVariant *pin, const gchar *cert_sha256,
					    const PgSecret *after_connect);

/* The generic libpurple driver's parts that IRC and SMS reuse. */
PgNetworkVerdict pg_network_purple_classify_disconnect(guint *link_flags, const gchar *reason,
						       gboolean fatal, gboolean was_connected);

G_END_DECLS
