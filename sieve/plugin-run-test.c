/*
 * NAME
 *	plugin-run-test - the Sieve plugin's process runner, case by case
 * SUMMARY
 *	Runs small children through plugin_run() and checks what the
 *	plugin relies on: the whole message arrives (more than a pipe
 *	buffer), exit codes and the last stderr line come back, a hung
 *	child is killed at the deadline, a child that stops reading does
 *	not hang or kill us (SIGPIPE), exec failures and relative paths are
 *	failures, the environment is PATH only, no other descriptor leaks
 *	into the child, and SIGPIPE's disposition is put back.
 *
 *	The children are /bin/sh one-liners: the shell is the test's tool
 *	here, not the plugin's (which runs deputy-lda by absolute path).
 */

#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plugin-run.h"
#include "tap.h"

/* A message held in memory, fed in chunks of at most CHUNK bytes. */
struct buf_reader {
	const unsigned char *data;
	size_t size, pos, chunk;
	int fail_at;		/* fail once pos >= fail_at, if >= 0 */
};

/* buf_next - the next chunk, or the end, or a planned failure */
static int
buf_next(void *ctx, const unsigned char **data_r, size_t *size_r,
	 char *error_r)
{
	struct buf_reader *br = ctx;

	if (br->fail_at >= 0 && br->pos >= (size_t)br->fail_at) {
		snprintf(error_r, PLUGIN_RUN_ERROR_MAX, "boom");
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

/* run_sh - run "/bin/sh -c SCRIPT" with SIZE bytes of input */
static int
run_sh(const char *script, const unsigned char *data, size_t size,
       int fail_at, unsigned int timeout, struct plugin_run_result *res)
{
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct buf_reader br = { data, size, 0, 4096, fail_at };
	struct plugin_run_reader reader = { buf_next, buf_consume, &br };

	return plugin_run(argv, &reader, timeout, res);
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
	struct plugin_run_result res;
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

/* test_exit - exit 75 with a reason line, after other stderr noise */
static void
test_exit(void)
{
	struct plugin_run_result res;
	int ret = run_sh("cat >/dev/null; i=0; while [ $i -lt 300 ]; do "
			 "echo 'noise noise noise noise noise' >&2; "
			 "i=$((i+1)); done; printf '4.3.0 deputy-lda: "
			 "temp\\tfail\\n\\n' >&2; exit 75",
			 (const unsigned char *)"x\n", 2, -1, 20, &res);

	tap_ok(ret == -1 && res.exit_code == 75, "exit 75 is a failure "
	       "with its code (ret %d, exit %d)", ret, res.exit_code);
	tap_ok(strcmp(res.stderr_line, "4.3.0 deputy-lda: temp fail") == 0,
	       "the last stderr line, sanitized: '%s'", res.stderr_line);
	tap_ok(!res.timed_out && res.signal == 0 && res.error[0] == '\0',
	       "no timeout, signal or own error");
}

/* test_timeout - a child that never exits is killed at the deadline */
static void
test_timeout(void)
{
	struct plugin_run_result res;
	double t0 = mono_s(), took;
	int ret = run_sh("exec sleep 30", (const unsigned char *)"", 0, -1,
			 1, &res);

	took = mono_s() - t0;
	tap_ok(ret == -1 && res.timed_out, "a hung child times out");
	tap_ok(took >= 0.9 && took < 5, "within the deadline (%.1f s)", took);

	/* Hung while we still write: a child that never reads. */
	{
		size_t size = 4 * 1024 * 1024;
		unsigned char *msg = calloc(1, size);

		t0 = mono_s();
		ret = run_sh("exec sleep 30", msg, size, -1, 1, &res);
		took = mono_s() - t0;
		tap_ok(ret == -1 && res.timed_out && took < 5,
		       "a child that neither reads nor exits times out "
		       "while fed (%.1f s)", took);
		free(msg);
	}
}

/* test_short - the child exits 0 without reading: no hang, no SIGPIPE */
static void
test_short(void)
{
	struct plugin_run_result res;
	size_t size = 4 * 1024 * 1024;
	unsigned char *msg = calloc(1, size);
	int ret = run_sh("exit 0", msg, size, -1, 20, &res);

	tap_ok(ret == 0 && res.input_short, "exit 0 without reading: "
	       "success, input reported short (ret %d)", ret);
	free(msg);
}

/* test_exec - exec failures and bad paths */
static void
test_exec(void)
{
	struct plugin_run_result res;
	const char *missing[] = { "/nonexistent/deputy-lda", "-f", "", NULL };
	const char *relative[] = { "deputy-lda", NULL };
	struct buf_reader br = { (const unsigned char *)"", 0, 0, 1, -1 };
	struct plugin_run_reader reader = { buf_next, buf_consume, &br };
	int ret;

	ret = plugin_run(missing, &reader, 10, &res);
	tap_ok(ret == -1 && res.exit_code == 127 &&
	       strstr(res.stderr_line, "execve /nonexistent/deputy-lda") != NULL,
	       "a missing program: exit 127, said so ('%s')",
	       res.stderr_line);
	ret = plugin_run(relative, &reader, 10, &res);
	tap_ok(ret == -1 && res.error[0] != '\0', "a relative path is "
	       "refused before fork ('%s')", res.error);
}

/* test_env_fds - PATH only; no inherited descriptor; signals reset */
static void
test_env_fds(void)
{
	struct plugin_run_result res;
	char script[512], *env, *fds;
	unsigned long long ign;
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
		 "grep '^SigIgn' /proc/$$/status >>%s",
		 path("env"), path("fds"), path("env"));
	(void)signal(SIGUSR1, SIG_IGN);
	ret = run_sh(script, (const unsigned char *)"", 0, -1, 20, &res);
	(void)signal(SIGUSR1, SIG_DFL);
	env = slurp(path("env"), NULL);
	fds = slurp(path("fds"), NULL);
	tap_ok(ret == 0 && env != NULL && strstr(env, "SECRET") == NULL &&
	       strstr(env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n") != NULL,
	       "environment: the fixed PATH, nothing of ours");
	tap_ok(fds != NULL && strstr(fds, "\n40\n") == NULL &&
	       strstr(fds, "\n41\n") == NULL && strncmp(fds, "0\n1\n", 4) == 0,
	       "no inherited descriptor in the child (40, 41 open here)");
	/* Signals 1..31; 32 and up are the C library's own (the ones
	 * glibc reserves cannot be reset through it, and it sets them up
	 * again itself). */
	ign = env != NULL && strstr(env, "SigIgn:") != NULL ?
		strtoull(strstr(env, "SigIgn:") + 7, NULL, 16) : ~0ULL;
	tap_ok((ign & 0x7fffffffULL) == 0, "no standard signal ignored in "
	       "the child (SIGUSR1 was, here; SigIgn %016llx)", ign);
	free(env);
	free(fds);
	close(leak);
	close(high);
	unsetenv("DEPUTY_RUN_TEST_SECRET");
}

/* test_signal - killed by a signal */
static void
test_signal(void)
{
	struct plugin_run_result res;
	int ret = run_sh("kill -TERM $$", (const unsigned char *)"", 0, -1,
			 20, &res);

	tap_ok(ret == -1 && res.signal == SIGTERM, "killed by SIGTERM: "
	       "reported (signal %d)", res.signal);
}

/* test_reader_error - a read error of the message stops and kills */
static void
test_reader_error(void)
{
	struct plugin_run_result res;
	size_t size = 256 * 1024;
	unsigned char *msg = calloc(1, size);
	double t0 = mono_s();
	int ret = run_sh("cat >/dev/null; sleep 30", msg, size, 64 * 1024,
			 20, &res);

	tap_ok(ret == -1 && strstr(res.error, "boom") != NULL &&
	       mono_s() - t0 < 5, "a message read error fails the run at "
	       "once ('%s')", res.error);
	free(msg);
}

/* test_sigpipe_restored - SIGPIPE's handler is ours again afterwards */
static void
test_sigpipe_restored(void)
{
	struct plugin_run_result res;
	struct sigaction sa;

	(void)signal(SIGPIPE, SIG_DFL);
	(void)run_sh("exit 0", (const unsigned char *)"x", 1, -1, 10, &res);
	(void)sigaction(SIGPIPE, NULL, &sa);
	tap_ok(sa.sa_handler == SIG_DFL, "SIGPIPE disposition put back");
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/deputy-plugin-run.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_feed();
	test_exit();
	test_timeout();
	test_short();
	test_exec();
	test_env_fds();
	test_signal();
	test_reader_error();
	test_sigpipe_restored();

	unlink(path("feed"));
	unlink(path("env"));
	unlink(path("fds"));
	rmdir(dir);
	return tap_done();
}
