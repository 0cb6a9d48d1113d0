/*
 * NAME
 *	recipient - the inner node: who a recipient is, and what they asked
 * SUMMARY
 *	For one envelope recipient: its normal form and subaddress detail,
 *	whether it is one of our SRS addresses (a bounce to pass back), its
 *	Maildir, its directory entry (looked up by the full address, then
 *	without the detail), whether it is away now, the user's Sieve
 *	script run in a child, and, when decide() says they matter, its
 *	delegates. Nothing here decides what to do with the message.
 * DIAGNOSTICS
 *	engine_rcpt_prepare() and engine_rcpt_delegates() fail (-1, a
 *	class, *error_r) only on faults of this host: the directory, an
 *	unreadable SRS key, a recipient with no usable mailbox name. A
 *	broken absence value, a failing script or an unusable redirect is
 *	logged and the message goes on.
 * SECURITY
 *	The recipient comes from the MTA, the script from the user, the
 *	delegates from the directory: each address that may reach a header
 *	or an argv passes addr_is_safe().
 */

#include "config.h"

#include <string.h>

#include <glib.h>

#include "addr.h"
#include "delegate.h"
#include "engine-private.h"
#include "envelope.h"
#include "log.h"
#include "maildir.h"

#define RCPT_SIEVE_TIMEOUT 20		/* seconds for a user's script */

/* engine_srs_enabled - whether SRS is configured */
int
engine_srs_enabled(const struct deputy_conf *c)
{
	return c->srs_domain != NULL && *c->srs_domain != '\0' &&
	    c->srs_key_file != NULL && *c->srs_key_file != '\0';
}

/* engine_srs_key - load the SRS key on first use */
int
engine_srs_key(struct engine_run *run, char **error_r)
{
	if (run->e->srs_key != NULL)
		return 0;
	return srs_key_load(run->conf->srs_key_file, &run->e->srs_key,
	    error_r);
}

/*
 * rcpt_srs - a bounce to one of our SRS0 addresses: who gets it back,
 * or nothing when the address does not verify (then it is delivered
 * as an ordinary recipient, and the log says why)
 */
static int
rcpt_srs(struct engine_run *run, struct engine_rcpt *r, char **error_r)
{
	const struct deputy_conf *c = run->conf;
	const char *a = r->rec->recipient;
	size_t al = strlen(a), dl;
	char *orig = NULL, *err = NULL;

	if (!engine_srs_enabled(c) || !srs_is_srs0(a))
		return 0;
	dl = strlen(c->srs_domain);
	if (al <= dl + 1 || strcmp(a + al - dl, c->srs_domain) != 0 ||
	    a[al - dl - 1] != '@')
		return 0;
	if (engine_srs_key(run, error_r) != 0)
		return -1;
	if (srs_reverse(run->e->srs_key, a, run->now, &orig, &err) != 0) {
		log_warn("to=<%s>: not a valid SRS address of ours (%s): "
		    "delivered as an ordinary recipient", a, err);
		g_free(err);
		return 0;
	}
	if (!addr_is_safe(orig)) {
		g_free(orig);
		return 0;
	}
	r->rec->srs_original = orig;
	return 0;
}

/*
 * rcpt_lookup - the directory entry (by the full address, then by the
 * user's address without the detail) and whether it is away now
 */
static int
rcpt_lookup(struct engine_run *run, struct engine_rcpt *r, char **error_r)
{
	struct record *rec = r->rec;
	char *err = NULL;
	int rc;

	rc = dir_lookup(run->e->dir, rec->recipient, &r->entry, error_r);
	if (rc == 0 && rec->detail != NULL)
		rc = dir_lookup(run->e->dir, rec->address, &r->entry, error_r);
	else if (rc == 1 && rec->detail != NULL) {
		/* "a+b@" is an address of its own in the directory */
		g_free(rec->address);
		rec->address = g_strdup(rec->recipient);
		g_free(rec->detail);
		rec->detail = NULL;
	}
	if (rc < 0)
		return -1;
	if (rc == 0)
		return 0;
	rec->dn = g_strdup(r->entry->dn);
	if (r->entry->absences.count == 0)
		return 0;
	rc = absence_check((const char *const *)r->entry->absences.values,
	    run->now, &r->absence, &err);
	if (rc < 0) {
		log_warn("to=<%s> dn=%s: deputyAbsence ignored: %s",
		    rec->recipient, r->entry->dn, err);
		g_free(err);
		return 0;
	}
	r->away = rc;
	return 0;
}

