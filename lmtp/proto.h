#ifndef DEPUTY_LMTP_PROTO_H
#define DEPUTY_LMTP_PROTO_H

/*
 * NAME
 *	proto - the LMTP command line, parsed (RFC 2033, RFC 5321 4.1)
 * SUMMARY
 *	lmtp_command() splits a command line into its verb and argument;
 *	lmtp_path() reads "FROM:<address> PARAM=VALUE ..." and
 *	"TO:<address> ..." with the parameters deputyd knows (SIZE, BODY).
 *	No I/O: deputyd's session feeds lines in, the fuzzer too.
 * DIAGNOSTICS
 *	lmtp_path() returns 0, or -1 and *reply_r, the reply to send
 *	("501 5.5.4 ...", "555 5.5.4 ..."): the client's error, never a
 *	fault of this host.
 * SECURITY
 *	The line comes from the MTA, which passes on what senders wrote:
 *	every scan is bounded by the line, which the session bounds.
 *	An address with a control character is refused.
 */

#include <stddef.h>

#define LMTP_PATH_MAX	512	/* bytes between < and > */

enum lmtp_verb {
	LMTP_UNKNOWN = 0,
	LMTP_LHLO, LMTP_HELO, LMTP_EHLO,
	LMTP_MAIL, LMTP_RCPT, LMTP_DATA, LMTP_BDAT,
	LMTP_RSET, LMTP_NOOP, LMTP_QUIT, LMTP_VRFY, LMTP_HELP,
};

struct lmtp_path {
	char *address;		/* between the brackets, "" for <> */
	long long size;		/* SIZE=, or -1 */
	int eightbit;		/* BODY=8BITMIME */
};

/* lmtp_command - the verb of LINE, and its argument (a pointer into it) */
enum lmtp_verb lmtp_command(const char *line, const char **arg_r);

/*
 * lmtp_path - parse the argument of MAIL (KEYWORD "FROM:") or RCPT
 * (KEYWORD "TO:") into PATH; release it with lmtp_path_clear()
 */
int lmtp_path(const char *arg, const char *keyword, struct lmtp_path *path,
	      const char **reply_r);

/* lmtp_path_clear - release PATH */
void lmtp_path_clear(struct lmtp_path *path);

#endif
