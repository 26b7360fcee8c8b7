/* XEP-0356 privileges, and the IQs the transport itself asks.
 *
 * DESIGN: a server that makes the component a privileged entity says so in
 * a <message/> right after the handshake (XEP-0356 §4.2, "Server
 * Advertises Entity Of Allowed Permission"), one per host that grants it:
 *   <message from='example.org' to='xmpp.example.org'>
 *     <privilege xmlns='urn:xmpp:privilege:2'>
 *       <perm access='roster' type='both'/>
 * Debian 12's prosody-modules (mod_privilege, hg 2023-02-23) speaks
 * urn:xmpp:privilege:2; ejabberd 23.01 speaks urn:xmpp:privilege:1.  The
 * <perm access='roster'/> element is the same in both, so both are taken.
 * The grant is kept per granting domain: the roster of alice@example.org
 * may be read or written when example.org said so.  Grants last as long as
 * the stream: a new stream gets new advertisements, so they are forgotten
 * whenever the component connects or goes.
 *
 * TRUST: only the server may grant.  A <privilege/> is taken only from a
 * bare domain (no local part, no resource) that this transport serves by
 * name: one listed in allowed_domains, or the parent domain of the
 * component's JID (a "*" names nobody).  A user's client cannot send from
 * a bare domain (RFC 6120 §8.1.2.1: the server stamps the user's own JID),
 * so a <privilege/> from a user is a forgery: it is answered with
 * forbidden and changes nothing.  One from another host is ignored.
 *
 * IQs: the session layer asks the user's server (roster get/set, XEP-0356
 * §4.3) and the user's clients (disco#info, for XEP-0144) through
 * pg_transport_send_iq().  An answer is taken only when it comes from the
 * JID the IQ went to, with the id we gave it (RFC 6120 §8.2.3); anything
 * else is dropped as the stray result it is.  Pending IQs are bounded; each
 * has PG_PRIVILEGE_IQ_TIMEOUT_S to be answered.
 */
#define G_LOG_DOMAIN "pg-xmpp"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "stanza/pg-jid.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-transport-private.h"

#define PG_NS_PRIVILEGE_1 "urn:xmpp:privilege:1"
#define PG_NS_PRIVILEGE_2 "urn:xmpp:privilege:2"

#define PG_PRIVILEGE_IQS_MAX      1024 /* our IQs waiting for an answer, per transport */
#define PG_PRIVILEGE_IQ_TIMEOUT_S 30

typedef struct {
	PgTransport *transport;
	gchar *id;
	gchar *to; /* the JID the IQ went to, as the parser writes it */
	PgTransportAnswerFunc func;
	gpointer user_data;
	GDestroyNotify destroy;
	gpointer owner; /* the delegate's data when it was sent */
	guint timeout_id;
} PgPrivilegeIq;

static void
pg_privilege_iq_free(PgPrivilegeIq *iq)
{
	g_clear_handle_id(&iq->timeout_id, g_source_remove);
	if (iq->destroy != NULL)
		iq->destroy(iq->user_data);
	g_free(iq->id);
	g_free(iq->to);
	g_free(iq);
}

void
pg_privilege_init(PgTransport *self)
{
	self->privileges = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->iqs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					  (GDestroyNotify)pg_privilege_iq_free);
}

/* Answer @iq (out of the table) with @reply, unless the layer that asked
 * is gone (pg_transport_set_delegate() changed it), then free it. */
static void
pg_privilege_iq_answer(PgTransport *self, PgPrivilegeIq *iq, xmpp_stanza_t *reply)
{
	if (iq->owner == self->delegate_data)
		iq->func(self, reply, iq->user_data);
	pg_privilege_iq_free(iq);
}

void
pg_privilege_finalize(PgTransport *self)
{
	g_clear_pointer(&self->iqs, g_hash_table_unref);
	g_clear_pointer(&self->privileges, g_hash_table_unref);
}

