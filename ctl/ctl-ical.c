/*
 * NAME
 *	ctl-ical - iCalendar for deputyctl: build, read and amend absences
 * SUMMARY
 *	ctl_event_build() writes the VCALENDAR of one absence with
 *	libical: UID, DTSTAMP, DTSTART and DTEND (with TZID unless UTC;
 *	all-day values as DATE with an exclusive DTEND), an optional RRULE
 *	and SUMMARY. ctl_events() lists the VEVENTs of an entry's values
 *	for display; ctl_event_find() walks an event's instances to find
 *	the one that covers or follows an instant. Whether a user is away
 *	is never decided here: that is absence_check()'s job, the same
 *	function deputy-lda uses.
 * DIAGNOSTICS
 *	ctl_events() fails with the reason when a value does not pass
 *	absence_validate(). ctl_event_find() returns 1 (found) or 0; it
 *	gives up after 20000 instances or 50 years.
 * BUGS
 *	For display only, RDATE is ignored and every instance of a
 *	recurring event is as long as the first one.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "absence.h"
#include "ctl.h"

#define CTL_ICAL_MAX_STEPS	20000
#define CTL_ICAL_HORIZON	(50LL * 366 * 86400)

/*
 * ctl_ical_zone_of - the zone of a property (TZID): the system's for a
 * name tzdata knows (vendor prefixes too), else the value's VTIMEZONE,
 * as absence_check() does
 */
static icaltimezone *
ctl_ical_zone_of(icalcomponent *root, icalproperty *prop,
		 struct icaltimetype tt, const char **name_r)
{
	icalparameter *param;
	icaltimezone *zone = NULL;
	const char *tzid;

	*name_r = NULL;
	param = prop != NULL ? icalproperty_get_first_parameter(prop,
	    ICAL_TZID_PARAMETER) : NULL;
	if (param != NULL && (tzid = icalparameter_get_tzid(param)) != NULL) {
		*name_r = tzid;
		zone = absence_zone_system(tzid);
		if (zone == NULL
		    && icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT)
			zone = icalcomponent_get_timezone(root, tzid);
		if (zone == NULL)
			zone = ctl_ical_zone(tzid);
	}
	if (zone == NULL && tt.zone != NULL)
		zone = (icaltimezone *)tt.zone;
	return zone != NULL ? zone : icaltimezone_get_utc_timezone();
}

/* ctl_ical_instant - TT (a date: its midnight) as a time_t in ZONE */
static time_t
ctl_ical_instant(struct icaltimetype tt, icaltimezone *zone)
{
	if (tt.is_date) {
		tt.is_date = 0;
		tt.hour = tt.minute = tt.second = 0;
	}
	tt.zone = NULL;
	return icaltime_as_timet_with_zone(tt, zone);
}

/* ctl_event_free - release one event (and its value's tree if owned) */
static void
ctl_event_free(gpointer data)
{
	struct ctl_event *ev = data;

	g_free(ev->uid);
	g_free(ev->summary);
	g_free(ev->zone);
	g_free(ev->rrule);
	if (ev->owns_root && ev->root != NULL)
		icalcomponent_free(ev->root);
	g_free(ev);
}

/* ctl_events_new - an empty list for ctl_events_text() */
GPtrArray *
ctl_events_new(void)
{
	return g_ptr_array_new_with_free_func(ctl_event_free);
}

/* ctl_events_free - release a list from ctl_events() */
void
ctl_events_free(GPtrArray *events)
{
	if (events != NULL)
		g_ptr_array_free(events, TRUE);
}

