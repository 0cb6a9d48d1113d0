#ifndef DEPUTY_CTL_H
#define DEPUTY_CTL_H

/*
 * NAME
 *	ctl - deputyctl's commands and what they share
 * SUMMARY
 *	deputyctl.c parses the command line into struct ctl_args, opens
 *	the configuration and the directory into struct ctl, and runs one
 *	command. Each command returns an exit status (CTL_OK ...): the
 *	mapping from outcome to status is in the helpers ctl_usage() and
 *	ctl_unreachable(), and nowhere else.
 * DIAGNOSTICS
 *	Every error is one line on stderr, "deputyctl: ARGUMENT: why", that
 *	names the argument or the entry it is about. Normal output goes to
 *	stdout, as text or (--json) as one JSON document.
 * SECURITY
 *	Values from the directory (names, an imported SUMMARY, DNs,
 *	delegates) are shown through ctl_esc() in text output: control
 *	characters become escapes, so a value cannot forge a line of the
 *	report nor send the terminal a command.
 */

#include <stdio.h>
#include <time.h>

#include <glib.h>
#include <libical/ical.h>

#include "absence-edit.h"
#include "conf.h"
#include "dir-write.h"
#include "directory.h"

#define CTL_OK		0	/* done */
#define CTL_PROBLEMS	1	/* check found problems */
#define CTL_USAGE	2	/* usage or configuration error */
#define CTL_UNREACHABLE	3	/* directory unreachable or failed */

#define CTL_ARG_MAX	1024	/* bytes in one argument */

/* The command line, as parsed; strings borrowed from argv. */
struct ctl_args {
	const char *command;
	const char *const *pos;		/* positional arguments */
	int	npos;
	const char *config;
	int	json;
	int	dry_run;
	const char *bind_dn;
	const char *password_file;
	int	sasl_external;
	const char *from;		/* away: a date; explain: a sender */
	const char *until;
	const char *every;
	const char *tz;
	const char *notice;
	const char *template_name;
	const char *summary;
	GPtrArray *delegates;		/* away: --delegate, repeatable */
	int	all;
	const char *id;
	const char *on;
	const char *client;
	const char *filter;
	const char *now;		/* --now: a fixed clock, for tests */
};

/* Everything a command works with. */
struct ctl {
	const struct ctl_args *args;
	struct deputy_conf *conf;
	struct dir *dir;
	struct dir_admin *admin;
	time_t	now;
	const char *zone;		/* display and date zone */
	FILE   *out;
};

/* One VEVENT of a deputyAbsence value (absence-edit.h). */
#define ctl_event absence_event

/* A JSON document being written (ctl-json.c, over json-glib). */
struct ctl_json {
	struct _JsonBuilder *builder;
};

struct absence_result;

/* the commands, one file each (ctl-write.c has away and back) */
int ctl_cmd_away(struct ctl *c);
int ctl_cmd_back(struct ctl *c);
int ctl_cmd_import(struct ctl *c);
int ctl_cmd_show(struct ctl *c);
int ctl_cmd_list(struct ctl *c);
int ctl_cmd_check(struct ctl *c);
int ctl_cmd_explain(struct ctl *c);

/* ctl-write.c: shared with ctl-import.c */
int ctl_bad(const char *opt, const char *value, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ctl_apply(struct ctl *c, const struct dir_entry *entry,
	      struct dir_mod *mods, size_t n);
int ctl_need_class(struct ctl *c, const struct dir_entry *entry,
		   int *need_r);
void ctl_value_add(GPtrArray *list, const char *value);

/* ctl-chain.c: delegation as deputyctl walks it */
const struct dir_strings *ctl_values_of(const struct dir_entry *e,
					const char **attr_r);
int ctl_away(const struct dir_entry *e, time_t t,
	     struct absence_result *res);
int ctl_lookup_value(struct ctl *c, const char *value,
		     struct dir_entry **de_r, char **error_r);
int ctl_resolve(struct ctl *c, const struct dir_entry *e, time_t t,
		struct dir_strings *addrs, struct dir_strings *warnings,
		char **error_r);
int ctl_chain(struct ctl *c, const struct dir_entry *e, GPtrArray *path,
	      unsigned int depth, const char *zone, struct ctl_json *j,
	      unsigned int *lookups, char **error_r);

/* ctl-list.c: shared with ctl-check.c */
int ctl_list_dns(struct ctl *c, char ***dns_r);
/* ctl-refuse.c: a user's refused senders (deputy-milter) */
int ctl_cmd_refuse(struct ctl *c);
int ctl_cmd_unrefuse(struct ctl *c);

/* ctl-stats.c: deputyd's counters (daemon.metrics) */
int ctl_cmd_stats(struct ctl *c);

/* deputyctl.c */
void ctl_settings(const struct ctl *c, struct dir_settings *set);

/* ctl-util.c */
int ctl_usage(const char *arg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int ctl_usage2(const char *opt, const char *value, const char *msg);
int ctl_unreachable(const char *arg, const char *why);
int ctl_dir_status(int rc);
char *ctl_escape(const char *text);
const char *ctl_esc(const char *text);
void ctl_esc_release(void);
char *ctl_one_line(const char *text);
int ctl_user(struct ctl *c, const char *arg, struct dir_entry **entry_r,
	     char **error_r);
int ctl_user_arg(struct ctl *c, const char *optname, const char *arg,
		 struct dir_entry **entry_r, int *status_r);
int ctl_parse_date(const char *text, struct icaltimetype *tt_r);
int ctl_zone_ok(const char *name);
icaltimezone *ctl_ical_zone(const char *name);
char *ctl_fmt_time(time_t t, const char *zone, int iso);
int ctl_time_at(const struct icaltimetype *tt, const char *zone,
		time_t *t_r);
int ctl_same_dn(const char *a, const char *b);
int ctl_is_dn(const char *value);
int ctl_domain_is_local(struct ctl *c, const struct dir_entry *user,
			const char *address);
char *ctl_new_uid(void);
const char *ctl_notice_name(enum dir_notice n);
int ctl_template_ok(struct ctl *c, const char *name, char **why_r);
int ctl_reopen(struct ctl *c);

/* ctl-ical.c */
int ctl_events(const struct dir_entry *e, GPtrArray **events_r,
	       char **error_r);
int ctl_events_text(const char *text, size_t value, GPtrArray *events,
		    char **error_r);
GPtrArray *ctl_events_new(void);
void ctl_events_free(GPtrArray *events);
int ctl_event_find(const struct ctl_event *ev, time_t t, int by_start,
		   time_t *start_r, time_t *end_r);
char *ctl_event_build(const char *uid, const struct icaltimetype *start,
		      const struct icaltimetype *end, const char *zone,
		      const char *rrule, const char *summary);
char *ctl_event_exclude(const struct ctl_event *ev, time_t start);
int ctl_rrule_parse(const char *text, char **rrule_r, char **why_r);

/* ctl-json.c */
void ctl_json_init(struct ctl_json *j);
void ctl_json_begin(struct ctl_json *j, const char *key, int array);
void ctl_json_end(struct ctl_json *j, int array);
void ctl_json_str(struct ctl_json *j, const char *key, const char *value);
void ctl_json_int(struct ctl_json *j, const char *key, long long value);
void ctl_json_bool(struct ctl_json *j, const char *key, int value);
void ctl_json_time(struct ctl_json *j, const char *key, time_t t,
		   const char *zone);
void ctl_json_print(struct ctl_json *j, FILE *out);
void ctl_json_discard(struct ctl_json *j);

#endif