/* Every pending IQ gets no answer (NULL), each after it left the table: a
 * callback may send a new IQ. */
static void
pg_privilege_fail_all(PgTransport *self)
{
	g_autoptr(GList) ids = g_hash_table_get_keys(self->iqs);

	for (GList *l = ids; l != NULL; l = l->next) {
		gpointer key = NULL;
		gpointer value = NULL;
		PgPrivilegeIq *iq;

		if (!g_hash_table_steal_extended(self->iqs, l->data, &key, &value))
			continue;
		iq = value;
		pg_privilege_iq_answer(self, iq, NULL);
	}
}

void
pg_privilege_on_stream(PgTransport *self)
{
	g_hash_table_remove_all(self->privileges);
	pg_privilege_fail_all(self);
}

guint
pg_transport_roster_access(const PgTransport *self, const gchar *domain)
{
	g_autofree gchar *key = domain != NULL ? g_ascii_strdown(domain, -1) : NULL;

	if (key == NULL || self->privileges == NULL)
		return 0;
	return GPOINTER_TO_UINT(g_hash_table_lookup(self->privileges, key));
}

/* Whether @from is the XMPP server of a domain this transport serves by
 * name (see TRUST above). */
static gboolean
pg_privilege_from_server(PgTransport *self, const PgJid *from)
{
	const gchar *jid = self->transport->jid;
	const gchar *dot = strchr(jid, '.');
	gchar **domains = self->transport->allowed_domains;

	if (from->local != NULL || from->resource != NULL)
		return FALSE;
	if (dot != NULL && dot[1] != '\0' && g_ascii_strcasecmp(from->domain, dot + 1) == 0)
		return TRUE;
	for (guint i = 0; domains != NULL && domains[i] != NULL; i++)
		if (g_strcmp0(domains[i], "*") != 0 &&
		    g_ascii_strcasecmp(domains[i], from->domain) == 0)
			return TRUE;
	return FALSE;
}

/* The roster bits of one <perm access='roster' type='...'/> (XEP-0356 §4.1:
 * none | get | set | both). */
static guint
pg_privilege_roster_bits(const gchar *type)
{
	if (g_strcmp0(type, "get") == 0)
		return PG_TRANSPORT_ROSTER_GET;
	if (g_strcmp0(type, "set") == 0)
		return PG_TRANSPORT_ROSTER_SET;
	if (g_strcmp0(type, "both") == 0)
		return PG_TRANSPORT_ROSTER_GET | PG_TRANSPORT_ROSTER_SET;
	return 0;
}

gboolean
pg_privilege_handle_message(PgTransport *self, xmpp_stanza_t *message, const PgJid *from)
{
	xmpp_stanza_t *privilege =
	    xmpp_stanza_get_child_by_name_and_ns(message, "privilege", PG_NS_PRIVILEGE_2);
	guint bits = 0;

	if (privilege == NULL)
		privilege =
		    xmpp_stanza_get_child_by_name_and_ns(message, "privilege", PG_NS_PRIVILEGE_1);
	if (privilege == NULL)
		return FALSE;
	if (g_strcmp0(xmpp_stanza_get_type(message), "error") == 0)
		return TRUE;
	if (!pg_privilege_from_server(self, from)) {
		g_info("%s: a <privilege/> from %s, who is not our server, refused", self->transport->jid,
		       from->full);
		/* a server's host we do not serve (Prosody's mod_privilege loaded
		 * on every VirtualHost advertises from each) is ignored; anyone
		 * else is told */
		if (from->local != NULL || from->resource != NULL)
			pg_transport_reply_error_code(self, message, PG_ERROR_FORBIDDEN,
						      "only the XMPP server grants privileges");
		return TRUE;
	}
	for (xmpp_stanza_t *perm = xmpp_stanza_get_children(privilege); perm != NULL;
	     perm = xmpp_stanza_get_next(perm)) {
		if (xmpp_stanza_is_tag(perm) && g_strcmp0(xmpp_stanza_get_name(perm), "perm") == 0 &&
		    g_strcmp0(xmpp_stanza_get_attribute(perm, "access"), "roster") == 0)
			bits |= pg_privilege_roster_bits(xmpp_stanza_get_attribute(perm, "type"));
	}
	g_hash_table_replace(self->privileges, g_ascii_strdown(from->domain, -1),
			     GUINT_TO_POINTER(bits));
	g_message("%s: %s grants roster access: %s%s%s (XEP-0356, %s)", self->transport->jid,
		  from->domain, bits == 0 ? "none" : "",
		  (bits & PG_TRANSPORT_ROSTER_GET) != 0 ? "get " : "",
		  (bits & PG_TRANSPORT_ROSTER_SET) != 0 ? "set" : "", xmpp_stanza_get_ns(privilege));
	return TRUE;
}

