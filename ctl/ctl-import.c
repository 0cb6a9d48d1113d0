/*
 * NAME
 *	ctl-import - deputyctl import: absences from a calendar export
 * SUMMARY
 *	An iCalendar file (Outlook, Thunderbird, Google, an .ics of one
 *	event) is read with libical; the events that --filter selects (oof:
 *	Outlook's out-of-office status; busy: opaque events too; all) and
 *	that are not over are grouped by UID (a rule and its overrides stay
 *	together) and stored as one deputyAbsence value each, stripped to
 *	the properties deputy reads (no attendees, no descriptions). An
 *	absence with the same UID is replaced, an identical one left alone.
 * DIAGNOSTICS
 *	As ctl-write.c: a bad file or argument is CTL_USAGE, a refused
 *	change CTL_USAGE with the server's reason, an unreachable
 *	directory CTL_UNREACHABLE.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "absence.h"
#include "ctl.h"

#define CTL_ICS_MAX		(4 * 1024 * 1024)

/* ctl_ics_x - the value of X-property NAME of COMP, or NULL */
static const char *
ctl_ics_x(icalcomponent *comp, const char *name)
{
	icalproperty *p;

	for (p = icalcomponent_get_first_property(comp, ICAL_X_PROPERTY);
	     p != NULL;
	     p = icalcomponent_get_next_property(comp, ICAL_X_PROPERTY)) {
		const char *x = icalproperty_get_x_name(p);

		if (x != NULL && g_ascii_strcasecmp(x, name) == 0)
			return icalproperty_get_x(p);
	}
	return NULL;
}

/* ctl_ics_selected - whether an event passes --filter */
static int
ctl_ics_selected(icalcomponent *comp, const char *filter)
{
	const char *busy;
	icalproperty *p;

	if (icalcomponent_get_status(comp) == ICAL_STATUS_CANCELLED)
		return 0;
	if (strcmp(filter, "all") == 0)
		return 1;
	busy = ctl_ics_x(comp, "X-MICROSOFT-CDO-BUSYSTATUS");
	if (busy == NULL)
		busy = ctl_ics_x(comp, "X-MICROSOFT-CDO-INTENDEDSTATUS");
	if (busy != NULL && g_ascii_strcasecmp(busy, "OOF") == 0)
		return 1;
	if (strcmp(filter, "oof") == 0)
		return 0;
	/* busy: opaque, unless Outlook says free or tentative */
	if (busy != NULL)
		return g_ascii_strcasecmp(busy, "BUSY") == 0;
	p = icalcomponent_get_first_property(comp, ICAL_TRANSP_PROPERTY);
	return p == NULL
	    || icalproperty_get_transp(p) != ICAL_TRANSP_TRANSPARENT;
}

/* ctl_ics_value - a VCALENDAR with the events of one UID, stripped */
static char *
ctl_ics_value(icalcomponent *root, GPtrArray *comps)
{
	static const icalproperty_kind keep[] = {
		ICAL_UID_PROPERTY, ICAL_DTSTAMP_PROPERTY,
		ICAL_DTSTART_PROPERTY, ICAL_DTEND_PROPERTY,
		ICAL_DURATION_PROPERTY, ICAL_RRULE_PROPERTY,
		ICAL_EXDATE_PROPERTY, ICAL_RDATE_PROPERTY,
		ICAL_RECURRENCEID_PROPERTY, ICAL_SUMMARY_PROPERTY,
	};
	icalcomponent *cal, *tz;
	GHashTable *tzids;
	char   *text, *out;
	guint	i;
	size_t	k;

	cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(cal, icalproperty_new_prodid(
	    "-//deputy//deputyctl import//EN"));
	/* Google's zone for times without TZID (absence.c reads it) */
	if (icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT
	    && ctl_ics_x(root, "X-WR-TIMEZONE") != NULL) {
		icalproperty *x = icalproperty_new_x(ctl_ics_x(root,
		    "X-WR-TIMEZONE"));

		icalproperty_set_x_name(x, "X-WR-TIMEZONE");
		icalcomponent_add_property(cal, x);
	}
	tzids = g_hash_table_new(g_str_hash, g_str_equal);
	for (i = 0; i < comps->len; i++) {
		icalcomponent *src = g_ptr_array_index(comps, i), *ev;
		icalproperty *p;

		ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
		for (k = 0; k < G_N_ELEMENTS(keep); k++) {
			for (p = icalcomponent_get_first_property(src, keep[k]);
			     p != NULL;
			     p = icalcomponent_get_next_property(src,
								 keep[k])) {
				icalparameter *tp =
				    icalproperty_get_first_parameter(p,
				    ICAL_TZID_PARAMETER);

				if (tp != NULL && icalparameter_get_tzid(tp))
					g_hash_table_add(tzids, (gpointer)
					    icalparameter_get_tzid(tp));
				icalcomponent_add_property(ev,
				    icalproperty_new_clone(p));
			}
		}
		icalcomponent_add_component(cal, ev);
	}
	if (icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT) {
		for (tz = icalcomponent_get_first_component(root,
		    ICAL_VTIMEZONE_COMPONENT); tz != NULL;
		     tz = icalcomponent_get_next_component(root,
		    ICAL_VTIMEZONE_COMPONENT)) {
			icalproperty *p = icalcomponent_get_first_property(tz,
			    ICAL_TZID_PROPERTY);

			if (p != NULL && icalproperty_get_tzid(p) != NULL
			    && g_hash_table_contains(tzids,
			    icalproperty_get_tzid(p)))
				icalcomponent_add_component(cal,
				    icalcomponent_new_clone(tz));
		}
	}
	g_hash_table_destroy(tzids);
	text = icalcomponent_as_ical_string_r(cal);
	out = g_strdup(text);
	icalmemory_free_buffer(text);
	icalcomponent_free(cal);
	return out;
}

