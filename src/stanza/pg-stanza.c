#define G_LOG_DOMAIN "pg-xmpp"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "stanza/pg-jid.h"
#include "stanza/pg-stanza.h"
#include "stanza/pg-text.h"

static void *
pg_stanza_alloc_cb(size_t size, void *userdata)
{
	return g_malloc(size);
}

static void
pg_stanza_free_cb(void *p, void *userdata)
{
	g_free(p);
}

static void *
pg_stanza_realloc_cb(void *p, size_t size, void *userdata)
{
	return g_realloc(p, size);
}

static const xmpp_mem_t pg_stanza_mem = {
    .alloc = pg_stanza_alloc_cb,
    .free = pg_stanza_free_cb,
    .realloc = pg_stanza_realloc_cb,
    .userdata = NULL,
};

/* libstrophe logs whole stanzas ("SENT: ...", "RECV: ...", "QUEUED: ...")
 * and the component handshake ("Digest: ...") at debug level; those lines
 * can carry passwords from registration forms, so they are never passed on. */
static gboolean
pg_stanza_log_line_is_sensitive(const gchar *msg)
{
	static const gchar *const prefixes[] = {"SENT:", "RECV:", "QUEUED:", "Q_CONTENT:",
						"Digest:", "handshake"};
	for (gsize i = 0; i < G_N_ELEMENTS(prefixes); i++) {
		if (g_str_has_prefix(msg, prefixes[i]))
			return TRUE;
	}
	return strstr(msg, "<handshake") != NULL || strstr(msg, "password") != NULL;
}

static void
pg_stanza_log_cb(void *userdata, xmpp_log_level_t level, const char *area, const char *msg)
{
	if (pg_stanza_log_line_is_sensitive(msg))
		return;
	switch (level) {
	case XMPP_LEVEL_ERROR:
		g_warning("libstrophe %s: %s", area, msg);
		break;
	case XMPP_LEVEL_WARN:
		g_message("libstrophe %s: %s", area, msg);
		break;
	case XMPP_LEVEL_INFO:
		g_info("libstrophe %s: %s", area, msg);
		break;
	case XMPP_LEVEL_DEBUG:
	default:
		g_debug("libstrophe %s: %s", area, msg);
		break;
	}
}

static const xmpp_log_t pg_stanza_log = {
    .handler = pg_stanza_log_cb,
    .userdata = NULL,
};

xmpp_ctx_t *
pg_stanza_ctx_new(void)
{
	return xmpp_ctx_new(&pg_stanza_mem, &pg_stanza_log);
}

xmpp_stanza_t *
pg_stanza_add_child(xmpp_stanza_t *parent, const gchar *name, const gchar *ns)
{
	xmpp_stanza_t *child = xmpp_stanza_new(xmpp_stanza_get_context(parent));
	xmpp_stanza_set_name(child, name);
	if (ns != NULL)
		xmpp_stanza_set_ns(child, ns);
	/* the parent takes its own reference; drop ours, the parent owns it */
	xmpp_stanza_add_child(parent, child);
	xmpp_stanza_release(child);
	return child;
}

xmpp_stanza_t *
pg_stanza_add_text_child(xmpp_stanza_t *parent, const gchar *name, const gchar *text)
{
	xmpp_stanza_t *child = pg_stanza_add_child(parent, name, NULL);
	g_autofree gchar *cleaned = NULL;

	text = pg_text_clean(text, PG_TEXT_BODY, &cleaned);
	if (text != NULL && text[0] != '\0') {
		xmpp_stanza_t *body = xmpp_stanza_new(xmpp_stanza_get_context(parent));
		xmpp_stanza_set_text(body, text);
		xmpp_stanza_add_child(child, body);
		xmpp_stanza_release(body);
	}
	return child;
}

void
pg_stanza_set_body(xmpp_stanza_t *message, const gchar *text)
{
	g_autofree gchar *cleaned = NULL;

	text = pg_text_clean(text, PG_TEXT_BODY, &cleaned);
	xmpp_message_set_body(message, text != NULL ? text : "");
}

void
pg_stanza_set_attribute(xmpp_stanza_t *stanza, const gchar *name, const gchar *value)
{
	g_autofree gchar *cleaned = NULL;

	xmpp_stanza_set_attribute(stanza, name, pg_text_clean(value, PG_TEXT_LINE, &cleaned));
}

