/* PgBridgeRender: room lines as the relay client writes them on IRC
 * (pg-bridge-render.h).
 *
 * DESIGN
 * - One relay client speaks for every XMPP occupant (DESIGN "XMPP → legacy";
 *   Libera asks for one-to-many bridging), so each line carries its author:
 *   "<nick> text", the form matterbridge and most relay bots use, which IRC
 *   clients and bots already know how to read.
 * - The nick gets a U+200B ZERO WIDTH SPACE after its first character by
 *   default.  During a move most regulars are on both sides under the same
 *   nick; an IRC client highlights any line that contains its own nick, so
 *   without it every line alice writes in the room would highlight alice's
 *   own IRC client.  U+200B is invisible in UTF-8 clients (Libera is UTF-8);
 *   the cost is that a copied nick carries it, and a Latin-1 client shows
 *   three bytes of mojibake.  It is a per-bridge switch for that reason.
 *   A reply's "othernick: " never gets one: highlighting is its purpose.
 * - Nicks go through pg-text's PG_TEXT_NAME (controls, bidi overrides and
 *   the like become '?', so "bob\u202E" cannot pass for another nick), white
 *   space becomes '_' (the nick stays one token, as relay-aware scripts
 *   expect), and at most 32 characters stay.  Bodies go through
 *   PG_TEXT_BODY: mIRC formatting typed on XMPP is dropped, not obeyed.
 * - RFC 2812 §2.3: a message is at most 512 bytes with CR-LF, and the
 *   server prefixes ":nick!user@host " when it relays it; 400 bytes of text
 *   after "PRIVMSG #chan :" leaves room for both on every network we know.
 *   Longer lines are cut at a space when one lies in the last half, else on
 *   a character boundary; each piece carries the prefix again.
 * - Multi-line messages: each line is an IRC line; above max_lines IRC
 *   lines the policy refuses the message (the sender gets an error) or
 *   sends the first summary_lines and "(N more lines)".
 * - XEP-0308 corrections: IRC has none, so a short line.  When one
 *   stretch changed, widened to whole words, "s/teh/the/" (the IRC habit);
 *   otherwise "* corrected: " and the new text on one line.
 */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include <string.h>

#include "bridge/pg-bridge-render.h"
#include "core/pg-error.h"
#include "stanza/pg-text.h"

#define PG_BRIDGE_RENDER_NICK_CHARS	   32
#define PG_BRIDGE_RENDER_MIN_TEXT_BYTES	   32 /* of text per line, whatever the prefix */
#define PG_BRIDGE_RENDER_SUBST_OLD_CHARS   32
#define PG_BRIDGE_RENDER_SUBST_NEW_CHARS   64
#define PG_BRIDGE_RENDER_ZWSP		   "\xE2\x80\x8B"
#define PG_BRIDGE_RENDER_ELLIPSIS	   "\xE2\x80\xA6"

void
pg_bridge_render_policy_init(PgBridgeRenderPolicy *policy)
{
	policy->max_lines = 4;
	policy->above = PG_BRIDGE_OVERFLOW_SUMMARISE;
	policy->summary_lines = 3;
	policy->max_line_bytes = 400;
	policy->break_highlight = TRUE;
	policy->own_lines = FALSE;
}

gchar *
pg_bridge_render_nick(const gchar *nick, gboolean break_highlight)
{
	g_autofree gchar *clean = pg_text_sanitize(nick != NULL ? nick : "", -1, PG_TEXT_NAME, NULL);
	GString *out = g_string_new(NULL);
	guint chars = 0;

	for (const gchar *p = clean; *p != '\0' && chars < PG_BRIDGE_RENDER_NICK_CHARS;
	     p = g_utf8_next_char(p), chars++) {
		gunichar c = g_utf8_get_char(p);

		/* U+200B itself is "Cf", not space: a nick that brings its own
		 * stays as it is (it only breaks its own highlight) */
		if (g_unichar_isspace(c) || g_unichar_type(c) == G_UNICODE_SPACE_SEPARATOR)
			g_string_append_c(out, '_');
		else
			g_string_append_unichar(out, c);
		if (chars == 0 && break_highlight)
			g_string_append(out, PG_BRIDGE_RENDER_ZWSP);
	}
	if (out->len == 0)
		g_string_append_c(out, '?');
	return g_string_free(out, FALSE);
}

/* Appends @text (one line, clean) as IRC lines of at most @max_bytes,
 * each "@prefix piece". */
static void
pg_bridge_render_split(GPtrArray *lines, const gchar *prefix, const gchar *text, gsize max_bytes)
{
	gsize prefix_len = strlen(prefix);
	gsize budget = max_bytes > prefix_len + PG_BRIDGE_RENDER_MIN_TEXT_BYTES
			   ? max_bytes - prefix_len
			   : PG_BRIDGE_RENDER_MIN_TEXT_BYTES;
	const gchar *p = text;

	while (*p != '\0') {
		gsize left = strlen(p);
		const gchar *end;

		if (left <= budget) {
			g_ptr_array_add(lines, g_strconcat(prefix, p, NULL));
			return;
		}
		end = p + budget;
		/* back to a character boundary: never split a UTF-8 sequence */
		while (end > p && ((guchar)*end & 0xC0) == 0x80)
			end--;
		/* prefer a space in the last half */
		for (const gchar *space = end; space > p + budget / 2; space--) {
			if (*space == ' ') {
				end = space;
				break;
			}
		}
		if (end == p) /* cannot happen with a budget of 32 bytes, but never loop */
			end = g_utf8_next_char(p);
		g_ptr_array_add(lines, g_strdup_printf("%s%.*s", prefix, (int)(end - p), p));
		p = end;
		while (*p == ' ')
			p++;
	}
}

