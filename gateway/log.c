/*
 * NAME
 *	log - diagnostics to syslog or to a file
 * SECURITY
 *	Lines are built with a bounded buffer; control characters in
 *	message-derived text are replaced before they get here (facts.c),
 *	and again here, so one record is always one line.
 */

#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"

#define LOG_LINE_MAX 4096

static int log_fd = -1;
static char log_ident[64] = "deputy";
static int log_syslog;

/* log_open - start logging as IDENT; FILE NULL means syslog */
void
log_open(const char *ident, int facility, const char *file)
{
	snprintf(log_ident, sizeof(log_ident), "%s", ident);
	if (file != NULL) {
		log_fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0600);
		if (log_fd >= 0)
			return;
	}
	openlog(log_ident, LOG_PID | LOG_NDELAY, facility);
	log_syslog = 1;
}

/* log_close - flush and close */
void
log_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	if (log_syslog)
		closelog();
	log_syslog = 0;
}

/* log_emit - format and write one line */
static void
log_emit(int prio, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int n = vsnprintf(line, sizeof(line), fmt, ap);

	if (n < 0)
		return;
	for (char *p = line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	if (log_fd >= 0) {
		char stamp[32], out[LOG_LINE_MAX + 128];
		time_t now = time(NULL);
		struct tm tm;
		int len;

		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		len = snprintf(out, sizeof(out), "%s %s[%ld]: %s%s\n", stamp,
		    log_ident, (long)getpid(),
		    prio == LOG_WARNING ? "warning: " : "", line);
		if (len > 0)
			(void)io_write_all(log_fd, out,
			    (size_t)len < sizeof(out) ? (size_t)len :
			    sizeof(out) - 1);
		return;
	}
	if (!log_syslog) {
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
		log_syslog = 1;
	}
	syslog(prio, "%s%s", prio == LOG_WARNING ? "warning: " : "", line);
}

/* log_info - one informational line */
void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, fmt, ap);
	va_end(ap);
}

/* log_warn - a warning: something was skipped or will be retried */
void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, fmt, ap);
	va_end(ap);
}
