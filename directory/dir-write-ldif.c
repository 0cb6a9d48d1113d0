/*
 * NAME
 *	dir-write-ldif - deputyctl's changes to an LDIF directory file
 * SUMMARY
 *	Every call reads the file again with the LDIF reader that
 *	deputy-lda uses (ldif-reader.c), so what deputyctl writes is what
 *	deputy-lda will load. A change rewrites the whole file: records that
 *	are not changed, and the comments and blank lines between records,
 *	are copied byte for byte; the changed record is written anew from
 *	its values with libldap's LDIF writer (values with line breaks,
 *	such as iCalendar text, become base64). The new file is written
 *	next to the old one, fsynced and renamed over it, under an
 *	exclusive flock(2) on the file, so readers see the old or the new
 *	file and two writers do not lose each other's change.
 *
 *	deputy-lda reads the file as its own user. The new file gets the
 *	old one's group and mode in every case, and its owner when we may
 *	(root). An operator who is not root becomes the owner; the write
 *	is refused when the old owner could then no longer read the file.
 * DIAGNOSTICS
 *	-1: the file cannot be read or does not load; -2: the change is
 *	refused (no such entry, no such value, a value too long, a file
 *	that cannot be replaced, or would no longer be readable by its
 *	owner).
 * BUGS
 *	Comments inside a changed record are dropped.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <lber.h>
#include <ldif.h>

#include "dir-write-private.h"
#include "directory-private.h"
#include "ldif-reader.h"

/* The file as read: its text and its records (dn != NULL only). */
struct admin_file {
	char   *text;
	size_t	len;
	GPtrArray *records;		/* struct ldifr_record * */
	GPtrArray *changed;		/* the records to write anew */
};

/* admin_file_free - release what admin_load() made */
static void
admin_file_free(struct admin_file *f)
{
	if (f->records != NULL)
		g_ptr_array_free(f->records, TRUE);
	if (f->changed != NULL)
		g_ptr_array_free(f->changed, TRUE);
	g_free(f->text);
	memset(f, 0, sizeof(*f));
}

/* admin_record_free - GDestroyNotify for a record */
static void
admin_record_free(gpointer data)
{
	struct ldifr_record *rec = data;

	ldifr_record_free(&rec);
}

/* admin_parse - the records of F->text */
static int
admin_parse(const char *path, struct admin_file *f, char **error_r)
{
	struct ldifr *reader;
	struct ldifr_record *rec;
	int	rc;

	if (ldifr_open(path, f->text, f->len, &reader, error_r) < 0)
		return -1;
	f->records = g_ptr_array_new_with_free_func(admin_record_free);
	f->changed = g_ptr_array_new();
	while ((rc = ldifr_next(reader, &rec, error_r)) == 1) {
		if (rec->dn == NULL)
			ldifr_record_free(&rec);	/* kept as text */
		else
			g_ptr_array_add(f->records, rec);
	}
	ldifr_close(&reader);
	return rc;
}

/* admin_load - read and parse the file; with LOCK, *fd_r keeps it locked */
static int
admin_load(struct dir_admin *a, int lock, int *fd_r, struct admin_file *f,
	   char **error_r)
{
	struct stat st1, st2;
	int	fd, tries;

	*fd_r = -1;
	memset(f, 0, sizeof(*f));
	for (tries = 0;; tries++) {
		fd = open(a->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			*error_r = g_strdup_printf("LDIF file %s: %s", a->path,
						   g_strerror(errno));
			return -1;
		}
		if (!lock)
			break;
		if (flock(fd, LOCK_EX) < 0) {
			*error_r = g_strdup_printf("LDIF file %s: cannot lock: "
			    "%s", a->path, g_strerror(errno));
			close(fd);
			return -1;
		}
		/* replaced while we waited: lock the new one */
		if (fstat(fd, &st1) == 0 && stat(a->path, &st2) == 0
		    && st1.st_ino == st2.st_ino && st1.st_dev == st2.st_dev)
			break;
		close(fd);
		if (tries >= 10) {
			*error_r = g_strdup_printf("LDIF file %s: keeps "
			    "changing under us", a->path);
			return -1;
		}
	}
	if (ldifr_read_fd(fd, a->path, &f->text, &f->len, error_r) < 0
	    || admin_parse(a->path, f, error_r) < 0) {
		admin_file_free(f);
		close(fd);
		return -1;
	}
	if (lock)
		*fd_r = fd;
	else
		close(fd);
	return 0;
}

