/*
 * test-authres - the RFC 8601 tokenizer, and the trust gate on top of
 * it: forged, misplaced and misaligned results never authenticate.
 */

#include "config.h"

#include <string.h>

#include <glib.h>

#include "authres.h"
#include "facts.h"
#include "psl.h"
#include "tap.h"
#include "trust.h"

struct parse_row {
	const char *value;
	int ok;
	const char *id;
	size_t nresults;
	const char *method0, *result0;
	const char *ptype, *prop, *pvalue;	/* one property of result 0 */
};

static const struct parse_row parse_rows[] = {
	{ "mx.example.org; spf=pass smtp.mailfrom=bob@example.com", 1,
	  "mx.example.org", 1, "spf", "pass", "smtp", "mailfrom", "bob@example.com" },
	{ "MX.Example.ORG 1; SPF=Pass smtp.mailfrom=example.com", 1,
	  "mx.example.org", 1, "spf", "pass", "smtp", "mailfrom", "example.com" },
	{ "mx.example.org; none", 1, "mx.example.org", 0, NULL, NULL, NULL, NULL, NULL },
	{ "mx.example.org (our filter); dkim=pass (good sig) header.d=example.com\r\n\t"
	  "header.b=ab/c+d==; spf=fail smtp.mailfrom=x@y.org", 1,
	  "mx.example.org", 2, "dkim", "pass", "header", "b", "ab/c+d==" },
	{ "\"quoted.id\"; dmarc=fail reason=\"p=reject\" header.from=example.com", 1,
	  "quoted.id", 1, "dmarc", "fail", "header", "from", "example.com" },
	{ "mx.example.org; dkim/1=pass header.i=@example.com", 1,
	  "mx.example.org", 1, "dkim", "pass", "header", "i", "@example.com" },
	{ "mx.example.org; spf=pass smtp.mailfrom=\"a b\"@example.com", 1,
	  "mx.example.org", 1, "spf", "pass", "smtp", "mailfrom", "a b@example.com" },
	{ "mx (nested (comment) here); spf=pass (x (y) z) smtp.mailfrom=a@b.c", 1,
	  "mx", 1, "spf", "pass", "smtp", "mailfrom", "a@b.c" },
	{ "mx.example.org; spf=pass smtp.mailfrom=example.net(.example.com", 0,
	  NULL, 0, NULL, NULL, NULL, NULL, NULL },	/* CVE-2020-12272 */
	{ "mx.example.org; spf=pass smtp.mailfrom=\"unterminated", 0,
	  NULL, 0, NULL, NULL, NULL, NULL, NULL },
	{ "mx.example.org; =pass", 0, NULL, 0, NULL, NULL, NULL, NULL, NULL },
	{ "mx.example.org; spf", 0, NULL, 0, NULL, NULL, NULL, NULL, NULL },
	{ "mx.example.org; spf=pass smtpmailfrom=x", 0, NULL, 0, NULL, NULL, NULL, NULL, NULL },
	{ "mx.example.org junk; spf=pass", 0, NULL, 0, NULL, NULL, NULL, NULL, NULL },
	{ "", 0, NULL, 0, NULL, NULL, NULL, NULL, NULL },
	{ "   ", 0, NULL, 0, NULL, NULL, NULL, NULL, NULL },
	{ "mx.example.org; spf=pass;", 1, "mx.example.org", 1, "spf", "pass", NULL, NULL, NULL },
	{ "(((((", 0, NULL, 0, NULL, NULL, NULL, NULL, NULL },
};

