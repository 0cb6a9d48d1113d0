/*
 * NAME
 *	ctl-write - deputyctl's writing commands: away, back, import
 * SUMMARY
 *	Each command checks every argument first (and names the first bad
 *	one), then builds the complete list of changes to one entry and
 *	hands it to dir_admin_modify() as one operation, or prints it with
 *	--dry-run. objectClass deputyUser is added when it is missing.
 *	Delegates are stored as DNs when they name an entry, as addresses
 *	otherwise (external delegates).
 * DIAGNOSTICS
 *	Exit statuses as in ctl.h: a refused change (LDAP ACL, schema) is
 *	CTL_USAGE with the server's reason, an unreachable directory
 *	CTL_UNREACHABLE.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <string.h>

#include "absence.h"
#include "ctl.h"

#define CTL_ICS_MAX		(4 * 1024 * 1024)

/* ctl_bad - "deputyctl: OPT VALUE: message"; CTL_USAGE */
static int __attribute__((format(printf, 3, 4)))
ctl_bad(const char *opt, const char *value, const char *fmt, ...)
{
	va_list	ap;
	char   *msg, *arg;
	int	rc;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	arg = value != NULL ? g_strdup_printf("%s %s", opt, value)
	    : g_strdup(opt);
	rc = ctl_usage(arg, "%s", msg);
	g_free(arg);
	g_free(msg);
	return rc;
}

/* ctl_mod_print - one change as LDIF-like text, for --dry-run */
static void
ctl_mod_print(FILE *out, const struct dir_mod *m)
{
	const char *const *v;
	static const char *const ops[] = { "add", "delete", "replace" };

	fprintf(out, "%s: %s\n", ops[m->op], m->attr);
	for (v = m->values; v != NULL && *v != NULL; v++) {
		char  **lines = g_strsplit(*v, "\n", -1), **l;

		fprintf(out, "%s:", m->attr);
		for (l = lines; *l != NULL; l++) {
			g_strchomp(*l);
			if (**l != '\0' || l[1] != NULL)
				fprintf(out, "%s%s\n", l == lines ? " "
					: "    ", *l);
		}
		g_strfreev(lines);
	}
	fprintf(out, "-\n");
}

/* ctl_apply - change ENTRY, or show the changes with --dry-run */
static int
ctl_apply(struct ctl *c, const struct dir_entry *entry, struct dir_mod *mods,
	  size_t n)
{
	char   *error = NULL;
	size_t	i;
	int	rc;

	if (c->args->dry_run) {
		fprintf(c->out, "dry run: would change %s\n", entry->dn);
		for (i = 0; i < n; i++)
			ctl_mod_print(c->out, &mods[i]);
		return CTL_OK;
	}
	rc = dir_admin_modify(c->admin, entry->dn, mods, n, &error);
	if (rc < 0) {
		if (rc == -2)
			rc = ctl_usage(entry->dn, "the directory refused the "
			    "change: %s", error);
		else
			rc = ctl_unreachable(entry->dn, error);
		g_free(error);
		return rc;
	}
	return CTL_OK;
}

/* ctl_need_class - the objectClass change, when deputyUser is missing */
static int
ctl_need_class(struct ctl *c, const struct dir_entry *entry, int *need_r)
{
	char   *error = NULL;
	int	rc;

	rc = dir_admin_has_value(c->admin, entry->dn, "objectClass",
				 "deputyUser", &error);
	if (rc < 0) {
		rc = ctl_unreachable(entry->dn, error);
		g_free(error);
		return rc;
	}
	*need_r = rc == 0;
	return CTL_OK;
}

/* ctl_delegate_value - the stored form of --delegate WHO, checked */
static int
ctl_delegate_value(struct ctl *c, const struct dir_entry *user,
		   const char *who, char **value_r)
{
	struct dir_entry *de = NULL;
	char   *error = NULL;
	int	rc;

	*value_r = NULL;
	if (strchr(who, '@') != NULL && !ctl_address_ok(who))
		return ctl_bad("--delegate", who, "not a mail address");
	rc = ctl_user(c, who, &de, &error);
	if (rc < 0) {
		char   *named = g_strdup_printf("--delegate %s", who);

		rc = ctl_unreachable(named, error);
		g_free(named);
		g_free(error);
		return rc;
	}
	if (rc == 0) {
		if (strchr(who, '@') == NULL)
			return ctl_bad("--delegate", who, "no such user in "
			    "the directory");
		if (ctl_domain_is_local(c, user, who))
			return ctl_bad("--delegate", who, "no such user in "
			    "the directory (and the domain is local, so it "
			    "cannot be an outside delegate)");
		*value_r = g_ascii_strdown(who, -1);
		return CTL_OK;
	}
	if (ctl_same_dn(de->dn, user->dn)) {
		dir_entry_free(&de);
		return ctl_bad("--delegate", who, "is the user itself");
	}
	if (de->mail == NULL) {
		rc = ctl_bad("--delegate", who, "entry %s has no mail "
		    "address", de->dn);
		dir_entry_free(&de);
		return rc;
	}
	*value_r = g_strdup(de->dn);
	dir_entry_free(&de);
	return CTL_OK;
}

