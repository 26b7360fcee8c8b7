/* One process at a time on a registry; see pg-registry-lock.h. */
#define G_LOG_DOMAIN "PgRegistry"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/pg-error.h"
#include "registry/pg-registry-lock.h"

/* "<pid> <what>\n" is all the file ever holds */
#define PG_REGISTRY_LOCK_HOLDER_MAX 128

struct _PgRegistryLock {
	gchar *path;
	int fd;
};

/* "pid N (what)" from the lock file, or a plain "another process". */
static gchar *
pg_registry_lock_describe_holder(int fd)
{
	gchar buf[PG_REGISTRY_LOCK_HOLDER_MAX] = {0};
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	gchar *end = NULL;
	guint64 pid;

	if (n <= 0)
		return g_strdup("another process");
	pid = g_ascii_strtoull(buf, &end, 10);
	if (pid == 0 || end == buf)
		return g_strdup("another process");
	g_strchomp(end);
	g_strchug(end);
	if (end[0] == '\0' || !g_utf8_validate(end, -1, NULL))
		return g_strdup_printf("pid %" G_GUINT64_FORMAT, pid);
	return g_strdup_printf("%s, pid %" G_GUINT64_FORMAT, end, pid);
}

PgRegistryLock *
pg_registry_lock_acquire(const gchar *database, const gchar *what, GError **error)
{
	g_autofree gchar *path = g_strconcat(database, ".lock", NULL);
	g_autofree gchar *holder_line = NULL;
	PgRegistryLock *self;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot open %s: %s", path,
			    g_strerror(errno));
		return NULL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		gint saved = errno;
		if (saved == EWOULDBLOCK) {
			g_autofree gchar *holder = pg_registry_lock_describe_holder(fd);
			g_set_error(error, PG_ERROR, PG_ERROR_CONFLICT,
				    "the registry %s is in use by %s (it holds %s)", database,
				    holder, path);
		} else {
			g_set_error(error, PG_ERROR, PG_ERROR_IO, "cannot lock %s: %s", path,
				    g_strerror(saved));
		}
		close(fd);
		return NULL;
	}
	holder_line = g_strdup_printf("%ld %s\n", (long)getpid(), what);
	if (ftruncate(fd, 0) != 0 ||
	    pwrite(fd, holder_line, strlen(holder_line), 0) != (ssize_t)strlen(holder_line))
		g_debug("cannot note our pid in %s: %s", path, g_strerror(errno));
	self = g_new0(PgRegistryLock, 1);
	self->path = g_steal_pointer(&path);
	self->fd = fd;
	return self;
}

void
pg_registry_lock_release(PgRegistryLock *lock)
{
	if (lock == NULL)
		return;
	/* the pid stays in the file: harmless once the lock is gone */
	flock(lock->fd, LOCK_UN);
	close(lock->fd);
	g_free(lock->path);
	g_free(lock);
}
