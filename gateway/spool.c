/*
 * NAME
 *	spool - copy standard input to a private, unlinked file
 * SECURITY
 *	O_EXCL|O_NOFOLLOW with a random name: a planted file or symlink in
 *	the spool directory cannot redirect our write.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "spool.h"

#define SPOOL_BUF (64 * 1024)

/* io_write_all - write LEN bytes, retrying on EINTR and short writes */
int
io_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* spool_create - open a fresh private file in DIR and unlink it */
static int
spool_create(const char *dir, char **error_r)
{
	for (int tries = 0; tries < 16; tries++) {
		char *path = g_strdup_printf("%s/deputy.%u.%08x", dir,
		    (unsigned int)getpid(), g_random_int());
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);

		if (fd >= 0) {
			if (unlink(path) != 0) {
				*error_r = g_strdup_printf("unlink %s: %s",
				    path, g_strerror(errno));
				close(fd);
				g_free(path);
				return -1;
			}
			g_free(path);
			return fd;
		}
		if (errno != EEXIST) {
			*error_r = g_strdup_printf("create %s: %s", path,
			    g_strerror(errno));
			g_free(path);
			return -1;
		}
		g_free(path);
	}
	*error_r = g_strdup_printf("%s: no free spool name", dir);
	return -1;
}

/* spool_open - an empty private file under DIR (NULL: in memory) */
int
spool_open(const char *dir, struct spool *spool_r, char **error_r)
{
	int fd;

	memset(spool_r, 0, sizeof(*spool_r));
	spool_r->fd = -1;
	if (dir == NULL) {
		fd = memfd_create("deputy-spool", MFD_CLOEXEC);
		if (fd < 0) {
			*error_r = g_strdup_printf("memfd_create: %s",
			    g_strerror(errno));
			return -1;
		}
	} else if ((fd = spool_create(dir, error_r)) < 0) {
		return -1;
	}
	spool_r->fd = fd;
	spool_r->sum = g_checksum_new(G_CHECKSUM_SHA256);
	return 0;
}

/* spool_write - append LEN bytes of BUF */
int
spool_write(struct spool *spool, const void *buf, size_t len, char **error_r)
{
	if (io_write_all(spool->fd, buf, len) != 0) {
		*error_r = g_strdup_printf("write spool: %s",
		    g_strerror(errno));
		return -1;
	}
	g_checksum_update(spool->sum, (const guchar *)buf, (gsize)len);
	spool->size += (off_t)len;
	return 0;
}

/* spool_finish - the digest, and the file rewound for reading */
int
spool_finish(struct spool *spool, char **error_r)
{
	if (lseek(spool->fd, 0, SEEK_SET) != 0) {
		*error_r = g_strdup_printf("seek spool: %s", g_strerror(errno));
		return -1;
	}
	g_strlcpy(spool->digest, g_checksum_get_string(spool->sum),
	    sizeof(spool->digest));
	g_checksum_free(spool->sum);
	spool->sum = NULL;
	return 0;
}

/* spool_stdin - read FD_IN to a new private file under DIR */
int
spool_stdin(int fd_in, const char *dir, struct spool *spool_r,
	    char **error_r)
{
	char *buf;

	if (spool_open(dir, spool_r, error_r) != 0)
		return -1;
	buf = g_malloc(SPOOL_BUF);
	for (;;) {
		ssize_t n = read(fd_in, buf, SPOOL_BUF);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*error_r = g_strdup_printf("read message: %s",
			    g_strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (spool_write(spool_r, buf, (size_t)n, error_r) != 0)
			goto fail;
	}
	g_free(buf);
	if (spool_finish(spool_r, error_r) != 0) {
		spool_close(spool_r);
		return -1;
	}
	return 0;
fail:
	g_free(buf);
	spool_close(spool_r);
	return -1;
}

/* spool_close - close the file */
void
spool_close(struct spool *spool)
{
	if (spool->fd >= 0)
		close(spool->fd);
	spool->fd = -1;
	if (spool->sum != NULL)
		g_checksum_free(spool->sum);
	spool->sum = NULL;
}