/* ctl_has_delegate - whether ENTRY already names VALUE as a delegate */
static int
ctl_has_delegate(const struct dir_entry *entry, const char *value)
{
	size_t	i;

	for (i = 0; i < entry->delegates.count; i++) {
		const char *v = entry->delegates.values[i];

		if (ctl_is_dn(v) ? ctl_same_dn(v, value)
		    : g_ascii_strcasecmp(v, value) == 0)
			return 1;
	}
	return 0;
}

/* ctl_cmd_away - add an absence, delegates, notice policy, template */
int
ctl_cmd_away(struct ctl *c)
{
	const struct ctl_args *a = c->args;
	const char *zone = a->tz != NULL ? a->tz : c->zone;
	struct absence_spec spec;
	struct absence_built built;
	struct dir_entry *user = NULL;
	struct dir_mod mods[5];
	GPtrArray *delegates = NULL;
	enum dir_notice notice;
	const char *absence[2] = { NULL, NULL };
	const char *notice_v[2] = { NULL, NULL };
	const char *template_v[2] = { NULL, NULL };
	const char *class_v[2] = { "deputyUser", NULL };
	const char *field = NULL;
	char   *why = NULL;
	char   *s1 = NULL, *s2 = NULL;
	size_t	n = 0;
	guint	i;
	int	rc, need_class;

	/* the arguments that need no directory first */
	memset(&built, 0, sizeof(built));
	if (a->from == NULL)
		return ctl_usage("away", "--from DATE is required");
	if (a->until == NULL)
		return ctl_usage("away", "--until DATE is required");
	memset(&spec, 0, sizeof(spec));
	spec.from = a->from;
	spec.until = a->until;
	spec.zone = zone;
	spec.every = a->every;
	spec.summary = a->summary;
	spec.product = "deputyctl";
	spec.from_label = "--from";
	spec.now = c->now;
	if (absence_spec_build(&spec, &built, &field, &why) < 0) {
		/* the same words as before the builder moved to directory/ */
		if (strcmp(field, "summary") == 0)
			rc = ctl_bad("--summary", NULL, "%s", why);
		else if (strcmp(field, "until") == 0)
			rc = ctl_bad("--until", a->until, "%s", why);
		else if (strcmp(field, "every") == 0)
			rc = ctl_bad("--every", a->every, "%s", why);
		else if (strcmp(field, "tz") == 0)
			rc = ctl_bad("--tz", zone, "%s", why);
		else
			rc = ctl_bad("--from", a->from, "%s", why);
		goto out;
	}
	if (a->notice != NULL && dir_notice_parse(a->notice, &notice) < 0) {
		rc = ctl_bad("--notice", a->notice, "not one of none, "
		    "authenticated, internal");
		goto out;
	}
	if (a->template_name != NULL
	    && !ctl_template_ok(c, a->template_name, &why)) {
		rc = ctl_bad("--template", a->template_name, "%s", why);
		goto out;
	}

	/* then the user and the delegates */
	if (ctl_user_arg(c, NULL, a->pos[0], &user, &rc) != 1)
		goto out;
	delegates = g_ptr_array_new_with_free_func(g_free);
	for (i = 0; i < a->delegates->len; i++) {
		char   *v;

		rc = ctl_delegate_value(c, user,
		    g_ptr_array_index(a->delegates, i), &v);
		if (rc != CTL_OK)
			goto out;
		if (ctl_has_delegate(user, v)) {
			g_free(v);
			continue;
		}
		g_ptr_array_add(delegates, v);
	}

	if ((rc = ctl_need_class(c, user, &need_class)) != CTL_OK)
		goto out;
	if (need_class)
		mods[n++] = (struct dir_mod){ DIR_MOD_ADD, "objectClass",
		    class_v };
	absence[0] = built.text;
	mods[n++] = (struct dir_mod){ DIR_MOD_ADD, "deputyAbsence", absence };
	if (delegates->len > 0) {
		g_ptr_array_add(delegates, NULL);
		mods[n++] = (struct dir_mod){ DIR_MOD_ADD, "deputyDelegate",
		    (const char *const *)delegates->pdata };
	}
	if (a->notice != NULL) {
		notice_v[0] = ctl_notice_name(notice);
		mods[n++] = (struct dir_mod){ DIR_MOD_REPLACE, "deputyNotice",
		    notice_v };
	}
	if (a->template_name != NULL) {
		template_v[0] = a->template_name;
		mods[n++] = (struct dir_mod){ DIR_MOD_REPLACE,
		    "deputyTemplate", template_v };
	}
	if ((rc = ctl_apply(c, user, mods, n)) != CTL_OK)
		goto out;
	s1 = ctl_fmt_time(built.start, zone, 0);
	s2 = ctl_fmt_time(built.end, zone, 0);
	fprintf(c->out, "%s%s: away from %s until %s%s%s (UID %s)\n",
	    a->dry_run ? "dry run: " : "", user->mail, s1, s2,
	    built.rrule != NULL ? ", repeating " : "", built.rrule != NULL
	    ? built.rrule : "", built.uid);
	if (user->delegates.count + (delegates->len > 0 ? delegates->len - 1
	    : 0) + user->secretaries.count + user->managers.count == 0)
		fprintf(c->out, "note: %s has no delegate: mail is kept in "
		    "the mailbox, nobody gets a copy\n", user->mail);
	rc = CTL_OK;
out:
	g_free(s1);
	g_free(s2);
	g_free(why);
	absence_built_clear(&built);
	if (delegates != NULL)
		g_ptr_array_free(delegates, TRUE);
	dir_entry_free(&user);
	return rc;
}

