/*
 * NAME
 *	ctl-read - deputyctl's reading commands: show, list, check, explain
 * SUMMARY
 *	Whether someone is away is always absence_check()'s answer and who
 *	gets the copies is always delegate_resolve()'s, the functions
 *	deputy-lda uses; explain runs the engine itself, deciding only.
 *	What this file adds is presentation (text or --json); the steps
 *	of a delegation chain come from dir_chain_walk() and check's lint
 *	rules from dir-check.c, which deputy-web shares.
 * DIAGNOSTICS
 *	check returns CTL_PROBLEMS when it found anything. A directory
 *	failure is CTL_UNREACHABLE.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/mman.h>

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "absence.h"
#include "ctl.h"
#include "delegate.h"
#include "dir-chain.h"
#include "dir-check.h"
#include "facts.h"
#include "engine.h"
#include "fail.h"
#include "record.h"
#include "spool.h"

#define CTL_MESSAGE_MAX		(64 * 1024 * 1024)

/* ctl_values_of - the delegate list of E and the attribute it came from */
static const struct dir_strings *
ctl_values_of(const struct dir_entry *e, const char **attr_r)
{
	return dir_chain_values(e, attr_r);
}

/* ctl_away - absence_check() of E at T: 1, 0, -1 */
static int
ctl_away(const struct dir_entry *e, time_t t, struct absence_result *res)
{
	return dir_chain_away(e, t, res);
}

/* ctl_zone_for - the zone to show E's times in */
static const char *
ctl_zone_for(struct ctl *c, GPtrArray *events)
{
	guint	i;

	if (c->args->tz != NULL)
		return c->args->tz;
	for (i = 0; events != NULL && i < events->len; i++) {
		const struct ctl_event *ev = g_ptr_array_index(events, i);

		if (ev->zone != NULL && ctl_zone_ok(ev->zone))
			return ev->zone;
	}
	return c->zone;
}

/* ctl_chain_print - the tree of dir_chain_walk(), as text or JSON */
static void
ctl_chain_print(struct ctl *c, GPtrArray *nodes, unsigned int depth,
		const char *zone, struct ctl_json *j)
{
	guint	i;

	if (j != NULL)
		ctl_json_begin(j, "delegates", 1);
	for (i = 0; i < nodes->len; i++) {
		const struct dir_chain_node *n = g_ptr_array_index(nodes, i);
		char   *until = NULL;

		if (j != NULL) {
			ctl_json_begin(j, NULL, 0);
			ctl_json_str(j, "value", n->value);
			ctl_json_str(j, "attribute", n->attribute);
		}
		if (n->children == NULL) {
			if (j != NULL) {
				ctl_json_str(j, "status",
				    dir_chain_status_name(n->status));
				ctl_json_end(j, 0);
			} else {
				fprintf(c->out, "  %*s%s: %s\n", (int)depth * 2,
				    "", n->value, n->status == DIR_CHAIN_OUTSIDE
				    ? "outside address" : ctl_is_dn(n->value)
				    ? "names no entry"
				    : "neither a DN nor an address");
			}
			continue;
		}
		if (n->status == DIR_CHAIN_AWAY)
			until = ctl_fmt_time(n->until, zone, 0);
		if (j != NULL) {
			ctl_json_str(j, "dn", n->dn);
			ctl_json_str(j, "mail", n->mail);
			ctl_json_str(j, "status",
			    dir_chain_status_name(n->status));
			if (n->status == DIR_CHAIN_AWAY)
				ctl_json_time(j, "until", n->until, zone);
		} else {
			fprintf(c->out, "  %*s%s -> %s: %s%s%s\n",
			    (int)depth * 2, "", n->value, n->mail != NULL
			    ? n->mail : "(no mail)", n->status
			    == DIR_CHAIN_CYCLE ? "cycle, back to "
			    : n->status == DIR_CHAIN_AWAY ? "away until "
			    : "present", n->status == DIR_CHAIN_CYCLE ? n->dn
			    : n->status == DIR_CHAIN_AWAY ? until : "", "");
		}
		ctl_chain_print(c, n->children, depth + 1, zone, j);
		if (j != NULL)
			ctl_json_end(j, 0);
		g_free(until);
	}
	if (j != NULL)
		ctl_json_end(j, 1);
}

