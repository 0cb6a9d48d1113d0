#ifndef DEPUTY_CONF_PRIVATE_H
#define DEPUTY_CONF_PRIVATE_H

/*
 * NAME
 *	conf-private - what conf.c, conf-check.c and conf-copy.c share
 * SUMMARY
 *	conf.c holds the option tables and conf_load(); conf-check.c the
 *	validators and the error callback libconfuse calls while it
 *	parses; conf-copy.c turns the parsed tree into struct
 *	deputy_conf. Only these three files include this header: the
 *	rest of deputy sees conf.h, never libconfuse.
 */

#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#include <confuse.h>

#include "conf.h"

/*
 * Thresholds are per scanner, on its own scale. notice_threshold and
 * forward_threshold are the older names of the SpamAssassin ones: they
 * default to "unset" (CONF_UNSET), so that the newer name wins when both
 * are given, and the built-in value applies when neither is.
 */
#define CONF_UNSET	(-99999.0)

/* The syslog facilities log.facility may name (conf.c). */
struct conf_facility {
	const char *name;
	int facility;
};

extern const struct conf_facility conf_facilities[];
extern const size_t conf_n_facilities;

/* The first error libconfuse reports, with file and line. */
struct conf_error {
	char *text;
};

/* Set by conf_load() for the length of one parse (conf-check.c). */
extern struct conf_error *conf_current_error;
extern cfg_t *conf_current_top;		/* for sections' file and line */

/* conf_errfunc - keep the first libconfuse message, prefixed FILE:LINE */
void conf_errfunc(cfg_t *cfg, const char *fmt, va_list ap);

/* conf_milter_date - "YYYY-MM-DD" as 00:00 UTC that day, or 0 */
time_t conf_milter_date(const char *v);

/* conf_copy - turn a parsed tree into struct deputy_conf */
struct deputy_conf *conf_copy(cfg_t *cfg);

/*
 * The validators (conf-check.c), named by conf_validators in conf.c:
 * 0 for a good value, -1 after cfg_error() for a bad one.
 */
int conf_check_notice(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_reject(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_script_kb(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_actions(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_sieve_period(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_backend(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_state_backend(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_endpoints(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_redis_name(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_state(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_tls(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_sasl(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_uri(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_scanner(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_headers_from(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_address(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_template(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_timezone(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_facility(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_threshold(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_mode(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_path(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_path_or_empty(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_header(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_delimiter(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_endpoint(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_listen(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_metrics(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_attr(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_login_dn(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_milter_socket(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_milter_since(cfg_t *cfg, cfg_opt_t *opt);

/* Integer ranges (the bounds are in conf-check.c). */
int conf_check_max_delegates(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_depth(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_period(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_deadline(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_received(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_timeout(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_map_size(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_redis_db(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_redis_ms(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_redis_replicas(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_ldap_timeout(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_size_limit(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_rate(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_boundary(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_spam_timeout(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_spam_size(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_workers(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_max_size(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_max_recipients(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_web_lifetime(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_web_idle(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_web_sessions(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_web_failures(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_web_window(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_grace(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_connections(cfg_t *cfg, cfg_opt_t *opt);
int conf_check_milter_timeout(cfg_t *cfg, cfg_opt_t *opt);

#endif
