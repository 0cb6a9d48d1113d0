/*
 * NAME
 *	spamc - ask spamd or rspamd for its verdict on a message
 * SUMMARY
 *	See spamc.h. One deadline bounds the whole exchange; every wait
 *	is a poll() on it, and a poll that runs out says "timed out after
 *	N s" with the step, never a stale errno.
 * SECURITY
 *	The scanner is local and trusted; its answer is still parsed with
 *	bounds (SPAMC_REPLY_MAX) and strict checks. Envelope values sent to
 *	rspamd are left out when they hold control characters.
 */

#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "spamc.h"

#define SPAMC_REPLY_MAX	(512 * 1024)	/* rspamd lists every symbol */
#define SPAMC_BUF	(64 * 1024)
#define SPAMC_ACTION_MAX 32

/* One exchange: where it goes and until when. */
struct spamc_conn {
	const char *address;
	unsigned int timeout;
	gint64 deadline;
	int fd;
};

/* spamc_ms_left - milliseconds until the deadline, 0 when past */
static int
spamc_ms_left(const struct spamc_conn *c)
{
	gint64 left = (c->deadline - g_get_monotonic_time() + 999) / 1000;

	return left <= 0 ? 0 : (int)MIN(left, 60000);
}

/* spamc_fail - set *error_r to "ADDRESS: message" */
static int G_GNUC_PRINTF(3, 4)
spamc_fail(const struct spamc_conn *c, char **error_r, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	*error_r = g_strdup_printf("%s: %s", c->address, msg);
	g_free(msg);
	return -1;
}

/* spamc_timed_out - the error for a wait that ran out of time */
static int
spamc_timed_out(const struct spamc_conn *c, const char *step, char **error_r)
{
	return spamc_fail(c, error_r, "timed out after %u s %s", c->timeout,
	    step);
}

/*
 * spamc_wait - poll FD for EVENTS until the deadline: 1 ready, 0 timed
 * out, -1 and *errno_r on error (EINTR is retried)
 */
static int
spamc_wait(const struct spamc_conn *c, short events, int *errno_r)
{
	for (;;) {
		struct pollfd p = { c->fd, events, 0 };
		int ms = spamc_ms_left(c), n;

		if (ms == 0)
			return 0;
		n = poll(&p, 1, ms);
		if (n > 0)
			return 1;
		if (n == 0)
			continue;	/* spamc_ms_left() decides */
		if (errno != EINTR) {
			*errno_r = errno;
			return -1;
		}
	}
}

/* spamc_gai_free - release an asynchronous lookup and its copies */
static void
spamc_gai_free(struct gaicb *cb)
{
	g_free((char *)cb->ar_name);
	g_free((char *)cb->ar_service);
	g_free((struct addrinfo *)cb->ar_request);
	g_free(cb);
}

/*
 * spamc_resolve - HOST and PORT to addresses: a numeric host at once,
 * a name with getaddrinfo_a() bounded by the deadline
 */
static int
spamc_resolve(const struct spamc_conn *c, const char *host, const char *port,
	      struct addrinfo **res_r, char **error_r)
{
	struct addrinfo hints, *h;
	struct gaicb *cb;
	struct gaicb *list[1];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
	rc = getaddrinfo(host, port, &hints, res_r);
	if (rc == 0)
		return 0;
	if (rc != EAI_NONAME)
		return spamc_fail(c, error_r, "%s", gai_strerror(rc));

	h = g_new0(struct addrinfo, 1);
	h->ai_socktype = SOCK_STREAM;
	h->ai_flags = AI_NUMERICSERV;
	cb = g_new0(struct gaicb, 1);
	cb->ar_name = g_strdup(host);
	cb->ar_service = g_strdup(port);
	cb->ar_request = h;
	list[0] = cb;
	if ((rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL)) != 0) {
		spamc_gai_free(cb);
		return spamc_fail(c, error_r, "%s", gai_strerror(rc));
	}
	while ((rc = gai_error(cb)) == EAI_INPROGRESS) {
		int ms = spamc_ms_left(c);
		struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

		if (ms == 0)
			break;
		(void)gai_suspend((const struct gaicb *const *)list, 1, &ts);
	}
	if (rc == EAI_INPROGRESS) {
		/* A lookup that cannot be cancelled still writes into CB:
		 * it is left to the resolver thread (a few bytes). */
		rc = gai_cancel(cb);
		if (rc == EAI_CANCELED)
			spamc_gai_free(cb);
		else if (rc == EAI_ALLDONE) {
			if (gai_error(cb) == 0)
				freeaddrinfo(cb->ar_result);
			spamc_gai_free(cb);
		}
		return spamc_timed_out(c, "resolving the scanner's name",
		    error_r);
	}
	if (rc != 0) {
		spamc_gai_free(cb);
		return spamc_fail(c, error_r, "%s", gai_strerror(rc));
	}
	*res_r = cb->ar_result;
	spamc_gai_free(cb);
	return 0;
}