/* ctl_resolve - delegate_resolve() with the configured limits */
static int
ctl_resolve(struct ctl *c, const struct dir_entry *e, time_t t,
	    struct dir_strings *addrs, struct dir_strings *warnings,
	    char **error_r)
{
	struct delegate_limits lim = { c->conf->max_delegate_depth,
	    c->conf->max_delegates };

	return delegate_resolve(c->dir, e, t, &lim, addrs, warnings, error_r);
}

/* ctl_cmd_show - one user: absences, delegation, notice, template */
int
ctl_cmd_show(struct ctl *c)
{
	struct dir_entry *e = NULL;
	struct absence_result res;
	struct dir_strings addrs = { NULL, 0 }, warns = { NULL, 0 };
	struct ctl_json js, *j = NULL;
	GPtrArray *events, *chain;
	const char *zone, *attr;
	char   *error = NULL;
	time_t	next_s = 0, next_e = 0;
	const struct ctl_event *next_ev = NULL;
	size_t	i;
	int	rc, away;

	if (ctl_user_arg(c, NULL, c->args->pos[0], &e, &rc) != 1)
		return rc;
	events = ctl_events_new();
	for (i = 0; i < e->absences.count; i++) {
		char   *err = NULL;

		if (ctl_events_text(e->absences.values[i], i, events,
				    &err) < 0)
			g_free(err);
	}
	zone = ctl_zone_for(c, events);
	away = ctl_away(e, c->now, &res);
	for (i = 0; i < events->len; i++) {
		const struct ctl_event *ev = g_ptr_array_index(events, i);
		time_t	s, en;

		if (ctl_event_find(ev, c->now, 1, &s, &en)
		    && (next_ev == NULL || s < next_s)) {
			next_ev = ev;
			next_s = s;
			next_e = en;
		}
	}
	if (ctl_resolve(c, e, c->now, &addrs, &warns, &error) < 0) {
		rc = ctl_unreachable(e->mail, error);
		goto out;
	}
	if (c->args->json) {
		j = &js;
		ctl_json_init(j);
		ctl_json_begin(j, NULL, 0);
		ctl_json_str(j, "user", e->mail);
		ctl_json_str(j, "dn", e->dn);
		ctl_json_str(j, "name", e->display_name);
		ctl_json_str(j, "zone", zone);
		ctl_json_time(j, "now", c->now, zone);
		ctl_json_bool(j, "away", away == 1);
		if (away < 0)
			ctl_json_str(j, "error", "an absence does not parse");
		if (away == 1) {
			ctl_json_begin(j, "current", 0);
			ctl_json_time(j, "start", res.start, zone);
			ctl_json_time(j, "end", res.end, zone);
			ctl_json_end(j, 0);
		}
		if (next_ev != NULL) {
			ctl_json_begin(j, "next", 0);
			ctl_json_str(j, "uid", next_ev->uid);
			ctl_json_time(j, "start", next_s, zone);
			ctl_json_time(j, "end", next_e, zone);
			ctl_json_end(j, 0);
		}
		ctl_json_begin(j, "absences", 1);
		for (i = 0; i < events->len; i++) {
			const struct ctl_event *ev = g_ptr_array_index(events,
								       i);

			ctl_json_begin(j, NULL, 0);
			ctl_json_str(j, "uid", ev->uid);
			ctl_json_str(j, "summary", ev->summary);
			ctl_json_time(j, "start", ev->start, zone);
			ctl_json_time(j, "end", ev->end, zone);
			ctl_json_bool(j, "all_day", ev->all_day);
			ctl_json_str(j, "rrule", ev->rrule);
			ctl_json_str(j, "tzid", ev->zone);
			ctl_json_end(j, 0);
		}
		ctl_json_end(j, 1);
	} else {
		fprintf(c->out, "user:      %s (%s)\n", e->mail, e->dn);
		if (e->display_name != NULL)
			fprintf(c->out, "name:      %s\n", e->display_name);
		if (away == 1) {
			char   *s1 = ctl_fmt_time(res.start, zone, 0);
			char   *s2 = ctl_fmt_time(res.end, zone, 0);

			fprintf(c->out, "away:      yes, since %s, until %s\n",
			    s1, s2);
			g_free(s1);
			g_free(s2);
		} else {
			fprintf(c->out, "away:      %s\n", away < 0 ? "no (an "
			    "absence does not parse: see deputyctl check)"
			    : "no");
		}
		if (next_ev != NULL) {
			char   *s1 = ctl_fmt_time(next_s, zone, 0);
			char   *s2 = ctl_fmt_time(next_e, zone, 0);

			fprintf(c->out, "next:      %s until %s (UID %s)\n",
			    s1, s2, next_ev->uid);
			g_free(s1);
			g_free(s2);
		} else {
			fprintf(c->out, "next:      none\n");
		}
		fprintf(c->out, "absences:  %zu\n", e->absences.count);
		for (i = 0; i < events->len; i++) {
			const struct ctl_event *ev = g_ptr_array_index(events,
								       i);
			char   *s1 = ctl_fmt_time(ev->start, zone, 0);
			char   *s2 = ctl_fmt_time(ev->end, zone, 0);

			fprintf(c->out, "  %s .. %s%s%s%s%s  UID %s\n", s1, s2,
			    ev->rrule != NULL ? ", every " : "",
			    ev->rrule != NULL ? ev->rrule : "",
			    ev->summary != NULL ? ", " : "",
			    ev->summary != NULL ? ev->summary : "",
			    *ev->uid != '\0' ? ev->uid : "(none)");
			g_free(s1);
			g_free(s2);
		}
		(void)ctl_values_of(e, &attr);
		fprintf(c->out, "delegates: (%s)\n", attr);
	}
	if (dir_chain_walk(c->dir, e, c->now, c->conf->max_delegate_depth,
			   &chain, &error) == 0) {
		ctl_chain_print(c, chain, 0, zone, j);
		dir_chain_free(chain);
		rc = 0;
	} else {
		rc = -1;
	}
	if (rc < 0) {
		if (j != NULL)
			g_string_free(j->buf, TRUE);
		rc = ctl_unreachable(e->mail, error);
		goto out;
	}
	if (j != NULL) {
		ctl_json_begin(j, "copies_to", 1);
		for (i = 0; i < addrs.count; i++)
			ctl_json_str(j, NULL, addrs.values[i]);
		ctl_json_end(j, 1);
		ctl_json_begin(j, "warnings", 1);
		for (i = 0; i < warns.count; i++)
			ctl_json_str(j, NULL, warns.values[i]);
		ctl_json_end(j, 1);
		ctl_json_str(j, "notice", ctl_notice_name(e->notice));
		ctl_json_str(j, "notice_default",
		    ctl_notice_name(c->conf->default_notice));
		ctl_json_str(j, "template", e->template_name);
		ctl_json_str(j, "template_default", c->conf->template_name);
		ctl_json_end(j, 0);
		ctl_json_print(j, c->out);
	} else {
		char   *to = g_strjoinv(", ", addrs.values);

		fprintf(c->out, "copies to: %s\n", addrs.count > 0 ? to
		    : away == 1 ? "nobody (mail stays in the mailbox)"
		    : "nobody now (not away)");
		g_free(to);
		for (i = 0; i < warns.count; i++)
			fprintf(c->out, "warning:   %s\n", warns.values[i]);
		if (e->notice == DIR_NOTICE_DEFAULT)
			fprintf(c->out, "notice:    %s (the default)\n",
			    ctl_notice_name(c->conf->default_notice));
		else
			fprintf(c->out, "notice:    %s\n",
			    ctl_notice_name(e->notice));
		if (e->template_name != NULL)
			fprintf(c->out, "template:  %s\n", e->template_name);
		else
			fprintf(c->out, "template:  %s (the default)\n",
			    c->conf->template_name);
	}
	rc = CTL_OK;
out:
	g_free(error);
	dir_strings_free(&addrs);
	dir_strings_free(&warns);
	ctl_events_free(events);
	dir_entry_free(&e);
	return rc;
}

