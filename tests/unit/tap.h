#ifndef DEPUTY_TAP_H
#define DEPUTY_TAP_H

/*
 * NAME
 *	tap - minimal Test Anything Protocol output for unit tests
 * SUMMARY
 *	tap_ok(cond, fmt, ...) prints "ok N - ..." or "not ok N - ...";
 *	tap_skip(reason) prints a skipped test; tap_done() prints the plan
 *	and returns the exit status for main(). automake's tap-driver.sh
 *	counts every line, so a run that executed nothing is visible.
 */

#include <stdarg.h>
#include <stdio.h>

static unsigned int tap_count;
static unsigned int tap_failed;

static void __attribute__((format(printf, 2, 3)))
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %u - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void __attribute__((unused, format(printf, 1, 2)))
tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void __attribute__((unused))
tap_skip(const char *reason)
{
	tap_count++;
	printf("ok %u # SKIP %s\n", tap_count, reason);
}

static int
tap_done(void)
{
	printf("1..%u\n", tap_count);
	return tap_failed == 0 ? 0 : 1;
}

#endif
