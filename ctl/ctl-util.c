/*
 * NAME
 *	ctl-util - what deputyctl's commands share: errors, users, dates
 * SUMMARY
 *	ctl_usage() and ctl_unreachable() print the one error line and
 *	return the exit status; ctl_user() finds a user given as an
 *	address, a DN or a uid; the parsers check one argument each and
 *	say nothing: their callers name the argument in the message.
 * DIAGNOSTICS
 *	ctl_user() returns 1, 0 (no such user) or -1 (the directory
 *	failed; *error_r says why). The parsers return 0 or -1.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "dir-chain.h"
#include "dir-check.h"
#include "tmpl.h"

/* The escaped copies handed out by ctl_esc(), released at exit. */
static GStringChunk *ctl_esc_pool;

/*
 * ctl_escape - TEXT with every control character written as an escape
 *
 * Values from the directory (display names, an imported SUMMARY, DNs,
 * delegate values) reach the helpdesk's terminal: a line break there
 * would forge a line of the report, an ESC a terminal command. The
 * escaping is dir_check_escape()'s, which check's details use too.
 */
char *
ctl_escape(const char *text)
{
	return dir_check_escape(text);
}

/* ctl_esc - ctl_escape() of TEXT, kept until ctl_esc_release() */
const char *
ctl_esc(const char *text)
{
	char   *e = ctl_escape(text);
	const char *kept;

	if (ctl_esc_pool == NULL)
		ctl_esc_pool = g_string_chunk_new(4096);
	kept = g_string_chunk_insert(ctl_esc_pool, e);
	g_free(e);
	return kept;
}

/* ctl_esc_release - release what ctl_esc() handed out */
void
ctl_esc_release(void)
{
	if (ctl_esc_pool != NULL)
		g_string_chunk_free(ctl_esc_pool);
	ctl_esc_pool = NULL;
}

/* ctl_one_line - TEXT escaped (ctl_escape), trimmed, at most ~400 bytes */
char *
ctl_one_line(const char *text)
{
	return dir_check_one_line(text);
}

/* ctl_usage - one line "deputyctl: ARG: message" on stderr; CTL_USAGE */
int
ctl_usage(const char *arg, const char *fmt, ...)
{
	va_list	ap;
	char   *msg, *line, *a;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	line = ctl_one_line(msg);
	if (arg != NULL) {
		a = ctl_one_line(arg);
		fprintf(stderr, "deputyctl: %s: %s\n", a, line);
		g_free(a);
	} else {
		fprintf(stderr, "deputyctl: %s\n", line);
	}
	g_free(line);
	g_free(msg);
	return CTL_USAGE;
}

/* ctl_usage2 - "deputyctl: OPT VALUE: message"; CTL_USAGE */
int
ctl_usage2(const char *opt, const char *value, const char *msg)
{
	char   *arg = g_strdup_printf("%s %s", opt, value);
	int	rc = ctl_usage(arg, "%s", msg);

	g_free(arg);
	return rc;
}

/* ctl_unreachable - the directory failed; one line; CTL_UNREACHABLE */
int
ctl_unreachable(const char *arg, const char *why)
{
	char   *line = ctl_one_line(why);

	if (arg != NULL)
		fprintf(stderr, "deputyctl: %s: directory failed: %s\n", arg,
			line);
	else
		fprintf(stderr, "deputyctl: directory failed: %s\n", line);
	g_free(line);
	return CTL_UNREACHABLE;
}

/* ctl_dir_status - exit status of a failed dir_admin call (-1 or -2) */
int
ctl_dir_status(int rc)
{
	return rc == -2 ? CTL_USAGE : CTL_UNREACHABLE;
}

/* ctl_is_dn - whether VALUE is a DN rather than an address (delegate.c) */
int
ctl_is_dn(const char *value)
{
	return dir_chain_is_dn(value);
}

/* ctl_same_dn - whether two DNs name the same entry */
int
ctl_same_dn(const char *a, const char *b)
{
	return dir_chain_same_dn(a, b);
}

