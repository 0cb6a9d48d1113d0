#ifndef DEPUTY_SPOOL_H
#define DEPUTY_SPOOL_H

/*
 * NAME
 *	spool - copy standard input to a private file
 * SUMMARY
 *	The message is read once from stdin into a file created with
 *	O_EXCL and mode 0600 in the spool directory, and unlinked at once:
 *	only our descriptor refers to it, and nothing is left behind after
 *	a crash. A SHA-256 of the bytes identifies the message for retry
 *	bookkeeping.
 * DIAGNOSTICS
 *	-1 with *error_r when stdin or the spool fails (disk full, EIO):
 *	the caller must exit with a temporary failure.
 */

#include <sys/types.h>

#include <glib.h>

struct spool {
	int fd;			/* read/write, unlinked */
	off_t size;
	char digest[65];	/* SHA-256, hex, after spool_finish() */
	GChecksum *sum;		/* while writing */
};

/* spool_open - an empty private file under DIR (NULL: in memory) */
int spool_open(const char *dir, struct spool *spool_r, char **error_r);

/* spool_write - append LEN bytes of BUF */
int spool_write(struct spool *spool, const void *buf, size_t len,
		char **error_r);

/* spool_finish - the digest, and the file rewound for reading */
int spool_finish(struct spool *spool, char **error_r);

/* spool_stdin - read FD_IN to a new private file under DIR */
int spool_stdin(int fd_in, const char *dir, struct spool *spool_r,
		char **error_r);

/* spool_close - close the file */
void spool_close(struct spool *spool);

/* io_write_all - write LEN bytes, retrying on EINTR and short writes */
int io_write_all(int fd, const void *buf, size_t len);

#endif
