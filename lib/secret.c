/*
 * NAME
 *	secret - read a small secret file that only we may read
 * SUMMARY
 *	See secret.h. One reader for every secret of deputy: the LDAP bind
 *	password and the SRS keys.
 * DIAGNOSTICS
 *	0, or -1 with *error_r. Nothing here logs or exits.
 *	libc only, like the rest of lib/: the result and the error are
 *	malloc'd (free() or g_free(): GLib allocates with malloc).
 * SECURITY
 *	O_NOFOLLOW and O_NOCTTY on open, the checks on the open
 *	descriptor, a read bounded by the caller's MAX, and every copy of
 *	the content wiped before it is freed.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "secret.h"

/* secret_malloc - malloc that never returns NULL */
static void *
secret_malloc(size_t n)
{
	void   *p = malloc(n);

	if (p == NULL)
		abort();
	return p;
}

/* secret_fail - "LABEL PATH: why"; -1 */
static int __attribute__((format(printf, 4, 5)))
secret_fail(char **error_r, const char *label, const char *path,
	    const char *fmt, ...)
{
	va_list	ap;
	char   *why;

	va_start(ap, fmt);
	if (vasprintf(&why, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (asprintf(error_r, "%s %s: %s", label, path, why) < 0)
		abort();
	free(why);
	return -1;
}

/* secret_check - a regular file of ours, mode 0600 or stricter */
static int
secret_check(int fd, const char *path, const char *label, char **error_r)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return secret_fail(error_r, label, path, "%s",
				   strerror(errno));
	if (!S_ISREG(st.st_mode))
		return secret_fail(error_r, label, path, "not a regular file");
	if (st.st_uid != geteuid())
		return secret_fail(error_r, label, path, "owned by uid %lu, "
		    "not by the running user (uid %lu); refusing it",
		    (unsigned long)st.st_uid, (unsigned long)geteuid());
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		return secret_fail(error_r, label, path, "mode %04o lets group "
		    "or others in (must be 0600 or stricter); refusing it",
		    (unsigned int)(st.st_mode & 07777));
	return 0;
}

/* secret_read - the content of PATH (NUL-terminated, *len_r bytes) */
int
secret_read(const char *path, const char *label, size_t max, char **data_r,
	    size_t *len_r, char **error_r)
{
	char   *buf;
	size_t	got = 0;
	ssize_t	n;
	int	fd, saved;

	*data_r = NULL;
	*len_r = 0;
	*error_r = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		saved = errno;
		return secret_fail(error_r, label, path, "%s", saved == ELOOP
		    ? "a symbolic link (refused: the file itself is checked)"
		    : strerror(saved));
	}
	if (secret_check(fd, path, label, error_r) < 0) {
		close(fd);
		return -1;
	}
	/* one byte more than allowed, to see that there is more */
	buf = secret_malloc(max + 2);
	while (got <= max) {
		n = read(fd, buf + got, max + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			saved = errno;
			explicit_bzero(buf, max + 2);
			free(buf);
			close(fd);
			return secret_fail(error_r, label, path, "%s",
					   strerror(saved));
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got > max) {
		explicit_bzero(buf, max + 2);
		free(buf);
		return secret_fail(error_r, label, path, "larger than %zu "
				   "bytes", max);
	}
	if (got > 0 && buf[got - 1] == '\n') {
		got--;
		if (got > 0 && buf[got - 1] == '\r')
			got--;
	}
	buf[got] = '\0';
	*data_r = buf;
	*len_r = got;
	return 0;
}

/* secret_free - wipe LEN bytes of *DATA and free it; sets *DATA to NULL */
void
secret_free(char **data, size_t len)
{
	if (data == NULL || *data == NULL)
		return;
	explicit_bzero(*data, len);
	free(*data);
	*data = NULL;
}
