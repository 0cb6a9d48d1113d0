#ifndef DEPUTY_MIMESCAN_H
#define DEPUTY_MIMESCAN_H

/*
 * NAME
 *	mimescan - one bounded pass over a message for its MIME shape
 * SUMMARY
 *	A push parser. The caller feeds the message (after any mbox From
 *	line) in chunks of any size; the scanner finds the end of the
 *	top-level header block and counts its fields, follows multipart
 *	boundaries (taken from Content-Type parameters, which GMime
 *	parses) through nested parts, and notes the first report part
 *	(multipart/report, message/delivery-status, ...) and where the
 *	first text/plain and text/html parts are. It builds no tree:
 *	its memory is one line buffer, one header field buffer and a
 *	stack of at most max_depth boundaries, whatever the message.
 *
 *	Parts are found as GMime's parser finds them (boundary lines of
 *	any enclosing multipart end a part, trailing white space allowed;
 *	part headers end at the first empty line), but message/rfc822
 *	parts are not opened: their content is scanned as text for the
 *	enclosing boundaries only, as facts has always done.
 * DIAGNOSTICS
 *	Cannot fail. Past a cap (MIME parts, nesting, top-level header
 *	fields or bytes, an overlong boundary or Content-Type field) the
 *	scan stops and mimescan_over_limit() says which cap: the caller
 *	must then treat the message as unparsed ("oversized").
 * SECURITY
 *	Every byte is the sender's. Lines and fields are kept in fixed
 *	buffers, longer ones are cut (and checked where that matters); the
 *	work per input byte is bounded by the depth cap.
 */

#include <stddef.h>
#include <sys/types.h>

struct mimescan;

struct mimescan_limits {
	unsigned int max_parts;		/* MIME parts, the top level included */
	unsigned int max_depth;		/* nested multiparts, the top included */
	unsigned int max_header_fields;	/* top-level header fields */
	size_t max_header_bytes;	/* top-level header block, blank line
					 * included */
};

/* Where the first text part of one kind is, in input offsets. */
struct mimescan_text {
	off_t offset;			/* first byte of its content */
	off_t end;			/* one past its last byte; -1: it
					 * runs to the end of the input */
	int html;			/* text/html, else text/plain */
	char encoding[32];		/* Content-Transfer-Encoding, or "" */
	char charset[64];		/* the charset parameter, or "" */
};

/* mimescan_new - a scanner; LIMITS is copied */
struct mimescan *mimescan_new(const struct mimescan_limits *limits);

/*
 * mimescan_push - scan LEN more bytes. Returns 1 once more input can
 * change nothing (a cap was reached, the top-level part is a single
 * part, or the top multipart is closed): the caller may stop reading.
 */
int mimescan_push(struct mimescan *ms, const char *data, size_t len);

/* mimescan_finish - the input ended (or the caller stopped reading) */
void mimescan_finish(struct mimescan *ms);

/* mimescan_over_limit - which cap was passed, or NULL (owned by MS) */
const char *mimescan_over_limit(const struct mimescan *ms);

/*
 * mimescan_header_end - 0 and the offset just past the top-level
 * header block (its empty line, the first line of a body GMime would
 * start early, or the end of input); -1 when the header block is over
 * a cap and must not be parsed at all.
 */
int mimescan_header_end(const struct mimescan *ms, off_t *end_r);

/* mimescan_report_type - the first report type seen, or NULL (static) */
const char *mimescan_report_type(const struct mimescan *ms);

/*
 * mimescan_text - 0 and the first text/plain part (the first text/html
 * if there is no plain one) that is not an attachment; -1: none.
 */
int mimescan_text(const struct mimescan *ms, struct mimescan_text *text_r);

/* mimescan_parts - MIME parts seen so far, the top level included */
unsigned int mimescan_parts(const struct mimescan *ms);

/* mimescan_free - release; sets *MS to NULL */
void mimescan_free(struct mimescan **ms);

#endif
