/*
 * NAME
 *	milter-supervisor - deputy-milter's processes: a supervisor and
 *	one worker
 * SUMMARY
 *	The worker (worker_main()) loads the configuration and the
 *	policy, hands libmilter the callbacks of deputy-milter.c and runs
 *	it (one thread per SMTP connection) until it stops. The
 *	supervisor (supervisor_main()) starts a new worker when one dies
 *	(a fault in libmilter, which reads the packets, or in deputy),
 *	and on SIGHUP when the configuration is good. A crash costs the
 *	transactions in flight the MTA's milter_default_action, nothing
 *	more.
 * DIAGNOSTICS
 *	A worker that cannot start (the configuration, the keys, the
 *	socket) says why on stderr and in the log and exits 1; the
 *	supervisor gives up after three that die within two seconds.
 *	A reload with a bad configuration is refused in the log, and the
 *	running worker stays. A worker killed by a signal is logged and
 *	replaced.
 * SECURITY
 *	The socket is created with milter.socket_mode (the umask is set
 *	around its creation, then chmod); the MTA's user must be able to
 *	connect. No shell, no exec: the worker is a fork of the
 *	supervisor.
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <libmilter/mfapi.h>

#include "conf.h"
#include "facts.h"
#include "log.h"
#include "milter-private.h"
#include "policy.h"

/* milter_socket_path - the path of a Unix socket spec, or NULL */
const char *
milter_socket_path(const char *spec)
{
	if (spec[0] == '/')
		return spec;
	if (g_str_has_prefix(spec, "unix:"))
		return spec + 5;
	if (g_str_has_prefix(spec, "local:"))
		return spec + 6;
	return NULL;
}

/*
 * worker_main - the filter itself: the policy, libmilter's socket and
 * its threads, until libmilter stops (SIGTERM, SIGHUP) or the process
 * dies. 0 after a clean stop, 1 when it could not start.
 */
static int
worker_main(const char *config)
{
	struct smfiDesc desc;
	struct deputy_conf *conf = NULL;
	const char *path;
	char   *err = NULL, *spec;
	int	rc = 1;
	mode_t	old;

	/* libmilter's signal thread waits for these */
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	if (conf_load(config, &conf, &err) != 0) {
		fprintf(stderr, "deputy-milter: %s\n", err);
		log_warn("deputy-milter: %s", err);
		return 1;
	}
	if (mpol_open(conf, &milter_policy, &err) != 0) {
		fprintf(stderr, "deputy-milter: %s\n", err);
		log_warn("deputy-milter: %s", err);
		conf_free(&conf);
		return 1;
	}
	facts_init();

	milter_describe(&desc);

	path = milter_socket_path(conf->milter_socket);
	spec = path != NULL ? g_strdup_printf("unix:%s", path)
	    : g_strdup(conf->milter_socket);
	if (smfi_register(desc) != MI_SUCCESS ||
	    smfi_setconn(spec) != MI_SUCCESS ||
	    smfi_settimeout((int)conf->milter_timeout) != MI_SUCCESS) {
		fprintf(stderr, "deputy-milter: cannot set up libmilter for "
		    "%s\n", spec);
		goto out;
	}
	/* the socket is made with the umask: give it socket_mode */
	old = umask(0777 & ~(mode_t)conf->milter_socket_mode);
	if (smfi_opensocket(1) != MI_SUCCESS) {
		umask(old);
		fprintf(stderr, "deputy-milter: cannot listen on %s: %s\n",
		    spec, g_strerror(errno));
		log_warn("deputy-milter: cannot listen on %s", spec);
		goto out;
	}
	umask(old);
	if (path != NULL && chmod(path, conf->milter_socket_mode) != 0)
		log_warn("deputy-milter: chmod %s: %s", path,
		    g_strerror(errno));
	log_info("deputy-milter: listening on %s", spec);
	rc = smfi_main() == MI_SUCCESS ? 0 : 1;
out:
	g_free(spec);
	mpol_close(&milter_policy);
	conf_free(&conf);
	return rc;
}

static volatile sig_atomic_t supervisor_term, supervisor_hup;

/* supervisor_on_signal - remember what was asked */
static void
supervisor_on_signal(int sig)
{
	if (sig == SIGHUP)
		supervisor_hup = 1;
	else
		supervisor_term = 1;
}

/* supervisor_check - whether CONFIG and its key files are usable now */
static int
supervisor_check(const char *config)
{
	struct deputy_conf *conf = NULL;
	struct mpol *p = NULL;
	char   *err = NULL;

	if (conf_load(config, &conf, &err) != 0 ||
	    mpol_open(conf, &p, &err) != 0) {
		log_warn("deputy-milter: reload refused, the running "
		    "configuration stays: %s", err);
		g_free(err);
		conf_free(&conf);
		return -1;
	}
	mpol_close(&p);
	conf_free(&conf);
	return 0;
}

/*
 * supervisor_main - run the worker, and run it again when it dies
 *
 * libmilter reads the MTA's packets; a fault in it (or in us) must not
 * leave the MTA without its filter. The worker is a child process: one
 * that dies is replaced at once (after a second when it died young), so
 * a crash costs the transactions in flight a 4xx (the MTA's
 * milter_default_action) and nothing more. SIGHUP checks the
 * configuration and, when it is good, lets the worker finish and starts
 * a new one with it; SIGTERM and SIGINT stop the worker and then this.
 * Returns the exit status.
 */
int
supervisor_main(const char *config)
{
	struct sigaction sa;
	pid_t	child = -1;
	time_t	started = 0;
	int	status, young_failures = 0, stopping = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = supervisor_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;		/* no SA_RESTART: waitpid sees EINTR */
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		pid_t	r;

		if (child < 0) {
			child = fork();
			if (child < 0) {
				log_warn("deputy-milter: fork: %s",
				    g_strerror(errno));
				sleep(1);
				continue;
			}
			if (child == 0)
				_exit(worker_main(config));
			started = time(NULL);
		}
		r = waitpid(child, &status, 0);
		if (r < 0 && errno == EINTR) {
			if (supervisor_term && !stopping) {
				stopping = 1;
				(void)kill(child, SIGTERM);
			}
			if (supervisor_hup) {
				supervisor_hup = 0;
				if (!stopping && supervisor_check(config) == 0) {
					log_info("deputy-milter: reloading");
					(void)kill(child, SIGHUP);
				}
			}
			continue;
		}
		if (r < 0) {
			log_warn("deputy-milter: waitpid: %s",
			    g_strerror(errno));
			return 1;
		}
		child = -1;
		if (stopping)
			return 0;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			continue;		/* a reload: start again */
		if (WIFSIGNALED(status))
			log_warn("deputy-milter: the worker was killed by "
			    "signal %d; starting a new one", WTERMSIG(status));
		else
			log_warn("deputy-milter: the worker exited with "
			    "status %d", WEXITSTATUS(status));
		if (time(NULL) - started < 2) {
			/* it cannot start (the socket, the keys): give up
			 * after a few tries instead of spinning */
			if (WIFEXITED(status) && ++young_failures >= 3)
				return 1;
			sleep(1);
		} else
			young_failures = 0;
		if (supervisor_term)
			return 0;
	}
}
