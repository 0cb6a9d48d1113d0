#ifndef DEPUTY_AUTHRES_H
#define DEPUTY_AUTHRES_H

/*
 * NAME
 *	authres - Authentication-Results (RFC 8601) tokenizer and parser
 * SUMMARY
 *	authres_parse() turns one header value into an authserv-id and its
 *	results (method, result, reason, ptype.property=value). Comments
 *	nest and are dropped, quoted strings are unquoted, folding is white
 *	space. A value that does not follow the grammar is refused whole:
 *	the caller then ignores the header, which fails closed.
 * DIAGNOSTICS
 *	0 and *ar_r, or -1 and *error_r naming the offset and what was
 *	expected.
 * SECURITY
 *	The input is the sender's. Every loop is bounded by the input
 *	length; sizes are capped (AUTHRES_MAX_*). An unterminated comment
 *	(the CVE-2020-12272 trick, "example.net(.example.com") is an error,
 *	never a value.
 */

#include <stddef.h>

#define AUTHRES_MAX_LEN		(16 * 1024)
#define AUTHRES_MAX_RESULTS	64
#define AUTHRES_MAX_PROPS	32

struct authres_prop {
	char *ptype;		/* "smtp", "header", "body", "policy" */
	char *property;		/* "mailfrom", "d", "i", ... */
	char *value;
};

struct authres_result {
	char *method;		/* lowercased: "spf", "dkim", "dmarc" */
	char *result;		/* lowercased: "pass", "fail", ... */
	char *reason;		/* or NULL */
	struct authres_prop *props;
	size_t nprops;
};

struct authres {
	char *authserv_id;	/* lowercased */
	struct authres_result *results;
	size_t nresults;
};

/* authres_parse - parse one Authentication-Results value */
int authres_parse(const char *value, struct authres **ar_r, char **error_r);

/* authres_free - release; sets *ar to NULL */
void authres_free(struct authres **ar);

/* authres_prop_get - value of PTYPE.PROPERTY in R, or NULL */
const char *authres_prop_get(const struct authres_result *r,
			     const char *ptype, const char *property);

#endif
