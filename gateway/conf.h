#ifndef DEPUTY_CONF_H
#define DEPUTY_CONF_H

/*
 * NAME
 *	conf - deputy.conf, read with libconfuse
 * SUMMARY
 *	Sections directory, policy, delivery, daemon, submission, state,
 *	spam, auth, templates, sieve, log and web. Every key has a default that works with
 *	spam, auth, templates, sieve, log and milter. Every key has a default that works with
 *	the embedded parts (LDIF directory, Maildir, LMDB); doc/deputy.conf.5
 *	documents each one.
 * DIAGNOSTICS
 *	conf_load() returns -1 and an error "FILE:LINE: message" for a bad
 *	file, an unknown key or a value out of range. A missing file is an
 *	error too, unless it is the default path and was not named
 *	explicitly: then the built-in defaults apply.
 */

#include <stddef.h>
#include <sys/types.h>
#include <time.h>
#include "directory.h"
#include "state.h"

struct deputy_conf {
	/* directory */
	char *dir_backend;
	char *dir_ldif_file;
	char **alias_attributes;	/* NULL-terminated */
	unsigned int max_delegates;
	unsigned int max_delegate_depth;
	char **ldap_uris;		/* NULL-terminated */
	char *ldap_base;
	char *ldap_bind_dn;
	char *ldap_bind_password_file;
	char *ldap_sasl_mech;
	char *ldap_tls;
	char *ldap_ca_file;
	unsigned int ldap_network_timeout;
	unsigned int ldap_timeout;
	unsigned int ldap_size_limit;

	/* policy */
	enum dir_notice default_notice;
	char **internal_domains;	/* NULL-terminated, lowercased */
	unsigned int notice_period_days;
	int forward_bulk;
	char **system_senders;		/* extra local parts, NULL-terminated */
	unsigned int rate_per_recipient;	/* notices per hour; 0: no cap */
	unsigned int rate_per_domain;
	unsigned int rate_global;

	/* delivery */
	char *maildir;			/* path template: %u %l %d %% */
	char *spool_dir;
	unsigned int deadline;		/* seconds for the whole run */
	unsigned int max_received;	/* hops before "loop" */
	char *loop_header;
	char *recipient_delimiter;	/* characters starting a detail */
	int detail_mailbox;		/* a detail goes into its folder */
	char *lmtp;			/* downstream LMTP, or NULL: Maildir */
	unsigned int lmtp_timeout;	/* seconds per read or write */

	/* daemon: deputyd */
	char **daemon_listen;		/* "unix:/path", "host:port" */
	unsigned int daemon_socket_mode;
	unsigned int daemon_workers;
	unsigned int daemon_idle_timeout;
	off_t daemon_max_size;		/* bytes */
	unsigned int daemon_max_recipients;
	char *daemon_metrics;		/* "host:port" or NULL */

	/* submission */
	char *sendmail;
	unsigned int submit_timeout;
	char *hostname;			/* for Message-ID and Maildir names */
	char *srs_domain;		/* "" or NULL: no SRS */
	char *srs_key_file;
	char *smtp;			/* reinjection host:port, or NULL:
					 * sendmail */

	/* state */
	char *state_backend;		/* "lmdb" or "redis" */
	char *state_path;
	size_t state_map_size;
	size_t state_max_map_size;	/* grown up to this when full */
	char *state_down_file;		/* episode marker */
	char **redis_sentinels;		/* "host:port", NULL-terminated */
	char *redis_master;		/* Sentinel's name for it */
	char **redis_servers;		/* without Sentinel */
	char *redis_password_file;	/* "": no AUTH */
	unsigned int redis_db;
	char *redis_prefix;
	unsigned int redis_connect_timeout_ms;
	unsigned int redis_timeout_ms;
	unsigned int redis_wait_replicas;

