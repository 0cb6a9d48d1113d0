#ifndef DEPUTY_SECRET_H
#define DEPUTY_SECRET_H

/*
 * NAME
 *	secret - read a small secret file that only we may read
 * SUMMARY
 *	A password or a key lives in a file of its own. secret_read()
 *	opens it without following a symbolic link, checks on the open
 *	descriptor that it is a regular file owned by the effective user
 *	with no permission for group or others, reads at most MAX bytes,
 *	and drops one trailing line break (LF or CRLF). What the content
 *	means (one line, several keys) is the caller's business.
 * DIAGNOSTICS
 *	0, or -1 with *error_r (malloc'd: free or g_free) naming LABEL and
 *	PATH and why: the
 *	file cannot be opened (a symbolic link included), is not a regular
 *	file, belongs to another user, lets group or others in, or is
 *	larger than MAX bytes.
 * SECURITY
 *	The checks are made on the descriptor that is read, so the file
 *	cannot be swapped between check and read. The buffer is wiped
 *	before it is freed; use secret_free() on the result.
 */

#include <stddef.h>

/* secret_read - the content of PATH (NUL-terminated, *len_r bytes) */
int secret_read(const char *path, const char *label, size_t max,
		char **data_r, size_t *len_r, char **error_r);

/* secret_free - wipe LEN bytes of *DATA and free it; sets *DATA to NULL */
void secret_free(char **data, size_t len);

#endif
