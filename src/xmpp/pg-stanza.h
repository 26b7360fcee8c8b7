/* Stanza helpers over libstrophe.
 *
 * MEMORY: every libstrophe context Polygate creates (pg_stanza_ctx_new())
 * allocates with g_malloc/g_free, so strings libstrophe hands over
 * (xmpp_stanza_get_text(), xmpp_stanza_to_text()) may sit in g_autofree.
 * Stanzas are refcounted: g_autoptr(xmpp_stanza_t) releases one reference.
 *
 * LOGGING: libstrophe's debug log prints every stanza ("SENT:"/"RECV:") and
 * the handshake digest; our logger drops those lines, always, so that a
 * registration form's password can never reach a log.
 */
#pragma once

#include <glib.h>
#include <strophe.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmpp_stanza_t, xmpp_stanza_release)

#define PG_NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define PG_NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define PG_NS_REGISTER "jabber:iq:register"
#define PG_NS_GATEWAY "jabber:iq:gateway"
#define PG_NS_PING "urn:xmpp:ping"
#define PG_NS_DATA "jabber:x:data"
#define PG_NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"

/* Returns: (transfer full) a context whose allocator is g_malloc. */
xmpp_ctx_t *pg_stanza_ctx_new(void);

/* <name>text</name> appended to @parent; returns the (borrowed) new child. */
xmpp_stanza_t *pg_stanza_add_text_child(xmpp_stanza_t *parent, const gchar *name,
					const gchar *text);
/* An empty <name xmlns=ns/> appended to @parent (ns may be NULL); returns it, borrowed. */
xmpp_stanza_t *pg_stanza_add_child(xmpp_stanza_t *parent, const gchar *name, const gchar *ns);
/* Returns: (transfer full) the text of @stanza's child @name, or NULL. */
gchar *pg_stanza_get_child_text(xmpp_stanza_t *stanza, const gchar *name);

/* Returns: (transfer full) an iq result for @request, from its 'to'. */
xmpp_stanza_t *pg_stanza_iq_result(xmpp_stanza_t *request);
/* Returns: (transfer full) an error reply (RFC 6120 §8.3) to @request whose
 * condition, type and text come from @error (a PG_ERROR; others are
 * internal-server-error with a generic text, since their message may name
 * files or libraries a user has no business seeing).  NULL if @request has
 * no 'from'. */
xmpp_stanza_t *pg_stanza_error_reply(xmpp_stanza_t *request, const GError *error);

/* The bare form of @jid (no resource), lowercased domain; (transfer full). */
gchar *pg_stanza_bare_jid(const gchar *jid);

G_END_DECLS