/* rcpt_sieve_summary - "fileinto,redirect,vacation" or "error" */
static char *
rcpt_sieve_summary(const struct script_outcome *o)
{
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

/* rcpt_script_outcome - log what the script said; keep its safe parts */
static void
rcpt_script_outcome(struct engine_run *run, struct engine_rcpt *r,
		    const char *path)
{
	const struct deputy_conf *c = run->conf;
	struct script_outcome *o = &r->script;
	struct record *rec = r->rec;

	rec->scripted = 1;
	rec->sieve_summary = rcpt_sieve_summary(o);
	rec->sieve_rejected = o->reject != NULL;
	if (o->error != NULL) {
		rec->sieve_error = facts_sanitize(o->error, 300);
		log_warn("to=<%s>: Sieve script %s failed, implicit keep: %s",
		    rec->recipient, path, rec->sieve_error);
	}
	for (size_t i = 0; o->notes != NULL && o->notes[i] != NULL; i++) {
		char *n = facts_sanitize(o->notes[i], 200);

		log_info("to=<%s>: Sieve %s", rec->recipient, n);
		g_free(n);
	}
	if (o->reject != NULL)
		log_info("to=<%s>: Sieve reject not carried out (deputy never "
		    "bounces); %s", rec->recipient, c->sieve_reject_discards ?
		    "discarded (sieve.reject = discard)" : "kept in INBOX");
	for (size_t i = 0; o->redirects != NULL && o->redirects[i] != NULL;
	    i++) {
		char *a = g_ascii_strdown(o->redirects[i], -1);

		if (!addr_is_safe(a))
			log_warn("to=<%s>: Sieve redirect to an unusable "
			    "address ignored", rec->recipient);
		else if (r->redirects.count >= c->max_delegates)
			log_warn("to=<%s>: Sieve redirect beyond %u addresses "
			    "ignored", rec->recipient, c->max_delegates);
		else if (!decide_strv_has(&r->redirects, a))
			decide_strv_add(&r->redirects, a);
		g_free(a);
	}
	if (o->vacation) {
		r->vac = &o->vac;
		r->away = 1;
		r->own = g_strdupv(o->vac.addresses);
	}
}

/*
 * rcpt_script - run the user's Sieve script, if there is one. A script
 * that cannot be read or fails keeps the message in INBOX; its vacation
 * makes the user away for this message; its redirects become forwards.
 */
static void
rcpt_script(struct engine_run *run, struct engine_rcpt *r)
{
	const struct deputy_conf *c = run->conf;
	struct script_outcome *o = &r->script;
	struct script_message msg;
	char *path = NULL, *text = NULL, *err = NULL;
	int rc;

	if (c->sieve_script == NULL || run->req->vacation != NULL ||
	    r->rec->srs_original != NULL)
		return;
	if (maildir_path(c->sieve_script, r->rec->address, &path, &err) != 0 ||
	    (rc = script_load(path, c->sieve_max_script, &text, &err)) < 0) {
		log_warn("to=<%s>: Sieve script not run (%s): implicit keep",
		    r->rec->recipient, err);
		g_free(err);
		g_free(path);
		script_outcome_clear(o);
		o->keep = 1;
		r->rec->scripted = 1;
		r->rec->sieve_summary = g_strdup("keep");
		return;
	}
	if (rc == 0) {
		g_free(path);
		return;
	}
	memset(&msg, 0, sizeof(msg));
	msg.fd = run->spool->fd;
	msg.offset = run->body_offset;
	msg.size = run->spool->size - run->body_offset;
	msg.sender = run->sender;
	msg.recipient = r->rec->address;
	script_run_isolated(text, &msg, c->sieve_max_actions,
	    RCPT_SIEVE_TIMEOUT, o);
	g_free(text);
	rcpt_script_outcome(run, r, path);
	g_free(path);
}

/* engine_rcpt_prepare - everything about one recipient but the decision */
int
engine_rcpt_prepare(struct engine_run *run, struct engine_rcpt *r,
		    const char *given, enum fail_class *class_r,
		    char **error_r)
{
	const struct deputy_conf *c = run->conf;
	struct record *rec = r->rec;
	char *base, *detail;

	envelope_recipient(given, c->recipient_delimiter, &base, &detail);
	rec->recipient = detail != NULL ?
	    envelope_base(given, NULL) : g_strdup(base);
	rec->address = base;
	rec->detail = detail;
	rec->caller_stores = run->req->vacation != NULL;
	if (rcpt_srs(run, r, error_r) != 0) {
		*class_r = FAIL_SECRET;
		return -1;
	}
	if (rcpt_lookup(run, r, error_r) != 0) {
		*class_r = FAIL_DIRECTORY;
		return -1;
	}
	if (rec->srs_original == NULL && run->req->vacation == NULL &&
	    maildir_path(c->maildir, rec->address, &r->mailbox,
	    error_r) != 0) {
		*class_r = FAIL_CONFIG;	/* a bad template */
		return -1;
	}
	rcpt_script(run, r);
	if (run->req->vacation != NULL && rec->srs_original == NULL) {
		/* The plugin: the user's vacation ran in Dovecot. */
		r->vac = run->req->vacation;
		r->away = 1;
		r->own = g_strdupv(run->req->vacation->addresses);
	}
	rec->sieve_vacation = r->vac != NULL;
	if (r->vac != NULL)
		r->vac_from = vacation_from(r->vac);
	rec->away_until = r->absence.end;
	rec->notice_template = g_strdup(r->entry &&
	    r->entry->template_name ? r->entry->template_name :
	    c->template_name);
	r->notice_period = c->notice_period_days * 86400;
	if (r->vac != NULL) {
		r->notice_key = vacation_identity(r->vac);
		r->notice_period = (unsigned int)vacation_period(r->vac,
		    r->notice_period, c->sieve_min_period,
		    c->sieve_max_period);
	} else {
		r->notice_key = g_strdup(rec->notice_template);
	}
	return 0;
}

/*
 * engine_rcpt_delegates - resolve the delegates of an away recipient,
 * dropping those that cannot travel safely in argv or headers
 */
int
engine_rcpt_delegates(struct engine_run *run, struct engine_rcpt *r,
		      char **error_r)
{
	struct delegate_limits limits = {
		run->conf->max_delegate_depth, run->conf->max_delegates
	};
	struct dir_strings warnings = { NULL, 0 };

	/* Away by a Sieve vacation but not in the directory: nobody to ask. */
	if (r->entry == NULL)
		return 0;
	if (delegate_resolve(run->e->dir, r->entry, run->now, &limits,
	    &r->delegates, &warnings, error_r) != 0)
		return -1;
	for (size_t i = 0; i < warnings.count; i++)
		log_warn("to=<%s>: %s", r->rec->recipient, warnings.values[i]);
	dir_strings_free(&warnings);
	for (size_t i = 0; i < r->delegates.count; i++)
		if (!addr_is_safe(r->delegates.values[i])) {
			log_warn("to=<%s>: delegate address rejected as unsafe",
			    r->rec->recipient);
			g_free(r->delegates.values[i]);
			memmove(&r->delegates.values[i],
			    &r->delegates.values[i + 1],
			    (r->delegates.count - i) * sizeof(char *));
			r->delegates.count--;
			i--;
		}
	return 0;
}

/* engine_rcpt_clear - release the work of one recipient */
void
engine_rcpt_clear(struct engine_rcpt *r)
{
	g_free(r->mailbox);
	dir_entry_free(&r->entry);
	dir_strings_free(&r->delegates);
	script_outcome_clear(&r->script);
	dir_strings_free(&r->redirects);
	g_strfreev(r->own);
	g_free(r->notice_key);
	g_free(r->vac_from);
	memset(r, 0, sizeof(*r));
}
