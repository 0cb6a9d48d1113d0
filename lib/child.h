#ifndef DEPUTY_CHILD_H
#define DEPUTY_CHILD_H

/*
 * NAME
 *	child - run one program, feed it the message, reap it
 * SUMMARY
 *	child_run() starts ARGV[0] with execve (no shell, no PATH search)
 *	and a one-variable environment (PATH=/usr/sbin:/usr/bin:/sbin:/bin).
 *	Its stdin is a pipe fed from the caller's reader, its stdout
 *	/dev/null, its stderr a pipe read back (the last CHILD_STDERR_KEEP
 *	bytes are kept); every other descriptor is closed, every signal
 *	is reset to its default and unblocked, and the child dies with
 *	its parent (PR_SET_PDEATHSIG). The run ends within TIMEOUT
 *	seconds counted from the start: a child still running then is
 *	killed with SIGKILL and reaped.
 *
 *	Plain C and libc only, and no config.h: deputy's programs link it
 *	from libutil.a, and the Sieve plugin (a shared object loaded into
 *	dovecot-lda or LMTP) compiles it in with its own flags.
 *
 *	One child at a time per process: child_abort() kills the one that
 *	is running.
 * DIAGNOSTICS
 *	child_run() returns 0 when the child ran and exited with status 0
 *	(RES->input_short may still be set: the caller decides whether a
 *	child that stopped reading early has failed). -1 otherwise, and
 *	RES says why: RES->error for a failure of our own (a pipe, the
 *	fork, the reader), RES->timed_out, RES->signal, or RES->exit_code.
 *	A program that cannot be executed exits 127 with the stderr line
 *	"execve PATH: REASON". RES->stderr_line is the child's last
 *	non-empty line of standard error, trimmed, with control
 *	characters replaced by spaces ("" when it said nothing).
 * SECURITY
 *	The caller puts untrusted values only as whole argv words after
 *	the option that takes them, and "--" before recipients, so no
 *	value can become an option. Nothing global changes for longer than
 *	the call: SIGPIPE is blocked in the calling thread while the pipe
 *	is written (a pending one is consumed), all signals are blocked
 *	only around vfork(), and the disposition of every signal is left
 *	as the caller had it.
 */

#include <stddef.h>

#define CHILD_LINE_MAX		512	/* RES->stderr_line, with its NUL */
#define CHILD_ERROR_MAX		256	/* RES->error, and a reader's error */
#define CHILD_STDERR_KEEP	4096	/* the tail of stderr that is kept */

/* child_run() flags */
#define CHILD_NO_PIDFD		0x01	/* wait by polling waitid(), as on a
					 * kernel without pidfd_open: tests,
					 * and the Sieve plugin (valgrind
					 * 3.19 warns about pidfd_open) */

/*
 * The reader: next() gives the next chunk in *data_r and *size_r, valid
 * until consume() (which says how much of it was written; next() is
 * then asked again, for the rest or the next chunk). Returns 1 with
 * data, 0 at the end of the message, -1 on a read error with a reason
 * in ERROR_R (CHILD_ERROR_MAX bytes). A NULL reader is an empty stdin.
 */
struct child_reader {
	int (*next)(void *ctx, const unsigned char **data_r, size_t *size_r,
		    char *error_r);
	void (*consume)(void *ctx, size_t size);
	void *ctx;
};

struct child_result {
	int exit_code;			/* -1 unless the child exited */
	int signal;			/* 0 unless killed by a signal */
	int timed_out;			/* killed by us at the deadline */
	int input_short;		/* stopped reading before the end */
	char stderr_line[CHILD_LINE_MAX];
	char error[CHILD_ERROR_MAX];	/* our own failure, or "" */
};

/* child_run - run ARGV with the message from READER, within TIMEOUT s */
int child_run(const char *const *argv, const struct child_reader *reader,
	      unsigned int timeout, unsigned int flags,
	      struct child_result *res);

/* child_abort - SIGKILL to the running child, if any; async-signal-safe */
void child_abort(void);

#endif
