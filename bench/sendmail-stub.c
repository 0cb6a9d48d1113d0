/*
 * sendmail-stub - records what an agent hands to sendmail, and exits 0.
 *
 * Installed as DIR/bin/sendmail; writes DIR/sent/PID.N.argv (one
 * argument a line) and DIR/sent/PID.N.eml (standard input), where DIR
 * is found from /proc/self/exe, or DIR/sent is $BENCH_SENT_DIR when that
 * is set (for an agent whose sendmail path is fixed and bind-mounted
 * over, where /proc/self/exe names the mount point). Written in C so that every peer pays
 * the same small price for a submission, not a shell's start-up.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char exe[4096], path[4400], buf[65536], *s;
	struct timespec ts;
	ssize_t n;
	FILE *f;
	int fd, i;

	if ((s = getenv("BENCH_SENT_DIR")) != NULL && *s != '\0') {
		snprintf(exe, sizeof(exe), "%s", s);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n <= 0)
			return 75;
		exe[n] = '\0';
		if ((s = strrchr(exe, '/')) != NULL)
			*s = '\0';		/* DIR/bin */
		if ((s = strrchr(exe, '/')) != NULL)
			*s = '\0';		/* DIR */
		strncat(exe, "/sent", sizeof(exe) - strlen(exe) - 1);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(path, sizeof(path), "%s/%ld.%ld.%ld.argv", exe,
	    (long)getpid(), (long)ts.tv_sec, ts.tv_nsec);
	if ((f = fopen(path, "w")) == NULL)
		return 75;
	for (i = 1; i < argc; i++)
		fprintf(f, "%s\n", argv[i]);
	if (fclose(f) != 0)
		return 75;
	memcpy(path + strlen(path) - 4, "eml", 4);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		return 75;
	while ((n = read(0, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			return 75;
	return close(fd) == 0 && n == 0 ? 0 : 75;
}
