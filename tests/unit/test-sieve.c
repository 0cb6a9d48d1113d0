/*
 * test-sieve - the libsieve runner, the vacation request and the
 * Maildir++ folder names: what a user's script can ask for and what
 * deputy makes of it.
 */

#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>

#include "facts.h"
#include "maildir.h"
#include "script.h"
#include "tap.h"
#include "vacation.h"

static const char message[] =
    "Received: from mx.example.com by mx.example.org; Tue, 1 Dec 2026 10:00:00 +0000\n"
    "From: Bob <bob@example.com>\n"
    "To: Carol <carol@example.org>\n"
    "Cc: team@example.org\n"
    "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= from the project\n"
    "X-Folded: first\n"
    " second\n"
    "Message-ID: <1@example.com>\n"
    "\n"
    "Hello.\n";

static int msg_fd;

/* run - script_run() on the test message */
static void
run(const char *text, struct script_outcome *out)
{
	struct script_message m = {
		msg_fd, 0, (off_t)strlen(message), "bob@example.com",
		"carol@example.org"
	};

	script_run(text, &m, 32, out);
}

static int
strv_is(char **v, const char *a, const char *b)
{
	if (v == NULL || v[0] == NULL || strcmp(v[0], a) != 0)
		return 0;
	if (b == NULL)
		return v[1] == NULL;
	return v[1] != NULL && strcmp(v[1], b) == 0 && v[2] == NULL;
}

