/*
 * test-authres - the RFC 8601 tokenizer: a table of edge cases, then
 * the vectors of tests/data/authres (RFC 8601 Appendix B and the
 * samples of two maintained parsers), with an agreement table per
 * suite: where deputy reads a field otherwise, the vector file says
 * what deputy reads and why, and the test fails if either side moves.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "authres.h"
#include "facts.h"
#include "tap.h"
#include "trust.h"

struct parse_row {
	const char *value;
	int ok;
	const char *id;
	size_t nresults;
	const char *method0, *result0;
	const char *ptype, *prop, *pvalue;	/* one property of result 0 */
	int plain;				/* authserv_id_plain */
	size_t set_aside;
};

#define REFUSED		0, NULL, 0, NULL, NULL, NULL, NULL, NULL, 0, 0

static const struct parse_row parse_rows[] = {
	{ "mx.example.org; spf=pass smtp.mailfrom=bob@example.com", 1,
	  "mx.example.org", 1, "spf", "pass", "smtp", "mailfrom",
	  "bob@example.com", 1, 0 },
	{ "MX.Example.ORG 1; SPF=Pass smtp.mailfrom=example.com", 1,
	  "mx.example.org", 1, "spf", "pass", "smtp", "mailfrom",
	  "example.com", 1, 0 },
	{ "mx.example.org; none", 1, "mx.example.org", 0, NULL, NULL, NULL,
	  NULL, NULL, 1, 0 },
	{ "mx.example.org (our filter); dkim=pass (good sig) header.d=example.com\r\n\t"
	  "header.b=ab/c+d==; spf=fail smtp.mailfrom=x@y.org", 1,
	  "mx.example.org", 2, "dkim", "pass", "header", "b", "ab/c+d==", 1, 0 },
	{ "\"quoted.id\"; dmarc=fail reason=\"p=reject\" header.from=example.com", 1,
	  "quoted.id", 1, "dmarc", "fail", "header", "from", "example.com", 0, 0 },
	{ "mx.example.org; dkim/1=pass header.i=@example.com", 1,
	  "mx.example.org", 1, "dkim", "pass", "header", "i", "@example.com", 1, 0 },
	{ "mx.example.org; spf=pass smtp.mailfrom=\"a b\"@example.com", 1,
	  "mx.example.org", 1, "spf", "pass", "smtp", "mailfrom",
	  "a b@example.com", 1, 0 },
	{ "mx (nested (comment) here); spf=pass (x (y) z) smtp.mailfrom=a@b.c", 1,
	  "mx", 1, "spf", "pass", "smtp", "mailfrom", "a@b.c", 1, 0 },
	/* RFC 8601 B.7: comments around every element, the dot too */
	{ "foo.example.net (foobar) 1 (baz);\r\n dkim (Because I like it) / 1 "
	  "(One yay) = (wait for it) fail\r\n policy (A dot can go here) . "
	  "(like that) expired\r\n (this surprised me) = (as I wasn't "
	  "expecting it) 1362471462", 1, "foo.example.net", 1, "dkim", "fail",
	  "policy", "expired", "1362471462", 1, 0 },
	/* where the authserv-id stands plainly, and where not */
	{ "(x) mx.example.org; spf=pass", 1, "mx.example.org", 1, "spf",
	  "pass", NULL, NULL, NULL, 0, 0 },
	{ "mx.example.org(x); spf=pass", 1, "mx.example.org", 1, "spf",
	  "pass", NULL, NULL, NULL, 0, 0 },
	{ "\"mx.example.org\"; spf=pass", 1, "mx.example.org", 1, "spf",
	  "pass", NULL, NULL, NULL, 0, 0 },
	{ "\r\n\tmx.example.org\r\n ; spf=pass", 1, "mx.example.org", 1,
	  "spf", "pass", NULL, NULL, NULL, 1, 0 },
	{ "mx.example.org;spf=pass", 1, "mx.example.org", 1, "spf", "pass",
	  NULL, NULL, NULL, 1, 0 },
	/* set aside inside a resinfo, the rest kept (issue 19) */
	{ "mx.example.org; dkim=pass x-bits=1024 header.d=example.com", 1,
	  "mx.example.org", 1, "dkim", "pass", "header", "d", "example.com",
	  1, 1 },
	{ "mx.example.org; dmarc=pass action=none header.from=example.com", 1,
	  "mx.example.org", 1, "dmarc", "pass", "header", "from",
	  "example.com", 1, 1 },
	{ "mx.example.org; x-ptr=pass x-ptr-helo=a.example x-ptr-lookup=", 1,
	  "mx.example.org", 1, "x-ptr", "pass", NULL, NULL, NULL, 1, 2 },
	{ "mx.example.org; spf=pass smtpmailfrom=x", 1, "mx.example.org", 1,
	  "spf", "pass", NULL, NULL, NULL, 1, 1 },
	/* an empty value never takes the next property's */
	{ "mx.example.org; dkim=pass header.b= header.d=example.com", 1,
	  "mx.example.org", 1, "dkim", "pass", "header", "d", "example.com",
	  1, 1 },
	{ "mx.example.org; dkim=pass header.b=(none) header . d = example.com",
	  1, "mx.example.org", 1, "dkim", "pass", "header", "d",
	  "example.com", 1, 1 },
	{ "mx.example.org; dkim=pass header.b=\"\" header.d=example.com", 1,
	  "mx.example.org", 1, "dkim", "pass", "header", "d", "example.com",
	  1, 1 },	/* fuzz-authres: a quoted "" was kept */
	{ "mx.example.org; dkim=pass header.d= example.com", 1,
	  "mx.example.org", 1, "dkim", "pass", "header", "d", "example.com",
	  1, 0 },
	/* malformed values: set aside */
	{ "mx.example.org; iprev=pass policy.iprev=2001:db8::1 smtp.x=y", 1,
	  "mx.example.org", 1, "iprev", "pass", "smtp", "x", "y", 1, 1 },
	{ "mx.example.org; spf=pass smtp.mailfrom=a\"b\"@c.example", 1,
	  "mx.example.org", 1, "spf", "pass", NULL, NULL, NULL, 1, 1 },
	{ "mx.example.org; spf=pass smtp.mailfrom=\"a\x01\"@c.example", 1,
	  "mx.example.org", 1, "spf", "pass", NULL, NULL, NULL, 1, 1 },
	{ "mx.example.org; spf=pass reason=\"a\tb\"", 1, "mx.example.org", 1,
	  "spf", "pass", NULL, NULL, NULL, 1, 0 },
	/* a malformed methodspec: the whole resinfo set aside */
	{ "mx.example.org; dkim/x=pass header.d=example.com", 1,
	  "mx.example.org", 0, NULL, NULL, NULL, NULL, NULL, 1, 1 },
	{ "mx.example.org; dkim=pass.x header.d=example.com", 1,
	  "mx.example.org", 0, NULL, NULL, NULL, NULL, NULL, 1, 1 },
	{ "mx.example.org; \"dkim\"=pass header.d=example.com; spf=fail", 1,
	  "mx.example.org", 1, "spf", "fail", NULL, NULL, NULL, 1, 1 },
	{ "mx.example.org; =pass", 1, "mx.example.org", 0, NULL, NULL, NULL,
	  NULL, NULL, 1, 1 },
	{ "mx.example.org; spf", 1, "mx.example.org", 0, NULL, NULL, NULL,
	  NULL, NULL, 1, 1 },
	{ "mx.example.org; outlook.com; dkim=pass header.d=example.com", 1,
	  "mx.example.org", 1, "dkim", "pass", "header", "d", "example.com",
	  1, 1 },
	{ "mx.example.org; none dkim=pass", 1, "mx.example.org", 0, NULL,
	  NULL, NULL, NULL, NULL, 1, 1 },
	{ "mx.example.org; ; spf=pass", 1, "mx.example.org", 1, "spf", "pass",
	  NULL, NULL, NULL, 1, 1 },
	/* ';' inside a comment or a quoted string ends nothing */
	{ "mx.example.org; spf=fail (x; spf=pass) smtp.mailfrom=a@b.example", 1,
	  "mx.example.org", 1, "spf", "fail", "smtp", "mailfrom",
	  "a@b.example", 1, 0 },
	{ "mx.example.org; spf=fail reason=\"a; spf=pass\"", 1,
	  "mx.example.org", 1, "spf", "fail", NULL, NULL, NULL, 1, 0 },
	{ "mx.example.org; spf=pass;", 1, "mx.example.org", 1, "spf", "pass",
	  NULL, NULL, NULL, 1, 0 },
	/* refused whole: the structure is in doubt */
	{ "mx.example.org; spf=pass smtp.mailfrom=example.net(.example.com",
	  REFUSED },	/* CVE-2020-12272 */
	{ "mx.example.org; spf=pass smtp.mailfrom=\"unterminated", REFUSED },
	{ "mx.example.org; x-foo=\"open; dkim=pass header.d=example.com",
	  REFUSED },
	{ "mx.example.org junk; spf=pass", REFUSED },
	{ "mx.example.org 1x; spf=pass", REFUSED },
	{ "mx.example.org/x; spf=pass", REFUSED },
	{ "mx.example.org", REFUSED },
	{ "mx.example.org none", REFUSED },
	{ "mx.example.org; none; spf=pass", REFUSED },
	{ "mx.example.org; spf=pass; none", REFUSED },
	{ "spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.com; "
	  "outlook.com; dkim=pass header.d=example.com", REFUSED },
	{ "", REFUSED },
	{ "   ", REFUSED },
	{ "(((((", REFUSED },
	{ "\"\"; spf=pass", REFUSED },
};

