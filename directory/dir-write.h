#ifndef DEPUTY_DIR_WRITE_H
#define DEPUTY_DIR_WRITE_H

/*
 * NAME
 *	dir-write - enumerate and modify directory entries (deputyctl)
 * SUMMARY
 *	The delivery path only reads one entry at a time (directory.h).
 *	The helpdesk tool also needs to find entries by uid, to list the
 *	entries that carry deputy attributes, and to change them. This
 *	module does that for both backends:
 *	- ldap: the connection of ldap-conn.c (as deputy-lda's lookups),
 *	  bound with the identity in the settings (deputyctl puts the
 *	  operator's there), so slapd's ACLs decide and modifiersName
 *	  records who did it;
 *	- ldif: the file is read again with the reader deputy-lda uses
 *	  (ldif-reader.c), the changed record is written back in place
 *	  (other records, comments and folding are kept as they were) to
 *	  a temporary file in the same folder, fsynced and renamed over
 *	  the original, keeping its group and mode, and its owner when the
 *	  caller may (root); refused when the original's owner could not
 *	  read the result.
 * DIAGNOSTICS
 *	Functions return 0 (or 1/0 for "found"/"not found"), -1 when the
 *	directory failed or cannot be reached, and -2 when the directory
 *	refused the request (LDAP insufficient access, schema or
 *	constraint violation; an LDIF file that cannot be written).
 *	*error_r then says why, naming the entry.
 */

#include <stddef.h>

#include "directory.h"

struct dir_admin;

enum dir_mod_op {
	DIR_MOD_ADD,			/* add VALUES (skip those present) */
	DIR_MOD_DELETE,			/* delete VALUES; NULL: all values */
	DIR_MOD_REPLACE,		/* replace with VALUES; NULL: remove */
};

/* One change to one attribute of an entry. */
struct dir_mod {
	enum dir_mod_op op;
	const char *attr;
	const char *const *values;	/* NULL-terminated, or NULL */
};

/* dir_admin_open - a writable view of the directory of SET */
int dir_admin_open(const struct dir_settings *set, struct dir_admin **admin_r,
		   char **error_r);

/* dir_admin_connect - bind now, to learn early whether the identity works */
int dir_admin_connect(struct dir_admin *admin, char **error_r);

/* dir_admin_find - the DN of the one entry with ATTR=VALUE; 1, 0, -1 */
int dir_admin_find(struct dir_admin *admin, const char *attr,
		   const char *value, char **dn_r, char **error_r);

/* dir_admin_list - DNs of entries with deputy attributes (g_strfreev) */
int dir_admin_list(struct dir_admin *admin, char ***dns_r, char **error_r);

/* dir_admin_search - DNs of people (entries with mail) whose uid, cn,
   displayName or mail contains TEXT, any case ("" : everyone); at most
   MAX (g_strfreev), *more_r set when there were more */
int dir_admin_search(struct dir_admin *admin, const char *text,
		     unsigned int max, char ***dns_r, int *more_r,
		     char **error_r);

/* dir_admin_has_value - whether DN has ATTR=VALUE (any case); 1, 0, -1 */
int dir_admin_has_value(struct dir_admin *admin, const char *dn,
			const char *attr, const char *value, char **error_r);

/* dir_admin_modify - apply MODS to DN, all or nothing */
int dir_admin_modify(struct dir_admin *admin, const char *dn,
		     const struct dir_mod *mods, size_t count, char **error_r);

/* dir_admin_close - release; sets *admin to NULL */
void dir_admin_close(struct dir_admin **admin);

#endif
