/*
 * NAME
 *	deputy-web - the helpdesk page: absences and delegates in a browser
 * SYNOPSIS
 *	deputy-web [-c deputy.conf]
 *	deputy-web --hash-password < password
 * DESCRIPTION
 *	Reads the configuration (section web, see deputy.conf(5)), listens
 *	on web.listen and serves the page and its JSON API until SIGTERM
 *	or SIGINT. --hash-password reads one line from standard input and
 *	prints a crypt(3) hash for web.users_file. See deputy-web(8).
 * DIAGNOSTICS
 *	Exit 0 after a clean stop; 2 for a usage or configuration error,
 *	1 when the socket cannot be opened, with one line on stderr. While
 *	running it logs to syslog, or to log.file.
 * SECURITY
 *	Refuses to run as root: run it as the user that owns the users
 *	file and may write the LDIF file (or needs nothing on LDAP).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libical/ical.h>

#include "engine.h"
#include "log.h"
#include "web.h"

/* web_usage - one line on stderr; exit status 2 */
static int
web_usage(const char *what, const char *why)
{
	fprintf(stderr, "deputy-web: %s%s%s\n", what, why != NULL ? ": " : "",
	    why != NULL ? why : "");
	return 2;
}

/* web_hash_stdin - --hash-password: one line in, one hash out */
static int
web_hash_stdin(void)
{
	char	buf[1100];
	size_t	len;
	char   *hash, *error = NULL;

	if (fgets(buf, sizeof(buf), stdin) == NULL)
		return web_usage("--hash-password", "no password on stdin");
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if (len == 0 || len > 1024)
		return web_usage("--hash-password", "empty, or longer than "
		    "1024 bytes");
	hash = web_hash_password(buf, &error);
	explicit_bzero(buf, sizeof(buf));
	if (hash == NULL) {
		web_usage("--hash-password", error);
		g_free(error);
		return 2;
	}
	printf("%s\n", hash);
	g_free(hash);
	return 0;
}

/* web_listen - a listening TCP socket for "host:port" */
static int
web_listen(const char *where, char **error_r)
{
	struct addrinfo hints, *res = NULL, *ai;
	const char *colon = strrchr(where, ':');
	char   *host;
	int	fd = -1, one = 1, rc;

	if (colon == NULL) {
		*error_r = g_strdup_printf("%s: not host:port", where);
		return -1;
	}
	host = g_strndup(where, (gsize)(colon - where));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host) - 2);
		host[strlen(host) - 2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	g_free(host);
	if (rc != 0) {
		*error_r = g_strdup_printf("%s: %s", where, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				 sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0
		    && listen(fd, 64) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		*error_r = g_strdup_printf("%s: cannot listen: %s", where,
					   g_strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/* web_free - release what the server holds */
static void
web_free(struct web *w)
{
	web_sessions_free(w);
	web_stats_free(w);
	dir_admin_close(&w->ldif_admin);
	dir_close(&w->ldif_dir);
	engine_close(&w->engine);
	g_free(w->dummy_hash);
	conf_free(&w->conf);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "hash-password", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct web w;
	sigset_t sigs;
	char   *error = NULL;
	int	ch, fd, sig, hash = 0;

	memset(&w, 0, sizeof(w));
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			w.config_path = optarg;
			break;
		case 'H':
			hash = 1;
			break;
		case 'h':
			printf("usage: deputy-web [-c deputy.conf]\n"
			    "       deputy-web --hash-password < password\n");
			return 0;
		case 'V':
			printf("deputy-web %s\n", PACKAGE_VERSION);
			return 0;
		default:
			return web_usage(argv[optind - 1], "unknown option "
			    "(deputy-web [-c deputy.conf])");
		}
	}
	if (optind < argc)
		return web_usage(argv[optind], "extra argument");
	if (hash)
		return web_hash_stdin();
	if (getuid() == 0 || geteuid() == 0)
		return web_usage("refusing to run as root", "run deputy-web "
		    "as an unprivileged user (deputy-web(8))");
	icalerror_set_errors_are_fatal(0);
	if (conf_load(w.config_path, &w.conf, &error) != 0) {
		web_usage(w.config_path != NULL ? w.config_path
		    : conf_default_path(), error);
		g_free(error);
		return 2;
	}
	w.ldap = g_ascii_strcasecmp(w.conf->dir_backend, "ldap") == 0;
	if (!w.ldap && !web_users_file_ok(&w, &error)) {
		web_usage("web.users_file", error);
		g_free(error);
		web_free(&w);
		return 2;
	}
	log_open("deputy-web", w.conf->log_facility, w.conf->log_file);
	web_sessions_init(&w);
	if ((fd = web_listen(w.conf->web_listen, &error)) < 0) {
		fprintf(stderr, "deputy-web: web.listen %s\n", error);
		g_free(error);
		web_free(&w);
		return 1;
	}

	/* signals go to this thread only, through sigwait() */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (web_http_start(&w, fd, &error) < 0) {
		fprintf(stderr, "deputy-web: %s\n", error);
		g_free(error);
		close(fd);
		web_free(&w);
		return 1;
	}
	log_info("listening on %s (%s directory, secure cookies %s)",
	    w.conf->web_listen, w.ldap ? "LDAP" : "LDIF",
	    w.conf->web_secure_cookies ? "on" : "off");
	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
	}
	web_http_stop();
	close(fd);
	log_info("stopped");
	web_free(&w);
	log_close();
	return 0;
}
