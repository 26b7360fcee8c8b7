/* XEP-0030 service discovery on a transport's domain. */
#define G_LOG_DOMAIN "pg-xmpp"

#include "config.h"

#include "core/pg-error.h"
#include "network/pg-network.h"
#include "xmpp/pg-adhoc.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-transport-private.h"

static const gchar *const pg_disco_features[] = {
    PG_NS_DISCO_INFO, PG_NS_DISCO_ITEMS, PG_NS_REGISTER, PG_NS_GATEWAY, PG_NS_PING,
    PG_NS_COMMANDS,
};

void
pg_disco_handle_info(PgTransport *self, xmpp_stanza_t *iq)
{
	g_autoptr(xmpp_stanza_t) reply = NULL;
	xmpp_stanza_t *query;
	xmpp_stanza_t *request = xmpp_stanza_get_child_by_ns(iq, PG_NS_DISCO_INFO);
	xmpp_stanza_t *identity;

	if (g_strcmp0(xmpp_stanza_get_type(iq), "get") != 0) {
		pg_transport_reply_error_code(self, iq, PG_ERROR_BAD_REQUEST,
					      "disco#info is an IQ of type get");
		return;
	}
	/* XEP-0030 §3.1: the only nodes on the transport are XEP-0050's */
	if (xmpp_stanza_get_attribute(request, "node") != NULL) {
		reply = pg_adhoc_disco_info_reply(self, iq,
						  xmpp_stanza_get_attribute(request, "node"));
		if (reply != NULL)
			pg_transport_send(self, reply);
		return;
	}
	reply = pg_stanza_iq_result(iq);
	if (reply == NULL)
		return;
	query = pg_stanza_add_child(reply, "query", PG_NS_DISCO_INFO);
	identity = pg_stanza_add_child(query, "identity", NULL);
	xmpp_stanza_set_attribute(identity, "category", "gateway");
	/* XEP-0100 §5: the network's type of the "gateway" category */
	xmpp_stanza_set_attribute(identity, "type",
				  pg_network_for(self->transport->type)->disco_type(self->transport));
	xmpp_stanza_set_attribute(identity, "name", self->transport->display_name);
	for (gsize i = 0; i < G_N_ELEMENTS(pg_disco_features); i++) {
		xmpp_stanza_t *feature = pg_stanza_add_child(query, "feature", NULL);
		xmpp_stanza_set_attribute(feature, "var", pg_disco_features[i]);
	}
	pg_transport_send(self, reply);
}

void
pg_disco_handle_items(PgTransport *self, xmpp_stanza_t *iq)
{
	g_autoptr(xmpp_stanza_t) reply = NULL;
	xmpp_stanza_t *request = xmpp_stanza_get_child_by_ns(iq, PG_NS_DISCO_ITEMS);

	if (g_strcmp0(xmpp_stanza_get_type(iq), "get") != 0) {
		pg_transport_reply_error_code(self, iq, PG_ERROR_BAD_REQUEST,
					      "disco#items is an IQ of type get");
		return;
	}
	/* XEP-0050 §2.1: the commands node lists the ad-hoc commands */
	if (xmpp_stanza_get_attribute(request, "node") != NULL) {
		reply = pg_adhoc_disco_items_reply(self, iq,
						   xmpp_stanza_get_attribute(request, "node"));
		if (reply != NULL)
			pg_transport_send(self, reply);
		return;
	}
	reply = pg_stanza_iq_result(iq);
	if (reply == NULL)
		return;
	pg_stanza_add_child(reply, "query", PG_NS_DISCO_ITEMS);
	pg_transport_send(self, reply);
}
