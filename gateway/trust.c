/*
 * NAME
 *	trust - envelope-sender authentication and spam scores from headers
 * SECURITY
 *	Every input is a header the sender could have written. What makes
 *	one trustworthy is its position (above the boundary: our own MTA
 *	added it), its authserv-id (our own filter's name) and its form:
 *	the MTA must strip incoming copies that claim our authserv-id (see
 *	README, "Allowing notices"), and a strip rule can only be relied on
 *	for the plain form, so no other form is read. The verdict is
 *	written into its own struct: the parsed facts stay as parsed.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libpsl.h>

#include "authres.h"
#include "trust.h"

#define TRUST_MAX_DOMAIN	253

/* The Public Suffix List: loaded on first use, once per path. */
static psl_ctx_t *trust_psl;
static char *trust_psl_path;
static int trust_psl_loaded;

/*
 * trust_psl_get - the list at PATH, or NULL when it cannot be read.
 * The default path takes libpsl's newest copy (that file, the
 * distribution's compiled DAFSA, or the built-in list): the same data,
 * 0.1 ms instead of 10 ms to parse the text.
 */
static const psl_ctx_t *
trust_psl_get(const char *path)
{
	if (trust_psl_loaded && g_strcmp0(trust_psl_path, path) == 0)
		return trust_psl;
	psl_free(trust_psl);
	g_free(trust_psl_path);
	trust_psl_path = g_strdup(path);
	trust_psl_loaded = 1;
	if (path == NULL || strcmp(path, TRUST_DEFAULT_PSL) == 0)
		trust_psl = psl_latest(path);
	else
		trust_psl = psl_load_file(path);
	return trust_psl;
}

/* trust_domain_normalize - see trust.h */
char *
trust_domain_normalize(const char *name)
{
	char *copy, *ace, *back;
	size_t n;

	if (name == NULL || (n = strlen(name)) == 0 ||
	    n > 4 * TRUST_MAX_DOMAIN || !g_utf8_validate(name, -1, NULL))
		return NULL;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x80 && !g_ascii_isalnum(*p) && strchr("-._", *p) == NULL)
			return NULL;
	copy = g_strdup(name);
	if (copy[n - 1] == '.')
		copy[n - 1] = '\0';
	ace = g_hostname_to_ascii(copy);
	g_free(copy);
	if (ace == NULL)
		return NULL;
	copy = g_ascii_strdown(ace, -1);
	g_free(ace);
	/* every label non-empty, every A-label decodable, bounded */
	back = g_hostname_to_unicode(copy);
	if (back == NULL || *copy == '\0' || *copy == '.' ||
	    strstr(copy, "..") != NULL || copy[strlen(copy) - 1] == '.' ||
	    strlen(copy) > TRUST_MAX_DOMAIN) {
		g_free(back);
		g_free(copy);
		return NULL;
	}
	g_free(back);
	return copy;
}

/* trust_org_domain - see trust.h */
char *
trust_org_domain(const char *psl_path, const char *name, int *strict_r)
{
	const psl_ctx_t *psl;
	const char *reg;
	char *norm, *org;

	if ((norm = trust_domain_normalize(name)) == NULL)
		return NULL;
	if ((psl = trust_psl_get(psl_path)) == NULL) {
		if (strict_r != NULL)
			*strict_r = 1;
		return norm;		/* no list: every name its own */
	}
	reg = psl_registrable_domain(psl, norm);
	org = reg != NULL ? g_strdup(reg) : NULL;
	g_free(norm);
	return org;
}

/* trust_same_domain - A and B name one domain (IDN forms aside) */
static int
trust_same_domain(const char *a, const char *b)
{
	char *na, *nb;
	int same;

	if (a == NULL || b == NULL || *a == '\0')
		return 0;
	if (g_ascii_strcasecmp(a, b) == 0)
		return 1;
	na = trust_domain_normalize(a);
	nb = trust_domain_normalize(b);
	same = na != NULL && nb != NULL && strcmp(na, nb) == 0;
	g_free(na);
	g_free(nb);
	return same;
}

/* trust_aligned - relaxed alignment: the same organizational domain */
int
trust_aligned(const char *psl_path, const char *a, const char *b,
	      int *strict_r)
{
	char *oa, *ob;
	int same;

	if (trust_same_domain(a, b))
		return 1;
	if (a == NULL || b == NULL || *a == '\0')
		return 0;
	oa = trust_org_domain(psl_path, a, strict_r);
	ob = trust_org_domain(psl_path, b, strict_r);
	same = oa != NULL && ob != NULL && strcmp(oa, ob) == 0;
	g_free(oa);
	g_free(ob);
	return same;
}


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

/* trust_why - replace the reason kept for "not authenticated" */
static void
trust_why(char **why, char *text)
{
	g_free(*why);
	*why = text;
}

