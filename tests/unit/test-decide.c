/*
 * test-decide - every reason code of decide(), one table row each
 *
 * Each row starts from a message that passes every rule ("clean"), then
 * changes one thing, and names the notice and forward reasons expected.
 */

#include "config.h"

#include <sys/wait.h>

#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "decide.h"
#include "fail.h"
#include "record.h"
#include "tap.h"

/* ASan reports a huge allocation instead of failing it */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

enum mutation {
	M_NONE, M_UNPARSED, M_NOT_AWAY, M_NULL_SENDER, M_SYSTEM_SENDER,
	M_SYSTEM_REQUEST, M_SYSTEM_OWNER, M_SYSTEM_NOREPLY, M_SYSTEM_EXTRA,
	M_SELF, M_SELF_ALIAS, M_NO_FROM, M_TWO_FROM,
	M_AUTO_SUBMITTED, M_AUTO_SUBMITTED_NO, M_AUTOREPLY_SUBJECT,
	M_PRECEDENCE, M_LIST_HEADER, M_ARS, M_REPORT, M_BOUNCE_SUBJECT,
	M_CHALLENGE, M_NOT_ADDRESSED, M_ADDRESSED_ALIAS, M_UNAUTH,
	M_SPAM_UNKNOWN, M_SPAM_HIGH, M_SPAM_AT_THRESHOLD, M_POLICY_NONE,
	M_DEFAULT_NONE, M_EXTERNAL, M_INTERNAL_OK, M_DUPLICATE, M_RATE,
	M_LOOP, M_LOOP_OTHER, M_HOPS, M_SPAM_FORWARD, M_BULK_FORWARD_ON,
	M_NO_DELEGATES, M_DELIVERED_TO, M_DELEGATE_SELF,
	M_RSPAMD_CLEAN, M_RSPAMD_GREYLIST, M_RSPAMD_HIGH, M_RSPAMD_REJECT,
	M_RSPAMD_REJECT_SCORE, M_OUT_CLEAN, M_OUT_SUSPECT_AUTH,
	M_OUT_SUSPECT_UNAUTH, M_OUT_SPAM_AUTH, M_OUT_UNKNOWN_AUTH,
	M_OUT_UNKNOWN_UNAUTH, M_OUT_RSPAMD_GREYLIST_AUTH,
	M_OUT_RSPAMD_GREYLIST_UNAUTH, M_OUT_INTERNAL_DOMAINS,
};

struct row {
	const char *name;
	enum mutation m;
	enum decide_reason notice;
	enum decide_reason forward;
};

