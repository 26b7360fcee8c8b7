/* The text boundary (see pg-text.h).
 *
 * DESIGN: one pass over the bytes, no allocation while the text is clean
 * (nearly always), so it can run on every stanza.
 *
 * - UTF-8 as RFC 3629 §4 defines it: no overlong forms, no surrogates
 *   (U+D800..U+DFFF), nothing above U+10FFFF.  A byte that does not start
 *   such a sequence is read alone in the fallback charset (so a line mixing
 *   UTF-8 and CP1252 keeps both); an overlong "<" (C0 BC) therefore becomes
 *   "À¼", never "<".
 * - XML 1.0 §2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD]
 *   | [#x10000-#x10FFFF].  Outside it are the C0 controls but TAB/LF/CR,
 *   U+FFFE and U+FFFF (surrogates cannot get past the decoder).  DEL and the
 *   C1 controls are allowed but "discouraged" (§2.2 note); texts drop them
 *   too, since they are invisible and only ever arrive by accident or on
 *   purpose.
 * - mIRC formatting (a de-facto IRC convention): ^B bold, ^C colour
 *   ("^C" fg[,bg], one or two digits each), ^D hex colour ("^D" RRGGBB
 *   [,RRGGBB]), ^O reset, ^Q monospace, ^V reverse, ^] italic,
 *   ^^ strikethrough, ^_ underline.  Texts drop them with their arguments;
 *   XEP-0393 could show some, but its markers would then need escaping in
 *   every other text, so plain text it is.  prpl-irc already turns ^B ^C ^G
 *   ^O ^V ^_ into HTML in messages (which the worker strips) and into
 *   nothing in topics, but not ^D ^Q ^] ^^, and the daemon trusts no worker
 *   anyway: this is the one place that decides.
 * - Names (JID parts, nicks) never lose a character silently: a control
 *   becomes '?', so two legacy names that differ only by controls stay two
 *   JIDs.  So do the other characters RFC 3920's nodeprep/resourceprep
 *   prohibit (RFC 3454 C.3-C.9: private use, non-characters, U+FFF9-FFFD,
 *   ideographic description, bidi and tag characters), which servers that
 *   still use stringprep (Prosody 0.12) would refuse in a JID; characters
 *   unassigned in Unicode 3.2 are left to the server.
 */
#define G_LOG_DOMAIN "pg-xmpp"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "stanza/pg-text.h"

#define PG_TEXT_REPLACEMENT 0xFFFD
/* In a name: '?' is in no IRC nick (RFC 2812 §2.3.1) nor phone number, and
 * unlike U+FFFD every JID profile allows it (stringprep prohibits U+FFFD in
 * a resourcepart, RFC 3454 C.6: Prosody drops such a stanza). */
#define PG_TEXT_NAME_REPLACEMENT '?'

struct _PgTextCharset {
	gchar name[64];
	/* the code point of each byte 0x80..0xFF; U+FFFD where undefined */
	gunichar high[128];
};

/* WINDOWS-1252 as the Unicode consortium maps it (and glibc's iconv: the
 * unit suite compares the two); 0x81 0x8D 0x8F 0x90 0x9D are undefined. */
