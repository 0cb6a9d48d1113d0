/*
 * NAME
 *	mimescan - one bounded pass over a message for its MIME shape
 * SUMMARY
 *	See mimescan.h. A line-at-a-time state machine: the top-level
 *	header block, then per part its header block and its content,
 *	with a stack of the boundaries of the open multiparts. A line of
 *	content is compared with those boundaries only when it starts
 *	with "--", so the work per byte is a memchr() and, for such
 *	lines, at most max_depth comparisons.
 *
 *	GMime (3.2) builds an object for every part, with a copy of its
 *	headers: 1.25 million empty parts in 8.75 MB cost it 1.6 GB and
 *	up to a minute. This scanner keeps nothing per part, and gives
 *	up at the first cap, so the message is read at most once.
 * DIAGNOSTICS
 *	See mimescan.h.
 */

#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "mimescan.h"

#define MIMESCAN_LINE		8192	/* bytes kept of one line */
#define MIMESCAN_TYPE		8192	/* bytes kept of Content-Type */
#define MIMESCAN_SMALL		256	/* of the other fields read */
#define MIMESCAN_BOUNDARY	200	/* RFC 2046 allows 70 */
#define MIMESCAN_DEPTH_CAP	64	/* whatever the caller asks */

enum mimescan_state {
	MS_TOP_HEADERS,		/* the message's own header block */
	MS_PART_HEADERS,	/* after a boundary line */
	MS_CONTENT,		/* a part's content, a preface or a postface */
	MS_DONE			/* more input changes nothing */
};

enum mimescan_field { MF_NONE, MF_TYPE, MF_ENCODING, MF_DISPOSITION };

enum mimescan_match { MM_NONE, MM_BOUNDARY, MM_END };

struct mimescan_level {
	char delim[MIMESCAN_BOUNDARY + 3];	/* "--" and the boundary */
	size_t len;
	int digest;		/* multipart/digest: parts are messages */
};

struct mimescan {
	struct mimescan_limits lim;
	enum mimescan_state state;
	char *over;			/* the cap passed, or NULL */
	int header_over;		/* ... and it is the header block's */

	/* the current line */
	off_t pos;			/* bytes consumed */
	off_t line_start;
	char line[MIMESCAN_LINE];
	size_t line_len;		/* bytes kept */
	off_t line_total;		/* bytes in the line so far */
	int tail_lwsp;			/* the bytes not kept are all blank */
	char last;			/* last byte of the line so far */
	int prev_crlf;			/* the line before ended in CR LF */

	/* the header block being read */
	off_t header_end;		/* top level; -1 until known */
	unsigned int fields;		/* top level: fields so far */
	int message_fields;		/* top level: From, To, Cc, Subject, Date */
	int any_line;			/* a line of this header block was read */
	enum mimescan_field field;	/* the field being read */
	char type[MIMESCAN_TYPE + 1];
	size_t type_len;
	int have_type, type_cut;
	char encoding[MIMESCAN_SMALL + 1];
	size_t encoding_len;
	char disposition[MIMESCAN_SMALL + 1];
	size_t disposition_len;
	int parent_digest;

	struct mimescan_level *stack;	/* the open multiparts */
	unsigned int depth;
	unsigned int parts;

	const char *report_type;
	struct mimescan_text text[2];	/* text/plain, text/html */
	int have_text[2];
	int open_text;			/* the kind being scanned, or -1 */
};

static void mimescan_line(struct mimescan *ms);

/* mimescan_new - a scanner; LIMITS is copied */
struct mimescan *
mimescan_new(const struct mimescan_limits *limits)
{
	struct mimescan *ms = g_new0(struct mimescan, 1);

	ms->lim = *limits;
	if (ms->lim.max_depth > MIMESCAN_DEPTH_CAP)
		ms->lim.max_depth = MIMESCAN_DEPTH_CAP;
	ms->stack = g_new0(struct mimescan_level, ms->lim.max_depth + 1);
	ms->state = MS_TOP_HEADERS;
	ms->header_end = -1;
	ms->tail_lwsp = 1;
	ms->open_text = -1;
	return ms;
}

/* mimescan_free - release; sets *MS to NULL */
void
mimescan_free(struct mimescan **msp)
{
	struct mimescan *ms = *msp;

	if (ms == NULL)
		return;
	g_free(ms->over);
	g_free(ms->stack);
	g_free(ms);
	*msp = NULL;
}