static const struct row rows[] = {
	{ "clean message: notice and forward", M_NONE, DR_NONE, DR_NONE },
	{ "unparseable", M_UNPARSED, DR_UNPARSEABLE, DR_UNPARSEABLE },
	{ "not away", M_NOT_AWAY, DR_NOT_AWAY, DR_NOT_AWAY },
	{ "null sender", M_NULL_SENDER, DR_NULL_SENDER, DR_BOUNCE },
	{ "MAILER-DAEMON", M_SYSTEM_SENDER, DR_SYSTEM_SENDER, DR_NONE },
	{ "*-request", M_SYSTEM_REQUEST, DR_SYSTEM_SENDER, DR_NONE },
	{ "owner-*", M_SYSTEM_OWNER, DR_SYSTEM_SENDER, DR_NONE },
	{ "noreply", M_SYSTEM_NOREPLY, DR_SYSTEM_SENDER, DR_NONE },
	{ "configured system sender", M_SYSTEM_EXTRA, DR_SYSTEM_SENDER, DR_NONE },
	{ "sender is the recipient", M_SELF, DR_SELF, DR_NONE },
	{ "sender is an alias", M_SELF_ALIAS, DR_SELF, DR_NONE },
	{ "no From", M_NO_FROM, DR_MULTIPLE_FROM, DR_NONE },
	{ "two From addresses", M_TWO_FROM, DR_MULTIPLE_FROM, DR_NONE },
	{ "Auto-Submitted: auto-generated", M_AUTO_SUBMITTED, DR_AUTO_SUBMITTED, DR_BULK },
	{ "Auto-Submitted: no is fine", M_AUTO_SUBMITTED_NO, DR_NONE, DR_NONE },
	{ "auto-reply subject", M_AUTOREPLY_SUBJECT, DR_AUTO_SUBMITTED, DR_AUTO_REPLY },
	{ "Precedence: bulk", M_PRECEDENCE, DR_PRECEDENCE, DR_BULK },
	{ "List-Id", M_LIST_HEADER, DR_LIST_HEADER, DR_BULK },
	{ "X-Auto-Response-Suppress", M_ARS, DR_AUTO_RESPONSE_SUPPRESS, DR_NONE },
	{ "multipart/report", M_REPORT, DR_REPORT, DR_REPORT },
	{ "bounce subject", M_BOUNCE_SUBJECT, DR_REPORT, DR_BOUNCE },
	{ "challenge", M_CHALLENGE, DR_CHALLENGE, DR_CHALLENGE },
	{ "not addressed", M_NOT_ADDRESSED, DR_NOT_ADDRESSED, DR_NONE },
	{ "addressed to an alias", M_ADDRESSED_ALIAS, DR_NONE, DR_NONE },
	{ "unauthenticated", M_UNAUTH, DR_UNAUTHENTICATED, DR_NONE },
	{ "no spam score", M_SPAM_UNKNOWN, DR_SPAM_UNKNOWN, DR_NONE },
	{ "spam score 3.0", M_SPAM_HIGH, DR_SPAM_SCORE, DR_NONE },
	{ "spam score at threshold", M_SPAM_AT_THRESHOLD, DR_NONE, DR_NONE },
	{ "user wants none", M_POLICY_NONE, DR_POLICY_NONE, DR_NONE },
	{ "default policy none", M_DEFAULT_NONE, DR_POLICY_NONE, DR_NONE },
	{ "internal only, external sender", M_EXTERNAL, DR_EXTERNAL, DR_NONE },
	{ "internal only, internal sender", M_INTERNAL_OK, DR_NONE, DR_NONE },
	{ "recent notice", M_DUPLICATE, DR_DUPLICATE, DR_NONE },
	{ "rate cap", M_RATE, DR_RATE, DR_NONE },
	{ "loop marker names us", M_LOOP, DR_NONE, DR_LOOP },
	{ "loop marker names another", M_LOOP_OTHER, DR_NONE, DR_NONE },
	{ "25 Received fields", M_HOPS, DR_NONE, DR_HOPS },
	{ "spam above forwarding threshold", M_SPAM_FORWARD, DR_SPAM_SCORE, DR_SPAM_SCORE },
	{ "list mail with forward_bulk", M_BULK_FORWARD_ON, DR_LIST_HEADER, DR_NONE },
	{ "no delegates", M_NO_DELEGATES, DR_NONE, DR_NO_DELEGATE },
	{ "Delivered-To names the delegate", M_DELIVERED_TO, DR_NONE, DR_NO_DELEGATE },
	{ "delegate is the recipient", M_DELEGATE_SELF, DR_NONE, DR_NO_DELEGATE },
	/* rspamd's scale and action */
	{ "rspamd 1.5, no action", M_RSPAMD_CLEAN, DR_NONE, DR_NONE },
	{ "rspamd greylist", M_RSPAMD_GREYLIST, DR_SPAM_SCORE, DR_NONE },
	{ "rspamd 3.0, no action (above its notice threshold)", M_RSPAMD_HIGH,
	  DR_SPAM_SCORE, DR_NONE },
	{ "rspamd reject", M_RSPAMD_REJECT, DR_SPAM_SCORE, DR_SPAM_SCORE },
	{ "rspamd 15.0 with add header", M_RSPAMD_REJECT_SCORE, DR_SPAM_SCORE,
	  DR_SPAM_SCORE },
	/* a delegate outside our domains */
	{ "outside delegate, clean", M_OUT_CLEAN, DR_NONE, DR_NONE },
	{ "outside delegate, 3.0, authenticated", M_OUT_SUSPECT_AUTH,
	  DR_SPAM_SCORE, DR_NONE },
	{ "outside delegate, 3.0, unauthenticated", M_OUT_SUSPECT_UNAUTH,
	  DR_UNAUTHENTICATED, DR_SPAM_SCORE },
	{ "outside delegate, 4.9 of required 4.0, authenticated",
	  M_OUT_SPAM_AUTH, DR_SPAM_SCORE, DR_SPAM_SCORE },
	{ "outside delegate, no verdict, authenticated", M_OUT_UNKNOWN_AUTH,
	  DR_SPAM_UNKNOWN, DR_NONE },
	{ "outside delegate, no verdict, unauthenticated",
	  M_OUT_UNKNOWN_UNAUTH, DR_UNAUTHENTICATED, DR_SPAM_SCORE },
	{ "outside delegate, rspamd greylist, authenticated",
	  M_OUT_RSPAMD_GREYLIST_AUTH, DR_SPAM_SCORE, DR_NONE },
	{ "outside delegate, rspamd greylist, unauthenticated",
	  M_OUT_RSPAMD_GREYLIST_UNAUTH, DR_UNAUTHENTICATED, DR_SPAM_SCORE },
	{ "delegate in internal_domains, no verdict, unauthenticated",
	  M_OUT_INTERNAL_DOMAINS, DR_UNAUTHENTICATED, DR_NONE },
};