static void
test_script(void)
{
	struct script_outcome o;

	run("", &o);
	tap_ok(o.error == NULL && o.keep && o.folders == NULL,
	    "empty script: implicit keep");
	script_outcome_clear(&o);

	run("keep; keep;", &o);
	tap_ok(o.keep && o.actions == 2 && !o.discard, "keep twice: one keep");
	script_outcome_clear(&o);

	run("require \"fileinto\"; fileinto \"A\"; fileinto \"A\"; fileinto \"B\";",
	    &o);
	tap_ok(!o.keep && strv_is(o.folders, "A", "B"),
	    "fileinto A, A, B: folders A and B, implicit keep cancelled");
	script_outcome_clear(&o);

	run("require \"fileinto\"; if header :contains \"subject\" \"Grüße\" "
	    "{ fileinto \"decoded\"; }", &o);
	tap_ok(strv_is(o.folders, "decoded", NULL),
	    "header test sees the RFC 2047-decoded Subject");
	script_outcome_clear(&o);

	run("require \"fileinto\"; if header :is \"x-folded\" \"first second\" "
	    "{ fileinto \"unfolded\"; }", &o);
	tap_ok(strv_is(o.folders, "unfolded", NULL),
	    "header test sees an unfolded value");
	script_outcome_clear(&o);

	/* (libsieve 2.2.6 matches nothing with :domain or :localpart:
	 * a limitation of LDA mode, documented in deputy-lda(8).) */
	run("require \"fileinto\"; if address :all :is \"cc\" "
	    "\"Team@Example.org\" { fileinto \"cc\"; }", &o);
	tap_ok(strv_is(o.folders, "cc", NULL), "address :all test on Cc");
	script_outcome_clear(&o);

	run("require \"envelope\"; if envelope :is \"from\" \"bob@example.com\" "
	    "{ discard; }", &o);
	tap_ok(o.discard && !o.keep, "envelope from test, discard");
	script_outcome_clear(&o);

	/* libsieve answers any other envelope part with an uninitialised
	 * address (fuzz-sieve): such a script is refused, and keeps. */
	{
		static const char *const refused[] = {
			"if envelope :is \"auth\" \"x\" { discard; }",
			"if envelope :is \"\" \"x\" { discard; }",
			"if envelope :all :comparator \"i;octet\" :is "
			    "[\"from\", \"%rom\"] \"x\" { discard; }",
			"if anyof (true, not envelope :matches \"\\xto\" \"*\") "
			    "{ discard; }",
			"if envelope :is \"\\from\" \"bob@example.com\" "
			    "{ discard; }",
			NULL
		};
		static const char *const allowed[] = {
			"if envelope :is \"From\" \"bob@example.com\" { discard; }",
			"if envelope :all :comparator \"i;ascii-casemap\" :is "
			    "[\"to\", \"from\"] \"BOB@example.com\" { discard; }",
			"# envelope \"auth\"\n/* envelope \"auth\" */ if header "
			    ":is \"x-envelope\" \"envelope \\\"auth\\\"\" { keep; } "
			    "if envelope :is \"from\" \"bob@example.com\" "
			    "{ discard; }",
			NULL
		};

		for (int i = 0; refused[i] != NULL; i++) {
			char *text = g_strconcat("require \"envelope\"; ",
			    refused[i], NULL);

			run(text, &o);
			tap_ok(o.error != NULL && strstr(o.error, "envelope "
			    "part") != NULL && o.keep && !o.discard,
			    "refused, kept: %s (%s)", refused[i],
			    o.error ? o.error : "no error");
			script_outcome_clear(&o);
			g_free(text);
		}
		for (int i = 0; allowed[i] != NULL; i++) {
			char *text = g_strconcat("require \"envelope\"; ",
			    allowed[i], NULL);

			char *shown = g_strescape(allowed[i], NULL);

			run(text, &o);
			tap_ok(o.error == NULL && o.discard && !o.keep,
			    "runs: %s (%s)", shown,
			    o.error ? o.error : "discarded");
			script_outcome_clear(&o);
			g_free(shown);
			g_free(text);
		}
	}

	run("if size :over 10K { discard; }", &o);
	tap_ok(!o.discard && o.keep, "size :over 10K is false for a small message");
	script_outcome_clear(&o);

	run("redirect \"Dave@Example.net\"; redirect \"dave@example.net\";", &o);
	tap_ok(strv_is(o.redirects, "Dave@Example.net", NULL) && !o.keep,
	    "redirect twice, any case: one redirect, no implicit keep");
	script_outcome_clear(&o);

	run("redirect \"dave@example.net\"; keep;", &o);
	tap_ok(o.redirects != NULL && o.keep, "redirect and keep: both");
	script_outcome_clear(&o);

	run("require \"reject\"; reject \"go away\";", &o);
	tap_ok(o.reject != NULL && strcmp(o.reject, "go away") == 0 && !o.keep,
	    "reject: recorded with its text");
	script_outcome_clear(&o);

	run("require \"vacation\"; vacation :days 3 :subject \"Away\" "
	    ":handle \"h1\" :from \"carol@example.org\" \"Back soon\";", &o);
	tap_ok(o.vacation && o.keep && o.vac.seconds == 3 * 86400 &&
	    strcmp(o.vac.subject, "Away") == 0 &&
	    strcmp(o.vac.reason, "Back soon") == 0 &&
	    strcmp(o.vac.handle, "h1") == 0 &&
	    strcmp(o.vac.from, "carol@example.org") == 0,
	    "vacation: :days, :subject, :handle, :from and the reason; keep stays");
	script_outcome_clear(&o);

	run("require \"vacation\"; vacation \"one\"; vacation \"two\";", &o);
	tap_ok(o.vacation && strcmp(o.vac.reason, "one") == 0,
	    "two vacations: the first counts");
	script_outcome_clear(&o);

	run("require \"vacation\"; vacation :addresses [\"other@example.org\"] "
	    "\"x\";", &o);
	tap_ok(o.vacation, "vacation to a recipient in To (libsieve's check)");
	script_outcome_clear(&o);

	run("require \"fileinto\"; fileinto \"A\"; if true { keep }", &o);
	tap_ok(o.error != NULL && strstr(o.error, "line 1") != NULL && o.keep &&
	    o.folders == NULL, "syntax error: error with its line, keep, "
	    "no other action (%s)", o.error ? o.error : "none");
	script_outcome_clear(&o);

	run("require \"body\"; keep;", &o);
	tap_ok(o.error != NULL && o.keep, "unsupported extension: error, keep");
	script_outcome_clear(&o);

	{
		GString *many = g_string_new(NULL);

		for (int i = 0; i < 40; i++)
			g_string_append(many, "keep;\n");
		run(many->str, &o);
		tap_ok(o.error != NULL && strstr(o.error, "too many") != NULL &&
		    o.keep, "40 actions with a cap of 32: error, keep");
		script_outcome_clear(&o);
		g_string_free(many, TRUE);
	}

	/* A fresh context per run: the error above leaves nothing behind. */
	run("keep;", &o);
	tap_ok(o.error == NULL && o.keep, "a run after failures is clean");
	script_outcome_clear(&o);
}

