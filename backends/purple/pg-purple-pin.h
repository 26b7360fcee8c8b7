/* Pinned server certificates (pg-purple-pin.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Put the pin check in front of libpurple's certificate verifier.  After
 * purple_core_init(). */
void pg_purple_pin_init(void);
/* Give libpurple its own verifier back. */
void pg_purple_pin_shutdown(void);

G_END_DECLS
