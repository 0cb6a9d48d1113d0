/*
 * NAME
 *	conf-check - the validators libconfuse calls while it parses
 * SUMMARY
 *	One callback per kind of value (a range, a choice, a path, a
 *	host:port, a header name, ...); conf.c's conf_validators table
 *	names the option each one guards. Each reports through
 *	cfg_error(), which conf_errfunc() keeps as the first error,
 *	prefixed with the file and line.
 * DIAGNOSTICS
 *	A validator returns 0 for a good value and -1 with a message
 *	that names the option and the value; the parse then fails and
 *	conf_load() returns that message. See conf.h.
 * SECURITY
 *	The file is the administrator's, but its values end up in paths,
 *	argv, header names and LDAP filters: each is checked here for
 *	its shape (absolute paths, no control characters, no white space
 *	in endpoints), not only for its range.
 */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <confuse.h>
#include <glib.h>

#include "conf-private.h"

struct conf_error *conf_current_error;
cfg_t *conf_current_top;		/* for sections' file and line */

/* conf_errfunc - keep the first libconfuse message, prefixed FILE:LINE */
void
conf_errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	const char *file;
	char *msg;
	int line;

	if (conf_current_error == NULL || conf_current_error->text != NULL)
		return;
	msg = g_strdup_vprintf(fmt, ap);
	/* A section knows its line but not its file: take the file from
	 * the top-level tree being parsed. */
	file = cfg != NULL && cfg->filename != NULL ? cfg->filename :
	    conf_current_top != NULL ? conf_current_top->filename : NULL;
	line = cfg != NULL ? cfg->line : 0;
	if (file != NULL && line > 0)
		conf_current_error->text = g_strdup_printf("%s:%d: %s",
		    file, line, msg);
	else if (file != NULL)
		conf_current_error->text = g_strdup_printf("%s: %s", file, msg);
	else
		conf_current_error->text = g_strdup(msg);
	g_free(msg);
}

/* conf_check_range - validator: integer option within [lo, hi] */
static int
conf_check_range(cfg_t *cfg, cfg_opt_t *opt, long lo, long hi)
{
	long v = cfg_opt_getnint(opt, 0);

	if (v < lo || v > hi) {
		cfg_error(cfg, "%s = %ld is out of range (%ld..%ld)",
		    opt->name, v, lo, hi);
		return -1;
	}
	return 0;
}

/* conf_check_choice - validator: string option is one of CHOICES */
static int
conf_check_choice(cfg_t *cfg, cfg_opt_t *opt, const char *const *choices)
{
	const char *v = cfg_opt_getnstr(opt, 0);
	GString *all;

	for (const char *const *c = choices; *c != NULL; c++)
		if (v != NULL && strcmp(v, *c) == 0)
			return 0;
	all = g_string_new(NULL);
	for (const char *const *c = choices; *c != NULL; c++)
		g_string_append_printf(all, "%s%s", c == choices ? "" : ", ", *c);
	cfg_error(cfg, "%s = \"%s\" is not one of: %s", opt->name,
	    v ? v : "", all->str);
	g_string_free(all, TRUE);
	return -1;
}

/* conf_check_notice - validator for policy.notice */
int
conf_check_notice(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const choices[] = {
		"none", "authenticated", "internal", NULL
	};

	return conf_check_choice(cfg, opt, choices);
}

/* conf_check_reject - validator for sieve.reject */
int
conf_check_reject(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const choices[] = { "keep", "discard", NULL };

	return conf_check_choice(cfg, opt, choices);
}

/* conf_check_script_kb - validator for sieve.max_script_kb */
int
conf_check_script_kb(cfg_t *cfg, cfg_opt_t *opt)
{
	return conf_check_range(cfg, opt, 1, 1024);
}

/* conf_check_actions - validator for sieve.max_actions */
int
conf_check_actions(cfg_t *cfg, cfg_opt_t *opt)
{
	return conf_check_range(cfg, opt, 1, 256);
}