/* spamc_connect_one - a non-blocking connect to AI within the deadline */
static int
spamc_connect_one(struct spamc_conn *c, const struct addrinfo *ai,
		  char **error_r)
{
	int err = 0, soerr = 0, rc;
	socklen_t sl = sizeof(soerr);

	c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return spamc_fail(c, error_r, "socket: %s", g_strerror(errno));
	if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		err = errno;
	else if ((rc = spamc_wait(c, POLLOUT, &err)) == 0) {
		close(c->fd);
		c->fd = -1;
		return spamc_timed_out(c, "connecting", error_r);
	} else if (rc > 0) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
			err = errno;
		else
			err = soerr;
	}
	if (err == 0)
		return 0;
	close(c->fd);
	c->fd = -1;
	return spamc_fail(c, error_r, "connect: %s", g_strerror(err));
}

/* spamc_connect - TCP connect to "host:port", each address in turn */
static int
spamc_connect(struct spamc_conn *c, char **error_r)
{
	const char *colon = strrchr(c->address, ':');
	struct addrinfo *res = NULL;
	char *host, *err = NULL;
	int rc = -1;

	if (colon == NULL || colon == c->address || colon[1] == '\0')
		return spamc_fail(c, error_r, "not host:port");
	host = g_strndup(c->address, (gsize)(colon - c->address));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		char *bare = g_strndup(host + 1, strlen(host) - 2);

		g_free(host);
		host = bare;
	}
	if (spamc_resolve(c, host, colon + 1, &res, error_r) != 0) {
		g_free(host);
		return -1;
	}
	g_free(host);
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		g_free(err);
		err = NULL;
		if ((rc = spamc_connect_one(c, ai, &err)) == 0 ||
		    spamc_ms_left(c) == 0)
			break;
	}
	freeaddrinfo(res);
	if (rc == 0)
		g_free(err);
	else if (err != NULL)
		*error_r = err;
	else
		spamc_fail(c, error_r, "no address");
	return rc;
}

