/*
 * NAME
 *	login - is this the helpdesk person they say they are
 * SUMMARY
 *	LDAP backend: the login name becomes a DN, by web.login_dn (one %s,
 *	the name escaped as RFC 4514 says) or by a search for
 *	web.login_attribute=NAME with the directory section's identity;
 *	then a simple bind as that DN with the password decides. slapd
 *	checks the password; deputy-web never sees a hash.
 *
 *	LDIF backend: web.users_file holds "name:hash" lines, the hash
 *	made by crypt(3) (libcrypt: yescrypt, SHA-512 crypt, ...), read at
 *	every login so that an edit takes effect at once. A name that is
 *	not in the file is checked against a hash of a random password, so
 *	that the time taken does not tell which names exist.
 * DIAGNOSTICS
 *	web_login_check() returns 1 (the password is right; *dn_r is the
 *	DN on LDAP), 0 (wrong name or password; *error_r may say more for
 *	the log, never for the page), or -1 when the directory or the
 *	users file failed (*error_r says why).
 * SECURITY
 *	An empty password is refused before it gets here: an LDAP simple
 *	bind with an empty password is an anonymous bind (RFC 4513 5.1.2)
 *	and would succeed. The users file must belong to the user
 *	deputy-web runs as and let nobody else read it. Hashes are
 *	compared in constant time.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "web.h"

#define WEB_USERS_MAX	(1024 * 1024)	/* bytes of web.users_file */

/* web_hash_password - a crypt(3) hash of PASSWORD: yescrypt, else SHA-512 */
char *
web_hash_password(const char *password, char **error_r)
{
	static const char *const prefixes[] = { "$y$", "$6$" };
	char	salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *data;
	char   *out = NULL;
	size_t	i;

	data = g_new0(struct crypt_data, 1);
	for (i = 0; i < G_N_ELEMENTS(prefixes) && out == NULL; i++) {
		const char *h;

		if (crypt_gensalt_rn(prefixes[i], 0, NULL, 0, salt,
				     (int)sizeof(salt)) == NULL)
			continue;
		h = crypt_rn(password, salt, data, (int)sizeof(*data));
		if (h != NULL && h[0] != '*')
			out = g_strdup(h);
	}
	explicit_bzero(data, sizeof(*data));
	g_free(data);
	if (out == NULL)
		*error_r = g_strdup_printf("libcrypt makes neither a yescrypt "
		    "nor a SHA-512 hash: %s", g_strerror(errno));
	return out;
}

/* web_hash_check - whether PASSWORD matches crypt(3) HASH */
static int
web_hash_check(const char *password, const char *hash)
{
	struct crypt_data *data = g_new0(struct crypt_data, 1);
	const char *h;
	int	ok;

	h = crypt_rn(password, hash, data, (int)sizeof(*data));
	ok = h != NULL && h[0] != '*' && web_same(h, hash);
	explicit_bzero(data, sizeof(*data));
	g_free(data);
	return ok;
}

/* web_users_open - the users file, checked on its descriptor */
static int
web_users_open(const char *path, char **text_r, char **error_r)
{
	struct stat st;
	GString *buf;
	char	chunk[4096];
	ssize_t	n;
	int	fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		*error_r = g_strdup_printf("%s: %s", path, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()
	    || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		*error_r = g_strdup_printf("%s: must be a regular file of uid "
		    "%lu with mode 0600 or stricter", path,
		    (unsigned long)geteuid());
		close(fd);
		return -1;
	}
	buf = g_string_new(NULL);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || buf->len + (size_t)n > WEB_USERS_MAX) {
			*error_r = g_strdup_printf("%s: %s", path, n < 0
			    ? g_strerror(errno) : "larger than 1 MB");
			close(fd);
			g_string_free(buf, TRUE);
			return -1;
		}
		g_string_append_len(buf, chunk, n);
	}
	close(fd);
	*text_r = g_string_free(buf, FALSE);
	return 0;
}

/* web_users_file_ok - the users file can be read (or is not set) */
int
web_users_file_ok(const struct web *w, char **error_r)
{
	char   *text = NULL;

	if (w->conf->web_users_file == NULL)
		return 1;
	if (web_users_open(w->conf->web_users_file, &text, error_r) < 0)
		return 0;
	g_free(text);
	return 1;
}

