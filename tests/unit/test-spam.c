/*
 * test-spam - spam verdicts: trusted headers on each scale, and the
 * policy for notices and for delegates inside and outside our domains
 * (one table row each).
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib.h>

#include "spam.h"
#include "tap.h"

/* ---------------------------------------------------------- headers */

struct hdr {
	const char *name;
	const char *value;
	unsigned int above;		/* Received fields above it */
};

struct header_row {
	const char *what;
	struct hdr h[4];
	enum spam_scanner generic;
	int known;
	enum spam_scanner scanner;
	double score;
	double required;		/* NAN: not given */
	const char *action;		/* NULL: none */
	int lower_bound;
};

#define SA SPAM_SCANNER_SPAMASSASSIN
#define RS SPAM_SCANNER_RSPAMD

static const struct header_row header_rows[] = {
	{ "SpamAssassin X-Spam-Status",
	  { { "X-Spam-Status", "Yes, score=7.1 required=5.0 tests=A,B "
	      "autolearn=no version=4.0.1", 0 } },
	  SA, 1, SA, 7.1, 5.0, NULL, 0 },
	{ "X-Spam-Status folded, negative",
	  { { "X-Spam-Status", "No, score=-0.1 required=5.0\r\n\ttests=NONE",
	      0 } },
	  SA, 1, SA, -0.1, 5.0, NULL, 0 },
	{ "SpamAssassin 2 hits=",
	  { { "X-Spam-Status", "No, hits=2.5 required=5.0", 0 } },
	  SA, 1, SA, 2.5, 5.0, NULL, 0 },
	{ "tests=score=9 is not the score",
	  { { "X-Spam-Status", "No, tests=X_score=9 score=0.4", 0 } },
	  SA, 1, SA, 0.4, NAN, NULL, 0 },
	{ "X-Spam-Score", { { "X-Spam-Score", " 3.25", 0 } },
	  SA, 1, SA, 3.25, NAN, NULL, 0 },
	{ "X-Spam-Level stars", { { "X-Spam-Level", "****", 0 } },
	  SA, 1, SA, 4, NAN, NULL, 1 },
	{ "X-Spam-Level empty", { { "X-Spam-Level", "", 0 } },
	  SA, 1, SA, 0, NAN, NULL, 1 },
	{ "X-Spam-Level mixed characters is nothing",
	  { { "X-Spam-Level", "**+*", 0 } }, SA, 0, SA, 0, NAN, NULL, 0 },
	{ "an exact score beats the stars",
	  { { "X-Spam-Level", "**", 0 }, { "X-Spam-Score", "2.7", 0 } },
	  SA, 1, SA, 2.7, NAN, NULL, 0 },
	{ "rspamd X-Spamd-Result",
	  { { "X-Spamd-Result", "default: False [3.20 / 15.00];\r\n\t"
	      "DATE_IN_PAST(1.00)[224006]; MIME_GOOD(-0.10)[text/plain]", 0 } },
	  SA, 1, RS, 3.2, 15.0, NULL, 0 },
	{ "X-Spamd-Result True is reject",
	  { { "X-Spamd-Result", "default: True [16.10 / 15.00]", 0 } },
	  SA, 1, RS, 16.1, 15.0, "reject", 0 },
	{ "X-Rspamd-Score and X-Rspamd-Action",
	  { { "X-Rspamd-Action", "Add Header", 0 },
	    { "X-Rspamd-Score", "7.5", 0 } },
	  SA, 1, RS, 7.5, NAN, "add header", 0 },
	{ "the most severe action wins",
	  { { "X-Rspamd-Action", "no action", 0 },
	    { "X-Rspamd-Action", "greylist", 0 },
	    { "X-Rspamd-Score", "4.5", 0 } },
	  SA, 1, RS, 4.5, NAN, "greylist", 0 },
	{ "an action with odd characters is ignored",
	  { { "X-Rspamd-Action", "no action\x01", 0 },
	    { "X-Rspamd-Score", "1.0", 0 } },
	  SA, 1, RS, 1.0, NAN, NULL, 0 },
	{ "an action alone is no verdict",
	  { { "X-Rspamd-Action", "no action", 0 } },
	  SA, 0, SA, 0, NAN, NULL, 0 },
	{ "rspamd's own X-Spam-Status, headers_from = rspamd",
	  { { "X-Spam-Status", "Yes, score=14.50", 0 } },
	  RS, 1, RS, 14.5, NAN, NULL, 0 },
	{ "the generic scale first: SpamAssassin",
	  { { "X-Spamd-Result", "default: False [9.00 / 15.00]", 0 },
	    { "X-Spam-Status", "No, score=1.0 required=5.0", 0 } },
	  SA, 1, SA, 1.0, 5.0, NULL, 0 },
	{ "the generic scale first: rspamd",
	  { { "X-Spamd-Result", "default: False [9.00 / 15.00]", 0 },
	    { "X-Spam-Status", "No, score=1.0 required=5.0", 0 } },
	  RS, 1, RS, 9.0, 15.0, NULL, 0 },
	{ "a score on the other scale beats the stars",
	  { { "X-Spam-Level", "****", 0 },
	    { "X-Spamd-Result", "default: True [16.10 / 15.00]", 0 } },
	  SA, 1, RS, 16.1, 15.0, "reject", 0 },
	{ "several on one scale: the highest",
	  { { "X-Spam-Score", "0.5", 0 }, { "X-Spam-Score", "7.5", 0 } },
	  SA, 1, SA, 7.5, NAN, NULL, 0 },
	{ "below the trust boundary: ignored",
	  { { "X-Spam-Score", "-20", 1 }, { "X-Spam-Score", "0.5", 0 } },
	  SA, 1, SA, 0.5, NAN, NULL, 0 },
	{ "only below the boundary: nothing",
	  { { "X-Spam-Score", "-20", 1 } }, SA, 0, SA, 0, NAN, NULL, 0 },
	{ "not a number", { { "X-Spam-Score", "nan", 0 } },
	  SA, 0, SA, 0, NAN, NULL, 0 },
	{ "out of range", { { "X-Spam-Score", "1e300", 0 } },
	  SA, 0, SA, 0, NAN, NULL, 0 },
	{ "Authentication-Results is not a spam header",
	  { { "Authentication-Results", "mx; score=1", 0 } },
	  SA, 0, SA, 0, NAN, NULL, 0 },
	{ "another configured name: score=",
	  { { "X-Filter-Status", "score=2.0", 0 } },
	  SA, 1, SA, 2.0, NAN, NULL, 0 },
	{ "another configured name: [S / R] is rspamd's",
	  { { "X-Filter-Result", "default: False [2.00 / 15.00]", 0 } },
	  SA, 1, RS, 2.0, NAN, NULL, 0 },
};

