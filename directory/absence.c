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

#include "absence.h"

#define ABSENCE_TEXT_MAX	(64 * 1024)
#define ABSENCE_MAX_EVENTS	256		/* VEVENTs in one value */
#define ABSENCE_MAX_DEPTH	8		/* component nesting */
#define ABSENCE_MAX_STEPS	100000		/* recurrence steps per check */
#define ABSENCE_MAX_RULES	16		/* RRULE expansions per check */
#define ABSENCE_MAX_DATES	1024		/* EXDATE/RDATE per event */

/* One VEVENT, checked and ready to evaluate. */
struct absence_event {
	icalcomponent *comp;		/* owned by the parsed root */
	struct icaltimetype start_tt;	/* DTSTART as written, zone set */
	icaltimezone *zone;		/* NULL: UTC or floating */
	int	dur_days;		/* calendar days of one instance */
	time_t	dur_secs;		/* and exact seconds on top */
	int	cancelled;
	int	override;		/* has a RECURRENCE-ID */
	GPtrArray *rrules;		/* struct icalrecurrencetype * */
	GArray *rdates;			/* struct icaltimetype, zone set */
	GArray *ex_times;		/* time_t of excluded instances */
	GArray *ex_dates;		/* y*10000+m*100+d of excluded days */
	GArray *shifts;			/* struct absence_shift */
	time_t	early;			/* how far a shift moves back */
};

/*
 * An override with RANGE=THISANDFUTURE: the instances after FROM move
 * by DELTA seconds (or DAYS calendar days, for all-day events) and
 * take the override's length.
 */
struct absence_shift {
	time_t	from;			/* the replaced instance */
	time_t	delta;
	int	days;
	int	dur_days;
	time_t	dur_secs;
};

/* One parsed value. */
struct absence_value {
	icalcomponent *root;
	GPtrArray *events;		/* struct absence_event * */
};

/*
 * What one check may spend. libical's iterator can loop internally for
 * a rule that never matches (BYMONTHDAY=31;BYMONTH=2: about half a
 * second here), which our step count cannot see, so expansions are
 * counted too.
 */
struct absence_budget {
	unsigned long steps;
	unsigned int rules;
};

/* What the check found so far. */
struct absence_best {
	int	found;
	time_t	start;
	time_t	end;
};

/* absence_fail - set *error_r (when wanted) and return -1 */
static int __attribute__((format(printf, 2, 3)))
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

/*
 * absence_zone_system - the system's zone (tzdata, through libical's
 * builtin zones) for TZID, or NULL
 *
 * An IANA name is taken as it is. A name with a vendor prefix, as
 * Thunderbird ("/mozilla.org/20050126_1/America/New_York"), Evolution
 * ("/freeassociation.sourceforge.net/Tzfile/Europe/Berlin") or Citadel
 * ("/citadel.org/20190914_1/Europe/Berlin") write it, is tried without
 * its leading parts, the longest rest first.
 */
icaltimezone *
absence_zone_system(const char *tzid)
{
	icaltimezone *zone;
	const char *p;

	if (tzid == NULL || *tzid == '\0' || strlen(tzid) > 256)
		return NULL;
	if (*tzid != '/')
		return icaltimezone_get_builtin_timezone(tzid);
	for (p = strchr(tzid + 1, '/'); p != NULL; p = strchr(p + 1, '/'))
		if ((zone = icaltimezone_get_builtin_timezone(p + 1)) != NULL)
			return zone;
	return NULL;
}

/*
 * absence_zone - the zone named by PROP's TZID, NULL when it has none
 *
 * The system's zone comes first for a name it knows, as in the
 * reference implementations (python-icalendar, dateutil): exports often
 * carry a VTIMEZONE cut short to the years around the export, which
 * would put older or later events an hour off. The calendar's own
 * VTIMEZONE serves the names tzdata does not know ("W. Europe Standard
 * Time", "Custom Zone").
 */
static int
absence_zone(icalcomponent *event, icalproperty *prop, const char *what,
	     icaltimezone **zone_r, char **error_r)
{
	icalparameter *param;
	icalcomponent *c;
	icaltimezone *zone;
	const char *tzid;

	*zone_r = NULL;
	param = icalproperty_get_first_parameter(prop, ICAL_TZID_PARAMETER);
	if (param == NULL)
		return 0;
	tzid = icalparameter_get_tzid(param);
	if (tzid == NULL || *tzid == '\0')
		return absence_fail(error_r, "empty TZID in %s", what);
	if (strlen(tzid) > 256)
		return absence_fail(error_r, "overlong TZID in %s", what);
	zone = absence_zone_system(tzid);
	for (c = icalcomponent_get_parent(event); c != NULL && zone == NULL;
	     c = icalcomponent_get_parent(c)) {
		if (icalcomponent_isa(c) == ICAL_VCALENDAR_COMPONENT)
			zone = icalcomponent_get_timezone(c, tzid);
	}
	if (zone == NULL)
		zone = icaltimezone_get_builtin_timezone_from_tzid(tzid);
	if (zone == NULL)
		return absence_fail(error_r, "unknown TZID '%s' in %s", tzid,
				    what);
	*zone_r = zone;
	return 0;
}

