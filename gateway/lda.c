/*
 * NAME
 *	lda - one run of the delivery agent
 * SUMMARY
 *	spool -> parse -> for each recipient: look up, absence, delegates,
 *	decide, then act in a fixed order: mailbox, forward, notice. When
 *	a run has more than one action, each completed action but the last
 *	is recorded in the state store first, so that a retry after a
 *	failure skips it. A run that completes removes its records.
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
#include "spool.h"
#include "state.h"
#include "submit.h"

#define LDA_MAX_ADDRESS 320

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
};

/* Everything one run owns. */
struct lda_run {
	const struct lda_options *opt;
	struct deputy_conf *conf;
	struct spool spool;
	struct facts *facts;
	struct dir *dir;
	struct state *state;
	char *sender;
	time_t now;
	off_t body_offset;
	struct lda_rcpt *rcpts;
	size_t nrcpt;
	unsigned int actions_left;	/* planned actions not yet done */
	unsigned int recorded;		/* progress records written */
};

/* lda_safe_address - whether A may go into a header field or an argv */
static int
lda_safe_address(const char *a)
{
	size_t n = strlen(a);

	if (n == 0 || n > LDA_MAX_ADDRESS || a[0] == '-')
		return 0;
	for (const char *p = a; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '<' ||
		    *p == '>' || *p == ',' || *p == ';' || *p == '"' ||
		    *p == '\\')
			return 0;
	return strchr(a, '@') != NULL;
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
	struct delegate_limits limits = {
		run->conf->max_delegate_depth, run->conf->max_delegates
	};
	struct dir_strings warnings = { NULL, 0 };
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
	if (!r->away)
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
lda_decide(struct lda_run *run, struct lda_rcpt *r)
{
	const struct deputy_conf *c = run->conf;
	struct decide_input in;

	memset(&in, 0, sizeof(in));
	in.facts = run->facts;
	in.sender = run->sender;
	in.recipient = r->address;
	in.entry = r->entry;
	in.away = r->away;
	in.away_until = r->absence.end;
	in.delegates = &r->delegates;
	in.now = run->now;
	in.default_notice = c->default_notice;
	in.internal_domains = (const char *const *)c->internal_domains;
	in.system_senders = (const char *const *)c->system_senders;
	in.notice_threshold = c->notice_threshold;
	in.forward_threshold = c->forward_threshold;
	in.max_received = c->max_received;
	in.forward_bulk = c->forward_bulk;
	decide(&in, &r->decision);
}

/* lda_explain - print the decision record of one recipient */
static void
lda_explain(struct lda_run *run, struct lda_rcpt *r, FILE *out)
{
	const struct decision *d = &r->decision;
	char *until = lda_fmt_time(r->absence.end);

	fprintf(out, "recipient: %s\n", r->address);
	fprintf(out, "  entry:   %s\n", r->entry ? r->entry->dn :
	    "(none: not in the directory)");
	if (r->away)
		fprintf(out, "  away:    yes, until %s\n", until);
	else
		fprintf(out, "  away:    no\n");
	fprintf(out, "  deliver: %s\n", r->mailbox ? r->mailbox : "(no path)");
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
	if (d->notice_reason == DR_NONE)
		fprintf(out, "  notice:  yes\n");
	else
		fprintf(out, "  notice:  no (%s%s%s)\n",
		    decide_reason_name(d->notice_reason),
		    d->notice_detail ? ": " : "",
		    d->notice_detail ? d->notice_detail : "");
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
	char *fwd = d->forward_reason == DR_NONE ?
	    lda_join(&d->forward_to, ",") : g_strdup("-");

	log_info("from=<%s> to=<%s> msgid=<%s> away=%s mailbox=%s "
	    "forward=%s forward_reason=%s notice=%s notice_reason=%s",
	    run->sender, r->address,
	    run->facts->message_id ? run->facts->message_id : "",
	    r->away ? "yes" : "no", r->delivered ? "delivered" : "failed",
	    fwd, decide_reason_name(d->forward_reason),
	    d->notice_reason == DR_NONE ? "due" : "no",
	    decide_reason_name(d->notice_reason));
	g_free(fwd);
}

/* lda_state - open the state store when first needed */
static int
lda_state(struct lda_run *run, char **error_r)
{
	if (run->state != NULL)
		return 0;
	return state_open(run->conf->state_path, run->conf->state_map_size, 0,
	    &run->state, error_r);
}

/* lda_done_before - whether a previous, failed run did ACTION already */
static int
lda_done_before(struct lda_run *run, struct lda_rcpt *r,
		enum state_action action, char **error_r)
{
	/* Only a run with several actions can leave progress behind. */
	if (run->actions_left <= 1 && run->state == NULL &&
	    access(run->conf->state_path, F_OK) != 0)
		return 0;
	if (lda_state(run, error_r) != 0)
		return -1;
	return state_progress_get(run->state, run->spool.digest, r->address,
	    action, run->now, error_r);
}

/* lda_record - note ACTION done, unless it was the last one */
static int
lda_record(struct lda_run *run, struct lda_rcpt *r, enum state_action action,
	   char **error_r)
{
	run->actions_left--;
	if (run->actions_left == 0)
		return 0;
	if (lda_state(run, error_r) != 0 ||
	    state_progress_put(run->state, run->spool.digest, r->address,
	    action, run->now, error_r) != 0)
		return -1;
	run->recorded++;
	return 0;
}

/* lda_forward_prefix - loop marker and Resent-* block for a redirect */
static char *
lda_forward_prefix(struct lda_run *run, struct lda_rcpt *r)
{
	GDateTime *now = g_date_time_new_from_unix_local(run->now);
	char *date = g_date_time_format(now, "%a, %d %b %Y %H:%M:%S %z");
	char *to = g_strjoinv(", ", r->decision.forward_to.values);
	char *prefix = g_strdup_printf(
	    "%s: %s\r\n"
	    "Resent-From: <%s>\r\n"
	    "Resent-To: %s\r\n"
	    "Resent-Date: %s\r\n"
	    "Resent-Message-ID: <deputy.%.16s.%lld@%s>\r\n",
	    run->conf->loop_header, r->address, r->address, to, date,
	    run->spool.digest, (long long)run->now, run->conf->hostname);

	g_date_time_unref(now);
	g_free(date);
	g_free(to);
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

/* lda_act - mailbox, forward (notice comes with the trust gate) */
static int
lda_act(struct lda_run *run, struct lda_rcpt *r, const char **dsn_r,
	char **error_r)
{
	struct decision *d = &r->decision;
	char *file = NULL;
	int done;

	done = lda_done_before(run, r, STATE_DELIVERED, error_r);
	if (done < 0) {
		*dsn_r = "4.3.0";
		return -1;
	}
	if (done) {
		log_info("to=<%s>: mailbox copy made by an earlier attempt",
		    r->address);
	} else if (maildir_deliver(r->mailbox, run->spool.fd,
	    run->conf->hostname, &file, error_r) != 0) {
		*dsn_r = "4.3.0";
		return -1;
	}
	g_free(file);
	r->delivered = 1;
	if (lda_record(run, r, STATE_DELIVERED, error_r) != 0) {
		*dsn_r = "4.3.0";
		return -1;
	}

	if (d->forward_reason == DR_NONE) {
		struct submit_request req;
		char *prefix;
		int rc;

		done = lda_done_before(run, r, STATE_FORWARDED, error_r);
		if (done < 0) {
			*dsn_r = "4.3.0";
			return -1;
		}
		if (done) {
			log_info("to=<%s>: forward made by an earlier attempt",
			    r->address);
		} else {
			prefix = lda_forward_prefix(run, r);
			lda_fix_newlines(run, prefix);
			memset(&req, 0, sizeof(req));
			req.sendmail = run->conf->sendmail;
			req.sender = run->sender;
			req.recipients = (const char *const *)d->forward_to.values;
			req.prefix = prefix;
			req.fd = run->spool.fd;
			req.body_offset = run->body_offset;
			req.timeout = run->conf->submit_timeout;
			rc = submit_run(&req, error_r);
			g_free(prefix);
			if (rc != 0) {
				*dsn_r = "4.3.0";
				return -1;
			}
		}
		r->forwarded = 1;
		if (lda_record(run, r, STATE_FORWARDED, error_r) != 0) {
			*dsn_r = "4.3.0";
			return -1;
		}
	}
	if (d->notice_reason == DR_NONE) {
		/*
		 * Unreachable until the trust gate exists: facts never
		 * report an authenticated sender yet. Fail closed.
		 */
		log_warn("to=<%s>: notice due but notices are not built; "
		    "nothing sent", r->address);
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

		run->actions_left++;
		if (d->forward_reason == DR_NONE)
			run->actions_left++;
	}
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
	}
	g_free(run->rcpts);
	state_close(&run->state);
	dir_close(&run->dir);
	facts_free(&run->facts);
	spool_close(&run->spool);
	g_free(run->sender);
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
	log_open(run->conf->log_ident, run->conf->log_facility,
	    run->conf->log_file);
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
	if (facts_parse(run->spool.fd, &fset, &run->facts, error_r) != 0) {
		*dsn_r = "4.3.0";
		return -1;
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
		if (maildir_path(run.conf->maildir, r->address, &r->mailbox,
		    error_r) != 0) {
			*dsn_r = "4.1.3";
			goto out;
		}
		if (lda_lookup(&run, r, error_r) != 0) {
			*dsn_r = "4.4.3";
			goto out;
		}
		lda_decide(&run, r);
	}
	if (opt->explain) {
		for (size_t i = 0; i < n; i++)
			lda_explain(&run, &run.rcpts[i], opt->explain_out);
		fflush(opt->explain_out);
		rc = 0;
		goto out;
	}
	lda_plan(&run);
	for (size_t i = 0; i < n; i++) {
		struct lda_rcpt *r = &run.rcpts[i];

		if (lda_act(&run, r, dsn_r, error_r) != 0) {
			log_warn("from=<%s> to=<%s>: %s: deferred", run.sender,
			    r->address, *error_r);
			goto out;
		}
		lda_log(&run, r);
	}
	/* Complete: forget the progress, a retry can no longer happen. */
	if (run.recorded > 0) {
		for (size_t i = 0; i < n; i++) {
			char *err = NULL;

			if (state_progress_clear(run.state, run.spool.digest,
			    run.rcpts[i].address, &err) != 0) {
				log_warn("%s", err);
				g_free(err);
			}
		}
	}
	rc = 0;
out:
	lda_cleanup(&run);
	return rc;
}