/* ctl_list_dns - the DNs of entries with deputy attributes, or a status */
static int
ctl_list_dns(struct ctl *c, char ***dns_r)
{
	char   *error = NULL;
	int	rc;

	if (dir_admin_list(c->admin, dns_r, &error) < 0) {
		rc = ctl_unreachable(NULL, error);
		g_free(error);
		return rc;
	}
	return CTL_OK;
}

/* ctl_names - whether E's delegate values or RESOLVED name WHO */
static int
ctl_names(const struct dir_entry *e, const struct dir_strings *resolved,
	  const struct dir_entry *who, const char *who_addr)
{
	const struct dir_strings *values;
	const char *attr;
	size_t	i;

	for (i = 0; i < resolved->count; i++)
		if (g_ascii_strcasecmp(resolved->values[i], who_addr) == 0
		    || (who != NULL && dir_entry_has_address(who,
		    resolved->values[i])))
			return 1;
	values = ctl_values_of(e, &attr);
	for (i = 0; i < values->count; i++) {
		const char *v = values->values[i];

		if (ctl_is_dn(v) ? who != NULL && ctl_same_dn(v, who->dn)
		    : (g_ascii_strcasecmp(v, who_addr) == 0
		       || (who != NULL && dir_entry_has_address(who, v))))
			return 1;
	}
	return 0;
}