/* admin_value_matches - V is ATTR=VALUE (VALUE NULL: any value) */
static int
admin_value_matches(const struct ldifr_value *v, const char *attr,
		    const char *value, int exact)
{
	if (g_ascii_strcasecmp(v->attr, attr) != 0)
		return 0;
	if (value == NULL)
		return 1;
	return exact ? strcmp(v->value, value) == 0
	    : g_ascii_strcasecmp(v->value, value) == 0;
}

/* admin_record_has - whether REC has ATTR=VALUE (VALUE NULL: any value) */
static int
admin_record_has(const struct ldifr_record *rec, const char *attr,
		 const char *value, int exact)
{
	guint	i;

	for (i = 0; i < rec->values->len; i++)
		if (admin_value_matches(g_ptr_array_index(rec->values, i),
					attr, value, exact))
			return 1;
	return 0;
}

/* admin_record_by_dn - the record named DN, or NULL */
static struct ldifr_record *
admin_record_by_dn(const struct admin_file *f, const char *dn)
{
	struct ldifr_record *found = NULL;
	char   *want;
	guint	i;

	want = dir_dn_normalize(dn);
	for (i = 0; i < f->records->len && found == NULL; i++) {
		struct ldifr_record *rec = g_ptr_array_index(f->records, i);
		char   *have = dir_dn_normalize(rec->dn);

		if (strcmp(have, want) == 0)
			found = rec;
		g_free(have);
	}
	g_free(want);
	return found;
}

/* admin_ldif_find - DNs of the entries with ATTR=VALUE (any case) */
int
admin_ldif_find(struct dir_admin *a, const char *attr, const char *value,
		GPtrArray *dns, char **error_r)
{
	struct admin_file f;
	guint	i;
	int	fd;

	if (admin_load(a, 0, &fd, &f, error_r) < 0)
		return -1;
	for (i = 0; i < f.records->len; i++) {
		const struct ldifr_record *rec = g_ptr_array_index(f.records,
								   i);

		if (admin_record_has(rec, attr, value, 0))
			g_ptr_array_add(dns, g_strdup(rec->dn));
	}
	admin_file_free(&f);
	return 0;
}

/* admin_text_has - whether VALUE contains NEEDLE (casefolded) */
static int
admin_text_has(const char *value, const char *needle)
{
	char   *v, *fold;
	int	has;

	if (*needle == '\0')
		return 1;
	v = g_utf8_make_valid(value, -1);
	fold = g_utf8_casefold(v, -1);
	has = strstr(fold, needle) != NULL;
	g_free(fold);
	g_free(v);
	return has;
}

/* admin_ldif_search - people whose uid, cn, displayName or mail has TEXT */
int
admin_ldif_search(struct dir_admin *a, const char *text, unsigned int max,
		  GPtrArray *dns, int *more_r, char **error_r)
{
	static const char *const names[] = { "uid", "cn", "displayName",
	    "mail" };
	struct admin_file f;
	char   *fold;
	guint	i, j;
	size_t	k;
	int	fd;

	if (admin_load(a, 0, &fd, &f, error_r) < 0)
		return -1;
	fold = g_utf8_casefold(text, -1);
	for (i = 0; i < f.records->len; i++) {
		const struct ldifr_record *rec = g_ptr_array_index(f.records,
								   i);
		int	hit = 0;

		if (rec->dn == NULL || !admin_record_has(rec, "mail", NULL, 0))
			continue;
		for (j = 0; j < rec->values->len && !hit; j++) {
			const struct ldifr_value *v =
			    g_ptr_array_index(rec->values, j);

			for (k = 0; k < G_N_ELEMENTS(names); k++)
				if (g_ascii_strcasecmp(v->attr, names[k]) == 0
				    && admin_text_has(v->value, fold))
					hit = 1;
		}
		if (!hit)
			continue;
		if (dns->len >= max) {
			*more_r = 1;
			break;
		}
		g_ptr_array_add(dns, g_strdup(rec->dn));
	}
	g_free(fold);
	admin_file_free(&f);
	return 0;
}

