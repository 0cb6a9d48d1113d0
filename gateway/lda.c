/*
 * NAME
 *	lda - one run of the delivery agent
 * SUMMARY
 *	spool -> parse -> for each recipient: look up, absence, delegates,
 *	decide, then act in a fixed order: mailbox, forward, notice. When
 *	a run has more than one action, each completed action is recorded
 *	in the state store before the next starts, so that a retry after a
 *	failure or a crash skips it (see lda_record()).
 * SECURITY
 *	Every address that reaches a header or an argv is checked by
 *	lda_safe_address(): no control characters, no white space, no
 *	angle brackets, bounded length.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "absence.h"
#include "conf.h"
#include "decide.h"
#include "delegate.h"
#include "directory.h"
#include "facts.h"
#include "lda.h"
#include "log.h"
#include "maildir.h"
#include "notice.h"
#include "script.h"
#include "spamc.h"
#include "spool.h"
#include "srs.h"
#include "state.h"
#include "submit.h"
#include "tmpl.h"
#include "trust.h"

#define LDA_MAX_ADDRESS 320
#define LDA_SIEVE_TIMEOUT 20		/* seconds for a user's script */

/* Per-recipient work, kept until the actions run. */
struct lda_rcpt {
	char *address;			/* lowercased */
	struct dir_entry *entry;
	struct absence_result absence;
	int away;
	struct dir_strings delegates;
	struct decision decision;
	char *mailbox;
	int delivered;
	int forwarded;
	int noticed;
	char *notice_identity;		/* template set */
	char *notice_key;		/* dedupe key part: the template set,
					 * or the Sieve vacation's identity */
	unsigned int notice_period;	/* seconds */
	const struct vacation_request *vac;	/* Sieve vacation, or NULL */
	struct script_outcome script;	/* the user's script, if run */
	int scripted;			/* script_run() ran */
	struct dir_strings redirects;	/* the script's, safe ones */
	char **own;			/* more own addresses (:addresses) */
	struct dir_strings targets;	/* Maildir folders to deliver into */
	int duplicate_copy;		/* a forward copy it already has */
	char *srs_original;		/* an SRS bounce: who gets it back */
	struct dir_strings fwd_internal;	/* split of forward_to */
	struct dir_strings fwd_external;	/* get an SRS sender */
};

/* Everything one run owns. */
struct lda_run {
	const struct lda_options *opt;
	struct deputy_conf *conf;
	struct spool spool;
	struct facts *facts;
	struct trust_verdict auth;	/* the envelope sender's */
	struct dir *dir;
	struct state *state;
	char *sender;
	time_t now;
	off_t body_offset;
	struct lda_rcpt *rcpts;
	size_t nrcpt;
	unsigned int actions_left;	/* planned actions not yet done */
	unsigned int actions_total;
	unsigned int recorded;		/* progress records written */
	int spam_done;			/* score looked up (or tried) */
	struct srs_key *srs_key;	/* loaded on first use */
	char *copy_id;			/* our Resent-Message-ID: a forward */
};

/* lda_safe_address - see lda.h */
int
lda_safe_address(const char *a)
{
	size_t n = strlen(a);
	const char *at = strchr(a, '@'), *p;

	if (n == 0 || n > LDA_MAX_ADDRESS || a[0] == '-' || at == NULL ||
	    at == a || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return 0;
	for (p = a; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f ||
		    strchr("<>,;\"\\", *p) != NULL)
			return 0;
	for (p = a; p < at; p++)
		if (strchr("()[]:", *p) != NULL)
			return 0;
	p = at + 1;
	n = strlen(p);
	if (*p == '[')			/* "[" text "]", nothing after */
		return n > 2 && strcspn(p + 1, "[]") == n - 2 &&
		    p[n - 1] == ']';
	return strcspn(p, "()[]:") == n;
}

/* lda_normalize_sender - strip <>, map the null sender to "" */
static char *
lda_normalize_sender(const char *s)
{
	size_t n;

	if (s == NULL)
		return g_strdup("");
	n = strlen(s);
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
		return g_strndup(s + 1, n - 2);
	return g_strdup(s);
}

/* lda_fmt_time - "2026-12-24 00:00 UTC" */
static char *
lda_fmt_time(time_t t)
{
	char buf[64];
	struct tm tm;

	if (t == 0)
		return g_strdup("open end");
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm);
	return g_strdup(buf);
}

/* lda_join - "a,b,c" or "-" */
static char *
lda_join(const struct dir_strings *list, const char *sep)
{
	if (list->count == 0)
		return g_strdup("-");
	return g_strjoinv(sep, list->values);
}

/* lda_lookup - directory, absence and delegates for one recipient */
static int
lda_lookup(struct lda_run *run, struct lda_rcpt *r, char **error_r)
{
	char *err = NULL;
	int rc;

	rc = dir_lookup(run->dir, r->address, &r->entry, error_r);
	if (rc < 0)
		return -1;
	if (rc == 0 || r->entry->absences.count == 0)
		return 0;
	rc = absence_check((const char *const *)r->entry->absences.values,
	    run->now, &r->absence, &err);
	if (rc < 0) {
		log_warn("to=<%s> dn=%s: deputyAbsence ignored: %s",
		    r->address, r->entry->dn, err);
		g_free(err);
		return 0;
	}
	r->away = rc;
	return 0;
}

/*
 * lda_delegates - resolve the delegates of an away recipient. Called
 * only when a forward is otherwise due: most noise never costs a
 * directory search beyond the recipient's own.
 */
static int
lda_delegates(struct lda_run *run, struct lda_rcpt *r, char **error_r)
{
	struct delegate_limits limits = {
		run->conf->max_delegate_depth, run->conf->max_delegates
	};
	struct dir_strings warnings = { NULL, 0 };

	/* Away by a Sieve vacation but not in the directory: nobody to ask. */
	if (r->entry == NULL)
		return 0;
	if (delegate_resolve(run->dir, r->entry, run->now, &limits,
	    &r->delegates, &warnings, error_r) != 0)
		return -1;
	for (size_t i = 0; i < warnings.count; i++)
		log_warn("to=<%s>: %s", r->address, warnings.values[i]);
	dir_strings_free(&warnings);
	/* Delegates that cannot travel safely in argv or headers. */
	for (size_t i = 0; i < r->delegates.count; i++)
		if (!lda_safe_address(r->delegates.values[i])) {
			log_warn("to=<%s>: delegate address rejected as unsafe",
			    r->address);
			g_free(r->delegates.values[i]);
			memmove(&r->delegates.values[i],
			    &r->delegates.values[i + 1],
			    (r->delegates.count - i) * sizeof(char *));
			r->delegates.count--;
			i--;
		}
	return 0;
}

