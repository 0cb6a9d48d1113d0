/*
 * NAME
 *	decide - the decision record for one (message, recipient)
 * SUMMARY
 *	Evaluates the notice gate rule by rule (all of them, so that
 *	--explain can show every verdict; the first failure is the
 *	reason), the forwarding rules, the user's redirects, where the
 *	mailbox copy goes (INBOX, the script's folders, nowhere, the
 *	caller), and which forwards keep the envelope sender and which get
 *	an SRS0 one. This is the only place where deputy decides: the
 *	engine gathers the inputs and carries out the record. Pure: no
 *	I/O, no clock, no globals.
 */

#include "config.h"

#include <string.h>

#include <glib.h>

#include "addr.h"
#include "decide.h"
#include "envelope.h"
#include "maildir.h"

static const char *const decide_names[DR_COUNT] = {
	[DR_NONE] = "none",
	[DR_UNPARSEABLE] = "unparseable",
	[DR_OVERSIZED] = "oversized",
	[DR_NOT_AWAY] = "not-away",
	[DR_NULL_SENDER] = "null-sender",
	[DR_SYSTEM_SENDER] = "system-sender",
	[DR_SELF] = "self",
	[DR_MULTIPLE_FROM] = "multiple-from",
	[DR_AUTO_SUBMITTED] = "auto-submitted",
	[DR_PRECEDENCE] = "precedence",
	[DR_LIST_HEADER] = "list-header",
	[DR_AUTO_RESPONSE_SUPPRESS] = "auto-response-suppress",
	[DR_REPORT] = "report",
	[DR_CHALLENGE] = "challenge",
	[DR_NOT_ADDRESSED] = "not-addressed",
	[DR_UNAUTHENTICATED] = "unauthenticated",
	[DR_SPAM_UNKNOWN] = "spam-unknown",
	[DR_SPAM_SCORE] = "spam-score",
	[DR_POLICY_NONE] = "policy-none",
	[DR_EXTERNAL] = "external",
	[DR_DUPLICATE] = "duplicate",
	[DR_RATE] = "rate",
	[DR_LOOP] = "loop",
	[DR_HOPS] = "hops",
	[DR_BOUNCE] = "bounce",
	[DR_AUTO_REPLY] = "auto-reply",
	[DR_BULK] = "bulk",
	[DR_NO_DELEGATE] = "no-delegate",
	[DR_STATE_UNAVAILABLE] = "state-unavailable",
};

/* Local parts that never get a notice (DESIGN.md, rule system-sender). */
static const char *const decide_system_exact[] = {
	"mailer-daemon", "postmaster", "listserv", "majordomo", "noreply",
	"no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply",
	"nobody", "root", NULL
};

/* decide_unparsed - why facts are unparsed: a cap, or not mail */
static enum decide_reason
decide_unparsed(const struct facts *f, const char **detail_r)
{
	if (f->oversized) {
		*detail_r = f->unparsed_reason;
		return DR_OVERSIZED;
	}
	*detail_r = "the message could not be parsed";
	return DR_UNPARSEABLE;
}

/* decide_reason_name - the stable code, e.g. "null-sender" */
const char *
decide_reason_name(enum decide_reason r)
{
	if ((int)r < 0 || r >= DR_COUNT || decide_names[r] == NULL)
		return "unknown";
	return decide_names[r];
}

/* decide_local_part - lowercased local part, without +detail */
static char *
decide_local_part(const char *address)
{
	const char *at = strrchr(address, '@');
	char *lp = at != NULL ? g_strndup(address, (gsize)(at - address)) :
	    g_strdup(address);
	char *plus, *low;

	if ((plus = strchr(lp, '+')) != NULL)
		*plus = '\0';
	low = g_ascii_strdown(lp, -1);
	g_free(lp);
	return low;
}

