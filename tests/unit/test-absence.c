/*
 * NAME
 *	test-absence - table-driven tests of absence_check()
 * SUMMARY
 *	Each row is one deputyAbsence value, an instant, the expected
 *	result (1 away, 0 not, -1 error) and, when away, the expected
 *	start and end of the absence; errors name what failed.
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <libical/ical.h>

#include "absence.h"
#include "tap.h"

#define CAL(body) \
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//deputy//test//EN\r\n" \
	"BEGIN:VEVENT\r\nUID:test-1\r\n" body "END:VEVENT\r\nEND:VCALENDAR\r\n"

#define WORKDAY \
	CAL("DTSTART:20261221T090000Z\r\nDTEND:20261221T170000Z\r\n")
#define XMAS_BERLIN \
	CAL("DTSTART;VALUE=DATE;TZID=Europe/Berlin:20261224\r\n")
#define XMAS_NY \
	CAL("DTSTART;VALUE=DATE;TZID=America/New_York:20261224\r\n" \
	    "DTEND;VALUE=DATE;TZID=America/New_York:20261225\r\n")
#define HOLIDAYS \
	CAL("DTSTART;VALUE=DATE:20261221\r\nDTEND;VALUE=DATE:20270105\r\n")
#define FRIDAYS \
	CAL("DTSTART;VALUE=DATE;TZID=Europe/Berlin:20260102\r\n" \
	    "RRULE:FREQ=WEEKLY;BYDAY=FR\r\n" \
	    "EXDATE;VALUE=DATE;TZID=Europe/Berlin:20261225\r\n")
#define SPRING_BERLIN \
	CAL("DTSTART;VALUE=DATE;TZID=Europe/Berlin:20260329\r\n" \
	    "DTEND;VALUE=DATE;TZID=Europe/Berlin:20260330\r\n")
#define AUTUMN_BERLIN \
	CAL("DTSTART;VALUE=DATE;TZID=Europe/Berlin:20261025\r\n")
#define VTZ_CUSTOM \
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//deputy//test//EN\r\n" \
	"BEGIN:VTIMEZONE\r\nTZID:Custom Zone\r\nBEGIN:STANDARD\r\n" \
	"DTSTART:19700101T000000\r\nTZOFFSETFROM:+0500\r\n" \
	"TZOFFSETTO:+0500\r\nTZNAME:CUS\r\nEND:STANDARD\r\n" \
	"END:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:tz\r\n" \
	"DTSTART;TZID=Custom Zone:20261221T090000\r\n" \
	"DTEND;TZID=Custom Zone:20261221T100000\r\n" \
	"END:VEVENT\r\nEND:VCALENDAR\r\n"
#define OVERRIDE \
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//deputy//test//EN\r\n" \
	"BEGIN:VEVENT\r\nUID:ov\r\nDTSTART;VALUE=DATE:20261204\r\n" \
	"RRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n" \
	"BEGIN:VEVENT\r\nUID:ov\r\nRECURRENCE-ID;VALUE=DATE:20261218\r\n" \
	"DTSTART;VALUE=DATE:20261219\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

/* Berlin's zone as an export writes it: only the rules from 2025 on */
#define VTZ_BERLIN_CUT \
	"BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:DAYLIGHT\r\n" \
	"TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n" \
	"DTSTART:20250330T020000\r\n" \
	"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n" \
	"BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n" \
	"TZNAME:CET\r\nDTSTART:20251026T030000\r\n" \
	"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n" \
	"END:VTIMEZONE\r\n"
#define TRUNCATED_ZONE \
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" VTZ_BERLIN_CUT \
	"BEGIN:VEVENT\r\nUID:cut\r\n" \
	"DTSTART;TZID=Europe/Berlin:20240701T090000\r\n" \
	"DTEND;TZID=Europe/Berlin:20240701T100000\r\n" \
	"END:VEVENT\r\nEND:VCALENDAR\r\n"
/* Outlook: an all-day weekly master, one instance moved a day earlier */
#define OUTLOOK_OVERRIDE \
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" \
	"BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\n" \
	"BEGIN:STANDARD\r\nDTSTART:16010101T030000\r\n" \
	"TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n" \
	"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\n" \
	"BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\n" \
	"TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n" \
	"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\n" \
	"END:VTIMEZONE\r\n" \
	"BEGIN:VEVENT\r\nUID:ol\r\nDTSTART;VALUE=DATE:20261204\r\n" \
	"DTEND;VALUE=DATE:20261205\r\nRRULE:FREQ=WEEKLY;BYDAY=FR\r\n" \
	"END:VEVENT\r\n" \
	"BEGIN:VEVENT\r\nUID:ol\r\n" \
	"RECURRENCE-ID;TZID=W. Europe Standard Time:20261218T000000\r\n" \
	"DTSTART;VALUE=DATE:20261217\r\nDTEND;VALUE=DATE:20261218\r\n" \
	"END:VEVENT\r\nEND:VCALENDAR\r\n"
