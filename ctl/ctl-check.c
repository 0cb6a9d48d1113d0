/*
 * NAME
 *	ctl-check - deputyctl check: lint the directory
 * SUMMARY
 *	For every entry with deputy attributes:
 *	- bad-ical: a deputyAbsence value that does not parse;
 *	- expired: an absence none of whose instances ends after now;
 *	- no-delegate: an absence that is not over, and nobody to cover;
 *	- unknown-delegate: a delegate DN that names no entry, an address
 *	  in a local domain that names nobody, a value that is neither a
 *	  DN nor an address deputy-lda would forward to (addr_is_safe());
 *	- self-delegate: a user who names itself;
 *	- away-delegate: a user away now whose delegate is away too and
 *	  has no delegates of its own (the copy stops there);
 *	- cycle: delegation that comes back to the user with everyone on
 *	  the way away now (mutual cover where one is present is fine).
 * DIAGNOSTICS
 *	CTL_PROBLEMS when it found anything; a directory failure is
 *	CTL_UNREACHABLE.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <string.h>

#include "addr.h"
#include "ctl.h"

/* One finding of check. */
struct ctl_problem {
	const char *kind;
	char   *dn;
	char   *detail;
};

/* ctl_problem - record one finding */
static void __attribute__((format(printf, 4, 5)))
ctl_problem(GPtrArray *problems, const char *kind, const char *dn,
	    const char *fmt, ...)
{
	struct ctl_problem *p;
	va_list	ap;
	char   *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	p = g_new0(struct ctl_problem, 1);
	p->kind = kind;
	p->dn = g_strdup(dn);
	p->detail = ctl_one_line(msg);
	g_free(msg);
	g_ptr_array_add(problems, p);
}

/* ctl_problem_free - release one finding */
static void
ctl_problem_free(gpointer data)
{
	struct ctl_problem *p = data;

	g_free(p->dn);
	g_free(p->detail);
	g_free(p);
}

/* ctl_check_entry - the findings about one entry */
static int
ctl_check_entry(struct ctl *c, const struct dir_entry *e, GPtrArray *problems,
		char **error_r)
{
	const struct dir_strings *values;
	const char *attr;
	int	active = 0, away;
	size_t	i;
	guint	k;

	/* absences */
	for (i = 0; i < e->absences.count; i++) {
		GPtrArray *events = ctl_events_new();
		char   *err = NULL;
		int	live = 0;

		if (ctl_events_text(e->absences.values[i], i, events,
				    &err) < 0) {
			ctl_problem(problems, "bad-ical", e->dn,
			    "deputyAbsence value %zu does not parse: %s",
			    i + 1, err);
			g_free(err);
			ctl_events_free(events);
			continue;
		}
		for (k = 0; k < events->len; k++) {
			time_t	s, en;

			if (ctl_event_find(g_ptr_array_index(events, k),
					   c->now, 0, &s, &en))
				live = 1;
		}
		if (!live && events->len > 0) {
			const struct ctl_event *ev = g_ptr_array_index(events,
								       0);
			char   *t = ctl_fmt_time(ev->end, c->zone, 0);

			ctl_problem(problems, "expired", e->dn, "absence %s "
			    "ended %s; remove it with deputyctl back --id",
			    ev->uid, t);
			g_free(t);
		}
		active |= live;
		ctl_events_free(events);
	}

	/* delegates */
	values = ctl_values_of(e, &attr);
	if (active && values->count == 0)
		ctl_problem(problems, "no-delegate", e->dn, "has an absence "
		    "but no deputyDelegate, secretary or manager: nobody "
		    "gets a copy");
	away = ctl_away(e, c->now, NULL) == 1;
	for (i = 0; i < values->count; i++) {
		const char *v = values->values[i];
		struct dir_entry *de = NULL;
		int	rc;

		if (!ctl_is_dn(v) && !addr_is_safe(v)) {
			ctl_problem(problems, "unknown-delegate", e->dn,
			    "%s '%s' is neither a DN nor an address", attr, v);
			continue;
		}
		rc = ctl_lookup_value(c, v, &de, error_r);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			if (ctl_is_dn(v) || ctl_domain_is_local(c, e, v))
				ctl_problem(problems, "unknown-delegate",
				    e->dn, "%s '%s' names nobody in the "
				    "directory", attr, v);
			continue;
		}
		if (ctl_same_dn(de->dn, e->dn)) {
			ctl_problem(problems, "self-delegate", e->dn, "%s "
			    "'%s' is the user itself", attr, v);
		} else if (away && ctl_away(de, c->now, NULL) == 1) {
			const char *a2;
			const struct dir_strings *next = ctl_values_of(de, &a2);

			if (next->count == 0)
				ctl_problem(problems, "away-delegate", e->dn,
				    "delegate %s is away too and has nobody "
				    "behind it", de->mail != NULL ? de->mail
				    : de->dn);
		}
		dir_entry_free(&de);
	}

	/* cycles of away people through this entry */
	if (away) {
		GPtrArray *path = g_ptr_array_new_with_free_func(g_free);
		unsigned int lookups = 0;
		int	rc;

		g_ptr_array_add(path, g_strdup(e->dn));
		rc = ctl_cycle(c, e, e, path, &lookups, error_r);
		if (rc < 0) {
			g_ptr_array_free(path, TRUE);
			return -1;
		}
		if (rc == 1) {
			/* report each cycle once: from its smallest DN */
			char   *min = dir_dn_normalize(e->dn);
			int	smallest = 1;

			for (k = 1; k < path->len; k++) {
				char   *n = dir_dn_normalize(
				    g_ptr_array_index(path, k));

				if (strcmp(n, min) < 0)
					smallest = 0;
				g_free(n);
			}
			g_free(min);
			if (smallest) {
				char   *chain;

				g_ptr_array_add(path, g_strdup(e->dn));
				g_ptr_array_add(path, NULL);
				chain = g_strjoinv(" -> ",
				    (char **)path->pdata);
				ctl_problem(problems, "cycle", e->dn,
				    "delegation cycle with everyone away: %s",
				    chain);
				g_free(chain);
			}
		}
		g_ptr_array_free(path, TRUE);
	}
	return 0;
}

