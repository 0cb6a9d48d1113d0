/*
 * NAME
 *	record - print a decision record: log line, --explain text, JSON
 * SUMMARY
 *	The three forms carry the same fields. The text form is what
 *	operators read (deputy-lda --explain, deputyctl explain); its
 *	"key: value" lines are stable, and tests read them. The JSON form
 *	is built with json-glib (deputyctl explain --json, the web page,
 *	deputyd).
 */

#include "config.h"

#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "record.h"

static const char *const record_mb_names[] = {
	[RECORD_MB_PENDING] = "pending",
	[RECORD_MB_DELIVERED] = "delivered",
	[RECORD_MB_FAILED] = "failed",
	[RECORD_MB_CALLER] = "caller",
	[RECORD_MB_NONE] = "none",
	[RECORD_MB_DUPLICATE] = "duplicate",
	[RECORD_MB_RETURNED] = "returned",
	[RECORD_MB_REFUSED] = "refused",
};

/* record_clear - release what R owns, zero it */
void
record_clear(struct record *r)
{
	g_free(r->recipient);
	g_free(r->address);
	g_free(r->detail);
	g_free(r->dn);
	g_free(r->srs_original);
	g_free(r->notice_template);
	g_free(r->sieve_summary);
	g_free(r->sieve_error);
	decision_clear(&r->d);
	g_free(r->fail_error);
	g_free(r->store_text);
	memset(r, 0, sizeof(*r));
}

/* record_mailbox_name - "delivered", "caller", "none", ... */
const char *
record_mailbox_name(enum record_mailbox m)
{
	if ((int)m < 0 || m > RECORD_MB_REFUSED)
		return "unknown";
	return record_mb_names[m];
}

/* record_time - "2026-12-24 00:00 UTC", or "open end" */
static char *
record_time(time_t t)
{
	char buf[64];
	struct tm tm;

	if (t == 0)
		return g_strdup("open end");
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm);
	return g_strdup(buf);
}

/* record_forwards - every address the message goes to, "a,b" or "" */
static char *
record_forwards(const struct decision *d, const char *sep)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < d->fwd_internal.count; i++)
		g_string_append_printf(s, "%s%s", s->len ? sep : "",
		    d->fwd_internal.values[i]);
	for (size_t i = 0; i < d->fwd_external.count; i++)
		g_string_append_printf(s, "%s%s", s->len ? sep : "",
		    d->fwd_external.values[i]);
	return g_string_free(s, FALSE);
}

/* record_log_line - the one log line of R */
char *
record_log_line(const struct record_message *m, const struct record *r)
{
	const struct decision *d = &r->d;
	char *fwd, *line;

	if (r->mailbox == RECORD_MB_RETURNED)
		return g_strdup_printf("from=<%s> to=<%s> msgid=<%s> "
		    "srs=returned original=<%s>", m->sender, r->recipient,
		    m->message_id ? m->message_id : "", r->srs_original);
	fwd = record_forwards(d, ",");
	line = g_strdup_printf("from=<%s> to=<%s> msgid=<%s> away=%s "
	    "mailbox=%s forward=%s forward_reason=%s notice=%s "
	    "notice_reason=%s%s%s",
	    m->sender, r->recipient, m->message_id ? m->message_id : "",
	    d->away ? "yes" : "no", record_mailbox_name(r->mailbox),
	    *fwd != '\0' ? fwd : "-", decide_reason_name(d->forward_reason),
	    r->noticed ? "sent" : r->notice_failed ? "failed" : "no",
	    decide_reason_name(d->notice_reason),
	    r->scripted ? " sieve=" : "", r->scripted ? r->sieve_summary : "");
	g_free(fwd);
	return line;
}

/* record_explain_script - what the user's Sieve script asked for */
static void
record_explain_script(const struct record *r, FILE *out)
{
	fprintf(out, "  sieve:   %s\n", r->sieve_summary);
	if (r->sieve_error != NULL)
		fprintf(out, "  sieve:   failed, implicit keep: %s\n",
		    r->sieve_error);
	for (size_t i = 0; i < r->d.redirect_to.count; i++)
		fprintf(out, "  sieve:   redirect to %s\n",
		    r->d.redirect_to.values[i]);
	if (r->sieve_rejected)
		fprintf(out, "  sieve:   reject not carried out (never a "
		    "bounce)\n");
}

