/*
 * NAME
 *	authres - Authentication-Results (RFC 8601) tokenizer and parser
 * SUMMARY
 *	A hand-written scanner over the header value:
 *
 *	authres-header = authserv-id [ CFWS authres-version ]
 *	                 ( no-result / 1*resinfo )
 *	resinfo        = ";" methodspec [ reasonspec ] *propspec
 *	methodspec     = method [ "/" version ] "=" result
 *	reasonspec     = "reason" "=" value
 *	propspec       = ptype "." property "=" pvalue
 *
 *	Keywords (method, result, ptype.property) stop at white space,
 *	'(', ';', '=', '/' and '"'. Values (authserv-id, reason, pvalue)
 *	are a quoted-string or run to white space, '(' or ';', so that
 *	base64 ("header.b=ab/c+d==") and addresses survive.
 */

#include "config.h"

#include <string.h>

#include <glib.h>

#include "authres.h"

struct scan {
	const char *s;
	size_t len;
	size_t pos;
	char *error;
};

/* scan_fail - record the first error */
static int
scan_fail(struct scan *sc, const char *what)
{
	if (sc->error == NULL)
		sc->error = g_strdup_printf("offset %zu: %s", sc->pos, what);
	return -1;
}

/* scan_cfws - skip white space and nested comments */
static int
scan_cfws(struct scan *sc)
{
	while (sc->pos < sc->len) {
		char c = sc->s[sc->pos];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			sc->pos++;
		} else if (c == '(') {
			size_t depth = 0;

			do {
				c = sc->s[sc->pos];
				if (c == '\\' && sc->pos + 1 < sc->len)
					sc->pos++;
				else if (c == '(')
					depth++;
				else if (c == ')')
					depth--;
				sc->pos++;
			} while (depth > 0 && sc->pos < sc->len);
			if (depth > 0)
				return scan_fail(sc, "unterminated comment");
		} else {
			break;
		}
	}
	return 0;
}

/* scan_is_keyword_char - part of a method, result or property name */
static int
scan_is_keyword_char(unsigned char c)
{
	if (c <= ' ' || c == 0x7f)
		return 0;
	return strchr("();=/\"", c) == NULL;
}

/* scan_is_value_char - part of an unquoted value */
static int
scan_is_value_char(unsigned char c)
{
	if (c <= ' ' || c == 0x7f)
		return 0;
	return strchr("();\"", c) == NULL;
}

/* scan_keyword - a keyword, lowercased; NULL if none */
static char *
scan_keyword(struct scan *sc)
{
	size_t start = sc->pos;

	while (sc->pos < sc->len &&
	    scan_is_keyword_char((unsigned char)sc->s[sc->pos]))
		sc->pos++;
	if (sc->pos == start)
		return NULL;
	return g_ascii_strdown(sc->s + start, (gssize)(sc->pos - start));
}

/* scan_value - a quoted-string or an unquoted value; NULL if none */
static char *
scan_value(struct scan *sc)
{
	size_t start = sc->pos;

	if (sc->pos < sc->len && sc->s[sc->pos] == '"') {
		GString *out = g_string_new(NULL);

		sc->pos++;
		while (sc->pos < sc->len && sc->s[sc->pos] != '"') {
			char c = sc->s[sc->pos];

			if (c == '\\' && sc->pos + 1 < sc->len)
				c = sc->s[++sc->pos];
			if (c != '\r' && c != '\n')
				g_string_append_c(out, c);
			sc->pos++;
		}
		if (sc->pos >= sc->len) {
			g_string_free(out, TRUE);
			scan_fail(sc, "unterminated quoted string");
			return NULL;
		}
		sc->pos++;
		/* a quoted local-part: "a b"@example.com */
		if (sc->pos < sc->len && sc->s[sc->pos] == '@')
			while (sc->pos < sc->len &&
			    scan_is_value_char((unsigned char)sc->s[sc->pos]))
				g_string_append_c(out, sc->s[sc->pos++]);
		return g_string_free(out, FALSE);
	}
	while (sc->pos < sc->len &&
	    scan_is_value_char((unsigned char)sc->s[sc->pos]))
		sc->pos++;
	if (sc->pos == start)
		return NULL;
	return g_strndup(sc->s + start, sc->pos - start);
}

/* scan_char - consume C after optional CFWS */
static int
scan_char(struct scan *sc, char c)
{
	if (scan_cfws(sc) != 0)
		return -1;
	if (sc->pos < sc->len && sc->s[sc->pos] == c) {
		sc->pos++;
		return 0;
	}
	return -1;
}

