#ifndef DEPUTY_STRIP_H
#define DEPUTY_STRIP_H

/*
 * NAME
 *	strip - which incoming header fields deputy-milter removes
 * SUMMARY
 *	A sender can write any field into a message, including an
 *	Authentication-Results field that names our own authserv-id or a
 *	spam header of the scanner we trust. deputy-milter removes, at the
 *	end of the message and before any later milter adds its own, every
 *	such field deputy could read, in every form:
 *
 *	  Authentication-Results  (any case; white space before the colon
 *	                          is not part of the name) whose authserv-id,
 *	                          as authres_parse() reads it, or as the
 *	                          first token after white space, comments
 *	                          and an opening quote, is in
 *	                          auth.trusted_authserv_ids. That is more
 *	                          than deputy trusts (only the plain form),
 *	                          as RFC 8601 section 5 asks: other readers
 *	                          may be less strict. A malformed field
 *	                          that names our id first goes too.
 *	  a spam header           any field named in spam.trusted_headers
 *	                          (any case), whatever its value.
 *
 *	What is left (another authserv-id, "mx.example.org.evil.example",
 *	"Authentication-Results::") is not ours and deputy does not trust
 *	it either.
 * DIAGNOSTICS
 *	None: a decision for every name and value.
 * SECURITY
 *	Name and value come from the sender. The scan is bounded by the
 *	value's length and by STRIP_SCAN_MAX; authres_parse() bounds
 *	itself.
 */

#include <stddef.h>

#define STRIP_SCAN_MAX	(16 * 1024)	/* bytes looked at for the id */

struct strip_settings {
	const char *const *authserv_ids;	/* lowercased, NULL-terminated */
	const char *const *headers;		/* spam headers, NULL-terminated */
};

enum strip_what {
	STRIP_KEEP = 0,
	STRIP_AUTHRES,		/* an Authentication-Results of ours */
	STRIP_HEADER,		/* a trusted spam header */
};

/* strip_decide - what to do with the field NAME: VALUE */
enum strip_what strip_decide(const struct strip_settings *set,
			     const char *name, const char *value);

/*
 * strip_name_is - whether the field name GIVEN is WANT: any case,
 * white space at its end ignored (Sendmail hands "Name " for "Name :")
 */
int strip_name_is(const char *given, const char *want);

/*
 * strip_first_id - the authserv-id position of VALUE as an MTA's strip
 * rule reads it: the first token after white space, folding and
 * comments, unquoted; NULL when there is none. g_free()
 */
char *strip_first_id(const char *value);

/* strip_what_name - "keep", "authentication-results", "spam-header" */
const char *strip_what_name(enum strip_what w);

#endif
