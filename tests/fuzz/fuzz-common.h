/*
 * NAME
 *	fuzz-common - helpers shared by the libFuzzer targets
 * SUMMARY
 *	fuzz_file() gives each target one private file, rewritten with the
 *	current input on every call, for the parsers that read a path
 *	(conf_load, the LDIF backend). fuzz_memfd() does the same for the
 *	parsers that read a descriptor (facts_parse).
 * SECURITY
 *	Test code only; never linked into deputy.
 */

#ifndef DEPUTY_FUZZ_COMMON_H
#define DEPUTY_FUZZ_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* fuzz_write_all - replace the content of FD by DATA; abort on failure */
static inline void
fuzz_write_all(int fd, const uint8_t *data, size_t size)
{
	size_t done = 0;

	if (ftruncate(fd, 0) != 0)
		abort();
	while (done < size) {
		ssize_t w = pwrite(fd, data + done, size - done, (off_t)done);

		if (w <= 0)
			abort();
		done += (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
}

/*
 * fuzz_file - path of this process's scratch file holding DATA
 *
 * A new file every time, never truncated: on ext4, a file truncated to
 * zero and rewritten is flushed to disk when a descriptor of it closes
 * (auto_da_alloc), which cost 2 ms an input and held fuzz-conf and
 * fuzz-ldif to a few hundred inputs a second.
 */
static inline const char *
fuzz_file(const char *tag, const uint8_t *data, size_t size)
{
	static char path[256];
	size_t	done = 0;
	int	fd;

	if (path[0] == '\0') {
		const char *tmp = getenv("TMPDIR");

		snprintf(path, sizeof(path), "%s/deputy-fuzz-%s-%ld",
		    tmp != NULL && *tmp != '\0' ? tmp : "/tmp", tag,
		    (long)getpid());
	}
	if (unlink(path) != 0 && errno != ENOENT)
		abort();
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	while (done < size) {
		ssize_t w = write(fd, data + done, size - done);

		if (w <= 0)
			abort();
		done += (size_t)w;
	}
	close(fd);
	return path;
}

/* fuzz_memfd - a descriptor holding DATA (one per process, reused) */
static inline int
fuzz_memfd(const uint8_t *data, size_t size)
{
	static int fd = -1;

	if (fd < 0 && (fd = memfd_create("deputy-fuzz", MFD_CLOEXEC)) < 0)
		abort();
	fuzz_write_all(fd, data, size);
	return fd;
}

/* fuzz_strndup - NUL-terminated copy of DATA */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A fixed clock: 2026-12-24 12:00:00 UTC, so that runs are reproducible. */
#define FUZZ_NOW ((time_t)1798113600)

#endif
