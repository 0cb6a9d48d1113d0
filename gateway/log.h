#ifndef DEPUTY_LOG_H
#define DEPUTY_LOG_H

/*
 * NAME
 *	log - diagnostics to syslog (facility mail) or to a file
 * SUMMARY
 *	deputy never writes diagnostics to stdout or stderr (see main.c for
 *	the one exception). log_open() picks syslog, or a file when the
 *	configuration names one (tests use that).
 */

#include <stdarg.h>

/* log_open - start logging as IDENT; FILE NULL means syslog */
void log_open(const char *ident, int facility, const char *file);

/* log_close - flush and close */
void log_close(void);

/* log_info - one informational line */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* log_warn - a warning: something was skipped or will be retried */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
