#ifndef DEPUTY_ABSENCE_PRIVATE_H
#define DEPUTY_ABSENCE_PRIVATE_H

/*
 * NAME
 *	absence-private - what the parts of the absence reader share
 * SUMMARY
 *	absence.c parses a value and checks it (the API of absence.h);
 *	absence-filter.c keeps only what defines time before libical
 *	parses; absence-time.c turns iCalendar times into instants (zones,
 *	local times); absence-rule.c expands the rules and asks whether an
 *	instance covers the instant.
 */

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

/* absence_day_key - the calendar day of TT as one comparable number */
int absence_day_key(struct icaltimetype tt);

/* absence_event_check - whether an instance of EV covers NOW (in BEST) */
int absence_event_check(const struct absence_event *ev, time_t now,
	struct absence_budget *budget, struct absence_best *best,
	char **error_r);

/* absence_filter - TEXT with only what defines time in it; g_free() */
char *absence_filter(const char *text);

/* absence_prescan - check BEGIN/END nesting before libical sees TEXT */
int absence_prescan(const char *text, char **error_r);

/* absence_prop_time - a checked DATE or DATE-TIME property value */
int absence_prop_time(icalcomponent *event, icalproperty *prop,
	const char *what, struct icaltimetype *tt_r, icaltimezone **zone_r,
	char **error_r);

/* absence_time - the instant of TT in ZONE (RFC 5545 3.3.5) */
time_t absence_time(struct icaltimetype tt, icaltimezone *zone);

/* absence_fail - set *error_r (when wanted) and return -1 */
int absence_fail(char **error_r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
