/* Logging: GLib structured logging with one level filter for the daemon.
 *
 * Never log a secret; message bodies only at debug level.  libstrophe's own
 * log lines go through pg_stanza (xmpp/), which drops SENT/RECV/Digest lines.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Parse "debug", "info", "message"/"notice", "warning", "error". */
gboolean pg_log_level_parse(const gchar *text, GLogLevelFlags *level);
/* Install the writer; messages less severe than @level are dropped. */
void pg_log_setup(GLogLevelFlags level);
void pg_log_set_level(GLogLevelFlags level);
gboolean pg_log_is_debug(void);

G_END_DECLS