static const PgTextCharset pg_text_cp1252 = {
    .name = "WINDOWS-1252",
    .high =
	{
	    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, /* 80 */
	    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, /* 88 */
	    0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, /* 90 */
	    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178, /* 98 */
	    0x00A0, 0x00A1, 0x00A2, 0x00A3, 0x00A4, 0x00A5, 0x00A6, 0x00A7, /* A0 */
	    0x00A8, 0x00A9, 0x00AA, 0x00AB, 0x00AC, 0x00AD, 0x00AE, 0x00AF, /* A8 */
	    0x00B0, 0x00B1, 0x00B2, 0x00B3, 0x00B4, 0x00B5, 0x00B6, 0x00B7, /* B0 */
	    0x00B8, 0x00B9, 0x00BA, 0x00BB, 0x00BC, 0x00BD, 0x00BE, 0x00BF, /* B8 */
	    0x00C0, 0x00C1, 0x00C2, 0x00C3, 0x00C4, 0x00C5, 0x00C6, 0x00C7, /* C0 */
	    0x00C8, 0x00C9, 0x00CA, 0x00CB, 0x00CC, 0x00CD, 0x00CE, 0x00CF, /* C8 */
	    0x00D0, 0x00D1, 0x00D2, 0x00D3, 0x00D4, 0x00D5, 0x00D6, 0x00D7, /* D0 */
	    0x00D8, 0x00D9, 0x00DA, 0x00DB, 0x00DC, 0x00DD, 0x00DE, 0x00DF, /* D8 */
	    0x00E0, 0x00E1, 0x00E2, 0x00E3, 0x00E4, 0x00E5, 0x00E6, 0x00E7, /* E0 */
	    0x00E8, 0x00E9, 0x00EA, 0x00EB, 0x00EC, 0x00ED, 0x00EE, 0x00EF, /* E8 */
	    0x00F0, 0x00F1, 0x00F2, 0x00F3, 0x00F4, 0x00F5, 0x00F6, 0x00F7, /* F0 */
	    0x00F8, 0x00F9, 0x00FA, 0x00FB, 0x00FC, 0x00FD, 0x00FE, 0x00FF, /* F8 */
	},
};

const PgTextCharset *
pg_text_charset_default(void)
{
	return &pg_text_cp1252;
}

const gchar *
pg_text_charset_get_name(const PgTextCharset *charset)
{
	return charset->name;
}

void
pg_text_charset_free(PgTextCharset *charset)
{
	g_free(charset);
}

PgTextCharset *
pg_text_charset_new(const gchar *name, GError **error)
{
	g_autoptr(PgTextCharset) charset = g_new0(PgTextCharset, 1);
	gchar ascii[0x80];
	g_autofree gchar *decoded = NULL;
	gsize written = 0;

	if (name == NULL || name[0] == '\0' || strlen(name) >= sizeof(charset->name)) {
		g_set_error(error, PG_ERROR, PG_ERROR_CONFIG, "not a charset name: \"%s\"",
			    name != NULL ? name : "");
		return NULL;
	}
	g_strlcpy(charset->name, name, sizeof(charset->name));
	/* ASCII (but NUL) must read as itself, or markup could hide in it */
	for (guint i = 1; i < 0x80; i++)
		ascii[i - 1] = (gchar)i;
	decoded = g_convert(ascii, 0x7f, "UTF-8", name, NULL, &written, NULL);
	if (decoded == NULL || written != 0x7f || memcmp(decoded, ascii, 0x7f) != 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_CONFIG,
			    "%s: unknown to iconv, or not a single-byte superset of ASCII", name);
		return NULL;
	}
	for (guint b = 0x80; b <= 0xff; b++) {
		gchar byte = (gchar)b;
		g_autofree gchar *one = g_convert(&byte, 1, "UTF-8", name, NULL, &written, NULL);
		gunichar c = one != NULL ? g_utf8_get_char_validated(one, (gssize)written)
					 : (gunichar)-1;

		charset->high[b - 0x80] =
		    one != NULL && c < 0x110000 && c >= 0x80 &&
			    g_utf8_next_char(one) == one + written
			? c
			: PG_TEXT_REPLACEMENT;
	}
	return g_steal_pointer(&charset);
}

/* Returns: the length (1-4) of the valid UTF-8 sequence at @p, its code
 * point in *@c; 0 if @p does not start one (RFC 3629 §4's table). */
