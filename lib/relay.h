#ifndef DEPUTY_RELAY_H
#define DEPUTY_RELAY_H

/*
 * NAME
 *	relay - a kept-open SMTP or LMTP client connection
 * SUMMARY
 *	deputyd hands mailbox copies to a downstream LMTP server
 *	(Dovecot's, so that quotas, indexes and users' Sieve scripts still
 *	apply) and forwards and notices to the local MTA's reinjection
 *	port over SMTP, the way amavis does: one connection, kept open
 *	across messages, RSET between transactions, no process per
 *	message. The two protocols differ only in the greeting (LHLO or
 *	EHLO) and in the replies after DATA (one per recipient in LMTP).
 *	Messages are sent from the spool, dot-stuffed, with CRLF line
 *	ends; a prefix (our forward's Resent-* block, or a whole notice)
 *	goes first.
 * DIAGNOSTICS
 *	relay_send() returns 0 when the transaction ran: every recipient
 *	then has its own reply (code and text) in REPLIES, which may be a
 *	refusal (4xx or 5xx) by the server. -1 with *error_r when the
 *	connection or the protocol failed: nothing is known to be
 *	delivered, the caller treats every recipient as a temporary
 *	failure. A connection that was idle and turns out closed is
 *	reopened once, transparently.
 * SECURITY
 *	Addresses go out between angle brackets and must have passed
 *	envelope_safe_address(): no CR, LF or space can reach the wire.
 *	Every read is bounded (line length, reply lines, time).
 */

#include <sys/types.h>

struct relay_settings {
	const char *address;	/* "unix:/path", "/path" or "host:port" */
	int lmtp;		/* LMTP (LHLO, one reply per recipient) */
	const char *helo;	/* our name in LHLO/EHLO */
	unsigned int timeout;	/* seconds per read or write */
	int raw;		/* send line ends as they are (LF or CR
				 * LF), only dot-stuffed: deputy-lda to
				 * deputyd, which stores what it gets */
};

struct relay_reply {
	int code;		/* 250, 451, 550, ...; 0: not known */
	char *text;		/* the server's reply, one line, or NULL */
};

struct relay;

/* relay_new - a relay for SET (connected on first use) */
struct relay *relay_new(const struct relay_settings *set);

/*
 * relay_send - one transaction: SENDER ("" for <>) to RCPTS (NULL-
 * terminated), the message PREFIX then the spooled message from OFFSET
 * of FD (FD < 0: PREFIX is the whole message). REPLIES has one slot per
 * recipient; free them with relay_replies_clear().
 */
int relay_send(struct relay *r, const char *sender, const char *const *rcpts,
	       const char *prefix, int fd, off_t offset,
	       struct relay_reply *replies, char **error_r);

/* relay_replies_clear - release the texts of N replies */
void relay_replies_clear(struct relay_reply *replies, size_t n);

/* relay_free - QUIT (best effort), close, release; sets *r to NULL */
void relay_free(struct relay **r);

#endif
