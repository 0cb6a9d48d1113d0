/*
 * NAME
 *	http - deputy-web's HTTP side: libmicrohttpd, routes, headers
 * SUMMARY
 *	One libmicrohttpd daemon with one internal thread, on the socket
 *	main.c opened. A request body is collected up to WEB_BODY_MAX and
 *	parsed as JSON (POST must say Content-Type: application/json);
 *	then the route table picks the handler. Routes other than the
 *	page's files and the login need a session (its cookie); every POST
 *	but the login needs the session's CSRF token in X-CSRF-Token.
 *	Every answer carries the security headers: a Content-Security-
 *	Policy with no inline script or style, nosniff, no framing, no
 *	referrer, and no caching of the API.
 * DIAGNOSTICS
 *	Bad requests get a JSON error (web.h); a body over the limit is
 *	413 and is not read further.
 * SECURITY
 *	The page's files are four fixed names read from web.static_dir:
 *	no path from the request reaches the file system.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <microhttpd.h>

#include "log.h"
#include "web.h"

#define WEB_CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
	"img-src 'self' data:; connect-src 'self'; form-action 'self'; " \
	"frame-ancestors 'none'; base-uri 'none'"
#define WEB_STATIC_MAX	(1024 * 1024)

/* What one connection's request collects between calls. */
struct web_conn {
	GString *body;
	int	too_big;
};

/* The handler of one route. */
struct web_route {
	const char *method;
	const char *path;
	void	(*run)(struct web_req *r);
	int	session;		/* needs a session */
};

static void web_api_login(struct web_req *r);
static void web_api_logout(struct web_req *r);
static void web_api_session(struct web_req *r);

static const struct web_route web_routes[] = {
	{ "POST", "/api/login", web_api_login, 0 },
	{ "POST", "/api/logout", web_api_logout, 1 },
	{ "GET", "/api/session", web_api_session, 1 },
	{ "GET", "/api/search", web_api_search, 1 },
	{ "GET", "/api/person", web_api_person, 1 },
	{ "GET", "/api/notice", web_api_notice, 1 },
	{ "GET", "/api/list", web_api_list, 1 },
	{ "GET", "/api/calendar", web_api_calendar, 1 },
	{ "GET", "/api/check", web_api_check, 1 },
	{ "GET", "/api/stats", web_api_stats, 1 },
	{ "POST", "/api/person", web_api_save, 1 },
	{ "POST", "/api/absence/remove", web_api_remove, 1 },
	{ "POST", "/api/explain", web_api_explain, 1 },
};

static const struct {
	const char *path;
	const char *file;
	const char *type;
} web_files[] = {
	{ "/", "index.html", "text/html; charset=utf-8" },
	{ "/index.html", "index.html", "text/html; charset=utf-8" },
	{ "/draw.js", "draw.js", "text/javascript; charset=utf-8" },
	{ "/app.js", "app.js", "text/javascript; charset=utf-8" },
	{ "/style.css", "style.css", "text/css; charset=utf-8" },
};

static struct MHD_Daemon *web_daemon;

/* web_arg - a query argument of the request, or NULL */
const char *
web_arg(struct web_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
					   name);
}

/* web_headers - the headers every answer carries */
static void
web_headers(struct MHD_Response *resp, int api)
{
	MHD_add_response_header(resp, "Content-Security-Policy", WEB_CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy",
				"same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy",
				"same-origin");
	MHD_add_response_header(resp, "Cache-Control", api ? "no-store"
				: "no-cache");
}

