/*
 * NAME
 *	relay - SMTP and LMTP client, one connection kept open
 * SUMMARY
 *	See relay.h. Plain C and libc only: deputy-lda's small pipe client
 *	links it without the engine's libraries. Commands are pipelined when the server says
 *	PIPELINING (MAIL, every RCPT and DATA in one write); the message
 *	is written in 64 KiB chunks, converted to CRLF and dot-stuffed on
 *	the way. TCP connections set TCP_NODELAY: our writes are already
 *	whole commands, and Nagle would hold the second of two small
 *	writes for a delayed ACK (40 ms per stall, see PLATFORM-NOTES).
 */

#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "relay.h"

#define RELAY_LINE_MAX	2048	/* one reply line */
#define RELAY_LINES_MAX	64	/* lines of one multi-line reply */
#define RELAY_CHUNK	(64 * 1024)

/* A growing output buffer. */
struct relay_buf {
	char *str;
	size_t len, size;
};

struct relay {
	char *address;
	int lmtp;
	int raw;
	char *helo;
	unsigned int timeout;
	int fd;			/* -1: not connected */
	int pipelining;
	int used;		/* a transaction ran on this connection */
	unsigned int replies;	/* replies read in this transaction */
	char in[4096];		/* read buffer */
	size_t in_len;
	struct relay_buf *out;
};

/* relay_strdup - strdup that never returns NULL */
static char *
relay_strdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		abort();
	return d;
}

/* relay_malloc - malloc that never returns NULL */
static void *
relay_malloc(size_t n)
{
	void *p = malloc(n);

	if (p == NULL)
		abort();
	return p;
}

/* relay_printf - a formatted string, never NULL */
static char * __attribute__((format(printf, 1, 2)))
relay_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

/* relay_grow - room for N more bytes in B */
static void
relay_grow(struct relay_buf *b, size_t n)
{
	if (b->len + n + 1 <= b->size)
		return;
	b->size = (b->len + n + 1) * 2;
	if ((b->str = realloc(b->str, b->size)) == NULL)
		abort();
}

/* relay_put - append LEN bytes of S */
static void
relay_put(struct relay_buf *b, const char *s, size_t len)
{
	relay_grow(b, len);
	memcpy(b->str + b->len, s, len);
	b->len += len;
	b->str[b->len] = '\0';
}

/* relay_putstr - append S */
static void
relay_putstr(struct relay_buf *b, const char *s)
{
	relay_put(b, s, strlen(s));
}

/* relay_putc - append one byte */
static void
relay_putc(struct relay_buf *b, char c)
{
	relay_grow(b, 1);
	b->str[b->len++] = c;
	b->str[b->len] = '\0';
}

/* relay_putf - append a formatted string */
static void __attribute__((format(printf, 2, 3)))
relay_putf(struct relay_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	relay_put(b, s, (size_t)n);
	free(s);
}

/* relay_new - a relay for SET (connected on first use) */
struct relay *
relay_new(const struct relay_settings *set)
{
	struct relay *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->out = calloc(1, sizeof(*r->out))) == NULL)
		abort();
	r->address = relay_strdup(set->address);
	r->lmtp = set->lmtp;
	r->raw = set->raw;
	r->helo = relay_strdup(set->helo != NULL ? set->helo : "localhost");
	r->timeout = set->timeout > 0 ? set->timeout : 60;
	r->fd = -1;
	return r;
}

/* relay_disconnect - close the connection, keep the settings */
static void
relay_disconnect(struct relay *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->in_len = 0;
	r->used = 0;
	r->pipelining = 0;
	r->out->len = 0;
}