/* admin_ldif_list - DNs of entries of class deputyUser or with ATTRS */
int
admin_ldif_list(struct dir_admin *a, const char *const *attrs, GPtrArray *dns,
		char **error_r)
{
	struct admin_file f;
	const char *const *at;
	guint	i;
	int	fd;

	if (admin_load(a, 0, &fd, &f, error_r) < 0)
		return -1;
	for (i = 0; i < f.records->len; i++) {
		const struct ldifr_record *rec = g_ptr_array_index(f.records,
								   i);
		int	has;

		has = admin_record_has(rec, "objectClass", "deputyUser", 0);
		for (at = attrs; *at != NULL && !has; at++)
			has = admin_record_has(rec, *at, NULL, 0);
		if (has)
			g_ptr_array_add(dns, g_strdup(rec->dn));
	}
	admin_file_free(&f);
	return 0;
}

/* admin_ldif_has_value - whether DN has ATTR=VALUE; 1, 0, -1 */
int
admin_ldif_has_value(struct dir_admin *a, const char *dn, const char *attr,
		     const char *value, char **error_r)
{
	struct admin_file f;
	const struct ldifr_record *rec;
	int	fd, rc;

	if (admin_load(a, 0, &fd, &f, error_r) < 0)
		return -1;
	rec = admin_record_by_dn(&f, dn);
	rc = rec != NULL && admin_record_has(rec, attr, value,
					     admin_exact_attr(attr));
	admin_file_free(&f);
	return rc;
}

/* admin_value_new - a value of ATTR, as the reader makes them */
static struct ldifr_value *
admin_value_new(const char *attr, const char *value)
{
	struct ldifr_value *v = g_new0(struct ldifr_value, 1);

	v->attr = g_strdup(attr);
	v->value = g_strdup(value);
	v->len = strlen(value);
	return v;
}

/* admin_delete_values - remove the listed values of M; -2 if one is missing */
static int
admin_delete_values(struct ldifr_record *rec, const struct dir_mod *m,
		    int exact, char **error_r)
{
	const char *const *v;
	guint	i;

	for (v = m->values; *v != NULL; v++) {
		for (i = 0; i < rec->values->len; i++)
			if (admin_value_matches(g_ptr_array_index(rec->values,
			    i), m->attr, *v, exact))
				break;
		if (i == rec->values->len) {
			*error_r = g_strdup_printf("entry %s has no such %s "
			    "value", rec->dn, m->attr);
			return -2;
		}
		g_ptr_array_remove_index(rec->values, i);
	}
	return 0;
}

/* admin_apply - one modification to REC's values */
static int
admin_apply(struct ldifr_record *rec, const struct dir_mod *m, char **error_r)
{
	const char *const *v;
	guint	i, pos;
	int	exact = admin_exact_attr(m->attr), first = -1;

	if (m->op == DIR_MOD_DELETE && m->values != NULL)
		return admin_delete_values(rec, m, exact, error_r);
	if (m->op == DIR_MOD_DELETE || m->op == DIR_MOD_REPLACE) {
		/* the new values go where the first old one was */
		for (i = 0; i < rec->values->len;) {
			if (admin_value_matches(g_ptr_array_index(rec->values,
			    i), m->attr, NULL, 0)) {
				if (first < 0)
					first = (int)i;
				g_ptr_array_remove_index(rec->values, i);
			} else {
				i++;
			}
		}
		if (m->op == DIR_MOD_DELETE)
			return 0;
		pos = first >= 0 ? (guint)first : rec->values->len;
	} else {
		/* after the last value of the same attribute */
		pos = rec->values->len;
		for (i = 0; i < rec->values->len; i++)
			if (admin_value_matches(g_ptr_array_index(rec->values,
			    i), m->attr, NULL, 0))
				pos = i + 1;
	}
	for (v = m->values; v != NULL && *v != NULL; v++) {
		if (m->op == DIR_MOD_ADD
		    && admin_record_has(rec, m->attr, *v, exact))
			continue;
		if (strlen(*v) > DIR_VALUE_MAX) {
			*error_r = g_strdup_printf("value of %s longer than "
			    "%d bytes", m->attr, DIR_VALUE_MAX);
			return -2;
		}
		g_ptr_array_insert(rec->values, (gint)pos,
				   admin_value_new(m->attr, *v));
		pos++;
	}
	return 0;
}