/* lda_decide - run decide() for one recipient */
static void
lda_decide_with(struct lda_run *run, struct lda_rcpt *r, int recent, int rate)
{
	const struct deputy_conf *c = run->conf;
	struct decide_input in;

	memset(&in, 0, sizeof(in));
	in.facts = run->facts;
	in.auth = &run->auth;
	in.sender = run->sender;
	in.recipient = r->address;
	in.entry = r->entry;
	in.away = r->away;
	in.away_until = r->absence.end;
	in.delegates = &r->delegates;
	in.redirects = &r->redirects;
	in.own_addresses = (const char *const *)r->own;
	in.now = run->now;
	in.default_notice = c->default_notice;
	in.internal_domains = (const char *const *)c->internal_domains;
	in.system_senders = (const char *const *)c->system_senders;
	in.notice_threshold = c->notice_threshold;
	in.forward_threshold = c->forward_threshold;
	in.max_received = c->max_received;
	in.forward_bulk = c->forward_bulk;
	in.notice_recent = recent;
	in.rate_exceeded = rate;
	decision_clear(&r->decision);
	decide(&in, &r->decision);
}

/*
 * lda_state_open - open the state store; a notice record is kept for
 * the longest period any notice may be held back: the configured one,
 * or the longest a Sieve vacation may ask for
 */
static int
lda_state_open(struct lda_run *run, int readonly, char **error_r)
{
	time_t keep = MAX((time_t)run->conf->notice_period_days * 86400,
	    (time_t)run->conf->sieve_max_period);

	return state_open(run->conf->state_path, run->conf->state_map_size,
	    keep, readonly, &run->state, error_r);
}

/* lda_sender_domain - the envelope sender's domain, lowercased */
static char *
lda_sender_domain(const char *sender)
{
	const char *at = strrchr(sender, '@');

	return g_ascii_strdown(at != NULL ? at + 1 : "", -1);
}

/*
 * lda_decide - decide() once without state; when only the state rules
 * (duplicate, rate) can still stop the notice, look them up and decide
 * again. Most messages never touch the state file.
 */
static int
lda_decide(struct lda_run *run, struct lda_rcpt *r, char **error_r)
{
	struct state_rates rates = { run->conf->rate_per_recipient,
	    run->conf->rate_per_domain, run->conf->rate_global };
	char *domain;
	int recent, rate;

	r->notice_identity = g_strdup(r->entry && r->entry->template_name ?
	    r->entry->template_name : run->conf->template_name);
	r->notice_period = run->conf->notice_period_days * 86400;
	if (r->vac != NULL) {
		r->notice_key = vacation_identity(r->vac);
		r->notice_period = (unsigned int)vacation_period(r->vac,
		    r->notice_period, run->conf->sieve_min_period,
		    run->conf->sieve_max_period);
	} else {
		r->notice_key = g_strdup(r->notice_identity);
	}
	lda_decide_with(run, r, 0, 0);
	/* Nothing but the missing delegates stops the forward: look them up.
	 * A notice names the delegates too. */
	if (r->away && (r->decision.forward_reason == DR_NO_DELEGATE ||
	    r->decision.notice_reason == DR_NONE)) {
		if (lda_delegates(run, r, error_r) != 0)
			return -1;
		lda_decide_with(run, r, 0, 0);
	}
	if (r->decision.notice_reason != DR_NONE)
		return 0;
	if (run->state == NULL && (run->opt->explain ?
	    access(run->conf->state_path, F_OK) != 0 : 0))
		return 0;	/* explain: no state yet, nothing recorded */
	if (run->state == NULL && lda_state_open(run, run->opt->explain,
	    error_r) != 0)
		return -1;
	recent = state_notice_recent(run->state, r->address, run->sender,
	    r->notice_key, r->notice_period, run->now, error_r);
	if (recent < 0)
		return -1;
	domain = lda_sender_domain(run->sender);
	rate = state_rate_exceeded(run->state, r->address, domain, &rates,
	    run->now, error_r);
	g_free(domain);
	if (rate < 0)
		return -1;
	lda_decide_with(run, r, recent, rate);
	return 0;
}

/* lda_spam - the spam score, from trusted headers or the scanner */
static void
lda_spam(struct lda_run *run, const char *recipient)
{
	const struct deputy_conf *c = run->conf;
	struct spamc_request req;
	double score;
	char *err = NULL;

	if (run->spam_done)
		return;
	run->spam_done = 1;
	if (trust_spam_score(run->facts, c->boundary_received, &score)) {
		run->facts->spam_known = 1;
		run->facts->spam_score = score;
		return;
	}
	if (strcmp(c->spam_scanner, "none") == 0 || !run->facts->parsed)
		return;
	memset(&req, 0, sizeof(req));
	req.kind = strcmp(c->spam_scanner, "rspamd") == 0 ? SPAMC_RSPAMD :
	    SPAMC_SPAMD;
	req.address = c->spam_address;
	req.fd = run->spool.fd;
	req.offset = run->body_offset;
	req.size = run->spool.size - run->body_offset;
	req.timeout = c->spam_timeout;
	req.max_size = (off_t)c->spam_max_size_kb * 1024;
	req.sender = run->sender;
	req.recipient = recipient;
	req.client = run->opt->client;
	if (spamc_score(&req, &score, &err) == 0) {
		run->facts->spam_known = 1;
		run->facts->spam_score = score;
	} else {
		log_warn("spam scanner: %s: no score, so no notice", err);
		g_free(err);
	}
}

/* lda_sieve_summary - "fileinto,redirect,vacation" or "error" */
static char *
lda_sieve_summary(const struct lda_rcpt *r)
{
	const struct script_outcome *o = &r->script;
	GString *s = g_string_new(NULL);

	if (o->error != NULL)
		g_string_append(s, "error,");
	else {
		if (o->keep)
			g_string_append(s, "keep,");
		if (o->folders != NULL)
			g_string_append(s, "fileinto,");
		if (o->redirects != NULL)
			g_string_append(s, "redirect,");
		if (o->discard)
			g_string_append(s, "discard,");
		if (o->reject != NULL)
			g_string_append(s, "reject,");
		if (o->vacation)
			g_string_append(s, "vacation,");
		if (o->notes != NULL)
			g_string_append(s, "notify,");
	}
	if (s->len > 0)
		g_string_truncate(s, s->len - 1);
	else
		g_string_append(s, "none");
	return g_string_free(s, FALSE);
}

