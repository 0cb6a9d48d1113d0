/*
 * test-spamc - the scanner client: spamd's and rspamd's replies, and
 * the client against small fake scanners on loopback (one connection
 * each, served by a child process): rspamd's 3.4 habit of closing on a
 * half-close, spamd's need for one, a scanner that never answers, one
 * that resets, one that hangs up, one that is down.
 */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "spamc.h"
#include "tap.h"

/* same - numbers equal, NAN equal to NAN */
static int
same(double a, double b)
{
	return (isnan(a) && isnan(b)) || fabs(a - b) < 1e-9;
}

/* ---------------------------------------------------------- replies */

struct reply_row {
	const char *what;
	enum spamc_kind kind;
	const char *reply;
	int rc;
	double score, required;
	const char *action;
	const char *error;		/* substring of the error */
};

#define HTTP_OK "HTTP/1.1 200 OK\r\nConnection: close\r\n" \
	"Content-Type: application/json\r\n"

static const struct reply_row reply_rows[] = {
	{ "spamd spam", SPAMC_SPAMD,
	  "SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\n"
	  "Spam: True ; 19.4 / 5.0\r\n\r\n", 0, 19.4, 5.0, NULL, NULL },
	{ "spamd ham, negative", SPAMC_SPAMD,
	  "SPAMD/1.1 0 EX_OK\r\nSpam: False ; -1.9 / 5.0\r\n\r\n",
	  0, -1.9, 5.0, NULL, NULL },
	{ "spamd refuses", SPAMC_SPAMD,
	  "SPAMD/1.0 76 Bad header line: x\r\n\r\n", -1, 0, 0, NULL,
	  "refused" },
	{ "spamd without a Spam line", SPAMC_SPAMD,
	  "SPAMD/1.1 0 EX_OK\r\n\r\n", -1, 0, 0, NULL, "no score" },
	{ "spamd score without required", SPAMC_SPAMD,
	  "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 19.4\r\n\r\n", -1, 0, 0, NULL,
	  "no score" },
	{ "rspamd add header", SPAMC_RSPAMD,
	  HTTP_OK "Content-Length: 89\r\n\r\n"
	  "{\"is_skipped\":false,\"score\":6.2,\"required_score\":15.0,"
	  "\"action\":\"add header\",\"symbols\":{}}", 0, 6.2, 15.0,
	  "add header", NULL },
	{ "rspamd, symbols before score, integers", SPAMC_RSPAMD,
	  HTTP_OK "\r\n{\"symbols\":{\"X\":{\"score\":99.0}},\"score\":1,"
	  "\"required_score\":15,\"action\":\"No Action\"}", 0, 1.0, 15.0,
	  "no action", NULL },
	{ "rspamd answers 500", SPAMC_RSPAMD,
	  "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\n{}",
	  -1, 0, 0, NULL, "answered 500" },
	{ "rspamd skipped the message", SPAMC_RSPAMD,
	  HTTP_OK "\r\n{\"is_skipped\":true,\"score\":0,\"required_score\":15,"
	  "\"action\":\"no action\"}", -1, 0, 0, NULL, "skipped" },
	{ "rspamd is_skipped of another type is not true", SPAMC_RSPAMD,
	  HTTP_OK "\r\n{\"is_skipped\":{\"x\":1},\"score\":0.5,"
	  "\"required_score\":15,\"action\":\"no action\"}", 0, 0.5, 15.0,
	  "no action", NULL },
	{ "rspamd error object", SPAMC_RSPAMD,
	  HTTP_OK "\r\n{\"error\":\"bad request\"}", -1, 0, 0, NULL, "error" },
	{ "rspamd without an action", SPAMC_RSPAMD,
	  HTTP_OK "\r\n{\"score\":1.0,\"required_score\":15.0}", -1, 0, 0,
	  NULL, "no action in" },
	{ "rspamd action with a control character", SPAMC_RSPAMD,
	  HTTP_OK "\r\n{\"score\":1.0,\"required_score\":15.0,"
	  "\"action\":\"no\\naction\"}", -1, 0, 0, NULL, "no action in" },
	{ "rspamd score as a string", SPAMC_RSPAMD,
	  HTTP_OK "\r\n{\"score\":\"1.0\",\"required_score\":15.0,"
	  "\"action\":\"no action\"}", -1, 0, 0, NULL, "no score" },
	{ "rspamd truncated body", SPAMC_RSPAMD,
	  HTTP_OK "Content-Length: 500\r\n\r\n{\"score\":1.0}", -1, 0, 0,
	  NULL, "shorter" },
	{ "rspamd chunked", SPAMC_RSPAMD,
	  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{}",
	  -1, 0, 0, NULL, "chunked" },
	{ "rspamd not JSON", SPAMC_RSPAMD, HTTP_OK "\r\nscore: 1", -1, 0, 0,
	  NULL, "not JSON" },
	{ "not HTTP", SPAMC_RSPAMD, "SPAMD/1.1 0 EX_OK\r\n\r\n", -1, 0, 0,
	  NULL, "not an HTTP" },
};