/* ctl_cmd_list - who is away (now or --on DATE), and who covers */
int
ctl_cmd_list(struct ctl *c)
{
	const struct ctl_args *a = c->args;
	struct dir_entry *who = NULL;
	struct ctl_json js, *j = NULL;
	char  **dns = NULL, *error = NULL;
	const char *who_addr = NULL;
	time_t	at = c->now;
	size_t	i, count = 0;
	int	rc;

	if (a->on != NULL) {
		struct icaltimetype tt;

		if (ctl_parse_date(a->on, &tt) < 0)
			return ctl_usage2("--on", a->on, "not a date "
			    "(YYYY-MM-DD or YYYY-MM-DDTHH:MM)");
		if (tt.is_date) {
			tt.is_date = 0;
			tt.hour = 12;		/* that day: its middle */
		}
		if (ctl_time_at(&tt, c->zone, &at) < 0)
			return ctl_usage2("--on", a->on, "does not exist "
			    "in the time zone");
	}
	if (a->delegates->len > 1)
		return ctl_usage("--delegate", "given twice");
	if (a->delegates->len == 1) {
		const char *w = g_ptr_array_index(a->delegates, 0);

		rc = ctl_user(c, w, &who, &error);
		if (rc < 0) {
			rc = ctl_unreachable(w, error);
			g_free(error);
			return rc;
		}
		if (rc == 0 && (strchr(w, '@') == NULL || !ctl_address_ok(w))) {
			char   *named = g_strdup_printf("--delegate %s", w);

			rc = ctl_usage(named, "no such user in the directory");
			g_free(named);
			return rc;
		}
		who_addr = who != NULL && who->mail != NULL ? who->mail : w;
	}
	if ((rc = ctl_list_dns(c, &dns)) != CTL_OK)
		goto out;
	if (a->json) {
		j = &js;
		ctl_json_init(j);
		ctl_json_begin(j, NULL, 0);
		ctl_json_time(j, "on", at, c->zone);
		ctl_json_begin(j, "away", 1);
	}
	for (i = 0; dns[i] != NULL; i++) {
		struct dir_entry *e = NULL;
		struct absence_result res;
		struct dir_strings addrs = { NULL, 0 }, warns = { NULL, 0 };

		rc = dir_lookup_dn(c->dir, dns[i], &e, &error);
		if (rc < 0) {
			rc = ctl_unreachable(dns[i], error);
			if (j != NULL)
				g_string_free(j->buf, TRUE);
			goto out;
		}
		if (rc == 0 || ctl_away(e, at, &res) != 1) {
			dir_entry_free(&e);
			continue;
		}
		if (ctl_resolve(c, e, at, &addrs, &warns, &error) < 0) {
			rc = ctl_unreachable(dns[i], error);
			dir_entry_free(&e);
			if (j != NULL)
				g_string_free(j->buf, TRUE);
			goto out;
		}
		if (who_addr == NULL || ctl_names(e, &addrs, who, who_addr)) {
			count++;
			if (j != NULL) {
				size_t	k;

				ctl_json_begin(j, NULL, 0);
				ctl_json_str(j, "user", e->mail);
				ctl_json_str(j, "dn", e->dn);
				ctl_json_time(j, "start", res.start, c->zone);
				ctl_json_time(j, "end", res.end, c->zone);
				ctl_json_begin(j, "covered_by", 1);
				for (k = 0; k < addrs.count; k++)
					ctl_json_str(j, NULL,
						     addrs.values[k]);
				ctl_json_end(j, 1);
				ctl_json_end(j, 0);
			} else {
				char   *until = ctl_fmt_time(res.end, c->zone,
							     0);
				char   *to = g_strjoinv(", ", addrs.values);

				fprintf(c->out, "%s  until %s  covered by: "
				    "%s\n", e->mail != NULL ? e->mail : e->dn,
				    until, addrs.count > 0 ? to : "nobody");
				g_free(until);
				g_free(to);
			}
		}
		dir_strings_free(&addrs);
		dir_strings_free(&warns);
		dir_entry_free(&e);
	}
	if (j != NULL) {
		ctl_json_end(j, 1);
		ctl_json_end(j, 0);
		ctl_json_print(j, c->out);
	} else if (count == 0) {
		fprintf(c->out, "nobody is away%s\n", who_addr != NULL
		    ? " with that delegate" : "");
	}
	rc = CTL_OK;
out:
	g_free(error);
	g_strfreev(dns);
	dir_entry_free(&who);
	return rc;
}