/* mimescan_over - a cap is passed: say which, and stop */
static void G_GNUC_PRINTF(3, 4)
mimescan_over(struct mimescan *ms, int header, const char *fmt, ...)
{
	va_list ap;

	if (ms->over == NULL) {
		va_start(ap, fmt);
		ms->over = g_strdup_vprintf(fmt, ap);
		va_end(ap);
		ms->header_over = header;
	}
	ms->state = MS_DONE;
}

/* mimescan_blank - white space GMime allows after a boundary */
static int
mimescan_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* mimescan_take - N more bytes of the current line (no newline) */
static void
mimescan_take(struct mimescan *ms, const char *data, size_t n)
{
	size_t room = MIMESCAN_LINE - ms->line_len;
	size_t k = n < room ? n : room;

	if (n == 0)
		return;
	memcpy(ms->line + ms->line_len, data, k);
	ms->line_len += k;
	for (size_t i = k; i < n && ms->tail_lwsp; i++)
		if (!mimescan_blank(data[i]))
			ms->tail_lwsp = 0;
	ms->line_total += (off_t)n;
	ms->last = data[n - 1];
}

/* mimescan_len - bytes kept of the line, without a final CR */
static size_t
mimescan_len(const struct mimescan *ms)
{
	size_t n = ms->line_len;

	if (ms->line_total == (off_t)n && n > 0 && ms->line[n - 1] == '\r')
		n--;
	return n;
}

/* mimescan_cut - whether the line is longer than what is kept */
static int
mimescan_cut(const struct mimescan *ms)
{
	return ms->line_total > (off_t)ms->line_len;
}

/* mimescan_append - add S (N bytes) to a field buffer of MAX bytes */
static int
mimescan_append(char *buf, size_t *len, size_t max, const char *s,
		size_t n)
{
	int cut = 0;

	if (n > max - *len) {
		n = max - *len;
		cut = 1;
	}
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
	return cut;
}

/* mimescan_field_text - add the kept line from AT to the current field */
static void
mimescan_field_text(struct mimescan *ms, size_t at)
{
	size_t n = mimescan_len(ms);
	const char *s = ms->line + at;

	n = n > at ? n - at : 0;
	switch (ms->field) {
	case MF_TYPE:
		/* folding is kept as a space: GMime's parser skips it */
		if (ms->type_len > 0 &&
		    mimescan_append(ms->type, &ms->type_len, MIMESCAN_TYPE,
		    " ", 1))
			ms->type_cut = 1;
		if (mimescan_append(ms->type, &ms->type_len, MIMESCAN_TYPE,
		    s, n) || mimescan_cut(ms))
			ms->type_cut = 1;
		break;
	case MF_ENCODING:
		(void)mimescan_append(ms->encoding, &ms->encoding_len,
		    MIMESCAN_SMALL, s, n);
		break;
	case MF_DISPOSITION:
		if (ms->disposition_len > 0)
			(void)mimescan_append(ms->disposition,
			    &ms->disposition_len, MIMESCAN_SMALL, " ", 1);
		(void)mimescan_append(ms->disposition, &ms->disposition_len,
		    MIMESCAN_SMALL, s, n);
		break;
	case MF_NONE:
		break;
	}
}

/* mimescan_reset_headers - before a part's header block */
static void
mimescan_reset_headers(struct mimescan *ms)
{
	ms->any_line = 0;
	ms->field = MF_NONE;
	ms->type_len = 0;
	ms->type[0] = '\0';
	ms->have_type = ms->type_cut = 0;
	ms->encoding_len = 0;
	ms->encoding[0] = '\0';
	ms->disposition_len = 0;
	ms->disposition[0] = '\0';
}

/* mimescan_report - a DSN, MDN or ARF type, else NULL */
static const char *
mimescan_report(GMimeContentType *ct)
{
	static const char *const types[] = {
		"delivery-status", "disposition-notification",
		"feedback-report", "global-delivery-status",
		"global-disposition-notification", NULL
	};

	if (g_mime_content_type_is_type(ct, "multipart", "report"))
		return "multipart/report";
	for (const char *const *t = types; *t != NULL; t++)
		if (g_mime_content_type_is_type(ct, "message", *t))
			return *t;
	return NULL;
}

