/* Declarations shared inside src/ipc/ only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A GBytes of @len bytes (plus a hidden NUL) that is wiped before it is
 * freed; *@data points at its writable storage.
 * Returns: (transfer full) */
GBytes *pg_ipc_wiped_bytes_new(gsize len, guint8 **data);

G_END_DECLS
