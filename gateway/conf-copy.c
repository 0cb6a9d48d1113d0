/*
 * NAME
 *	conf-copy - the parsed deputy.conf as struct deputy_conf
 * SUMMARY
 *	conf_copy() reads every section of the libconfuse tree into a
 *	plain struct, so that nothing outside the conf files sees
 *	libconfuse: lists become NULL-terminated vectors (lowercased
 *	where they hold domains or addresses), "" becomes NULL where the
 *	struct says so, sizes and periods take their units, and the
 *	older spam threshold names give way to the newer ones.
 * DIAGNOSTICS
 *	None: every value was validated during the parse (conf-check.c);
 *	conf_copy() cannot fail (GLib aborts when memory runs out).
 * SECURITY
 *	Values are copied as they were validated; nothing is looked up
 *	but the system's host name, when none is configured.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include <confuse.h>
#include <glib.h>

#include "conf-private.h"
#include "spam.h"

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
struct deputy_conf *
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
	for (size_t i = 0; i < conf_n_facilities; i++)
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