static void
test_vacation(void)
{
	struct vacation_request v;
	char *a, *b;

	memset(&v, 0, sizeof(v));
	v.seconds = -1;
	tap_ok(vacation_period(&v, 7 * 86400, 86400, 30 * 86400) == 7 * 86400,
	    "period: the default when the script gives none");
	v.seconds = 0;
	tap_ok(vacation_period(&v, 7 * 86400, 86400, 30 * 86400) == 86400,
	    "period: :days 0 is raised to the minimum");
	v.seconds = 365L * 86400;
	tap_ok(vacation_period(&v, 7 * 86400, 86400, 30 * 86400) == 30 * 86400,
	    "period: a year is lowered to the maximum");

	v.reason = g_strdup("ab");
	v.subject = g_strdup("c");
	a = vacation_identity(&v);
	g_free(v.reason);
	g_free(v.subject);
	v.reason = g_strdup("a");
	v.subject = g_strdup("bc");
	b = vacation_identity(&v);
	tap_ok(strncmp(a, "sieve:", 6) == 0 && strcmp(a, b) != 0,
	    "identity: (ab, c) and (a, bc) differ");
	g_free(a);
	g_free(b);
	v.handle = g_strdup("mine");
	a = vacation_identity(&v);
	g_free(v.reason);
	v.reason = g_strdup("another text");
	b = vacation_identity(&v);
	tap_ok(strcmp(a, b) == 0 && strncmp(a, "sieve:h:", 8) == 0,
	    "identity: the same :handle is the same vacation");
	g_free(a);
	g_free(b);

	static const struct {
		const char *from, *want;
	} froms[] = {
		{ "Carol@Example.org", "carol@example.org" },
		{ "Carol Jones <carol@example.org>", "carol@example.org" },
		{ "carol@example.org\r\nBcc: x@y", NULL },
		{ "-oQ/tmp@example.org", NULL },
		{ "no-at-sign", NULL },
		{ "a b@example.org", NULL },
		{ "", NULL },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(froms); i++) {
		g_free(v.from);
		v.from = g_strdup(froms[i].from);
		a = vacation_from(&v);
		tap_ok(froms[i].want == NULL ? a == NULL :
		    a != NULL && strcmp(a, froms[i].want) == 0,
		    "from #%zu: %s", i, froms[i].want ? froms[i].want :
		    "refused");
		g_free(a);
	}

	g_free(v.reason);
	v.reason = g_strdup("Content-Type: multipart/alternative; boundary=x\n\n"
	    "--x\nContent-Type: text/html\n\n<p>html</p>\n"
	    "--x\nContent-Type: text/plain; charset=utf-8\n\nPlain text.\n"
	    "--x--\n");
	v.mime = 1;
	a = vacation_body(&v);
	tap_ok(a != NULL && strstr(a, "Plain text.") != NULL &&
	    strstr(a, "html") == NULL, ":mime: the text/plain part");
	g_free(a);
	v.mime = 0;
	a = vacation_body(&v);
	tap_ok(a != NULL && strstr(a, "Content-Type") != NULL,
	    "without :mime: the text as written");
	g_free(a);
	vacation_clear(&v);
	tap_ok(v.reason == NULL && v.seconds == -1, "clear");
}

