/*
 * NAME
 *	test-child - the child runner (lib/child.c), case by case
 * SUMMARY
 *	Runs small children through child_run() and checks what both
 *	callers rely on, the Sieve plugin (deputy-lda in dovecot-lda) and
 *	the engine's submission (sendmail): the whole message arrives
 *	(more than a pipe buffer), exit codes and the last stderr line come
 *	back (its tail kept, trimmed, control characters replaced), a hung
 *	child is killed at the deadline, a child that stops reading or
 *	closes its stdin does not hang or kill us (SIGPIPE), exec failures
 *	and relative paths are failures, the environment is PATH only,
 *	stdout is /dev/null, no other descriptor leaks into the child, no
 *	signal stays ignored or blocked in it, SIGPIPE's disposition and
 *	our signal mask are put back, a reader error kills the child
 *	before it sees the end of its input, and child_abort() (called
 *	from a signal handler) kills the running child and nothing else.
 *
 *	The cases that wait run twice: with a pidfd, and polling as on a
 *	kernel without one (CHILD_NO_PIDFD).
 *
 *	The children are /bin/sh one-liners: the shell is the test's tool
 *	here, not the callers' (they run deputy-lda and sendmail by
 *	absolute path).
 */

#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "tap.h"

/* A message held in memory, fed in chunks of at most CHUNK bytes. */
struct buf_reader {
	const unsigned char *data;
	size_t size, pos, chunk;
	int fail_at;		/* fail once pos >= fail_at, if >= 0 */
};

/* The two ways of waiting, with their names for the test lines. */
static const struct {
	unsigned int flags;
	const char *name;
} modes[] = {
	{ 0, "pidfd" },
	{ CHILD_NO_PIDFD, "no pidfd" },
};

/* buf_next - the next chunk, or the end, or a planned failure */
static int
buf_next(void *ctx, const unsigned char **data_r, size_t *size_r,
	 char *error_r)
{
	struct buf_reader *br = ctx;

	if (br->fail_at >= 0 && br->pos >= (size_t)br->fail_at) {
		snprintf(error_r, CHILD_ERROR_MAX, "boom");
		return -1;
	}
	if (br->pos >= br->size)
		return 0;
	*data_r = br->data + br->pos;
	*size_r = br->size - br->pos < br->chunk ? br->size - br->pos :
		br->chunk;
	return 1;
}

/* buf_consume - advance */
static void
buf_consume(void *ctx, size_t n)
{
	struct buf_reader *br = ctx;

	br->pos += n;
}

/* run_sh_flags - run "/bin/sh -c SCRIPT" with SIZE bytes of input */
static int
run_sh_flags(const char *script, const unsigned char *data, size_t size,
	     int fail_at, unsigned int timeout, unsigned int flags,
	     struct child_result *res)
{
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct buf_reader br = { data, size, 0, 4096, fail_at };
	struct child_reader reader = { buf_next, buf_consume, &br };

	return child_run(argv, &reader, timeout, flags, res);
}

/* run_sh - run_sh_flags() with a pidfd */
static int
run_sh(const char *script, const unsigned char *data, size_t size,
       int fail_at, unsigned int timeout, struct child_result *res)
{
	return run_sh_flags(script, data, size, fail_at, timeout, 0, res);
}

/* slurp - a whole small file, NUL-terminated; NULL if absent */
static char *
slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	if (f == NULL)
		return NULL;
	(void)fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = malloc((size_t)n + 1);
	if (s == NULL || fread(s, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(s);
		return NULL;
	}
	fclose(f);
	s[n] = '\0';
	if (len_r != NULL)
		*len_r = (size_t)n;
	return s;
}

static char dir[64];

/* path - a file under the test directory (four buffers in turn, so
 * that one call can use several) */
static const char *
path(const char *name)
{
	static char p[4][128];
	static unsigned int n;
	char *s = p[n++ % 4];

	snprintf(s, sizeof(p[0]), "%s/%s", dir, name);
	return s;
}

/* mono_s - monotonic seconds */
static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* test_feed - 1 MiB through the pipe arrives byte for byte */
static void
test_feed(void)
{
	struct child_result res;
	size_t size = 1024 * 1024, got = 0;
	unsigned char *msg = malloc(size);
	char script[256], *back;
	int ret;

	for (size_t i = 0; i < size; i++)
		msg[i] = (unsigned char)(i * 7 + i / 4096);
	snprintf(script, sizeof(script), "cat >%s", path("feed"));
	ret = run_sh(script, msg, size, -1, 20, &res);
	tap_ok(ret == 0 && res.exit_code == 0, "1 MiB fed: exit 0 (ret %d, "
	       "exit %d, %s)", ret, res.exit_code, res.error);
	back = slurp(path("feed"), &got);
	tap_ok(back != NULL && got == size && memcmp(back, msg, size) == 0,
	       "the child read every byte (%zu of %zu)", got, size);
	tap_ok(!res.input_short, "input not reported short");
	free(back);
	free(msg);
}

