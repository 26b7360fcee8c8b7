/* Strings from libpurple as IPC values.  See pg-purple-text.c. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Returns: (transfer floating) a string GVariant of @bytes made valid
 * UTF-8; NULL for a NULL @bytes (so that an absent field stays absent). */
GVariant *pg_purple_text_new(const gchar *bytes);

G_END_DECLS