/* absence_valid_time - whether the fields of TT make a real date/time */
static int
absence_valid_time(struct icaltimetype tt)
{
	if (icaltime_is_null_time(tt))
		return 0;
	if (tt.year < 1900 || tt.year > 9999 || tt.month < 1 || tt.month > 12)
		return 0;
	if (tt.day < 1 || tt.day > icaltime_days_in_month(tt.month, tt.year))
		return 0;
	if (tt.is_date)
		return 1;
	return tt.hour >= 0 && tt.hour < 24 && tt.minute >= 0
	    && tt.minute < 60 && tt.second >= 0 && tt.second <= 60;
}

/* absence_offset_at - the UTC offset of ZONE at instant T */
static int
absence_offset_at(icaltimezone *zone, time_t t)
{
	struct icaltimetype u;

	u = icaltime_from_timet_with_zone(t, 0,
					  icaltimezone_get_utc_timezone());
	return icaltimezone_get_utc_offset_of_utc_time(zone, &u, NULL);
}

/*
 * absence_time - TT as seconds since the epoch, in ZONE or else UTC
 *
 * RFC 5545 3.3.5: a local time that occurs twice (the autumn change)
 * is the first of the two; one that does not occur (the spring gap)
 * takes the UTC offset from before the gap, so 02:30 on the night
 * New York moves to summer time is 03:30 EDT. libical takes the second
 * of two, and the offset after a gap: an hour off in both cases.
 */
static time_t
absence_time(struct icaltimetype tt, icaltimezone *zone)
{
	time_t	wall, best, u;
	int	before, after, off, found;

	if (icaltime_is_utc(tt) || zone == NULL
	    || zone == icaltimezone_get_utc_timezone()) {
		/* A NULL zone leaves the time alone: floating counts as UTC. */
		tt.zone = NULL;
		return icaltime_as_timet_with_zone(tt, NULL);
	}
	tt.zone = NULL;
	if (tt.is_date) {
		tt.is_date = 0;
		tt.hour = tt.minute = tt.second = 0;
	}
	wall = icaltime_as_timet_with_zone(tt, NULL);
	before = absence_offset_at(zone, wall - 86400);
	after = absence_offset_at(zone, wall + 86400);
	best = wall - before;		/* the gap: the offset before it */
	found = 0;
	off = before;
	for (;;) {
		u = wall - off;
		if (absence_offset_at(zone, u) == off && (!found || u < best)) {
			best = u;
			found = 1;
		}
		if (off == after)
			break;
		off = after;
	}
	return best;
}

/* absence_day_key - the calendar day of TT as one comparable number */
static int
absence_day_key(struct icaltimetype tt)
{
	return tt.year * 10000 + tt.month * 100 + tt.day;
}

/*
 * absence_calendar_zone - the system zone that the X-WR-TIMEZONE of
 * EVENT's calendar names, or NULL
 *
 * Google Calendar and others write the calendar's zone there and
 * times in UTC or floating; as with the x-wr-timezone library that
 * python-recurring-ical-events uses, such times are the calendar's
 * zone's (the same instant for a UTC time, but a rule repeats in the
 * zone's wall clock time, across its DST changes).
 */
static icaltimezone *
absence_calendar_zone(icalcomponent *event)
{
	icalcomponent *c;
	icalproperty *p;
	const char *name;

	for (c = icalcomponent_get_parent(event); c != NULL;
	     c = icalcomponent_get_parent(c)) {
		if (icalcomponent_isa(c) != ICAL_VCALENDAR_COMPONENT)
			continue;
		for (p = icalcomponent_get_first_property(c, ICAL_X_PROPERTY);
		     p != NULL;
		     p = icalcomponent_get_next_property(c, ICAL_X_PROPERTY)) {
			name = icalproperty_get_x_name(p);
			if (name != NULL
			    && g_ascii_strcasecmp(name, "X-WR-TIMEZONE") == 0)
				return absence_zone_system(
				    icalproperty_get_x(p));
		}
	}
	return NULL;
}