/* web_send - queue BODY with STATUS and TYPE */
static enum MHD_Result
web_send(struct MHD_Connection *conn, unsigned int status, const char *type,
	 const char *body, size_t len, const struct web_req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, (void *)body,
					       MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", type);
	web_headers(resp, r != NULL);
	if (r != NULL && r->set_cookie != NULL)
		MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
	if (r != NULL && r->retry_after != NULL)
		MHD_add_response_header(resp, "Retry-After", r->retry_after);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* web_static - one of the page's files */
static enum MHD_Result
web_static(struct web *w, struct MHD_Connection *conn, const char *url)
{
	char   *path, *text = NULL;
	gsize	len = 0;
	size_t	i;
	enum MHD_Result ret;

	for (i = 0; i < G_N_ELEMENTS(web_files); i++)
		if (strcmp(url, web_files[i].path) == 0)
			break;
	if (i == G_N_ELEMENTS(web_files))
		return web_send(conn, MHD_HTTP_NOT_FOUND,
		    "text/plain; charset=utf-8", "not found\n", 10, NULL);
	path = g_build_filename(w->conf->web_static_dir, web_files[i].file,
				NULL);
	if (!g_file_get_contents(path, &text, &len, NULL)
	    || len > WEB_STATIC_MAX) {
		log_warn("cannot read %s (web.static_dir)", path);
		g_free(path);
		g_free(text);
		return web_send(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "text/plain; charset=utf-8", "the page's files are "
		    "missing (web.static_dir)\n", 44, NULL);
	}
	g_free(path);
	ret = web_send(conn, MHD_HTTP_OK, web_files[i].type, text, len, NULL);
	g_free(text);
	return ret;
}

/* web_client - the peer's address as text */
static void
web_client(struct MHD_Connection *conn, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	g_strlcpy(buf, "unknown", size);
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  buf, (socklen_t)size);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
			  (socklen_t)size);
}

/* web_parse_body - the JSON object of a POST, or an error answer */
static int
web_parse_body(struct web_req *r, const GString *body)
{
	const char *type;
	JsonParser *p;
	GError *ge = NULL;

	type = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
					   "Content-Type");
	if (type == NULL || g_ascii_strncasecmp(type, "application/json",
						16) != 0) {
		web_error(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, NULL,
		    "send JSON (Content-Type: application/json)");
		return -1;
	}
	if (body == NULL || body->len == 0 || !g_utf8_validate(body->str,
	    (gssize)body->len, NULL)) {
		web_error(r, MHD_HTTP_BAD_REQUEST, NULL, "the body is not "
		    "UTF-8 JSON");
		return -1;
	}
	/* json-glib cuts a string at an escaped NUL: refuse it whole */
	if (g_strstr_len(body->str, (gssize)body->len, "\\u0000") != NULL) {
		web_error(r, MHD_HTTP_BAD_REQUEST, NULL, "the body has a NUL "
		    "character (\\u0000) in it");
		return -1;
	}
	p = json_parser_new();
	if (!json_parser_load_from_data(p, body->str, (gssize)body->len,
					&ge)
	    || json_parser_get_root(p) == NULL
	    || !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
		web_error(r, MHD_HTTP_BAD_REQUEST, NULL, "the body is not a "
		    "JSON object%s%s", ge != NULL ? ": " : "",
		    ge != NULL ? ge->message : "");
		if (ge != NULL)
			g_error_free(ge);
		g_object_unref(p);
		return -1;
	}
	r->body = json_node_copy(json_parser_get_root(p));
	g_object_unref(p);
	return 0;
}

/* web_dispatch - session, CSRF, then the route's handler */
static void
web_dispatch(struct web_req *r, const struct web_route *rt,
	     const GString *body)
{
	const char *cookie, *token;

	cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND,
					     web_cookie_name(r->web));
	if (cookie != NULL)
		r->session = web_session_find(r->web, cookie, r->now);
	if (rt->session && r->session == NULL) {
		web_error(r, MHD_HTTP_UNAUTHORIZED, NULL, "not logged in, or "
		    "the session has ended: log in again");
		return;
	}
	if (strcmp(r->method, "POST") == 0) {
		if (web_parse_body(r, body) < 0)
			return;
		token = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						    "X-CSRF-Token");
		if (rt->session && !web_csrf_ok(r->session, token)) {
			log_warn("user=%s client=%s %s: refused, no valid "
			    "CSRF token", r->session->user, r->client,
			    r->path);
			web_error(r, MHD_HTTP_FORBIDDEN, NULL, "the request "
			    "has no valid CSRF token: reload the page");
			return;
		}
	}
	rt->run(r);
}

