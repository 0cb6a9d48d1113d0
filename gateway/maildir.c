/*
 * NAME
 *	maildir - durable delivery into a Maildir
 * SUMMARY
 *	The classic protocol (tmp/, then new/), with fsync of the file and
 *	of new/ so that exit 0 means "on disk".
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <glib.h>

#include "maildir.h"
#include "spool.h"

#define MAILDIR_BUF (64 * 1024)

/*
 * maildir_part - PART made one safe path component: '/', '%', control
 * bytes and a leading '.' are written %XX, an empty part "%00" (no
 * byte decodes to it). Injective, so two recipients never share a
 * Maildir by accident; the plain addresses of real users are unchanged.
 */
static char *
maildir_part(const char *part)
{
	GString *out = g_string_sized_new(strlen(part) + 8);

	if (*part == '\0')
		g_string_append(out, "%00");
	for (const char *p = part; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '/' || c == '%' || c < 0x20 || c == 0x7f ||
		    (c == '.' && p == part))
			g_string_append_printf(out, "%%%02X", c);
		else
			g_string_append_c(out, (char)c);
	}
	return g_string_free(out, FALSE);
}

/* maildir_path - expand TEMPLATE (%u address, %l local part, %d domain) */
int
maildir_path(const char *tmpl, const char *address, char **path_r,
	     char **error_r)
{
	const char *at = strrchr(address, '@');
	char *raw = at ? g_strndup(address, (gsize)(at - address)) :
	    g_strdup(address);
	char *local = maildir_part(raw);
	char *domain = at ? maildir_part(at + 1) : g_strdup("");
	char *whole = maildir_part(address);
	GString *out;
	int ok = 1;

	g_free(raw);
	out = g_string_new(NULL);
	for (const char *p = tmpl; *p != '\0'; p++) {
		if (*p != '%') {
			g_string_append_c(out, *p);
			continue;
		}
		switch (*++p) {
		case 'u': g_string_append(out, whole); break;
		case 'l': g_string_append(out, local); break;
		case 'd': g_string_append(out, domain); break;
		case '%': g_string_append_c(out, '%'); break;
		default:
			ok = 0;
			break;
		}
		if (!ok || *p == '\0')
			break;
	}
	g_free(local);
	g_free(domain);
	g_free(whole);
	if (!ok) {
		*error_r = g_strdup_printf("maildir template \"%s\": unknown "
		    "%% sequence", tmpl);
		g_string_free(out, TRUE);
		return -1;
	}
	*path_r = g_string_free(out, FALSE);
	return 0;
}

/* maildir_mkdirs - create DIR and its parents, mode 0700 */
static int
maildir_mkdirs(const char *dir, char **error_r)
{
	if (g_mkdir_with_parents(dir, 0700) != 0) {
		*error_r = g_strdup_printf("mkdir %s: %s", dir,
		    g_strerror(errno));
		return -1;
	}
	return 0;
}

