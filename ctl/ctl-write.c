/*
 * NAME
 *	ctl-write - deputyctl's writing commands: away, back
 * SUMMARY
 *	Each command checks every argument first (and names the first bad
 *	one), then builds the complete list of changes to one entry and
 *	hands it to dir_admin_modify() as one operation, or prints it with
 *	--dry-run. objectClass deputyUser is added when it is missing.
 *	Delegates are stored as DNs when they name an entry, as addresses
 *	otherwise (external delegates). The helpers that import shares
 *	(ctl_bad, ctl_apply, ctl_need_class, ctl_value_add) are here.
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
#include "addr.h"
#include "ctl.h"


/* ctl_bad - "deputyctl: OPT VALUE: message"; CTL_USAGE */
int
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
			size_t	len = strlen(*l);

			if (len > 0 && (*l)[len - 1] == '\r')
				(*l)[len - 1] = '\0';
			if (**l != '\0' || l[1] != NULL)
				fprintf(out, "%s%s\n", l == lines ? " "
					: "    ", ctl_esc(*l));
		}
		g_strfreev(lines);
	}
	fprintf(out, "-\n");
}

/* ctl_apply - change ENTRY, or show the changes with --dry-run */
int
ctl_apply(struct ctl *c, const struct dir_entry *entry, struct dir_mod *mods,
	  size_t n)
{
	char   *error = NULL;
	size_t	i;
	int	rc;

	if (c->args->dry_run) {
		fprintf(c->out, "dry run: would change %s\n",
		    ctl_esc(entry->dn));
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
int
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
	if (strchr(who, '@') != NULL && !addr_is_safe(who))
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
	    a->dry_run ? "dry run: " : "", ctl_esc(user->mail), s1, s2,
	    built.rrule != NULL ? ", repeating " : "", built.rrule != NULL
	    ? built.rrule : "", built.uid);
	if (user->delegates.count + (delegates->len > 0 ? delegates->len - 1
	    : 0) + user->secretaries.count + user->managers.count == 0)
		fprintf(c->out, "note: %s has no delegate: mail is kept in "
		    "the mailbox, nobody gets a copy\n", ctl_esc(user->mail));
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
void
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
			    ctl_esc(user->mail));
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
			    ctl_esc(user->mail));
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
	    ctl_esc(user->mail), a->all ? "all absences removed"
	    : a->id != NULL ? "absence removed"
	    : add->len > 0 ? "back now (this occurrence skipped)"
	    : "back now (the current absence removed)");
out:
	g_ptr_array_free(del, TRUE);
	g_ptr_array_free(add, TRUE);
	dir_entry_free(&user);
	return rc;
}