/* check_parse - one row of the tokenizer table */
static void
check_parse(const struct parse_row *row)
{
	struct authres *ar = NULL;
	char *err = NULL;
	int rc = authres_parse(row->value, &ar, &err);

	if (!row->ok) {
		tap_ok(rc == -1 && ar == NULL && err != NULL,
		    "refused: \"%s\" (%s)", row->value, err ? err : "accepted!");
		g_free(err);
		return;
	}
	tap_ok(rc == 0 && ar != NULL, "parsed: \"%s\" %s", row->value,
	    err ? err : "");
	if (ar == NULL) {
		g_free(err);
		return;
	}
	tap_ok(strcmp(ar->authserv_id, row->id) == 0, "authserv-id %s",
	    ar->authserv_id);
	tap_ok(ar->nresults == row->nresults, "%zu results", ar->nresults);
	if (row->method0 != NULL && ar->nresults > 0)
		tap_ok(strcmp(ar->results[0].method, row->method0) == 0 &&
		    strcmp(ar->results[0].result, row->result0) == 0,
		    "result 0: %s=%s", ar->results[0].method,
		    ar->results[0].result);
	if (row->ptype != NULL && ar->nresults > 0) {
		const char *v = authres_prop_get(&ar->results[0], row->ptype,
		    row->prop);

		tap_ok(v != NULL && strcmp(v, row->pvalue) == 0, "%s.%s=%s",
		    row->ptype, row->prop, v ? v : "(none)");
	}
	authres_free(&ar);
}

struct trust_row {
	const char *name;
	const char *sender;
	const char *header;		/* one Authentication-Results value */
	unsigned int received_above;
	int want;
};

static const struct trust_row trust_rows[] = {
	{ "spf pass, matching domain", "bob@example.com",
	  "mx.example.org; spf=pass smtp.mailfrom=bob@example.com", 0, 1 },
	{ "spf pass, domain only", "bob@example.com",
	  "mx.example.org; spf=pass smtp.mailfrom=example.com", 0, 1 },
	{ "spf pass, old smtp.mail", "bob@Example.COM",
	  "mx.example.org; spf=pass smtp.mail=bob@example.com", 0, 1 },
	{ "untrusted authserv-id", "bob@example.com",
	  "evil.example; spf=pass smtp.mailfrom=bob@example.com", 0, 0 },
	{ "below the trust boundary", "bob@example.com",
	  "mx.example.org; spf=pass smtp.mailfrom=bob@example.com", 1, 0 },
	{ "spf pass for another domain", "bob@example.com",
	  "mx.example.org; spf=pass smtp.mailfrom=bob@example.net", 0, 0 },
	{ "spf pass for a subdomain is not the domain", "bob@example.com",
	  "mx.example.org; spf=pass smtp.mailfrom=x@evil.example.com", 0, 0 },
	{ "CVE-2020-12272 comment trick", "bob@example.com",
	  "mx.example.org; spf=pass smtp.mailfrom=example.net(.example.com", 0, 0 },
	{ "spf fail", "bob@example.com",
	  "mx.example.org; spf=fail smtp.mailfrom=bob@example.com", 0, 0 },
	{ "spf softfail", "bob@example.com",
	  "mx.example.org; spf=softfail smtp.mailfrom=bob@example.com", 0, 0 },
	{ "dkim pass, same domain", "bob@example.com",
	  "mx.example.org; dkim=pass header.d=example.com", 0, 1 },
	{ "dkim pass, aligned subdomain", "bounces@mail.example.com",
	  "mx.example.org; dkim=pass header.d=example.com", 0, 1 },
	{ "dkim pass, aligned under co.uk", "bob@news.example.co.uk",
	  "mx.example.org; dkim=pass header.d=mail.example.co.uk", 0, 1 },
	{ "dkim pass, public suffix is no alignment", "bob@other.co.uk",
	  "mx.example.org; dkim=pass header.d=example.co.uk", 0, 0 },
	{ "dkim pass, unrelated domain", "bob@example.com",
	  "mx.example.org; dkim=pass header.d=example.net", 0, 0 },
	{ "dkim pass via header.i", "bob@example.com",
	  "mx.example.org; dkim=pass header.i=@example.com", 0, 1 },
	{ "dkim fail", "bob@example.com",
	  "mx.example.org; dkim=fail header.d=example.com", 0, 0 },
	{ "dmarc fail vetoes spf pass", "bob@example.com",
	  "mx.example.org; spf=pass smtp.mailfrom=bob@example.com; dmarc=fail header.from=example.com", 0, 0 },
	{ "null sender", "",
	  "mx.example.org; spf=pass smtp.mailfrom=example.com", 0, 0 },
	{ "garbage header", "bob@example.com", "mx.example.org; ;;; ===", 0, 0 },
};