/* decide_is_system_sender - MAILER-DAEMON, postmaster, *-request, ... */
int
decide_is_system_sender(const char *address, const char *const *extra)
{
	char *lp = decide_local_part(address);
	int hit = 0;

	for (const char *const *p = decide_system_exact; *p && !hit; p++)
		hit = strcmp(lp, *p) == 0;
	for (const char *const *p = extra; p != NULL && *p && !hit; p++)
		hit = g_ascii_strcasecmp(lp, *p) == 0;
	if (!hit)
		hit = g_str_has_suffix(lp, "-request") ||
		    g_str_has_prefix(lp, "owner-") ||
		    g_str_has_suffix(lp, "-owner") ||
		    g_str_has_prefix(lp, "noreply") ||
		    g_str_has_prefix(lp, "no-reply");
	g_free(lp);
	return hit;
}

/* decide_is_own_exact - whether ADDRESS is one of the recipient's */
static int
decide_is_own_exact(const struct decide_input *in, const char *address)
{
	if (in->recipient != NULL &&
	    g_ascii_strcasecmp(address, in->recipient) == 0)
		return 1;
	for (size_t i = 0; in->own_addresses != NULL &&
	    in->own_addresses[i] != NULL; i++)
		if (g_ascii_strcasecmp(address, in->own_addresses[i]) == 0)
			return 1;
	return in->entry != NULL && dir_entry_has_address(in->entry, address);
}

/*
 * decide_is_own - whether ADDRESS is the recipient or one of its
 * addresses, with or without a subaddress detail ("alice+x@" is alice)
 */
static int
decide_is_own(const struct decide_input *in, const char *address)
{
	char *base;
	int own;

	if (address == NULL || *address == '\0')
		return 0;
	if (decide_is_own_exact(in, address))
		return 1;
	if (in->delimiters == NULL || *in->delimiters == '\0')
		return 0;
	base = envelope_base(address, in->delimiters);
	own = strcmp(base, address) != 0 && decide_is_own_exact(in, base);
	g_free(base);
	return own;
}

/* decide_authenticated - whether the trust gate authenticated the sender */
static int
decide_authenticated(const struct decide_input *in)
{
	return in->auth != NULL && in->auth->authenticated;
}

/*
 * decide_notice_from - a Sieve vacation's :from, when it is one of the
 * user's own addresses by the directory: a script's :addresses do not
 * count, or a script could name anybody there and then speak for them
 */
static void
decide_notice_from(const struct decide_input *in, struct decision *d)
{
	const char *a = in->vacation_from;
	char *base;
	int own;

	if (a == NULL || *a == '\0')
		return;
	own = g_ascii_strcasecmp(a, in->recipient) == 0 ||
	    (in->entry != NULL && dir_entry_has_address(in->entry, a));
	if (!own && in->delimiters != NULL && *in->delimiters != '\0') {
		base = envelope_base(a, in->delimiters);
		own = g_ascii_strcasecmp(base, in->recipient) == 0 ||
		    (in->entry != NULL && dir_entry_has_address(in->entry,
		    base));
		g_free(base);
	}
	if (own)
		d->notice_from = a;
	else
		d->notice_from_refused = 1;
}

/* decide_is_internal_address - whether ADDRESS is in one of our domains */
int
decide_is_internal_address(const struct decide_input *in, const char *address)
{
	const char *d = envelope_domain(address);

	if (in->internal_domains != NULL && in->internal_domains[0] != NULL) {
		for (const char *const *p = in->internal_domains; *p; p++)
			if (g_ascii_strcasecmp(d, *p) == 0)
				return 1;
		return 0;
	}
	return *d != '\0' &&
	    g_ascii_strcasecmp(d, envelope_domain(in->recipient)) == 0;
}

/* decide_is_internal - whether the sender's domain is one of ours */
static int
decide_is_internal(const struct decide_input *in)
{
	return decide_is_internal_address(in, in->sender);
}

