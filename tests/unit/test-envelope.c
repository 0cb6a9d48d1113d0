/*
 * test-envelope - the normal forms of envelope addresses: null-sender
 * spellings, source routes, subaddress details (issue 13, items 4 and 7)
 */

#include "config.h"

#include <string.h>

#include <glib.h>

#include "envelope.h"
#include "tap.h"

static const struct {
	const char *given;
	const char *want;
} senders[] = {
	{ NULL, "" },
	{ "", "" },
	{ "<>", "" },
	{ "<<>>", "" },
	{ " <> ", "" },
	{ "MAILER-DAEMON", "" },
	{ "mailer-daemon", "" },
	{ "<MAILER-DAEMON>", "" },
	{ "MAILER-DAEMON@example.org", "MAILER-DAEMON@example.org" },
	{ "paul@partner.example.net", "paul@partner.example.net" },
	{ "<paul@partner.example.net>", "paul@partner.example.net" },
	{ "<<paul@partner.example.net>>", "paul@partner.example.net" },
	{ "<@a.example,@b.example:paul@partner.example.net>",
	    "paul@partner.example.net" },
	{ "@a.example:paul@partner.example.net", "paul@partner.example.net" },
	{ "\"a:b\"@example.net", "\"a:b\"@example.net" },
};

static const struct {
	const char *given;
	const char *delims;
	const char *base;
	const char *detail;	/* NULL: none */
} rcpts[] = {
	{ "alice@example.org", "+", "alice@example.org", NULL },
	{ "Alice+News@Example.ORG", "+", "alice@example.org", "news" },
	{ "<alice+news@example.org>", "+", "alice@example.org", "news" },
	{ "alice+@example.org", "+", "alice@example.org", "" },
	{ "alice+a+b@example.org", "+", "alice@example.org", "a+b" },
	{ "alice-news@example.org", "+-", "alice@example.org", "news" },
	{ "alice+news@example.org", "", "alice+news@example.org", NULL },
	{ "alice+news@example.org", NULL, "alice+news@example.org", NULL },
	{ "+news@example.org", "+", "+news@example.org", NULL },
	{ "a+@example.org", "+", "a@example.org", "" },
	{ "x+y@a+b.example", "+", "x@a+b.example", "y" },
};

int
main(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(senders); i++) {
		char *s = envelope_sender(senders[i].given);

		tap_ok(strcmp(s, senders[i].want) == 0,
		    "sender \"%s\" -> \"%s\" (got \"%s\")",
		    senders[i].given ? senders[i].given : "(null)",
		    senders[i].want, s);
		g_free(s);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(rcpts); i++) {
		char *base, *detail;

		envelope_recipient(rcpts[i].given, rcpts[i].delims, &base,
		    &detail);
		tap_ok(strcmp(base, rcpts[i].base) == 0 &&
		    (rcpts[i].detail == NULL ? detail == NULL :
		    detail != NULL && strcmp(detail, rcpts[i].detail) == 0),
		    "recipient \"%s\" with \"%s\": %s, detail %s (got %s, %s)",
		    rcpts[i].given, rcpts[i].delims ? rcpts[i].delims : "",
		    rcpts[i].base, rcpts[i].detail ? rcpts[i].detail : "none",
		    base, detail ? detail : "none");
		g_free(base);
		g_free(detail);
	}
	tap_ok(strcmp(envelope_domain("a@b@c.example"), "c.example") == 0,
	    "domain: after the last @");
	tap_ok(*envelope_domain("nodomain") == '\0', "domain: none");
	return tap_done();
}