/* conf_check_sieve_period - validator for sieve.m*_period_days */
int
conf_check_sieve_period(cfg_t *cfg, cfg_opt_t *opt)
{
	return conf_check_range(cfg, opt, 1, 365);
}

/* conf_check_backend - validator for directory.backend */
int
conf_check_backend(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const choices[] = { "ldif", "ldap", NULL };

	return conf_check_choice(cfg, opt, choices);
}

/* conf_check_state_backend - validator for state.backend */
int
conf_check_state_backend(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const choices[] = { "lmdb", "redis", NULL };

	return conf_check_choice(cfg, opt, choices);
}

/* conf_check_endpoints - validator: a list of "host:port" */
int
conf_check_endpoints(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned int n = cfg_opt_size(opt);

	for (unsigned int i = 0; i < n; i++) {
		const char *v = cfg_opt_getnstr(opt, i), *colon;

		colon = v != NULL ? strrchr(v, ':') : NULL;
		if (colon == NULL || colon == v || colon[1] == '\0' ||
		    strlen(v) > 300 ||
		    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
		    atoi(colon + 1) < 1 || atoi(colon + 1) > 65535 ||
		    strcspn(v, " \t\r\n") != strlen(v)) {
			cfg_error(cfg, "%s: \"%s\" is not \"host:port\"",
			    opt->name, v ? v : "");
			return -1;
		}
	}
	return 0;
}

/* conf_check_redis_name - validator: a Sentinel master name, a prefix */
int
conf_check_redis_name(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (v == NULL || strlen(v) > 64)
		goto bad;
	for (const char *p = v; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			goto bad;
	return 0;
bad:
	cfg_error(cfg, "%s = \"%s\": at most 64 printable characters, no "
	    "space", opt->name, v ? v : "");
	return -1;
}

/* conf_check_state - validator for the state section as a whole */
int
conf_check_state(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *sec = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);

	if (sec != NULL && strcmp(cfg_getstr(sec, "backend"), "redis") == 0 &&
	    cfg_size(sec, "redis_sentinels") == 0 &&
	    cfg_size(sec, "redis_servers") == 0) {
		cfg_error(cfg, "state: backend = \"redis\" needs "
		    "redis_sentinels or redis_servers");
		return -1;
	}
	return 0;
}

/* conf_check_tls - validator for directory.tls */
int
conf_check_tls(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const choices[] = { "starttls", "none", NULL };

	return conf_check_choice(cfg, opt, choices);
}

/* conf_check_sasl - validator for directory.sasl_mech */
int
conf_check_sasl(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const choices[] = { "", "EXTERNAL", NULL };

	return conf_check_choice(cfg, opt, choices);
}

/* conf_check_uri - validator: ldap://, ldaps:// or ldapi:// URIs */
int
conf_check_uri(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned int n = cfg_opt_size(opt);

	for (unsigned int i = 0; i < n; i++) {
		const char *v = cfg_opt_getnstr(opt, i);

		if (v == NULL || !(g_str_has_prefix(v, "ldap://") ||
		    g_str_has_prefix(v, "ldaps://") ||
		    g_str_has_prefix(v, "ldapi://"))) {
			cfg_error(cfg, "uri \"%s\" is not an ldap://, ldaps:// "
			    "or ldapi:// URI", v ? v : "");
			return -1;
		}
	}
	if (n == 0) {
		cfg_error(cfg, "uri: at least one URI is needed");
		return -1;
	}
	return 0;
}

/* conf_check_scanner - validator for spam.scanner */
int
conf_check_scanner(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const choices[] = { "none", "spamd", "rspamd", NULL };

	return conf_check_choice(cfg, opt, choices);
}

/* conf_check_headers_from - validator for spam.headers_from */
int
conf_check_headers_from(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const choices[] = {
		"", "spamassassin", "rspamd", NULL
	};

	return conf_check_choice(cfg, opt, choices);
}

