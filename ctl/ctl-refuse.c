/*
 * NAME
 *	ctl-refuse - deputyctl refuse and unrefuse: a user's refused senders
 * SUMMARY
 *	refuse USER SENDER [--until DATE] adds a deputyRefusedSender value
 *	("bob@spam.example", "@spam.example" or "@.spam.example", with
 *	";until=YYYYMMDD" when --until is given), replacing a value for
 *	the same sender (so that --until can be changed or dropped);
 *	unrefuse USER SENDER removes every value for that sender.
 *	deputy-milter answers mail from a refused sender to the user 550
 *	5.7.1 at RCPT, until the end of the --until day (UTC).
 * DIAGNOSTICS
 *	As the other commands (ctl.h): a bad argument names itself and is
 *	CTL_USAGE, as is a change the directory refuses; a directory that
 *	fails is CTL_UNREACHABLE.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "ctl.h"
#include "refused.h"

/* refuse_print - one change as LDIF-like text, for --dry-run */
static void
refuse_print(FILE *out, const struct dir_mod *m)
{
	static const char *const ops[] = { "add", "delete", "replace" };
	const char *const *v;

	fprintf(out, "%s: %s\n", ops[m->op], m->attr);
	for (v = m->values; v != NULL && *v != NULL; v++)
		fprintf(out, "%s: %s\n", m->attr, *v);
	fprintf(out, "-\n");
}

/* refuse_apply - change USER, or show the changes with --dry-run */
static int
refuse_apply(struct ctl *c, const struct dir_entry *user, struct dir_mod *mods,
	     size_t n)
{
	char   *error = NULL;
	size_t	i;
	int	rc;

	if (c->args->dry_run) {
		fprintf(c->out, "dry run: would change %s\n", user->dn);
		for (i = 0; i < n; i++)
			refuse_print(c->out, &mods[i]);
		return CTL_OK;
	}
	rc = dir_admin_modify(c->admin, user->dn, mods, n, &error);
	if (rc < 0) {
		rc = rc == -2 ? ctl_usage(user->dn, "the directory refused "
		    "the change: %s", error) : ctl_unreachable(user->dn,
		    error);
		g_free(error);
		return rc;
	}
	return CTL_OK;
}

/* refuse_sender - the SENDER argument, checked and lowercased */
static int
refuse_sender(const char *arg, char **pattern_r)
{
	*pattern_r = NULL;
	if (!refused_pattern_ok(arg))
		return ctl_usage(arg, "not a sender to refuse: an address "
		    "(bob@spam.example), a domain (@spam.example) or a domain "
		    "and its subdomains (@.spam.example)");
	*pattern_r = g_ascii_strdown(arg, -1);
	return CTL_OK;
}

/* refuse_same - the user's values for PATTERN, NULL-terminated */
static GPtrArray *
refuse_same(const struct dir_entry *user, const char *pattern)
{
	GPtrArray *same = g_ptr_array_new();

	for (size_t i = 0; i < user->refused_senders.count; i++)
		if (refused_same_pattern(user->refused_senders.values[i],
		    pattern))
			g_ptr_array_add(same, user->refused_senders.values[i]);
	g_ptr_array_add(same, NULL);
	return same;
}

