/* libpurple's CA pool, loaded by need (pg-purple-capool.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Before the sandbox: index the system CAs, and have the TLS verifier load
 * the ones a chain names. */
void pg_purple_capool_init(void);
void pg_purple_capool_shutdown(void);
/* The CA directories libpurple's own pool would read in full
 * (SSL_CERTIFICATES_DIR on Debian, and DATADIR/purple/ca-certs): the
 * sandbox lets the worker read their files but not list them.  A
 * NULL-terminated initialiser, so that the sandbox needs no more of this
 * file. */
#define PG_PURPLE_CAPOOL_DIRS {"/etc/ssl/certs", "/usr/share/purple/ca-certs", NULL}
/* How many CA certificates were indexed, and loaded so far. */
guint pg_purple_capool_indexed(void);
guint pg_purple_capool_loaded(void);

G_END_DECLS