	/* spam: thresholds on each scanner's scale (see spam.h) */
	double notice_threshold;	/* SpamAssassin's */
	double forward_threshold;	/* SpamAssassin's */
	double spam_sa_clean;
	double spam_rspamd_notice;
	double spam_rspamd_clean;
	double spam_rspamd_forward;
	char *spam_headers_from;	/* "spamassassin" or "rspamd": the
					 * scale of X-Spam-Status/-Score/-Level */
	char **spam_headers;		/* trusted by position */
	char *spam_scanner;		/* "none", "spamd", "rspamd" */
	char *spam_address;		/* host:port */
	unsigned int spam_timeout;
	unsigned int spam_max_size_kb;

	/* auth */
	char **trusted_authserv_ids;	/* NULL-terminated */
	unsigned int boundary_received;
	char *public_suffix_list;

	/* templates */
	char *template_dir;
	char *template_name;		/* default template set */
	char *template_timezone;

	/* sieve */
	char *sieve_script;		/* path template, NULL: no scripts */
	int sieve_reject_discards;	/* reject: discard instead of keep */
	size_t sieve_max_script;	/* bytes */
	unsigned int sieve_max_actions;
	unsigned int sieve_min_period;	/* vacation :days clamp, seconds */
	unsigned int sieve_max_period;

	/* log */
	char *log_ident;
	int log_facility;
	char *log_file;			/* NULL: syslog */

	/* web: deputy-web */
	char *web_listen;		/* "host:port" */
	char *web_static_dir;		/* the page's files */
	char *web_users_file;		/* LDIF backend: name:hash, or NULL */
	char *web_login_attribute;	/* LDAP: the login name's attribute */
	char *web_login_dn;		/* LDAP: "uid=%s,...", or NULL: search */
	int web_secure_cookies;
	unsigned int web_session_lifetime;	/* seconds from the login */
	unsigned int web_session_idle;	/* seconds without a request */
	unsigned int web_max_sessions;
	unsigned int web_login_failures;	/* per user and window */
	unsigned int web_source_failures;	/* per source and window */
	unsigned int web_login_window;	/* seconds */
	char *web_metrics;		/* deputyd's counters page, or NULL:
					 * daemon.metrics */
	/* milter: deputy-milter (doc/deputy-milter.8) */
	char *milter_socket;		/* libmilter's: "unix:/path",
					 * "inet:port@host" */
	unsigned int milter_socket_mode;
	char **milter_recipient_domains;	/* looked up; lowercased */
	int milter_reject_unknown;	/* unknown there: 550 5.1.1 */
	char **milter_submission_daemons;	/* {daemon_name} values */
	int milter_strip_headers;	/* our A-R and spam headers go */
	char *milter_batv_key_file;	/* NULL: no BATV */
	char **milter_batv_domains;	/* lowercased */
	char **milter_batv_users;	/* lowercased addresses */
	time_t milter_batv_since;	/* BATV switched on (UTC), or 0 */
	unsigned int milter_batv_grace_days;
	int milter_spam_reject;		/* 550 at end of DATA above: */
	double milter_sa_reject;	/* SpamAssassin's scale */
	double milter_rspamd_reject;	/* rspamd's scale */
	unsigned int milter_directory_connections;
	unsigned int milter_timeout;	/* seconds, MTA I/O */
};

/* conf_section_name - the name of top-level section I, NULL past the end */
const char *conf_section_name(unsigned int i);

/* conf_default_path - the file used when none is named */
const char *conf_default_path(void);

/* conf_load - read PATH (NULL: the default path, absent is fine) */
int conf_load(const char *path, struct deputy_conf **conf_r, char **error_r);

/* conf_dir_settings - fill SET from CONF (borrowed pointers) */
void conf_dir_settings(const struct deputy_conf *conf,
		       struct dir_settings *set);

struct spam_policy;

/* conf_spam_policy - fill P with CONF's thresholds on each scale */
void conf_spam_policy(const struct deputy_conf *conf, struct spam_policy *p);

/* conf_state_settings - fill SET from CONF (borrowed pointers) */
void conf_state_settings(const struct deputy_conf *conf, int readonly,
			 struct state_settings *set);

/* conf_free - release; sets *conf to NULL */
void conf_free(struct deputy_conf **conf);

#endif
