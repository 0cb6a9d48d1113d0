/*
 * NAME
 *	spam-policy - scanners' verdicts on a corpus, and what deputy's
 *	spam policy makes of them
 * SYNOPSIS
 *	spam-policy scan -k spamd|rspamd -a HOST:PORT [-t SECONDS] <LIST
 *	spam-policy table [-s N,C,F] [-r N,C,F] <VERDICTS
 *	spam-policy sweep -k spamd|rspamd -p notice|clean|forward
 *	    -v V1,V2,... [-s N,C,F] [-r N,C,F] <VERDICTS
 * DESCRIPTION
 *	scan: for each line "FILE<TAB>CATEGORY<TAB>SENDER" of LIST, asks
 *	the scanner through deputy's own client (spam_from_scanner(), as
 *	deputy-lda does: a leading mbox "From " line skipped, rcpt
 *	alice@example.org, no client IP) and prints one verdict line:
 *		FILE CATEGORY SCANNER KNOWN SCORE REQUIRED ACTION ERROR
 *	(TAB-separated; "-" for none).
 *
 *	table: reads verdict lines and prints, per scanner and category,
 *	how many messages deputy's policy (spam_notice_ok(),
 *	spam_forward_ok()) would forward to a delegate inside our domains,
 *	to one outside (from an unauthenticated sender, and from an
 *	authenticated one), and how many pass the spam rule of the notice
 *	gate. Then the hard rule: spam that the scanner itself calls spam
 *	and that would still go to an outside delegate (must be 0).
 *	-s and -r set the SpamAssassin and rspamd thresholds (notice,
 *	clean, forward); default: deputy's built-in ones.
 *
 *	sweep: the same counts for spam, phish and personal mail while one
 *	threshold of one scale takes each value of -v.
 *
 *	Nothing here decides anything of its own: the numbers are those
 *	of libdeputy's functions.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "spam.h"
#include "spamc.h"

#define MAX_CATEGORIES 16

struct verdict_line {
	char *file;
	char *category;
	struct spam_verdict v;
};

struct counts {
	char *category;
	unsigned int n, known, inside, out_unauth, out_auth, notice;
	unsigned int called_spam_out_unauth, called_spam_out_auth;
};

/* usage - print the synopsis and exit 2 */
static void
usage(void)
{
	fprintf(stderr, "usage: spam-policy scan -k spamd|rspamd -a HOST:PORT "
	    "[-t SECONDS] <LIST\n"
	    "       spam-policy table [-s N,C,F] [-r N,C,F] <VERDICTS\n"
	    "       spam-policy sweep -k spamd|rspamd -p notice|clean|forward "
	    "-v V1,V2,... [-s N,C,F] [-r N,C,F] <VERDICTS\n");
	exit(2);
}

/* body_offset - skip a leading mbox "From " line, as deputy-lda does */
static off_t
body_offset(int fd)
{
	char buf[2048];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	char *nl;

	if (n < 5 || memcmp(buf, "From ", 5) != 0)
		return 0;
	nl = memchr(buf, '\n', (size_t)n);
	return nl ? (off_t)(nl - buf + 1) : 0;
}

/* cmd_scan - one verdict line per message of the list on stdin */
static int
cmd_scan(int argc, char **argv)
{
	const char *kind = NULL, *address = NULL;
	unsigned int timeout = 30;
	char line[4096];
	int c;

	while ((c = getopt(argc, argv, "k:a:t:")) != -1) {
		switch (c) {
		case 'k': kind = optarg; break;
		case 'a': address = optarg; break;
		case 't': timeout = (unsigned int)atoi(optarg); break;
		default: usage();
		}
	}
	if (kind == NULL || address == NULL || (strcmp(kind, "spamd") != 0 &&
	    strcmp(kind, "rspamd") != 0))
		usage();
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char **f = g_strsplit(g_strchomp(line), "\t", 3);
		struct spamc_request req;
		struct spam_verdict v;
		char *err = NULL;
		int fd;

		if (g_strv_length(f) < 2) {
			g_strfreev(f);
			continue;
		}
		if ((fd = open(f[0], O_RDONLY)) < 0) {
			fprintf(stderr, "%s: %s\n", f[0], g_strerror(errno));
			g_strfreev(f);
			continue;
		}
		memset(&req, 0, sizeof(req));
		req.kind = strcmp(kind, "rspamd") == 0 ? SPAMC_RSPAMD :
		    SPAMC_SPAMD;
		req.address = address;
		req.fd = fd;
		req.offset = body_offset(fd);
		req.size = lseek(fd, 0, SEEK_END) - req.offset;
		req.timeout = timeout;
		req.max_size = 1024 * 1024;	/* deputy's default */
		req.sender = f[2] != NULL ? f[2] : "";
		req.recipient = "alice@example.org";
		(void)spam_from_scanner(&req, &v, &err);
		printf("%s\t%s\t%s\t%d\t%.2f\t%.2f\t%s\t%s\n", f[0], f[1],
		    strcmp(kind, "rspamd") == 0 ? "rspamd" : "spamassassin",
		    v.known, v.score, v.required, v.action ? v.action : "-",
		    err ? err : "-");
		fflush(stdout);
		g_free(err);
		spam_verdict_clear(&v);
		close(fd);
		g_strfreev(f);
	}
	return 0;
}

