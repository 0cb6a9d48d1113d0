#ifndef DEPUTY_PLUGIN_RUN_H
#define DEPUTY_PLUGIN_RUN_H

/*
 * NAME
 *	plugin-run - run one program for the Sieve plugin, feed it, reap it
 * SUMMARY
 *	plugin_run() starts ARGV[0] with execve (no shell, no PATH search),
 *	a one-variable environment (PATH=/usr/sbin:/usr/bin:/sbin:/bin),
 *	stdin a pipe fed from the caller's reader, stdout /dev/null,
 *	stderr a pipe read back, and every other descriptor closed. It
 *	waits for the exit within TIMEOUT seconds counted from the start;
 *	a child still running then is killed with SIGKILL and reaped.
 *
 *	This unit includes no Dovecot header: the Sieve glue
 *	(deputy-plugin.c) supplies the reader over a Dovecot istream, and
 *	the unit test drives it with plain buffers.
 * DIAGNOSTICS
 *	0 when the child ran and exited with status 0. -1 otherwise, and
 *	RES says why: res->error for a failure of our own (pipe, fork, a
 *	read error of the message), res->timed_out, res->signal, or
 *	res->exit_code; res->stderr_line holds the child's last non-empty
 *	line of standard error, control characters replaced by spaces.
 * SECURITY
 *	The caller puts untrusted values only as whole argv words after the
 *	option that takes them, and "--" before the recipient, so no value
 *	can become an option. The child dies with its parent
 *	(PR_SET_PDEATHSIG), so a killed dovecot-lda leaves nothing behind.
 */

#include <stddef.h>
#include <sys/types.h>

#define PLUGIN_RUN_LINE_MAX	512
#define PLUGIN_RUN_ERROR_MAX	256

/* The reader: next() gives the next chunk in *data_r and *size_r, valid
 * until consume().
 * Returns 1 with data, 0 at the end of the message, -1 on a read error
 * (with a reason in error_r, at most PLUGIN_RUN_ERROR_MAX bytes). */
struct plugin_run_reader {
	int (*next)(void *ctx, const unsigned char **data_r, size_t *size_r,
		    char *error_r);
	void (*consume)(void *ctx, size_t size);
	void *ctx;
};

struct plugin_run_result {
	int exit_code;			/* -1 unless the child exited */
	int signal;			/* 0 unless killed by a signal */
	int timed_out;			/* killed by us at the deadline */
	int input_short;		/* exited before reading everything */
	char stderr_line[PLUGIN_RUN_LINE_MAX];
	char error[PLUGIN_RUN_ERROR_MAX];	/* our own failure, or "" */
};

/* plugin_run - run ARGV with the message from READER, within TIMEOUT s */
int plugin_run(const char *const *argv, const struct plugin_run_reader *reader,
	       unsigned int timeout, struct plugin_run_result *res);

#endif
