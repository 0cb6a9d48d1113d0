/*
 * NAME
 *	absence-edit - read, build and amend deputyAbsence values
 * SUMMARY
 *	See absence-edit.h. The code of deputyctl's away and show, moved
 *	here so that deputy-web writes and shows absences with the same
 *	functions: one writer of deputyAbsence values for the helpdesk.
 * DIAGNOSTICS
 *	See absence-edit.h.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "absence.h"
#include "absence-edit.h"

#define ABSENCE_EDIT_MAX_STEPS	20000
#define ABSENCE_EDIT_HORIZON	(50LL * 366 * 86400)

/*
 * absence_edit_zone_of - the zone of a property (TZID): the system's for a
 * name tzdata knows (vendor prefixes too), else the value's VTIMEZONE,
 * as absence_check() does
 */
static icaltimezone *
absence_edit_zone_of(icalcomponent *root, icalproperty *prop,
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
			zone = absence_ical_zone(tzid);
	}
	if (zone == NULL && tt.zone != NULL)
		zone = (icaltimezone *)tt.zone;
	return zone != NULL ? zone : icaltimezone_get_utc_timezone();
}

/* absence_edit_instant - TT (a date: its midnight) as a time_t in ZONE */
static time_t
absence_edit_instant(struct icaltimetype tt, icaltimezone *zone)
{
	if (tt.is_date) {
		tt.is_date = 0;
		tt.hour = tt.minute = tt.second = 0;
	}
	tt.zone = NULL;
	return icaltime_as_timet_with_zone(tt, zone);
}

/* absence_event_free - release one event (and its value's tree if owned) */
static void
absence_event_free(gpointer data)
{
	struct absence_event *ev = data;

	g_free(ev->uid);
	g_free(ev->summary);
	g_free(ev->zone);
	g_free(ev->rrule);
	if (ev->owns_root && ev->root != NULL)
		icalcomponent_free(ev->root);
	g_free(ev);
}

/* absence_events_new - an empty list for absence_events_text() */
GPtrArray *
absence_events_new(void)
{
	return g_ptr_array_new_with_free_func(absence_event_free);
}

/* absence_events_free - release a list from absence_events_of() */
void
absence_events_free(GPtrArray *events)
{
	if (events != NULL)
		g_ptr_array_free(events, TRUE);
}