/* ctl_cmd_check - lint the directory; CTL_PROBLEMS when something is wrong */
int
ctl_cmd_check(struct ctl *c)
{
	struct dir_check_settings set;
	GPtrArray *problems;
	char   *error = NULL, *where = NULL;
	size_t	i, entries = 0;
	int	rc;

	set.now = c->now;
	set.zone = c->zone;
	set.internal_domains = (const char *const *)c->conf->internal_domains;
	problems = dir_problems_new();
	if (dir_check_run(c->dir, c->admin, &set, problems, &entries, &where,
			  &error) < 0) {
		rc = ctl_unreachable(where, error);
		goto out;
	}
	if (c->args->json) {
		struct ctl_json j;

		ctl_json_init(&j);
		ctl_json_begin(&j, NULL, 0);
		ctl_json_int(&j, "entries", (long long)entries);
		ctl_json_begin(&j, "problems", 1);
		for (i = 0; i < problems->len; i++) {
			const struct dir_problem *p =
			    g_ptr_array_index(problems, i);

			ctl_json_begin(&j, NULL, 0);
			ctl_json_str(&j, "kind", p->kind);
			ctl_json_str(&j, "dn", p->dn);
			ctl_json_str(&j, "detail", p->detail);
			ctl_json_end(&j, 0);
		}
		ctl_json_end(&j, 1);
		ctl_json_end(&j, 0);
		ctl_json_print(&j, c->out);
	} else {
		for (i = 0; i < problems->len; i++) {
			const struct dir_problem *p =
			    g_ptr_array_index(problems, i);

			fprintf(c->out, "%s: %s: %s\n", p->kind, p->dn,
			    p->detail);
		}
		fprintf(c->out, "%zu entries checked, %u problems\n", entries,
		    problems->len);
	}
	rc = problems->len > 0 ? CTL_PROBLEMS : CTL_OK;
out:
	g_ptr_array_free(problems, TRUE);
	g_free(where);
	g_free(error);
	return rc;
}

