/*
 * NAME
 *	dir-check - the lint rules of deputyctl check, for both tools
 * SUMMARY
 *	See dir-check.h. Whether someone is away is absence_check()'s
 *	answer (dir_chain_away()), as in deputy-lda.
 * DIAGNOSTICS
 *	See dir-check.h.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <string.h>

#include "absence-edit.h"
#include "dir-chain.h"
#include "dir-check.h"

/*
 * dir_check_hidden - whether C changes what a terminal shows around it:
 * C1 controls, the Unicode line and paragraph separators, the
 * bidirectional controls
 */
static int
dir_check_hidden(gunichar c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029
	    || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e)
	    || (c >= 0x2066 && c <= 0x2069);
}

/* dir_check_escape - TEXT with every control character as an escape */
char *
dir_check_escape(const char *text)
{
	GString *out;
	const char *p, *end;

	if (text == NULL)
		return g_strdup("");
	out = g_string_sized_new(strlen(text));
	end = text + strlen(text);
	for (p = text; p < end;) {
		unsigned char ch = (unsigned char)*p;
		gunichar c;

		if (ch < 0x20 || ch == 0x7f) {
			if (ch == '\n')
				g_string_append(out, "\\n");
			else if (ch == '\r')
				g_string_append(out, "\\r");
			else if (ch == '\t')
				g_string_append(out, "\\t");
			else
				g_string_append_printf(out, "\\x%02x", ch);
			p++;
			continue;
		}
		if (ch < 0x80) {
			g_string_append_c(out, (char)ch);
			p++;
			continue;
		}
		c = g_utf8_get_char_validated(p, (gssize)(end - p));
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			g_string_append_printf(out, "\\x%02x", ch);
			p++;
			continue;
		}
		if (dir_check_hidden(c))
			g_string_append_printf(out, "\\u{%04x}", (unsigned)c);
		else
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
		p = g_utf8_next_char(p);
	}
	return g_string_free(out, FALSE);
}

/* dir_check_one_line - see dir-check.h */
char *
dir_check_one_line(const char *text)
{
	char   *copy, *cut;

	copy = dir_check_escape(text);
	g_strstrip(copy);
	if (strlen(copy) > 400) {
		cut = g_utf8_find_prev_char(copy, copy + 397);
		strcpy(cut != NULL ? cut : copy + 396, "...");
	}
	return copy;
}

/* dir_problem_free - release one finding */
static void
dir_problem_free(gpointer data)
{
	struct dir_problem *p = data;

	g_free(p->dn);
	g_free(p->detail);
	g_free(p);
}

/* dir_problems_new - an empty list */
GPtrArray *
dir_problems_new(void)
{
	return g_ptr_array_new_with_free_func(dir_problem_free);
}

/* dir_problem - record one finding */
static void G_GNUC_PRINTF(4, 5)
dir_problem(GPtrArray *problems, const char *kind, const char *dn,
	    const char *fmt, ...)
{
	struct dir_problem *p;
	va_list	ap;
	char   *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	p = g_new0(struct dir_problem, 1);
	p->kind = kind;
	p->dn = g_strdup(dn);
	p->detail = dir_check_one_line(msg);
	g_free(msg);
	g_ptr_array_add(problems, p);
}

/* dir_address_is_local - see dir-check.h */
int
dir_address_is_local(const struct dir_entry *user, const char *address,
		     const char *const *internal_domains)
{
	const char *dom = strrchr(address, '@'), *own;
	const char *const *p;

	if (dom == NULL)
		return 0;
	dom++;
	own = user != NULL && user->mail != NULL ? strrchr(user->mail, '@')
	    : NULL;
	if (own != NULL && g_ascii_strcasecmp(own + 1, dom) == 0)
		return 1;
	for (p = internal_domains; p != NULL && *p != NULL; p++)
		if (g_ascii_strcasecmp(*p, dom) == 0)
			return 1;
	return 0;
}

/* dir_check_absences - bad-ical and expired; *active_r: one is not over */
static void
dir_check_absences(const struct dir_check_settings *set,
		   const struct dir_entry *e, GPtrArray *problems,
		   int *active_r)
{
	size_t	i;
	guint	k;

	*active_r = 0;
	for (i = 0; i < e->absences.count; i++) {
		GPtrArray *events = absence_events_new();
		char   *err = NULL;
		int	live = 0;

		if (absence_events_text(e->absences.values[i], i, events,
					&err) < 0) {
			dir_problem(problems, "bad-ical", e->dn,
			    "deputyAbsence value %zu does not parse: %s",
			    i + 1, err);
			g_free(err);
			absence_events_free(events);
			continue;
		}
		for (k = 0; k < events->len; k++) {
			time_t	s, en;

			if (absence_event_find(g_ptr_array_index(events, k),
					       set->now, 0, &s, &en))
				live = 1;
		}
		if (!live && events->len > 0) {
			const struct absence_event *ev =
			    g_ptr_array_index(events, 0);
			char   *t = absence_fmt_time(ev->end, set->zone, 0);

			dir_problem(problems, "expired", e->dn, "absence %s "
			    "ended %s; remove it with deputyctl back --id",
			    ev->uid, t);
			g_free(t);
		}
		*active_r |= live;
		absence_events_free(events);
	}
}

