#define G_LOG_DOMAIN "pg-xmpp"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "core/pg-phone.h"
#include "xmpp/pg-jid.h"

/* ---------------------------------------------------------------- RFC 7622 */

#define PG_JID_PART_MAX 1023  /* RFC 7622 §3.2-§3.4: octets per part */
#define PG_JID_LABEL_MAX 63   /* RFC 1035 §2.3.4 */

typedef enum {
	PG_JID_PART_LOCAL,
	PG_JID_PART_DOMAIN,
	PG_JID_PART_RESOURCE,
} PgJidPart;

static const gchar *const pg_jid_part_names[] = {"localpart", "domainpart", "resourcepart"};

/* RFC 7622 §3.3.1: characters no localpart may hold, besides what the
 * PRECIS IdentifierClass (RFC 8264 §4.2) already refuses (spaces, controls). */
static gboolean
pg_jid_ascii_ok(PgJidPart part, guchar c)
{
	switch (part) {
	case PG_JID_PART_LOCAL:
		if (c <= 0x20 || c >= 0x7f)
			return FALSE;
		switch (c) {
		case '"':
		case '&':
		case '\'':
		case '/':
		case ':':
		case '<':
		case '>':
		case '@':
			return FALSE;
		default:
			return TRUE;
		}
	case PG_JID_PART_DOMAIN:
		return g_ascii_isalnum(c) || c == '-' || c == '_' || c == '.';
	case PG_JID_PART_RESOURCE:
	default:
		/* OpaqueString (RFC 8265 §4.2): spaces yes, controls no */
		return c >= 0x20 && c != 0x7f;
	}
}

/* A non-ASCII code point.  Domain labels take letters, digits and marks
 * (IDNA2008's PVALID is close).  Localparts take those and also symbols and
 * punctuation: PRECIS IdentifierClass (RFC 8264 §4.2) would refuse these,
 * but the servers that route to us still prepare localparts with stringprep
 * Nodeprep (RFC 3920 Appendix A; Prosody 0.12, ejabberd), which lets them
 * through, and legacy IDs hold them, so refusing them would make contacts
 * unreachable.  What Nodeprep prohibits stays refused: spaces, controls,
 * private use, non-characters, surrogates, format and tagging characters
 * (RFC 3454 C.1-C.9), and unassigned code points.  Resourceparts
 * (OpaqueString, RFC 8265 §4.2) take all but controls, unassigned code
 * points and non-characters (RFC 8264 §9.11-§9.14). */
