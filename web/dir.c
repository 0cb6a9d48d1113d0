/*
 * NAME
 *	dir - a request's view of the directory, with the session's identity
 * SUMMARY
 *	LDAP: each session has its own two handles (lookups, and listing
 *	and writes), bound as the person who logged in, opened on first
 *	use and dropped after a failure, so that the next request connects
 *	afresh. LDIF: one view of the file for everyone, read again when
 *	the file changed (deputyctl or another session wrote it).
 *
 *	web_user() finds the person a request names, as deputyctl does: an
 *	address (mail or alias), a DN, or a uid. web_entry_version() is a
 *	digest of what the page edits, which a write must send back: a
 *	write based on an older view is refused (409) instead of undoing
 *	somebody's change.
 * DIAGNOSTICS
 *	web_dir() and web_user() answer the request themselves when they
 *	fail (503: the directory did not answer; 404: nobody by that name)
 *	and return -1 or 0.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <microhttpd.h>

#include "absence-edit.h"
#include "dir-chain.h"
#include "log.h"
#include "web.h"

/* web_dir_settings - the configuration's settings, the session's identity */
static void
web_dir_settings(struct web_req *r, struct dir_settings *set)
{
	conf_dir_settings(r->web->conf, set);
	if (r->web->ldap) {
		set->bind_dn = r->session->dn;
		set->bind_password = r->session->password;
		set->bind_password_file = NULL;
		set->sasl_mech = NULL;
	}
}

/* web_ldif_fresh - whether the LDIF view still matches the file */
static int
web_ldif_fresh(struct web *w)
{
	struct stat st;

	if (w->ldif_dir == NULL || stat(w->conf->dir_ldif_file, &st) != 0)
		return 0;
	return st.st_ino == w->ldif_st.st_ino
	    && st.st_size == w->ldif_st.st_size
	    && st.st_mtim.tv_sec == w->ldif_st.st_mtim.tv_sec
	    && st.st_mtim.tv_nsec == w->ldif_st.st_mtim.tv_nsec;
}

/* web_dir - the directory handles of this request */
int
web_dir(struct web_req *r, struct dir **dir_r, struct dir_admin **admin_r)
{
	struct web *w = r->web;
	struct dir_settings set;
	char   *error = NULL;

	web_dir_settings(r, &set);
	if (w->ldap) {
		struct web_session *s = r->session;

		if (s->dir == NULL && dir_open(&set, &s->dir, &error) < 0)
			goto fail;
		if (s->admin == NULL
		    && dir_admin_open(&set, &s->admin, &error) < 0)
			goto fail;
		*dir_r = s->dir;
		*admin_r = s->admin;
		return 0;
	}
	if (!web_ldif_fresh(w)) {
		dir_close(&w->ldif_dir);
		if (stat(w->conf->dir_ldif_file, &w->ldif_st) != 0)
			memset(&w->ldif_st, 0, sizeof(w->ldif_st));
		if (dir_open(&set, &w->ldif_dir, &error) < 0)
			goto fail;
	}
	if (w->ldif_admin == NULL
	    && dir_admin_open(&set, &w->ldif_admin, &error) < 0)
		goto fail;
	*dir_r = w->ldif_dir;
	*admin_r = w->ldif_admin;
	return 0;
fail:
	log_warn("user=%s: directory: %s", r->session->user, error);
	web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "the directory "
	    "cannot be used: %s", error);
	g_free(error);
	return -1;
}

/* web_dir_failed - drop the session's handles after a failure */
void
web_dir_failed(struct web_req *r)
{
	if (r->web->ldap) {
		dir_admin_close(&r->session->admin);
		dir_close(&r->session->dir);
	} else {
		dir_close(&r->web->ldif_dir);
	}
}

/* web_dir_changed - after a write: read the LDIF file again */
void
web_dir_changed(struct web_req *r)
{
	if (!r->web->ldap)
		dir_close(&r->web->ldif_dir);
}