/* dir_check_cycle - report a cycle of away people through E, once */
static int
dir_check_cycle(struct dir *dir, const struct dir_check_settings *set,
		const struct dir_entry *e, GPtrArray *problems,
		char **error_r)
{
	GPtrArray *path = g_ptr_array_new_with_free_func(g_free);
	char   *min, *chain;
	int	rc, smallest = 1;
	guint	k;

	rc = dir_chain_cycle(dir, e, set->now, path, error_r);
	if (rc <= 0) {
		g_ptr_array_free(path, TRUE);
		return rc;
	}
	/* report each cycle once: from its smallest DN */
	min = dir_dn_normalize(e->dn);
	for (k = 1; k < path->len; k++) {
		char   *n = dir_dn_normalize(g_ptr_array_index(path, k));

		if (strcmp(n, min) < 0)
			smallest = 0;
		g_free(n);
	}
	g_free(min);
	if (smallest) {
		g_ptr_array_add(path, g_strdup(e->dn));
		g_ptr_array_add(path, NULL);
		chain = g_strjoinv(" -> ", (char **)path->pdata);
		dir_problem(problems, "cycle", e->dn, "delegation cycle "
		    "with everyone away: %s", chain);
		g_free(chain);
	}
	g_ptr_array_free(path, TRUE);
	return 0;
}

/* dir_check_entry - the findings about one entry */
int
dir_check_entry(struct dir *dir, const struct dir_check_settings *set,
		const struct dir_entry *e, GPtrArray *problems,
		char **error_r)
{
	const struct dir_strings *values;
	const char *attr;
	int	active, away;
	size_t	i;

	*error_r = NULL;
	dir_check_absences(set, e, problems, &active);

	values = dir_chain_values(e, &attr);
	if (active && values->count == 0)
		dir_problem(problems, "no-delegate", e->dn, "has an absence "
		    "but no deputyDelegate, secretary or manager: nobody "
		    "gets a copy");
	away = dir_chain_away(e, set->now, NULL) == 1;
	for (i = 0; i < values->count; i++) {
		const char *v = values->values[i];
		struct dir_entry *de = NULL;
		int	rc;

		if (!dir_chain_is_dn(v) && !dir_chain_address_ok(v)) {
			dir_problem(problems, "unknown-delegate", e->dn,
			    "%s '%s' is neither a DN nor an address", attr, v);
			continue;
		}
		rc = dir_chain_lookup(dir, v, &de, error_r);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			if (dir_chain_is_dn(v) || dir_address_is_local(e, v, set->internal_domains))
				dir_problem(problems, "unknown-delegate",
				    e->dn, "%s '%s' names nobody in the "
				    "directory", attr, v);
			continue;
		}
		if (dir_chain_same_dn(de->dn, e->dn)) {
			dir_problem(problems, "self-delegate", e->dn, "%s "
			    "'%s' is the user itself", attr, v);
		} else if (away && dir_chain_away(de, set->now, NULL) == 1) {
			const char *a2;
			const struct dir_strings *next =
			    dir_chain_values(de, &a2);

			if (next->count == 0)
				dir_problem(problems, "away-delegate", e->dn,
				    "delegate %s is away too and has nobody "
				    "behind it", de->mail != NULL ? de->mail
				    : de->dn);
		}
		dir_entry_free(&de);
	}
	if (away && dir_check_cycle(dir, set, e, problems, error_r) < 0)
		return -1;
	return 0;
}

/* dir_check_run - check every entry with deputy attributes */
int
dir_check_run(struct dir *dir, struct dir_admin *admin,
	      const struct dir_check_settings *set, GPtrArray *problems,
	      size_t *entries_r, char **where_r, char **error_r)
{
	char  **dns = NULL;
	size_t	i;
	int	rc;

	*entries_r = 0;
	*where_r = NULL;
	*error_r = NULL;
	if (dir_admin_list(admin, &dns, error_r) < 0)
		return -1;
	for (i = 0; dns[i] != NULL; i++) {
		struct dir_entry *e = NULL;

		rc = dir_lookup_dn(dir, dns[i], &e, error_r);
		if (rc == 0)
			continue;
		if (rc < 0 || dir_check_entry(dir, set, e, problems,
					      error_r) < 0) {
			*where_r = g_strdup(dns[i]);
			dir_entry_free(&e);
			g_strfreev(dns);
			return -1;
		}
		(*entries_r)++;
		dir_entry_free(&e);
	}
	g_strfreev(dns);
	return 0;
}
