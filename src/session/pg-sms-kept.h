/* What Kannel hands us while the XMPP side is away, kept in the registry's
 * inbox and sent when the component is back (pg-sms-kept.c). */
#pragma once

#include <glib.h>

#include "session/pg-session-private.h"

G_BEGIN_DECLS

/* The component of @transport is back: send what was kept meanwhile. */
void pg_sms_deliver_kept(PgSms *self, PgTransport *transport);
/* An inbound SMS from @from that @link's worker reported (im-received): if
 * the component is away, it is kept for later.  Returns: TRUE if kept. */
gboolean pg_sms_keep_im(PgSms *self, PgLink *link, const gchar *from, const gchar *body);

G_END_DECLS
