/*
 * NAME
 *	plugin-run - run one program for the Sieve plugin, feed it, reap it
 * SUMMARY
 *	See plugin-run.h. The process is the one Pigeonhole runs the Sieve
 *	script in (dovecot-lda, LMTP): single-threaded, with Dovecot's own
 *	signal handlers. So this unit changes nothing global for longer
 *	than one call: SIGPIPE is ignored while the pipe is written and
 *	put back afterwards, and the child resets every signal it could
 *	have inherited as ignored or blocked before it executes.
 * BUGS
 *	A child that forks a grandchild holding stderr open keeps the
 *	stderr pipe readable after its own exit; the wait ends on the
 *	child's exit all the same.
 */

#define _GNU_SOURCE		/* close_range(2) in glibc's unistd.h */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "plugin-run.h"

#define RUN_STDERR_KEEP	4096	/* the tail of the child's stderr we keep */
#define RUN_WAIT_SLICE	50	/* ms between checks for the child's exit */

struct run_state {
	pid_t pid;
	int in_fd;			/* parent's end of the child's stdin */
	int err_fd;			/* parent's end of the child's stderr */
	long long deadline;		/* CLOCK_MONOTONIC, ms */
	char err[RUN_STDERR_KEEP];
	size_t err_len;
};

/* run_now_ms - monotonic milliseconds */
static long long
run_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* run_left_ms - milliseconds until the deadline, 0 when passed */
static int
run_left_ms(const struct run_state *st)
{
	long long left = st->deadline - run_now_ms();

	if (left <= 0)
		return 0;
	return left > 1000 ? 1000 : (int)left;
}

/* run_set_error - our own failure, formatted into RES */
static void __attribute__((format(printf, 2, 3)))
run_set_error(struct plugin_run_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(res->error, sizeof(res->error), fmt, ap);
	va_end(ap);
}

/* run_child_fd - in the child: FD moved to at least 3, or -1 */
static int
run_child_fd(int fd)
{
	return fcntl(fd, F_DUPFD, 3);
}