/* relay_wait - poll FD for EVENTS within the timeout */
static int
relay_wait(struct relay *r, short events, char **error_r)
{
	struct pollfd pfd = { r->fd, events, 0 };
	int n;

	do
		n = poll(&pfd, 1, (int)r->timeout * 1000);
	while (n < 0 && errno == EINTR);
	if (n == 0) {
		*error_r = relay_printf("%s: timed out after %u s",
		    r->address, r->timeout);
		return -1;
	}
	if (n < 0) {
		*error_r = relay_printf("%s: poll: %s", r->address,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* relay_flush - write the output buffer */
static int
relay_flush(struct relay *r, char **error_r)
{
	size_t done = 0;

	while (done < r->out->len) {
		ssize_t n = send(r->fd, r->out->str + done,
		    r->out->len - done, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (relay_wait(r, POLLOUT, error_r) != 0)
				return -1;
			continue;
		}
		if (n < 0) {
			*error_r = relay_printf("%s: write: %s",
			    r->address, strerror(errno));
			return -1;
		}
		done += (size_t)n;
	}
	r->out->len = 0;
	return 0;
}

/* relay_line - read one line (without CRLF) into BUF, bounded */
static int
relay_line(struct relay *r, char *buf, size_t size, char **error_r)
{
	for (;;) {
		char *nl = memchr(r->in, '\n', r->in_len);
		ssize_t n;

		if (nl != NULL) {
			size_t len = (size_t)(nl - r->in);
			size_t keep = (len < size - 1 ? len : size - 1);

			memcpy(buf, r->in, keep);
			buf[keep] = '\0';
			if (keep > 0 && buf[keep - 1] == '\r')
				buf[keep - 1] = '\0';
			memmove(r->in, nl + 1, r->in_len - len - 1);
			r->in_len -= len + 1;
			return 0;
		}
		if (r->in_len == sizeof(r->in)) {
			/* a line longer than the buffer: keep its start */
			r->in_len = 0;
			if (size > 1)
				buf[0] = '\0';
		}
		if (relay_wait(r, POLLIN, error_r) != 0)
			return -1;
		n = recv(r->fd, r->in + r->in_len, sizeof(r->in) - r->in_len,
		    MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			*error_r = relay_printf("%s: %s", r->address,
			    n == 0 ? "connection closed" : strerror(errno));
			return -1;
		}
		r->in_len += (size_t)n;
	}
}

/*
 * relay_reply - one (multi-line) reply: its code, and its last line as
 * text (with the code) in *text_r when TEXT_R is not NULL. A line that
 * does not start with three digits is a protocol error.
 */
static int
relay_reply(struct relay *r, int *code_r, char **text_r, int *pipelining_r,
	    char **error_r)
{
	char line[RELAY_LINE_MAX];

	for (int lines = 0; lines < RELAY_LINES_MAX; lines++) {
		if (relay_line(r, line, sizeof(line), error_r) != 0)
			return -1;
		if (strlen(line) < 3 || !isdigit((unsigned char)line[0]) ||
		    !isdigit((unsigned char)line[1]) || !isdigit((unsigned char)line[2]) ||
		    (line[3] != '\0' && line[3] != ' ' && line[3] != '-')) {
			*error_r = relay_printf("%s: not a reply: %.80s",
			    r->address, line);
			return -1;
		}
		if (pipelining_r != NULL &&
		    strncasecmp(line + 4, "PIPELINING", 10) == 0)
			*pipelining_r = 1;
		if (line[3] != '-') {
			r->replies++;
			*code_r = atoi(line);
			if (text_r != NULL) {
				for (char *p = line; *p != '\0'; p++)
					if ((unsigned char)*p < 0x20)
						*p = ' ';
				*text_r = relay_strdup(line);
			}
			return 0;
		}
	}
	*error_r = relay_printf("%s: a reply of more than %d lines",
	    r->address, RELAY_LINES_MAX);
	return -1;
}

/* relay_dial - connect to the address */
static int
relay_dial(struct relay *r, char **error_r)
{
	const char *a = r->address;
	int fd = -1;

	if (strncmp(a, "unix:", 5) == 0)
		a += 5;
	if (a[0] == '/') {
		struct sockaddr_un sun;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(a) >= sizeof(sun.sun_path)) {
			*error_r = relay_printf("%s: path too long", a);
			return -1;
		}
		strcpy(sun.sun_path, a);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sun,
		    sizeof(sun)) != 0) {
			*error_r = relay_printf("connect %s: %s", a,
			    strerror(errno));
			close(fd);
			return -1;
		}
	} else {
		const char *colon = strrchr(a, ':');
		char *host = colon != NULL ? strndup(a, (size_t)(colon - a)) :
		    strdup(a);
		struct addrinfo hints, *res = NULL, *ai;
		int rc, one = 1;

		if (host == NULL)
			abort();
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICSERV;
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = '\0';
		}
		rc = getaddrinfo(host, colon != NULL ? colon + 1 : "25",
		    &hints, &res);
		free(host);
		if (rc != 0) {
			*error_r = relay_printf("%s: %s", a, gai_strerror(rc));
			return -1;
		}
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
			if (fd < 0)
				continue;
			if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
				break;
			close(fd);
			fd = -1;
		}
		freeaddrinfo(res);
		if (fd < 0) {
			*error_r = relay_printf("connect %s: %s", a,
			    strerror(errno));
			return -1;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	}
	if (fd < 0) {
		*error_r = relay_printf("socket: %s", strerror(errno));
		return -1;
	}
	r->fd = fd;
	return 0;
}

