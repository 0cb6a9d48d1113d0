/*
 * fuzz-facts - libFuzzer target: message bytes -> facts_parse() -> decide()
 *
 * The bytes are a whole message, as the MTA would pipe it. Beyond "no
 * crash, no leak" it checks the SECURITY promise of facts.h: no string
 * kept in the facts holds CR, LF or another control character, since
 * these strings reach logs, --explain and (through decide) headers.
 * The facts then go through decide() for an away recipient with a
 * delegate, at a fixed clock.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "decide.h"
#include "directory.h"
#include "facts.h"
#include "fuzz-common.h"

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
	static const struct facts_settings set = { "X-Deputy-Loop" };
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
	in.notice_threshold = 1.0;
	in.forward_threshold = 5.0;
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
	(void)decide_reason_name(d.notice_reason);
	decision_clear(&d);
	facts_free(&f);
	if (f != NULL)
		abort();
	return 0;
}
