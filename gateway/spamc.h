#ifndef DEPUTY_SPAMC_H
#define DEPUTY_SPAMC_H

/*
 * NAME
 *	spamc - ask a spam scanner for a message's score
 * SUMMARY
 *	spamd over its SPAMC/1.5 protocol (CHECK) or rspamd over HTTP
 *	(POST /checkv2), on a TCP address "host:port", within a timeout.
 *	The message is streamed from the spool; messages over MAX_SIZE are
 *	not sent (no score: no notice, but they are still forwarded).
 * DIAGNOSTICS
 *	0 and *score_r, or -1 and *error_r: scanner down, slow, too large,
 *	or an answer that does not parse. The caller treats -1 as "no
 *	score", which fails closed for notices.
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

/* spamc_score - the scanner's score for the message */
int spamc_score(const struct spamc_request *req, double *score_r,
		char **error_r);

#endif