static gboolean
pg_jid_unichar_ok(PgJidPart part, gunichar c)
{
	GUnicodeType type = g_unichar_type(c);

	if ((c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe)
		return FALSE;
	switch (type) {
	case G_UNICODE_CONTROL:
	case G_UNICODE_UNASSIGNED:
	case G_UNICODE_SURROGATE:
		return FALSE;
	case G_UNICODE_LOWERCASE_LETTER:
	case G_UNICODE_UPPERCASE_LETTER:
	case G_UNICODE_OTHER_LETTER:
	case G_UNICODE_MODIFIER_LETTER:
	case G_UNICODE_TITLECASE_LETTER:
	case G_UNICODE_DECIMAL_NUMBER:
	case G_UNICODE_NON_SPACING_MARK:
	case G_UNICODE_SPACING_MARK:
		return TRUE;
	case G_UNICODE_FORMAT:
	case G_UNICODE_PRIVATE_USE:
	case G_UNICODE_SPACE_SEPARATOR:
	case G_UNICODE_LINE_SEPARATOR:
	case G_UNICODE_PARAGRAPH_SEPARATOR:
		return part == PG_JID_PART_RESOURCE;
	default:
		/* symbols, punctuation, other numbers, enclosing marks */
		return part != PG_JID_PART_DOMAIN;
	}
}

static gboolean
pg_jid_part_error(PgJidPart part, const gchar *why, GError **error)
{
	g_set_error(error, PG_ERROR, PG_ERROR_JID_MALFORMED, "the %s of the address %s",
		    pg_jid_part_names[part], why);
	return FALSE;
}

/* Every character of @text[0..@len) is allowed in @part (RFC 7622 §3.1:
 * all of it valid UTF-8). */
static gboolean
pg_jid_check_chars(PgJidPart part, const gchar *text, gsize len, GError **error)
{
	const gchar *end = text + len;

	for (const gchar *p = text; p < end;) {
		gunichar c;
		if ((guchar)*p < 0x80) {
			if (!pg_jid_ascii_ok(part, (guchar)*p))
				return pg_jid_part_error(part, "holds a character it may not hold",
							 error);
			p++;
			continue;
		}
		c = g_utf8_get_char_validated(p, end - p);
		if (c == (gunichar)-1 || c == (gunichar)-2)
			return pg_jid_part_error(part, "is not valid UTF-8", error);
		if (!pg_jid_unichar_ok(part, c))
			return pg_jid_part_error(part, "holds a character it may not hold", error);
		p = g_utf8_next_char(p);
	}
	return TRUE;
}

/* RFC 7622 §3.2: a domain name (dot-separated labels) or an IP literal. */
static gboolean
pg_jid_check_domain(const gchar *text, gsize len, GError **error)
{
	const gchar *end = text + len;
	const gchar *label = text;

	if (text[0] == '[') {
		/* RFC 7622 §3.2.1: IP-literal, as in RFC 3986 §3.2.2 */
		g_autofree gchar *inner = NULL;
		if (len < 3 || text[len - 1] != ']')
			return pg_jid_part_error(PG_JID_PART_DOMAIN, "is not an IP literal", error);
		inner = g_strndup(text + 1, len - 2);
		if (strchr(inner, ':') == NULL || !g_hostname_is_ip_address(inner))
			return pg_jid_part_error(PG_JID_PART_DOMAIN, "is not an IP literal", error);
		return TRUE;
	}
	if (!pg_jid_check_chars(PG_JID_PART_DOMAIN, text, len, error))
		return FALSE;
	for (const gchar *p = text; p <= end; p++) {
		if (p < end && *p != '.')
			continue;
		if (p == label || p - label > PG_JID_LABEL_MAX)
			return pg_jid_part_error(PG_JID_PART_DOMAIN,
						 "has an empty or too long label", error);
		if (*label == '-' || p[-1] == '-')
			return pg_jid_part_error(PG_JID_PART_DOMAIN,
						 "has a label that starts or ends with '-'", error);
		label = p + 1;
	}
	return TRUE;
}

static gboolean
pg_jid_check_length(PgJidPart part, gsize len, GError **error)
{
	if (len == 0)
		return pg_jid_part_error(part, "is empty", error);
	if (len > PG_JID_PART_MAX)
		return pg_jid_part_error(part, "is longer than 1023 bytes", error);
	return TRUE;
}

PgJid *
pg_jid_parse(const gchar *text, GError **error)
{
	const gchar *slash;
	const gchar *at;
	const gchar *domain;
	gsize len;
	gsize local_len;
	gsize domain_len;
	gsize resource_len;
	gsize bare_len;
	gsize full_len;
	PgJid *jid;
	gchar *buffer;

	if (text == NULL || text[0] == '\0') {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_JID_MALFORMED, "the address is empty");
		return NULL;
	}
	/* three parts of 1023 octets and two separators at most: looking no
	 * further bounds the work on a hostile attribute */
	len = strnlen(text, 3 * PG_JID_PART_MAX + 3);
	if (len > 3 * PG_JID_PART_MAX + 2) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
				    "the address is too long");
		return NULL;
	}
	/* RFC 7622 §3.1: the first '/' starts the resourcepart, then the first
	 * '@' before it ends the localpart */
	slash = memchr(text, '/', len);
	at = memchr(text, '@', (slash != NULL ? slash : text + len) - text);
	domain = at != NULL ? at + 1 : text;
	local_len = at != NULL ? (gsize)(at - text) : 0;
	domain_len = (slash != NULL ? slash : text + len) - domain;
	resource_len = slash != NULL ? len - (slash + 1 - text) : 0;
	/* RFC 7622 §3.2: a final dot is not part of the domain */
	if (domain_len > 1 && domain[domain_len - 1] == '.')
		domain_len--;

	if (at != NULL && !pg_jid_check_length(PG_JID_PART_LOCAL, local_len, error))
		return NULL;
	if (!pg_jid_check_length(PG_JID_PART_DOMAIN, domain_len, error))
		return NULL;
	if (slash != NULL && !pg_jid_check_length(PG_JID_PART_RESOURCE, resource_len, error))
		return NULL;
	if (at != NULL && !pg_jid_check_chars(PG_JID_PART_LOCAL, text, local_len, error))
		return NULL;
	if (!pg_jid_check_domain(domain, domain_len, error))
		return NULL;
	if (slash != NULL &&
	    !pg_jid_check_chars(PG_JID_PART_RESOURCE, slash + 1, resource_len, error))
		return NULL;

	/* one allocation: the struct, then "full\0bare\0local\0" */
	bare_len = (at != NULL ? local_len + 1 : 0) + domain_len;
	full_len = bare_len + (slash != NULL ? resource_len + 1 : 0);
	jid = g_malloc(sizeof(PgJid) + full_len + 1 + bare_len + 1 + local_len + 1);
	buffer = (gchar *)(jid + 1);
	{
		gchar *p = buffer;
		gchar *domain_copy;
		if (at != NULL) {
			memcpy(p, text, local_len);
			p[local_len] = '@';
			p += local_len + 1;
		}
		domain_copy = p;
		for (gsize i = 0; i < domain_len; i++)
			p[i] = g_ascii_tolower(domain[i]);
		p += domain_len;
		if (slash != NULL) {
			*p++ = '/';
			memcpy(p, slash + 1, resource_len);
			p += resource_len;
		}
		*p++ = '\0';
		jid->full = buffer;
		jid->resource = slash != NULL ? domain_copy + domain_len + 1 : NULL;
		memcpy(p, buffer, bare_len);
		p[bare_len] = '\0';
		jid->bare = p;
		jid->domain = p + (domain_copy - buffer);
		p += bare_len + 1;
		if (at != NULL) {
			memcpy(p, text, local_len);
			p[local_len] = '\0';
			jid->local = p;
		} else {
			jid->local = NULL;
		}
	}
	return jid;
}