static void
test_folders(void)
{
	static const struct {
		const char *name, *want;
	} cases[] = {
		{ "INBOX", "/m" },
		{ "inbox", "/m" },
		{ "Work", "/m/.Work" },
		{ "Work/Projects", "/m/.Work.Projects" },
		{ "Work.Projects", "/m/.Work.Projects" },
		{ "INBOX.Archive", "/m/.Archive" },
		{ "INBOX/Archive", "/m/.Archive" },
		{ "Büro", "/m/.B&APw-ro" },
		{ "Tom & Jerry", "/m/.Tom &- Jerry" },
		{ "日本語", "/m/.&ZeVnLIqe-" },
		{ "..", NULL },
		{ "../x", NULL },
		{ "a//b", NULL },
		{ "a/", NULL },
		{ "/a", NULL },
		{ "", NULL },
		{ "a\nb", NULL },
		{ "~user", NULL },
		{ "a\xff", NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *path = NULL, *err = NULL;
		int rc = maildir_folder("/m", cases[i].name, &path, &err);

		if (cases[i].want == NULL)
			tap_ok(rc == -1 && path == NULL && err != NULL,
			    "folder #%zu refused", i);
		else
			tap_ok(rc == 0 && strcmp(path, cases[i].want) == 0,
			    "folder \"%s\" -> %s (%s)", cases[i].name,
			    cases[i].want, path ? path : err);
		g_free(path);
		g_free(err);
	}
}

/* strv_same - whether A and B hold the same strings */
static int
strv_same(char **a, char **b)
{
	if (a == NULL || b == NULL)
		return a == b;
	for (; *a != NULL && *b != NULL; a++, b++)
		if (strcmp(*a, *b) != 0)
			return 0;
	return *a == NULL && *b == NULL;
}

/* str_same - whether A and B are both NULL or equal */
static int
str_same(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* outcome_same - whether two outcomes say the same */
static int
outcome_same(const struct script_outcome *a, const struct script_outcome *b)
{
	return str_same(a->error, b->error) && a->keep == b->keep &&
	    strv_same(a->folders, b->folders) &&
	    strv_same(a->redirects, b->redirects) &&
	    a->discard == b->discard && str_same(a->reject, b->reject) &&
	    a->vacation == b->vacation &&
	    str_same(a->vac.reason, b->vac.reason) &&
	    str_same(a->vac.subject, b->vac.subject) &&
	    str_same(a->vac.from, b->vac.from) &&
	    strv_same(a->vac.addresses, b->vac.addresses) &&
	    a->vac.seconds == b->vac.seconds &&
	    str_same(a->vac.handle, b->vac.handle) &&
	    a->vac.mime == b->vac.mime &&
	    str_same(a->vacation_address, b->vacation_address) &&
	    strv_same(a->notes, b->notes) && a->actions == b->actions;
}

/* Runners for the child, standing in for a libsieve that goes wrong. */
static void
crash_runner(const char *t, const struct script_message *m, unsigned int n,
	     struct script_outcome *o)
{
	(void)t; (void)m; (void)n; (void)o;
	abort();	/* what glibc does on a corrupted heap; ASan lets it be */
}

static void
hang_runner(const char *t, const struct script_message *m, unsigned int n,
	    struct script_outcome *o)
{
	(void)t; (void)m; (void)n; (void)o;
	for (;;)
		pause();
}

static void
silent_hang_runner(const char *t, const struct script_message *m,
		   unsigned int n, struct script_outcome *o)
{
	(void)t; (void)m; (void)n; (void)o;
	close_range(3, ~0U, 0);		/* the reply pipe too: EOF, then */
	for (;;)
		pause();
}

static void
exit_runner(const char *t, const struct script_message *m, unsigned int n,
	    struct script_outcome *o)
{
	(void)t; (void)m; (void)n; (void)o;
	_exit(3);
}

static void
mixed_runner(const char *t, const struct script_message *m, unsigned int n,
	     struct script_outcome *o)
{
	script_run(t, m, n, o);
	o->error = g_strdup("made up");	/* an error beside actions */
	o->keep = 0;
}

/* run_isolated - script_run_isolated() on the test message */
static void
run_isolated(const char *text, unsigned int timeout,
	     struct script_outcome *out)
{
	struct script_message m = {
		msg_fd, 0, (off_t)strlen(message), "bob@example.com",
		"carol@example.org"
	};

	script_run_isolated(text, &m, 32, timeout, out);
}

/*
 * test_isolated - deputy-lda runs scripts in a child: the outcome comes
 * back whole, and a child that crashes, hangs, exits or contradicts
 * itself is a failed script that keeps
 */
static void
test_isolated(const char *srcdir)
{
	static const char *const scripts[] = {
		"require \"fileinto\"; fileinto \"A\"; fileinto \"B\"; "
		    "redirect \"dave@example.net\"; keep;",
		"require [\"vacation\", \"reject\"]; vacation :days 3 "
		    ":subject \"Away\" :from \"carol@example.org\" :addresses "
		    "[\"c@example.org\", \"carol@example.org\"] :handle \"h\" "
		    ":mime \"Content-Type: text/plain\\r\\n\\r\\nGone.\";",
		"require \"reject\"; reject \"no\";",
		"discard;",
		"if header :contains \"subject\" \"Gr\xc3\xbc\" { stop; }",
		"this is no script",
		NULL
	};
	struct script_outcome a, b;
	char *path, *text = NULL;

	for (int i = 0; scripts[i] != NULL; i++) {
		run(scripts[i], &a);
		run_isolated(scripts[i], 10, &b);
		tap_ok(outcome_same(&a, &b), "isolated run %d says what the "
		    "run in process says (%s)", i, b.error ? b.error : "ok");
		script_outcome_clear(&a);
		script_outcome_clear(&b);
	}

	script_isolate_runner(crash_runner);
	run_isolated("keep;", 10, &b);
	tap_ok(b.error != NULL && strstr(b.error, "signal 6") != NULL &&
	    b.keep && b.folders == NULL && !b.discard,
	    "a crashing interpreter: failed, kept (%s)", b.error);
	script_outcome_clear(&b);

	script_isolate_runner(hang_runner);
	run_isolated("keep;", 1, &b);
	tap_ok(b.error != NULL && strstr(b.error, "more than 1 s") != NULL &&
	    b.keep, "a hanging interpreter: killed, failed, kept (%s)",
	    b.error);
	script_outcome_clear(&b);

	script_isolate_runner(silent_hang_runner);
	run_isolated("keep;", 1, &b);
	tap_ok(b.error != NULL && strstr(b.error, "more than 1 s") != NULL &&
	    b.keep, "an interpreter that closes its pipe and hangs: killed, "
	    "failed, kept (%s)", b.error);
	script_outcome_clear(&b);

	script_isolate_runner(exit_runner);
	run_isolated("keep;", 10, &b);
	tap_ok(b.error != NULL && strstr(b.error, "status 3") != NULL &&
	    b.keep, "an interpreter that exits: failed, kept (%s)", b.error);
	script_outcome_clear(&b);

	script_isolate_runner(mixed_runner);
	run_isolated("require \"fileinto\"; fileinto \"A\";", 10, &b);
	tap_ok(b.error != NULL && b.keep && b.folders == NULL,
	    "an error beside actions: only the error and keep (%s)",
	    b.error);
	script_outcome_clear(&b);
	script_isolate_runner(NULL);

	/* A script that overwrites libsieve's heap (fuzz-sieve): whatever
	 * the child makes of it, this process goes on and the message is
	 * kept or filed. */
	path = g_strdup_printf("%s/tests/fuzz/regress/sieve/"
	    "vacation-addresses-heap-overwrite", srcdir);
	if (g_getenv("DEPUTY_SANITIZED") != NULL &&
	    *g_getenv("DEPUTY_SANITIZED") != '\0') {
		/* the child's report of libsieve's error would count as one
		 * of ours */
		tap_skip("libsieve heap overwrite: not under a sanitizer");
	} else if (g_file_get_contents(path, &text, NULL, NULL)) {
		run_isolated(text, 10, &b);
		tap_ok(b.keep || b.folders != NULL || b.discard ||
		    b.redirects != NULL || b.reject != NULL,
		    "libsieve heap overwrite: contained (%s)",
		    b.error ? b.error : "no error");
		script_outcome_clear(&b);
		g_free(text);
	} else {
		tap_skip("no regression input for the heap overwrite");
	}
	g_free(path);
}

int
main(void)
{
	facts_init();
	msg_fd = memfd_create("message", 0);
	if (msg_fd < 0 || write(msg_fd, message, strlen(message)) !=
	    (ssize_t)strlen(message))
		return 99;
	test_script();
	test_vacation();
	test_folders();
	test_isolated(g_getenv("srcdir") ? g_getenv("srcdir") : ".");
	return tap_done();
}
