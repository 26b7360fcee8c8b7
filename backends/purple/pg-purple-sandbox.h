/* The worker's Landlock sandbox.
 *
 * A worker runs a libpurple protocol plugin that parses whatever a legacy
 * server sends, so it may be exploited; it runs with the daemon's uid,
 * which can read the registry, its key file and the config.  Once libpurple
 * is up, and before the first credential or the first byte to a legacy
 * server, the worker confines itself with Landlock (Linux 5.13+; see
 * Documentation/userspace-api/landlock.rst in the kernel): from then on it
 * can read (and map, and execute) only what libpurple and its libraries
 * need, and write only its private user dir.  Everything else, the
 * registry, the key file and the config included, answers EACCES.  It also
 * sets PR_SET_NO_NEW_PRIVS, which Landlock requires and which keeps a
 * set-uid program it might exec from gaining anything.
 *
 * Newer kernels offer more; what the running kernel offers is used
 * (its ABI version decides the handled rights):
 *   ABI 2  renames and links across directories (REFER) are handled;
 *   ABI 3  truncate() is handled;
 *   ABI 5  ioctl on devices is handled;
 *   ABI 6  the worker can no longer signal a process outside its sandbox
 *          (the daemon, other workers) nor connect to an abstract unix
 *          socket outside it.
 * Network access is not restricted here: a worker must reach its servers.
 *
 * This file needs neither libpurple nor the daemon, so a test program can
 * apply exactly the same sandbox (tests/worker/sandbox-probe.c).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	PG_PURPLE_SANDBOX_OFF,         /* never confine (debugging) */
	PG_PURPLE_SANDBOX_BEST_EFFORT, /* confine if the kernel can; else warn and go on */
	PG_PURPLE_SANDBOX_REQUIRED,    /* confine, or refuse to work */
} PgPurpleSandboxMode;

/* "off", "best-effort", "required" */
gboolean pg_purple_sandbox_mode_from_string(const gchar *text, PgPurpleSandboxMode *mode);

/* The Landlock ABI version the running kernel offers, 0 if none (no
 * Landlock in the kernel, or disabled at boot). */
gint pg_purple_sandbox_get_abi(void);

/* Confine the calling process.  Landlock applies to the calling thread and
 * to the threads it starts later, so call it while the process has one
 * thread (it checks).  @private_dir gets
 * every right; @extra_read (NULL-terminated, may be NULL) are further paths
 * to read.  Sets *@abi to the ABI used (0 if not confined).  FALSE with
 * @error when @mode is REQUIRED and the sandbox could not be applied (or
 * threads started before it escaped it), or when PR_SET_NO_NEW_PRIVS
 * fails; in BEST_EFFORT a sandbox that cannot be built is a warning, and
 * the worker goes on unconfined (nothing half-built is ever applied). */
gboolean pg_purple_sandbox_apply(PgPurpleSandboxMode mode, const gchar *private_dir,
				 const gchar *const *extra_read, gint *abi, GError **error);

G_END_DECLS
