/*
 * NAME
 *	ldif-reader - the one reader of deputy's LDIF files
 * SUMMARY
 *	See ldif-reader.h. The text is checked once for what libldap must
 *	not see (NUL, "include:"), then ldif_read_record() hands over one
 *	record at a time from an in-memory stream. A table of line starts,
 *	made once, turns the line number libldap reports into the record's
 *	bytes in the text.
 * DIAGNOSTICS
 *	-1 with "LDIF file PATH, line N: why"; see ldif-reader.h.
 * SECURITY
 *	The whole file is read into memory first (bounded), so libldap
 *	never opens a file itself.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <lber.h>
#include <ldap.h>
#include <ldif.h>

#include "directory-private.h"
#include "ldif-reader.h"

struct ldifr {
	char   *path;
	const char *text;		/* the whole file, NUL-terminated */
	size_t	len;
	GArray *lines;			/* size_t: offset of line N at N - 1 */
	LDIFFP *fp;
	char   *buf;			/* ldif_read_record()'s buffer */
	int	buflen;
	unsigned long lno;		/* ldif_read_record()'s line count */
	int	first;			/* no record returned yet */
	int	done;
};

/* ldifr_fail - *error_r = "LDIF file PATH, line N: ..." (N 0: no line); -1 */
int
ldifr_fail(const struct ldifr *r, unsigned long line, char **error_r,
	   const char *fmt, ...)
{
	va_list	ap;
	char   *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (line > 0)
		*error_r = g_strdup_printf("LDIF file %s, line %lu: %s",
					   r->path, line, msg);
	else
		*error_r = g_strdup_printf("LDIF file %s: %s", r->path, msg);
	g_free(msg);
	return -1;
}

/* ldifr_read_fd - the whole regular file behind FD, NUL-terminated */
int
ldifr_read_fd(int fd, const char *path, char **text_r, size_t *len_r,
	      char **error_r)
{
	struct stat st;
	GString *buf;
	char	chunk[65536];
	ssize_t	n;

	*text_r = NULL;
	*len_r = 0;
	if (fstat(fd, &st) < 0) {
		*error_r = g_strdup_printf("LDIF file %s: %s", path,
					   g_strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*error_r = g_strdup_printf("LDIF file %s: not a regular file",
					   path);
		return -1;
	}
	if (st.st_size > LDIFR_FILE_MAX) {
		*error_r = g_strdup_printf("LDIF file %s: larger than %d bytes",
					   path, LDIFR_FILE_MAX);
		return -1;
	}
	/* read to the end, bounded: the file may grow under us */
	buf = g_string_sized_new((gsize)st.st_size + 1);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*error_r = g_strdup_printf("LDIF file %s: %s", path,
						   g_strerror(errno));
			g_string_free(buf, TRUE);
			return -1;
		}
		if (n == 0)
			break;
		if (buf->len + (size_t)n > LDIFR_FILE_MAX) {
			*error_r = g_strdup_printf("LDIF file %s: larger than "
			    "%d bytes", path, LDIFR_FILE_MAX);
			g_string_free(buf, TRUE);
			return -1;
		}
		g_string_append_len(buf, chunk, n);
	}
	*len_r = buf->len;
	*text_r = g_string_free(buf, FALSE);
	return 0;
}

/* ldifr_read - open PATH and ldifr_read_fd() it */
int
ldifr_read(const char *path, char **text_r, size_t *len_r, char **error_r)
{
	int	fd, rc;

	*text_r = NULL;
	*len_r = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		*error_r = g_strdup_printf("LDIF file %s: %s", path,
					   g_strerror(errno));
		return -1;
	}
	rc = ldifr_read_fd(fd, path, text_r, len_r, error_r);
	close(fd);
	return rc;
}

