/*
 * NAME
 *	session - one LMTP connection
 * SUMMARY
 *	A bounded reader over the socket (commands up to 4 KiB a line; a
 *	longer line is refused and skipped to its end), replies gathered
 *	and written when the client has nothing more queued (PIPELINING),
 *	DATA dot-unstuffed on its way to the spool and otherwise stored as
 *	the client sent it: deputy-lda's pipe client sends the message's
 *	own bytes (LF or CR LF), so the Maildir copy is the one deputy-lda
 *	would have written itself, name and all.
 */

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "envelope.h"
#include "log.h"
#include "proto.h"
#include "session.h"
#include "spool.h"

#define SESSION_LINE_MAX	4096
#define SESSION_MAX_ERRORS	10

struct session {
	int fd;
	const struct session_settings *set;
	struct engine **engine;
	char in[16384];
	size_t off, len;		/* unread bytes: in[off, off + len) */
	GString *out;
	int eof;			/* the client closed, or failed */
	int stopping;			/* deputyd stops: 421 when idle */
	int lhlo;
	int errors;
	/* the transaction */
	struct lmtp_path mail;
	int have_mail;
	GPtrArray *rcpts;		/* of char * */
};

/* session_reply - queue one reply line */
static void
session_reply(struct session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_string_append_vprintf(s->out, fmt, ap);
	va_end(ap);
	g_string_append(s->out, "\r\n");
}

/* session_flush - write the queued replies */
static int
session_flush(struct session *s)
{
	size_t done = 0;

	while (done < s->out->len) {
		ssize_t n = send(s->fd, s->out->str + done, s->out->len - done,
		    MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s->eof = 1;
			g_string_truncate(s->out, 0);
			return -1;
		}
		done += (size_t)n;
	}
	g_string_truncate(s->out, 0);
	return 0;
}

/*
 * session_fill - read more input, flushing replies first. 0 read, -1
 * EOF or error (s->eof), -2 timeout, -3 deputyd stops (only when
 * IDLE: between transactions).
 */
static int
session_fill(struct session *s, int idle)
{
	struct pollfd pfd[2];
	nfds_t n = 1;
	ssize_t got;
	int rc;

	if (session_flush(s) != 0)
		return -1;
	if (s->off > 0) {
		memmove(s->in, s->in + s->off, s->len);
		s->off = 0;
	}
	pfd[0].fd = s->fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = s->set->stop_fd;
	pfd[1].events = POLLIN;
	if (idle && s->set->stop_fd >= 0)
		n = 2;
	do
		rc = poll(pfd, n, (int)s->set->idle_timeout * 1000);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		return -2;
	if (n == 2 && (pfd[1].revents & POLLIN) &&
	    !(pfd[0].revents & POLLIN)) {
		s->stopping = 1;
		return -3;
	}
	got = recv(s->fd, s->in + s->len, sizeof(s->in) - s->len, 0);
	if (got <= 0) {
		s->eof = 1;
		return -1;
	}
	s->len += (size_t)got;
	return 0;
}

/*
 * session_line - the next command line into LINE (no CR LF). 1 a line,
 * 0 a line too long (skipped, refused), -1 EOF, -2 timeout, -3 stop.
 */
static int
session_line(struct session *s, char *line, size_t size)
{
	int too_long = 0, rc;

	for (;;) {
		char *start = s->in + s->off;
		char *nl = memchr(start, '\n', s->len);

		if (nl != NULL) {
			size_t n = (size_t)(nl - start);

			if (!too_long) {
				size_t keep = MIN(n, size - 1);

				memcpy(line, start, keep);
				line[keep] = '\0';
				if (keep > 0 && line[keep - 1] == '\r')
					line[keep - 1] = '\0';
				if (n >= size)
					too_long = 1;
			}
			s->off += n + 1;
			s->len -= n + 1;
			return too_long ? 0 : 1;
		}
		if (s->len >= size) {
			/* drop what we have of an overlong line */
			too_long = 1;
			s->off += s->len;
			s->len = 0;
		}
		if ((rc = session_fill(s, s->len == 0 && !too_long)) != 0)
			return rc;
	}
}

