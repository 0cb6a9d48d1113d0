/*
 * NAME
 *	test-submit - what submit.c adds to lib/child for sendmail
 * SUMMARY
 *	A stub sendmail (a shell script) records its argv and its stdin.
 *	Checks: the argv words (a sender that looks like an option stays
 *	the value of -f, recipients come after "--"), the prefix and then
 *	the spool from the body offset arrive exactly, a prefix alone, and
 *	the words of each failure: exit status with the last stderr line
 *	or "no diagnostic", a missing program, the timeout, a sendmail
 *	that stops reading (a failure even with exit 0), and a spool read
 *	error, after which sendmail never saw the end of its input.
 */

#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "submit.h"
#include "tap.h"

/* The test runs in its own directory: files by their plain names. */
static char dir[64];
static char *sendmail;		/* the stub, by its absolute path */

/* stub - (re)write the stub sendmail with BODY after "#!/bin/sh" */
static void
stub(const char *body)
{
	char *text = g_strdup_printf("#!/bin/sh\n%s\n", body);

	g_file_set_contents("sendmail", text, -1, NULL);
	chmod("sendmail", 0755);
	g_free(text);
}

/* slurp - a whole file, or "" */
static char *
slurp(const char *name)
{
	char *s = NULL;

	if (!g_file_get_contents(name, &s, NULL, NULL))
		s = g_strdup("");
	return s;
}

/* submit - run submit_run() on the stub; the error or NULL */
static char *
submit(const char *sender, const char *prefix, int fd, off_t offset,
       unsigned int timeout)
{
	const char *rcpts[] = { "bob@example.org", "-oQ@example.org", NULL };
	struct submit_request req;
	char *error = NULL;

	memset(&req, 0, sizeof(req));
	req.sendmail = sendmail;
	req.sender = sender;
	req.recipients = rcpts;
	req.prefix = prefix;
	req.fd = fd;
	req.body_offset = offset;
	req.timeout = timeout;
	if (submit_run(&req, &error) == 0 && error == NULL)
		return NULL;
	return error != NULL ? error : g_strdup("failed without a reason");
}

/* test_words - argv and input arrive as they should */
static void
test_words(void)
{
	char *err, *argv, *in, *argv_e, *in_e;
	int fd;

	stub("for a; do echo \"[$a]\"; done >\"$(dirname \"$0\")/argv\"; "
	     "cat >\"$(dirname \"$0\")/in\"");
	g_file_set_contents("spool", "From x\nSKIPPED\nbody line\n",
	    -1, NULL);
	fd = open("spool", O_RDONLY);
	err = submit("-oQ/tmp", "Resent-To: bob\n", fd, 15, 10);
	argv = slurp("argv");
	in = slurp("in");
	argv_e = g_strescape(argv, NULL);
	in_e = g_strescape(in, NULL);
	tap_ok(err == NULL, "a run that reads all and exits 0 ('%s')",
	    err != NULL ? err : "");
	tap_ok(strcmp(argv, "[-i]\n[-f]\n[-oQ/tmp]\n[--]\n[bob@example.org]\n"
	    "[-oQ@example.org]\n") == 0, "argv: -i -f SENDER -- RCPTS, each "
	    "a word (%s)", argv_e);
	tap_ok(strcmp(in, "Resent-To: bob\nbody line\n") == 0,
	    "the prefix, then the spool from the body offset ('%s')", in_e);
	g_free(argv_e);
	g_free(in_e);
	g_free(err);
	g_free(argv);
	g_free(in);

	err = submit("", "Subject: notice\n\nhello\n", -1, 0, 10);
	argv = slurp("argv");
	in = slurp("in");
	tap_ok(err == NULL && strstr(argv, "[-f]\n[]\n[--]\n") != NULL &&
	    strcmp(in, "Subject: notice\n\nhello\n") == 0,
	    "the null sender is an empty word; a prefix alone is the message");
	g_free(err);
	g_free(argv);
	g_free(in);
	close(fd);
}

/* test_failures - each failure in its words */
static void
test_failures(void)
{
	char *big = g_malloc0(1024 * 1024 + 1);
	char *err;
	int fd;

	memset(big, 'x', 1024 * 1024);
	stub("cat >/dev/null; echo 'first' >&2; echo '5.1.1 no such user' >&2;"
	     " exit 67");
	err = submit("a@b.org", "x\n", -1, 0, 10);
	tap_ok(err != NULL && g_str_has_suffix(err, "sendmail: exit 67 "
	    "(5.1.1 no such user)"), "exit status and last line: %s", err);
	g_free(err);

	stub("cat >/dev/null; exit 75");
	err = submit("a@b.org", "x\n", -1, 0, 10);
	tap_ok(err != NULL && g_str_has_suffix(err, "exit 75 (no "
	    "diagnostic)"), "a silent failure: %s", err);
	g_free(err);

	stub("exit 0");
	err = submit("a@b.org", big, -1, 0, 10);
	tap_ok(err != NULL && g_str_has_suffix(err, "sendmail closed its "
	    "input early"), "exit 0 without reading the message is a "
	    "failure: %s", err);
	g_free(err);

	stub("exec sleep 30");
	err = submit("a@b.org", "x\n", -1, 0, 1);
	tap_ok(err != NULL && g_str_has_suffix(err, "sendmail: no exit "
	    "within 1 s, killed"), "the timeout: %s", err);
	g_free(err);

	/* A directory reads as EISDIR: the spool fails after the prefix. */
	stub("cat >/dev/null && touch \"$(dirname \"$0\")/whole\"");
	fd = open(".", O_RDONLY | O_DIRECTORY);
	err = submit("a@b.org", "x\n", fd, 0, 10);
	usleep(200 * 1000);
	tap_ok(err != NULL && strstr(err, "read spool: ") != NULL &&
	    access("whole", F_OK) != 0, "a spool read error, and "
	    "sendmail never saw the end of its input: %s", err);
	g_free(err);
	close(fd);

	unlink("sendmail");
	err = submit("a@b.org", "x\n", -1, 0, 10);
	tap_ok(err != NULL && strstr(err, "sendmail: exit 127 (execve ") !=
	    NULL, "a missing sendmail: %s", err);
	g_free(err);
	g_free(big);
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/deputy-submit.XXXXXX");
	if (mkdtemp(dir) == NULL || chdir(dir) != 0) {
		perror(dir);
		return 1;
	}
	sendmail = g_build_filename(dir, "sendmail", NULL);
	test_words();
	test_failures();
	unlink("argv");
	unlink("in");
	unlink("spool");
	unlink("whole");
	if (chdir("/") != 0)
		perror("chdir");
	rmdir(dir);
	g_free(sendmail);
	return tap_done();
}
