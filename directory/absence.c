/*
 * NAME
 *	absence - is a user away at a given instant
 * SUMMARY
 *	Each deputyAbsence value is iCalendar text, a VCALENDAR with
 *	VEVENTs (and VTIMEZONEs) or a bare VEVENT, parsed by libical. An
 *	event is an absence from DTSTART to DTEND (exclusive), or to
 *	DTSTART + DURATION, repeated by RRULE and RDATE, minus EXDATE and
 *	the instances that a RECURRENCE-ID sibling with the same UID
 *	replaces. Events with STATUS:CANCELLED are ignored.
 *
 *	Only what defines time is read: the components VCALENDAR, VEVENT,
 *	VTIMEZONE, STANDARD, DAYLIGHT and the properties UID, DTSTART,
 *	DTEND, DURATION, RRULE, RDATE, EXDATE, RECURRENCE-ID, STATUS
 *	(CANCELLED), TZID, TZOFFSETFROM, TZOFFSETTO. Everything else is
 *	dropped before libical parses, so that an empty DESCRIPTION: or a
 *	property libical does not know (LINK, SUBCALENDAR-ID) in a
 *	client's export does not make the whole value unusable.
 *
 *	Interpretation, where RFC 5545 leaves room or deputy differs:
 *	- A TZID that tzdata knows (an IANA name, or one with a vendor
 *	  prefix such as "/mozilla.org/20050126_1/Europe/Berlin") is the
 *	  system's zone, even when the calendar has a VTIMEZONE of that
 *	  name (exports cut theirs short); other names need a VTIMEZONE.
 *	- Local times follow RFC 5545 3.3.5: one that occurs twice is the
 *	  first; one in the spring gap takes the offset before the gap.
 *	- DTSTART is always the first instance, also when it does not
 *	  match the RRULE; COUNT counts the rule's own instances then.
 *	- A DATE-TIME RECURRENCE-ID or EXDATE of an all-day event (as
 *	  Outlook writes them) names the day it falls on.
 *	- An override with RANGE=THISANDFUTURE moves the later instances
 *	  as far as it moved its own, and gives them its length; a day
 *	  of such a moved timed instance is 24 hours.
 *	- A DATE-TIME without TZID is in the zone that the calendar's
 *	  X-WR-TIMEZONE names (Google's exports), when tzdata knows it;
 *	  else a floating time (no TZID, no "Z") is taken as UTC.
 *	- All-day (DATE) values begin at midnight in their TZID when one
 *	  is given (deputyctl writes one), else at midnight UTC.
 *	- An all-day event without DTEND or DURATION is that one day; an
 *	  all-day DTEND equal to DTSTART is taken as that one day too.
 *	- A DATE-TIME event without DTEND or DURATION ends when it starts
 *	  (RFC 5545 3.6.1): a reminder, not an absence; it covers no
 *	  instant. (deputy took it as open-ended before issue 19.)
 *	- An exact DTEND - DTSTART applies to every instance; a DURATION's
 *	  days and weeks are calendar days (23 or 25 hours on DST days).
 *	- When instances overlap, the reported one is the covering instance
 *	  with the latest end; its end is not merged with abutting ones.
 * DIAGNOSTICS
 *	-1 with *error_r when any value cannot be used: larger than 64 KiB,
 *	not iCalendar, no VEVENT, an X-LIC-ERROR that libical inserted for
 *	a bad line among those read, missing or invalid DTSTART, unknown
 *	TZID, DTEND before DTSTART, a bad RRULE, or recurrences
 *	that need more than 100000 steps to reach NOW or more than 16
 *	RRULEs in all (libical may spend up to about half a second on a
 *	rule that never matches; this bounds the total). One
 *	broken value makes the whole check fail, whatever the others say,
 *	so that the result does not depend on the order of the values.
 * SECURITY
 *	Values are user-editable (deputyctl, LDAP self-service): sizes,
 *	nesting and recurrence expansion are bounded. BEGIN/END nesting is
 *	checked before libical parses, because libical reports a stray END
 *	on stderr.
 * BUGS
 *	RDATE;VALUE=PERIOD is refused. Years outside 1900-9999 are invalid,
 *	and libical refuses to expand some far-future rules (DTSTART in
 *	9999, say): that is reported as an error.
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

/* absence_fail - set *error_r (when wanted) and return -1 */
int
absence_fail(char **error_r, const char *fmt, ...)
{
	va_list	ap;

	if (error_r != NULL && *error_r == NULL) {
		va_start(ap, fmt);
		*error_r = g_strdup_vprintf(fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* absence_event_free - release one event (not its component) */
static void
absence_event_free(gpointer data)
{
	struct absence_event *ev = data;

	g_ptr_array_free(ev->rrules, TRUE);
	g_array_free(ev->rdates, TRUE);
	g_array_free(ev->ex_times, TRUE);
	g_array_free(ev->ex_dates, TRUE);
	g_array_free(ev->shifts, TRUE);
	g_free(ev);
}

/* absence_value_free - release a parsed value */
static void
absence_value_free(struct absence_value *val)
{
	if (val->events != NULL)
		g_ptr_array_free(val->events, TRUE);
	if (val->root != NULL)
		icalcomponent_free(val->root);
	val->events = NULL;
	val->root = NULL;
}

/* absence_check_errors - the first X-LIC-ERROR libical inserted, if any */
static int
absence_check_errors(icalcomponent *comp, int depth, char **error_r)
{
	icalproperty *prop;
	icalcomponent *child;
	const char *text;

	if (depth > ABSENCE_MAX_DEPTH)
		return absence_fail(error_r, "iCalendar components nested "
				    "deeper than %d", ABSENCE_MAX_DEPTH);
	prop = icalcomponent_get_first_property(comp, ICAL_XLICERROR_PROPERTY);
	if (prop != NULL) {
		text = icalproperty_get_xlicerror(prop);
		return absence_fail(error_r, "iCalendar error: %s",
				    text != NULL ? text : "(no text)");
	}
	for (child = icalcomponent_get_first_component(comp,
						       ICAL_ANY_COMPONENT);
	     child != NULL;
	     child = icalcomponent_get_next_component(comp,
						      ICAL_ANY_COMPONENT)) {
		if (absence_check_errors(child, depth + 1, error_r) < 0)
			return -1;
	}
	return 0;
}

/* absence_collect - the VEVENTs of ROOT (a VCALENDAR, VEVENT or XROOT) */
static int
absence_collect(icalcomponent *comp, int depth, GPtrArray *out,
		char **error_r)
{
	icalcomponent *child;
	icalcomponent_kind kind;

	kind = icalcomponent_isa(comp);
	if (kind == ICAL_VEVENT_COMPONENT) {
		if (out->len >= ABSENCE_MAX_EVENTS)
			return absence_fail(error_r, "more than %d VEVENTs",
					    ABSENCE_MAX_EVENTS);
		g_ptr_array_add(out, comp);
		return 0;
	}
	if ((kind != ICAL_VCALENDAR_COMPONENT && kind != ICAL_XROOT_COMPONENT)
	    || depth >= 2)
		return 0;
	for (child = icalcomponent_get_first_component(comp,
						       ICAL_ANY_COMPONENT);
	     child != NULL;
	     child = icalcomponent_get_next_component(comp,
						      ICAL_ANY_COMPONENT)) {
		if (absence_collect(child, depth + 1, out, error_r) < 0)
			return -1;
	}
	return 0;
}

/* absence_add_exclusion - record one EXDATE-like value of EV */
static int
absence_add_exclusion(struct absence_event *ev, struct icaltimetype tt,
		      icaltimezone *zone, char **error_r)
{
	time_t	t;
	int	key;

	if (ev->ex_times->len + ev->ex_dates->len >= ABSENCE_MAX_DATES)
		return absence_fail(error_r, "more than %d EXDATE values",
				    ABSENCE_MAX_DATES);
	if (tt.is_date && !ev->start_tt.is_date) {
		key = absence_day_key(tt);
		g_array_append_val(ev->ex_dates, key);
	} else if (!tt.is_date && ev->start_tt.is_date) {
		/*
		 * A day of an all-day event named by a DATE-TIME, as Outlook
		 * writes the RECURRENCE-ID of a moved all-day instance
		 * (midnight in its own zone): the day as written, or in the
		 * event's zone for a UTC value.
		 */
		if (icaltime_is_utc(tt) && ev->zone != NULL)
			tt = icaltime_from_timet_with_zone(absence_time(tt,
			    NULL), 0, ev->zone);
		key = absence_day_key(tt);
		g_array_append_val(ev->ex_dates, key);
	} else {
		/* a floating exclusion is in the zone of DTSTART */
		if (zone == NULL && !icaltime_is_utc(tt))
			zone = ev->zone;
		t = absence_time(tt, zone);
		g_array_append_val(ev->ex_times, t);
	}
	return 0;
}

/* absence_days_between - whole days from date A to date B */
static long
absence_days_between(struct icaltimetype a, struct icaltimetype b)
{
	a.is_date = b.is_date = 1;
	return (long)((icaltime_as_timet_with_zone(b, NULL)
		       - icaltime_as_timet_with_zone(a, NULL)) / 86400);
}

/* absence_duration - DTEND or DURATION into days and seconds */
static int
absence_duration(struct absence_event *ev, char **error_r)
{
	icalproperty *dtend, *duration;
	struct icaltimetype end_tt;
	struct icaldurationtype d;
	icaltimezone *end_zone;
	time_t	start, end;
	long	days;

	dtend = icalcomponent_get_first_property(ev->comp,
						 ICAL_DTEND_PROPERTY);
	duration = icalcomponent_get_first_property(ev->comp,
						    ICAL_DURATION_PROPERTY);
	/*
	 * RFC 5545 forbids both; Thunderbird writes DURATION:PT0S beside
	 * the DTEND of some overrides. DTEND wins, as in the reference
	 * implementations.
	 */
	if (dtend != NULL) {
		if (absence_prop_time(ev->comp, dtend, "DTEND", &end_tt,
				      &end_zone, error_r) < 0)
			return -1;
		if (ev->start_tt.is_date != end_tt.is_date)
			return absence_fail(error_r, "DTEND and DTSTART are "
					    "not both DATE or both DATE-TIME");
		if (end_tt.is_date) {
			days = absence_days_between(ev->start_tt, end_tt);
			if (days < 0)
				return absence_fail(error_r,
						    "DTEND before DTSTART");
			if (days > 100000)
				return absence_fail(error_r,
						    "absence longer than "
						    "100000 days");
			ev->dur_days = days == 0 ? 1 : (int)days;
			ev->dur_secs = 0;
			return 0;
		}
		start = absence_time(ev->start_tt, ev->zone);
		end = absence_time(end_tt, end_zone);
		if (end < start)
			return absence_fail(error_r, "DTEND before DTSTART");
		ev->dur_days = 0;
		ev->dur_secs = end - start;
		return 0;
	}
	if (duration != NULL) {
		d = icalproperty_get_duration(duration);
		if (icaldurationtype_is_bad_duration(d))
			return absence_fail(error_r, "bad DURATION");
		if (d.is_neg)
			return absence_fail(error_r, "negative DURATION");
		if (d.weeks > 10000 || d.days > 100000)
			return absence_fail(error_r, "DURATION too long");
		ev->dur_days = (int)(d.weeks * 7 + d.days);
		ev->dur_secs = (time_t)d.hours * 3600 + (time_t)d.minutes * 60
			+ (time_t)d.seconds;
		return 0;
	}
	if (ev->start_tt.is_date) {
		ev->dur_days = 1;
		ev->dur_secs = 0;
		return 0;
	}
	/* RFC 5545 3.6.1: it ends when it starts, and covers no instant */
	ev->dur_days = 0;
	ev->dur_secs = 0;
	return 0;
}

/* absence_event_prepare - check one VEVENT and extract what we need */
static int
absence_event_prepare(icalcomponent *comp, struct absence_event **ev_r,
		      char **error_r)
{
	struct absence_event *ev;
	struct icalrecurrencetype *rule;
	struct icaltimetype tt;
	icaltimezone *zone;
	icalproperty *prop;
	GPtrArray *props;
	guint	i;
	int	ret;

	ev = g_new0(struct absence_event, 1);
	ev->comp = comp;
	ev->rrules = g_ptr_array_new_with_free_func(g_free);
	ev->rdates = g_array_new(FALSE, FALSE, sizeof(struct icaltimetype));
	ev->ex_times = g_array_new(FALSE, FALSE, sizeof(time_t));
	ev->ex_dates = g_array_new(FALSE, FALSE, sizeof(int));
	ev->shifts = g_array_new(FALSE, FALSE, sizeof(struct absence_shift));
	ev->cancelled = icalcomponent_get_status(comp) == ICAL_STATUS_CANCELLED;
	ev->override = icalcomponent_get_first_property(comp,
	    ICAL_RECURRENCEID_PROPERTY) != NULL;
	*ev_r = ev;

	prop = icalcomponent_get_first_property(comp, ICAL_DTSTART_PROPERTY);
	if (prop == NULL)
		return absence_fail(error_r, "VEVENT without DTSTART");
	if (absence_prop_time(comp, prop, "DTSTART", &ev->start_tt, &ev->zone,
			      error_r) < 0)
		return -1;

	/*
	 * Collect properties before looking at them: libical keeps one
	 * property iterator per component, and the helpers use it.
	 */
	props = g_ptr_array_new();
	for (prop = icalcomponent_get_first_property(comp,
						     ICAL_ANY_PROPERTY);
	     prop != NULL;
	     prop = icalcomponent_get_next_property(comp, ICAL_ANY_PROPERTY))
		g_ptr_array_add(props, prop);
	ret = 0;
	for (i = 0; ret == 0 && i < props->len; i++) {
		prop = g_ptr_array_index(props, i);
		switch (icalproperty_isa(prop)) {
		case ICAL_RRULE_PROPERTY:
			/* an override is one instance, whatever it repeats */
			if (ev->override)
				break;
			if (ev->rrules->len >= 16) {
				ret = absence_fail(error_r, "too many RRULEs");
				break;
			}
			rule = g_new(struct icalrecurrencetype, 1);
			*rule = icalproperty_get_rrule(prop);
			g_ptr_array_add(ev->rrules, rule);
			if (rule->freq == ICAL_NO_RECURRENCE)
				ret = absence_fail(error_r, "bad RRULE");
			else if (rule->interval < 1)
				ret = absence_fail(error_r, "bad RRULE "
						   "INTERVAL");
			break;
		case ICAL_RDATE_PROPERTY:
			if (ev->override)
				break;
			if (ev->rdates->len >= ABSENCE_MAX_DATES) {
				ret = absence_fail(error_r, "too many RDATEs");
				break;
			}
			if (absence_prop_time(comp, prop, "RDATE", &tt, &zone,
					      error_r) < 0) {
				ret = -1;
				break;
			}
			if (zone == NULL && !icaltime_is_utc(tt)
			    && ev->zone != NULL)
				(void)icaltime_set_timezone(&tt, ev->zone);
			g_array_append_val(ev->rdates, tt);
			break;
		case ICAL_EXDATE_PROPERTY:
			if (absence_prop_time(comp, prop, "EXDATE", &tt, &zone,
					      error_r) < 0)
				ret = -1;
			else
				ret = absence_add_exclusion(ev, tt, zone,
							    error_r);
			break;
		default:
			break;
		}
	}
	g_ptr_array_free(props, TRUE);
	if (ret < 0)
		return -1;
	return absence_duration(ev, error_r);
}

/* absence_same_uid - whether two events carry the same UID (or none) */
static int
absence_same_uid(icalcomponent *a, icalcomponent *b)
{
	const char *ua = icalcomponent_get_uid(a);
	const char *ub = icalcomponent_get_uid(b);

	if (ua == NULL || ub == NULL)
		return ua == ub;
	return strcmp(ua, ub) == 0;
}

/* absence_shift_cmp - order shifts by the instance they start from */
static gint
absence_shift_cmp(gconstpointer a, gconstpointer b)
{
	const struct absence_shift *x = a, *y = b;

	return x->from < y->from ? -1 : x->from > y->from;
}

/*
 * absence_add_shift - OV, at TT with RANGE=THISANDFUTURE, moves the
 * later instances of MASTER (RFC 5545 3.8.4.4): by the distance from
 * the instance it replaces to its own DTSTART, with its own length
 */
static int
absence_add_shift(struct absence_event *master,
		  const struct absence_event *ov, struct icaltimetype tt,
		  icaltimezone *zone, char **error_r)
{
	struct absence_shift sh;

	if (master->shifts->len >= ABSENCE_MAX_DATES)
		return absence_fail(error_r, "more than %d overrides",
				    ABSENCE_MAX_DATES);
	if (zone == NULL && !icaltime_is_utc(tt))
		zone = master->zone;
	memset(&sh, 0, sizeof(sh));
	sh.from = absence_time(tt, zone);
	if (tt.is_date && ov->start_tt.is_date)
		sh.days = (int)absence_days_between(tt, ov->start_tt);
	else
		sh.delta = absence_time(ov->start_tt, ov->zone) - sh.from;
	sh.dur_days = ov->dur_days;
	sh.dur_secs = ov->dur_secs;
	if (sh.delta < -master->early)
		master->early = -sh.delta;
	if (sh.days < 0 && (time_t)-sh.days * 90000 > master->early)
		master->early = (time_t)-sh.days * 90000;
	g_array_append_val(master->shifts, sh);
	g_array_sort(master->shifts, absence_shift_cmp);
	return 0;
}

/* absence_overrides - exclude instances that RECURRENCE-ID events replace */
static int
absence_overrides(struct absence_value *val, char **error_r)
{
	struct absence_event *master, *ov;
	struct icaltimetype tt;
	icaltimezone *zone;
	icalproperty *prop;
	icalparameter *range;
	guint	i, j;

	for (i = 0; i < val->events->len; i++) {
		ov = g_ptr_array_index(val->events, i);
		prop = icalcomponent_get_first_property(ov->comp,
						ICAL_RECURRENCEID_PROPERTY);
		if (prop == NULL)
			continue;
		if (absence_prop_time(ov->comp, prop, "RECURRENCE-ID", &tt,
				      &zone, error_r) < 0)
			return -1;
		for (j = 0; j < val->events->len; j++) {
			master = g_ptr_array_index(val->events, j);
			if (master == ov || master->override
			    || !absence_same_uid(master->comp, ov->comp))
				continue;
			if (absence_add_exclusion(master, tt, zone,
						  error_r) < 0)
				return -1;
			range = icalproperty_get_first_parameter(prop,
			    ICAL_RANGE_PARAMETER);
			if (range != NULL && icalparameter_get_range(range)
			    == ICAL_RANGE_THISANDFUTURE
			    && absence_add_shift(master, ov, tt, zone,
						 error_r) < 0)
				return -1;
		}
	}
	return 0;
}

/* absence_parse - parse and check one value */
static int
absence_parse(const char *text, struct absence_value *val, char **error_r)
{
	struct absence_event *ev;
	GPtrArray *comps;
	char   *filtered;
	guint	i;
	int	ret;

	memset(val, 0, sizeof(*val));
	if (text == NULL)
		return absence_fail(error_r, "no absence value");
	if (strnlen(text, ABSENCE_TEXT_MAX + 1) > ABSENCE_TEXT_MAX)
		return absence_fail(error_r, "absence value longer than %d "
				    "bytes", ABSENCE_TEXT_MAX);
	while (g_ascii_isspace(*text))
		text++;
	if (g_ascii_strncasecmp(text, "BEGIN:", 6) != 0)
		return absence_fail(error_r, "absence value is not iCalendar "
				    "(no BEGIN:)");

	if (absence_prescan(text, error_r) < 0)
		return -1;
	filtered = absence_filter(text);
	icalerror_set_errors_are_fatal(0);
	icalerror_clear_errno();
	val->root = icalparser_parse_string(filtered);
	g_free(filtered);
	if (val->root == NULL)
		return absence_fail(error_r, "absence value is not iCalendar "
				    "(unbalanced BEGIN/END?)");
	if (absence_check_errors(val->root, 0, error_r) < 0) {
		absence_value_free(val);
		return -1;
	}
	comps = g_ptr_array_new();
	ret = absence_collect(val->root, 0, comps, error_r);
	if (ret == 0 && comps->len == 0)
		ret = absence_fail(error_r, "absence value has no VEVENT");
	val->events = g_ptr_array_new_with_free_func(absence_event_free);
	for (i = 0; ret == 0 && i < comps->len; i++) {
		ret = absence_event_prepare(g_ptr_array_index(comps, i), &ev,
					    error_r);
		g_ptr_array_add(val->events, ev);
	}
	g_ptr_array_free(comps, TRUE);
	if (ret == 0)
		ret = absence_overrides(val, error_r);
	if (ret < 0) {
		absence_value_free(val);
		return -1;
	}
	return 0;
}

/* absence_check - whether NOW falls into one of the VALUES */
int
absence_check(const char *const *values, time_t now,
	      struct absence_result *result_r, char **error_r)
{
	struct absence_value val;
	struct absence_best best;
	struct absence_budget budget;
	size_t	i;
	guint	j;
	int	ret;

	if (error_r != NULL)
		*error_r = NULL;
	if (result_r != NULL)
		memset(result_r, 0, sizeof(*result_r));
	memset(&best, 0, sizeof(best));
	memset(&budget, 0, sizeof(budget));
	ret = 0;
	for (i = 0; values != NULL && values[i] != NULL && ret == 0; i++) {
		if (absence_parse(values[i], &val, error_r) < 0) {
			ret = -1;
			break;
		}
		for (j = 0; ret == 0 && j < val.events->len; j++)
			ret = absence_event_check(g_ptr_array_index(val.events,
								    j),
						  now, &budget, &best,
						  error_r);
		absence_value_free(&val);
	}
	if (ret < 0)
		return -1;
	if (!best.found)
		return 0;
	if (result_r != NULL) {
		result_r->start = best.start;
		result_r->end = best.end;
	}
	return 1;
}

/* absence_validate - whether TEXT parses as an absence; -1 with *error_r */
int
absence_validate(const char *text, char **error_r)
{
	struct absence_value val;

	if (error_r != NULL)
		*error_r = NULL;
	if (absence_parse(text, &val, error_r) < 0)
		return -1;
	absence_value_free(&val);
	return 0;
}