/* ldifr_prescan - NUL and "include:" refused; the table of line starts */
static int
ldifr_prescan(struct ldifr *r, char **error_r)
{
	const char *p, *end, *nl;
	size_t	off;

	if (memchr(r->text, '\0', r->len) != NULL)
		return ldifr_fail(r, 0, error_r, "contains a NUL byte");
	end = r->text + r->len;
	for (p = r->text; p < end; p = nl + 1) {
		off = (size_t)(p - r->text);
		g_array_append_val(r->lines, off);
		if ((size_t)(end - p) >= 8
		    && g_ascii_strncasecmp(p, "include:", 8) == 0)
			return ldifr_fail(r, r->lines->len, error_r,
			    "\"include:\" is not supported");
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
	}
	return 0;
}

/* ldifr_line_start - offset of physical line LINE (1-based), or the end */
static size_t
ldifr_line_start(const struct ldifr *r, unsigned long line)
{
	if (line == 0 || line > r->lines->len)
		return r->len;
	return g_array_index(r->lines, size_t, line - 1);
}

/* ldifr_line_is_blank - whether physical line LINE is empty (or "\r") */
static int
ldifr_line_is_blank(const struct ldifr *r, unsigned long line)
{
	const char *p;

	if (line == 0 || line > r->lines->len)
		return 1;
	p = r->text + ldifr_line_start(r, line);
	return p >= r->text + r->len || *p == '\n'
	    || (*p == '\r' && p[1] == '\n');
}

/* ldifr_count_newlines - newlines in BUF[from..to) */
static unsigned long
ldifr_count_newlines(const char *buf, size_t from, size_t to)
{
	unsigned long n;

	for (n = 0; from < to; from++)
		if (buf[from] == '\n')
			n++;
	return n;
}

/*
 * ldifr_base64_ok - whether the rest of a "name:: value" line decodes
 *
 * Checked here for a message with a line number (and because some
 * libldap versions complain about bad base64 on stderr, which deputy
 * keeps silent). Trailing blanks are cut off in place; '\r' marks where
 * ldif_getline() joined folded lines and is skipped.
 */
static int
ldifr_base64_ok(char *value)
{
	size_t	len, count, pad;
	char   *p;

	len = strlen(value);
	while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
		value[--len] = '\0';
	while (*value == ' ')
		value++;
	count = pad = 0;
	for (p = value; *p != '\0'; p++) {
		if (*p == '\r')
			continue;
		if (*p == '=') {
			pad++;
		} else if (pad > 0 || !(g_ascii_isalnum(*p) || *p == '+'
					  || *p == '/')) {
			return 0;
		}
		count++;
	}
	return count > 0 && count % 4 == 0 && pad <= 2;
}

/* ldifr_value_free - release one value */
static void
ldifr_value_free(gpointer data)
{
	struct ldifr_value *v = data;

	g_free(v->attr);
	g_free(v->value);
	g_free(v);
}

/* ldifr_record_free - release a record; sets *rec to NULL */
void
ldifr_record_free(struct ldifr_record **rec)
{
	if (rec == NULL || *rec == NULL)
		return;
	g_free((*rec)->dn);
	g_ptr_array_free((*rec)->values, TRUE);
	g_free(*rec);
	*rec = NULL;
}

/*
 * ldifr_line - one logical line (TYPE: VALUE) of a record into REC
 *
 * *expect_ct says whether a changetype may come (right after dn).
 */
