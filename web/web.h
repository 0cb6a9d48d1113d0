#ifndef DEPUTY_WEB_H
#define DEPUTY_WEB_H

/*
 * NAME
 *	web - deputy-web, the helpdesk page: what its files share
 * SUMMARY
 *	main.c reads the configuration, opens the listening socket and
 *	starts libmicrohttpd with one internal thread: every request is
 *	handled in turn by http.c, which routes it to the API (api-*.c)
 *	or serves one of the page's three files. session.c keeps the
 *	sessions, their CSRF tokens and the login rate limits; login.c
 *	checks a login (an LDAP bind as the person, or the users file of
 *	the LDIF backend); stats.c reads deputyd's counters or the log.
 *
 *	Every directory read and write of a request goes through the
 *	session's identity: on LDAP a connection bound as the person who
 *	logged in (so slapd's ACLs and modifiersName apply), on LDIF the
 *	file as the user deputy-web runs as. The absence writer, the chain
 *	walk and the check rules are deputyctl's (directory/absence-edit,
 *	dir-chain, dir-check); explain runs the engine in explain mode.
 * DIAGNOSTICS
 *	Handlers answer JSON: {"error": "...", "field": "..."} with 400
 *	(bad input, naming the field), 401 (no session), 403 (CSRF, or the
 *	directory refused), 404, 409 (the entry changed since it was
 *	read), 429 (too many logins), 503 (the directory did not answer).
 *	deputy-web logs to syslog (or log.file): logins, refusals, writes.
 * SECURITY
 *	Listens on loopback by default; TLS is a reverse proxy's. Session
 *	ids and CSRF tokens are 256 random bits from getrandom(2); cookies
 *	are HttpOnly, SameSite=Strict and Secure (configurable for tests).
 *	Every response carries a Content-Security-Policy without inline
 *	script; the page writes every value with textContent. Request
 *	bodies are bounded (WEB_BODY_MAX), as are fields and lists.
 */

#include <sys/stat.h>

#include <stddef.h>
#include <time.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "conf.h"
#include "dir-write.h"
#include "directory.h"

#define WEB_BODY_MAX		(1024 * 1024)	/* bytes of a request body */
#define WEB_FIELD_MAX		1024		/* bytes of most fields */
#define WEB_DELEGATES_MAX	20		/* delegates in one request */
#define WEB_TOKEN_BYTES		32		/* session id, CSRF token */

struct engine;

/* One logged-in helpdesk person. */
struct web_session {
	char   *id;			/* hex, the cookie's value */
	char   *csrf;			/* hex, sent back in X-CSRF-Token */
	char   *user;			/* the login name */
	char   *dn;			/* LDAP: the bound DN; LDIF: NULL */
	char   *password;		/* LDAP: to bind again; wiped */
	time_t	created;
	time_t	used;
	struct dir *dir;		/* LDAP: bound as the person */
	struct dir_admin *admin;	/* LDAP: bound as the person */
};

/* The server: configuration and what lives across requests. */
struct web {
	const char *config_path;
	struct deputy_conf *conf;
	int	ldap;			/* directory.backend is "ldap" */
	GHashTable *sessions;		/* id -> struct web_session * */
	GHashTable *failures;		/* "u:name" / "s:addr" -> counts */
	char   *dummy_hash;		/* for logins of unknown names */
	struct dir *ldif_dir;		/* LDIF: the file, re-read on change */
	struct dir_admin *ldif_admin;
	struct stat ldif_st;		/* the file when it was read */
	struct engine *engine;		/* explain, opened on first use */
	void   *stats;			/* stats.c's history */
};

/* What a handler gets: the request, and where the answer goes. */
struct web_req {
	struct web *web;
	const char *method;
	const char *path;		/* without the query */
	const char *client;		/* the peer's address, text */
	void   *conn;			/* struct MHD_Connection */
	JsonNode *body;			/* POST: the parsed JSON, or NULL */
	struct web_session *session;	/* NULL before login */
	time_t	now;

	/* the answer */
	unsigned int status;
	char   *content;		/* JSON text */
	char   *set_cookie;		/* a Set-Cookie value, or NULL */
	char   *retry_after;		/* 429: seconds, or NULL */
};

/* http.c */
int web_http_start(struct web *w, int listen_fd, char **error_r);
void web_http_stop(void);
const char *web_arg(struct web_req *r, const char *name);

/* json.c: answers and request fields */
void web_reply(struct web_req *r, unsigned int status, JsonBuilder *b);
void web_error(struct web_req *r, unsigned int status, const char *field,
	       const char *fmt, ...) G_GNUC_PRINTF(4, 5);
void web_json_str(JsonBuilder *b, const char *key, const char *value);
void web_json_int(JsonBuilder *b, const char *key, gint64 value);
void web_json_bool(JsonBuilder *b, const char *key, int value);
void web_json_time(JsonBuilder *b, const char *key, time_t t,
		   const char *zone);
void web_json_strings(JsonBuilder *b, const char *key,
		      const struct dir_strings *list);
int web_field(struct web_req *r, const char *name, size_t max,
	      const char **value_r);
int web_field_list(struct web_req *r, const char *name, GPtrArray **list_r);
int web_field_present(struct web_req *r, const char *name);

/* session.c */
void web_sessions_init(struct web *w);
void web_sessions_free(struct web *w);
struct web_session *web_session_find(struct web *w, const char *cookie,
				     time_t now);
struct web_session *web_session_new(struct web *w, const char *user,
				    const char *dn, const char *password,
				    time_t now);
void web_session_end(struct web *w, struct web_session *s);
char *web_session_cookie(const struct web *w, const struct web_session *s,
			 int clear);
const char *web_cookie_name(const struct web *w);
int web_csrf_ok(const struct web_session *s, const char *token);
int web_limited(struct web *w, const char *user, const char *client,
		time_t now, unsigned int *retry_r);
void web_limit_fail(struct web *w, const char *user, const char *client,
		    time_t now);
void web_limit_clear(struct web *w, const char *user);
char *web_random_hex(size_t bytes);
int web_same(const char *a, const char *b);

/* login.c */
int web_login_check(struct web *w, const char *user, const char *password,
		    char **dn_r, char **error_r);
char *web_hash_password(const char *password, char **error_r);
int web_users_file_ok(const struct web *w, char **error_r);

/* dir.c: the session's view of the directory */
int web_dir(struct web_req *r, struct dir **dir_r, struct dir_admin **admin_r);
void web_dir_failed(struct web_req *r);
void web_dir_changed(struct web_req *r);
int web_user(struct web_req *r, const char *arg, struct dir_entry **entry_r);
char *web_entry_version(const struct dir_entry *e);
const char *web_zone(struct web_req *r, GPtrArray *events);

/* api-read.c */
void web_failed(struct web_req *r, const char *what, char *error);
int web_resolve(struct web_req *r, struct dir *dir, const struct dir_entry *e,
		time_t t, struct dir_strings *addrs, struct dir_strings *warns,
		char **error_r);
void web_api_search(struct web_req *r);
void web_api_person(struct web_req *r);
void web_api_list(struct web_req *r);
void web_api_calendar(struct web_req *r);
void web_api_check(struct web_req *r);

/* api-notice.c */
void web_api_notice(struct web_req *r);

/* api-write.c */
void web_api_save(struct web_req *r);
void web_api_remove(struct web_req *r);

/* api-explain.c */
void web_api_explain(struct web_req *r);

/* stats.c */
void web_api_stats(struct web_req *r);
void web_stats_free(struct web *w);

#endif
