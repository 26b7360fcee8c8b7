#define G_LOG_DOMAIN "pg-xmpp"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "core/pg-phone.h"
#include "xmpp/pg-jid.h"

/* XEP-0106 §3.1 table: character and its escape code */
static const struct {
	gchar c;
	const gchar *code;
} pg_jid_escapes[] = {
    {' ', "20"}, {'"', "22"}, {'&', "26"}, {'\'', "27"}, {'/', "2f"},
    {':', "3a"}, {'<', "3c"}, {'>', "3e"}, {'@', "40"},  {'\\', "5c"},
};

static gint
pg_jid_escape_code_at(const gchar *p)
{
	for (gsize i = 0; i < G_N_ELEMENTS(pg_jid_escapes); i++) {
		if (g_ascii_strncasecmp(p, pg_jid_escapes[i].code, 2) == 0)
			return (gint)i;
	}
	return -1;
}

gchar *
pg_jid_escape_node(const gchar *text)
{
	GString *out = g_string_sized_new(strlen(text) + 8);

	for (const gchar *p = text; *p != '\0'; p++) {
		gboolean escaped = FALSE;
		/* XEP-0106 §4.2: a backslash is escaped only where it would
		 * otherwise read as the start of an escape sequence */
		if (*p == '\\' && (p[1] == '\0' || pg_jid_escape_code_at(p + 1) < 0)) {
			g_string_append_c(out, *p);
			continue;
		}
		for (gsize i = 0; i < G_N_ELEMENTS(pg_jid_escapes); i++) {
			if (*p == pg_jid_escapes[i].c) {
				g_string_append_printf(out, "\\%s", pg_jid_escapes[i].code);
				escaped = TRUE;
				break;
			}
		}
		if (!escaped)
			g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

static gchar *
pg_jid_unescape_node_len(const gchar *node, gsize len)
{
	g_autofree gchar *copy = g_strndup(node, len);
	return pg_jid_unescape_node(copy);
}

gchar *
pg_jid_unescape_node(const gchar *node)
{
	GString *out = g_string_sized_new(strlen(node));

	for (const gchar *p = node; *p != '\0'; p++) {
		gint index;
		if (*p == '\\' && p[1] != '\0' && p[2] != '\0' &&
		    (index = pg_jid_escape_code_at(p + 1)) >= 0) {
			g_string_append_c(out, pg_jid_escapes[index].c);
			p += 2;
			continue;
		}
		g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

gboolean
pg_jid_is_valid_irc_nick(const gchar *nick)
{
	/* RFC 2812 §2.3.1: nickname = ( letter / special ) *( letter / digit / special / "-" ),
	 * special = "[", "]", "\", "`", "_", "^", "{", "|", "}" */
	static const gchar *special = "[]\\`_^{|}";

	if (nick == NULL || nick[0] == '\0' || strlen(nick) > 64)
		return FALSE;
	if (!g_ascii_isalpha(nick[0]) && strchr(special, nick[0]) == NULL)
		return FALSE;
	for (const gchar *p = nick + 1; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '-' && strchr(special, *p) == NULL)
			return FALSE;
	}
	return TRUE;
}

static gboolean
pg_jid_is_valid_hostname(const gchar *host)
{
	if (host == NULL || host[0] == '\0' || strlen(host) > 253 || host[0] == '.' ||
	    host[0] == '-')
		return FALSE;
	for (const gchar *p = host; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.' && *p != ':')
			return FALSE;
	}
	return TRUE;
}

static gchar *
pg_jid_from_irc_id(const PgTransportConfig *transport, const gchar *legacy_id, GError **error)
{
	g_auto(GStrv) parts = g_strsplit(legacy_id, "%", 2);
	const gchar *name = parts[0];
	const gchar *server = parts[1] != NULL ? parts[1] : transport->irc_server;
	gboolean channel = name[0] == '#' || name[0] == '&';

	if (server == NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
			    "'%s': give the IRC server too, as nick%%irc.example.net", legacy_id);
		return NULL;
	}
	if (!pg_jid_is_valid_hostname(server)) {
		g_set_error(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
			    "'%s' is not an IRC server name", server);
		return NULL;
	}
	if (channel ? (name[1] == '\0' || strpbrk(name, " ,\a") != NULL)
		    : !pg_jid_is_valid_irc_nick(name)) {
		g_set_error(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
			    "'%s' is not a valid IRC %s", name, channel ? "channel" : "nickname");
		return NULL;
	}
	{
		g_autofree gchar *node = pg_jid_escape_node(name);
		g_autofree gchar *server_lower = g_ascii_strdown(server, -1);
		/* with a fixed server, the short form is the canonical one */
		if (parts[1] == NULL || g_strcmp0(server_lower, transport->irc_server) == 0)
			return g_strdup_printf("%s@%s", node, transport->jid);
		return g_strdup_printf("%s%%%s@%s", node, server_lower, transport->jid);
	}
}

gchar *
pg_jid_from_legacy_id(const PgTransportConfig *transport, const gchar *legacy_id, GError **error)
{
	g_autofree gchar *trimmed = g_strstrip(g_strdup(legacy_id != NULL ? legacy_id : ""));

	if (trimmed[0] == '\0') {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_JID_MALFORMED, "empty legacy ID");
		return NULL;
	}
	switch (transport->type) {
	case PG_TRANSPORT_TYPE_IRC:
		return pg_jid_from_irc_id(transport, trimmed, error);
	case PG_TRANSPORT_TYPE_SMS: {
		g_autofree gchar *number = pg_phone_normalize_e164(trimmed, error);
		if (number == NULL)
			return NULL;
		return g_strdup_printf("%s@%s", number, transport->jid);
	}
	case PG_TRANSPORT_TYPE_PURPLE:
	default: {
		g_autofree gchar *node = pg_jid_escape_node(trimmed);
		return g_strdup_printf("%s@%s", node, transport->jid);
	}
	}
}

void
pg_irc_address_free(PgIrcAddress *address)
{
	if (address == NULL)
		return;
	g_free(address->name);
	g_free(address->server);
	g_free(address->resource);
	g_free(address);
}

gchar *
pg_jid_irc_to_jid(const PgTransportConfig *transport, const gchar *name, const gchar *server,
		  const gchar *resource)
{
	g_autofree gchar *node = pg_jid_escape_node(name);
	GString *jid = g_string_new(node);

	if (transport->irc_server == NULL || g_ascii_strcasecmp(server, transport->irc_server) != 0)
		g_string_append_printf(jid, "%%%s", server);
	g_string_append_printf(jid, "@%s", transport->jid);
	if (resource != NULL)
		g_string_append_printf(jid, "/%s", resource);
	return g_string_free(jid, FALSE);
}

PgIrcAddress *
pg_jid_parse_irc(const PgTransportConfig *transport, const gchar *jid, GError **error)
{
	g_autoptr(PgIrcAddress) address = g_new0(PgIrcAddress, 1);
	g_autofree gchar *node = NULL;
	const gchar *at = jid != NULL ? strchr(jid, '@') : NULL;
	const gchar *slash;
	const gchar *percent;

	if (at == NULL || at == jid) {
		g_set_error(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
			    "'%s' names no IRC nick or channel", jid != NULL ? jid : "");
		return NULL;
	}
	slash = strchr(at, '/');
	if (slash != NULL && slash[1] != '\0')
		address->resource = g_strdup(slash + 1);
	node = g_strndup(jid, at - jid);
	/* the server follows the last '%': a nick or channel cannot contain one */
	percent = strrchr(node, '%');
	if (percent != NULL) {
		address->server = g_ascii_strdown(percent + 1, -1);
		address->name = pg_jid_unescape_node_len(node, percent - node);
	} else if (transport->irc_server != NULL) {
		address->server = g_ascii_strdown(transport->irc_server, -1);
		address->name = pg_jid_unescape_node(node);
	} else {
		g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
			    "'%s': name the IRC server, as #channel%%irc.example.net@%s", jid,
			    transport->jid);
		return NULL;
	}
	address->is_channel = address->name[0] == '#' || address->name[0] == '&';
	if (!pg_jid_is_valid_hostname(address->server) || address->name[0] == '\0' ||
	    (!address->is_channel && !pg_jid_is_valid_irc_nick(address->name)) ||
	    (address->is_channel && strpbrk(address->name, " ,\a") != NULL)) {
		g_set_error(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
			    "'%s' is not an IRC address (nick%%server or #channel%%server)", jid);
		return NULL;
	}
	return g_steal_pointer(&address);
}