/* ctl_value_uid - the UID of the first event of VALUE, or NULL */
static char *
ctl_value_uid(const char *value, time_t now, int *current_r)
{
	GPtrArray *events = ctl_events_new();
	char   *err = NULL, *uid = NULL;
	time_t	s, e;

	if (ctl_events_text(value, 0, events, &err) < 0) {
		g_free(err);
		ctl_events_free(events);
		*current_r = 0;
		return NULL;
	}
	*current_r = 0;
	if (events->len > 0) {
		const struct ctl_event *ev = g_ptr_array_index(events, 0);

		uid = g_strdup(ev->uid);
		*current_r = ctl_event_find(ev, now, 0, &s, &e);
	}
	ctl_events_free(events);
	return uid;
}

/* ctl_cmd_import - absences from a calendar export */
int
ctl_cmd_import(struct ctl *c)
{
	const struct ctl_args *a = c->args;
	const char *path = a->pos[0];
	const char *filter = a->filter != NULL ? a->filter : "oof";
	struct dir_entry *user = NULL;
	icalcomponent *root = NULL, *comp;
	GHashTable *by_uid = NULL;
	GPtrArray *uids = NULL, *add, *del;
	struct dir_mod mods[3];
	const char *class_v[2] = { "deputyUser", NULL };
	GError *gerr = NULL;
	char   *text = NULL;
	gsize	len;
	size_t	n = 0;
	guint	i, skipped = 0, same = 0;
	int	rc, need_class;

	add = g_ptr_array_new_with_free_func(g_free);
	del = g_ptr_array_new_with_free_func(g_free);
	if (strcmp(filter, "oof") != 0 && strcmp(filter, "busy") != 0
	    && strcmp(filter, "all") != 0) {
		rc = ctl_bad("--filter", filter, "not one of oof, busy, all");
		goto out;
	}
	if (!g_file_get_contents(path, &text, &len, &gerr)) {
		rc = ctl_usage(path, "cannot read: %s", gerr->message);
		g_error_free(gerr);
		goto out;
	}
	if (len > CTL_ICS_MAX || memchr(text, '\0', len) != NULL) {
		rc = ctl_usage(path, "larger than %d bytes, or binary",
		    CTL_ICS_MAX);
		goto out;
	}
	root = icalparser_parse_string(text);
	if (root == NULL || (icalcomponent_isa(root) != ICAL_VCALENDAR_COMPONENT
	    && icalcomponent_isa(root) != ICAL_VEVENT_COMPONENT)
	    || (icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT
	    && icalcomponent_get_first_component(root,
	    ICAL_VEVENT_COMPONENT) == NULL)) {
		rc = ctl_usage(path, "not an iCalendar file with VEVENTs");
		goto out;
	}
	if (ctl_user_arg(c, NULL, a->pos[1], &user, &rc) != 1)
		goto out;

	/* the selected events, grouped by UID (overrides stay together) */
	by_uid = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    (GDestroyNotify)g_ptr_array_unref);
	uids = g_ptr_array_new_with_free_func(g_free);
	for (comp = icalcomponent_isa(root) == ICAL_VEVENT_COMPONENT ? root
	     : icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT);
	     comp != NULL;
	     comp = comp == root ? NULL : icalcomponent_get_next_component(
	     root, ICAL_VEVENT_COMPONENT)) {
		const char *uid = icalcomponent_get_uid(comp);
		GPtrArray *list;

		if (!ctl_ics_selected(comp, filter))
			continue;
		if (uid == NULL || *uid == '\0') {
			char   *gen = ctl_new_uid();

			icalcomponent_set_uid(comp, gen);
			g_free(gen);
			uid = icalcomponent_get_uid(comp);
		}
		list = g_hash_table_lookup(by_uid, uid);
		if (list == NULL) {
			list = g_ptr_array_new();
			g_hash_table_insert(by_uid, g_strdup(uid), list);
			g_ptr_array_add(uids, g_strdup(uid));
		}
		g_ptr_array_add(list, comp);
	}
	for (i = 0; i < uids->len; i++) {
		const char *uid = g_ptr_array_index(uids, i);
		char   *value, *err = NULL, *vuid;
		int	current;
		size_t	k;

		value = ctl_ics_value(root, g_hash_table_lookup(by_uid, uid));
		if (absence_validate(value, &err) < 0) {
			char   *line = ctl_one_line(err);

			fprintf(c->out, "skipped %s: %s\n", ctl_esc(uid),
			    line);
			g_free(line);
			g_free(err);
			g_free(value);
			skipped++;
			continue;
		}
		vuid = ctl_value_uid(value, c->now, &current);
		g_free(vuid);
		if (!current) {
			fprintf(c->out, "skipped %s: ended before now\n",
			    ctl_esc(uid));
			g_free(value);
			skipped++;
			continue;
		}
		/* an absence with this UID already: replace it */
		for (k = 0; k < user->absences.count; k++) {
			int	cur;
			char   *old = ctl_value_uid(user->absences.values[k],
			    c->now, &cur);

			if (old != NULL && strcmp(old, uid) == 0) {
				if (strcmp(user->absences.values[k],
					   value) == 0) {
					same++;
					g_free(value);
					value = NULL;
				} else {
					ctl_value_add(del,
					    user->absences.values[k]);
				}
			}
			g_free(old);
			if (value == NULL)
				break;
		}
		if (value != NULL) {
			ctl_value_add(add, value);
			g_free(value);
		}
	}
	if (add->len == 0 && del->len == 0) {
		fprintf(c->out, "%s: nothing to import (%u unchanged, %u "
		    "skipped, filter %s)\n", ctl_esc(user->mail), same, skipped,
		    filter);
		rc = CTL_OK;
		goto out;
	}
	if ((rc = ctl_need_class(c, user, &need_class)) != CTL_OK)
		goto out;
	if (need_class)
		mods[n++] = (struct dir_mod){ DIR_MOD_ADD, "objectClass",
		    class_v };
	if (del->len > 0) {
		g_ptr_array_add(del, NULL);
		mods[n++] = (struct dir_mod){ DIR_MOD_DELETE, "deputyAbsence",
		    (const char *const *)del->pdata };
	}
	if (add->len > 0) {
		g_ptr_array_add(add, NULL);
		mods[n++] = (struct dir_mod){ DIR_MOD_ADD, "deputyAbsence",
		    (const char *const *)add->pdata };
	}
	if ((rc = ctl_apply(c, user, mods, n)) != CTL_OK)
		goto out;
	fprintf(c->out, "%s%s: imported %u absences (%u replaced, %u "
	    "unchanged, %u skipped, filter %s)\n", a->dry_run ? "dry run: "
	    : "", ctl_esc(user->mail), add->len > 0 ? add->len - 1 : 0,
	    del->len > 0 ? del->len - 1 : 0, same, skipped, filter);
	if (user->delegates.count + user->secretaries.count
	    + user->managers.count == 0)
		fprintf(c->out, "note: %s has no delegate: mail is kept in "
		    "the mailbox, nobody gets a copy\n", ctl_esc(user->mail));
out:
	if (by_uid != NULL)
		g_hash_table_destroy(by_uid);
	if (uids != NULL)
		g_ptr_array_free(uids, TRUE);
	g_ptr_array_free(add, TRUE);
	g_ptr_array_free(del, TRUE);
	if (root != NULL)
		icalcomponent_free(root);
	g_free(text);
	dir_entry_free(&user);
	return rc;
}
