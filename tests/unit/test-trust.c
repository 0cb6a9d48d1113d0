/*
 * test-trust - the trust gate on top of the tokenizer: forged,
 * misplaced, misaligned or ambiguous results never authenticate; only
 * the plain form of a field counts; the verdict is the gate's own and
 * the facts stay as parsed; DKIM alignment through libpsl, IDN forms
 * alike.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "facts.h"
#include "tap.h"
#include "trust.h"

#define PSL TRUST_DEFAULT_PSL

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

	/* issue 13 item 3: only the plain form of the authserv-id */
	{ "authserv-id after a comment", "bob@example.com",
	  "(x) mx.example.org; spf=pass smtp.mailfrom=bob@example.com", 0, 0 },
	{ "authserv-id quoted", "bob@example.com",
	  "\"mx.example.org\"; spf=pass smtp.mailfrom=bob@example.com", 0, 0 },
	{ "authserv-id followed by a comment", "bob@example.com",
	  "mx.example.org(x); spf=pass smtp.mailfrom=bob@example.com", 0, 0 },
	{ "authserv-id folded onto the next line", "bob@example.com",
	  "\r\n mx.example.org\r\n ; spf=pass smtp.mailfrom=bob@example.com", 0, 1 },
	{ "authserv-id, white space, a comment", "bob@example.com",
	  "mx.example.org (filter); spf=pass smtp.mailfrom=bob@example.com", 0, 1 },
	{ "authserv-id in capitals", "bob@example.com",
	  "MX.EXAMPLE.ORG; spf=pass smtp.mailfrom=bob@example.com", 0, 1 },

	/* versions (RFC 8601 2.2 and 5) */
	{ "authres-version 1", "bob@example.com",
	  "mx.example.org 1; spf=pass smtp.mailfrom=bob@example.com", 0, 1 },
	{ "authres-version 2 is not ours", "bob@example.com",
	  "mx.example.org 2; spf=pass smtp.mailfrom=bob@example.com", 0, 0 },
	{ "method-version 1", "bob@example.com",
	  "mx.example.org; dkim/1=pass header.d=example.com", 0, 1 },
	{ "method-version 2 is not ours", "bob@example.com",
	  "mx.example.org; dkim/2=pass header.d=example.com", 0, 0 },
	{ "a non-numeric method-version is no dkim pass", "bob@example.com",
	  "mx.example.org; dkim/x=pass header.d=example.com", 0, 0 },
	{ "dmarc fail vetoes whatever its version", "bob@example.com",
	  "mx.example.org; spf=pass smtp.mailfrom=bob@example.com; dmarc/2=fail", 0, 0 },

	/* ambiguity */
	{ "two header.d values", "bob@example.com",
	  "mx.example.org; dkim=pass header.d=evil.example header.d=example.com", 0, 0 },
	{ "two smtp.mailfrom values", "bob@example.com",
	  "mx.example.org; spf=pass smtp.mailfrom=example.com smtp.mailfrom=evil.example", 0, 0 },
	{ "an empty value does not take the next one", "bob@example.com",
	  "mx.example.org; spf=pass smtp.mailfrom= smtp.helo=example.com", 0, 0 },

	/* issue 19: real filters' fields are read, their extras set aside */
	{ "Authentication Milter's x- properties", "bob@example.com",
	  "mx.example.org;\r\n    dkim=pass (2048-bit rsa key sha256) header.d=example.com "
	  "header.i=@example.com header.b=Abc/De+f x-bits=2048 x-keytype=rsa "
	  "x-algorithm=sha256 x-selector=s1;\r\n    x-ptr=pass x-ptr-helo=mx.example.com "
	  "x-ptr-lookup=;\r\n    x-tls=pass version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256",
	  0, 1 },
	{ "Microsoft's action=none", "bob@example.com",
	  "mx.example.org; spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.com; "
	  "dkim=none (message not signed) header.d=none; dmarc=pass action=none "
	  "header.from=example.com", 0, 1 },
	{ "RFC 8601 B.7 comments around the dot", "bob@example.com",
	  "mx.example.org (a) 1 (b); dkim (c) / 1 (d) = (e) pass header (f) . (g) d "
	  "(h) = (i) example.com", 0, 1 },

	/* issue 13 item 6: IDN public suffixes, ACE and Unicode alike */
	{ "IDN: evil under the same public suffix", "victim@victim.xn--55qx5d.xn--j6w193g",
	  "mx.example.org; dkim=pass header.d=evil.xn--55qx5d.xn--j6w193g", 0, 0 },
	{ "IDN: evil in Unicode, sender in ACE", "victim@victim.xn--55qx5d.xn--j6w193g",
	  "mx.example.org; dkim=pass header.d=evil.\xe5\x85\xac\xe5\x8f\xb8.\xe9\xa6\x99\xe6\xb8\xaf", 0, 0 },
	{ "IDN: evil in ACE, sender in Unicode",
	  "victim@victim.\xe5\x85\xac\xe5\x8f\xb8.\xe9\xa6\x99\xe6\xb8\xaf",
	  "mx.example.org; dkim=pass header.d=evil.xn--55qx5d.xn--j6w193g", 0, 0 },
	{ "IDN: own subdomain, capitals, Unicode sender",
	  "victim@victim.\xe5\x85\xac\xe5\x8f\xb8.\xe9\xa6\x99\xe6\xb8\xaf",
	  "mx.example.org; dkim=pass header.d=MAIL.VICTIM.XN--55QX5D.XN--J6W193G", 0, 1 },
	{ "IDN: spf for the same domain in the other form",
	  "victim@victim.\xe5\x85\xac\xe5\x8f\xb8.\xe9\xa6\x99\xe6\xb8\xaf",
	  "mx.example.org; spf=pass smtp.mailfrom=victim@victim.xn--55qx5d.xn--j6w193g", 0, 1 },
	{ "a trailing dot is the same domain", "bob@example.com",
	  "mx.example.org; dkim=pass header.d=mail.example.com.", 0, 1 },
	{ "wildcard public suffix (*.ck) is no alignment", "bob@a.ck",
	  "mx.example.org; dkim=pass header.d=b.ck", 0, 0 },
	{ "an exception (!www.ck) is registrable", "bob@mail.www.ck",
	  "mx.example.org; dkim=pass header.d=www.ck", 0, 1 },
};

