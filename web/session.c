/*
 * NAME
 *	session - deputy-web's sessions, CSRF tokens and login limits
 * SUMMARY
 *	A session is created by a successful login and named by 256 random
 *	bits (getrandom(2)) in a cookie that is HttpOnly, SameSite=Strict
 *	and, unless web.secure_cookies is off, Secure with the __Host-
 *	prefix. It ends at logout, after web.session_idle seconds without
 *	a request, web.session_lifetime seconds after the login, or when
 *	web.max_sessions would be exceeded (the oldest goes). Each has its
 *	own CSRF token, which every POST must send back in a header.
 *
 *	Failed logins are counted per login name and per client address
 *	in a window of web.login_window seconds; past web.login_failures or
 *	web.login_source_failures, logins are refused until the window
 *	ends, whatever the password.
 * DIAGNOSTICS
 *	None: a random source that fails is fatal (abort), since a guessable
 *	session id is worse than no page.
 * SECURITY
 *	An LDAP session keeps the person's password, to bind again after
 *	the directory dropped the connection; it is wiped when the session
 *	ends. The failure table is bounded: when it is full, every login
 *	is refused until entries expire (fail closed).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/random.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "web.h"

#define WEB_FAILURES_MAX	20000	/* entries in the failure table */

/* Failed logins of one name or one address in the current window. */
struct web_fail {
	time_t	start;
	unsigned int count;
};

/* web_random_hex - BYTES random bytes from the kernel, as hex */
char *
web_random_hex(size_t bytes)
{
	unsigned char buf[64];
	GString *out;
	size_t	got = 0, i;

	g_assert(bytes <= sizeof(buf));
	while (got < bytes) {
		ssize_t	n = getrandom(buf + got, bytes - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("getrandom failed: %s", g_strerror(errno));
			abort();
		}
		got += (size_t)n;
	}
	out = g_string_sized_new(bytes * 2);
	for (i = 0; i < bytes; i++)
		g_string_append_printf(out, "%02x", buf[i]);
	explicit_bzero(buf, sizeof(buf));
	return g_string_free(out, FALSE);
}

/* web_same - compare two secrets in time that does not depend on them */
int
web_same(const char *a, const char *b)
{
	size_t	la, lb, i;
	unsigned char diff;

	if (a == NULL || b == NULL)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	diff = la != lb;
	for (i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

/* web_session_free - release one session (the table's destroy function) */
static void
web_session_free(gpointer data)
{
	struct web_session *s = data;

	if (s->password != NULL) {
		explicit_bzero(s->password, strlen(s->password));
		g_free(s->password);
	}
	dir_admin_close(&s->admin);
	dir_close(&s->dir);
	g_free(s->id);
	g_free(s->csrf);
	g_free(s->user);
	g_free(s->dn);
	g_free(s);
}

/* web_sessions_init - the empty tables */
void
web_sessions_init(struct web *w)
{
	w->sessions = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					    web_session_free);
	w->failures = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    g_free);
}

/* web_sessions_free - end every session */
void
web_sessions_free(struct web *w)
{
	if (w->sessions != NULL)
		g_hash_table_destroy(w->sessions);
	if (w->failures != NULL)
		g_hash_table_destroy(w->failures);
	w->sessions = NULL;
	w->failures = NULL;
}

/* web_session_expired - whether S is over at NOW */
static int
web_session_expired(const struct web *w, const struct web_session *s,
		    time_t now)
{
	return now - s->created >= (time_t)w->conf->web_session_lifetime
	    || now - s->used >= (time_t)w->conf->web_session_idle;
}

/* web_session_sweep - drop expired sessions */
static void
web_session_sweep(struct web *w, time_t now)
{
	GHashTableIter it;
	gpointer key, value;

	g_hash_table_iter_init(&it, w->sessions);
	while (g_hash_table_iter_next(&it, &key, &value))
		if (web_session_expired(w, value, now))
			g_hash_table_iter_remove(&it);
}

/* web_session_find - the live session named by COOKIE, or NULL */
struct web_session *
web_session_find(struct web *w, const char *cookie, time_t now)
{
	struct web_session *s;

	if (cookie == NULL || strlen(cookie) != WEB_TOKEN_BYTES * 2)
		return NULL;
	s = g_hash_table_lookup(w->sessions, cookie);
	if (s == NULL)
		return NULL;
	if (web_session_expired(w, s, now)) {
		g_hash_table_remove(w->sessions, s->id);
		return NULL;
	}
	s->used = now;
	return s;
}

/* web_session_new - a session for USER (and DN, PASSWORD on LDAP) */
struct web_session *
web_session_new(struct web *w, const char *user, const char *dn,
		const char *password, time_t now)
{
	struct web_session *s;

	web_session_sweep(w, now);
	while (g_hash_table_size(w->sessions) >= w->conf->web_max_sessions) {
		GHashTableIter it;
		gpointer key, value;
		struct web_session *oldest = NULL;

		g_hash_table_iter_init(&it, w->sessions);
		while (g_hash_table_iter_next(&it, &key, &value)) {
			struct web_session *o = value;

			if (oldest == NULL || o->created < oldest->created)
				oldest = o;
		}
		log_info("session of user=%s ended: web.max_sessions reached",
		    oldest->user);
		g_hash_table_remove(w->sessions, oldest->id);
	}
	s = g_new0(struct web_session, 1);
	s->id = web_random_hex(WEB_TOKEN_BYTES);
	s->csrf = web_random_hex(WEB_TOKEN_BYTES);
	s->user = g_strdup(user);
	s->dn = g_strdup(dn);
	s->password = g_strdup(password);
	s->created = s->used = now;
	g_hash_table_insert(w->sessions, s->id, s);
	return s;
}

