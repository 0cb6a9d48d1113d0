#ifndef DEPUTY_SPAMC_H
#define DEPUTY_SPAMC_H

/*
 * NAME
 *	spamc - ask spamd or rspamd for its verdict on a message
 * SUMMARY
 *	spamd over its SPAMC/1.5 protocol (CHECK; the request ends with a
 *	half-close, which spamd waits for), or rspamd over HTTP (POST
 *	/checkv2, no half-close: rspamd 3.4 takes one for a client that
 *	left, and closes without a reply). The reply is read up to its
 *	Content-Length, or to the end of the connection. rspamd's JSON is
 *	read with json-glib.
 *
 *	The address is "host:port"; a numeric host is used as it is, a
 *	name is resolved (asynchronously) within the same timeout. Every
 *	step, resolution, connect, send and receive, is bounded by one
 *	deadline: TIMEOUT seconds from the call. Messages over MAX_SIZE are
 *	not sent.
 * DIAGNOSTICS
 *	0 and *reply_r, or -1 and *error_r naming the address and the step:
 *	"127.0.0.1:783: connect: Connection refused", "...: timed out after
 *	10 s reading the reply", "...: rspamd answered 500", "...: no score
 *	in spamd's reply". The caller treats -1 as "no verdict", which fails
 *	closed for notices.
 * SECURITY
 *	The scanner is local and trusted; its answer is still bounded
 *	(SPAMC_REPLY_MAX) and checked: finite numbers, an action of letters
 *	and spaces only. Envelope values sent to rspamd are left out when
 *	they hold CR, LF or other control characters.
 */

#include <sys/types.h>

enum spamc_kind { SPAMC_SPAMD, SPAMC_RSPAMD };

struct spamc_request {
	enum spamc_kind kind;
	const char *address;		/* "127.0.0.1:783" */
	int fd;				/* the spooled message */
	off_t offset;			/* where the message starts */
	off_t size;			/* bytes from offset */
	unsigned int timeout;		/* seconds, whole exchange */
	off_t max_size;
	const char *sender;		/* for rspamd's From: */
	const char *recipient;		/* for rspamd's Rcpt: */
	const char *client;		/* for rspamd's IP:, or NULL */
};

/* What the scanner said, on its own scale. */
struct spamc_reply {
	double score;
	double required;		/* spamd: its spam threshold;
					 * rspamd: required_score (reject) */
	char *action;			/* rspamd's action, lowercased;
					 * NULL for spamd */
};

/* spamc_check - the scanner's verdict on the message */
int spamc_check(const struct spamc_request *req, struct spamc_reply *reply_r,
		char **error_r);

/* spamc_reply_clear - release what spamc_check() put in REPLY */
void spamc_reply_clear(struct spamc_reply *reply);

/* spamc_parse_spamd - the verdict in a SPAMD/1.x reply to CHECK */
int spamc_parse_spamd(const char *reply, size_t len,
		      struct spamc_reply *reply_r, char **error_r);

/* spamc_parse_rspamd - the verdict in an HTTP reply to /checkv2 */
int spamc_parse_rspamd(const char *reply, size_t len,
		       struct spamc_reply *reply_r, char **error_r);

#endif