/* check_trust - one row of the trust table */
static void
check_trust(const struct trust_row *row)
{
	static const char *const ids[] = { "mx.example.org", NULL };
	struct trust_settings set = { ids, 0, PSL };
	struct trust_verdict v = { 0, NULL };
	struct facts f;

	memset(&f, 0, sizeof(f));
	f.trust_headers[0].name = g_strdup("Authentication-Results");
	f.trust_headers[0].value = g_strdup(row->header);
	f.trust_headers[0].received_above = row->received_above;
	f.ntrust_headers = 1;
	trust_authenticate(&f, row->sender, &set, &v);
	tap_ok(v.authenticated == row->want && v.detail != NULL,
	    "trust: %s: %s (%s)", row->name,
	    v.authenticated ? "authenticated" : "not authenticated",
	    v.detail ? v.detail : "no detail!");
	trust_verdict_clear(&v);
	g_free(f.trust_headers[0].name);
	g_free(f.trust_headers[0].value);
}

/* check_boundary - boundary_received = 1 accepts one Received above */
static void
check_boundary(void)
{
	static const char *const ids[] = { "mx.example.org", NULL };
	struct trust_settings set = { ids, 1, PSL };
	struct trust_verdict v = { 0, NULL };
	struct facts f;

	memset(&f, 0, sizeof(f));
	f.trust_headers[0].name = "Authentication-Results";
	f.trust_headers[0].value = "mx.example.org; spf=pass smtp.mailfrom=example.com";
	f.trust_headers[0].received_above = 1;
	f.ntrust_headers = 1;
	trust_authenticate(&f, "bob@example.com", &set, &v);
	tap_ok(v.authenticated, "boundary 1: one Received above is trusted");
	f.trust_headers[0].received_above = 2;
	trust_authenticate(&f, "bob@example.com", &set, &v);
	tap_ok(!v.authenticated && strstr(v.detail, "boundary") != NULL,
	    "boundary 1: two Received above is not (%s)", v.detail);
	trust_verdict_clear(&v);
	tap_ok(v.detail == NULL && v.authenticated == 0,
	    "trust_verdict_clear resets the verdict");
}