/* ctl_cmd_check - lint the directory; CTL_PROBLEMS when something is wrong */
int
ctl_cmd_check(struct ctl *c)
{
	GPtrArray *problems;
	char  **dns = NULL, *error = NULL;
	size_t	i, entries = 0;
	int	rc;

	if ((rc = ctl_list_dns(c, &dns)) != CTL_OK)
		return rc;
	problems = g_ptr_array_new_with_free_func(ctl_problem_free);
	for (i = 0; dns[i] != NULL; i++) {
		struct dir_entry *e = NULL;

		rc = dir_lookup_dn(c->dir, dns[i], &e, &error);
		if (rc == 0)
			continue;
		if (rc < 0 || ctl_check_entry(c, e, problems, &error) < 0) {
			rc = ctl_unreachable(dns[i], error);
			dir_entry_free(&e);
			goto out;
		}
		entries++;
		dir_entry_free(&e);
	}
	if (c->args->json) {
		struct ctl_json j;

		ctl_json_init(&j);
		ctl_json_begin(&j, NULL, 0);
		ctl_json_int(&j, "entries", (long long)entries);
		ctl_json_begin(&j, "problems", 1);
		for (i = 0; i < problems->len; i++) {
			const struct ctl_problem *p =
			    g_ptr_array_index(problems, i);

			ctl_json_begin(&j, NULL, 0);
			ctl_json_str(&j, "kind", p->kind);
			ctl_json_str(&j, "dn", p->dn);
			ctl_json_str(&j, "detail", p->detail);
			ctl_json_end(&j, 0);
		}
		ctl_json_end(&j, 1);
		ctl_json_end(&j, 0);
		ctl_json_print(&j, c->out);
	} else {
		for (i = 0; i < problems->len; i++) {
			const struct ctl_problem *p =
			    g_ptr_array_index(problems, i);

			fprintf(c->out, "%s: %s: %s\n", p->kind,
			    ctl_esc(p->dn), p->detail);
		}
		fprintf(c->out, "%zu entries checked, %u problems\n", entries,
		    problems->len);
	}
	rc = problems->len > 0 ? CTL_PROBLEMS : CTL_OK;
out:
	g_ptr_array_free(problems, TRUE);
	g_strfreev(dns);
	g_free(error);
	return rc;
}