/* lda_explain_script - what the user's Sieve script asked for */
static void
lda_explain_script(const struct lda_rcpt *r, FILE *out)
{
	const struct script_outcome *o = &r->script;
	char *sum = lda_sieve_summary(r);

	fprintf(out, "  sieve:   %s\n", sum);
	g_free(sum);
	if (o->error != NULL) {
		char *e = facts_sanitize(o->error, 300);

		fprintf(out, "  sieve:   failed, implicit keep: %s\n", e);
		g_free(e);
	}
	for (size_t i = 0; i < r->redirects.count; i++)
		fprintf(out, "  sieve:   redirect to %s\n",
		    r->redirects.values[i]);
	if (o->reject != NULL)
		fprintf(out, "  sieve:   reject not carried out (never a "
		    "bounce)\n");
}

/* lda_explain - print the decision record of one recipient */
static void
lda_explain(struct lda_run *run, struct lda_rcpt *r, FILE *out)
{
	const struct decision *d = &r->decision;
	char *until = lda_fmt_time(r->absence.end);

	fprintf(out, "recipient: %s\n", r->address);
	if (r->srs_original != NULL) {
		fprintf(out, "  srs:     a bounce to our SRS address; passed "
		    "back from <> to <%s>\n", r->srs_original);
		g_free(until);
		return;
	}
	fprintf(out, "  entry:   %s\n", r->entry ? r->entry->dn :
	    "(none: not in the directory)");
	if (r->away)
		fprintf(out, "  away:    yes, until %s\n", until);
	else
		fprintf(out, "  away:    no\n");
	if (run->opt->vacation != NULL)
		fprintf(out, "  deliver: (by the caller: Dovecot stores it)\n");
	else if (r->targets.count == 0)
		fprintf(out, "  deliver: none (the user's Sieve script)\n");
	for (size_t i = 0; i < r->targets.count; i++)
		fprintf(out, "  deliver: %s\n", r->targets.values[i]);
	if (r->scripted)
		lda_explain_script(r, out);
	if (d->forward_reason == DR_NONE) {
		char *to = lda_join(&d->forward_to, ", ");

		fprintf(out, "  forward: %s\n", to);
		g_free(to);
	} else {
		fprintf(out, "  forward: no (%s%s%s)\n",
		    decide_reason_name(d->forward_reason),
		    d->forward_detail ? ": " : "",
		    d->forward_detail ? d->forward_detail : "");
	}
	for (size_t i = 0; i < d->forward_skipped.count; i++)
		fprintf(out, "  skipped: %s\n", d->forward_skipped.values[i]);
	if (d->notice_reason == DR_NONE && r->vac != NULL)
		fprintf(out, "  notice:  yes, to <%s> from <>, the Sieve "
		    "vacation's text\n", run->sender);
	else if (d->notice_reason == DR_NONE)
		fprintf(out, "  notice:  yes, to <%s> from <>, template %s\n",
		    run->sender, r->notice_identity);
	else
		fprintf(out, "  notice:  no (%s%s%s)\n",
		    decide_reason_name(d->notice_reason),
		    d->notice_detail ? ": " : "",
		    d->notice_detail ? d->notice_detail : "");
	fprintf(out, "  trust:   %s; spam score %s\n",
	    run->auth.authenticated ? "authenticated" : "not authenticated",
	    run->facts->spam_known ? "known" : "unknown");
	if (run->facts->spam_known)
		fprintf(out, "  score:   %.2f (notice at most %.2f, forward "
		    "below %.2f)\n", run->facts->spam_score,
		    run->conf->notice_threshold, run->conf->forward_threshold);
	fprintf(out, "  gate:\n");
	for (unsigned int i = 0; i < d->rule_count; i++)
		fprintf(out, "    %-24s %s%s%s\n",
		    decide_reason_name(d->rules[i].rule),
		    d->rules[i].failed ? "FAIL" : "pass",
		    d->rules[i].failed && d->rules[i].detail ? "  " : "",
		    d->rules[i].failed && d->rules[i].detail ?
		    d->rules[i].detail : "");
	g_free(until);
}

/* lda_log - the one log line per recipient */
static void
lda_log(struct lda_run *run, struct lda_rcpt *r)
{
	const struct decision *d = &r->decision;
	GString *fwd = g_string_new(NULL);
	char *sieve = r->scripted ? lda_sieve_summary(r) : NULL;
	const char *mailbox = r->duplicate_copy ? "duplicate" :
	    run->opt->vacation != NULL ? "caller" :
	    r->targets.count == 0 ? "none" :
	    r->delivered > 0 ? "delivered" : "failed";

	/* forward= lists every address the message went to, delegates and
	 * the script's redirects alike; "-" for none. */
	for (size_t i = 0; i < r->fwd_internal.count; i++)
		g_string_append_printf(fwd, "%s%s", fwd->len ? "," : "",
		    r->fwd_internal.values[i]);
	for (size_t i = 0; i < r->fwd_external.count; i++)
		g_string_append_printf(fwd, "%s%s", fwd->len ? "," : "",
		    r->fwd_external.values[i]);
	log_info("from=<%s> to=<%s> msgid=<%s> away=%s mailbox=%s "
	    "forward=%s forward_reason=%s notice=%s notice_reason=%s%s%s",
	    run->sender, r->address,
	    run->facts->message_id ? run->facts->message_id : "",
	    r->away ? "yes" : "no", mailbox,
	    fwd->len ? fwd->str : "-", decide_reason_name(d->forward_reason),
	    r->noticed ? "sent" : "no",
	    decide_reason_name(d->notice_reason),
	    sieve != NULL ? " sieve=" : "", sieve != NULL ? sieve : "");
	g_string_free(fwd, TRUE);
	g_free(sieve);
}

/* lda_state - open the state store when first needed */
static int
lda_state(struct lda_run *run, char **error_r)
{
	if (run->state != NULL)
		return 0;
	return lda_state_open(run, 0, error_r);
}

/* lda_done_before - whether a previous, failed run did ACTION already */
static int
lda_done_before(struct lda_run *run, const char *key,
		enum state_action action, char **error_r)
{
	/* No state file yet: no earlier attempt recorded anything. */
	if (run->state == NULL && access(run->conf->state_path, F_OK) != 0)
		return 0;
	if (lda_state(run, error_r) != 0)
		return -1;
	return state_progress_get(run->state, run->spool.digest, key,
	    action, run->now, error_r);
}