/* session_reset - forget the transaction */
static void
session_reset(struct session *s)
{
	lmtp_path_clear(&s->mail);
	s->have_mail = 0;
	g_ptr_array_set_size(s->rcpts, 0);
}

/*
 * session_data - read the message up to the lone "." into SPOOL,
 * dot-unstuffed. 0 done; -1 the client went away. *big_r
 * is set past MAX bytes: the rest is read and dropped.
 */
static int
session_data(struct session *s, struct spool *spool, int *big_r,
	     char **error_r)
{
	int bol = 1, werr = 0, rc;

	*big_r = 0;
	for (;;) {
		char *start = s->in + s->off;
		char *nl = memchr(start, '\n', s->len);
		size_t n;
		const char *w;
		size_t wn;

		if (nl == NULL) {
			/* no line end in the buffer: pass on all but a CR
			 * that may start a CR LF */
			n = s->len;
			if (n < sizeof(s->in) / 2 || n == 0) {
				if ((rc = session_fill(s, 0)) != 0)
					return -1;
				continue;
			}
			if (start[n - 1] == '\r')
				n--;
			w = start;
			wn = n;
			if (bol && w[0] == '.') {
				w++;
				wn--;
			}
			bol = 0;
		} else {
			n = (size_t)(nl - start) + 1;
			if (bol && (n == 2 || (n == 3 && start[1] == '\r')) &&
			    start[0] == '.') {
				s->off += n;
				s->len -= n;
				return 0;
			}
			w = start;
			wn = n;
			if (bol && w[0] == '.') {
				w++;
				wn--;
			}
			bol = 1;
		}
		if (spool->size + (off_t)wn > s->set->max_size)
			*big_r = 1;
		if (!*big_r && !werr && spool_write(spool, w, wn, error_r) != 0)
			werr = 1;
		s->off += n;
		s->len -= n;
		if (werr && *error_r == NULL)
			*error_r = g_strdup("spool write failed");
	}
}

/* session_rcpt_reply - the reply for one recipient's record */
static void
session_rcpt_reply(struct session *s, const struct record *rec,
		   const char *rcpt)
{
	if (rec->fail != FAIL_NONE) {
		const struct fail_info *fi = fail_info(rec->fail);

		if (rec->store_code / 100 == 4 && rec->store_text != NULL)
			session_reply(s, "%s", rec->store_text);
		else
			session_reply(s, "%d %s <%s> %s: %.200s", fi->lmtp_code,
			    fi->dsn, rcpt, fi->name, rec->fail_error != NULL ?
			    rec->fail_error : "temporary failure");
		return;
	}
	if (rec->mailbox == RECORD_MB_REFUSED && rec->store_text != NULL) {
		session_reply(s, "%s", rec->store_text);
		return;
	}
	session_reply(s, "250 2.0.0 <%s> %s%s%s", rcpt,
	    rec->mailbox == RECORD_MB_DUPLICATE ? "duplicate dropped" :
	    rec->mailbox == RECORD_MB_RETURNED ? "returned to the sender" :
	    "delivered", rec->forwarded ? ", forwarded" : "",
	    rec->noticed ? ", notice sent" : "");
}

/* session_engine - the worker's engine, opened when needed */
static struct engine *
session_engine(struct session *s, enum fail_class *class_r, char **error_r)
{
	if (*s->engine == NULL &&
	    engine_open(s->set->config_path, 0, s->engine, class_r,
	    error_r) != 0)
		return NULL;
	engine_refresh(*s->engine);
	return *s->engine;
}

