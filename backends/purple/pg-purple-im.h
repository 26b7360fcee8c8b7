/* One-to-one messages from the legacy network (pg-purple-im.c). */
#pragma once

#include <glib.h>
#include <purple.h>

G_BEGIN_DECLS

/* A plugin older than the worker by more than this many seconds (its
 * timestamp against ours) delivered the message late: see pg-purple-im.c. */
#define PG_PURPLE_IM_LATE_S 2

/* The contact a 1:1 event is from: @who as the protocol names its buddies.
 * Returns: (transfer full) */
gchar *pg_purple_im_contact(PurpleAccount *account, const gchar *who);
/* PurpleConversationUiOps.write_conv: a received IM becomes im-received. */
void pg_purple_im_write_conv(PurpleConversation *conv, const char *who, const char *alias,
			     const char *message, PurpleMessageFlags flags, time_t mtime);
/* The stamp to send for a message the plugin timed @mtime with @flags,
 * received at @now (Unix seconds), or 0 for none.  Pure, for the tests. */
gint64 pg_purple_im_stamp(PurpleMessageFlags flags, gint64 mtime, gint64 now);
/* The next IM received on @account (written while the plugin parses the
 * stanza being read) carries @number as im-received's receipt: its sender
 * asked for a XEP-0184 receipt (pg-purple-receipts.c).  NULL, 0: none. */
void pg_purple_im_expect_receipt(PurpleAccount *account, guint32 number);

G_END_DECLS
