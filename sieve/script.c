/*
 * NAME
 *	script - a user's Sieve script run by libsieve, for deputy-lda
 * SUMMARY
 *	See script.h. One libsieve context per run; the callbacks below
 *	answer libsieve's questions (script text, header fields, envelope,
 *	size) and record its actions in the outcome.
 * SECURITY
 *	The script and the message are both untrusted. The script is read
 *	bounded and must be UTF-8; header values handed to libsieve are
 *	bounded in number; the number of actions is capped; nothing a
 *	script says is executed here.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <gmime/gmime.h>
#include <sieve2.h>

#include "script.h"

#define SCRIPT_MAX_HEADER_BLOCK (256 * 1024)
#define SCRIPT_MAX_VALUES 256		/* values of one header name */
#define SCRIPT_MAX_NAME 256

struct script_ctx {
	const char *text;
	const struct script_message *msg;
	GMimeObject *message;		/* the header block, parsed */
	GPtrArray *strings;		/* values handed to libsieve */
	GPtrArray *arrays;		/* the char ** lists holding them */
	unsigned int max_actions;
	int cancel_keep;		/* an action cancelled implicit keep */
	int explicit_keep;
	struct script_outcome *out;
};

/* script_load - read PATH, at most MAX bytes; see script.h */
int
script_load(const char *path, size_t max, char **text_r, char **error_r)
{
	struct stat st;
	char *text;
	ssize_t n;
	int fd;

	*text_r = NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		*error_r = g_strdup_printf("%s: %s", path, g_strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*error_r = g_strdup_printf("%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((size_t)st.st_size > max) {
		*error_r = g_strdup_printf("%s: larger than %zu bytes", path,
		    max);
		close(fd);
		return -1;
	}
	text = g_malloc((size_t)st.st_size + 1);
	n = read(fd, text, (size_t)st.st_size);
	close(fd);
	if (n < 0 || n != st.st_size) {
		*error_r = g_strdup_printf("%s: short read", path);
		g_free(text);
		return -1;
	}
	text[n] = '\0';
	if (memchr(text, '\0', (size_t)n) != NULL ||
	    !g_utf8_validate(text, n, NULL)) {
		*error_r = g_strdup_printf("%s: not UTF-8 text", path);
		g_free(text);
		return -1;
	}
	*text_r = text;
	return 1;
}

/* script_strv_add - append a copy of S unless present */
static void
script_strv_add(char ***list, const char *s, int fold)
{
	size_t n = 0;

	for (; *list != NULL && (*list)[n] != NULL; n++)
		if (fold ? g_ascii_strcasecmp((*list)[n], s) == 0 :
		    strcmp((*list)[n], s) == 0)
			return;
	*list = g_renew(char *, *list, n + 2);
	(*list)[n] = g_strdup(s);
	(*list)[n + 1] = NULL;
}

/*
 * script_error - keep the first error, prefixed, on one line: libsieve
 * quotes the script in its messages, line breaks and all
 */
static void
script_error(struct script_ctx *c, const char *what, int line,
	     const char *msg)
{
	if (c->out->error != NULL)
		return;
	if (line > 0)
		c->out->error = g_strdup_printf("%s error at line %d: %s", what,
		    line, msg != NULL ? msg : "(no message)");
	else
		c->out->error = g_strdup_printf("%s error: %s", what,
		    msg != NULL ? msg : "(no message)");
	for (char *p = c->out->error; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

/* script_action - count an action; past the cap it is an error */
static int
script_action(struct script_ctx *c)
{
	if (++c->out->actions > c->max_actions) {
		script_error(c, "runtime", 0, "too many actions");
		return SIEVE2_ERROR_EXEC;
	}
	return SIEVE2_OK;
}

/* script_getscript - the script text; no includes */
static int
script_getscript(sieve2_context_t *s, void *user)
{
	struct script_ctx *c = user;
	const char *path = sieve2_getvalue_string(s, "path");
	const char *name = sieve2_getvalue_string(s, "name");

	if ((path != NULL && *path != '\0') || (name != NULL && *name != '\0'))
		return SIEVE2_ERROR_UNSUPPORTED;
	sieve2_setvalue_string(s, "script", (char *)c->text);
	return SIEVE2_OK;
}

/* script_headers - parse the header block once, on first use */
static GMimeHeaderList *
script_headers(struct script_ctx *c)
{
	GMimeStream *stream;
	GMimeParser *parser;
	GByteArray *block;
	char buf[8192];
	off_t at = c->msg->offset;

	if (c->message != NULL)
		return g_mime_object_get_header_list(c->message);
	/* The header block only, bounded: libsieve asks about headers and
	 * size, never about the body. */
	block = g_byte_array_new();
	while (block->len < SCRIPT_MAX_HEADER_BLOCK) {
		ssize_t n = pread(c->msg->fd, buf, sizeof(buf), at);
		const char *end;

		if (n <= 0)
			break;
		g_byte_array_append(block, (const guint8 *)buf, (guint)n);
		at += n;
		end = g_strstr_len((const char *)block->data, block->len,
		    "\n\n");
		if (end == NULL)
			end = g_strstr_len((const char *)block->data,
			    block->len, "\n\r\n");
		if (end != NULL) {
			g_byte_array_set_size(block,
			    (guint)(end - (const char *)block->data + 1));
			break;
		}
	}
	g_byte_array_append(block, (const guint8 *)"\n", 1);
	stream = g_mime_stream_mem_new_with_byte_array(block);
	parser = g_mime_parser_new_with_stream(stream);
	c->message = GMIME_OBJECT(g_mime_parser_construct_message(parser, NULL));
	g_object_unref(parser);
	g_object_unref(stream);
	if (c->message == NULL)
		c->message = GMIME_OBJECT(g_mime_message_new(FALSE));
	return g_mime_object_get_header_list(c->message);
}

/* script_getheader - every value of one header field, decoded */
static int
script_getheader(sieve2_context_t *s, void *user)
{
	struct script_ctx *c = user;
	const char *name = sieve2_getvalue_string(s, "header");
	GMimeHeaderList *list;
	char **values;
	int n, count = 0;

	/*
	 * libsieve reads the list after we return, and it writes into it
	 * too (an empty list's slot was seen to receive the envelope
	 * sender's pointer). So: room to spare, kept until the run ends,
	 * and the strings owned apart from the list, never freed through it.
	 */
	values = g_new0(char *, SCRIPT_MAX_VALUES + 8);
	g_ptr_array_add(c->arrays, values);
	if (name != NULL && *name != '\0' && strlen(name) < SCRIPT_MAX_NAME) {
		list = script_headers(c);
		n = list != NULL ? g_mime_header_list_get_count(list) : 0;
		for (int i = 0; i < n && count < SCRIPT_MAX_VALUES; i++) {
			GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
			const char *v;

			if (g_ascii_strcasecmp(g_mime_header_get_name(h),
			    name) != 0)
				continue;
			v = g_mime_header_get_value(h);
			values[count] = g_strdup(v != NULL ? v : "");
			g_ptr_array_add(c->strings, values[count]);
			count++;
		}
	}
	sieve2_setvalue_stringlist(s, "body", values);
	return SIEVE2_OK;
}

/* script_getenvelope - the envelope sender and recipient */
static int
script_getenvelope(sieve2_context_t *s, void *user)
{
	struct script_ctx *c = user;

	sieve2_setvalue_string(s, "from", (char *)c->msg->sender);
	sieve2_setvalue_string(s, "to", (char *)c->msg->recipient);
	return SIEVE2_OK;
}

/* script_getsize - the message's size */
static int
script_getsize(sieve2_context_t *s, void *user)
{
	struct script_ctx *c = user;

	sieve2_setvalue_int(s, "size", c->msg->size > INT_MAX ? INT_MAX :
	    (int)c->msg->size);
	return SIEVE2_OK;
}

/* script_keep - keep (repeated keeps are one) */
static int
script_keep(sieve2_context_t *s, void *user)
{
	struct script_ctx *c = user;

	(void)s;
	c->explicit_keep = 1;
	return script_action(c);
}

/* script_discard - discard: cancels implicit keep */
static int
script_discard(sieve2_context_t *s, void *user)
{
	struct script_ctx *c = user;

	(void)s;
	c->out->discard = 1;
	c->cancel_keep = 1;
	return script_action(c);
}

/* script_fileinto - a folder copy */
static int
script_fileinto(sieve2_context_t *s, void *user)
{
	struct script_ctx *c = user;
	const char *mailbox = sieve2_getvalue_string(s, "mailbox");

	if (mailbox == NULL || *mailbox == '\0') {
		script_error(c, "runtime", 0, "fileinto without a mailbox");
		return SIEVE2_ERROR_EXEC;
	}
	script_strv_add(&c->out->folders, mailbox, 0);
	c->cancel_keep = 1;
	return script_action(c);
}

/* script_redirect - a forward */
static int
script_redirect(sieve2_context_t *s, void *user)
{
	struct script_ctx *c = user;
	const char *address = sieve2_getvalue_string(s, "address");

	if (address == NULL || *address == '\0') {
		script_error(c, "runtime", 0, "redirect without an address");
		return SIEVE2_ERROR_EXEC;
	}
	script_strv_add(&c->out->redirects, address, 1);
	c->cancel_keep = 1;
	return script_action(c);
}

/* script_reject - recorded; deputy never sends the rejection */
static int
script_reject(sieve2_context_t *s, void *user)
{
	struct script_ctx *c = user;
	const char *msg = sieve2_getvalue_string(s, "message");

	if (c->out->reject == NULL)
		c->out->reject = g_strdup(msg != NULL ? msg : "");
	c->cancel_keep = 1;
	return script_action(c);
}

/* script_vacation - the first vacation counts (RFC 5230: one reply) */
static int
script_vacation(sieve2_context_t *s, void *user)
{
	struct script_ctx *c = user;
	struct vacation_request *v = &c->out->vac;
	const char *from, *subject, *message, *hash;
	int days;

	if (c->out->vacation)
		return script_action(c);
	c->out->vacation = 1;
	from = sieve2_getvalue_string(s, "fromaddr");
	subject = sieve2_getvalue_string(s, "subject");
	message = sieve2_getvalue_string(s, "message");
	hash = sieve2_getvalue_string(s, "hash");
	days = sieve2_getvalue_int(s, "days");
	v->reason = g_strdup(message != NULL ? message : "");
	v->subject = subject != NULL && *subject != '\0' ? g_strdup(subject) :
	    NULL;
	if (from != NULL && *from != '\0') {
		/* :from, or the :addresses entry the message was sent to;
		 * libsieve does not say which, nor hand over :addresses
		 * (it has checked them against To and Cc itself). */
		v->from = g_strdup(from);
		c->out->vacation_address = g_strdup(from);
	}
	v->handle = hash != NULL && *hash != '\0' ? g_strdup(hash) : NULL;
	v->seconds = days > 0 ? (long)days * 86400 : 0;
	/* libsieve gives a token number, not 1, for :mime */
	v->mime = sieve2_getvalue_int(s, "mime") != 0;
	return script_action(c);
}

/* script_notify - not carried out; noted for the log */
static int
script_notify(sieve2_context_t *s, void *user)
{
	struct script_ctx *c = user;
	const char *method = sieve2_getvalue_string(s, "method");
	char *note = g_strdup_printf("notify %s not carried out",
	    method != NULL ? method : "(no method)");

	script_strv_add(&c->out->notes, note, 0);
	g_free(note);
	return script_action(c);
}

/* script_err_parse - a syntax error: the whole script fails */
static int
script_err_parse(sieve2_context_t *s, void *user)
{
	script_error(user, "syntax", sieve2_getvalue_int(s, "lineno"),
	    sieve2_getvalue_string(s, "message"));
	return SIEVE2_OK;
}

/* script_err_runtime - a runtime error: the whole script fails */
static int
script_err_runtime(sieve2_context_t *s, void *user)
{
	script_error(user, "runtime", 0, sieve2_getvalue_string(s, "message"));
	return SIEVE2_OK;
}

/* script_err_header - libsieve could not parse a header or address */
static int
script_err_header(sieve2_context_t *s, void *user)
{
	script_error(user, "header", sieve2_getvalue_int(s, "lineno"),
	    sieve2_getvalue_string(s, "message"));
	return SIEVE2_OK;
}

/*
 * Envelope parts. libsieve 2.2.6 answers an envelope test by the first
 * letter of the part: 'f' reads "from", 't' reads "to", and any other
 * part ("auth", "", ...) leaves the address it then parses
 * uninitialised, a stack value or freed memory: a crash, or worse.
 * So a script with such a part is refused before libsieve sees it, as
 * RFC 5228 lets an implementation refuse a part it does not support;
 * a refused script keeps the message.
 *
 * script_token() is a lexer for just that much of RFC 5228 section 8.1:
 * white space, both comment forms, quoted strings (with their first
 * byte), "text:" strings, tags, and every other character a token of
 * its own.
 */
enum script_tok { ST_END, ST_WORD, ST_TAG, ST_STRING, ST_TEXT, ST_OTHER };

struct script_lex {
	const char *p;
	char first;		/* ST_STRING: its first character, or 0 */
	const char *word;	/* ST_WORD, ST_TAG: the name and its length */
	size_t len;
};

static enum script_tok
script_token(struct script_lex *lx)
{
	const char *p = lx->p;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '#') {
			while (*p != '\0' && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");

			p = end != NULL ? end + 2 : p + strlen(p);
		} else {
			break;
		}
	}
	if (*p == '\0') {
		lx->p = p;
		return ST_END;
	}
	if (*p == '"') {
		p++;
		/* raw: libsieve switches on the byte as written, "\\from"
		 * included */
		lx->first = *p == '"' ? '\0' : *p;
		while (*p != '\0' && *p != '"')
			p += *p == '\\' && p[1] != '\0' ? 2 : 1;
		lx->p = *p == '"' ? p + 1 : p;
		return ST_STRING;
	}
	if (g_ascii_strncasecmp(p, "text:", 5) == 0) {
		/* to the line holding a lone ".", dot-stuffed lines and all */
		p += 5;
		while (*p != '\0') {
			const char *nl = strchr(p, '\n');

			if (nl == NULL) {
				p += strlen(p);
				break;
			}
			p = nl + 1;
			if (p[0] == '.' && (p[1] == '\n' ||
			    (p[1] == '\r' && p[2] == '\n'))) {
				p += p[1] == '\n' ? 2 : 3;
				break;
			}
		}
		lx->p = p;
		return ST_TEXT;
	}
	if (*p == ':' || g_ascii_isalpha(*p) || *p == '_') {
		enum script_tok t = *p == ':' ? ST_TAG : ST_WORD;

		lx->word = p += *p == ':';
		while (g_ascii_isalnum(*p) || *p == '_')
			p++;
		lx->len = (size_t)(p - lx->word);
		lx->p = p;
		return t;
	}
	lx->p = p + 1;
	lx->first = *p;
	return ST_OTHER;
}

/* script_word_is - whether the WORD or TAG just read is NAME */
static int
script_word_is(const struct script_lex *lx, const char *name)
{
	return lx->len == strlen(name) &&
	    g_ascii_strncasecmp(lx->word, name, lx->len) == 0;
}

/* script_part_ok - whether libsieve reads envelope part starting C */
static int
script_part_ok(char c)
{
	return c == 'f' || c == 'F' || c == 't' || c == 'T';
}

/*
 * script_envelope_ok - 0 if TEXT has an envelope test whose part
 * libsieve cannot answer, with *why_r; 1 otherwise (a test it cannot
 * parse is left to libsieve to report)
 */
static int
script_envelope_ok(const char *text, char **why_r)
{
	struct script_lex lx = { text, 0, NULL, 0 };
	enum script_tok t;

	while ((t = script_token(&lx)) != ST_END) {
		if (t != ST_WORD || !script_word_is(&lx, "envelope"))
			continue;
		/* [COMPARATOR] [ADDRESS-PART] [MATCH-TYPE]: tags, and the
		 * string after :comparator */
		while ((t = script_token(&lx)) == ST_TAG)
			if (script_word_is(&lx, "comparator") &&
			    script_token(&lx) == ST_END)
				return 1;
		if (t == ST_STRING && script_part_ok(lx.first))
			continue;
		if (t == ST_OTHER && lx.first == '[') {
			while ((t = script_token(&lx)) == ST_STRING &&
			    script_part_ok(lx.first))
				if ((t = script_token(&lx)) != ST_OTHER ||
				    lx.first != ',')
					break;
			if (t == ST_OTHER && lx.first == ']')
				continue;
		}
		if (t == ST_END)
			return 1;
		*why_r = g_strdup("an envelope part other than \"from\" or "
		    "\"to\" is not supported");
		return 0;
	}
	return 1;
}

/* script_run - run TEXT on MSG; see script.h */
void
script_run(const char *text, const struct script_message *msg,
	   unsigned int max_actions, struct script_outcome *out)
{
	static sieve2_callback_t callbacks[] = {
		{ SIEVE2_SCRIPT_GETSCRIPT, script_getscript },
		{ SIEVE2_MESSAGE_GETHEADER, script_getheader },
		{ SIEVE2_MESSAGE_GETENVELOPE, script_getenvelope },
		{ SIEVE2_MESSAGE_GETSIZE, script_getsize },
		{ SIEVE2_ACTION_KEEP, script_keep },
		{ SIEVE2_ACTION_DISCARD, script_discard },
		{ SIEVE2_ACTION_FILEINTO, script_fileinto },
		{ SIEVE2_ACTION_REDIRECT, script_redirect },
		{ SIEVE2_ACTION_REJECT, script_reject },
		{ SIEVE2_ACTION_VACATION, script_vacation },
		{ SIEVE2_ACTION_NOTIFY, script_notify },
		{ SIEVE2_ERRCALL_PARSE, script_err_parse },
		{ SIEVE2_ERRCALL_RUNTIME, script_err_runtime },
		{ SIEVE2_ERRCALL_HEADER, script_err_header },
		{ SIEVE2_ERRCALL_ADDRESS, script_err_header },
		{ 0, NULL }
	};
	struct script_ctx c;
	sieve2_context_t *s = NULL;
	char *why = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->vac.seconds = -1;
	memset(&c, 0, sizeof(c));
	c.text = text;
	c.msg = msg;
	c.max_actions = max_actions;
	c.out = out;
	c.strings = g_ptr_array_new_with_free_func(g_free);
	c.arrays = g_ptr_array_new_with_free_func(g_free);

	/* A fresh context per run: libsieve's lexer keeps state across
	 * parses. validate then execute, as libsieve wants; an error
	 * callback is the failure signal, whatever the return codes. */
	if (!script_envelope_ok(text, &why)) {
		script_error(&c, "script", 0, why);
		g_free(why);
		rc = SIEVE2_ERROR_UNSUPPORTED;
	} else {
		rc = sieve2_alloc(&s);
	}
	if (rc == SIEVE2_OK)
		rc = sieve2_callbacks(s, callbacks);
	if (rc == SIEVE2_OK)
		rc = sieve2_validate(s, &c);
	if (rc == SIEVE2_OK && out->error == NULL)
		rc = sieve2_execute(s, &c);
	if (rc != SIEVE2_OK && out->error == NULL)
		script_error(&c, "libsieve", 0, sieve2_errstr(rc));
	if (s != NULL)
		sieve2_free(&s);
	g_ptr_array_free(c.arrays, TRUE);
	g_ptr_array_free(c.strings, TRUE);
	if (c.message != NULL)
		g_object_unref(c.message);

	if (out->error != NULL) {
		/* RFC 5228 2.10.6: a failed script keeps, nothing else. */
		char *error = out->error;

		out->error = NULL;
		script_outcome_clear(out);
		out->error = error;
		out->keep = 1;
		return;
	}
	out->keep = c.explicit_keep || !c.cancel_keep;
}

/* script_outcome_clear - release OUT */
void
script_outcome_clear(struct script_outcome *out)
{
	g_free(out->error);
	g_strfreev(out->folders);
	g_strfreev(out->redirects);
	g_free(out->reject);
	vacation_clear(&out->vac);
	g_free(out->vacation_address);
	g_strfreev(out->notes);
	memset(out, 0, sizeof(*out));
	out->vac.seconds = -1;
}
