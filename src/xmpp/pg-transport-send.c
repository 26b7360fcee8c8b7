/* The transport's face to its handlers: what registration, ad-hoc
 * commands, disco and the sessions use to answer and to send (send,
 * stanza errors per RFC 6120 §8.3, the delegate, accessors).  Routing of
 * what arrives is pg-transport.c's; keeping the two apart lets the
 * handlers it routes to stand on this file without a circle.
 */
#define G_LOG_DOMAIN "pg-xmpp"

#include "config.h"

#include "core/pg-error.h"
#include "stanza/pg-jid.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-transport-private.h"

void
pg_transport_set_send_func(PgTransport *self, PgTransportSendFunc func, gpointer user_data)
{
	self->send_func = func;
	self->send_data = user_data;
}

gboolean
pg_transport_delegate_stanza(PgTransport *self, xmpp_stanza_t *stanza, const PgJid *from,
			     const PgJid *to)
{
	if (self->delegate.stanza == NULL)
		return FALSE;
	return self->delegate.stanza(self, stanza, from, to, self->delegate_data);
}

void
pg_transport_set_delegate(PgTransport *self, const PgTransportDelegate *delegate,
			  gpointer user_data)
{
	self->delegate = *delegate;
	self->delegate_data = user_data;
}

void
pg_transport_set_tap(PgTransport *self, const PgTransportTap *tap, gpointer user_data)
{
	PgTransportTap none = {0};

	self->tap = tap != NULL ? *tap : none;
	self->tap_data = user_data;
}

const PgTransportConfig *
pg_transport_get_config(const PgTransport *self)
{
	return self->transport;
}

PgRegistry *
pg_transport_get_registry(const PgTransport *self)
{
	return self->registry;
}

gboolean
pg_transport_is_connected(const PgTransport *self)
{
	return pg_component_is_connected(self->component);
}

gboolean
pg_transport_is_congested(const PgTransport *self)
{
	return pg_component_is_congested(self->component);
}

const gchar *
pg_transport_get_jid(const PgTransport *self)
{
	return self->transport->jid;
}

xmpp_ctx_t *
pg_transport_get_ctx(PgTransport *self)
{
	return pg_component_get_ctx(self->component);
}

void
pg_transport_send(PgTransport *self, xmpp_stanza_t *stanza)
{
	if (xmpp_stanza_get_from(stanza) == NULL)
		xmpp_stanza_set_from(stanza, self->transport->jid);
	if (self->send_func != NULL) {
		self->send_func(self, stanza, self->send_data);
		return;
	}
	pg_component_send(self->component, stanza);
}

void
pg_transport_reply_error(PgTransport *self, xmpp_stanza_t *request, const GError *error)
{
	g_autoptr(xmpp_stanza_t) reply = NULL;

	if (g_strcmp0(xmpp_stanza_get_type(request), "error") == 0)
		return; /* RFC 6120 §8.3.1: never answer an error with an error */
	reply = pg_stanza_error_reply(request, error);
	if (reply == NULL)
		return;
	/* The reply comes from the request's 'to', in its canonical form (a
	 * lowercase domain without a final dot).  When that is malformed or
	 * another domain's, it comes from ours instead: the server would close
	 * the component stream over a 'from' outside its domain (XEP-0114 §3.1
	 * leaves it to the server; Prosody's validate_from_addresses does, and
	 * compares the domain as a plain string). */
	{
		g_autoptr(PgJid) reply_from = pg_jid_parse(xmpp_stanza_get_from(reply), NULL);
		if (reply_from == NULL ||
		    g_ascii_strcasecmp(reply_from->domain, self->transport->jid) != 0)
			xmpp_stanza_set_from(reply, self->transport->jid);
		else if (g_strcmp0(reply_from->full, xmpp_stanza_get_from(reply)) != 0)
			xmpp_stanza_set_from(reply, reply_from->full);
	}
	pg_transport_send(self, reply);
}

void
pg_transport_reply_error_code(PgTransport *self, xmpp_stanza_t *request, gint code,
			      const gchar *text)
{
	g_autoptr(GError) error = NULL;

	if (text != NULL)
		error = g_error_new_literal(PG_ERROR, code, text);
	else
		error = g_error_new_literal(PG_ERROR, code, "");
	pg_transport_reply_error(self, request, error);
}
