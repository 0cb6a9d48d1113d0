/*
 * fuzz-facts - libFuzzer target: message bytes -> facts_parse() -> decide()
 *
 * The bytes are a whole message, as the MTA would pipe it. Beyond "no
 * crash, no leak" it checks the SECURITY promise of facts.h: no string
 * kept in the facts holds CR, LF or another control character, since
 * these strings reach logs, --explain and (through decide) headers;
 * that an oversized message is unparsed and says why, and an unparsed
 * one gets no forward. The facts then go through decide() for an away
 * recipient with a delegate, at a fixed clock.
 *
 * The same bytes also go through mimescan alone, with small caps (so
 * that the fuzzer reaches them), once in one piece and once cut into
 * pieces of 1 to 16 bytes chosen by the input: the results must be the
 * same, whatever the cuts (facts reads the spool 64 KiB at a time).
 */

#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "decide.h"
#include "directory.h"
#include "facts.h"
#include "fuzz-common.h"
#include "spam.h"
#include "mimescan.h"

/* fuzz_clean - abort if S holds a control character */
static void
fuzz_clean(const char *what, const char *s)
{
	if (s == NULL)
		return;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			fprintf(stderr, "facts: control character 0x%02x in %s\n",
			    *p, what);
			abort();
		}
}

static void
fuzz_clean_list(const char *what, const struct dir_strings *l)
{
	for (size_t i = 0; i < l->count; i++)
		fuzz_clean(what, l->values[i]);
	if (l->count > 0 && l->values[l->count] != NULL)
		abort();
}

/* fuzz_scan - mimescan over DATA, in pieces of 1..16 bytes if CUT */
static struct mimescan *
fuzz_scan(const uint8_t *data, size_t size, int cut)
{
	static const struct mimescan_limits lim = { 20, 4, 30, 4096 };
	struct mimescan *ms = mimescan_new(&lim);
	size_t at = 0;

	while (at < size) {
		size_t n = cut ? 1 + data[at] % 16 : size - at;

		if (n > size - at)
			n = size - at;
		if (mimescan_push(ms, (const char *)data + at, n))
			break;
		at += n;
	}
	mimescan_finish(ms);
	return ms;
}