/* conf_check_address - validator: "host:port" for spam.address */
int
conf_check_address(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);
	const char *colon = v != NULL ? strrchr(v, ':') : NULL;
	char *end = NULL;
	long port = colon != NULL ? strtol(colon + 1, &end, 10) : 0;

	if (colon == NULL || colon == v || strlen(v) > 255 ||
	    end == colon + 1 || *end != '\0' || port < 1 || port > 65535)
		goto bad;
	for (const char *p = v; p < colon; p++)
		if ((unsigned char)*p <= 32 || *p == 127 || *p == '/')
			goto bad;
	return 0;
bad:
	cfg_error(cfg, "%s = \"%s\" is not host:port", opt->name, v ? v : "");
	return -1;
}

/* conf_check_template - validator: a template name */
int
conf_check_template(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);
	size_t n = v != NULL ? strlen(v) : 0;

	for (size_t i = 0; i < n; i++)
		if (!(g_ascii_isalnum(v[i]) || v[i] == '-' || v[i] == '_'))
			n = 0;
	if (n == 0 || n > 32) {
		cfg_error(cfg, "%s = \"%s\" is not a template name "
		    "([A-Za-z0-9_-], at most 32)", opt->name, v ? v : "");
		return -1;
	}
	return 0;
}

/* conf_check_timezone - validator: a zone GLib knows */
int
conf_check_timezone(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);
	GTimeZone *tz = v != NULL ? g_time_zone_new_identifier(v) : NULL;

	if (tz == NULL) {
		cfg_error(cfg, "%s = \"%s\" is not a time zone", opt->name,
		    v ? v : "");
		return -1;
	}
	g_time_zone_unref(tz);
	return 0;
}

/* conf_check_facility - validator for log.facility */
int
conf_check_facility(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	for (size_t i = 0; i < conf_n_facilities; i++)
		if (v != NULL && strcasecmp(v, conf_facilities[i].name) == 0)
			return 0;
	cfg_error(cfg, "facility = \"%s\" is not a syslog facility (mail, "
	    "daemon, user, local0..local7)", v ? v : "");
	return -1;
}

/* conf_check_threshold - validator for spam thresholds */
int
conf_check_threshold(cfg_t *cfg, cfg_opt_t *opt)
{
	double v = cfg_opt_getnfloat(opt, 0);

	if (v < -100.0 || v > 1000.0) {
		cfg_error(cfg, "%s = %g is out of range (-100..1000)",
		    opt->name, v);
		return -1;
	}
	return 0;
}

#define RANGE_VALIDATOR(fn, lo, hi) \
	int fn(cfg_t *cfg, cfg_opt_t *opt) \
	{ return conf_check_range(cfg, opt, lo, hi); }

RANGE_VALIDATOR(conf_check_max_delegates, 1, 100)
RANGE_VALIDATOR(conf_check_depth, 0, 10)
RANGE_VALIDATOR(conf_check_period, 1, 60)
RANGE_VALIDATOR(conf_check_deadline, 5, 3600)
RANGE_VALIDATOR(conf_check_received, 2, 500)
RANGE_VALIDATOR(conf_check_timeout, 1, 3600)
RANGE_VALIDATOR(conf_check_map_size, 1, 65536)
RANGE_VALIDATOR(conf_check_redis_db, 0, 1000)
RANGE_VALIDATOR(conf_check_redis_ms, 10, 60000)
RANGE_VALIDATOR(conf_check_redis_replicas, -1, 16)
RANGE_VALIDATOR(conf_check_ldap_timeout, 1, 300)
RANGE_VALIDATOR(conf_check_size_limit, 1, 1000)
RANGE_VALIDATOR(conf_check_rate, 0, 1000000)
RANGE_VALIDATOR(conf_check_boundary, 0, 20)
RANGE_VALIDATOR(conf_check_spam_timeout, 1, 300)
RANGE_VALIDATOR(conf_check_spam_size, 1, 1048576)
RANGE_VALIDATOR(conf_check_workers, 1, 256)
RANGE_VALIDATOR(conf_check_max_size, 1, 4096)
RANGE_VALIDATOR(conf_check_max_recipients, 1, 100000)
RANGE_VALIDATOR(conf_check_web_lifetime, 60, 604800)
RANGE_VALIDATOR(conf_check_web_idle, 60, 604800)
RANGE_VALIDATOR(conf_check_web_sessions, 1, 100000)
RANGE_VALIDATOR(conf_check_web_failures, 1, 1000)
RANGE_VALIDATOR(conf_check_web_window, 10, 86400)

