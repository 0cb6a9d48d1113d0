/*
 * NAME
 *	ctl-read - deputyctl's reading commands: show, list, check, explain
 * SUMMARY
 *	Whether someone is away is always absence_check()'s answer and who
 *	gets the copies is always delegate_resolve()'s, the functions
 *	deputy-lda uses; explain runs lda_run() itself with explain set.
 *	What this file adds is presentation (text or --json) and, for
 *	check, the lint rules:
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
 *	check returns CTL_PROBLEMS when it found anything. A directory
 *	failure is CTL_UNREACHABLE.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/mman.h>

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "absence.h"
#include "addr.h"
#include "ctl.h"
#include "delegate.h"
#include "facts.h"
#include "lda.h"

#define CTL_MESSAGE_MAX		(64 * 1024 * 1024)
#define CTL_CHAIN_LOOKUPS	256

/* One finding of check. */
struct ctl_problem {
	const char *kind;
	char   *dn;
	char   *detail;
};

/* ctl_values_of - the delegate list of E and the attribute it came from */
static const struct dir_strings *
ctl_values_of(const struct dir_entry *e, const char **attr_r)
{
	if (e->delegates.count > 0) {
		*attr_r = "deputyDelegate";
		return &e->delegates;
	}
	if (e->secretaries.count > 0) {
		*attr_r = "secretary";
		return &e->secretaries;
	}
	*attr_r = "manager";
	return &e->managers;
}

/* ctl_away - absence_check() of E at T: 1, 0, -1 */
static int
ctl_away(const struct dir_entry *e, time_t t, struct absence_result *res)
{
	struct absence_result dummy;
	char   *err = NULL;
	int	rc;

	rc = absence_check((const char *const *)e->absences.values, t,
			   res != NULL ? res : &dummy, &err);
	g_free(err);
	return rc;
}

/* ctl_lookup_value - the entry a delegate value names: 1, 0, -1 */
static int
ctl_lookup_value(struct ctl *c, const char *value, struct dir_entry **de_r,
		 char **error_r)
{
	*de_r = NULL;
	*error_r = NULL;
	if (ctl_is_dn(value))
		return dir_lookup_dn(c->dir, value, de_r, error_r);
	if (!addr_is_safe(value))
		return 0;
	return dir_lookup(c->dir, value, de_r, error_r);
}

/* ctl_zone_for - the zone to show E's times in */
static const char *
ctl_zone_for(struct ctl *c, GPtrArray *events)
{
	guint	i;

	if (c->args->tz != NULL)
		return c->args->tz;
	for (i = 0; events != NULL && i < events->len; i++) {
		const struct ctl_event *ev = g_ptr_array_index(events, i);

		if (ev->zone != NULL && ctl_zone_ok(ev->zone))
			return ev->zone;
	}
	return c->zone;
}

