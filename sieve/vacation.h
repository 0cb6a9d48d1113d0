#ifndef DEPUTY_VACATION_H
#define DEPUTY_VACATION_H

/*
 * NAME
 *	vacation - a Sieve vacation action, as deputy's policy takes it over
 * SUMMARY
 *	A user's `vacation` command (RFC 5230, :seconds of RFC 6131) does
 *	not answer anybody by itself: it makes the user count as away for
 *	this message and shapes the notice that deputy's gate may send.
 *	The request comes from libsieve (deputy-lda running the user's
 *	script) or from argv (the Pigeonhole plugin sieve_deputy).
 *	vacation_period() clamps the period; vacation_identity() is the
 *	dedupe key part: the :handle, else a digest of what makes two
 *	vacation commands different (RFC 5230 section 4.2).
 *	vacation_from() and vacation_body() return the parts of the
 *	request that are safe to use, or NULL.
 * SECURITY
 *	Everything here is written by a user: vacation_from() accepts
 *	only a plain addr-spec; the subject and the body go through
 *	notice_build(), which strips CR, LF and controls from headers.
 */

#include <stddef.h>

struct vacation_request {
	char *reason;		/* the text; a MIME entity with :mime */
	char *subject;		/* :subject or NULL */
	char *from;		/* :from or NULL */
	char **addresses;	/* :addresses, NULL-terminated, or NULL */
	long seconds;		/* :days or :seconds in seconds; -1: none */
	char *handle;		/* :handle or NULL */
	int mime;		/* :mime */
};

/* vacation_clear - release what REQ owns, zero it */
void vacation_clear(struct vacation_request *req);

/* vacation_period - the period in seconds, DEFAULT if none, clamped */
unsigned long vacation_period(const struct vacation_request *req,
			      unsigned long deflt, unsigned long min,
			      unsigned long max);

/* vacation_identity - "sieve:" and the handle or a digest; g_free() */
char *vacation_identity(const struct vacation_request *req);

/* vacation_from - the :from address, lowercased, if usable; g_free() */
char *vacation_from(const struct vacation_request *req);

/* vacation_body - the reason as plain text (the text part with :mime) */
char *vacation_body(const struct vacation_request *req);

#endif
