/* The worker's Landlock sandbox; see pg-purple-sandbox.h for the design.
 *
 * Raw syscalls on purpose: Debian 12 ships no Landlock library, and the
 * interface is three syscalls.  The ruleset attribute is our own struct,
 * laid out as the kernel's (linux/landlock.h), so that rights newer than
 * the build host's headers can still be used on a newer kernel; the kernel
 * takes a shorter struct from an older ABI's point of view. */
#include "config.h"

#define G_LOG_DOMAIN "pg-purple"
/* O_PATH */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/pg-error.h"
#include "pg-purple-capool.h"
#include "pg-purple-sandbox.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

/* The rights, by the ABI that brought them (kernel ABI values, stable). */
#define PG_LL_FS_EXECUTE (1ULL << 0)
#define PG_LL_FS_WRITE_FILE (1ULL << 1)
#define PG_LL_FS_READ_FILE (1ULL << 2)
#define PG_LL_FS_READ_DIR (1ULL << 3)
#define PG_LL_FS_ABI1 ((1ULL << 13) - 1) /* EXECUTE .. MAKE_SYM */
#define PG_LL_FS_REFER (1ULL << 13)      /* ABI 2 */
#define PG_LL_FS_TRUNCATE (1ULL << 14)   /* ABI 3 */
#define PG_LL_FS_IOCTL_DEV (1ULL << 15)  /* ABI 5 */
#define PG_LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define PG_LL_SCOPE_SIGNAL (1ULL << 1)               /* ABI 6 */
/* rights that make sense on a file, not only on a directory */
#define PG_LL_FS_FILE_RIGHTS                                                                      \
	(PG_LL_FS_EXECUTE | PG_LL_FS_WRITE_FILE | PG_LL_FS_READ_FILE | PG_LL_FS_TRUNCATE |        \
	 PG_LL_FS_IOCTL_DEV)
#define PG_LL_READ (PG_LL_FS_READ_FILE | PG_LL_FS_READ_DIR | PG_LL_FS_EXECUTE)

typedef struct {
	guint64 handled_access_fs;
	guint64 handled_access_net; /* ABI 4 */
	guint64 scoped;             /* ABI 6 */
} PgLandlockRulesetAttr;

/* What libpurple, GLib, NSS/NSPR, libc's resolver and the dynamic loader
 * read once the worker is up: found by running real logins (IRC over TLS
 * against ngircd, the SMS plugin against Kannel) under the sandbox.  A
 * path that does not exist is skipped.  Nothing under /etc/polygate,
 * /var/lib or any home: the config, the registry and the key live there. */
static const gchar *const pg_purple_sandbox_read[] = {
    /* programs, libraries, plugins (libpurple's and polygate's own when
     * installed), locales, time zones, CA bundles under /usr/share */
    "/usr",
    "/lib",
    "/lib64",
    /* the dynamic loader and libc's name service */
    "/etc/ld.so.cache",
    "/etc/nsswitch.conf",
    "/etc/host.conf",
    "/etc/hosts",
    "/etc/resolv.conf",
    "/etc/gai.conf",
    "/etc/services",
    "/etc/protocols",
    "/etc/passwd",
    "/etc/group",
    "/etc/localtime",
    /* TLS trust: OpenSSL/NSS/p11-kit configuration and CA certificates
     * (/etc/ssl/certs: PG_PURPLE_CAPOOL_DIRS, below) */
    "/etc/ssl/openssl.cnf",
    "/etc/ca-certificates",
    "/etc/pki",
    "/etc/pkcs11",
    "/etc/crypto-policies",
    /* SASL (IRC SASL goes through cyrus-sasl in libpurple) and Kerberos */
    "/etc/sasl2",
    "/etc/gss",
    "/etc/krb5.conf",
    /* randomness, and the process's own /proc (RSS for the stats) */
    "/dev/urandom",
    "/dev/random",
    "/proc/self",
    "/proc/thread-self",
    NULL,
};

/* read and written: the sink of everything libraries throw away */
static const gchar *const pg_purple_sandbox_read_write[] = {
    "/dev/null",
    NULL,
};