/* ctl_read_stdin - the message, bounded */
static int
ctl_read_stdin(GString *buf)
{
	char	chunk[65536];
	ssize_t	n;

	for (;;) {
		n = read(0, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (buf->len + (size_t)n > CTL_MESSAGE_MAX)
			return -1;
		g_string_append_len(buf, chunk, n);
	}
}

/* ctl_header - the unfolded value of header NAME in the head of MSG */
static char *
ctl_header(const GString *msg, const char *name)
{
	size_t	nlen = strlen(name), i = 0;

	while (i < msg->len) {
		const char *line = msg->str + i;
		const char *nl = memchr(line, '\n', msg->len - i);
		size_t	llen = nl != NULL ? (size_t)(nl - line)
		    : msg->len - i;

		if (llen == 0 || (llen == 1 && line[0] == '\r'))
			break;			/* end of the header */
		if (llen > nlen && line[nlen] == ':'
		    && g_ascii_strncasecmp(line, name, nlen) == 0) {
			GString *v = g_string_new_len(line + nlen + 1,
			    (gssize)(llen - nlen - 1));
			size_t	j = i + llen + 1;

			while (j < msg->len && (msg->str[j] == ' '
			       || msg->str[j] == '\t')) {
				const char *l2 = msg->str + j;
				const char *n2 = memchr(l2, '\n', msg->len - j);
				size_t	len2 = n2 != NULL ? (size_t)(n2 - l2)
				    : msg->len - j;

				g_string_append_len(v, l2, (gssize)len2);
				j += len2 + 1;
			}
			return g_strstrip(g_string_free(v, FALSE));
		}
		i += llen + 1;
	}
	return NULL;
}

/* ctl_message_sender - Return-Path, else the first From address */
static char *
ctl_message_sender(const GString *msg)
{
	InternetAddressList *list;
	char   *v, *out = NULL;

	if ((v = ctl_header(msg, "Return-Path")) != NULL) {
		char   *lt = strchr(v, '<'), *gt = strrchr(v, '>');

		if (lt != NULL && gt != NULL && gt > lt)
			out = g_strndup(lt + 1, (gsize)(gt - lt - 1));
		else
			out = g_strdup(v);
		g_strstrip(out);
		g_free(v);
		return out;
	}
	if ((v = ctl_header(msg, "From")) == NULL)
		return NULL;
	list = internet_address_list_parse(NULL, v);
	g_free(v);
	if (list == NULL)
		return NULL;
	if (internet_address_list_length(list) > 0) {
		InternetAddress *ia = internet_address_list_get_address(list,
									0);

		if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			out = g_strdup(internet_address_mailbox_get_addr(
			    INTERNET_ADDRESS_MAILBOX(ia)));
	}
	g_object_unref(list);
	return out;
}

/* ctl_cmd_explain - what deputy-lda would do with the message on stdin */
int
ctl_cmd_explain(struct ctl *c)
{
	const struct ctl_args *a = c->args;
	struct engine_request req;
	struct engine_result res;
	struct engine *engine = NULL;
	struct spool spool;
	struct dir_entry *e = NULL;
	const char *rcpts[2] = { NULL, NULL };
	enum fail_class class = FAIL_NONE;
	const char *why = NULL;
	GString *msg;
	char   *sender = NULL, *error = NULL;
	int	rc;

	memset(&res, 0, sizeof(res));
	spool.fd = -1;
	spool.sum = NULL;
	facts_init();
	if (ctl_user_arg(c, NULL, a->pos[0], &e, &rc) != 1)
		return rc;
	msg = g_string_new(NULL);
	if (ctl_read_stdin(msg) < 0) {
		rc = ctl_usage("stdin", "cannot read the message (or larger "
		    "than %d bytes)", CTL_MESSAGE_MAX);
		goto out;
	}
	if (msg->len == 0) {
		rc = ctl_usage("stdin", "no message (explain USER < "
		    "message.eml)");
		goto out;
	}
	if (a->from != NULL)
		sender = g_strdup(a->from);
	else if ((sender = ctl_message_sender(msg)) == NULL)
		sender = g_strdup("");
	if (*sender != '\0' && strcmp(sender, "<>") != 0
	    && !ctl_address_ok(sender)) {
		rc = ctl_usage2(a->from != NULL ? "--from" : "sender", sender,
		    "not a mail address");
		goto out;
	}
	if (a->client != NULL && !g_hostname_is_ip_address(a->client)) {
		rc = ctl_usage2("--client", a->client, "not an IP address");
		goto out;
	}
	if (spool_open(NULL, &spool, &error) != 0 ||
	    spool_write(&spool, msg->str, msg->len, &error) != 0 ||
	    spool_finish(&spool, &error) != 0) {
		rc = ctl_usage("stdin", "cannot keep the message: %s", error);
		goto out;
	}
	if (engine_open(a->config, ENGINE_EXPLAIN, &engine, &class,
	    &error) != 0) {
		rc = fail_info(class)->ctl_exit == CTL_USAGE ?
		    ctl_usage(a->config != NULL ? a->config :
		    conf_default_path(), "%s", error) :
		    ctl_unreachable(e->mail, error);
		goto out;
	}
	rcpts[0] = e->mail;
	memset(&req, 0, sizeof(req));
	req.sender = sender;
	req.client = a->client;
	req.recipients = rcpts;
	req.explain = 1;
	req.now = c->now;
	if (engine_run(engine, &spool, &req, &res, &class, &error) != 0 ||
	    (class = engine_result_fail(&res, &why)) != FAIL_NONE) {
		const char *text = error != NULL ? error : why;

		rc = fail_info(class)->ctl_exit == CTL_USAGE ?
		    ctl_usage(e->mail, "%s", text) :
		    ctl_unreachable(e->mail, text);
		goto out;
	}
	if (a->json) {
		char *json = record_json(&res.message, &res.records[0], 1);

		fprintf(c->out, "%s\n", json);
		g_free(json);
	} else {
		fprintf(c->out, "sender: %s\n", *sender != '\0' ? sender
		    : "<>");
		record_explain(&res.message, &res.records[0], c->out);
	}
	rc = CTL_OK;
out:
	engine_result_clear(&res);
	engine_close(&engine);
	spool_close(&spool);
	g_free(sender);
	g_free(error);
	g_string_free(msg, TRUE);
	dir_entry_free(&e);
	return rc;
}