/*
 * lda_record - note ACTION done, the last one too, and keep the record
 * for STATE_PROGRESS_TTL: a kill -9 after an action, before the MTA saw
 * exit 0, must not make the retry write a second mailbox copy, forward
 * again or notify again. (This costs one LMDB commit per action.)
 */
static int
lda_record(struct lda_run *run, const char *key, enum state_action action,
	   char **error_r)
{
	run->actions_left--;
	if (lda_state(run, error_r) != 0 ||
	    state_progress_put(run->state, run->spool.digest, key,
	    action, run->now, error_r) != 0)
		return -1;
	run->recorded++;
	return 0;
}

/* lda_forward_prefix - loop marker and Resent-* block for a redirect */
static char *
lda_forward_prefix(struct lda_run *run, struct lda_rcpt *r,
		   const struct dir_strings *group)
{
	GDateTime *now = g_date_time_new_from_unix_local(run->now);
	char *date = g_date_time_format(now, "%a, %d %b %Y %H:%M:%S %z");
	char *to = g_strjoinv(", ", group->values);
	/* The same on every retry, so a repeat is recognisable downstream. */
	char *rid = g_compute_checksum_for_string(G_CHECKSUM_SHA256,
	    r->address, -1);
	char *prefix = g_strdup_printf(
	    "%s: %s\r\n"
	    "Resent-From: <%s>\r\n"
	    "Resent-To: %s\r\n"
	    "Resent-Date: %s\r\n"
	    "Resent-Message-ID: <deputy.%.16s.%.16s@%s>\r\n",
	    run->conf->loop_header, r->address, r->address, to, date,
	    run->spool.digest, rid, run->conf->hostname);

	g_date_time_unref(now);
	g_free(date);
	g_free(to);
	g_free(rid);
	return prefix;
}

/* lda_fix_newlines - use the message's own line ending in PREFIX */
static void
lda_fix_newlines(struct lda_run *run, char *prefix)
{
	char buf[1024];
	ssize_t n = pread(run->spool.fd, buf, sizeof(buf),
	    run->body_offset);
	char *nl = n > 0 ? memchr(buf, '\n', (size_t)n) : NULL;

	if (nl != NULL && nl > buf && nl[-1] == '\r')
		return;
	/* LF message: drop the CRs (in place, the string only shrinks). */
	{
		char *w = prefix;

		for (char *p = prefix; *p != '\0'; p++)
			if (*p != '\r')
				*w++ = *p;
		*w = '\0';
	}
}

/* lda_until - the end of the absence for templates, in ZONE */
static char *
lda_until(time_t end, const char *zone)
{
	GTimeZone *tz;
	GDateTime *dt, *local;
	char *text;

	if (end == 0)
		return g_strdup("further notice");
	tz = g_time_zone_new_identifier(zone);
	if (tz == NULL)
		tz = g_time_zone_new_utc();
	dt = g_date_time_new_from_unix_utc(end);
	local = g_date_time_to_timezone(dt, tz);
	if (g_date_time_get_hour(local) == 0 &&
	    g_date_time_get_minute(local) == 0) {
		/* An exclusive midnight end: the day before is the last. */
		GDateTime *last = g_date_time_add_days(local, -1);

		text = g_date_time_format(last, "%Y-%m-%d");
		g_date_time_unref(last);
	} else {
		text = g_date_time_format(local, "%Y-%m-%d %H:%M %Z");
	}
	g_date_time_unref(local);
	g_date_time_unref(dt);
	g_time_zone_unref(tz);
	return text;
}

/* lda_delegate_names - "Bob Jones <bob@example.org>, ..." */
static char *
lda_delegate_names(struct lda_run *run, struct lda_rcpt *r)
{
	GString *out = g_string_new(NULL);
	const struct dir_strings *to = &r->decision.forward_to;

	for (size_t i = 0; i < to->count; i++) {
		struct dir_entry *e = NULL;
		char *err = NULL;

		if (dir_lookup(run->dir, to->values[i], &e, &err) < 0)
			g_free(err);
		if (out->len > 0)
			g_string_append(out, ", ");
		if (e != NULL && e->display_name != NULL)
			g_string_append_printf(out, "%s <%s>", e->display_name,
			    to->values[i]);
		else
			g_string_append(out, to->values[i]);
		dir_entry_free(&e);
	}
	return g_string_free(out, FALSE);
}

/*
 * lda_is_own - whether ADDRESS is the recipient's, by the directory:
 * a script's :addresses do not count, or a script could name anybody
 * there and then send as them with :from.
 */
static int
lda_is_own(const struct lda_rcpt *r, const char *address)
{
	if (g_ascii_strcasecmp(address, r->address) == 0)
		return 1;
	return r->entry != NULL && dir_entry_has_address(r->entry, address);
}

/*
 * lda_notice_vacation - the Sieve vacation's subject, text and :from
 * replace the template's. :from must be one of the user's own
 * addresses: a script does not get to speak for somebody else.
 */
static void
lda_notice_vacation(struct lda_rcpt *r, char **subject, char **body,
		    char **from_r)
{
	char *text = vacation_body(r->vac);
	char *from = vacation_from(r->vac);

	if (r->vac->subject != NULL && *r->vac->subject != '\0') {
		g_free(*subject);
		*subject = g_strdup(r->vac->subject);
	}
	if (text != NULL && *text != '\0') {
		g_free(*body);
		*body = text;
	} else {
		g_free(text);
	}
	if (from != NULL && !lda_is_own(r, from)) {
		log_warn("to=<%s>: vacation :from <%s> is not one of the "
		    "user's addresses; not used", r->address, from);
		g_free(from);
		from = NULL;
	}
	*from_r = from;
}

/*
 * lda_notice - render, build and hand the notice to sendmail; record it
 * for dedupe and rates only after sendmail accepted it. A failure here
 * is logged and never retried: fail closed, never a duplicate.
 */
