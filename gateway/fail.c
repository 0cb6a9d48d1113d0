/*
 * NAME
 *	fail - the failure class table
 * SUMMARY
 *	See fail.h. The LMTP codes follow RFC 2033 and RFC 3463: 451 for
 *	local processing errors, 452 for a full disk, 421-style faults are
 *	the server's (deputyd closes the connection itself).
 */

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <glib.h>

#include "fail.h"

static const struct fail_info fail_table[FAIL_COUNT] = {
	[FAIL_NONE] =		{ "ok", "2.0.0", 0, 250, 0 },
	[FAIL_CONFIG] =		{ "config", "4.3.5", EX_TEMPFAIL, 451, 2 },
	[FAIL_USAGE] =		{ "usage", "4.3.5", EX_TEMPFAIL, 451, 2 },
	[FAIL_INPUT] =		{ "input", "4.3.0", EX_TEMPFAIL, 451, 3 },
	[FAIL_SPOOL] =		{ "spool", "4.3.0", EX_TEMPFAIL, 452, 3 },
	[FAIL_DIRECTORY] =	{ "directory", "4.4.3", EX_TEMPFAIL, 451, 3 },
	[FAIL_MAILBOX] =	{ "mailbox", "4.3.0", EX_TEMPFAIL, 452, 3 },
	[FAIL_SUBMIT] =		{ "submit", "4.3.0", EX_TEMPFAIL, 451, 3 },
	[FAIL_SECRET] =		{ "secret", "4.3.5", EX_TEMPFAIL, 451, 2 },
	[FAIL_RESOURCE] =	{ "resource", "4.3.0", EX_TEMPFAIL, 452, 3 },
	[FAIL_DEADLINE] =	{ "deadline", "4.4.7", EX_TEMPFAIL, 451, 3 },
	[FAIL_SIGNAL] =		{ "signal", "4.3.0", EX_TEMPFAIL, 451, 3 },
	[FAIL_INTERNAL] =	{ "internal", "4.3.0", EX_TEMPFAIL, 451, 3 },
};

/* fail_info - the row of CLASS */
const struct fail_info *
fail_info(enum fail_class class)
{
	if ((int)class < 0 || class >= FAIL_COUNT)
		class = FAIL_INTERNAL;
	return &fail_table[class];
}

/* fail_name - the stable name of CLASS */
const char *
fail_name(enum fail_class class)
{
	return fail_info(class)->name;
}

static char fail_oom_line[128];

/* fail_on_oom - GLib's allocator failed: a temporary failure, never abort */
static void
fail_on_oom(const gchar *domain, GLogLevelFlags level, const gchar *message,
	    gpointer data)
{
	(void)domain;
	(void)data;
	(void)message;
	if ((level & G_LOG_FLAG_FATAL) == 0 && (level & G_LOG_LEVEL_ERROR) == 0)
		return;
	if (write(2, fail_oom_line, strlen(fail_oom_line)) < 0) {
		/* nothing more can be done */
	}
	_exit(EX_TEMPFAIL);
}

/* fail_oom_install - out of memory is a temporary failure */
void
fail_oom_install(const char *program)
{
	static int done;

	if (done)
		return;
	done = 1;
	(void)snprintf(fail_oom_line, sizeof(fail_oom_line),
	    "4.3.0 %s: out of memory\n", program);
	/* g_malloc() reports failure through g_error(): level ERROR, fatal */
	g_log_set_handler("GLib", G_LOG_LEVEL_ERROR | G_LOG_FLAG_FATAL,
	    fail_on_oom, NULL);
	g_log_set_handler(NULL, G_LOG_LEVEL_ERROR | G_LOG_FLAG_FATAL,
	    fail_on_oom, NULL);
}