/* check_reply - one row of reply_rows */
static void
check_reply(const struct reply_row *row)
{
	struct spamc_reply r;
	char *err = NULL;
	int rc = row->kind == SPAMC_SPAMD ?
	    spamc_parse_spamd(row->reply, strlen(row->reply), &r, &err) :
	    spamc_parse_rspamd(row->reply, strlen(row->reply), &r, &err);
	int ok = rc == row->rc;

	if (ok && rc == 0)
		ok = same(r.score, row->score) && same(r.required,
		    row->required) && (row->action == NULL ? r.action == NULL :
		    r.action != NULL && strcmp(r.action, row->action) == 0);
	if (ok && rc != 0)
		ok = err != NULL && strstr(err, row->error) != NULL;
	tap_ok(ok, "reply: %s (rc %d, %.2f/%.2f %s, %s)", row->what, rc,
	    r.score, r.required, r.action ? r.action : "-", err ? err : "-");
	g_free(err);
	spamc_reply_clear(&r);
}

/* -------------------------------------------------- fake scanners */

enum fake_mode {
	FAKE_RSPAMD,		/* like rspamd 3.4: a half-close ends it */
	FAKE_SPAMD,		/* like spamd: waits for the half-close */
	FAKE_SILENT,		/* reads, never answers */
	FAKE_RESET,		/* reads, then resets the connection */
	FAKE_CLOSE,		/* reads, closes without a word */
};

/* fake_request_done - whether BUF holds a head and Content-Length bytes */
static int
fake_request_done(const char *buf, size_t len)
{
	const char *end = g_strstr_len(buf, (gssize)len, "\r\n\r\n");
	const char *cl;

	if (end == NULL)
		return 0;
	cl = g_strstr_len(buf, end - buf, "ontent-");
	if (cl == NULL || (cl = strchr(cl, ':')) == NULL)
		return 1;
	return len - (size_t)(end + 4 - buf) >= strtoul(cl + 1, NULL, 10);
}

/* fake_serve - the child: one connection on LISTENER, in MODE */
static void
fake_serve(int listener, enum fake_mode mode)
{
	static const char json[] = "{\"score\":3.5,\"required_score\":15.0,"
	    "\"action\":\"no action\",\"symbols\":{}}";
	static const char spamd_reply[] = "SPAMD/1.1 0 EX_OK\r\n"
	    "Content-length: 0\r\nSpam: False ; 0.7 / 5.0\r\n\r\n";
	char buf[65536];
	size_t len = 0;
	int fd = accept(listener, NULL, NULL);

	if (fd < 0)
		_exit(1);
	for (;;) {
		ssize_t n = recv(fd, buf + len, sizeof(buf) - len - 1, 0);

		if (n <= 0) {
			/* the client half-closed or left */
			if (mode == FAKE_RSPAMD)
				_exit(0);	/* rspamd 3.4: no reply */
			break;
		}
		len += (size_t)n;
		if (mode != FAKE_SPAMD && fake_request_done(buf, len))
			break;
	}
	switch (mode) {
	case FAKE_RSPAMD: {
		struct pollfd p = { fd, POLLIN, 0 };

		/* a half-close arriving now ends it too */
		if (poll(&p, 1, 200) == 1 &&
		    recv(fd, buf, 1, MSG_DONTWAIT) == 0)
			_exit(0);
		g_snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\nConnection: "
		    "close\r\nContent-Length: %zu\r\n\r\n%s", strlen(json),
		    json);
		(void)send(fd, buf, strlen(buf), 0);
		/* keep the connection open: the client must stop at
		 * Content-Length, not wait for the end */
		sleep(5);
		break;
	}
	case FAKE_SPAMD:
		(void)send(fd, spamd_reply, strlen(spamd_reply), 0);
		break;
	case FAKE_SILENT:
		sleep(10);
		break;
	case FAKE_RESET: {
		struct linger l = { 1, 0 };

		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		break;
	}
	case FAKE_CLOSE:
		break;
	}
	close(fd);
	_exit(0);
}

/* fake_start - a listener on 127.0.0.1 and its serving child */
static pid_t
fake_start(enum fake_mode mode, char *address, size_t size)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(l, 1) != 0 || getsockname(l, (struct sockaddr *)&sin,
	    &sl) != 0) {
		perror("fake scanner");
		exit(1);
	}
	g_snprintf(address, size, "127.0.0.1:%u", ntohs(sin.sin_port));
	if ((pid = fork()) == 0)
		fake_serve(l, mode);
	close(l);
	return pid;
}