/* ctl_chain - print the delegation tree below E; -1 when the directory failed */
static int
ctl_chain(struct ctl *c, const struct dir_entry *e, GPtrArray *path,
	  unsigned int depth, const char *zone, struct ctl_json *j,
	  unsigned int *lookups, char **error_r)
{
	const struct dir_strings *values;
	const char *attr;
	size_t	i;

	values = ctl_values_of(e, &attr);
	if (j != NULL)
		ctl_json_begin(j, "delegates", 1);
	for (i = 0; i < values->count; i++) {
		const char *v = values->values[i];
		struct dir_entry *de = NULL;
		struct absence_result res;
		char   *until = NULL;
		guint	k;
		int	rc, cycle = 0, away = 0;

		if (++*lookups > CTL_CHAIN_LOOKUPS)
			break;
		rc = ctl_lookup_value(c, v, &de, error_r);
		if (rc < 0)
			return -1;
		if (j != NULL) {
			ctl_json_begin(j, NULL, 0);
			ctl_json_str(j, "value", v);
			ctl_json_str(j, "attribute", attr);
		}
		if (rc == 0) {
			const char *what = ctl_is_dn(v) ? "names no entry"
			    : addr_is_safe(v) ? "outside address"
			    : "neither a DN nor an address";

			if (j != NULL) {
				ctl_json_str(j, "status", ctl_is_dn(v)
				    || !addr_is_safe(v) ? "unknown"
				    : "outside");
				ctl_json_end(j, 0);
			} else {
				fprintf(c->out, "  %*s%s: %s\n", (int)depth * 2,
				    "", ctl_esc(v), what);
			}
			continue;
		}
		for (k = 0; k < path->len; k++)
			if (ctl_same_dn(g_ptr_array_index(path, k), de->dn))
				cycle = 1;
		if (!cycle) {
			away = ctl_away(de, c->now, &res) == 1;
			if (away)
				until = ctl_fmt_time(res.end, zone, 0);
		}
		if (j != NULL) {
			ctl_json_str(j, "dn", de->dn);
			ctl_json_str(j, "mail", de->mail);
			ctl_json_str(j, "status", cycle ? "cycle" : away
			    ? "away" : "present");
			if (away)
				ctl_json_time(j, "until", res.end, zone);
		} else {
			fprintf(c->out, "  %*s%s -> %s: %s%s\n",
			    (int)depth * 2, "", ctl_esc(v), de->mail != NULL
			    ? ctl_esc(de->mail) : "(no mail)", cycle
			    ? "cycle, back to " : away ? "away until "
			    : "present", cycle ? ctl_esc(de->dn) : away ? until
			    : "");
		}
		if (away && !cycle
		    && depth + 1 < c->conf->max_delegate_depth + 1) {
			g_ptr_array_add(path, de->dn);
			rc = ctl_chain(c, de, path, depth + 1, zone, j,
				       lookups, error_r);
			g_ptr_array_remove_index(path, path->len - 1);
			if (rc < 0) {
				g_free(until);
				dir_entry_free(&de);
				return -1;
			}
		} else if (j != NULL) {
			ctl_json_begin(j, "delegates", 1);
			ctl_json_end(j, 1);
		}
		if (j != NULL)
			ctl_json_end(j, 0);
		g_free(until);
		dir_entry_free(&de);
	}
	if (j != NULL)
		ctl_json_end(j, 1);
	return 0;
}

/* ctl_resolve - delegate_resolve() with the configured limits */
static int
ctl_resolve(struct ctl *c, const struct dir_entry *e, time_t t,
	    struct dir_strings *addrs, struct dir_strings *warnings,
	    char **error_r)
{
	struct delegate_limits lim = { c->conf->max_delegate_depth,
	    c->conf->max_delegates };

	return delegate_resolve(c->dir, e, t, &lim, addrs, warnings, error_r);
}