/* ctl_cmd_refuse - refuse mail from SENDER to USER */
int
ctl_cmd_refuse(struct ctl *c)
{
	const struct ctl_args *a = c->args;
	struct dir_entry *user = NULL;
	struct dir_mod mods[3];
	struct icaltimetype tt;
	const char *add[2] = { NULL, NULL };
	const char *class_v[2] = { "deputyUser", NULL };
	GPtrArray *same = NULL;
	char   *pattern = NULL, *value = NULL, *error = NULL;
	time_t	until = 0;
	size_t	n = 0;
	int	rc, need_class;

	if ((rc = refuse_sender(a->pos[1], &pattern)) != CTL_OK)
		return rc;
	if (a->until != NULL) {
		if (ctl_parse_date(a->until, &tt) < 0 || !tt.is_date
		    || ctl_time_at(&tt, "UTC", &until) < 0) {
			rc = ctl_usage2("--until", a->until, "not a date "
			    "(YYYY-MM-DD, the last day refused, UTC)");
			goto out;
		}
		if (until + 86400 <= c->now) {
			rc = ctl_usage2("--until", a->until, "is in the past");
			goto out;
		}
	}
	if (ctl_user_arg(c, NULL, a->pos[0], &user, &rc) != 1)
		goto out;
	if (pattern[0] != '@' && dir_entry_has_address(user, pattern)) {
		rc = ctl_usage(a->pos[1], "is an address of %s itself",
		    user->mail);
		goto out;
	}
	value = refused_format(pattern, until);
	same = refuse_same(user, pattern);
	if (same->len == 2 && g_ascii_strcasecmp(g_ptr_array_index(same, 0),
	    value) == 0) {
		fprintf(c->out, "%s already refuses %s; nothing to do\n",
		    user->mail, value);
		rc = CTL_OK;
		goto out;
	}
	rc = dir_admin_has_value(c->admin, user->dn, "objectClass",
	    "deputyUser", &error);
	if (rc < 0) {
		rc = ctl_unreachable(user->dn, error);
		goto out;
	}
	need_class = rc == 0;
	if (need_class)
		mods[n++] = (struct dir_mod){ DIR_MOD_ADD, "objectClass",
		    class_v };
	if (same->len > 1)
		mods[n++] = (struct dir_mod){ DIR_MOD_DELETE,
		    "deputyRefusedSender", (const char *const *)same->pdata };
	add[0] = value;
	mods[n++] = (struct dir_mod){ DIR_MOD_ADD, "deputyRefusedSender", add };
	if ((rc = refuse_apply(c, user, mods, n)) != CTL_OK)
		goto out;
	if (until != 0) {
		char   *day = ctl_fmt_time(until, "UTC", 1);

		day[10] = '\0';			/* the date of the ISO form */
		fprintf(c->out, "%s%s: mail from %s refused through %s (UTC)"
		    "\n", a->dry_run ? "dry run: " : "", user->mail, pattern,
		    day);
		g_free(day);
	} else
		fprintf(c->out, "%s%s: mail from %s refused\n",
		    a->dry_run ? "dry run: " : "", user->mail, pattern);
	rc = CTL_OK;
out:
	if (same != NULL)
		g_ptr_array_free(same, TRUE);
	g_free(error);
	g_free(value);
	g_free(pattern);
	dir_entry_free(&user);
	return rc;
}

/* ctl_cmd_unrefuse - accept mail from SENDER to USER again */
int
ctl_cmd_unrefuse(struct ctl *c)
{
	const struct ctl_args *a = c->args;
	struct dir_entry *user = NULL;
	struct dir_mod mod;
	GPtrArray *same = NULL;
	char   *pattern = NULL;
	int	rc;

	if ((rc = refuse_sender(a->pos[1], &pattern)) != CTL_OK)
		return rc;
	if (ctl_user_arg(c, NULL, a->pos[0], &user, &rc) != 1)
		goto out;
	same = refuse_same(user, pattern);
	if (same->len == 1) {
		fprintf(c->out, "%s does not refuse %s; nothing to do\n",
		    user->mail, pattern);
		rc = CTL_OK;
		goto out;
	}
	mod = (struct dir_mod){ DIR_MOD_DELETE, "deputyRefusedSender",
	    (const char *const *)same->pdata };
	if ((rc = refuse_apply(c, user, &mod, 1)) != CTL_OK)
		goto out;
	fprintf(c->out, "%s%s: mail from %s accepted again\n",
	    a->dry_run ? "dry run: " : "", user->mail, pattern);
	rc = CTL_OK;
out:
	if (same != NULL)
		g_ptr_array_free(same, TRUE);
	g_free(pattern);
	dir_entry_free(&user);
	return rc;
}
