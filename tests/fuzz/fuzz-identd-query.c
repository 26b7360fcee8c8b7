/* Fuzz target: the identd's query parser (src/session/pg-identd.c), the
 * only code that reads what anyone on port 113 sends.
 *
 * Input: one query line, CR LF already cut off as the server does (any
 * bytes, NUL included: the parser reads a length, never up to a NUL). */
#include "config.h"

#include <string.h>

#include "session/pg-identd.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	guint local = 0, remote = 0;

	if (pg_identd_parse_query((const gchar *)data, size, &local, &remote)) {
		/* what it accepts is two TCP ports, nothing else */
		g_assert_cmpuint(local, >=, 1);
		g_assert_cmpuint(local, <=, 65535);
		g_assert_cmpuint(remote, >=, 1);
		g_assert_cmpuint(remote, <=, 65535);
		g_assert_nonnull(memchr(data, ',', size));
	} else {
		g_assert_cmpuint(local, ==, 0);
		g_assert_cmpuint(remote, ==, 0);
	}
	return 0;
}