/* same - numbers equal, NAN equal to NAN */
static int
same(double a, double b)
{
	return (isnan(a) && isnan(b)) || fabs(a - b) < 1e-9;
}

/* check_headers - one row of header_rows */
static void
check_headers(const struct header_row *row)
{
	struct facts f;
	struct spam_header_settings hs = { 0, row->generic };
	struct spam_verdict v;
	int known, ok;

	memset(&f, 0, sizeof(f));
	for (size_t i = 0; i < G_N_ELEMENTS(row->h) && row->h[i].name; i++) {
		f.trust_headers[i].name = (char *)row->h[i].name;
		f.trust_headers[i].value = (char *)row->h[i].value;
		f.trust_headers[i].received_above = row->h[i].above;
		f.ntrust_headers++;
	}
	known = spam_from_headers(&f, &hs, &v);
	ok = known == row->known && v.known == row->known;
	if (ok && row->known)
		ok = v.scanner == row->scanner && same(v.score, row->score) &&
		    same(v.required, row->required) &&
		    v.lower_bound == row->lower_bound &&
		    (row->action == NULL ? v.action == NULL :
		    v.action != NULL && strcmp(v.action, row->action) == 0) &&
		    v.source != NULL && strstr(v.source, "header") != NULL;
	tap_ok(ok, "headers: %s (known %d, %s %.2f/%.2f, action %s, "
	    "source %s)", row->what, v.known, spam_scanner_name(v.scanner),
	    v.score, v.required, v.action ? v.action : "-",
	    v.source ? v.source : "-");
	spam_verdict_clear(&v);
}