/* admin_put - one "name: value" in LDIF, folded, base64 when needed */
static void
admin_put(GString *out, const char *name, const char *value, size_t len)
{
	char   *line;

	line = ldif_put_wrap(LDIF_PUT_VALUE, name, value, (ber_len_t)len,
			     LDIF_LINE_WIDTH);
	if (line != NULL) {
		g_string_append(out, line);
		ber_memfree(line);
	}
}

/* admin_render - the text of a changed record, from its values */
static void
admin_render(GString *out, const struct ldifr_record *rec)
{
	guint	i;

	if (rec->version)
		g_string_append(out, "version: 1\n");
	admin_put(out, "dn", rec->dn, strlen(rec->dn));
	for (i = 0; i < rec->values->len; i++) {
		const struct ldifr_value *v = g_ptr_array_index(rec->values, i);

		admin_put(out, v->attr, v->value, v->len);
	}
}

/* admin_text - the new file: old bytes, the changed records anew */
static GString *
admin_text(const struct admin_file *f)
{
	GString *out = g_string_sized_new(f->len + 1024);
	size_t	at = 0;
	guint	i, k;

	for (i = 0; i < f->records->len; i++) {
		const struct ldifr_record *rec = g_ptr_array_index(f->records,
								   i);
		int	changed = 0;

		for (k = 0; k < f->changed->len; k++)
			if (g_ptr_array_index(f->changed, k) == rec)
				changed = 1;
		if (!changed)
			continue;
		g_string_append_len(out, f->text + at, (gssize)(rec->start - at));
		admin_render(out, rec);
		at = rec->end;
	}
	g_string_append_len(out, f->text + at, (gssize)(f->len - at));
	return out;
}

/* admin_write_all - write BUF fully */
static int
admin_write_all(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * admin_can_read - whether UID may read a file of ST's owner, group, mode
 *
 * The kernel's rule: owner bits for the owner, group bits for a member
 * of the group (primary or supplementary), other bits for the rest;
 * root reads everything. A uid without a passwd entry has no known
 * groups: only the other bits count for it.
 */
static int
admin_can_read(uid_t uid, const struct stat *st)
{
	struct passwd pw, *pwp = NULL;
	char	buf[4096];
	gid_t	groups[256];
	int	n = (int)G_N_ELEMENTS(groups), i;

	if (uid == 0)
		return 1;
	if (uid == st->st_uid)
		return (st->st_mode & S_IRUSR) != 0;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwp) != 0 || pwp == NULL)
		return (st->st_mode & S_IROTH) != 0;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
		n = 0;			/* too many groups: only pw_gid */
	if (pw.pw_gid == st->st_gid)
		return (st->st_mode & S_IRGRP) != 0;
	for (i = 0; i < n; i++)
		if (groups[i] == st->st_gid)
			return (st->st_mode & S_IRGRP) != 0;
	return (st->st_mode & S_IROTH) != 0;
}

/* admin_user_name - "name (uid N)" of UID, for messages */
static char *
admin_user_name(uid_t uid)
{
	struct passwd pw, *pwp = NULL;
	char	buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwp) == 0 && pwp != NULL)
		return g_strdup_printf("%s (uid %lu)", pw.pw_name,
		    (unsigned long)uid);
	return g_strdup_printf("uid %lu", (unsigned long)uid);
}

/* admin_group_name - "name (gid N)" of GID, for messages */
static char *
admin_group_name(gid_t gid)
{
	struct group gr, *grp = NULL;
	char	buf[16384];

	if (getgrgid_r(gid, &gr, buf, sizeof(buf), &grp) == 0 && grp != NULL)
		return g_strdup_printf("%s (gid %lu)", gr.gr_name,
		    (unsigned long)gid);
	return g_strdup_printf("gid %lu", (unsigned long)gid);
}

/*
 * admin_keep_access - give the new file FD the old file's access
 *
 * deputy-lda reads the file as its own user. The new file keeps the
 * old one's group and mode in every case, and its owner when we may
 * change owners (root). An operator who is not root becomes the owner:
 * if the old owner could read the old file but cannot read the new one
 * (it is not in the file's group, say), the rewrite is refused, rather
 * than leave a directory that deputy-lda cannot read and every message
 * deferred. -2 with *error_r then.
 */
