/*
 * NAME
 *	dir-write - enumerate and modify directory entries (deputyctl)
 * SUMMARY
 *	See dir-write.h. This file checks the arguments and the values to
 *	be written, and hands the call to one of two halves:
 *	dir-write-ldap.c (a search, compare or modify over the connection
 *	module ldap-conn.c, as the operator) or dir-write-ldif.c (the file
 *	read with ldif-reader.c, the changed record written back in
 *	place).
 * DIAGNOSTICS
 *	-1: the directory cannot be reached or failed (connect, timeout,
 *	an unreadable or unparseable LDIF file); -2: it refused (access,
 *	schema, no such entry, an LDIF file that cannot be replaced, a
 *	value deputy would not use).
 * SECURITY
 *	Filter values are escaped (RFC 4515, libldap's own escaping). A
 *	deputyDelegate value written here is a DN, or an address that
 *	passes addr_is_safe(), the rule deputy-lda applies before it hands
 *	an address to sendmail: deputyctl cannot store a delegate that
 *	delivery would refuse.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <glib.h>

#include "addr.h"
#include "dir-write-private.h"
#include "directory-private.h"

/* The attributes that make an entry deputy's (besides the class). */
static const char *const admin_deputy_attrs[] = {
	"deputyAbsence", "deputyDelegate", "deputyNotice", "deputyTemplate",
	NULL
};

/* admin_exact_attr - attributes whose values compare case-exactly */
int
admin_exact_attr(const char *attr)
{
	return g_ascii_strcasecmp(attr, "deputyAbsence") == 0
	    || g_ascii_strcasecmp(attr, "deputyTemplate") == 0;
}

/* dir_admin_open - a writable view of the directory of SET */
int
dir_admin_open(const struct dir_settings *set, struct dir_admin **admin_r,
	       char **error_r)
{
	struct dir_settings conn_set;
	struct dir_admin *a;

	*admin_r = NULL;
	*error_r = NULL;
	a = g_new0(struct dir_admin, 1);
	if (set->backend == NULL || g_ascii_strcasecmp(set->backend,
						       "ldif") == 0) {
		if (set->ldif_file == NULL || *set->ldif_file == '\0') {
			*error_r = g_strdup("directory backend ldif: no "
					    "ldif_file set");
			g_free(a);
			return -2;
		}
		a->path = g_strdup(set->ldif_file);
	} else if (g_ascii_strcasecmp(set->backend, "ldap") == 0) {
		if (set->base == NULL || *set->base == '\0') {
			*error_r = g_strdup("directory backend ldap: no base "
					    "set");
			g_free(a);
			return -2;
		}
		/* list and check read every deputy entry: no size limit */
		conn_set = *set;
		conn_set.size_limit = 0;
		if (dir_conn_new(&conn_set, &a->conn, error_r) < 0) {
			g_free(a);
			return -2;
		}
		a->is_ldap = 1;
		a->base = g_strdup(set->base);
	} else {
		*error_r = g_strdup_printf("unknown directory backend '%s'",
					   set->backend);
		g_free(a);
		return -2;
	}
	*admin_r = a;
	return 0;
}

/* dir_admin_connect - connect and bind now (LDAP); nothing for LDIF */
int
dir_admin_connect(struct dir_admin *admin, char **error_r)
{
	*error_r = NULL;
	return admin->is_ldap ? dir_conn_connect(admin->conn, error_r) : 0;
}

/* dir_admin_find - the DN of the one entry with ATTR=VALUE; 1, 0, -1 */
int
dir_admin_find(struct dir_admin *admin, const char *attr, const char *value,
	       char **dn_r, char **error_r)
{
	GPtrArray *dns;
	int	rc;

	*dn_r = NULL;
	*error_r = NULL;
	dns = g_ptr_array_new_with_free_func(g_free);
	if (admin->is_ldap) {
		GString *filter = g_string_new(NULL);

		g_string_printf(filter, "(%s=", attr);
		dir_conn_filter_value(value, strlen(value), filter);
		g_string_append_c(filter, ')');
		rc = admin_ldap_search(admin, filter->str, dns, error_r);
		g_string_free(filter, TRUE);
	} else {
		rc = admin_ldif_find(admin, attr, value, dns, error_r);
	}
	if (rc < 0) {
		g_ptr_array_free(dns, TRUE);
		return -1;
	}
	if (dns->len > 1) {
		*error_r = g_strdup_printf("%u entries have %s=%s (%s, %s)",
		    dns->len, attr, value, (char *)g_ptr_array_index(dns, 0),
		    (char *)g_ptr_array_index(dns, 1));
		g_ptr_array_free(dns, TRUE);
		return -1;
	}
	if (dns->len == 1)
		*dn_r = g_strdup(g_ptr_array_index(dns, 0));
	rc = dns->len == 1;
	g_ptr_array_free(dns, TRUE);
	return rc;
}

