#ifndef DEPUTY_LDIF_READER_H
#define DEPUTY_LDIF_READER_H

/*
 * NAME
 *	ldif-reader - the one reader of deputy's LDIF files
 * SUMMARY
 *	The embedded directory (dir-ldif.c) loads the file with it and
 *	deputyctl's writer (dir-write-ldif.c) reads it again before a
 *	change, so both see the same records and refuse the same things.
 *	Records are split by libldap's ldif_read_record() and every line
 *	is parsed (unfolded, base64 decoded) by its ldif_getline() and
 *	ldif_parse_line2(). ldap_parse_ldif_record() is not used: it
 *	fetches "attr:< URL" values itself, skips control lines without a
 *	word, and regroups the values of an attribute, which loses the line
 *	of each value that an error message must name.
 *
 *	Each record comes with its place in the text (the bytes from its
 *	first line that is not a comment to the line break of its last
 *	line), so that a writer can keep every other record, and the
 *	comments and blank lines between them, byte for byte.
 *
 *	What is accepted: RFC 2849 entries, or "changetype: add" records;
 *	"version: 1" before the first dn. What is refused, naming the file
 *	and the line: a NUL byte, "include:", a line without ':', a bad
 *	base64 value, a URL value ("attr:< file:..."), a record that does
 *	not start with dn, an empty, binary or overlong DN, a second dn in
 *	a record, controls, changetype other than add (so "-" lines of
 *	modify records too), another LDIF version, a file over 64 MiB.
 * DIAGNOSTICS
 *	0 or 1 (ldifr_next(): a record or the end), or -1 with *error_r
 *	"LDIF file PATH, line N: why" (g_free).
 * SECURITY
 *	libldap would fetch URL values and follow "include:" to any file;
 *	both are refused before libldap sees them.
 * BUGS
 *	A digit line at the head of a record (a slapcat index) is skipped
 *	by libldap without a word; a writer keeps it as it was.
 */

#include <stddef.h>

#include <glib.h>

#define LDIFR_FILE_MAX	(64 * 1024 * 1024)	/* bytes in one file */

/* One attribute value of a record, decoded. */
struct ldifr_value {
	char   *attr;			/* as written, options included */
	char   *value;			/* NUL-terminated copy */
	size_t	len;			/* bytes (the value may hold NUL) */
	unsigned long line;		/* its first physical line */
};

/* One record: an entry, or a lone "version: 1" (dn NULL). */
struct ldifr_record {
	char   *dn;			/* trimmed, or NULL */
	unsigned long line;		/* of "dn:" (or of the record) */
	int	version;		/* "version: 1" came first */
	size_t	start, end;		/* its bytes in the text */
	GPtrArray *values;		/* struct ldifr_value *, file order;
					 * a writer may change it: values
					 * and their strings are g_malloc'd,
					 * the array frees them */
};

struct ldifr;

/* ldifr_read_fd - the whole regular file behind FD, NUL-terminated */
int ldifr_read_fd(int fd, const char *path, char **text_r, size_t *len_r,
		  char **error_r);

/* ldifr_read - open PATH and ldifr_read_fd() it */
int ldifr_read(const char *path, char **text_r, size_t *len_r,
	       char **error_r);

/* ldifr_open - a reader over TEXT[0..LEN), which must outlive it */
int ldifr_open(const char *path, const char *text, size_t len,
	       struct ldifr **reader_r, char **error_r);

/* ldifr_next - the next record: 1 with *rec_r, 0 at the end, -1 */
int ldifr_next(struct ldifr *reader, struct ldifr_record **rec_r,
	       char **error_r);

/* ldifr_fail - *error_r = "LDIF file PATH, line N: ..." (N 0: no line); -1 */
int ldifr_fail(const struct ldifr *reader, unsigned long line, char **error_r,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ldifr_record_free - release a record; sets *rec to NULL */
void ldifr_record_free(struct ldifr_record **rec);

/* ldifr_close - release the reader; sets *reader to NULL */
void ldifr_close(struct ldifr **reader);

#endif