static inline gsize
pg_text_decode(const guchar *p, const guchar *end, gunichar *c)
{
	gsize avail = (gsize)(end - p);
	guchar b = p[0];

	if (b < 0x80) {
		*c = b;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf) {
		if (avail < 2 || (p[1] & 0xc0) != 0x80)
			return 0;
		*c = ((gunichar)(b & 0x1f) << 6) | (p[1] & 0x3f);
		return 2;
	}
	if (b >= 0xe0 && b <= 0xef) {
		guchar lo = b == 0xe0 ? 0xa0 : 0x80;
		guchar hi = b == 0xed ? 0x9f : 0xbf; /* ED A0..BF: surrogates */
		if (avail < 3 || p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80)
			return 0;
		*c = ((gunichar)(b & 0x0f) << 12) | ((gunichar)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
		return 3;
	}
	if (b >= 0xf0 && b <= 0xf4) {
		guchar lo = b == 0xf0 ? 0x90 : 0x80;
		guchar hi = b == 0xf4 ? 0x8f : 0xbf; /* nothing above U+10FFFF */
		if (avail < 4 || p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		*c = ((gunichar)(b & 0x07) << 18) | ((gunichar)(p[1] & 0x3f) << 12) |
		     ((gunichar)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
		return 4;
	}
	return 0;
}

/* RFC 3454 C.3-C.9 (C.1, C.2 and C.5 are the controls, spaces and
 * surrogates handled elsewhere): what stringprep prohibits in a JID part. */
static gboolean
pg_text_stringprep_prohibits(gunichar c)
{
	return (c >= 0xe000 && c <= 0xf8ff) || c >= 0xf0000 ||	     /* C.3 private use */
	       (c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe || /* C.4 */
	       (c >= 0xfff9 && c <= 0xfffd) ||				     /* C.6 */
	       (c >= 0x2ff0 && c <= 0x2ffb) ||				     /* C.7 */
	       c == 0x0340 || c == 0x0341 || c == 0x200e || c == 0x200f ||   /* C.8 */
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x206a && c <= 0x206f) ||
	       c == 0xe0001 || (c >= 0xe0020 && c <= 0xe007f); /* C.9 tags */
}

/* TRUE if code point @c (not ASCII 0x20..0x7E) may stay as it is in @kind. */
static inline gboolean
pg_text_keeps(gunichar c, PgTextKind kind)
{
	if (kind == PG_TEXT_UTF8)
		return TRUE;
	if (c == 0xfffe || c == 0xffff)
		return FALSE;
	if (kind == PG_TEXT_NAME && c >= 0x340 && pg_text_stringprep_prohibits(c))
		return FALSE;
	if (c < 0x20)
		return (c == '\t' || c == '\n' || c == '\r') &&
		       (kind == PG_TEXT_BODY || kind == PG_TEXT_XML);
	if (c >= 0x7f && c <= 0x9f)
		return kind == PG_TEXT_XML;
	return TRUE;
}

/* Returns: how many bytes at the start of @p need no change for @kind. */
static gsize
pg_text_clean_prefix(const guchar *start, const guchar *end, PgTextKind kind)
{
	const guchar *p = start;

	while (p < end) {
		gunichar c;
		gsize n;

		/* printable ASCII, eight at a time while it lasts */
		while (end - p >= 8) {
			guint64 w;
			memcpy(&w, p, sizeof(w));
			/* any byte >= 0x80, < 0x20 or == 0x7f leaves the fast path */
			if (((w | ~(w + 0x6060606060606060ULL) | (w + 0x0101010101010101ULL)) &
			     0x8080808080808080ULL) != 0)
				break;
			p += 8;
		}
		if (p >= end)
			break;
		if (*p >= 0x20 && *p < 0x7f) {
			p++;
			continue;
		}
		n = pg_text_decode(p, end, &c);
		if (n == 0 || !pg_text_keeps(c, kind))
			break;
		p += n;
	}
	return (gsize)(p - start);
}

gboolean
pg_text_is_clean(const gchar *text, gssize len, PgTextKind kind)
{
	gsize length;

	if (text == NULL)
		return TRUE;
	length = len < 0 ? strlen(text) : (gsize)len;
	return pg_text_clean_prefix((const guchar *)text, (const guchar *)text + length, kind) ==
	       length;
}

static inline gsize
pg_text_skip_digits(const guchar *p, const guchar *end, gsize max)
{
	gsize n = 0;
	while (n < max && p + n < end && g_ascii_isdigit(p[n]))
		n++;
	return n;
}

static inline gboolean
pg_text_is_hex6(const guchar *p, const guchar *end)
{
	if (end - p < 6)
		return FALSE;
	for (guint i = 0; i < 6; i++) {
		if (!g_ascii_isxdigit(p[i]))
			return FALSE;
	}
	return TRUE;
}

/* Returns: how many bytes after a ^C (@p points past it) are its colours. */
static gsize
pg_text_mirc_colour(const guchar *p, const guchar *end)
{
	gsize fg = pg_text_skip_digits(p, end, 2);
	gsize bg;

	/* the comma belongs to the code only between a foreground and digits */
	if (fg == 0 || p + fg >= end || p[fg] != ',')
		return fg;
	bg = pg_text_skip_digits(p + fg + 1, end, 2);
	return bg > 0 ? fg + 1 + bg : fg;
}

/* Returns: how many bytes after a ^D (@p points past it) are its colours. */
static gsize
pg_text_mirc_hex_colour(const guchar *p, const guchar *end)
{
	if (!pg_text_is_hex6(p, end))
		return 0;
	if (end - p > 6 && p[6] == ',' && pg_text_is_hex6(p + 7, end))
		return 13;
	return 6;
}

static inline guchar *
pg_text_put(guchar *o, gunichar c)
{
	return o + g_unichar_to_utf8(c, (gchar *)o);
}

gchar *
pg_text_sanitize(const gchar *text, gssize len, PgTextKind kind, const PgTextCharset *fallback)
{
	const guchar *p = (const guchar *)text;
	const guchar *end;
	gsize length;
	gsize clean;
	guchar *out;
	guchar *o;

	if (text == NULL)
		return NULL;
	if (fallback == NULL)
		fallback = &pg_text_cp1252;
	length = len < 0 ? strlen(text) : (gsize)len;
	end = p + length;
	clean = pg_text_clean_prefix(p, end, kind);
	if (clean == length)
		return g_strndup(text, length);

	/* each byte left becomes at most three (U+FFFD, or a fallback
	 * character, both in the BMP) */
	out = g_malloc(clean + (length - clean) * 3 + 1);
	memcpy(out, text, clean);
	o = out + clean;
	p += clean;
	while (p < end) {
		guchar b = *p;
		gunichar c;
		gsize n;

		if (b >= 0x20 && b < 0x7f) {
			*o++ = b;
			p++;
			continue;
		}
		n = pg_text_decode(p, end, &c);
		if (n == 0) {
			/* not UTF-8: read this byte alone in the fallback charset */
			c = fallback->high[b - 0x80];
			p += 1;
			if (pg_text_keeps(c, kind))
				o = pg_text_put(o, c);
			else if (kind == PG_TEXT_NAME)
				*o++ = PG_TEXT_NAME_REPLACEMENT;
			else if (kind == PG_TEXT_XML)
				o = pg_text_put(o, PG_TEXT_REPLACEMENT);
			continue;
		}
		if (pg_text_keeps(c, kind)) {
			memcpy(o, p, n);
			o += n;
			p += n;
			continue;
		}
		p += n;
		switch (kind) {
		case PG_TEXT_NAME:
			*o++ = PG_TEXT_NAME_REPLACEMENT;
			break;
		case PG_TEXT_XML:
			o = pg_text_put(o, PG_TEXT_REPLACEMENT);
			break;
		case PG_TEXT_LINE:
			if (c == '\t' || c == '\n' || c == '\r') {
				*o++ = ' ';
				break;
			}
			G_GNUC_FALLTHROUGH;
		case PG_TEXT_BODY:
		default:
			/* dropped, with a colour code's arguments */
			if (c == 0x03)
				p += pg_text_mirc_colour(p, end);
			else if (c == 0x04)
				p += pg_text_mirc_hex_colour(p, end);
			break;
		}
	}
	*o = '\0';
	return (gchar *)out;
}

const gchar *
pg_text_clean(const gchar *text, PgTextKind kind, gchar **to_free)
{
	g_return_val_if_fail(to_free != NULL && *to_free == NULL, text);

	if (text == NULL || pg_text_is_clean(text, -1, kind))
		return text;
	*to_free = pg_text_sanitize(text, -1, kind, NULL);
	return *to_free;
}