static char *alice_addrs[] = { "alice@example.org", "a.smith@example.org", NULL };
static char *one_from[] = { "bob@example.com", NULL };
static char *two_from[] = { "bob@example.com", "eve@example.com", NULL };
static char *to_alice[] = { "alice@example.org", NULL };
static char *to_alias[] = { "a.smith@example.org", NULL };
static char *to_other[] = { "all@example.org", NULL };
static char *loop_us[] = { "alice@example.org", NULL };
static char *loop_other[] = { "carol@example.org", NULL };
static char *delegates[] = { "bob@example.org", NULL };
static char *delegates_out[] = { "bob@example.net", NULL };
static char *delegates_self[] = { "a.smith@example.org", NULL };
static char *delivered_bob[] = { "bob@example.org", NULL };
static const char *const extra_system[] = { "robot", NULL };
static const char *const internal[] = { "example.org", NULL };
static const char *const internal2[] = { "example.org", "example.net", NULL };

/*
 * golden - the record of ROW's decision in its three forms (log line,
 * --explain text, JSON) against tests/data/golden/NAME.{line,explain,json}
 * (not .log: git ignores those);
 * DEPUTY_GOLDEN_WRITE=1 writes them instead (look at the diff before
 * committing)
 */
static void
golden(const char *name, const struct decide_input *in, struct decision *d)
{
	const char *srcdir = g_getenv("srcdir") ? g_getenv("srcdir") : ".";
	struct record_message m;
	struct record r;
	char   *forms[3], *buf = NULL;
	size_t	len = 0;
	FILE   *out;
	static const char *const ext[3] = { "line", "explain", "json" };

	memset(&m, 0, sizeof(m));
	m.sender = in->sender;
	m.message_id = "golden@example.com";
	m.authenticated = in->auth->authenticated;
	m.auth_detail = in->auth->detail;
	m.spam_known = in->spam->known;
	m.spam_score = in->spam->score;
	m.spam = "SpamAssassin, as in the test";
	memset(&r, 0, sizeof(r));
	r.recipient = g_strdup(in->recipient);
	r.address = g_strdup(in->recipient);
	r.dn = g_strdup(in->entry->dn);
	r.away_until = in->away_until;
	r.d = *d;			/* borrowed: cleared by the caller */
	r.mailbox = RECORD_MB_DELIVERED;
	r.copies = 1;
	r.forwarded = d->forward_reason == DR_NONE;
	r.noticed = d->notice_reason == DR_NONE;
	forms[0] = record_log_line(&m, &r);
	out = open_memstream(&buf, &len);
	record_explain(&m, &r, out);
	fclose(out);
	forms[1] = buf;
	forms[2] = record_json(&m, &r, 1);
	for (int i = 0; i < 3; i++) {
		char   *file = g_strdup_printf("%s/tests/data/golden/%s.%s",
		    srcdir, name, ext[i]);
		char   *want = NULL;

		if (g_getenv("DEPUTY_GOLDEN_WRITE") != NULL)
			(void)g_file_set_contents(file, forms[i], -1, NULL);
		tap_ok(g_file_get_contents(file, &want, NULL, NULL) &&
		    strcmp(g_strchomp(want), g_strchomp(forms[i])) == 0,
		    "golden %s.%s: the record as written", name, ext[i]);
		if (want != NULL && strcmp(want, forms[i]) != 0)
			tap_diag("got:\n%s", forms[i]);
		g_free(want);
		g_free(file);
		g_free(forms[i]);
	}
	memset(&r.d, 0, sizeof(r.d));
	record_clear(&r);
}