/* dir_admin_list - DNs of entries with deputy attributes (g_strfreev) */
int
dir_admin_list(struct dir_admin *admin, char ***dns_r, char **error_r)
{
	GPtrArray *dns;
	int	rc;

	*dns_r = NULL;
	*error_r = NULL;
	dns = g_ptr_array_new_with_free_func(g_free);
	if (admin->is_ldap)
		rc = admin_ldap_search(admin, "(|(objectClass=deputyUser)"
		    "(deputyAbsence=*)(deputyDelegate=*))", dns, error_r);
	else
		rc = admin_ldif_list(admin, admin_deputy_attrs, dns, error_r);
	if (rc < 0) {
		g_ptr_array_free(dns, TRUE);
		return -1;
	}
	g_ptr_array_set_free_func(dns, NULL);
	g_ptr_array_add(dns, NULL);
	*dns_r = (char **)g_ptr_array_free(dns, FALSE);
	return 0;
}

/* dir_admin_search - people whose uid, cn, displayName or mail contains
   TEXT (any case); at most MAX, *more_r when there were more */
int
dir_admin_search(struct dir_admin *admin, const char *text, unsigned int max,
		 char ***dns_r, int *more_r, char **error_r)
{
	static const char *const names[] = { "uid", "cn", "displayName",
	    "mail" };
	GPtrArray *dns;
	size_t	k;
	int	rc;

	*dns_r = NULL;
	*more_r = 0;
	*error_r = NULL;
	if (max == 0 || strlen(text) > 256) {
		*error_r = g_strdup("search text longer than 256 bytes");
		return -2;
	}
	dns = g_ptr_array_new_with_free_func(g_free);
	if (admin->is_ldap) {
		GString *filter = g_string_new("(&(mail=*)(|");

		for (k = 0; k < G_N_ELEMENTS(names); k++) {
			g_string_append_printf(filter, "(%s=*", names[k]);
			dir_conn_filter_value(text, strlen(text), filter);
			g_string_append(filter, *text != '\0' ? "*)" : ")");
		}
		g_string_append(filter, "))");
		rc = admin_ldap_search_people(admin, filter->str, max, dns,
					      more_r, error_r);
		g_string_free(filter, TRUE);
	} else {
		rc = admin_ldif_search(admin, text, max, dns, more_r,
				       error_r);
	}
	if (rc < 0) {
		g_ptr_array_free(dns, TRUE);
		return rc;
	}
	g_ptr_array_set_free_func(dns, NULL);
	g_ptr_array_add(dns, NULL);
	*dns_r = (char **)g_ptr_array_free(dns, FALSE);
	return 0;
}

/* dir_admin_has_value - whether DN has ATTR=VALUE (any case); 1, 0, -1 */
int
dir_admin_has_value(struct dir_admin *admin, const char *dn, const char *attr,
		    const char *value, char **error_r)
{
	*error_r = NULL;
	if (admin->is_ldap)
		return admin_ldap_has_value(admin, dn, attr, value, error_r);
	return admin_ldif_has_value(admin, dn, attr, value, error_r);
}

/*
 * admin_check_values - refuse values that deputy would not use
 *
 * A deputyDelegate value is a DN (an '=' and no '@') or a safe address.
 */
static int
admin_check_values(const struct dir_mod *mods, size_t count, char **error_r)
{
	const char *const *v;
	size_t	i;

	for (i = 0; i < count; i++) {
		if (mods[i].op == DIR_MOD_DELETE
		    || g_ascii_strcasecmp(mods[i].attr, "deputyDelegate") != 0)
			continue;
		for (v = mods[i].values; v != NULL && *v != NULL; v++) {
			int	is_dn = strchr(*v, '=') != NULL
			    && strchr(*v, '@') == NULL;

			if (!is_dn && !addr_is_safe(*v)) {
				*error_r = g_strdup_printf("deputyDelegate "
				    "'%s' is neither a DN nor an address "
				    "deputy can forward to", *v);
				return -2;
			}
		}
	}
	return 0;
}

/* dir_admin_modify - apply MODS to DN, all or nothing */
int
dir_admin_modify(struct dir_admin *admin, const char *dn,
		 const struct dir_mod *mods, size_t count, char **error_r)
{
	*error_r = NULL;
	if (admin_check_values(mods, count, error_r) < 0)
		return -2;
	if (admin->is_ldap)
		return admin_ldap_modify(admin, dn, mods, count, error_r);
	return admin_ldif_modify(admin, dn, mods, count, error_r);
}

/* dir_admin_close - release; sets *admin to NULL */
void
dir_admin_close(struct dir_admin **admin)
{
	struct dir_admin *a;

	if (admin == NULL || *admin == NULL)
		return;
	a = *admin;
	dir_conn_free(&a->conn);
	g_free(a->path);
	g_free(a->base);
	g_free(a);
	*admin = NULL;
}
