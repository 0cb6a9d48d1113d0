#ifndef DEPUTY_LMTP_SESSION_H
#define DEPUTY_LMTP_SESSION_H

/*
 * NAME
 *	session - one LMTP connection served by deputyd (RFC 2033)
 * SUMMARY
 *	LHLO, MAIL, RCPT, DATA, RSET, NOOP, VRFY, HELP, QUIT, with
 *	PIPELINING, ENHANCEDSTATUSCODES, 8BITMIME and SIZE. After DATA
 *	the engine runs once for the message and every recipient gets its
 *	own reply: 250 when its copy is durable (Maildir fsynced, or the
 *	downstream LMTP server said 250), the downstream's own reply when
 *	it refused (5xx), 4xx for every fault of this host. Never a 5xx
 *	for a fault of deputy's.
 * DIAGNOSTICS
 *	None returned: a session ends with QUIT, the client's EOF, an idle
 *	timeout (421), too many errors (421), or deputyd stopping between
 *	transactions (421). Each is logged.
 * SECURITY
 *	Lines are bounded (4 KiB for commands; data is streamed to the
 *	spool), the message by SIZE, the recipients per transaction by
 *	max_recipients, the session by an idle timeout.
 */

#include <sys/types.h>

#include "counters.h"
#include "engine.h"

struct session_settings {
	const char *config_path;	/* to (re)open the engine */
	const char *hostname;		/* in the greeting */
	unsigned int idle_timeout;	/* seconds of silence */
	off_t max_size;			/* SIZE, bytes */
	unsigned int max_recipients;	/* per transaction */
	int stop_fd;			/* readable: finish and close */
	struct counters *counters;	/* or NULL */
};

/*
 * session_run - serve the LMTP client on FD until it ends. *ENGINE is
 * the worker's engine, opened here when it is NULL (and again for the
 * next transaction when that fails: the directory may come back).
 */
void session_run(int fd, struct engine **engine,
		 const struct session_settings *set);

#endif
