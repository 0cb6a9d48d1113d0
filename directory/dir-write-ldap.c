/*
 * NAME
 *	dir-write-ldap - deputyctl's searches and changes on an LDAP server
 * SUMMARY
 *	The connection is ldap-conn.c's, the one deputy-lda uses, bound with
 *	the identity in the settings (deputyctl puts the operator's there),
 *	so slapd's ACLs decide and modifiersName records who did it. It is
 *	opened at the first call. A change is one modify operation, so the
 *	server applies all or nothing.
 * DIAGNOSTICS
 *	-1: the server cannot be reached or failed (and every failed
 *	search); -2: it refused (access, schema, no such entry).
 * BUGS
 *	admin_ldap_search() makes one search without paging: the server's
 *	size limit bounds it and is reported as an error.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/time.h>

#include <string.h>

#include <glib.h>
#include <lber.h>
#include <ldap.h>

#include "dir-write-private.h"
#include "ldap-conn.h"

/* admin_ldap_search_people - at most MAX DNs matching FILTER */
int
admin_ldap_search_people(struct dir_admin *a, const char *filter,
			 unsigned int max, GPtrArray *dns, int *more_r,
			 char **error_r)
{
	char   *attrs[] = { (char *)LDAP_NO_ATTRS, NULL };
	LDAPMessage *res = NULL, *msg;
	struct timeval tv;
	LDAP   *ld;
	int	rc, err = LDAP_SUCCESS;

	if ((rc = dir_conn_connect(a->conn, error_r)) < 0)
		return rc;
	ld = dir_conn_ld(a->conn);
	tv.tv_sec = (time_t)dir_conn_timeout(a->conn);
	tv.tv_usec = 0;
	rc = ldap_search_ext_s(ld, a->base, LDAP_SCOPE_SUBTREE, filter, attrs,
			       0, NULL, NULL, &tv, (int)max + 1, &res);
	for (msg = res != NULL ? ldap_first_message(ld, res) : NULL;
	     msg != NULL; msg = ldap_next_message(ld, msg))
		if (ldap_msgtype(msg) == LDAP_RES_SEARCH_RESULT)
			(void)ldap_parse_result(ld, msg, &err, NULL, NULL,
						NULL, NULL, 0);
	if (rc == LDAP_SIZELIMIT_EXCEEDED || err == LDAP_SIZELIMIT_EXCEEDED) {
		*more_r = 1;
		rc = err = LDAP_SUCCESS;
	}
	if (rc != LDAP_SUCCESS || err != LDAP_SUCCESS) {
		(void)dir_conn_fail(a->conn, "search",
				    rc != LDAP_SUCCESS ? rc : err, error_r);
		if (res != NULL)
			ldap_msgfree(res);
		return -1;
	}
	for (msg = ldap_first_entry(ld, res); msg != NULL;
	     msg = ldap_next_entry(ld, msg)) {
		char   *dn = ldap_get_dn(ld, msg);

		if (dn != NULL && dns->len < max)
			g_ptr_array_add(dns, g_strdup(dn));
		else if (dn != NULL)
			*more_r = 1;
		ldap_memfree(dn);
	}
	ldap_msgfree(res);
	return 0;
}

/* admin_ldap_search - DNs under base matching FILTER */
int
admin_ldap_search(struct dir_admin *a, const char *filter, GPtrArray *dns,
		  char **error_r)
{
	char   *attrs[] = { (char *)LDAP_NO_ATTRS, NULL };
	LDAPMessage *res = NULL, *msg;
	struct timeval tv;
	LDAP   *ld;
	int	rc, err = LDAP_SUCCESS;
	char   *what;

	if ((rc = dir_conn_connect(a->conn, error_r)) < 0)
		return rc;
	ld = dir_conn_ld(a->conn);
	tv.tv_sec = (time_t)dir_conn_timeout(a->conn);
	tv.tv_usec = 0;
	rc = ldap_search_ext_s(ld, a->base, LDAP_SCOPE_SUBTREE, filter, attrs,
			       0, NULL, NULL, &tv, LDAP_NO_LIMIT, &res);
	for (msg = res != NULL ? ldap_first_message(ld, res) : NULL;
	     msg != NULL; msg = ldap_next_message(ld, msg))
		if (ldap_msgtype(msg) == LDAP_RES_SEARCH_RESULT)
			(void)ldap_parse_result(ld, msg, &err, NULL, NULL,
						NULL, NULL, 0);
	if (rc != LDAP_SUCCESS || err != LDAP_SUCCESS) {
		what = g_strdup_printf("search %s", filter);
		(void)dir_conn_fail(a->conn, what,
				    rc != LDAP_SUCCESS ? rc : err, error_r);
		g_free(what);
		if (res != NULL)
			ldap_msgfree(res);
		return -1;		/* a read that fails: -1 */
	}
	for (msg = ldap_first_entry(ld, res); msg != NULL;
	     msg = ldap_next_entry(ld, msg)) {
		char   *dn = ldap_get_dn(ld, msg);

		if (dn != NULL) {
			g_ptr_array_add(dns, g_strdup(dn));
			ldap_memfree(dn);
		}
	}
	ldap_msgfree(res);
	return 0;
}

