/*
 * test-refused - deputyRefusedSender values: read, match, expire, write
 */

#include "config.h"

#include <string.h>

#include <glib.h>

#include "refused.h"
#include "tap.h"

/* 2026-12-31T12:00:00Z */
#define NOW	((time_t)1798718400)

static const struct {
	const char *value, *sender;
	int parses, refused;
	const char *what;
} cases[] = {
	{ "bob@spam.example", "bob@spam.example", 1, 1, "an address" },
	{ "bob@spam.example", "BOB@Spam.Example", 1, 1, "any case" },
	{ "BOB@SPAM.EXAMPLE", "bob@spam.example", 1, 1, "written in capitals" },
	{ "  bob@spam.example  ", "bob@spam.example", 1, 1, "blanks around" },
	{ "bob@spam.example", "alice@spam.example", 1, 0, "another address" },
	{ "bob@spam.example", "bob@spam.example.net", 1, 0, "another domain" },
	{ "bob@spam.example", "", 1, 0, "the null sender is never refused" },
	{ "@spam.example", "anyone@spam.example", 1, 1, "a domain" },
	{ "@spam.example", "anyone@sub.spam.example", 1, 0, "a domain: not its subdomains" },
	{ "@spam.example", "x@notspam.example", 1, 0, "a domain: not a longer name" },
	{ "@.spam.example", "x@spam.example", 1, 1, "@.domain: the domain" },
	{ "@.spam.example", "x@a.b.spam.example", 1, 1, "@.domain: a subdomain" },
	{ "@.spam.example", "x@notspam.example", 1, 0, "@.domain: not a longer name" },
	{ "bob@spam.example;until=20261231", "bob@spam.example", 1, 1, "until today: still refused" },
	{ "bob@spam.example;until=20261230", "bob@spam.example", 1, 0, "until yesterday: expired" },
	{ "bob@spam.example ; UNTIL = 20270101 ", "bob@spam.example", 1, 1, "until, blanks and capitals" },
	{ "bob@spam.example;", "bob@spam.example", 1, 1, "a trailing ';'" },
	{ "bob@spam.example;until=20261332", "bob@spam.example", 0, 0, "no such date" },
	{ "bob@spam.example;until=2026-12-31", "bob@spam.example", 0, 0, "a date with dashes" },
	{ "bob@spam.example;until=20270101;until=20280101", "bob@spam.example", 0, 0, "until twice" },
	{ "bob@spam.example;since=20260101", "bob@spam.example", 0, 0, "an unknown parameter" },
	{ "bob@spam.example;until", "bob@spam.example", 0, 0, "until without a date" },
	{ "bob", "bob", 0, 0, "no domain" },
	{ "bob@localhost", "bob@localhost", 0, 0, "an undotted domain" },
	{ "@", "x@y.example", 0, 0, "only '@'" },
	{ "a@b@spam.example", "a@b@spam.example", 0, 0, "two '@'" },
	{ "bob smith@spam.example", "bob smith@spam.example", 0, 0, "white space" },
	{ "<bob@spam.example>", "bob@spam.example", 0, 0, "angle brackets" },
	{ "bob@spam..example", "bob@spam..example", 0, 0, "an empty label" },
	{ ".bob@spam.example", ".bob@spam.example", 0, 0, "a leading dot" },
	{ "", "x@y.example", 0, 0, "empty" },
	{ "bob@sp\001am.example", "bob@sp\001am.example", 0, 0, "a control character" },
};

int
main(void)
{
	struct refused r;
	const char *values[4];
	char   *v, *big;
	size_t	i, bad;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		int	p = refused_parse(cases[i].value, &r) == 0;
		int	m = p && refused_matches(&r, cases[i].sender, NOW);

		tap_ok(p == cases[i].parses && m == cases[i].refused,
		    "%s: \"%s\" %s \"%s\"", cases[i].what, cases[i].value,
		    cases[i].refused ? "refuses" : "does not refuse",
		    cases[i].sender);
		refused_clear(&r);
	}

	values[0] = "not a value";
	values[1] = "@other.example";
	values[2] = "bob@spam.example;until=20270105";
	values[3] = NULL;
	tap_ok(refused_find(values, 3, "bob@spam.example", NOW, &bad)
	    == values[2] && bad == 1,
	    "refused_find: the matching value, the unreadable one counted");
	tap_ok(refused_find(values, 3, "bob@spam.example",
	    NOW + 6 * 86400, &bad) == NULL,
	    "refused_find: nothing once it expired");
	tap_ok(refused_find(NULL, 0, "bob@spam.example", NOW, NULL) == NULL,
	    "refused_find: no values");

	v = refused_format("Bob@Spam.Example", NOW);
	tap_ok(strcmp(v, "bob@spam.example;until=20261231") == 0,
	    "refused_format: %s", v);
	tap_ok(refused_parse(v, &r) == 0 && refused_matches(&r,
	    "bob@spam.example", NOW + 11 * 3600)
	    && !refused_matches(&r, "bob@spam.example", NOW + 12 * 3600),
	    "what refused_format writes reads back: through the end of the day");
	refused_clear(&r);
	g_free(v);
	v = refused_format("@spam.example", 0);
	tap_ok(strcmp(v, "@spam.example") == 0, "refused_format, no end: %s",
	    v);
	g_free(v);
	tap_ok(refused_same_pattern("bob@spam.example;until=20270101",
	    "BOB@spam.example") && refused_same_pattern(" @x.example ",
	    "@x.example") && !refused_same_pattern("bob@x.example",
	    "@x.example"), "refused_same_pattern");

	big = g_strnfill(REFUSED_VALUE_MAX + 10, 'a');
	big[5] = '@';
	big[REFUSED_VALUE_MAX + 5] = '.';
	tap_ok(refused_parse(big, &r) < 0, "a value over %d bytes is not read",
	    REFUSED_VALUE_MAX);
	g_free(big);
	return tap_done();
}
