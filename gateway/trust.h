#ifndef DEPUTY_TRUST_H
#define DEPUTY_TRUST_H

/*
 * NAME
 *	trust - is the envelope sender authenticated, and how spammy is it
 * SUMMARY
 *	The notice goes to the envelope sender, so that is what must be
 *	authenticated: an spf=pass whose smtp.mailfrom domain is the
 *	envelope sender's domain, or a dkim=pass whose header.d aligns
 *	(relaxed, organizational domains from the Public Suffix List) with
 *	it. dmarc=fail vetoes. Only Authentication-Results from a
 *	configured authserv-id count, only in the top-level header block,
 *	and only above the trust boundary: at most boundary_received
 *	Received fields may stand above them (0: above every Received
 *	field, where the local MTA's filters put them).
 *	Spam headers (SpamAssassin X-Spam-Status / X-Spam-Score, rspamd
 *	X-Spamd-Result / X-Rspamd-Score) count only when configured by name
 *	and only above the same boundary; several give their maximum.
 * DIAGNOSTICS
 *	None: every failure is "not authenticated" or "no score", with a
 *	detail saying why.
 */

#include "facts.h"

struct trust_settings {
	const char *const *authserv_ids;	/* lowercased, NULL-terminated */
	unsigned int boundary_received;
	const char *psl_path;
};

/* trust_authenticate - set f->authenticated and f->auth_detail */
void trust_authenticate(struct facts *f, const char *sender,
			const struct trust_settings *set);

/* trust_spam_score - score from trusted spam headers; 1 found, 0 none */
int trust_spam_score(const struct facts *f, unsigned int boundary_received,
		     double *score_r);

/* trust_parse_spam_value - the score in one spam header value */
int trust_parse_spam_value(const char *value, double *score_r);

#endif