/* ctl_event_read - one VEVENT as a struct ctl_event */
static struct ctl_event *
ctl_event_read(icalcomponent *root, icalcomponent *comp, size_t value)
{
	struct ctl_event *ev;
	struct icaltimetype st, en;
	icalproperty *prop;
	icaltimezone *zone;
	const char *name, *s;

	ev = g_new0(struct ctl_event, 1);
	ev->root = root;
	ev->comp = comp;
	ev->value = value;
	s = icalcomponent_get_uid(comp);
	ev->uid = g_strdup(s != NULL ? s : "");
	s = icalcomponent_get_summary(comp);
	ev->summary = s != NULL ? g_strdup(s) : NULL;
	prop = icalcomponent_get_first_property(comp, ICAL_DTSTART_PROPERTY);
	st = icalcomponent_get_dtstart(comp);
	zone = ctl_ical_zone_of(root, prop, st, &name);
	ev->zone = name != NULL ? g_strdup(name) : NULL;
	ev->all_day = st.is_date;
	ev->start = ctl_ical_instant(st, zone);
	if ((prop = icalcomponent_get_first_property(comp,
	    ICAL_DTEND_PROPERTY)) != NULL) {
		en = icalproperty_get_dtend(prop);
		ev->end = ctl_ical_instant(en, ctl_ical_zone_of(root, prop, en,
		    &name));
		if (ev->all_day && ev->end <= ev->start)
			ev->end = ev->start + 86400;
	} else if ((prop = icalcomponent_get_first_property(comp,
		   ICAL_DURATION_PROPERTY)) != NULL) {
		ev->end = ev->start + icaldurationtype_as_int(
		    icalproperty_get_duration(prop));
	} else if (ev->all_day) {
		ev->end = ev->start + 86400;
	} else {
		ev->end = ev->start;	/* RFC 5545 3.6.1: no length */
	}
	if ((prop = icalcomponent_get_first_property(comp,
	    ICAL_RRULE_PROPERTY)) != NULL) {
		struct icalrecurrencetype r = icalproperty_get_rrule(prop);
		char   *text = icalrecurrencetype_as_string_r(&r);

		ev->rrule = g_strdup(text);
		icalmemory_free_buffer(text);
	}
	return ev;
}

/* ctl_events_text - append the VEVENTs of one value to EVENTS */
int
ctl_events_text(const char *text, size_t value, GPtrArray *events,
		char **error_r)
{
	icalcomponent *root, *comp;
	int	first = 1;

	if (absence_validate(text, error_r) < 0)
		return -1;
	root = icalparser_parse_string(text);
	if (root == NULL) {
		*error_r = g_strdup("not iCalendar");
		return -1;
	}
	if (icalcomponent_isa(root) == ICAL_VEVENT_COMPONENT) {
		struct ctl_event *ev = ctl_event_read(root, root, value);

		ev->owns_root = 1;
		g_ptr_array_add(events, ev);
		return 0;
	}
	for (comp = icalcomponent_get_first_component(root,
	    ICAL_VEVENT_COMPONENT); comp != NULL;
	     comp = icalcomponent_get_next_component(root,
	    ICAL_VEVENT_COMPONENT)) {
		struct ctl_event *ev = ctl_event_read(root, comp, value);

		ev->owns_root = first;
		first = 0;
		g_ptr_array_add(events, ev);
	}
	if (first)
		icalcomponent_free(root);
	return 0;
}

/* ctl_events - the VEVENTs of every deputyAbsence value of E */
int
ctl_events(const struct dir_entry *e, GPtrArray **events_r, char **error_r)
{
	GPtrArray *events;
	size_t	i;

	*error_r = NULL;
	events = ctl_events_new();
	for (i = 0; i < e->absences.count; i++) {
		char   *err = NULL;

		if (ctl_events_text(e->absences.values[i], i, events,
				    &err) < 0) {
			*error_r = g_strdup_printf("deputyAbsence value %zu: "
			    "%s", i + 1, err != NULL ? err : "bad");
			g_free(err);
			ctl_events_free(events);
			*events_r = NULL;
			return -1;
		}
	}
	*events_r = events;
	return 0;
}

/* ctl_event_excluded - whether START is an EXDATE of EV */
static int
ctl_event_excluded(const struct ctl_event *ev, time_t start)
{
	icalproperty *prop;

	for (prop = icalcomponent_get_first_property(ev->comp,
	    ICAL_EXDATE_PROPERTY); prop != NULL;
	     prop = icalcomponent_get_next_property(ev->comp,
	    ICAL_EXDATE_PROPERTY)) {
		struct icaltimetype tt = icalproperty_get_exdate(prop);
		const char *name;
		icaltimezone *zone = ctl_ical_zone_of(ev->root, prop, tt,
						      &name);

		if (tt.is_date) {
			icaltimezone *ez = ev->zone != NULL
			    ? absence_zone_system(ev->zone) : NULL;

			if (ctl_ical_instant(tt, ez != NULL ? ez
			    : icaltimezone_get_utc_timezone()) == start)
				return 1;
		} else if (ctl_ical_instant(tt, zone) == start) {
			return 1;
		}
	}
	return 0;
}

