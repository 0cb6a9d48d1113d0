/*
 * NAME
 *	trust - envelope-sender authentication and spam scores from headers
 * SECURITY
 *	Every input is a header the sender could have written. What makes
 *	one trustworthy is its position (above the boundary: our own MTA
 *	added it) and its authserv-id (our own filter's name), and the MTA
 *	must strip copies that claim our authserv-id (see README).
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "authres.h"
#include "psl.h"
#include "trust.h"

/* trust_domain_of - the domain of "local@domain", "@domain" or "domain" */
static const char *
trust_domain_of(const char *v)
{
	const char *at = v != NULL ? strrchr(v, '@') : NULL;

	return at != NULL ? at + 1 : v;
}

/* trust_id_ok - whether ID is one of the trusted authserv-ids */
static int
trust_id_ok(const struct trust_settings *set, const char *id)
{
	for (const char *const *p = set->authserv_ids; p && *p; p++)
		if (g_ascii_strcasecmp(*p, id) == 0)
			return 1;
	return 0;
}

/* trust_set_detail - replace the detail */
static void
trust_set_detail(struct facts *f, char *detail)
{
	g_free(f->auth_detail);
	f->auth_detail = detail;
}

/* trust_authenticate - set f->authenticated and f->auth_detail */
void
trust_authenticate(struct facts *f, const char *sender,
		   const struct trust_settings *set)
{
	const char *sdom = trust_domain_of(sender);
	char *why = NULL, *pass = NULL;
	int dmarc_fail = 0;

	f->authenticated = 0;
	if (sender == NULL || *sender == '\0' || sdom == NULL || *sdom == '\0') {
		trust_set_detail(f, g_strdup("no envelope sender domain"));
		return;
	}
	for (size_t i = 0; i < f->ntrust_headers; i++) {
		const struct facts_trust_header *h = &f->trust_headers[i];
		struct authres *ar = NULL;
		char *err = NULL;

		if (g_ascii_strcasecmp(h->name, "Authentication-Results") != 0)
			continue;
		if (h->received_above > set->boundary_received) {
			if (why == NULL)
				why = g_strdup("Authentication-Results below "
				    "the trust boundary");
			continue;
		}
		if (authres_parse(h->value, &ar, &err) != 0) {
			g_free(why);
			why = g_strdup_printf("unparseable Authentication-Results "
			    "ignored (%s)", err);
			g_free(err);
			continue;
		}
		if (!trust_id_ok(set, ar->authserv_id)) {
			g_free(why);
			why = g_strdup_printf("Authentication-Results from "
			    "untrusted authserv-id %.64s", ar->authserv_id);
			authres_free(&ar);
			continue;
		}
		for (size_t r = 0; r < ar->nresults; r++) {
			const struct authres_result *res = &ar->results[r];
			const char *v;

			if (strcmp(res->method, "dmarc") == 0 &&
			    strcmp(res->result, "fail") == 0)
				dmarc_fail = 1;
			if (strcmp(res->result, "pass") != 0)
				continue;
			if (strcmp(res->method, "spf") == 0) {
				v = authres_prop_get(res, "smtp", "mailfrom");
				if (v == NULL)
					v = authres_prop_get(res, "smtp", "mail");
				if (v != NULL && g_ascii_strcasecmp(
				    trust_domain_of(v), sdom) == 0) {
					if (pass == NULL)
						pass = g_strdup_printf("spf=pass "
						    "smtp.mailfrom=%.200s (%.64s)",
						    trust_domain_of(v),
						    ar->authserv_id);
				} else {
					g_free(why);
					why = g_strdup_printf("spf=pass is for "
					    "%.200s, not the envelope sender's "
					    "domain", v ? trust_domain_of(v) :
					    "no smtp.mailfrom");
				}
			} else if (strcmp(res->method, "dkim") == 0) {
				v = authres_prop_get(res, "header", "d");
				if (v == NULL)
					v = trust_domain_of(authres_prop_get(res,
					    "header", "i"));
				if (v != NULL && psl_aligned(set->psl_path, v,
				    sdom)) {
					if (pass == NULL)
						pass = g_strdup_printf("dkim=pass "
						    "header.d=%.200s aligned "
						    "(%.64s)", v, ar->authserv_id);
				} else {
					g_free(why);
					why = g_strdup_printf("dkim=pass for "
					    "%.200s, not aligned with the "
					    "envelope sender's domain",
					    v ? v : "no header.d");
				}
			}
		}
		authres_free(&ar);
	}
	if (dmarc_fail) {
		trust_set_detail(f, g_strdup("dmarc=fail"));
		g_free(pass);
		g_free(why);
		return;
	}
	if (pass != NULL) {
		f->authenticated = 1;
		trust_set_detail(f, pass);
		g_free(why);
		return;
	}
	trust_set_detail(f, why != NULL ? why :
	    g_strdup("no trusted Authentication-Results"));
}

/* trust_parse_spam_value - the score in one spam header value */
int
trust_parse_spam_value(const char *value, double *score_r)
{
	const char *p;
	char *end;
	double v;

	if (value == NULL)
		return 0;
	if ((p = strstr(value, "score=")) != NULL)
		p += 6;			/* X-Spam-Status: No, score=-0.1 */
	else if ((p = strchr(value, '[')) != NULL)
		p += 1;			/* X-Spamd-Result: default: False [1.4 / 15] */
	else
		p = value;		/* X-Spam-Score, X-Rspamd-Score */
	while (*p == ' ' || *p == '\t' || *p == '(')
		p++;
	if (!(g_ascii_isdigit(*p) || *p == '-' || *p == '+' || *p == '.'))
		return 0;
	v = g_ascii_strtod(p, &end);
	if (end == p || v != v || v > 1e6 || v < -1e6)
		return 0;
	*score_r = v;
	return 1;
}

/* trust_spam_score - score from trusted spam headers; 1 found, 0 none */
int
trust_spam_score(const struct facts *f, unsigned int boundary_received,
		 double *score_r)
{
	int found = 0;
	double best = 0;

	for (size_t i = 0; i < f->ntrust_headers; i++) {
		const struct facts_trust_header *h = &f->trust_headers[i];
		double v;

		if (g_ascii_strcasecmp(h->name, "Authentication-Results") == 0 ||
		    h->received_above > boundary_received)
			continue;
		if (trust_parse_spam_value(h->value, &v)) {
			best = found ? MAX(best, v) : v;
			found = 1;
		}
	}
	if (found)
		*score_r = best;
	return found;
}
