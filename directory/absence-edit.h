#ifndef DEPUTY_ABSENCE_EDIT_H
#define DEPUTY_ABSENCE_EDIT_H

/*
 * NAME
 *	absence-edit - read, build and amend deputyAbsence values, for the
 *	helpdesk tools (deputyctl, deputy-web)
 * SUMMARY
 *	absence_spec_build() turns what a helpdesk person typed (dates or
 *	date-times, a time zone, a repeat rule, a summary) into the
 *	VCALENDAR text of one absence, written with libical: UID, DTSTAMP,
 *	DTSTART and DTEND (with TZID unless UTC; all-day values as DATE
 *	with an exclusive DTEND), an optional RRULE and SUMMARY. Both tools
 *	call it, so the same input gives the same stored value.
 *
 *	absence_events_text() lists the VEVENTs of a value for display;
 *	absence_event_find() walks an event's instances to find the one
 *	that covers or follows an instant; absence_event_exclude() adds an
 *	EXDATE. Whether a user is away is never decided here: that is
 *	absence_check()'s job (absence.h), the function deputy-lda uses.
 * DIAGNOSTICS
 *	absence_spec_build() returns 0, or -1 with *field_r naming the
 *	input at fault ("from", "until", "every", "summary", "tz") and
 *	*why_r saying why. absence_events_text() fails with the reason
 *	when a value does not pass absence_validate(). absence_event_find()
 *	returns 1 (found) or 0; it gives up after 20000 instances or 50
 *	years. The date parsers return 0 or -1 and say nothing.
 * BUGS
 *	For display only, RDATE is ignored and every instance of a
 *	recurring event is as long as the first one.
 */

#include <stddef.h>
#include <time.h>

#include <glib.h>
#include <libical/ical.h>

#include "directory.h"

#define ABSENCE_SUMMARY_MAX	200	/* bytes of a SUMMARY we write */
#define ABSENCE_RRULE_MAX	256	/* bytes of a repeat rule */

/* One VEVENT of a deputyAbsence value, as the helpdesk tools show it. */
struct absence_event {
	char   *uid;
	char   *summary;
	char   *zone;			/* TZID, or NULL: UTC */
	char   *rrule;			/* NULL: once */
	int	all_day;
	time_t	start;			/* first instance */
	time_t	end;			/* 0: open-ended */
	size_t	value;			/* index of its deputyAbsence value */
	icalcomponent *root;		/* the parsed value, shared */
	int	owns_root;		/* the first event of its value */
	icalcomponent *comp;
};

/* What a helpdesk person asks for; strings borrowed. */
struct absence_spec {
	const char *from;		/* YYYY-MM-DD[THH:MM[:SS]], today, now */
	const char *until;		/* same forms; a date is inclusive */
	const char *zone;		/* IANA name or UTC */
	const char *every;		/* NULL, a shortcut or an RRULE */
	const char *summary;		/* NULL: "Out of office" */
	const char *product;		/* "deputyctl", "deputy-web" */
	const char *from_label;		/* how messages name FROM ("--from") */
	time_t	now;
};

/* The absence built from a spec; release with absence_built_clear(). */
struct absence_built {
	char   *uid;
	char   *text;			/* the deputyAbsence value */
	char   *rrule;			/* normalised, or NULL */
	time_t	start;
	time_t	end;			/* exclusive */
};

/* absence_spec_build - check SPEC and build its value; 0 or -1 */
int absence_spec_build(const struct absence_spec *spec,
		       struct absence_built *out, const char **field_r,
		       char **why_r);

/* absence_built_clear - release what OUT holds */
void absence_built_clear(struct absence_built *out);

/*
 * absence_back_plan - what "back" changes in E's deputyAbsence values:
 * with ALL every value; with UID the values holding an event of that
 * UID; else the values in effect at NOW, where a recurring one comes
 * back with this instance excluded (EXDATE). Appends to DEL and ADD
 * (g_free'd strings, no duplicates); values that do not parse are left.
 */
void absence_back_plan(const struct dir_entry *e, time_t now, int all,
		       const char *uid, GPtrArray *del, GPtrArray *add);

/* absence_events_new - an empty list for absence_events_text() */
GPtrArray *absence_events_new(void);

/* absence_events_free - release a list (NULL is fine) */
void absence_events_free(GPtrArray *events);

/* absence_events_text - append the VEVENTs of one value to EVENTS */
int absence_events_text(const char *text, size_t value, GPtrArray *events,
			char **error_r);

/* absence_events_of - the VEVENTs of every deputyAbsence value of E */
int absence_events_of(const struct dir_entry *e, GPtrArray **events_r,
		      char **error_r);

/*
 * absence_event_find - the first instance of EV that ends after T (or,
 * with BY_START, that starts after T); 1 found, 0 none
 */
int absence_event_find(const struct absence_event *ev, time_t t,
		       int by_start, time_t *start_r, time_t *end_r);

/* absence_event_build - the VCALENDAR text of one absence */
char *absence_event_build(const char *uid, const struct icaltimetype *start,
			  const struct icaltimetype *end, const char *zone,
			  const char *rrule, const char *summary,
			  const char *product);

/* absence_event_exclude - EV's value with the instance at START excluded */
char *absence_event_exclude(const struct absence_event *ev, time_t start);

/* absence_rrule_parse - a shortcut (daily, weekly, monthly, yearly,
   weekdays) or an RRULE, checked by libical */
int absence_rrule_parse(const char *text, char **rrule_r, char **why_r);

/* absence_parse_date - "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS]", no zone */
int absence_parse_date(const char *text, struct icaltimetype *tt_r);

/* absence_parse_when - a date, a date-time, "today" or "now" in ZONE */
int absence_parse_when(const char *text, const char *zone, time_t now,
		       struct icaltimetype *tt_r);

/* absence_ical_zone - libical's zone NAME ("UTC" included), or NULL */
icaltimezone *absence_ical_zone(const char *name);

/* absence_zone_ok - whether both libical and GLib know zone NAME */
int absence_zone_ok(const char *name);

/* absence_time_at - the instant of TT (a date: its midnight) in ZONE */
int absence_time_at(const struct icaltimetype *tt, const char *zone,
		    time_t *t_r);

/* absence_fmt_time - T in ZONE: "2026-12-21 09:00 Europe/Berlin" or ISO
   8601 with offset; 0 is "(open end)" or "" */
char *absence_fmt_time(time_t t, const char *zone, int iso);

/* absence_new_uid - a fresh iCalendar UID "RANDOM@PRODUCT" */
char *absence_new_uid(const char *product);

#endif