/* relay_connect - connect, read the greeting, LHLO or EHLO */
static int
relay_connect(struct relay *r, char **error_r)
{
	int code = 0;

	if (relay_dial(r, error_r) != 0)
		return -1;
	if (relay_reply(r, &code, NULL, NULL, error_r) != 0)
		goto fail;
	if (code != 220) {
		*error_r = relay_printf("%s: greeting %d", r->address, code);
		goto fail;
	}
	relay_putf(r->out, "%s %s\r\n", r->lmtp ? "LHLO" : "EHLO",
	    r->helo);
	if (relay_flush(r, error_r) != 0 ||
	    relay_reply(r, &code, NULL, &r->pipelining, error_r) != 0)
		goto fail;
	if (code != 250) {
		*error_r = relay_printf("%s: %s refused (%d)", r->address,
		    r->lmtp ? "LHLO" : "EHLO", code);
		goto fail;
	}
	return 0;
fail:
	relay_disconnect(r);
	return -1;
}

/* Where relay_stuff() is in the text: at a line's start, after a CR. */
struct relay_stuffer {
	int bol;
	int last_cr;
	int raw;		/* no CR added before a bare LF */
};

/* relay_stuff - append LEN bytes of SRC, CRLF line ends, dots doubled */
static void
relay_stuff(struct relay_buf *out, struct relay_stuffer *st, const char *src,
	    size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = src[i];

		if (st->bol && c == '.')
			relay_putc(out, '.');
		if (c == '\n' && !st->last_cr && !st->raw)
			relay_putc(out, '\r');
		relay_putc(out, c);
		st->last_cr = c == '\r';
		st->bol = c == '\n';
	}
}