gboolean
pg_purple_sandbox_mode_from_string(const gchar *text, PgPurpleSandboxMode *mode)
{
	if (g_strcmp0(text, "off") == 0)
		*mode = PG_PURPLE_SANDBOX_OFF;
	else if (g_strcmp0(text, "best-effort") == 0)
		*mode = PG_PURPLE_SANDBOX_BEST_EFFORT;
	else if (g_strcmp0(text, "required") == 0)
		*mode = PG_PURPLE_SANDBOX_REQUIRED;
	else
		return FALSE;
	return TRUE;
}

gint
pg_purple_sandbox_get_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			   (unsigned int)LANDLOCK_CREATE_RULESET_VERSION);
	return abi > 0 ? (gint)abi : 0;
}

static guint64
pg_purple_sandbox_handled_fs(gint abi)
{
	guint64 handled = PG_LL_FS_ABI1;

	if (abi >= 2)
		handled |= PG_LL_FS_REFER;
	if (abi >= 3)
		handled |= PG_LL_FS_TRUNCATE;
	if (abi >= 5)
		handled |= PG_LL_FS_IOCTL_DEV;
	return handled;
}

/* Allow @access (masked to what is handled, and to file rights for a
 * non-directory) beneath @path.  A missing path is fine; any other failure
 * is an error, since a half-built ruleset must not be applied silently. */
static gboolean
pg_purple_sandbox_allow(int ruleset, const gchar *path, guint64 access, guint64 handled,
			GError **error)
{
	struct landlock_path_beneath_attr rule = {0};
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return TRUE;
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "sandbox: cannot open %s: %s", path,
			    g_strerror(errno));
		return FALSE;
	}
	if (fstat(fd, &st) != 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "sandbox: cannot stat %s: %s", path,
			    g_strerror(errno));
		close(fd);
		return FALSE;
	}
	access &= handled;
	if (!S_ISDIR(st.st_mode))
		access &= PG_LL_FS_FILE_RIGHTS;
	rule.allowed_access = access;
	rule.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "sandbox: cannot allow %s: %s", path,
			    g_strerror(errno));
		close(fd);
		return FALSE;
	}
	close(fd);
	return TRUE;
}

static gboolean
pg_purple_sandbox_build(int ruleset, guint64 handled, const gchar *private_dir,
			const gchar *const *extra_read, GError **error)
{
	static const gchar *const ca_dirs[] = PG_PURPLE_CAPOOL_DIRS;

	for (guint i = 0; pg_purple_sandbox_read[i] != NULL; i++) {
		if (!pg_purple_sandbox_allow(ruleset, pg_purple_sandbox_read[i], PG_LL_READ,
					     handled, error))
			return FALSE;
	}
	/* CA directories: their files are read, they are not listed, so that
	 * libpurple's CA pool loads none of them in full and the worker's own
	 * loads the ones a chain needs (pg-purple-capool.c) */
	for (guint i = 0; ca_dirs[i] != NULL; i++) {
		if (!pg_purple_sandbox_allow(ruleset, ca_dirs[i], PG_LL_FS_READ_FILE,
					     handled, error))
			return FALSE;
	}
	for (guint i = 0; pg_purple_sandbox_read_write[i] != NULL; i++) {
		if (!pg_purple_sandbox_allow(ruleset, pg_purple_sandbox_read_write[i],
					     PG_LL_READ | PG_LL_FS_WRITE_FILE | PG_LL_FS_TRUNCATE,
					     handled, error))
			return FALSE;
	}
	for (guint i = 0; extra_read != NULL && extra_read[i] != NULL; i++) {
		if (!pg_purple_sandbox_allow(ruleset, extra_read[i], PG_LL_READ, handled, error))
			return FALSE;
	}
	/* the private dir must exist: without it the worker could not work */
	if (!g_file_test(private_dir, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "sandbox: %s is not a directory",
			    private_dir);
		return FALSE;
	}
	return pg_purple_sandbox_allow(ruleset, private_dir, handled, handled, error);
}

/* Landlock confines the calling thread and the threads it starts later;
 * a thread started before would stay free.  The worker applies the
 * sandbox while it has one thread; this says so if that ever changes. */