/* decide_rule - record one notice rule verdict */
static void
decide_rule(struct decision *d, enum decide_reason rule, int failed,
	    const char *detail)
{
	struct decide_rule *r;

	g_assert(d->rule_count < DECIDE_NOTICE_RULES);
	r = &d->rules[d->rule_count++];
	r->rule = rule;
	r->failed = failed ? 1 : 0;
	r->detail = failed ? detail : NULL;
	if (failed && d->notice_reason == DR_NONE) {
		d->notice_reason = rule;
		d->notice_detail = detail;
	}
}

/* decide_addressed - whether To/Cc/Resent-* name the recipient */
static int
decide_addressed(const struct decide_input *in)
{
	const struct dir_strings *r = &in->facts->recipients;

	for (size_t i = 0; i < r->count; i++)
		if (decide_is_own(in, r->values[i]))
			return 1;
	return 0;
}

/* decide_notice_policy - the user's notice setting, with the default */
static enum dir_notice
decide_notice_policy(const struct decide_input *in)
{
	if (in->entry != NULL && in->entry->notice != DIR_NOTICE_DEFAULT)
		return in->entry->notice;
	return in->default_notice;
}

/* decide_notice - evaluate every gate rule in order */
static void
decide_notice(const struct decide_input *in, struct decision *d)
{
	const struct facts *f = in->facts;
	enum dir_notice policy = decide_notice_policy(in);
	int null_sender = in->sender == NULL || *in->sender == '\0';
	/* an address that cannot go into a header or an argv safely is
	 * no return path either: no notice goes to it */
	int no_return = null_sender || !addr_is_safe(in->sender);
	const char *why = NULL;
	int spam_known;

	/* 1. envelope */
	decide_rule(d, DR_NULL_SENDER, no_return, null_sender ?
	    "the envelope sender is <>" :
	    "the envelope sender is not a usable address");
	decide_rule(d, DR_SYSTEM_SENDER, !null_sender &&
	    decide_is_system_sender(in->sender, in->system_senders),
	    "the envelope sender is a system or list address");
	decide_rule(d, DR_SELF, !null_sender && decide_is_own(in, in->sender),
	    "the envelope sender is the recipient");
	decide_rule(d, DR_MULTIPLE_FROM, f->from.count != 1,
	    f->from.count == 0 ? "no From address" : "more than one From address");

	/* 2. automated or bulk */
	decide_rule(d, DR_AUTO_SUBMITTED, f->auto_submitted != NULL ||
	    f->autoreply_marker != NULL || f->automated_marker != NULL,
	    f->auto_submitted != NULL ? "Auto-Submitted header" :
	    f->autoreply_marker != NULL ? f->autoreply_marker :
	    f->automated_marker);
	decide_rule(d, DR_PRECEDENCE, f->precedence != NULL,
	    "Precedence: bulk, list or junk");
	decide_rule(d, DR_LIST_HEADER, f->list_header != NULL, f->list_header);
	decide_rule(d, DR_AUTO_RESPONSE_SUPPRESS,
	    f->auto_response_suppress != NULL,
	    "X-Auto-Response-Suppress asks for no auto-reply");
	decide_rule(d, DR_REPORT, f->report_type != NULL ||
	    f->bounce_marker != NULL,
	    f->report_type != NULL ? f->report_type : f->bounce_marker);
	decide_rule(d, DR_CHALLENGE, f->challenge_marker != NULL,
	    f->challenge_marker);

	/* 3. addressing */
	decide_rule(d, DR_NOT_ADDRESSED, !decide_addressed(in),
	    "the recipient is not in To, Cc, Resent-To or Resent-Cc");

	/* 4. trust */
	decide_rule(d, DR_UNAUTHENTICATED,
	    in->auth == NULL || !in->auth->authenticated,
	    in->auth != NULL && in->auth->detail != NULL ? in->auth->detail :
	    "the envelope sender is not authenticated");
	spam_known = in->spam != NULL && in->spam->known;
	decide_rule(d, DR_SPAM_UNKNOWN, !spam_known, "no trusted spam score");
	decide_rule(d, DR_SPAM_SCORE, spam_known &&
	    !spam_notice_ok(in->spam, in->spam_policy, &why), why);

	/* 5. policy */
	decide_rule(d, DR_POLICY_NONE, policy == DIR_NOTICE_NONE,
	    "the user wants no notices");
	decide_rule(d, DR_EXTERNAL, policy == DIR_NOTICE_INTERNAL &&
	    !decide_is_internal(in), "notices go to internal senders only");
	/* the state step (decide_state) fills these two in */
	decide_rule(d, DR_DUPLICATE, 0, NULL);
	decide_rule(d, DR_RATE, 0, NULL);

	/* Preconditions outrank the rules as the reason. */
	if (!f->parsed) {
		d->notice_reason = decide_unparsed(f, &d->notice_detail);
	} else if (!in->away) {
		d->notice_reason = DR_NOT_AWAY;
		d->notice_detail = "the recipient is not away";
	}
}