/* ctl_value_add - add VALUE to the list unless there */
static void
ctl_value_add(GPtrArray *list, const char *value)
{
	guint	i;

	for (i = 0; i < list->len; i++)
		if (strcmp(g_ptr_array_index(list, i), value) == 0)
			return;
	g_ptr_array_add(list, g_strdup(value));
}

/* ctl_cmd_back - end the current absence, or remove absences */
int
ctl_cmd_back(struct ctl *c)
{
	const struct ctl_args *a = c->args;
	struct dir_entry *user = NULL;
	struct dir_mod mods[2];
	GPtrArray *del, *add;
	size_t	n = 0;
	int	rc;

	if (a->all && a->id != NULL)
		return ctl_usage("--id", "use either --all or --id");
	if (a->id != NULL && (*a->id == '\0' || strlen(a->id) > 255))
		return ctl_bad("--id", a->id, "not a UID");
	if (ctl_user_arg(c, NULL, a->pos[0], &user, &rc) != 1)
		return rc;
	del = g_ptr_array_new_with_free_func(g_free);
	add = g_ptr_array_new_with_free_func(g_free);
	rc = CTL_OK;
	if (user->absences.count == 0) {
		if (a->id != NULL)
			rc = ctl_bad("--id", a->id, "%s has no absences",
			    user->mail);
		else
			fprintf(c->out, "%s has no absences; nothing to do\n",
			    user->mail);
		goto out;
	}
	absence_back_plan(user, c->now, a->all, a->id, del, add);
	if (del->len == 0) {
		if (a->id != NULL)
			rc = ctl_bad("--id", a->id, "no absence of %s has "
			    "this UID", user->mail);
		else
			fprintf(c->out, "%s is not away now; nothing to do "
			    "(--all or --id remove future absences)\n",
			    user->mail);
		goto out;
	}
	g_ptr_array_add(del, NULL);
	mods[n++] = (struct dir_mod){ DIR_MOD_DELETE, "deputyAbsence",
	    (const char *const *)del->pdata };
	if (add->len > 0) {
		g_ptr_array_add(add, NULL);
		mods[n++] = (struct dir_mod){ DIR_MOD_ADD, "deputyAbsence",
		    (const char *const *)add->pdata };
	}
	if ((rc = ctl_apply(c, user, mods, n)) != CTL_OK)
		goto out;
	fprintf(c->out, "%s%s: %s\n", a->dry_run ? "dry run: " : "",
	    user->mail, a->all ? "all absences removed"
	    : a->id != NULL ? "absence removed"
	    : add->len > 0 ? "back now (this occurrence skipped)"
	    : "back now (the current absence removed)");
out:
	g_ptr_array_free(del, TRUE);
	g_ptr_array_free(add, TRUE);
	dir_entry_free(&user);
	return rc;
}

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

			fprintf(c->out, "skipped %s: %s\n", uid, line);
			g_free(line);
			g_free(err);
			g_free(value);
			skipped++;
			continue;
		}
		vuid = ctl_value_uid(value, c->now, &current);
		g_free(vuid);
		if (!current) {
			fprintf(c->out, "skipped %s: ended before now\n", uid);
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
		    "skipped, filter %s)\n", user->mail, same, skipped,
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
	    : "", user->mail, add->len > 0 ? add->len - 1 : 0,
	    del->len > 0 ? del->len - 1 : 0, same, skipped, filter);
	if (user->delegates.count + user->secretaries.count
	    + user->managers.count == 0)
		fprintf(c->out, "note: %s has no delegate: mail is kept in "
		    "the mailbox, nobody gets a copy\n", user->mail);
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
