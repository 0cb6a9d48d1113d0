/*
 * NAME
 *	harness - run delivery agents one process per message and time them
 * SYNOPSIS
 *	harness run -p PEERS -m MANIFEST -o RESULTS [-T BUDGET_S] [-k KILL_S]
 *	harness stats -o RESULTS [-r REFERENCE [-f FLOOR]]
 * DESCRIPTION
 *	run: for every message of MANIFEST (lines "FILE<TAB>SENDER"), runs
 *	every peer of PEERS once, the message file open on standard input,
 *	and appends one line per run to RESULTS:
 *		peer  index  bytes  wall_us  maxrss_kb  status
 *	Peers take turns: for message i the first peer is i mod npeers, so
 *	drift (cache, page cache, CPU frequency) is shared out evenly and
 *	each pair of runs of one message is close in time.
 *
 *	PEERS has one peer a line, fields separated by TABs:
 *		name  uid  gid  ENV1;ENV2;...  /path/prog  arg...
 *	An argument "{sender}" becomes the message's envelope sender.
 *	The child runs with that uid/gid (no supplementary groups), that
 *	environment only, stdin the message, stdout and stderr appended to
 *	PEERS-directory/NAME.out. Wall time is measured from just before
 *	fork() to the return of wait4() (CLOCK_MONOTONIC); ru_maxrss comes
 *	from wait4(), so it is the peak of the agent and of any child it
 *	waited for (a sendmail stub, say).
 *
 *	A run longer than KILL_S seconds (default 60) is killed, its
 *	process group with it, and recorded with status "kill". When the
 *	whole run has taken BUDGET_S seconds (default: none), no further
 *	message is started.
 *
 *	stats: reads RESULTS and prints a Markdown table per peer: runs,
 *	failures, messages/s (runs / sum of wall times), p50 and p99 wall
 *	time, peak and median ru_maxrss, and, against REFERENCE, the ratio
 *	of throughputs and the median over messages of peer time /
 *	reference time (both > 1 when the reference is faster). With -f,
 *	also the reference's per-message cost as a multiple of FLOOR's.
 *	With -t, one tab-separated line per peer instead: name runs fails
 *	msgs/s p50_ms p99_ms peak_rss_kb median_rss_kb thr_ratio
 *	median_time_ratio mean_ms.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXPEERS 16
#define MAXARGS 64

struct peer {
	char *name;
	uid_t uid;
	gid_t gid;
	char *env[MAXARGS];
	char *argv[MAXARGS];
	int outfd;
};

static struct peer peers[MAXPEERS];
static int npeers;
static volatile pid_t current_child;

static void
die(const char *what)
{
	perror(what);
	exit(2);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
on_alarm(int sig)
{
	(void)sig;
	if (current_child > 0)
		kill(-current_child, SIGKILL);
}

static char *
chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static void
load_peers(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[8192], dir[4096], out[4200], *slash;

	if (f == NULL)
		die(path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	else
		strcpy(dir, ".");
	while (fgets(line, sizeof(line), f) != NULL) {
		struct peer *p;
		char *save = NULL, *tok, *e, *esave = NULL;
		int i = 0, na = 0;

		chomp(line);
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (npeers == MAXPEERS) {
			fprintf(stderr, "harness: too many peers\n");
			exit(2);
		}
		p = &peers[npeers++];
		for (tok = strtok_r(line, "\t", &save); tok != NULL;
		    tok = strtok_r(NULL, "\t", &save), i++) {
			switch (i) {
			case 0: p->name = strdup(tok); break;
			case 1: p->uid = (uid_t)strtoul(tok, NULL, 10); break;
			case 2: p->gid = (gid_t)strtoul(tok, NULL, 10); break;
			case 3: {
				int ne = 0;

				for (e = strtok_r(tok, ";", &esave); e != NULL;
				    e = strtok_r(NULL, ";", &esave))
					if (ne < MAXARGS - 1 && strcmp(e, "-") != 0)
						p->env[ne++] = strdup(e);
				break;
			}
			default:
				if (na < MAXARGS - 1)
					p->argv[na++] = strdup(tok);
			}
		}
		if (na == 0) {
			fprintf(stderr, "harness: peer %s has no program\n",
			    p->name ? p->name : "?");
			exit(2);
		}
		snprintf(out, sizeof(out), "%s/%s.out", dir, p->name);
		p->outfd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		    0644);
		if (p->outfd < 0)
			die(out);
	}
	fclose(f);
	if (npeers == 0) {
		fprintf(stderr, "harness: no peer in %s\n", path);
		exit(2);
	}
}

/* run_one - one process for one message; returns wall time in us */
static long long
run_one(struct peer *p, const char *file, const char *sender, int kill_s,
    long *maxrss, char *status, size_t statuslen)
{
	char *argv[MAXARGS];
	struct rusage ru;
	double t0, t1;
	pid_t pid;
	int i, st, fd;

	for (i = 0; p->argv[i] != NULL; i++)
		argv[i] = strcmp(p->argv[i], "{sender}") == 0 ?
		    (char *)sender : p->argv[i];
	argv[i] = NULL;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(file);

	t0 = now_s();
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		setpgid(0, 0);
		if (dup2(fd, 0) < 0 || dup2(p->outfd, 1) < 0 ||
		    dup2(p->outfd, 2) < 0)
			_exit(126);
		if (setgroups(0, NULL) != 0 && geteuid() == 0)
			_exit(126);
		if (setgid(p->gid) != 0 || setuid(p->uid) != 0)
			_exit(126);
		execve(argv[0], argv, p->env);
		_exit(127);
	}
	current_child = pid;
	alarm((unsigned)kill_s);
	while (wait4(pid, &st, 0, &ru) < 0) {
		if (errno != EINTR)
			die("wait4");
	}
	alarm(0);
	current_child = 0;
	t1 = now_s();
	close(fd);
	*maxrss = ru.ru_maxrss;
	if (WIFEXITED(st))
		snprintf(status, statuslen, "%d", WEXITSTATUS(st));
	else if (WTERMSIG(st) == SIGKILL)
		snprintf(status, statuslen, "kill");
	else
		snprintf(status, statuslen, "sig%d", WTERMSIG(st));
	return (long long)((t1 - t0) * 1e6);
}