/* trust_verdict_clear - release V's detail and reset it */
void
trust_verdict_clear(struct trust_verdict *v)
{
	g_free(v->detail);
	v->detail = NULL;
	v->authenticated = 0;
}

/*
 * trust_result - what one result of a trusted field says: 1 a pass for
 * SDOM (*pass set if still empty), -1 a dmarc=fail, 0 nothing (*why
 * may say why)
 */
static int
trust_result(const struct authres *ar, const struct authres_result *res,
	     const char *sdom, const struct trust_settings *set,
	     char **pass, char **why)
{
	const char *v;
	size_t count;
	int strict = 0;

	if (strcmp(res->method, "dmarc") == 0 && strcmp(res->result, "fail") == 0)
		return -1;
	if (strcmp(res->result, "pass") != 0 ||
	    (strcmp(res->method, "spf") != 0 && strcmp(res->method, "dkim") != 0))
		return 0;
	if (res->version != 1) {
		trust_why(why, g_strdup_printf("%s/%u=pass: unsupported method "
		    "version", res->method, res->version));
		return 0;
	}
	if (strcmp(res->method, "spf") == 0) {
		v = authres_prop_unique(res, "smtp", "mailfrom", &count);
		if (count == 0)
			v = authres_prop_unique(res, "smtp", "mail", &count);
		if (v == NULL) {
			trust_why(why, g_strdup(count > 1 ? "spf=pass with "
			    "differing smtp.mailfrom values" :
			    "spf=pass without smtp.mailfrom"));
			return 0;
		}
		if (!trust_same_domain(trust_domain_of(v), sdom)) {
			trust_why(why, g_strdup_printf("spf=pass is for %.200s, "
			    "not the envelope sender's domain",
			    trust_domain_of(v)));
			return 0;
		}
		if (*pass == NULL)
			*pass = g_strdup_printf("spf=pass smtp.mailfrom=%.200s "
			    "(%.64s)", trust_domain_of(v), ar->authserv_id);
		return 1;
	}
	v = authres_prop_unique(res, "header", "d", &count);
	if (count == 0) {
		v = trust_domain_of(authres_prop_unique(res, "header", "i",
		    &count));
	}
	if (v == NULL) {
		trust_why(why, g_strdup(count > 1 ? "dkim=pass with differing "
		    "header.d (or header.i) values" :
		    "dkim=pass without header.d"));
		return 0;
	}
	if (!trust_aligned(set->psl_path, v, sdom, &strict)) {
		trust_why(why, g_strdup_printf("dkim=pass for %.200s, not "
		    "aligned with the envelope sender's domain%s", v,
		    strict ? " (no Public Suffix List: strict alignment)" : ""));
		return 0;
	}
	if (*pass == NULL)
		*pass = g_strdup_printf("dkim=pass header.d=%.200s aligned "
		    "(%.64s)", v, ar->authserv_id);
	return 1;
}

/* trust_authenticate - judge SENDER by the trusted fields of F into *V */
void
trust_authenticate(const struct facts *f, const char *sender,
		   const struct trust_settings *set, struct trust_verdict *v)
{
	const char *sdom = trust_domain_of(sender);
	char *why = NULL, *pass = NULL;
	int dmarc_fail = 0;

	trust_verdict_clear(v);
	if (sender == NULL || *sender == '\0' || sdom == NULL || *sdom == '\0') {
		v->detail = g_strdup("no envelope sender domain");
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
			trust_why(&why, g_strdup_printf("unparseable "
			    "Authentication-Results ignored (%s)", err));
			g_free(err);
			continue;
		}
		if (!trust_id_ok(set, ar->authserv_id)) {
			trust_why(&why, g_strdup_printf("Authentication-Results "
			    "from untrusted authserv-id %.64s", ar->authserv_id));
		} else if (!ar->authserv_id_plain) {
			/* a comment, quotes or text around the id: a form
			 * the MTA's strip rule may miss, so a forgery */
			trust_why(&why, g_strdup_printf("Authentication-Results "
			    "for %.64s not in plain form (comment, quotes or "
			    "text around the authserv-id) ignored",
			    ar->authserv_id));
		} else if (ar->version != 1) {
			trust_why(&why, g_strdup_printf("Authentication-Results "
			    "version %u unsupported", ar->version));
		} else {
			for (size_t r = 0; r < ar->nresults; r++)
				if (trust_result(ar, &ar->results[r], sdom, set,
				    &pass, &why) < 0)
					dmarc_fail = 1;
		}
		authres_free(&ar);
	}
	if (dmarc_fail) {
		v->detail = g_strdup("dmarc=fail");
		g_free(pass);
		g_free(why);
		return;
	}
	if (pass != NULL) {
		v->authenticated = 1;
		v->detail = pass;
		g_free(why);
		return;
	}
	v->detail = why != NULL ? why :
	    g_strdup("no trusted Authentication-Results");
}