/* check_facts_untouched - the gate reads the facts and writes only V */
static void
check_facts_untouched(void)
{
	static const char *const ids[] = { "mx.example.org", NULL };
	struct trust_settings set = { ids, 0, PSL };
	struct trust_verdict v = { 1, g_strdup("stale") };
	struct facts f, before;

	memset(&f, 0, sizeof(f));
	f.trust_headers[0].name = "Authentication-Results";
	f.trust_headers[0].value = "mx.example.org; dkim=pass header.d=example.com";
	f.ntrust_headers = 1;
	before = f;
	trust_authenticate(&f, "bob@example.com", &set, &v);
	tap_ok(memcmp(&f, &before, sizeof(f)) == 0 && v.authenticated &&
	    strstr(v.detail, "dkim=pass") != NULL,
	    "the facts are unchanged; the verdict holds the result (%s)",
	    v.detail);
	trust_authenticate(&f, "bob@example.net", &set, &v);
	tap_ok(!v.authenticated, "a second call replaces the verdict (%s)",
	    v.detail);
	trust_verdict_clear(&v);
}

/* write_message - a message file for facts_parse */
static int
write_message(const char *text)
{
	char path[] = "/tmp/test-trust.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	unlink(path);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * check_field_names - a trust header whose name has white space before
 * the colon is not kept, so it neither authenticates nor scores
 * (GMime reads "Name :" as Name)
 */
static void
check_field_names(void)
{
	static const char *const ids[] = { "mx.example.org", NULL };
	static const char *const spam[] = { "X-Spam-Score", NULL };
	static const struct {
		const char *name, *fields;
		int auth, spam;
	} rows[] = {
		{ "plain names", "Authentication-Results: mx.example.org; "
		  "spf=pass smtp.mailfrom=example.com\nX-Spam-Score: -5\n",
		  1, 1 },
		{ "lower case, no space after the colon",
		  "authentication-results:mx.example.org;spf=pass "
		  "smtp.mailfrom=example.com\nx-spam-score:-5\n", 1, 1 },
		{ "space before the colon", "Authentication-Results : "
		  "mx.example.org; spf=pass smtp.mailfrom=example.com\n"
		  "X-Spam-Score : -5\n", 0, 0 },
		{ "tab before the colon", "Authentication-Results\t: "
		  "mx.example.org; spf=pass smtp.mailfrom=example.com\n"
		  "X-Spam-Score\t: -5\n", 0, 0 },
	};
	struct facts_settings fset = { "X-Deputy-Loop", spam };
	struct trust_settings set = { ids, 1, PSL };

	facts_init();
	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		char *msg = g_strdup_printf("Received: from a by mx.example.org\n"
		    "%sFrom: <bob@example.com>\nTo: <alice@example.org>\n"
		    "Subject: t\n\nbody\n", rows[i].fields);
		int fd = write_message(msg);
		struct facts *f = NULL;
		struct trust_verdict v = { 0, NULL };
		char *err = NULL;
		int kept;

		if (fd < 0 || facts_parse(fd, &fset, &f, &err) != 0) {
			tap_ok(0, "%s: facts_parse: %s", rows[i].name,
			    err ? err : "cannot write the message");
			g_free(err);
			g_free(msg);
			continue;
		}
		trust_authenticate(f, "bob@example.com", &set, &v);
		tap_ok(v.authenticated == rows[i].auth, "%s: %s (%s)",
		    rows[i].name, v.authenticated ? "authenticated" :
		    "not authenticated", v.detail);
		kept = 0;
		for (size_t k = 0; k < f->ntrust_headers; k++)
			if (g_ascii_strcasecmp(f->trust_headers[k].name,
			    "X-Spam-Score") == 0)
				kept = 1;
		tap_ok(kept == rows[i].spam, "%s: spam header %s", rows[i].name,
		    rows[i].spam ? "kept" : "not kept");
		trust_verdict_clear(&v);
		facts_free(&f);
		close(fd);
		g_free(msg);
	}
}

/* check_normalize - lowercase, one trailing dot, ACE */
static void
check_normalize(void)
{
	static const struct {
		const char *in, *out;
	} rows[] = {
		{ "EXAMPLE.Com.", "example.com" },
		{ "Stra\xc3\x9f" "e.DE", "xn--strae-oqa.de" },
		{ "evil.\xe5\x85\xac\xe5\x8f\xb8.\xe9\xa6\x99\xe6\xb8\xaf",
		  "evil.xn--55qx5d.xn--j6w193g" },
		{ "EVIL.XN--55QX5D.xn--j6w193g", "evil.xn--55qx5d.xn--j6w193g" },
		{ "a_b.example.com", "a_b.example.com" },
		{ "", NULL },
		{ ".", NULL },
		{ "a..example.com", NULL },
		{ ".example.com", NULL },
		{ "example.com..", NULL },
		{ "bob@example.com", NULL },
		{ "exa mple.com", NULL },
		{ "xn--zz.com", NULL },			/* no valid A-label */
		{ "\xff\xfe.com", NULL },		/* no UTF-8 */
	};

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		char *n = trust_domain_normalize(rows[i].in);

		tap_ok(g_strcmp0(n, rows[i].out) == 0, "normalize \"%s\": %s",
		    rows[i].in, n ? n : "(none)");
		g_free(n);
	}
}