static int
ldifr_line(struct ldifr *r, struct ldifr_record *rec, unsigned long line_no,
	   unsigned long nlines, const struct berval *type,
	   const struct berval *value, int *expect_ct, char **error_r)
{
	struct ldifr_value *v;

	if (type->bv_len == 0)
		return ldifr_fail(r, line_no, error_r, "empty attribute name");
	if (rec->dn == NULL) {
		if (r->first && nlines == 1
		    && g_ascii_strcasecmp(type->bv_val, "version") == 0) {
			if (value->bv_len != 1 || value->bv_val[0] != '1')
				return ldifr_fail(r, line_no, error_r,
				    "unsupported LDIF version");
			rec->version = 1;
			return 0;
		}
		if (g_ascii_strcasecmp(type->bv_val, "dn") != 0)
			return ldifr_fail(r, line_no, error_r, "record does "
			    "not start with \"dn:\"");
		if (value->bv_len == 0 || value->bv_len > DIR_DN_MAX
		    || memchr(value->bv_val, '\0', value->bv_len) != NULL)
			return ldifr_fail(r, line_no, error_r, "empty, "
			    "overlong or binary DN");
		rec->dn = g_strndup(value->bv_val, value->bv_len);
		g_strstrip(rec->dn);
		rec->line = line_no;
		*expect_ct = 1;
		return 0;
	}
	if (g_ascii_strcasecmp(type->bv_val, "dn") == 0)
		return ldifr_fail(r, line_no, error_r, "second \"dn:\" in one "
		    "record (missing blank line?)");
	if (g_ascii_strcasecmp(type->bv_val, "control") == 0)
		return ldifr_fail(r, line_no, error_r, "controls are not "
		    "supported");
	if (g_ascii_strcasecmp(type->bv_val, "changetype") == 0) {
		char   *ct = g_strndup(value->bv_val, value->bv_len);
		int	ret = 0;

		g_strstrip(ct);
		if (!*expect_ct)
			ret = ldifr_fail(r, line_no, error_r, "\"changetype:\" "
			    "must follow \"dn:\"");
		else if (g_ascii_strcasecmp(ct, "add") != 0)
			ret = ldifr_fail(r, line_no, error_r, "changetype '%s' "
			    "is not supported (only add)", ct);
		g_free(ct);
		*expect_ct = 0;
		return ret;
	}
	*expect_ct = 0;
	v = g_new0(struct ldifr_value, 1);
	v->attr = g_strndup(type->bv_val, type->bv_len);
	v->value = g_malloc(value->bv_len + 1);
	memcpy(v->value, value->bv_val, value->bv_len);
	v->value[value->bv_len] = '\0';
	v->len = value->bv_len;
	v->line = line_no;
	g_ptr_array_add(rec->values, v);
	return 0;
}

/* ldifr_parse - the logical lines of BUF (its first line is FIRST) */
static int
ldifr_parse(struct ldifr *r, char *buf, unsigned long first,
	    struct ldifr_record *rec, char **error_r)
{
	struct berval type, value;
	char   *copy, *next, *line, *colon;
	unsigned long line_no, seen_lines = 0, nlines = 0;
	size_t	seen_off = 0;
	int	freeval, expect_ct = 0, ret = 0;

	copy = g_strdup(buf);		/* ldif_getline() rewrites buf */
	next = buf;
	while (ret == 0 && (line = ldif_getline(&next)) != NULL) {
		seen_lines += ldifr_count_newlines(copy, seen_off,
						   (size_t)(line - buf));
		seen_off = (size_t)(line - buf);
		line_no = first + seen_lines;
		if (rec->line == 0)
			rec->line = line_no;

		if (strcmp(line, "-") == 0) {
			ret = ldifr_fail(r, line_no, error_r, "unexpected "
			    "\"-\" (modify records are not supported)");
			break;
		}
		if ((colon = strchr(line, ':')) == NULL) {
			ret = ldifr_fail(r, line_no, error_r, "missing ':' "
			    "after attribute name");
			break;
		}
		if (colon[1] == '<') {
			ret = ldifr_fail(r, line_no, error_r, "URL values are "
			    "not supported");
			break;
		}
		if (colon[1] == ':' && !ldifr_base64_ok(colon + 2)) {
			ret = ldifr_fail(r, line_no, error_r, "bad base64 "
			    "value");
			break;
		}
		freeval = 0;
		if (ldif_parse_line2(line, &type, &value, &freeval) < 0) {
			ret = ldifr_fail(r, line_no, error_r, "cannot parse "
			    "line (bad base64 value?)");
			break;
		}
		nlines++;
		ret = ldifr_line(r, rec, line_no, nlines, &type, &value,
				 &expect_ct, error_r);
		if (freeval)
			ber_memfree(value.bv_val);
	}
	g_free(copy);
	return ret;
}

