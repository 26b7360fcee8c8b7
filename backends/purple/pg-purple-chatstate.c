/* XEP-0085 chat states <-> libpurple typing states.
 *
 * The worker contract names typing states by their XEP-0085 element
 * (src/ipc/pg-ipc-message.h), both ways, so the daemon forwards a user's
 * chat state as it is and sends on what the worker reports.  libpurple has
 * three states where XEP-0085 has five: the three that mean "not typing"
 * become PURPLE_NOT_TYPING, and PURPLE_NOT_TYPING goes back as active
 * (XEP-0085 §5.1: the user "is actively participating in the chat
 * session"), the one that is always right after typing stopped.
 * Issue 9: the daemon sent "composing" and the worker knew only
 * "typing", so typing arrived as "not typing".
 */
#include "config.h"

#include "pg-purple-chatstate.h"

static const struct {
	const gchar *name;
	PurpleTypingState typing;
} pg_purple_chatstates[] = {
    {"composing", PURPLE_TYPING},  {"paused", PURPLE_TYPED},
    {"active", PURPLE_NOT_TYPING}, {"inactive", PURPLE_NOT_TYPING},
    {"gone", PURPLE_NOT_TYPING},
};

gboolean
pg_purple_chatstate_to_typing(const gchar *name, PurpleTypingState *typing)
{
	for (guint i = 0; i < G_N_ELEMENTS(pg_purple_chatstates); i++) {
		if (g_strcmp0(name, pg_purple_chatstates[i].name) == 0) {
			*typing = pg_purple_chatstates[i].typing;
			return TRUE;
		}
	}
	return FALSE;
}

const gchar *
pg_purple_chatstate_from_typing(PurpleTypingState typing)
{
	/* the first row of each typing state is its name */
	for (guint i = 0; i < G_N_ELEMENTS(pg_purple_chatstates); i++)
		if (pg_purple_chatstates[i].typing == typing)
			return pg_purple_chatstates[i].name;
	return "active";
}