/* fuzz_same - strcmp for NULL-able strings */
static int
fuzz_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* fuzz_mimescan - one piece or many: the same verdict */
static void
fuzz_mimescan(const uint8_t *data, size_t size)
{
	struct mimescan *a = fuzz_scan(data, size, 0);
	struct mimescan *b = fuzz_scan(data, size, 1);
	struct mimescan_text ta, tb;
	off_t ea = -2, eb = -2;
	int ra, rb;

	ra = mimescan_header_end(a, &ea);
	rb = mimescan_header_end(b, &eb);
	if (ra != rb || ea != eb ||
	    !fuzz_same(mimescan_over_limit(a), mimescan_over_limit(b)) ||
	    !fuzz_same(mimescan_report_type(a), mimescan_report_type(b)) ||
	    mimescan_parts(a) != mimescan_parts(b)) {
		fprintf(stderr, "mimescan: cuts change the verdict\n");
		abort();
	}
	if (ra == 0 && (ea < 0 || (size_t)ea > size))
		abort();
	ra = mimescan_text(a, &ta);
	rb = mimescan_text(b, &tb);
	if (ra != rb || (ra == 0 && (ta.offset != tb.offset ||
	    ta.end != tb.end || ta.html != tb.html ||
	    strcmp(ta.encoding, tb.encoding) != 0 ||
	    strcmp(ta.charset, tb.charset) != 0))) {
		fprintf(stderr, "mimescan: cuts change the text part\n");
		abort();
	}
	if (ra == 0 && (ta.offset < 0 || (size_t)ta.offset > size ||
	    (ta.end >= 0 && (ta.end < ta.offset || (size_t)ta.end > size))))
		abort();
	mimescan_free(&a);
	mimescan_free(&b);
	if (a != NULL || b != NULL)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	facts_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const spam_headers[] = { "X-Spam-Status",
	    "X-Spam-Score", "X-Spam-Level", "X-Spamd-Result",
	    "X-Rspamd-Score", "X-Rspamd-Action", NULL };
	static const struct facts_settings set = { "X-Deputy-Loop",
	    spam_headers };
	struct spam_header_settings hs = { 2, SPAM_SCANNER_SPAMASSASSIN };
	struct spam_verdict sv;
	const char *why;
	static char *addresses[] = { "alice@example.org", "a.smith@example.org",
	    NULL };
	static char *delegates[] = { "bob@example.org", "carol@example.net",
	    NULL };
	static const char *const internal[] = { "example.org", NULL };
	struct dir_entry entry;
	struct dir_strings dlist = { delegates, 2 };
	struct decide_input in;
	struct decision d;
	struct facts *f = NULL;
	char *error = NULL;
	int fd = fuzz_memfd(data, size);

	if (facts_parse(fd, &set, &f, &error) != 0) {
		/* Only a spool read failure may fail; a memfd cannot. */
		fprintf(stderr, "facts_parse failed: %s\n", error);
		abort();
	}
	fuzz_clean("message_id", f->message_id);
	fuzz_clean("subject", f->subject);
	fuzz_clean("auto_submitted", f->auto_submitted);
	fuzz_clean("precedence", f->precedence);
	fuzz_clean("list_header", f->list_header);
	fuzz_clean("auto_response_suppress", f->auto_response_suppress);
	fuzz_clean("report_type", f->report_type);
	fuzz_clean("references", f->references);
	fuzz_clean("resent_message_id", f->resent_message_id);
	fuzz_clean("autoreply_marker", f->autoreply_marker);
	fuzz_clean("challenge_marker", f->challenge_marker);
	fuzz_clean("text_challenge", f->text_challenge);
	fuzz_clean("bounce_marker", f->bounce_marker);
	fuzz_clean("automated_marker", f->automated_marker);
	fuzz_clean("unparsed_reason", f->unparsed_reason);
	/* oversized: unparsed, with a reason; parsed: neither */
	if (f->oversized && (f->parsed || f->unparsed_reason == NULL))
		abort();
	if (f->parsed && (f->oversized || f->unparsed_reason != NULL))
		abort();
	if (f->text_challenge != NULL && f->challenge_marker == NULL)
		abort();
	fuzz_clean_list("from", &f->from);
	fuzz_clean_list("recipients", &f->recipients);
	fuzz_clean_list("loop_markers", &f->loop_markers);
	fuzz_clean_list("delivered_to", &f->delivered_to);

	memset(&entry, 0, sizeof(entry));
	entry.dn = "uid=alice,ou=people,dc=example,dc=org";
	entry.mail = "alice@example.org";
	entry.addresses.values = addresses;
	entry.addresses.count = 2;
	entry.notice = DIR_NOTICE_AUTHENTICATED;

	memset(&in, 0, sizeof(in));
	in.facts = f;
	in.sender = f->from.count > 0 ? f->from.values[0] : "";
	in.recipient = "alice@example.org";
	in.entry = &entry;
	in.away = 1;
	in.away_until = FUZZ_NOW + 86400;
	in.delegates = &dlist;
	in.now = FUZZ_NOW;
	in.default_notice = DIR_NOTICE_AUTHENTICATED;
	in.internal_domains = internal;
	in.auth = NULL;	/* no trust gate ran: nobody is authenticated */
	/* The spam headers on either scale, the verdict within bounds. */
	if (size > 0 && (data[0] & 2))
		hs.generic = SPAM_SCANNER_RSPAMD;
	if (spam_from_headers(f, &hs, &sv) && (!isfinite(sv.score) ||
	    sv.score > 1e6 || sv.score < -1e6 || sv.source == NULL))
		abort();
	(void)spam_notice_ok(&sv, NULL, &why);
	(void)spam_forward_ok(&sv, NULL, 0, 0, &why);
	g_free(spam_verdict_describe(&sv, NULL));
	in.spam = &sv;
	in.max_received = 30;
	in.forward_bulk = size > 0 && (data[0] & 1);
	memset(&d, 0, sizeof(d));
	decide(&in, &d);
	if (d.rule_count > DECIDE_NOTICE_RULES || d.forward_reason >= DR_COUNT ||
	    d.notice_reason >= DR_COUNT)
		abort();
	/* Fail closed: no notice without an authenticated sender. */
	if (d.notice_reason == DR_NONE &&
	    (in.auth == NULL || !in.auth->authenticated))
		abort();
	/* Unparsed or oversized: delivered, nothing else. */
	if (!f->parsed && (d.forward_reason == DR_NONE ||
	    d.notice_reason == DR_NONE ||
	    (f->oversized && d.forward_reason != DR_OVERSIZED)))
		abort();
	(void)decide_reason_name(d.notice_reason);
	decision_clear(&d);
	spam_verdict_clear(&sv);
	facts_free(&f);
	if (f != NULL)
		abort();
	fuzz_mimescan(data, size);
	return 0;
}
