/*
 * NAME
 *	ctl-check - deputyctl check: lint the directory
 * SUMMARY
 *	The rules are dir-check.c's (deputy-web's check page uses them too);
 *	this file prints what they find. For every entry with deputy
 *	attributes:
 *	- bad-ical: a deputyAbsence value that does not parse;
 *	- expired: an absence none of whose instances ends after now;
 *	- no-delegate: an absence that is not over, and nobody to cover;
 *	- unknown-delegate: a delegate DN that names no entry, an address
 *	  in a local domain that names nobody, a value that is neither a
 *	  DN nor an address deputy-lda would forward to (addr_is_safe());
 *	- self-delegate: a user who names itself;
 *	- away-delegate: a user away now whose delegate is away too and
 *	  has no delegates of its own (the copy stops there);
 *	- cycle: delegation that comes back to the user with everyone on
 *	  the way away now (mutual cover where one is present is fine).
 * DIAGNOSTICS
 *	CTL_PROBLEMS when it found anything; a directory failure is
 *	CTL_UNREACHABLE.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <string.h>

#include "ctl.h"
#include "dir-check.h"

/* ctl_cmd_check - lint the directory; CTL_PROBLEMS when something is wrong */
int
ctl_cmd_check(struct ctl *c)
{
	struct dir_check_settings set;
	GPtrArray *problems;
	char   *error = NULL, *where = NULL;
	size_t	i, entries = 0;
	int	rc;

	set.now = c->now;
	set.zone = c->zone;
	set.internal_domains = (const char *const *)c->conf->internal_domains;
	problems = dir_problems_new();
	if (dir_check_run(c->dir, c->admin, &set, problems, &entries, &where,
			  &error) < 0) {
		rc = ctl_unreachable(where, error);
		goto out;
	}
	if (c->args->json) {
		struct ctl_json j;

		ctl_json_init(&j);
		ctl_json_begin(&j, NULL, 0);
		ctl_json_int(&j, "entries", (long long)entries);
		ctl_json_begin(&j, "problems", 1);
		for (i = 0; i < problems->len; i++) {
			const struct dir_problem *p =
			    g_ptr_array_index(problems, i);

			ctl_json_begin(&j, NULL, 0);
			ctl_json_str(&j, "kind", p->kind);
			ctl_json_str(&j, "dn", p->dn);
			ctl_json_str(&j, "detail", p->detail);
			ctl_json_end(&j, 0);
		}
		ctl_json_end(&j, 1);
		ctl_json_end(&j, 0);
		ctl_json_print(&j, c->out);
	} else {
		for (i = 0; i < problems->len; i++) {
			const struct dir_problem *p =
			    g_ptr_array_index(problems, i);

			fprintf(c->out, "%s: %s: %s\n", p->kind,
			    ctl_esc(p->dn), p->detail);
		}
		fprintf(c->out, "%zu entries checked, %u problems\n", entries,
		    problems->len);
	}
	rc = problems->len > 0 ? CTL_PROBLEMS : CTL_OK;
out:
	g_ptr_array_free(problems, TRUE);
	g_free(where);
	g_free(error);
	return rc;
}
