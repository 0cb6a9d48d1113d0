/*
 * NAME
 *	ctl-show - deputyctl show: one user's absences, delegation, notice
 * SUMMARY
 *	The absences (each VEVENT with its UID), whether the user is away
 *	now and until when, the next absence, the delegation tree below
 *	the user (ctl-chain.c) and whom the copies go to now
 *	(delegate_resolve(), as deputy-lda), the notice policy and the
 *	template. Text for people, --json for programs.
 * DIAGNOSTICS
 *	CTL_OK; a directory failure is CTL_UNREACHABLE, an unknown user
 *	CTL_USAGE.
 * SECURITY
 *	Every value from the directory is printed through ctl_esc().
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "absence.h"
#include "ctl.h"

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
