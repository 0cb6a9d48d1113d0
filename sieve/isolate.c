/*
 * NAME
 *	isolate - run a user's Sieve script in a child process
 * SUMMARY
 *	See script.h. libsieve 2.2.6 has memory errors that a script can
 *	reach (fuzz-sieve found a heap overwrite in its vacation parser),
 *	so deputy-lda never runs it in its own address space: a child
 *	runs script_run() and writes the outcome down a pipe as one
 *	serialised GVariant; the parent reads at most ISOLATE_MAX_REPLY
 *	bytes within the timeout and takes nothing else from the child.
 *	A child that crashes, hangs or answers garbage is a failed
 *	script: implicit keep, as RFC 5228 asks.
 * SECURITY
 *	The child inherits no signal handler of deputy's, dies with its
 *	parent, writes nothing to stdout or stderr, may not write files
 *	(RLIMIT_FSIZE 0) and has a CPU limit.
 *	Its reply is untrusted input: GVariant deserialises untrusted
 *	data safely, and deputy-lda checks folders and addresses again
 *	where it uses them.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "script.h"

#define ISOLATE_MAX_REPLY (1024 * 1024)
#define ISOLATE_CPU_SECONDS 10

/* the outcome: error keep folders redirects discard reject vacation
 * reason subject from addresses seconds handle mime address notes
 * actions */
#define ISOLATE_TYPE "(maybaayaaybmaybmaymaymaymaayxmaybmayaayu)"

static script_runner isolate_runner = script_run;

/* script_isolate_runner - see script.h (tests only) */
void
script_isolate_runner(script_runner run)
{
	isolate_runner = run != NULL ? run : script_run;
}

/* isolate_may - a "may" of S (NULL: nothing) */
static GVariant *
isolate_may(const char *s)
{
	return g_variant_new_maybe(G_VARIANT_TYPE_BYTESTRING,
	    s != NULL ? g_variant_new_bytestring(s) : NULL);
}

/* isolate_aay - an "aay" of V (NULL: empty) */
static GVariant *
isolate_aay(char **v)
{
	return g_variant_new_bytestring_array((const char *const *)v,
	    v != NULL ? -1 : 0);
}

/* isolate_encode - OUT as one GVariant */
static GVariant *
isolate_encode(const struct script_outcome *out)
{
	GVariant *f[] = {
		isolate_may(out->error),
		g_variant_new_boolean(out->keep),
		isolate_aay(out->folders),
		isolate_aay(out->redirects),
		g_variant_new_boolean(out->discard),
		isolate_may(out->reject),
		g_variant_new_boolean(out->vacation),
		isolate_may(out->vac.reason),
		isolate_may(out->vac.subject),
		isolate_may(out->vac.from),
		g_variant_new_maybe(G_VARIANT_TYPE_BYTESTRING_ARRAY,
		    out->vac.addresses != NULL ?
		    isolate_aay(out->vac.addresses) : NULL),
		g_variant_new_int64(out->vac.seconds),
		isolate_may(out->vac.handle),
		g_variant_new_boolean(out->vac.mime),
		isolate_may(out->vacation_address),
		isolate_aay(out->notes),
		g_variant_new_uint32(out->actions),
	};

	return g_variant_new_tuple(f, G_N_ELEMENTS(f));
}

/* isolate_get_may - the string in child I of V, or NULL; g_free() */
static char *
isolate_get_may(GVariant *v, gsize i)
{
	GVariant *m = g_variant_get_child_value(v, i);
	GVariant *s = g_variant_get_maybe(m);
	char *r = s != NULL ? g_variant_dup_bytestring(s, NULL) : NULL;

	if (s != NULL)
		g_variant_unref(s);
	g_variant_unref(m);
	return r;
}

/* isolate_get_aay - the strings in V (an "aay"), NULL if none */
static char **
isolate_get_aay(GVariant *v)
{
	char **r = NULL;

	if (g_variant_n_children(v) > 0)
		r = g_variant_dup_bytestring_array(v, NULL);
	return r;
}

/* isolate_get_child_aay - isolate_get_aay() of child I of V */
static char **
isolate_get_child_aay(GVariant *v, gsize i)
{
	GVariant *a = g_variant_get_child_value(v, i);
	char **r = isolate_get_aay(a);

	g_variant_unref(a);
	return r;
}

/* isolate_get_bool - child I of V, a boolean */
static int
isolate_get_bool(GVariant *v, gsize i)
{
	GVariant *b = g_variant_get_child_value(v, i);
	int r = g_variant_get_boolean(b);

	g_variant_unref(b);
	return r;
}

/* isolate_decode - OUT from the reply DATA, SIZE; -1 if it is none */
static int
isolate_decode(const void *data, size_t size, struct script_outcome *out)
{
	GVariant *v, *c;

	v = g_variant_new_from_data(G_VARIANT_TYPE(ISOLATE_TYPE), data, size,
	    FALSE, NULL, NULL);
	g_variant_ref_sink(v);
	if (!g_variant_is_normal_form(v)) {
		g_variant_unref(v);
		return -1;
	}
	out->error = isolate_get_may(v, 0);
	out->keep = isolate_get_bool(v, 1);
	out->folders = isolate_get_child_aay(v, 2);
	out->redirects = isolate_get_child_aay(v, 3);
	out->discard = isolate_get_bool(v, 4);
	out->reject = isolate_get_may(v, 5);
	out->vacation = isolate_get_bool(v, 6);
	out->vac.reason = isolate_get_may(v, 7);
	out->vac.subject = isolate_get_may(v, 8);
	out->vac.from = isolate_get_may(v, 9);
	c = g_variant_get_child_value(v, 10);
	{
		GVariant *a = g_variant_get_maybe(c);

		if (a != NULL) {
			out->vac.addresses = g_variant_dup_bytestring_array(a,
			    NULL);
			g_variant_unref(a);
		}
	}
	g_variant_unref(c);
	c = g_variant_get_child_value(v, 11);
	out->vac.seconds = (long)g_variant_get_int64(c);
	g_variant_unref(c);
	out->vac.handle = isolate_get_may(v, 12);
	out->vac.mime = isolate_get_bool(v, 13);
	out->vacation_address = isolate_get_may(v, 14);
	out->notes = isolate_get_child_aay(v, 15);
	c = g_variant_get_child_value(v, 16);
	out->actions = g_variant_get_uint32(c);
	g_variant_unref(c);
	g_variant_unref(v);
	return 0;
}