/* web_session_end - log S out */
void
web_session_end(struct web *w, struct web_session *s)
{
	g_hash_table_remove(w->sessions, s->id);
}

/* web_cookie_name - "__Host-deputy" with Secure, else "deputy_session" */
const char *
web_cookie_name(const struct web *w)
{
	return w->conf->web_secure_cookies ? "__Host-deputy"
	    : "deputy_session";
}

/* web_session_cookie - the Set-Cookie value for S (CLEAR: remove it) */
char *
web_session_cookie(const struct web *w, const struct web_session *s,
		   int clear)
{
	return g_strdup_printf("%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s",
	    web_cookie_name(w), clear ? "" : s->id,
	    clear ? "; Max-Age=0" : "",
	    w->conf->web_secure_cookies ? "; Secure" : "");
}

/* web_csrf_ok - whether TOKEN is S's CSRF token */
int
web_csrf_ok(const struct web_session *s, const char *token)
{
	return s != NULL && token != NULL && web_same(s->csrf, token);
}

/* web_fail_key - "u:name" (ASCII lowercase) or "s:address" */
static char *
web_fail_key(char kind, const char *what)
{
	char   *lower = g_ascii_strdown(what, -1);
	char   *key = g_strdup_printf("%c:%s", kind, lower);

	g_free(lower);
	return key;
}

/* web_fail_count - failures of KEY in the current window */
static unsigned int
web_fail_count(struct web *w, const char *key, time_t now, time_t *start_r)
{
	struct web_fail *f = g_hash_table_lookup(w->failures, key);

	if (f == NULL || now - f->start >= (time_t)w->conf->web_login_window)
		return 0;
	*start_r = f->start;
	return f->count;
}

/* web_limited - whether a login of USER from CLIENT must be refused now */
int
web_limited(struct web *w, const char *user, const char *client, time_t now,
	    unsigned int *retry_r)
{
	char   *ku = web_fail_key('u', user), *ks = web_fail_key('s', client);
	time_t	su = now, ss = now;
	unsigned int nu, ns;
	int	limited = 0;

	nu = web_fail_count(w, ku, now, &su);
	ns = web_fail_count(w, ks, now, &ss);
	*retry_r = 0;
	if (nu >= w->conf->web_login_failures) {
		limited = 1;
		*retry_r = (unsigned int)(su + w->conf->web_login_window - now);
	}
	if (ns >= w->conf->web_source_failures) {
		unsigned int r = (unsigned int)(ss + w->conf->web_login_window
		    - now);

		limited = 1;
		if (r > *retry_r)
			*retry_r = r;
	}
	if (!limited && g_hash_table_size(w->failures) >= WEB_FAILURES_MAX) {
		limited = 1;		/* full: fail closed */
		*retry_r = w->conf->web_login_window;
	}
	if (*retry_r == 0 && limited)
		*retry_r = 1;
	g_free(ku);
	g_free(ks);
	return limited;
}

/* web_fail_sweep - drop entries whose window is over */
static void
web_fail_sweep(struct web *w, time_t now)
{
	GHashTableIter it;
	gpointer key, value;

	g_hash_table_iter_init(&it, w->failures);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		const struct web_fail *f = value;

		if (now - f->start >= (time_t)w->conf->web_login_window)
			g_hash_table_iter_remove(&it);
	}
}

/* web_fail_add - count one failure of KEY */
static void
web_fail_add(struct web *w, char *key, time_t now)
{
	struct web_fail *f = g_hash_table_lookup(w->failures, key);

	if (f != NULL && now - f->start < (time_t)w->conf->web_login_window) {
		f->count++;
		g_free(key);
		return;
	}
	if (g_hash_table_size(w->failures) >= WEB_FAILURES_MAX / 2)
		web_fail_sweep(w, now);
	if (f == NULL && g_hash_table_size(w->failures) >= WEB_FAILURES_MAX) {
		g_free(key);
		return;
	}
	f = g_new0(struct web_fail, 1);
	f->start = now;
	f->count = 1;
	g_hash_table_replace(w->failures, key, f);
}

/* web_limit_fail - count a failed login of USER from CLIENT */
void
web_limit_fail(struct web *w, const char *user, const char *client,
	       time_t now)
{
	web_fail_add(w, web_fail_key('u', user), now);
	web_fail_add(w, web_fail_key('s', client), now);
}

/* web_limit_clear - a login of USER succeeded: forget its failures */
void
web_limit_clear(struct web *w, const char *user)
{
	char   *ku = web_fail_key('u', user);

	g_hash_table_remove(w->failures, ku);
	g_free(ku);
}
