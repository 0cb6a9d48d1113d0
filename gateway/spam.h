#ifndef DEPUTY_SPAM_H
#define DEPUTY_SPAM_H

/*
 * NAME
 *	spam - one scanner's verdict, read on that scanner's own scale
 * SUMMARY
 *	SpamAssassin and rspamd score on different scales (SpamAssassin
 *	calls 5 spam; rspamd greylists at 4, adds a header at 6, rejects
 *	at 15, and says so in its "action"). A verdict keeps whose scale
 *	it is on, and the policy has thresholds for each.
 *
 *	The verdict comes from trusted headers when there are any, else
 *	from asking the scanner (spamc). Trusted headers are those named in
 *	spam.trusted_headers (facts keeps only those, exact names) and that
 *	stand above the trust boundary: at most boundary_received Received
 *	fields above them, as for Authentication-Results. Understood:
 *
 *	  X-Spam-Status: Yes, score=7.1 required=5.0 ...   (also rspamd's
 *	                                  "No, score=1.20", without required)
 *	  X-Spam-Score: 7.1
 *	  X-Spam-Level: *******          (whole points only: a lower bound)
 *	  X-Spamd-Result: default: False [3.20 / 15.00]; SYMBOL(1.00)...
 *	                                  (rspamd; True means "reject")
 *	  X-Rspamd-Score: 3.2
 *	  X-Rspamd-Action: no action
 *
 *	X-Spamd-Result and X-Rspamd-* are on rspamd's scale; the three
 *	X-Spam-* headers are on the scale named by spam.headers_from, which
 *	follows spam.scanner by default (SpamAssassin's when it is "none").
 *	Several trusted headers on one scale give the highest score and the
 *	most severe action. With headers on both scales, that scale wins,
 *	unless all it has is X-Spam-Level and the other has a score.
 *
 *	The policy (pure functions):
 *
 *	  notice     a known verdict that is clearly clean: score at most
 *	             the scale's notice threshold, and for rspamd an action
 *	             of "no action" (or none given).
 *	  certain    score at or above the scale's forward threshold, or
 *	             rspamd's action "reject" or "discard": forwarded to
 *	             nobody.
 *	  inside     a delegate in one of our domains gets what the user
 *	             gets: everything but certain spam, and mail with no
 *	             verdict.
 *	  outside    a delegate elsewhere gets mail sent by our server: only
 *	             mail the scanner calls clean (score at most the scale's
 *	             clean threshold, and for rspamd "no action" or none
 *	             given), or mail from an authenticated sender that the
 *	             scanner does not call spam (SpamAssassin: under its
 *	             required score; rspamd: "no action" or "greylist").
 *	             No verdict: only from an authenticated sender.
 * DIAGNOSTICS
 *	spam_verdict_get() returns -1 and an error only when the scanner
 *	was asked and gave no answer; the verdict is then unknown, which
 *	fails closed for notices and for outside delegates.
 */

#include "facts.h"
#include "spamc.h"

enum spam_scanner {
	SPAM_SCANNER_NONE,
	SPAM_SCANNER_SPAMASSASSIN,
	SPAM_SCANNER_RSPAMD
};

struct spam_verdict {
	int known;			/* a trusted header or the scanner
					 * answered */
	enum spam_scanner scanner;	/* whose scale */
	double score, required;		/* the scanner's own score and
					 * threshold; required is NAN when
					 * not given */
	char *action;			/* rspamd's action, lowercased, or
					 * NULL */
	char *source;			/* "X-Spam-Status header", "spamd
					 * 127.0.0.1:783", or why unknown */
	int lower_bound;		/* X-Spam-Level only: the score is
					 * in [score, score + 1) */
};

/* Thresholds on one scanner's scale. */
struct spam_scale {
	double notice;			/* a notice at or below */
	double clean;			/* outside delegates at or below */
	double forward;			/* certain spam at or above */
};

struct spam_policy {
	struct spam_scale spamassassin;
	struct spam_scale rspamd;
};

/* Defaults, chosen from bench/spam-quality.sh on the shared corpus. */
#define SPAM_SA_NOTICE		1.0
#define SPAM_SA_CLEAN		2.0
#define SPAM_SA_FORWARD		5.0
#define SPAM_RSPAMD_NOTICE	1.5
#define SPAM_RSPAMD_CLEAN	2.0
#define SPAM_RSPAMD_FORWARD	15.0

struct spam_header_settings {
	unsigned int boundary_received;
	enum spam_scanner generic;	/* scale of X-Spam-Status, -Score,
					 * -Level */
};

/* spam_from_headers - the verdict of the trusted headers; 1 found, 0 none */
int spam_from_headers(const struct facts *f,
		      const struct spam_header_settings *set,
		      struct spam_verdict *v_r);

/* spam_from_scanner - ask spamd or rspamd (REQ->kind); 0 or -1 */
int spam_from_scanner(const struct spamc_request *req,
		      struct spam_verdict *v_r, char **error_r);

/*
 * spam_verdict_get - trusted headers first, then the scanner when REQ
 * is not NULL; 0 (V_R known or not), or -1 and *error_r when the
 * scanner gave no answer (V_R unknown, its source says why)
 */
int spam_verdict_get(const struct facts *f,
		     const struct spam_header_settings *set,
		     const struct spamc_request *req,
		     struct spam_verdict *v_r, char **error_r);

/* spam_notice_ok - whether the verdict allows a notice; else *why_r */
int spam_notice_ok(const struct spam_verdict *v, const struct spam_policy *p,
		   const char **why_r);

/*
 * spam_forward_ok - whether the message may be forwarded to a delegate
 * inside our domains (INTERNAL) or elsewhere; else *why_r (static)
 */
int spam_forward_ok(const struct spam_verdict *v, const struct spam_policy *p,
		    int internal, int sender_authenticated, const char **why_r);

/* spam_verdict_describe - one line for --explain: verdict and thresholds */
char *spam_verdict_describe(const struct spam_verdict *v,
			    const struct spam_policy *p);

/* spam_verdict_clear - release V's strings and forget the verdict */
void spam_verdict_clear(struct spam_verdict *v);

/* spam_policy_default - the built-in thresholds */
void spam_policy_default(struct spam_policy *p);

/* spam_scanner_name - "SpamAssassin", "rspamd" or "none" */
const char *spam_scanner_name(enum spam_scanner s);

#endif