/* web_user - the entry ARG names: an address, a DN or a uid; 1, 0, -1 */
int
web_user(struct web_req *r, const char *arg, struct dir_entry **entry_r)
{
	struct dir *dir;
	struct dir_admin *admin;
	char   *error = NULL, *dn = NULL;
	int	rc;

	*entry_r = NULL;
	if (*arg == '\0' || strlen(arg) > WEB_FIELD_MAX) {
		web_error(r, MHD_HTTP_BAD_REQUEST, "id", "name a person: an "
		    "address, a DN or a user name");
		return 0;
	}
	if (web_dir(r, &dir, &admin) < 0)
		return -1;
	if (strchr(arg, '@') != NULL) {
		rc = dir_lookup(dir, arg, entry_r, &error);
	} else if (strchr(arg, '=') != NULL) {
		rc = dir_lookup_dn(dir, arg, entry_r, &error);
	} else {
		rc = dir_admin_find(admin, "uid", arg, &dn, &error);
		if (rc == 1)
			rc = dir_lookup_dn(dir, dn, entry_r, &error);
		g_free(dn);
	}
	if (rc < 0) {
		web_dir_failed(r);
		web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "the "
		    "directory did not answer: %s", error);
		g_free(error);
		return -1;
	}
	if (rc == 0) {
		web_error(r, MHD_HTTP_NOT_FOUND, "id", "nobody in the "
		    "directory is named %s", arg);
		return 0;
	}
	if ((*entry_r)->mail == NULL) {
		web_error(r, MHD_HTTP_NOT_FOUND, "id", "entry %s has no mail "
		    "address", (*entry_r)->dn);
		dir_entry_free(entry_r);
		return 0;
	}
	return 1;
}

/* web_version_cmp - g_ptr_array_sort() gives pointers to the elements */
static gint
web_version_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* web_version_add - one attribute's values into the digest, in order */
static void
web_version_add(GChecksum *sum, const char *name, const char *const *values,
		size_t count)
{
	GPtrArray *sorted = g_ptr_array_new();
	size_t	i;

	for (i = 0; i < count; i++)
		g_ptr_array_add(sorted, (gpointer)values[i]);
	g_ptr_array_sort(sorted, web_version_cmp);
	g_checksum_update(sum, (const guchar *)name, -1);
	for (i = 0; i < sorted->len; i++) {
		const char *v = g_ptr_array_index(sorted, i);

		g_checksum_update(sum, (const guchar *)"\n", 1);
		g_checksum_update(sum, (const guchar *)v, -1);
	}
	g_checksum_update(sum, (const guchar *)"\f", 1);
	g_ptr_array_free(sorted, TRUE);
}

/* web_entry_version - a digest of what the page edits in E */
char *
web_entry_version(const struct dir_entry *e)
{
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	const char *one[1];
	char   *out;

	web_version_add(sum, "deputyAbsence",
	    (const char *const *)e->absences.values, e->absences.count);
	web_version_add(sum, "deputyDelegate",
	    (const char *const *)e->delegates.values, e->delegates.count);
	one[0] = e->notice == DIR_NOTICE_NONE ? "none"
	    : e->notice == DIR_NOTICE_AUTHENTICATED ? "authenticated"
	    : e->notice == DIR_NOTICE_INTERNAL ? "internal" : "";
	web_version_add(sum, "deputyNotice", one, 1);
	one[0] = e->template_name != NULL ? e->template_name : "";
	web_version_add(sum, "deputyTemplate", one, 1);
	one[0] = e->mail != NULL ? e->mail : "";
	web_version_add(sum, "mail", one, 1);
	out = g_strndup(g_checksum_get_string(sum), 32);
	g_checksum_free(sum);
	return out;
}

/* web_zone - the zone to show times in: ?tz=, the first TZID, the default */
const char *
web_zone(struct web_req *r, GPtrArray *events)
{
	const char *tz = web_arg(r, "tz");
	guint	i;

	if (tz != NULL && *tz != '\0' && absence_zone_ok(tz))
		return tz;
	for (i = 0; events != NULL && i < events->len; i++) {
		const struct absence_event *ev = g_ptr_array_index(events, i);

		if (ev->zone != NULL && absence_zone_ok(ev->zone))
			return ev->zone;
	}
	return r->web->conf->template_timezone != NULL
	    ? r->web->conf->template_timezone : "UTC";
}
