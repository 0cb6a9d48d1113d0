/*
 * NAME
 *	authres - Authentication-Results (RFC 8601) tokenizer and parser
 * SUMMARY
 *	A hand-written scanner over the header value. The grammar of RFC
 *	8601 section 2.2, with CFWS allowed between any two elements:
 *
 *	authres-payload = authserv-id [ authres-version ]
 *	                  ( no-result / 1*resinfo )
 *	no-result       = ";" "none"
 *	resinfo         = ";" methodspec [ reasonspec ] *propspec
 *	methodspec      = Keyword [ "/" 1*DIGIT ] "=" Keyword
 *	reasonspec      = "reason" "=" value
 *	propspec        = Keyword "." Keyword "=" pvalue
 *
 *	A Keyword is letters, digits and '-' (RFC 5321 Ldh-str) and must
 *	end at a delimiter, so "dkim=pass.x" is no dkim pass. The
 *	authserv-id is an RFC 2045 token or a quoted-string. A value is a
 *	quoted-string (followed, for a quoted local-part, by "@domain"), or
 *	a run of atext, '.' and '@' (8-bit bytes allowed, RFC 8616): the lax
 *	reading python-authres documents, so that base64
 *	("header.b=ab/c+d==") and addresses survive while an unquoted IPv6
 *	address (':') is malformed.
 *
 *	Each ';' outside comments and quoted strings ends a resinfo before
 *	anything in it is read, so a malformed part can only be set aside
 *	within its own resinfo. A value is never taken from the next
 *	property: after '=' and white space, text that reads as
 *	"Keyword [. Keyword] =" means the value was empty.
 * DIAGNOSTICS
 *	See authres.h.
 */

#include "config.h"

#include <limits.h>
#include <string.h>

#include <glib.h>

#include "authres.h"

struct scan {
	const char *s;
	size_t len;
	size_t pos;
	char *error;
};

/* What a value scan found. */
enum { VAL_OK, VAL_EMPTY, VAL_BAD, VAL_ERROR };

/* scan_fail - record the first error */
static int
scan_fail(struct scan *sc, const char *what)
{
	if (sc->error == NULL)
		sc->error = g_strdup_printf("offset %zu: %s", sc->pos, what);
	return -1;
}

/* scan_peek - the character at the position, or 0 at the end */
static char
scan_peek(const struct scan *sc)
{
	return sc->pos < sc->len ? sc->s[sc->pos] : '\0';
}

/* scan_is_wsp - white space or folding */
static int
scan_is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* scan_at_delim - at the end, white space, a comment or ';' */
static int
scan_at_delim(const struct scan *sc)
{
	char c = scan_peek(sc);

	return c == '\0' || scan_is_wsp(c) || c == '(' || c == ';';
}

/* scan_is_ldh - part of a Keyword */
static int
scan_is_ldh(unsigned char c)
{
	return g_ascii_isalnum(c) || c == '-';
}

