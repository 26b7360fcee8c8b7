/* XEP-0085 chat states <-> libpurple typing states, in one table. */
#pragma once

#include <glib.h>
#include <purple.h>

G_BEGIN_DECLS

/* The typing state a chat state means (XEP-0085 §5): composing is
 * PURPLE_TYPING, paused PURPLE_TYPED, active, inactive and gone
 * PURPLE_NOT_TYPING.  FALSE for a name that is no chat state. */
gboolean pg_purple_chatstate_to_typing(const gchar *name, PurpleTypingState *typing);
/* The chat state a typing state is reported as: composing, paused, active. */
const gchar *pg_purple_chatstate_from_typing(PurpleTypingState typing);

G_END_DECLS
