/*
 * NAME
 *	metrics - read deputyd's counters page
 * SUMMARY
 *	metrics_fetch() asks deputyd's counters page (daemon.metrics,
 *	"host:port") for GET /metrics over plain HTTP/1.0 and returns the
 *	whole answer, status line and headers included; deputyctl stats
 *	and deputy-web's decisions chart read it. metrics_value() finds
 *	one series in it.
 * DIAGNOSTICS
 *	NULL and *error_r: no connection within 3 seconds, no answer
 *	within 3 seconds of silence, an answer over 256 KiB, or one that
 *	is not deputyd's page.
 * SECURITY
 *	Bounded: the page is read up to METRICS_PAGE_MAX bytes. The page
 *	is data: callers print what they take from it escaped.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "metrics.h"

#define METRICS_PAGE_MAX	(256 * 1024)

/* metrics_fetch - see metrics.h */
char *
metrics_fetch(const char *where, char **error_r)
{
	struct addrinfo hints, *res = NULL, *ai;
	const char *colon = strrchr(where, ':');
	GString *page;
	char   *host, buf[8192];
	int	fd = -1, rc, err = 0;

	if (colon == NULL) {
		*error_r = g_strdup("not host:port");
		return NULL;
	}
	host = g_strndup(where, (gsize)(colon - where));
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	g_free(host);
	if (rc != 0) {
		*error_r = g_strdup(gai_strerror(rc));
		return NULL;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		struct pollfd pfd;
		socklen_t elen = sizeof(err);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC
		    | SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (err == EINPROGRESS) {
			/* the connection's own error, not a stale errno */
			if (poll(&pfd, 1, 3000) != 1)
				err = ETIMEDOUT;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
			    &elen) != 0)
				err = errno;
			if (err == 0)
				break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		*error_r = g_strdup_printf("cannot connect: %s",
					   g_strerror(err));
		return NULL;
	}
	page = g_string_new(NULL);
	if (write(fd, "GET /metrics HTTP/1.0\r\n\r\n", 25) != 25) {
		*error_r = g_strdup("cannot send the request");
		goto fail;
	}
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t	n;

		if (poll(&pfd, 1, 3000) != 1) {
			*error_r = g_strdup("no answer within 3 seconds");
			goto fail;
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			*error_r = g_strdup(g_strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (page->len + (size_t)n > METRICS_PAGE_MAX) {
			*error_r = g_strdup("the page is too large");
			goto fail;
		}
		g_string_append_len(page, buf, n);
	}
	close(fd);
	if (!g_str_has_prefix(page->str, "HTTP/1.") || strstr(page->str,
	    "deputyd_") == NULL) {
		*error_r = g_strdup("not deputyd's counters page");
		g_string_free(page, TRUE);
		return NULL;
	}
	return g_string_free(page, FALSE);
fail:
	close(fd);
	g_string_free(page, TRUE);
	return NULL;
}

/* metrics_value - the value of SERIES (name and labels, as written) in
 * PAGE; 0 with *found_r = 0 when it is not there */
long long
metrics_value(const char *page, const char *series, int *found_r)
{
	size_t	n = strlen(series);
	const char *p;

	for (p = page; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p != NULL ? p + 1 : NULL) {
		if (strncmp(p, series, n) == 0 && p[n] == ' ') {
			if (found_r != NULL)
				*found_r = 1;
			return g_ascii_strtoll(p + n + 1, NULL, 10);
		}
	}
	if (found_r != NULL)
		*found_r = 0;
	return 0;
}
