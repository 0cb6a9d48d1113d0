/*
 * NAME
 *	refused - a user's refused senders (deputyRefusedSender values)
 * SUMMARY
 *	See refused.h. Pure string work; dates are UTC days, computed
 *	with GLib so that no time zone of the host gets in.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <glib.h>

#include "refused.h"

#define REFUSED_DAY	86400

/* refused_domain_ok - a dotted host name: labels of [a-z0-9-_] */
static int
refused_domain_ok(const char *d)
{
	size_t	n = strlen(d), i;

	if (n < 3 || n > 253 || d[0] == '.' || d[n - 1] == '.'
	    || d[0] == '-' || strchr(d, '.') == NULL || strstr(d, "..") != NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (!g_ascii_isalnum(d[i]) && d[i] != '-' && d[i] != '_'
		    && d[i] != '.')
			return 0;
	return 1;
}

/* refused_pattern_ok - see refused.h */
int
refused_pattern_ok(const char *text)
{
	const char *at, *p;
	size_t	n = strlen(text);

	if (n == 0 || n > REFUSED_VALUE_MAX)
		return 0;
	for (p = text; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f
		    || strchr(";<>,\"()\\[]:", *p) != NULL)
			return 0;
	at = strchr(text, '@');
	if (at == NULL || strchr(at + 1, '@') != NULL)
		return 0;
	if (at == text)				/* "@domain", "@.domain" */
		return refused_domain_ok(at[1] == '.' ? at + 2 : at + 1);
	if (text[0] == '.' || at[-1] == '.')
		return 0;
	return refused_domain_ok(at + 1);
}

/* refused_until - "YYYYMMDD" as the instant after that day (UTC), or 0 */
static time_t
refused_until(const char *s, size_t len)
{
	GDateTime *dt;
	time_t	t;
	int	y, m, d;
	size_t	i;

	if (len != 8)
		return 0;
	for (i = 0; i < 8; i++)
		if (!g_ascii_isdigit(s[i]))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10
	    + (s[3] - '0');
	m = (s[4] - '0') * 10 + (s[5] - '0');
	d = (s[6] - '0') * 10 + (s[7] - '0');
	if (y < 1970 || y > 2999 || !g_date_valid_dmy((GDateDay)d,
	    (GDateMonth)m, (GDateYear)y))
		return 0;
	dt = g_date_time_new_utc(y, m, d, 0, 0, 0);
	if (dt == NULL)
		return 0;
	t = (time_t)g_date_time_to_unix(dt) + REFUSED_DAY;
	g_date_time_unref(dt);
	return t;
}

/* refused_parse - read VALUE into *R; 0, or -1 when malformed */
int
refused_parse(const char *value, struct refused *r)
{
	char  **parts = NULL, *pat;
	size_t	i;
	int	rc = -1;

	r->pattern = NULL;
	r->until = 0;
	if (value == NULL || strnlen(value, REFUSED_VALUE_MAX + 1)
	    > REFUSED_VALUE_MAX)
		return -1;
	parts = g_strsplit(value, ";", 8);
	if (parts[0] == NULL)
		goto out;
	pat = g_strstrip(parts[0]);
	if (!refused_pattern_ok(pat))
		goto out;
	for (i = 1; parts[i] != NULL; i++) {
		char   *p = g_strstrip(parts[i]), *eq;

		if (*p == '\0')
			continue;		/* "x@y;" */
		eq = strchr(p, '=');
		if (eq == NULL)
			goto out;
		*eq = '\0';
		g_strchomp(p);
		if (g_ascii_strcasecmp(p, "until") != 0 || r->until != 0)
			goto out;
		eq = g_strchug(eq + 1);
		if ((r->until = refused_until(eq, strlen(eq))) == 0)
			goto out;
	}
	r->pattern = g_ascii_strdown(pat, -1);
	rc = 0;
out:
	if (rc != 0)
		r->until = 0;
	g_strfreev(parts);
	return rc;
}

/* refused_clear - release R's pattern */
void
refused_clear(struct refused *r)
{
	g_free(r->pattern);
	r->pattern = NULL;
	r->until = 0;
}

/* refused_matches - whether R refuses SENDER (normal form) at NOW */
int
refused_matches(const struct refused *r, const char *sender, time_t now)
{
	const char *at, *dom, *want;
	size_t	dl, wl;

	if (r->pattern == NULL || sender == NULL || *sender == '\0')
		return 0;
	if (r->until != 0 && now >= r->until)
		return 0;
	if (r->pattern[0] != '@')
		return g_ascii_strcasecmp(r->pattern, sender) == 0;
	if ((at = strrchr(sender, '@')) == NULL)
		return 0;
	dom = at + 1;
	want = r->pattern + 1;
	if (*want != '.')
		return g_ascii_strcasecmp(dom, want) == 0;
	want++;					/* "@.domain": and below */
	if (g_ascii_strcasecmp(dom, want) == 0)
		return 1;
	dl = strlen(dom);
	wl = strlen(want);
	return dl > wl + 1 && dom[dl - wl - 1] == '.'
	    && g_ascii_strcasecmp(dom + dl - wl, want) == 0;
}

/* refused_find - the first value that refuses SENDER at NOW, or NULL */
const char *
refused_find(const char *const *values, size_t n, const char *sender,
	     time_t now, size_t *bad_r)
{
	const char *found = NULL;
	size_t	i;

	if (bad_r != NULL)
		*bad_r = 0;
	for (i = 0; i < n && values != NULL && values[i] != NULL; i++) {
		struct refused r;

		if (refused_parse(values[i], &r) < 0) {
			if (bad_r != NULL)
				(*bad_r)++;
			continue;
		}
		if (found == NULL && refused_matches(&r, sender, now))
			found = values[i];
		refused_clear(&r);
	}
	return found;
}

/* refused_format - the value for PATTERN refused through UNTIL_DAY */
char *
refused_format(const char *pattern, time_t until_day)
{
	GDateTime *dt;
	char   *lower, *day, *v;

	lower = g_ascii_strdown(pattern, -1);
	if (until_day == 0)
		return lower;
	dt = g_date_time_new_from_unix_utc((gint64)until_day);
	if (dt == NULL)
		return lower;
	day = g_date_time_format(dt, "%Y%m%d");
	v = g_strdup_printf("%s;until=%s", lower, day);
	g_free(day);
	g_free(lower);
	g_date_time_unref(dt);
	return v;
}

/* refused_same_pattern - whether VALUE's pattern is PATTERN (any case) */
int
refused_same_pattern(const char *value, const char *pattern)
{
	const char *semi = strchr(value, ';');
	size_t	n = semi != NULL ? (size_t)(semi - value) : strlen(value);
	char   *head = g_strstrip(g_strndup(value, n));
	int	same = g_ascii_strcasecmp(head, pattern) == 0;

	g_free(head);
	return same;
}