void
pg_stanza_set_name_attribute(xmpp_stanza_t *stanza, const gchar *name, const gchar *value)
{
	g_autofree gchar *cleaned = NULL;

	xmpp_stanza_set_attribute(stanza, name, pg_text_clean(value, PG_TEXT_NAME, &cleaned));
}

void
pg_stanza_set_from(xmpp_stanza_t *stanza, const gchar *jid)
{
	pg_stanza_set_name_attribute(stanza, "from", jid);
}

void
pg_stanza_set_to(xmpp_stanza_t *stanza, const gchar *jid)
{
	pg_stanza_set_name_attribute(stanza, "to", jid);
}

gchar *
pg_stanza_get_child_text(xmpp_stanza_t *stanza, const gchar *name)
{
	xmpp_stanza_t *child = xmpp_stanza_get_child_by_name(stanza, name);
	if (child == NULL)
		return NULL;
	return xmpp_stanza_get_text(child);
}

xmpp_stanza_t *
pg_stanza_iq_result(xmpp_stanza_t *request)
{
	xmpp_stanza_t *reply = xmpp_stanza_reply(request);
	if (reply == NULL)
		return NULL;
	xmpp_stanza_set_type(reply, "result");
	if (xmpp_stanza_get_to(request) != NULL)
		xmpp_stanza_set_from(reply, xmpp_stanza_get_to(request));
	return reply;
}

xmpp_stanza_t *
pg_stanza_error_reply(xmpp_stanza_t *request, const GError *error)
{
	PgErrorCode code = PG_ERROR_INTERNAL_SERVER_ERROR;
	const gchar *text = "internal error in the gateway";

	if (xmpp_stanza_get_from(request) == NULL)
		return NULL;
	if (error != NULL && error->domain == PG_ERROR && error->code < PG_ERROR_CONFIG) {
		code = error->code;
		text = error->message;
	} else if (error != NULL) {
		g_warning("internal error answered to %s: %s", xmpp_stanza_get_from(request),
			  error->message);
	}
	return pg_stanza_reply_error(request, pg_error_to_type(code), pg_error_to_condition(code),
				     text);
}

/* RFC 6120 §8.3.3 */
static const gchar *const pg_stanza_conditions[] = {
    "bad-request",	    "conflict",
    "feature-not-implemented", "forbidden",
    "gone",		    "internal-server-error",
    "item-not-found",	    "jid-malformed",
    "not-acceptable",	    "not-allowed",
    "not-authorized",	    "policy-violation",
    "recipient-unavailable",   "redirect",
    "registration-required",   "remote-server-not-found",
    "remote-server-timeout",   "resource-constraint",
    "service-unavailable",     "subscription-required",
    "undefined-condition",     "unexpected-request",
};

static gboolean
pg_stanza_is_one_of(const gchar *value, const gchar *const *names, gsize n_names)
{
	for (gsize i = 0; value != NULL && i < n_names; i++) {
		if (strcmp(value, names[i]) == 0)
			return TRUE;
	}
	return FALSE;
}

xmpp_stanza_t *
pg_stanza_reply_error(xmpp_stanza_t *request, const gchar *type, const gchar *condition,
		      const gchar *text)
{
	/* RFC 6120 §8.3.2 */
	static const gchar *const types[] = {"auth", "cancel", "continue", "modify", "wait"};
	g_autofree gchar *cleaned = NULL;

	if (xmpp_stanza_get_from(request) == NULL)
		return NULL;
	/* an element name from outside could break the stream as surely as a
	 * control character: only the names RFC 6120 defines get through */
	if (!pg_stanza_is_one_of(condition, pg_stanza_conditions,
				 G_N_ELEMENTS(pg_stanza_conditions))) {
		condition = "undefined-condition";
		type = "cancel";
	} else if (!pg_stanza_is_one_of(type, types, G_N_ELEMENTS(types))) {
		type = "cancel";
	}
	text = pg_text_clean(text, PG_TEXT_BODY, &cleaned);
	return xmpp_stanza_reply_error(request, type, condition,
				       text != NULL && text[0] != '\0' ? text : NULL);
}

gchar *
pg_stanza_bare_jid(const gchar *jid)
{
	g_autoptr(PgJid) parsed = pg_jid_parse(jid, NULL);
	return parsed != NULL ? g_strdup(parsed->bare) : NULL;
}