/* fake_stop - end the child, by its pid */
static void
fake_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* message_fd - a spooled message in a temporary file */
static int
message_fd(off_t *size_r)
{
	static const char msg[] = "From: bob@example.com\r\n"
	    "To: alice@example.org\r\nSubject: hello\r\n\r\nHello Alice.\r\n";
	char path[] = "/tmp/test-spam.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, msg, sizeof(msg) - 1) !=
	    (ssize_t)(sizeof(msg) - 1)) {
		perror("message");
		exit(1);
	}
	unlink(path);
	*size_r = (off_t)(sizeof(msg) - 1);
	return fd;
}

/* ask - spamc_check against ADDRESS */
static int
ask(enum spamc_kind kind, const char *address, unsigned int timeout,
    struct spamc_reply *r, char **err)
{
	struct spamc_request req;
	int rc;

	memset(&req, 0, sizeof(req));
	req.kind = kind;
	req.address = address;
	req.fd = message_fd(&req.size);
	req.timeout = timeout;
	req.max_size = 1 << 20;
	req.sender = "bob@example.com";
	req.recipient = "alice@example.org";
	req.client = "192.0.2.1";
	errno = EINPROGRESS;		/* a stale errno must not leak out */
	rc = spamc_check(&req, r, err);
	close(req.fd);
	return rc;
}

/* check_clients - the client against each fake scanner */
static void
check_clients(void)
{
	char address[64];
	struct spamc_reply r;
	char *err = NULL;
	pid_t pid;
	gint64 t0;
	int rc;

	pid = fake_start(FAKE_RSPAMD, address, sizeof(address));
	t0 = g_get_monotonic_time();
	rc = ask(SPAMC_RSPAMD, address, 3, &r, &err);
	tap_ok(rc == 0 && same(r.score, 3.5) && same(r.required, 15.0) &&
	    r.action != NULL && strcmp(r.action, "no action") == 0,
	    "rspamd (closes on a half-close): answered, %.2f/%.2f %s (%s)",
	    r.score, r.required, r.action ? r.action : "-", err ? err : "-");
	tap_ok(g_get_monotonic_time() - t0 < 2 * G_USEC_PER_SEC,
	    "rspamd: the reply is read up to its Content-Length, not to the "
	    "end of the connection");
	spamc_reply_clear(&r);
	g_free(err);
	err = NULL;
	fake_stop(pid);

	pid = fake_start(FAKE_SPAMD, address, sizeof(address));
	rc = ask(SPAMC_SPAMD, address, 3, &r, &err);
	tap_ok(rc == 0 && same(r.score, 0.7) && same(r.required, 5.0) &&
	    r.action == NULL, "spamd (waits for the half-close): answered "
	    "%.2f/%.2f (%s)", r.score, r.required, err ? err : "-");
	spamc_reply_clear(&r);
	g_free(err);
	err = NULL;
	fake_stop(pid);

	pid = fake_start(FAKE_SILENT, address, sizeof(address));
	rc = ask(SPAMC_RSPAMD, address, 1, &r, &err);
	tap_ok(rc == -1 && err != NULL && g_str_has_prefix(err, address) &&
	    strstr(err, "timed out after 1 s") != NULL &&
	    strstr(err, "in progress") == NULL,
	    "silent scanner: %s", err ? err : "-");
	g_free(err);
	err = NULL;
	fake_stop(pid);

	pid = fake_start(FAKE_RESET, address, sizeof(address));
	rc = ask(SPAMC_SPAMD, address, 3, &r, &err);
	tap_ok(rc == -1 && err != NULL &&
	    (strstr(err, "reset") != NULL || strstr(err, "without a reply")),
	    "resetting scanner: %s", err ? err : "-");
	g_free(err);
	err = NULL;
	fake_stop(pid);

	pid = fake_start(FAKE_CLOSE, address, sizeof(address));
	rc = ask(SPAMC_RSPAMD, address, 3, &r, &err);
	tap_ok(rc == -1 && err != NULL && strstr(err, "without a reply"),
	    "scanner that hangs up: %s", err ? err : "-");
	g_free(err);
	err = NULL;
	fake_stop(pid);

	/* a port nobody listens on: take one, then close it */
	pid = fake_start(FAKE_CLOSE, address, sizeof(address));
	fake_stop(pid);
	rc = ask(SPAMC_SPAMD, address, 3, &r, &err);
	tap_ok(rc == -1 && err != NULL &&
	    strstr(err, "connect: Connection refused") != NULL,
	    "scanner down: %s", err ? err : "-");
	g_free(err);
	err = NULL;

	rc = ask(SPAMC_SPAMD, "no-port", 3, &r, &err);
	tap_ok(rc == -1 && err != NULL && strstr(err, "host:port") != NULL,
	    "bad address: %s", err ? err : "-");
	g_free(err);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < G_N_ELEMENTS(reply_rows); i++)
		check_reply(&reply_rows[i]);
	check_clients();
	return tap_done();
}
