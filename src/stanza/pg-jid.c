#define G_LOG_DOMAIN "pg-xmpp"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "stanza/pg-jid.h"

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