/* conf_check_mode - validator: an octal file mode such as "0660" */
int
conf_check_mode(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (v != NULL && strlen(v) >= 3 && strlen(v) <= 4 &&
	    strspn(v, "01234567") == strlen(v))
		return 0;
	cfg_error(cfg, "%s = \"%s\": an octal mode such as \"0660\"",
	    opt->name, v ? v : "");
	return -1;
}

/* conf_check_path - validator: an absolute path, no control characters */
int
conf_check_path(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (v == NULL)
		return 0;
	if (v[0] != '/') {
		cfg_error(cfg, "%s = \"%s\" must be an absolute path",
		    opt->name, v);
		return -1;
	}
	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20) {
			cfg_error(cfg, "%s holds a control character",
			    opt->name);
			return -1;
		}
	return 0;
}

/* conf_check_path_or_empty - validator: "" or an absolute path */
int
conf_check_path_or_empty(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	return v == NULL || *v == '\0' ? 0 : conf_check_path(cfg, opt);
}

/* conf_check_header - validator: a header field name (RFC 5322 ftext) */
int
conf_check_header(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (v == NULL || *v == '\0' || strlen(v) > 64)
		goto bad;
	for (const char *p = v; *p != '\0'; p++)
		if (*p <= 32 || *p >= 127 || *p == ':')
			goto bad;
	return 0;
bad:
	cfg_error(cfg, "%s = \"%s\" is not a header field name", opt->name,
	    v ? v : "");
	return -1;
}

/*
 * conf_check_delimiter - validator: "" or at most 8 characters that may
 * start a subaddress detail, none of them a letter, digit, '@', '.',
 * white space or control character
 */
int
conf_check_delimiter(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (v == NULL)
		return 0;
	if (strlen(v) > 8)
		goto bad;
	for (const char *p = v; *p != '\0'; p++)
		if (*p <= 32 || *p >= 127 || g_ascii_isalnum(*p) ||
		    *p == '@' || *p == '.')
			goto bad;
	return 0;
bad:
	cfg_error(cfg, "%s = \"%s\": up to 8 delimiter characters such as "
	    "\"+\" or \"+-\"", opt->name, v);
	return -1;
}

/*
 * conf_check_endpoint - validator: "", an absolute path to a Unix
 * socket ("unix:/path" or "/path"), or "host:port" with a numeric port
 */
int
conf_check_endpoint(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0), *colon;

	if (v == NULL || *v == '\0')
		return 0;
	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20)
			goto bad;
	if (g_str_has_prefix(v, "unix:"))
		v += 5;
	if (v[0] == '/') {
		if (strlen(v) < 100)
			return 0;
		goto bad;
	}
	colon = strrchr(v, ':');
	if (colon == NULL || colon == v || colon[1] == '\0' ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    atoi(colon + 1) < 1 || atoi(colon + 1) > 65535)
		goto bad;
	return 0;
bad:
	cfg_error(cfg, "%s = \"%s\": \"host:port\", \"unix:/path\" or "
	    "\"\"", opt->name, cfg_opt_getnstr(opt, 0));
	return -1;
}

/* conf_check_listen - validator: "host:port" with a numeric port */
int
conf_check_listen(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (v == NULL || *v == '\0' || g_str_has_prefix(v, "unix:")
	    || v[0] == '/')
		goto bad;
	return conf_check_endpoint(cfg, opt);
bad:
	cfg_error(cfg, "%s = \"%s\": \"host:port\"", opt->name,
	    v != NULL ? v : "");
	return -1;
}

