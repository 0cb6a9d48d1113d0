/*
 * NAME
 *	absence-rule - expand the rules, and whether an instance covers now
 * SUMMARY
 *	RRULEs are expanded in wall-clock time (libical shifts the day after
 *	a spring gap otherwise), DTSTART is always the first instance, and
 *	the expansion is bounded by a budget of steps and rules per check.
 * DIAGNOSTICS
 *	See absence.h and absence.c.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <libical/ical.h>

#include "absence-private.h"

/* absence_excluded - whether instance OCC of EV is an EXDATE */
static int
absence_excluded(const struct absence_event *ev, struct icaltimetype occ,
		 time_t start)
{
	guint	i;
	int	key;

	for (i = 0; i < ev->ex_times->len; i++)
		if (g_array_index(ev->ex_times, time_t, i) == start)
			return 1;
	key = absence_day_key(occ);
	for (i = 0; i < ev->ex_dates->len; i++)
		if (g_array_index(ev->ex_dates, int, i) == key)
			return 1;
	return 0;
}

/* absence_instance - whether instance OCC of EV covers NOW */
static void
absence_instance(const struct absence_event *ev, struct icaltimetype occ,
		 time_t now, struct absence_best *best)
{
	const struct absence_shift *sh = NULL;
	struct icaltimetype end_tt;
	time_t	start, end, dur_secs;
	int	dur_days;
	guint	i;

	start = absence_time(occ, ev->zone);
	if (start - ev->early > now || absence_excluded(ev, occ, start))
		return;
	/* the last THISANDFUTURE override before this instance moves it */
	for (i = 0; i < ev->shifts->len; i++) {
		const struct absence_shift *s = &g_array_index(ev->shifts,
						struct absence_shift, i);

		if (s->from >= start)
			break;
		sh = s;
	}
	dur_days = sh != NULL ? sh->dur_days : ev->dur_days;
	dur_secs = sh != NULL ? sh->dur_secs : ev->dur_secs;
	if (sh != NULL && sh->days != 0) {
		icaltime_adjust(&occ, sh->days, 0, 0, 0);
		start = absence_time(occ, ev->zone);
	} else if (sh != NULL) {
		start += sh->delta;
	}
	if (start > now)
		return;
	end_tt = occ;
	if (dur_days > 0 && (sh == NULL || sh->delta == 0)) {
		icaltime_adjust(&end_tt, dur_days, 0, 0, 0);
		end = absence_time(end_tt, ev->zone);
	} else {
		/* a moved timed instance: its days are 24 hours */
		end = start + (time_t)dur_days * 86400;
	}
	end += dur_secs;
	if (now >= end)
		return;
	if (!best->found || end > best->end) {
		best->found = 1;
		best->start = start;
		best->end = end;
	}
}

/* absence_same_local - whether A and B are the same local date-time */
static int
absence_same_local(struct icaltimetype a, struct icaltimetype b)
{
	return a.year == b.year && a.month == b.month && a.day == b.day
	    && (a.is_date || b.is_date || (a.hour == b.hour
	    && a.minute == b.minute && a.second == b.second));
}

/*
 * absence_rule_start - RULE and DTSTART as the iterator should see them
 *
 * libical's iterator, given a zoned DTSTART, normalizes an instance
 * that falls into the spring gap (02:30 becomes 03:30) and carries the
 * shifted hour into the next instance: a daily 02:30 comes out at
 * 03:30 the day after the change too. So the rule is expanded in wall
 * clock time (a floating DTSTART) and each instance is placed in the
 * zone afterwards by absence_time(); a UTC UNTIL is turned into the
 * zone's wall clock time to match.
 */
static void
absence_rule_start(const struct absence_event *ev,
		   struct icalrecurrencetype *rule, struct icaltimetype *st)
{
	time_t	until;

	*st = ev->start_tt;
	if (ev->zone == NULL || icaltime_is_utc(*st))
		return;
	st->zone = NULL;
	if (!icaltime_is_null_time(rule->until) && !rule->until.is_date
	    && icaltime_is_utc(rule->until)) {
		until = icaltime_as_timet_with_zone(rule->until,
					icaltimezone_get_utc_timezone());
		rule->until = icaltime_from_timet_with_zone(until, 0,
							    ev->zone);
		rule->until.zone = NULL;
	}
}

/*
 * absence_event_check - whether an instance of EV covers NOW
 *
 * DTSTART is always the first instance (RFC 5545 3.8.5.3), also when
 * it does not match the rule; libical 3.0 leaves it out then. What
 * COUNT means for such a DTSTART the RFC leaves undefined: the rule's
 * own instances are counted, as python-dateutil and
 * python-recurring-ical-events do (and the latter's tests expect for
 * two RRULEs with COUNT each).
 */
int
absence_event_check(const struct absence_event *ev, time_t now,
		    struct absence_budget *budget, struct absence_best *best,
		    char **error_r)
{
	icalrecur_iterator *it;
	struct icalrecurrencetype rule;
	struct icaltimetype occ, st;
	guint	i;

	if (ev->cancelled)
		return 0;
	for (i = 0; i < ev->rdates->len; i++)
		absence_instance(ev, g_array_index(ev->rdates,
						   struct icaltimetype, i),
				 now, best);
	absence_instance(ev, ev->start_tt, now, best);
	for (i = 0; i < ev->rrules->len; i++) {
		rule = *(struct icalrecurrencetype *)
		    g_ptr_array_index(ev->rrules, i);
		if (++budget->rules > ABSENCE_MAX_RULES)
			return absence_fail(error_r, "more than %d RRULEs to "
					    "expand", ABSENCE_MAX_RULES);
		absence_rule_start(ev, &rule, &st);
		icalerror_clear_errno();
		it = icalrecur_iterator_new(rule, st);
		if (it == NULL)
			return absence_fail(error_r, "cannot expand RRULE");
		for (;;) {
			if (++budget->steps > ABSENCE_MAX_STEPS) {
				icalrecur_iterator_free(it);
				return absence_fail(error_r, "RRULE needs more "
						    "than %d steps",
						    ABSENCE_MAX_STEPS);
			}
			occ = icalrecur_iterator_next(it);
			if (icaltime_is_null_time(occ))
				break;
			if (absence_same_local(occ, st))
				continue;	/* DTSTART, done above */
			if (absence_time(occ, ev->zone) - ev->early > now)
				break;
			absence_instance(ev, occ, now, best);
		}
		icalrecur_iterator_free(it);
	}
	return 0;
}
