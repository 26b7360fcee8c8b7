/* WEBIRC before an IRC registration, and the connection's ports for the
 * daemon's identd (pg-purple-ident.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void pg_purple_ident_connect(void);
void pg_purple_ident_disconnect(void);

G_END_DECLS
