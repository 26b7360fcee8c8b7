/* PgBridgeRender: how a line from the native room reads on the legacy
 * channel when one relay client speaks for everyone (issue 11 §3, §4).
 *
 * Pure functions: text in, IRC lines out.  No network, no state; the
 * runtime looks the old text of a correction and the nick of a reply up
 * in the bridge store's id map (pg-bridge-store.h) and passes them here.
 * Every text passes the one text boundary (src/stanza/pg-text.h) first.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What happens to a message longer than PgBridgeRenderPolicy.max_lines
 * (the config's multiline_policy, core/pg-config-bridge.h, maps onto it). */
typedef enum {
	PG_BRIDGE_OVERFLOW_REFUSE,    /* nothing is sent; the sender gets an error */
	PG_BRIDGE_OVERFLOW_SUMMARISE, /* the first lines and "(N more lines)" */
	PG_BRIDGE_OVERFLOW_LAST
} PgBridgeOverflow;

typedef struct {
	guint max_lines;          /* IRC lines one message may become (default 4) */
	PgBridgeOverflow above;  /* beyond that (default SUMMARISE) */
	guint summary_lines;      /* lines kept when summarising (default 3, < max_lines) */
	gsize max_line_bytes;     /* bytes of one IRC line after "PRIVMSG #chan :" (default 400) */
	gboolean break_highlight; /* a U+200B after the nick's first character (default TRUE) */
	gboolean own_lines;       /* the person's own IRC connection speaks
				   * (src/bridge/pg-bridge-clients.c): no "<nick> "; an
				   * action's lines start "/me " for the worker to send as
				   * CTCP ACTION (default FALSE) */
} PgBridgeRenderPolicy;

/* Fills @policy with the defaults above. */
void pg_bridge_render_policy_init(PgBridgeRenderPolicy *policy);

/* Returns: (transfer full) @nick as it appears between < and > on IRC: no
 * control, formatting, bidi or other character pg-text names refuse
 * (each becomes '?'), white space as '_', at most 32 characters, and with
 * @break_highlight a U+200B ZERO WIDTH SPACE after its first character,
 * so that a person on both sides is not highlighted by their own lines.
 * Never empty ("?" for an empty nick). */
gchar *pg_bridge_render_nick(const gchar *nick, gboolean break_highlight) G_GNUC_WARN_UNUSED_RESULT;

/* A message from the room to the legacy channel.  @reply_nick, if not
 * NULL, is the nick of the XEP-0461 reply's author, written as
 * "reply_nick: " in front (never with U+200B: the point is to highlight);
 * @body must already have the reply's fallback removed
 * (pg_bridge_render_strip_fallback()).  A body that starts with "/me "
 * (XEP-0245) becomes "* nick text".
 * Returns: (transfer full) the IRC lines to send, each at most
 * max_line_bytes, none empty (an empty array for a blank body), or NULL
 * with PG_ERROR_POLICY_VIOLATION when the policy refuses it. */
GStrv pg_bridge_render_message(const PgBridgeRenderPolicy *policy, const gchar *nick,
			       const gchar *body, const gchar *reply_nick,
			       GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* A XEP-0308 correction: @old_text is what was relayed before (NULL if the
 * map no longer knows it).  When one stretch of at most a few words
 * changed, "<nick> s/old/new/"; else "<nick> * corrected: new text" with
 * line breaks shown as " / ", cut to one line with "…".
 * Returns: (transfer full) one IRC line, or NULL if nothing changed or the
 * new text is blank. */
gchar *pg_bridge_render_correction(const PgBridgeRenderPolicy *policy, const gchar *nick,
				   const gchar *old_text,
				   const gchar *new_text) G_GNUC_WARN_UNUSED_RESULT;

/* XEP-0461 §4 / XEP-0428: removes the fallback range [@start, @end) of
 * @body, in Unicode code points (XEP-0426), then the line breaks that
 * follow it.  A range that does not fit @body (start > end, end past the
 * end, negative) leaves @body as it is: a wrong fallback must not eat
 * what the person wrote.  For several ranges, call it from the last one.
 * Returns: (transfer full) the body without the quote. */
gchar *pg_bridge_render_strip_fallback(const gchar *body, gint64 start,
				       gint64 end) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