/* Returns: (transfer full) @text cut at CR-LF, CR and LF, each line
 * without trailing white space, blank lines left out (IRC has no empty
 * message).  By hand, not GRegex: this runs for every relayed line. */
static GStrv
pg_bridge_render_lines(const gchar *text)
{
	g_autoptr(GStrvBuilder) lines = g_strv_builder_new();
	const gchar *p = text;

	while (*p != '\0') {
		gsize len = strcspn(p, "\r\n");
		g_autofree gchar *line = g_strndup(p, len);

		g_strchomp(line);
		if (line[0] != '\0')
			g_strv_builder_add(lines, line);
		p += len;
		if (p[0] == '\r' && p[1] == '\n')
			p += 2;
		else if (*p != '\0')
			p++;
	}
	return g_strv_builder_end(lines);
}

/* TRUE if @text starts with @nick and then ':' or ','. */
static gboolean
pg_bridge_render_addresses(const gchar *text, const gchar *nick)
{
	gsize len = strlen(nick);

	return g_ascii_strncasecmp(text, nick, len) == 0 && (text[len] == ':' || text[len] == ',');
}

GStrv
pg_bridge_render_message(const PgBridgeRenderPolicy *policy, const gchar *nick, const gchar *body,
			 const gchar *reply_nick, GError **error)
{
	g_autofree gchar *clean = pg_text_sanitize(body != NULL ? body : "", -1, PG_TEXT_BODY, NULL);
	g_autofree gchar *irc_nick = pg_bridge_render_nick(nick, policy->break_highlight);
	g_autofree gchar *prefix = NULL;
	g_autofree gchar *addressee = NULL;
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) source_lines = NULL;
	const gchar *text = clean;
	gboolean first = TRUE;

	/* XEP-0245: "/me " at the very start of the body */
	if (g_str_has_prefix(text, "/me ")) {
		prefix = policy->own_lines ? g_strdup("/me ") : g_strdup_printf("* %s ", irc_nick);
		text += strlen("/me ");
	} else {
		prefix = policy->own_lines ? g_strdup("") : g_strdup_printf("<%s> ", irc_nick);
	}
	if (reply_nick != NULL && *reply_nick != '\0')
		addressee = pg_bridge_render_nick(reply_nick, FALSE);
	g_strdelimit(clean, "\t", ' ');
	source_lines = pg_bridge_render_lines(text);
	for (guint i = 0; source_lines[i] != NULL; i++) {
		g_autofree gchar *line = NULL;

		if (first && addressee != NULL &&
		    !pg_bridge_render_addresses(source_lines[i], addressee))
			line = g_strdup_printf("%s: %s", addressee, source_lines[i]);
		else
			line = g_strdup(source_lines[i]);
		first = FALSE;
		pg_bridge_render_split(lines, prefix, line, policy->max_line_bytes);
	}
	if (lines->len > policy->max_lines) {
		guint keep = MIN(policy->summary_lines, policy->max_lines);
		guint more;

		if (policy->above == PG_BRIDGE_OVERFLOW_REFUSE || keep == 0) {
			g_set_error(error, PG_ERROR, PG_ERROR_POLICY_VIOLATION,
				    "This message would be %u lines on IRC; the bridge sends at "
				    "most %u",
				    lines->len, policy->max_lines);
			return NULL;
		}
		/* the summary line takes one of the max_lines */
		keep = MIN(keep, MAX(policy->max_lines, 1) - 1);
		more = lines->len - keep;
		g_ptr_array_set_size(lines, keep);
		g_ptr_array_add(lines, g_strdup_printf("%s(%u more line%s)", prefix, more,
						       more == 1 ? "" : "s"));
	}
	g_ptr_array_add(lines, NULL);
	return (GStrv)g_ptr_array_free(g_steal_pointer(&lines), FALSE);
}

/* ------------------------------------------------------------ corrections */

static gboolean
pg_bridge_render_is_space(gunichar c)
{
	return g_unichar_isspace(c);
}

