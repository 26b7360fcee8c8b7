/* The text boundary: any bytes -> UTF-8 that XML 1.0 accepts.
 *
 * Every string that enters a stanza passes here (through the builders in
 * pg-stanza.h, and once more as a whole in pg_component_send()), because
 * one character XML 1.0 forbids makes the server close the component
 * stream as not-well-formed (RFC 6120 §4.9.3.13), and every user of the
 * transport drops with it.  See pg-text.c for the rules.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What the text is for; each kind has its own rule for control characters
 * (the rest is common: UTF-8 is kept, bytes that are not UTF-8 are read in
 * the fallback charset, U+FFFE/U+FFFF go). */
typedef enum {
	/* Character data (a body, a subject, a status, an error text): TAB, LF
	 * and CR stay; mIRC formatting codes go with their arguments; every
	 * other C0/C1 control and DEL is dropped. */
	PG_TEXT_BODY,
	/* An attribute value or a one-line text: as PG_TEXT_BODY, and TAB, LF,
	 * CR become a space. */
	PG_TEXT_LINE,
	/* A legacy name that becomes part of a JID or a nick: every control
	 * character, mIRC codes included, becomes '?', so that "bob\x02" can
	 * never pass for "bob" (RFC 7622 §3.3/§3.4: PRECIS disallows controls
	 * in a JID); so do the characters stringprep prohibits in a JID
	 * (U+FFFD among them, see pg-text.c). */
	PG_TEXT_NAME,
	/* A serialised stanza: only what XML 1.0 §2.2 forbids becomes U+FFFD;
	 * TAB/LF/CR, DEL and C1 controls stay.  The component's last check. */
	PG_TEXT_XML,
	/* Only UTF-8: bytes that are not UTF-8 are read in the fallback charset
	 * and every valid character stays, controls included.  For a worker's
	 * IPC frames (a GVariant string must be UTF-8), which the daemon cleans
	 * for their stanza later (backends/purple/pg-purple-text.c). */
	PG_TEXT_UTF8,
} PgTextKind;

/* A single-byte charset in which bytes that are not UTF-8 are read (IRC
 * clients that still send Latin-1 or CP1252, for example). */
typedef struct _PgTextCharset PgTextCharset;

/* Returns: (transfer full) the charset @name as iconv knows it, or NULL
 * with PG_ERROR_CONFIG if iconv does not know it or it is not a superset
 * of ASCII.  A byte it cannot decode alone (an undefined CP1252 byte, the
 * lead byte of a multi-byte charset) becomes U+FFFD; so does a byte it
 * would decode to ASCII, which would otherwise smuggle markup past the
 * checks. */
PgTextCharset *pg_text_charset_new(const gchar *name, GError **error);
void pg_text_charset_free(PgTextCharset *charset);
const gchar *pg_text_charset_get_name(const PgTextCharset *charset);
/* The built-in default, WINDOWS-1252 (a superset of Latin-1's printable
 * characters, and what mIRC on Windows sends); never freed. */
const PgTextCharset *pg_text_charset_default(void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgTextCharset, pg_text_charset_free)

/* Returns: (transfer full) @text (@len bytes, or up to its NUL when @len is
 * -1) as valid UTF-8 whose every character XML 1.0 allows as character data
 * and as an attribute value, cleaned for @kind; NULL only for a NULL @text.
 * @fallback reads the bytes that are not UTF-8 (NULL: the default). */
gchar *pg_text_sanitize(const gchar *text, gssize len, PgTextKind kind,
			const PgTextCharset *fallback) G_GNUC_WARN_UNUSED_RESULT;

/* TRUE if pg_text_sanitize() would return @text unchanged; no allocation. */
gboolean pg_text_is_clean(const gchar *text, gssize len, PgTextKind kind);

/* For builders: @text itself when it is clean, else a cleaned copy that is
 * also stored in *@to_free (which must start NULL; g_autofree it).
 * Returns: (transfer none) the text to use; NULL for a NULL @text. */
const gchar *pg_text_clean(const gchar *text, PgTextKind kind, gchar **to_free);

G_END_DECLS