/* decide_strv_add - append a copy of S */
void
decide_strv_add(struct dir_strings *list, const char *s)
{
	list->values = g_renew(char *, list->values, list->count + 2);
	list->values[list->count++] = g_strdup(s);
	list->values[list->count] = NULL;
}

/* decide_delivered_to - whether a Delivered-To field names ADDRESS */
static int
decide_delivered_to(const struct facts *f, const char *address)
{
	for (size_t i = 0; i < f->delivered_to.count; i++)
		if (g_ascii_strcasecmp(f->delivered_to.values[i], address) == 0)
			return 1;
	return 0;
}

/* decide_forward_block - the first reason not to forward at all */
static enum decide_reason
decide_forward_block(const struct decide_input *in, const char **detail_r)
{
	const struct facts *f = in->facts;

	*detail_r = NULL;
	if (!f->parsed && f->oversized)
		return decide_unparsed(f, detail_r);
	if (!f->parsed)
		return DR_UNPARSEABLE;
	if (!in->away)
		return DR_NOT_AWAY;
	for (size_t i = 0; i < f->loop_markers.count; i++)
		if (decide_is_own(in, f->loop_markers.values[i])) {
			*detail_r = "our loop marker names this recipient";
			return DR_LOOP;
		}
	if (f->received_count >= in->max_received) {
		*detail_r = "too many Received fields";
		return DR_HOPS;
	}
	if (in->sender == NULL || *in->sender == '\0') {
		*detail_r = "the envelope sender is <>";
		return DR_BOUNCE;
	}
	if (f->bounce_marker != NULL) {
		*detail_r = f->bounce_marker;
		return DR_BOUNCE;
	}
	if (f->report_type != NULL) {
		*detail_r = f->report_type;
		return DR_REPORT;
	}
	if (f->auto_submitted != NULL &&
	    (g_ascii_strncasecmp(f->auto_submitted, "auto-replied", 12) == 0 ||
	    g_ascii_strncasecmp(f->auto_submitted, "auto-notified", 13) == 0)) {
		*detail_r = "Auto-Submitted: auto-replied";
		return DR_AUTO_REPLY;
	}
	if (f->autoreply_marker != NULL) {
		*detail_r = f->autoreply_marker;
		return DR_AUTO_REPLY;
	}
	if (f->challenge_marker != NULL) {
		*detail_r = f->challenge_marker;
		return DR_CHALLENGE;
	}
	/* Certain spam goes to nobody, inside or out. */
	if (in->spam != NULL && in->spam->known &&
	    !spam_forward_ok(in->spam, in->spam_policy, 1, decide_authenticated(in),
	    detail_r))
		return DR_SPAM_SCORE;
	if (!in->forward_bulk && (f->precedence != NULL ||
	    f->list_header != NULL || f->auto_submitted != NULL ||
	    f->automated_marker != NULL)) {
		*detail_r = f->list_header != NULL ? f->list_header :
		    f->precedence != NULL ? "Precedence header" :
		    f->auto_submitted != NULL ? "Auto-Submitted header" :
		    f->automated_marker;
		return DR_BULK;
	}
	return DR_NONE;
}

