#ifndef DEPUTY_AUTHRES_H
#define DEPUTY_AUTHRES_H

/*
 * NAME
 *	authres - Authentication-Results (RFC 8601) tokenizer and parser
 * SUMMARY
 *	authres_parse() turns one header value into an authserv-id, its
 *	authres-version and its results (method, method-version, result,
 *	reason, ptype.property=value). Comments nest and are dropped,
 *	quoted strings are unquoted, folding is white space, and comments
 *	may stand between any two elements (RFC 8601 Appendix B.7).
 *
 *	What is malformed inside a resinfo is set aside and counted
 *	(nset_aside), the rest of the field is kept: a property without a
 *	ptype ("x-bits=1024", Microsoft's "action=none"), an empty value
 *	(quoted "" too: no kept value is empty), a malformed value, a stray word, and a whole resinfo whose methodspec
 *	is malformed (a quoted method, a non-numeric method-version, a
 *	stray authserv-id). A set-aside part never changes which
 *	authserv-id, method or result is read: resinfos are delimited by
 *	';' outside comments and quoted strings before anything in them is
 *	read, and a value is never taken from the next property.
 *
 *	The whole field is refused when its structure is in doubt: no
 *	authserv-id, text between the authserv-id and the first ';' that
 *	is not an authres-version, an unterminated comment or quoted string
 *	anywhere (the CVE-2020-12272 trick, "example.net(.example.com"),
 *	"none" beside results, or more than AUTHRES_MAX_RESULTS results or
 *	AUTHRES_MAX_PROPS properties in one result.
 * DIAGNOSTICS
 *	0 and *ar_r, or -1 and *error_r naming the offset and what was
 *	expected.
 * SECURITY
 *	The input is the sender's. Every loop is bounded by the input
 *	length and makes progress on every turn; sizes are capped
 *	(AUTHRES_MAX_*). No parsed string holds a control character: CR and
 *	LF inside a quoted string are folding and are dropped, a tab
 *	becomes a space, any other control character makes its part
 *	malformed.
 */

#include <stddef.h>

#define AUTHRES_MAX_LEN		(16 * 1024)
#define AUTHRES_MAX_RESULTS	64
#define AUTHRES_MAX_PROPS	32

struct authres_prop {
	char *ptype;		/* lowercased: "smtp", "header", "policy" */
	char *property;		/* lowercased: "mailfrom", "d", "i", ... */
	char *value;		/* as written, unquoted */
};

struct authres_result {
	char *method;		/* lowercased: "spf", "dkim", "dmarc" */
	unsigned int version;	/* method-version; 1 when absent */
	char *result;		/* lowercased: "pass", "fail", ... */
	char *reason;		/* or NULL */
	struct authres_prop *props;
	size_t nprops;
};

struct authres {
	char *authserv_id;	/* lowercased */
	/*
	 * 1 when the value opens with the authserv-id as a plain token:
	 * only white space or folding before it, not quoted, and white
	 * space, ';' or the end right after it. That is the one form an
	 * MTA's rule "strip fields that start with our authserv-id"
	 * matches for sure; the trust gate reads no other.
	 */
	int authserv_id_plain;
	unsigned int version;	/* authres-version; 1 when absent */
	struct authres_result *results;
	size_t nresults;
	size_t nset_aside;	/* malformed parts set aside */
};

/* authres_parse - parse one Authentication-Results value */
int authres_parse(const char *value, struct authres **ar_r, char **error_r);

/* authres_free - release; sets *ar to NULL */
void authres_free(struct authres **ar);

/* authres_prop_get - value of the first PTYPE.PROPERTY in R, or NULL */
const char *authres_prop_get(const struct authres_result *r,
			     const char *ptype, const char *property);

/*
 * authres_prop_unique - the value of PTYPE.PROPERTY in R when R names
 * it once, or several times with one value (ASCII case aside); NULL
 * when it is absent or ambiguous. *count_r (if not NULL) gets the
 * number of times it occurs.
 */
const char *authres_prop_unique(const struct authres_result *r,
				const char *ptype, const char *property,
				size_t *count_r);

#endif
