/*
 * NAME
 *	spamc - ask spamd or rspamd for a score
 * SECURITY
 *	The scanner is local and trusted; its answer is still parsed with
 *	bounds (SPAMC_REPLY_MAX) and strict number checks. Header values
 *	sent to rspamd are refused if they hold CR or LF.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "spamc.h"
#include "spool.h"

#define SPAMC_REPLY_MAX	(64 * 1024)
#define SPAMC_BUF	(64 * 1024)

/* spamc_ms_left - milliseconds until DEADLINE */
static int
spamc_ms_left(gint64 deadline)
{
	gint64 left = (deadline - g_get_monotonic_time()) / 1000;

	return left < 0 ? 0 : (int)MIN(left, 60000);
}

/* spamc_connect - TCP connect to "host:port" within the deadline */
static int
spamc_connect(const char *address, gint64 deadline, char **error_r)
{
	struct addrinfo hints, *res = NULL;
	const char *colon = strrchr(address, ':');
	char *host;
	int fd = -1, rc;

	if (colon == NULL || colon == address) {
		*error_r = g_strdup_printf("scanner address \"%s\" is not "
		    "host:port", address);
		return -1;
	}
	host = g_strndup(address, (gsize)(colon - address));
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	g_free(host);
	if (rc != 0) {
		*error_r = g_strdup_printf("%s: %s", address, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		*error_r = g_strdup_printf("socket: %s", g_strerror(errno));
		freeaddrinfo(res);
		return -1;
	}
	rc = connect(fd, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (rc != 0 && errno == EINPROGRESS) {
		struct pollfd p = { fd, POLLOUT, 0 };
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		if (poll(&p, 1, spamc_ms_left(deadline)) != 1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 ||
		    soerr != 0) {
			*error_r = g_strdup_printf("connect %s: %s", address,
			    soerr ? g_strerror(soerr) : "timed out");
			close(fd);
			return -1;
		}
	} else if (rc != 0) {
		*error_r = g_strdup_printf("connect %s: %s", address,
		    g_strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* spamc_send - write LEN bytes within the deadline */
static int
spamc_send(int fd, const char *buf, size_t len, gint64 deadline)
{
	while (len > 0) {
		struct pollfd p = { fd, POLLOUT, 0 };
		ssize_t n;

		if (poll(&p, 1, spamc_ms_left(deadline)) != 1)
			return -1;
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* spamc_exchange - send HEAD and the message, read the whole reply */
static int
spamc_exchange(const struct spamc_request *req, const char *head,
	       GString *reply, char **error_r)
{
	gint64 deadline = g_get_monotonic_time() +
	    (gint64)req->timeout * G_USEC_PER_SEC;
	char *buf;
	off_t off = req->offset, end = req->offset + req->size;
	int fd, rc = -1;

	if ((fd = spamc_connect(req->address, deadline, error_r)) < 0)
		return -1;
	buf = g_malloc(SPAMC_BUF);
	if (spamc_send(fd, head, strlen(head), deadline) != 0)
		goto io;
	while (off < end) {
		ssize_t n = pread(req->fd, buf, (size_t)MIN(SPAMC_BUF, end - off),
		    off);

		if (n <= 0 || spamc_send(fd, buf, (size_t)n, deadline) != 0)
			goto io;
		off += n;
	}
	(void)shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, spamc_ms_left(deadline)) != 1)
			goto io;
		n = recv(fd, buf, SPAMC_BUF, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			goto io;
		if (n == 0)
			break;
		if (reply->len + (size_t)n > SPAMC_REPLY_MAX) {
			*error_r = g_strdup_printf("%s: reply too long",
			    req->address);
			goto out;
		}
		g_string_append_len(reply, buf, n);
	}
	rc = 0;
	goto out;
io:
	*error_r = g_strdup_printf("%s: %s", req->address,
	    errno ? g_strerror(errno) : "timed out");
out:
	g_free(buf);
	close(fd);
	return rc;
}

/* spamc_number - a finite number at P */
static int
spamc_number(const char *p, double *v_r)
{
	char *end;
	double v;

	while (*p == ' ' || *p == '\t')
		p++;
	v = g_ascii_strtod(p, &end);
	if (end == p || v != v || v > 1e6 || v < -1e6)
		return -1;
	*v_r = v;
	return 0;
}

/* spamc_spamd - SPAMC/1.5 CHECK: "Spam: True ; 19.4 / 5.0" */
static int
spamc_spamd(const struct spamc_request *req, double *score_r, char **error_r)
{
	char *head = g_strdup_printf("CHECK SPAMC/1.5\r\nContent-length: "
	    "%lld\r\nUser: deputy\r\n\r\n", (long long)req->size);
	GString *reply = g_string_new(NULL);
	const char *p;
	int rc = -1;

	if (spamc_exchange(req, head, reply, error_r) != 0)
		goto out;
	if (!g_str_has_prefix(reply->str, "SPAMD/") ||
	    strstr(reply->str, " 0 EX_OK") == NULL) {
		*error_r = g_strdup_printf("%s: spamd refused the message",
		    req->address);
		goto out;
	}
	if ((p = strstr(reply->str, "\nSpam:")) == NULL ||
	    (p = strchr(p, ';')) == NULL || spamc_number(p + 1, score_r) != 0) {
		*error_r = g_strdup_printf("%s: no score in spamd's reply",
		    req->address);
		goto out;
	}
	rc = 0;
out:
	g_free(head);
	g_string_free(reply, TRUE);
	return rc;
}

/* spamc_safe - a header value without CR, LF or NUL */
static const char *
spamc_safe(const char *v)
{
	if (v == NULL || v[strcspn(v, "\r\n")] != '\0')
		return "";
	return v;
}

/* spamc_rspamd - POST /checkv2, JSON {"score": 1.39, ...} */
static int
spamc_rspamd(const struct spamc_request *req, double *score_r, char **error_r)
{
	char *head = g_strdup_printf("POST /checkv2 HTTP/1.0\r\n"
	    "Content-Length: %lld\r\nFrom: %s\r\nRcpt: %s\r\n%s%s%s\r\n",
	    (long long)req->size, spamc_safe(req->sender),
	    spamc_safe(req->recipient), req->client ? "IP: " : "",
	    req->client ? spamc_safe(req->client) : "",
	    req->client ? "\r\n" : "");
	GString *reply = g_string_new(NULL);
	const char *body, *p;
	int rc = -1;

	if (spamc_exchange(req, head, reply, error_r) != 0)
		goto out;
	if (!g_str_has_prefix(reply->str, "HTTP/1.") ||
	    strncmp(reply->str + 8, " 200", 4) != 0 ||
	    (body = strstr(reply->str, "\r\n\r\n")) == NULL) {
		*error_r = g_strdup_printf("%s: rspamd did not answer 200",
		    req->address);
		goto out;
	}
	/* The top-level "score" comes before "symbols" in rspamd's reply. */
	p = strstr(body, "\"score\":");
	if (p == NULL || (strstr(body, "\"symbols\"") != NULL &&
	    strstr(body, "\"symbols\"") < p) ||
	    spamc_number(p + 8, score_r) != 0) {
		*error_r = g_strdup_printf("%s: no score in rspamd's reply",
		    req->address);
		goto out;
	}
	rc = 0;
out:
	g_free(head);
	g_string_free(reply, TRUE);
	return rc;
}

/* spamc_score - the scanner's score for the message */
int
spamc_score(const struct spamc_request *req, double *score_r, char **error_r)
{
	if (req->size > req->max_size) {
		*error_r = g_strdup_printf("message of %lld bytes not scanned "
		    "(limit %lld)", (long long)req->size,
		    (long long)req->max_size);
		return -1;
	}
	errno = 0;
	return req->kind == SPAMC_SPAMD ? spamc_spamd(req, score_r, error_r) :
	    spamc_rspamd(req, score_r, error_r);
}
