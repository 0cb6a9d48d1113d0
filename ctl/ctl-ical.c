/*
 * NAME
 *	ctl-ical - iCalendar for deputyctl: build, read and amend absences
 * SUMMARY
 *	The work is in directory/absence-edit.c, which deputy-web uses
 *	too; these are deputyctl's names for it.
 * DIAGNOSTICS
 *	See absence-edit.h.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "ctl.h"

/* ctl_events_new - an empty list for ctl_events_text() */
GPtrArray *
ctl_events_new(void)
{
	return absence_events_new();
}

/* ctl_events_free - release a list from ctl_events() */
void
ctl_events_free(GPtrArray *events)
{
	absence_events_free(events);
}

/* ctl_events_text - append the VEVENTs of one value to EVENTS */
int
ctl_events_text(const char *text, size_t value, GPtrArray *events,
		char **error_r)
{
	return absence_events_text(text, value, events, error_r);
}

/* ctl_events - the VEVENTs of every deputyAbsence value of E */
int
ctl_events(const struct dir_entry *e, GPtrArray **events_r, char **error_r)
{
	return absence_events_of(e, events_r, error_r);
}

/* ctl_event_find - the instance of EV that ends (or starts) after T */
int
ctl_event_find(const struct ctl_event *ev, time_t t, int by_start,
	       time_t *start_r, time_t *end_r)
{
	return absence_event_find(ev, t, by_start, start_r, end_r);
}

/* ctl_rrule_parse - --every: a shortcut or an RRULE, checked by libical */
int
ctl_rrule_parse(const char *text, char **rrule_r, char **why_r)
{
	return absence_rrule_parse(text, rrule_r, why_r);
}

/* ctl_event_build - the VCALENDAR text of one absence */
char *
ctl_event_build(const char *uid, const struct icaltimetype *start,
		const struct icaltimetype *end, const char *zone,
		const char *rrule, const char *summary)
{
	return absence_event_build(uid, start, end, zone, rrule, summary,
				   "deputyctl");
}

/* ctl_event_exclude - EV's value with the instance at START excluded */
char *
ctl_event_exclude(const struct ctl_event *ev, time_t start)
{
	return absence_event_exclude(ev, start);
}