static int
cmd_run(int argc, char **argv)
{
	const char *peersf = NULL, *manifest = NULL, *resultf = NULL;
	double budget = 0, start;
	int kill_s = 60, ch, idx = 0;
	char line[8192];
	FILE *m, *out;
	struct sigaction sa;

	while ((ch = getopt(argc, argv, "p:m:o:T:k:")) != -1) {
		switch (ch) {
		case 'p': peersf = optarg; break;
		case 'm': manifest = optarg; break;
		case 'o': resultf = optarg; break;
		case 'T': budget = atof(optarg); break;
		case 'k': kill_s = atoi(optarg); break;
		default: return 2;
		}
	}
	if (peersf == NULL || manifest == NULL || resultf == NULL) {
		fprintf(stderr, "usage: harness run -p PEERS -m MANIFEST "
		    "-o RESULTS [-T BUDGET_S] [-k KILL_S]\n");
		return 2;
	}
	load_peers(peersf);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((m = fopen(manifest, "r")) == NULL)
		die(manifest);
	if ((out = fopen(resultf, "a")) == NULL)
		die(resultf);
	start = now_s();
	while (fgets(line, sizeof(line), m) != NULL) {
		char *tab, *file = chomp(line), *sender;
		struct stat sb;
		int k;

		if (*file == '\0')
			continue;
		if (budget > 0 && now_s() - start > budget) {
			fprintf(stderr, "harness: time budget of %.0f s reached "
			    "after %d messages\n", budget, idx);
			break;
		}
		tab = strchr(file, '\t');
		sender = "";
		if (tab != NULL) {
			*tab = '\0';
			sender = tab + 1;
		}
		if (stat(file, &sb) != 0)
			die(file);
		for (k = 0; k < npeers; k++) {
			struct peer *p = &peers[(idx + k) % npeers];
			char status[16];
			long rss = 0;
			long long us = run_one(p, file, sender, kill_s, &rss,
			    status, sizeof(status));

			fprintf(out, "%s\t%d\t%lld\t%lld\t%ld\t%s\n", p->name,
			    idx, (long long)sb.st_size, us, rss, status);
		}
		idx++;
	}
	fclose(out);
	fclose(m);
	return 0;
}