/* maildir_fsync_dir - make a directory entry durable */
static int
maildir_fsync_dir(const char *dir, char **error_r)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) != 0) {
		*error_r = g_strdup_printf("fsync %s: %s", dir,
		    g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* maildir_copy - copy all of IN (from offset 0) to OUT */
static int
maildir_copy(int in, int out, char **error_r)
{
	char *buf = g_malloc(MAILDIR_BUF);
	off_t off = 0;

	for (;;) {
		ssize_t n = pread(in, buf, MAILDIR_BUF, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*error_r = g_strdup_printf("read spool: %s",
			    g_strerror(errno));
			break;
		}
		if (n == 0) {
			g_free(buf);
			return 0;
		}
		if (io_write_all(out, buf, (size_t)n) != 0) {
			*error_r = g_strdup_printf("write: %s",
			    g_strerror(errno));
			break;
		}
		off += n;
	}
	g_free(buf);
	return -1;
}

/*
 * maildir_unique - a Maildir file name unique to this delivery; with
 * KEY, the same name on every attempt of the same delivery
 */
static char *
maildir_unique(const char *hostname, const char *key)
{
	static unsigned int seq;
	struct timeval tv;
	char *host = g_strdup(hostname);
	char *name;

	for (char *p = host; *p != '\0'; p++)
		if (*p == '/' || *p == ':' || (unsigned char)*p < 0x21)
			*p = '_';
	if (key != NULL) {
		name = g_strdup_printf("D%.40s.%s", key, host);
	} else {
		gettimeofday(&tv, NULL);
		name = g_strdup_printf("%lld.M%06ldP%uQ%uR%08x.%s",
		    (long long)tv.tv_sec, (long)tv.tv_usec,
		    (unsigned int)getpid(), ++seq, g_random_int(), host);
	}
	g_free(host);
	return name;
}

/*
 * maildir_seen_in_cur - whether an IMAP server already moved our file
 * NAME from new/ to cur/ (Dovecot adds ":2," and the flags; a retry
 * comes minutes later, when the message is at most opened or read)
 */
static int
maildir_seen_in_cur(const char *curdir, const char *name)
{
	static const char *const flags[] = { "", ":2,", ":2,S", NULL };

	for (const char *const *f = flags; *f != NULL; f++) {
		char *path = g_strdup_printf("%s/%s%s", curdir, name, *f);
		int seen = access(path, F_OK) == 0;

		g_free(path);
		if (seen)
			return 1;
	}
	return 0;
}

/* maildir_deliver - copy the message at FD into the Maildir DIR */
int
maildir_deliver(const char *dir, int fd, const char *hostname,
		const char *key, char **file_r, char **error_r)
{
	char *tmpdir = g_build_filename(dir, "tmp", NULL);
	char *newdir = g_build_filename(dir, "new", NULL);
	char *curdir = g_build_filename(dir, "cur", NULL);
	char *name = maildir_unique(hostname, key);
	char *tmp = g_build_filename(tmpdir, name, NULL);
	char *final = g_build_filename(newdir, name, NULL);
	int out = -1, rc = -1;

	if (maildir_mkdirs(tmpdir, error_r) != 0 ||
	    maildir_mkdirs(newdir, error_r) != 0 ||
	    maildir_mkdirs(curdir, error_r) != 0)
		goto done;
	if (key != NULL) {
		(void)unlink(tmp);	/* a crashed attempt's leftover */
		if (access(final, F_OK) == 0 ||
		    maildir_seen_in_cur(curdir, name))
			goto already;	/* an earlier attempt got this far */
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (out < 0) {
		*error_r = g_strdup_printf("create %s: %s", tmp,
		    g_strerror(errno));
		goto done;
	}
	if (maildir_copy(fd, out, error_r) != 0)
		goto unlink_tmp;
	if (fsync(out) != 0 || close(out) != 0) {
		*error_r = g_strdup_printf("fsync %s: %s", tmp,
		    g_strerror(errno));
		out = -1;
		goto unlink_tmp;
	}
	out = -1;
	if (link(tmp, final) != 0) {
		if (key != NULL && errno == EEXIST) {
			(void)unlink(tmp);
			goto already;
		}
		*error_r = g_strdup_printf("link %s: %s", final,
		    g_strerror(errno));
		goto unlink_tmp;
	}
	(void)unlink(tmp);
	if (maildir_fsync_dir(newdir, error_r) != 0) {
		/* Not known to be durable: take it back, the MTA retries. */
		(void)unlink(final);
		goto done;
	}
	*file_r = final;
	final = NULL;
	rc = 0;
	goto done;
already:
	/* The earlier attempt may have died before its fsync of new/. */
	if (maildir_fsync_dir(newdir, error_r) != 0)
		goto done;
	*file_r = final;
	final = NULL;
	rc = 1;
	goto done;
unlink_tmp:
	if (out >= 0)
		close(out);
	(void)unlink(tmp);
done:
	g_free(tmpdir);
	g_free(newdir);
	g_free(curdir);
	g_free(name);
	g_free(tmp);
	g_free(final);
	return rc;
}

/* maildir_mutf7 - append NAME (UTF-8) in IMAP modified UTF-7 to OUT */
static int
maildir_mutf7(GString *out, const char *name, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char ch = (unsigned char)name[i];
		size_t j;

		if (ch >= 0x20 && ch < 0x7f) {
			g_string_append_c(out, (char)ch);
			if (ch == '&')
				g_string_append_c(out, '-');
			i++;
			continue;
		}
		/* A run of non-ASCII: UTF-16BE, base64 with ',' for '/'. */
		for (j = i; j < len && ((unsigned char)name[j] < 0x20 ||
		    (unsigned char)name[j] >= 0x7f); j++)
			;
		{
			gsize n = 0;
			char *u16 = g_convert(name + i, (gssize)(j - i),
			    "UTF-16BE", "UTF-8", NULL, &n, NULL);
			char *b64;

			if (u16 == NULL)
				return -1;
			b64 = g_base64_encode((const guchar *)u16, n);
			g_free(u16);
			g_string_append_c(out, '&');
			for (char *p = b64; *p != '\0' && *p != '='; p++)
				g_string_append_c(out, *p == '/' ? ',' : *p);
			g_string_append_c(out, '-');
			g_free(b64);
		}
		i = j;
	}
	return 0;
}

/* maildir_folder - the Maildir++ folder of ROOT named FOLDER */
int
maildir_folder(const char *root, const char *folder, char **path_r,
	       char **error_r)
{
	GString *name;
	const char *p = folder;

	*path_r = NULL;
	if (g_ascii_strcasecmp(folder, "INBOX") == 0) {
		*path_r = g_strdup(root);
		return 0;
	}
	if (*folder == '\0' || strlen(folder) > 255 ||
	    !g_utf8_validate(folder, -1, NULL))
		goto bad;
	/* "INBOX.x" and "INBOX/x" name x, as in Dovecot's namespace */
	if (g_ascii_strncasecmp(folder, "INBOX", 5) == 0 &&
	    (folder[5] == '.' || folder[5] == '/'))
		p = folder + 6;
	name = g_string_new(NULL);
	while (*p != '\0') {
		size_t n = strcspn(p, "./");

		for (size_t k = 0; k < n; k++)
			if ((unsigned char)p[k] < 0x20 || p[k] == 0x7f ||
			    p[k] == '~') {
				g_string_free(name, TRUE);
				goto bad;
			}
		if (n == 0 || maildir_mutf7(g_string_append_c(name, '.'), p,
		    n) != 0) {
			g_string_free(name, TRUE);
			goto bad;
		}
		p += n;
		if (*p != '\0' && *++p == '\0') {
			g_string_free(name, TRUE);
			goto bad;	/* a trailing separator */
		}
	}
	*path_r = g_strdup_printf("%s/%s", root, name->str);
	g_string_free(name, TRUE);
	return 0;
bad:
	*error_r = g_strdup("not a usable folder name");
	return -1;
}