/* absence_event_read - one VEVENT as a struct absence_event */
static struct absence_event *
absence_event_read(icalcomponent *root, icalcomponent *comp, size_t value)
{
	struct absence_event *ev;
	struct icaltimetype st, en;
	icalproperty *prop;
	icaltimezone *zone;
	const char *name, *s;

	ev = g_new0(struct absence_event, 1);
	ev->root = root;
	ev->comp = comp;
	ev->value = value;
	s = icalcomponent_get_uid(comp);
	ev->uid = g_strdup(s != NULL ? s : "");
	s = icalcomponent_get_summary(comp);
	ev->summary = s != NULL ? g_strdup(s) : NULL;
	prop = icalcomponent_get_first_property(comp, ICAL_DTSTART_PROPERTY);
	st = icalcomponent_get_dtstart(comp);
	zone = absence_edit_zone_of(root, prop, st, &name);
	ev->zone = name != NULL ? g_strdup(name) : NULL;
	ev->all_day = st.is_date;
	ev->start = absence_edit_instant(st, zone);
	if ((prop = icalcomponent_get_first_property(comp,
	    ICAL_DTEND_PROPERTY)) != NULL) {
		en = icalproperty_get_dtend(prop);
		ev->end = absence_edit_instant(en, absence_edit_zone_of(root, prop, en,
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

/* absence_events_text - append the VEVENTs of one value to EVENTS */
int
absence_events_text(const char *text, size_t value, GPtrArray *events,
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
		struct absence_event *ev = absence_event_read(root, root, value);

		ev->owns_root = 1;
		g_ptr_array_add(events, ev);
		return 0;
	}
	for (comp = icalcomponent_get_first_component(root,
	    ICAL_VEVENT_COMPONENT); comp != NULL;
	     comp = icalcomponent_get_next_component(root,
	    ICAL_VEVENT_COMPONENT)) {
		struct absence_event *ev = absence_event_read(root, comp, value);

		ev->owns_root = first;
		first = 0;
		g_ptr_array_add(events, ev);
	}
	if (first)
		icalcomponent_free(root);
	return 0;
}

/* absence_events_of - the VEVENTs of every deputyAbsence value of E */
int
absence_events_of(const struct dir_entry *e, GPtrArray **events_r,
		  char **error_r)
{
	GPtrArray *events;
	size_t	i;

	*error_r = NULL;
	events = absence_events_new();
	for (i = 0; i < e->absences.count; i++) {
		char   *err = NULL;

		if (absence_events_text(e->absences.values[i], i, events,
				    &err) < 0) {
			*error_r = g_strdup_printf("deputyAbsence value %zu: "
			    "%s", i + 1, err != NULL ? err : "bad");
			g_free(err);
			absence_events_free(events);
			*events_r = NULL;
			return -1;
		}
	}
	*events_r = events;
	return 0;
}

/* absence_event_excluded - whether START is an EXDATE of EV */
static int
absence_event_excluded(const struct absence_event *ev, time_t start)
{
	icalproperty *prop;

	for (prop = icalcomponent_get_first_property(ev->comp,
	    ICAL_EXDATE_PROPERTY); prop != NULL;
	     prop = icalcomponent_get_next_property(ev->comp,
	    ICAL_EXDATE_PROPERTY)) {
		struct icaltimetype tt = icalproperty_get_exdate(prop);
		const char *name;
		icaltimezone *zone = absence_edit_zone_of(ev->root, prop, tt,
						      &name);

		if (tt.is_date) {
			icaltimezone *ez = ev->zone != NULL
			    ? absence_zone_system(ev->zone) : NULL;

			if (absence_edit_instant(tt, ez != NULL ? ez
			    : icaltimezone_get_utc_timezone()) == start)
				return 1;
		} else if (absence_edit_instant(tt, zone) == start) {
			return 1;
		}
	}
	return 0;
}

/*
 * absence_event_find - the first instance of EV that ends after T (or, with
 * BY_START, that starts after T); 1 found, 0 none
 */
int
absence_event_find(const struct absence_event *ev, time_t t, int by_start,
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
	zone = absence_edit_zone_of(ev->root, icalcomponent_get_first_property(
	    ev->comp, ICAL_DTSTART_PROPERTY), st, &name);
	len = ev->end != 0 ? ev->end - ev->start : 0;
	/*
	 * DTSTART first, even off the rule; then the rule in wall clock
	 * time (libical shifts a zoned series after a spring gap).
	 */
	s = ev->start;
	e = len != 0 ? s + len : 0;
	if (!absence_event_excluded(ev, s)
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
	for (steps = 0; steps < ABSENCE_EDIT_MAX_STEPS; steps++) {
		occ = icalrecur_iterator_next(it);
		if (icaltime_is_null_time(occ))
			break;
		s = absence_edit_instant(occ, zone);
		if (s == ev->start)
			continue;
		if ((long long)s - (long long)t > ABSENCE_EDIT_HORIZON)
			break;
		e = len != 0 ? s + len : 0;
		if (absence_event_excluded(ev, s))
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

/* absence_rrule_parse - --every: a shortcut or an RRULE, checked by libical */
int
absence_rrule_parse(const char *text, char **rrule_r, char **why_r)
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
	if (*text == '\0' || strlen(text) > ABSENCE_RRULE_MAX) {
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

/* absence_event_build - the VCALENDAR text of one absence */
char *
absence_event_build(const char *uid, const struct icaltimetype *start,
		    const struct icaltimetype *end, const char *zone,
		    const char *rrule, const char *summary,
		    const char *product)
{
	icalcomponent *cal, *ev;
	icalproperty *prop;
	struct icaltimetype st = *start, en = *end;
	int	utc = zone == NULL || g_ascii_strcasecmp(zone, "UTC") == 0;
	char   *text, *out, *prodid;

	cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	prodid = g_strdup_printf("-//deputy//%s " PACKAGE_VERSION "//EN",
	    product);
	icalcomponent_add_property(cal, icalproperty_new_prodid(prodid));
	g_free(prodid);
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

/* absence_event_exclude - EV's value with the instance at START excluded */
char *
absence_event_exclude(const struct absence_event *ev, time_t start)
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

/*
 * absence_parse_date - "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS]"
 *
 * The result has no zone; is_date tells which form it was.
 */
int
absence_parse_date(const char *text, struct icaltimetype *tt_r)
{
	int	y, mo, d, h = 0, mi = 0, s = 0, n = 0, len;

	memset(tt_r, 0, sizeof(*tt_r));
	len = (int)strnlen(text, 32);
	if (len == 10) {
		if (sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3
		    || n != 10)
			return -1;
		tt_r->is_date = 1;
	} else if (len == 16 || len == 19) {
		if (len == 16 && (sscanf(text, "%4d-%2d-%2dT%2d:%2d%n", &y,
		    &mo, &d, &h, &mi, &n) != 5 || n != 16))
			return -1;
		if (len == 19 && (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n",
		    &y, &mo, &d, &h, &mi, &s, &n) != 6 || n != 19))
			return -1;
	} else {
		return -1;
	}
	/* digits where digits belong (sscanf takes "+1" and " 1") */
	for (n = 0; n < len; n++) {
		if (n == 4 || n == 7 || n == 10 || n == 13 || n == 16)
			continue;
		if (!g_ascii_isdigit(text[n]))
			return -1;
	}
	if (text[4] != '-' || text[7] != '-' || (len > 10 && (text[10] != 'T'
	    || text[13] != ':' || (len == 19 && text[16] != ':'))))
		return -1;
	if (y < 1970 || y > 2999 || !g_date_valid_dmy((GDateDay)d,
	    (GDateMonth)mo, (GDateYear)y) || h > 23 || mi > 59 || s > 59)
		return -1;
	tt_r->year = y;
	tt_r->month = mo;
	tt_r->day = d;
	tt_r->hour = h;
	tt_r->minute = mi;
	tt_r->second = s;
	return 0;
}

/* absence_parse_when - a date, a date-time, "today" or "now" in ZONE */
int
absence_parse_when(const char *text, const char *zone, time_t now,
		   struct icaltimetype *tt_r)
{
	GTimeZone *tz;
	GDateTime *dt, *z;
	int	today = g_ascii_strcasecmp(text, "today") == 0;

	if (!today && g_ascii_strcasecmp(text, "now") != 0)
		return absence_parse_date(text, tt_r);
	tz = g_time_zone_new_identifier(zone);
	if (tz == NULL)
		return -1;
	dt = g_date_time_new_from_unix_local((gint64)now);
	z = g_date_time_to_timezone(dt, tz);
	g_date_time_unref(dt);
	dt = z;
	memset(tt_r, 0, sizeof(*tt_r));
	tt_r->year = g_date_time_get_year(dt);
	tt_r->month = g_date_time_get_month(dt);
	tt_r->day = g_date_time_get_day_of_month(dt);
	tt_r->is_date = today;
	if (!today) {
		tt_r->hour = g_date_time_get_hour(dt);
		tt_r->minute = g_date_time_get_minute(dt);
	}
	g_date_time_unref(dt);
	g_time_zone_unref(tz);
	return 0;
}

/* absence_ical_zone - libical's zone NAME ("UTC" included), or NULL */
icaltimezone *
absence_ical_zone(const char *name)
{
	if (name == NULL || g_ascii_strcasecmp(name, "UTC") == 0
	    || strcmp(name, "Etc/UTC") == 0)
		return icaltimezone_get_utc_timezone();
	return icaltimezone_get_builtin_timezone(name);
}

/* absence_zone_ok - whether both libical and GLib know zone NAME */
int
absence_zone_ok(const char *name)
{
	GTimeZone *tz;

	if (strlen(name) > 64 || absence_ical_zone(name) == NULL)
		return 0;
	if ((tz = g_time_zone_new_identifier(name)) == NULL)
		return 0;
	g_time_zone_unref(tz);
	return 1;
}

/* absence_time_at - the instant of TT (a date: its midnight) in ZONE */
int
absence_time_at(const struct icaltimetype *tt, const char *zone, time_t *t_r)
{
	GTimeZone *tz;
	GDateTime *dt;

	tz = g_time_zone_new_identifier(zone != NULL ? zone : "UTC");
	if (tz == NULL)
		return -1;
	dt = g_date_time_new(tz, tt->year, tt->month, tt->day,
			     tt->is_date ? 0 : tt->hour,
			     tt->is_date ? 0 : tt->minute,
			     tt->is_date ? 0 : tt->second);
	g_time_zone_unref(tz);
	if (dt == NULL)
		return -1;
	*t_r = (time_t)g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return 0;
}

/* absence_fmt_time - T in ZONE: "2026-12-21 09:00 Europe/Berlin" or ISO */
char *
absence_fmt_time(time_t t, const char *zone, int iso)
{
	GTimeZone *tz;
	GDateTime *utc, *dt;
	char   *s, *out;

	if (t == 0)
		return g_strdup(iso ? "" : "(open end)");
	tz = g_time_zone_new_identifier(zone != NULL ? zone : "UTC");
	if (tz == NULL)
		tz = g_time_zone_new_utc();
	utc = g_date_time_new_from_unix_utc((gint64)t);
	dt = g_date_time_to_timezone(utc, tz);
	s = g_date_time_format(dt, iso ? "%Y-%m-%dT%H:%M:%S%:z"
			       : "%Y-%m-%d %H:%M");
	out = iso ? g_strdup(s) : g_strdup_printf("%s %s", s,
	    zone != NULL ? zone : "UTC");
	g_free(s);
	g_date_time_unref(dt);
	g_date_time_unref(utc);
	g_time_zone_unref(tz);
	return out;
}

/* absence_new_uid - a fresh iCalendar UID */
char *
absence_new_uid(const char *product)
{
	char   *u = g_uuid_string_random();
	char   *uid = g_strdup_printf("%s@%s", u, product);

	g_free(u);
	return uid;
}

/* absence_spec_build - check SPEC and build its value */
int
absence_spec_build(const struct absence_spec *spec, struct absence_built *out,
		   const char **field_r, char **why_r)
{
	const char *zone = spec->zone != NULL ? spec->zone : "UTC";
	struct icaltimetype st, en;
	char   *why = NULL;

	memset(out, 0, sizeof(*out));
	*field_r = NULL;
	*why_r = NULL;
	if (!absence_zone_ok(zone)) {
		*field_r = "tz";
		*why_r = g_strdup("not a time zone (an IANA name such as "
				  "Europe/Berlin, or UTC)");
		return -1;
	}
	if (spec->from == NULL || *spec->from == '\0') {
		*field_r = "from";
		*why_r = g_strdup("a start date is required");
		return -1;
	}
	if (spec->until == NULL || *spec->until == '\0') {
		*field_r = "until";
		*why_r = g_strdup("an end date is required");
		return -1;
	}
	if (absence_parse_when(spec->from, zone, spec->now, &st) < 0) {
		*field_r = "from";
		*why_r = g_strdup("not a date (YYYY-MM-DD or "
				  "YYYY-MM-DDTHH:MM)");
		return -1;
	}
	if (absence_parse_when(spec->until, zone, spec->now, &en) < 0) {
		*field_r = "until";
		*why_r = g_strdup("not a date (YYYY-MM-DD or "
				  "YYYY-MM-DDTHH:MM)");
		return -1;
	}
	if (st.is_date != en.is_date) {
		/* one of each: the date becomes a date-time */
		st.is_date = 0;
		if (en.is_date) {
			en.is_date = 0;
			icaltime_adjust(&en, 1, 0, 0, 0);
		}
	} else if (en.is_date) {
		icaltime_adjust(&en, 1, 0, 0, 0);	/* exclusive */
	}
	if (absence_time_at(&st, zone, &out->start) < 0
	    || absence_time_at(&en, zone, &out->end) < 0) {
		*field_r = "from";
		*why_r = g_strdup_printf("does not exist in time zone %s",
					 zone);
		return -1;
	}
	if (out->end <= out->start) {
		*field_r = "until";
		*why_r = g_strdup_printf("is before %s %s", spec->from_label
		    != NULL ? spec->from_label : "the start", spec->from);
		return -1;
	}
	if (out->end <= spec->now) {
		*field_r = "until";
		*why_r = g_strdup("is in the past");
		return -1;
	}
	if (spec->every != NULL && *spec->every != '\0'
	    && absence_rrule_parse(spec->every, &out->rrule, &why) < 0) {
		*field_r = "every";
		*why_r = why;
		return -1;
	}
	if (spec->summary != NULL && (strlen(spec->summary)
	    > ABSENCE_SUMMARY_MAX || !g_utf8_validate(spec->summary, -1,
	    NULL))) {
		absence_built_clear(out);
		*field_r = "summary";
		*why_r = g_strdup_printf("not UTF-8, or longer than %d bytes",
					 ABSENCE_SUMMARY_MAX);
		return -1;
	}
	out->uid = absence_new_uid(spec->product);
	out->text = absence_event_build(out->uid, &st, &en, zone, out->rrule,
	    spec->summary != NULL ? spec->summary : "Out of office",
	    spec->product);
	if (absence_validate(out->text, &why) < 0) {
		*field_r = spec->every != NULL && *spec->every != '\0'
		    ? "every" : "from";
		*why_r = g_strdup_printf("the absence does not validate: %s",
					 why);
		g_free(why);
		absence_built_clear(out);
		return -1;
	}
	return 0;
}

/* absence_built_clear - release what OUT holds */
void
absence_built_clear(struct absence_built *out)
{
	g_free(out->uid);
	g_free(out->text);
	g_free(out->rrule);
	memset(out, 0, sizeof(*out));
}

/* absence_value_add - add VALUE to LIST unless there */
static void
absence_value_add(GPtrArray *list, const char *value)
{
	guint	i;

	for (i = 0; i < list->len; i++)
		if (strcmp(g_ptr_array_index(list, i), value) == 0)
			return;
	g_ptr_array_add(list, g_strdup(value));
}

/* absence_back_plan - the values to delete and add for "back" */
void
absence_back_plan(const struct dir_entry *e, time_t now, int all,
		  const char *uid, GPtrArray *del, GPtrArray *add)
{
	size_t	i;

	for (i = 0; i < e->absences.count; i++) {
		const char *value = e->absences.values[i];
		GPtrArray *events;
		char   *err = NULL;
		guint	k;

		if (all) {
			absence_value_add(del, value);
			continue;
		}
		events = absence_events_new();
		if (absence_events_text(value, i, events, &err) < 0) {
			g_free(err);
			absence_events_free(events);
			continue;	/* check reports these */
		}
		for (k = 0; k < events->len; k++) {
			const struct absence_event *ev =
			    g_ptr_array_index(events, k);
			time_t	s, en;

			if (uid != NULL) {
				if (strcmp(ev->uid, uid) == 0)
					absence_value_add(del, value);
				continue;
			}
			if (!absence_event_find(ev, now, 0, &s, &en)
			    || s > now)
				continue;
			/* in effect now */
			absence_value_add(del, value);
			if (ev->rrule != NULL) {
				char   *amended = absence_event_exclude(ev, s);

				absence_value_add(add, amended);
				g_free(amended);
			}
		}
		absence_events_free(events);
	}
}
