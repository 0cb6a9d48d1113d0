#ifndef DEPUTY_DIRECTORY_PRIVATE_H
#define DEPUTY_DIRECTORY_PRIVATE_H

/*
 * NAME
 *	directory-private - what a directory backend implements
 * SUMMARY
 *	Each backend embeds struct dir as the first member of its own
 *	state and fills in a struct dir_ops. directory.c dispatches through
 *	the table; backends never see each other.
 * DIAGNOSTICS
 *	The same 1/0/-1 contract as directory.h. directory.c has already
 *	checked the arguments (non-NULL, bounded length) and set *entry_r
 *	to NULL before a backend's lookup runs.
 */

#include <glib.h>

#include "directory.h"

#define DIR_ADDRESS_MAX	320		/* RFC 5321: 64 + 1 + 255 */
#define DIR_DN_MAX	4096		/* longer DNs match nothing */
#define DIR_VALUE_MAX	(64 * 1024)	/* one attribute value */
#define DIR_VALUES_MAX	1024		/* values of one attribute */

struct dir_ops {
	const char *name;
	int (*open)(const struct dir_settings *set, struct dir **dir_r,
		    char **error_r);
	int (*lookup)(struct dir *dir, const char *address,
		      struct dir_entry **entry_r, char **error_r);
	int (*lookup_dn)(struct dir *dir, const char *dn,
			 struct dir_entry **entry_r, char **error_r);
	void (*close)(struct dir *dir);
};

struct dir {
	const struct dir_ops *ops;
};

extern const struct dir_ops dir_ldif_ops;
extern const struct dir_ops dir_ldap_ops;

/* dir_entry_dup - deep copy of ENTRY */
struct dir_entry *dir_entry_dup(const struct dir_entry *entry);

/* dir_strings_from_array - steal the strings of ARRAY into a list */
void dir_strings_from_array(struct dir_strings *list, GPtrArray *array);

/* dir_strings_take - *ARRAY (owning its strings) into LIST; *ARRAY NULL */
void dir_strings_take(struct dir_strings *list, GPtrArray **array);

/* dir_first_copy - a copy of ARRAY's first string, or NULL */
char *dir_first_copy(const GPtrArray *array);

#endif
