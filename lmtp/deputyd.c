/*
 * NAME
 *	deputyd - deputy's resident engine, speaking LMTP
 * SYNOPSIS
 *	deputyd [-c deputy.conf] [-t]
 * DESCRIPTION
 *	The master process opens the listening sockets (daemon.listen:
 *	a Unix socket and/or loopback TCP), creates the shared counter
 *	page, and runs daemon.workers worker processes, each a fresh
 *	exec of deputyd with the sockets inherited. A worker keeps the
 *	configuration, the directory, the state store and its relay
 *	connections open and serves one LMTP connection at a time; more
 *	clients wait in the listen queue until a worker is free. This is
 *	Dovecot's lmtp model with client_limit 1: a fault in one
 *	connection stays in one process, and the engine needs no locks.
 *
 *	The master runs a GLib main loop: signals, worker exits, and the
 *	metrics page (daemon.metrics, Prometheus text). SIGHUP checks the
 *	configuration and, if it is good, starts a new generation of
 *	workers and lets the old one finish; SIGTERM lets every worker
 *	finish the transaction it is in and exit. A worker that dies is
 *	replaced (after a second if it died young).
 * DIAGNOSTICS
 *	deputyd -t checks the configuration: exit 0, or 2 with the file
 *	and line. At start, a bad configuration or a socket that cannot be
 *	opened is an exit 1 with one line on stderr; afterwards diagnostics
 *	go to the log.
 * SECURITY
 *	Refuses to run as root (systemd's User=deputy). The Unix socket is
 *	created with daemon.socket_mode (0660: the MTA's user must be in
 *	the socket's group); TCP listeners should be on loopback.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

#include "conf.h"
#include "counters.h"
#include "engine.h"
#include "fail.h"
#include "log.h"
#include "session.h"
#include "state.h"

#define DEPUTYD_MAX_LISTEN	8
#define DEPUTYD_LISTEN_FD0	3	/* workers get their sockets here */

/* --------------------------------------------------------- the worker */

static int worker_stop_pipe[2] = { -1, -1 };

/* worker_on_term - SIGTERM: finish what is in flight, then stop */
static void
worker_on_term(int sig)
{
	(void)sig;
	if (write(worker_stop_pipe[1], "x", 1) < 0) {
		/* the pipe is full: a stop is pending anyway */
	}
}

struct worker {
	GMainLoop *loop;
	guint sources[DEPUTYD_MAX_LISTEN];
	size_t nsources;
	struct engine *engine;
	struct session_settings set;
	char *hostname;
};

static gboolean worker_on_stop(gint, GIOCondition, gpointer);

/*
 * worker_incoming - a listening socket is readable: accept, and serve
 * the connection to its end. Every worker watches the same sockets; the
 * ones that lose the race get EAGAIN (the sockets are non-blocking) and
 * go back to waiting.
 */
