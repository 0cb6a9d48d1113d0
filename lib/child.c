/*
 * NAME
 *	child - run one program, feed it the message, reap it
 * SUMMARY
 *	See child.h. Two callers: the engine hands forwards and notices
 *	to sendmail(1) (gateway/submit.c), and the Sieve plugin runs
 *	deputy-lda --sieve-vacation inside dovecot-lda or LMTP, a process
 *	that is not ours and has its own signal handlers.
 *
 *	The child is started with vfork(): nothing of a large parent
 *	(deputyd) is copied for the few system calls before execve. All
 *	signals are blocked around vfork(), so that no handler of the
 *	parent's runs in the child while it shares the parent's memory;
 *	the child puts every disposition back to the default before it
 *	unblocks them. Between vfork() and execve the child makes system
 *	calls only: no allocation, no stdio, no lock, and it writes none
 *	of the parent's memory. When it cannot execute the program it
 *	writes the failed step and its errno down a close-on-exec pipe
 *	(whose end at exec says that all went well), and the parent words
 *	the reason. A pipe, not memory the two share: where vfork() is a
 *	plain fork() (valgrind), the reason must still arrive.
 *
 *	The child's exit is seen with waitid(WNOWAIT) before it is
 *	reaped, and the pid that child_abort() kills is cleared in
 *	between: a signal handler never kills a pid that may have been
 *	reused. A pidfd wakes the wait at the exit; without one (an old
 *	kernel, or CHILD_NO_PIDFD) the wait polls, 1 ms doubling to 32 ms.
 * BUGS
 *	A child that forks a grandchild holding stderr open keeps the
 *	stderr pipe readable after its own exit; the wait ends on the
 *	child's exit all the same, and what was left in the pipe is read
 *	without waiting.
 *
 *	A process-directed SIGPIPE sent by someone else while the pipe is
 *	written is taken for ours and consumed.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* close_range(2), pipe2(2) */
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"

#define CHILD_POLL_MAX	1000	/* ms: the longest single poll() */
#define CHILD_NAP_MAX	32	/* ms: the longest wait without a pidfd */
#define CHILD_DRAIN_MAX	64	/* reads of stderr after the end */

/* The child being fed, for child_abort() from a signal handler. */
static volatile sig_atomic_t child_running;

/* The steps before execve that can fail, for the parent's message. */
enum child_step {
	CHILD_STEP_NONE = 0,
	CHILD_STEP_PDEATHSIG,
	CHILD_STEP_FD,
	CHILD_STEP_EXEC
};

/* What the vfork()ed child needs; it only reads it. */
struct child_exec {
	const char *const *argv;
	pid_t parent;			/* the caller's pid */
	int in_fd, err_fd, null_fd;
	int status_fd;			/* why exec failed: step, errno */
};

struct child_state {
	pid_t pid;			/* -1 once reaped */
	int pidfd;			/* -1: none */
	int in_fd;			/* parent's end of the child's stdin */
	int err_fd;			/* parent's end of the child's stderr */
	long long deadline;		/* CLOCK_MONOTONIC, ms */
	int exec_step;			/* enum child_step, from the child */
	int exec_errno;
	char err[CHILD_STDERR_KEEP];
	size_t err_len;
};

/* child_abort - SIGKILL to the running child, if any; async-signal-safe */
void
child_abort(void)
{
	pid_t pid = (pid_t)child_running;

	if (pid > 0)
		(void)kill(pid, SIGKILL);
}

/* child_now_ms - monotonic milliseconds */
static long long
child_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* child_left_ms - milliseconds until the deadline (at most one poll's
 * worth), 0 when it has passed */
static int
child_left_ms(const struct child_state *st)
{
	long long left = st->deadline - child_now_ms();

	if (left <= 0)
		return 0;
	return left > CHILD_POLL_MAX ? CHILD_POLL_MAX : (int)left;
}

/* child_set_error - our own failure, formatted into RES */
static void __attribute__((format(printf, 2, 3)))
child_set_error(struct child_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(res->error, sizeof(res->error), fmt, ap);
	va_end(ap);
}