/* check_org_domains - libpsl, the system list and a private one */
static void
check_org_domains(void)
{
	char *dir = g_dir_make_tmp("test-trust.XXXXXX", NULL);
	char *list = g_build_filename(dir, "psl.dat", NULL);
	char *org;
	int strict = 0;

	org = trust_org_domain(PSL, "a.b.example.co.uk", &strict);
	tap_ok(g_strcmp0(org, "example.co.uk") == 0 && !strict,
	    "system list: a.b.example.co.uk -> %s", org);
	g_free(org);
	org = trust_org_domain(PSL, "co.uk", NULL);
	tap_ok(org == NULL, "system list: a public suffix has none");
	g_free(org);
	org = trust_org_domain(PSL, "a.evil.xn--55qx5d.xn--j6w193g", NULL);
	tap_ok(g_strcmp0(org, "evil.xn--55qx5d.xn--j6w193g") == 0,
	    "system list: IDN suffix in ACE -> %s", org);
	g_free(org);

	/* a private list: its IDN rule in Unicode, as Debian's file has it */
	g_file_set_contents(list, "// test list\ncom\nco.uk\n*.ck\n!www.ck\n"
	    "\xe9\xa6\x99\xe6\xb8\xaf\n"
	    "\xe5\x85\xac\xe5\x8f\xb8.\xe9\xa6\x99\xe6\xb8\xaf\n", -1, NULL);
	org = trust_org_domain(list, "x.evil.xn--55qx5d.xn--j6w193g", &strict);
	tap_ok(g_strcmp0(org, "evil.xn--55qx5d.xn--j6w193g") == 0 && !strict,
	    "private list, Unicode rule, ACE name -> %s", org);
	g_free(org);
	tap_ok(!trust_aligned(list, "evil.xn--55qx5d.xn--j6w193g",
	    "victim.xn--55qx5d.xn--j6w193g", NULL),
	    "private list: two registrants under one IDN suffix do not align");
	tap_ok(trust_aligned(list, "mail.victim.xn--55qx5d.xn--j6w193g",
	    "victim.\xe5\x85\xac\xe5\x8f\xb8.\xe9\xa6\x99\xe6\xb8\xaf", NULL),
	    "private list: one registrant in two forms aligns");
	org = trust_org_domain(list, "a.b.www.ck", NULL);
	tap_ok(g_strcmp0(org, "www.ck") == 0, "private list: exception -> %s",
	    org);
	g_free(org);

	/* no list: strict, and said so */
	strict = 0;
	org = trust_org_domain("/nonexistent/psl.dat", "a.example.com", &strict);
	tap_ok(g_strcmp0(org, "a.example.com") == 0 && strict,
	    "list missing: strict (%s)", org);
	g_free(org);
	{
		static const char *const ids[] = { "mx.example.org", NULL };
		struct trust_settings set = { ids, 0, "/nonexistent/psl.dat" };
		struct trust_verdict v = { 0, NULL };
		struct facts f;

		memset(&f, 0, sizeof(f));
		f.trust_headers[0].name = "Authentication-Results";
		f.trust_headers[0].value = "mx.example.org; dkim=pass header.d=example.com";
		f.ntrust_headers = 1;
		trust_authenticate(&f, "bounces@mail.example.com", &set, &v);
		tap_ok(!v.authenticated && strstr(v.detail, "strict") != NULL,
		    "list missing: a subdomain does not align (%s)", v.detail);
		trust_authenticate(&f, "bob@example.com", &set, &v);
		tap_ok(v.authenticated, "list missing: the same domain does");
		trust_verdict_clear(&v);
	}
	g_unlink(list);
	g_rmdir(dir);
	g_free(list);
	g_free(dir);
}

int
main(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(trust_rows); i++)
		check_trust(&trust_rows[i]);
	check_boundary();
	check_facts_untouched();
	check_field_names();
	check_normalize();
	check_org_domains();
	return tap_done();
}
