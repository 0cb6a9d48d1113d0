/*
 * NAME
 *	notify - a leaf node: the notice to the sender
 * SUMMARY
 *	engine_notice_claim() is the state step of the gate: a notice that
 *	passed every other rule is claimed in the state store (dedupe per
 *	recipient, sender and template or vacation, and the hourly caps)
 *	before it is sent, and decide_state() records the store's verdict.
 *	engine_notice_send() renders the template in the user's language
 *	(or takes the Sieve vacation's text), builds an RFC 3834 reply and
 *	hands it to sendmail from <>.
 * DIAGNOSTICS
 *	Fail closed: a store that fails means no notice; a notice claimed
 *	and then not sent is not retried. Neither is ever a reason to
 *	retry the message.
 * SECURITY
 *	The sender must pass addr_is_safe(); a vacation's :from
 *	must be one of the user's own addresses by the directory.
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "addr.h"
#include "engine-private.h"
#include "envelope.h"
#include "log.h"
#include "notice.h"
#include "tmpl.h"

/* engine_notice_claim - the state step: may this notice go out? */
void
engine_notice_claim(struct engine_run *run, struct engine_rcpt *r,
		    int dry_run)
{
	const struct deputy_conf *c = run->conf;
	struct state_rates rates = { c->rate_per_recipient,
	    c->rate_per_domain, c->rate_global };
	struct decision *d = &r->rec->d;
	struct state_notice n;
	char *domain, *err = NULL;
	struct state *st;
	int claim;

	if (d->notice_reason != DR_NONE)
		return;
	if (dry_run && strcmp(c->state_backend, "lmdb") == 0 &&
	    access(c->state_path, F_OK) != 0)
		return;		/* explain: no state yet, nothing recorded */
	if ((st = engine_state(run)) == NULL) {
		decide_state(d, DS_UNAVAILABLE, "the state store is "
		    "unavailable (no notice without its dedupe record)");
		return;
	}
	domain = g_ascii_strdown(envelope_domain(run->sender), -1);
	n.rcpt = r->rec->address;
	n.sender = run->sender;
	n.identity = r->notice_key;
	n.sender_domain = domain;
	n.period = r->notice_period;
	claim = state_notice_claim(st, &n, &rates, run->now, dry_run, &err);
	g_free(domain);
	if (claim < 0) {
		log_warn("to=<%s>: no notice: %s", r->rec->recipient, err);
		g_free(err);
		decide_state(d, DS_UNAVAILABLE, "the state store failed (no "
		    "notice without its dedupe record)");
		return;
	}
	decide_state(d, claim == STATE_CLAIMED ? DS_CLAIMED :
	    claim == STATE_DUPLICATE ? DS_DUPLICATE : DS_RATE, NULL);
}

/*
 * notify_vacation - the Sieve vacation's subject and text replace the
 * template's; its :from is decide()'s to allow (decision.notice_from)
 */
static void
notify_vacation(struct engine_rcpt *r, char **subject, char **body)
{
	char *text = vacation_body(r->vac);

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
	if (r->rec->d.notice_from_refused)
		log_warn("to=<%s>: vacation :from is not one of the user's "
		    "addresses; not used", r->rec->recipient);
}

/*
 * engine_notice_send - render, build and hand the notice to sendmail.
 * A failure is logged and never retried: fail closed, never twice.
 */
int
engine_notice_send(struct engine_run *run, struct engine_rcpt *r)
{
	const struct deputy_conf *c = run->conf;
	struct record *rec = r->rec;
	struct notice_input ni;
	struct tmpl *t = NULL;
	const char *rcpts[2] = { run->sender, NULL };
	char *err = NULL, *subject = NULL, *body = NULL, *text = NULL;
	char *until, *delegates;
	const char *name = r->entry && r->entry->display_name ?
	    r->entry->display_name : rec->address;
	const char *from = r->entry && r->entry->mail ? r->entry->mail :
	    rec->address;
	int rc = -1;

	if (tmpl_load(c->template_dir, rec->notice_template,
	    r->entry ? r->entry->language : NULL, &t, &err) != 0) {
		log_warn("to=<%s>: notice not sent: %s", rec->recipient, err);
		g_free(err);
		rec->notice_failed = 1;
		return -1;
	}
	until = notice_until(r->absence.end, c->template_timezone);
	delegates = notice_delegate_names(run->e->dir,
	    &r->rec->d.forward_to);
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
	if (r->vac != NULL)
		notify_vacation(r, &subject, &body);
	if (rec->d.notice_from != NULL)
		from = rec->d.notice_from;
	memset(&ni, 0, sizeof(ni));
	ni.from_address = from;
	ni.from_name = name != rec->address ? name : NULL;
	ni.to_address = run->sender;
	ni.subject = subject;
	ni.body = body;
	ni.in_reply_to = run->facts->message_id;
	ni.references = run->facts->references;
	ni.hostname = c->hostname;
	ni.unique = run->spool->digest;
	ni.now = run->now;
	if (notice_build(&ni, &text, &err) != 0) {
		log_warn("to=<%s>: notice not sent: %s", rec->recipient, err);
		goto out;
	}
	if (engine_submit(run, "", rcpts, text, 0, &err) != 0) {
		log_warn("to=<%s>: notice to <%s> not sent: %s",
		    rec->recipient, run->sender, err);
		goto out;
	}
	if (r->vac != NULL)
		log_info("to=<%s>: notice sent to <%s> (the user's Sieve "
		    "vacation)", rec->recipient, run->sender);
	else
		log_info("to=<%s>: notice sent to <%s> (template %s.%s)",
		    rec->recipient, run->sender, rec->notice_template,
		    tmpl_language(t));
	rec->noticed = 1;
	rc = 0;
out:
	rec->notice_failed = rc != 0;
	g_free(err);
	g_free(text);
	g_free(subject);
	g_free(body);
	g_free(until);
	g_free(delegates);
	tmpl_free(&t);
	return rc;
}
