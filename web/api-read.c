/*
 * NAME
 *	api-read - deputy-web's reading API: search, person, list,
 *	calendar, check
 * SUMMARY
 *	GET /api/person answers what deputyctl show --json answers, member
 *	for member, from the same functions (absence_check(),
 *	delegate_resolve(), dir_chain_walk(), absence-edit's events), plus
 *	what the page needs besides: the entry's version, display names,
 *	the stored delegate values. GET /api/list is deputyctl list --json
 *	and GET /api/check is deputyctl check --json (GET /api/notice is
 *	in api-notice.c). GET /api/calendar lists the
 *	absences of a range of days, for the week's list and the team's
 *	timeline.
 * DIAGNOSTICS
 *	400 for a bad argument (naming it), 404 for nobody, 503 when the
 *	directory failed.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <microhttpd.h>

#include "absence-edit.h"
#include "absence.h"
#include "delegate.h"
#include "dir-chain.h"
#include "dir-check.h"
#include "tmpl.h"
#include "web.h"

#define WEB_SEARCH_MAX		25	/* people in one search answer */
#define WEB_CALENDAR_DAYS	62	/* days in one calendar answer */
#define WEB_INSTANCES_MAX	200	/* instances of one event shown */

/* web_notice_name - deputyNotice as deputyctl names it */
static const char *
web_notice_name(enum dir_notice n)
{
	switch (n) {
	case DIR_NOTICE_NONE: return "none";
	case DIR_NOTICE_AUTHENTICATED: return "authenticated";
	case DIR_NOTICE_INTERNAL: return "internal";
	default: return "default";
	}
}

/* web_failed - the directory failed in the middle of an answer */
void
web_failed(struct web_req *r, const char *what, char *error)
{
	web_dir_failed(r);
	web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "the directory did "
	    "not answer%s%s: %s", what != NULL ? " about " : "",
	    what != NULL ? what : "", error != NULL ? error : "failed");
	g_free(error);
}

/* web_resolve - delegate_resolve() with the configured limits */
int
web_resolve(struct web_req *r, struct dir *dir, const struct dir_entry *e,
	    time_t t, struct dir_strings *addrs, struct dir_strings *warns,
	    char **error_r)
{
	struct delegate_limits lim = { r->web->conf->max_delegate_depth,
	    r->web->conf->max_delegates };

	return delegate_resolve(dir, e, t, &lim, addrs, warns, error_r);
}

/* web_api_search - people whose name, uid or mail contains ?q= */
void
web_api_search(struct web_req *r)
{
	const char *q = web_arg(r, "q");
	struct dir *dir;
	struct dir_admin *admin;
	JsonBuilder *b;
	char  **dns = NULL, *error = NULL;
	int	more = 0, rc;
	size_t	i;

	if (q == NULL)
		q = "";
	if (strlen(q) > 256) {
		web_error(r, MHD_HTTP_BAD_REQUEST, "q", "search text longer "
		    "than 256 bytes");
		return;
	}
	if (web_dir(r, &dir, &admin) < 0)
		return;
	rc = dir_admin_search(admin, q, WEB_SEARCH_MAX, &dns, &more, &error);
	if (rc < 0) {
		if (rc == -2) {
			web_error(r, MHD_HTTP_BAD_REQUEST, "q", "%s", error);
			g_free(error);
		} else {
			web_failed(r, NULL, error);
		}
		return;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "people");
	json_builder_begin_array(b);
	for (i = 0; dns[i] != NULL; i++) {
		struct dir_entry *e = NULL;
		struct absence_result res;

		rc = dir_lookup_dn(dir, dns[i], &e, &error);
		if (rc < 0) {
			g_object_unref(b);
			web_failed(r, dns[i], error);
			g_strfreev(dns);
			return;
		}
		if (rc == 0 || e->mail == NULL) {
			dir_entry_free(&e);
			continue;
		}
		json_builder_begin_object(b);
		web_json_str(b, "id", e->mail);
		web_json_str(b, "dn", e->dn);
		web_json_str(b, "mail", e->mail);
		web_json_str(b, "name", e->display_name);
		rc = dir_chain_away(e, r->now, &res);
		web_json_bool(b, "away", rc == 1);
		if (rc == 1)
			web_json_time(b, "until", res.end, web_zone(r, NULL));
		json_builder_end_object(b);
		dir_entry_free(&e);
	}
	json_builder_end_array(b);
	web_json_bool(b, "more", more);
	json_builder_end_object(b);
	g_strfreev(dns);
	web_reply(r, MHD_HTTP_OK, b);
}