/* ctl_user - the entry of ARG: an address, a DN or a uid */
int
ctl_user(struct ctl *c, const char *arg, struct dir_entry **entry_r,
	 char **error_r)
{
	char   *dn;
	int	rc;

	*entry_r = NULL;
	*error_r = NULL;
	if (*arg == '\0' || strlen(arg) > CTL_ARG_MAX)
		return 0;
	if (strchr(arg, '@') != NULL)
		return dir_lookup(c->dir, arg, entry_r, error_r);
	if (strchr(arg, '=') != NULL)
		return dir_lookup_dn(c->dir, arg, entry_r, error_r);
	rc = dir_admin_find(c->admin, "uid", arg, &dn, error_r);
	if (rc != 1)
		return rc;
	rc = dir_lookup_dn(c->dir, dn, entry_r, error_r);
	g_free(dn);
	return rc;
}

/* ctl_user_arg - ctl_user() that reports; *status_r is the exit status */
int
ctl_user_arg(struct ctl *c, const char *optname, const char *arg,
	     struct dir_entry **entry_r, int *status_r)
{
	char   *error = NULL, *named;
	int	rc;

	rc = ctl_user(c, arg, entry_r, &error);
	named = optname != NULL ? g_strdup_printf("%s %s", optname, arg)
	    : g_strdup(arg);
	if (rc < 0)
		*status_r = ctl_unreachable(named, error);
	else if (rc == 0)
		*status_r = ctl_usage(named, "no such user in the directory");
	else if ((*entry_r)->mail == NULL) {
		*status_r = ctl_usage(named, "entry %s has no mail address",
				      (*entry_r)->dn);
		dir_entry_free(entry_r);
		rc = 0;
	} else
		*status_r = CTL_OK;
	g_free(named);
	g_free(error);
	return rc;
}

/* ctl_parse_date - "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS]", no zone */
int
ctl_parse_date(const char *text, struct icaltimetype *tt_r)
{
	return absence_parse_date(text, tt_r);
}

/* ctl_ical_zone - libical's zone NAME ("UTC" included), or NULL */
icaltimezone *
ctl_ical_zone(const char *name)
{
	return absence_ical_zone(name);
}

/* ctl_zone_ok - whether both libical and GLib know zone NAME */
int
ctl_zone_ok(const char *name)
{
	return absence_zone_ok(name);
}

/* ctl_time_at - the instant of TT (a date: its midnight) in ZONE */
int
ctl_time_at(const struct icaltimetype *tt, const char *zone, time_t *t_r)
{
	return absence_time_at(tt, zone, t_r);
}

/* ctl_fmt_time - T in ZONE: "2026-12-21 09:00 Europe/Berlin" or ISO */
char *
ctl_fmt_time(time_t t, const char *zone, int iso)
{
	return absence_fmt_time(t, zone, iso);
}

/* ctl_domain_is_local - whether ADDRESS is in the user's or an internal domain */
int
ctl_domain_is_local(struct ctl *c, const struct dir_entry *user,
		    const char *address)
{
	return dir_address_is_local(user, address,
	    (const char *const *)c->conf->internal_domains);
}

/* ctl_new_uid - a fresh iCalendar UID */
char *
ctl_new_uid(void)
{
	return absence_new_uid("deputyctl");
}

/* ctl_notice_name - "none", "authenticated", "internal" or "default" */
const char *
ctl_notice_name(enum dir_notice n)
{
	switch (n) {
	case DIR_NOTICE_NONE:
		return "none";
	case DIR_NOTICE_AUTHENTICATED:
		return "authenticated";
	case DIR_NOTICE_INTERNAL:
		return "internal";
	default:
		return "default";
	}
}

/* ctl_template_ok - a template name with a file in the template folder */
int
ctl_template_ok(struct ctl *c, const char *name, char **why_r)
{
	int	rc = tmpl_exists(c->conf->template_dir, name);

	*why_r = NULL;
	if (rc == TMPL_BAD_NAME)
		*why_r = g_strdup("not a template name ([A-Za-z0-9_-], at "
				  "most 32)");
	else if (rc == TMPL_MISSING)
		*why_r = g_strdup_printf("no such template (%s/%s.en is "
		    "missing)", c->conf->template_dir, name);
	return rc == 0;
}

/* ctl_reopen - read the directory again (after a write to an LDIF file) */
int
ctl_reopen(struct ctl *c)
{
	struct dir_settings set;
	char   *error = NULL;

	dir_close(&c->dir);
	ctl_settings(c, &set);
	if (dir_open(&set, &c->dir, &error) < 0) {
		int	rc = ctl_unreachable(NULL, error);

		g_free(error);
		return rc;
	}
	return CTL_OK;
}
