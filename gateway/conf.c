/*
 * NAME
 *	conf - read and validate deputy.conf
 * SUMMARY
 *	A thin layer over libconfuse: the option tables, validators that
 *	name the offending line, and a copy of the result into a plain
 *	struct so that nothing else sees libconfuse.
 * DIAGNOSTICS
 *	See conf.h.
 */

#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include <confuse.h>
#include <glib.h>

#include "conf.h"
#include "spam.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif
#ifndef PKGDATADIR
#define PKGDATADIR "/usr/share/deputy"
#endif
#ifndef DEFAULT_SENDMAIL
#define DEFAULT_SENDMAIL "/usr/sbin/sendmail"
#endif

#define CONF_DEFAULT_PATH SYSCONFDIR "/deputy/deputy.conf"

static cfg_opt_t directory_opts[] = {
	CFG_STR("backend", "ldif", CFGF_NONE),
	CFG_STR("ldif_file", SYSCONFDIR "/deputy/directory.ldif", CFGF_NONE),
	CFG_STR_LIST("alias_attributes", "{mailAlternateAddress,mailLocalAddress}",
		     CFGF_NONE),
	CFG_INT("max_delegates", 10, CFGF_NONE),
	CFG_INT("max_delegate_depth", 3, CFGF_NONE),
	CFG_STR_LIST("uri", "{ldapi:///}", CFGF_NONE),
	CFG_STR("base", "", CFGF_NONE),
	CFG_STR("bind_dn", "", CFGF_NONE),
	CFG_STR("bind_password_file", "", CFGF_NONE),
	CFG_STR("sasl_mech", "", CFGF_NONE),
	CFG_STR("tls", "starttls", CFGF_NONE),
	CFG_STR("ca_file", "", CFGF_NONE),
	CFG_INT("network_timeout", 5, CFGF_NONE),
	CFG_INT("timeout", 10, CFGF_NONE),
	CFG_INT("size_limit", 10, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t policy_opts[] = {
	CFG_STR("notice", "authenticated", CFGF_NONE),
	CFG_STR_LIST("internal_domains", "{}", CFGF_NONE),
	CFG_INT("notice_period_days", 7, CFGF_NONE),
	CFG_BOOL("forward_bulk", cfg_false, CFGF_NONE),
	CFG_STR_LIST("system_senders", "{}", CFGF_NONE),
	CFG_INT("rate_per_recipient", 30, CFGF_NONE),
	CFG_INT("rate_per_domain", 10, CFGF_NONE),
	CFG_INT("rate_global", 300, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t delivery_opts[] = {
	CFG_STR("maildir", LOCALSTATEDIR "/mail/%d/%l/Maildir", CFGF_NONE),
	CFG_STR("spool_dir", LOCALSTATEDIR "/spool/deputy", CFGF_NONE),
	CFG_INT("deadline", 300, CFGF_NONE),
	CFG_INT("max_received", 25, CFGF_NONE),
	CFG_STR("loop_header", "X-Deputy-Loop", CFGF_NONE),
	CFG_STR("recipient_delimiter", "+", CFGF_NONE),
	CFG_BOOL("detail_mailbox", cfg_false, CFGF_NONE),
	CFG_STR("lmtp", "", CFGF_NONE),
	CFG_INT("lmtp_timeout", 60, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t daemon_opts[] = {
	CFG_STR_LIST("listen", "{unix:" RUNSTATEDIR "/deputy/lmtp}", CFGF_NONE),
	CFG_STR("socket_mode", "0660", CFGF_NONE),
	CFG_INT("workers", 4, CFGF_NONE),
	CFG_INT("idle_timeout", 300, CFGF_NONE),
	CFG_INT("max_size_mb", 100, CFGF_NONE),
	CFG_INT("max_recipients", 1000, CFGF_NONE),
	CFG_STR("metrics", "", CFGF_NONE),
	CFG_END()
};

static cfg_opt_t submission_opts[] = {
	CFG_STR("sendmail", DEFAULT_SENDMAIL, CFGF_NONE),
	CFG_INT("timeout", 60, CFGF_NONE),
	CFG_STR("hostname", NULL, CFGF_NONE),
	CFG_STR("srs_domain", "", CFGF_NONE),
	CFG_STR("srs_key_file", "", CFGF_NONE),
	CFG_STR("smtp", "", CFGF_NONE),
	CFG_END()
};

static cfg_opt_t state_opts[] = {
	CFG_STR("backend", "lmdb", CFGF_NONE),
	CFG_STR("path", LOCALSTATEDIR "/lib/deputy/state.lmdb", CFGF_NONE),
	CFG_INT("map_size_mb", 64, CFGF_NONE),
	CFG_INT("max_map_size_mb", 1024, CFGF_NONE),
	CFG_STR("down_file", "", CFGF_NONE),
	CFG_STR_LIST("redis_sentinels", "{}", CFGF_NONE),
	CFG_STR("redis_master", "deputy", CFGF_NONE),
	CFG_STR_LIST("redis_servers", "{}", CFGF_NONE),
	CFG_STR("redis_password_file", "", CFGF_NONE),
	CFG_INT("redis_db", 0, CFGF_NONE),
	CFG_STR("redis_prefix", "deputy:", CFGF_NONE),
	CFG_INT("redis_connect_timeout_ms", 500, CFGF_NONE),
	CFG_INT("redis_timeout_ms", 500, CFGF_NONE),
	CFG_INT("redis_wait_replicas", -1, CFGF_NONE),
	CFG_END()
};

/*
 * Thresholds are per scanner, on its own scale. notice_threshold and
 * forward_threshold are the older names of the SpamAssassin ones: they
 * default to "unset" (CONF_UNSET), so that the newer name wins when both
 * are given, and the built-in value applies when neither is.
 */
#define CONF_UNSET	(-99999.0)

static cfg_opt_t spam_opts[] = {
	CFG_FLOAT("notice_threshold", CONF_UNSET, CFGF_NONE),
	CFG_FLOAT("forward_threshold", CONF_UNSET, CFGF_NONE),
	CFG_FLOAT("spamassassin_notice_threshold", CONF_UNSET, CFGF_NONE),
	CFG_FLOAT("spamassassin_clean_threshold", SPAM_SA_CLEAN, CFGF_NONE),
	CFG_FLOAT("spamassassin_forward_threshold", CONF_UNSET, CFGF_NONE),
	CFG_FLOAT("rspamd_notice_threshold", SPAM_RSPAMD_NOTICE, CFGF_NONE),
	CFG_FLOAT("rspamd_clean_threshold", SPAM_RSPAMD_CLEAN, CFGF_NONE),
	CFG_FLOAT("rspamd_forward_threshold", SPAM_RSPAMD_FORWARD, CFGF_NONE),
	CFG_STR_LIST("trusted_headers", "{}", CFGF_NONE),
	CFG_STR("headers_from", "", CFGF_NONE),
	CFG_STR("scanner", "none", CFGF_NONE),
	CFG_STR("address", "127.0.0.1:783", CFGF_NONE),
	CFG_INT("timeout", 10, CFGF_NONE),
	CFG_INT("max_size_kb", 1024, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t auth_opts[] = {
	CFG_STR_LIST("trusted_authserv_ids", "{}", CFGF_NONE),
	CFG_INT("boundary_received", 0, CFGF_NONE),
	CFG_STR("public_suffix_list",
	    "/usr/share/publicsuffix/public_suffix_list.dat", CFGF_NONE),
	CFG_END()
};

static cfg_opt_t templates_opts[] = {
	CFG_STR("dir", PKGDATADIR "/templates", CFGF_NONE),
	CFG_STR("default", "notice", CFGF_NONE),
	CFG_STR("timezone", "UTC", CFGF_NONE),
	CFG_END()
};

static cfg_opt_t sieve_opts[] = {
	CFG_STR("script", "", CFGF_NONE),
	CFG_STR("reject", "keep", CFGF_NONE),
	CFG_INT("max_script_kb", 64, CFGF_NONE),
	CFG_INT("max_actions", 32, CFGF_NONE),
	CFG_INT("min_period_days", 1, CFGF_NONE),
	CFG_INT("max_period_days", 30, CFGF_NONE),
	CFG_END()
};

/* web: deputy-web, the helpdesk page (doc/deputy-web.8) */
static cfg_opt_t web_opts[] = {
	CFG_STR("listen", "127.0.0.1:8080", CFGF_NONE),
	CFG_STR("static_dir", PKGDATADIR "/web", CFGF_NONE),
	CFG_STR("users_file", "", CFGF_NONE),
	CFG_STR("login_attribute", "uid", CFGF_NONE),
	CFG_STR("login_dn", "", CFGF_NONE),
	CFG_BOOL("secure_cookies", cfg_true, CFGF_NONE),
	CFG_INT("session_lifetime", 28800, CFGF_NONE),
	CFG_INT("session_idle", 1800, CFGF_NONE),
	CFG_INT("max_sessions", 200, CFGF_NONE),
	CFG_INT("login_failures", 5, CFGF_NONE),
	CFG_INT("login_source_failures", 20, CFGF_NONE),
	CFG_INT("login_window", 300, CFGF_NONE),
	CFG_STR("metrics", "", CFGF_NONE),
	CFG_END()
};

static cfg_opt_t log_opts[] = {
	CFG_STR("ident", "deputy", CFGF_NONE),
	CFG_STR("facility", "mail", CFGF_NONE),
	CFG_STR("file", NULL, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t milter_opts[] = {
	CFG_STR("socket", "unix:" RUNSTATEDIR "/deputy/milter", CFGF_NONE),
	CFG_STR("socket_mode", "0660", CFGF_NONE),
	CFG_STR_LIST("recipient_domains", "{}", CFGF_NONE),
	CFG_BOOL("reject_unknown", cfg_true, CFGF_NONE),
	CFG_STR_LIST("submission_daemons", "{ORIGINATING,MSA}", CFGF_NONE),
	CFG_BOOL("strip_headers", cfg_true, CFGF_NONE),
	CFG_STR("batv_key_file", "", CFGF_NONE),
	CFG_STR_LIST("batv_domains", "{}", CFGF_NONE),
	CFG_STR_LIST("batv_users", "{}", CFGF_NONE),
	CFG_STR("batv_since", "", CFGF_NONE),
	CFG_INT("batv_grace_days", 7, CFGF_NONE),
	CFG_BOOL("spam_reject", cfg_false, CFGF_NONE),
	CFG_FLOAT("spamassassin_reject_threshold", 15.0, CFGF_NONE),
	CFG_FLOAT("rspamd_reject_threshold", 15.0, CFGF_NONE),
	CFG_INT("directory_connections", 8, CFGF_NONE),
	CFG_INT("timeout", 300, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t top_opts[] = {
	CFG_SEC("directory", directory_opts, CFGF_NONE),
	CFG_SEC("policy", policy_opts, CFGF_NONE),
	CFG_SEC("delivery", delivery_opts, CFGF_NONE),
	CFG_SEC("daemon", daemon_opts, CFGF_NONE),
	CFG_SEC("submission", submission_opts, CFGF_NONE),
	CFG_SEC("state", state_opts, CFGF_NONE),
	CFG_SEC("spam", spam_opts, CFGF_NONE),
	CFG_SEC("auth", auth_opts, CFGF_NONE),
	CFG_SEC("templates", templates_opts, CFGF_NONE),
	CFG_SEC("sieve", sieve_opts, CFGF_NONE),
	CFG_SEC("log", log_opts, CFGF_NONE),
	CFG_SEC("web", web_opts, CFGF_NONE),
	CFG_SEC("milter", milter_opts, CFGF_NONE),
	CFG_END()
};

/* conf_section_name - the name of top-level section I, or NULL past the end */
const char *
conf_section_name(unsigned int i)
{
	if (i >= G_N_ELEMENTS(top_opts) - 1)
		return NULL;
	return top_opts[i].name;
}

static const struct {
	const char *name;
	int facility;
} conf_facilities[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

/* The first error libconfuse reports, with file and line. */
struct conf_error {
	char *text;
};

static struct conf_error *conf_current_error;
static cfg_t *conf_current_top;		/* for sections' file and line */

/* conf_errfunc - keep the first libconfuse message, prefixed FILE:LINE */
static void
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

/* conf_check_int - validator: integer option within [lo, hi] */
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
static int
conf_check_notice(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const choices[] = {
		"none", "authenticated", "internal", NULL
	};

	return conf_check_choice(cfg, opt, choices);
}

/* conf_check_reject - validator for sieve.reject */
static int
conf_check_reject(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const choices[] = { "keep", "discard", NULL };

	return conf_check_choice(cfg, opt, choices);
}

/* conf_check_script_kb - validator for sieve.max_script_kb */
static int
conf_check_script_kb(cfg_t *cfg, cfg_opt_t *opt)
{
	return conf_check_range(cfg, opt, 1, 1024);
}

/* conf_check_actions - validator for sieve.max_actions */
static int
conf_check_actions(cfg_t *cfg, cfg_opt_t *opt)
{
	return conf_check_range(cfg, opt, 1, 256);
}

/* conf_check_sieve_period - validator for sieve.m*_period_days */
static int
conf_check_sieve_period(cfg_t *cfg, cfg_opt_t *opt)
{
	return conf_check_range(cfg, opt, 1, 365);
}

/* conf_check_backend - validator for directory.backend */
static int
conf_check_backend(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const choices[] = { "ldif", "ldap", NULL };

	return conf_check_choice(cfg, opt, choices);
}

/* conf_check_state_backend - validator for state.backend */
static int
conf_check_state_backend(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const choices[] = { "lmdb", "redis", NULL };

	return conf_check_choice(cfg, opt, choices);
}

/* conf_check_endpoints - validator: a list of "host:port" */
static int
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
static int
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
static int
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
static int
conf_check_tls(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const choices[] = { "starttls", "none", NULL };

	return conf_check_choice(cfg, opt, choices);
}

/* conf_check_sasl - validator for directory.sasl_mech */
static int
conf_check_sasl(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const choices[] = { "", "EXTERNAL", NULL };

	return conf_check_choice(cfg, opt, choices);
}

/* conf_check_uri - validator: ldap://, ldaps:// or ldapi:// URIs */
static int
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
static int
conf_check_scanner(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const choices[] = { "none", "spamd", "rspamd", NULL };

	return conf_check_choice(cfg, opt, choices);
}

/* conf_check_headers_from - validator for spam.headers_from */
static int
conf_check_headers_from(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const choices[] = {
		"", "spamassassin", "rspamd", NULL
	};

	return conf_check_choice(cfg, opt, choices);
}

/* conf_check_address - validator: "host:port" for spam.address */
static int
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
static int
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
static int
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
static int
conf_check_facility(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	for (size_t i = 0; i < G_N_ELEMENTS(conf_facilities); i++)
		if (v != NULL && strcasecmp(v, conf_facilities[i].name) == 0)
			return 0;
	cfg_error(cfg, "facility = \"%s\" is not a syslog facility (mail, "
	    "daemon, user, local0..local7)", v ? v : "");
	return -1;
}

/* conf_check_threshold - validator for spam thresholds */
static int
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
	static int fn(cfg_t *cfg, cfg_opt_t *opt) \
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
static int
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
static int
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
static int
conf_check_path_or_empty(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	return v == NULL || *v == '\0' ? 0 : conf_check_path(cfg, opt);
}

/* conf_check_header - validator: a header field name (RFC 5322 ftext) */
static int
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
static int
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
static int
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
static int
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
static int
conf_check_metrics(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	return v == NULL || *v == '\0' ? 0 : conf_check_listen(cfg, opt);
}

/* conf_check_attr - validator: an LDAP attribute name */
static int
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
static int
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
static int
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
static time_t
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
static int
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

static const struct {
	const char *name;
	cfg_validate_callback_t fn;
} conf_validators[] = {
	{ "directory|backend", conf_check_backend },
	{ "directory|ldif_file", conf_check_path },
	{ "directory|max_delegates", conf_check_max_delegates },
	{ "directory|max_delegate_depth", conf_check_depth },
	{ "directory|uri", conf_check_uri },
	{ "directory|tls", conf_check_tls },
	{ "directory|sasl_mech", conf_check_sasl },
	{ "directory|network_timeout", conf_check_ldap_timeout },
	{ "directory|timeout", conf_check_ldap_timeout },
	{ "directory|size_limit", conf_check_size_limit },
	{ "policy|notice", conf_check_notice },
	{ "policy|notice_period_days", conf_check_period },
	{ "delivery|maildir", conf_check_path },
	{ "delivery|spool_dir", conf_check_path },
	{ "delivery|deadline", conf_check_deadline },
	{ "delivery|max_received", conf_check_received },
	{ "delivery|loop_header", conf_check_header },
	{ "delivery|recipient_delimiter", conf_check_delimiter },
	{ "delivery|lmtp", conf_check_endpoint },
	{ "delivery|lmtp_timeout", conf_check_timeout },
	{ "submission|smtp", conf_check_endpoint },
	{ "daemon|listen", conf_check_endpoint },
	{ "daemon|socket_mode", conf_check_mode },
	{ "daemon|workers", conf_check_workers },
	{ "daemon|idle_timeout", conf_check_timeout },
	{ "daemon|max_size_mb", conf_check_max_size },
	{ "daemon|max_recipients", conf_check_max_recipients },
	{ "daemon|metrics", conf_check_endpoint },
	{ "submission|sendmail", conf_check_path },
	{ "submission|timeout", conf_check_timeout },
	{ "submission|srs_key_file", conf_check_path_or_empty },
	{ "state", conf_check_state },
	{ "state|backend", conf_check_state_backend },
	{ "state|redis_sentinels", conf_check_endpoints },
	{ "state|redis_servers", conf_check_endpoints },
	{ "state|redis_master", conf_check_redis_name },
	{ "state|redis_prefix", conf_check_redis_name },
	{ "state|redis_password_file", conf_check_path_or_empty },
	{ "state|redis_db", conf_check_redis_db },
	{ "state|redis_connect_timeout_ms", conf_check_redis_ms },
	{ "state|redis_timeout_ms", conf_check_redis_ms },
	{ "state|redis_wait_replicas", conf_check_redis_replicas },
	{ "state|path", conf_check_path },
	{ "state|map_size_mb", conf_check_map_size },
	{ "state|max_map_size_mb", conf_check_map_size },
	{ "state|down_file", conf_check_path_or_empty },
	{ "spam|notice_threshold", conf_check_threshold },
	{ "spam|forward_threshold", conf_check_threshold },
	{ "spam|spamassassin_notice_threshold", conf_check_threshold },
	{ "spam|spamassassin_clean_threshold", conf_check_threshold },
	{ "spam|spamassassin_forward_threshold", conf_check_threshold },
	{ "spam|rspamd_notice_threshold", conf_check_threshold },
	{ "spam|rspamd_clean_threshold", conf_check_threshold },
	{ "spam|rspamd_forward_threshold", conf_check_threshold },
	{ "spam|headers_from", conf_check_headers_from },
	{ "spam|address", conf_check_address },
	{ "spam|scanner", conf_check_scanner },
	{ "spam|timeout", conf_check_spam_timeout },
	{ "spam|max_size_kb", conf_check_spam_size },
	{ "policy|rate_per_recipient", conf_check_rate },
	{ "policy|rate_per_domain", conf_check_rate },
	{ "policy|rate_global", conf_check_rate },
	{ "auth|boundary_received", conf_check_boundary },
	{ "auth|public_suffix_list", conf_check_path },
	{ "templates|default", conf_check_template },
	{ "templates|timezone", conf_check_timezone },
	{ "templates|dir", conf_check_path },
	{ "sieve|script", conf_check_path_or_empty },
	{ "sieve|reject", conf_check_reject },
	{ "sieve|max_script_kb", conf_check_script_kb },
	{ "sieve|max_actions", conf_check_actions },
	{ "sieve|min_period_days", conf_check_sieve_period },
	{ "sieve|max_period_days", conf_check_sieve_period },
	{ "log|facility", conf_check_facility },
	{ "web|listen", conf_check_listen },
	{ "web|static_dir", conf_check_path },
	{ "web|users_file", conf_check_path_or_empty },
	{ "web|login_attribute", conf_check_attr },
	{ "web|login_dn", conf_check_login_dn },
	{ "web|session_lifetime", conf_check_web_lifetime },
	{ "web|session_idle", conf_check_web_idle },
	{ "web|max_sessions", conf_check_web_sessions },
	{ "web|login_failures", conf_check_web_failures },
	{ "web|login_source_failures", conf_check_web_failures },
	{ "web|login_window", conf_check_web_window },
	{ "web|metrics", conf_check_metrics },
	{ "log|file", conf_check_path },
	{ "milter|socket", conf_check_milter_socket },
	{ "milter|socket_mode", conf_check_mode },
	{ "milter|batv_key_file", conf_check_path_or_empty },
	{ "milter|batv_since", conf_check_milter_since },
	{ "milter|batv_grace_days", conf_check_grace },
	{ "milter|spamassassin_reject_threshold", conf_check_threshold },
	{ "milter|rspamd_reject_threshold", conf_check_threshold },
	{ "milter|directory_connections", conf_check_connections },
	{ "milter|timeout", conf_check_milter_timeout },
};

/* conf_strv - copy a libconfuse string list, optionally lowercased */
static char **
conf_strv(cfg_t *sec, const char *name, int lower)
{
	unsigned int n = cfg_size(sec, name);
	char **v = g_new0(char *, n + 1);

	for (unsigned int i = 0; i < n; i++) {
		const char *s = cfg_getnstr(sec, name, i);

		v[i] = lower ? g_ascii_strdown(s, -1) : g_strdup(s);
	}
	return v;
}

/* conf_or_null - a copy of V, or NULL for "" */
static char *
conf_or_null(const char *v)
{
	return v != NULL && *v != '\0' ? g_strdup(v) : NULL;
}

/* conf_threshold - NAME if set, else its older name OLD, else DEF */
static double
conf_threshold(cfg_t *sec, const char *name, const char *old, double def)
{
	double v = cfg_getfloat(sec, name);

	if (v == CONF_UNSET)
		v = cfg_getfloat(sec, old);
	return v == CONF_UNSET ? def : v;
}

/* conf_hostname - the configured host name, else the system's */
static char *
conf_hostname(const char *configured)
{
	char buf[256];

	if (configured != NULL && *configured != '\0')
		return g_strdup(configured);
	if (gethostname(buf, sizeof(buf)) != 0)
		return g_strdup("localhost");
	buf[sizeof(buf) - 1] = '\0';
	return g_strdup(buf);
}

/* conf_copy - turn a parsed tree into struct deputy_conf */
static struct deputy_conf *
conf_copy(cfg_t *cfg)
{
	struct deputy_conf *c = g_new0(struct deputy_conf, 1);
	cfg_t *s;
	const char *v;

	s = cfg_getsec(cfg, "directory");
	c->dir_backend = g_strdup(cfg_getstr(s, "backend"));
	c->dir_ldif_file = g_strdup(cfg_getstr(s, "ldif_file"));
	c->alias_attributes = conf_strv(s, "alias_attributes", 0);
	c->max_delegates = (unsigned int)cfg_getint(s, "max_delegates");
	c->max_delegate_depth = (unsigned int)cfg_getint(s, "max_delegate_depth");
	c->ldap_uris = conf_strv(s, "uri", 0);
	c->ldap_base = g_strdup(cfg_getstr(s, "base"));
	c->ldap_bind_dn = g_strdup(cfg_getstr(s, "bind_dn"));
	c->ldap_bind_password_file = g_strdup(cfg_getstr(s,
	    "bind_password_file"));
	c->ldap_sasl_mech = g_strdup(cfg_getstr(s, "sasl_mech"));
	c->ldap_tls = g_strdup(cfg_getstr(s, "tls"));
	c->ldap_ca_file = g_strdup(cfg_getstr(s, "ca_file"));
	c->ldap_network_timeout = (unsigned int)cfg_getint(s,
	    "network_timeout");
	c->ldap_timeout = (unsigned int)cfg_getint(s, "timeout");
	c->ldap_size_limit = (unsigned int)cfg_getint(s, "size_limit");

	s = cfg_getsec(cfg, "policy");
	(void)dir_notice_parse(cfg_getstr(s, "notice"), &c->default_notice);
	c->internal_domains = conf_strv(s, "internal_domains", 1);
	c->notice_period_days = (unsigned int)cfg_getint(s, "notice_period_days");
	c->forward_bulk = cfg_getbool(s, "forward_bulk") ? 1 : 0;
	c->system_senders = conf_strv(s, "system_senders", 1);
	c->rate_per_recipient = (unsigned int)cfg_getint(s, "rate_per_recipient");
	c->rate_per_domain = (unsigned int)cfg_getint(s, "rate_per_domain");
	c->rate_global = (unsigned int)cfg_getint(s, "rate_global");

	s = cfg_getsec(cfg, "delivery");
	c->maildir = g_strdup(cfg_getstr(s, "maildir"));
	c->spool_dir = g_strdup(cfg_getstr(s, "spool_dir"));
	c->deadline = (unsigned int)cfg_getint(s, "deadline");
	c->max_received = (unsigned int)cfg_getint(s, "max_received");
	c->loop_header = g_strdup(cfg_getstr(s, "loop_header"));
	c->recipient_delimiter = g_strdup(cfg_getstr(s,
	    "recipient_delimiter"));
	c->detail_mailbox = cfg_getbool(s, "detail_mailbox") ? 1 : 0;
	c->lmtp = conf_or_null(cfg_getstr(s, "lmtp"));
	c->lmtp_timeout = (unsigned int)cfg_getint(s, "lmtp_timeout");

	s = cfg_getsec(cfg, "daemon");
	c->daemon_listen = conf_strv(s, "listen", 0);
	c->daemon_socket_mode = (unsigned int)strtoul(cfg_getstr(s,
	    "socket_mode"), NULL, 8);
	c->daemon_workers = (unsigned int)cfg_getint(s, "workers");
	c->daemon_idle_timeout = (unsigned int)cfg_getint(s, "idle_timeout");
	c->daemon_max_size = (off_t)cfg_getint(s, "max_size_mb") << 20;
	c->daemon_max_recipients = (unsigned int)cfg_getint(s,
	    "max_recipients");
	c->daemon_metrics = conf_or_null(cfg_getstr(s, "metrics"));

	s = cfg_getsec(cfg, "submission");
	c->sendmail = g_strdup(cfg_getstr(s, "sendmail"));
	c->submit_timeout = (unsigned int)cfg_getint(s, "timeout");
	c->hostname = conf_hostname(cfg_getstr(s, "hostname"));
	c->srs_domain = g_ascii_strdown(cfg_getstr(s, "srs_domain"), -1);
	c->srs_key_file = g_strdup(cfg_getstr(s, "srs_key_file"));
	c->smtp = conf_or_null(cfg_getstr(s, "smtp"));

	s = cfg_getsec(cfg, "state");
	c->state_backend = g_strdup(cfg_getstr(s, "backend"));
	c->state_path = g_strdup(cfg_getstr(s, "path"));
	c->state_map_size = (size_t)cfg_getint(s, "map_size_mb") << 20;
	c->state_max_map_size = (size_t)cfg_getint(s, "max_map_size_mb") << 20;
	c->redis_sentinels = conf_strv(s, "redis_sentinels", 0);
	c->redis_master = g_strdup(cfg_getstr(s, "redis_master"));
	c->redis_servers = conf_strv(s, "redis_servers", 0);
	c->redis_password_file = g_strdup(cfg_getstr(s, "redis_password_file"));
	c->redis_db = (unsigned int)cfg_getint(s, "redis_db");
	c->redis_prefix = g_strdup(cfg_getstr(s, "redis_prefix"));
	c->redis_connect_timeout_ms = (unsigned int)cfg_getint(s,
	    "redis_connect_timeout_ms");
	c->redis_timeout_ms = (unsigned int)cfg_getint(s, "redis_timeout_ms");
	/* -1: one replica must have a claim when Sentinel fails over */
	c->redis_wait_replicas = cfg_getint(s, "redis_wait_replicas") >= 0 ?
	    (unsigned int)cfg_getint(s, "redis_wait_replicas") :
	    cfg_size(s, "redis_sentinels") > 0 ? 1 : 0;
	v = cfg_getstr(s, "down_file");
	c->state_down_file = v != NULL && *v != '\0' ? g_strdup(v) :
	    g_build_filename(c->spool_dir, "state-down", NULL);

	s = cfg_getsec(cfg, "spam");
	c->notice_threshold = conf_threshold(s,
	    "spamassassin_notice_threshold", "notice_threshold",
	    SPAM_SA_NOTICE);
	c->forward_threshold = conf_threshold(s,
	    "spamassassin_forward_threshold", "forward_threshold",
	    SPAM_SA_FORWARD);
	c->spam_sa_clean = cfg_getfloat(s, "spamassassin_clean_threshold");
	c->spam_rspamd_notice = cfg_getfloat(s, "rspamd_notice_threshold");
	c->spam_rspamd_clean = cfg_getfloat(s, "rspamd_clean_threshold");
	c->spam_rspamd_forward = cfg_getfloat(s, "rspamd_forward_threshold");
	c->spam_headers = conf_strv(s, "trusted_headers", 0);
	c->spam_scanner = g_strdup(cfg_getstr(s, "scanner"));
	v = cfg_getstr(s, "headers_from");
	c->spam_headers_from = g_strdup(*v != '\0' ? v :
	    strcmp(c->spam_scanner, "rspamd") == 0 ? "rspamd" : "spamassassin");
	c->spam_address = g_strdup(cfg_getstr(s, "address"));
	c->spam_timeout = (unsigned int)cfg_getint(s, "timeout");
	c->spam_max_size_kb = (unsigned int)cfg_getint(s, "max_size_kb");

	s = cfg_getsec(cfg, "auth");
	c->trusted_authserv_ids = conf_strv(s, "trusted_authserv_ids", 1);
	c->boundary_received = (unsigned int)cfg_getint(s, "boundary_received");
	c->public_suffix_list = g_strdup(cfg_getstr(s, "public_suffix_list"));

	s = cfg_getsec(cfg, "templates");
	c->template_dir = g_strdup(cfg_getstr(s, "dir"));
	c->template_name = g_strdup(cfg_getstr(s, "default"));
	c->template_timezone = g_strdup(cfg_getstr(s, "timezone"));

	s = cfg_getsec(cfg, "sieve");
	v = cfg_getstr(s, "script");
	c->sieve_script = v != NULL && *v != '\0' ? g_strdup(v) : NULL;
	c->sieve_reject_discards = strcmp(cfg_getstr(s, "reject"),
	    "discard") == 0;
	c->sieve_max_script = (size_t)cfg_getint(s, "max_script_kb") * 1024;
	c->sieve_max_actions = (unsigned int)cfg_getint(s, "max_actions");
	c->sieve_min_period = (unsigned int)cfg_getint(s,
	    "min_period_days") * 86400;
	c->sieve_max_period = (unsigned int)cfg_getint(s,
	    "max_period_days") * 86400;

	s = cfg_getsec(cfg, "log");
	c->log_ident = g_strdup(cfg_getstr(s, "ident"));
	v = cfg_getstr(s, "facility");
	c->log_facility = LOG_MAIL;
	for (size_t i = 0; i < G_N_ELEMENTS(conf_facilities); i++)
		if (strcasecmp(v, conf_facilities[i].name) == 0)
			c->log_facility = conf_facilities[i].facility;
	v = cfg_getstr(s, "file");
	c->log_file = v != NULL && *v != '\0' ? g_strdup(v) : NULL;

	s = cfg_getsec(cfg, "web");
	c->web_listen = g_strdup(cfg_getstr(s, "listen"));
	c->web_static_dir = g_strdup(cfg_getstr(s, "static_dir"));
	c->web_users_file = conf_or_null(cfg_getstr(s, "users_file"));
	c->web_login_attribute = g_strdup(cfg_getstr(s, "login_attribute"));
	c->web_login_dn = conf_or_null(cfg_getstr(s, "login_dn"));
	c->web_secure_cookies = cfg_getbool(s, "secure_cookies") ? 1 : 0;
	c->web_session_lifetime = (unsigned int)cfg_getint(s,
	    "session_lifetime");
	c->web_session_idle = (unsigned int)cfg_getint(s, "session_idle");
	c->web_max_sessions = (unsigned int)cfg_getint(s, "max_sessions");
	c->web_login_failures = (unsigned int)cfg_getint(s,
	    "login_failures");
	c->web_source_failures = (unsigned int)cfg_getint(s,
	    "login_source_failures");
	c->web_login_window = (unsigned int)cfg_getint(s, "login_window");
	c->web_metrics = conf_or_null(cfg_getstr(s, "metrics"));
	s = cfg_getsec(cfg, "milter");
	c->milter_socket = g_strdup(cfg_getstr(s, "socket"));
	c->milter_socket_mode = (unsigned int)strtoul(cfg_getstr(s,
	    "socket_mode"), NULL, 8);
	c->milter_recipient_domains = conf_strv(s, "recipient_domains", 1);
	c->milter_reject_unknown = cfg_getbool(s, "reject_unknown") ? 1 : 0;
	c->milter_submission_daemons = conf_strv(s, "submission_daemons", 0);
	c->milter_strip_headers = cfg_getbool(s, "strip_headers") ? 1 : 0;
	c->milter_batv_key_file = conf_or_null(cfg_getstr(s,
	    "batv_key_file"));
	c->milter_batv_domains = conf_strv(s, "batv_domains", 1);
	c->milter_batv_users = conf_strv(s, "batv_users", 1);
	c->milter_batv_since = conf_milter_date(cfg_getstr(s, "batv_since"));
	c->milter_batv_grace_days = (unsigned int)cfg_getint(s,
	    "batv_grace_days");
	c->milter_spam_reject = cfg_getbool(s, "spam_reject") ? 1 : 0;
	c->milter_sa_reject = cfg_getfloat(s,
	    "spamassassin_reject_threshold");
	c->milter_rspamd_reject = cfg_getfloat(s, "rspamd_reject_threshold");
	c->milter_directory_connections = (unsigned int)cfg_getint(s,
	    "directory_connections");
	c->milter_timeout = (unsigned int)cfg_getint(s, "timeout");
	return c;
}

/*
 * conf_check_braces - libconfuse 3.3 accepts a section left open at the
 * end of the file; find the unmatched '{' ourselves. Strings, comments
 * (#, //, C style) are skipped.
 */
static int
conf_check_braces(const char *file, char **error_r)
{
	char *text = NULL;
	gsize len = 0;
	int line = 1, depth = 0, open_line[64] = { 0 };

	if (!g_file_get_contents(file, &text, &len, NULL))
		return 0;	/* cfg_parse reports it */
	for (gsize i = 0; i < len; i++) {
		char c = text[i];

		if (c == '\n') {
			line++;
		} else if (c == '#' || (c == '/' && i + 1 < len &&
		    text[i + 1] == '/')) {
			while (i + 1 < len && text[i + 1] != '\n')
				i++;
		} else if (c == '/' && i + 1 < len && text[i + 1] == '*') {
			for (i += 2; i + 1 < len && !(text[i] == '*' &&
			    text[i + 1] == '/'); i++)
				if (text[i] == '\n')
					line++;
			i++;
		} else if (c == '"' || c == '\'') {
			for (i++; i < len && text[i] != c; i++) {
				if (text[i] == '\\' && i + 1 < len)
					i++;
				if (text[i] == '\n')
					line++;
			}
		} else if (c == '{') {
			if (depth < (int)G_N_ELEMENTS(open_line))
				open_line[depth] = line;
			depth++;
		} else if (c == '}') {
			depth--;
		}
	}
	g_free(text);
	if (depth > 0) {
		*error_r = g_strdup_printf("%s:%d: section is never closed "
		    "(missing '}')", file,
		    open_line[MIN(depth, (int)G_N_ELEMENTS(open_line)) - 1]);
		return -1;
	}
	return 0;
}

/* conf_default_path - the file used when none is named */
const char *
conf_default_path(void)
{
	return CONF_DEFAULT_PATH;
}

/* conf_load - read PATH (NULL: the default path, absent is fine) */
int
conf_load(const char *path, struct deputy_conf **conf_r, char **error_r)
{
	struct conf_error err = { NULL };
	const char *file = path != NULL ? path : CONF_DEFAULT_PATH;
	cfg_t *cfg;
	int rc;

	*conf_r = NULL;
	cfg = cfg_init(top_opts, CFGF_NONE);
	if (cfg == NULL) {
		*error_r = g_strdup("cannot initialise the configuration parser");
		return -1;
	}
	cfg_set_error_function(cfg, conf_errfunc);
	for (size_t i = 0; i < G_N_ELEMENTS(conf_validators); i++)
		cfg_set_validate_func(cfg, conf_validators[i].name,
		    conf_validators[i].fn);
	conf_current_error = &err;
	conf_current_top = cfg;

	if (path == NULL && access(file, F_OK) != 0 && errno == ENOENT) {
		/* No file at the default place: built-in defaults. */
		rc = cfg_parse_buf(cfg, "");
	} else {
		rc = cfg_parse(cfg, file);
	}
	conf_current_error = NULL;
	conf_current_top = NULL;
	if (rc == CFG_FILE_ERROR) {
		*error_r = g_strdup_printf("%s: %s", file, g_strerror(errno));
		g_free(err.text);
		cfg_free(cfg);
		return -1;
	}
	if (rc != CFG_SUCCESS) {
		*error_r = err.text != NULL ? err.text :
		    g_strdup_printf("%s: syntax error", file);
		cfg_free(cfg);
		return -1;
	}
	g_free(err.text);
	if (conf_check_braces(file, error_r) != 0) {
		cfg_free(cfg);
		return -1;
	}
	*conf_r = conf_copy(cfg);
	cfg_free(cfg);
	return 0;
}

/* conf_empty_null - NULL for an empty string */
static const char *
conf_empty_null(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

/* conf_dir_settings - fill SET from CONF (borrowed pointers) */
void
conf_dir_settings(const struct deputy_conf *c, struct dir_settings *set)
{
	memset(set, 0, sizeof(*set));
	set->backend = c->dir_backend;
	set->ldif_file = c->dir_ldif_file;
	set->alias_attributes = (const char *const *)c->alias_attributes;
	set->uris = (const char *const *)c->ldap_uris;
	set->base = c->ldap_base;
	set->bind_dn = conf_empty_null(c->ldap_bind_dn);
	set->bind_password_file = conf_empty_null(c->ldap_bind_password_file);
	set->sasl_mech = conf_empty_null(c->ldap_sasl_mech);
	set->tls = c->ldap_tls;
	set->ca_file = conf_empty_null(c->ldap_ca_file);
	set->network_timeout = c->ldap_network_timeout;
	set->timeout = c->ldap_timeout;
	set->size_limit = c->ldap_size_limit;
}

/* conf_spam_policy - fill P with CONF's thresholds on each scale */
void
conf_spam_policy(const struct deputy_conf *c, struct spam_policy *p)
{
	p->spamassassin.notice = c->notice_threshold;
	p->spamassassin.clean = c->spam_sa_clean;
	p->spamassassin.forward = c->forward_threshold;
	p->rspamd.notice = c->spam_rspamd_notice;
	p->rspamd.clean = c->spam_rspamd_clean;
	p->rspamd.forward = c->spam_rspamd_forward;
}

/* conf_state_settings - fill SET from CONF (borrowed pointers) */
void
conf_state_settings(const struct deputy_conf *c, int readonly,
		    struct state_settings *set)
{
	memset(set, 0, sizeof(*set));
	set->backend = strcmp(c->state_backend, "redis") == 0 ?
	    STATE_BACKEND_REDIS : STATE_BACKEND_LMDB;
	set->readonly = readonly;
	/* a notice record lives as long as any notice may be held back:
	 * the configured period, or the longest a Sieve vacation asks */
	set->notice_keep = MAX((time_t)c->notice_period_days * 86400,
	    (time_t)c->sieve_max_period);
	set->down_file = c->state_down_file;
	set->path = c->state_path;
	set->map_size = c->state_map_size;
	set->max_map_size = c->state_max_map_size;
	set->redis_sentinels = (const char *const *)c->redis_sentinels;
	set->redis_master = c->redis_master;
	set->redis_servers = (const char *const *)c->redis_servers;
	set->redis_password_file = conf_empty_null(c->redis_password_file);
	set->redis_db = c->redis_db;
	set->redis_prefix = c->redis_prefix;
	set->redis_connect_timeout_ms = c->redis_connect_timeout_ms;
	set->redis_timeout_ms = c->redis_timeout_ms;
	set->redis_wait_replicas = c->redis_wait_replicas;
}

/* conf_free - release; sets *conf to NULL */
void
conf_free(struct deputy_conf **conf)
{
	struct deputy_conf *c = *conf;

	if (c == NULL)
		return;
	g_free(c->dir_backend);
	g_free(c->dir_ldif_file);
	g_strfreev(c->alias_attributes);
	g_strfreev(c->ldap_uris);
	g_free(c->ldap_base);
	g_free(c->ldap_bind_dn);
	g_free(c->ldap_bind_password_file);
	g_free(c->ldap_sasl_mech);
	g_free(c->ldap_tls);
	g_free(c->ldap_ca_file);
	g_strfreev(c->internal_domains);
	g_strfreev(c->system_senders);
	g_free(c->maildir);
	g_free(c->sieve_script);
	g_free(c->spool_dir);
	g_free(c->loop_header);
	g_free(c->recipient_delimiter);
	g_free(c->lmtp);
	g_free(c->smtp);
	g_strfreev(c->daemon_listen);
	g_free(c->daemon_metrics);
	g_free(c->sendmail);
	g_free(c->hostname);
	g_free(c->srs_domain);
	g_free(c->srs_key_file);
	g_free(c->state_backend);
	g_free(c->state_path);
	g_strfreev(c->redis_sentinels);
	g_free(c->redis_master);
	g_strfreev(c->redis_servers);
	g_free(c->redis_password_file);
	g_free(c->redis_prefix);
	g_free(c->state_down_file);
	g_free(c->template_dir);
	g_free(c->template_name);
	g_free(c->template_timezone);
	g_strfreev(c->spam_headers);
	g_strfreev(c->trusted_authserv_ids);
	g_free(c->spam_scanner);
	g_free(c->spam_headers_from);
	g_free(c->spam_address);
	g_free(c->public_suffix_list);
	g_free(c->log_ident);
	g_free(c->log_file);
	g_free(c->web_listen);
	g_free(c->web_static_dir);
	g_free(c->web_users_file);
	g_free(c->web_login_attribute);
	g_free(c->web_login_dn);
	g_free(c->web_metrics);
	g_free(c->milter_socket);
	g_strfreev(c->milter_recipient_domains);
	g_strfreev(c->milter_submission_daemons);
	g_free(c->milter_batv_key_file);
	g_strfreev(c->milter_batv_domains);
	g_strfreev(c->milter_batv_users);
	g_free(c);
	*conf = NULL;
}
