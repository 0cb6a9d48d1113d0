/*
 * NAME
 *	submit - hand a message to sendmail(1), no shell involved
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "submit.h"

#define SUBMIT_BUF	(64 * 1024)
#define SUBMIT_ERRMAX	512

/* The child being fed, for submit_abort() from a signal handler. */
static volatile sig_atomic_t submit_child_pid;

/* submit_abort - kill a running child; async-signal-safe */
void
submit_abort(void)
{
	if (submit_child_pid > 0)
		(void)kill((pid_t)submit_child_pid, SIGKILL);
}

/* submit_now_ms - monotonic milliseconds */
static gint64
submit_now_ms(void)
{
	return g_get_monotonic_time() / 1000;
}

/*
 * submit_child - in the vfork()ed child: descriptors, then exec. Only
 * system calls here: the child shares the parent's memory until execve,
 * so it must not allocate, write globals or touch stdio.
 */
static void __attribute__((noreturn))
submit_child(char *const *argv, int in_fd, int err_fd)
{
	static char *const envp[] = {
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL
	};
	static const char msg[] = "execve failed\n";
	struct sigaction sa;
	int devnull;

	/* Die with deputy: a killed run must not leave a forward that
	 * completes behind its back and is then repeated by the retry. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
		_exit(127);
	/* SIGPIPE is ignored in deputy; sendmail gets the default. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGPIPE, &sa, NULL);
	if (dup2(in_fd, 0) < 0 || dup2(err_fd, 2) < 0)
		_exit(127);
	devnull = open("/dev/null", O_WRONLY);
	if (devnull < 0 || dup2(devnull, 1) < 0)
		_exit(127);
	/* One system call, not one per possible descriptor. */
	if (close_range(3, ~0U, 0) != 0)
		for (int fd = 3; fd < 1024; fd++)
			(void)close(fd);
	execve(argv[0], argv, envp);
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing more can be done */
	}
	_exit(127);
}

/* submit_argv - "sendmail -i -f SENDER -- RECIPIENT..." */
static GPtrArray *
submit_argv(const struct submit_request *req)
{
	GPtrArray *argv = g_ptr_array_new();

	g_ptr_array_add(argv, (char *)req->sendmail);
	g_ptr_array_add(argv, "-i");
	g_ptr_array_add(argv, "-f");
	g_ptr_array_add(argv, (char *)req->sender);	/* "" is <> */
	g_ptr_array_add(argv, "--");
	for (const char *const *r = req->recipients; *r != NULL; r++)
		g_ptr_array_add(argv, (char *)*r);
	g_ptr_array_add(argv, NULL);
	return argv;
}

/* submit_feed - write prefix and body to the child within the deadline */
static int
submit_feed(const struct submit_request *req, int to_child, int from_err,
	    GString *err, gint64 deadline, char **error_r)
{
	char *buf = g_malloc(SUBMIT_BUF);
	const char *pending = req->prefix != NULL ? req->prefix : "";
	size_t pending_len = strlen(pending);
	off_t off = req->body_offset;
	int body_done = 0, rc = -1;

	for (;;) {
		struct pollfd pfd[2];
		gint64 left = deadline - submit_now_ms();
		int n;

		if (pending_len == 0 && !body_done) {
			ssize_t got = req->fd < 0 ? 0 :
			    pread(req->fd, buf, SUBMIT_BUF, off);

			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				*error_r = g_strdup_printf("read spool: %s",
				    g_strerror(errno));
				break;
			}
			if (got == 0) {
				body_done = 1;
				rc = 0;
				break;
			}
			off += got;
			pending = buf;
			pending_len = (size_t)got;
		}
		if (left <= 0) {
			*error_r = g_strdup_printf("%s: timed out after %u s",
			    req->sendmail, req->timeout);
			break;
		}
		pfd[0].fd = to_child;
		pfd[0].events = POLLOUT;
		pfd[1].fd = from_err;
		pfd[1].events = POLLIN;
		n = poll(pfd, 2, (int)MIN(left, 1000));
		if (n < 0 && errno != EINTR) {
			*error_r = g_strdup_printf("poll: %s", g_strerror(errno));
			break;
		}
		if (n <= 0)
			continue;
		if (pfd[1].revents & (POLLIN | POLLHUP)) {
			char eb[256];
			ssize_t e = read(from_err, eb, sizeof(eb));

			if (e > 0 && err->len < SUBMIT_ERRMAX)
				g_string_append_len(err, eb, e);
		}
		if (pfd[0].revents & (POLLERR | POLLHUP)) {
			*error_r = g_strdup_printf("%s closed its input early",
			    req->sendmail);
			break;
		}
		if (pfd[0].revents & POLLOUT) {
			ssize_t w = write(to_child, pending, pending_len);

			if (w < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (w < 0) {
				*error_r = g_strdup_printf("write to %s: %s",
				    req->sendmail, g_strerror(errno));
				break;
			}
			pending += w;
			pending_len -= (size_t)w;
		}
	}
	g_free(buf);
	return rc;
}