/* DTSTART on a Tuesday, the rule on Fridays */
#define OFF_RULE \
	CAL("DTSTART:20261201T090000Z\r\nDTEND:20261201T100000Z\r\n" \
	    "RRULE:FREQ=WEEKLY;BYDAY=FR;COUNT=3\r\n")
/* daily 02:30 in New York over the spring change (8 March 2026) */
#define GAP_DAILY \
	CAL("DTSTART;TZID=America/New_York:20260306T023000\r\n" \
	    "DTEND;TZID=America/New_York:20260306T033000\r\n" \
	    "RRULE:FREQ=DAILY;COUNT=6\r\n")
#define MOZILLA_TZID "/mozilla.org/20050126_1/America/New_York"

struct absence_row {
	const char *name;
	const char *value;
	const char *now;
	int	expect;
	const char *start;		/* when expect == 1 */
	const char *end;
	const char *error;		/* substring, when expect == -1 */
};

static const struct absence_row rows[] = {
	{ "utc workday, inside", WORKDAY, "2026-12-21T12:00:00Z", 1,
	  "2026-12-21T09:00:00Z", "2026-12-21T17:00:00Z", NULL },
	{ "utc workday, at start", WORKDAY, "2026-12-21T09:00:00Z", 1,
	  "2026-12-21T09:00:00Z", "2026-12-21T17:00:00Z", NULL },
	{ "utc workday, second before start", WORKDAY,
	  "2026-12-21T08:59:59Z", 0, NULL, NULL, NULL },
	{ "utc workday, at end (exclusive)", WORKDAY,
	  "2026-12-21T17:00:00Z", 0, NULL, NULL, NULL },
	{ "all-day range, last day inclusive", HOLIDAYS,
	  "2027-01-04T23:59:59Z", 1,
	  "2026-12-21T00:00:00Z", "2027-01-05T00:00:00Z", NULL },
	{ "all-day range, DTEND day excluded", HOLIDAYS,
	  "2027-01-05T00:00:00Z", 0, NULL, NULL, NULL },
	{ "all-day range across year end", HOLIDAYS,
	  "2027-01-01T00:00:00Z", 1,
	  "2026-12-21T00:00:00Z", "2027-01-05T00:00:00Z", NULL },
	{ "31 Dec to 1 Jan, Berlin, in new year",
	  CAL("DTSTART;TZID=Europe/Berlin:20261231T180000\r\n"
	      "DTEND;TZID=Europe/Berlin:20270101T100000\r\n"),
	  "2027-01-01T08:59:59Z", 1,
	  "2026-12-31T17:00:00Z", "2027-01-01T09:00:00Z", NULL },
	{ "31 Dec to 1 Jan, Berlin, after", 
	  CAL("DTSTART;TZID=Europe/Berlin:20261231T180000\r\n"
	      "DTEND;TZID=Europe/Berlin:20270101T100000\r\n"),
	  "2027-01-01T09:00:00Z", 0, NULL, NULL, NULL },
	{ "all-day Berlin, DTSTART only, Berlin midnight", XMAS_BERLIN,
	  "2026-12-23T23:00:00Z", 1,
	  "2026-12-23T23:00:00Z", "2026-12-24T23:00:00Z", NULL },
	{ "all-day Berlin, second before Berlin midnight", XMAS_BERLIN,
	  "2026-12-23T22:59:59Z", 0, NULL, NULL, NULL },
	{ "all-day Berlin, next day", XMAS_BERLIN,
	  "2026-12-24T23:00:00Z", 0, NULL, NULL, NULL },
	{ "all-day New York, before NY midnight", XMAS_NY,
	  "2026-12-24T04:59:59Z", 0, NULL, NULL, NULL },
	{ "all-day New York, last second", XMAS_NY,
	  "2026-12-25T04:59:59Z", 1,
	  "2026-12-24T05:00:00Z", "2026-12-25T05:00:00Z", NULL },
	{ "New York midnight to 1am",
	  CAL("DTSTART;TZID=America/New_York:20261224T000000\r\n"
	      "DTEND;TZID=America/New_York:20261224T010000\r\n"),
	  "2026-12-24T05:30:00Z", 1,
	  "2026-12-24T05:00:00Z", "2026-12-24T06:00:00Z", NULL },
	{ "Berlin spring DST day is 23h, last second", SPRING_BERLIN,
	  "2026-03-29T21:59:59Z", 1,
	  "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z", NULL },
	{ "Berlin spring DST day, after", SPRING_BERLIN,
	  "2026-03-29T22:00:00Z", 0, NULL, NULL, NULL },
	{ "Berlin autumn DST day is 25h", AUTUMN_BERLIN,
	  "2026-10-25T22:30:00Z", 1,
	  "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z", NULL },
	{ "New York DST night, exact PT2H",
	  CAL("DTSTART;TZID=America/New_York:20260308T010000\r\n"
	      "DURATION:PT2H\r\n"),
	  "2026-03-08T07:59:59Z", 1,
	  "2026-03-08T06:00:00Z", "2026-03-08T08:00:00Z", NULL },
	{ "DURATION P1D is a calendar day over DST",
	  CAL("DTSTART;TZID=Europe/Berlin:20260328T120000\r\n"
	      "DURATION:P1D\r\n"),
	  "2026-03-29T09:59:59Z", 1,
	  "2026-03-28T11:00:00Z", "2026-03-29T10:00:00Z", NULL },
	{ "DURATION P1D, after",
	  CAL("DTSTART;TZID=Europe/Berlin:20260328T120000\r\n"
	      "DURATION:P1D\r\n"),
	  "2026-03-29T10:00:00Z", 0, NULL, NULL, NULL },
	{ "every Friday, on a Friday", FRIDAYS, "2026-12-18T12:00:00Z", 1,
	  "2026-12-17T23:00:00Z", "2026-12-18T23:00:00Z", NULL },
	{ "every Friday, on a Thursday", FRIDAYS, "2026-12-17T12:00:00Z", 0,
	  NULL, NULL, NULL },
	{ "every Friday, EXDATE Friday", FRIDAYS, "2026-12-25T12:00:00Z", 0,
	  NULL, NULL, NULL },
	{ "every Friday, next year", FRIDAYS, "2027-01-01T12:00:00Z", 1,
	  "2026-12-31T23:00:00Z", "2027-01-01T23:00:00Z", NULL },
	{ "weekly COUNT=3, third instance",
	  CAL("DTSTART:20260102T130000Z\r\nDTEND:20260102T170000Z\r\n"
	      "RRULE:FREQ=WEEKLY;COUNT=3\r\n"),
	  "2026-01-16T14:00:00Z", 1,
	  "2026-01-16T13:00:00Z", "2026-01-16T17:00:00Z", NULL },
	{ "weekly COUNT=3, fourth week",
	  CAL("DTSTART:20260102T130000Z\r\nDTEND:20260102T170000Z\r\n"
	      "RRULE:FREQ=WEEKLY;COUNT=3\r\n"),
	  "2026-01-23T14:00:00Z", 0, NULL, NULL, NULL },
	{ "EXDATE DATE-TIME with TZID",
	  CAL("DTSTART;TZID=Europe/Berlin:20261201T090000\r\n"
	      "DTEND;TZID=Europe/Berlin:20261201T120000\r\n"
	      "RRULE:FREQ=DAILY\r\n"
	      "EXDATE;TZID=Europe/Berlin:20261210T090000\r\n"),
	  "2026-12-10T09:00:00Z", 0, NULL, NULL, NULL },
	{ "RECURRENCE-ID moves an instance away", OVERRIDE,
	  "2026-12-18T12:00:00Z", 0, NULL, NULL, NULL },
	{ "RECURRENCE-ID moves an instance here", OVERRIDE,
	  "2026-12-19T12:00:00Z", 1,
	  "2026-12-19T00:00:00Z", "2026-12-20T00:00:00Z", NULL },
	{ "bare VEVENT",
	  "BEGIN:VEVENT\nDTSTART:20261221T090000Z\n"
	  "DTEND:20261222T090000Z\nEND:VEVENT\n",
	  "2026-12-21T10:00:00Z", 1,
	  "2026-12-21T09:00:00Z", "2026-12-22T09:00:00Z", NULL },
	{ "floating time counts as UTC",
	  CAL("DTSTART:20261221T090000\r\nDTEND:20261221T100000\r\n"),
	  "2026-12-21T09:30:00Z", 1,
	  "2026-12-21T09:00:00Z", "2026-12-21T10:00:00Z", NULL },
	{ "DATE-TIME without DTEND ends as it starts (RFC 5545 3.6.1)",
	  CAL("DTSTART:20261221T090000Z\r\n"),
	  "2026-12-21T09:00:00Z", 0, NULL, NULL, NULL },
	{ "DATE-TIME without DTEND is not open-ended",
	  CAL("DTSTART:20261221T090000Z\r\n"),
	  "2030-01-01T00:00:00Z", 0, NULL, NULL, NULL },
	{ "all-day DTEND equal to DTSTART is one day",
	  CAL("DTSTART;VALUE=DATE:20261221\r\nDTEND;VALUE=DATE:20261221\r\n"),
	  "2026-12-21T23:00:00Z", 1,
	  "2026-12-21T00:00:00Z", "2026-12-22T00:00:00Z", NULL },
	{ "VTIMEZONE in the calendar", VTZ_CUSTOM, "2026-12-21T04:30:00Z", 1,
	  "2026-12-21T04:00:00Z", "2026-12-21T05:00:00Z", NULL },
	{ "cancelled event",
	  CAL("STATUS:CANCELLED\r\nDTSTART:20261221T090000Z\r\n"
	      "DTEND:20261221T170000Z\r\n"),
	  "2026-12-21T12:00:00Z", 0, NULL, NULL, NULL },
	/* issue 19: what real clients export must not stop an absence */
	{ "empty DESCRIPTION, LOCATION, CATEGORIES, CLASS, STATUS",
	  CAL("DESCRIPTION:\r\nLOCATION:\r\nCATEGORIES:\r\nCLASS:\r\n"
	      "STATUS:\r\n"
	      "DTSTART:20261221T090000Z\r\nDTEND:20261221T170000Z\r\n"),
	  "2026-12-21T12:00:00Z", 1,
	  "2026-12-21T09:00:00Z", "2026-12-21T17:00:00Z", NULL },
	{ "unknown SUBCALENDAR-ID, EVENT-ID, RFC 9253 LINK",
	  CAL("SUBCALENDAR-ID:3f2a\r\nEVENT-ID:77\r\n"
	      "LINK;LINKREL=\"related\";VALUE=URI:\r\n"
	      " https://example.com/x\r\n"
	      "DTSTART:20261221T090000Z\r\nDTEND:20261221T170000Z\r\n"),
	  "2026-12-21T12:00:00Z", 1,
	  "2026-12-21T09:00:00Z", "2026-12-21T17:00:00Z", NULL },
	{ "a broken VALARM inside the event",
	  CAL("DTSTART:20261221T090000Z\r\nDTEND:20261221T170000Z\r\n"
	      "BEGIN:VALARM\r\nTRIGGER:\r\nACTION:\r\n"
	      "DESCRIPTION:\r\nEND:VALARM\r\n"),
	  "2026-12-21T12:00:00Z", 1,
	  "2026-12-21T09:00:00Z", "2026-12-21T17:00:00Z", NULL },
	{ "a broken calendar property and a VTODO beside the event",
	  "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:\r\n"
	  "METHOD:\r\nBEGIN:VTODO\r\nDUE:never\r\nEND:VTODO\r\n"
	  "BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20261221T090000Z\r\n"
	  "DTEND:20261221T170000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	  "2026-12-21T12:00:00Z", 1,
	  "2026-12-21T09:00:00Z", "2026-12-21T17:00:00Z", NULL },
	{ "STATUS:CANCELLED still cancels, any case",
	  CAL("status:cancelled\r\nDTSTART:20261221T090000Z\r\n"
	      "DTEND:20261221T170000Z\r\n"),
	  "2026-12-21T12:00:00Z", 0, NULL, NULL, NULL },
	{ "a broken EXDATE still refuses the value",
	  CAL("DTSTART:20261221T090000Z\r\nDTEND:20261221T100000Z\r\n"
	      "RRULE:FREQ=DAILY\r\nEXDATE:garbage\r\n"),
	  "2026-12-21T09:30:00Z", -1, NULL, NULL, "EXDATE" },
	{ "a broken RRULE part still refuses the value",
	  CAL("DTSTART:20261221T090000Z\r\nDTEND:20261221T100000Z\r\n"
	      "RRULE:FREQ=DAILY;BYFOO=3\r\n"),
	  "2026-12-21T09:30:00Z", -1, NULL, NULL, "RRULE" },
	{ "truncated VTIMEZONE: the system zone for 2024 summer time",
	  TRUNCATED_ZONE, "2024-07-01T07:30:00Z", 1,
	  "2024-07-01T07:00:00Z", "2024-07-01T08:00:00Z", NULL },
	{ "truncated VTIMEZONE: not an hour late", TRUNCATED_ZONE,
	  "2024-07-01T08:30:00Z", 0, NULL, NULL, NULL },
	{ "Mozilla TZID without VTIMEZONE is New York",
	  CAL("DTSTART;TZID=" MOZILLA_TZID ":20261221T090000\r\n"
	      "DTEND;TZID=" MOZILLA_TZID ":20261221T100000\r\n"),
	  "2026-12-21T14:30:00Z", 1,
	  "2026-12-21T14:00:00Z", "2026-12-21T15:00:00Z", NULL },
	{ "Evolution TZID without VTIMEZONE is Berlin",
	  CAL("DTSTART;VALUE=DATE;TZID=/freeassociation.sourceforge.net/"
	      "Tzfile/Europe/Berlin:20261224\r\n"),
	  "2026-12-23T23:30:00Z", 1,
	  "2026-12-23T23:00:00Z", "2026-12-24T23:00:00Z", NULL },
	{ "Citadel TZID without VTIMEZONE is Berlin",
	  CAL("DTSTART;TZID=/citadel.org/20190914_1/Europe/Berlin:"
	      "20261221T090000\r\nDURATION:PT1H\r\n"),
	  "2026-12-21T08:30:00Z", 1,
	  "2026-12-21T08:00:00Z", "2026-12-21T09:00:00Z", NULL },
	{ "Outlook override: the moved day is away", OUTLOOK_OVERRIDE,
	  "2026-12-17T12:00:00Z", 1,
	  "2026-12-17T00:00:00Z", "2026-12-18T00:00:00Z", NULL },
	{ "Outlook override: the original day is not", OUTLOOK_OVERRIDE,
	  "2026-12-18T12:00:00Z", 0, NULL, NULL, NULL },
	{ "Outlook override: the other Fridays are", OUTLOOK_OVERRIDE,
	  "2026-12-25T12:00:00Z", 1,
	  "2026-12-25T00:00:00Z", "2026-12-26T00:00:00Z", NULL },
	{ "DTSTART off the rule is the first instance", OFF_RULE,
	  "2026-12-01T09:30:00Z", 1,
	  "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z", NULL },
	{ "DTSTART off the rule: second instance", OFF_RULE,
	  "2026-12-11T09:30:00Z", 1,
	  "2026-12-11T09:00:00Z", "2026-12-11T10:00:00Z", NULL },
	{ "DTSTART off the rule: COUNT counts the rule's instances",
	  OFF_RULE, "2026-12-18T09:30:00Z", 1,
	  "2026-12-18T09:00:00Z", "2026-12-18T10:00:00Z", NULL },
	{ "DTSTART off the rule: no fourth Friday", OFF_RULE,
	  "2026-12-25T09:30:00Z", 0, NULL, NULL, NULL },
	{ "daily 02:30 in the spring gap is 03:30 EDT", GAP_DAILY,
	  "2026-03-08T07:45:00Z", 1,
	  "2026-03-08T07:30:00Z", "2026-03-08T08:30:00Z", NULL },
	{ "daily 02:30, the day after the gap is 02:30 EDT", GAP_DAILY,
	  "2026-03-09T06:45:00Z", 1,
	  "2026-03-09T06:30:00Z", "2026-03-09T07:30:00Z", NULL },
	{ "daily 02:30, the day after the gap, an hour on", GAP_DAILY,
	  "2026-03-09T07:45:00Z", 0, NULL, NULL, NULL },
	{ "a single 02:30 in the spring gap is 03:30 EDT",
	  CAL("DTSTART;TZID=America/New_York:20260308T023000\r\n"
	      "DURATION:PT1H\r\n"),
	  "2026-03-08T07:45:00Z", 1,
	  "2026-03-08T07:30:00Z", "2026-03-08T08:30:00Z", NULL },
	{ "01:30 on the autumn night is the first one (EDT)",
	  CAL("DTSTART;TZID=America/New_York:20261101T013000\r\n"
	      "DURATION:PT30M\r\n"),
	  "2026-11-01T05:45:00Z", 1,
	  "2026-11-01T05:30:00Z", "2026-11-01T06:00:00Z", NULL },
	{ "weekly with UNTIL in UTC over the spring change",
	  CAL("DTSTART;TZID=Europe/Berlin:20260301T090000\r\n"
	      "DTEND;TZID=Europe/Berlin:20260301T100000\r\n"
	      "RRULE:FREQ=WEEKLY;UNTIL=20260405T070000Z\r\n"),
	  "2026-04-05T07:30:00Z", 1,
	  "2026-04-05T07:00:00Z", "2026-04-05T08:00:00Z", NULL },
	{ "weekly with UNTIL in UTC, the week after",
	  CAL("DTSTART;TZID=Europe/Berlin:20260301T090000\r\n"
	      "DTEND;TZID=Europe/Berlin:20260301T100000\r\n"
	      "RRULE:FREQ=WEEKLY;UNTIL=20260405T070000Z\r\n"),
	  "2026-04-12T07:30:00Z", 0, NULL, NULL, NULL },
	{ "X-WR-TIMEZONE: a weekly UTC time repeats in Berlin's clock",
	  "BEGIN:VCALENDAR\r\nX-WR-TIMEZONE:Europe/Berlin\r\n"
	  "BEGIN:VEVENT\r\nUID:g\r\nDTSTART:20260319T080000Z\r\n"
	  "DURATION:PT1H\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n"
	  "END:VCALENDAR\r\n",
	  "2026-04-02T07:30:00Z", 1,
	  "2026-04-02T07:00:00Z", "2026-04-02T08:00:00Z", NULL },
	{ "X-WR-TIMEZONE: a floating time is Brussels'",
	  "BEGIN:VCALENDAR\r\nX-WR-TIMEZONE:Europe/Brussels\r\n"
	  "BEGIN:VEVENT\r\nUID:f\r\nDTSTART:20210916T210000\r\n"
	  "DTEND:20210916T224500\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	  "2021-09-16T19:00:00Z", 1,
	  "2021-09-16T19:00:00Z", "2021-09-16T20:45:00Z", NULL },
	{ "RANGE=THISANDFUTURE moves the later instances",
	  "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:r\r\n"
	  "DTSTART:20240901T120000Z\r\nDTEND:20240901T140000Z\r\n"
	  "RRULE:FREQ=DAILY;INTERVAL=2\r\nEND:VEVENT\r\n"
	  "BEGIN:VEVENT\r\nUID:r\r\n"
	  "RECURRENCE-ID;RANGE=THISANDFUTURE:20240913T120000Z\r\n"
	  "DTSTART:20240913T090000Z\r\nDTEND:20240913T160000Z\r\n"
	  "END:VEVENT\r\nEND:VCALENDAR\r\n",
	  "2024-09-17T09:30:00Z", 1,
	  "2024-09-17T09:00:00Z", "2024-09-17T16:00:00Z", NULL },
	{ "RANGE=THISANDFUTURE: the instances before stay",
	  "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:r\r\n"
	  "DTSTART:20240901T120000Z\r\nDTEND:20240901T140000Z\r\n"
	  "RRULE:FREQ=DAILY;INTERVAL=2\r\nEND:VEVENT\r\n"
	  "BEGIN:VEVENT\r\nUID:r\r\n"
	  "RECURRENCE-ID;RANGE=THISANDFUTURE:20240913T120000Z\r\n"
	  "DTSTART:20240913T090000Z\r\nDTEND:20240913T160000Z\r\n"
	  "END:VEVENT\r\nEND:VCALENDAR\r\n",
	  "2024-09-11T09:30:00Z", 0, NULL, NULL, NULL },
	{ "garbage", "this is not a calendar", "2026-12-21T12:00:00Z", -1,
	  NULL, NULL, "not iCalendar" },
	{ "empty", "", "2026-12-21T12:00:00Z", -1, NULL, NULL,
	  "not iCalendar" },
	{ "unbalanced", "BEGIN:VEVENT\nDTSTART:20261221T090000Z\n",
	  "2026-12-21T12:00:00Z", -1, NULL, NULL, "not iCalendar" },
	{ "END before BEGIN", "END:VEVENT\nBEGIN:VEVENT\nEND:VEVENT\n",
	  "2026-12-21T12:00:00Z", -1, NULL, NULL, "not iCalendar" },
	{ "END before second BEGIN",
	  "BEGIN:VEVENT\nDTSTART:20261221T090000Z\nEND:VEVENT\n"
	  "END:VEVENT\nBEGIN:VEVENT\nEND:VEVENT\n",
	  "2026-12-21T12:00:00Z", -1, NULL, NULL, "END without BEGIN" },
	{ "folded END before BEGIN",
	  "BEGIN:VEVENT\r\nDTSTART:20261221T090000Z\r\nEND:VEVENT\r\n"
	  "EN\r\n D:VEVENT\r\n",
	  "2026-12-21T12:00:00Z", -1, NULL, NULL, "END without BEGIN" },
	{ "no VEVENT",
	  "BEGIN:VCALENDAR\nBEGIN:VTODO\nDTSTART:20261221\nEND:VTODO\n"
	  "END:VCALENDAR\n",
	  "2026-12-21T12:00:00Z", -1, NULL, NULL, "no VEVENT" },
	{ "missing DTSTART", CAL("DTEND:20261221T170000Z\r\n"),
	  "2026-12-21T12:00:00Z", -1, NULL, NULL, "DTSTART" },
	{ "bad DTSTART", CAL("DTSTART:2026122\r\n"),
	  "2026-12-21T12:00:00Z", -1, NULL, NULL, "DTSTART" },
	{ "impossible DTSTART", CAL("DTSTART:20261341T250000Z\r\n"),
	  "2026-12-21T12:00:00Z", -1, NULL, NULL, "DTSTART" },
	{ "unknown TZID",
	  CAL("DTSTART;TZID=Mars/Olympus_Mons:20261221T090000\r\n"
	      "DTEND;TZID=Mars/Olympus_Mons:20261221T170000\r\n"),
	  "2026-12-21T12:00:00Z", -1, NULL, NULL, "Mars/Olympus_Mons" },
	{ "bad RRULE",
	  CAL("DTSTART:20261221T090000Z\r\nDTEND:20261221T170000Z\r\n"
	      "RRULE:FREQ=FORTNIGHTLY\r\n"),
	  "2026-12-21T12:00:00Z", -1, NULL, NULL, "RRULE" },
	{ "DTEND before DTSTART",
	  CAL("DTSTART:20261221T090000Z\r\nDTEND:20261220T170000Z\r\n"),
	  "2026-12-21T12:00:00Z", -1, NULL, NULL, "DTEND before DTSTART" },
	{ "all-day DTEND before DTSTART",
	  CAL("DTSTART;VALUE=DATE:20261221\r\nDTEND;VALUE=DATE:20261220\r\n"),
	  "2026-12-21T12:00:00Z", -1, NULL, NULL, "DTEND before DTSTART" },
	{ "DTEND and DURATION: DTEND wins (Thunderbird writes both)",
	  CAL("DTSTART:20261221T090000Z\r\nDTEND:20261221T170000Z\r\n"
	      "DURATION:PT0S\r\n"),
	  "2026-12-21T12:00:00Z", 1,
	  "2026-12-21T09:00:00Z", "2026-12-21T17:00:00Z", NULL },
	{ "an empty RRULE: is no rule",
	  CAL("DTSTART;VALUE=DATE:20190101\r\nDTEND;VALUE=DATE:20190102\r\n"
	      "RRULE:\r\n"),
	  "2019-01-01T12:00:00Z", 1,
	  "2019-01-01T00:00:00Z", "2019-01-02T00:00:00Z", NULL },
	{ "an override with an RRULE is one instance",
	  "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:o\r\n"
	  "DTSTART;VALUE=DATE:20240701\r\nDTEND;VALUE=DATE:20240702\r\n"
	  "RRULE:FREQ=WEEKLY;BYDAY=MO\r\nEND:VEVENT\r\n"
	  "BEGIN:VEVENT\r\nUID:o\r\nRECURRENCE-ID;VALUE=DATE:20240708\r\n"
	  "DTSTART;VALUE=DATE:20240709\r\nDTEND;VALUE=DATE:20240710\r\n"
	  "RRULE:FREQ=WEEKLY;BYDAY=MO\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	  "2024-07-15T12:00:00Z", 1,
	  "2024-07-15T00:00:00Z", "2024-07-16T00:00:00Z", NULL },
	{ "two copies of one override do not cancel each other",
	  "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:o\r\n"
	  "DTSTART;VALUE=DATE:20240701\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n"
	  "BEGIN:VEVENT\r\nUID:o\r\nRECURRENCE-ID;VALUE=DATE:20240708\r\n"
	  "DTSTART;VALUE=DATE:20240708\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n"
	  "BEGIN:VEVENT\r\nUID:o\r\nRECURRENCE-ID;VALUE=DATE:20240708\r\n"
	  "DTSTART;VALUE=DATE:20240708\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n"
	  "END:VCALENDAR\r\n",
	  "2024-07-08T12:00:00Z", 1,
	  "2024-07-08T00:00:00Z", "2024-07-09T00:00:00Z", NULL },
	{ "recurring without end: instants of no length",
	  CAL("DTSTART:20261221T090000Z\r\nRRULE:FREQ=DAILY\r\n"),
	  "2026-12-22T09:00:00Z", 0, NULL, NULL, NULL },
};

