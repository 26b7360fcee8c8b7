/* A user's text as IRC lines: /me, long lines, pastes.  See pg-purple-lines.c. */
#pragma once

#include <glib.h>
#include <purple.h>

#include "ipc/pg-ipc-message.h"

G_BEGIN_DECLS

static inline gboolean
pg_purple_lines_is_irc(PurpleAccount *account)
{
	return g_strcmp0(purple_account_get_protocol_id(account), "prpl-irc") == 0;
}

/* The most bytes of text one PRIVMSG to @target may carry so that the line
 * a server relays, with its prefix for @nick, stays within 512 bytes
 * (@action: inside a CTCP ACTION). */
gsize
pg_purple_lines_piece_max(const gchar *nick, const gchar *target, gboolean action);
/* @body cut into pieces of at most @max bytes at UTF-8 boundaries, one line
 * after another, empty lines left out; *@action tells whether it starts
 * with "/me " (which is not in the pieces).  Returns: (transfer full) */
GPtrArray *
pg_purple_lines_split(const gchar *body, gsize max, gboolean *action);
/* Send @body (plain text) to @conv's channel or nick through prpl-irc's
 * queue; in a room, @html (the body as libpurple markup) is the echo. */
gboolean
pg_purple_lines_send(PurpleConversation *conv, const gchar *body, const gchar *html,
		     GError **error);

/* A room's own encoding (join-room's charset): its lines that are not
 * UTF-8 are read in it (prpl-irc's "irc-receiving-text" signal, before
 * prpl-irc parses them), and the user's lines to it are sent in it. */
void pg_purple_lines_connect(void);
void pg_purple_lines_disconnect(void);

/* Send @msg's "body" to the nick @to as send_im does, through an IM
 * conversation (made if need be).  Returns: 1, or -1 (serv_send_im()'s). */
gint pg_purple_lines_send_im(PurpleAccount *account, const gchar *to, const PgIpcMessage *msg,
			     GError **error);

G_END_DECLS