/* Count of @needle (non-empty) in @haystack, at most 2. */
static guint
pg_bridge_render_count(const gchar *haystack, const gchar *needle)
{
	guint n = 0;

	for (const gchar *p = strstr(haystack, needle); p != NULL && n < 2;
	     p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Returns: (transfer full) "s/old/new/" if one stretch of @old changed
 * into @new and it says so shortly and unambiguously, else NULL. */
static gchar *
pg_bridge_render_substitution(const gchar *old, const gchar *new)
{
	glong old_len = 0, new_len = 0;
	g_autofree gunichar *o = g_utf8_to_ucs4_fast(old, -1, &old_len);
	g_autofree gunichar *n = g_utf8_to_ucs4_fast(new, -1, &new_len);
	glong start = 0, old_end, new_end;
	g_autofree gchar *old_mid = NULL;
	g_autofree gchar *new_mid = NULL;

	if (strpbrk(old, "\r\n") != NULL || strpbrk(new, "\r\n") != NULL)
		return NULL;
	while (start < old_len && start < new_len && o[start] == n[start])
		start++;
	old_end = old_len;
	new_end = new_len;
	while (old_end > start && new_end > start && o[old_end - 1] == n[new_end - 1]) {
		old_end--;
		new_end--;
	}
	/* widen to whole words on both sides (the same on both: the common
	 * prefix and suffix are equal there) */
	while (start > 0 && !pg_bridge_render_is_space(o[start - 1]))
		start--;
	while (old_end < old_len && !pg_bridge_render_is_space(o[old_end])) {
		old_end++;
		new_end++;
	}
	if (old_end == start || old_end - start > PG_BRIDGE_RENDER_SUBST_OLD_CHARS ||
	    new_end - start > PG_BRIDGE_RENDER_SUBST_NEW_CHARS)
		return NULL;
	old_mid = g_ucs4_to_utf8(o + start, old_end - start, NULL, NULL, NULL);
	new_mid = g_ucs4_to_utf8(n + start, new_end - start, NULL, NULL, NULL);
	if (old_mid == NULL || new_mid == NULL || strchr(old_mid, '/') != NULL ||
	    strchr(new_mid, '/') != NULL || pg_bridge_render_count(old, old_mid) != 1)
		return NULL;
	return g_strdup_printf("s/%s/%s/", old_mid, new_mid);
}

gchar *
pg_bridge_render_correction(const PgBridgeRenderPolicy *policy, const gchar *nick,
			    const gchar *old_text, const gchar *new_text)
{
	g_autofree gchar *new_clean =
	    pg_text_sanitize(new_text != NULL ? new_text : "", -1, PG_TEXT_BODY, NULL);
	g_autofree gchar *old_clean =
	    old_text != NULL ? pg_text_sanitize(old_text, -1, PG_TEXT_BODY, NULL) : NULL;
	g_autofree gchar *irc_nick = pg_bridge_render_nick(nick, policy->break_highlight);
	g_autofree gchar *substitution = NULL;
	g_autoptr(GString) line = NULL;
	g_auto(GStrv) parts = NULL;
	gsize max = MAX(policy->max_line_bytes, (gsize)PG_BRIDGE_RENDER_MIN_TEXT_BYTES * 2);

	g_strstrip(new_clean);
	if (new_clean[0] == '\0')
		return NULL;
	if (old_clean != NULL) {
		g_strstrip(old_clean);
		if (g_strcmp0(old_clean, new_clean) == 0)
			return NULL;
		substitution = pg_bridge_render_substitution(old_clean, new_clean);
	}
	if (policy->own_lines)
		g_clear_pointer(&irc_nick, g_free);
	if (substitution != NULL &&
	    (irc_nick == NULL || strlen(irc_nick) + strlen(substitution) + 3 <= max))
		return irc_nick == NULL ? g_steal_pointer(&substitution)
					: g_strdup_printf("<%s> %s", irc_nick, substitution);
	line = g_string_new(NULL);
	if (irc_nick == NULL)
		g_string_printf(line, "* corrected: ");
	else
		g_string_printf(line, "<%s> * corrected: ", irc_nick);
	g_strdelimit(new_clean, "\t", ' ');
	parts = pg_bridge_render_lines(new_clean);
	for (guint i = 0; parts[i] != NULL; i++) {
		if (i > 0)
			g_string_append(line, " / ");
		g_string_append(line, parts[i]);
	}
	if (line->len > max) {
		gsize cut = max - strlen(PG_BRIDGE_RENDER_ELLIPSIS);

		while (cut > 0 && ((guchar)line->str[cut] & 0xC0) == 0x80)
			cut--;
		g_string_truncate(line, cut);
		g_string_append(line, PG_BRIDGE_RENDER_ELLIPSIS);
	}
	return g_string_free(g_steal_pointer(&line), FALSE);
}

gchar *
pg_bridge_render_strip_fallback(const gchar *body, gint64 start, gint64 end)
{
	glong chars;
	const gchar *from, *to;
	GString *out;

	if (body == NULL)
		return g_strdup("");
	if (!g_utf8_validate(body, -1, NULL))
		return g_strdup(body);
	chars = g_utf8_strlen(body, -1);
	if (start < 0 || end < start || end > chars)
		return g_strdup(body);
	from = g_utf8_offset_to_pointer(body, (glong)start);
	to = g_utf8_offset_to_pointer(body, (glong)end);
	while (*to == '\r' || *to == '\n')
		to++;
	out = g_string_new_len(body, from - body);
	g_string_append(out, to);
	return g_string_free(out, FALSE);
}