/* ctl_cmd_show - one user: absences, delegation, notice, template */
int
ctl_cmd_show(struct ctl *c)
{
	struct dir_entry *e = NULL;
	struct absence_result res;
	struct dir_strings addrs = { NULL, 0 }, warns = { NULL, 0 };
	struct ctl_json js, *j = NULL;
	GPtrArray *events, *path;
	const char *zone, *attr;
	char   *error = NULL;
	time_t	next_s = 0, next_e = 0;
	const struct ctl_event *next_ev = NULL;
	unsigned int lookups = 0;
	size_t	i;
	int	rc, away;

	if (ctl_user_arg(c, NULL, c->args->pos[0], &e, &rc) != 1)
		return rc;
	events = ctl_events_new();
	for (i = 0; i < e->absences.count; i++) {
		char   *err = NULL;

		if (ctl_events_text(e->absences.values[i], i, events,
				    &err) < 0)
			g_free(err);
	}
	zone = ctl_zone_for(c, events);
	away = ctl_away(e, c->now, &res);
	for (i = 0; i < events->len; i++) {
		const struct ctl_event *ev = g_ptr_array_index(events, i);
		time_t	s, en;

		if (ctl_event_find(ev, c->now, 1, &s, &en)
		    && (next_ev == NULL || s < next_s)) {
			next_ev = ev;
			next_s = s;
			next_e = en;
		}
	}
	if (ctl_resolve(c, e, c->now, &addrs, &warns, &error) < 0) {
		rc = ctl_unreachable(e->mail, error);
		goto out;
	}
	if (c->args->json) {
		j = &js;
		ctl_json_init(j);
		ctl_json_begin(j, NULL, 0);
		ctl_json_str(j, "user", e->mail);
		ctl_json_str(j, "dn", e->dn);
		ctl_json_str(j, "name", e->display_name);
		ctl_json_str(j, "zone", zone);
		ctl_json_time(j, "now", c->now, zone);
		ctl_json_bool(j, "away", away == 1);
		if (away < 0)
			ctl_json_str(j, "error", "an absence does not parse");
		if (away == 1) {
			ctl_json_begin(j, "current", 0);
			ctl_json_time(j, "start", res.start, zone);
			ctl_json_time(j, "end", res.end, zone);
			ctl_json_end(j, 0);
		}
		if (next_ev != NULL) {
			ctl_json_begin(j, "next", 0);
			ctl_json_str(j, "uid", next_ev->uid);
			ctl_json_time(j, "start", next_s, zone);
			ctl_json_time(j, "end", next_e, zone);
			ctl_json_end(j, 0);
		}
		ctl_json_begin(j, "absences", 1);
		for (i = 0; i < events->len; i++) {
			const struct ctl_event *ev = g_ptr_array_index(events,
								       i);

			ctl_json_begin(j, NULL, 0);
			ctl_json_str(j, "uid", ev->uid);
			ctl_json_str(j, "summary", ev->summary);
			ctl_json_time(j, "start", ev->start, zone);
			ctl_json_time(j, "end", ev->end, zone);
			ctl_json_bool(j, "all_day", ev->all_day);
			ctl_json_str(j, "rrule", ev->rrule);
			ctl_json_str(j, "tzid", ev->zone);
			ctl_json_end(j, 0);
		}
		ctl_json_end(j, 1);
	} else {
		fprintf(c->out, "user:      %s (%s)\n", ctl_esc(e->mail),
		    ctl_esc(e->dn));
		if (e->display_name != NULL)
			fprintf(c->out, "name:      %s\n",
			    ctl_esc(e->display_name));
		if (away == 1) {
			char   *s1 = ctl_fmt_time(res.start, zone, 0);
			char   *s2 = ctl_fmt_time(res.end, zone, 0);

			fprintf(c->out, "away:      yes, since %s, until %s\n",
			    s1, s2);
			g_free(s1);
			g_free(s2);
		} else {
			fprintf(c->out, "away:      %s\n", away < 0 ? "no (an "
			    "absence does not parse: see deputyctl check)"
			    : "no");
		}
		if (next_ev != NULL) {
			char   *s1 = ctl_fmt_time(next_s, zone, 0);
			char   *s2 = ctl_fmt_time(next_e, zone, 0);

			fprintf(c->out, "next:      %s until %s (UID %s)\n",
			    s1, s2, ctl_esc(next_ev->uid));
			g_free(s1);
			g_free(s2);
		} else {
			fprintf(c->out, "next:      none\n");
		}
		fprintf(c->out, "absences:  %zu\n", e->absences.count);
		for (i = 0; i < events->len; i++) {
			const struct ctl_event *ev = g_ptr_array_index(events,
								       i);
			char   *s1 = ctl_fmt_time(ev->start, zone, 0);
			char   *s2 = ctl_fmt_time(ev->end, zone, 0);

			fprintf(c->out, "  %s .. %s%s%s%s%s  UID %s\n", s1, s2,
			    ev->rrule != NULL ? ", every " : "",
			    ev->rrule != NULL ? ctl_esc(ev->rrule) : "",
			    ev->summary != NULL ? ", " : "",
			    ev->summary != NULL ? ctl_esc(ev->summary) : "",
			    *ev->uid != '\0' ? ctl_esc(ev->uid) : "(none)");
			g_free(s1);
			g_free(s2);
		}
		(void)ctl_values_of(e, &attr);
		fprintf(c->out, "delegates: (%s)\n", attr);
	}
	path = g_ptr_array_new();
	g_ptr_array_add(path, e->dn);
	rc = ctl_chain(c, e, path, 0, zone, j, &lookups, &error);
	g_ptr_array_free(path, TRUE);
	if (rc < 0) {
		if (j != NULL)
			ctl_json_discard(j);
		rc = ctl_unreachable(e->mail, error);
		goto out;
	}
	if (j != NULL) {
		ctl_json_begin(j, "copies_to", 1);
		for (i = 0; i < addrs.count; i++)
			ctl_json_str(j, NULL, addrs.values[i]);
		ctl_json_end(j, 1);
		ctl_json_begin(j, "warnings", 1);
		for (i = 0; i < warns.count; i++)
			ctl_json_str(j, NULL, warns.values[i]);
		ctl_json_end(j, 1);
		ctl_json_str(j, "notice", ctl_notice_name(e->notice));
		ctl_json_str(j, "notice_default",
		    ctl_notice_name(c->conf->default_notice));
		ctl_json_str(j, "template", e->template_name);
		ctl_json_str(j, "template_default", c->conf->template_name);
		ctl_json_end(j, 0);
		ctl_json_print(j, c->out);
	} else {
		char   *to = g_strjoinv(", ", addrs.values);

		fprintf(c->out, "copies to: %s\n", addrs.count > 0 ? ctl_esc(to)
		    : away == 1 ? "nobody (mail stays in the mailbox)"
		    : "nobody now (not away)");
		g_free(to);
		for (i = 0; i < warns.count; i++)
			fprintf(c->out, "warning:   %s\n",
			    ctl_esc(warns.values[i]));
		if (e->notice == DIR_NOTICE_DEFAULT)
			fprintf(c->out, "notice:    %s (the default)\n",
			    ctl_notice_name(c->conf->default_notice));
		else
			fprintf(c->out, "notice:    %s\n",
			    ctl_notice_name(e->notice));
		if (e->template_name != NULL)
			fprintf(c->out, "template:  %s\n",
			    ctl_esc(e->template_name));
		else
			fprintf(c->out, "template:  %s (the default)\n",
			    ctl_esc(c->conf->template_name));
	}
	rc = CTL_OK;
out:
	g_free(error);
	dir_strings_free(&addrs);
	dir_strings_free(&warns);
	ctl_events_free(events);
	dir_entry_free(&e);
	return rc;
}