/* ---- stats ---- */

struct series {
	char name[64];
	long long *us;		/* by message index, -1 when absent */
	long *rss;
	int n, fail, cap;
	long long total_us;
};

static struct series ser[MAXPEERS];
static int nser;

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_l(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* quantile - nearest-rank quantile of a sorted array */
static long long
quantile_ll(const long long *v, int n, double q)
{
	int r;

	if (n == 0)
		return 0;
	r = (int)(q * n + 0.999999);
	if (r < 1)
		r = 1;
	if (r > n)
		r = n;
	return v[r - 1];
}

static struct series *
series_get(const char *name)
{
	int i;

	for (i = 0; i < nser; i++)
		if (strcmp(ser[i].name, name) == 0)
			return &ser[i];
	if (nser == MAXPEERS) {
		fprintf(stderr, "harness: too many peers in results\n");
		exit(2);
	}
	snprintf(ser[nser].name, sizeof(ser[nser].name), "%s", name);
	return &ser[nser++];
}

static void
series_put(struct series *s, int idx, long long us, long rss)
{
	if (idx >= s->cap) {
		int old = s->cap, i;

		s->cap = idx * 2 + 64;
		s->us = realloc(s->us, s->cap * sizeof(*s->us));
		s->rss = realloc(s->rss, s->cap * sizeof(*s->rss));
		if (s->us == NULL || s->rss == NULL)
			die("realloc");
		for (i = old; i < s->cap; i++) {
			s->us[i] = -1;
			s->rss[i] = -1;
		}
	}
	s->us[idx] = us;
	s->rss[idx] = rss;
}

static double
median_ratio(const struct series *a, const struct series *b)
{
	/* median over messages run by both of a.us / b.us */
	int n = a->cap < b->cap ? a->cap : b->cap, i, k = 0;
	double *r = malloc((n + 1) * sizeof(*r)), med;

	for (i = 0; i < n; i++)
		if (a->us[i] > 0 && b->us[i] > 0)
			r[k++] = (double)a->us[i] / (double)b->us[i];
	if (k == 0) {
		free(r);
		return 0;
	}
	qsort(r, k, sizeof(*r), cmp_d);
	med = k % 2 ? r[k / 2] : (r[k / 2 - 1] + r[k / 2]) / 2;
	free(r);
	return med;
}

static int
cmd_stats(int argc, char **argv)
{
	const char *resultf = NULL, *ref = NULL, *floorname = NULL;
	char line[1024];
	int tsv = 0;
	struct series *rs = NULL;
	FILE *f;
	int ch, i;

	while ((ch = getopt(argc, argv, "o:r:f:t")) != -1) {
		switch (ch) {
		case 't': tsv = 1; break;
		case 'o': resultf = optarg; break;
		case 'r': ref = optarg; break;
		case 'f': floorname = optarg; break;
		default: return 2;
		}
	}
	if (resultf == NULL) {
		fprintf(stderr, "usage: harness stats -o RESULTS [-r REF]\n");
		return 2;
	}
	if ((f = fopen(resultf, "r")) == NULL)
		die(resultf);
	while (fgets(line, sizeof(line), f) != NULL) {
		char name[64], status[16];
		long long bytes, us;
		long rss;
		int idx;
		struct series *s;

		if (sscanf(line, "%63s %d %lld %lld %ld %15s", name, &idx,
		    &bytes, &us, &rss, status) != 6)
			continue;
		s = series_get(name);
		s->n++;
		s->total_us += us;
		if (strcmp(status, "0") != 0)
			s->fail++;
		series_put(s, idx, us, rss);
	}
	fclose(f);
	if (ref != NULL)
		for (i = 0; i < nser; i++)
			if (strcmp(ser[i].name, ref) == 0)
				rs = &ser[i];

	if (!tsv) {
	printf("| peer | runs | exit != 0 | messages/s | p50 ms | p99 ms "
	    "| peak RSS KB | median RSS KB | %s throughput / peer "
	    "| median per-message time peer / %s |\n",
	    rs ? rs->name : "ref", rs ? rs->name : "ref");
	printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
	    "| ---: | ---: |\n");
	}
	for (i = 0; i < nser; i++) {
		struct series *s = &ser[i];
		long long *v = malloc(s->cap * sizeof(*v));
		long *r = malloc(s->cap * sizeof(*r));
		int k = 0, kr = 0, j;
		double mps = s->total_us > 0 ? s->n / (s->total_us / 1e6) : 0;
		double rmps = rs && rs->total_us > 0 ?
		    rs->n / (rs->total_us / 1e6) : 0;

		for (j = 0; j < s->cap; j++) {
			if (s->us[j] >= 0)
				v[k++] = s->us[j];
			if (s->rss[j] >= 0)
				r[kr++] = s->rss[j];
		}
		qsort(v, k, sizeof(*v), cmp_ll);
		qsort(r, kr, sizeof(*r), cmp_l);
		if (tsv) {
			printf("%s\t%d\t%d\t%.2f\t%.3f\t%.3f\t%ld\t%ld\t%.3f\t"
			    "%.3f\t%.3f\n", s->name, s->n, s->fail, mps,
			    quantile_ll(v, k, 0.50) / 1000.0,
			    quantile_ll(v, k, 0.99) / 1000.0,
			    kr ? r[kr - 1] : 0, kr ? r[(kr - 1) / 2] : 0,
			    rs && s != rs && mps > 0 ? rmps / mps : 1.0,
			    rs && s != rs ? median_ratio(s, rs) : 1.0,
			    s->n ? s->total_us / 1000.0 / s->n : 0);
			free(v);
			free(r);
			continue;
		}
		printf("| %s | %d | %d | %.1f | %.2f | %.2f | %ld | %ld ",
		    s->name, s->n, s->fail, mps,
		    quantile_ll(v, k, 0.50) / 1000.0,
		    quantile_ll(v, k, 0.99) / 1000.0,
		    kr ? r[kr - 1] : 0, kr ? r[(kr - 1) / 2] : 0);
		if (rs != NULL && s != rs)
			printf("| %.2f | %.2f |\n", mps > 0 ? rmps / mps : 0,
			    median_ratio(s, rs));
		else
			printf("| - | - |\n");
		free(v);
		free(r);
	}
	for (i = 0; !tsv && rs != NULL && floorname != NULL && i < nser; i++) {
		struct series *s = &ser[i];

		if (strcmp(s->name, floorname) != 0 || s->n == 0 || rs->n == 0)
			continue;
		printf("\nPer-message cost of %s against the floor (%s): "
		    "mean %.2f x, median of per-message ratios %.2f x "
		    "(%.2f ms vs %.2f ms a message on average).\n",
		    rs->name, s->name,
		    ((double)rs->total_us / rs->n) /
		    ((double)s->total_us / s->n), median_ratio(rs, s),
		    rs->total_us / 1000.0 / rs->n, s->total_us / 1000.0 / s->n);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "stats") == 0)
		return cmd_stats(argc - 1, argv + 1);
	fprintf(stderr, "usage: harness run|stats ...\n");
	return 2;
}
