/*
 * NAME
 *	dir-write - enumerate and modify directory entries (deputyctl)
 * SUMMARY
 *	See dir-write.h. Two implementations behind one small API:
 *
 *	ldap: a connection of its own (dir-ldap.c keeps its handle
 *	private), opened at the first call to the first URI that answers,
 *	with the same options as the delivery path: LDAPv3, timeouts, no
 *	referrals, certificates always checked, StartTLS on ldap:// when
 *	tls = "starttls". It binds as the settings say: SASL EXTERNAL, a
 *	simple bind with a password file (a regular file of the effective
 *	user, no group or other permissions), or anonymously. Changes are
 *	one modify operation, so the server applies all or nothing.
 *
 *	ldif: every call reads the file again. A record is a run of
 *	non-blank lines; records that are not changed are written back
 *	byte for byte. A changed record is written again from its parsed
 *	values with libldap's LDIF writer (values with line breaks, such as
 *	iCalendar text, become base64). The new file is written next to
 *	the old one, fsynced, given the old owner and mode and renamed
 *	over it, under an exclusive flock(2) on the file, so readers see
 *	the old or the new file and two writers do not lose each other's
 *	change.
 * DIAGNOSTICS
 *	-1: the directory cannot be reached or failed (connect, timeout,
 *	an unreadable or unparseable LDIF file); -2: it refused (access,
 *	schema, no such entry, an LDIF file that cannot be replaced).
 * SECURITY
 *	Filter values are escaped (RFC 4515). LDIF URL values and
 *	"include:" are refused, as in dir-ldif.c. The password is wiped
 *	after the bind.
 * BUGS
 *	Comments inside a changed LDIF record are dropped. dir_admin_list()
 *	makes one LDAP search without paging: the server's size limit
 *	bounds it and is reported as an error.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <lber.h>
#include <ldap.h>
#include <ldif.h>

#include "dir-write.h"
#include "directory-private.h"

#define ADMIN_LDIF_MAX		(64 * 1024 * 1024)
#define ADMIN_PASSWORD_MAX	1024

/* One attribute value of an LDIF record. */
struct admin_av {
	char   *name;
	char   *value;
	size_t	len;
};

/* One run of non-blank lines of an LDIF file and its trailing blanks. */
struct admin_block {
	char   *text;			/* verbatim, up to the blank lines */
	char   *trail;			/* the blank lines after it */
	char   *dn;			/* NULL: not a record (comments) */
	GPtrArray *avs;			/* struct admin_av *, without dn */
	int	version;		/* starts with "version: 1" */
};

struct dir_admin {
	int	is_ldap;

	/* ldif */
	char   *path;

	/* ldap */
	char  **uris;
	char   *base;
	char   *bind_dn;
	char   *password_file;
	char   *password;		/* in memory (bind_password), or NULL */
	int	sasl_external;
	int	starttls;
	char   *ca_file;
	unsigned int network_timeout;
	unsigned int timeout;
	LDAP   *ld;
	const char *uri;
};

/* ------------------------------------------------------------- LDIF */

/* admin_av_free - release one value */
static void
admin_av_free(gpointer data)
{
	struct admin_av *av = data;

	g_free(av->name);
	g_free(av->value);
	g_free(av);
}

/* admin_block_free - release one block */
static void
admin_block_free(gpointer data)
{
	struct admin_block *b = data;

	g_free(b->text);
	g_free(b->trail);
	g_free(b->dn);
	if (b->avs != NULL)
		g_ptr_array_free(b->avs, TRUE);
	g_free(b);
}

/* admin_read_fd - the whole file behind FD, bounded */
static int
admin_read_fd(int fd, const char *path, char **text_r, char **error_r)
{
	GString *buf;
	char	chunk[8192];
	ssize_t	n;

	buf = g_string_new(NULL);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*error_r = g_strdup_printf("LDIF file %s: %s", path,
						   g_strerror(errno));
			g_string_free(buf, TRUE);
			return -1;
		}
		if (n == 0)
			break;
		if (buf->len + (size_t)n > ADMIN_LDIF_MAX) {
			*error_r = g_strdup_printf("LDIF file %s: larger than "
			    "%d bytes", path, ADMIN_LDIF_MAX);
			g_string_free(buf, TRUE);
			return -1;
		}
		g_string_append_len(buf, chunk, n);
	}
	if (memchr(buf->str, '\0', buf->len) != NULL) {
		*error_r = g_strdup_printf("LDIF file %s: contains a NUL byte",
					   path);
		g_string_free(buf, TRUE);
		return -1;
	}
	*text_r = g_string_free(buf, FALSE);
	return 0;
}

