/*
 * NAME
 *	deputy-lda - the pipe delivery agent: hand the message to deputyd,
 *	or deliver it in process
 * SYNOPSIS
 *	deputy-lda [-c deputy.conf] -f SENDER [-a ORIGINAL_RCPT]
 *		[--client IP] [--explain] -- RECIPIENT...
 * DESCRIPTION
 *	The MTA starts one process per message, so this program is small:
 *	libc and libconfuse, nothing else. It reads daemon.listen from the
 *	configuration and, when deputyd is listening on a Unix socket
 *	there, passes the message to it over LMTP and exits with what
 *	deputyd answered: 0 when every recipient's copy is done, 75 when
 *	one must be retried. When deputyd is not configured, not running,
 *	or fails before it answered, it runs deputy-deliver, the same
 *	engine in process, with the same arguments and the message on
 *	standard input: the result is the same, only slower.
 *
 *	Everything but a plain delivery (--explain, --sieve-vacation,
 *	--help, an option it does not know) goes to deputy-deliver
 *	directly, which also reports every usage error.
 * DIAGNOSTICS
 *	Exit 0 or 75, never anything else; on 75 one line on stderr that
 *	starts with an enhanced status code (deputyd's, or deputy-deliver's).
 * SECURITY
 *	Refuses to run as root. deputy-deliver is the executable beside
 *	this one (the same directory as /proc/self/exe), run with execv.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sysexits.h>
#include <unistd.h>

#include <confuse.h>

#include "conf-sections.h"
#include "relay.h"

#define PIPE_CONF SYSCONFDIR "/deputy/deputy.conf"

/* pipe_tempfail - one line on stderr, exit 75 */
static void __attribute__((noreturn))
pipe_tempfail(const char *dsn, const char *why)
{
	fprintf(stderr, "%s deputy-lda: %s\n", dsn, why);
	fflush(stderr);
	_exit(EX_TEMPFAIL);
}

/* pipe_full - run deputy-deliver with ARGV, the message on stdin */
static void __attribute__((noreturn))
pipe_full(char **argv)
{
	char self[4096], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 32);

	if (n <= 0)
		pipe_tempfail("4.3.0", "cannot find deputy-deliver");
	self[n] = '\0';
	slash = strrchr(self, '/');
	strcpy(slash + 1, "deputy-deliver");
	argv[0] = self;
	execv(self, argv);
	pipe_tempfail("4.3.0", "cannot run deputy-deliver");
}

/* pipe_quiet - libconfuse's errors are deputy-deliver's to report */
static void
pipe_quiet(cfg_t *cfg, const char *fmt, va_list ap)
{
	(void)cfg;
	(void)fmt;
	(void)ap;
}

/*
 * pipe_socket - the first Unix socket of daemon.listen in CONFIG, or
 * NULL (no configuration, no such entry, or a file deputy-deliver
 * should judge)
 */
static char *
pipe_socket(const char *config, int named)
{
	static const char *const names[] = { CONF_SECTION_NAMES };
	cfg_opt_t daemon[] = {
		CFG_STR_LIST("listen", "{unix:" RUNSTATEDIR "/deputy/lmtp}",
		    CFGF_NONE),
		CFG_END()
	};
	cfg_opt_t none[] = { CFG_END() };
	cfg_opt_t opts[sizeof(names) / sizeof(names[0]) + 1];
	char *path = NULL;
	cfg_t *cfg, *sec;
	size_t n = 0;

	/* every section known by name, every key in it skipped but these */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cfg_opt_t sec_opt = CFG_SEC((char *)names[i],
		    strcmp(names[i], "daemon") == 0 ? daemon : none,
		    CFGF_IGNORE_UNKNOWN);

		opts[n++] = sec_opt;
	}
	{
		cfg_opt_t end = CFG_END();

		opts[n] = end;
	}
	if ((cfg = cfg_init(opts, CFGF_IGNORE_UNKNOWN)) == NULL)
		return NULL;
	cfg_set_error_function(cfg, pipe_quiet);
	if (access(config, F_OK) != 0 && !named) {
		/* the built-in defaults */
	} else if (cfg_parse(cfg, config) != CFG_SUCCESS) {
		cfg_free(cfg);
		return NULL;
	}
	sec = cfg_getsec(cfg, "daemon");
	for (unsigned int i = 0; sec != NULL && i < cfg_size(sec, "listen");
	    i++) {
		const char *l = cfg_getnstr(sec, "listen", i);

		if (strncmp(l, "unix:", 5) == 0 || l[0] == '/') {
			path = strdup(l[0] == '/' ? l : l + 5);
			break;
		}
	}
	cfg_free(cfg);
	return path;
}