/* run_row - build the input for ROW and check the record */
static void
run_row(const struct row *row)
{
	struct dir_entry entry;
	struct facts f;
	struct dir_strings dl = { delegates, 1 };
	struct decide_input in;
	struct decision d;
	struct spam_verdict sv = { 1, SPAM_SCANNER_SPAMASSASSIN, -1.0, NAN,
	    NULL, NULL, 0 };
	struct spam_policy sp;
	const char *want_to = "bob@example.org";
	struct trust_verdict auth = { 1, "test: authenticated" };

	spam_policy_default(&sp);
	memset(&entry, 0, sizeof(entry));
	entry.dn = "uid=alice,dc=example,dc=org";
	entry.mail = "alice@example.org";
	entry.addresses.values = alice_addrs;
	entry.addresses.count = 2;

	memset(&f, 0, sizeof(f));
	f.parsed = 1;
	f.from.values = one_from;
	f.from.count = 1;
	f.recipients.values = to_alice;
	f.recipients.count = 1;
	f.received_count = 3;

	memset(&in, 0, sizeof(in));
	in.facts = &f;
	in.auth = &auth;
	in.sender = "bob@example.com";
	in.recipient = "alice@example.org";
	in.entry = &entry;
	in.away = 1;
	in.delegates = &dl;
	in.now = 1798761600;
	in.default_notice = DIR_NOTICE_AUTHENTICATED;
	in.system_senders = extra_system;
	in.spam = &sv;
	in.spam_policy = &sp;
	in.max_received = 25;
	in.mailbox = "/var/mail/alice/Maildir";

	switch (row->m) {
	case M_NONE: break;
	case M_UNPARSED: f.parsed = 0; break;
	case M_NOT_AWAY: in.away = 0; break;
	case M_NULL_SENDER: in.sender = ""; break;
	case M_SYSTEM_SENDER: in.sender = "MAILER-DAEMON@example.com"; break;
	case M_SYSTEM_REQUEST: in.sender = "dovecot-request@lists.example.com"; break;
	case M_SYSTEM_OWNER: in.sender = "owner-list@example.com"; break;
	case M_SYSTEM_NOREPLY: in.sender = "noreply+x@example.com"; break;
	case M_SYSTEM_EXTRA: in.sender = "robot@example.com"; break;
	case M_SELF: in.sender = "Alice@Example.org"; break;
	case M_SELF_ALIAS: in.sender = "a.smith@example.org"; break;
	case M_NO_FROM: f.from.count = 0; f.from.values = NULL; break;
	case M_TWO_FROM: f.from.values = two_from; f.from.count = 2; break;
	case M_AUTO_SUBMITTED: f.auto_submitted = "auto-generated"; break;
	case M_AUTO_SUBMITTED_NO: break;	/* facts drop "no" */
	case M_AUTOREPLY_SUBJECT: f.autoreply_marker = "subject"; break;
	case M_PRECEDENCE: f.precedence = "bulk"; break;
	case M_LIST_HEADER: f.list_header = "List-Id"; break;
	case M_ARS: f.auto_response_suppress = "OOF"; break;
	case M_REPORT: f.report_type = "multipart/report"; break;
	case M_BOUNCE_SUBJECT: f.bounce_marker = "subject"; break;
	case M_CHALLENGE: f.challenge_marker = "X-Boxbe-Challenge header"; break;
	case M_NOT_ADDRESSED: f.recipients.values = to_other; break;
	case M_ADDRESSED_ALIAS: f.recipients.values = to_alias; break;
	case M_UNAUTH: auth.authenticated = 0; break;
	case M_SPAM_UNKNOWN: sv.known = 0; break;
	case M_SPAM_HIGH: sv.score = 3.0; break;
	case M_SPAM_AT_THRESHOLD: sv.score = 1.0; break;
	case M_POLICY_NONE: entry.notice = DIR_NOTICE_NONE; break;
	case M_DEFAULT_NONE: in.default_notice = DIR_NOTICE_NONE; break;
	case M_EXTERNAL: entry.notice = DIR_NOTICE_INTERNAL; break;
	case M_INTERNAL_OK:
		entry.notice = DIR_NOTICE_INTERNAL;
		in.sender = "carol@example.org";
		in.internal_domains = internal;
		break;
	case M_DUPLICATE: break;		/* decide_state below */
	case M_RATE: break;
	case M_LOOP: f.loop_markers.values = loop_us; f.loop_markers.count = 1; break;
	case M_LOOP_OTHER: f.loop_markers.values = loop_other; f.loop_markers.count = 1; break;
	case M_HOPS: f.received_count = 25; break;
	case M_SPAM_FORWARD: sv.score = 7.5; break;
	case M_BULK_FORWARD_ON: f.list_header = "List-Id"; in.forward_bulk = 1; break;
	case M_NO_DELEGATES: dl.count = 0; dl.values = NULL; break;
	case M_DELIVERED_TO:
		f.delivered_to.values = delivered_bob;
		f.delivered_to.count = 1;
		break;
	case M_DELEGATE_SELF: dl.values = delegates_self; break;
	case M_RSPAMD_CLEAN:
		sv.scanner = SPAM_SCANNER_RSPAMD;
		sv.score = 1.5;
		sv.action = "no action";
		break;
	case M_RSPAMD_GREYLIST:
		sv.scanner = SPAM_SCANNER_RSPAMD;
		sv.score = 1.5;		/* a forced action, low score */
		sv.action = "greylist";
		break;
	case M_RSPAMD_HIGH:
		sv.scanner = SPAM_SCANNER_RSPAMD;
		sv.score = 3.0;
		sv.action = "no action";
		break;
	case M_RSPAMD_REJECT:
		sv.scanner = SPAM_SCANNER_RSPAMD;
		sv.score = 9.0;
		sv.action = "reject";
		break;
	case M_RSPAMD_REJECT_SCORE:
		sv.scanner = SPAM_SCANNER_RSPAMD;
		sv.score = 15.0;
		sv.action = "add header";
		break;
	case M_OUT_CLEAN:
		dl.values = delegates_out;
		want_to = "bob@example.net";
		break;
	case M_OUT_SUSPECT_AUTH:
		dl.values = delegates_out;
		want_to = "bob@example.net";
		sv.score = 3.0;
		sv.required = 5.0;
		break;
	case M_OUT_SUSPECT_UNAUTH:
		dl.values = delegates_out;
		auth.authenticated = 0;
		sv.score = 3.0;
		break;
	case M_OUT_SPAM_AUTH:
		dl.values = delegates_out;
		sv.score = 4.9;
		sv.required = 4.0;
		break;
	case M_OUT_UNKNOWN_AUTH:
		dl.values = delegates_out;
		want_to = "bob@example.net";
		sv.known = 0;
		break;
	case M_OUT_UNKNOWN_UNAUTH:
		dl.values = delegates_out;
		sv.known = 0;
		auth.authenticated = 0;
		break;
	case M_OUT_RSPAMD_GREYLIST_AUTH:
		dl.values = delegates_out;
		want_to = "bob@example.net";
		sv.scanner = SPAM_SCANNER_RSPAMD;
		sv.score = 4.5;
		sv.action = "greylist";
		break;
	case M_OUT_RSPAMD_GREYLIST_UNAUTH:
		dl.values = delegates_out;
		auth.authenticated = 0;
		sv.scanner = SPAM_SCANNER_RSPAMD;
		sv.score = 4.5;
		sv.action = "greylist";
		break;
	case M_OUT_INTERNAL_DOMAINS:
		/* example.net is ours too: an inside delegate */
		dl.values = delegates_out;
		want_to = "bob@example.net";
		in.internal_domains = internal2;
		sv.known = 0;
		auth.authenticated = 0;
		break;
	}

	decide(&in, &d);
	if (row->m == M_DUPLICATE)
		decide_state(&d, DS_DUPLICATE, NULL);
	else if (row->m == M_RATE)
		decide_state(&d, DS_RATE, NULL);
	else if (d.notice_reason == DR_NONE)
		decide_state(&d, DS_CLAIMED, NULL);
	tap_ok(d.notice_reason == row->notice, "%s: notice %s (want %s)",
	    row->name, decide_reason_name(d.notice_reason),
	    decide_reason_name(row->notice));
	tap_ok(d.forward_reason == row->forward, "%s: forward %s (want %s)",
	    row->name, decide_reason_name(d.forward_reason),
	    decide_reason_name(row->forward));
	if (row->forward == DR_NONE)
		tap_ok(d.forward_to.count == 1 &&
		    strcmp(d.forward_to.values[0], want_to) == 0,
		    "%s: forwarded to %s", row->name, want_to);
	tap_ok(d.rule_count == DECIDE_NOTICE_RULES, "%s: all %u rules evaluated",
	    row->name, d.rule_count);
	if (row->m == M_NONE)
		golden("clean", &in, &d);
	else if (row->m == M_OUT_SUSPECT_UNAUTH)
		golden("outside-unauthenticated", &in, &d);
	else if (row->m == M_LIST_HEADER)
		golden("list", &in, &d);
	decision_clear(&d);
}