/* ldifr_open - a reader over TEXT[0..LEN), which must outlive it */
int
ldifr_open(const char *path, const char *text, size_t len,
	   struct ldifr **reader_r, char **error_r)
{
	struct ldifr *r;

	*reader_r = NULL;
	r = g_new0(struct ldifr, 1);
	r->path = g_strdup(path);
	r->text = text;
	r->len = len;
	r->lines = g_array_new(FALSE, FALSE, sizeof(size_t));
	r->first = 1;
	if (ldifr_prescan(r, error_r) < 0) {
		ldifr_close(&r);
		return -1;
	}
	r->fp = ldif_open_mem((char *)text, len, "r");
	if (r->fp == NULL) {
		ldifr_fail(r, 0, error_r, "cannot open for reading");
		ldifr_close(&r);
		return -1;
	}
	*reader_r = r;
	return 0;
}

/* ldifr_next - the next record: 1 with *rec_r, 0 at the end, -1 */
int
ldifr_next(struct ldifr *r, struct ldifr_record **rec_r, char **error_r)
{
	struct ldifr_record *rec;
	unsigned long nl, last, first, line;
	int	rc;

	*rec_r = NULL;
	for (;;) {
		if (r->done)
			return 0;
		/*
		 * A record that is only a digit line (a slapcat index)
		 * comes back as "found" with nothing copied: clear the
		 * buffer so that the previous record is not seen twice.
		 */
		if (r->buf != NULL)
			r->buf[0] = '\0';
		rc = ldif_read_record(r->fp, &r->lno, &r->buf, &r->buflen);
		if (rc < 0)
			return ldifr_fail(r, r->lno, error_r, "read error");
		if (rc == 0) {
			r->done = 1;
			return 0;
		}
		if (r->buf != NULL && r->buf[0] != '\0')
			break;
	}

	/*
	 * lno is the line that ended the record: a blank line, or the
	 * record's own last line at the end of the file. The buffer holds
	 * one line break per physical line (CRLF counts once; a line that
	 * does not end the file with one gets one).
	 */
	nl = ldifr_count_newlines(r->buf, 0, strlen(r->buf));
	last = ldifr_line_is_blank(r, r->lno) ? r->lno - 1 : r->lno;
	first = nl <= last ? last - nl + 1 : 1;
	rec = g_new0(struct ldifr_record, 1);
	rec->values = g_ptr_array_new_with_free_func(ldifr_value_free);
	if (ldifr_parse(r, r->buf, first, rec, error_r) < 0) {
		ldifr_record_free(&rec);
		return -1;
	}
	r->first = 0;

	/*
	 * Its bytes: from the first line that is not a comment (nor the
	 * continuation of one), so that comments above a record stay
	 * where they are when the record is written anew.
	 */
	line = first;
	while (line < last && r->text[ldifr_line_start(r, line)] == '#') {
		line++;
		while (line < last && r->text[ldifr_line_start(r, line)] == ' ')
			line++;
	}
	rec->start = ldifr_line_start(r, line);
	rec->end = ldifr_line_start(r, last + 1);
	*rec_r = rec;
	return 1;
}

/* ldifr_close - release the reader; sets *reader to NULL */
void
ldifr_close(struct ldifr **reader)
{
	struct ldifr *r;

	if (reader == NULL || *reader == NULL)
		return;
	r = *reader;
	if (r->fp != NULL)
		ldif_close(r->fp);
	if (r->buf != NULL)
		ber_memfree(r->buf);
	g_array_free(r->lines, TRUE);
	g_free(r->path);
	g_free(r);
	*reader = NULL;
}
