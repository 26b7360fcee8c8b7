/* Stanza helpers over libstrophe.
 *
 * MEMORY: every libstrophe context Polygate creates (pg_stanza_ctx_new())
 * allocates with g_malloc/g_free, so strings libstrophe hands over
 * (xmpp_stanza_get_text(), xmpp_stanza_to_text()) may sit in g_autofree.
 * Stanzas are refcounted: g_autoptr(xmpp_stanza_t) releases one reference.
 *
 * TEXT: every builder here that takes text passes it through the text
 * boundary (pg-text.h) first; build stanzas with them, not with
 * xmpp_message_set_body()/xmpp_stanza_set_text()/xmpp_stanza_set_attribute()
 * directly, whenever the text is not a constant.  pg_component_send()
 * checks the whole stanza once more, but only to keep the stream alive:
 * there a forbidden character becomes U+FFFD and a warning is logged.
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
#define PG_NS_DATA_VALIDATE "http://jabber.org/protocol/xdata-validate" /* XEP-0122 */
#define PG_NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define PG_NS_DELAY "urn:xmpp:delay" /* XEP-0203 */
#define PG_NS_SID "urn:xmpp:sid:0"   /* XEP-0359 */

/* Returns: (transfer full) a context whose allocator is g_malloc. */
xmpp_ctx_t *pg_stanza_ctx_new(void);

/* <name>text</name> appended to @parent, @text as PG_TEXT_BODY (NULL or
 * empty: an empty element); returns the (borrowed) new child. */
xmpp_stanza_t *pg_stanza_add_text_child(xmpp_stanza_t *parent, const gchar *name,
					const gchar *text);
/* The <body/> of @message (which has none yet), @text as PG_TEXT_BODY. */
void pg_stanza_set_body(xmpp_stanza_t *message, const gchar *text);
/* Attribute @name = @value as PG_TEXT_LINE (XML 1.0 §3.3.3 would turn
 * TAB/LF/CR into spaces anyway). */
void pg_stanza_set_attribute(xmpp_stanza_t *stanza, const gchar *name, const gchar *value);
/* Attribute @name = @value as PG_TEXT_NAME: a JID or a nick built from
 * legacy names ('from', 'to', 'jid', a MUC item's 'nick'). */
void pg_stanza_set_name_attribute(xmpp_stanza_t *stanza, const gchar *name, const gchar *value);
/* 'from' / 'to' = @jid as PG_TEXT_NAME. */
void pg_stanza_set_from(xmpp_stanza_t *stanza, const gchar *jid);
void pg_stanza_set_to(xmpp_stanza_t *stanza, const gchar *jid);
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

/* Returns: (transfer full) an error reply (RFC 6120 §8.3) to @request with
 * @type and @condition as given by a worker or a legacy network: anything
 * but an RFC 6120 §8.3.2 type / §8.3.3 condition becomes "cancel" /
 * "undefined-condition", and @text (may be NULL) passes as PG_TEXT_BODY.
 * NULL if @request has no 'from'. */
xmpp_stanza_t *pg_stanza_reply_error(xmpp_stanza_t *request, const gchar *type,
				     const gchar *condition, const gchar *text);

/* The bare form of @jid (no resource), lowercased domain, by the RFC 7622
 * parser (pg-jid.h); NULL if @jid is NULL or malformed.  (transfer full) */
gchar *pg_stanza_bare_jid(const gchar *jid);

G_END_DECLS