/* ----------------------------------------------------------- policy */

struct policy_row {
	const char *what;
	int known;
	enum spam_scanner scanner;
	double score, required;
	const char *action;
	int lower_bound;
	int authenticated;
	int notice, inside, outside;	/* expected */
};

static const struct policy_row policy_rows[] = {
	/* SpamAssassin: notice <= 1.0, clean <= 2.0, certain >= 5.0 */
	{ "SA -1.0", 1, SA, -1.0, 5.0, NULL, 0, 0, 1, 1, 1 },
	{ "SA 1.0 (at the notice threshold)", 1, SA, 1.0, 5.0, NULL, 0, 0,
	  1, 1, 1 },
	{ "SA 1.1", 1, SA, 1.1, 5.0, NULL, 0, 0, 0, 1, 1 },
	{ "SA 2.0 (at the clean threshold)", 1, SA, 2.0, 5.0, NULL, 0, 0,
	  0, 1, 1 },
	{ "SA 3.0, unauthenticated", 1, SA, 3.0, 5.0, NULL, 0, 0, 0, 1, 0 },
	{ "SA 3.0, authenticated", 1, SA, 3.0, 5.0, NULL, 0, 1, 0, 1, 1 },
	{ "SA 4.5 of required 4.0, authenticated", 1, SA, 4.5, 4.0, NULL, 0,
	  1, 0, 1, 0 },
	{ "SA 4.9, no required, authenticated", 1, SA, 4.9, NAN, NULL, 0, 1,
	  0, 1, 1 },
	{ "SA 5.0 (certain)", 1, SA, 5.0, 5.0, NULL, 0, 1, 0, 0, 0 },
	{ "SA stars 0: under 1", 1, SA, 0, NAN, NULL, 1, 0, 1, 1, 1 },
	{ "SA stars 1: maybe 1.9", 1, SA, 1, NAN, NULL, 1, 0, 0, 1, 1 },
	{ "SA stars 2: maybe 2.9", 1, SA, 2, NAN, NULL, 1, 0, 0, 1, 0 },
	{ "SA stars 5: certain", 1, SA, 5, NAN, NULL, 1, 1, 0, 0, 0 },
	/* rspamd: notice <= 2.0 and no action, clean <= 4.0, certain >= 15
	 * or reject */
	{ "rspamd 1.4 no action", 1, RS, 1.4, 15.0, "no action", 0, 0, 1, 1,
	  1 },
	{ "rspamd 1.4, action not given", 1, RS, 1.4, 15.0, NULL, 0, 0, 1, 1,
	  1 },
	{ "rspamd 3.0 no action", 1, RS, 3.0, 15.0, "no action", 0, 0, 0, 1,
	  1 },
	{ "rspamd 1.0 greylist (forced)", 1, RS, 1.0, 15.0, "greylist", 0, 0,
	  0, 1, 0 },
	{ "rspamd 4.5 greylist, authenticated", 1, RS, 4.5, 15.0,
	  "greylist", 0, 1, 0, 1, 1 },
	{ "rspamd 4.5 no action, unauthenticated", 1, RS, 4.5, 15.0,
	  "no action", 0, 0, 0, 1, 0 },
	{ "rspamd 4.5 no action, authenticated", 1, RS, 4.5, 15.0,
	  "no action", 0, 1, 0, 1, 1 },
	{ "rspamd 4.5 action not given, authenticated", 1, RS, 4.5, 15.0,
	  NULL, 0, 1, 0, 1, 0 },
	{ "rspamd 7.0 add header, authenticated", 1, RS, 7.0, 15.0,
	  "add header", 0, 1, 0, 1, 0 },
	{ "rspamd 7.0 rewrite subject", 1, RS, 7.0, 15.0, "rewrite subject",
	  0, 1, 0, 1, 0 },
	{ "rspamd 2.0 soft reject", 1, RS, 2.0, 15.0, "soft reject", 0, 1, 0,
	  1, 0 },
	{ "rspamd 9.0 reject (forced)", 1, RS, 9.0, 15.0, "reject", 0, 1, 0,
	  0, 0 },
	{ "rspamd 15.0 add header", 1, RS, 15.0, 15.0, "add header", 0, 1, 0,
	  0, 0 },
	{ "rspamd 1.0 unknown action", 1, RS, 1.0, 15.0, "quarantine", 0, 1,
	  0, 1, 0 },
	/* no verdict */
	{ "unknown, unauthenticated", 0, SPAM_SCANNER_NONE, 0, NAN, NULL, 0,
	  0, 0, 1, 0 },
	{ "unknown, authenticated", 0, SPAM_SCANNER_NONE, 0, NAN, NULL, 0, 1,
	  0, 1, 1 },
};