/*
 * ctl_event_find - the first instance of EV that ends after T (or, with
 * BY_START, that starts after T); 1 found, 0 none
 */
int
ctl_event_find(const struct ctl_event *ev, time_t t, int by_start,
	       time_t *start_r, time_t *end_r)
{
	struct icalrecurrencetype r;
	icalrecur_iterator *it;
	struct icaltimetype st, occ;
	icalproperty *prop;
	icaltimezone *zone;
	const char *name;
	time_t	len, s, e;
	int	steps;

	if (ev->rrule == NULL) {
		if (by_start ? ev->start > t : (ev->end == 0 || ev->end > t)) {
			*start_r = ev->start;
			*end_r = ev->end;
			return 1;
		}
		return 0;
	}
	prop = icalcomponent_get_first_property(ev->comp,
						ICAL_RRULE_PROPERTY);
	r = icalproperty_get_rrule(prop);
	st = icalcomponent_get_dtstart(ev->comp);
	zone = ctl_ical_zone_of(ev->root, icalcomponent_get_first_property(
	    ev->comp, ICAL_DTSTART_PROPERTY), st, &name);
	len = ev->end != 0 ? ev->end - ev->start : 0;
	/*
	 * DTSTART first, even off the rule; then the rule in wall clock
	 * time (libical shifts a zoned series after a spring gap).
	 */
	s = ev->start;
	e = len != 0 ? s + len : 0;
	if (!ctl_event_excluded(ev, s)
	    && (by_start ? s > t : (e == 0 || e > t))) {
		*start_r = s;
		*end_r = e;
		return 1;
	}
	if (!icaltime_is_utc(st) && !st.is_date) {
		st.zone = NULL;
		if (!icaltime_is_null_time(r.until) && !r.until.is_date
		    && icaltime_is_utc(r.until)) {
			r.until = icaltime_from_timet_with_zone(
			    icaltime_as_timet_with_zone(r.until,
			    icaltimezone_get_utc_timezone()), 0, zone);
			r.until.zone = NULL;
		}
	}
	it = icalrecur_iterator_new(r, st);
	if (it == NULL)
		return 0;
	for (steps = 0; steps < CTL_ICAL_MAX_STEPS; steps++) {
		occ = icalrecur_iterator_next(it);
		if (icaltime_is_null_time(occ))
			break;
		s = ctl_ical_instant(occ, zone);
		if (s == ev->start)
			continue;
		if ((long long)s - (long long)t > CTL_ICAL_HORIZON)
			break;
		e = len != 0 ? s + len : 0;
		if (ctl_event_excluded(ev, s))
			continue;
		if (by_start ? s > t : (e == 0 || e > t)) {
			icalrecur_iterator_free(it);
			*start_r = s;
			*end_r = e;
			return 1;
		}
	}
	icalrecur_iterator_free(it);
	return 0;
}

