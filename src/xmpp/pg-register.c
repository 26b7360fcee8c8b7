/* XEP-0077 in-band registration, XEP-0100 gateway interaction, and the
 * transport's presence subscription with each registered user.
 *
 * DESIGN
 * The fields a user fills in, how each is checked and the form are the
 * transport's network driver's (network/pg-network.h).  A registration is offered both as a XEP-0004 data form and
 * as XEP-0077 legacy fields, for old clients.  Secrets (passwords) go
 * straight from the parsed stanza into PgSecret and from there into the
 * registry, which seals them; the form's value table wipes its copies.  No
 * log line here prints a field value; the stanza log of libstrophe is
 * filtered in pg-stanza.c.
 *
 * Errors (XEP-0077 §3.1, §3.2; RFC 6120 §8.3.3):
 *   required field missing/empty, value invalid   -> not-acceptable
 *   wrong FORM_TYPE, not 'submit', nothing usable  -> bad-request
 *   SMS number not E.164                           -> jid-malformed
 *   user's domain not served by this transport     -> forbidden
 *   number already registered by someone else      -> conflict
 *   <remove/> not alone                            -> bad-request
 *   <remove/> from an unregistered user            -> registration-required
 */
#define G_LOG_DOMAIN "pg-xmpp"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "network/pg-network.h"
#include "registry/pg-account.h"
#include "stanza/pg-form.h"
#include "stanza/pg-jid.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-transport-private.h"

/* The fields, their checks and the form are the network driver's
 * (network/pg-network.h): this file knows no network. */
static const PgNetwork *
pg_register_network(PgTransport *self)
{
	return pg_network_for(self->transport->type);
}

/* Who is asking: the bare JID, after checking the domain is served here. */
static gchar *
pg_register_requester(PgTransport *self, xmpp_stanza_t *stanza, GError **error)
{
	g_autoptr(PgJid) from = pg_jid_parse(xmpp_stanza_get_from(stanza), NULL);

	if (from == NULL || from->local == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_FORBIDDEN,
				    "only user accounts can register with this gateway");
		return NULL;
	}
	if (!pg_transport_config_allows_domain(self->transport, from->domain)) {
		g_set_error(error, PG_ERROR, PG_ERROR_FORBIDDEN,
			    "this gateway does not serve users of %s", from->domain);
		return NULL;
	}
	return g_strdup(from->bare);
}

static void
pg_register_handle_get(PgTransport *self, xmpp_stanza_t *iq, const gchar *user_jid)
{
	const PgNetwork *network = pg_register_network(self);
	g_autoptr(xmpp_stanza_t) reply = pg_stanza_iq_result(iq);
	g_autoptr(PgForm) form = NULL;
	g_autoptr(xmpp_stanza_t) x = NULL;
	g_autoptr(PgAccount) account = NULL;
	g_autoptr(GError) error = NULL;
	const PgNetworkField *fields;
	xmpp_stanza_t *query;
	gsize n_fields = 0;

	if (reply == NULL)
		return;
	account = pg_registry_get_account(self->registry, self->transport->jid, user_jid, &error);
	if (account == NULL && !g_error_matches(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND)) {
		pg_transport_reply_error(self, iq, error);
		return;
	}
	query = pg_stanza_add_child(reply, "query", PG_NS_REGISTER);
	/* XEP-0077 §3.1: an already registered entity gets an empty <registered/>
	 * and SHOULD see its current registration data */
	if (account != NULL)
		pg_stanza_add_child(query, "registered", NULL);
	pg_stanza_add_text_child(query, "instructions", network->register_instructions);

	fields = network->register_fields(self->transport, &n_fields);
	for (gsize i = 0; i < n_fields; i++) {
		const gchar *value = NULL;
		if (!fields[i].legacy)
			continue;
		if (account != NULL && !fields[i].secret)
			value = fields[i].legacy_id ? account->legacy_id
						    : pg_account_get_setting(account, fields[i].var);
		pg_stanza_add_text_child(query, fields[i].var, value);
	}
	form = network->register_form(network, self->transport, account);
	x = pg_form_to_stanza(form, pg_transport_get_ctx(self));
	xmpp_stanza_add_child(query, x);
	pg_transport_send(self, reply);
}

