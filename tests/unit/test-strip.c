/*
 * test-strip - which incoming fields deputy-milter removes
 *
 * The table holds the forged variants of tests/integration/trust-strip.sh
 * as libmilter hands them over (name and value apart; Postfix has
 * already dropped white space before the colon), and some more.
 */

#include "config.h"

#include <string.h>

#include <glib.h>

#include "strip.h"
#include "tap.h"

static const char *const ids[] = { "mx.example.org", NULL };
static const char *const spam[] = { "X-Spam-Score", "X-Spam-Status", NULL };

static const struct {
	const char *name, *value;
	enum strip_what want;
	const char *what;
} cases[] = {
	{ "Authentication-Results", " mx.example.org; spf=pass", STRIP_AUTHRES, "plain" },
	{ "Authentication-Results", "mx.example.org;spf=pass", STRIP_AUTHRES, "no space" },
	{ "Authentication-Results", "\tmx.example.org; spf=pass", STRIP_AUTHRES, "tab" },
	{ "Authentication-Results", "\n\tmx.example.org; spf=pass", STRIP_AUTHRES, "folded after the colon" },
	{ "Authentication-Results", " mx.example.org\n\t; spf=pass", STRIP_AUTHRES, "folded after the id" },
	{ "authentication-results", " mx.example.org; spf=pass", STRIP_AUTHRES, "name in lower case" },
	{ "AUTHENTICATION-RESULTS", " mx.example.org; spf=pass", STRIP_AUTHRES, "name in capitals" },
	{ "Authentication-Results ", " mx.example.org; spf=pass", STRIP_AUTHRES, "a blank before the colon (Sendmail)" },
	{ "Authentication-Results\t", " mx.example.org; spf=pass", STRIP_AUTHRES, "a tab before the colon" },
	{ "Authentication-Results", " MX.EXAMPLE.ORG; spf=pass", STRIP_AUTHRES, "id in capitals" },
	{ "Authentication-Results", " mx.example.org 1; spf=pass", STRIP_AUTHRES, "a version" },
	{ "Authentication-Results", " mx.example.org (filter); spf=pass", STRIP_AUTHRES, "a comment after" },
	{ "Authentication-Results", " (x) mx.example.org; spf=pass", STRIP_AUTHRES, "a comment before" },
	{ "Authentication-Results", " (a (nested) one) mx.example.org; x=y", STRIP_AUTHRES, "a nested comment before" },
	{ "Authentication-Results", " \"mx.example.org\"; spf=pass", STRIP_AUTHRES, "quoted" },
	{ "Authentication-Results", " mx.example.org(x); spf=pass", STRIP_AUTHRES, "a comment right after" },
	{ "Authentication-Results", " mx.example.org; spf=pass smtp.mailfrom=\"unterminated", STRIP_AUTHRES, "malformed after our id" },
	{ "Authentication-Results", " mx.example.org", STRIP_AUTHRES, "our id and nothing else" },
	{ "Authentication-Results", " mx.example.org; none", STRIP_AUTHRES, "none" },
	{ "Authentication-Results", ": mx.example.org; spf=pass", STRIP_KEEP, "a second colon (not our id)" },
	{ "Authentication-Results", " mx.example.org.; spf=pass", STRIP_KEEP, "a trailing dot: another name" },
	{ "Authentication-Results", " mx.example.org.evil.example; spf=pass", STRIP_KEEP, "a longer name" },
	{ "Authentication-Results", " mx.example.orgx; spf=pass", STRIP_KEEP, "a prefix of another name" },
	{ "Authentication-Results", " evil.example; spf=pass smtp.mailfrom=mx.example.org", STRIP_KEEP, "our id later in the value" },
	{ "Authentication-Results", " (unterminated mx.example.org; spf=pass", STRIP_KEEP, "an unterminated comment hides the id" },
	{ "Authentication-Results", " \"mx.example.org; spf=pass", STRIP_KEEP, "an unterminated quote" },
	{ "Authentication-Results", "", STRIP_KEEP, "empty" },
	{ "Authentication-Results-Original", " mx.example.org; spf=pass", STRIP_KEEP, "another field name" },
	{ "ARC-Authentication-Results", " i=1; mx.example.org; spf=pass", STRIP_KEEP, "ARC's field" },
	{ "X-Spam-Score", " -5.1", STRIP_HEADER, "spam header" },
	{ "x-spam-score", "-5.2", STRIP_HEADER, "spam header in lower case" },
	{ "X-SPAM-STATUS", " No, score=-5.3", STRIP_HEADER, "spam status in capitals" },
	{ "X-Spam-Score ", " 1", STRIP_HEADER, "spam header, blank before the colon" },
	{ "X-Spam-Flag", " YES", STRIP_KEEP, "a spam header not configured" },
	{ "X-Spam-Scores", " 1", STRIP_KEEP, "a longer name" },
	{ "Subject", " mx.example.org", STRIP_KEEP, "another field" },
};

int
main(void)
{
	struct strip_settings set = { ids, spam };
	struct strip_settings none = { NULL, NULL };
	static const char *const empty[] = { NULL };
	struct strip_settings emptyset = { empty, empty };
	char   *first, *big;
	size_t	i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		enum strip_what w = strip_decide(&set, cases[i].name,
		    cases[i].value);

		tap_ok(w == cases[i].want, "%s: %s (got %s)", cases[i].what,
		    strip_what_name(cases[i].want), strip_what_name(w));
	}
	tap_ok(strip_decide(&none, "Authentication-Results",
	    " mx.example.org; spf=pass") == STRIP_KEEP
	    && strip_decide(&emptyset, "X-Spam-Score", " 1") == STRIP_KEEP,
	    "nothing configured: nothing removed");
	tap_ok(strip_decide(&set, NULL, "x") == STRIP_KEEP
	    && strip_decide(&set, "Authentication-Results", NULL) == STRIP_KEEP,
	    "NULL name or value: kept");

	first = strip_first_id(" (c) \"quoted id\" ; x");
	tap_ok(first != NULL && strcmp(first, "quoted id") == 0,
	    "strip_first_id unquotes");
	g_free(first);
	tap_ok(strip_first_id("   ") == NULL && strip_first_id("((x)") == NULL,
	    "strip_first_id: nothing in blanks or an open comment");

	/* a huge value: bounded, and our id first still counts */
	big = g_malloc(200001);
	memset(big, 'a', 200000);
	big[200000] = '\0';
	memcpy(big, " mx.example.org; x=", 19);
	tap_ok(strip_decide(&set, "Authentication-Results", big)
	    == STRIP_AUTHRES, "a 200 kB value naming our id is removed");
	memset(big, '(', 100000);
	tap_ok(strip_decide(&set, "Authentication-Results", big) == STRIP_KEEP,
	    "100000 open parentheses: kept, quickly");
	g_free(big);
	tap_ok(strip_name_is("Name \t", "name") && !strip_name_is(" Name",
	    "Name") && !strip_name_is("Nam", "Name"),
	    "strip_name_is: trailing blanks only");
	return tap_done();
}