/* admin_parse_block - the record in B->text, if it is one */
static int
admin_parse_block(const char *path, struct admin_block *b, char **error_r)
{
	GPtrArray *logical;
	char  **lines;
	guint	i;
	int	in_comment = 0, ret = 0;
	guint	first = 0;		/* logical line that may be "dn:" */

	logical = g_ptr_array_new_with_free_func(g_free);
	lines = g_strsplit(b->text, "\n", -1);
	for (i = 0; lines[i] != NULL; i++) {
		char   *l = lines[i];
		size_t	len = strlen(l);

		if (len > 0 && l[len - 1] == '\r')
			l[--len] = '\0';
		if (l[0] == ' ') {
			if (!in_comment && logical->len > 0) {
				GString *prev = g_string_new(
				    g_ptr_array_index(logical,
						      logical->len - 1));

				g_string_append(prev, l + 1);
				g_free(g_ptr_array_index(logical,
							 logical->len - 1));
				g_ptr_array_index(logical, logical->len - 1) =
				    g_string_free(prev, FALSE);
			}
			continue;
		}
		in_comment = l[0] == '#';
		if (!in_comment && l[0] != '\0')
			g_ptr_array_add(logical, g_strdup(l));
	}
	g_strfreev(lines);

	b->avs = g_ptr_array_new_with_free_func(admin_av_free);
	for (i = 0; i < logical->len && ret == 0; i++) {
		char   *line = g_ptr_array_index(logical, i);
		char   *colon = strchr(line, ':');
		struct berval type, value;
		int	freeval = 0;

		if (colon == NULL || colon[1] == '<'
		    || g_ascii_strncasecmp(line, "include:", 8) == 0) {
			*error_r = g_strdup_printf("LDIF file %s: cannot use "
			    "the line \"%.40s\"", path, line);
			ret = -1;
			break;
		}
		if (ldif_parse_line2(line, &type, &value, &freeval) < 0) {
			*error_r = g_strdup_printf("LDIF file %s: cannot parse "
			    "the line \"%.40s\"", path, line);
			ret = -1;
			break;
		}
		if (i == first && b->dn == NULL
		    && g_ascii_strcasecmp(type.bv_val, "version") == 0) {
			first = i + 1;
			b->version = 1;
		} else if (i == first
			   && g_ascii_strcasecmp(type.bv_val, "dn") == 0) {
			b->dn = g_strndup(value.bv_val, value.bv_len);
			g_strstrip(b->dn);
		} else if (b->dn != NULL) {
			struct admin_av *av = g_new0(struct admin_av, 1);

			av->name = g_strdup(type.bv_val);
			av->value = g_strndup(value.bv_val, value.bv_len);
			av->len = value.bv_len;
			g_ptr_array_add(b->avs, av);
		}
		if (freeval)
			ber_memfree(value.bv_val);
	}
	g_ptr_array_free(logical, TRUE);
	return ret;
}

/* admin_ldif_parse - TEXT as a list of blocks */
static int
admin_ldif_parse(const char *path, const char *text, GPtrArray **blocks_r,
		 char **error_r)
{
	GPtrArray *blocks;
	const char *p, *nl, *start;
	struct admin_block *b;

	blocks = g_ptr_array_new_with_free_func(admin_block_free);
	p = text;
	while (*p != '\0') {
		/* the block: non-blank lines */
		start = p;
		while (*p != '\0' && *p != '\n'
		       && !(*p == '\r' && p[1] == '\n')) {
			nl = strchr(p, '\n');
			p = nl != NULL ? nl + 1 : p + strlen(p);
		}
		b = g_new0(struct admin_block, 1);
		b->text = g_strndup(start, (gsize)(p - start));
		start = p;
		while (*p == '\n' || (*p == '\r' && p[1] == '\n'))
			p += *p == '\n' ? 1 : 2;
		b->trail = g_strndup(start, (gsize)(p - start));
		g_ptr_array_add(blocks, b);
		if (b->text[0] != '\0'
		    && admin_parse_block(path, b, error_r) < 0) {
			g_ptr_array_free(blocks, TRUE);
			return -1;
		}
	}
	*blocks_r = blocks;
	return 0;
}