/* Collect the submitted values: the data form if there is one (XEP-0077 §4),
 * else the legacy elements.  Returns: (transfer full) var -> value, wiped on
 * destroy. */
static GHashTable *
pg_register_collect(PgTransport *self, xmpp_stanza_t *query, GError **error)
{
	xmpp_stanza_t *x = xmpp_stanza_get_child_by_ns(query, PG_NS_DATA);
	g_autoptr(GHashTable) values = NULL;
	const PgNetworkField *fields;
	gsize n_fields = 0;
	gboolean any = FALSE;

	if (x != NULL)
		return pg_form_parse_submit(x, PG_NS_REGISTER, error);

	values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				       (GDestroyNotify)pg_secret_wipe_string);
	fields = pg_register_network(self)->register_fields(self->transport, &n_fields);
	for (gsize i = 0; i < n_fields; i++) {
		gchar *text;
		if (!fields[i].legacy || xmpp_stanza_get_child_by_name(query, fields[i].var) == NULL)
			continue;
		text = pg_stanza_get_child_text(query, fields[i].var);
		g_hash_table_insert(values, g_strdup(fields[i].var),
				    text != NULL ? text : g_strdup(""));
		any = TRUE;
	}
	if (!any) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "the registration carries neither a data form nor any of "
				    "the fields of this transport");
		return NULL;
	}
	return g_steal_pointer(&values);
}

static void
pg_register_send_presence(PgTransport *self, const gchar *to, const gchar *type)
{
	g_autoptr(xmpp_stanza_t) presence = xmpp_presence_new(pg_transport_get_ctx(self));
	if (type != NULL)
		xmpp_stanza_set_type(presence, type);
	xmpp_stanza_set_to(presence, to);
	xmpp_stanza_set_from(presence, self->transport->jid);
	pg_transport_send(self, presence);
}

static void
pg_register_handle_remove(PgTransport *self, xmpp_stanza_t *iq, xmpp_stanza_t *query,
			  const gchar *user_jid)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(xmpp_stanza_t) reply = NULL;
	guint n_children = 0;

	for (xmpp_stanza_t *child = xmpp_stanza_get_children(query); child != NULL;
	     child = xmpp_stanza_get_next(child)) {
		if (xmpp_stanza_is_tag(child))
			n_children++;
	}
	/* XEP-0077 §3.2: <remove/> MUST be the only child of <query/> */
	if (n_children != 1) {
		pg_transport_reply_error_code(self, iq, PG_ERROR_BAD_REQUEST,
					      "<remove/> must be the only element of the query");
		return;
	}
	if (!pg_registry_remove_account(self->registry, self->transport->jid, user_jid, &error)) {
		if (g_error_matches(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND))
			pg_transport_reply_error_code(self, iq, PG_ERROR_REGISTRATION_REQUIRED,
						      "you are not registered with this gateway");
		else
			pg_transport_reply_error(self, iq, error);
		return;
	}
	g_message("%s: %s unregistered", self->transport->jid, user_jid);
	g_hash_table_remove(self->subscribers, user_jid);
	g_hash_table_remove(self->shown, user_jid);
	if (self->delegate.unregistered != NULL)
		self->delegate.unregistered(self, user_jid, self->delegate_data);
	reply = pg_stanza_iq_result(iq);
	if (reply != NULL)
		pg_transport_send(self, reply);
	/* XEP-0100 §4.3: the gateway ends both directions of the subscription */
	pg_register_send_presence(self, user_jid, "unsubscribe");
	pg_register_send_presence(self, user_jid, "unsubscribed");
	pg_register_send_presence(self, user_jid, "unavailable");
}

