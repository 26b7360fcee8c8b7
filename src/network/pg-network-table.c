/* Which driver serves a transport type (pg-network.h): the one table of
 * networks.  Adding a network is a driver file and a line here. */
#define G_LOG_DOMAIN "pg-network"

#include "config.h"

#include "core/pg-error.h"
#include "network/pg-network-private.h"

const PgNetwork *
pg_network_for(PgTransportType type)
{
	static const PgNetwork *const networks[] = {
	    [PG_TRANSPORT_TYPE_IRC] = &pg_network_irc,
	    [PG_TRANSPORT_TYPE_SMS] = &pg_network_sms,
	    [PG_TRANSPORT_TYPE_PURPLE] = &pg_network_purple,
	};

	if ((gsize)type >= G_N_ELEMENTS(networks) || networks[type] == NULL)
		return &pg_network_purple;
	return networks[type];
}

gchar *
pg_network_jid_from_legacy_id(const PgTransportConfig *transport, const gchar *legacy_id,
			      GError **error)
{
	g_autofree gchar *trimmed = g_strstrip(g_strdup(legacy_id != NULL ? legacy_id : ""));

	if (trimmed[0] == '\0') {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_JID_MALFORMED, "empty legacy ID");
		return NULL;
	}
	return pg_network_for(transport->type)->jid_from_legacy_id(transport, trimmed, error);
}

gboolean
pg_network_check_address(const PgTransportConfig *transport, const PgJid *jid, GError **error)
{
	return pg_network_for(transport->type)->check_address(transport, jid, error);
}