/* test_no_reader - a NULL reader is an empty stdin */
static void
test_no_reader(void)
{
	const char *argv[] = { "/bin/sh", "-c", NULL, NULL };
	struct child_result res;
	char script[256], *back;
	int ret;

	snprintf(script, sizeof(script), "wc -c >%s", path("feed"));
	argv[2] = script;
	ret = child_run(argv, NULL, 20, 0, &res);
	back = slurp(path("feed"), NULL);
	tap_ok(ret == 0 && back != NULL && atoi(back) == 0 &&
	       !res.input_short, "no reader: the child reads an empty "
	       "stdin (%d bytes)", back != NULL ? atoi(back) : -1);
	free(back);
}

/* test_exit - exit 75 with a reason line, after other stderr noise */
static void
test_exit(unsigned int flags, const char *mode)
{
	struct child_result res;
	int ret = run_sh_flags("cat >/dev/null; i=0; while [ $i -lt 300 ]; "
			       "do echo 'noise noise noise noise noise' >&2; "
			       "i=$((i+1)); done; printf '4.3.0 deputy-lda: "
			       "temp\\tfail\\n\\n' >&2; exit 75",
			       (const unsigned char *)"x\n", 2, -1, 20, flags,
			       &res);

	tap_ok(ret == -1 && res.exit_code == 75, "%s: exit 75 is a failure "
	       "with its code (ret %d, exit %d)", mode, ret, res.exit_code);
	tap_ok(strcmp(res.stderr_line, "4.3.0 deputy-lda: temp fail") == 0,
	       "%s: the last stderr line (after 9 KB of noise), sanitized: "
	       "'%s'", mode, res.stderr_line);
	tap_ok(!res.timed_out && res.signal == 0 && res.error[0] == '\0',
	       "%s: no timeout, signal or own error", mode);
}

/* test_line - the last line is trimmed at both ends, DEL replaced */
static void
test_line(void)
{
	struct child_result res;
	int ret = run_sh("printf 'first\\n \\t lead\\177x \\r\\n  \\n' >&2; "
			 "exit 1", (const unsigned char *)"", 0, -1, 20, &res);

	tap_ok(ret == -1 && strcmp(res.stderr_line, "lead x") == 0,
	       "the last line trimmed, DEL replaced: '%s'", res.stderr_line);
	ret = run_sh("exit 2", (const unsigned char *)"", 0, -1, 20, &res);
	tap_ok(ret == -1 && res.exit_code == 2 && res.stderr_line[0] == '\0',
	       "a silent child: no line ('%s')", res.stderr_line);
}

/* test_timeout - a child that never exits is killed at the deadline */
static void
test_timeout(unsigned int flags, const char *mode)
{
	struct child_result res;
	double t0 = mono_s(), took;
	int ret = run_sh_flags("exec sleep 30", (const unsigned char *)"", 0,
			       -1, 1, flags, &res);

	took = mono_s() - t0;
	tap_ok(ret == -1 && res.timed_out && res.exit_code == -1,
	       "%s: a hung child times out", mode);
	tap_ok(took >= 0.9 && took < 5, "%s: within the deadline (%.1f s)",
	       mode, took);

	/* Hung while we still write: a child that never reads. */
	{
		size_t size = 4 * 1024 * 1024;
		unsigned char *msg = calloc(1, size);

		t0 = mono_s();
		ret = run_sh_flags("exec sleep 30", msg, size, -1, 1, flags,
				   &res);
		took = mono_s() - t0;
		tap_ok(ret == -1 && res.timed_out && took < 5,
		       "%s: a child that neither reads nor exits times out "
		       "while fed (%.1f s)", mode, took);
		free(msg);
	}
}

/* test_grandchild - a grandchild that keeps stderr open does not hold
 * the run up: the child's exit ends it */