/* web_handle - libmicrohttpd's access handler */
static enum MHD_Result
web_handle(void *cls, struct MHD_Connection *conn, const char *url,
	   const char *method, const char *version, const char *upload,
	   size_t *upload_size, void **con_cls)
{
	struct web *w = cls;
	struct web_conn *wc = *con_cls;
	struct web_req r;
	char	client[64];
	size_t	i;
	enum MHD_Result ret;
	int	found = 0;

	(void)version;
	if (wc == NULL) {
		wc = g_new0(struct web_conn, 1);
		*con_cls = wc;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!wc->too_big) {
			if (wc->body == NULL)
				wc->body = g_string_new(NULL);
			if (wc->body->len + *upload_size > WEB_BODY_MAX)
				wc->too_big = 1;
			else
				g_string_append_len(wc->body, upload,
						    (gssize)*upload_size);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if ((strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
	    && strncmp(url, "/api/", 5) != 0)
		return web_static(w, conn, url);

	memset(&r, 0, sizeof(r));
	r.web = w;
	r.method = method;
	r.path = url;
	r.conn = conn;
	r.now = time(NULL);
	web_client(conn, client, sizeof(client));
	r.client = client;
	if (wc->too_big) {
		web_error(&r, MHD_HTTP_CONTENT_TOO_LARGE, NULL, "the request "
		    "is larger than %d bytes", WEB_BODY_MAX);
	} else {
		for (i = 0; i < G_N_ELEMENTS(web_routes); i++) {
			if (strcmp(url, web_routes[i].path) != 0)
				continue;
			found = 1;
			if (strcmp(method, web_routes[i].method) == 0)
				break;
		}
		if (i < G_N_ELEMENTS(web_routes))
			web_dispatch(&r, &web_routes[i], wc->body);
		else if (found)
			web_error(&r, MHD_HTTP_METHOD_NOT_ALLOWED, NULL,
			    "%s is not allowed here", method);
		else
			web_error(&r, MHD_HTTP_NOT_FOUND, NULL, "no such API");
	}
	if (r.content == NULL)
		web_error(&r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
		    "no answer");
	ret = web_send(conn, r.status, "application/json; charset=utf-8",
		       r.content, strlen(r.content), &r);
	g_free(r.content);
	g_free(r.set_cookie);
	g_free(r.retry_after);
	if (r.body != NULL)
		json_node_unref(r.body);
	return ret;
}

/* web_completed - release what a request collected */
static void
web_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	      enum MHD_RequestTerminationCode toe)
{
	struct web_conn *wc = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (wc == NULL)
		return;
	if (wc->body != NULL)
		g_string_free(wc->body, TRUE);
	g_free(wc);
	*con_cls = NULL;
}

/* web_mhd_log - libmicrohttpd's own messages, to our log */
static void
web_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char   *msg = g_strdup_vprintf(fmt, ap);

	(void)cls;
	g_strchomp(msg);
	log_warn("http: %s", msg);
	g_free(msg);
}

/* web_http_start - serve on LISTEN_FD with one internal thread */
int
web_http_start(struct web *w, int listen_fd, char **error_r)
{
	web_daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD
	    | MHD_USE_POLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, web_handle, w,
	    MHD_OPTION_EXTERNAL_LOGGER, web_mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, listen_fd,
	    MHD_OPTION_NOTIFY_COMPLETED, web_completed, NULL,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)256,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)64,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)60,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
	    MHD_OPTION_END);
	if (web_daemon == NULL) {
		*error_r = g_strdup("libmicrohttpd did not start");
		return -1;
	}
	return 0;
}