/* check_parse - one row of the tokenizer table */
static void
check_parse(const struct parse_row *row)
{
	struct authres *ar = NULL;
	char *err = NULL, *shown = g_strescape(row->value, NULL);
	int rc = authres_parse(row->value, &ar, &err);

	if (!row->ok) {
		tap_ok(rc == -1 && ar == NULL && err != NULL,
		    "refused: \"%s\" (%s)", shown, err ? err : "accepted!");
		g_free(err);
		g_free(shown);
		return;
	}
	tap_ok(rc == 0 && ar != NULL, "parsed: \"%s\" %s", shown,
	    err ? err : "");
	g_free(shown);
	if (ar == NULL) {
		g_free(err);
		return;
	}
	tap_ok(strcmp(ar->authserv_id, row->id) == 0 &&
	    ar->authserv_id_plain == row->plain, "authserv-id %s, %s",
	    ar->authserv_id, ar->authserv_id_plain ? "plain" : "not plain");
	tap_ok(ar->nresults == row->nresults && ar->nset_aside == row->set_aside,
	    "%zu results, %zu parts set aside", ar->nresults, ar->nset_aside);
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

/* check_versions - authres-version and method-version are read */
static void
check_versions(void)
{
	struct authres *ar = NULL;
	char *err = NULL;

	tap_ok(authres_parse("mx 2; dkim / 3 = pass; spf=pass", &ar, &err) == 0 &&
	    ar->version == 2 && ar->nresults == 2 &&
	    ar->results[0].version == 3 && ar->results[1].version == 1,
	    "authres-version 2, method-versions 3 and (absent) 1");
	authres_free(&ar);
	tap_ok(authres_parse("mx 99999999999; dkim/99999999999=pass", &ar,
	    &err) == 0 && ar->version != 1 && ar->results[0].version != 1,
	    "a version too long to read is no version 1");
	authres_free(&ar);
	tap_ok(authres_parse("mx; spf=pass reason=\"a\tb\" smtp.x=\"c\r\n d\"",
	    &ar, &err) == 0 && ar->results[0].reason != NULL &&
	    strcmp(ar->results[0].reason, "a b") == 0 &&
	    strcmp(authres_prop_get(&ar->results[0], "smtp", "x"), "c d") == 0,
	    "a tab becomes a space and folding is dropped in quoted strings");
	authres_free(&ar);
}

/* check_caps - AUTHRES_MAX_RESULTS and AUTHRES_MAX_PROPS */
static void
check_caps(void)
{
	GString *v = g_string_new("mx");
	struct authres *ar = NULL;
	char *err = NULL;

	for (int i = 0; i < AUTHRES_MAX_RESULTS; i++)
		g_string_append(v, "; spf=none");
	tap_ok(authres_parse(v->str, &ar, &err) == 0 &&
	    ar->nresults == AUTHRES_MAX_RESULTS, "%d results are read",
	    AUTHRES_MAX_RESULTS);
	authres_free(&ar);
	g_string_append(v, "; dmarc=fail");
	tap_ok(authres_parse(v->str, &ar, &err) == -1 && ar == NULL,
	    "one more result refuses the field (%s)", err);
	g_free(err);
	err = NULL;
	g_string_assign(v, "mx; dkim=pass");
	for (int i = 0; i < AUTHRES_MAX_PROPS; i++)
		g_string_append(v, " header.x=y");
	tap_ok(authres_parse(v->str, &ar, &err) == 0 &&
	    ar->results[0].nprops == AUTHRES_MAX_PROPS, "%d properties are read",
	    AUTHRES_MAX_PROPS);
	authres_free(&ar);
	g_string_append(v, " header.d=example.com");
	tap_ok(authres_parse(v->str, &ar, &err) == -1,
	    "one more property refuses the field (%s)", err);
	g_free(err);
	g_string_free(v, TRUE);
}

/* check_unique - a property named twice with two values is ambiguous */
static void
check_unique(void)
{
	struct authres *ar = NULL;
	char *err = NULL;
	size_t n = 0;

	authres_parse("mx; dkim=pass header.d=a.example header.d=A.example "
	    "header.i=@a.example header.i=@b.example", &ar, &err);
	tap_ok(ar != NULL && authres_prop_unique(&ar->results[0], "header",
	    "d", &n) != NULL && n == 2, "the same value twice is one value");
	tap_ok(ar != NULL && authres_prop_unique(&ar->results[0], "header",
	    "i", &n) == NULL && n == 2, "two values are ambiguous");
	tap_ok(ar != NULL && authres_prop_unique(&ar->results[0], "smtp",
	    "mailfrom", &n) == NULL && n == 0, "absent is absent");
	authres_free(&ar);
}

/* ---- vectors: the files of tests/data/authres ---- */

struct vcase {
	char *name;
	char *source;
	GString *field;
	GPtrArray *expect;	/* claims of the maintained parser or RFC */
	GPtrArray *deputy;	/* deputy's own reading, when it differs */
	GPtrArray *check;	/* more deputy must read either way */
	char *why;
};

/* vcase_free - release one case */
static void
vcase_free(gpointer p)
{
	struct vcase *c = p;

	g_free(c->name);
	g_free(c->source);
	if (c->field != NULL)
		g_string_free(c->field, TRUE);
	g_ptr_array_unref(c->expect);
	g_ptr_array_unref(c->deputy);
	g_ptr_array_unref(c->check);
	g_free(c->why);
	g_free(c);
}

/* vector_load - the cases of one file; NULL if unreadable */
static GPtrArray *
vector_load(const char *path)
{
	GPtrArray *cases;
	struct vcase *cur = NULL;
	char *text = NULL, **lines;
	int in_field = 0;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	cases = g_ptr_array_new_with_free_func(vcase_free);
	lines = g_strsplit(text, "\n", -1);
	g_free(text);
	for (char **l = lines; *l != NULL; l++) {
		char *line = *l, *colon;

		if ((line[0] == ' ' || line[0] == '\t') && in_field && cur) {
			g_string_append_c(cur->field, '\n');
			g_string_append(cur->field, line);
			continue;
		}
		in_field = 0;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if ((colon = strstr(line, ": ")) == NULL) {
			tap_ok(0, "%s: malformed line \"%s\"", path, line);
			continue;
		}
		*colon = '\0';
		colon += 2;
		if (strcmp(line, "case") == 0) {
			cur = g_new0(struct vcase, 1);
			cur->name = g_strdup(colon);
			cur->expect = g_ptr_array_new_with_free_func(g_free);
			cur->deputy = g_ptr_array_new_with_free_func(g_free);
			cur->check = g_ptr_array_new_with_free_func(g_free);
			g_ptr_array_add(cases, cur);
		} else if (cur == NULL) {
			tap_ok(0, "%s: \"%s\" before any case", path, line);
		} else if (strcmp(line, "source") == 0) {
			cur->source = g_strdup(colon);
		} else if (strcmp(line, "field") == 0) {
			cur->field = g_string_new(colon);
			in_field = 1;
		} else if (strcmp(line, "expect") == 0) {
			g_ptr_array_add(cur->expect, g_strdup(colon));
		} else if (strcmp(line, "deputy") == 0) {
			g_ptr_array_add(cur->deputy, g_strdup(colon));
		} else if (strcmp(line, "check") == 0) {
			g_ptr_array_add(cur->check, g_strdup(colon));
		} else if (strcmp(line, "why") == 0) {
			cur->why = g_strdup(colon);
		} else {
			tap_ok(0, "%s: unknown key \"%s\"", path, line);
		}
	}
	g_strfreev(lines);
	return cases;
}

/* claim_words - split a claim at spaces outside "...", quotes dropped */
static GPtrArray *
claim_words(const char *claim)
{
	GPtrArray *w = g_ptr_array_new_with_free_func(g_free);
	GString *cur = NULL;
	int quoted = 0;

	for (const char *p = claim;; p++) {
		if (*p == '\0' || (*p == ' ' && !quoted)) {
			if (cur != NULL)
				g_ptr_array_add(w, g_string_free(cur, FALSE));
			cur = NULL;
			if (*p == '\0')
				break;
			continue;
		}
		if (cur == NULL)
			cur = g_string_new(NULL);
		if (*p == '"')
			quoted = !quoted;
		else
			g_string_append_c(cur, *p);
	}
	return w;
}

/* result_matches - R is METHOD[/V]=RESULT with every given property */
static int
result_matches(const struct authres_result *r, GPtrArray *w)
{
	const char *spec = g_ptr_array_index(w, 1), *eq = strchr(spec, '=');
	const char *slash = strchr(spec, '/');
	size_t mlen;

	if (eq == NULL)
		return 0;
	mlen = (size_t)((slash != NULL && slash < eq ? slash : eq) - spec);
	if (strlen(r->method) != mlen || strncmp(r->method, spec, mlen) != 0 ||
	    strcmp(r->result, eq + 1) != 0)
		return 0;
	if (slash != NULL && slash < eq && r->version != (unsigned int)
	    strtoul(slash + 1, NULL, 10))
		return 0;
	for (guint i = 2; i < w->len; i++) {
		const char *p = g_ptr_array_index(w, i);
		const char *e = strchr(p, '='), *dot = strchr(p, '.'), *v;
		char *ptype, *prop;
		int ok;

		if (e == NULL)
			return 0;
		if (strncmp(p, "reason=", 7) == 0) {
			if (r->reason == NULL || strcmp(r->reason, e + 1) != 0)
				return 0;
			continue;
		}
		if (dot == NULL || dot > e)
			return 0;
		ptype = g_strndup(p, (gsize)(dot - p));
		prop = g_strndup(dot + 1, (gsize)(e - dot - 1));
		v = authres_prop_get(r, ptype, prop);
		ok = v != NULL && strcmp(v, e + 1) == 0;
		g_free(ptype);
		g_free(prop);
		if (!ok)
			return 0;
	}
	return 1;
}

/* claim_holds - whether CLAIM is true of the parse (RC, AR) */
static int
claim_holds(const char *claim, int rc, const struct authres *ar)
{
	GPtrArray *w = claim_words(claim);
	const char *k = w->len > 0 ? g_ptr_array_index(w, 0) : "";
	const char *a1 = w->len > 1 ? g_ptr_array_index(w, 1) : "";
	int ok = 0;

	if (strcmp(k, "refused") == 0) {
		ok = rc != 0;
		goto out;
	}
	if (rc != 0 || ar == NULL)
		goto out;
	if (strcmp(k, "id") == 0) {
		ok = strcmp(ar->authserv_id, a1) == 0;
	} else if (strcmp(k, "plain") == 0) {
		ok = ar->authserv_id_plain;
	} else if (strcmp(k, "not-plain") == 0) {
		ok = !ar->authserv_id_plain;
	} else if (strcmp(k, "version") == 0) {
		ok = ar->version == (unsigned int)strtoul(a1, NULL, 10);
	} else if (strcmp(k, "results") == 0) {
		ok = ar->nresults == (size_t)strtoul(a1, NULL, 10);
	} else if (strcmp(k, "set-aside") == 0) {
		ok = ar->nset_aside == (size_t)strtoul(a1, NULL, 10);
	} else if (strcmp(k, "has") == 0 || strcmp(k, "not") == 0) {
		int found = 0;

		for (size_t i = 0; i < ar->nresults && w->len > 1; i++)
			found |= result_matches(&ar->results[i], w);
		ok = strcmp(k, "has") == 0 ? found : !found;
	} else if (strcmp(k, "not-prop") == 0 && w->len == 3) {
		const char *p = g_ptr_array_index(w, 2), *dot = strchr(p, '.');

		ok = dot != NULL;
		for (size_t i = 0; ok && i < ar->nresults; i++) {
			char *ptype = g_strndup(p, (gsize)(dot - p));

			if (strcmp(ar->results[i].method, a1) == 0 &&
			    authres_prop_get(&ar->results[i], ptype, dot + 1))
				ok = 0;
			g_free(ptype);
		}
	}
out:
	g_ptr_array_unref(w);
	return ok;
}

/* claims_hold - all of CLAIMS hold; the first that fails in *failed_r */
static int
claims_hold(GPtrArray *claims, int rc, const struct authres *ar,
	    const char **failed_r)
{
	for (guint i = 0; i < claims->len; i++)
		if (!claim_holds(g_ptr_array_index(claims, i), rc, ar)) {
			*failed_r = g_ptr_array_index(claims, i);
			return 0;
		}
	return 1;
}

struct suite_tally {
	const char *suite;
	unsigned int cases, agree, differ, wrong;
	GString *reasons;
};

/* check_vector - one case: agreement, a documented difference, or wrong */
static void
check_vector(struct suite_tally *t, const struct vcase *c)
{
	struct authres *ar = NULL;
	char *err = NULL;
	const char *failed = NULL, *dfailed = NULL, *cfailed = NULL;
	int rc, agrees, deputy_ok, checks_ok;

	t->cases++;
	if (c->field == NULL || c->expect->len == 0) {
		t->wrong++;
		tap_ok(0, "%s / %s: no field or no expect", t->suite, c->name);
		return;
	}
	rc = authres_parse(c->field->str, &ar, &err);
	agrees = claims_hold(c->expect, rc, ar, &failed);
	checks_ok = claims_hold(c->check, rc, ar, &cfailed);
	if (c->deputy->len == 0) {
		if (agrees && checks_ok)
			t->agree++;
		else
			t->wrong++;
		tap_ok(agrees && checks_ok, "%s / %s: agrees%s%s%s%s", t->suite,
		    c->name, agrees ? "" : " -- NOT: ", agrees ? "" : failed,
		    checks_ok ? "" : " -- check failed: ",
		    checks_ok ? "" : cfailed);
	} else {
		/* a documented difference: theirs must not hold, ours must */
		deputy_ok = claims_hold(c->deputy, rc, ar, &dfailed);
		if (!agrees && deputy_ok && checks_ok && c->why != NULL) {
			t->differ++;
			g_string_append_printf(t->reasons, "#   - %s: %s\n",
			    c->name, c->why);
		} else {
			t->wrong++;
		}
		tap_ok(!agrees && deputy_ok && checks_ok && c->why != NULL,
		    "%s / %s: differs as documented%s%s%s%s%s", t->suite,
		    c->name, agrees ? " -- NOT: deputy now agrees, update "
		    "the vector" : "", deputy_ok ? "" : " -- deputy: NOT ",
		    deputy_ok ? "" : dfailed, checks_ok ? "" : " -- check: ",
		    checks_ok ? "" : cfailed);
		if (c->why == NULL)
			tap_diag("%s: a difference needs a why:", c->name);
	}
	if (rc != 0)
		tap_diag("  %s: deputy refuses it: %s", c->name, err);
	authres_free(&ar);
	g_free(err);
}

/* check_vectors - every suite, then the agreement table */
static void
check_vectors(void)
{
	static const struct {
		const char *file, *suite;
	} suites[] = {
		{ "rfc8601.txt", "RFC 8601 Appendix B" },
		{ "mail-authenticationresults.txt",
		  "Mail::AuthenticationResults t/" },
		{ "python-authres.txt", "python-authres tests" },
	};
	const char *srcdir = g_getenv("srcdir") ? g_getenv("srcdir") : ".";
	struct suite_tally tally[G_N_ELEMENTS(suites)];

	for (size_t s = 0; s < G_N_ELEMENTS(suites); s++) {
		char *path = g_build_filename(srcdir, "tests", "data", "authres",
		    suites[s].file, NULL);
		GPtrArray *cases = vector_load(path);

		memset(&tally[s], 0, sizeof(tally[s]));
		tally[s].suite = suites[s].suite;
		tally[s].reasons = g_string_new(NULL);
		tap_ok(cases != NULL && cases->len > 0, "vectors: %s", path);
		for (guint i = 0; cases != NULL && i < cases->len; i++)
			check_vector(&tally[s], g_ptr_array_index(cases, i));
		if (cases != NULL)
			g_ptr_array_unref(cases);
		g_free(path);
	}
	tap_diag("agreement table (tests/data/authres):");
	tap_diag("%-34s %5s %6s %9s %6s", "suite", "cases", "agree",
	    "disagree", "wrong");
	for (size_t s = 0; s < G_N_ELEMENTS(suites); s++) {
		tap_diag("%-34s %5u %6u %9u %6u", tally[s].suite,
		    tally[s].cases, tally[s].agree, tally[s].differ,
		    tally[s].wrong);
		if (tally[s].reasons->len > 0)
			printf("%s", tally[s].reasons->str);
		g_string_free(tally[s].reasons, TRUE);
	}
}

int
main(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(parse_rows); i++)
		check_parse(&parse_rows[i]);
	check_versions();
	check_caps();
	check_unique();
	check_vectors();
	return tap_done();
}
