/* Questions a legacy network asks the user (libpurple prompts): see
 * pg-prompts.c. */
#pragma once

#include <glib.h>

#include "ipc/pg-ipc-message.h"
#include "session/pg-session-private.h"

G_BEGIN_DECLS

/* The request event of @link's worker: ask the user. */
void pg_prompts_on_request(PgLink *link, const PgIpcMessage *msg);
/* A chat message from the user of @session to the transport's own JID:
 * TRUE if it answered (or was told how to answer) an open question. */
gboolean pg_prompts_on_reply(PgSession *session, const gchar *body);
/* @link goes: drop its questions (the worker declines them itself). */
void pg_prompts_forget_link(PgLink *link);

/* XEP-0050 "answer-question" (src/xmpp/pg-adhoc.h), user_data the
 * PgSessionManager: the form of the user's oldest open question, and its
 * submission. */
xmpp_stanza_t *pg_prompts_command_form_cb(PgTransport *transport, const gchar *user_jid,
					  gpointer user_data, GError **error);
gchar *pg_prompts_command_answer_cb(PgTransport *transport, const gchar *user_jid,
				    GHashTable *form_values, gpointer user_data, GError **error);

/* The chat text of a question.  Returns: (transfer full) */
gchar *pg_prompts_render(const gchar *title, const gchar *primary, const gchar *secondary,
			 const gchar *type, const gchar *const *choices, gboolean masked,
			 guint timeout);
/* The index of the choice @body names (its number from 1, or its label),
 * -1 if none. */
gint pg_prompts_parse_choice(const gchar *body, const gchar *const *choices);

G_END_DECLS
