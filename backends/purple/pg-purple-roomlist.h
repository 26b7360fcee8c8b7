/* The network's room list: list-rooms -> room-list (pg-purple-roomlist.c). */
#pragma once

#include <glib.h>
#include <purple.h>

#include "ipc/pg-ipc-message.h"

G_BEGIN_DECLS

void pg_purple_roomlist_init(void);
void pg_purple_roomlist_uninit(void);
/* list-rooms: start the listing; its room-list events follow (an error
 * event only for an unknown account). */
void pg_purple_roomlist_dispatch(const PgIpcMessage *msg);

G_END_DECLS
