/*
 * NAME
 *	markers - what facts_parse() marks in each message, one line each
 * SUMMARY
 *	markers FILE...
 *
 *	For bench/markers.sh, which builds it against the tree's
 *	libraries. Prints, tab-separated: the file, parsed (1/0), and
 *	each marker (or "-"): challenge, the challenge found in the text
 *	alone (even where a header named one first), bounce, auto-reply,
 *	report type, and the reason a message was not parsed. Markers
 *	hold no tab or newline (facts sanitizes them).
 * DIAGNOSTICS
 *	Exit 0; a file that cannot be opened or read is reported on
 *	stderr and skipped.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "facts.h"

/* show - a marker, or "-" */
static const char *
show(const char *s)
{
	return s != NULL ? s : "-";
}

int
main(int argc, char **argv)
{
	struct facts_settings set = { "X-Deputy-Loop", NULL };

	facts_init();
	for (int i = 1; i < argc; i++) {
		struct facts *f = NULL;
		char *err = NULL;
		int fd = open(argv[i], O_RDONLY);

		if (fd < 0) {
			fprintf(stderr, "markers: %s: %s\n", argv[i],
			    strerror(errno));
			continue;
		}
		if (facts_parse(fd, &set, &f, &err) != 0) {
			fprintf(stderr, "markers: %s: %s\n", argv[i], err);
			g_free(err);
			close(fd);
			continue;
		}
		printf("%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", argv[i], f->parsed,
		    show(f->challenge_marker), show(f->text_challenge),
		    show(f->bounce_marker), show(f->autoreply_marker),
		    show(f->report_type), show(f->unparsed_reason));
		facts_free(&f);
		close(fd);
	}
	return 0;
}