/* spamc_send - write LEN bytes within the deadline */
static int
spamc_send(struct spamc_conn *c, const char *buf, size_t len, char **error_r)
{
	while (len > 0) {
		int err = 0, rc = spamc_wait(c, POLLOUT, &err);
		ssize_t n;

		if (rc == 0)
			return spamc_timed_out(c, "sending the message",
			    error_r);
		if (rc < 0)
			return spamc_fail(c, error_r, "poll: %s",
			    g_strerror(err));
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return spamc_fail(c, error_r, "send: %s",
			    g_strerror(errno));
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* spamc_header_end - offset of the body in a reply, or 0 if incomplete */
static size_t
spamc_header_end(const char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] != '\n')
			continue;
		if (s[i + 1] == '\n')
			return i + 2;
		if (s[i + 1] == '\r' && i + 2 < len && s[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/*
 * spamc_field - the value of header field NAME in the header block
 * [S, S + LEN), trimmed, as a new string; NULL when absent. The first
 * line (status) is skipped.
 */
static char *
spamc_field(const char *s, size_t len, const char *name)
{
	size_t nl = strlen(name);
	const char *end = s + len, *p = memchr(s, '\n', len);

	while (p != NULL && p + 1 < end) {
		const char *line = p + 1, *eol = memchr(line, '\n', (size_t)
		    (end - line));

		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - line) > nl && line[nl] == ':' &&
		    g_ascii_strncasecmp(line, name, nl) == 0) {
			char *v = g_strndup(line + nl + 1, (gsize)(eol - line -
			    (ptrdiff_t)nl - 1));

			return g_strstrip(v);
		}
		p = eol;
	}
	return NULL;
}

/* spamc_complete - whether REPLY holds the header block and its body */
static int
spamc_complete(const GString *reply)
{
	size_t body = spamc_header_end(reply->str, reply->len);
	char *cl, *end;
	guint64 want;
	int done;

	if (body == 0)
		return 0;
	if ((cl = spamc_field(reply->str, body, "Content-Length")) == NULL)
		return 0;		/* read to the end of the connection */
	want = g_ascii_strtoull(cl, &end, 10);
	done = end != cl && *end == '\0' && reply->len - body >= want;
	g_free(cl);
	return done;
}

/* spamc_receive - read the reply until complete or closed */
static int
spamc_receive(struct spamc_conn *c, GString *reply, char **error_r)
{
	char *buf = g_malloc(SPAMC_BUF);
	int rc = -1;

	for (;;) {
		int err = 0, w = spamc_wait(c, POLLIN, &err);
		ssize_t n;

		if (w == 0) {
			spamc_timed_out(c, "reading the reply", error_r);
			break;
		}
		if (w < 0) {
			spamc_fail(c, error_r, "poll: %s", g_strerror(err));
			break;
		}
		n = recv(c->fd, buf, SPAMC_BUF, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			spamc_fail(c, error_r, "recv: %s", g_strerror(errno));
			break;
		}
		if (n == 0) {
			if (reply->len == 0)
				spamc_fail(c, error_r, "closed the connection "
				    "without a reply");
			else
				rc = 0;
			break;
		}
		if (reply->len + (size_t)n > SPAMC_REPLY_MAX) {
			spamc_fail(c, error_r, "reply longer than %d bytes",
			    SPAMC_REPLY_MAX);
			break;
		}
		g_string_append_len(reply, buf, n);
		if (spamc_complete(reply)) {
			rc = 0;
			break;
		}
	}
	g_free(buf);
	return rc;
}

/*
 * spamc_exchange - send HEAD and the message, read the reply; the
 * half-close after the message is for spamd only
 */
static int
spamc_exchange(const struct spamc_request *req, const char *head,
	       int half_close, GString *reply, char **error_r)
{
	struct spamc_conn c;
	off_t off = req->offset, end = req->offset + req->size;
	char *buf = NULL;
	int rc = -1;

	c.address = req->address;
	c.timeout = req->timeout;
	c.deadline = g_get_monotonic_time() +
	    (gint64)req->timeout * G_USEC_PER_SEC;
	c.fd = -1;
	if (spamc_connect(&c, error_r) != 0)
		return -1;
	if (spamc_send(&c, head, strlen(head), error_r) != 0)
		goto out;
	buf = g_malloc(SPAMC_BUF);
	while (off < end) {
		ssize_t n = pread(req->fd, buf, (size_t)MIN(SPAMC_BUF, end - off),
		    off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			spamc_fail(&c, error_r, "reading the spooled message: "
			    "%s", n < 0 ? g_strerror(errno) : "short file");
			goto out;
		}
		if (spamc_send(&c, buf, (size_t)n, error_r) != 0)
			goto out;
		off += n;
	}
	if (half_close)
		(void)shutdown(c.fd, SHUT_WR);
	rc = spamc_receive(&c, reply, error_r);
out:
	g_free(buf);
	close(c.fd);
	return rc;
}

/* spamc_number - a finite number at P, with END after it */
static int
spamc_number(const char *p, double *v_r, const char **end_r)
{
	char *end;
	double v;

	while (*p == ' ' || *p == '\t')
		p++;
	v = g_ascii_strtod(p, &end);
	if (end == p || v != v || v > 1e6 || v < -1e6)
		return -1;
	*v_r = v;
	if (end_r != NULL)
		*end_r = end;
	return 0;
}

/* spamc_parse_spamd - the verdict in a SPAMD/1.x reply to CHECK */
int
spamc_parse_spamd(const char *reply, size_t len, struct spamc_reply *reply_r,
		  char **error_r)
{
	size_t body = spamc_header_end(reply, len);
	char *line = g_strndup(reply, (gsize)len), *spam = NULL;
	const char *p;
	char **words = NULL;
	int rc = -1;

	memset(reply_r, 0, sizeof(*reply_r));
	line[strcspn(line, "\r\n")] = '\0';
	words = g_strsplit(line, " ", 3);
	/* "SPAMD/1.1 0 EX_OK" */
	if (!g_str_has_prefix(line, "SPAMD/") || g_strv_length(words) < 2 ||
	    strcmp(words[1], "0") != 0) {
		*error_r = g_strdup_printf("spamd refused the message (%.80s)",
		    line);
		goto out;
	}
	if (body == 0)
		body = len;
	/* "Spam: True ; 19.4 / 5.0" */
	if ((spam = spamc_field(reply, body, "Spam")) == NULL ||
	    (p = strchr(spam, ';')) == NULL ||
	    spamc_number(p + 1, &reply_r->score, &p) != 0 ||
	    (p = strchr(p, '/')) == NULL ||
	    spamc_number(p + 1, &reply_r->required, NULL) != 0) {
		*error_r = g_strdup("no score in spamd's reply");
		goto out;
	}
	rc = 0;
out:
	g_strfreev(words);
	g_free(spam);
	g_free(line);
	return rc;
}

/* spamc_json_number - the finite number member NAME of OBJ */
static int
spamc_json_number(JsonObject *obj, const char *name, double *v_r)
{
	JsonNode *n = json_object_get_member(obj, name);
	GType t;
	double v;

	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n))
		return -1;
	t = json_node_get_value_type(n);
	if (t != G_TYPE_DOUBLE && t != G_TYPE_INT64)
		return -1;
	v = json_node_get_double(n);
	if (v != v || v > 1e6 || v < -1e6)
		return -1;
	*v_r = v;
	return 0;
}

