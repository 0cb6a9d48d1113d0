/*
 * NAME
 *	deputy-lda - delivery agent that replaces auto-replies
 * SYNOPSIS
 *	deputy-lda [-c deputy.conf] -f SENDER [-a ORIGINAL_RCPT]
 *		[--client IP] [--explain] -- RECIPIENT...
 * DESCRIPTION
 *	Reads one message on standard input, delivers it to each
 *	recipient's Maildir, forwards it to the delegates of away
 *	recipients, and sends a notice to the sender only when every rule
 *	of the notice gate passes. See deputy-lda(8).
 * DIAGNOSTICS
 *	This file alone maps outcomes to exit statuses: 0 when every copy
 *	is durably handed on, 75 (EX_TEMPFAIL) for everything else, with
 *	one line on stderr that starts with an enhanced status code. No
 *	other status is ever returned: an MTA turns those into bounces.
 * SECURITY
 *	Refuses to run as root. Runs children with execve, never a shell.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <glib.h>

#include "engine.h"
#include "fail.h"
#include "record.h"
#include "spool.h"

#define MAIN_MAX_ADDRESSES 64

/* main_tempfail - say why on stderr and exit 75 */
static void __attribute__((noreturn))
main_tempfail(const char *dsn, const char *why)
{
	fprintf(stderr, "%s deputy-lda: %s\n", dsn, why);
	fflush(stderr);
	_exit(EX_TEMPFAIL);
}

/*
 * main_on_signal - a deadline or a termination request: try again later.
 * Only alarm()'s own SIGALRM is the deadline; one sent with kill(2) is a
 * termination request like the others, and the log says which.
 */
static void
main_on_signal(int sig, siginfo_t *info, void *context)
{
	static const char alarm_msg[] =
	    "4.4.7 deputy-lda: internal deadline reached\n";
	const char *m;

	(void)context;
	switch (sig) {
	case SIGALRM:
		m = info != NULL && (info->si_code == SI_USER ||
		    info->si_code == SI_QUEUE) ?
		    "4.3.0 deputy-lda: terminated by SIGALRM\n" : alarm_msg;
		break;
	case SIGTERM:
		m = "4.3.0 deputy-lda: terminated by SIGTERM\n";
		break;
	case SIGHUP:
		m = "4.3.0 deputy-lda: terminated by SIGHUP\n";
		break;
	default:
		m = "4.3.0 deputy-lda: terminated by SIGINT\n";
		break;
	}
	engine_abort();
	if (write(2, m, strlen(m)) < 0) {
		/* nothing more can be done */
	}
	_exit(EX_TEMPFAIL);
}

/* main_fail - exit 75 with the status code of CLASS and WHY */
static void __attribute__((noreturn))
main_fail(enum fail_class class, const char *why)
{
	main_tempfail(fail_info(class)->dsn, why != NULL ? why :
	    "temporary failure");
}

/*
 * main_run - open the engine, spool the message, run it, print the
 * records with --explain; only returns when every copy is done
 */
static void
main_run(const char *config, struct engine_request *req)
{
	struct engine *e = NULL;
	struct engine_result res;
	struct spool spool;
	enum fail_class class = FAIL_NONE;
	const char *why = NULL;
	char *error = NULL;

	if (engine_open(config, req->explain ? ENGINE_EXPLAIN : 0, &e, &class,
	    &error) != 0)
		main_fail(class, error);
	alarm(engine_conf(e)->deadline);
	if (spool_stdin(0, engine_conf(e)->spool_dir, &spool, &error) != 0)
		main_fail(FAIL_SPOOL, error);
	if (engine_run(e, &spool, req, &res, &class, &error) != 0)
		main_fail(class, error);
	if (req->explain)
		for (size_t i = 0; i < res.count; i++)
			if (res.records[i].fail == FAIL_NONE)
				record_explain(&res.message, &res.records[i],
				    stdout);
	if ((class = engine_result_fail(&res, &why)) != FAIL_NONE) {
		fflush(stdout);
		main_fail(class, why);
	}
	engine_result_clear(&res);
	spool_close(&spool);
	engine_close(&e);
}

/*
 * main_usage - a usage error is the MTA configuration's: try again. The
 * message is built in a static buffer: _exit() follows, and a heap copy
 * would be a leak to memcheck (and a truncated one is still a message).
 */