/* isolate_child - in the child: run, write the outcome, exit */
static void __attribute__((noreturn))
isolate_child(int fd, const char *text, const struct script_message *msg,
	      unsigned int max_actions)
{
	static const int sigs[] = { SIGTERM, SIGALRM, SIGHUP, SIGINT,
	    SIGPIPE };
	struct rlimit none = { 0, 0 };
	struct rlimit cpu = { ISOLATE_CPU_SECONDS, ISOLATE_CPU_SECONDS };
	struct script_outcome out;
	GVariant *v;
	const char *p;
	size_t left;
	int devnull;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() == 1)
		_exit(127);
	/* Silence: what a crashing libsieve or glibc prints must not
	 * reach the MTA through deputy-lda's stdout or stderr. */
	if ((devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0 ||
	    dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0)
		_exit(127);
	for (size_t i = 0; i < G_N_ELEMENTS(sigs); i++)
		signal(sigs[i], SIG_DFL);
	if (setrlimit(RLIMIT_FSIZE, &none) != 0 ||
	    setrlimit(RLIMIT_CPU, &cpu) != 0)
		_exit(127);
	isolate_runner(text, msg, max_actions, &out);
	v = g_variant_ref_sink(isolate_encode(&out));
	script_outcome_clear(&out);
	p = g_variant_get_data(v);
	left = g_variant_get_size(v);
	while (left > 0) {
		ssize_t n = write(fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p += n;
		left -= (size_t)n;
	}
	/* Everything freed: memcheck follows the child to its exit. */
	g_variant_unref(v);
	_exit(left == 0 ? 0 : 127);
}

/* isolate_fail - OUT is a failed script, for WHY */
static void
isolate_fail(struct script_outcome *out, char *why)
{
	script_outcome_clear(out);
	out->error = why;
	out->keep = 1;
}

/* script_run_isolated - see script.h */
void
script_run_isolated(const char *text, const struct script_message *msg,
		    unsigned int max_actions, unsigned int timeout,
		    struct script_outcome *out)
{
	GByteArray *reply;
	gint64 deadline = g_get_monotonic_time() +
	    (gint64)timeout * G_USEC_PER_SEC;
	int p[2], status = 0, timed_out = 0, too_long = 0;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	out->vac.seconds = -1;
	if (pipe2(p, O_CLOEXEC) != 0) {
		isolate_fail(out, g_strdup_printf("Sieve: pipe: %s",
		    g_strerror(errno)));
		return;
	}
	if ((pid = fork()) < 0) {
		isolate_fail(out, g_strdup_printf("Sieve: fork: %s",
		    g_strerror(errno)));
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0) {
		close(p[0]);
		isolate_child(p[1], text, msg, max_actions);
	}
	close(p[1]);
	reply = g_byte_array_new();	/* the parent's alone */
	for (;;) {
		struct pollfd pfd = { p[0], POLLIN, 0 };
		gint64 left = deadline - g_get_monotonic_time();
		guint8 buf[16384];
		ssize_t n;
		int rc;

		if (left <= 0) {
			timed_out = 1;
			break;
		}
		rc = poll(&pfd, 1, (int)MIN(left / 1000 + 1, 60000));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			continue;	/* the deadline decides */
		n = read(p[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (reply->len + (size_t)n > ISOLATE_MAX_REPLY) {
			too_long = 1;
			break;
		}
		g_byte_array_append(reply, buf, (guint)n);
	}
	close(p[0]);
	/* The end of the reply is not the end of the child: wait for it
	 * until the deadline too. */
	for (gulong nap = 20; !timed_out && !too_long; ) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (g_get_monotonic_time() >= deadline) {
			timed_out = 1;
		} else {
			g_usleep(nap);	/* 20 us, doubling to 10 ms */
			nap = MIN(nap * 2, 10000);
		}
	}
	if (timed_out || too_long) {
		(void)kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (timed_out)
		isolate_fail(out, g_strdup_printf("the Sieve interpreter "
		    "took more than %u s", timeout));
	else if (too_long)
		isolate_fail(out, g_strdup("the Sieve interpreter's answer "
		    "is too long"));
	else if (WIFSIGNALED(status))
		isolate_fail(out, g_strdup_printf("the Sieve interpreter was "
		    "killed by signal %d (%s)", WTERMSIG(status),
		    g_strsignal(WTERMSIG(status))));
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		isolate_fail(out, g_strdup_printf("the Sieve interpreter "
		    "exited with status %d", WEXITSTATUS(status)));
	else if (isolate_decode(reply->data, reply->len, out) != 0)
		isolate_fail(out, g_strdup("the Sieve interpreter's answer "
		    "is not an outcome"));
	else if (out->error != NULL)	/* a failed script keeps, only */
		isolate_fail(out, g_strdup(out->error));
	g_byte_array_free(reply, TRUE);
}