static int
lda_notice(struct lda_run *run, struct lda_rcpt *r)
{
	const struct deputy_conf *c = run->conf;
	struct notice_input ni;
	struct submit_request req;
	struct tmpl *t = NULL;
	const char *rcpts[2] = { run->sender, NULL };
	char *err = NULL, *subject = NULL, *body = NULL, *text = NULL;
	char *until, *delegates, *domain, *vfrom = NULL;
	const char *name = r->entry && r->entry->display_name ?
	    r->entry->display_name : r->address;
	const char *from = r->entry && r->entry->mail ? r->entry->mail :
	    r->address;
	int rc = -1;

	if (!lda_safe_address(run->sender)) {
		log_warn("to=<%s>: notice not sent: sender unusable", r->address);
		return -1;
	}
	if (tmpl_load(c->template_dir, r->notice_identity,
	    r->entry ? r->entry->language : NULL, &t, &err) != 0) {
		log_warn("to=<%s>: notice not sent: %s", r->address, err);
		g_free(err);
		return -1;
	}
	until = lda_until(r->absence.end, c->template_timezone);
	delegates = lda_delegate_names(run, r);
	{
		const struct tmpl_var vars[] = {
			{ "name", name },
			{ "address", from },
			{ "until", until },
			{ "delegates", delegates },
			{ "subject", run->facts->subject ?
			    run->facts->subject : "" },
			{ NULL, NULL }
		};

		tmpl_render(t, vars, &subject, &body);
	}
	if (r->vac != NULL) {
		lda_notice_vacation(r, &subject, &body, &vfrom);
		if (vfrom != NULL)
			from = vfrom;
	}
	memset(&ni, 0, sizeof(ni));
	ni.from_address = from;
	ni.from_name = name != r->address ? name : NULL;
	ni.to_address = run->sender;
	ni.subject = subject;
	ni.body = body;
	ni.in_reply_to = run->facts->message_id;
	ni.references = run->facts->references;
	ni.hostname = c->hostname;
	ni.unique = run->spool.digest;
	ni.now = run->now;
	if (notice_build(&ni, &text, &err) != 0) {
		log_warn("to=<%s>: notice not sent: %s", r->address, err);
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.sendmail = c->sendmail;
	req.sender = "";
	req.recipients = rcpts;
	req.prefix = text;
	req.fd = -1;
	req.timeout = c->submit_timeout;
	if (submit_run(&req, &err) != 0) {
		log_warn("to=<%s>: notice to <%s> not sent: %s", r->address,
		    run->sender, err);
		goto out;
	}
	domain = lda_sender_domain(run->sender);
	if (state_notice_record(run->state, r->address, run->sender,
	    r->notice_key, domain, run->now, &err) != 0) {
		log_warn("to=<%s>: notice sent but not recorded: %s",
		    r->address, err);
		g_free(err);
		err = NULL;
	}
	g_free(domain);
	if (r->vac != NULL)
		log_info("to=<%s>: notice sent to <%s> (the user's Sieve "
		    "vacation)", r->address, run->sender);
	else
		log_info("to=<%s>: notice sent to <%s> (template %s.%s)",
		    r->address, run->sender, r->notice_identity,
		    tmpl_language(t));
	rc = 0;
out:
	g_free(err);
	g_free(text);
	g_free(subject);
	g_free(body);
	g_free(until);
	g_free(delegates);
	g_free(vfrom);
	tmpl_free(&t);
	return rc;
}

/* lda_srs_enabled - whether SRS is configured */
static int
lda_srs_enabled(const struct lda_run *run)
{
	return run->conf->srs_domain != NULL && *run->conf->srs_domain != '\0' &&
	    run->conf->srs_key_file != NULL && *run->conf->srs_key_file != '\0';
}

/* lda_srs_key - load the SRS key on first use */
static int
lda_srs_key(struct lda_run *run, char **error_r)
{
	if (run->srs_key != NULL)
		return 0;
	return srs_key_load(run->conf->srs_key_file, &run->srs_key, error_r);
}

/* lda_is_internal - whether ADDRESS is in one of our domains */
static int
lda_is_internal(const struct lda_run *run, const struct lda_rcpt *r,
		const char *address)
{
	const char *at = strrchr(address, '@'), *rat = strrchr(r->address, '@');
	char **d = run->conf->internal_domains;

	if (at == NULL)
		return 1;
	if (d != NULL && d[0] != NULL) {
		for (; *d != NULL; d++)
			if (g_ascii_strcasecmp(at + 1, *d) == 0)
				return 1;
		return 0;
	}
	return rat != NULL && g_ascii_strcasecmp(at + 1, rat + 1) == 0;
}

/* lda_strv_has - whether LIST holds S (any case) */
static int
lda_strv_has(const struct dir_strings *list, const char *s)
{
	for (size_t i = 0; i < list->count; i++)
		if (g_ascii_strcasecmp(list->values[i], s) == 0)
			return 1;
	return 0;
}

/* lda_strv_add - append a copy of S */
static void
lda_strv_add(struct dir_strings *list, const char *s)
{
	list->values = g_renew(char *, list->values, list->count + 2);
	list->values[list->count++] = g_strdup(s);
	list->values[list->count] = NULL;
}

/*
 * lda_split_forward - internal delegates keep the envelope sender;
 * outside delegates get an SRS0 sender when SRS is configured.
 */
static void
lda_split_forward(struct lda_run *run, struct lda_rcpt *r)
{
	const struct dir_strings *lists[2] = {
		r->decision.forward_reason == DR_NONE ?
		    &r->decision.forward_to : NULL,
		r->decision.redirect_reason == DR_NONE ?
		    &r->decision.redirect_to : NULL
	};

	/* Delegates and the script's redirects travel together, once. */
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; lists[l] != NULL && i < lists[l]->count;
		    i++) {
			const char *a = lists[l]->values[i];

			if (lda_strv_has(&r->fwd_internal, a) ||
			    lda_strv_has(&r->fwd_external, a))
				continue;
			if (lda_srs_enabled(run) && !lda_is_internal(run, r, a))
				lda_strv_add(&r->fwd_external, a);
			else
				lda_strv_add(&r->fwd_internal, a);
		}
}

/*
 * lda_script - run the recipient's Sieve script, if it has one. A
 * script that cannot be read or fails keeps the message in INBOX, and
 * its error is logged; its vacation makes the recipient away for this
 * message; its redirects become forwards.
 */