/* admin_ldap_has_value - whether DN has ATTR=VALUE (a compare); 1, 0, <0 */
int
admin_ldap_has_value(struct dir_admin *a, const char *dn, const char *attr,
		     const char *value, char **error_r)
{
	struct berval bv;
	int	rc;

	if ((rc = dir_conn_connect(a->conn, error_r)) < 0)
		return rc;
	bv.bv_val = (char *)value;
	bv.bv_len = strlen(value);
	rc = ldap_compare_ext_s(dir_conn_ld(a->conn), dn, attr, &bv, NULL,
				NULL);
	if (rc == LDAP_COMPARE_TRUE)
		return 1;
	if (rc == LDAP_COMPARE_FALSE || rc == LDAP_NO_SUCH_ATTRIBUTE
	    || rc == LDAP_UNDEFINED_TYPE)
		return 0;
	return dir_conn_fail(a->conn, "compare", rc, error_r);
}

/* admin_ldap_modify - MODS to DN in one modify operation */
int
admin_ldap_modify(struct dir_admin *a, const char *dn,
		  const struct dir_mod *mods, size_t count, char **error_r)
{
	LDAPMod *lmods, **lptrs;
	GPtrArray *keep;
	size_t	i, n;
	int	rc;

	if ((rc = dir_conn_connect(a->conn, error_r)) < 0)
		return rc;
	lmods = g_new0(LDAPMod, count);
	lptrs = g_new0(LDAPMod *, count + 1);
	keep = g_ptr_array_new_with_free_func(g_free);
	for (i = 0, n = 0; i < count; i++) {
		const char *const *v;
		GPtrArray *bvs = g_ptr_array_new();

		for (v = mods[i].values; v != NULL && *v != NULL; v++) {
			struct berval *bv;

			/* LDAP refuses to add a value twice: skip it here */
			if (mods[i].op == DIR_MOD_ADD) {
				rc = admin_ldap_has_value(a, dn, mods[i].attr,
							  *v, error_r);
				if (rc < 0) {
					g_ptr_array_free(bvs, TRUE);
					goto out;
				}
				if (rc == 1)
					continue;
			}
			bv = g_new0(struct berval, 1);
			bv->bv_val = (char *)*v;
			bv->bv_len = strlen(*v);
			g_ptr_array_add(keep, bv);
			g_ptr_array_add(bvs, bv);
		}
		if (mods[i].op == DIR_MOD_ADD && bvs->len == 0) {
			g_ptr_array_free(bvs, TRUE);
			continue;
		}
		g_ptr_array_add(bvs, NULL);
		lmods[n].mod_op = LDAP_MOD_BVALUES | (mods[i].op == DIR_MOD_ADD
		    ? LDAP_MOD_ADD : mods[i].op == DIR_MOD_DELETE
		    ? LDAP_MOD_DELETE : LDAP_MOD_REPLACE);
		lmods[n].mod_type = (char *)mods[i].attr;
		lmods[n].mod_bvalues = (struct berval **)bvs->pdata;
		g_ptr_array_add(keep, g_ptr_array_free(bvs, FALSE));
		lptrs[n] = &lmods[n];
		n++;
	}
	rc = 0;
	if (n > 0) {
		rc = ldap_modify_ext_s(dir_conn_ld(a->conn), dn, lptrs, NULL,
				       NULL);
		if (rc != LDAP_SUCCESS) {
			char   *what = g_strdup_printf("modify %s", dn);

			rc = dir_conn_fail(a->conn, what, rc, error_r);
			g_free(what);
		}
	}
out:
	g_ptr_array_free(keep, TRUE);
	g_free(lmods);
	g_free(lptrs);
	return rc;
}