/* read_verdicts - the verdict lines on stdin */
static GPtrArray *
read_verdicts(void)
{
	GPtrArray *all = g_ptr_array_new();
	char line[8192];

	while (fgets(line, sizeof(line), stdin) != NULL) {
		char **f = g_strsplit(g_strchomp(line), "\t", 8);
		struct verdict_line *l;

		if (g_strv_length(f) < 7) {
			g_strfreev(f);
			continue;
		}
		l = g_new0(struct verdict_line, 1);
		l->file = g_strdup(f[0]);
		l->category = g_strdup(f[1]);
		l->v.scanner = strcmp(f[2], "rspamd") == 0 ?
		    SPAM_SCANNER_RSPAMD : SPAM_SCANNER_SPAMASSASSIN;
		l->v.known = atoi(f[3]);
		l->v.score = g_ascii_strtod(f[4], NULL);
		l->v.required = g_ascii_strtod(f[5], NULL);
		l->v.action = strcmp(f[6], "-") != 0 ? g_strdup(f[6]) : NULL;
		g_ptr_array_add(all, l);
		g_strfreev(f);
	}
	return all;
}

/* parse_scale - "N,C,F" into S */
static void
parse_scale(const char *arg, struct spam_scale *s)
{
	char **f = g_strsplit(arg, ",", 3);

	if (g_strv_length(f) != 3)
		usage();
	s->notice = g_ascii_strtod(f[0], NULL);
	s->clean = g_ascii_strtod(f[1], NULL);
	s->forward = g_ascii_strtod(f[2], NULL);
	g_strfreev(f);
}

/* called_spam - the scanner's own verdict is spam */
static int
called_spam(const struct spam_verdict *v)
{
	if (!v->known)
		return 0;
	if (v->scanner == SPAM_SCANNER_RSPAMD)
		return v->action != NULL && strcmp(v->action, "no action") != 0 &&
		    strcmp(v->action, "greylist") != 0;
	return v->score >= v->required;
}

/* count - the policy's verdicts for ALL on SCANNER's lines, by category */
static unsigned int
count(GPtrArray *all, enum spam_scanner scanner, const struct spam_policy *p,
      struct counts *out)
{
	unsigned int nc = 0;

	for (guint i = 0; i < all->len; i++) {
		struct verdict_line *l = all->pdata[i];
		struct counts *c = NULL;
		const char *why;
		int o;

		if (l->v.scanner != scanner)
			continue;
		for (unsigned int k = 0; k < nc && c == NULL; k++)
			if (strcmp(out[k].category, l->category) == 0)
				c = &out[k];
		if (c == NULL) {
			if (nc == MAX_CATEGORIES)
				continue;
			c = &out[nc++];
			memset(c, 0, sizeof(*c));
			c->category = l->category;
		}
		c->n++;
		c->known += l->v.known ? 1 : 0;
		c->inside += spam_forward_ok(&l->v, p, 1, 0, &why);
		o = spam_forward_ok(&l->v, p, 0, 0, &why);
		c->out_unauth += o;
		c->called_spam_out_unauth += o && called_spam(&l->v);
		o = spam_forward_ok(&l->v, p, 0, 1, &why);
		c->out_auth += o;
		c->called_spam_out_auth += o && called_spam(&l->v);
		c->notice += spam_notice_ok(&l->v, p, &why);
	}
	return nc;
}

/* pct - "12 (8.0%)" */
static char *
pct(unsigned int k, unsigned int n)
{
	return g_strdup_printf("%u (%.1f%%)", k, n ? 100.0 * k / n : 0.0);
}

