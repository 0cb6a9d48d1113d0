/*
 * NAME
 *	strip - which incoming header fields deputy-milter removes
 * SUMMARY
 *	See strip.h. The authserv-id is read twice, by authres_parse()
 *	(what deputy itself reads) and by a short scan of the start of the
 *	value (what a strip rule reads, including malformed fields that
 *	authres_parse() refuses); either naming one of ours removes it.
 */

#include "config.h"

#include <string.h>

#include <glib.h>

#include "authres.h"
#include "strip.h"

#define STRIP_COMMENT_DEPTH	64

/* strip_name_is - whether the field name GIVEN is WANT */
int
strip_name_is(const char *given, const char *want)
{
	size_t	n, w;

	if (given == NULL || want == NULL)
		return 0;
	n = strlen(given);
	while (n > 0 && (given[n - 1] == ' ' || given[n - 1] == '\t'))
		n--;
	w = strlen(want);
	return n == w && g_ascii_strncasecmp(given, want, n) == 0;
}

/* strip_is_ws - white space or folding */
static int
strip_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* strip_first_id - the first token after white space and comments */
char *
strip_first_id(const char *value)
{
	size_t	len = strnlen(value, STRIP_SCAN_MAX), i = 0, start;

	for (;;) {
		while (i < len && strip_is_ws(value[i]))
			i++;
		if (i < len && value[i] == '(') {
			int	depth = 0;

			/* a comment, nested, with quoted pairs */
			for (; i < len; i++) {
				if (value[i] == '\\' && i + 1 < len)
					i++;
				else if (value[i] == '(') {
					if (++depth > STRIP_COMMENT_DEPTH)
						return NULL;
				} else if (value[i] == ')' && --depth == 0) {
					i++;
					break;
				}
			}
			if (depth > 0)
				return NULL;	/* never closed */
			continue;
		}
		break;
	}
	if (i >= len)
		return NULL;
	if (value[i] == '"') {
		GString *s = g_string_new(NULL);

		for (i++; i < len && value[i] != '"'; i++) {
			if (value[i] == '\\' && i + 1 < len)
				i++;
			if (value[i] != '\r' && value[i] != '\n')
				g_string_append_c(s, value[i]);
		}
		if (i >= len || s->len == 0) {
			g_string_free(s, TRUE);
			return NULL;		/* never closed */
		}
		return g_string_free(s, FALSE);
	}
	start = i;
	while (i < len && !strip_is_ws(value[i]) && value[i] != ';'
	       && value[i] != '(' && value[i] != '"')
		i++;
	return i > start ? g_strndup(value + start, i - start) : NULL;
}

/* strip_ours - whether ID (any case) is one of IDS */
static int
strip_ours(const char *const *ids, const char *id)
{
	for (; id != NULL && ids != NULL && *ids != NULL; ids++)
		if (g_ascii_strcasecmp(*ids, id) == 0)
			return 1;
	return 0;
}

/* strip_decide - what to do with the field NAME: VALUE */
enum strip_what
strip_decide(const struct strip_settings *set, const char *name,
	     const char *value)
{
	const char *const *h;
	struct authres *ar = NULL;
	char   *err = NULL, *first;
	int	ours = 0;

	if (name == NULL)
		return STRIP_KEEP;
	for (h = set->headers; h != NULL && *h != NULL; h++)
		if (strip_name_is(name, *h))
			return STRIP_HEADER;
	if (!strip_name_is(name, "Authentication-Results") || value == NULL
	    || set->authserv_ids == NULL || set->authserv_ids[0] == NULL)
		return STRIP_KEEP;
	if (authres_parse(value, &ar, &err) == 0) {
		ours = strip_ours(set->authserv_ids, ar->authserv_id);
		authres_free(&ar);
	}
	g_free(err);
	if (!ours) {
		first = strip_first_id(value);
		ours = strip_ours(set->authserv_ids, first);
		g_free(first);
	}
	return ours ? STRIP_AUTHRES : STRIP_KEEP;
}

/* strip_what_name - "keep", "authentication-results", "spam-header" */
const char *
strip_what_name(enum strip_what w)
{
	switch (w) {
	case STRIP_AUTHRES: return "authentication-results";
	case STRIP_HEADER: return "spam-header";
	default: return "keep";
	}
}