static int
admin_keep_access(struct dir_admin *a, int fd, const struct stat *old,
		  char **error_r)
{
	struct stat now;
	char   *owner, *me, *group;

	if (fchown(fd, old->st_uid, old->st_gid) < 0) {
		if (errno != EPERM) {
			*error_r = g_strdup_printf("LDIF file %s: cannot set the "
			    "owner of the new file: %s", a->path,
			    g_strerror(errno));
			return -2;
		}
		/* not root: the group, which a member may set */
		if (fchown(fd, (uid_t)-1, old->st_gid) < 0) {
			group = admin_group_name(old->st_gid);
			*error_r = g_strdup_printf("LDIF file %s: cannot give "
			    "the new file the group %s of the old one: %s (the "
			    "operator must be in that group); not written",
			    a->path, group, g_strerror(errno));
			g_free(group);
			return -2;
		}
	}
	if (fchmod(fd, old->st_mode & 07777) < 0 || fstat(fd, &now) < 0) {
		*error_r = g_strdup_printf("LDIF file %s: cannot set the mode of "
		    "the new file: %s", a->path, g_strerror(errno));
		return -2;
	}
	if (now.st_uid == old->st_uid || !admin_can_read(old->st_uid, old)
	    || admin_can_read(old->st_uid, &now))
		return 0;
	owner = admin_user_name(old->st_uid);
	me = admin_user_name(now.st_uid);
	group = admin_group_name(now.st_gid);
	*error_r = g_strdup_printf("LDIF file %s: the new file would belong "
	    "to %s, who runs deputyctl, and its owner %s could no longer "
	    "read it (group %s, mode %04o); not written: run deputyctl as "
	    "root or as the owner, or put the owner in the file's group",
	    a->path, me, owner, group, (unsigned int)(now.st_mode & 07777));
	g_free(owner);
	g_free(me);
	g_free(group);
	return -2;
}

/* admin_replace - write F next to the file and rename it over the old one */
static int
admin_replace(struct dir_admin *a, int oldfd, const struct admin_file *f,
	      char **error_r)
{
	struct stat st;
	GString *out;
	char   *tmp, *dirname;
	int	fd, dfd, saved, ret;

	if (fstat(oldfd, &st) < 0) {
		*error_r = g_strdup_printf("LDIF file %s: %s", a->path,
					   g_strerror(errno));
		return -1;
	}
	out = admin_text(f);
	tmp = g_strdup_printf("%s.deputyctl.XXXXXX", a->path);
	fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		*error_r = g_strdup_printf("LDIF file %s: cannot create a "
		    "temporary file next to it: %s", a->path,
		    g_strerror(errno));
		g_free(tmp);
		g_string_free(out, TRUE);
		return -2;
	}
	if ((ret = admin_keep_access(a, fd, &st, error_r)) < 0) {
		close(fd);
		(void)unlink(tmp);
		g_free(tmp);
		g_string_free(out, TRUE);
		return ret;
	}
	if (admin_write_all(fd, out->str, out->len) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, a->path) < 0)
		goto fail;
	dirname = g_path_get_dirname(a->path);
	if ((dfd = open(dirname, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	g_free(dirname);
	g_free(tmp);
	g_string_free(out, TRUE);
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	(void)unlink(tmp);
	*error_r = g_strdup_printf("LDIF file %s: cannot replace it: %s",
				   a->path, g_strerror(saved));
	g_free(tmp);
	g_string_free(out, TRUE);
	return -2;
}

/* admin_ldif_modify - apply MODS to the record DN and rewrite the file */
int
admin_ldif_modify(struct dir_admin *a, const char *dn,
		  const struct dir_mod *mods, size_t count, char **error_r)
{
	struct admin_file f;
	struct ldifr_record *rec;
	size_t	i;
	int	fd, ret;

	if (admin_load(a, 1, &fd, &f, error_r) < 0)
		return -1;
	rec = admin_record_by_dn(&f, dn);
	if (rec == NULL) {
		*error_r = g_strdup_printf("no entry %s in %s", dn, a->path);
		ret = -2;
		goto out;
	}
	for (i = 0, ret = 0; i < count && ret == 0; i++)
		ret = admin_apply(rec, &mods[i], error_r);
	if (ret == 0) {
		g_ptr_array_add(f.changed, rec);
		ret = admin_replace(a, fd, &f, error_r);
	}
out:
	admin_file_free(&f);
	close(fd);			/* drops the lock */
	return ret;
}
