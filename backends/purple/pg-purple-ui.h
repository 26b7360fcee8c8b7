/* libpurple as a headless UI: user dir, plugins, UiOps, core init. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Default plugins when --plugin is not given: IRC plus TLS. */
#define PG_PURPLE_DEFAULT_PLUGINS "libirc.so", "ssl.so", "ssl-nss.so"

/* Create the private user dir, confine plugin probing to @plugins (bare
 * file names resolve in libpurple's plugin dir, absolute paths are taken as
 * they are), install the UiOps and start the core. */
/* @user_dir: an empty 0700 dir the daemon made for this worker (its
 * contents are removed on shutdown, the dir itself is the daemon's to
 * remove), or NULL for a fresh one under $XDG_RUNTIME_DIR or the tmp dir. */
gboolean pg_purple_ui_init(const gchar *const *plugins, const gchar *user_dir, gboolean verbose,
			   GError **error);
/* Stop the core and remove the user dir.  Safe if init failed half way. */
void pg_purple_ui_shutdown(void);
const gchar *pg_purple_ui_get_user_dir(void);
/* The fd whose input callback (event loop UI ops) is running, or -1:
 * which socket just connected, for pg-purple-ident.c. */
gint pg_purple_ui_get_dispatching_fd(void);
/* From now on @host resolves to @addresses only (the daemon's checked
 * addresses, login field "pin"). */
void pg_purple_ui_pin_host(const gchar *host, const gchar *const *addresses);

G_END_DECLS
