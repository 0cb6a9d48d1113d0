#ifndef DEPUTY_DIR_CHECK_H
#define DEPUTY_DIR_CHECK_H

/*
 * NAME
 *	dir-check - what is wrong with the absences and delegates in the
 *	directory (deputyctl check, deputy-web's check page)
 * SUMMARY
 *	The lint rules, one kind each:
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
 *	dir_check_run() checks every entry dir_admin_list() names.
 * DIAGNOSTICS
 *	0, or -1 when the directory failed: *error_r says why and *where_r
 *	(g_free) names the entry, or is NULL when listing failed.
 */

#include <stddef.h>
#include <time.h>

#include <glib.h>

#include "dir-write.h"
#include "directory.h"

/* One finding. */
struct dir_problem {
	const char *kind;		/* "bad-ical", "expired", ... */
	char   *dn;
	char   *detail;			/* one line, escaped */
};

struct dir_check_settings {
	time_t	now;
	const char *zone;		/* for the times in details */
	const char *const *internal_domains;	/* NULL-terminated, or NULL */
};

/*
 * dir_check_escape - TEXT with every control character written as an
 * escape (\n, \r, \t, \xHH for other C0 controls, DEL and bytes that
 * are not UTF-8, \u{HHHH} for C1, line separators and bidi controls):
 * how the helpdesk tools show a value from the directory on one line
 */
char *dir_check_escape(const char *text);

/*
 * dir_address_is_local - whether ADDRESS is in USER's own domain (USER
 * may be NULL) or one of INTERNAL_DOMAINS (NULL-terminated, or NULL)
 */
int dir_address_is_local(const struct dir_entry *user, const char *address,
			 const char *const *internal_domains);

/* dir_check_one_line - TEXT escaped as above, trimmed, at most ~400 bytes */
char *dir_check_one_line(const char *text);

/* dir_problems_new - an empty list of struct dir_problem */
GPtrArray *dir_problems_new(void);

/* dir_check_entry - append the findings about E to PROBLEMS */
int dir_check_entry(struct dir *dir, const struct dir_check_settings *set,
		    const struct dir_entry *e, GPtrArray *problems,
		    char **error_r);

/* dir_check_run - check every entry with deputy attributes */
int dir_check_run(struct dir *dir, struct dir_admin *admin,
		  const struct dir_check_settings *set, GPtrArray *problems,
		  size_t *entries_r, char **where_r, char **error_r);

#endif