/* decide_forward - whom to forward to, or why not */
static void
decide_forward(const struct decide_input *in, struct decision *d)
{
	const struct dir_strings *dl = in->delegates;
	const char *spam_why = NULL;

	d->forward_reason = decide_forward_block(in, &d->forward_detail);
	if (d->forward_reason != DR_NONE)
		return;
	for (size_t i = 0; dl != NULL && i < dl->count; i++) {
		const char *a = dl->values[i];
		const char *why = NULL;

		if (decide_is_own(in, a)) {
			char *s = g_strdup_printf("%s (the recipient itself)", a);

			decide_strv_add(&d->forward_skipped, s);
			g_free(s);
		} else if (decide_delivered_to(in->facts, a)) {
			char *s = g_strdup_printf("%s (Delivered-To names it)", a);

			decide_strv_add(&d->forward_skipped, s);
			g_free(s);
		} else if (!decide_is_internal_address(in, a) &&
		    !spam_forward_ok(in->spam, in->spam_policy, 0,
		    decide_authenticated(in), &why)) {
			/* Mail to another domain goes out under our name. */
			char *s = g_strdup_printf("%s (%s)", a, why);

			decide_strv_add(&d->forward_skipped, s);
			g_free(s);
			spam_why = why;
		} else {
			decide_strv_add(&d->forward_to, a);
		}
	}
	if (d->forward_to.count == 0 && spam_why != NULL) {
		d->forward_reason = DR_SPAM_SCORE;
		d->forward_detail = spam_why;
	} else if (d->forward_to.count == 0) {
		d->forward_reason = DR_NO_DELEGATE;
		d->forward_detail = d->forward_skipped.count > 0 ?
		    "every delegate was skipped" : "no delegate is configured";
	}
}

/*
 * decide_redirect - a user's own redirect goes out for any message,
 * noise included (the user asked for it), but never around a loop:
 * our marker for this recipient, too many hops, or a Delivered-To that
 * names the target.
 */
static void
decide_redirect(const struct decide_input *in, struct decision *d)
{
	const struct facts *f = in->facts;
	const struct dir_strings *rl = in->redirects;

	d->redirect_reason = DR_NO_DELEGATE;
	if (rl == NULL || rl->count == 0)
		return;
	if (!f->parsed) {
		d->redirect_reason = decide_unparsed(f, &d->redirect_detail);
		return;
	}
	for (size_t i = 0; i < f->loop_markers.count; i++)
		if (decide_is_own(in, f->loop_markers.values[i])) {
			d->redirect_reason = DR_LOOP;
			d->redirect_detail = "our loop marker names this recipient";
			return;
		}
	if (f->received_count >= in->max_received) {
		d->redirect_reason = DR_HOPS;
		d->redirect_detail = "too many Received fields";
		return;
	}
	for (size_t i = 0; i < rl->count; i++) {
		const char *a = rl->values[i];
		char *s;

		if (decide_is_own(in, a))
			s = g_strdup_printf("%s (redirect to the recipient "
			    "itself)", a);
		else if (decide_delivered_to(f, a))
			s = g_strdup_printf("%s (redirect; Delivered-To names "
			    "it)", a);
		else {
			decide_strv_add(&d->redirect_to, a);
			continue;
		}
		decide_strv_add(&d->forward_skipped, s);
		g_free(s);
	}
	if (d->redirect_to.count > 0)
		d->redirect_reason = DR_NONE;
}