/* record_explain - R as the --explain text */
void
record_explain(const struct record_message *m, const struct record *r,
	       FILE *out)
{
	const struct decision *d = &r->d;
	char *until;

	fprintf(out, "recipient: %s\n", r->recipient);
	if (r->srs_original != NULL) {
		fprintf(out, "  srs:     a bounce to our SRS address; passed "
		    "back from <> to <%s>\n", r->srs_original);
		return;
	}
	if (r->detail != NULL)
		fprintf(out, "  user:    %s (detail \"%s\")\n", r->address,
		    r->detail);
	fprintf(out, "  entry:   %s\n", r->dn ? r->dn :
	    "(none: not in the directory)");
	until = record_time(r->away_until);
	if (d->away)
		fprintf(out, "  away:    yes, until %s\n", until);
	else
		fprintf(out, "  away:    no\n");
	g_free(until);
	if (r->caller_stores)
		fprintf(out, "  deliver: (by the caller: Dovecot stores it)\n");
	else if (d->mailbox == DM_DUPLICATE)
		fprintf(out, "  deliver: none (a copy of our forward it "
		    "already has)\n");
	else if (d->targets.count == 0)
		fprintf(out, "  deliver: none (the user's Sieve script)\n");
	for (size_t i = 0; i < d->targets.count; i++)
		fprintf(out, "  deliver: %s\n", d->targets.values[i]);
	for (size_t i = 0; i < d->notes.count; i++)
		fprintf(out, "  note:    %s\n", d->notes.values[i]);
	if (r->scripted)
		record_explain_script(r, out);
	if (d->forward_reason == DR_NONE) {
		char *to = g_strjoinv(", ", d->forward_to.values);

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
	if (d->fwd_external.count > 0 && d->fwd_external_srs)
		fprintf(out, "  srs:     outside delegates get an SRS0 "
		    "envelope sender\n");
	if (d->notice_reason == DR_NONE && r->sieve_vacation)
		fprintf(out, "  notice:  yes, to <%s> from <>, the Sieve "
		    "vacation's text\n", m->sender);
	else if (d->notice_reason == DR_NONE)
		fprintf(out, "  notice:  yes, to <%s> from <>, template %s\n",
		    m->sender, r->notice_template);
	else
		fprintf(out, "  notice:  no (%s%s%s)\n",
		    decide_reason_name(d->notice_reason),
		    d->notice_detail ? ": " : "",
		    d->notice_detail ? d->notice_detail : "");
	fprintf(out, "  trust:   %s; spam score %s\n",
	    m->authenticated ? "authenticated" : "not authenticated",
	    m->spam_known ? "known" : "unknown");
	if (m->spam != NULL)
		fprintf(out, "  spam:    %s\n", m->spam);
	fprintf(out, "  gate:\n");
	for (unsigned int i = 0; i < d->rule_count; i++)
		fprintf(out, "    %-24s %s%s%s\n",
		    decide_reason_name(d->rules[i].rule),
		    d->rules[i].failed ? "FAIL" : "pass",
		    d->rules[i].failed && d->rules[i].detail ? "  " : "",
		    d->rules[i].failed && d->rules[i].detail ?
		    d->rules[i].detail : "");
}

/* record_json_strv - LIST as a JSON array member */
static void
record_json_strv(JsonBuilder *b, const char *name,
		 const struct dir_strings *list)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (size_t i = 0; i < list->count; i++)
		json_builder_add_string_value(b, list->values[i]);
	json_builder_end_array(b);
}

/* record_json_str - a string member, null when S is NULL */
static void
record_json_str(JsonBuilder *b, const char *name, const char *s)
{
	json_builder_set_member_name(b, name);
	if (s != NULL)
		json_builder_add_string_value(b, s);
	else
		json_builder_add_null_value(b);
}

/* record_json_reason - "reason" and "detail" of one action */
static void
record_json_reason(JsonBuilder *b, const char *prefix, enum decide_reason r,
		   const char *detail)
{
	char *n = g_strdup_printf("%s_reason", prefix);
	char *dn = g_strdup_printf("%s_detail", prefix);

	record_json_str(b, n, decide_reason_name(r));
	record_json_str(b, dn, detail);
	g_free(n);
	g_free(dn);
}