static gboolean
pg_privilege_iq_timeout_cb(gpointer user_data)
{
	PgPrivilegeIq *iq = user_data;
	PgTransport *self = iq->transport;
	gpointer key = NULL;
	gpointer value = NULL;

	iq->timeout_id = 0;
	if (g_hash_table_steal_extended(self->iqs, iq->id, &key, &value)) {
		g_debug("%s: no answer from %s to IQ %s", self->transport->jid, iq->to, iq->id);
		pg_privilege_iq_answer(self, iq, NULL);
	}
	return G_SOURCE_REMOVE;
}

void
pg_transport_send_iq(PgTransport *self, xmpp_stanza_t *request, PgTransportAnswerFunc func,
		     gpointer user_data, GDestroyNotify destroy)
{
	g_autoptr(PgJid) to = pg_jid_parse(xmpp_stanza_get_to(request), NULL);
	PgPrivilegeIq *iq;

	if (to == NULL || g_hash_table_size(self->iqs) >= PG_PRIVILEGE_IQS_MAX) {
		g_warning("%s: an IQ to %s not sent: %s", self->transport->jid,
			  to != NULL ? to->full : "nobody",
			  to != NULL ? "too many wait for answers" : "no valid 'to'");
		func(self, NULL, user_data);
		if (destroy != NULL)
			destroy(user_data);
		return;
	}
	iq = g_new0(PgPrivilegeIq, 1);
	iq->transport = self;
	/* unguessable too: some servers keep a bare 'from' that a client
	 * sets, so a user's client could answer a roster get of its own */
	iq->id = g_strdup_printf("pg-iq-%u-%08x", ++self->iq_serial, g_random_int());
	iq->to = g_strdup(to->full);
	iq->func = func;
	iq->user_data = user_data;
	iq->destroy = destroy;
	iq->owner = self->delegate_data;
	iq->timeout_id = g_timeout_add_seconds(PG_PRIVILEGE_IQ_TIMEOUT_S, pg_privilege_iq_timeout_cb,
					       iq);
	xmpp_stanza_set_id(request, iq->id);
	g_hash_table_replace(self->iqs, iq->id, iq);
	pg_transport_send(self, request);
}

void
pg_privilege_handle_answer(PgTransport *self, xmpp_stanza_t *answer, const PgJid *from)
{
	const gchar *id = xmpp_stanza_get_id(answer);
	PgPrivilegeIq *iq = id != NULL ? g_hash_table_lookup(self->iqs, id) : NULL;
	gpointer key = NULL;
	gpointer value = NULL;

	/* RFC 6120 §8.2.3: the answer comes from whom we asked */
	if (iq == NULL || g_strcmp0(iq->to, from->full) != 0) {
		g_debug("%s: a stray IQ %s from %s dropped", self->transport->jid,
			xmpp_stanza_get_type(answer), from->full);
		return;
	}
	g_hash_table_steal_extended(self->iqs, id, &key, &value);
	pg_privilege_iq_answer(self, iq, answer);
}