static void
lda_script(struct lda_run *run, struct lda_rcpt *r)
{
	const struct deputy_conf *c = run->conf;
	struct script_outcome *o = &r->script;
	struct script_message msg;
	char *path = NULL, *text = NULL, *err = NULL;
	int rc;

	if (c->sieve_script == NULL || run->opt->vacation != NULL ||
	    r->srs_original != NULL)
		return;
	if (maildir_path(c->sieve_script, r->address, &path, &err) != 0 ||
	    (rc = script_load(path, c->sieve_max_script, &text, &err)) < 0) {
		log_warn("to=<%s>: Sieve script not run (%s): implicit keep",
		    r->address, err);
		g_free(err);
		g_free(path);
		script_outcome_clear(o);
		o->keep = 1;
		r->scripted = 1;
		return;
	}
	if (rc == 0) {
		g_free(path);
		return;
	}
	memset(&msg, 0, sizeof(msg));
	msg.fd = run->spool.fd;
	msg.offset = run->body_offset;
	msg.size = run->spool.size - run->body_offset;
	msg.sender = run->sender;
	msg.recipient = r->address;
	script_run_isolated(text, &msg, c->sieve_max_actions,
	    LDA_SIEVE_TIMEOUT, o);
	r->scripted = 1;
	g_free(text);
	if (o->error != NULL) {
		char *e = facts_sanitize(o->error, 300);

		log_warn("to=<%s>: Sieve script %s failed, implicit keep: %s",
		    r->address, path, e);
		g_free(e);
	}
	g_free(path);
	for (size_t i = 0; o->notes != NULL && o->notes[i] != NULL; i++) {
		char *n = facts_sanitize(o->notes[i], 200);

		log_info("to=<%s>: Sieve %s", r->address, n);
		g_free(n);
	}
	if (o->reject != NULL)
		log_info("to=<%s>: Sieve reject not carried out (deputy never "
		    "bounces); %s", r->address, c->sieve_reject_discards ?
		    "discarded (sieve.reject = discard)" : "kept in INBOX");
	for (size_t i = 0; o->redirects != NULL && o->redirects[i] != NULL;
	    i++) {
		char *a = g_ascii_strdown(o->redirects[i], -1);

		if (!lda_safe_address(a))
			log_warn("to=<%s>: Sieve redirect to an unusable "
			    "address ignored", r->address);
		else if (r->redirects.count >= c->max_delegates)
			log_warn("to=<%s>: Sieve redirect beyond %u addresses "
			    "ignored", r->address, c->max_delegates);
		else if (!lda_strv_has(&r->redirects, a))
			lda_strv_add(&r->redirects, a);
		g_free(a);
	}
	if (o->vacation) {
		r->vac = &o->vac;
		r->away = 1;
		r->own = g_strdupv(o->vac.addresses);
	}
}

/*
 * lda_targets - the Maildir copies: INBOX unless a script says
 * otherwise. Whatever the script says, a message that would end up
 * nowhere because its redirect was stopped is kept.
 */
static void
lda_targets(struct lda_run *run, struct lda_rcpt *r)
{
	const struct script_outcome *o = &r->script;
	int reject_keeps = o->reject != NULL && !run->conf->sieve_reject_discards;

	if (r->srs_original != NULL || run->opt->vacation != NULL)
		return;
	if (!r->scripted || o->keep || reject_keeps)
		lda_strv_add(&r->targets, r->mailbox);
	for (size_t i = 0; o->folders != NULL && o->folders[i] != NULL; i++) {
		char *path = NULL, *err = NULL;

		if (maildir_folder(r->mailbox, o->folders[i], &path,
		    &err) != 0) {
			char *f = facts_sanitize(o->folders[i], 200);

			log_warn("to=<%s>: Sieve fileinto \"%s\": %s; kept in "
			    "INBOX instead", r->address, f, err);
			g_free(f);
			g_free(err);
			path = g_strdup(r->mailbox);
		}
		if (!lda_strv_has(&r->targets, path))
			lda_strv_add(&r->targets, path);
		g_free(path);
	}
	if (r->targets.count == 0 && !o->discard && o->reject == NULL &&
	    r->decision.redirect_reason != DR_NONE) {
		log_info("to=<%s>: the script's redirect was not made (%s): "
		    "kept in INBOX", r->address,
		    decide_reason_name(r->decision.redirect_reason));
		lda_strv_add(&r->targets, r->mailbox);
	}
}

/* lda_forward_once - one forward group, unless an earlier attempt sent it */
static int
lda_forward_once(struct lda_run *run, struct lda_rcpt *r,
		 const struct dir_strings *to, enum state_action action,
		 const char **dsn_r, char **error_r)
{
	struct submit_request req;
	char *prefix, *sender = NULL;
	int done, rc;

	*dsn_r = "4.3.0";
	done = lda_done_before(run, r->address, action, error_r);
	if (done < 0)
		return -1;
	if (done) {
		log_info("to=<%s>: forward made by an earlier attempt",
		    r->address);
	} else {
		if (action == STATE_FORWARDED_EXT && *run->sender != '\0') {
			if (lda_srs_key(run, error_r) != 0) {
				*dsn_r = "4.3.5";
				return -1;
			}
			if (srs_forward(run->srs_key, run->conf->srs_domain,
			    run->sender, run->now, &sender, error_r) != 0) {
				log_warn("to=<%s>: SRS: %s; original sender kept",
				    r->address, *error_r);
				g_free(*error_r);
				*error_r = NULL;
				sender = NULL;
			}
		}
		prefix = lda_forward_prefix(run, r, to);
		lda_fix_newlines(run, prefix);
		memset(&req, 0, sizeof(req));
		req.sendmail = run->conf->sendmail;
		req.sender = sender != NULL ? sender : run->sender;
		req.recipients = (const char *const *)to->values;
		req.prefix = prefix;
		req.fd = run->spool.fd;
		req.body_offset = run->body_offset;
		req.timeout = run->conf->submit_timeout;
		rc = submit_run(&req, error_r);
		g_free(prefix);
		g_free(sender);
		if (rc != 0)
			return -1;
	}
	r->forwarded = 1;
	return lda_record(run, r->address, action, error_r);
}

/* lda_return_bounce - pass a bounce to an SRS address back, from <> */
static int
lda_return_bounce(struct lda_run *run, struct lda_rcpt *r,
		  const char **dsn_r, char **error_r)
{
	const char *rcpts[2] = { r->srs_original, NULL };
	struct submit_request req;
	int done;

	*dsn_r = "4.3.0";
	done = lda_done_before(run, r->address, STATE_BOUNCE_RETURNED, error_r);
	if (done < 0)
		return -1;
	if (!done) {
		memset(&req, 0, sizeof(req));
		req.sendmail = run->conf->sendmail;
		req.sender = "";
		req.recipients = rcpts;
		req.fd = run->spool.fd;
		req.body_offset = run->body_offset;
		req.timeout = run->conf->submit_timeout;
		if (submit_run(&req, error_r) != 0)
			return -1;
	}
	log_info("from=<%s> to=<%s> msgid=<%s> srs=returned original=<%s>",
	    run->sender, r->address,
	    run->facts->message_id ? run->facts->message_id : "",
	    r->srs_original);
	return lda_record(run, r->address, STATE_BOUNCE_RETURNED, error_r);
}

