#ifndef DEPUTY_TRUST_H
#define DEPUTY_TRUST_H

/*
 * NAME
 *	trust - is the envelope sender authenticated, and how spammy is it
 * SUMMARY
 *	The notice goes to the envelope sender, so that is what must be
 *	authenticated: an spf=pass whose smtp.mailfrom domain is the
 *	envelope sender's domain, or a dkim=pass whose header.d aligns
 *	(relaxed: the same organizational domain, per the Public Suffix
 *	List through libpsl) with it. dmarc=fail vetoes.
 *
 *	Only Authentication-Results fields from a configured authserv-id
 *	count, only in the top-level header block, only above the trust
 *	boundary (at most boundary_received Received fields above them; 0:
 *	above every Received field, where the local MTA's filters put
 *	them), and only in the plain form an MTA's strip rule matches for
 *	sure: the field name exactly "Authentication-Results" with no
 *	white space before the colon (facts.c keeps no other), and the
 *	value opening with the authserv-id as a plain token (authres.h,
 *	authserv_id_plain). authres-version and method-version must be 1
 *	(or absent) for a pass to count; a dmarc=fail vetoes whatever its
 *	version. A property a result names twice with different values
 *	is ambiguous and counts for nothing.
 *
 *	Domains are compared after lowercasing, dropping one trailing dot
 *	and converting Unicode labels to ASCII (ACE, "xn--"), so that an
 *	IDN in either form meets the same public suffix rules.
 *
 *	Spam headers (SpamAssassin X-Spam-Status / X-Spam-Score, rspamd
 *	X-Spamd-Result / X-Rspamd-Score) count only when configured by name
 *	and only above the same boundary; several give their maximum.
 * DIAGNOSTICS
 *	None: every failure is "not authenticated" or "no score", with a
 *	detail saying why. An unreadable Public Suffix List makes
 *	alignment strict (only the same domain aligns), and the detail of
 *	a DKIM result that needed the list says so.
 */

#include "facts.h"

/* Debian's list (package publicsuffix); the configuration's default. */
#define TRUST_DEFAULT_PSL "/usr/share/publicsuffix/public_suffix_list.dat"

struct trust_settings {
	const char *const *authserv_ids;	/* lowercased, NULL-terminated */
	unsigned int boundary_received;
	const char *psl_path;		/* the default: libpsl's newest copy */
};

/* What the trust gate concluded about one envelope sender. */
struct trust_verdict {
	int authenticated;		/* 1: the envelope sender is */
	char *detail;			/* why or why not; owned */
};

/*
 * trust_authenticate - judge SENDER by the trusted fields of F into *V
 * (cleared first). F is only read.
 */
void trust_authenticate(const struct facts *f, const char *sender,
			const struct trust_settings *set,
			struct trust_verdict *v);

/* trust_verdict_clear - release V's detail and reset it */
void trust_verdict_clear(struct trust_verdict *v);

/*
 * trust_domain_normalize - NAME lowercased, without one trailing dot,
 * Unicode labels in ASCII (ACE); NULL when it is no usable domain name
 * (empty, too long, a label that cannot be converted). Caller frees.
 */
char *trust_domain_normalize(const char *name);

/*
 * trust_org_domain - the organizational (registrable) domain of NAME
 * per the list at PSL_PATH, normalized; NULL when NAME is itself a
 * public suffix or no domain name. With no usable list, NAME itself.
 * *strict_r (if not NULL) is set when the list could not be loaded.
 */
char *trust_org_domain(const char *psl_path, const char *name,
		       int *strict_r);

/* trust_aligned - relaxed alignment: the same organizational domain */
int trust_aligned(const char *psl_path, const char *a, const char *b,
		  int *strict_r);

#endif