/*
 * spamc_json_true - whether member NAME of OBJ is the boolean true
 * (json-glib's own getters warn on stderr for a member of another type)
 */
static int
spamc_json_true(JsonObject *obj, const char *name)
{
	JsonNode *n = json_object_get_member(obj, name);

	return n != NULL && JSON_NODE_HOLDS_VALUE(n) &&
	    json_node_get_value_type(n) == G_TYPE_BOOLEAN &&
	    json_node_get_boolean(n);
}

/* spamc_action - rspamd's action, lowercased; NULL unless letters/spaces */
static char *
spamc_action(JsonObject *obj)
{
	JsonNode *n = json_object_get_member(obj, "action");
	const char *s;

	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_STRING)
		return NULL;
	s = json_node_get_string(n);
	if (s == NULL || *s == '\0' || strlen(s) > SPAMC_ACTION_MAX)
		return NULL;
	for (const char *p = s; *p != '\0'; p++)
		if (!g_ascii_isalpha(*p) && *p != ' ')
			return NULL;
	return g_ascii_strdown(s, -1);
}

/* spamc_parse_rspamd - the verdict in an HTTP reply to /checkv2 */
int
spamc_parse_rspamd(const char *reply, size_t len, struct spamc_reply *reply_r,
		   char **error_r)
{
	size_t body = spamc_header_end(reply, len);
	JsonParser *parser = NULL;
	JsonNode *root;
	JsonObject *obj;
	GError *gerr = NULL;
	char *te = NULL, *cl = NULL;
	size_t blen;
	int status, rc = -1;

	memset(reply_r, 0, sizeof(*reply_r));
	/* "HTTP/1.1 200 OK" */
	if (len < 12 || strncmp(reply, "HTTP/1.", 7) != 0 || reply[8] != ' ' ||
	    !g_ascii_isdigit(reply[9]) || !g_ascii_isdigit(reply[10]) ||
	    !g_ascii_isdigit(reply[11])) {
		*error_r = g_strdup("not an HTTP reply");
		goto out;
	}
	status = (reply[9] - '0') * 100 + (reply[10] - '0') * 10 +
	    (reply[11] - '0');
	if (status != 200) {
		*error_r = g_strdup_printf("rspamd answered %d", status);
		goto out;
	}
	if (body == 0) {
		*error_r = g_strdup("rspamd's reply has no end of header");
		goto out;
	}
	if ((te = spamc_field(reply, body, "Transfer-Encoding")) != NULL &&
	    g_ascii_strcasecmp(te, "identity") != 0) {
		*error_r = g_strdup_printf("rspamd's reply is %.40s, not "
		    "plain", te);
		goto out;
	}
	blen = len - body;
	if ((cl = spamc_field(reply, body, "Content-Length")) != NULL) {
		char *end;
		guint64 want = g_ascii_strtoull(cl, &end, 10);

		if (end == cl || *end != '\0' || want > blen) {
			*error_r = g_strdup("rspamd's reply is shorter than "
			    "its Content-Length");
			goto out;
		}
		blen = (size_t)want;
	}
	parser = json_parser_new();
	if (!json_parser_load_from_data(parser, reply + body, (gssize)blen,
	    &gerr)) {
		*error_r = g_strdup_printf("rspamd's reply is not JSON: %s",
		    gerr->message);
		g_error_free(gerr);
		goto out;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		*error_r = g_strdup("rspamd's reply is not a JSON object");
		goto out;
	}
	obj = json_node_get_object(root);
	if (json_object_has_member(obj, "error")) {
		*error_r = g_strdup("rspamd answered with an error");
		goto out;
	}
	if (spamc_json_true(obj, "is_skipped")) {
		*error_r = g_strdup("rspamd skipped the message");
		goto out;
	}
	if (spamc_json_number(obj, "score", &reply_r->score) != 0 ||
	    spamc_json_number(obj, "required_score", &reply_r->required) != 0) {
		*error_r = g_strdup("no score in rspamd's reply");
		goto out;
	}
	if ((reply_r->action = spamc_action(obj)) == NULL) {
		*error_r = g_strdup("no action in rspamd's reply");
		goto out;
	}
	rc = 0;
out:
	if (parser != NULL)
		g_object_unref(parser);
	g_free(te);
	g_free(cl);
	return rc;
}

