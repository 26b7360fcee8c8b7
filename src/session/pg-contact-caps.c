/* What a legacy contact can do, as XMPP clients learn it: XEP-0030
 * disco#info on the contact's JID, and XEP-0115 entity capabilities on its
 * presence, so a client can tell without asking each contact.
 *
 * DESIGN: every contact of a transport answers the same identity and
 * features, those of what the gateway does for it, not of whatever client
 * the buddy runs on the legacy side (which the plugin does not tell).  So
 * one verification string serves all of them, and a client that disco'ed
 * one contact has them all in its caps cache.  The identity has no name:
 * XEP-0115 §5.1 hashes the name too, and a name per contact would give each
 * contact its own string for nothing (the nickname travels with XEP-0172).
 *
 * Identity: category client, type pc (XEP-0030 registry), as spectrum2 and
 * slidge give legacy contacts: the user talks to a person's client, and
 * "gateway" is the transport's own identity (pg-disco.c).
 *
 * Features: only what the gateway really does for a contact of the
 * transport (src/network/pg-network.h says which):
 *   - http://jabber.org/protocol/disco#info, always;
 *   - http://jabber.org/protocol/chatstates (XEP-0085) on networks with a
 *     buddy list whose plugin sends typing (send_typing in its protocol
 *     info): the daemon maps chat states onto the plugin's typing both
 *     ways (pg-contacts.c, backends/purple/pg-purple-chatstate.c).  A
 *     plugin without it (prpl-bonjour, prpl-irc, the SMS plugin) would
 *     take them for nothing, so its contacts do not claim them and the
 *     user's are not forwarded;
 *   - urn:xmpp:receipts (XEP-0184) where the worker can carry a real
 *     receipt both ways (prpl-jabber: pg-receipts.c).  §6: an entity that
 *     supports it "MUST" say so, and one that does not must not: no other
 *     libpurple 2.14 plugin reports a delivery (the IM "sent" a plugin
 *     reports is only handed to its socket), so their contacts do not
 *     claim it and a request is ignored, as §5 expects.  SMS has its own
 *     receipts from the operator's delivery reports (session/pg-sms.c),
 *     on an SMS contact that answers no disco;
 *   - vcard-temp (XEP-0054) on networks with a buddy list: the contact's
 *     vCard carries its nickname and XEP-0153 avatar (pg-contact-avatar.c).
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "session/pg-contact-caps.h"
#include "stanza/pg-stanza.h"

#define PG_CONTACT_CAPS_CATEGORY "client"
#define PG_CONTACT_CAPS_TYPE     "pc"
#define PG_NS_CHATSTATES_FEATURE "http://jabber.org/protocol/chatstates"
#define PG_NS_RECEIPTS_FEATURE   "urn:xmpp:receipts"

/* The features of @transport's contacts, in any order (pg_contact_caps_ver()
 * sorts them).  Returns: (transfer container) static strings */
static GPtrArray *
pg_contact_caps_features(PgTransport *transport)
{
	const PgTransportConfig *config = pg_transport_get_config(transport);
	GPtrArray *features = g_ptr_array_new();

	g_ptr_array_add(features, (gpointer)PG_NS_DISCO_INFO);
	if (pg_network_chat_states(config))
		g_ptr_array_add(features, (gpointer)PG_NS_CHATSTATES_FEATURE);
	if (pg_network_receipts(config))
		g_ptr_array_add(features, (gpointer)PG_NS_RECEIPTS_FEATURE);
	if (pg_network_has(pg_session_network(transport), PG_NETWORK_BUDDY_LIST))
		g_ptr_array_add(features, (gpointer)"vcard-temp");
	return features;
}

/* GCompareFunc over a GPtrArray of strings: "i;octet" (RFC 4790 §9.3) */
static gint
pg_contact_caps_compare(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

gchar *
pg_contact_caps_ver(PgTransport *transport)
{
	g_autoptr(GChecksum) sha1 = g_checksum_new(G_CHECKSUM_SHA1);
	g_autoptr(GPtrArray) sorted = pg_contact_caps_features(transport);
	guint8 digest[20];
	gsize len = sizeof(digest);

	/* XEP-0115 §5.1: "category/type/lang/name<" per identity (no lang,
	 * no name here), then "feature<" per feature sorted by "i;octet"
	 * (RFC 4790 §9.3, i.e. strcmp) */
	g_checksum_update(
	    sha1, (const guchar *)PG_CONTACT_CAPS_CATEGORY "/" PG_CONTACT_CAPS_TYPE "//<", -1);
	g_ptr_array_sort(sorted, pg_contact_caps_compare);
	for (guint i = 0; i < sorted->len; i++) {
		g_checksum_update(sha1, g_ptr_array_index(sorted, i), -1);
		g_checksum_update(sha1, (const guchar *)"<", 1);
	}
	g_checksum_get_digest(sha1, digest, &len);
	return g_base64_encode(digest, len);
}

void
pg_contact_caps_add(PgTransport *transport, xmpp_stanza_t *presence)
{
	g_autofree gchar *ver = pg_contact_caps_ver(transport);
	xmpp_stanza_t *c = pg_stanza_add_child(presence, "c", PG_NS_CAPS);

	/* XEP-0115 §4: hash names the algorithm of ver (sha-1, the one
	 * every client knows), node the software */
	xmpp_stanza_set_attribute(c, "hash", "sha-1");
	xmpp_stanza_set_attribute(c, "node", PG_CONTACT_CAPS_NODE);
	xmpp_stanza_set_attribute(c, "ver", ver);
}

xmpp_stanza_t *
pg_contact_caps_disco_reply(PgTransport *transport, xmpp_stanza_t *iq)
{
	xmpp_stanza_t *request = xmpp_stanza_get_child_by_ns(iq, PG_NS_DISCO_INFO);
	const gchar *node = request != NULL ? xmpp_stanza_get_attribute(request, "node") : NULL;
	g_autofree gchar *ver = pg_contact_caps_ver(transport);
	g_autofree gchar *caps_node = g_strdup_printf("%s#%s", PG_CONTACT_CAPS_NODE, ver);
	xmpp_stanza_t *reply;
	xmpp_stanza_t *query;
	xmpp_stanza_t *identity;
	g_autoptr(GPtrArray) features = pg_contact_caps_features(transport);

	/* XEP-0115 §6.2: a query to node#ver is answered as one without a
	 * node, the node echoed; XEP-0030 §3.1: no other node exists here */
	if (node != NULL && g_strcmp0(node, caps_node) != 0) {
		g_autoptr(GError) error = g_error_new_literal(
		    PG_ERROR, PG_ERROR_ITEM_NOT_FOUND, "a contact has no such node");
		return pg_stanza_error_reply(iq, error);
	}
	reply = pg_stanza_iq_result(iq);
	if (reply == NULL)
		return NULL;
	query = pg_stanza_add_child(reply, "query", PG_NS_DISCO_INFO);
	if (node != NULL)
		xmpp_stanza_set_attribute(query, "node", caps_node);
	identity = pg_stanza_add_child(query, "identity", NULL);
	xmpp_stanza_set_attribute(identity, "category", PG_CONTACT_CAPS_CATEGORY);
	xmpp_stanza_set_attribute(identity, "type", PG_CONTACT_CAPS_TYPE);
	for (guint i = 0; i < features->len; i++) {
		xmpp_stanza_t *feature = pg_stanza_add_child(query, "feature", NULL);
		xmpp_stanza_set_attribute(feature, "var", g_ptr_array_index(features, i));
	}
	return reply;
}