/*
 * check_split - a delegate inside gets what the user gets, the one
 * outside is skipped with the reason; certain spam reaches neither
 */
static void
check_split(void)
{
	static char *two[] = { "bob@example.org", "carol@example.net", NULL };
	static char *from[] = { "dave@example.com", NULL };
	static char *to[] = { "alice@example.org", NULL };
	struct dir_strings dl = { two, 2 };
	struct spam_verdict sv = { 1, SPAM_SCANNER_RSPAMD, 5.0, 15.0,
	    "greylist", NULL, 0 };
	struct spam_policy sp;
	struct facts f;
	struct decide_input in;
	struct decision d;

	spam_policy_default(&sp);
	memset(&f, 0, sizeof(f));
	f.parsed = 1;
	f.from.values = from;
	f.from.count = 1;
	f.recipients.values = to;
	f.recipients.count = 1;
	memset(&in, 0, sizeof(in));
	in.facts = &f;
	in.sender = "dave@example.com";
	in.recipient = "alice@example.org";
	in.away = 1;
	in.delegates = &dl;
	in.spam = &sv;
	in.spam_policy = &sp;
	in.max_received = 25;
	decide(&in, &d);
	tap_ok(d.forward_reason == DR_NONE && d.forward_to.count == 1 &&
	    strcmp(d.forward_to.values[0], "bob@example.org") == 0,
	    "greylisted, unauthenticated: the inside delegate gets it");
	tap_ok(d.forward_skipped.count == 1 &&
	    g_str_has_prefix(d.forward_skipped.values[0],
	    "carol@example.net (outside delegate"),
	    "... the outside one is skipped: %s", d.forward_skipped.count ?
	    d.forward_skipped.values[0] : "(none)");
	decision_clear(&d);

	sv.action = "reject";
	decide(&in, &d);
	tap_ok(d.forward_reason == DR_SPAM_SCORE && d.forward_to.count == 0,
	    "rspamd reject: neither delegate gets it (%s)",
	    decide_reason_name(d.forward_reason));
	decision_clear(&d);
}