static void
test_grandchild(unsigned int flags, const char *mode)
{
	struct child_result res;
	char script[256], *pid;
	double t0 = mono_s(), took;
	int ret;

	snprintf(script, sizeof(script), "sleep 30 & echo $! >%s; "
		 "echo 'gone, child left' >&2; exit 3", path("grandchild"));
	ret = run_sh_flags(script, (const unsigned char *)"", 0, -1, 20,
			   flags, &res);
	took = mono_s() - t0;
	tap_ok(ret == -1 && res.exit_code == 3 && !res.timed_out &&
	       took < 10 && strcmp(res.stderr_line, "gone, child left") == 0,
	       "%s: exit 3 seen while a grandchild holds stderr (%.1f s, "
	       "'%s')", mode, took, res.stderr_line);
	if ((pid = slurp(path("grandchild"), NULL)) != NULL && atoi(pid) > 0)
		(void)kill(atoi(pid), SIGKILL);
	free(pid);
}

/* test_short - the child exits 0 without reading: no hang, no SIGPIPE */
static void
test_short(void)
{
	struct child_result res;
	size_t size = 4 * 1024 * 1024;
	unsigned char *msg = calloc(1, size);
	int ret = run_sh("exit 0", msg, size, -1, 20, &res);

	tap_ok(ret == 0 && res.input_short, "exit 0 without reading: "
	       "success, input reported short (ret %d)", ret);
	free(msg);
}

/* test_stdin_closed - the child closes its stdin and goes on */
static void
test_stdin_closed(unsigned int flags, const char *mode)
{
	struct child_result res;
	size_t size = 4 * 1024 * 1024;
	unsigned char *msg = calloc(1, size);
	int ret;

	ret = run_sh_flags("exec 0<&-; sleep 1; exit 0", msg, size, -1, 20,
			   flags, &res);
	tap_ok(ret == 0 && res.input_short && res.exit_code == 0,
	       "%s: stdin closed early, then exit 0: success, input short "
	       "(ret %d)", mode, ret);
	ret = run_sh_flags("exec 0<&-; echo 'input refused' >&2; sleep 1; "
			   "exit 4", msg, size, -1, 20, flags, &res);
	tap_ok(ret == -1 && res.input_short && res.exit_code == 4 &&
	       strcmp(res.stderr_line, "input refused") == 0,
	       "%s: stdin closed early, then exit 4: its code and line "
	       "(exit %d, '%s')", mode, res.exit_code, res.stderr_line);
	free(msg);
}

/* test_exec - exec failures and bad paths */
static void
test_exec(void)
{
	struct child_result res;
	const char *missing[] = { "/nonexistent/deputy-lda", "-f", "", NULL };
	const char *relative[] = { "deputy-lda", NULL };
	const char *noexec[] = { "/dev/null", NULL };
	const char *empty[] = { NULL };
	struct buf_reader br = { (const unsigned char *)"", 0, 0, 1, -1 };
	struct child_reader reader = { buf_next, buf_consume, &br };
	int ret;

	ret = child_run(missing, &reader, 10, 0, &res);
	tap_ok(ret == -1 && res.exit_code == 127 &&
	       strstr(res.stderr_line, "execve /nonexistent/deputy-lda") != NULL,
	       "a missing program: exit 127, said so ('%s')",
	       res.stderr_line);
	ret = child_run(relative, &reader, 10, 0, &res);
	tap_ok(ret == -1 && res.error[0] != '\0', "a relative path is "
	       "refused before fork ('%s')", res.error);
	ret = child_run(noexec, &reader, 10, CHILD_NO_PIDFD, &res);
	tap_ok(ret == -1 && res.exit_code == 127 && res.error[0] == '\0' &&
	       strcmp(res.stderr_line, "execve /dev/null: Permission denied")
	       == 0, "a file that cannot be executed: exit 127 ('%s')",
	       res.stderr_line);
	ret = child_run(empty, NULL, 10, 0, &res);
	tap_ok(ret == -1 && res.error[0] != '\0', "an empty argv is "
	       "refused ('%s')", res.error);
}

/* test_env_fds - PATH only; stdout /dev/null; no inherited descriptor;
 * signals reset and unblocked */
