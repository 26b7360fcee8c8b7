#include "config.h"

#include <stdio.h>

#include "core/pg-log.h"

/* One process-wide threshold: GLib's log writer is process-global anyway. */
static GLogLevelFlags pg_log_threshold = G_LOG_LEVEL_MESSAGE;

gboolean
pg_log_level_parse(const gchar *text, GLogLevelFlags *level)
{
	static const struct {
		const gchar *name;
		GLogLevelFlags level;
	} names[] = {
	    {"debug", G_LOG_LEVEL_DEBUG},     {"info", G_LOG_LEVEL_INFO},
	    {"message", G_LOG_LEVEL_MESSAGE}, {"notice", G_LOG_LEVEL_MESSAGE},
	    {"warning", G_LOG_LEVEL_WARNING}, {"error", G_LOG_LEVEL_CRITICAL},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
		if (g_ascii_strcasecmp(text, names[i].name) == 0) {
			*level = names[i].level;
			return TRUE;
		}
	}
	return FALSE;
}

/* GLogLevelFlags are bit flags where a smaller bit is more severe. */
static gboolean
pg_log_level_enabled(GLogLevelFlags level)
{
	return (level & G_LOG_LEVEL_MASK) <= pg_log_threshold;
}

static GLogWriterOutput
pg_log_writer_cb(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	if (!pg_log_level_enabled(level) && !(level & G_LOG_FLAG_FATAL))
		return G_LOG_WRITER_HANDLED;
	/* journald when we run under systemd, else plain lines on stderr */
	if (g_log_writer_is_journald(fileno(stderr)))
		return g_log_writer_journald(level, fields, n_fields, user_data);
	return g_log_writer_standard_streams(level, fields, n_fields, user_data);
}

void
pg_log_set_level(GLogLevelFlags level)
{
	pg_log_threshold = level;
	/* G_MESSAGES_DEBUG makes GLib's default writer emit debug/info */
	if (level >= G_LOG_LEVEL_INFO)
		g_log_set_debug_enabled(TRUE);
}

void
pg_log_setup(GLogLevelFlags level)
{
	pg_log_set_level(level);
	g_log_set_writer_func(pg_log_writer_cb, NULL, NULL);
}

gboolean
pg_log_is_debug(void)
{
	return pg_log_threshold >= G_LOG_LEVEL_DEBUG;
}
