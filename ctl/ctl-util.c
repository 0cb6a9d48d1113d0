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

/* The escaped copies handed out by ctl_esc(), released at exit. */
static GStringChunk *ctl_esc_pool;

/*
 * ctl_unichar_hidden - whether C changes what a terminal shows around it
 *
 * C1 controls (a terminal may read U+009B as CSI), the Unicode line and
 * paragraph separators, and the bidirectional controls that reorder
 * what follows them.
 */
static int
ctl_unichar_hidden(gunichar c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029
	    || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e)
	    || (c >= 0x2066 && c <= 0x2069);
}

/*
 * ctl_escape - TEXT with every control character written as an escape
 *
 * Values from the directory (display names, an imported SUMMARY, DNs,
 * delegate values) reach the helpdesk's terminal: a line break there
 * would forge a line of the report, an ESC a terminal command. Line
 * breaks and tabs become \n, \r, \t; other C0 controls, DEL and bytes
 * that are not UTF-8 become \xHH; the Unicode controls above \u{HHHH}.
 * Everything else, backslashes included, is kept as it is.
 */
char *
ctl_escape(const char *text)
{
	GString *out;
	const char *p, *end;

	if (text == NULL)
		return g_strdup("");
	out = g_string_sized_new(strlen(text));
	end = text + strlen(text);
	for (p = text; p < end;) {
		unsigned char ch = (unsigned char)*p;
		gunichar c;

		if (ch < 0x20 || ch == 0x7f) {
			if (ch == '\n')
				g_string_append(out, "\\n");
			else if (ch == '\r')
				g_string_append(out, "\\r");
			else if (ch == '\t')
				g_string_append(out, "\\t");
			else
				g_string_append_printf(out, "\\x%02x", ch);
			p++;
			continue;
		}
		if (ch < 0x80) {
			g_string_append_c(out, (char)ch);
			p++;
			continue;
		}
		c = g_utf8_get_char_validated(p, (gssize)(end - p));
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			g_string_append_printf(out, "\\x%02x", ch);
			p++;
			continue;
		}
		if (ctl_unichar_hidden(c))
			g_string_append_printf(out, "\\u{%04x}", (unsigned)c);
		else
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
		p = g_utf8_next_char(p);
	}
	return g_string_free(out, FALSE);
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
	char   *copy, *cut;

	copy = ctl_escape(text);
	g_strstrip(copy);
	if (strlen(copy) > 400) {
		cut = g_utf8_find_prev_char(copy, copy + 397);
		strcpy(cut != NULL ? cut : copy + 396, "...");
	}
	return copy;
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
	return strchr(value, '=') != NULL && strchr(value, '@') == NULL;
}

/* ctl_same_dn - whether two DNs name the same entry */
int
ctl_same_dn(const char *a, const char *b)
{
	char   *na, *nb;
	int	same;

	if (a == NULL || b == NULL)
		return 0;
	na = dir_dn_normalize(a);
	nb = dir_dn_normalize(b);
	same = strcmp(na, nb) == 0;
	g_free(na);
	g_free(nb);
	return same;
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

/*
 * ctl_parse_date - "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS]"
 *
 * The result has no zone; is_date tells which form it was.
 */
int
ctl_parse_date(const char *text, struct icaltimetype *tt_r)
{
	int	y, mo, d, h = 0, mi = 0, s = 0, n = 0, len;

	memset(tt_r, 0, sizeof(*tt_r));
	len = (int)strnlen(text, 32);
	if (len == 10) {
		if (sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3
		    || n != 10)
			return -1;
		tt_r->is_date = 1;
	} else if (len == 16 || len == 19) {
		if (len == 16 && (sscanf(text, "%4d-%2d-%2dT%2d:%2d%n", &y,
		    &mo, &d, &h, &mi, &n) != 5 || n != 16))
			return -1;
		if (len == 19 && (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n",
		    &y, &mo, &d, &h, &mi, &s, &n) != 6 || n != 19))
			return -1;
	} else {
		return -1;
	}
	/* digits where digits belong (sscanf takes "+1" and " 1") */
	for (n = 0; n < len; n++) {
		if (n == 4 || n == 7 || n == 10 || n == 13 || n == 16)
			continue;
		if (!g_ascii_isdigit(text[n]))
			return -1;
	}
	if (text[4] != '-' || text[7] != '-' || (len > 10 && (text[10] != 'T'
	    || text[13] != ':' || (len == 19 && text[16] != ':'))))
		return -1;
	if (y < 1970 || y > 2999 || !g_date_valid_dmy((GDateDay)d,
	    (GDateMonth)mo, (GDateYear)y) || h > 23 || mi > 59 || s > 59)
		return -1;
	tt_r->year = y;
	tt_r->month = mo;
	tt_r->day = d;
	tt_r->hour = h;
	tt_r->minute = mi;
	tt_r->second = s;
	return 0;
}