/* session_deliver - DATA: spool, run the engine, one reply a recipient */
static void
session_deliver(struct session *s)
{
	struct engine_request req;
	struct engine_result res;
	struct spool spool;
	struct engine *e;
	enum fail_class class = FAIL_NONE;
	char *err = NULL;
	int big = 0;
	size_t n = s->rcpts->len;

	memset(&res, 0, sizeof(res));
	e = session_engine(s, &class, &err);
	if (spool_open(e != NULL ? engine_conf(e)->spool_dir : NULL, &spool,
	    &err) != 0) {
		/* read the data anyway, to stay in step with the client */
		char *merr = NULL;

		class = FAIL_SPOOL;
		if (spool_open(NULL, &spool, &merr) != 0)
			spool.fd = -1;
		g_free(merr);
	}
	session_reply(s, "354 go ahead, end with <CRLF>.<CRLF>");
	if (spool.fd < 0) {
		s->eof = 1;
		return;
	}
	if (session_data(s, &spool, &big, &err) != 0) {
		spool_close(&spool);
		g_free(err);
		return;			/* the client is gone */
	}
	if (class == FAIL_NONE && err != NULL)
		class = FAIL_SPOOL;
	if (class == FAIL_NONE && spool_finish(&spool, &err) != 0)
		class = FAIL_SPOOL;
	if (s->set->counters != NULL)
		counters_add(&s->set->counters->base[CTR_MESSAGES]);
	if (big) {
		for (size_t i = 0; i < n; i++)
			session_reply(s, "552 5.3.4 <%s> message larger than "
			    "%lld bytes", (char *)s->rcpts->pdata[i],
			    (long long)s->set->max_size);
		goto out;
	}
	if (class == FAIL_NONE) {
		g_ptr_array_add(s->rcpts, NULL);
		memset(&req, 0, sizeof(req));
		req.sender = s->mail.address;
		req.recipients = (const char *const *)s->rcpts->pdata;
		if (engine_run(e, &spool, &req, &res, &class, &err) != 0)
			engine_result_clear(&res);
		g_ptr_array_set_size(s->rcpts, n);
	}
	for (size_t i = 0; i < n; i++) {
		const char *rcpt = s->rcpts->pdata[i];

		if (class != FAIL_NONE || i >= res.count) {
			const struct fail_info *fi = fail_info(class != FAIL_NONE ?
			    class : FAIL_INTERNAL);

			session_reply(s, "%d %s <%s> %s: %.200s", fi->lmtp_code,
			    fi->dsn, rcpt, fi->name, err != NULL ? err :
			    "temporary failure");
			if (s->set->counters != NULL) {
				counters_add(&s->set->counters->base[CTR_RECIPIENTS]);
				counters_add(&s->set->counters->base[CTR_DEFERRED]);
			}
			continue;
		}
		session_rcpt_reply(s, &res.records[i], rcpt);
		counters_record(s->set->counters, &res.records[i]);
	}
out:
	engine_result_clear(&res);
	spool_close(&spool);
	g_free(err);
}

/* session_error - a client error; too many end the session */
static void
session_error(struct session *s, const char *reply)
{
	session_reply(s, "%s", reply);
	if (++s->errors >= SESSION_MAX_ERRORS) {
		session_reply(s, "421 4.7.0 %s too many errors, closing",
		    s->set->hostname);
		s->eof = 1;
	}
}