/* record_json - M and R as one JSON object */
char *
record_json(const struct record_message *m, const struct record *r,
	    int pretty)
{
	const struct decision *d = &r->d;
	JsonBuilder *b = json_builder_new();
	JsonGenerator *g;
	JsonNode *root;
	char *text, *until, *fwd;

	json_builder_begin_object(b);
	record_json_str(b, "sender", *m->sender != '\0' ? m->sender : "<>");
	record_json_str(b, "message_id", m->message_id);
	record_json_str(b, "recipient", r->recipient);
	record_json_str(b, "user", r->address);
	record_json_str(b, "detail", r->detail);
	record_json_str(b, "entry", r->dn);
	json_builder_set_member_name(b, "away");
	json_builder_add_boolean_value(b, d->away);
	until = d->away ? record_time(r->away_until) : NULL;
	record_json_str(b, "away_until", until);
	g_free(until);
	record_json_str(b, "srs_original", r->srs_original);
	record_json_str(b, "mailbox", d->mailbox == DM_DUPLICATE ?
	    "duplicate" : r->caller_stores ? "caller" :
	    d->targets.count > 0 ? "deliver" : "none");
	record_json_strv(b, "deliver", &d->targets);
	record_json_strv(b, "notes", &d->notes);
	if (r->scripted) {
		record_json_str(b, "sieve", r->sieve_summary);
		record_json_str(b, "sieve_error", r->sieve_error);
	}
	fwd = d->forward_reason == DR_NONE ?
	    g_strjoinv(", ", d->forward_to.values) : g_strdup("no");
	record_json_str(b, "forward", fwd);
	g_free(fwd);
	record_json_strv(b, "forward_to", &d->forward_to);
	record_json_reason(b, "forward", d->forward_reason, d->forward_detail);
	record_json_strv(b, "forward_skipped", &d->forward_skipped);
	record_json_strv(b, "redirect_to", &d->redirect_to);
	record_json_strv(b, "forward_internal", &d->fwd_internal);
	record_json_strv(b, "forward_external", &d->fwd_external);
	json_builder_set_member_name(b, "forward_external_srs");
	json_builder_add_boolean_value(b, d->fwd_external_srs);
	record_json_str(b, "notice", d->notice_reason == DR_NONE ? "yes" :
	    "no");
	record_json_reason(b, "notice", d->notice_reason, d->notice_detail);
	record_json_str(b, "notice_template", r->sieve_vacation ?
	    "sieve-vacation" : r->notice_template);
	json_builder_set_member_name(b, "authenticated");
	json_builder_add_boolean_value(b, m->authenticated);
	record_json_str(b, "auth_detail", m->auth_detail);
	json_builder_set_member_name(b, "spam_score");
	if (m->spam_known)
		json_builder_add_double_value(b, m->spam_score);
	else
		json_builder_add_null_value(b);
	record_json_str(b, "spam", m->spam);
	json_builder_set_member_name(b, "gate");
	json_builder_begin_array(b);
	for (unsigned int i = 0; i < d->rule_count; i++) {
		json_builder_begin_object(b);
		record_json_str(b, "rule", decide_reason_name(d->rules[i].rule));
		record_json_str(b, "verdict", d->rules[i].failed ? "FAIL" :
		    "pass");
		record_json_str(b, "detail", d->rules[i].failed ?
		    d->rules[i].detail : NULL);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	if (r->mailbox != RECORD_MB_PENDING) {
		record_json_str(b, "done_mailbox",
		    record_mailbox_name(r->mailbox));
		json_builder_set_member_name(b, "done_forward");
		json_builder_add_boolean_value(b, r->forwarded);
		json_builder_set_member_name(b, "done_notice");
		json_builder_add_boolean_value(b, r->noticed);
	}
	if (r->fail != FAIL_NONE) {
		record_json_str(b, "fail", fail_name(r->fail));
		record_json_str(b, "fail_error", r->fail_error);
	}
	json_builder_end_object(b);

	root = json_builder_get_root(b);
	g = json_generator_new();
	json_generator_set_pretty(g, pretty);
	json_generator_set_root(g, root);
	text = json_generator_to_data(g, NULL);
	json_node_unref(root);
	g_object_unref(g);
	g_object_unref(b);
	return text;
}