static void __attribute__((noreturn))
main_usage(const char *why)
{
	static char msg[1024];

	(void)snprintf(msg, sizeof(msg), "%s; usage: deputy-lda [-c "
	    "deputy.conf] -f SENDER [-a ORIGINAL_RCPT] [--client IP] "
	    "[--explain] -- RECIPIENT...", why);
	main_fail(FAIL_USAGE, msg);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "from", required_argument, NULL, 'f' },
		{ "original-recipient", required_argument, NULL, 'a' },
		{ "client", required_argument, NULL, 'C' },
		{ "explain", no_argument, NULL, 'e' },
		{ "sieve-vacation", no_argument, NULL, 'S' },
		{ "reason", required_argument, NULL, 'R' },
		{ "subject", required_argument, NULL, 's' },
		{ "vacation-from", required_argument, NULL, 'F' },
		{ "address", required_argument, NULL, 'A' },
		{ "seconds", required_argument, NULL, 'T' },
		{ "handle", required_argument, NULL, 'H' },
		{ "mime", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct engine_request req;
	const char *config = NULL;
	struct vacation_request vac;
	/* :addresses, bounded; static, so nothing to free on any exit */
	static char *addresses[MAIN_MAX_ADDRESSES + 1];
	size_t naddresses = 0;
	int sieve_vacation = 0, vacation_opts = 0;
	struct sigaction sa;
	int ch, have_sender = 0, stdin_closed;

	/*
	 * A closed descriptor 0, 1 or 2 would be taken by the first file we
	 * open: the spool would become "standard input" and an empty message
	 * would be delivered. Fill the gaps, and refuse a missing message.
	 */
	stdin_closed = fcntl(0, F_GETFD) < 0 && errno == EBADF;
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
		    open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			_exit(EX_TEMPFAIL);
	if (stdin_closed)
		main_fail(FAIL_INPUT, "standard input is closed: no message");

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = main_on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);	/* one handler at a time */
	sigaddset(&sa.sa_mask, SIGALRM);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGHUP);
	sigaddset(&sa.sa_mask, SIGINT);
	(void)sigaction(SIGALRM, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	alarm(600);	/* until the configured deadline is known */

	fail_oom_install("deputy-lda");
	memset(&req, 0, sizeof(req));
	memset(&vac, 0, sizeof(vac));
	vac.seconds = -1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+c:f:a:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 'f': req.sender = optarg; have_sender = 1; break;
		case 'a': req.orig_recipient = optarg; break;
		case 'C': req.client = optarg; break;
		case 'e': req.explain = 1; break;
		case 'S': sieve_vacation = 1; break;
		case 'R': vac.reason = optarg; vacation_opts = 1; break;
		case 's': vac.subject = optarg; vacation_opts = 1; break;
		case 'F': vac.from = optarg; vacation_opts = 1; break;
		case 'A':
			if (naddresses >= MAIN_MAX_ADDRESSES)
				main_usage("more than 64 --address options");
			addresses[naddresses++] = optarg;
			vacation_opts = 1;
			break;
		case 'T': {
			char *end;
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    v < 0 || v > 10L * 365 * 86400)
				main_usage("--seconds wants a number of seconds");
			vac.seconds = v;
			vacation_opts = 1;
			break;
		}
		case 'H': vac.handle = optarg; vacation_opts = 1; break;
		case 'M': vac.mime = 1; vacation_opts = 1; break;
		case 'h':
			printf("usage: deputy-lda [-c deputy.conf] -f SENDER "
			    "[-a ORIGINAL_RCPT] [--client IP] [--explain] -- "
			    "RECIPIENT...\n"
			    "       deputy-lda [-c deputy.conf] --sieve-vacation "
			    "-f SENDER [--reason TEXT]\n"
			    "           [--subject TEXT] [--vacation-from ADDRESS] "
			    "[--address ADDRESS]...\n"
			    "           [--seconds N] [--handle TEXT] [--mime] -- "
			    "RECIPIENT\n");
			return 0;
		case 'V':
			printf("deputy-lda %s\n", PACKAGE_VERSION);
			return 0;
		default: {
			char why[512];

			(void)snprintf(why, sizeof(why), "unknown option or "
			    "missing value: %s", argv[optind - 1]);
			main_usage(why);
		}
		}
	}
	if (getuid() == 0 || geteuid() == 0)
		main_fail(FAIL_CONFIG, "refusing to run as root; run as the "
		    "deputy user (Postfix pipe: user=deputy)");
	if (!have_sender)
		main_usage("-f SENDER is required");
	if (optind >= argc)
		main_usage("no recipient");
	req.recipients = (const char *const *)&argv[optind];
	if (vacation_opts && !sieve_vacation)
		main_usage("the vacation options need --sieve-vacation");
	if (sieve_vacation) {
		if (argc - optind != 1)
			main_usage("--sieve-vacation takes one recipient");
		vac.addresses = addresses;
		req.vacation = &vac;
	}

	main_run(config, &req);
	if (fflush(stdout) != 0)
		main_fail(FAIL_INTERNAL, "cannot write the explanation");
	return 0;
}
