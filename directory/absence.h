#ifndef DEPUTY_ABSENCE_H
#define DEPUTY_ABSENCE_H

/*
 * NAME
 *	absence - is a user away at a given instant
 * SUMMARY
 *	Evaluates deputyAbsence values, iCalendar text holding one or more
 *	VEVENTs (DTSTART, DTEND or DURATION, TZID, all-day DATE values whose
 *	DTEND is exclusive as RFC 5545 says, RRULE, RDATE, EXDATE,
 *	RECURRENCE-ID overrides), with libical. A bare VEVENT without a
 *	VCALENDAR wrapper is accepted. Only the properties that define
 *	time are read, so a calendar client's export works as it is; see
 *	absence.c for the interpretation where RFC 5545 leaves room.
 * DIAGNOSTICS
 *	absence_check() returns 1 (away), 0 (not away) or -1 when a value
 *	cannot be parsed; the caller decides what a broken value means
 *	(deputy-lda treats it as "not away" and logs the error).
 */

#include <time.h>

struct absence_result {
	time_t start;		/* start of the current absence */
	time_t end;		/* its end (exclusive), after start */
};

/* absence_check - whether NOW falls into one of the VALUES */
int absence_check(const char *const *values, time_t now,
		  struct absence_result *result_r, char **error_r);

/* absence_validate - whether TEXT parses as an absence; -1 with *error_r */
int absence_validate(const char *text, char **error_r);

/*
 * absence_zone_system - the system's zone (tzdata) for an IANA TZID,
 * or for one with a vendor prefix ("/mozilla.org/20050126_1/Europe/
 * Berlin"); NULL when tzdata does not know it. libical owns the zone.
 */
struct _icaltimezone;
struct _icaltimezone *absence_zone_system(const char *tzid);

#endif