/* mimescan_copy_lower - VALUE trimmed and lowercased into BUF */
static void
mimescan_copy_lower(char *buf, size_t size, const char *value)
{
	char *s = g_ascii_strdown(value != NULL ? value : "", -1);

	g_strstrip(s);
	g_strlcpy(buf, s, size);
	g_free(s);
}

/* mimescan_open_text - the content of a text part starts at AT */
static void
mimescan_open_text(struct mimescan *ms, GMimeContentType *ct, int html,
		   off_t at)
{
	struct mimescan_text *t = &ms->text[html];

	if (ms->have_text[html])
		return;
	if (ms->disposition_len > 0) {
		GMimeContentDisposition *cd =
		    g_mime_content_disposition_parse(NULL, ms->disposition);
		int attachment = cd != NULL &&
		    g_mime_content_disposition_is_attachment(cd);

		if (cd != NULL)
			g_object_unref(cd);
		if (attachment)
			return;
	}
	ms->have_text[html] = 1;
	ms->open_text = html;
	t->offset = at;
	t->end = -1;
	t->html = html;
	mimescan_copy_lower(t->encoding, sizeof(t->encoding), ms->encoding);
	mimescan_copy_lower(t->charset, sizeof(t->charset), ct != NULL ?
	    g_mime_content_type_get_parameter(ct, "charset") : NULL);
}

/* mimescan_close_text - a boundary line ends the open text part */
static void
mimescan_close_text(struct mimescan *ms)
{
	struct mimescan_text *t;
	off_t end;

	if (ms->open_text < 0)
		return;
	t = &ms->text[ms->open_text];
	/* the line break before a boundary belongs to the boundary */
	end = ms->line_start - (ms->prev_crlf ? 2 : 1);
	t->end = end > t->offset ? end : t->offset;
	ms->open_text = -1;
}

/*
 * mimescan_body - a header block ended; its content starts at AT.
 * Decide what the content is: a multipart to open, a text part to
 * note, or content to pass over.
 */
static void
mimescan_body(struct mimescan *ms, off_t at)
{
	GMimeContentType *ct = NULL;
	const char *report, *boundary;
	int digest = ms->state == MS_PART_HEADERS && ms->parent_digest;

	ms->state = MS_CONTENT;
	if (ms->type_cut) {
		mimescan_over(ms, 0, "a Content-Type field over %d bytes",
		    MIMESCAN_TYPE);
		return;
	}
	if (ms->have_type)
		ct = g_mime_content_type_parse(NULL, ms->type);
	else if (digest)
		ct = g_mime_content_type_new("message", "rfc822");
	else
		ct = g_mime_content_type_new("text", "plain");
	if (ms->report_type == NULL && (report = mimescan_report(ct)) != NULL)
		ms->report_type = report;
	if (g_mime_content_type_is_type(ct, "multipart", "*")) {
		boundary = g_mime_content_type_get_parameter(ct, "boundary");
		if (boundary != NULL && ms->depth >= ms->lim.max_depth) {
			mimescan_over(ms, 0, "MIME parts nested more than %u deep",
			    ms->lim.max_depth);
		} else if (boundary != NULL &&
		    strlen(boundary) > MIMESCAN_BOUNDARY) {
			mimescan_over(ms, 0, "a MIME boundary over %d bytes",
			    MIMESCAN_BOUNDARY);
		} else if (boundary != NULL) {
			struct mimescan_level *l = &ms->stack[ms->depth++];

			l->len = (size_t)g_snprintf(l->delim, sizeof(l->delim),
			    "--%s", boundary);
			l->digest = g_mime_content_type_is_type(ct, "multipart",
			    "digest");
		}
		/* without a boundary GMime reads it all as a preface */
	} else if (g_mime_content_type_is_type(ct, "text", "plain")) {
		mimescan_open_text(ms, ct, 0, at);
	} else if (g_mime_content_type_is_type(ct, "text", "html")) {
		mimescan_open_text(ms, ct, 1, at);
	}
	g_object_unref(ct);
	/* No multipart open: no boundary can follow, nothing to find. */
	if (ms->depth == 0 && ms->state != MS_DONE)
		ms->state = MS_DONE;
}

/* mimescan_headers_end - the header block ends; content starts at AT */
static void
mimescan_headers_end(struct mimescan *ms, off_t at)
{
	if (ms->state == MS_TOP_HEADERS) {
		ms->header_end = at;
		ms->parts = 1;
		if ((size_t)at > ms->lim.max_header_bytes) {
			mimescan_over(ms, 1, "a header block over %zu bytes",
			    ms->lim.max_header_bytes);
			return;
		}
	}
	mimescan_body(ms, at);
}

