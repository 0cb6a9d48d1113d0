/*
 * test-conf - deputy.conf: defaults, good values, and bad files refused
 * with their line number
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "conf.h"
#include "conf-sections.h"
#include "spam.h"
#include "tap.h"

static char *write_tmp(const char *text);

struct bad {
	const char *text;
	const char *want;	/* substring of the error, with the line */
};

static const struct bad bad_files[] = {
	{ "directory {\n  backend = \"ldap2\"\n}\n", ":2: backend = \"ldap2\"" },
	{ "policy {\n\n  notice = sometimes\n}\n", ":3: notice" },
	{ "\n\nnosuchsection {\n}\n", ":3:" },
	{ "delivery {\n  maildir = \"relative/%l\"\n}\n", ":2: maildir" },
	{ "delivery {\n  deadline = 1\n}\n", ":2: deadline = 1 is out of range" },
	{ "policy {\n  notice_period_days = 61\n}\n", ":2: notice_period_days" },
	{ "spam {\n  notice_threshold = abc\n}\n", ":2:" },
	{ "log {\n  facility = kern\n}\n", ":2: facility" },
	{ "delivery {\n  loop_header = \"X Bad\"\n}\n", ":2: loop_header" },
	{ "directory {\n  backend = \"ldif\"\n", ":1: section is never closed" },
	{ "submission {\n  timeout = 0\n}\n", ":2: timeout" },
	{ "directory {\n  max_delegates = 0\n}\n", ":2: max_delegates" },
	{ "spam {\n  rspamd_notice_threshold = 1001\n}\n",
	  ":2: rspamd_notice_threshold = 1001 is out of range" },
	{ "spam {\n  headers_from = \"spamd\"\n}\n", ":2: headers_from" },
	{ "spam {\n  address = \"127.0.0.1\"\n}\n", ":2: address" },
	{ "spam {\n  address = \"127.0.0.1:99999\"\n}\n", ":2: address" },
	{ "spam {\n  address = \"a b:783\"\n}\n", ":2: address" },
	{ "web {\n  listen = \"unix:/run/x\"\n}\n", ":2: listen" },
	{ "web {\n  listen = \"127.0.0.1\"\n}\n", ":2: listen" },
	{ "web {\n  login_dn = \"uid=%s,ou=%s\"\n}\n", ":2: login_dn" },
	{ "web {\n  login_dn = \"uid=%d\"\n}\n", ":2: login_dn" },
	{ "web {\n  login_attribute = \"uid)(x\"\n}\n", ":2: login_attribute" },
	{ "web {\n  session_idle = 5\n}\n", ":2: session_idle" },
	{ "web {\n  users_file = \"users\"\n}\n", ":2: users_file" },
	{ "web {\n  secure_cookies = maybe\n}\n", ":2:" },
	{ "web {\n  metrics = \"unix:/run/deputy/metrics\"\n}\n", ":2: metrics" },
};

