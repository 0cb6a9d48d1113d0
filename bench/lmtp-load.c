/*
 * NAME
 *	lmtp-load - send messages to an LMTP server and time each one
 * SYNOPSIS
 *	lmtp-load -a ADDRESS -m MANIFEST -r RCPT -n COUNT -p PEER -o RESULTS
 *		[-c CONNECTIONS] [-l LMTP|SMTP]
 * DESCRIPTION
 *	Opens CONNECTIONS connections (default 1, one process each) to
 *	ADDRESS ("/path" or "host:port") and sends COUNT messages in all,
 *	taken in turn from MANIFEST (lines "FILE<TAB>SENDER", cycled), each
 *	to RCPT, over one connection kept open as Postfix's lmtp client
 *	does. Appends one line per message to RESULTS, in the format of
 *	harness(1) so that "harness stats" reads both:
 *		peer  index  bytes  wall_us  0  status
 *	status is 0 when the server answered 2xx, else its reply code.
 *	Wall time runs from MAIL to the last reply after the data.
 *	It speaks through lib/relay.c, deputy's own client: the same bytes
 *	(CRLF, dot-stuffed, pipelined) go to every server.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "relay.h"

struct item {
	char *file;
	char *sender;
	long bytes;
};

/* now_us - monotonic microseconds */
static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* read_manifest - the items of PATH */
static struct item *
read_manifest(const char *path, size_t *n_r)
{
	FILE *f = fopen(path, "r");
	struct item *v = NULL;
	size_t n = 0, cap = 0;
	char line[8192];

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *tab = strchr(line, '\t'), *nl;
		struct stat st;

		if (tab == NULL)
			continue;
		*tab = '\0';
		if ((nl = strchr(tab + 1, '\n')) != NULL)
			*nl = '\0';
		if (n == cap && (v = realloc(v, (cap = cap * 2 + 16) *
		    sizeof(*v))) == NULL)
			exit(2);
		v[n].file = strdup(line);
		v[n].sender = strdup(tab + 1);
		v[n].bytes = stat(line, &st) == 0 ? (long)st.st_size : 0;
		n++;
	}
	fclose(f);
	*n_r = n;
	return v;
}

/* connection - one process: messages K, K+C, K+2C, ... below COUNT */
static void
connection(const char *address, int lmtp, const struct item *items,
	   size_t nitems, const char *rcpt, long count, int k, int conns,
	   const char *peer, int out)
{
	struct relay_settings rs = { address, lmtp, "lmtp-load", 120, 0 };
	struct relay *r = relay_new(&rs);
	const char *rcpts[2] = { rcpt, NULL };

	for (long i = k; i < count; i += conns) {
		const struct item *it = &items[(size_t)i % nitems];
		struct relay_reply rep;
		char *err = NULL, line[512];
		int fd = open(it->file, O_RDONLY), status, len;
		long long t0, t1;

		if (fd < 0) {
			perror(it->file);
			exit(2);
		}
		t0 = now_us();
		if (relay_send(r, strcmp(it->sender, "<>") == 0 ? "" :
		    it->sender, rcpts, NULL, fd, 0, &rep, &err) != 0) {
			status = 999;
			fprintf(stderr, "lmtp-load: %s: %s\n", peer, err);
			free(err);
		} else {
			status = rep.code / 100 == 2 ? 0 : rep.code;
			relay_replies_clear(&rep, 1);
		}
		t1 = now_us();
		close(fd);
		len = snprintf(line, sizeof(line), "%s\t%ld\t%ld\t%lld\t0\t%d\n",
		    peer, i, it->bytes, t1 - t0, status);
		if (write(out, line, (size_t)len) != len)
			exit(2);
	}
	relay_free(&r);
}

int
main(int argc, char **argv)
{
	const char *address = NULL, *manifest = NULL, *rcpt = NULL;
	const char *peer = NULL, *results = NULL;
	long count = 0;
	int conns = 1, lmtp = 1, ch, out;
	struct item *items;
	size_t nitems;

	while ((ch = getopt(argc, argv, "a:m:r:n:p:o:c:l:")) != -1) {
		switch (ch) {
		case 'a': address = optarg; break;
		case 'm': manifest = optarg; break;
		case 'r': rcpt = optarg; break;
		case 'n': count = atol(optarg); break;
		case 'p': peer = optarg; break;
		case 'o': results = optarg; break;
		case 'c': conns = atoi(optarg); break;
		case 'l': lmtp = strcmp(optarg, "SMTP") != 0; break;
		default: goto usage;
		}
	}
	if (!address || !manifest || !rcpt || count <= 0 || !peer ||
	    !results || conns < 1)
		goto usage;
	items = read_manifest(manifest, &nitems);
	if (nitems == 0) {
		fprintf(stderr, "lmtp-load: %s is empty\n", manifest);
		return 2;
	}
	out = open(results, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (out < 0) {
		perror(results);
		return 2;
	}
	for (int k = 0; k < conns; k++) {
		pid_t pid = fork();

		if (pid == 0) {
			connection(address, lmtp, items, nitems, rcpt, count, k,
			    conns, peer, out);
			_exit(0);
		}
		if (pid < 0) {
			perror("fork");
			return 2;
		}
	}
	for (int k = 0; k < conns; k++)
		(void)wait(NULL);
	return 0;
usage:
	fprintf(stderr, "usage: lmtp-load -a ADDRESS -m MANIFEST -r RCPT -n "
	    "COUNT -p PEER -o RESULTS [-c CONNECTIONS] [-l LMTP|SMTP]\n");
	return 2;
}