/* child_close - close *FD if open, and mark it closed */
static void
child_close(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

/* child_exec_fail - in the child: STEP and errno down FD, exit 127 */
static void __attribute__((noreturn))
child_exec_fail(int fd, enum child_step step)
{
	int why[2] = { step, errno };

	if (write(fd, why, sizeof(why)) < 0) {
		/* the parent sees exit 127 all the same */
	}
	_exit(127);
}

/*
 * child_exec - in the vfork()ed child: die with the parent, signals
 * back to their defaults, descriptors 0, 1, 2 and nothing else, then
 * execve. System calls only.
 */
static void __attribute__((noreturn))
child_exec(const struct child_exec *ce)
{
	static char *const envp[] = {
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL
	};
	static const struct sigaction dfl;	/* SIG_DFL, no flags */
	sigset_t none;
	int status = ce->status_fd, in, err, out;

	/* Die with the parent: a killed run must not leave a forward or a
	 * vacation that completes behind its back and is then repeated by
	 * the retry. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
		child_exec_fail(status, CHILD_STEP_PDEATHSIG);
	if (getppid() != ce->parent)	/* gone before we asked */
		_exit(127);
	/* An ignored signal stays ignored across execve, a handled one
	 * would run the parent's code here: reset them all (the ones the
	 * C library reserves just refuse), then unblock. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &dfl, NULL);
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	/* Out of the 0..2 range first: the parent may have had any of
	 * those closed, so a pipe end can sit where another must go. */
	if ((status = fcntl(status, F_DUPFD_CLOEXEC, 3)) < 0)
		child_exec_fail(ce->status_fd, CHILD_STEP_FD);
	in = fcntl(ce->in_fd, F_DUPFD, 3);
	err = fcntl(ce->err_fd, F_DUPFD, 3);
	out = fcntl(ce->null_fd, F_DUPFD, 3);
	if (in < 0 || err < 0 || out < 0 || dup2(in, 0) != 0 ||
	    dup2(out, 1) != 1 || dup2(err, 2) != 2)
		child_exec_fail(status, CHILD_STEP_FD);
	/* The status pipe at 3 (close-on-exec), then nothing above it. */
	if (status != 3 && dup3(status, 3, O_CLOEXEC) != 3)
		child_exec_fail(status, CHILD_STEP_FD);
	status = 3;
	/* One system call, not one per possible descriptor. */
	if (close_range(4, ~0U, 0) != 0) {
		long maxfd = sysconf(_SC_OPEN_MAX);

		if (maxfd < 0 || maxfd > 65536)
			maxfd = 65536;
		for (int fd = 4; fd < maxfd; fd++)
			(void)close(fd);
	}
	execve(ce->argv[0], (char *const *)ce->argv, envp);
	child_exec_fail(status, CHILD_STEP_EXEC);
}

/* child_vfork - vfork and run CE in the child; the parent resumes once
 * the child has executed or exited. Nothing else in this frame, so
 * that nothing of it can be clobbered. */
static pid_t __attribute__((noinline))
child_vfork(const struct child_exec *ce)
{
	pid_t pid = vfork();

	if (pid == 0)
		child_exec(ce);
	return pid;
}

/* child_start - pipes, /dev/null and the child; 0 in the parent (the
 * child may have failed to execute: ST says), -1 with RES set */
static int
child_start(const char *const *argv, unsigned int flags,
	    struct child_state *st, struct child_result *res)
{
	/* stdin, stderr, exec status: read end, write end */
	int fds[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
	struct child_exec ce;
	sigset_t all, old;
	int why[2], saved;
	ssize_t n;

	memset(&ce, 0, sizeof(ce));
	ce.null_fd = -1;
	if (pipe2(fds[0], O_CLOEXEC) != 0 || pipe2(fds[1], O_CLOEXEC) != 0 ||
	    pipe2(fds[2], O_CLOEXEC) != 0) {
		child_set_error(res, "pipe: %s", strerror(errno));
		goto fail;
	}
	if ((ce.null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
		child_set_error(res, "/dev/null: %s", strerror(errno));
		goto fail;
	}
	ce.argv = argv;
	ce.parent = getpid();
	ce.in_fd = fds[0][0];
	ce.err_fd = fds[1][1];
	ce.status_fd = fds[2][1];

	(void)sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, &old);
	st->pid = child_vfork(&ce);
	saved = errno;
	if (st->pid > 0)
		child_running = st->pid;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (st->pid < 0) {
		child_set_error(res, "vfork: %s", strerror(saved));
		goto fail;
	}
	child_close(&ce.null_fd);
	child_close(&fds[0][0]);
	child_close(&fds[1][1]);
	child_close(&fds[2][1]);

	/* The end of the status pipe is the exec; two ints, its failure. */
	while ((n = read(fds[2][0], why, sizeof(why))) < 0 && errno == EINTR)
		;
	child_close(&fds[2][0]);
	if (n == (ssize_t)sizeof(why) && why[0] != CHILD_STEP_NONE) {
		st->exec_step = why[0];
		st->exec_errno = why[1];
	}
	st->in_fd = fds[0][1];
	st->err_fd = fds[1][0];
	(void)fcntl(st->in_fd, F_SETFL, O_NONBLOCK);
	(void)fcntl(st->err_fd, F_SETFL, O_NONBLOCK);
#ifdef SYS_pidfd_open
	if ((flags & CHILD_NO_PIDFD) == 0)
		st->pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
#else
	(void)flags;
#endif
	return 0;

fail:
	child_close(&ce.null_fd);
	for (int i = 0; i < 3; i++) {
		child_close(&fds[i][0]);
		child_close(&fds[i][1]);
	}
	return -1;
}

/* child_take_stderr - read what the child wrote to stderr, keep the
 * tail; returns 1 after data, 2 when none is there now, 0 at the end */
static int
child_take_stderr(struct child_state *st)
{
	char buf[1024];
	ssize_t n;

	_Static_assert(sizeof(buf) < CHILD_STDERR_KEEP, "stderr chunk");

	if (st->err_fd < 0)
		return 0;
	n = read(st->err_fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 2;
	if (n <= 0) {
		child_close(&st->err_fd);
		return 0;
	}
	/* buf is smaller than err: keep the newest bytes, where the
	 * reason is (the last line). */
	if (st->err_len + (size_t)n > sizeof(st->err)) {
		size_t drop = st->err_len + (size_t)n - sizeof(st->err);

		memmove(st->err, st->err + drop, st->err_len - drop);
		st->err_len -= drop;
	}
	memcpy(st->err + st->err_len, buf, (size_t)n);
	st->err_len += (size_t)n;
	return 1;
}

/* child_is_blank - a byte that ends or pads a line */
static int
child_is_blank(char c)
{
	return c == '\n' || c == '\r' || c == ' ' || c == '\t';
}

/* child_last_line - the last non-empty stderr line into RES, trimmed,
 * control characters replaced by spaces */
static void
child_last_line(const struct child_state *st, struct child_result *res)
{
	size_t end = st->err_len, start, len;

	while (end > 0 && child_is_blank(st->err[end - 1]))
		end--;
	start = end;
	while (start > 0 && st->err[start - 1] != '\n')
		start--;
	while (start < end && child_is_blank(st->err[start]))
		start++;
	len = end - start;
	if (len >= sizeof(res->stderr_line))
		len = sizeof(res->stderr_line) - 1;
	memcpy(res->stderr_line, st->err + start, len);
	res->stderr_line[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)res->stderr_line[i] < 0x20 ||
		    res->stderr_line[i] == 0x7f)
			res->stderr_line[i] = ' ';
}

/* child_exec_line - why the program could not be executed, as the
 * child's last stderr line (exit 127, as a shell says it) */
static void
child_exec_line(const char *const *argv, const struct child_state *st,
		struct child_result *res)
{
	const char *what = st->exec_step == CHILD_STEP_EXEC ? "execve" :
	    st->exec_step == CHILD_STEP_FD ? "descriptors for" :
	    "parent-death signal for";

	(void)snprintf(res->stderr_line, sizeof(res->stderr_line),
	    "%s %s: %s", what, argv[0], strerror(st->exec_errno));
	for (char *p = res->stderr_line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

/* child_feed - write the whole message to the child's stdin; 0 when it
 * was written or the child stopped reading, -1 on our own error or at
 * the deadline */
static int
child_feed(struct child_state *st, const struct child_reader *reader,
	   struct child_result *res)
{
	const unsigned char *data = NULL;
	size_t size = 0;

	if (reader == NULL)
		return 0;
	for (;;) {
		struct pollfd pfd[2];
		int n, ret;

		if (size == 0) {
			char why[CHILD_ERROR_MAX] = "";

			ret = reader->next(reader->ctx, &data, &size, why);
			if (ret < 0) {
				child_set_error(res, "reading the message: %s",
				    why[0] != '\0' ? why : "failed");
				return -1;
			}
			if (ret == 0)
				return 0;
			if (size == 0)
				continue;
		}
		if (child_left_ms(st) == 0) {
			res->timed_out = 1;
			return -1;
		}
		pfd[0].fd = st->in_fd;
		pfd[0].events = POLLOUT;
		pfd[0].revents = 0;
		pfd[1].fd = st->err_fd;		/* ignored once -1 */
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		n = poll(pfd, 2, child_left_ms(st));
		if (n < 0 && errno != EINTR) {
			child_set_error(res, "poll: %s", strerror(errno));
			return -1;
		}
		if (n <= 0)
			continue;
		if (pfd[1].revents != 0)
			(void)child_take_stderr(st);
		if (pfd[0].revents & POLLOUT) {
			ssize_t w = write(st->in_fd, data, size);

			if (w < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (w < 0 && errno == EPIPE) {
				res->input_short = 1;
				return 0;
			}
			if (w < 0) {
				child_set_error(res, "write to the child: %s",
				    strerror(errno));
				return -1;
			}
			reader->consume(reader->ctx, (size_t)w);
			data += w;
			size -= (size_t)w;
		} else if (pfd[0].revents & (POLLERR | POLLHUP)) {
			/* The child closed its stdin: its exit status says
			 * whether that was all right. */
			res->input_short = 1;
			return 0;
		}
	}
}

/* child_collect - the child has exited: take it off child_abort()'s
 * hands, then reap it; 0 with *STATUS_R, -1 with RES set */
static int
child_collect(struct child_state *st, int *status_r, struct child_result *res)
{
	child_running = 0;
	while (waitpid(st->pid, status_r, 0) < 0) {
		if (errno != EINTR) {
			child_set_error(res, "waitpid: %s", strerror(errno));
			st->pid = -1;
			return -1;
		}
	}
	st->pid = -1;
	return 0;
}

/* child_reap - wait for the exit until the deadline, reading stderr;
 * 0 with *STATUS_R, or -1 (the deadline, or the child is gone) */
static int
child_reap(struct child_state *st, int *status_r, struct child_result *res)
{
	int nap = 1;

	for (;;) {
		struct pollfd pfd[2];
		nfds_t n = 0;
		siginfo_t si;
		int left;

		/* Exited? Look without reaping: the pid stays ours (and
		 * child_abort()'s) until child_collect(). */
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)st->pid, &si,
		    WEXITED | WNOHANG | WNOWAIT) != 0) {
			if (errno == EINTR)
				continue;
			child_set_error(res, "waitid: %s", strerror(errno));
			child_running = 0;
			st->pid = -1;
			return -1;
		}
		if (si.si_pid == st->pid)
			return child_collect(st, status_r, res);
		left = child_left_ms(st);
		if (left == 0) {
			res->timed_out = 1;
			return -1;
		}
		if (st->err_fd >= 0) {
			pfd[n].fd = st->err_fd;
			pfd[n++].events = POLLIN;
		}
		if (st->pidfd >= 0) {
			pfd[n].fd = st->pidfd;
			pfd[n++].events = POLLIN;
		} else if (left > nap) {
			left = nap;
			nap = nap * 2 > CHILD_NAP_MAX ? CHILD_NAP_MAX :
			    nap * 2;
		}
		for (nfds_t i = 0; i < n; i++)
			pfd[i].revents = 0;
		/* The end of stderr is most often the exit: look again
		 * soon after it. */
		if (poll(pfd, n, left) > 0 && st->err_fd >= 0 &&
		    pfd[0].revents != 0 && child_take_stderr(st) == 0)
			nap = 1;
	}
}

/* child_kill - kill the child and reap it, at the deadline or after our
 * own error */
static void
child_kill(struct child_state *st)
{
	int status;

	if (st->pid <= 0)
		return;
	(void)kill(st->pid, SIGKILL);
	child_running = 0;
	while (waitpid(st->pid, &status, 0) < 0 && errno == EINTR)
		;
	st->pid = -1;
}

/* child_sigpipe_block - EPIPE instead of a signal, in this thread only;
 * *PENDING_R: a SIGPIPE was pending already (not ours to consume) */
static void
child_sigpipe_block(sigset_t *old_r, int *pending_r)
{
	sigset_t set, pending;

	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGPIPE);
	(void)sigprocmask(SIG_BLOCK, &set, old_r);
	(void)sigemptyset(&pending);
	(void)sigpending(&pending);
	*pending_r = sigismember(&pending, SIGPIPE) == 1;
}

/* child_sigpipe_restore - consume the SIGPIPE our writes raised, put
 * the caller's mask back */
static void
child_sigpipe_restore(const sigset_t *old, int was_pending)
{
	static const struct timespec zero;
	sigset_t set, pending;

	(void)sigemptyset(&pending);
	if (!was_pending && sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGPIPE) == 1) {
		(void)sigemptyset(&set);
		(void)sigaddset(&set, SIGPIPE);
		while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	(void)sigprocmask(SIG_SETMASK, old, NULL);
}

/* child_run - run ARGV with the message from READER, within TIMEOUT s */
int
child_run(const char *const *argv, const struct child_reader *reader,
	  unsigned int timeout, unsigned int flags, struct child_result *res)
{
	struct child_state st;
	sigset_t old_mask;
	int status = 0, pipe_pending, ok;

	memset(res, 0, sizeof(*res));
	res->exit_code = -1;
	memset(&st, 0, sizeof(st));
	st.pid = -1;
	st.pidfd = st.in_fd = st.err_fd = -1;
	st.deadline = child_now_ms() + (long long)timeout * 1000;

	if (argv == NULL || argv[0] == NULL || argv[0][0] != '/') {
		child_set_error(res, "the program path must be absolute");
		return -1;
	}
	child_sigpipe_block(&old_mask, &pipe_pending);
	if (child_start(argv, flags, &st, res) != 0) {
		child_sigpipe_restore(&old_mask, pipe_pending);
		return -1;
	}
	/* A child that could not execute has exited already. */
	ok = st.exec_step != CHILD_STEP_NONE ||
	    child_feed(&st, reader, res) == 0;
	/* Killed before its stdin closes: a half-fed child must not see
	 * the end of a message that did not end. */
	if (!ok)
		child_kill(&st);
	child_close(&st.in_fd);
	if (ok)
		ok = child_reap(&st, &status, res) == 0;
	if (!ok)
		child_kill(&st);
	child_close(&st.pidfd);
	child_sigpipe_restore(&old_mask, pipe_pending);

	/* Whatever it said last before it exited or was killed; bounded,
	 * in case a grandchild holds the pipe and goes on writing. */
	for (int i = 0; i < CHILD_DRAIN_MAX && child_take_stderr(&st) == 1;
	     i++)
		;
	child_close(&st.err_fd);
	child_last_line(&st, res);
	if (st.exec_step != CHILD_STEP_NONE)
		child_exec_line(argv, &st, res);
	if (!ok)
		return -1;
	if (WIFEXITED(status)) {
		res->exit_code = WEXITSTATUS(status);
		return res->exit_code == 0 ? 0 : -1;
	}
	if (WIFSIGNALED(status))
		res->signal = WTERMSIG(status);
	return -1;
}