/* check_spam - the spam section: thresholds per scale, older names */
static void
check_spam(void)
{
	static const struct {
		const char *text;
		double sa_notice, sa_clean, sa_forward;
		double rs_notice, rs_clean, rs_forward;
		const char *headers_from;
	} rows[] = {
		{ "", 1.0, 2.0, 5.0, 1.5, 2.0, 15.0, "spamassassin" },
		{ "spam {\n notice_threshold = 0.5\n forward_threshold = 6\n}\n",
		  0.5, 2.0, 6.0, 1.5, 2.0, 15.0, "spamassassin" },
		{ "spam {\n notice_threshold = 0.5\n"
		  " spamassassin_notice_threshold = 0.2\n"
		  " spamassassin_forward_threshold = 7\n"
		  " spamassassin_clean_threshold = 3\n}\n",
		  0.2, 3.0, 7.0, 1.5, 2.0, 15.0, "spamassassin" },
		{ "spam {\n scanner = \"rspamd\"\n rspamd_notice_threshold = 1\n"
		  " rspamd_clean_threshold = 3\n rspamd_forward_threshold = 10\n}\n",
		  1.0, 2.0, 5.0, 1.0, 3.0, 10.0, "rspamd" },
		{ "spam {\n scanner = \"rspamd\"\n headers_from = \"spamassassin\"\n"
		  " address = \"[::1]:11333\"\n}\n",
		  1.0, 2.0, 5.0, 1.5, 2.0, 15.0, "spamassassin" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		struct deputy_conf *c = NULL;
		struct spam_policy p;
		char *err = NULL, *path = write_tmp(rows[i].text);
		int ok = conf_load(path, &c, &err) == 0;

		if (ok) {
			conf_spam_policy(c, &p);
			ok = p.spamassassin.notice == rows[i].sa_notice &&
			    p.spamassassin.clean == rows[i].sa_clean &&
			    p.spamassassin.forward == rows[i].sa_forward &&
			    p.rspamd.notice == rows[i].rs_notice &&
			    p.rspamd.clean == rows[i].rs_clean &&
			    p.rspamd.forward == rows[i].rs_forward &&
			    strcmp(c->spam_headers_from,
			    rows[i].headers_from) == 0;
		}
		tap_ok(ok, "spam section %zu: SpamAssassin %.1f/%.1f/%.1f, "
		    "rspamd %.1f/%.1f/%.1f, headers from %s (%s)", i,
		    rows[i].sa_notice, rows[i].sa_clean, rows[i].sa_forward,
		    rows[i].rs_notice, rows[i].rs_clean, rows[i].rs_forward,
		    rows[i].headers_from, err ? err : "-");
		g_free(err);
		conf_free(&c);
		unlink(path);
		g_free(path);
	}
}

/* write_tmp - TEXT into a new temporary file */
static char *
write_tmp(const char *text)
{
	char *path = g_strdup("/tmp/deputy-test-conf.XXXXXX");
	int fd = g_mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	return path;
}

int
main(void)
{
	struct deputy_conf *c = NULL;
	char *err = NULL;
	char *path;

	/* Defaults: an empty file. */
	path = write_tmp("");
	tap_ok(conf_load(path, &c, &err) == 0, "empty file loads");
	if (c != NULL) {
		tap_ok(strcmp(c->dir_backend, "ldif") == 0, "default backend ldif");
		tap_ok(c->notice_threshold == 1.0, "default notice threshold 1.0");
		tap_ok(c->forward_threshold == 5.0, "default forward threshold 5.0");
		tap_ok(c->notice_period_days == 7, "default period 7 days");
		tap_ok(c->max_received == 25, "default max_received 25");
		tap_ok(c->default_notice == DIR_NOTICE_AUTHENTICATED,
		    "default notice policy authenticated");
		tap_ok(c->log_file == NULL, "logs to syslog by default");
		tap_ok(c->alias_attributes[0] != NULL, "alias attributes set");
		conf_free(&c);
	}
	unlink(path);
	g_free(path);

	/* Good values. */
	path = write_tmp(
	    "# comment\n"
	    "directory {\n  ldif_file = \"/srv/dir.ldif\"\n"
	    "  alias_attributes = {\"mailAlias\"}\n}\n"
	    "policy {\n  notice = internal\n"
	    "  internal_domains = {\"Example.ORG\"}\n}\n"
	    "delivery {\n  maildir = \"/srv/mail/%d/%l\"\n}\n"
	    "spam {\n  notice_threshold = 0.5\n}\n"
	    "log {\n  file = \"/tmp/x.log\"\n  facility = local3\n}\n");
	tap_ok(conf_load(path, &c, &err) == 0, "good file loads");
	if (c != NULL) {
		tap_ok(strcmp(c->dir_ldif_file, "/srv/dir.ldif") == 0, "ldif_file");
		tap_ok(strcmp(c->alias_attributes[0], "mailAlias") == 0 &&
		    c->alias_attributes[1] == NULL, "alias_attributes");
		tap_ok(c->default_notice == DIR_NOTICE_INTERNAL, "notice internal");
		tap_ok(strcmp(c->internal_domains[0], "example.org") == 0,
		    "internal domains lowercased");
		tap_ok(c->notice_threshold == 0.5, "notice_threshold 0.5");
		tap_ok(c->log_file != NULL && strcmp(c->log_file, "/tmp/x.log") == 0,
		    "log file");
		conf_free(&c);
	}
	unlink(path);
	g_free(path);

	/* The web section (deputy-web). */
	path = write_tmp("web {\n  listen = \"127.0.0.1:18080\"\n"
	    "  secure_cookies = false\n  login_dn = \"uid=%s,ou=people,"
	    "dc=example,dc=org\"\n  session_idle = 600\n}\n");
	tap_ok(conf_load(path, &c, &err) == 0, "web section loads");
	if (c != NULL) {
		tap_ok(strcmp(c->web_listen, "127.0.0.1:18080") == 0 &&
		    !c->web_secure_cookies && c->web_session_idle == 600 &&
		    c->web_login_dn != NULL && c->web_users_file == NULL &&
		    strcmp(c->web_login_attribute, "uid") == 0 &&
		    c->web_session_lifetime == 28800,
		    "web: listen, cookies, login_dn, idle, defaults");
		conf_free(&c);
	}
	unlink(path);
	g_free(path);

	/* Bad files. */
	for (size_t i = 0; i < G_N_ELEMENTS(bad_files); i++) {
		int rc;

		path = write_tmp(bad_files[i].text);
		err = NULL;
		rc = conf_load(path, &c, &err);
		tap_ok(rc == -1 && c == NULL && err != NULL &&
		    strstr(err, path) != NULL &&
		    strstr(err, bad_files[i].want) != NULL,
		    "bad file %zu refused: %s", i, err ? err : "(no error)");
		g_free(err);
		conf_free(&c);
		unlink(path);
		g_free(path);
	}

	/* deputy-lda's pipe client knows the same sections by name */
	{
		static const char *const names[] = { CONF_SECTION_NAMES };
		unsigned int i = 0;
		int same = 1;

		for (; conf_section_name(i) != NULL; i++)
			if (i >= G_N_ELEMENTS(names) ||
			    strcmp(names[i], conf_section_name(i)) != 0)
				same = 0;
		tap_ok(same && i == G_N_ELEMENTS(names), "lib/conf-sections.h "
		    "names the %u sections of conf.c, in order", i);
	}
	check_spam();

	/* A named file that does not exist is an error. */
	err = NULL;
	tap_ok(conf_load("/nonexistent/deputy.conf", &c, &err) == -1 &&
	    err != NULL && strstr(err, "/nonexistent/deputy.conf") != NULL,
	    "missing named file refused: %s", err ? err : "");
	g_free(err);
	return tap_done();
}