/* relay_data - PREFIX and the spool, CRLF and dot-stuffed, then "." */
static int
relay_data(struct relay *r, const char *prefix, int fd, off_t offset,
	   char **error_r)
{
	struct relay_stuffer st = { 1, 0, r->raw };
	char *buf;
	int rc = -1;

	if (prefix != NULL)
		relay_stuff(r->out, &st, prefix, strlen(prefix));
	buf = relay_malloc(RELAY_CHUNK);
	while (fd >= 0) {
		ssize_t n = pread(fd, buf, RELAY_CHUNK, offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*error_r = relay_printf("read spool: %s",
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		offset += n;
		relay_stuff(r->out, &st, buf, (size_t)n);
		if (r->out->len >= RELAY_CHUNK && relay_flush(r, error_r) != 0)
			goto out;
	}
	if (!st.bol)
		relay_putstr(r->out, r->raw ? "\n" : "\r\n");
	relay_putstr(r->out, ".\r\n");
	rc = relay_flush(r, error_r);
out:
	free(buf);
	return rc;
}

/* relay_rset - end a transaction that sends no data */
static int
relay_rset(struct relay *r, char **error_r)
{
	int code;

	relay_putstr(r->out, "RSET\r\n");
	if (relay_flush(r, error_r) != 0 ||
	    relay_reply(r, &code, NULL, NULL, error_r) != 0)
		return -1;
	return 0;
}

/* relay_all - give every recipient the same reply */
static void
relay_all(struct relay_reply *replies, size_t n, int code, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		free(replies[i].text);
		replies[i].code = code;
		replies[i].text = relay_printf("%d %s", code, what);
	}
}

/*
 * relay_transaction - one attempt on the current connection: MAIL, the
 * RCPTs and DATA (in one write with PIPELINING), the message, and the
 * replies after it (one per accepted recipient with LMTP)
 */
static int
relay_transaction(struct relay *r, const char *sender,
		  const char *const *rcpts, const char *prefix, int fd,
		  off_t offset, struct relay_reply *replies, char **error_r)
{
	size_t n = 0, accepted = 0;
	int mail = 0, data = 0;

	while (rcpts[n] != NULL)
		n++;
	relay_putf(r->out, "MAIL FROM:<%s>\r\n", sender);
	if (r->pipelining) {
		for (size_t i = 0; i < n; i++)
			relay_putf(r->out, "RCPT TO:<%s>\r\n",
			    rcpts[i]);
		relay_putstr(r->out, "DATA\r\n");
	}
	if (relay_flush(r, error_r) != 0 ||
	    relay_reply(r, &mail, NULL, NULL, error_r) != 0)
		return -1;
	if (!r->pipelining && mail != 250) {
		relay_all(replies, n, mail, "MAIL FROM refused");
		return relay_rset(r, error_r);
	}
	for (size_t i = 0; i < n; i++) {
		if (!r->pipelining) {
			relay_putf(r->out, "RCPT TO:<%s>\r\n",
			    rcpts[i]);
			if (relay_flush(r, error_r) != 0)
				return -1;
		}
		if (relay_reply(r, &replies[i].code, &replies[i].text, NULL,
		    error_r) != 0)
			return -1;
		if (mail == 250 && replies[i].code / 100 == 2)
			accepted++;
	}
	if (!r->pipelining) {
		if (accepted == 0)
			return relay_rset(r, error_r);
		relay_putstr(r->out, "DATA\r\n");
		if (relay_flush(r, error_r) != 0)
			return -1;
	}
	if (relay_reply(r, &data, NULL, NULL, error_r) != 0)
		return -1;
	if (mail != 250)
		relay_all(replies, n, mail, "MAIL FROM refused");
	if (data == 354 && accepted == 0) {
		/* a server that wants data for nobody: end it, start over */
		*error_r = relay_printf("%s: DATA accepted with no "
		    "recipient", r->address);
		return -1;
	}
	if (data != 354) {
		for (size_t i = 0; i < n; i++)
			if (replies[i].code / 100 == 2) {
				free(replies[i].text);
				replies[i].code = 451;
				replies[i].text = relay_printf("451 4.3.0 "
				    "DATA refused (%d)", data);
			}
		return relay_rset(r, error_r);
	}
	if (relay_data(r, prefix, fd, offset, error_r) != 0)
		return -1;
	if (r->lmtp) {
		for (size_t i = 0; i < n; i++) {
			if (replies[i].code / 100 != 2)
				continue;
			free(replies[i].text);
			replies[i].text = NULL;
			if (relay_reply(r, &replies[i].code, &replies[i].text,
			    NULL, error_r) != 0)
				return -1;
		}
	} else {
		char *text = NULL;
		int code = 0;

		if (relay_reply(r, &code, &text, NULL, error_r) != 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (replies[i].code / 100 == 2) {
				free(replies[i].text);
				replies[i].code = code;
				replies[i].text = relay_strdup(text);
			}
		free(text);
	}
	return 0;
}

/* relay_address_ok - whether A can stand between < and > in a command */
static int
relay_address_ok(const char *a)
{
	if (strlen(a) > 512)
		return 0;
	for (; *a != '\0'; a++)
		if ((unsigned char)*a < 0x20 || *a == 0x7f || *a == '<' ||
		    *a == '>')
			return 0;
	return 1;
}

/* relay_send - one transaction; see relay.h */
int
relay_send(struct relay *r, const char *sender, const char *const *rcpts,
	   const char *prefix, int fd, off_t offset,
	   struct relay_reply *replies, char **error_r)
{
	size_t n = 0;

	/* no command may be smuggled in after an address */
	if (!relay_address_ok(sender)) {
		*error_r = relay_strdup("relay: the sender is no usable address");
		return -1;
	}
	while (rcpts[n] != NULL) {
		if (!relay_address_ok(rcpts[n])) {
			*error_r = relay_strdup("relay: a recipient is no usable "
			    "address");
			return -1;
		}
		n++;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		int reused = r->fd >= 0 && r->used;
		char *err = NULL;

		memset(replies, 0, n * sizeof(*replies));
		if (r->fd < 0 && relay_connect(r, error_r) != 0)
			return -1;
		r->used = 1;
		r->replies = 0;
		if (relay_transaction(r, sender, rcpts, prefix, fd, offset,
		    replies, &err) == 0)
			return 0;
		relay_replies_clear(replies, n);
		relay_disconnect(r);
		/* an idle connection the server had closed (no reply read
		 * in this transaction): once more, on a fresh one */
		if (reused && r->replies == 0 && attempt == 0) {
			free(err);
			continue;
		}
		*error_r = err;
		return -1;
	}
	*error_r = relay_strdup("relay: no attempt left");
	return -1;
}

/* relay_replies_clear - release the texts of N replies */
void
relay_replies_clear(struct relay_reply *replies, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(replies[i].text);
		replies[i].text = NULL;
		replies[i].code = 0;
	}
}

/* relay_free - QUIT, close, release */
void
relay_free(struct relay **rp)
{
	struct relay *r = *rp;

	if (r == NULL)
		return;
	if (r->fd >= 0) {
		r->out->len = 0;
		relay_putstr(r->out, "QUIT\r\n");
		(void)send(r->fd, r->out->str, r->out->len,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	relay_disconnect(r);
	free(r->out->str);
	free(r->out);
	free(r->address);
	free(r->helo);
	free(r);
	*rp = NULL;
}