static gboolean
worker_incoming(gint lfd, GIOCondition cond, gpointer data)
{
	struct worker *w = data;
	int fd;

	(void)cond;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("lmtp: accept: %s", g_strerror(errno));
		return G_SOURCE_CONTINUE;
	}
	session_run(fd, &w->engine, &w->set);
	/* LMDB crashed on a corrupt file in this process: its memory may
	 * be damaged. End here; the master starts a fresh worker. */
	if (state_process_tainted()) {
		log_warn("lmtp: the state store crashed in this worker; "
		    "it ends and a new one starts");
		(void)worker_on_stop(-1, 0, w);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* worker_on_stop - the stop pipe is readable: no new connections */
static gboolean
worker_on_stop(gint fd, GIOCondition cond, gpointer data)
{
	struct worker *w = data;

	(void)fd;
	(void)cond;
	for (size_t i = 0; i < w->nsources; i++)
		g_source_remove(w->sources[i]);
	w->nsources = 0;
	g_main_loop_quit(w->loop);
	return G_SOURCE_REMOVE;
}

/* worker_main - a worker: sockets from FDS, counters from CFD */
static int
worker_main(const char *config, const char *fds, int cfd)
{
	struct worker w;
	struct sigaction sa;
	struct deputy_conf *conf = NULL;
	enum fail_class class;
	gchar **list;
	char *err = NULL;

	memset(&w, 0, sizeof(w));
	if (pipe2(worker_stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_on_term;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);

	if (conf_load(config, &conf, &err) != 0) {
		fprintf(stderr, "deputyd: %s\n", err);
		return 1;
	}
	if (engine_open(config, 0, &w.engine, &class, &err) != 0) {
		/* each transaction tries again: the directory may return */
		log_open(conf->log_ident, conf->log_facility, conf->log_file);
		log_warn("deputyd worker: %s (transactions answer %s until it "
		    "works)", err, fail_info(class)->dsn);
		g_free(err);
		w.engine = NULL;
	}
	w.hostname = g_strdup(conf->hostname);
	w.set.config_path = config;
	w.set.hostname = w.hostname;
	w.set.idle_timeout = conf->daemon_idle_timeout;
	w.set.max_size = conf->daemon_max_size;
	w.set.max_recipients = conf->daemon_max_recipients;
	w.set.stop_fd = worker_stop_pipe[0];
	if (cfd >= 0)
		w.set.counters = counters_attach(cfd, &err);
	if (cfd >= 0 && w.set.counters == NULL) {
		log_warn("deputyd worker: %s; no counters", err);
		g_free(err);
	}
	conf_free(&conf);

	w.loop = g_main_loop_new(NULL, FALSE);
	list = g_strsplit(fds, ",", DEPUTYD_MAX_LISTEN);
	for (gchar **f = list; *f != NULL; f++) {
		int lfd = atoi(*f);

		if (lfd < DEPUTYD_LISTEN_FD0 || fcntl(lfd, F_SETFL,
		    fcntl(lfd, F_GETFL) | O_NONBLOCK) != 0) {
			log_warn("deputyd worker: socket %s: %s", *f,
			    g_strerror(errno));
			g_strfreev(list);
			return 1;
		}
		(void)fcntl(lfd, F_SETFD, FD_CLOEXEC);
		w.sources[w.nsources++] = g_unix_fd_add(lfd, G_IO_IN,
		    worker_incoming, &w);
	}
	g_strfreev(list);
	g_unix_fd_add(worker_stop_pipe[0], G_IO_IN, worker_on_stop, &w);
	g_main_loop_run(w.loop);

	g_main_loop_unref(w.loop);
	engine_close(&w.engine);
	g_free(w.hostname);
	return 0;
}

/* --------------------------------------------------------- the master */

struct child {
	GPid pid;
	unsigned int generation;
	gint64 started;
};

struct master {
	GMainLoop *loop;
	const char *config;
	char *self;			/* /proc/self/exe, resolved */
	struct deputy_conf *conf;
	int listen_fds[DEPUTYD_MAX_LISTEN];
	size_t nlisten;
	char **unix_paths;		/* to unlink at the end */
	int counters_fd;
	struct counters *counters;
	GSocketService *metrics;
	GPtrArray *children;		/* of struct child * */
	unsigned int generation;
	int stopping;
};

static void master_spawn(struct master *m);

/* master_listen_unix - bind PATH with MODE; -1 with *error_r */
static int
master_listen_unix(const char *path, unsigned int mode, char **error_r)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;
	mode_t old;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		*error_r = g_strdup_printf("%s: path too long", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	/* a socket left by an earlier run goes; anything else stays */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*error_r = g_strdup_printf("socket: %s", g_strerror(errno));
		return -1;
	}
	old = umask(0777 & ~mode);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    chmod(path, mode) != 0 || listen(fd, 128) != 0) {
		*error_r = g_strdup_printf("listen %s: %s", path,
		    g_strerror(errno));
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	return fd;
}

/* master_listen_tcp - bind "host:port"; -1 with *error_r */
static int
master_listen_tcp(const char *address, char **error_r)
{
	const char *colon = strrchr(address, ':');
	char *host = g_strndup(address, (gsize)(colon - address));
	struct addrinfo hints, *res = NULL;
	int fd = -1, one = 1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	g_free(host);
	if (rc != 0) {
		*error_r = g_strdup_printf("%s: %s", address, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) != 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(fd, 128) != 0) {
		*error_r = g_strdup_printf("listen %s: %s", address,
		    g_strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* master_open_listeners - every daemon.listen entry; -1 with *error_r */
static int
master_open_listeners(struct master *m, char **error_r)
{
	GPtrArray *paths = g_ptr_array_new();

	for (char **l = m->conf->daemon_listen; *l != NULL; l++) {
		const char *a = *l;
		int fd;

		if (m->nlisten >= DEPUTYD_MAX_LISTEN) {
			*error_r = g_strdup_printf("more than %d listeners",
			    DEPUTYD_MAX_LISTEN);
			return -1;
		}
		if (g_str_has_prefix(a, "unix:") || a[0] == '/') {
			const char *path = a[0] == '/' ? a : a + 5;

			fd = master_listen_unix(path,
			    m->conf->daemon_socket_mode, error_r);
			if (fd >= 0)
				g_ptr_array_add(paths, g_strdup(path));
		} else {
			fd = master_listen_tcp(a, error_r);
		}
		if (fd < 0) {
			g_ptr_array_add(paths, NULL);
			m->unix_paths = (char **)g_ptr_array_free(paths, FALSE);
			return -1;
		}
		m->listen_fds[m->nlisten++] = fd;
	}
	g_ptr_array_add(paths, NULL);
	m->unix_paths = (char **)g_ptr_array_free(paths, FALSE);
	if (m->nlisten == 0) {
		*error_r = g_strdup("daemon.listen is empty");
		return -1;
	}
	return 0;
}

/* master_respawn - replace a worker that died young, a second later */
static gboolean
master_respawn(gpointer data)
{
	struct master *m = data;

	if (!m->stopping)
		master_spawn(m);
	return G_SOURCE_REMOVE;
}

/* master_child_exited - a worker ended: reap, replace if it should run */
static void
master_child_exited(GPid pid, gint status, gpointer data)
{
	struct master *m = data;

	g_spawn_close_pid(pid);
	for (guint i = 0; i < m->children->len; i++) {
		struct child *c = m->children->pdata[i];
		int young;

		if (c->pid != pid)
			continue;
		young = g_get_monotonic_time() - c->started < G_USEC_PER_SEC;
		if (!m->stopping && c->generation == m->generation) {
			log_warn("deputyd: worker %d %s %d; replacing it%s",
			    (int)pid, WIFSIGNALED(status) ? "killed by signal" :
			    "exited", WIFSIGNALED(status) ? WTERMSIG(status) :
			    WEXITSTATUS(status), young ? " in a second" : "");
			g_ptr_array_remove_index_fast(m->children, i);
			if (young)
				g_timeout_add_seconds(1, master_respawn, m);
			else
				master_spawn(m);
		} else {
			g_ptr_array_remove_index_fast(m->children, i);
		}
		break;
	}
	if (m->stopping && m->children->len == 0)
		g_main_loop_quit(m->loop);
}

/* master_spawn - one worker: fork, exec deputyd --worker */
static void
master_spawn(struct master *m)
{
	GString *fds = g_string_new(NULL);
	char cfd[16];
	char *argv[10];
	struct child *c;
	int argc = 0;
	pid_t pid;

	for (size_t i = 0; i < m->nlisten; i++)
		g_string_append_printf(fds, "%s%zu", i ? "," : "",
		    DEPUTYD_LISTEN_FD0 + i);
	snprintf(cfd, sizeof(cfd), "%zu", DEPUTYD_LISTEN_FD0 + m->nlisten);
	argv[argc++] = m->self;
	argv[argc++] = "--worker";
	argv[argc++] = fds->str;
	argv[argc++] = "--counters";
	argv[argc++] = cfd;
	if (m->config != NULL) {
		argv[argc++] = "-c";
		argv[argc++] = (char *)m->config;
	}
	argv[argc] = NULL;
	pid = fork();
	if (pid == 0) {
		/* only system calls from here to execv */
		int src[DEPUTYD_MAX_LISTEN + 1], n = 0;

		for (size_t i = 0; i < m->nlisten; i++)
			src[n++] = fcntl(m->listen_fds[i], F_DUPFD_CLOEXEC, 64);
		src[n++] = fcntl(m->counters_fd, F_DUPFD_CLOEXEC, 64);
		for (int i = 0; i < n; i++)
			if (src[i] < 0 ||
			    dup2(src[i], DEPUTYD_LISTEN_FD0 + i) < 0)
				_exit(127);
		execv(m->self, argv);
		_exit(127);
	}
	g_string_free(fds, TRUE);
	if (pid < 0) {
		log_warn("deputyd: fork: %s", g_strerror(errno));
		return;
	}
	c = g_new0(struct child, 1);
	c->pid = pid;
	c->generation = m->generation;
	c->started = g_get_monotonic_time();
	g_ptr_array_add(m->children, c);
	g_child_watch_add(pid, master_child_exited, m);
}

/* master_signal_workers - SIG to every worker of an older generation */
static void
master_signal_workers(struct master *m, int sig, int all)
{
	for (guint i = 0; i < m->children->len; i++) {
		struct child *c = m->children->pdata[i];

		if (all || c->generation != m->generation)
			(void)kill(c->pid, sig);
	}
}

/* master_on_term - stop: every worker finishes its transaction */
static gboolean
master_on_term(gpointer data)
{
	struct master *m = data;

	log_info("deputyd: stopping; %u workers finish what they hold",
	    m->children->len);
	m->stopping = 1;
	if (m->metrics != NULL)
		g_socket_service_stop(m->metrics);
	master_signal_workers(m, SIGTERM, 1);
	if (m->children->len == 0)
		g_main_loop_quit(m->loop);
	return G_SOURCE_CONTINUE;
}

/* master_on_hup - reload: a new generation if the configuration is good */
static gboolean
master_on_hup(gpointer data)
{
	struct master *m = data;
	struct deputy_conf *fresh = NULL;
	char *err = NULL;

	if (conf_load(m->config, &fresh, &err) != 0) {
		log_warn("deputyd: reload refused, the running configuration "
		    "stays: %s", err);
		g_free(err);
		return G_SOURCE_CONTINUE;
	}
	if (fresh->daemon_workers != m->conf->daemon_workers)
		log_info("deputyd: workers %u -> %u", m->conf->daemon_workers,
		    fresh->daemon_workers);
	conf_free(&m->conf);
	m->conf = fresh;
	m->generation++;
	for (unsigned int i = 0; i < m->conf->daemon_workers; i++)
		master_spawn(m);
	master_signal_workers(m, SIGTERM, 0);
	log_info("deputyd: reloaded %s (generation %u); the listeners stay "
	    "as they were", m->config ? m->config : conf_default_path(),
	    m->generation);
	return G_SOURCE_CONTINUE;
}

/* master_metrics - one HTTP request for the counters page */
static gboolean
master_metrics(GSocketService *service, GSocketConnection *conn,
	       GObject *source, gpointer data)
{
	struct master *m = data;
	GSocket *s = g_socket_connection_get_socket(conn);
	char req[1024], *page = NULL;
	size_t len = 0;
	FILE *out;
	gssize n;

	(void)service;
	(void)source;
	g_socket_set_blocking(s, TRUE);
	g_socket_set_timeout(s, 2);
	n = g_socket_receive(s, req, sizeof(req) - 1, NULL, NULL);
	if (n <= 0)
		return TRUE;
	req[n] = '\0';
	out = open_memstream(&page, &len);
	if (strncmp(req, "GET /metrics ", 13) == 0) {
		char *body = NULL;
		size_t blen = 0;
		FILE *b = open_memstream(&body, &blen);

		counters_print(m->counters, b);
		fclose(b);
		fprintf(out, "HTTP/1.0 200 OK\r\nContent-Type: text/plain; "
		    "version=0.0.4\r\nContent-Length: %zu\r\n\r\n%s", blen,
		    body);
		free(body);
	} else {
		fprintf(out, "HTTP/1.0 404 Not Found\r\nContent-Length: 0"
		    "\r\n\r\n");
	}
	fclose(out);
	(void)g_socket_send(s, page, len, NULL, NULL);
	free(page);
	return TRUE;
}

/* master_metrics_open - the metrics listener, when configured */
static int
master_metrics_open(struct master *m, char **error_r)
{
	GError *ge = NULL;
	int fd;
	GSocket *s;

	if (m->conf->daemon_metrics == NULL)
		return 0;
	if ((fd = master_listen_tcp(m->conf->daemon_metrics, error_r)) < 0)
		return -1;
	s = g_socket_new_from_fd(fd, &ge);
	m->metrics = g_socket_service_new();
	if (s == NULL || !g_socket_listener_add_socket(
	    G_SOCKET_LISTENER(m->metrics), s, NULL, &ge)) {
		*error_r = g_strdup_printf("metrics: %s", ge ? ge->message :
		    "?");
		g_clear_error(&ge);
		return -1;
	}
	g_object_unref(s);
	g_signal_connect(m->metrics, "incoming", G_CALLBACK(master_metrics),
	    m);
	g_socket_service_start(m->metrics);
	return 0;
}

/* master_main - the master process */
static int
master_main(const char *config)
{
	struct master m;
	char *err = NULL;

	memset(&m, 0, sizeof(m));
	m.config = config;
	m.counters_fd = -1;
	if (conf_load(config, &m.conf, &err) != 0) {
		fprintf(stderr, "deputyd: %s\n", err);
		return 1;
	}
	log_open(m.conf->log_ident, m.conf->log_facility, m.conf->log_file);
	m.self = g_file_read_link("/proc/self/exe", NULL);
	if (m.self == NULL) {
		fprintf(stderr, "deputyd: cannot find its own executable\n");
		return 1;
	}
	if (master_open_listeners(&m, &err) != 0 ||
	    (m.counters = counters_create(&m.counters_fd, &err)) == NULL) {
		fprintf(stderr, "deputyd: %s\n", err);
		log_warn("deputyd: %s", err);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	m.loop = g_main_loop_new(NULL, FALSE);
	if (master_metrics_open(&m, &err) != 0) {
		fprintf(stderr, "deputyd: %s\n", err);
		return 1;
	}
	m.children = g_ptr_array_new_with_free_func(g_free);
	for (unsigned int i = 0; i < m.conf->daemon_workers; i++)
		master_spawn(&m);
	g_unix_signal_add(SIGTERM, master_on_term, &m);
	g_unix_signal_add(SIGINT, master_on_term, &m);
	g_unix_signal_add(SIGHUP, master_on_hup, &m);
	log_info("deputyd: %u workers on %s", m.conf->daemon_workers,
	    m.conf->daemon_listen[0]);
	g_main_loop_run(m.loop);

	for (char **p = m.unix_paths; p != NULL && *p != NULL; p++)
		(void)unlink(*p);
	log_info("deputyd: stopped");
	if (m.metrics != NULL)
		g_object_unref(m.metrics);
	g_strfreev(m.unix_paths);
	g_ptr_array_free(m.children, TRUE);
	g_main_loop_unref(m.loop);
	conf_free(&m.conf);
	g_free(m.self);
	return 0;
}

/* usage - the synopsis on stderr; exit 2 */
static void __attribute__((noreturn))
usage(const char *why)
{
	fprintf(stderr, "deputyd: %s\nusage: deputyd [-c deputy.conf] [-t]\n",
	    why);
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "worker", required_argument, NULL, 'W' },
		{ "counters", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *config = NULL, *worker = NULL;
	int ch, test = 0, cfd = -1;

	fail_oom_install("deputyd");
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "c:tfhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 't': test = 1; break;
		case 'f': break;	/* always in the foreground */
		case 'W': worker = optarg; break;
		case 'K': cfd = atoi(optarg); break;
		case 'h':
			printf("usage: deputyd [-c deputy.conf] [-t]\n");
			return 0;
		case 'V':
			printf("deputyd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage("unexpected argument");
	if (test) {
		struct deputy_conf *c = NULL;
		char *err = NULL;

		if (conf_load(config, &c, &err) != 0) {
			fprintf(stderr, "deputyd: %s\n", err);
			return 2;
		}
		conf_free(&c);
		return 0;
	}
	if (getuid() == 0 || geteuid() == 0) {
		fprintf(stderr, "deputyd: refusing to run as root; run as the "
		    "deputy user (systemd: User=deputy)\n");
		return 1;
	}
	if (worker != NULL)
		return worker_main(config, worker, cfd);
	return master_main(config);
}
