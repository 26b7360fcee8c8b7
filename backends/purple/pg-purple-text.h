/* Strings from libpurple as IPC values.  See pg-purple-text.c. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Returns: (transfer floating) a string GVariant of @bytes made valid
 * UTF-8; NULL for a NULL @bytes (so that an absent field stays absent). */
GVariant *pg_purple_text_new(const gchar *bytes);
/* libpurple's HTML markup (messages, status texts) as plain text for the
 * daemon; "" for NULL.  Returns: (transfer full) */
gchar *pg_purple_text_plain(const gchar *html);

G_END_DECLS
