/*
 * NAME
 *	submit - hand a message to sendmail(1), no shell involved
 * SUMMARY
 *	See submit.h. This unit makes sendmail's argv, reads the prefix
 *	and the spool for it, and words the failure; starting, feeding,
 *	the deadline and reaping are lib/child.c's.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "child.h"
#include "submit.h"

#define SUBMIT_BUF	(64 * 1024)

/* What sendmail reads: the prefix, then the spool from the offset. */
struct submit_reader {
	const char *prefix;		/* what is left of it */
	size_t prefix_len;
	int fd;				/* -1: the prefix is all */
	off_t off;			/* the next spool byte to read */
	unsigned char *buf;		/* SUBMIT_BUF bytes */
	size_t buf_pos, buf_len;
};

/* submit_abort - kill a running child; async-signal-safe */
void
submit_abort(void)
{
	child_abort();
}

/* submit_next - the rest of the prefix, of the buffer, or more spool */
static int
submit_next(void *ctx, const unsigned char **data_r, size_t *size_r,
	    char *error_r)
{
	struct submit_reader *sr = ctx;
	ssize_t got;

	if (sr->prefix_len > 0) {
		*data_r = (const unsigned char *)sr->prefix;
		*size_r = sr->prefix_len;
		return 1;
	}
	if (sr->buf_pos == sr->buf_len) {
		if (sr->fd < 0)
			return 0;
		do {
			got = pread(sr->fd, sr->buf, SUBMIT_BUF, sr->off);
		} while (got < 0 && errno == EINTR);
		if (got < 0) {
			g_snprintf(error_r, CHILD_ERROR_MAX, "read spool: %s",
			    g_strerror(errno));
			return -1;
		}
		if (got == 0)
			return 0;
		sr->off += got;
		sr->buf_pos = 0;
		sr->buf_len = (size_t)got;
	}
	*data_r = sr->buf + sr->buf_pos;
	*size_r = sr->buf_len - sr->buf_pos;
	return 1;
}

/* submit_consume - SIZE bytes went to sendmail */
static void
submit_consume(void *ctx, size_t size)
{
	struct submit_reader *sr = ctx;

	if (sr->prefix_len > 0) {
		sr->prefix += size;
		sr->prefix_len -= size;
	} else {
		sr->buf_pos += size;
	}
}

/* submit_argv - "sendmail -i -f SENDER -- RECIPIENT..." */
static GPtrArray *
submit_argv(const struct submit_request *req)
{
	GPtrArray *argv = g_ptr_array_new();

	g_ptr_array_add(argv, (char *)req->sendmail);
	g_ptr_array_add(argv, "-i");
	g_ptr_array_add(argv, "-f");
	g_ptr_array_add(argv, (char *)req->sender);	/* "" is <> */
	g_ptr_array_add(argv, "--");
	for (const char *const *r = req->recipients; *r != NULL; r++)
		g_ptr_array_add(argv, (char *)*r);
	g_ptr_array_add(argv, NULL);
	return argv;
}

/* submit_run - run sendmail for REQ */
int
submit_run(const struct submit_request *req, char **error_r)
{
	struct submit_reader sr;
	struct child_reader reader = { submit_next, submit_consume, &sr };
	struct child_result res;
	GPtrArray *argv = submit_argv(req);
	const char *line;
	int ret;

	memset(&sr, 0, sizeof(sr));
	sr.prefix = req->prefix != NULL ? req->prefix : "";
	sr.prefix_len = strlen(sr.prefix);
	sr.fd = req->fd;
	sr.off = req->body_offset;
	sr.buf = g_malloc(SUBMIT_BUF);
	ret = child_run((const char *const *)argv->pdata, &reader,
	    req->timeout, 0, &res);
	g_free(sr.buf);
	g_ptr_array_free(argv, TRUE);
	/* A sendmail that stopped reading may send what it read: only a
	 * whole message and exit 0 is a submission. */
	if (ret == 0 && !res.input_short)
		return 0;
	line = res.stderr_line[0] != '\0' ? res.stderr_line : "no diagnostic";
	if (res.error[0] != '\0')
		*error_r = g_strdup_printf("%s: %s", req->sendmail, res.error);
	else if (res.timed_out)
		*error_r = g_strdup_printf("%s: no exit within %u s, killed",
		    req->sendmail, req->timeout);
	else if (res.signal != 0)
		*error_r = g_strdup_printf("%s: killed by signal %d (%s)",
		    req->sendmail, res.signal, line);
	else if (res.exit_code != 0)
		*error_r = g_strdup_printf("%s: exit %d (%s)",
		    req->sendmail, res.exit_code, line);
	else
		*error_r = g_strdup_printf("%s closed its input early",
		    req->sendmail);
	return -1;
}
