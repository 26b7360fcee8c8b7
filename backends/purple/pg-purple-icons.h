/* Buddy icons -> buddy-icon events (pg-purple-icons.c). */
#pragma once

#include <glib.h>
#include <purple.h>

G_BEGIN_DECLS

/* The largest icon the worker sends: the daemon takes at most this (and
 * less if the operator says so, max_avatar_bytes_per_user); the frame
 * holding it stays far below PG_IPC_FRAME_MAX. */
#define PG_PURPLE_ICON_MAX (256 * 1024)

/* Report @buddy's icon (or that it has none) if its account is signed on. */
void pg_purple_icons_report(PurpleBuddy *buddy);
void pg_purple_icons_connect(void);
void pg_purple_icons_disconnect(void);

G_END_DECLS