/* check_names - every code has a distinct stable name */
static void
check_names(void)
{
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	int ok = 1;

	for (int r = 0; r < DR_COUNT; r++) {
		const char *n = decide_reason_name((enum decide_reason)r);

		if (strcmp(n, "unknown") == 0 || g_hash_table_contains(seen, n))
			ok = 0;
		g_hash_table_add(seen, (gpointer)n);
	}
	tap_ok(ok, "every reason code has a distinct name");
	tap_ok(strcmp(decide_reason_name(DR_COUNT), "unknown") == 0,
	    "out-of-range code is \"unknown\"");
	g_hash_table_destroy(seen);
}

/* check_rule_order - the gate order of DESIGN.md */
static void
check_rule_order(void)
{
	static const char *const order[] = {
		"null-sender", "system-sender", "self", "multiple-from",
		"auto-submitted", "precedence", "list-header",
		"auto-response-suppress", "report", "challenge",
		"not-addressed", "unauthenticated", "spam-unknown",
		"spam-score", "policy-none", "external", "duplicate", "rate",
	};
	struct facts f;
	struct decide_input in;
	struct decision d;
	int ok = 1;

	memset(&f, 0, sizeof(f));
	memset(&in, 0, sizeof(in));
	in.facts = &f;
	in.sender = "";
	in.recipient = "alice@example.org";
	decide(&in, &d);
	for (unsigned int i = 0; i < G_N_ELEMENTS(order); i++)
		if (i >= d.rule_count ||
		    strcmp(decide_reason_name(d.rules[i].rule), order[i]) != 0)
			ok = 0;
	tap_ok(ok && d.rule_count == G_N_ELEMENTS(order),
	    "rules are evaluated in the documented order");
	decision_clear(&d);
}