/* ctl_rrule_parse - --every: a shortcut or an RRULE, checked by libical */
int
ctl_rrule_parse(const char *text, char **rrule_r, char **why_r)
{
	static const struct {
		const char *name;
		const char *rule;
	} shortcuts[] = {
		{ "daily", "FREQ=DAILY" },
		{ "weekly", "FREQ=WEEKLY" },
		{ "monthly", "FREQ=MONTHLY" },
		{ "yearly", "FREQ=YEARLY" },
		{ "weekdays", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR" },
	};
	struct icalrecurrencetype r;
	const char *p;
	char   *out;
	size_t	i;

	*rrule_r = NULL;
	*why_r = NULL;
	for (i = 0; i < G_N_ELEMENTS(shortcuts); i++)
		if (g_ascii_strcasecmp(text, shortcuts[i].name) == 0)
			text = shortcuts[i].rule;
	if (g_ascii_strncasecmp(text, "RRULE:", 6) == 0)
		text += 6;
	if (*text == '\0' || strlen(text) > 256) {
		*why_r = g_strdup("not a recurrence rule (daily, weekly, "
				  "monthly, yearly, weekdays or an RRULE)");
		return -1;
	}
	for (p = text; *p != '\0'; p++)
		if (!g_ascii_isalnum(*p) && strchr("=;,:+-", *p) == NULL) {
			*why_r = g_strdup_printf("character '%c' is not "
			    "allowed in a recurrence rule", *p);
			return -1;
		}
	if (g_ascii_strncasecmp(text, "FREQ=", 5) != 0
	    && strstr(text, ";FREQ=") == NULL) {
		*why_r = g_strdup("not a recurrence rule: FREQ= is missing");
		return -1;
	}
	icalerror_clear_errno();
	r = icalrecurrencetype_from_string(text);
	if (r.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
		icalerror_clear_errno();
		*why_r = g_strdup("libical does not accept this recurrence "
				  "rule");
		return -1;
	}
	out = icalrecurrencetype_as_string_r(&r);
	*rrule_r = g_strdup(out);
	icalmemory_free_buffer(out);
	return 0;
}

/* ctl_event_build - the VCALENDAR text of one absence */
char *
ctl_event_build(const char *uid, const struct icaltimetype *start,
		const struct icaltimetype *end, const char *zone,
		const char *rrule, const char *summary)
{
	icalcomponent *cal, *ev;
	icalproperty *prop;
	struct icaltimetype st = *start, en = *end;
	int	utc = zone == NULL || g_ascii_strcasecmp(zone, "UTC") == 0;
	char   *text, *out;

	cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(cal,
	    icalproperty_new_prodid("-//deputy//deputyctl " PACKAGE_VERSION
				    "//EN"));
	ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
	icalcomponent_add_property(ev, icalproperty_new_uid(uid));
	icalcomponent_add_property(ev, icalproperty_new_dtstamp(
	    icaltime_current_time_with_zone(icaltimezone_get_utc_timezone())));
	if (utc && !st.is_date) {
		st.zone = icaltimezone_get_utc_timezone();
		en.zone = st.zone;
	} else {
		st.zone = en.zone = NULL;
	}
	prop = icalproperty_new_dtstart(st);
	if (!utc)
		icalproperty_add_parameter(prop, icalparameter_new_tzid(zone));
	icalcomponent_add_property(ev, prop);
	prop = icalproperty_new_dtend(en);
	if (!utc)
		icalproperty_add_parameter(prop, icalparameter_new_tzid(zone));
	icalcomponent_add_property(ev, prop);
	if (rrule != NULL)
		icalcomponent_add_property(ev, icalproperty_new_rrule(
		    icalrecurrencetype_from_string(rrule)));
	if (summary != NULL)
		icalcomponent_add_property(ev, icalproperty_new_summary(
		    summary));
	icalcomponent_add_component(cal, ev);
	text = icalcomponent_as_ical_string_r(cal);
	out = g_strdup(text);
	icalmemory_free_buffer(text);
	icalcomponent_free(cal);
	return out;
}

/* ctl_event_exclude - EV's value with the instance at START excluded */
char *
ctl_event_exclude(const struct ctl_event *ev, time_t start)
{
	struct icaltimetype tt;
	icalproperty *prop;
	char   *text, *out;

	if (ev->all_day) {
		icaltimezone *zone = ev->zone != NULL
		    ? absence_zone_system(ev->zone) : NULL;

		tt = icaltime_from_timet_with_zone(start, 1, zone != NULL
		    ? zone : icaltimezone_get_utc_timezone());
		tt.zone = NULL;
	} else {
		tt = icaltime_from_timet_with_zone(start, 0,
		    icaltimezone_get_utc_timezone());
	}
	prop = icalproperty_new_exdate(tt);
	icalcomponent_add_property(ev->comp, prop);
	text = icalcomponent_as_ical_string_r(ev->root);
	out = g_strdup(text);
	icalmemory_free_buffer(text);
	icalcomponent_remove_property(ev->comp, prop);
	icalproperty_free(prop);
	return out;
}
