#ifndef DEPUTY_MILTER_POLICY_H
#define DEPUTY_MILTER_POLICY_H

/*
 * NAME
 *	policy - what deputy-milter answers, without libmilter
 * SUMMARY
 *	deputy-milter.c translates libmilter's callbacks into calls here
 *	and the answers back into SMTP replies; every decision is made
 *	here, so that the unit tests and the fuzzer drive it without an
 *	MTA.
 *
 *	At RCPT, in this order, for a recipient (its normal form, the BATV
 *	tag taken off when it verifies, then split at
 *	delivery.recipient_delimiter):
 *
 *	  srs               an SRS0 address of submission.srs_domain that
 *	                    verifies is accepted as it is: deputy-lda
 *	                    passes the bounce back.
 *	  batv-bad,         a null sender to a BATV-protected address whose
 *	  batv-expired      prvs tag does not verify, or is too old:
 *	                    550 5.7.1.
 *	  batv-missing      a null sender to a BATV-protected address with
 *	                    no tag, outside the grace period: 550 5.7.1.
 *	  (directory)       in milter.recipient_domains only: the entry by
 *	                    the full address, then without the detail (as
 *	                    deputy-lda looks it up);
 *	  directory-failed  the directory did not answer: 451 4.3.0;
 *	  unknown-recipient no entry (and milter.reject_unknown; never for
 *	                    postmaster): 550 5.1.1;
 *	  account-disabled, deputyAccountStatus disabled or abandoned:
 *	  account-abandoned 550 5.2.1;
 *	  refused-sender    the sender (its own BATV tag taken off) matches
 *	                    one of the user's deputyRefusedSender values:
 *	                    550 5.7.1.
 *
 *	The BATV checks are for the inbound path only; the submission path
 *	(an authenticated client, or {daemon_name} in
 *	milter.submission_daemons) signs instead: at the end of a message
 *	whose sender is BATV-protected and that goes to at least one
 *	recipient outside our domains, the envelope sender becomes its
 *	prvs form. At the end of DATA: a message that calls itself an
 *	auto-reply (Auto-Submitted: auto-replied, X-Autoreply,
 *	X-Autorespond, Precedence: auto_reply) and whose every recipient
 *	is BATV-protected and untagged is refused (batv-autoreply, 550
 *	5.7.1); a spam verdict at or above the reject threshold on its
 *	scanner's scale is refused (spam, 550 5.7.1).
 * DIAGNOSTICS
 *	mpol_open() fails (-1, *error_r) on a BATV or SRS key file that
 *	cannot be used. Every other function answers; a fault of this host
 *	(the directory, memory) is a 4xx or an accept, never a 5xx. Each
 *	refusal is logged with its reason code.
 * SECURITY
 *	Everything from the envelope and the message is the sender's:
 *	addresses are bounded and normalized before use, and reply texts
 *	hold only printable characters other than '%'.
 */

#include <sys/types.h>
#include <time.h>

#include "conf.h"
#include "strip.h"

struct mpol;

enum mpol_action {
	MPOL_CONTINUE = 0,
	MPOL_TEMPFAIL,
	MPOL_REJECT,
};

/* An answer: for MPOL_TEMPFAIL and MPOL_REJECT, the SMTP reply. */
struct mpol_reply {
	enum mpol_action action;
	const char *code;		/* "550", "451" */
	const char *dsn;		/* "5.1.1" */
	const char *reason;		/* stable reason code, for the log */
	char *text;			/* owned */
};

/* What the transaction knows when a recipient is checked. */
struct mpol_envelope {
	const char *sender;		/* normal form, "" for <> */
	int submission;			/* the submission path */
	const char *client;		/* the client's address, or NULL */
	time_t now;
};

/* What RCPT learned about an accepted recipient, for the end of DATA. */
struct mpol_rcpt_info {
	char *untagged;			/* BATV tag verified: deliver to this
					 * address instead; or NULL */
	int batv_untagged;		/* protected by BATV and untagged */
	int outside;			/* not in one of our domains */
};

/*
 * mpol_open - the policy of CONF (borrowed until mpol_close): loads the
 * BATV and SRS keys, opens the directory lazily
 */
int mpol_open(const struct deputy_conf *conf, struct mpol **p_r,
	      char **error_r);

/* mpol_close - release; sets *p to NULL */
void mpol_close(struct mpol **p);

/* mpol_strip - the header strip settings (NULL when strip is off) */
const struct strip_settings *mpol_strip(const struct mpol *p);

/* mpol_submission - whether the macros make it the submission path */
int mpol_submission(const struct mpol *p, const char *auth_authen,
		    const char *daemon_name);

/* mpol_rcpt - the answer to RCPT TO:<GIVEN>; *info for an accepted one */
void mpol_rcpt(struct mpol *p, const struct mpol_envelope *env,
	       const char *given, struct mpol_reply *reply,
	       struct mpol_rcpt_info *info);

/* mpol_sign - the tagged sender when ENV's mail must be signed, or NULL */
char *mpol_sign(struct mpol *p, const struct mpol_envelope *env,
		int any_outside);

/*
 * mpol_autoreply - the answer at the end of DATA to an auto-reply
 * (AUTOREPLY: the message calls itself one) when every one of its
 * NRCPT recipients is BATV-protected and untagged (NPROTECTED)
 */
void mpol_autoreply(struct mpol *p, const struct mpol_envelope *env,
		    int autoreply, size_t nrcpt, size_t nprotected,
		    struct mpol_reply *reply);

/* mpol_autoreply_header - whether NAME: VALUE marks an auto-reply */
int mpol_autoreply_header(const char *name, const char *value);

/* mpol_spam_enabled - whether the end of DATA asks for a spam verdict */
int mpol_spam_enabled(const struct mpol *p);

/*
 * mpol_spam - the answer at the end of DATA to the message at FD
 * (SIZE bytes from offset 0, as deputy-milter passes it on, our
 * Received line on top); RCPT is the first recipient
 */
void mpol_spam(struct mpol *p, const struct mpol_envelope *env, int fd,
	       off_t size, const char *rcpt, struct mpol_reply *reply);

/* mpol_reply_set - fill R (TEXT printf-style, made safe) */
void mpol_reply_set(struct mpol_reply *r, enum mpol_action action,
		    const char *code, const char *dsn, const char *reason,
		    const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* mpol_reply_clear - release R's text, reset it */
void mpol_reply_clear(struct mpol_reply *r);

/* mpol_rcpt_info_clear - release I's strings, reset it */
void mpol_rcpt_info_clear(struct mpol_rcpt_info *i);

#endif
