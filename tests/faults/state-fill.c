/*
 * state-fill - 20,000 deliveries through the engine with a 1 MiB state
 * map (issue 13, acceptance): half to an away user, forwarded. The map
 * fills with ordinary traffic; every delivery must still be done (no
 * retry asked for), each message in the mailbox once, each forward
 * handed to sendmail once.
 *
 *	state-full DIR [COUNT]
 *
 * DIR is a scratch directory (the test script makes it); the engine
 * runs in process, as deputyd will, so the 20,000 runs take seconds
 * of deputy's own time and not 20,000 process starts.
 */

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>

#include "engine.h"
#include "spool.h"
#include "tap.h"

/* count_files - entries in DIR that do not start with '.' */
static unsigned long
count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned long n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* write_file - PATH with TEXT */
static void
write_file(const char *path, const char *text, int mode)
{
	if (!g_file_set_contents(path, text, -1, NULL)) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
	chmod(path, (mode_t)mode);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : NULL;
	unsigned long count = argc > 2 ? strtoul(argv[2], NULL, 10) : 20000;
	unsigned long failed = 0, alice = 0, carol = 0;
	struct engine *e = NULL;
	enum fail_class class;
	char *err = NULL, *path, *text;
	GTimer *timer;

	if (dir == NULL) {
		fprintf(stderr, "usage: state-full DIR [COUNT]\n");
		return 2;
	}
	path = g_strdup_printf("%s/sendmail", dir);
	text = g_strdup_printf("#!/bin/sh\nf=$(mktemp %s/sent/m.XXXXXX) && "
	    "cat >\"$f\"\n", dir);
	write_file(path, text, 0755);
	g_free(text);
	g_free(path);
	path = g_strdup_printf("%s/deputy.conf", dir);
	text = g_strdup_printf(
	    "directory { ldif_file = \"%s/directory.ldif\" }\n"
	    "delivery { maildir = \"%s/mail/%%l\" spool_dir = \"%s\" }\n"
	    "submission { sendmail = \"%s/sendmail\" hostname = \"mx.example.org\" }\n"
	    "state { path = \"%s/state.lmdb\" map_size_mb = 1 }\n"
	    "log { file = \"%s/log\" }\n", dir, dir, dir, dir, dir, dir);
	write_file(path, text, 0644);
	g_free(text);
	if (engine_open(path, 0, &e, &class, &err) != 0) {
		fprintf(stderr, "engine_open: %s\n", err);
		return 1;
	}
	g_free(path);

	timer = g_timer_new();
	for (unsigned long i = 0; i < count; i++) {
		const char *to = i % 2 == 0 ? "alice@example.org" :
		    "carol@example.org";
		const char *rcpts[2] = { to, NULL };
		struct engine_request req;
		struct engine_result res;
		struct spool sp;
		char *m = g_strdup_printf("From: Paul <paul%lu@partner.example.net>\n"
		    "To: <%s>\nSubject: message %lu\nMessage-ID: <m%lu@partner."
		    "example.net>\n\nBody %lu.\n", i % 97, to, i, i, i);

		if (spool_open(NULL, &sp, &err) != 0 ||
		    spool_write(&sp, m, strlen(m), &err) != 0 ||
		    spool_finish(&sp, &err) != 0) {
			fprintf(stderr, "spool: %s\n", err);
			return 1;
		}
		g_free(m);
		memset(&req, 0, sizeof(req));
		req.sender = "paul@partner.example.net";
		req.recipients = rcpts;
		if (engine_run(e, &sp, &req, &res, &class, &err) != 0 ||
		    engine_result_fail(&res, NULL) != FAIL_NONE) {
			if (failed++ < 5)
				fprintf(stderr, "# message %lu: %s\n", i,
				    res.count > 0 && res.records[0].fail_error ?
				    res.records[0].fail_error : err);
		}
		if (i % 2 == 0)
			alice++;
		else
			carol++;
		engine_result_clear(&res);
		spool_close(&sp);
	}
	tap_diag("%lu deliveries in %.1f s", count,
	    g_timer_elapsed(timer, NULL));
	g_timer_destroy(timer);
	engine_close(&e);

	tap_ok(failed == 0, "%lu deliveries with a 1 MiB map: none asked for "
	    "a retry (%lu did)", count, failed);
	path = g_strdup_printf("%s/mail/alice/new", dir);
	tap_ok(count_files(path) == alice, "alice's mailbox: %lu copies, one "
	    "each (%lu)", alice, count_files(path));
	g_free(path);
	path = g_strdup_printf("%s/mail/carol/new", dir);
	tap_ok(count_files(path) == carol, "carol's mailbox: %lu copies, one "
	    "each (%lu)", carol, count_files(path));
	g_free(path);
	path = g_strdup_printf("%s/sent", dir);
	tap_ok(count_files(path) == alice, "forwards: %lu, one per message to "
	    "alice (%lu)", alice, count_files(path));
	g_free(path);
	return tap_done();
}
