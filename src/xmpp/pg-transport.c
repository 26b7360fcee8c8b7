/* Stanza routing for one transport.
 *
 * DESIGN: every stanza from the component connection lands in
 * pg_transport_stanza_cb().  IQs go by the namespace of their one payload
 * element (RFC 6120 §8.2.3: an IQ get/set contains exactly one payload
 * child) to a small table of handlers; anything else is answered with
 * service-unavailable, never ignored (RFC 6120 §8.4: "an entity that
 * receives an IQ request ... it does not understand MUST return an error").
 * Errors are never answered with errors (RFC 6120 §8.3.1).
 *
 * JID BOUNDARY: before any routing, pg_transport_check_addresses() parses
 * 'from' and 'to' once with the RFC 7622 parser (pg-jid.h) and checks that
 * 'to' is this transport's domain or a JID under it that names something on
 * this network.  What fails never reaches a handler, a session or another
 * transport's state; the handlers below get the parsed JIDs, never raw
 * strings to split.
 */
#define G_LOG_DOMAIN "pg-xmpp"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "network/pg-network.h"
#include "xmpp/pg-adhoc.h"
#include "stanza/pg-jid.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-transport-private.h"

typedef void (*PgTransportIqFunc)(PgTransport *self, xmpp_stanza_t *iq);

typedef struct {
	const gchar *ns;
	const gchar *name;
	PgTransportIqFunc func;
} PgTransportIqRoute;

static void
pg_transport_handle_ping(PgTransport *self, xmpp_stanza_t *iq)
{
	g_autoptr(xmpp_stanza_t) reply = NULL;

	/* XEP-0199 §4: ping is a get; a set is not defined */
	if (g_strcmp0(xmpp_stanza_get_type(iq), "get") != 0) {
		pg_transport_reply_error_code(self, iq, PG_ERROR_BAD_REQUEST,
					      "ping is an IQ of type get");
		return;
	}
	reply = pg_stanza_iq_result(iq);
	if (reply != NULL)
		pg_transport_send(self, reply);
}

static const PgTransportIqRoute pg_transport_iq_routes[] = {
    {.ns = PG_NS_DISCO_INFO, .name = "query", .func = pg_disco_handle_info},
    {.ns = PG_NS_DISCO_ITEMS, .name = "query", .func = pg_disco_handle_items},
    {.ns = PG_NS_PING, .name = "ping", .func = pg_transport_handle_ping},
    {.ns = PG_NS_COMMANDS, .name = "command", .func = pg_adhoc_handle_iq},
    {.ns = PG_NS_REGISTER, .name = "query", .func = pg_register_handle_iq},
    {.ns = PG_NS_GATEWAY, .name = "query", .func = pg_register_handle_gateway},
};

static xmpp_stanza_t *
pg_transport_iq_payload(xmpp_stanza_t *iq, guint *n_children)
{
	xmpp_stanza_t *payload = NULL;

	*n_children = 0;
	for (xmpp_stanza_t *child = xmpp_stanza_get_children(iq); child != NULL;
	     child = xmpp_stanza_get_next(child)) {
		if (!xmpp_stanza_is_tag(child))
			continue;
		if (payload == NULL)
			payload = child;
		(*n_children)++;
	}
	return payload;
}

static void
pg_transport_handle_iq(PgTransport *self, xmpp_stanza_t *iq, const PgJid *from, const PgJid *to)
{
	const gchar *type = xmpp_stanza_get_type(iq);
	xmpp_stanza_t *payload;
	guint n_children = 0;

	/* results and errors answer our own requests (pg-privilege.c) */
	if (g_strcmp0(type, "result") == 0 || g_strcmp0(type, "error") == 0) {
		pg_privilege_handle_answer(self, iq, from);
		return;
	}
	if (g_strcmp0(type, "get") != 0 && g_strcmp0(type, "set") != 0)
		return;
	payload = pg_transport_iq_payload(iq, &n_children);
	if (payload == NULL || n_children != 1) {
		pg_transport_reply_error_code(self, iq, PG_ERROR_BAD_REQUEST,
					      "an IQ get or set carries exactly one payload");
		return;
	}
	/* contacts and rooms belong to the sessions */
	if (to->local != NULL) {
		if (!pg_transport_delegate_stanza(self, iq, from, to))
			pg_transport_reply_error_code(self, iq, PG_ERROR_SERVICE_UNAVAILABLE, NULL);
		return;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(pg_transport_iq_routes); i++) {
		const PgTransportIqRoute *route = &pg_transport_iq_routes[i];
		if (g_strcmp0(xmpp_stanza_get_ns(payload), route->ns) == 0 &&
		    g_strcmp0(xmpp_stanza_get_name(payload), route->name) == 0) {
			route->func(self, iq);
			return;
		}
	}
	pg_transport_reply_error_code(self, iq, PG_ERROR_SERVICE_UNAVAILABLE, NULL);
}

static void
pg_transport_handle_message(PgTransport *self, xmpp_stanza_t *message, const PgJid *from,
			    const PgJid *to)
{
	/* XEP-0356 §4.2: the server's grants, taken only from the server */
	if (to->local == NULL && pg_privilege_handle_message(self, message, from))
		return;
	if (pg_transport_delegate_stanza(self, message, from, to))
		return;
	pg_transport_reply_error_code(self, message, PG_ERROR_SERVICE_UNAVAILABLE,
				      "this transport does not relay messages");
}