/* scan_is_token - part of an RFC 2045 token (8-bit allowed) */
static int
scan_is_token(unsigned char c)
{
	if (c >= 0x80)
		return 1;
	if (c <= ' ' || c == 0x7f)
		return 0;
	return strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* scan_is_ptext - part of an unquoted value: atext, '.', '@', 8-bit */
static int
scan_is_ptext(unsigned char c)
{
	if (c >= 0x80 || g_ascii_isalnum(c))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.@", c) != NULL;
}

/* scan_comment - skip one comment at '(': nested, with quoted-pairs */
static int
scan_comment(struct scan *sc)
{
	size_t depth = 0;

	while (sc->pos < sc->len) {
		char c = sc->s[sc->pos++];

		if (c == '\\') {
			if (sc->pos < sc->len)
				sc->pos++;
		} else if (c == '(') {
			depth++;
		} else if (c == ')' && --depth == 0) {
			return 0;
		}
	}
	return scan_fail(sc, "unterminated comment");
}

/* scan_cfws - skip white space and comments; count comments if asked */
static int
scan_cfws(struct scan *sc, size_t *comments_r)
{
	while (sc->pos < sc->len) {
		char c = sc->s[sc->pos];

		if (scan_is_wsp(c)) {
			sc->pos++;
		} else if (c == '(') {
			if (scan_comment(sc) != 0)
				return -1;
			if (comments_r != NULL)
				(*comments_r)++;
		} else {
			break;
		}
	}
	return 0;
}

/*
 * scan_quoted - a quoted-string at '"', unquoted into OUT: VAL_OK,
 * VAL_BAD (a control character other than folding), VAL_ERROR
 * (unterminated)
 */
static int
scan_quoted(struct scan *sc, GString *out)
{
	int bad = 0;

	sc->pos++;
	while (sc->pos < sc->len) {
		unsigned char c = (unsigned char)sc->s[sc->pos++];

		if (c == '"')
			return bad ? VAL_BAD : VAL_OK;
		if (c == '\\') {
			if (sc->pos >= sc->len)
				break;
			c = (unsigned char)sc->s[sc->pos++];
		} else if (c == '\r' || c == '\n') {
			continue;		/* folding */
		}
		if (c == '\t')
			c = ' ';
		else if (c < 0x20 || c == 0x7f)
			bad = 1;
		g_string_append_c(out, (char)c);
	}
	scan_fail(sc, "unterminated quoted string");
	return VAL_ERROR;
}

/* scan_skip_quoted - step over a quoted-string at '"'; -1 unterminated */
static int
scan_skip_quoted(struct scan *sc)
{
	GString *junk = g_string_new(NULL);
	int rc = scan_quoted(sc, junk);

	g_string_free(junk, TRUE);
	return rc == VAL_ERROR ? -1 : 0;
}

/*
 * scan_keyword - a Keyword ending at the end, white space, '(' or one of
 * MORE; lowercased. NULL, and the position unchanged, when there is
 * none or it runs into anything else.
 */
static char *
scan_keyword(struct scan *sc, const char *more)
{
	size_t end = sc->pos;
	char c;

	while (end < sc->len && scan_is_ldh((unsigned char)sc->s[end]))
		end++;
	if (end == sc->pos)
		return NULL;
	c = end < sc->len ? sc->s[end] : '\0';
	if (c != '\0' && !scan_is_wsp(c) && c != '(' && strchr(more, c) == NULL)
		return NULL;
	{
		char *k = g_ascii_strdown(sc->s + sc->pos, (gssize)(end - sc->pos));

		sc->pos = end;
		return k;
	}
}

/*
 * scan_number - 1*DIGIT ending at the end, white space, '(' or one of
 * MORE; a number too long for 9 digits reads as UINT_MAX (no version
 * anyone supports). 0 and the position unchanged when there is none.
 */
static int
scan_number(struct scan *sc, const char *more, unsigned int *n_r)
{
	size_t end = sc->pos;
	unsigned int n = 0;
	char c;

	while (end < sc->len && g_ascii_isdigit(sc->s[end])) {
		n = end - sc->pos < 9 ? n * 10 + (unsigned int)(sc->s[end] - '0') :
		    UINT_MAX;
		end++;
	}
	if (end == sc->pos)
		return 0;
	c = end < sc->len ? sc->s[end] : '\0';
	if (c != '\0' && !scan_is_wsp(c) && c != '(' && strchr(more, c) == NULL)
		return 0;
	sc->pos = end;
	*n_r = n;
	return 1;
}

/*
 * scan_looks_like_prop - whether "Keyword [ . Keyword ] =" follows
 * (CFWS allowed in between): after "name=" and white space, that is
 * the next property, and the value was empty
 */
static int
scan_looks_like_prop(const struct scan *sc)
{
	struct scan la = *sc;
	char *k;
	int yes = 0;

	la.error = NULL;
	if ((k = scan_keyword(&la, ".=")) == NULL)
		return 0;
	g_free(k);
	if (scan_cfws(&la, NULL) != 0)
		goto out;
	if (scan_peek(&la) == '.') {
		la.pos++;
		if (scan_cfws(&la, NULL) != 0 ||
		    (k = scan_keyword(&la, "=")) == NULL)
			goto out;
		g_free(k);
		if (scan_cfws(&la, NULL) != 0)
			goto out;
	}
	yes = scan_peek(&la) == '=';
out:
	g_free(la.error);
	return yes;
}

/*
 * scan_pvalue - the value after '=': VAL_OK and *value_r, VAL_EMPTY,
 * VAL_BAD (malformed; the position is inside it) or VAL_ERROR
 */
static int
scan_pvalue(struct scan *sc, char **value_r)
{
	size_t before = sc->pos, start;
	char c;

	*value_r = NULL;
	if (scan_cfws(sc, NULL) != 0)
		return VAL_ERROR;
	c = scan_peek(sc);
	if (c == '\0' || c == ';')
		return VAL_EMPTY;
	if (sc->pos > before && scan_looks_like_prop(sc))
		return VAL_EMPTY;
	if (c == '"') {
		GString *out = g_string_new(NULL);
		int rc = scan_quoted(sc, out);

		if (rc == VAL_ERROR) {
			g_string_free(out, TRUE);
			return VAL_ERROR;
		}
		if (scan_peek(sc) == '@')	/* "a b"@example.com */
			while (sc->pos < sc->len &&
			    scan_is_ptext((unsigned char)sc->s[sc->pos]))
				g_string_append_c(out, sc->s[sc->pos++]);
		if (rc == VAL_BAD || !scan_at_delim(sc)) {
			g_string_free(out, TRUE);
			return VAL_BAD;
		}
		if (out->len == 0) {		/* "" */
			g_string_free(out, TRUE);
			return VAL_EMPTY;
		}
		*value_r = g_string_free(out, FALSE);
		return VAL_OK;
	}
	start = sc->pos;
	while (sc->pos < sc->len && scan_is_ptext((unsigned char)sc->s[sc->pos]))
		sc->pos++;
	if (sc->pos == start || !scan_at_delim(sc))
		return VAL_BAD;
	*value_r = g_strndup(sc->s + start, sc->pos - start);
	return VAL_OK;
}

/*
 * scan_skip_unit - step over one malformed word: up to white space, a
 * comment or ';', quoted strings whole; -1 when one is unterminated
 */
static int
scan_skip_unit(struct scan *sc)
{
	while (sc->pos < sc->len) {
		char c = sc->s[sc->pos];

		if (scan_is_wsp(c) || c == '(' || c == ';')
			break;
		if (c == '"') {
			if (scan_skip_quoted(sc) != 0)
				return -1;
		} else {
			sc->pos++;
		}
	}
	return 0;
}

/* scan_skip_resinfo - step to the next ';' outside comments and quotes */
static int
scan_skip_resinfo(struct scan *sc)
{
	while (sc->pos < sc->len && sc->s[sc->pos] != ';') {
		char c = sc->s[sc->pos];

		if (c == '(') {
			if (scan_comment(sc) != 0)
				return -1;
		} else if (c == '"') {
			if (scan_skip_quoted(sc) != 0)
				return -1;
		} else {
			sc->pos++;
		}
	}
	return 0;
}

/* result_clear - release the members of R */
static void
result_clear(struct authres_result *r)
{
	g_free(r->method);
	g_free(r->result);
	g_free(r->reason);
	for (size_t i = 0; i < r->nprops; i++) {
		g_free(r->props[i].ptype);
		g_free(r->props[i].property);
		g_free(r->props[i].value);
	}
	g_free(r->props);
	memset(r, 0, sizeof(*r));
}

/*
 * scan_element - one propspec or reasonspec of R, kept or set aside
 * (counted in *set_aside); -1 on a structural error
 */
static int
scan_element(struct scan *sc, struct authres_result *r, size_t *set_aside)
{
	size_t start = sc->pos;
	char *ptype, *property = NULL, *value = NULL;
	int vrc;

	if ((ptype = scan_keyword(sc, ".=")) == NULL)
		goto junk;
	if (scan_cfws(sc, NULL) != 0)
		goto error;
	if (scan_peek(sc) == '.') {
		sc->pos++;
		if (scan_cfws(sc, NULL) != 0)
			goto error;
		if ((property = scan_keyword(sc, "=")) == NULL)
			goto junk;
		if (scan_cfws(sc, NULL) != 0)
			goto error;
	}
	if (scan_peek(sc) != '=')
		goto junk;
	sc->pos++;
	vrc = scan_pvalue(sc, &value);
	if (vrc == VAL_ERROR)
		goto error;
	if (vrc == VAL_BAD) {
		if (scan_skip_unit(sc) != 0)
			goto error;
		goto aside;
	}
	if (vrc == VAL_EMPTY)
		goto aside;
	if (property == NULL) {
		/* "reason=" right after the methodspec; else no ptype */
		if (strcmp(ptype, "reason") != 0 || r->reason != NULL ||
		    r->nprops > 0)
			goto aside;
		r->reason = value;
		g_free(ptype);
		return 0;
	}
	if (r->nprops >= AUTHRES_MAX_PROPS) {
		scan_fail(sc, "too many properties");
		goto error;
	}
	r->props = g_renew(struct authres_prop, r->props, r->nprops + 1);
	r->props[r->nprops].ptype = ptype;
	r->props[r->nprops].property = property;
	r->props[r->nprops].value = value;
	r->nprops++;
	return 0;
junk:
	sc->pos = start;
	if (scan_skip_unit(sc) != 0)
		goto error;
aside:
	(*set_aside)++;
	g_free(ptype);
	g_free(property);
	g_free(value);
	return 0;
error:
	g_free(ptype);
	g_free(property);
	g_free(value);
	return -1;
}

/*
 * scan_resinfo - one resinfo after its ';' (and CFWS): 1 and a result
 * in *r, 0 when it was set aside whole (counted in *set_aside), -1 on a
 * structural error. Ends at the next ';' or the end.
 */
static int
scan_resinfo(struct scan *sc, struct authres_result *r, size_t *set_aside)
{
	size_t start = sc->pos;
	char c;

	memset(r, 0, sizeof(*r));
	r->version = 1;
	if ((r->method = scan_keyword(sc, "/=")) == NULL)
		goto malformed;
	if (scan_cfws(sc, NULL) != 0)
		goto error;
	if (scan_peek(sc) == '/') {
		sc->pos++;
		if (scan_cfws(sc, NULL) != 0)
			goto error;
		if (!scan_number(sc, "=", &r->version))
			goto malformed;
		if (scan_cfws(sc, NULL) != 0)
			goto error;
	}
	if (scan_peek(sc) != '=')
		goto malformed;
	sc->pos++;
	if (scan_cfws(sc, NULL) != 0)
		goto error;
	if ((r->result = scan_keyword(sc, ";")) == NULL)
		goto malformed;
	for (;;) {
		if (scan_cfws(sc, NULL) != 0)
			goto error;
		c = scan_peek(sc);
		if (c == '\0' || c == ';')
			return 1;
		if (scan_element(sc, r, set_aside) != 0)
			goto error;
	}
malformed:
	result_clear(r);
	(*set_aside)++;
	sc->pos = start;
	return scan_skip_resinfo(sc) == 0 ? 0 : -1;
error:
	result_clear(r);
	return -1;
}

/* scan_none - "none" alone in its resinfo (no-result); consumed if so */
static int
scan_none(struct scan *sc)
{
	struct scan la = *sc;
	char *k;
	int yes;

	la.error = NULL;
	k = scan_keyword(&la, ";");
	yes = k != NULL && strcmp(k, "none") == 0;
	g_free(k);
	if (yes && scan_cfws(&la, NULL) != 0)
		yes = 0;		/* the resinfo scan reports it */
	if (yes)
		yes = scan_peek(&la) == '\0' || scan_peek(&la) == ';';
	if (yes)
		sc->pos = la.pos;
	g_free(la.error);
	return yes;
}

/* scan_authserv_id - the authserv-id and whether it is plain */
static char *
scan_authserv_id(struct scan *sc, int *plain_r)
{
	size_t comments = 0, start;
	char *id, *low;

	*plain_r = 0;
	if (scan_cfws(sc, &comments) != 0)
		return NULL;
	if (scan_peek(sc) == '"') {
		GString *out = g_string_new(NULL);
		int rc = scan_quoted(sc, out);

		if (rc != VAL_OK || out->len == 0) {
			g_string_free(out, TRUE);
			scan_fail(sc, "malformed quoted authserv-id");
			return NULL;
		}
		id = g_string_free(out, FALSE);
	} else {
		start = sc->pos;
		while (sc->pos < sc->len &&
		    scan_is_token((unsigned char)sc->s[sc->pos]))
			sc->pos++;
		if (sc->pos == start) {
			scan_fail(sc, "expected an authserv-id");
			return NULL;
		}
		id = g_strndup(sc->s + start, sc->pos - start);
		*plain_r = comments == 0 && (scan_peek(sc) == '\0' ||
		    scan_is_wsp(scan_peek(sc)) || scan_peek(sc) == ';');
	}
	low = g_ascii_strdown(id, -1);
	g_free(id);
	return low;
}

/* authres_parse - parse one Authentication-Results value */
int
authres_parse(const char *value, struct authres **ar_r, char **error_r)
{
	struct scan sc = { value, 0, 0, NULL };
	struct authres *ar;
	GArray *results;
	int none = 0;

	*ar_r = NULL;
	if (value == NULL || (sc.len = strlen(value)) > AUTHRES_MAX_LEN) {
		*error_r = g_strdup("missing or oversized value");
		return -1;
	}
	ar = g_new0(struct authres, 1);
	ar->version = 1;
	results = g_array_new(FALSE, TRUE, sizeof(struct authres_result));
	if ((ar->authserv_id = scan_authserv_id(&sc, &ar->authserv_id_plain))
	    == NULL)
		goto fail;
	if (scan_cfws(&sc, NULL) != 0)
		goto fail;
	if (g_ascii_isdigit(scan_peek(&sc))) {
		if (!scan_number(&sc, ";", &ar->version)) {
			scan_fail(&sc, "malformed authres-version");
			goto fail;
		}
		if (scan_cfws(&sc, NULL) != 0)
			goto fail;
	}
	if (scan_peek(&sc) != ';') {
		scan_fail(&sc, "expected ';' after the authserv-id");
		goto fail;
	}
	while (scan_peek(&sc) == ';') {
		struct authres_result r;
		int rc;

		sc.pos++;
		if (scan_cfws(&sc, NULL) != 0)
			goto fail;
		if (scan_peek(&sc) == '\0')
			break;		/* a trailing ';' */
		if (scan_peek(&sc) == ';') {
			ar->nset_aside++;	/* an empty resinfo */
			continue;
		}
		if (scan_none(&sc)) {
			none = 1;
			continue;
		}
		if (results->len >= AUTHRES_MAX_RESULTS) {
			scan_fail(&sc, "too many results");
			goto fail;
		}
		if ((rc = scan_resinfo(&sc, &r, &ar->nset_aside)) < 0)
			goto fail;
		if (rc > 0)
			g_array_append_val(results, r);
	}
	if (scan_peek(&sc) != '\0') {
		scan_fail(&sc, "unexpected text");
		goto fail;
	}
	if (none && results->len > 0) {
		scan_fail(&sc, "\"none\" beside results");
		goto fail;
	}
	ar->nresults = results->len;
	ar->results = (struct authres_result *)g_array_free(results, FALSE);
	*ar_r = ar;
	return 0;
fail:
	for (guint i = 0; i < results->len; i++)
		result_clear(&g_array_index(results, struct authres_result, i));
	g_array_free(results, TRUE);
	g_free(ar->authserv_id);
	g_free(ar);
	*error_r = sc.error != NULL ? sc.error : g_strdup("syntax error");
	return -1;
}

/* authres_free - release; sets *ar to NULL */
void
authres_free(struct authres **ar)
{
	if (*ar == NULL)
		return;
	for (size_t i = 0; i < (*ar)->nresults; i++)
		result_clear(&(*ar)->results[i]);
	g_free((*ar)->results);
	g_free((*ar)->authserv_id);
	g_free(*ar);
	*ar = NULL;
}

/* authres_prop_get - value of the first PTYPE.PROPERTY in R, or NULL */
const char *
authres_prop_get(const struct authres_result *r, const char *ptype,
		 const char *property)
{
	for (size_t i = 0; i < r->nprops; i++)
		if (g_ascii_strcasecmp(r->props[i].ptype, ptype) == 0 &&
		    g_ascii_strcasecmp(r->props[i].property, property) == 0)
			return r->props[i].value;
	return NULL;
}

/* authres_prop_unique - the one value of PTYPE.PROPERTY; see authres.h */
const char *
authres_prop_unique(const struct authres_result *r, const char *ptype,
		    const char *property, size_t *count_r)
{
	const char *found = NULL;
	size_t count = 0;
	int ambiguous = 0;

	for (size_t i = 0; i < r->nprops; i++) {
		if (g_ascii_strcasecmp(r->props[i].ptype, ptype) != 0 ||
		    g_ascii_strcasecmp(r->props[i].property, property) != 0)
			continue;
		count++;
		if (found == NULL)
			found = r->props[i].value;
		else if (g_ascii_strcasecmp(found, r->props[i].value) != 0)
			ambiguous = 1;
	}
	if (count_r != NULL)
		*count_r = count;
	return ambiguous ? NULL : found;
}