/* run_child - in the child: descriptors, signals, then execve */
static void __attribute__((noreturn))
run_child(const char *const *argv, int in_fd, int err_fd)
{
	static char *const envp[] = {
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL
	};
	sigset_t none;
	int in, err, devnull;

#ifdef __linux__
	/* Die with the delivery process: nothing runs on behind its back. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() == 1)
		_exit(127);
#endif
	/* An ignored signal stays ignored across execve: reset them all
	 * (the ones the C library reserves just refuse). */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)signal(sig, SIG_DFL);
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	/* Out of the 0..2 range first: the parent may have had any of
	 * those closed, so a pipe end can sit where another must go. */
	in = run_child_fd(in_fd);
	err = run_child_fd(err_fd);
	devnull = open("/dev/null", O_WRONLY);
	if (in < 0 || err < 0 || devnull < 0)
		_exit(127);
	devnull = run_child_fd(devnull);
	if (devnull < 0 || dup2(in, 0) != 0 || dup2(devnull, 1) != 1 ||
	    dup2(err, 2) != 2)
		_exit(127);
	/* One system call, not one per possible descriptor. */
	if (close_range(3, ~0U, 0) != 0) {
		long maxfd = sysconf(_SC_OPEN_MAX);

		if (maxfd < 0 || maxfd > 65536)
			maxfd = 65536;
		for (int fd = 3; fd < maxfd; fd++)
			(void)close(fd);
	}
	execve(argv[0], (char *const *)argv, envp);
	dprintf(2, "execve %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* run_take_stderr - read what the child wrote to stderr, keep the tail;
 * returns 1 after data, 2 when none is there now, 0 at the end */
static int
run_take_stderr(struct run_state *st)
{
	char buf[1024];
	ssize_t n;

	_Static_assert(sizeof(buf) < RUN_STDERR_KEEP, "stderr chunk");

	if (st->err_fd < 0)
		return 0;
	n = read(st->err_fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 2;
	if (n < 0) {
		(void)close(st->err_fd);
		st->err_fd = -1;
		return 0;
	}
	if (n == 0) {
		(void)close(st->err_fd);
		st->err_fd = -1;
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

/* run_last_line - the child's last non-empty stderr line into RES */
static void
run_last_line(const struct run_state *st, struct plugin_run_result *res)
{
	size_t end = st->err_len, start, len;

	/* Skip trailing line ends and blanks, then find the line start. */
	while (end > 0 && (st->err[end - 1] == '\n' ||
			   st->err[end - 1] == '\r' ||
			   st->err[end - 1] == ' ' || st->err[end - 1] == '\t'))
		end--;
	start = end;
	while (start > 0 && st->err[start - 1] != '\n')
		start--;
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

/* run_feed - write the whole message to the child's stdin; returns 0
 * when it was written or the child stopped reading, -1 on our error or
 * the deadline */
static int
run_feed(struct run_state *st, const struct plugin_run_reader *reader,
	 struct plugin_run_result *res)
{
	const unsigned char *data = NULL;
	size_t size = 0;

	for (;;) {
		struct pollfd pfd[2];
		int n, ret;

		if (size == 0) {
			char why[PLUGIN_RUN_ERROR_MAX] = "";

			ret = reader->next(reader->ctx, &data, &size, why);
			if (ret < 0) {
				run_set_error(res, "reading the message: %s",
					      why[0] != '\0' ? why : "failed");
				return -1;
			}
			if (ret == 0)
				return 0;
			if (size == 0)
				continue;
		}
		if (run_left_ms(st) == 0) {
			res->timed_out = 1;
			return -1;
		}
		pfd[0].fd = st->in_fd;
		pfd[0].events = POLLOUT;
		pfd[0].revents = 0;
		pfd[1].fd = st->err_fd;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		n = poll(pfd, 2, run_left_ms(st));
		if (n < 0 && errno != EINTR) {
			run_set_error(res, "poll: %s", strerror(errno));
			return -1;
		}
		if (n <= 0)
			continue;
		if (pfd[1].revents != 0)
			(void)run_take_stderr(st);
		if (pfd[0].revents & POLLOUT) {
			ssize_t w = write(st->in_fd, data, size);

			if (w < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (w < 0 && errno == EPIPE) {
				res->input_short = 1;
				return 0;
			}
			if (w < 0) {
				run_set_error(res, "write to the child: %s",
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

/* run_reap - wait for the exit until the deadline, reading stderr;
 * returns 0 with *status_r, or -1 (deadline, or the child is gone) */
static int
run_reap(struct run_state *st, int *status_r, struct plugin_run_result *res)
{
	for (;;) {
		pid_t got = waitpid(st->pid, status_r, WNOHANG);

		if (got == st->pid)
			return 0;
		if (got < 0 && errno != EINTR) {
			run_set_error(res, "waitpid: %s", strerror(errno));
			st->pid = -1;
			return -1;
		}
		if (run_left_ms(st) == 0) {
			res->timed_out = 1;
			return -1;
		}
		if (st->err_fd >= 0) {
			struct pollfd pfd = { st->err_fd, POLLIN, 0 };
			int slice = run_left_ms(st);

			if (slice > RUN_WAIT_SLICE)
				slice = RUN_WAIT_SLICE;
			if (poll(&pfd, 1, slice) > 0)
				(void)run_take_stderr(st);
		} else {
			struct timespec ts = { 0, 5 * 1000000L };

			(void)nanosleep(&ts, NULL);
		}
	}
}

/* run_kill - kill the child and reap it, after a deadline or our error */
static void
run_kill(struct run_state *st)
{
	int status;

	if (st->pid <= 0)
		return;
	(void)kill(st->pid, SIGKILL);
	while (waitpid(st->pid, &status, 0) < 0 && errno == EINTR)
		;
	st->pid = -1;
}

/* run_start - pipes and fork; 0 in the parent, -1 with RES set */
static int
run_start(const char *const *argv, struct run_state *st,
	  struct plugin_run_result *res)
{
	int in_pipe[2], err_pipe[2];

	if (pipe2(in_pipe, O_CLOEXEC) != 0) {
		run_set_error(res, "pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(err_pipe, O_CLOEXEC) != 0) {
		run_set_error(res, "pipe: %s", strerror(errno));
		(void)close(in_pipe[0]);
		(void)close(in_pipe[1]);
		return -1;
	}
	st->pid = fork();
	if (st->pid < 0) {
		run_set_error(res, "fork: %s", strerror(errno));
		(void)close(in_pipe[0]);
		(void)close(in_pipe[1]);
		(void)close(err_pipe[0]);
		(void)close(err_pipe[1]);
		return -1;
	}
	if (st->pid == 0)
		run_child(argv, in_pipe[0], err_pipe[1]);
	(void)close(in_pipe[0]);
	(void)close(err_pipe[1]);
	st->in_fd = in_pipe[1];
	st->err_fd = err_pipe[0];
	(void)fcntl(st->in_fd, F_SETFL, O_NONBLOCK);
	(void)fcntl(st->err_fd, F_SETFL, O_NONBLOCK);
	return 0;
}

/* plugin_run - run ARGV with the message from READER, within TIMEOUT s */
int
plugin_run(const char *const *argv, const struct plugin_run_reader *reader,
	   unsigned int timeout, struct plugin_run_result *res)
{
	struct run_state st;
	struct sigaction ign, old_pipe;
	int status = 0, ok;

	memset(res, 0, sizeof(*res));
	res->exit_code = -1;
	memset(&st, 0, sizeof(st));
	st.pid = -1;
	st.in_fd = st.err_fd = -1;
	st.deadline = run_now_ms() + (long long)timeout * 1000;

	if (argv == NULL || argv[0] == NULL || argv[0][0] != '/') {
		run_set_error(res, "the program path must be absolute");
		return -1;
	}
	/* EPIPE instead of a signal when the child stops reading. */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	(void)sigemptyset(&ign.sa_mask);
	(void)sigaction(SIGPIPE, &ign, &old_pipe);

	if (run_start(argv, &st, res) != 0) {
		(void)sigaction(SIGPIPE, &old_pipe, NULL);
		return -1;
	}
	ok = run_feed(&st, reader, res) == 0;
	(void)close(st.in_fd);
	st.in_fd = -1;
	if (ok)
		ok = run_reap(&st, &status, res) == 0;
	if (!ok)
		run_kill(&st);
	(void)sigaction(SIGPIPE, &old_pipe, NULL);

	/* Whatever it said last before it exited or was killed; bounded,
	 * in case a grandchild holds the pipe and goes on writing. */
	for (int i = 0; i < 64 && run_take_stderr(&st) == 1; i++)
		;
	if (st.err_fd >= 0)
		(void)close(st.err_fd);
	run_last_line(&st, res);
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