/* check_policy - one row of policy_rows */
static void
check_policy(const struct policy_row *row, const struct spam_policy *p)
{
	struct spam_verdict v;
	const char *w1, *w2, *w3;
	int n, in, out;

	memset(&v, 0, sizeof(v));
	v.known = row->known;
	v.scanner = row->scanner;
	v.score = row->score;
	v.required = row->required;
	v.action = (char *)row->action;
	v.lower_bound = row->lower_bound;
	n = spam_notice_ok(&v, p, &w1);
	in = spam_forward_ok(&v, p, 1, row->authenticated, &w2);
	out = spam_forward_ok(&v, p, 0, row->authenticated, &w3);
	tap_ok(n == row->notice && in == row->inside && out == row->outside &&
	    (n || w1 != NULL) && (in || w2 != NULL) && (out || w3 != NULL),
	    "policy: %s: notice %d, inside %d, outside %d (%s; %s; %s)",
	    row->what, n, in, out, w1 ? w1 : "-", w2 ? w2 : "-",
	    w3 ? w3 : "-");
}

/* check_describe - the --explain line names scale, score and thresholds */
static void
check_describe(const struct spam_policy *p)
{
	struct spam_verdict v;
	char *s;

	memset(&v, 0, sizeof(v));
	v.known = 1;
	v.scanner = RS;
	v.score = 3.2;
	v.required = 15.0;
	v.action = "no action";
	v.source = "rspamd 127.0.0.1:11333";
	s = spam_verdict_describe(&v, p);
	tap_ok(strstr(s, "rspamd 3.20") != NULL &&
	    strstr(s, "\"no action\"") != NULL &&
	    strstr(s, "127.0.0.1:11333") != NULL &&
	    strstr(s, "notice at most 2.00") != NULL &&
	    strstr(s, "at most 4.00") != NULL &&
	    strstr(s, "15.00") != NULL, "describe: %s", s);
	g_free(s);
	v.known = 0;
	v.source = "spamd: 127.0.0.1:783: timed out after 10 s reading the "
	    "reply";
	s = spam_verdict_describe(&v, p);
	tap_ok(g_str_has_prefix(s, "unknown (spamd: ") &&
	    strstr(s, "timed out after 10 s") != NULL, "describe: %s", s);
	g_free(s);
}

int
main(void)
{
	/* The table's thresholds, whatever the defaults become. */
	struct spam_policy p = { { 1.0, 2.0, 5.0 }, { 2.0, 4.0, 15.0 } };
	struct spam_policy def;

	spam_policy_default(&def);
	tap_ok(def.spamassassin.notice == 1.0 && def.spamassassin.forward == 5.0 &&
	    def.rspamd.forward == 15.0 && def.rspamd.notice < 4.0 &&
	    def.rspamd.clean < 6.0,
	    "defaults: SpamAssassin notice 1.0, forward 5.0; rspamd notice "
	    "under its greylist (4), clean under its add header (6), forward "
	    "at its reject (15)");
	for (size_t i = 0; i < G_N_ELEMENTS(header_rows); i++)
		check_headers(&header_rows[i]);
	for (size_t i = 0; i < G_N_ELEMENTS(policy_rows); i++)
		check_policy(&policy_rows[i], &p);
	check_describe(&p);
	return tap_done();
}