/* ctl_ical_zone - libical's zone NAME ("UTC" included), or NULL */
icaltimezone *
ctl_ical_zone(const char *name)
{
	if (name == NULL || g_ascii_strcasecmp(name, "UTC") == 0
	    || strcmp(name, "Etc/UTC") == 0)
		return icaltimezone_get_utc_timezone();
	return icaltimezone_get_builtin_timezone(name);
}

/* ctl_zone_ok - whether both libical and GLib know zone NAME */
int
ctl_zone_ok(const char *name)
{
	GTimeZone *tz;

	if (strlen(name) > 64 || ctl_ical_zone(name) == NULL)
		return 0;
	if ((tz = g_time_zone_new_identifier(name)) == NULL)
		return 0;
	g_time_zone_unref(tz);
	return 1;
}

/* ctl_time_at - the instant of TT (a date: its midnight) in ZONE */
int
ctl_time_at(const struct icaltimetype *tt, const char *zone, time_t *t_r)
{
	GTimeZone *tz;
	GDateTime *dt;

	tz = g_time_zone_new_identifier(zone != NULL ? zone : "UTC");
	if (tz == NULL)
		return -1;
	dt = g_date_time_new(tz, tt->year, tt->month, tt->day,
			     tt->is_date ? 0 : tt->hour,
			     tt->is_date ? 0 : tt->minute,
			     tt->is_date ? 0 : tt->second);
	g_time_zone_unref(tz);
	if (dt == NULL)
		return -1;
	*t_r = (time_t)g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return 0;
}

/* ctl_fmt_time - T in ZONE: "2026-12-21 09:00 Europe/Berlin" or ISO */
char *
ctl_fmt_time(time_t t, const char *zone, int iso)
{
	GTimeZone *tz;
	GDateTime *utc, *dt;
	char   *s, *out;

	if (t == 0)
		return g_strdup(iso ? "" : "(open end)");
	tz = g_time_zone_new_identifier(zone != NULL ? zone : "UTC");
	if (tz == NULL)
		tz = g_time_zone_new_utc();
	utc = g_date_time_new_from_unix_utc((gint64)t);
	dt = g_date_time_to_timezone(utc, tz);
	s = g_date_time_format(dt, iso ? "%Y-%m-%dT%H:%M:%S%:z"
			       : "%Y-%m-%d %H:%M");
	out = iso ? g_strdup(s) : g_strdup_printf("%s %s", s,
	    zone != NULL ? zone : "UTC");
	g_free(s);
	g_date_time_unref(dt);
	g_date_time_unref(utc);
	g_time_zone_unref(tz);
	return out;
}

/* ctl_domain_is_local - whether ADDRESS is in the user's or an internal domain */
int
ctl_domain_is_local(struct ctl *c, const struct dir_entry *user,
		    const char *address)
{
	const char *dom = strrchr(address, '@'), *own;
	char  *const *p;

	if (dom == NULL)
		return 0;
	dom++;
	own = user != NULL && user->mail != NULL ? strrchr(user->mail, '@')
	    : NULL;
	if (own != NULL && g_ascii_strcasecmp(own + 1, dom) == 0)
		return 1;
	for (p = c->conf->internal_domains; p != NULL && *p != NULL; p++)
		if (g_ascii_strcasecmp(*p, dom) == 0)
			return 1;
	return 0;
}

/* ctl_new_uid - a fresh iCalendar UID */
char *
ctl_new_uid(void)
{
	char   *u = g_uuid_string_random();
	char   *uid = g_strdup_printf("%s@deputyctl", u);

	g_free(u);
	return uid;
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
	size_t	i, n = strlen(name);
	char   *path;
	int	ok;

	*why_r = NULL;
	for (i = 0; i < n; i++)
		if (!(g_ascii_isalnum(name[i]) || name[i] == '-'
		      || name[i] == '_'))
			n = 0;
	if (n == 0 || n > 32) {
		*why_r = g_strdup("not a template name ([A-Za-z0-9_-], at "
				  "most 32)");
		return 0;
	}
	path = g_strdup_printf("%s/%s.en", c->conf->template_dir, name);
	ok = access(path, R_OK) == 0;
	if (!ok)
		*why_r = g_strdup_printf("no such template (%s is missing)",
					 path);
	g_free(path);
	return ok;
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