/* web_chain_json - the tree of dir_chain_walk() as deputyctl writes it */
static void
web_chain_json(JsonBuilder *b, GPtrArray *nodes, const char *zone)
{
	guint	i;

	json_builder_set_member_name(b, "delegates");
	json_builder_begin_array(b);
	for (i = 0; i < nodes->len; i++) {
		const struct dir_chain_node *n = g_ptr_array_index(nodes, i);

		json_builder_begin_object(b);
		web_json_str(b, "value", n->value);
		web_json_str(b, "attribute", n->attribute);
		if (n->children != NULL) {
			web_json_str(b, "dn", n->dn);
			web_json_str(b, "mail", n->mail);
			web_json_str(b, "name", n->display_name);
		}
		web_json_str(b, "status", dir_chain_status_name(n->status));
		if (n->status == DIR_CHAIN_AWAY)
			web_json_time(b, "until", n->until, zone);
		if (n->children != NULL)
			web_chain_json(b, n->children, zone);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

/* web_delegate_values - the stored delegate values, with their people */
static int
web_delegate_values(JsonBuilder *b, struct dir *dir, const struct dir_entry *e,
		    char **error_r)
{
	const struct dir_strings *values;
	const char *attr;
	size_t	i;

	values = dir_chain_values(e, &attr);
	json_builder_set_member_name(b, "delegate_attribute");
	json_builder_add_string_value(b, attr);
	json_builder_set_member_name(b, "delegate_values");
	json_builder_begin_array(b);
	for (i = 0; i < e->delegates.count; i++) {
		struct dir_entry *de = NULL;
		int	rc;

		rc = dir_chain_lookup(dir, e->delegates.values[i], &de,
				      error_r);
		if (rc < 0) {
			json_builder_end_array(b);
			return -1;
		}
		json_builder_begin_object(b);
		web_json_str(b, "value", e->delegates.values[i]);
		web_json_str(b, "mail", de != NULL ? de->mail : NULL);
		web_json_str(b, "name", de != NULL ? de->display_name : NULL);
		json_builder_end_object(b);
		dir_entry_free(&de);
	}
	json_builder_end_array(b);
	(void)values;
	return 0;
}

/* web_api_person - one person, as deputyctl show --json, and more */
void
web_api_person(struct web_req *r)
{
	const struct deputy_conf *c = r->web->conf;
	const char *id = web_arg(r, "id");
	struct dir *dir;
	struct dir_admin *admin;
	struct dir_entry *e = NULL;
	struct absence_result res;
	struct dir_strings addrs = { NULL, 0 }, warns = { NULL, 0 };
	const struct absence_event *next_ev = NULL;
	GPtrArray *events, *chain = NULL;
	JsonBuilder *b;
	const char *zone;
	char   *error = NULL, *version;
	time_t	next_s = 0, next_e = 0;
	size_t	i;
	int	away;

	if (web_user(r, id != NULL ? id : "", &e) != 1)
		return;
	if (web_dir(r, &dir, &admin) < 0) {
		dir_entry_free(&e);
		return;
	}
	events = absence_events_new();
	for (i = 0; i < e->absences.count; i++) {
		char   *err = NULL;

		if (absence_events_text(e->absences.values[i], i, events,
					&err) < 0)
			g_free(err);
	}
	zone = web_zone(r, events);
	away = dir_chain_away(e, r->now, &res);
	for (i = 0; i < events->len; i++) {
		const struct absence_event *ev = g_ptr_array_index(events, i);
		time_t	s, en;

		if (absence_event_find(ev, r->now, 1, &s, &en)
		    && (next_ev == NULL || s < next_s)) {
			next_ev = ev;
			next_s = s;
			next_e = en;
		}
	}
	if (web_resolve(r, dir, e, r->now, &addrs, &warns, &error) < 0
	    || dir_chain_walk(dir, e, r->now, c->max_delegate_depth, &chain,
			      &error) < 0) {
		web_failed(r, e->mail, error);
		goto out;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	web_json_str(b, "user", e->mail);
	web_json_str(b, "dn", e->dn);
	web_json_str(b, "name", e->display_name);
	web_json_str(b, "zone", zone);
	web_json_time(b, "now", r->now, zone);
	web_json_bool(b, "away", away == 1);
	if (away < 0)
		web_json_str(b, "error", "an absence does not parse");
	if (away == 1) {
		json_builder_set_member_name(b, "current");
		json_builder_begin_object(b);
		web_json_time(b, "start", res.start, zone);
		web_json_time(b, "end", res.end, zone);
		json_builder_end_object(b);
	}
	if (next_ev != NULL) {
		json_builder_set_member_name(b, "next");
		json_builder_begin_object(b);
		web_json_str(b, "uid", next_ev->uid);
		web_json_time(b, "start", next_s, zone);
		web_json_time(b, "end", next_e, zone);
		json_builder_end_object(b);
	}
	json_builder_set_member_name(b, "absences");
	json_builder_begin_array(b);
	for (i = 0; i < events->len; i++) {
		const struct absence_event *ev = g_ptr_array_index(events, i);

		json_builder_begin_object(b);
		web_json_str(b, "uid", ev->uid);
		web_json_str(b, "summary", ev->summary);
		web_json_time(b, "start", ev->start, zone);
		web_json_time(b, "end", ev->end, zone);
		web_json_bool(b, "all_day", ev->all_day);
		web_json_str(b, "rrule", ev->rrule);
		web_json_str(b, "tzid", ev->zone);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	web_chain_json(b, chain, zone);
	web_json_strings(b, "copies_to", &addrs);
	web_json_strings(b, "warnings", &warns);
	web_json_str(b, "notice", web_notice_name(e->notice));
	web_json_str(b, "notice_default", web_notice_name(c->default_notice));
	web_json_str(b, "template", e->template_name);
	web_json_str(b, "template_default", c->template_name);

	/* what the page needs besides */
	version = web_entry_version(e);
	web_json_str(b, "version", version);
	g_free(version);
	web_json_str(b, "language", e->language);
	web_json_int(b, "absence_values", (gint64)e->absences.count);
	if (web_delegate_values(b, dir, e, &error) < 0) {
		g_object_unref(b);
		web_failed(r, e->mail, error);
		goto out;
	}
	json_builder_end_object(b);
	web_reply(r, MHD_HTTP_OK, b);
out:
	dir_chain_free(chain);
	dir_strings_free(&addrs);
	dir_strings_free(&warns);
	absence_events_free(events);
	dir_entry_free(&e);
}

/* web_list_zone - ?tz= when valid, else the configured zone */
static const char *
web_list_zone(struct web_req *r)
{
	const char *tz = web_arg(r, "tz");

	if (tz != NULL && *tz != '\0') {
		if (!absence_zone_ok(tz)) {
			web_error(r, MHD_HTTP_BAD_REQUEST, "tz", "not a time "
			    "zone (an IANA name such as Europe/Berlin, or "
			    "UTC)");
			return NULL;
		}
		return tz;
	}
	return r->web->conf->template_timezone != NULL
	    ? r->web->conf->template_timezone : "UTC";
}

/* web_api_list - who is away (now or ?on=DATE), as deputyctl list --json */
void
web_api_list(struct web_req *r)
{
	const char *on = web_arg(r, "on"), *zone;
	struct dir *dir;
	struct dir_admin *admin;
	JsonBuilder *b;
	char  **dns = NULL, *error = NULL;
	time_t	at = r->now;
	size_t	i;
	int	rc;

	if ((zone = web_list_zone(r)) == NULL)
		return;
	if (on != NULL && *on != '\0') {
		struct icaltimetype tt;

		if (absence_parse_date(on, &tt) < 0) {
			web_error(r, MHD_HTTP_BAD_REQUEST, "on", "not a date "
			    "(YYYY-MM-DD or YYYY-MM-DDTHH:MM)");
			return;
		}
		if (tt.is_date) {
			tt.is_date = 0;
			tt.hour = 12;		/* that day: its middle */
		}
		if (absence_time_at(&tt, zone, &at) < 0) {
			web_error(r, MHD_HTTP_BAD_REQUEST, "on", "does not "
			    "exist in the time zone");
			return;
		}
	}
	if (web_dir(r, &dir, &admin) < 0)
		return;
	if (dir_admin_list(admin, &dns, &error) < 0) {
		web_failed(r, NULL, error);
		return;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	web_json_time(b, "on", at, zone);
	json_builder_set_member_name(b, "away");
	json_builder_begin_array(b);
	for (i = 0; dns[i] != NULL; i++) {
		struct dir_entry *e = NULL;
		struct absence_result res;
		struct dir_strings addrs = { NULL, 0 }, warns = { NULL, 0 };

		rc = dir_lookup_dn(dir, dns[i], &e, &error);
		if (rc == 0 || (rc > 0 && dir_chain_away(e, at, &res) != 1)) {
			dir_entry_free(&e);
			continue;
		}
		if (rc < 0 || web_resolve(r, dir, e, at, &addrs, &warns,
					  &error) < 0) {
			dir_entry_free(&e);
			g_object_unref(b);
			web_failed(r, dns[i], error);
			g_strfreev(dns);
			return;
		}
		json_builder_begin_object(b);
		web_json_str(b, "user", e->mail);
		web_json_str(b, "dn", e->dn);
		web_json_str(b, "name", e->display_name);
		web_json_time(b, "start", res.start, zone);
		web_json_time(b, "end", res.end, zone);
		web_json_strings(b, "covered_by", &addrs);
		json_builder_end_object(b);
		dir_strings_free(&addrs);
		dir_strings_free(&warns);
		dir_entry_free(&e);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	g_strfreev(dns);
	web_reply(r, MHD_HTTP_OK, b);
}

/* web_calendar_one - one person's instances in [FROM, TO) into B; 0 none */
static int
web_calendar_one(struct web_req *r, struct dir *dir, JsonBuilder *b,
		 const struct dir_entry *e, time_t from, time_t to,
		 const char *zone, char **error_r)
{
	GPtrArray *events = NULL, *spans;
	struct dir_strings addrs = { NULL, 0 }, warns = { NULL, 0 };
	char   *err = NULL;
	guint	i;
	int	n;

	if (absence_events_of(e, &events, &err) < 0) {
		g_free(err);
		return 0;		/* check reports it */
	}
	spans = g_ptr_array_new_with_free_func(g_free);
	for (i = 0; i < events->len; i++) {
		const struct absence_event *ev = g_ptr_array_index(events, i);
		time_t	t = from, s, en;

		for (n = 0; n < WEB_INSTANCES_MAX; n++) {
			time_t *span;

			if (!absence_event_find(ev, t, 0, &s, &en) || s >= to)
				break;
			span = g_new(time_t, 3);
			span[0] = s;
			span[1] = en;
			span[2] = (time_t)i;
			g_ptr_array_add(spans, span);
			if (en == 0 || en <= t)
				break;
			t = en;
		}
	}
	if (spans->len == 0) {
		g_ptr_array_free(spans, TRUE);
		absence_events_free(events);
		return 0;
	}
	{
		const time_t *first = g_ptr_array_index(spans, 0);
		time_t	at = first[0] > r->now ? first[0] : r->now;

		if (at >= to)
			at = first[0];
		if (web_resolve(r, dir, e, at, &addrs, &warns, error_r) < 0) {
			g_ptr_array_free(spans, TRUE);
			absence_events_free(events);
			return -1;
		}
	}
	json_builder_begin_object(b);
	web_json_str(b, "user", e->mail);
	web_json_str(b, "dn", e->dn);
	web_json_str(b, "name", e->display_name);
	web_json_bool(b, "away_now", dir_chain_away(e, r->now, NULL) == 1);
	web_json_strings(b, "covered_by", &addrs);
	json_builder_set_member_name(b, "spans");
	json_builder_begin_array(b);
	for (i = 0; i < spans->len; i++) {
		const time_t *span = g_ptr_array_index(spans, i);
		const struct absence_event *ev = g_ptr_array_index(events,
		    (guint)span[2]);

		json_builder_begin_object(b);
		web_json_time(b, "start", span[0], zone);
		web_json_time(b, "end", span[1], zone);
		web_json_str(b, "summary", ev->summary);
		web_json_bool(b, "all_day", ev->all_day);
		web_json_str(b, "rrule", ev->rrule);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	dir_strings_free(&addrs);
	dir_strings_free(&warns);
	g_ptr_array_free(spans, TRUE);
	absence_events_free(events);
	return 1;
}

/* web_team_has - whether DN is in the team: "" everyone, else a part of
   the DN (an ou=...), any case */
static int
web_team_has(const char *team, const char *dn)
{
	char   *fd, *ft;
	int	has;

	if (team == NULL || *team == '\0')
		return 1;
	fd = g_utf8_casefold(dn, -1);
	ft = g_utf8_casefold(team, -1);
	has = strstr(fd, ft) != NULL;
	g_free(fd);
	g_free(ft);
	return has;
}

/* web_api_calendar - absences in ?from= (a date) and ?days=, by person */
void
web_api_calendar(struct web_req *r)
{
	const char *from = web_arg(r, "from"), *days_s = web_arg(r, "days");
	const char *team = web_arg(r, "team"), *zone;
	struct icaltimetype tt;
	struct dir *dir;
	struct dir_admin *admin;
	JsonBuilder *b;
	char  **dns = NULL, *error = NULL, *end = NULL;
	time_t	t_from, t_to;
	long	days = 7;
	size_t	i;
	int	rc;

	if ((zone = web_list_zone(r)) == NULL)
		return;
	if (days_s != NULL && *days_s != '\0') {
		days = strtol(days_s, &end, 10);
		if (*end != '\0' || days < 1 || days > WEB_CALENDAR_DAYS) {
			web_error(r, MHD_HTTP_BAD_REQUEST, "days", "days: 1 to "
			    "%d", WEB_CALENDAR_DAYS);
			return;
		}
	}
	if (team != NULL && strlen(team) > 256) {
		web_error(r, MHD_HTTP_BAD_REQUEST, "team", "team: at most 256 "
		    "bytes");
		return;
	}
	if (from == NULL || *from == '\0') {
		if (absence_parse_when("today", zone, r->now, &tt) < 0) {
			web_error(r, MHD_HTTP_BAD_REQUEST, "tz", "bad zone");
			return;
		}
	} else if (absence_parse_date(from, &tt) < 0 || !tt.is_date) {
		web_error(r, MHD_HTTP_BAD_REQUEST, "from", "not a date "
		    "(YYYY-MM-DD)");
		return;
	}
	if (absence_time_at(&tt, zone, &t_from) < 0) {
		web_error(r, MHD_HTTP_BAD_REQUEST, "from", "does not exist in "
		    "the time zone");
		return;
	}
	icaltime_adjust(&tt, (int)days, 0, 0, 0);
	if (absence_time_at(&tt, zone, &t_to) < 0)
		t_to = t_from + days * 86400;
	if (web_dir(r, &dir, &admin) < 0)
		return;
	if (dir_admin_list(admin, &dns, &error) < 0) {
		web_failed(r, NULL, error);
		return;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	web_json_time(b, "from", t_from, zone);
	web_json_time(b, "to", t_to, zone);
	web_json_int(b, "days", days);
	web_json_str(b, "zone", zone);
	web_json_str(b, "team", team);
	json_builder_set_member_name(b, "people");
	json_builder_begin_array(b);
	for (i = 0; dns[i] != NULL; i++) {
		struct dir_entry *e = NULL;

		if (!web_team_has(team, dns[i]))
			continue;
		rc = dir_lookup_dn(dir, dns[i], &e, &error);
		if (rc > 0 && e->mail != NULL)
			rc = web_calendar_one(r, dir, b, e, t_from, t_to, zone,
					      &error);
		dir_entry_free(&e);
		if (rc < 0) {
			g_object_unref(b);
			web_failed(r, dns[i], error);
			g_strfreev(dns);
			return;
		}
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	g_strfreev(dns);
	web_reply(r, MHD_HTTP_OK, b);
}

/* web_api_check - deputyctl check --json */
void
web_api_check(struct web_req *r)
{
	struct dir_check_settings set;
	struct dir *dir;
	struct dir_admin *admin;
	GPtrArray *problems;
	JsonBuilder *b;
	char   *error = NULL, *where = NULL;
	size_t	entries = 0;
	guint	i;

	if ((set.zone = web_list_zone(r)) == NULL)
		return;
	if (web_dir(r, &dir, &admin) < 0)
		return;
	set.now = r->now;
	set.internal_domains =
	    (const char *const *)r->web->conf->internal_domains;
	problems = dir_problems_new();
	if (dir_check_run(dir, admin, &set, problems, &entries, &where,
			  &error) < 0) {
		g_ptr_array_free(problems, TRUE);
		web_failed(r, where, error);
		g_free(where);
		return;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	web_json_int(b, "entries", (gint64)entries);
	json_builder_set_member_name(b, "problems");
	json_builder_begin_array(b);
	for (i = 0; i < problems->len; i++) {
		const struct dir_problem *p = g_ptr_array_index(problems, i);

		json_builder_begin_object(b);
		web_json_str(b, "kind", p->kind);
		web_json_str(b, "dn", p->dn);
		web_json_str(b, "detail", p->detail);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	g_ptr_array_free(problems, TRUE);
	web_reply(r, MHD_HTTP_OK, b);
}
