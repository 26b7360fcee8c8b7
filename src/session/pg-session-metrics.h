/* /metrics of the session layer (pg-session-metrics.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PgSessionManager PgSessionManager;

/* Returns: (transfer full) the session metrics in Prometheus text format. */
gchar *pg_session_manager_metrics(PgSessionManager *self);

G_END_DECLS