/* session_command - one command line */
static void
session_command(struct session *s, const char *line)
{
	const char *arg, *why = NULL;
	enum lmtp_verb verb = lmtp_command(line, &arg);
	struct lmtp_path path;

	switch (verb) {
	case LMTP_LHLO:
		if (*arg == '\0') {
			session_error(s, "501 5.5.4 LHLO wants a host name");
			break;
		}
		session_reset(s);
		s->lhlo = 1;
		session_reply(s, "250-%s", s->set->hostname);
		session_reply(s, "250-PIPELINING");
		session_reply(s, "250-ENHANCEDSTATUSCODES");
		session_reply(s, "250-8BITMIME");
		session_reply(s, "250 SIZE %lld", (long long)s->set->max_size);
		break;
	case LMTP_HELO:
	case LMTP_EHLO:
		session_error(s, "500 5.5.1 this is LMTP: LHLO, please");
		break;
	case LMTP_MAIL:
		if (!s->lhlo)
			session_error(s, "503 5.5.1 LHLO first");
		else if (s->have_mail)
			session_error(s, "503 5.5.1 MAIL already given");
		else if (lmtp_path(arg, "FROM:", &s->mail, &why) != 0)
			session_error(s, why);
		else if (s->mail.size > s->set->max_size) {
			session_reply(s, "552 5.3.4 message larger than %lld "
			    "bytes", (long long)s->set->max_size);
			lmtp_path_clear(&s->mail);
		} else {
			s->have_mail = 1;
			session_reply(s, "250 2.1.0 sender ok");
		}
		break;
	case LMTP_RCPT:
		if (!s->have_mail)
			session_error(s, "503 5.5.1 MAIL first");
		else if (lmtp_path(arg, "TO:", &path, &why) != 0)
			session_error(s, why);
		else if (*path.address == '\0' ||
		    strchr(path.address, '@') == NULL) {
			session_error(s, "501 5.1.3 a mailbox, please");
			lmtp_path_clear(&path);
		} else if (s->rcpts->len >= s->set->max_recipients) {
			session_reply(s, "452 4.5.3 too many recipients");
			lmtp_path_clear(&path);
		} else {
			g_ptr_array_add(s->rcpts, path.address);
			path.address = NULL;
			lmtp_path_clear(&path);
			session_reply(s, "250 2.1.5 recipient ok");
		}
		break;
	case LMTP_DATA:
		if (!s->have_mail || s->rcpts->len == 0)
			session_error(s, "503 5.5.1 no valid recipients");
		else if (*arg != '\0')
			session_error(s, "501 5.5.4 DATA takes no argument");
		else
			session_deliver(s);
		session_reset(s);
		break;
	case LMTP_BDAT:
		session_error(s, "502 5.5.1 CHUNKING is not offered");
		break;
	case LMTP_RSET:
		session_reset(s);
		session_reply(s, "250 2.0.0 reset");
		break;
	case LMTP_NOOP:
		session_reply(s, "250 2.0.0 ok");
		break;
	case LMTP_VRFY:
		session_reply(s, "252 2.5.2 send some mail, I'll try my best");
		break;
	case LMTP_HELP:
		session_reply(s, "214 2.0.0 LHLO MAIL RCPT DATA RSET NOOP "
		    "VRFY HELP QUIT");
		break;
	case LMTP_QUIT:
		session_reply(s, "221 2.0.0 %s closing", s->set->hostname);
		s->eof = 1;
		break;
	case LMTP_UNKNOWN:
	default:
		session_error(s, "500 5.5.2 unknown command");
		break;
	}
}

/* session_run - serve the LMTP client on FD until it ends */
void
session_run(int fd, struct engine **engine,
	    const struct session_settings *set)
{
	struct session s;
	char line[SESSION_LINE_MAX];

	memset(&s, 0, sizeof(s));
	s.fd = fd;
	s.set = set;
	s.engine = engine;
	s.out = g_string_new(NULL);
	s.rcpts = g_ptr_array_new_with_free_func(g_free);
	s.mail.size = -1;
	if (set->counters != NULL)
		counters_add(&set->counters->base[CTR_CONNECTIONS]);
	session_reply(&s, "220 %s deputyd LMTP ready", set->hostname);
	while (!s.eof) {
		int rc = session_line(&s, line, sizeof(line));

		if (rc == 1)
			session_command(&s, line);
		else if (rc == 0)
			session_error(&s, "500 5.5.2 line too long");
		else if (rc == -2) {
			session_reply(&s, "421 4.4.2 %s idle for %u s, closing",
			    set->hostname, set->idle_timeout);
			log_info("lmtp: client idle for %u s, closed",
			    set->idle_timeout);
			break;
		} else if (rc == -3) {
			session_reply(&s, "421 4.3.2 %s shutting down",
			    set->hostname);
			break;
		} else {
			break;
		}
	}
	(void)session_flush(&s);
	session_reset(&s);
	g_ptr_array_free(s.rcpts, TRUE);
	g_string_free(s.out, TRUE);
	close(fd);
}
