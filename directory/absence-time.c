/*
 * NAME
 *	absence-time - iCalendar times as instants: zones and local times
 * SUMMARY
 *	TZIDs tzdata knows are tzdata's zones (vendor prefixes stripped),
 *	else the calendar's VTIMEZONE; local times follow RFC 5545 3.3.5
 *	(the first of two, the offset before a spring gap), which libical
 *	gets an hour wrong around DST changes.
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
time_t
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
int
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
int
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