/* ctl_list_dns - the DNs of entries with deputy attributes, or a status */
static int
ctl_list_dns(struct ctl *c, char ***dns_r)
{
	char   *error = NULL;
	int	rc;

	if (dir_admin_list(c->admin, dns_r, &error) < 0) {
		rc = ctl_unreachable(NULL, error);
		g_free(error);
		return rc;
	}
	return CTL_OK;
}

/* ctl_names - whether E's delegate values or RESOLVED name WHO */
static int
ctl_names(const struct dir_entry *e, const struct dir_strings *resolved,
	  const struct dir_entry *who, const char *who_addr)
{
	const struct dir_strings *values;
	const char *attr;
	size_t	i;

	for (i = 0; i < resolved->count; i++)
		if (g_ascii_strcasecmp(resolved->values[i], who_addr) == 0
		    || (who != NULL && dir_entry_has_address(who,
		    resolved->values[i])))
			return 1;
	values = ctl_values_of(e, &attr);
	for (i = 0; i < values->count; i++) {
		const char *v = values->values[i];

		if (ctl_is_dn(v) ? who != NULL && ctl_same_dn(v, who->dn)
		    : (g_ascii_strcasecmp(v, who_addr) == 0
		       || (who != NULL && dir_entry_has_address(who, v))))
			return 1;
	}
	return 0;
}