static gboolean
pg_purple_sandbox_check_threads(PgPurpleSandboxMode mode, GError **error)
{
	g_autofree gchar *status = NULL;
	const gchar *line;
	guint64 threads;

	if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL))
		return TRUE;
	line = strstr(status, "\nThreads:");
	threads = line != NULL ? g_ascii_strtoull(line + strlen("\nThreads:"), NULL, 10) : 0;
	if (threads <= 1)
		return TRUE;
	if (mode == PG_PURPLE_SANDBOX_REQUIRED) {
		g_set_error(error, PG_ERROR, PG_ERROR_INTERNAL_SERVER_ERROR,
			    "sandbox: %" G_GUINT64_FORMAT " threads were running before it, "
			    "and all but one are not confined",
			    threads);
		return FALSE;
	}
	g_warning("sandbox: %" G_GUINT64_FORMAT " threads were running before it; all but "
		  "one are not confined",
		  threads);
	return TRUE;
}

/* Build the ruleset and restrict ourselves; on failure nothing is applied. */
static gboolean
pg_purple_sandbox_confine(const PgLandlockRulesetAttr *attr, gsize attr_size,
			  const gchar *private_dir, const gchar *const *extra_read, GError **error)
{
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, attr, attr_size, 0);

	if (ruleset < 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_INTERNAL_SERVER_ERROR,
			    "sandbox: landlock_create_ruleset: %s", g_strerror(errno));
		return FALSE;
	}
	if (!pg_purple_sandbox_build(ruleset, attr->handled_access_fs, private_dir, extra_read,
				     error)) {
		close(ruleset);
		return FALSE;
	}
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_INTERNAL_SERVER_ERROR,
			    "sandbox: landlock_restrict_self: %s", g_strerror(errno));
		close(ruleset);
		return FALSE;
	}
	close(ruleset);
	return TRUE;
}

gboolean
pg_purple_sandbox_apply(PgPurpleSandboxMode mode, const gchar *private_dir,
			const gchar *const *extra_read, gint *abi, GError **error)
{
	PgLandlockRulesetAttr attr = {0};
	gsize attr_size;

	*abi = 0;
	if (mode == PG_PURPLE_SANDBOX_OFF) {
		/* the daemon says so once, not each worker */
		g_info("sandbox: off (worker_sandbox = off)");
		return TRUE;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_INTERNAL_SERVER_ERROR,
			    "sandbox: PR_SET_NO_NEW_PRIVS: %s", g_strerror(errno));
		return FALSE;
	}
	*abi = pg_purple_sandbox_get_abi();
	if (*abi == 0) {
		if (mode == PG_PURPLE_SANDBOX_REQUIRED) {
			g_set_error_literal(error, PG_ERROR, PG_ERROR_SERVICE_UNAVAILABLE,
					    "sandbox: the kernel offers no Landlock "
					    "(worker_sandbox = required)");
			return FALSE;
		}
		g_warning("sandbox: the kernel offers no Landlock: this worker can read "
			  "whatever its uid can (worker_sandbox = best-effort)");
		return TRUE;
	}
	attr.handled_access_fs = pg_purple_sandbox_handled_fs(*abi);
	attr_size = sizeof(attr.handled_access_fs);
	if (*abi >= 4)
		attr_size = G_STRUCT_OFFSET(PgLandlockRulesetAttr, scoped);
	if (*abi >= 6) {
		attr.scoped = PG_LL_SCOPE_ABSTRACT_UNIX_SOCKET | PG_LL_SCOPE_SIGNAL;
		attr_size = sizeof(attr);
	}
	if (!pg_purple_sandbox_confine(&attr, attr_size, private_dir, extra_read, error)) {
		*abi = 0;
		if (mode == PG_PURPLE_SANDBOX_REQUIRED)
			return FALSE;
		/* nothing was applied: unconfined, as on a kernel without it */
		g_warning("%s: this worker runs unconfined (worker_sandbox = best-effort)",
			  (*error)->message);
		g_clear_error(error);
		return TRUE;
	}
	if (!pg_purple_sandbox_check_threads(mode, error)) {
		*abi = 0;
		return FALSE;
	}
	g_info("sandbox: Landlock ABI %d; writable: %s", *abi, private_dir);
	return TRUE;
}