/* scan_peek - the next significant character, or 0 at the end */
static char
scan_peek(struct scan *sc)
{
	if (scan_cfws(sc) != 0 || sc->pos >= sc->len)
		return 0;
	return sc->s[sc->pos];
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

/* scan_prop - "ptype.property = value", or a reason */
static int
scan_prop(struct scan *sc, struct authres_result *r)
{
	char *key, *value, *dot;

	if ((key = scan_keyword(sc)) == NULL)
		return scan_fail(sc, "expected ptype.property");
	if (scan_char(sc, '=') != 0) {
		g_free(key);
		return scan_fail(sc, "expected '=' after a property");
	}
	if (scan_cfws(sc) != 0 || (value = scan_value(sc)) == NULL) {
		g_free(key);
		return scan_fail(sc, "expected a property value");
	}
	if (strcmp(key, "reason") == 0 && r->reason == NULL && r->nprops == 0) {
		r->reason = value;
		g_free(key);
		return 0;
	}
	dot = strchr(key, '.');
	if (dot == NULL || dot == key || dot[1] == '\0' ||
	    r->nprops >= AUTHRES_MAX_PROPS) {
		g_free(key);
		g_free(value);
		return scan_fail(sc, "malformed or too many properties");
	}
	r->props = g_renew(struct authres_prop, r->props, r->nprops + 1);
	r->props[r->nprops].ptype = g_strndup(key, (gsize)(dot - key));
	r->props[r->nprops].property = g_strdup(dot + 1);
	r->props[r->nprops].value = value;
	r->nprops++;
	g_free(key);
	return 0;
}

/* scan_resinfo - one "method[/version] = result [reason] props" */
static int
scan_resinfo(struct scan *sc, struct authres_result *r)
{
	char c;

	if (scan_cfws(sc) != 0)
		return -1;
	if ((r->method = scan_keyword(sc)) == NULL)
		return scan_fail(sc, "expected a method");
	if (scan_peek(sc) == '/') {
		char *version;

		sc->pos++;
		if (scan_cfws(sc) != 0 || (version = scan_keyword(sc)) == NULL)
			return scan_fail(sc, "expected a method version");
		g_free(version);
	}
	if (scan_char(sc, '=') != 0)
		return scan_fail(sc, "expected '=' after the method");
	if (scan_cfws(sc) != 0 || (r->result = scan_keyword(sc)) == NULL)
		return scan_fail(sc, "expected a result");
	while ((c = scan_peek(sc)) != 0 && c != ';')
		if (scan_prop(sc, r) != 0)
			return -1;
	return sc->error != NULL ? -1 : 0;
}

/* authres_parse - parse one Authentication-Results value */
int
authres_parse(const char *value, struct authres **ar_r, char **error_r)
{
	struct scan sc = { value, 0, 0, NULL };
	struct authres *ar;
	GArray *results;
	char c;

	*ar_r = NULL;
	if (value == NULL || (sc.len = strlen(value)) > AUTHRES_MAX_LEN) {
		*error_r = g_strdup("missing or oversized value");
		return -1;
	}
	ar = g_new0(struct authres, 1);
	results = g_array_new(FALSE, TRUE, sizeof(struct authres_result));
	if (scan_cfws(&sc) != 0)
		goto fail;
	if ((ar->authserv_id = scan_value(&sc)) == NULL) {
		scan_fail(&sc, "expected an authserv-id");
		goto fail;
	}
	{
		char *low = g_ascii_strdown(ar->authserv_id, -1);

		g_free(ar->authserv_id);
		ar->authserv_id = low;
	}
	/* optional authres-version: digits before the first ';' */
	c = scan_peek(&sc);
	if (c >= '0' && c <= '9') {
		while (sc.pos < sc.len && g_ascii_isdigit(sc.s[sc.pos]))
			sc.pos++;
	}
	c = scan_peek(&sc);
	if (sc.error != NULL)
		goto fail;
	if (c != ';') {
		char *kw = scan_keyword(&sc);
		int none = kw != NULL && strcmp(kw, "none") == 0;

		g_free(kw);
		if (!none || scan_peek(&sc) != 0) {
			scan_fail(&sc, "expected ';' or \"none\"");
			goto fail;
		}
	}
	while (scan_peek(&sc) == ';') {
		struct authres_result r;

		sc.pos++;
		if (scan_peek(&sc) == 0)
			break;		/* a trailing ';' is tolerated */
		if (results->len == 0 && sc.len - sc.pos >= 4 &&
		    g_ascii_strncasecmp(sc.s + sc.pos, "none", 4) == 0) {
			size_t save = sc.pos;

			sc.pos += 4;	/* no-result: "; none" */
			if (scan_peek(&sc) == 0)
				break;
			sc.pos = save;
		}
		memset(&r, 0, sizeof(r));
		if (results->len >= AUTHRES_MAX_RESULTS) {
			scan_fail(&sc, "too many results");
			goto fail;
		}
		if (scan_resinfo(&sc, &r) != 0) {
			result_clear(&r);
			goto fail;
		}
		g_array_append_val(results, r);
	}
	if (sc.error != NULL || scan_peek(&sc) != 0) {
		scan_fail(&sc, "unexpected text");
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

/* authres_prop_get - value of PTYPE.PROPERTY in R, or NULL */
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