/* ctl_cmd_list - who is away (now or --on DATE), and who covers */
int
ctl_cmd_list(struct ctl *c)
{
	const struct ctl_args *a = c->args;
	struct dir_entry *who = NULL;
	struct ctl_json js, *j = NULL;
	char  **dns = NULL, *error = NULL;
	const char *who_addr = NULL;
	time_t	at = c->now;
	size_t	i, count = 0;
	int	rc;

	if (a->on != NULL) {
		struct icaltimetype tt;

		if (ctl_parse_date(a->on, &tt) < 0)
			return ctl_usage2("--on", a->on, "not a date "
			    "(YYYY-MM-DD or YYYY-MM-DDTHH:MM)");
		if (tt.is_date) {
			tt.is_date = 0;
			tt.hour = 12;		/* that day: its middle */
		}
		if (ctl_time_at(&tt, c->zone, &at) < 0)
			return ctl_usage2("--on", a->on, "does not exist "
			    "in the time zone");
	}
	if (a->delegates->len > 1)
		return ctl_usage("--delegate", "given twice");
	if (a->delegates->len == 1) {
		const char *w = g_ptr_array_index(a->delegates, 0);

		rc = ctl_user(c, w, &who, &error);
		if (rc < 0) {
			rc = ctl_unreachable(w, error);
			g_free(error);
			return rc;
		}
		if (rc == 0 && (strchr(w, '@') == NULL || !addr_is_safe(w))) {
			char   *named = g_strdup_printf("--delegate %s", w);

			rc = ctl_usage(named, "no such user in the directory");
			g_free(named);
			return rc;
		}
		who_addr = who != NULL && who->mail != NULL ? who->mail : w;
	}
	if ((rc = ctl_list_dns(c, &dns)) != CTL_OK)
		goto out;
	if (a->json) {
		j = &js;
		ctl_json_init(j);
		ctl_json_begin(j, NULL, 0);
		ctl_json_time(j, "on", at, c->zone);
		ctl_json_begin(j, "away", 1);
	}
	for (i = 0; dns[i] != NULL; i++) {
		struct dir_entry *e = NULL;
		struct absence_result res;
		struct dir_strings addrs = { NULL, 0 }, warns = { NULL, 0 };

		rc = dir_lookup_dn(c->dir, dns[i], &e, &error);
		if (rc < 0) {
			rc = ctl_unreachable(dns[i], error);
			if (j != NULL)
				ctl_json_discard(j);
			goto out;
		}
		if (rc == 0 || ctl_away(e, at, &res) != 1) {
			dir_entry_free(&e);
			continue;
		}
		if (ctl_resolve(c, e, at, &addrs, &warns, &error) < 0) {
			rc = ctl_unreachable(dns[i], error);
			dir_entry_free(&e);
			if (j != NULL)
				ctl_json_discard(j);
			goto out;
		}
		if (who_addr == NULL || ctl_names(e, &addrs, who, who_addr)) {
			count++;
			if (j != NULL) {
				size_t	k;

				ctl_json_begin(j, NULL, 0);
				ctl_json_str(j, "user", e->mail);
				ctl_json_str(j, "dn", e->dn);
				ctl_json_time(j, "start", res.start, c->zone);
				ctl_json_time(j, "end", res.end, c->zone);
				ctl_json_begin(j, "covered_by", 1);
				for (k = 0; k < addrs.count; k++)
					ctl_json_str(j, NULL,
						     addrs.values[k]);
				ctl_json_end(j, 1);
				ctl_json_end(j, 0);
			} else {
				char   *until = ctl_fmt_time(res.end, c->zone,
							     0);
				char   *to = g_strjoinv(", ", addrs.values);

				fprintf(c->out, "%s  until %s  covered by: "
				    "%s\n", ctl_esc(e->mail != NULL ? e->mail
				    : e->dn), until, addrs.count > 0
				    ? ctl_esc(to) : "nobody");
				g_free(until);
				g_free(to);
			}
		}
		dir_strings_free(&addrs);
		dir_strings_free(&warns);
		dir_entry_free(&e);
	}
	if (j != NULL) {
		ctl_json_end(j, 1);
		ctl_json_end(j, 0);
		ctl_json_print(j, c->out);
	} else if (count == 0) {
		fprintf(c->out, "nobody is away%s\n", who_addr != NULL
		    ? " with that delegate" : "");
	}
	rc = CTL_OK;
out:
	g_free(error);
	g_strfreev(dns);
	dir_entry_free(&who);
	return rc;
}

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

/*
 * ctl_cycle - whether following delegates from E comes back to START with
 * everyone on the way away; PATH collects the DNs. -1: directory failed.
 */
