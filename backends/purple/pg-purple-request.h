/* libpurple prompts (request UiOps): see pg-purple-request.c. */
#pragma once

#include <glib.h>
#include <purple.h>

#include "ipc/pg-ipc-message.h"

G_BEGIN_DECLS

/* Install the request UiOps; call before purple_core_init(). */
void pg_purple_request_init(void);
/* After purple_core_quit(), which closes what is still open. */
void pg_purple_request_shutdown(void);

/* The answer command: the user's answer to the prompt we asked. */
gboolean pg_purple_request_answer(const PgIpcMessage *msg, GError **error);
/* While the plugin's callback runs for a user's answer: the account (the
 * daemon's key) of that user; NULL otherwise. */
const gchar *pg_purple_request_get_answering_account(void);
/* @account (the daemon's key) is going: decline the prompts it was asked. */
void pg_purple_request_forget_account(const gchar *account);

/* TRUE if @label (GTK mnemonics allowed) says no: Reject, Cancel, No... */
gboolean pg_purple_request_label_is_negative(const gchar *label);
/* The index of the action that declines among @count @labels: the first
 * negative one, else the last; -1 when there is none. */
gint pg_purple_request_pick_decline(const gchar *const *labels, gsize count);

G_END_DECLS