/* decide_strv_has - whether LIST holds S (any case) */
int
decide_strv_has(const struct dir_strings *list, const char *s)
{
	for (size_t i = 0; i < list->count; i++)
		if (g_ascii_strcasecmp(list->values[i], s) == 0)
			return 1;
	return 0;
}

/* decide_target - add PATH once */
static void
decide_target(struct decision *d, const char *path)
{
	if (!decide_strv_has(&d->targets, path))
		decide_strv_add(&d->targets, path);
}

/* decide_inbox - INBOX, or the detail's folder when so configured */
static void
decide_inbox(const struct decide_input *in, struct decision *d)
{
	char *path = NULL, *err = NULL;

	if (in->detail_mailbox && in->detail != NULL && *in->detail != '\0') {
		if (maildir_folder(in->mailbox, in->detail, &path, &err) == 0) {
			decide_target(d, path);
			g_free(path);
			return;
		}
		{
			char *note = g_strdup_printf("detail folder \"%s\": "
			    "%s; INBOX instead", in->detail, err);

			decide_strv_add(&d->notes, note);
			g_free(note);
			g_free(err);
		}
	}
	decide_target(d, in->mailbox);
}

/*
 * decide_mailbox - the Maildir copies: INBOX unless a script says
 * otherwise. Whatever the script says, a message that would end up
 * nowhere because its redirect was stopped is kept.
 */
static void
decide_mailbox(const struct decide_input *in, struct decision *d)
{
	const struct script_outcome *o = in->script;
	int reject_keeps;

	if (in->srs_original != NULL) {
		d->mailbox = DM_RETURN;
		return;
	}
	if (in->copy_seen) {
		d->mailbox = DM_DUPLICATE;
		return;
	}
	if (in->mailbox == NULL) {
		d->mailbox = DM_CALLER;
		return;
	}
	reject_keeps = o != NULL && o->reject != NULL && !in->reject_discards;
	if (o == NULL || o->keep || reject_keeps)
		decide_inbox(in, d);
	for (size_t i = 0; o != NULL && o->folders != NULL &&
	    o->folders[i] != NULL; i++) {
		char *path = NULL, *err = NULL;

		if (maildir_folder(in->mailbox, o->folders[i], &path,
		    &err) != 0) {
			char *f = facts_sanitize(o->folders[i], 200);
			char *note = g_strdup_printf("Sieve fileinto \"%s\": %s; "
			    "kept in INBOX instead", f, err);

			decide_strv_add(&d->notes, note);
			g_free(note);
			g_free(f);
			g_free(err);
			path = g_strdup(in->mailbox);
		}
		decide_target(d, path);
		g_free(path);
	}
	if (d->targets.count == 0 && o != NULL && !o->discard &&
	    o->reject == NULL && d->redirect_reason != DR_NONE) {
		char *note = g_strdup_printf("the script's redirect was not "
		    "made (%s): kept in INBOX",
		    decide_reason_name(d->redirect_reason));

		decide_strv_add(&d->notes, note);
		g_free(note);
		decide_target(d, in->mailbox);
	}
	d->mailbox = d->targets.count > 0 ? DM_DELIVER : DM_NONE;
}

/*
 * decide_split - delegates and the script's redirects travel together,
 * once each: internal addresses keep the envelope sender, outside ones
 * get an SRS0 sender when SRS is configured.
 */