/* conf_check_metrics - validator: "" or "host:port" (web.metrics) */
int
conf_check_metrics(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	return v == NULL || *v == '\0' ? 0 : conf_check_listen(cfg, opt);
}

/* conf_check_attr - validator: an LDAP attribute name */
int
conf_check_attr(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);
	size_t n = v != NULL ? strlen(v) : 0;

	for (size_t i = 0; i < n; i++)
		if (!(g_ascii_isalnum(v[i]) || (v[i] == '-' && i > 0)))
			n = 0;
	if (n == 0 || n > 64 || !g_ascii_isalpha(v[0])) {
		cfg_error(cfg, "%s = \"%s\" is not an attribute name",
		    opt->name, v != NULL ? v : "");
		return -1;
	}
	return 0;
}

/* conf_check_login_dn - validator: "" or a DN template with one %s */
int
conf_check_login_dn(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0), *p;

	if (v == NULL || *v == '\0')
		return 0;
	p = strstr(v, "%s");
	if (p == NULL || strstr(p + 2, "%") != NULL
	    || strchr(v, '%') != p || strchr(v, '=') == NULL
	    || strlen(v) > 512) {
		cfg_error(cfg, "%s = \"%s\": a DN with one %%s for the "
		    "user name, such as \"uid=%%s,ou=people,dc=example,"
		    "dc=org\"", opt->name, v);
		return -1;
	}
	return 0;
}

/*
 * conf_check_milter_socket - validator: libmilter's socket, "unix:/path"
 * (or "local:/path", "/path") or "inet:PORT@HOST" ("inet6:" too)
 */
int
conf_check_milter_socket(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0), *p, *at;

	if (v == NULL || *v == '\0' || strlen(v) > 200)
		goto bad;
	for (p = v; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			goto bad;
	if (g_str_has_prefix(v, "unix:") || g_str_has_prefix(v, "local:") ||
	    v[0] == '/') {
		p = v[0] == '/' ? v : strchr(v, ':') + 1;
		if (p[0] == '/' && strlen(p) < 100)
			return 0;
		goto bad;
	}
	if (g_str_has_prefix(v, "inet:") || g_str_has_prefix(v, "inet6:")) {
		p = strchr(v, ':') + 1;
		at = strchr(p, '@');
		if (p[0] != '\0' && strspn(p, "0123456789") ==
		    (size_t)((at != NULL ? at : p + strlen(p)) - p) &&
		    atoi(p) >= 1 && atoi(p) <= 65535 &&
		    (at == NULL || at[1] != '\0'))
			return 0;
	}
bad:
	cfg_error(cfg, "%s = \"%s\": \"unix:/path\" or \"inet:PORT@HOST\"",
	    opt->name, v ? v : "");
	return -1;
}

/* conf_milter_date - "YYYY-MM-DD" as 00:00 UTC that day, or 0 */
time_t
conf_milter_date(const char *v)
{
	GDateTime *dt;
	time_t t;
	int y, m, d, n = 0;

	if (v == NULL || strlen(v) != 10 ||
	    sscanf(v, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 ||
	    v[4] != '-' || v[7] != '-' || strspn(v, "0123456789-") != 10 ||
	    y < 1970 || y > 2999 ||
	    !g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
		return 0;
	dt = g_date_time_new_utc(y, m, d, 0, 0, 0);
	if (dt == NULL)
		return 0;
	t = (time_t)g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return t;
}

/* conf_check_milter_since - validator: "" or a date YYYY-MM-DD */
int
conf_check_milter_since(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (v == NULL || *v == '\0' || conf_milter_date(v) != 0)
		return 0;
	cfg_error(cfg, "%s = \"%s\" is not a date YYYY-MM-DD", opt->name, v);
	return -1;
}

RANGE_VALIDATOR(conf_check_grace, 0, 365)
RANGE_VALIDATOR(conf_check_connections, 1, 256)
RANGE_VALIDATOR(conf_check_milter_timeout, 10, 7210)