/* ts - "YYYY-MM-DDTHH:MM:SSZ" to time_t */
static time_t
ts(const char *text)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(text, "%d-%d-%dT%d:%d:%dZ", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		abort();
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

/* run_row - one table row */
static void
run_row(const struct absence_row *row)
{
	struct absence_result res;
	const char *values[2] = { row->value, NULL };
	char   *error = NULL;
	int	rc;

	rc = absence_check(values, ts(row->now), &res, &error);
	tap_ok(rc == row->expect, "%s: result %d, expected %d%s%s",
	       row->name, rc, row->expect, error ? ": " : "",
	       error ? error : "");
	if (row->expect == 1 && rc == 1) {
		time_t	end = *row->end == '\0' ? 0 : ts(row->end);

		tap_ok(res.start == ts(row->start) && res.end == end,
		       "%s: start %ld end %ld, expected %ld %ld", row->name,
		       (long)res.start, (long)res.end, (long)ts(row->start),
		       (long)end);
	}
	if (row->expect == -1) {
		tap_ok(error != NULL && strstr(error, row->error) != NULL,
		       "%s: error '%s' mentions '%s'", row->name,
		       error ? error : "(none)", row->error);
		tap_ok(absence_validate(row->value, NULL) == -1,
		       "%s: absence_validate() refuses it too", row->name);
	} else {
		g_free(error);
		error = NULL;
		tap_ok(absence_validate(row->value, &error) == 0,
		       "%s: absence_validate() accepts it", row->name);
	}
	g_free(error);
}

/* test_multiple - several values, a broken one, NULL and empty lists */
static void
test_multiple(void)
{
	const char *both[] = { WORKDAY, XMAS_BERLIN, NULL };
	const char *broken[] = { WORKDAY, "garbage", NULL };
	const char *none[] = { NULL };
	struct absence_result res;
	char   *error = NULL;

	tap_ok(absence_check(both, ts("2026-12-24T12:00:00Z"), &res,
			     &error) == 1
	       && res.end == ts("2026-12-24T23:00:00Z"),
	       "second of two values covers now");
	tap_ok(absence_check(broken, ts("2026-12-21T12:00:00Z"), &res,
			     &error) == -1 && error != NULL,
	       "one broken value fails the check");
	g_free(error);
	error = NULL;
	tap_ok(absence_check(none, ts("2026-12-21T12:00:00Z"), &res,
			     &error) == 0 && error == NULL,
	       "no values: not away");
	tap_ok(absence_check(NULL, 0, NULL, &error) == 0,
	       "NULL list: not away");
}

/* test_runaway - recurrence expansion is capped at check time */
static void
test_runaway(void)
{
	const char *values[] = {
		CAL("DTSTART:20000101T000000Z\r\nDURATION:PT1S\r\n"
		    "RRULE:FREQ=SECONDLY\r\n"),
		NULL
	};
	char   *error = NULL;

	tap_ok(absence_check(values, ts("2026-12-21T12:00:00Z"), NULL,
			     &error) == -1 && error != NULL
	       && strstr(error, "steps") != NULL,
	       "runaway recurrence is capped: %s", error ? error : "");
	g_free(error);
	tap_ok(absence_validate(values[0], NULL) == 0,
	       "runaway recurrence: absence_validate() cannot know");
}

/* test_many_rules - RRULE expansions per check are capped */
static void
test_many_rules(void)
{
	const char *values[2] = { NULL, NULL };
	GString *cal;
	char   *error = NULL;
	int	i;

	cal = g_string_new("BEGIN:VCALENDAR\r\n");
	for (i = 0; i < 17; i++)
		g_string_append_printf(cal, "BEGIN:VEVENT\r\nUID:%d\r\n"
				       "DTSTART;VALUE=DATE:2026120%d\r\n"
				       "RRULE:FREQ=YEARLY\r\nEND:VEVENT\r\n",
				       i, 1 + i % 9);
	g_string_append(cal, "END:VCALENDAR\r\n");
	values[0] = cal->str;
	tap_ok(absence_check(values, ts("2026-12-21T12:00:00Z"), NULL,
			     &error) == -1 && error != NULL
	       && strstr(error, "RRULEs") != NULL,
	       "17 RRULEs in one check are refused: %s", error ? error : "");
	g_free(error);
	g_string_free(cal, TRUE);
}

/* test_limits - oversized values and mangled input never crash */
static void
test_limits(void)
{
	const char *values[2] = { NULL, NULL };
	GString *big;
	char   *error = NULL, *copy;
	guint32	seed = 42;
	size_t	len, i, pos;
	int	crashes = 0, n;

	big = g_string_new("BEGIN:VEVENT\r\nDTSTART:20261221T090000Z\r\n");
	while (big->len <= 64 * 1024)
		g_string_append(big, "X-PAD:0123456789abcdef0123456789\r\n");
	g_string_append(big, "END:VEVENT\r\n");
	values[0] = big->str;
	tap_ok(absence_check(values, 0, NULL, &error) == -1 && error != NULL
	       && strstr(error, "longer") != NULL,
	       "value over 64 KiB is refused: %s", error ? error : "");
	g_free(error);
	g_string_free(big, TRUE);

	/* cheap mutation fuzzing: flip bytes and cut the text short */
	len = strlen(FRIDAYS);
	for (n = 0; n < 2000; n++) {
		copy = g_strdup(FRIDAYS);
		for (i = 0; i < 4; i++) {
			seed = seed * 1103515245u + 12345u;
			pos = (seed >> 8) % len;
			seed = seed * 1103515245u + 12345u;
			copy[pos] = (char)(seed >> 16);
			if (copy[pos] == '\0')
				copy[pos] = ';';
		}
		seed = seed * 1103515245u + 12345u;
		if (seed % 4 == 0)
			copy[(seed >> 8) % len] = '\0';
		values[0] = copy;
		error = NULL;
		if (absence_check(values, ts("2026-12-18T12:00:00Z"), NULL,
				  &error) < -1)
			crashes++;
		g_free(error);
		g_free(copy);
	}
	tap_ok(crashes == 0, "2000 mangled values evaluated without a crash");
}

/* main - run the table */
int
main(void)
{
	size_t	i;

	for (i = 0; i < G_N_ELEMENTS(rows); i++)
		run_row(&rows[i]);
	test_multiple();
	test_runaway();
	test_many_rules();
	test_limits();
	icaltimezone_free_builtin_timezones();
	return tap_done();
}