/* web_http_stop - stop serving; requests in progress finish first */
void
web_http_stop(void)
{
	if (web_daemon != NULL)
		MHD_stop_daemon(web_daemon);
	web_daemon = NULL;
}

/* web_api_session - who is logged in, and the CSRF token */
static void
web_api_session(struct web_req *r)
{
	JsonBuilder *b = json_builder_new();

	json_builder_begin_object(b);
	web_json_str(b, "user", r->session->user);
	web_json_str(b, "dn", r->session->dn);
	web_json_str(b, "csrf", r->session->csrf);
	web_json_str(b, "backend", r->web->ldap ? "ldap" : "ldif");
	web_json_str(b, "zone", r->web->conf->template_timezone);
	json_builder_end_object(b);
	web_reply(r, MHD_HTTP_OK, b);
}

/* web_api_login - a login: rate limits, then the check, then a session */
static void
web_api_login(struct web_req *r)
{
	const char *user, *password;
	struct web_session *s;
	JsonBuilder *b;
	unsigned int retry;
	char   *dn = NULL, *error = NULL;
	int	rc;

	if (web_field(r, "user", 256, &user) < 0
	    || web_field(r, "password", 1024, &password) < 0)
		return;
	if (*user == '\0' || *password == '\0') {
		web_error(r, MHD_HTTP_BAD_REQUEST, *user == '\0' ? "user"
		    : "password", "enter your user name and password");
		return;
	}
	if (web_limited(r->web, user, r->client, r->now, &retry)) {
		log_warn("login user=%s client=%s: refused, too many failed "
		    "logins", user, r->client);
		r->retry_after = g_strdup_printf("%u", retry);
		web_error(r, MHD_HTTP_TOO_MANY_REQUESTS, NULL, "too many "
		    "failed logins: try again in %u seconds", retry);
		return;
	}
	rc = web_login_check(r->web, user, password, &dn, &error);
	if (rc < 0) {
		log_warn("login user=%s client=%s: %s", user, r->client,
		    error);
		web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "the "
		    "directory cannot check the login now: %s", error);
		g_free(error);
		return;
	}
	if (rc == 0) {
		web_limit_fail(r->web, user, r->client, r->now);
		log_warn("login user=%s client=%s: refused (%s)", user,
		    r->client, error != NULL ? error : "wrong password");
		g_free(error);
		web_error(r, MHD_HTTP_UNAUTHORIZED, "password", "wrong user "
		    "name or password");
		return;
	}
	web_limit_clear(r->web, user);
	if (r->session != NULL)
		web_session_end(r->web, r->session);
	s = web_session_new(r->web, user, dn, r->web->ldap ? password : NULL,
			    r->now);
	g_free(dn);
	r->session = s;
	r->set_cookie = web_session_cookie(r->web, s, 0);
	log_info("login user=%s%s%s client=%s", user, s->dn != NULL
	    ? " dn=" : "", s->dn != NULL ? s->dn : "", r->client);
	b = json_builder_new();
	json_builder_begin_object(b);
	web_json_str(b, "user", s->user);
	web_json_str(b, "dn", s->dn);
	web_json_str(b, "csrf", s->csrf);
	web_json_str(b, "backend", r->web->ldap ? "ldap" : "ldif");
	web_json_str(b, "zone", r->web->conf->template_timezone);
	json_builder_end_object(b);
	web_reply(r, MHD_HTTP_OK, b);
}

/* web_api_logout - end the session, clear the cookie */
static void
web_api_logout(struct web_req *r)
{
	JsonBuilder *b = json_builder_new();

	log_info("logout user=%s client=%s", r->session->user, r->client);
	r->set_cookie = web_session_cookie(r->web, r->session, 1);
	web_session_end(r->web, r->session);
	r->session = NULL;
	json_builder_begin_object(b);
	web_json_bool(b, "ok", 1);
	json_builder_end_object(b);
	web_reply(r, MHD_HTTP_OK, b);
}