/* web_login_ldif - USER's hash in the users file, checked */
static int
web_login_ldif(struct web *w, const char *user, const char *password,
	       char **error_r)
{
	char   *text = NULL, **lines, **l, *hash = NULL;
	int	ok;

	if (w->conf->web_users_file == NULL) {
		*error_r = g_strdup("web.users_file is not set: nobody can "
				    "log in");
		return 0;
	}
	if (web_users_open(w->conf->web_users_file, &text, error_r) < 0)
		return -1;
	lines = g_strsplit(text, "\n", -1);
	for (l = lines; *l != NULL && hash == NULL; l++) {
		char   *colon = strchr(*l, ':');

		g_strchomp(*l);
		if (**l == '#' || colon == NULL)
			continue;
		*colon = '\0';
		if (strcmp(*l, user) == 0)
			hash = g_strdup(colon + 1);
	}
	g_strfreev(lines);
	explicit_bzero(text, strlen(text));
	g_free(text);
	if (w->dummy_hash == NULL) {
		char   *r = web_random_hex(16), *err = NULL;

		w->dummy_hash = web_hash_password(r, &err);
		g_free(r);
		g_free(err);
	}
	ok = web_hash_check(password, hash != NULL ? hash : w->dummy_hash
	    != NULL ? w->dummy_hash : "*");
	if (hash == NULL) {
		*error_r = g_strdup("no such user in web.users_file");
		ok = 0;
	}
	g_free(hash);
	return ok;
}

/* web_dn_escape - VALUE as an RFC 4514 attribute value */
static char *
web_dn_escape(const char *value)
{
	GString *out = g_string_new(NULL);
	const unsigned char *p;

	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if (g_ascii_isalnum(*p) || *p == '-' || *p == '.' || *p == '_'
		    || *p == '@' || *p >= 0x80)
			g_string_append_c(out, (char)*p);
		else
			g_string_append_printf(out, "\\%02x", *p);
	}
	return g_string_free(out, FALSE);
}

/* web_login_dn - the DN of login name USER: 1, 0 (none), -1 */
static int
web_login_dn(struct web *w, const char *user, char **dn_r, char **error_r)
{
	struct dir_settings set;
	struct dir_admin *admin = NULL;
	int	rc;

	if (w->conf->web_login_dn != NULL) {
		char   *esc = web_dn_escape(user);
		const char *at = strstr(w->conf->web_login_dn, "%s");

		*dn_r = g_strdup_printf("%.*s%s%s",
		    (int)(at - w->conf->web_login_dn), w->conf->web_login_dn,
		    esc, at + 2);
		g_free(esc);
		return 1;
	}
	conf_dir_settings(w->conf, &set);
	if ((rc = dir_admin_open(&set, &admin, error_r)) < 0)
		return -1;
	rc = dir_admin_find(admin, w->conf->web_login_attribute, user, dn_r,
			    error_r);
	dir_admin_close(&admin);
	return rc;
}

/* web_login_bind - bind as DN with PASSWORD: 1 right, 0 wrong, -1 failed */
static int
web_login_bind(struct web *w, const char *dn, const char *password,
	       char **error_r)
{
	struct dir_settings set;
	struct dir_admin *admin = NULL;
	int	rc;

	conf_dir_settings(w->conf, &set);
	set.bind_dn = dn;
	set.bind_password = password;
	set.bind_password_file = NULL;
	set.sasl_mech = NULL;
	if (dir_admin_open(&set, &admin, error_r) < 0)
		return -1;
	rc = dir_admin_connect(admin, error_r);
	dir_admin_close(&admin);
	return rc == 0 ? 1 : rc == -2 ? 0 : -1;
}

/* web_login_check - whether USER's PASSWORD is right */
int
web_login_check(struct web *w, const char *user, const char *password,
		char **dn_r, char **error_r)
{
	int	rc;

	*dn_r = NULL;
	*error_r = NULL;
	if (*password == '\0')
		return 0;
	if (!w->ldap)
		return web_login_ldif(w, user, password, error_r);
	rc = web_login_dn(w, user, dn_r, error_r);
	if (rc == 0) {
		/* Nobody by that name: bind all the same, as a DN that
		 * cannot exist, so that the answer takes as long as a wrong
		 * password's and does not tell which names exist. */
		char   *r = web_random_hex(16), *err = NULL;
		char   *dn = g_strdup_printf("uid=deputy-web-%s,%s", r,
		    w->conf->ldap_base);

		(void)web_login_bind(w, dn, password, &err);
		g_free(err);
		g_free(dn);
		g_free(r);
		if (*error_r == NULL)
			*error_r = g_strdup_printf("no entry has %s=%s",
			    w->conf->web_login_attribute, user);
		return 0;
	}
	if (rc < 0)
		return rc;
	rc = web_login_bind(w, *dn_r, password, error_r);
	if (rc != 1) {
		g_free(*dn_r);
		*dn_r = NULL;
	}
	return rc;
}