/* print_table - the counts of one scanner */
static void
print_table(GPtrArray *all, enum spam_scanner scanner,
	    const struct spam_policy *p)
{
	static const char *const order[] = { "spam", "phish", "personal",
	    "list", "automated", NULL };
	struct counts c[MAX_CATEGORIES];
	const struct spam_scale *s = scanner == SPAM_SCANNER_RSPAMD ?
	    &p->rspamd : &p->spamassassin;
	unsigned int nc = count(all, scanner, p, c);
	unsigned int bad_u = 0, bad_a = 0;

	if (nc == 0)
		return;
	printf("\n### %s: notice at most %.2f%s, outside delegates at most "
	    "%.2f%s, nobody at %.2f%s\n\n", spam_scanner_name(scanner),
	    s->notice, scanner == SPAM_SCANNER_RSPAMD ? " with no action" : "",
	    s->clean, scanner == SPAM_SCANNER_RSPAMD ? " with no action" : "",
	    s->forward, scanner == SPAM_SCANNER_RSPAMD ? " or reject" : "");
	printf("| category | messages | scored | forwarded inside | outside, "
	    "unauthenticated | outside, authenticated | spam rule of the "
	    "notice gate passes |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|\n");
	for (int pass = 0; pass < 2; pass++)
		for (unsigned int k = 0; k < nc; k++) {
			int listed = 0;
			char *a, *b, *d, *e;

			for (int o = 0; order[o] != NULL; o++)
				listed |= strcmp(order[o], c[k].category) == 0;
			if ((pass == 0) != listed)
				continue;
			a = pct(c[k].inside, c[k].n);
			b = pct(c[k].out_unauth, c[k].n);
			d = pct(c[k].out_auth, c[k].n);
			e = pct(c[k].notice, c[k].n);
			printf("| %s | %u | %u | %s | %s | %s | %s |\n",
			    c[k].category, c[k].n, c[k].known, a, b, d, e);
			g_free(a);
			g_free(b);
			g_free(d);
			g_free(e);
		}
	for (unsigned int k = 0; k < nc; k++)
		if (strcmp(c[k].category, "spam") == 0 ||
		    strcmp(c[k].category, "phish") == 0) {
			bad_u += c[k].called_spam_out_unauth;
			bad_a += c[k].called_spam_out_auth;
		}
	printf("\nspam and phish that %s itself calls spam, forwarded to an "
	    "outside delegate: %u (unauthenticated), %u (authenticated)\n",
	    spam_scanner_name(scanner), bad_u, bad_a);
}

/* cmd_table - the counts for every scanner in the verdicts */
static int
cmd_table(int argc, char **argv)
{
	struct spam_policy p;
	GPtrArray *all;
	int c;

	spam_policy_default(&p);
	while ((c = getopt(argc, argv, "s:r:")) != -1) {
		switch (c) {
		case 's': parse_scale(optarg, &p.spamassassin); break;
		case 'r': parse_scale(optarg, &p.rspamd); break;
		default: usage();
		}
	}
	all = read_verdicts();
	print_table(all, SPAM_SCANNER_SPAMASSASSIN, &p);
	print_table(all, SPAM_SCANNER_RSPAMD, &p);
	return 0;
}

/* cmd_sweep - one threshold through several values */
static int
cmd_sweep(int argc, char **argv)
{
	struct spam_policy p;
	struct spam_scale *s;
	enum spam_scanner scanner = SPAM_SCANNER_NONE;
	const char *param = NULL, *values = NULL;
	char **vals;
	GPtrArray *all;
	int c;

	spam_policy_default(&p);
	while ((c = getopt(argc, argv, "k:p:v:s:r:")) != -1) {
		switch (c) {
		case 'k':
			scanner = strcmp(optarg, "rspamd") == 0 ?
			    SPAM_SCANNER_RSPAMD : SPAM_SCANNER_SPAMASSASSIN;
			break;
		case 'p': param = optarg; break;
		case 'v': values = optarg; break;
		case 's': parse_scale(optarg, &p.spamassassin); break;
		case 'r': parse_scale(optarg, &p.rspamd); break;
		default: usage();
		}
	}
	if (scanner == SPAM_SCANNER_NONE || param == NULL || values == NULL)
		usage();
	s = scanner == SPAM_SCANNER_RSPAMD ? &p.rspamd : &p.spamassassin;
	all = read_verdicts();
	printf("\n%s, %s threshold | spam | phish | personal   "
	    "(%s)\n", spam_scanner_name(scanner), param,
	    strcmp(param, "notice") == 0 ? "spam rule of the notice gate "
	    "passes" : strcmp(param, "clean") == 0 ? "forwarded outside, "
	    "unauthenticated" : "forwarded inside");
	vals = g_strsplit(values, ",", 0);
	for (char **v = vals; *v != NULL; v++) {
		struct counts cs[MAX_CATEGORIES];
		unsigned int nc;
		double x = g_ascii_strtod(*v, NULL);

		if (strcmp(param, "notice") == 0)
			s->notice = x;
		else if (strcmp(param, "clean") == 0)
			s->clean = x;
		else
			s->forward = x;
		nc = count(all, scanner, &p, cs);
		printf("%6.2f", x);
		for (const char *const *cat = (const char *const[]){ "spam",
		    "phish", "personal", NULL }; *cat != NULL; cat++) {
			unsigned int k, got = 0, n = 0;

			for (k = 0; k < nc; k++)
				if (strcmp(cs[k].category, *cat) == 0) {
					n = cs[k].n;
					got = strcmp(param, "notice") == 0 ?
					    cs[k].notice :
					    strcmp(param, "clean") == 0 ?
					    cs[k].out_unauth : cs[k].inside;
				}
			printf(" | %3u/%-3u %5.1f%%", got, n,
			    n ? 100.0 * got / n : 0.0);
		}
		printf("\n");
	}
	g_strfreev(vals);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	optind = 2;
	if (strcmp(argv[1], "scan") == 0)
		return cmd_scan(argc, argv);
	if (strcmp(argv[1], "table") == 0)
		return cmd_table(argc, argv);
	if (strcmp(argv[1], "sweep") == 0)
		return cmd_sweep(argc, argv);
	usage();
	return 2;
}