/*
 * lda_copy_id - the Resent-Message-ID of a forward made by deputy on
 * this host (deputy.HEX.HEX@hostname, with our loop marker), or NULL.
 * The id is the same on every attempt of that forward, so a copy that
 * a killed and retried forward sent twice is recognised on arrival.
 */
static char *
lda_copy_id(const struct lda_run *run)
{
	const char *id = run->facts->resent_message_id;
	char *bare, *suffix;
	size_t n;

	if (id == NULL || run->facts->loop_markers.count == 0)
		return NULL;
	bare = g_strstrip(g_strdup(id));
	n = strlen(bare);
	if (n >= 2 && bare[0] == '<' && bare[n - 1] == '>') {
		memmove(bare, bare + 1, n - 2);
		bare[n - 2] = '\0';
	}
	suffix = g_strdup_printf("@%s", run->conf->hostname);
	if (!g_str_has_prefix(bare, "deputy.") ||
	    !g_str_has_suffix(bare, suffix) || strlen(bare) > 200) {
		g_free(bare);
		bare = NULL;
	}
	g_free(suffix);
	return bare;
}

/* lda_copy_seen - whether R already has this forward copy */
static int
lda_copy_seen(struct lda_run *run, struct lda_rcpt *r, char **error_r)
{
	if (run->copy_id == NULL)
		return 0;
	if (run->state == NULL && access(run->conf->state_path, F_OK) != 0)
		return 0;
	if (lda_state(run, error_r) != 0)
		return -1;
	return state_progress_get(run->state, run->copy_id, r->address,
	    STATE_DELIVERED, run->now, error_r);
}

/*
 * lda_mailbox_key - the Maildir file name part of one copy: the same
 * for every attempt of one delivery, and for every copy of one of our
 * forwards (whose bytes differ by the Received lines of the way)
 */
static char *
lda_mailbox_key(const struct lda_run *run, const char *key)
{
	char *text = g_strdup_printf("%s\n%s", run->copy_id != NULL ?
	    run->copy_id : run->spool.digest, key);
	char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);

	g_free(text);
	return sum;
}

/* lda_act - mailbox, forward, notice, in that order */
static int
lda_act(struct lda_run *run, struct lda_rcpt *r, const char **dsn_r,
	char **error_r)
{
	struct decision *d = &r->decision;
	char *file = NULL;
	int done;

	if (r->srs_original != NULL)
		return lda_return_bounce(run, r, dsn_r, error_r);
	done = lda_copy_seen(run, r, error_r);
	if (done < 0) {
		*dsn_r = "4.3.0";
		return -1;
	}
	if (done) {
		log_info("to=<%s>: a copy of forward <%s> it already has: not "
		    "delivered again", r->address, run->copy_id);
		r->duplicate_copy = 1;
		return 0;
	}
	for (size_t i = 0; i < r->targets.count; i++) {
		const char *path = r->targets.values[i];
		/* The INBOX copy keeps the plain key of earlier versions. */
		char *key = strcmp(path, r->mailbox) == 0 ?
		    g_strdup(r->address) :
		    g_strdup_printf("%s\n%s", r->address, path);
		char *mkey = lda_mailbox_key(run, key);
		int mrc = 0;

		*dsn_r = "4.3.0";
		done = lda_done_before(run, key, STATE_DELIVERED, error_r);
		if (done > 0)
			log_info("to=<%s>: mailbox copy made by an earlier "
			    "attempt", r->address);
		/* The file name is the same on every attempt: a copy that
		 * a killed attempt left in new/ is found, not repeated. */
		if (done == 0)
			mrc = maildir_deliver(path, run->spool.fd,
			    run->conf->hostname, mkey, &file, error_r);
		if (mrc == 1)
			log_info("to=<%s>: mailbox copy found in new/, made by "
			    "an earlier attempt", r->address);
		g_free(mkey);
		if (done < 0 || mrc < 0 ||
		    lda_record(run, key, STATE_DELIVERED, error_r) != 0) {
			g_free(key);
			return -1;
		}
		g_free(file);
		file = NULL;
		g_free(key);
		r->delivered++;
	}

	if (r->fwd_internal.count > 0 && lda_forward_once(run, r,
	    &r->fwd_internal, STATE_FORWARDED, dsn_r, error_r) != 0)
		return -1;
	if (r->fwd_external.count > 0 && lda_forward_once(run, r,
	    &r->fwd_external, STATE_FORWARDED_EXT, dsn_r, error_r) != 0)
		return -1;
	if (run->copy_id != NULL && (lda_state(run, error_r) != 0 ||
	    state_progress_put(run->state, run->copy_id, r->address,
	    STATE_DELIVERED, run->now, error_r) != 0)) {
		*dsn_r = "4.3.0";
		return -1;
	}
	if (d->notice_reason == DR_NONE) {
		done = lda_done_before(run, r->address, STATE_NOTICED, error_r);
		if (done < 0) {
			*dsn_r = "4.3.0";
			return -1;
		}
		if (done) {
			log_info("to=<%s>: notice sent by an earlier attempt",
			    r->address);
			r->noticed = 1;
		} else if (lda_notice(run, r) == 0) {
			r->noticed = 1;
		}
		if (lda_record(run, r->address, STATE_NOTICED, error_r) != 0) {
			*dsn_r = "4.3.0";
			return -1;
		}
	}
	return 0;
}

/* lda_body_offset - skip a leading mbox "From " line */
static off_t
lda_body_offset(int fd)
{
	char buf[2048];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	char *nl;

	if (n < 5 || memcmp(buf, "From ", 5) != 0)
		return 0;
	nl = memchr(buf, '\n', (size_t)n);
	return nl ? (off_t)(nl - buf + 1) : 0;
}

/* lda_plan - count the actions of the whole run */
static void
lda_plan(struct lda_run *run)
{
	run->actions_left = 0;
	for (size_t i = 0; i < run->nrcpt; i++) {
		struct decision *d = &run->rcpts[i].decision;

		if (run->rcpts[i].srs_original != NULL) {
			run->actions_left++;
			continue;
		}
		run->actions_left += run->rcpts[i].targets.count;
		if (run->rcpts[i].fwd_internal.count > 0)
			run->actions_left++;
		if (run->rcpts[i].fwd_external.count > 0)
			run->actions_left++;
		if (d->notice_reason == DR_NONE)
			run->actions_left++;
	}
	run->actions_total = run->actions_left;
}

