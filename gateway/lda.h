#ifndef DEPUTY_LDA_H
#define DEPUTY_LDA_H

/*
 * NAME
 *	lda - one run of the delivery agent: spool, parse, look up, decide, act
 * SUMMARY
 *	lda_run() does everything deputy-lda does for one message and its
 *	recipients, and reports success or a temporary failure; main.c
 *	maps that to the exit status and nothing else does.
 *	With explain set it prints the decision records to OUT and changes
 *	nothing: no delivery, no forward, no state.
 * DIAGNOSTICS
 *	0: every recipient's copy is durably delivered and every due forward
 *	was handed to sendmail. -1: try again later; *dsn_r is an enhanced
 *	status code ("4.3.0") and *error_r says why. Nothing derived from
 *	the message or the sender makes lda_run() fail.
 */

#include <stdio.h>
#include <time.h>

#include "vacation.h"

struct lda_options {
	const char *config_path;	/* NULL: default, may be absent */
	const char *sender;		/* envelope sender as given */
	const char *orig_recipient;	/* -a, or NULL */
	const char *client;		/* --client IP, or NULL */
	const char *const *recipients;	/* NULL-terminated */
	int explain;
	FILE *explain_out;
	/* --sieve-vacation (the Pigeonhole plugin): the caller has stored
	 * the message; deputy forwards it to the delegates and runs the
	 * notice gate with the script's vacation. NULL otherwise. */
	const struct vacation_request *vacation;
	int input_fd;			/* the message */
	time_t now;			/* 0: the clock */
	void (*arm_deadline)(unsigned int seconds);	/* or NULL */
};

/* lda_run - deliver one message; see DIAGNOSTICS */
int lda_run(const struct lda_options *opt, const char **dsn_r,
	    char **error_r);

/*
 * lda_safe_address - whether address A may go into a header field or an
 * argv: LOCAL@DOMAIN with one '@', no control character, white space or
 * RFC 5322 special in either part (so no quoted local part), at most 320
 * bytes, not starting with '-'. DOMAIN may be a literal "[...]" as a
 * whole. (GMime would write "a@b@c" as "a@b", and read "[a@b" as a
 * domain literal.) Every sender, delegate and redirect deputy writes
 * into a header or hands to sendmail passes this first.
 */
int	lda_safe_address(const char *a);

#endif