/* absence_prop_time - a checked DATE or DATE-TIME property value */
static int
absence_prop_time(icalcomponent *event, icalproperty *prop, const char *what,
		  struct icaltimetype *tt_r, icaltimezone **zone_r,
		  char **error_r)
{
	struct icaltimetype tt;
	icalvalue *value;

	value = icalproperty_get_value(prop);
	if (value == NULL)
		return absence_fail(error_r, "%s has no value", what);
	switch (icalvalue_isa(value)) {
	case ICAL_DATE_VALUE:
		tt = icalvalue_get_date(value);
		break;
	case ICAL_DATETIME_VALUE:
		tt = icalvalue_get_datetime(value);
		break;
	case ICAL_DATETIMEPERIOD_VALUE:
		tt = icalvalue_get_datetimeperiod(value).time;
		break;
	default:
		return absence_fail(error_r, "%s is not a DATE or DATE-TIME",
				    what);
	}
	if (!absence_valid_time(tt))
		return absence_fail(error_r, "%s is not a valid date", what);
	if (absence_zone(event, prop, what, zone_r, error_r) < 0)
		return -1;
	if (*zone_r == NULL && !tt.is_date
	    && (*zone_r = absence_calendar_zone(event)) != NULL
	    && icaltime_is_utc(tt)) {
		/* libical 3.0 marks the converted time as UTC: unmark it */
		tt = icaltime_from_timet_with_zone(absence_time(tt, NULL), 0,
						   *zone_r);
		tt.zone = NULL;
	}
	if (icaltime_is_utc(tt))
		*zone_r = NULL;
	else if (*zone_r != NULL)
		(void)icaltime_set_timezone(&tt, *zone_r);
	*tt_r = tt;
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

/*
 * absence_line_end - count one logical line for the nesting check
 *
 * Errs on the side of refusing: END counts in any form, BEGIN only as
 * "BEGIN:" with a value, the one form libical surely takes as BEGIN.
 */
static int
absence_line_end(const GString *name, int colon, int has_value, int *depth,
		 char **error_r)
{
	if (g_ascii_strcasecmp(name->str, "BEGIN") == 0 && colon
	    && has_value) {
		if (++*depth > ABSENCE_MAX_DEPTH)
			return absence_fail(error_r, "iCalendar components "
					    "nested deeper than %d",
					    ABSENCE_MAX_DEPTH);
	} else if (g_ascii_strcasecmp(name->str, "END") == 0) {
		if (*depth == 0)
			return absence_fail(error_r, "absence value is not "
					    "iCalendar (END without BEGIN)");
		--*depth;
	}
	return 0;
}

/*
 * absence_prescan - check BEGIN/END nesting before libical sees the text
 *
 * libical writes "Encountered END before BEGIN" to stderr, and deputy
 * keeps stderr silent; it also recurses over nested components. Lines
 * are unfolded as RFC 5545 says, so that "EN" + CRLF + " D:" counts.
 */
static int
absence_prescan(const char *text, char **error_r)
{
	GString *name;
	const char *p, *content;
	int	depth, name_done, colon, has_value, in_line, ret;

	name = g_string_sized_new(16);
	depth = 0;
	name_done = 1;
	colon = has_value = 0;
	in_line = 0;
	ret = 0;
	for (p = text; ret == 0 && *p != '\0'; ) {
		if (in_line && (*p == ' ' || *p == '\t')) {
			content = p + 1;	/* a continuation line */
		} else {
			if (in_line)
				ret = absence_line_end(name, colon, has_value,
						       &depth, error_r);
			g_string_truncate(name, 0);
			name_done = 0;
			colon = has_value = 0;
			in_line = 1;
			content = p;
		}
		for (p = content; *p != '\0' && *p != '\n'; p++) {
			if (name_done) {
				if (colon && !g_ascii_isspace(*p))
					has_value = 1;
				continue;
			}
			if (*p == ':' || *p == ';' || name->len >= 16) {
				name_done = 1;
				colon = *p == ':';
			} else if (*p != '\r' || p[1] != '\n') {
				g_string_append_c(name, *p);
			}
		}
		if (*p == '\n')
			p++;
	}
	if (ret == 0 && in_line)
		ret = absence_line_end(name, colon, has_value, &depth,
				       error_r);
	if (ret == 0 && depth != 0)
		ret = absence_fail(error_r, "absence value is not iCalendar "
				   "(unbalanced BEGIN/END)");
	g_string_free(name, TRUE);
	return ret;
}

/* Components and properties that define when someone is away. */
static const char *const absence_components[] = {
	"VCALENDAR", "VEVENT", "VTIMEZONE", "STANDARD", "DAYLIGHT",
};
static const char *const absence_properties[] = {
	"UID", "DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE",
	"RECURRENCE-ID", "STATUS", "TZID", "TZOFFSETFROM", "TZOFFSETTO",
	"X-WR-TIMEZONE",
};

/* absence_listed - whether NAME (LEN bytes) is one of LIST, any case */
static int
absence_listed(const char *name, size_t len, const char *const *list,
	       size_t count)
{
	size_t	i;

	for (i = 0; i < count; i++)
		if (strlen(list[i]) == len
		    && g_ascii_strncasecmp(name, list[i], len) == 0)
			return 1;
	return 0;
}

/* absence_cancelled - whether the value after P's ':' is CANCELLED */
static int
absence_cancelled(const char *p)
{
	int	quoted = 0;

	for (; *p != '\0' && (quoted || *p != ':'); p++)
		if (*p == '"')
			quoted = !quoted;
	if (*p != ':')
		return 0;
	for (p++; *p == ' ' || *p == '\t'; p++)
		;
	return g_ascii_strncasecmp(p, "CANCELLED", 9) == 0
	    && strspn(p + 9, " \t\r") == strlen(p + 9);
}

/* absence_empty_value - whether the value after P's ':' is empty */
static int
absence_empty_value(const char *p)
{
	int	quoted = 0;

	for (; *p != '\0' && (quoted || *p != ':'); p++)
		if (*p == '"')
			quoted = !quoted;
	if (*p != ':')
		return 1;
	return strspn(p + 1, " \t\r") == strlen(p + 1);
}

/*
 * absence_filter - the lines of TEXT that define time, for libical
 *
 * Exports carry much that deputy never reads, and libical marks some
 * of it as an error (an empty DESCRIPTION:, a property it does not
 * know such as SUBCALENDAR-ID or RFC 9253 LINK): an absence must not
 * fail for a bad LOCATION. So libical only sees the components and
 * properties listed above; an error that remains concerns time and
 * still refuses the value. BEGIN and END lines are written anew from
 * the names the nesting check counted (BEGIN only as "BEGIN:" with a
 * value, END in any form), so that libical and absence_prescan()
 * agree on the nesting; other kept lines are copied as they are, with
 * their continuation lines. Unknown components (VALARM, VTODO, X-...)
 * are dropped with everything inside them.
 */
static char *
absence_filter(const char *text)
{
	GString *out, *logical;
	GPtrArray *stack;
	const char *line, *next, *p;
	size_t	name_len, skip, n;
	int	keep;

	out = g_string_sized_new(strlen(text) + 64);
	logical = g_string_sized_new(128);
	stack = g_ptr_array_new_with_free_func(g_free);
	skip = 0;
	for (line = text; *line != '\0'; line = next) {
		/* one logical line: LINE up to NEXT, unfolded into LOGICAL */
		g_string_truncate(logical, 0);
		next = line;
		do {
			p = next;
			if (next != line)
				p++;		/* the folding blank */
			for (next = p; *next != '\0' && *next != '\n'; next++)
				if (*next != '\r' || next[1] != '\n')
					g_string_append_c(logical, *next);
			if (*next == '\n')
				next++;
		} while (*next == ' ' || *next == '\t');
		name_len = strcspn(logical->str, ";:");
		p = logical->str + name_len;	/* ';', ':' or the end */
		if (name_len == 5 && g_ascii_strncasecmp(logical->str,
							 "BEGIN", 5) == 0) {
			if (*p != ':')
				continue;
			for (p++; *p == ' ' || *p == '\t'; p++)
				;
			n = strlen(p);
			while (n > 0 && g_ascii_isspace(p[n - 1]))
				n--;
			if (n == 0)
				continue;  /* no BEGIN to the prescan */
			if (skip > 0) {
				skip++;
				continue;
			}
			if (!absence_listed(p, n, absence_components,
					    G_N_ELEMENTS(absence_components))) {
				skip = 1;
				continue;
			}
			g_ptr_array_add(stack, g_ascii_strup(p, (gssize)n));
			g_string_append_printf(out, "BEGIN:%s\r\n",
			    (const char *)g_ptr_array_index(stack,
							    stack->len - 1));
			continue;
		}
		if (name_len == 3 && g_ascii_strncasecmp(logical->str, "END",
							 3) == 0) {
			if (skip > 0) {
				skip--;
			} else if (stack->len > 0) {
				g_string_append_printf(out, "END:%s\r\n",
				    (const char *)g_ptr_array_index(stack,
							    stack->len - 1));
				g_ptr_array_remove_index(stack,
							 stack->len - 1);
			}
			continue;
		}
		keep = skip == 0 && stack->len > 0
		    && absence_listed(logical->str, name_len,
				      absence_properties,
				      G_N_ELEMENTS(absence_properties));
		/* STATUS matters only as CANCELLED */
		if (keep && name_len == 6 && g_ascii_strncasecmp(logical->str,
		    "STATUS", 6) == 0 && !absence_cancelled(p))
			keep = 0;
		/* an empty value ("RRULE:") says nothing, and is no error */
		if (keep && absence_empty_value(p))
			keep = 0;
		if (keep) {
			g_string_append_len(out, line, next - line);
			if (next[-1] != '\n')
				g_string_append(out, "\r\n");
		}
	}
	g_ptr_array_free(stack, TRUE);
	g_string_free(logical, TRUE);
	return g_string_free(out, FALSE);
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
static int
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
