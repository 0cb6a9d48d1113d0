/*
 * NAME
 *	conf - read and validate deputy.conf
 * SUMMARY
 *	A thin layer over libconfuse: the option tables, validators that
 *	name the offending line, and a copy of the result into a plain
 *	struct so that nothing else sees libconfuse. This file holds the
 *	tables, conf_load() and the settings the other modules take;
 *	the validators are in conf-check.c, the copy in conf-copy.c
 *	(conf-private.h is what the three share).
 * DIAGNOSTICS
 *	See conf.h.
 * SECURITY
 *	Every value passes a validator (conf_validators) before anything
 *	uses it; an unknown key, a bad value or a section left open is an
 *	error, never a silent default.
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <confuse.h>
#include <glib.h>

#include "conf-private.h"
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

/* The syslog facilities log.facility may name (conf-private.h). */
const struct conf_facility conf_facilities[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};
const size_t conf_n_facilities = G_N_ELEMENTS(conf_facilities);

/* The validator of each option that has one (conf-check.c). */
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
