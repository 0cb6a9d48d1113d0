#ifndef DEPUTY_DELEGATE_H
#define DEPUTY_DELEGATE_H

/*
 * NAME
 *	delegate - who receives a copy of mail for an away user
 * SUMMARY
 *	Resolves the delegates of an entry: deputyDelegate values (DN or
 *	address), else secretary, else manager. A delegate who is away in
 *	turn passes the copy on to its own delegates (transitively), with
 *	cycle detection and caps on depth and count. An away delegate with
 *	nobody behind it still gets the copy: mail must reach a person.
 * DIAGNOSTICS
 *	Returns 0 with the list (possibly empty) or -1 when the directory
 *	failed. Values that name nobody are skipped and reported through
 *	the warnings list, never as an error.
 */

#include <time.h>
#include "directory.h"

struct delegate_limits {
	unsigned int max_depth;		/* hops through away delegates */
	unsigned int max_count;		/* addresses in the result */
};

/* delegate_resolve - final delegate addresses of ENTRY at NOW */
int delegate_resolve(struct dir *dir, const struct dir_entry *entry,
		     time_t now, const struct delegate_limits *limits,
		     struct dir_strings *addresses_r,
		     struct dir_strings *warnings_r, char **error_r);

/* dir_strings_free - release the values of a list, leave it empty */
void dir_strings_free(struct dir_strings *list);

#endif