/* mimescan_field_name - which field NAME (LEN bytes) is, for us */
static enum mimescan_field
mimescan_field_name(struct mimescan *ms, const char *name, size_t len)
{
	static const char *const message[] = {
		"From", "To", "Cc", "Subject", "Date", NULL
	};

	if (ms->state == MS_TOP_HEADERS)
		for (const char *const *m = message; *m != NULL; m++)
			if (len == strlen(*m) &&
			    g_ascii_strncasecmp(name, *m, len) == 0)
				ms->message_fields = 1;
	if (len == 12 && g_ascii_strncasecmp(name, "Content-Type", 12) == 0)
		return MF_TYPE;
	if (len == 25 && g_ascii_strncasecmp(name,
	    "Content-Transfer-Encoding", 25) == 0)
		return MF_ENCODING;
	if (len == 19 && g_ascii_strncasecmp(name, "Content-Disposition",
	    19) == 0)
		return MF_DISPOSITION;
	return MF_NONE;
}

/*
 * mimescan_header_line - one line of a header block. Returns 1 when
 * the line turned out to be the first line of content (GMime ends a
 * header block early at a line that is no field, once the fields seen
 * make it look like one) and must be read again as such.
 */
static int
mimescan_header_line(struct mimescan *ms)
{
	size_t n = mimescan_len(ms), i;
	int valid = 1;

	if (n == 0 && !mimescan_cut(ms)) {
		ms->field = MF_NONE;
		mimescan_headers_end(ms, ms->pos);
		return 0;
	}
	if ((ms->line[0] == ' ' || ms->line[0] == '\t') && ms->any_line) {
		mimescan_field_text(ms, 0);
		return 0;
	}
	ms->any_line = 1;
	ms->field = MF_NONE;
	for (i = 0; i < n && ms->line[i] != ':'; i++)
		if ((unsigned char)ms->line[i] <= ' ' ||
		    ms->line[i] == 0x7f) {
			valid = 0;
			break;
		}
	if (i == 0 || i == n)
		valid = 0;
	if (!valid) {
		if (ms->state == MS_TOP_HEADERS && ms->fields == 0) {
			/* GMime refuses this: not a message at all */
			ms->header_end = ms->line_start;
			ms->state = MS_DONE;
			return 0;
		}
		if (ms->state == MS_TOP_HEADERS ? ms->message_fields :
		    ms->have_type) {
			mimescan_headers_end(ms, ms->line_start);
			return ms->state == MS_CONTENT;
		}
		return 0;	/* a stray line, ignored like GMime does */
	}
	if (ms->state == MS_TOP_HEADERS && ++ms->fields >
	    ms->lim.max_header_fields) {
		mimescan_over(ms, 1, "more than %u header fields",
		    ms->lim.max_header_fields);
		return 0;
	}
	ms->field = mimescan_field_name(ms, ms->line, i);
	if (ms->field == MF_TYPE) {
		/* GMime reads the first Content-Type only */
		if (ms->have_type) {
			ms->field = MF_NONE;
			return 0;
		}
		ms->have_type = 1;
	} else if (ms->field == MF_ENCODING && ms->encoding_len > 0) {
		ms->field = MF_NONE;
	} else if (ms->field == MF_DISPOSITION && ms->disposition_len > 0) {
		ms->field = MF_NONE;
	}
	mimescan_field_text(ms, i + 1);
	return 0;
}

/* mimescan_match - whether the line is LEVEL's boundary or its end */
static enum mimescan_match
mimescan_match(const struct mimescan *ms, const struct mimescan_level *l)
{
	size_t n = ms->line_len, at = l->len;
	enum mimescan_match m = MM_BOUNDARY;

	if (n < l->len || memcmp(ms->line, l->delim, l->len) != 0 ||
	    !ms->tail_lwsp)
		return MM_NONE;
	if (n >= at + 2 && ms->line[at] == '-' && ms->line[at + 1] == '-') {
		m = MM_END;
		at += 2;
	}
	for (; at < n; at++)
		if (!mimescan_blank(ms->line[at]))
			return MM_NONE;
	return m;
}