/* spamc_clean - V when it has no control characters, else NULL */
static const char *
spamc_clean(const char *v)
{
	if (v == NULL)
		return NULL;
	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return NULL;
	return v;
}

/* spamc_ip - V when it looks like an IPv4 or IPv6 address, else NULL */
static const char *
spamc_ip(const char *v)
{
	if (v == NULL || *v == '\0' || strlen(v) > 64 ||
	    v[strspn(v, "0123456789abcdefABCDEF.:")] != '\0')
		return NULL;
	return v;
}

/* spamc_rspamd_head - the HTTP request head for /checkv2 */
static char *
spamc_rspamd_head(const struct spamc_request *req)
{
	GString *h = g_string_new(NULL);
	const char *from = spamc_clean(req->sender);
	const char *rcpt = spamc_clean(req->recipient);
	const char *ip = spamc_ip(req->client);

	g_string_append_printf(h, "POST /checkv2 HTTP/1.0\r\n"
	    "Content-Length: %lld\r\n", (long long)req->size);
	if (from != NULL)
		g_string_append_printf(h, "From: %s\r\n",
		    *from != '\0' ? from : "<>");
	if (rcpt != NULL && *rcpt != '\0')
		g_string_append_printf(h, "Rcpt: %s\r\n", rcpt);
	if (ip != NULL)
		g_string_append_printf(h, "IP: %s\r\n", ip);
	g_string_append(h, "\r\n");
	return g_string_free(h, FALSE);
}

/* spamc_check - the scanner's verdict on the message */
int
spamc_check(const struct spamc_request *req, struct spamc_reply *reply_r,
	    char **error_r)
{
	GString *reply;
	char *head, *err = NULL;
	int rc;

	memset(reply_r, 0, sizeof(*reply_r));
	if (req->size > req->max_size) {
		*error_r = g_strdup_printf("message of %lld bytes not scanned "
		    "(limit %lld)", (long long)req->size,
		    (long long)req->max_size);
		return -1;
	}
	if (req->kind == SPAMC_SPAMD)
		head = g_strdup_printf("CHECK SPAMC/1.5\r\nContent-length: "
		    "%lld\r\nUser: deputy\r\n\r\n", (long long)req->size);
	else
		head = spamc_rspamd_head(req);
	reply = g_string_new(NULL);
	rc = spamc_exchange(req, head, req->kind == SPAMC_SPAMD, reply,
	    error_r);
	if (rc == 0) {
		rc = req->kind == SPAMC_SPAMD ?
		    spamc_parse_spamd(reply->str, reply->len, reply_r, &err) :
		    spamc_parse_rspamd(reply->str, reply->len, reply_r, &err);
		if (rc != 0) {
			*error_r = g_strdup_printf("%s: %s", req->address, err);
			g_free(err);
		}
	}
	g_free(head);
	g_string_free(reply, TRUE);
	return rc;
}

/* spamc_reply_clear - release what spamc_check() put in REPLY */
void
spamc_reply_clear(struct spamc_reply *reply)
{
	g_free(reply->action);
	memset(reply, 0, sizeof(*reply));
}