static void
test_env_fds(void)
{
	struct child_result res;
	char script[512], *env, *fds;
	unsigned long long ign, blk;
	sigset_t usr2, old;
	int low = open("/dev/null", O_RDONLY);
	/* Two descriptors that are not close-on-exec, above anything the
	 * shell opens for itself. */
	int leak = fcntl(low, F_DUPFD, 40);
	int high = fcntl(low, F_DUPFD, 41);
	int ret;

	close(low);

	setenv("DEPUTY_RUN_TEST_SECRET", "s3cret", 1);
	snprintf(script, sizeof(script),
		 "/usr/bin/env >%s; ls /proc/$$/fd >%s; "
		 "grep -E '^Sig(Ign|Blk)' /proc/self/status >>%s; "
		 "echo out=$(readlink /proc/$$/fd/1) >>%s",
		 path("env"), path("fds"), path("env"), path("env"));
	(void)signal(SIGUSR1, SIG_IGN);
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	sigprocmask(SIG_BLOCK, &usr2, &old);
	ret = run_sh(script, (const unsigned char *)"", 0, -1, 20, &res);
	sigprocmask(SIG_SETMASK, &old, NULL);
	(void)signal(SIGUSR1, SIG_DFL);
	env = slurp(path("env"), NULL);
	fds = slurp(path("fds"), NULL);
	tap_ok(ret == 0 && env != NULL && strstr(env, "SECRET") == NULL &&
	       strstr(env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n") != NULL,
	       "environment: the fixed PATH, nothing of ours");
	tap_ok(fds != NULL && strstr(fds, "\n40\n") == NULL &&
	       strstr(fds, "\n41\n") == NULL && strncmp(fds, "0\n1\n", 4) == 0,
	       "no inherited descriptor in the child (40, 41 open here)");
	tap_ok(fds != NULL && strstr(fds, "\n3\n") == NULL,
	       "nor the runner's own exec status pipe (3)");
	/* Read by grep of its own status, which it inherited from the
	 * shell the runner started: the shell's own status, read from
	 * outside, shows every signal blocked while dash forks (it blocks
	 * them all around fork()), which is what ASan's slower runs saw.
	 * Signals 1..31; 32 and up are the C library's own (the ones
	 * glibc reserves cannot be reset through it, and it sets them up
	 * again itself). */
	ign = env != NULL && strstr(env, "SigIgn:") != NULL ?
		strtoull(strstr(env, "SigIgn:") + 7, NULL, 16) : ~0ULL;
	tap_ok((ign & 0x7fffffffULL) == 0, "no standard signal ignored in "
	       "the child (SIGUSR1 was, here; SigIgn %016llx)", ign);
	blk = env != NULL && strstr(env, "SigBlk:") != NULL ?
		strtoull(strstr(env, "SigBlk:") + 7, NULL, 16) : ~0ULL;
	tap_ok(blk == 0, "no signal blocked in the child (SIGUSR2 was, "
	       "here; SigBlk %016llx)", blk);
	tap_ok(env != NULL && strstr(env, "out=/dev/null\n") != NULL,
	       "the child's stdout is /dev/null");
	free(env);
	free(fds);
	close(leak);
	close(high);
	unsetenv("DEPUTY_RUN_TEST_SECRET");
}

/* test_signal - killed by a signal */
static void
test_signal(unsigned int flags, const char *mode)
{
	struct child_result res;
	int ret = run_sh_flags("kill -TERM $$", (const unsigned char *)"", 0,
			       -1, 20, flags, &res);

	tap_ok(ret == -1 && res.signal == SIGTERM && res.exit_code == -1,
	       "%s: killed by SIGTERM: reported (signal %d)", mode,
	       res.signal);
}

/* test_reader_error - a read error of the message stops and kills,
 * before the child sees the end of its input */
static void
test_reader_error(void)
{
	struct child_result res;
	size_t size = 256 * 1024;
	unsigned char *msg = calloc(1, size);
	double t0 = mono_s();
	char script[256];
	int ret = run_sh("cat >/dev/null; sleep 30", msg, size, 64 * 1024,
			 20, &res);

	tap_ok(ret == -1 && strstr(res.error, "boom") != NULL &&
	       mono_s() - t0 < 5, "a message read error fails the run at "
	       "once ('%s')", res.error);
	/* Half a message must not look whole: a sendmail that saw the
	 * end of its input would send it. */
	snprintf(script, sizeof(script), "cat >/dev/null && touch %s",
		 path("whole"));
	ret = run_sh(script, msg, size, 64 * 1024, 20, &res);
	usleep(200 * 1000);
	tap_ok(ret == -1 && access(path("whole"), F_OK) != 0,
	       "after a read error the child never saw the end of its input");
	free(msg);
}

/* test_sigpipe_restored - SIGPIPE's handler is ours again afterwards */
static void
test_sigpipe_restored(void)
{
	struct child_result res;
	struct sigaction sa;

	(void)signal(SIGPIPE, SIG_DFL);
	(void)run_sh("exit 0", (const unsigned char *)"x", 1, -1, 10, &res);
	(void)sigaction(SIGPIPE, NULL, &sa);
	tap_ok(sa.sa_handler == SIG_DFL, "SIGPIPE disposition put back");
}

static volatile sig_atomic_t pipe_count;

/* on_pipe - count SIGPIPEs that reach us */
static void
on_pipe(int sig)
{
	(void)sig;
	pipe_count++;
}

/* test_sigpipe_mask - a child that stops reading raises no SIGPIPE
 * here; the mask is ours again; a SIGPIPE that was pending before the
 * run is still pending after it */
static void
test_sigpipe_mask(void)
{
	struct child_result res;
	size_t size = 4 * 1024 * 1024;
	unsigned char *msg = calloc(1, size);
	sigset_t before, after, pending, pipe_set;
	int ret;

	(void)signal(SIGPIPE, on_pipe);
	sigprocmask(SIG_SETMASK, NULL, &before);
	pipe_count = 0;
	ret = run_sh("exit 0", msg, size, -1, 20, &res);
	sigprocmask(SIG_SETMASK, NULL, &after);
	sigpending(&pending);
	tap_ok(ret == 0 && res.input_short && pipe_count == 0 &&
	       !sigismember(&pending, SIGPIPE) &&
	       sigismember(&after, SIGPIPE) == sigismember(&before, SIGPIPE),
	       "a broken pipe: no SIGPIPE delivered or left pending, the "
	       "mask as it was (%d delivered)", (int)pipe_count);

	/* The caller's own pending SIGPIPE is not ours to consume. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, NULL);
	raise(SIGPIPE);
	ret = run_sh("exit 0", msg, size, -1, 20, &res);
	sigpending(&pending);
	tap_ok(ret == 0 && sigismember(&pending, SIGPIPE),
	       "a SIGPIPE pending before the run is pending after it");
	sigprocmask(SIG_SETMASK, &before, NULL);
	tap_ok(pipe_count == 1, "... and reaches its handler once unblocked "
	       "(%d)", (int)pipe_count);
	(void)signal(SIGPIPE, SIG_DFL);
	free(msg);
}

/* on_alarm - what deputy-lda's deadline handler does first */
static void
on_alarm(int sig)
{
	(void)sig;
	child_abort();
}

/* test_abort - child_abort() from a signal handler kills the running
 * child; with none running it kills nothing */
static void
test_abort(unsigned int flags, const char *mode)
{
	struct child_result res;
	struct sigaction sa, old;
	size_t size = 1024 * 1024;
	unsigned char *msg = calloc(1, size);
	double t0, took;
	int ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);

	/* Waiting for the exit. */
	t0 = mono_s();
	alarm(1);
	ret = run_sh_flags("exec sleep 30", (const unsigned char *)"", 0, -1,
			   20, flags, &res);
	took = mono_s() - t0;
	alarm(0);
	tap_ok(ret == -1 && res.signal == SIGKILL && !res.timed_out &&
	       took < 10, "%s: aborted while waiting: killed by SIGKILL "
	       "(signal %d, %.1f s)", mode, res.signal, took);

	/* Still feeding (a child that does not read). */
	t0 = mono_s();
	alarm(1);
	ret = run_sh_flags("exec sleep 30", msg, size, -1, 20, flags, &res);
	took = mono_s() - t0;
	alarm(0);
	tap_ok(ret == -1 && res.signal == SIGKILL && res.input_short &&
	       took < 10, "%s: aborted while feeding: killed, input short "
	       "(signal %d, %.1f s)", mode, res.signal, took);
	sigaction(SIGALRM, &old, NULL);
	free(msg);
}

/* test_abort_idle - child_abort() with no child running kills nothing
 * (kill(0, ...) would take the whole process group): tried in a
 * process of its own, in a group of its own */
static void
test_abort_idle(void)
{
	struct child_result res;
	int status = 0;
	pid_t pid;

	(void)run_sh("exit 0", (const unsigned char *)"", 0, -1, 10, &res);
	pid = fork();
	if (pid == 0) {
		(void)setpgid(0, 0);
		child_abort();
		_exit(0);
	}
	(void)waitpid(pid, &status, 0);
	tap_ok(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "child_abort() after the run kills nothing");
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/deputy-child.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_feed();
	test_no_reader();
	test_line();
	test_short();
	test_exec();
	test_env_fds();
	test_reader_error();
	test_sigpipe_restored();
	test_sigpipe_mask();
	test_abort_idle();
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		test_exit(modes[i].flags, modes[i].name);
		test_timeout(modes[i].flags, modes[i].name);
		test_grandchild(modes[i].flags, modes[i].name);
		test_stdin_closed(modes[i].flags, modes[i].name);
		test_signal(modes[i].flags, modes[i].name);
		test_abort(modes[i].flags, modes[i].name);
	}

	unlink(path("feed"));
	unlink(path("env"));
	unlink(path("fds"));
	unlink(path("grandchild"));
	unlink(path("whole"));
	rmdir(dir);
	return tap_done();
}