/* admin_ldif_load - read and parse the file; FD_R keeps it open, locked */
static int
admin_ldif_load(struct dir_admin *a, int lock, int *fd_r,
		GPtrArray **blocks_r, char **error_r)
{
	struct stat st1, st2;
	char   *text;
	int	fd, tries;

	*fd_r = -1;
	for (tries = 0;; tries++) {
		fd = open(a->path, O_RDONLY | O_CLOEXEC);
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
	if (admin_read_fd(fd, a->path, &text, error_r) < 0) {
		close(fd);
		return -1;
	}
	if (admin_ldif_parse(a->path, text, blocks_r, error_r) < 0) {
		g_free(text);
		close(fd);
		return -1;
	}
	g_free(text);
	if (lock)
		*fd_r = fd;
	else
		close(fd);
	return 0;
}

/* admin_block_has - whether B has ATTR=VALUE (VALUE NULL: any value) */
static int
admin_block_has(const struct admin_block *b, const char *attr,
		const char *value, int exact)
{
	guint	i;

	for (i = 0; b->avs != NULL && i < b->avs->len; i++) {
		const struct admin_av *av = g_ptr_array_index(b->avs, i);

		if (g_ascii_strcasecmp(av->name, attr) != 0)
			continue;
		if (value == NULL)
			return 1;
		if (exact ? strcmp(av->value, value) == 0
		    : g_ascii_strcasecmp(av->value, value) == 0)
			return 1;
	}
	return 0;
}

/* admin_block_by_dn - the record named DN, or NULL */
static struct admin_block *
admin_block_by_dn(GPtrArray *blocks, const char *dn)
{
	struct admin_block *found = NULL;
	char   *want;
	guint	i;

	want = dir_dn_normalize(dn);
	for (i = 0; i < blocks->len && found == NULL; i++) {
		struct admin_block *b = g_ptr_array_index(blocks, i);
		char   *have;

		if (b->dn == NULL)
			continue;
		have = dir_dn_normalize(b->dn);
		if (strcmp(have, want) == 0)
			found = b;
		g_free(have);
	}
	g_free(want);
	return found;
}

/* admin_exact_attr - attributes whose values compare case-exactly */
static int
admin_exact_attr(const char *attr)
{
	return g_ascii_strcasecmp(attr, "deputyAbsence") == 0
	    || g_ascii_strcasecmp(attr, "deputyTemplate") == 0;
}

/* admin_block_apply - one modification to B's values */
static int
admin_block_apply(struct admin_block *b, const struct dir_mod *m,
		  char **error_r)
{
	const char *const *v;
	guint	i, pos;
	int	exact = admin_exact_attr(m->attr);

	pos = b->avs->len;
	if (m->op == DIR_MOD_DELETE && m->values != NULL) {
		for (v = m->values; *v != NULL; v++) {
			int	found = 0;

			for (i = 0; i < b->avs->len; i++) {
				struct admin_av *av =
				    g_ptr_array_index(b->avs, i);

				if (g_ascii_strcasecmp(av->name, m->attr) == 0
				    && (exact ? strcmp(av->value, *v) == 0
					: g_ascii_strcasecmp(av->value,
							     *v) == 0)) {
					g_ptr_array_remove_index(b->avs, i);
					found = 1;
					break;
				}
			}
			if (!found) {
				*error_r = g_strdup_printf("entry %s has no "
				    "such %s value", b->dn, m->attr);
				return -2;
			}
		}
		return 0;
	}
	if (m->op == DIR_MOD_DELETE || m->op == DIR_MOD_REPLACE) {
		for (i = 0; i < b->avs->len;) {
			struct admin_av *av = g_ptr_array_index(b->avs, i);

			if (g_ascii_strcasecmp(av->name, m->attr) == 0) {
				if (pos == b->avs->len || pos > i)
					pos = i;
				g_ptr_array_remove_index(b->avs, i);
			} else {
				i++;
			}
		}
		if (pos > b->avs->len)
			pos = b->avs->len;
		if (m->op == DIR_MOD_DELETE)
			return 0;
	} else {
		/* add after the last value of the same attribute */
		for (i = 0; i < b->avs->len; i++) {
			struct admin_av *av = g_ptr_array_index(b->avs, i);

			if (g_ascii_strcasecmp(av->name, m->attr) == 0)
				pos = i + 1;
		}
	}
	for (v = m->values; v != NULL && *v != NULL; v++) {
		struct admin_av *av;

		if (m->op == DIR_MOD_ADD
		    && admin_block_has(b, m->attr, *v, exact))
			continue;
		if (strlen(*v) > DIR_VALUE_MAX) {
			*error_r = g_strdup_printf("value of %s longer than "
			    "%d bytes", m->attr, DIR_VALUE_MAX);
			return -2;
		}
		av = g_new0(struct admin_av, 1);
		av->name = g_strdup(m->attr);
		av->value = g_strdup(*v);
		av->len = strlen(*v);
		g_ptr_array_insert(b->avs, (gint)pos, av);
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

/* admin_block_render - B's text from its values */
static void
admin_block_render(struct admin_block *b)
{
	GString *out;
	guint	i;

	out = g_string_new(b->version ? "version: 1\n" : NULL);
	admin_put(out, "dn", b->dn, strlen(b->dn));
	for (i = 0; i < b->avs->len; i++) {
		const struct admin_av *av = g_ptr_array_index(b->avs, i);

		admin_put(out, av->name, av->value, av->len);
	}
	g_free(b->text);
	b->text = g_string_free(out, FALSE);
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

/* admin_ldif_replace - write BLOCKS next to the file and rename over it */
static int
admin_ldif_replace(struct dir_admin *a, int oldfd, GPtrArray *blocks,
		   char **error_r)
{
	struct stat st;
	GString *out;
	char   *tmp, *dirname;
	guint	i;
	int	fd, dfd, saved;

	if (fstat(oldfd, &st) < 0) {
		*error_r = g_strdup_printf("LDIF file %s: %s", a->path,
					   g_strerror(errno));
		return -1;
	}
	out = g_string_new(NULL);
	for (i = 0; i < blocks->len; i++) {
		const struct admin_block *b = g_ptr_array_index(blocks, i);

		g_string_append(out, b->text);
		if (out->len > 0 && out->str[out->len - 1] != '\n')
			g_string_append_c(out, '\n');
		g_string_append(out, b->trail);
	}
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
	/* keep owner and mode: deputy-lda reads it as its own user */
	if (fchown(fd, st.st_uid, st.st_gid) < 0 && errno != EPERM)
		goto fail;
	if (fchmod(fd, st.st_mode & 07777) < 0
	    || admin_write_all(fd, out->str, out->len) < 0
	    || fsync(fd) < 0)
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
static int
admin_ldif_modify(struct dir_admin *a, const char *dn,
		  const struct dir_mod *mods, size_t count, char **error_r)
{
	GPtrArray *blocks;
	struct admin_block *b;
	size_t	i;
	int	fd, ret;

	if (admin_ldif_load(a, 1, &fd, &blocks, error_r) < 0)
		return -1;
	b = admin_block_by_dn(blocks, dn);
	if (b == NULL) {
		*error_r = g_strdup_printf("no entry %s in %s", dn, a->path);
		ret = -2;
		goto out;
	}
	for (i = 0, ret = 0; i < count && ret == 0; i++)
		ret = admin_block_apply(b, &mods[i], error_r);
	if (ret == 0) {
		admin_block_render(b);
		ret = admin_ldif_replace(a, fd, blocks, error_r);
	}
out:
	g_ptr_array_free(blocks, TRUE);
	close(fd);			/* drops the lock */
	return ret;
}

/* ------------------------------------------------------------- LDAP */

/* admin_ldap_fail - "LDAP URI: WHAT: error"; -1 or -2 by the error */
static int
admin_ldap_fail(struct dir_admin *a, const char *what, int rc,
		char **error_r)
{
	char   *diag = NULL;

	if (a->ld != NULL)
		(void)ldap_get_option(a->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE,
				      &diag);
	if (diag != NULL && *diag != '\0')
		*error_r = g_strdup_printf("LDAP %s: %s: %s (%s)",
		    a->uri != NULL ? a->uri : "", what, ldap_err2string(rc),
		    diag);
	else
		*error_r = g_strdup_printf("LDAP %s: %s: %s",
		    a->uri != NULL ? a->uri : "", what, ldap_err2string(rc));
	if (diag != NULL)
		ldap_memfree(diag);
	switch (rc) {
	case LDAP_SERVER_DOWN:
	case LDAP_CONNECT_ERROR:
	case LDAP_TIMEOUT:
	case LDAP_TIMELIMIT_EXCEEDED:
	case LDAP_BUSY:
	case LDAP_UNAVAILABLE:
	case LDAP_LOCAL_ERROR:
	case LDAP_NO_MEMORY:
	case LDAP_OTHER:
		return -1;
	default:
		return -2;
	}
}

/* admin_read_password - the bind password from PATH, checked like dir-ldap */
static int
admin_read_password(const char *path, char **password_r, char **error_r)
{
	struct stat st;
	char	buf[ADMIN_PASSWORD_MAX + 1];
	ssize_t	n;
	size_t	got = 0;
	int	fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		*error_r = g_strdup_printf("password file %s: %s", path,
					   g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return -2;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()
	    || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		*error_r = g_strdup_printf("password file %s: must be a "
		    "regular file of uid %lu with mode 0600 or stricter",
		    path, (unsigned long)geteuid());
		close(fd);
		return -2;
	}
	while (got < sizeof(buf)) {
		n = read(fd, buf + got, sizeof(buf) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got > 0 && buf[got - 1] == '\n')
		got--;
	if (got > 0 && buf[got - 1] == '\r')
		got--;
	if (got == 0 || got > ADMIN_PASSWORD_MAX
	    || memchr(buf, '\0', got) != NULL || memchr(buf, '\n', got)) {
		explicit_bzero(buf, sizeof(buf));
		*error_r = g_strdup_printf("password file %s: empty, too "
		    "long, or more than one line", path);
		return -2;
	}
	*password_r = g_strndup(buf, got);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* admin_ldap_connect_one - a bound handle to URI in a->ld */
static int
admin_ldap_connect_one(struct dir_admin *a, const char *uri, char **error_r)
{
	struct timeval net_tv, op_tv;
	struct berval cred;
	int	version = LDAP_VERSION3, require = LDAP_OPT_X_TLS_DEMAND;
	int	is_server = 0, rc;
	char   *password = NULL;

	a->uri = uri;
	if ((rc = ldap_initialize(&a->ld, uri)) != LDAP_SUCCESS) {
		a->ld = NULL;
		return admin_ldap_fail(a, "bad URI", rc, error_r);
	}
	net_tv.tv_sec = (time_t)a->network_timeout;
	net_tv.tv_usec = 0;
	op_tv.tv_sec = (time_t)a->timeout;
	op_tv.tv_usec = 0;
	(void)ldap_set_option(a->ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	(void)ldap_set_option(a->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	(void)ldap_set_option(a->ld, LDAP_OPT_NETWORK_TIMEOUT, &net_tv);
	(void)ldap_set_option(a->ld, LDAP_OPT_TIMEOUT, &op_tv);
	(void)ldap_set_option(a->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &require);
	if (a->ca_file != NULL)
		(void)ldap_set_option(a->ld, LDAP_OPT_X_TLS_CACERTFILE,
				      a->ca_file);
	(void)ldap_set_option(a->ld, LDAP_OPT_X_TLS_NEWCTX, &is_server);
	if (a->starttls && g_ascii_strncasecmp(uri, "ldap://", 7) == 0)
		rc = ldap_start_tls_s(a->ld, NULL, NULL);
	else
		rc = ldap_connect(a->ld);
	if (rc != LDAP_SUCCESS) {
		admin_ldap_fail(a, "cannot connect", rc, error_r);
		return -1;
	}
	if (a->sasl_external) {
		cred.bv_val = (char *)"";
		cred.bv_len = 0;
		rc = ldap_sasl_bind_s(a->ld, NULL, "EXTERNAL", &cred, NULL,
				      NULL, NULL);
	} else if (a->bind_dn != NULL) {
		if (a->password != NULL)
			password = g_strdup(a->password);
		else if ((rc = admin_read_password(a->password_file,
						   &password, error_r)) < 0)
			return rc;
		cred.bv_val = password;
		cred.bv_len = strlen(password);
		rc = ldap_sasl_bind_s(a->ld, a->bind_dn, LDAP_SASL_SIMPLE,
				      &cred, NULL, NULL, NULL);
		explicit_bzero(password, cred.bv_len);
		g_free(password);
	} else {
		rc = LDAP_SUCCESS;
	}
	if (rc != LDAP_SUCCESS) {
		char   *what = g_strdup_printf("bind as %s failed",
		    a->sasl_external ? "SASL EXTERNAL" : a->bind_dn);
		int	ret = admin_ldap_fail(a, what, rc, error_r);

		g_free(what);
		return ret;
	}
	return 0;
}

/* admin_ldap_disconnect - drop the handle */
static void
admin_ldap_disconnect(struct dir_admin *a)
{
	if (a->ld != NULL)
		ldap_unbind_ext_s(a->ld, NULL, NULL);
	a->ld = NULL;
}

/* admin_ldap_connect - connect and bind, to the first URI that answers */
static int
admin_ldap_connect(struct dir_admin *a, char **error_r)
{
	char  **uri;
	int	rc = -1;

	if (a->ld != NULL)
		return 0;
	for (uri = a->uris; *uri != NULL; uri++) {
		g_free(*error_r);
		*error_r = NULL;
		rc = admin_ldap_connect_one(a, *uri, error_r);
		if (rc == 0)
			return 0;
		admin_ldap_disconnect(a);
		if (rc == -2)
			return -2;	/* refused: another URI will too */
	}
	return rc;
}

/* admin_ldap_search - DNs under base matching FILTER */
static int
admin_ldap_search(struct dir_admin *a, const char *filter, GPtrArray *dns,
		  char **error_r)
{
	char   *attrs[] = { (char *)LDAP_NO_ATTRS, NULL };
	LDAPMessage *res = NULL, *msg;
	struct timeval tv;
	int	rc, err = LDAP_SUCCESS;
	char   *what;

	if ((rc = admin_ldap_connect(a, error_r)) < 0)
		return rc;
	tv.tv_sec = (time_t)a->timeout;
	tv.tv_usec = 0;
	rc = ldap_search_ext_s(a->ld, a->base, LDAP_SCOPE_SUBTREE, filter,
			       attrs, 0, NULL, NULL, &tv, LDAP_NO_LIMIT, &res);
	for (msg = res != NULL ? ldap_first_message(a->ld, res) : NULL;
	     msg != NULL; msg = ldap_next_message(a->ld, msg))
		if (ldap_msgtype(msg) == LDAP_RES_SEARCH_RESULT)
			(void)ldap_parse_result(a->ld, msg, &err, NULL, NULL,
						NULL, NULL, 0);
	if (rc != LDAP_SUCCESS || err != LDAP_SUCCESS) {
		what = g_strdup_printf("search %s", filter);
		rc = admin_ldap_fail(a, what, rc != LDAP_SUCCESS ? rc : err,
				     error_r);
		g_free(what);
		if (res != NULL)
			ldap_msgfree(res);
		return rc == -2 ? -1 : rc;	/* a read that fails: -1 */
	}
	for (msg = ldap_first_entry(a->ld, res); msg != NULL;
	     msg = ldap_next_entry(a->ld, msg)) {
		char   *dn = ldap_get_dn(a->ld, msg);

		if (dn != NULL) {
			g_ptr_array_add(dns, g_strdup(dn));
			ldap_memfree(dn);
		}
	}
	ldap_msgfree(res);
	return 0;
}

/* ---------------------------------------------------------------- API */

/* dir_admin_open - a writable view of the directory of SET */
int
dir_admin_open(const struct dir_settings *set, struct dir_admin **admin_r,
	       char **error_r)
{
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
		if (set->uris == NULL || set->uris[0] == NULL
		    || set->base == NULL || *set->base == '\0') {
			*error_r = g_strdup("directory backend ldap: uri and "
					    "base are needed");
			g_free(a);
			return -2;
		}
		a->is_ldap = 1;
		a->uris = g_strdupv((char **)set->uris);
		a->base = g_strdup(set->base);
		if (set->bind_dn != NULL && *set->bind_dn != '\0')
			a->bind_dn = g_strdup(set->bind_dn);
		a->password_file = g_strdup(set->bind_password_file);
		if (set->bind_password != NULL && *set->bind_password != '\0')
			a->password = g_strdup(set->bind_password);
		a->sasl_external = set->sasl_mech != NULL
		    && g_ascii_strcasecmp(set->sasl_mech, "EXTERNAL") == 0;
		a->starttls = set->tls == NULL
		    || g_ascii_strcasecmp(set->tls, "starttls") == 0;
		if (set->ca_file != NULL && *set->ca_file != '\0')
			a->ca_file = g_strdup(set->ca_file);
		a->network_timeout = set->network_timeout > 0
		    ? set->network_timeout : 5;
		a->timeout = set->timeout > 0 ? set->timeout : 10;
		if (a->bind_dn != NULL && a->password_file == NULL
		    && a->password == NULL) {
			*error_r = g_strdup("a bind DN needs a password file");
			dir_admin_close(&a);
			return -2;
		}
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
	return admin->is_ldap ? admin_ldap_connect(admin, error_r) : 0;
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
		dir_ldap_filter_escape(value, strlen(value), filter);
		g_string_append_c(filter, ')');
		rc = admin_ldap_search(admin, filter->str, dns, error_r);
		g_string_free(filter, TRUE);
	} else {
		GPtrArray *blocks;
		int	fd;
		guint	i;

		rc = admin_ldif_load(admin, 0, &fd, &blocks, error_r);
		for (i = 0; rc == 0 && i < blocks->len; i++) {
			struct admin_block *b = g_ptr_array_index(blocks, i);

			if (b->dn != NULL && admin_block_has(b, attr, value, 0))
				g_ptr_array_add(dns, g_strdup(b->dn));
		}
		if (rc == 0)
			g_ptr_array_free(blocks, TRUE);
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
	static const char *const attrs[] = {
		"deputyAbsence", "deputyDelegate", "deputyNotice",
		"deputyTemplate",
	};
	GPtrArray *dns;
	int	rc;

	*dns_r = NULL;
	*error_r = NULL;
	dns = g_ptr_array_new_with_free_func(g_free);
	if (admin->is_ldap) {
		rc = admin_ldap_search(admin, "(|(objectClass=deputyUser)"
		    "(deputyAbsence=*)(deputyDelegate=*))", dns, error_r);
	} else {
		GPtrArray *blocks;
		int	fd;
		guint	i;
		size_t	k;

		rc = admin_ldif_load(admin, 0, &fd, &blocks, error_r);
		for (i = 0; rc == 0 && i < blocks->len; i++) {
			struct admin_block *b = g_ptr_array_index(blocks, i);
			int	has = 0;

			if (b->dn == NULL)
				continue;
			has = admin_block_has(b, "objectClass", "deputyUser",
					      0);
			for (k = 0; k < G_N_ELEMENTS(attrs); k++)
				has |= admin_block_has(b, attrs[k], NULL, 0);
			if (has)
				g_ptr_array_add(dns, g_strdup(b->dn));
		}
		if (rc == 0)
			g_ptr_array_free(blocks, TRUE);
	}
	if (rc < 0) {
		g_ptr_array_free(dns, TRUE);
		return -1;
	}
	g_ptr_array_set_free_func(dns, NULL);
	g_ptr_array_add(dns, NULL);
	*dns_r = (char **)g_ptr_array_free(dns, FALSE);
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

/* dir_admin_search - DNs of people whose uid, cn, displayName or mail
   contains TEXT (any case); at most MAX, *more_r when there were more */
int
dir_admin_search(struct dir_admin *admin, const char *text, unsigned int max,
		 char ***dns_r, int *more_r, char **error_r)
{
	static const char *const names[] = { "uid", "cn", "displayName",
	    "mail" };
	GPtrArray *dns;
	size_t	k;
	int	rc = 0;

	*dns_r = NULL;
	*more_r = 0;
	*error_r = NULL;
	if (max == 0 || strlen(text) > 256) {
		*error_r = g_strdup("search text longer than 256 bytes");
		return -2;
	}
	dns = g_ptr_array_new_with_free_func(g_free);
	if (admin->is_ldap) {
		char   *attrs[] = { (char *)LDAP_NO_ATTRS, NULL };
		LDAPMessage *res = NULL, *msg;
		GString *filter = g_string_new("(&(mail=*)(|");
		struct timeval tv;
		int	err = LDAP_SUCCESS;

		for (k = 0; k < G_N_ELEMENTS(names); k++) {
			g_string_append_printf(filter, "(%s=*", names[k]);
			dir_ldap_filter_escape(text, strlen(text), filter);
			g_string_append(filter, *text != '\0' ? "*)" : ")");
		}
		g_string_append(filter, "))");
		if ((rc = admin_ldap_connect(admin, error_r)) < 0) {
			g_string_free(filter, TRUE);
			g_ptr_array_free(dns, TRUE);
			return rc;
		}
		tv.tv_sec = (time_t)admin->timeout;
		tv.tv_usec = 0;
		rc = ldap_search_ext_s(admin->ld, admin->base,
		    LDAP_SCOPE_SUBTREE, filter->str, attrs, 0, NULL, NULL,
		    &tv, (int)max + 1, &res);
		for (msg = res != NULL ? ldap_first_message(admin->ld, res)
		     : NULL; msg != NULL;
		     msg = ldap_next_message(admin->ld, msg))
			if (ldap_msgtype(msg) == LDAP_RES_SEARCH_RESULT)
				(void)ldap_parse_result(admin->ld, msg, &err,
				    NULL, NULL, NULL, NULL, 0);
		if (rc == LDAP_SIZELIMIT_EXCEEDED
		    || err == LDAP_SIZELIMIT_EXCEEDED) {
			*more_r = 1;
			rc = err = LDAP_SUCCESS;
		}
		if (rc != LDAP_SUCCESS || err != LDAP_SUCCESS) {
			rc = admin_ldap_fail(admin, "search", rc !=
			    LDAP_SUCCESS ? rc : err, error_r);
			if (res != NULL)
				ldap_msgfree(res);
			g_string_free(filter, TRUE);
			g_ptr_array_free(dns, TRUE);
			return rc == -2 ? -1 : rc;
		}
		for (msg = ldap_first_entry(admin->ld, res); msg != NULL;
		     msg = ldap_next_entry(admin->ld, msg)) {
			char   *dn = ldap_get_dn(admin->ld, msg);

			if (dn != NULL && dns->len < max)
				g_ptr_array_add(dns, g_strdup(dn));
			else if (dn != NULL)
				*more_r = 1;
			ldap_memfree(dn);
		}
		ldap_msgfree(res);
		g_string_free(filter, TRUE);
	} else {
		GPtrArray *blocks;
		char   *fold;
		int	fd;
		guint	i, j;

		if (admin_ldif_load(admin, 0, &fd, &blocks, error_r) < 0) {
			g_ptr_array_free(dns, TRUE);
			return -1;
		}
		fold = g_utf8_casefold(text, -1);
		for (i = 0; i < blocks->len; i++) {
			struct admin_block *b = g_ptr_array_index(blocks, i);
			int	hit = 0;

			if (b->dn == NULL || !admin_block_has(b, "mail", NULL,
							      0))
				continue;
			for (j = 0; j < b->avs->len && !hit; j++) {
				const struct admin_av *av =
				    g_ptr_array_index(b->avs, j);

				for (k = 0; k < G_N_ELEMENTS(names); k++)
					if (g_ascii_strcasecmp(av->name,
					    names[k]) == 0
					    && admin_text_has(av->value, fold))
						hit = 1;
			}
			if (!hit)
				continue;
			if (dns->len >= max) {
				*more_r = 1;
				break;
			}
			g_ptr_array_add(dns, g_strdup(b->dn));
		}
		g_free(fold);
		g_ptr_array_free(blocks, TRUE);
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
	if (admin->is_ldap) {
		struct berval bv;
		int	rc;

		if ((rc = admin_ldap_connect(admin, error_r)) < 0)
			return rc;
		bv.bv_val = (char *)value;
		bv.bv_len = strlen(value);
		rc = ldap_compare_ext_s(admin->ld, dn, attr, &bv, NULL, NULL);
		if (rc == LDAP_COMPARE_TRUE)
			return 1;
		if (rc == LDAP_COMPARE_FALSE || rc == LDAP_NO_SUCH_ATTRIBUTE
		    || rc == LDAP_UNDEFINED_TYPE)
			return 0;
		return admin_ldap_fail(admin, "compare", rc, error_r);
	} else {
		GPtrArray *blocks;
		struct admin_block *b;
		int	fd, rc;

		if (admin_ldif_load(admin, 0, &fd, &blocks, error_r) < 0)
			return -1;
		b = admin_block_by_dn(blocks, dn);
		rc = b != NULL && admin_block_has(b, attr, value,
						  admin_exact_attr(attr));
		g_ptr_array_free(blocks, TRUE);
		return rc;
	}
}

/* dir_admin_modify - apply MODS to DN, all or nothing */
int
dir_admin_modify(struct dir_admin *admin, const char *dn,
		 const struct dir_mod *mods, size_t count, char **error_r)
{
	LDAPMod *lmods, **lptrs;
	GPtrArray *keep;
	size_t	i, n;
	int	rc;

	*error_r = NULL;
	if (!admin->is_ldap)
		return admin_ldif_modify(admin, dn, mods, count, error_r);
	if ((rc = admin_ldap_connect(admin, error_r)) < 0)
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
				rc = dir_admin_has_value(admin, dn,
				    mods[i].attr, *v, error_r);
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
		rc = ldap_modify_ext_s(admin->ld, dn, lptrs, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			char   *what = g_strdup_printf("modify %s", dn);

			rc = admin_ldap_fail(admin, what, rc, error_r);
			g_free(what);
		}
	}
out:
	g_ptr_array_free(keep, TRUE);
	g_free(lmods);
	g_free(lptrs);
	return rc;
}

/* dir_admin_close - release; sets *admin to NULL */
void
dir_admin_close(struct dir_admin **admin)
{
	struct dir_admin *a;

	if (admin == NULL || *admin == NULL)
		return;
	a = *admin;
	admin_ldap_disconnect(a);
	g_free(a->path);
	g_strfreev(a->uris);
	g_free(a->base);
	g_free(a->bind_dn);
	g_free(a->password_file);
	if (a->password != NULL)
		explicit_bzero(a->password, strlen(a->password));
	g_free(a->password);
	g_free(a->ca_file);
	g_free(a);
	*admin = NULL;
}
