#ifndef DEPUTY_SUBMIT_H
#define DEPUTY_SUBMIT_H

/*
 * NAME
 *	submit - hand a message to sendmail(1)
 * SUMMARY
 *	Runs "sendmail -i -f SENDER -- RECIPIENT..." through lib/child.c:
 *	execve, no shell, a clean environment, only stdin/stdout/stderr
 *	open, stdout to /dev/null. Writes PREFIX (header fields to prepend)
 *	and then the spooled message from BODY_OFFSET, and waits, all
 *	within TIMEOUT.
 * DIAGNOSTICS
 *	0 when sendmail read the whole message and exited 0. -1 with
 *	*error_r for anything else (any exit status, a signal, a timeout,
 *	input it stopped reading, a failed fork or exec, a spool read
 *	error, which kills sendmail before it sees the end of its input):
 *	the caller treats it as temporary and exits 75.
 * SECURITY
 *	SENDER and RECIPIENTs travel as single argv words after -f and
 *	after "--", so a sender of "-oQ/tmp" cannot become an option.
 */

#include <sys/types.h>

struct submit_request {
	const char *sendmail;		/* absolute path */
	const char *sender;		/* "" for the null sender */
	const char *const *recipients;	/* NULL-terminated, at least one */
	const char *prefix;		/* may be NULL */
	int fd;				/* the spooled message */
	off_t body_offset;
	unsigned int timeout;		/* seconds */
};

/* submit_run - run sendmail for REQ */
int submit_run(const struct submit_request *req, char **error_r);

/* submit_abort - kill a running child; async-signal-safe */
void submit_abort(void);

#endif