void
pg_jid_free(PgJid *jid)
{
	g_free(jid);
}

gboolean
pg_jid_is_domain(const PgJid *jid, const gchar *domain)
{
	return jid->local == NULL && jid->resource == NULL &&
	       g_ascii_strcasecmp(jid->domain, domain) == 0;
}

/* ---------------------------------------------------------------- XEP-0106 */

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

/* RFC 2812 §2.3.1: nickname = ( letter / special ) *( letter / digit / special / "-" ),
 * special = "[", "]", "\", "`", "_", "^", "{", "|", "}"; @len bytes of @nick. */
static gboolean
pg_jid_is_valid_irc_nick_len(const gchar *nick, gsize len)
{
	static const gchar *special = "[]\\`_^{|}";

	if (len == 0 || len > 64)
		return FALSE;
	if (!g_ascii_isalpha(nick[0]) && strchr(special, nick[0]) == NULL)
		return FALSE;
	for (gsize i = 1; i < len; i++) {
		if (!g_ascii_isalnum(nick[i]) && nick[i] != '-' &&
		    (nick[i] == '\0' || strchr(special, nick[i]) == NULL))
			return FALSE;
	}
	return TRUE;
}

gboolean
pg_jid_is_valid_irc_nick(const gchar *nick)
{
	return nick != NULL && pg_jid_is_valid_irc_nick_len(nick, strlen(nick));
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

static void
pg_jid_irc_no_server_error(const PgTransportConfig *transport, GError **error)
{
	g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
		    "name the IRC server, as #channel%%irc.example.net@%s", transport->jid);
}