static void
decide_split(const struct decide_input *in, struct decision *d)
{
	const struct dir_strings *lists[2] = {
		d->forward_reason == DR_NONE ? &d->forward_to : NULL,
		d->redirect_reason == DR_NONE ? &d->redirect_to : NULL
	};

	if (d->mailbox == DM_DUPLICATE || d->mailbox == DM_RETURN)
		return;
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; lists[l] != NULL && i < lists[l]->count;
		    i++) {
			const char *a = lists[l]->values[i];

			if (decide_strv_has(&d->fwd_internal, a) ||
			    decide_strv_has(&d->fwd_external, a))
				continue;
			if (in->srs_enabled &&
			    !decide_is_internal_address(in, a))
				decide_strv_add(&d->fwd_external, a);
			else
				decide_strv_add(&d->fwd_internal, a);
		}
	/* a sender with a control character or an angle bracket cannot
	 * stand in an SMTP command, nor would sendmail take it: the
	 * forwards go from the null sender instead (an argv word is safe
	 * either way; a refusal would bring the message back for ever) */
	d->fwd_sender_null = in->sender != NULL &&
	    strpbrk(in->sender, "<>\x7f\x01\x02\x03\x04\x05\x06\x07\x08\t\n"
	    "\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a"
	    "\x1b\x1c\x1d\x1e\x1f") != NULL;
	d->fwd_external_srs = d->fwd_external.count > 0 &&
	    in->sender != NULL && *in->sender != '\0' && !d->fwd_sender_null;
}

/* decide - fill OUT from IN; release OUT with decision_clear() */
void
decide(const struct decide_input *in, struct decision *out)
{
	memset(out, 0, sizeof(*out));
	out->away = in->away;
	out->away_until = in->away_until;
	decide_notice(in, out);
	decide_forward(in, out);
	decide_redirect(in, out);
	if (in->copy_seen) {
		/* Delivered with an earlier copy of this very forward. */
		out->forward_reason = DR_LOOP;
		out->forward_detail = "a copy of this forward was delivered "
		    "already";
		out->redirect_reason = DR_LOOP;
		if (out->notice_reason == DR_NONE) {
			out->notice_reason = DR_DUPLICATE;
			out->notice_detail = "a copy of this forward was "
			    "delivered already";
		}
	}
	decide_mailbox(in, out);
	decide_split(in, out);
	decide_notice_from(in, out);
}

/* decide_state - apply the state store's VERDICT to a due notice */
void
decide_state(struct decision *d, enum decide_state_verdict verdict,
	     const char *detail)
{
	enum decide_reason rule = verdict == DS_DUPLICATE ? DR_DUPLICATE :
	    verdict == DS_RATE ? DR_RATE : DR_NONE;

	if (verdict == DS_CLAIMED)
		return;
	for (unsigned int i = 0; i < d->rule_count; i++)
		if (d->rules[i].rule == rule) {
			d->rules[i].failed = 1;
			d->rules[i].detail = detail;
		}
	if (d->notice_reason != DR_NONE)
		return;
	if (verdict == DS_UNAVAILABLE) {
		d->notice_reason = DR_STATE_UNAVAILABLE;
		d->notice_detail = detail != NULL ? detail :
		    "the state store is unavailable";
		return;
	}
	d->notice_reason = rule;
	d->notice_detail = detail != NULL ? detail : verdict == DS_DUPLICATE ?
	    "a notice went to this sender within the period" :
	    "a notice rate cap is reached";
}

/* decide_wants_delegates - whether resolving delegates can matter */
int
decide_wants_delegates(const struct decide_input *in)
{
	struct decision d;
	const char *detail;
	int want;

	if (!in->away || in->copy_seen || in->srs_original != NULL)
		return 0;
	if (decide_forward_block(in, &detail) == DR_NONE)
		return 1;
	memset(&d, 0, sizeof(d));
	decide_notice(in, &d);
	want = d.notice_reason == DR_NONE;
	decision_clear(&d);
	return want;
}

/* decision_clear - release what decide() allocated in D */
void
decision_clear(struct decision *d)
{
	g_strfreev(d->forward_to.values);
	g_strfreev(d->forward_skipped.values);
	g_strfreev(d->redirect_to.values);
	g_strfreev(d->targets.values);
	g_strfreev(d->notes.values);
	g_strfreev(d->fwd_internal.values);
	g_strfreev(d->fwd_external.values);
	memset(d, 0, sizeof(*d));
}