static int
ctl_cycle(struct ctl *c, const struct dir_entry *start,
	  const struct dir_entry *e, GPtrArray *path, unsigned int *lookups,
	  char **error_r)
{
	const struct dir_strings *values;
	const char *attr;
	size_t	i;
	guint	k;

	if (path->len > 16)
		return 0;
	values = ctl_values_of(e, &attr);
	for (i = 0; i < values->count; i++) {
		struct dir_entry *de = NULL;
		int	rc, seen = 0;

		if (++*lookups > CTL_CHAIN_LOOKUPS)
			return 0;
		rc = ctl_lookup_value(c, values->values[i], &de, error_r);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		if (ctl_same_dn(de->dn, start->dn)) {
			dir_entry_free(&de);
			return path->len > 1 ? 1 : 0;	/* self: separate */
		}
		for (k = 0; k < path->len; k++)
			if (ctl_same_dn(g_ptr_array_index(path, k), de->dn))
				seen = 1;
		if (!seen && ctl_away(de, c->now, NULL) == 1) {
			g_ptr_array_add(path, g_strdup(de->dn));
			rc = ctl_cycle(c, start, de, path, lookups, error_r);
			if (rc != 0) {
				dir_entry_free(&de);
				return rc;
			}
			g_free(g_ptr_array_steal_index(path, path->len - 1));
		}
		dir_entry_free(&de);
	}
	return 0;
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

/* ctl_read_stdin - the message, bounded */
static int
ctl_read_stdin(GString *buf)
{
	char	chunk[65536];
	ssize_t	n;

	for (;;) {
		n = read(0, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (buf->len + (size_t)n > CTL_MESSAGE_MAX)
			return -1;
		g_string_append_len(buf, chunk, n);
	}
}

/* ctl_header - the unfolded value of header NAME in the head of MSG */
static char *
ctl_header(const GString *msg, const char *name)
{
	size_t	nlen = strlen(name), i = 0;

	while (i < msg->len) {
		const char *line = msg->str + i;
		const char *nl = memchr(line, '\n', msg->len - i);
		size_t	llen = nl != NULL ? (size_t)(nl - line)
		    : msg->len - i;

		if (llen == 0 || (llen == 1 && line[0] == '\r'))
			break;			/* end of the header */
		if (llen > nlen && line[nlen] == ':'
		    && g_ascii_strncasecmp(line, name, nlen) == 0) {
			GString *v = g_string_new_len(line + nlen + 1,
			    (gssize)(llen - nlen - 1));
			size_t	j = i + llen + 1;

			while (j < msg->len && (msg->str[j] == ' '
			       || msg->str[j] == '\t')) {
				const char *l2 = msg->str + j;
				const char *n2 = memchr(l2, '\n', msg->len - j);
				size_t	len2 = n2 != NULL ? (size_t)(n2 - l2)
				    : msg->len - j;

				g_string_append_len(v, l2, (gssize)len2);
				j += len2 + 1;
			}
			return g_strstrip(g_string_free(v, FALSE));
		}
		i += llen + 1;
	}
	return NULL;
}

/* ctl_message_sender - Return-Path, else the first From address */
static char *
ctl_message_sender(const GString *msg)
{
	InternetAddressList *list;
	char   *v, *out = NULL;

	if ((v = ctl_header(msg, "Return-Path")) != NULL) {
		char   *lt = strchr(v, '<'), *gt = strrchr(v, '>');

		if (lt != NULL && gt != NULL && gt > lt)
			out = g_strndup(lt + 1, (gsize)(gt - lt - 1));
		else
			out = g_strdup(v);
		g_strstrip(out);
		g_free(v);
		return out;
	}
	if ((v = ctl_header(msg, "From")) == NULL)
		return NULL;
	list = internet_address_list_parse(NULL, v);
	g_free(v);
	if (list == NULL)
		return NULL;
	if (internet_address_list_length(list) > 0) {
		InternetAddress *ia = internet_address_list_get_address(list,
									0);

		if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			out = g_strdup(internet_address_mailbox_get_addr(
			    INTERNET_ADDRESS_MAILBOX(ia)));
	}
	g_object_unref(list);
	return out;
}

/* ctl_explain_json - the text record of lda_explain() as JSON */
static void
ctl_explain_json(const char *text, FILE *out)
{
	struct ctl_json j;
	char  **lines, **l;
	int	in_gate = 0;

	ctl_json_init(&j);
	ctl_json_begin(&j, NULL, 0);
	lines = g_strsplit(text, "\n", -1);
	for (l = lines; *l != NULL; l++) {
		char   *line = *l, *colon;

		if (*line == '\0')
			continue;
		if (g_str_has_prefix(line, "    ") && in_gate) {
			char  **f = g_strsplit_set(g_strstrip(line), " ", 2);

			ctl_json_begin(&j, NULL, 0);
			ctl_json_str(&j, "rule", f[0]);
			if (f[1] != NULL) {
				char   *rest = g_strstrip(f[1]);
				char  **g = g_strsplit(rest, "  ", 2);

				ctl_json_str(&j, "verdict", g[0]);
				if (g[1] != NULL)
					ctl_json_str(&j, "detail",
					    g_strstrip(g[1]));
				g_strfreev(g);
			}
			ctl_json_end(&j, 0);
			g_strfreev(f);
			continue;
		}
		if (in_gate) {
			ctl_json_end(&j, 1);
			in_gate = 0;
		}
		colon = strchr(line, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		g_strstrip(line);
		if (strcmp(line, "gate") == 0) {
			ctl_json_begin(&j, "gate", 1);
			in_gate = 1;
			continue;
		}
		ctl_json_str(&j, line, g_strstrip(colon + 1));
	}
	if (in_gate)
		ctl_json_end(&j, 1);
	g_strfreev(lines);
	ctl_json_end(&j, 0);
	ctl_json_print(&j, out);
}

/* ctl_cmd_explain - what deputy-lda would do with the message on stdin */
int
ctl_cmd_explain(struct ctl *c)
{
	const struct ctl_args *a = c->args;
	struct lda_options opt;
	struct dir_entry *e = NULL;
	const char *rcpts[2] = { NULL, NULL };
	const char *dsn = NULL;
	GString *msg;
	char   *sender = NULL, *error = NULL, *record = NULL;
	size_t	record_len = 0;
	FILE   *rec = NULL;
	int	fd = -1, rc;

	facts_init();
	if (ctl_user_arg(c, NULL, a->pos[0], &e, &rc) != 1)
		return rc;
	msg = g_string_new(NULL);
	if (ctl_read_stdin(msg) < 0) {
		rc = ctl_usage("stdin", "cannot read the message (or larger "
		    "than %d bytes)", CTL_MESSAGE_MAX);
		goto out;
	}
	if (msg->len == 0) {
		rc = ctl_usage("stdin", "no message (explain USER < "
		    "message.eml)");
		goto out;
	}
	if (a->from != NULL)
		sender = g_strdup(a->from);
	else if ((sender = ctl_message_sender(msg)) == NULL)
		sender = g_strdup("");
	if (*sender != '\0' && strcmp(sender, "<>") != 0
	    && !addr_is_safe(sender)) {
		rc = ctl_usage2(a->from != NULL ? "--from" : "sender", sender,
		    "not a mail address");
		goto out;
	}
	if (a->client != NULL && !g_hostname_is_ip_address(a->client)) {
		rc = ctl_usage2("--client", a->client, "not an IP address");
		goto out;
	}
	fd = memfd_create("deputyctl-explain", MFD_CLOEXEC);
	if (fd < 0 || write(fd, msg->str, msg->len) != (ssize_t)msg->len
	    || lseek(fd, 0, SEEK_SET) != 0) {
		rc = ctl_usage("stdin", "cannot keep the message: %s",
		    g_strerror(errno));
		goto out;
	}
	rcpts[0] = e->mail;
	memset(&opt, 0, sizeof(opt));
	opt.config_path = a->config;
	opt.sender = sender;
	opt.client = a->client;
	opt.recipients = rcpts;
	opt.explain = 1;
	opt.input_fd = fd;
	opt.now = c->now;
	if (a->json) {
		rec = open_memstream(&record, &record_len);
		fprintf(rec, "sender: %s\n", *sender != '\0' ? sender : "<>");
		opt.explain_out = rec;
	} else {
		opt.explain_out = c->out;
	}
	if (!a->json)
		fprintf(c->out, "sender: %s\n", *sender != '\0'
		    ? ctl_esc(sender) : "<>");
	if (lda_run(&opt, &dsn, &error) != 0) {
		if (dsn != NULL && strcmp(dsn, "4.3.5") == 0)
			rc = ctl_usage(a->config != NULL ? a->config
			    : conf_default_path(), "%s", error);
		else
			rc = ctl_unreachable(e->mail, error);
		goto out;
	}
	if (rec != NULL) {
		fclose(rec);
		rec = NULL;
		ctl_explain_json(record, c->out);
	}
	rc = CTL_OK;
out:
	if (rec != NULL)
		fclose(rec);
	free(record);
	if (fd >= 0)
		close(fd);
	g_free(sender);
	g_free(error);
	g_string_free(msg, TRUE);
	dir_entry_free(&e);
	return rc;
}