PgIrcAddress *
pg_jid_parse_irc(const PgTransportConfig *transport, const PgJid *jid, GError **error)
{
	g_autoptr(PgIrcAddress) address = NULL;
	const gchar *percent;

	if (jid->local == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
				    "the address names no IRC nick or channel");
		return NULL;
	}
	address = g_new0(PgIrcAddress, 1);
	address->resource = g_strdup(jid->resource);
	/* the server follows the last '%': a nick or channel cannot contain one
	 * (a channel named with one would not survive pg_jid_irc_to_jid()'s
	 * short form, and could name another server's channel) */
	percent = strrchr(jid->local, '%');
	if (percent != NULL) {
		address->server = g_ascii_strdown(percent + 1, -1);
		address->name = pg_jid_unescape_node_len(jid->local, percent - jid->local);
	} else if (transport->irc_server != NULL) {
		address->server = g_ascii_strdown(transport->irc_server, -1);
		address->name = pg_jid_unescape_node(jid->local);
	} else {
		pg_jid_irc_no_server_error(transport, error);
		return NULL;
	}
	address->is_channel = address->name[0] == '#' || address->name[0] == '&';
	if (!pg_jid_is_valid_hostname(address->server) || address->name[0] == '\0' ||
	    (!address->is_channel && !pg_jid_is_valid_irc_nick(address->name)) ||
	    (address->is_channel &&
	     (address->name[1] == '\0' || strpbrk(address->name, " ,\a%") != NULL))) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
				    "not an IRC address (nick%server or #channel%server)");
		return NULL;
	}
	return g_steal_pointer(&address);
}

/* SMS and purple contacts are bare JIDs (pg_session_contact_jid()); a
 * resource names nothing there: RFC 6120 §8.3.3.7 item-not-found. */
static gboolean
pg_jid_check_bare_contact(const PgJid *jid, GError **error)
{
	if (jid->local == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
				    "the address names no contact");
		return FALSE;
	}
	if (jid->resource != NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
				    "contacts on this gateway have no resources");
		return FALSE;
	}
	return TRUE;
}

gchar *
pg_jid_parse_sms(const PgTransportConfig *transport, const PgJid *jid, GError **error)
{
	g_autofree gchar *number = NULL;

	if (jid->local == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
				    "the address names no phone number");
		return NULL;
	}
	/* a malformed number first, then whether it can exist */
	number = pg_phone_normalize_e164(jid->local, error);
	if (number == NULL || !pg_jid_check_bare_contact(jid, error))
		return NULL;
	return g_steal_pointer(&number);
}

gchar *
pg_jid_parse_purple(const PgTransportConfig *transport, const PgJid *jid, GError **error)
{
	if (!pg_jid_check_bare_contact(jid, error))
		return NULL;
	return pg_jid_unescape_node(jid->local);
}

/* pg_jid_parse_irc()'s verdict without its allocations, for the boundary,
 * which every stanza passes (contrib/bench/jid_bench.c).  A localpart with
 * XEP-0106 escapes takes the full parse. */
static gboolean
pg_jid_check_irc(const PgTransportConfig *transport, const PgJid *jid, GError **error)
{
	const gchar *percent;
	const gchar *server;
	gsize name_len;
	gboolean is_channel;

	if (jid->local == NULL || strchr(jid->local, '\\') != NULL) {
		g_autoptr(PgIrcAddress) address = pg_jid_parse_irc(transport, jid, error);
		return address != NULL;
	}
	percent = strrchr(jid->local, '%');
	server = percent != NULL ? percent + 1 : transport->irc_server;
	if (server == NULL) {
		pg_jid_irc_no_server_error(transport, error);
		return FALSE;
	}
	name_len = percent != NULL ? (gsize)(percent - jid->local) : strlen(jid->local);
	is_channel = jid->local[0] == '#' || jid->local[0] == '&';
	/* no escapes: the name is the localpart's prefix, and a localpart holds
	 * no space or control (pg_jid_parse()) */
	if (pg_jid_is_valid_hostname(server) && name_len > 0 &&
	    (is_channel ? name_len > 1 && memchr(jid->local, ',', name_len) == NULL &&
			      memchr(jid->local, '%', name_len) == NULL
			: pg_jid_is_valid_irc_nick_len(jid->local, name_len)))
		return TRUE;
	g_set_error_literal(error, PG_ERROR, PG_ERROR_JID_MALFORMED,
			    "not an IRC address (nick%server or #channel%server)");
	return FALSE;
}

gboolean
pg_jid_check_contact(const PgTransportConfig *transport, const PgJid *jid, GError **error)
{
	switch (transport->type) {
	case PG_TRANSPORT_TYPE_IRC:
		return pg_jid_check_irc(transport, jid, error);
	case PG_TRANSPORT_TYPE_SMS: {
		g_autofree gchar *number = pg_jid_parse_sms(transport, jid, error);
		return number != NULL;
	}
	case PG_TRANSPORT_TYPE_PURPLE:
	default:
		return pg_jid_check_bare_contact(jid, error);
	}
}