static void
pg_register_handle_set(PgTransport *self, xmpp_stanza_t *iq, xmpp_stanza_t *query,
		       const gchar *user_jid)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GHashTable) values = NULL;
	const PgNetwork *network = pg_register_network(self);
	g_autoptr(PgAccount) account = NULL;
	g_autoptr(xmpp_stanza_t) reply = NULL;
	gboolean created = FALSE;

	if (xmpp_stanza_get_child_by_name(query, "remove") != NULL) {
		pg_register_handle_remove(self, iq, query, user_jid);
		return;
	}
	values = pg_register_collect(self, query, &error);
	if (values == NULL) {
		pg_transport_reply_error(self, iq, error);
		return;
	}
	account = network->register_read(network, self->transport, user_jid, values, &error);
	g_clear_pointer(&values, g_hash_table_unref); /* wipes the submitted passwords */
	if (account == NULL) {
		pg_transport_reply_error(self, iq, error);
		return;
	}
	/* e.g. an SMS number routes inbound texts: it can belong to one user only */
	if (network->register_check != NULL &&
	    !network->register_check(self->transport, self->registry, account, &error)) {
		pg_transport_reply_error(self, iq, error);
		return;
	}
	/* the form holds the registration's own fields; what the user set
	 * elsewhere (per-server configure) and what the plugin saved stay */
	{
		g_autoptr(PgAccount) old =
		    pg_registry_get_account(self->registry, account->transport, user_jid, NULL);
		if (old != NULL)
			pg_account_keep_from(account, old);
	}
	if (!pg_registry_put_account(self->registry, account, &created, &error)) {
		pg_transport_reply_error(self, iq, error);
		return;
	}
	g_message("%s: %s %s", self->transport->jid, user_jid,
		  created ? "registered" : "updated their registration");
	reply = pg_stanza_iq_result(iq);
	if (reply != NULL)
		pg_transport_send(self, reply);
	/* XEP-0100 §4.1.1: after registering, the gateway asks for the user's presence */
	if (created)
		pg_register_send_presence(self, user_jid, "subscribe");
}

void
pg_register_handle_iq(PgTransport *self, xmpp_stanza_t *iq)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *user_jid = pg_register_requester(self, iq, &error);
	xmpp_stanza_t *query = xmpp_stanza_get_child_by_ns(iq, PG_NS_REGISTER);

	if (user_jid == NULL) {
		pg_transport_reply_error(self, iq, error);
		return;
	}
	if (g_strcmp0(xmpp_stanza_get_type(iq), "get") == 0)
		pg_register_handle_get(self, iq, user_jid);
	else
		pg_register_handle_set(self, iq, query, user_jid);
}

void
pg_register_handle_gateway(PgTransport *self, xmpp_stanza_t *iq)
{
	g_autoptr(xmpp_stanza_t) reply = NULL;
	g_autoptr(GError) error = NULL;
	xmpp_stanza_t *query;

	reply = pg_stanza_iq_result(iq);
	if (reply == NULL)
		return;
	if (g_strcmp0(xmpp_stanza_get_type(iq), "get") == 0) {
		/* XEP-0100 §6.3.1: a description and the prompt */
		query = pg_stanza_add_child(reply, "query", PG_NS_GATEWAY);
		pg_stanza_add_text_child(query, "desc",
					 "Enter the contact's address on the legacy network.");
		pg_stanza_add_text_child(query, "prompt", pg_register_network(self)->gateway_prompt);
	} else {
		/* XEP-0100 §6.3.2: the prompt in, the JID out (also as <prompt/>
		 * for clients written against earlier versions) */
		g_autofree gchar *legacy_id = pg_stanza_get_child_text(
		    xmpp_stanza_get_child_by_ns(iq, PG_NS_GATEWAY), "prompt");
		g_autofree gchar *jid = NULL;

		if (legacy_id == NULL) {
			pg_transport_reply_error_code(self, iq, PG_ERROR_BAD_REQUEST,
						      "a <prompt/> with the legacy address is needed");
			return;
		}
		jid = pg_network_jid_from_legacy_id(self->transport, legacy_id, &error);
		if (jid == NULL) {
			pg_transport_reply_error(self, iq, error);
			return;
		}
		query = pg_stanza_add_child(reply, "query", PG_NS_GATEWAY);
		pg_stanza_add_text_child(query, "jid", jid);
		pg_stanza_add_text_child(query, "prompt", jid);
	}
	pg_transport_send(self, reply);
}

