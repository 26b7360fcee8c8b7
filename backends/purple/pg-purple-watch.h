/* IRC contacts' presence by MONITOR or a faster ISON (pg-purple-watch.c). */
#pragma once

#include <glib.h>
#include <purple.h>

G_BEGIN_DECLS

void pg_purple_watch_connect(void);
void pg_purple_watch_disconnect(void);

G_END_DECLS