/* lda_cleanup - release everything the run owns */
static void
lda_cleanup(struct lda_run *run)
{
	for (size_t i = 0; i < run->nrcpt; i++) {
		struct lda_rcpt *r = &run->rcpts[i];

		g_free(r->address);
		dir_entry_free(&r->entry);
		dir_strings_free(&r->delegates);
		decision_clear(&r->decision);
		g_free(r->mailbox);
		g_free(r->notice_identity);
		g_free(r->notice_key);
		script_outcome_clear(&r->script);
		dir_strings_free(&r->redirects);
		g_strfreev(r->own);
		dir_strings_free(&r->targets);
		g_free(r->srs_original);
		dir_strings_free(&r->fwd_internal);
		dir_strings_free(&r->fwd_external);
	}
	g_free(run->rcpts);
	state_close(&run->state);
	srs_key_free(&run->srs_key);
	dir_close(&run->dir);
	facts_free(&run->facts);
	trust_verdict_clear(&run->auth);
	spool_close(&run->spool);
	g_free(run->sender);
	g_free(run->copy_id);
	conf_free(&run->conf);
}

/* lda_prepare - configuration, spool, facts, directory */
static int
lda_prepare(struct lda_run *run, const char **dsn_r, char **error_r)
{
	const struct lda_options *opt = run->opt;
	struct facts_settings fset;
	struct dir_settings dset;

	if (conf_load(opt->config_path, &run->conf, error_r) != 0) {
		*dsn_r = "4.3.5";
		return -1;
	}
	log_close();
	/* --explain changes nothing, not even the log file's owner. */
	log_open(run->conf->log_ident, run->conf->log_facility,
	    opt->explain ? NULL : run->conf->log_file);
	if (opt->arm_deadline != NULL)
		opt->arm_deadline(run->conf->deadline);
	if (spool_stdin(opt->input_fd, run->conf->spool_dir, &run->spool,
	    error_r) != 0) {
		*dsn_r = "4.3.0";
		return -1;
	}
	run->body_offset = lda_body_offset(run->spool.fd);
	memset(&fset, 0, sizeof(fset));
	fset.loop_header = run->conf->loop_header;
	fset.spam_headers = (const char *const *)run->conf->spam_headers;
	if (facts_parse(run->spool.fd, &fset, &run->facts, error_r) != 0) {
		*dsn_r = "4.3.0";
		return -1;
	}
	{
		struct trust_settings tset = {
			(const char *const *)run->conf->trusted_authserv_ids,
			run->conf->boundary_received,
			run->conf->public_suffix_list
		};

		trust_authenticate(run->facts, run->sender, &tset, &run->auth);
	}
	conf_dir_settings(run->conf, &dset);
	if (dir_open(&dset, &run->dir, error_r) != 0) {
		*dsn_r = "4.4.3";
		return -1;
	}
	return 0;
}

/* lda_run - deliver one message; see lda.h */
int
lda_run(const struct lda_options *opt, const char **dsn_r, char **error_r)
{
	struct lda_run run;
	size_t n = 0;
	int rc = -1;

	memset(&run, 0, sizeof(run));
	run.opt = opt;
	run.spool.fd = -1;
	run.now = opt->now != 0 ? opt->now : time(NULL);
	run.sender = lda_normalize_sender(opt->sender);
	*dsn_r = "4.3.0";
	facts_init();

	if (lda_prepare(&run, dsn_r, error_r) != 0)
		goto out;
	while (opt->recipients[n] != NULL)
		n++;
	run.rcpts = g_new0(struct lda_rcpt, n);
	run.nrcpt = n;
	for (size_t i = 0; i < n; i++) {
		struct lda_rcpt *r = &run.rcpts[i];
		char *raw = lda_normalize_sender(opt->recipients[i]);

		r->address = g_ascii_strdown(raw, -1);
		g_free(raw);
		if (lda_srs_enabled(&run) && srs_is_srs0(r->address) &&
		    g_str_has_suffix(r->address, run.conf->srs_domain) &&
		    r->address[strlen(r->address) -
		    strlen(run.conf->srs_domain) - 1] == '@') {
			char *err = NULL;

			if (lda_srs_key(&run, error_r) != 0) {
				*dsn_r = "4.3.5";
				goto out;
			}
			if (srs_reverse(run.srs_key, r->address, run.now,
			    &r->srs_original, &err) != 0) {
				log_warn("to=<%s>: not a valid SRS address of "
				    "ours (%s): delivered as an ordinary "
				    "recipient", r->address, err);
				g_free(err);
				r->srs_original = NULL;
			} else if (!lda_safe_address(r->srs_original)) {
				g_free(r->srs_original);
				r->srs_original = NULL;
			}
		}
		if (r->srs_original == NULL && opt->vacation == NULL &&
		    maildir_path(run.conf->maildir, r->address, &r->mailbox,
		    error_r) != 0) {
			*dsn_r = "4.1.3";
			goto out;
		}
		if (lda_lookup(&run, r, error_r) != 0) {
			*dsn_r = "4.4.3";
			goto out;
		}
		lda_script(&run, r);
		if (opt->vacation != NULL && r->srs_original == NULL) {
			/* The plugin: the user's vacation ran in Dovecot. */
			r->vac = opt->vacation;
			r->away = 1;
			r->own = g_strdupv(opt->vacation->addresses);
		}
		/* Only away recipients need a score (notice, forward). */
		if (r->away)
			lda_spam(&run, r->address);
	}
	for (size_t i = 0; i < n; i++) {
		if (lda_decide(&run, &run.rcpts[i], error_r) != 0) {
			*dsn_r = "4.3.0";
			goto out;
		}
		lda_split_forward(&run, &run.rcpts[i]);
		lda_targets(&run, &run.rcpts[i]);
	}
	if (opt->explain) {
		for (size_t i = 0; i < n; i++)
			lda_explain(&run, &run.rcpts[i], opt->explain_out);
		fflush(opt->explain_out);
		rc = 0;
		goto out;
	}
	lda_plan(&run);
	run.copy_id = lda_copy_id(&run);
	for (size_t i = 0; i < n; i++) {
		struct lda_rcpt *r = &run.rcpts[i];

		if (lda_act(&run, r, dsn_r, error_r) != 0)
			goto out;	/* logged below, with the reason */
		if (r->srs_original == NULL)
			lda_log(&run, r);
	}
	rc = 0;
out:
	if (rc != 0 && *error_r != NULL && !opt->explain)
		log_warn("from=<%s>: deferred (%s): %s", run.sender, *dsn_r,
		    *error_r);
	lda_cleanup(&run);
	return rc;
}