/* Whether the transport should show itself available in answer to the
 * available presence of @from, a registered user's resource.
 *
 * WHY: a client that logs in makes its server broadcast its presence to
 * the transport (RFC 6121 §4.2.2) and probe the transport (§4.3.1: for
 * every contact the user is subscribed to), and many clients send their
 * presence again as caps, avatar or status settle; answering each of
 * these showed the transport available 4-5 times per login (issue 9).
 * So a resource that has seen us gets no second answer, and a user known
 * to be subscribed to us (they asked, or their server probed) gets their
 * answer from the probe alone.  Probes are always answered (§4.3.2).
 * Both sets start empty when the component connects. */
static gboolean
pg_register_should_show(PgTransport *self, const PgJid *from)
{
	GHashTable *resources = g_hash_table_lookup(self->shown, from->bare);

	if (resources == NULL) {
		resources = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_hash_table_insert(self->shown, g_strdup(from->bare), resources);
	}
	if (!g_hash_table_add(resources, g_strdup(from->full)))
		return FALSE;
	return !g_hash_table_contains(self->subscribers, from->bare);
}

/* @from went unavailable (the bare JID: all of the user's resources). */
static void
pg_register_forget_shown(PgTransport *self, const PgJid *from)
{
	GHashTable *resources = g_hash_table_lookup(self->shown, from->bare);

	if (resources == NULL)
		return;
	if (from->resource != NULL)
		g_hash_table_remove(resources, from->full);
	if (from->resource == NULL || g_hash_table_size(resources) == 0)
		g_hash_table_remove(self->shown, from->bare);
}

/* Presence to the transport's own domain: subscriptions (RFC 6121 §3) and
 * probes (RFC 6121 §4.3).  A registered user is a subscriber both ways. */
void
pg_register_handle_presence(PgTransport *self, xmpp_stanza_t *presence, const PgJid *from,
			    const PgJid *to)
{
	const gchar *type = xmpp_stanza_get_type(presence);
	g_autoptr(GError) error = NULL;
	const gchar *user_jid = from->bare;
	g_autoptr(PgAccount) account = NULL;

	if (to->local != NULL) {
		/* presence to legacy contacts and rooms: the sessions' business */
		pg_transport_delegate_stanza(self, presence, from, to);
		return;
	}
	if (g_strcmp0(type, "error") == 0)
		return;
	account = pg_registry_get_account(self->registry, self->transport->jid, user_jid, &error);

	if (g_strcmp0(type, "subscribe") == 0) {
		/* RFC 6121 §3.1.4: approve for registered users, refuse others */
		pg_register_send_presence(self, user_jid, account != NULL ? "subscribed"
									  : "unsubscribed");
		if (account != NULL) {
			g_hash_table_add(self->subscribers, g_strdup(user_jid));
			pg_register_send_presence(self, user_jid, NULL);
		}
	} else if (g_strcmp0(type, "probe") == 0) {
		/* RFC 6121 §4.3.2: a non-subscriber learns unsubscribed; a
		 * subscriber gets the current presence */
		if (account != NULL)
			g_hash_table_add(self->subscribers, g_strdup(user_jid));
		pg_register_send_presence(self, user_jid, account != NULL ? NULL : "unsubscribed");
	} else if (g_strcmp0(type, "unsubscribe") == 0 || g_strcmp0(type, "unsubscribed") == 0) {
		/* the user ended the subscription; the registration stays until <remove/> */
		g_hash_table_remove(self->subscribers, user_jid);
		if (account != NULL)
			g_info("%s: %s sent %s", self->transport->jid, user_jid, type);
	} else if (type == NULL && account != NULL) {
		/* the user is online: the transport shows itself online to them
		 * (once: pg_register_should_show() says why), and their session
		 * may start */
		if (pg_register_should_show(self, from))
			pg_register_send_presence(self, user_jid, NULL);
		pg_transport_delegate_stanza(self, presence, from, to);
	} else if (g_strcmp0(type, "unavailable") == 0) {
		pg_register_forget_shown(self, from);
		pg_transport_delegate_stanza(self, presence, from, to);
	}
}
