/* The legacy buddy list <-> buddy and add-buddy/remove-buddy messages
 * (pg-purple-buddies.c). */
#pragma once

#include <glib.h>
#include <purple.h>

#include "ipc/pg-ipc-message.h"

G_BEGIN_DECLS

void
pg_purple_buddies_connect(void);
void
pg_purple_buddies_disconnect(void);
/* Every buddy of @account, with its presence, to the daemon. */
void
pg_purple_buddies_report_all(PurpleAccount *account);
/* One buddy's presence to the daemon (pg-purple-events.c emits it on each
 * status change). */
void
pg_purple_buddies_presence(PurpleBuddy *buddy);
gboolean
pg_purple_buddies_add(const PgIpcMessage *msg, GError **error);
gboolean
pg_purple_buddies_remove(const PgIpcMessage *msg, GError **error);

G_END_DECLS