/* check_trust - one row of the trust table */
static void
check_trust(const struct trust_row *row)
{
	static const char *const ids[] = { "mx.example.org", NULL };
	struct trust_settings set = { ids, 0,
	    "/usr/share/publicsuffix/public_suffix_list.dat" };
	struct facts f;

	memset(&f, 0, sizeof(f));
	f.trust_headers[0].name = g_strdup("Authentication-Results");
	f.trust_headers[0].value = g_strdup(row->header);
	f.trust_headers[0].received_above = row->received_above;
	f.ntrust_headers = 1;
	trust_authenticate(&f, row->sender, &set);
	tap_ok(f.authenticated == row->want, "trust: %s: %s (%s)", row->name,
	    f.authenticated ? "authenticated" : "not authenticated",
	    f.auth_detail ? f.auth_detail : "");
	g_free(f.trust_headers[0].name);
	g_free(f.trust_headers[0].value);
	g_free(f.auth_detail);
}

/* check_spam - spam header values and their trust */
static void
check_spam(void)
{
	static const struct { const char *v; int ok; double score; } rows[] = {
		{ "No, score=-0.1 required=5.0 tests=ALL_TRUSTED", 1, -0.1 },
		{ "Yes, score=19.4 required=5.0 tests=DRUGS", 1, 19.4 },
		{ "default: False [1.39 / 15.00]; R_SPF_ALLOW(-0.2)", 1, 1.39 },
		{ "3.2", 1, 3.2 },
		{ " (3.2)", 1, 3.2 },
		{ "nan", 0, 0 },
		{ "high", 0, 0 },
		{ "", 0, 0 },
	};
	struct facts f;
	double v = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		int ok = trust_parse_spam_value(rows[i].v, &v);

		tap_ok(ok == rows[i].ok && (!ok || (v > rows[i].score - 1e-9 &&
		    v < rows[i].score + 1e-9)), "spam value \"%s\"", rows[i].v);
	}
	memset(&f, 0, sizeof(f));
	f.trust_headers[0].name = "X-Spam-Score";
	f.trust_headers[0].value = "0.5";
	f.trust_headers[1].name = "X-Spam-Score";
	f.trust_headers[1].value = "-50";	/* the sender's own, below */
	f.trust_headers[1].received_above = 1;
	f.ntrust_headers = 2;
	tap_ok(trust_spam_score(&f, 0, &v) == 1 && v == 0.5,
	    "spam header below the boundary is ignored (score %.1f)", v);
	f.trust_headers[0].received_above = 2;
	tap_ok(trust_spam_score(&f, 0, &v) == 0,
	    "only untrusted spam headers: no score");
	f.trust_headers[0].received_above = 0;
	f.trust_headers[1].value = "7.5";
	f.trust_headers[1].received_above = 0;
	tap_ok(trust_spam_score(&f, 0, &v) == 1 && v == 7.5,
	    "several trusted scores: the highest counts");
}

int
main(void)
{
	char *org;

	for (size_t i = 0; i < G_N_ELEMENTS(parse_rows); i++)
		check_parse(&parse_rows[i]);
	for (size_t i = 0; i < G_N_ELEMENTS(trust_rows); i++)
		check_trust(&trust_rows[i]);
	check_spam();
	org = psl_org_domain("/usr/share/publicsuffix/public_suffix_list.dat",
	    "a.b.example.co.uk");
	tap_ok(org && strcmp(org, "example.co.uk") == 0, "PSL: %s", org);
	g_free(org);
	org = psl_org_domain("/usr/share/publicsuffix/public_suffix_list.dat",
	    "co.uk");
	tap_ok(org == NULL, "PSL: a public suffix has no organizational domain");
	g_free(org);
	org = psl_org_domain("/nonexistent", "a.example.com");
	tap_ok(org && strcmp(org, "a.example.com") == 0,
	    "PSL missing: strict (%s)", org);
	g_free(org);
	return tap_done();
}