/*
 * submit_wait - drain stderr and reap the child within the deadline.
 * With a pidfd the child's exit wakes poll() at once; without one (an
 * old kernel) waitpid is tried every 2 ms once stderr is closed.
 */
static int
submit_wait(pid_t pid, int pidfd, int from_err, GString *err,
	    gint64 deadline, int *status_r)
{
	for (;;) {
		gint64 left = deadline - submit_now_ms();
		struct pollfd pfd[2];
		nfds_t n = 0;
		pid_t got;

		got = waitpid(pid, status_r, WNOHANG);
		if (got == pid)
			return 0;
		if (got < 0 && errno != EINTR)
			return -1;
		if (left <= 0)
			return -1;
		if (from_err >= 0) {
			pfd[n].fd = from_err;
			pfd[n++].events = POLLIN;
		}
		if (pidfd >= 0) {
			pfd[n].fd = pidfd;
			pfd[n++].events = POLLIN;
		}
		if (n == 0) {
			g_usleep(2000);
			continue;
		}
		if (poll(pfd, n, (int)CLAMP(left, 0, pidfd >= 0 ? 1000 :
		    2)) > 0 && from_err >= 0 &&
		    (pfd[0].revents & (POLLIN | POLLHUP))) {
			char eb[256];
			ssize_t e = read(from_err, eb, sizeof(eb));

			if (e > 0 && err->len < SUBMIT_ERRMAX)
				g_string_append_len(err, eb, e);
			if (e == 0)
				from_err = -1;
		}
	}
}

/* submit_last_line - the last non-empty line of TEXT, sanitized */
static char *
submit_last_line(const char *text)
{
	gchar **lines = g_strsplit(text, "\n", -1);
	char *last = NULL;

	for (gchar **l = lines; *l != NULL; l++) {
		g_strstrip(*l);
		if (**l != '\0') {
			g_free(last);
			last = g_strdup(*l);
		}
	}
	g_strfreev(lines);
	if (last == NULL)
		return g_strdup("no diagnostic");
	for (char *p = last; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	return last;
}

/* submit_run - run sendmail for REQ */
int
submit_run(const struct submit_request *req, char **error_r)
{
	int in_pipe[2], err_pipe[2], status = 0, rc, rc2;
	gint64 deadline = submit_now_ms() + (gint64)req->timeout * 1000;
	GString *err = g_string_new(NULL);
	char *feed_error = NULL;
	GPtrArray *argv;
	int pidfd;
	pid_t pid;

	if (pipe2(in_pipe, O_CLOEXEC) != 0) {
		*error_r = g_strdup_printf("pipe: %s", g_strerror(errno));
		g_string_free(err, TRUE);
		return -1;
	}
	if (pipe2(err_pipe, O_CLOEXEC) != 0) {
		*error_r = g_strdup_printf("pipe: %s", g_strerror(errno));
		close(in_pipe[0]);
		close(in_pipe[1]);
		g_string_free(err, TRUE);
		return -1;
	}
	argv = submit_argv(req);
	pid = vfork();
	if (pid == 0)
		submit_child((char *const *)argv->pdata, in_pipe[0],
		    err_pipe[1]);
	g_ptr_array_free(argv, TRUE);
	if (pid < 0) {
		*error_r = g_strdup_printf("vfork: %s", g_strerror(errno));
		close(in_pipe[0]);
		close(in_pipe[1]);
		close(err_pipe[0]);
		close(err_pipe[1]);
		g_string_free(err, TRUE);
		return -1;
	}
	submit_child_pid = pid;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	close(in_pipe[0]);
	close(err_pipe[1]);
	(void)fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);

	rc = submit_feed(req, in_pipe[1], err_pipe[0], err, deadline,
	    &feed_error);
	close(in_pipe[1]);
	rc2 = submit_wait(pid, pidfd, err_pipe[0], err, deadline, &status);
	if (pidfd >= 0)
		close(pidfd);
	if (rc2 != 0) {
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, &status, 0);
		submit_child_pid = 0;
		g_free(feed_error);
		*error_r = g_strdup_printf("%s: no exit within %u s, killed",
		    req->sendmail, req->timeout);
		close(err_pipe[0]);
		g_string_free(err, TRUE);
		return -1;
	}
	submit_child_pid = 0;
	close(err_pipe[0]);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && rc == 0) {
		g_string_free(err, TRUE);
		return 0;
	}
	{
		char *line = submit_last_line(err->str);

		if (WIFSIGNALED(status))
			*error_r = g_strdup_printf("%s: killed by signal %d (%s)",
			    req->sendmail, WTERMSIG(status), line);
		else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			*error_r = g_strdup_printf("%s: exit %d (%s)",
			    req->sendmail, WEXITSTATUS(status), line);
		else
			*error_r = g_strdup_printf("%s",
			    feed_error ? feed_error : "sendmail failed");
		g_free(line);
	}
	g_free(feed_error);
	g_string_free(err, TRUE);
	return -1;
}