/*
 * check_oom - an allocation GLib cannot make ends the process with 75 and
 * one DSN line, in a child (GLib's own answer is abort(): a signal, which
 * the MTA would not retry as a temporary failure)
 */
static void
check_oom(void)
{
	int	err[2], status = 0;
	char	line[128] = "";
	ssize_t	n;
	pid_t	pid;

#ifdef TEST_ASAN
	tap_skip("out of memory: ASan stops a huge allocation itself");
	return;
#endif
	if (pipe(err) != 0) {
		tap_ok(0, "out of memory: no pipe");
		return;
	}
	if ((pid = fork()) == 0) {
		volatile gpointer p;

		close(err[0]);
		(void)dup2(err[1], 2);
		fail_oom_install("test-decide");
		p = g_malloc((gsize)-1 / 2);	/* no machine has this */
		(void)p;
		_exit(0);
	}
	close(err[1]);
	n = read(err[0], line, sizeof(line) - 1);
	line[n > 0 ? n : 0] = '\0';
	close(err[0]);
	(void)waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 75 &&
	    strcmp(line, "4.3.0 test-decide: out of memory\n") == 0,
	    "out of memory: exit 75 and one DSN line (status %d: %s)",
	    status, line);
}

int
main(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++)
		run_row(&rows[i]);
	check_split();
	check_names();
	check_rule_order();
	check_oom();
	tap_ok(decide_is_system_sender("LISTSERV@x.org", NULL), "LISTSERV");
	tap_ok(decide_is_system_sender("majordomo@x.org", NULL), "majordomo");
	tap_ok(decide_is_system_sender("list-owner@x.org", NULL), "*-owner");
	tap_ok(decide_is_system_sender("postmaster@x.org", NULL), "postmaster");
	tap_ok(!decide_is_system_sender("bob@x.org", NULL), "bob is a person");
	tap_ok(!decide_is_system_sender("requester@x.org", NULL),
	    "requester is a person");
	return tap_done();
}
