#ifndef DEPUTY_REFUSED_H
#define DEPUTY_REFUSED_H

/*
 * NAME
 *	refused - a user's refused senders (deputyRefusedSender values)
 * SUMMARY
 *	One value names one sender the user does not want mail from, and
 *	optionally the last day it is refused:
 *
 *		bob@spam.example
 *		bob@spam.example;until=20270101
 *		@spam.example			(every sender of that domain)
 *		@.spam.example;until=20261231	(that domain and its subdomains)
 *
 *	"until" is a date in UTC; the sender is refused through the end of
 *	that day. Addresses and domains compare case-insensitively. The
 *	null sender is never refused here (that is BATV's question).
 *	deputy-milter answers a refused sender 550 5.7.1 at RCPT;
 *	deputyctl refuse and unrefuse write the values.
 * DIAGNOSTICS
 *	refused_parse() returns -1 for a value it cannot read; a caller
 *	that matches treats such a value as absent (fail open: mail is
 *	not refused because of a value nobody can read) and may log it.
 * SECURITY
 *	Values come from the directory, senders from the SMTP client: both
 *	are bounded (REFUSED_VALUE_MAX) and only compared, never copied
 *	into a reply or a header.
 */

#include <stddef.h>
#include <time.h>

#define REFUSED_VALUE_MAX	512	/* bytes of one value */

struct refused {
	char *pattern;		/* lowercased: "bob@x.example", "@x.example"
				 * or "@.x.example" */
	time_t until;		/* 0: no end; else refused while now < until
				 * (00:00 UTC after the "until" day) */
};

/* refused_parse - read VALUE into *R; 0, or -1 when malformed */
int refused_parse(const char *value, struct refused *r);

/* refused_clear - release R's pattern */
void refused_clear(struct refused *r);

/*
 * refused_pattern_ok - whether TEXT is a pattern: an address with one
 * '@' and a dotted domain, "@domain" or "@.domain"; printable ASCII, no
 * white space, no ';', '<', '>', ',', quotes or parentheses
 */
int refused_pattern_ok(const char *text);

/* refused_matches - whether R refuses SENDER (normal form) at NOW */
int refused_matches(const struct refused *r, const char *sender, time_t now);

/*
 * refused_find - the first of VALUES[0..N) that refuses SENDER at NOW,
 * or NULL. Unreadable values are skipped; *bad_r (if not NULL) counts
 * them.
 */
const char *refused_find(const char *const *values, size_t n,
			 const char *sender, time_t now, size_t *bad_r);

/*
 * refused_format - the value for PATTERN refused until the end of day
 * UNTIL_DAY (a time within that day, UTC; 0: no end); g_free()
 */
char *refused_format(const char *pattern, time_t until_day);

/* refused_same_pattern - whether VALUE's pattern is PATTERN (any case) */
int refused_same_pattern(const char *value, const char *pattern);

#endif
