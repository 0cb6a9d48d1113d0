#ifndef DEPUTY_DIR_WRITE_PRIVATE_H
#define DEPUTY_DIR_WRITE_PRIVATE_H

/*
 * NAME
 *	dir-write-private - the two halves of dir-write behind one API
 * SUMMARY
 *	dir-write.c checks the arguments and dispatches; dir-write-ldif.c
 *	rewrites an LDIF file, dir-write-ldap.c talks to the server over
 *	ldap-conn.c. Each half returns what dir-write.h promises.
 * DIAGNOSTICS
 *	0 (or 1/0), -1 (failed, unreachable), -2 (refused), with *error_r.
 */

#include <stddef.h>

#include <glib.h>

#include "dir-write.h"
#include "ldap-conn.h"

struct dir_admin {
	int	is_ldap;
	char   *path;			/* ldif */
	struct dir_conn *conn;		/* ldap */
	char   *base;			/* ldap */
};

/* dir-write-ldif.c */
int admin_ldif_find(struct dir_admin *a, const char *attr, const char *value,
		    GPtrArray *dns, char **error_r);
int admin_ldif_list(struct dir_admin *a, const char *const *attrs,
		    GPtrArray *dns, char **error_r);
int admin_ldif_search(struct dir_admin *a, const char *text,
		      unsigned int max, GPtrArray *dns, int *more_r,
		      char **error_r);
int admin_ldif_has_value(struct dir_admin *a, const char *dn,
			 const char *attr, const char *value, char **error_r);
int admin_ldif_modify(struct dir_admin *a, const char *dn,
		      const struct dir_mod *mods, size_t count,
		      char **error_r);

/* dir-write-ldap.c */
int admin_ldap_search(struct dir_admin *a, const char *filter,
		      GPtrArray *dns, char **error_r);
int admin_ldap_search_people(struct dir_admin *a, const char *filter,
			     unsigned int max, GPtrArray *dns, int *more_r,
			     char **error_r);
int admin_ldap_has_value(struct dir_admin *a, const char *dn,
			 const char *attr, const char *value, char **error_r);
int admin_ldap_modify(struct dir_admin *a, const char *dn,
		      const struct dir_mod *mods, size_t count,
		      char **error_r);

/* admin_exact_attr - attributes whose values compare case-exactly */
int admin_exact_attr(const char *attr);

#endif