gboolean
pg_transport_check_addresses(const PgTransportConfig *transport, xmpp_stanza_t *stanza,
			     PgJid **from, PgJid **to, GError **error)
{
	const gchar *to_text = xmpp_stanza_get_to(stanza);
	g_autoptr(PgJid) from_jid = NULL;
	g_autoptr(PgJid) to_jid = NULL;

	/* no 'from': nobody to answer (the server stamps it on what users send) */
	if (xmpp_stanza_get_from(stanza) == NULL)
		return FALSE;
	from_jid = pg_jid_parse(xmpp_stanza_get_from(stanza), error);
	if (from_jid == NULL)
		return FALSE;
	/* RFC 6120 §8.1.1.1: no 'to' is the entity the stream is with, here
	 * the transport's own domain */
	to_jid = pg_jid_parse(to_text != NULL ? to_text : transport->jid, error);
	if (to_jid == NULL)
		return FALSE;
	/* Another domain's stanza (ejabberd's global_routes: true sends every
	 * component the stanzas of all of them): RFC 6120 §8.3.3.7, the
	 * addressed JID cannot be found here.  It never reaches a handler. */
	if (g_ascii_strcasecmp(to_jid->domain, transport->jid) != 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
			    "this is %s; the address is not on this gateway", transport->jid);
		return FALSE;
	}
	if (to_jid->local == NULL && to_jid->resource != NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
			    "%s has no resources; write to the bare domain", transport->jid);
		return FALSE;
	}
	/* a contact or room: its shape on this network (pg-jid.h) */
	if (to_jid->local != NULL && !pg_network_check_address(transport, to_jid, error))
		return FALSE;
	*from = g_steal_pointer(&from_jid);
	*to = g_steal_pointer(&to_jid);
	return TRUE;
}

static void
pg_transport_stanza_cb(PgComponent *component, xmpp_stanza_t *stanza, gpointer user_data)
{
	PgTransport *self = user_data;
	const gchar *name = xmpp_stanza_get_name(stanza);
	g_autoptr(PgJid) from = NULL;
	g_autoptr(PgJid) to = NULL;
	g_autoptr(GError) error = NULL;

	if (g_strcmp0(name, "iq") != 0 && g_strcmp0(name, "presence") != 0 &&
	    g_strcmp0(name, "message") != 0)
		return; /* e.g. the handshake reply; nothing to answer */
	if (self->tap.stanza != NULL && self->tap.stanza(self, stanza, self->tap_data))
		return;
	if (!pg_transport_check_addresses(self->transport, stanza, &from, &to, &error)) {
		if (error == NULL)
			return;
		g_debug("%s: refused a <%s/>: %s", self->transport->jid, name, error->message);
		/* an IQ result answers nothing (RFC 6120 §8.2.3); an error of
		 * type error is dropped in pg_transport_reply_error() (§8.3.1) */
		if (g_strcmp0(name, "iq") == 0 &&
		    g_strcmp0(xmpp_stanza_get_type(stanza), "result") == 0)
			return;
		pg_transport_reply_error(self, stanza, error);
		return;
	}
	if (g_strcmp0(name, "iq") == 0)
		pg_transport_handle_iq(self, stanza, from, to);
	else if (g_strcmp0(name, "presence") == 0)
		pg_register_handle_presence(self, stanza, from, to);
	else
		pg_transport_handle_message(self, stanza, from, to);
}

void
pg_transport_receive(PgTransport *self, xmpp_stanza_t *stanza)
{
	pg_transport_stanza_cb(self->component, stanza, self);
}

static void
pg_transport_state_cb(PgComponent *component, gboolean connected, gpointer user_data)
{
	PgTransport *self = user_data;
	if (connected)
		g_info("%s: ready", self->transport->jid);
	/* whoever saw us before may have missed our going away */
	g_hash_table_remove_all(self->shown);
	g_hash_table_remove_all(self->subscribers);
	pg_privilege_on_stream(self);
	if (self->delegate.connected != NULL)
		self->delegate.connected(self, connected, self->delegate_data);
	if (self->tap.connected != NULL)
		self->tap.connected(self, connected, self->tap_data);
}

static void
pg_transport_congested_cb(PgComponent *component, gboolean congested, gpointer user_data)
{
	PgTransport *self = user_data;
	if (self->delegate.congested != NULL)
		self->delegate.congested(self, congested, self->delegate_data);
}

static const PgComponentCallbacks pg_transport_component_callbacks = {
    .stanza = pg_transport_stanza_cb,
    .state = pg_transport_state_cb,
    .congested = pg_transport_congested_cb,
};

PgTransport *
pg_transport_new(const PgConfig *config, const PgTransportConfig *transport_config,
		 PgRegistry *registry)
{
	PgTransport *self = g_new0(PgTransport, 1);
	self->config = config;
	self->transport = transport_config;
	self->registry = registry;
	self->adhoc = pg_adhoc_new();
	self->shown = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    (GDestroyNotify)g_hash_table_unref);
	self->subscribers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	pg_privilege_init(self);
	pg_adhoc_add_builtin_commands(self);
	self->component =
	    pg_component_new(transport_config->jid, transport_config->secret, config->xmpp_host,
			     config->xmpp_port, &pg_transport_component_callbacks, self);
	return self;
}

void
pg_transport_start(PgTransport *self)
{
	pg_component_start(self->component);
}

void
pg_transport_stop(PgTransport *self, guint timeout_ms)
{
	pg_component_stop(self->component, timeout_ms);
}

void
pg_transport_free(PgTransport *self)
{
	if (self == NULL)
		return;
	pg_component_free(self->component);
	pg_privilege_finalize(self);
	pg_adhoc_free(self->adhoc);
	g_hash_table_unref(self->shown);
	g_hash_table_unref(self->subscribers);
	g_free(self);
}