/* pipe_spool - standard input into a memfd, rewound; -1 on failure */
static int
pipe_spool(void)
{
	int fd = memfd_create("deputy-lda", MFD_CLOEXEC);
	char buf[65536];

	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t n = read(0, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(fd, buf + done, (size_t)(n - done));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -1;
			done += w;
		}
	}
	return lseek(fd, 0, SEEK_SET) == 0 ? fd : -1;
}

/* pipe_fallback - deputy-deliver with the message already read */
static void __attribute__((noreturn))
pipe_fallback(int fd, char **argv)
{
	if (dup2(fd, 0) != 0 || lseek(0, 0, SEEK_SET) != 0)
		pipe_tempfail("4.3.0", "cannot pass the message on");
	pipe_full(argv);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "from", required_argument, NULL, 'f' },
		{ "original-recipient", required_argument, NULL, 'a' },
		{ "client", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 }
	};
	struct relay_settings rs;
	struct relay_reply *replies;
	struct relay *r;
	const char *config = PIPE_CONF, *sender = NULL;
	char **full = calloc((size_t)argc + 1, sizeof(char *));
	char *sock, *err = NULL;
	int ch, named = 0, fd, nrcpt, rc = 0;

	if (full == NULL)
		pipe_tempfail("4.3.0", "out of memory");
	memcpy(full, argv, (size_t)argc * sizeof(char *));
	if (getuid() == 0 || geteuid() == 0)
		pipe_full(full);	/* which refuses, and says why */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+c:f:a:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; named = 1; break;
		case 'f': sender = optarg; break;
		case 'a': case 'C': break;
		default: pipe_full(full);	/* anything else */
		}
	}
	nrcpt = argc - optind;
	if (sender == NULL || nrcpt < 1 ||
	    (sock = pipe_socket(config, named)) == NULL)
		pipe_full(full);
	if (access(sock, F_OK) != 0)
		pipe_full(full);	/* deputyd does not run here */
	if ((fd = pipe_spool()) < 0)
		pipe_tempfail("4.3.0", "cannot read the message");

	memset(&rs, 0, sizeof(rs));
	rs.address = sock;
	rs.lmtp = 1;
	rs.helo = "deputy-lda";
	rs.raw = 1;		/* deputyd stores the message's own bytes */
	rs.timeout = 300;
	r = relay_new(&rs);
	if ((replies = calloc((size_t)nrcpt, sizeof(*replies))) == NULL)
		pipe_tempfail("4.3.0", "out of memory");
	if (strcmp(sender, "<>") == 0)
		sender = "";
	if (relay_send(r, sender, (const char *const *)&argv[optind], NULL, fd,
	    0, replies, &err) != 0) {
		/* deputyd gone or not answering: do it here */
		relay_free(&r);
		pipe_fallback(fd, full);
	}
	relay_free(&r);
	for (int i = 0; i < nrcpt; i++) {
		const char *t = replies[i].text != NULL ? replies[i].text : "";

		if (replies[i].code / 100 == 2)
			continue;
		/* A 5xx (a command deputyd refused, a message over its
		 * SIZE, a refusal downstream): the engine here judges the
		 * same envelope, and answers 0 or 75 as always. */
		if (replies[i].code / 100 != 4)
			pipe_fallback(fd, full);
		/* "451 4.3.0 <rcpt> why": its status code, then the rest */
		if (strlen(t) > 10 && t[4] == '4' && t[5] == '.') {
			char dsn[16];
			size_t n = strcspn(t + 4, " ");

			snprintf(dsn, sizeof(dsn), "%.*s", (int)(n < 9 ? n : 9),
			    t + 4);
			fprintf(stderr, "%s deputy-lda: deputyd: %.300s\n", dsn,
			    t + 4 + n + (t[4 + n] == ' '));
			fflush(stderr);
			_exit(EX_TEMPFAIL);
		}
		pipe_tempfail("4.3.0", "deputyd deferred it");
	}
	relay_replies_clear(replies, (size_t)nrcpt);
	free(replies);
	free(full);
	free(sock);
	return rc;
}