/* mimescan_content_line - one line of content: a boundary, or not */
static void
mimescan_content_line(struct mimescan *ms)
{
	enum mimescan_match m = MM_NONE;
	unsigned int k;

	if (ms->line_len < 2 || ms->line[0] != '-' || ms->line[1] != '-')
		return;
	/* innermost first; a parent's boundary closes what it encloses */
	for (k = ms->depth; k-- > 0;)
		if ((m = mimescan_match(ms, &ms->stack[k])) != MM_NONE)
			break;
	if (m == MM_NONE)
		return;
	mimescan_close_text(ms);
	ms->depth = k + 1;
	if (m == MM_END) {
		ms->depth = k;
		if (ms->depth == 0)
			ms->state = MS_DONE;	/* the rest is an epilogue */
		return;
	}
	if (++ms->parts > ms->lim.max_parts) {
		mimescan_over(ms, 0, "more than %u MIME parts",
		    ms->lim.max_parts);
		return;
	}
	ms->parent_digest = ms->stack[k].digest;
	mimescan_reset_headers(ms);
	ms->state = MS_PART_HEADERS;
}

/* mimescan_line - a whole line was taken: act on it */
static void
mimescan_line(struct mimescan *ms)
{
	switch (ms->state) {
	case MS_TOP_HEADERS:
	case MS_PART_HEADERS:
		if (mimescan_header_line(ms))
			mimescan_content_line(ms);
		break;
	case MS_CONTENT:
		mimescan_content_line(ms);
		break;
	case MS_DONE:
		break;
	}
}

/* mimescan_next_line - forget the line just handled */
static void
mimescan_next_line(struct mimescan *ms)
{
	ms->prev_crlf = ms->line_total > 0 && ms->last == '\r';
	ms->line_start = ms->pos;
	ms->line_len = 0;
	ms->line_total = 0;
	ms->tail_lwsp = 1;
	ms->last = '\0';
}

/* mimescan_push - scan LEN more bytes; see mimescan.h */
int
mimescan_push(struct mimescan *ms, const char *data, size_t len)
{
	while (len > 0 && ms->state != MS_DONE) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl != NULL ? (size_t)(nl - data) : len;

		mimescan_take(ms, data, n);
		ms->pos += (off_t)n;
		data += n;
		len -= n;
		if (ms->state == MS_TOP_HEADERS &&
		    (size_t)ms->pos > ms->lim.max_header_bytes) {
			mimescan_over(ms, 1, "a header block over %zu bytes",
			    ms->lim.max_header_bytes);
			break;
		}
		if (nl == NULL)
			break;
		ms->pos++;
		data++;
		len--;
		mimescan_line(ms);
		mimescan_next_line(ms);
	}
	return ms->state == MS_DONE;
}

/* mimescan_finish - the input ended (or the caller stopped reading) */
void
mimescan_finish(struct mimescan *ms)
{
	if (ms->state == MS_DONE)
		return;
	/* a last line without a newline counts as a line */
	if (ms->line_total > 0) {
		mimescan_line(ms);
		mimescan_next_line(ms);
	}
	if (ms->state == MS_TOP_HEADERS && ms->header_end < 0) {
		ms->header_end = ms->pos;
		ms->parts = 1;
	}
	if (ms->open_text >= 0)
		ms->text[ms->open_text].end = ms->pos;
	ms->open_text = -1;
	if (ms->state != MS_DONE)
		ms->state = MS_DONE;
}

/* mimescan_over_limit - which cap was passed, or NULL */
const char *
mimescan_over_limit(const struct mimescan *ms)
{
	return ms->over;
}

/* mimescan_header_end - see mimescan.h */
int
mimescan_header_end(const struct mimescan *ms, off_t *end_r)
{
	if (ms->header_over || ms->header_end < 0)
		return -1;
	*end_r = ms->header_end;
	return 0;
}

/* mimescan_report_type - the first report type seen, or NULL */
const char *
mimescan_report_type(const struct mimescan *ms)
{
	return ms->report_type;
}

/* mimescan_text - the first text part; see mimescan.h */
int
mimescan_text(const struct mimescan *ms, struct mimescan_text *text_r)
{
	for (int kind = 0; kind < 2; kind++)
		if (ms->have_text[kind]) {
			*text_r = ms->text[kind];
			return 0;
		}
	return -1;
}

/* mimescan_parts - MIME parts seen so far */
unsigned int
mimescan_parts(const struct mimescan *ms)
{
	return ms->parts;
}
