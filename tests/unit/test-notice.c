/*
 * test-notice - templates and the notice message: the four languages,
 * conditional lines, and hostile values that must never split a header.
 */

#include "config.h"

#include <string.h>

#include <gmime/gmime.h>

#include "addr.h"
#include "facts.h"
#include "envelope.h"
#include "notice.h"
#include "tap.h"
#include "tmpl.h"

/* headers_clean - every header line is "Name: ..." or a continuation */
static int
headers_clean(const char *text, char **bad_r)
{
	const char *p = text;

	if (strchr(text, '\r') != NULL || strlen(text) == 0) {
		*bad_r = g_strdup("a CR");
		return 0;
	}
	while (*p != '\0' && *p != '\n') {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *colon = memchr(p, ':', len);

		if (!(*p == ' ' || *p == '\t')) {
			if (colon == NULL || colon == p) {
				*bad_r = g_strndup(p, len);
				return 0;
			}
			for (const char *q = p; q < colon; q++)
				if (*q <= ' ' || *q >= 127) {
					*bad_r = g_strndup(p, len);
					return 0;
				}
		}
		if (g_ascii_strncasecmp(p, "Bcc:", 4) == 0 ||
		    g_ascii_strncasecmp(p, "X-Injected:", 11) == 0) {
			*bad_r = g_strndup(p, len);
			return 0;
		}
		p += len + (nl ? 1 : 0);
	}
	return 1;
}

/* count_header - how many times NAME is a header of the parsed TEXT */
static int
count_header(const char *text, const char *name)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
	int n = 0;

	if (m != NULL) {
		GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(m));

		for (int i = 0; i < g_mime_header_list_get_count(hl); i++)
			if (g_ascii_strcasecmp(g_mime_header_get_name(
			    g_mime_header_list_get_header_at(hl, i)), name) == 0)
				n++;
		g_object_unref(m);
	}
	g_object_unref(p);
	g_object_unref(s);
	return n;
}

/* decoded_clean - the Subject and From names of TEXT, parsed and
 * RFC 2047-decoded, hold no CR or LF */
static int
decoded_clean(const char *text)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
	int ok = m != NULL;

	if (m != NULL) {
		InternetAddressList *l = g_mime_message_get_from(m);
		const char *subject = g_mime_message_get_subject(m);

		ok = subject != NULL && strpbrk(subject, "\r\n") == NULL;
		for (int i = 0; i < internet_address_list_length(l); i++) {
			const char *n = internet_address_get_name(
			    internet_address_list_get_address(l, i));

			if (n != NULL && strpbrk(n, "\r\n") != NULL)
				ok = 0;
		}
		g_object_unref(m);
	}
	g_object_unref(p);
	g_object_unref(s);
	return ok;
}

/*
 * test_fuzz_findings - what fuzz-notice found (tests/fuzz/regress/notice):
 * GMime copies a literal encoded-word into a header and does not escape
 * '=' in an encoded display name, and a value cut at TMPL_VALUE_MAX could
 * split a UTF-8 sequence.
 */
static void
test_fuzz_findings(void)
{
	static const char *const hostile[] = {
		/* a subject facts_parse() decoded once from a doubly encoded
		 * "=?utf-8?b?PT91dGYtOD9iP1EwTUtRbU5qT2lCND89?=" */
		"Out of office: =?utf-8?b?Q0MKQmNjOiB4?=",
		"x=?utf-8?q?a=0D=0ABcc=3A_x=40y?=y",
		/* a display name GMime must encode (8-bit), with "=0D=0A" */
		"{a=0D=0ABcc:x\xc3\xa9",
		"Alice=0D=0ABcc: x@y xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	};
	struct tmpl_var vars[] = { { "delegates", NULL }, { NULL, NULL } };
	GString *long_value = g_string_new("x");
	char *out;

	for (size_t i = 0; i < G_N_ELEMENTS(hostile) * 2; i++) {
		struct notice_input in;
		char *text = NULL, *err = NULL;
		const char *v = hostile[i / 2];

		memset(&in, 0, sizeof(in));
		in.from_address = "alice@example.org";
		in.from_name = i % 2 ? v : "Alice Smith";
		in.to_address = "bob@example.com";
		in.subject = i % 2 ? "Out of office" : v;
		in.body = "b\n";
		in.hostname = "mx.example.org";
		in.unique = "0123456789abcdef";
		in.now = 1798761600;
		tap_ok(notice_build(&in, &text, &err) == 0 && decoded_clean(text),
		    "%s \"%s\": no CR or LF once decoded",
		    i % 2 ? "display name" : "subject", v);
		if (i == 0)
			tap_ok(text && strstr(text, "From: Alice Smith "
			    "<alice@example.org>\n") != NULL,
			    "a plain display name is kept");
		g_free(text);
		g_free(err);
	}
	/*
	 * A display name or subject of runs of white space (LFs made
	 * spaces): GMime folded the From field into a continuation line of
	 * white space only, which a reader may take for the end of the
	 * header (regress/notice/display-name-of-spaces-folds-blank-line).
	 */
	for (int i = 0; i < 2; i++) {
		struct notice_input in;
		char *text = NULL, *err = NULL, *hdr_end;
		GString *v = g_string_new(i ? "Out of office:" : "");
		int blank = 0;

		for (int j = 0; j < 74; j++)
			g_string_append_c(v, j == 40 ? '\x1a' : '\n');
		g_string_append(v, i ? "x" : "");
		memset(&in, 0, sizeof(in));
		in.from_address = "en";
		in.from_name = i ? "Alice" : v->str;
		in.to_address = "bob@example.com";
		in.subject = i ? v->str : "Out of office";
		in.body = "b\n";
		in.hostname = "mx.example.org";
		in.unique = "0123456789abcdef";
		in.now = 1798761600;
		if (notice_build(&in, &text, &err) == 0 &&
		    (hdr_end = strstr(text, "\n\n")) != NULL) {
			for (const char *l = text; l < hdr_end; ) {
				const char *nl = strchr(l, '\n');
				size_t n = (size_t)(nl - l);

				if (n > 0 && strspn(l, " \t") >= n)
					blank = 1;
				l = nl + 1;
			}
		} else
			blank = 1;
		tap_ok(!blank, "%s of white space runs: no header line of "
		    "white space only", i ? "subject" : "display name");
		if (i == 0)
			tap_ok(text && strstr(text, "From: en\n"),
			    "a display name of white space only is dropped");
		else
			tap_ok(text && strstr(text, "Subject: Out of office: x\n"),
			    "runs of white space in the subject become one space");
		g_free(text);
		g_free(err);
		g_string_free(v, TRUE);
	}
	/* 1 + 2 * 700 bytes: the cap at 1000 falls inside a character */
	for (int i = 0; i < 700; i++)
		g_string_append(long_value, "\xc3\xa9");
	vars[0].value = long_value->str;
	out = tmpl_render_text("Delegates: ${delegates}.\n", vars, 0);
	tap_ok(g_utf8_validate(out, -1, NULL) &&
	    strlen(out) <= strlen("Delegates: .\n") + TMPL_VALUE_MAX,
	    "a value cut at TMPL_VALUE_MAX stays UTF-8 (%zu bytes)",
	    strlen(out));
	g_free(out);
	g_string_free(long_value, TRUE);
}

/*
 * test_safe_address - the addresses a notice or forward may go to: one
 * '@', nothing GMime would read as a group, a route, a literal or a
 * second address, nothing sendmail would take as an option
 */
static void
test_safe_address(void)
{
	static const char *const good[] = {
		"bob@example.com", "a.b+c@d.example", "x@[192.0.2.1]",
		"x@[IPv6:2001:db8::1]", "j\xc3\xb6rg@m\xc3\xbcller.example",
		NULL
	};
	static const char *const bad[] = {
		"", "bob", "@example.com", "bob@", "-oQ/tmp@example.com",
		"a@b@c", "x@bob@example.com", "[a@b", "a@[b", "a@[]",
		"a@[1.2.3.4]x", "a@[1]]", "a@b]", "a(b)@c", "a@b(c)",
		"a:b@c", "a@b:c", "\"q\"@example.com", "a b@c", "a@b\r\nBcc: x",
		"<a@b>", "a@b,c@d", "a@b;c", "a\\b@c", "a\x7f@b",
		NULL
	};
	char longest[400];

	for (int i = 0; good[i] != NULL; i++)
		tap_ok(addr_is_safe(good[i]), "safe: %s", good[i]);
	for (int i = 0; bad[i] != NULL; i++) {
		char *shown = g_strescape(bad[i], NULL);

		tap_ok(!addr_is_safe(bad[i]), "refused: \"%s\"", shown);
		g_free(shown);
	}
	memset(longest, 'a', sizeof(longest));
	memcpy(longest + 300, "@example.com", 13);	/* 312 bytes */
	tap_ok(addr_is_safe(longest), "safe: 312 bytes");
	memset(longest, 'a', sizeof(longest));
	memcpy(longest + 320, "@example.com", 13);	/* 332 bytes */
	tap_ok(!addr_is_safe(longest), "refused: 332 bytes");
}

int
main(void)
{
	const char *dir = g_getenv("srcdir") ? g_getenv("srcdir") : ".";
	char *tdir = g_strdup_printf("%s/templates", dir);
	static const char *const langs[] = { "en", "de", "fr", "es", "de-AT", "it", NULL };
	static const char *const want[] = { "en", "de", "fr", "es", "de", "en" };
	static const char *const hostile[] = {
		"line\r\nBcc: victim@example.net",
		"line\nX-Injected: yes",
		"=?utf-8?q?a=0D=0ABcc=3A_x=40y?=",
		"nul\001\002\033[31m",
		"\r\n\r\nbody injection",
		"very long " "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	};
	struct tmpl *t = NULL;
	char *err = NULL, *subject, *body;

	g_mime_init();
	test_safe_address();
	for (int i = 0; langs[i] != NULL; i++) {
		struct tmpl_var vars[] = {
			{ "name", "Alice Smith" }, { "until", "2027-01-04" },
			{ "delegates", "Bob Jones <bob@example.org>" },
			{ "subject", "Contract" }, { NULL, NULL }
		};

		int loaded = tmpl_load(tdir, "notice", langs[i], &t, &err);

		/* loaded first: C does not order the evaluation of arguments */
		tap_ok(loaded == 0 && strcmp(tmpl_language(t), want[i]) == 0,
		    "template for %s is %s", langs[i], t ? tmpl_language(t) : err);
		if (t == NULL) {
			g_free(err);
			err = NULL;
			continue;
		}
		tmpl_render(t, vars, &subject, &body);
		tap_ok(strstr(subject, "Contract") != NULL &&
		    strchr(subject, '\n') == NULL, "%s subject: %s", langs[i], subject);
		tap_ok(strstr(body, "Alice Smith") && strstr(body, "2027-01-04") &&
		    strstr(body, "bob@example.org") && strstr(body, "${") == NULL,
		    "%s body has name, date, delegate, no raw variable", langs[i]);
		g_free(subject);
		g_free(body);
		tmpl_free(&t);
	}
	/* The delegate line disappears when there is none. */
	{
		struct tmpl_var vars[] = { { "name", "A" }, { "until", "x" },
		    { "delegates", "" }, { NULL, NULL } };

		tmpl_load(tdir, "notice", "en", &t, &err);
		tmpl_render(t, vars, &subject, &body);
		tap_ok(strstr(body, "passed on") == NULL, "no delegate: no delegate line");
		g_free(subject);
		g_free(body);
		tmpl_free(&t);
	}
	tap_ok(tmpl_load(tdir, "../etc/passwd", "en", &t, &err) == -1,
	    "template name with a path refused: %s", err ? err : "(none)");
	g_free(err);
	err = NULL;
	tap_ok(tmpl_load("/nonexistent", "notice", "en", &t, &err) == -1,
	    "missing template directory: %s", err ? err : "(none)");
	g_free(err);
	err = NULL;

	/* Hostile values in every header the notice has. */
	tmpl_load(tdir, "notice", "en", &t, &err);
	for (size_t i = 0; i < G_N_ELEMENTS(hostile); i++) {
		struct tmpl_var vars[] = { { "name", hostile[i] },
		    { "until", hostile[i] }, { "delegates", hostile[i] },
		    { "subject", hostile[i] }, { NULL, NULL } };
		struct notice_input in;
		char *text = NULL, *bad = NULL;

		tmpl_render(t, vars, &subject, &body);
		memset(&in, 0, sizeof(in));
		in.from_address = "alice@example.org";
		in.from_name = hostile[i];
		in.to_address = "bob@example.com";
		in.subject = subject;
		in.body = body;
		in.in_reply_to = hostile[i];
		in.references = hostile[i];
		in.hostname = "mx.example.org";
		in.unique = "0123456789abcdef";
		in.now = 1798761600;
		tap_ok(notice_build(&in, &text, &err) == 0, "hostile %zu: built", i);
		tap_ok(text && headers_clean(text, &bad), "hostile %zu: header lines clean%s%s",
		    i, bad ? ": " : "", bad ? bad : "");
		tap_ok(text && count_header(text, "Bcc") == 0 &&
		    count_header(text, "X-Injected") == 0 &&
		    count_header(text, "To") == 1 && count_header(text, "Subject") == 1,
		    "hostile %zu: no injected header, one To, one Subject", i);
		g_free(bad);
		g_free(text);
		g_free(subject);
		g_free(body);
	}
	tmpl_free(&t);

	/* A well-formed notice carries RFC 3834's fields. */
	{
		struct notice_input in;
		char *text = NULL;

		memset(&in, 0, sizeof(in));
		in.from_address = "alice@example.org";
		in.from_name = "Älice Smith";
		in.to_address = "bob@example.com";
		in.subject = "Abwesenheit: Vertrag für Januar";
		in.body = "Grüße\n";
		in.in_reply_to = "c1@partner.example.net";
		in.references = "<a@x.org> <b@y.org>";
		in.hostname = "mx.example.org";
		in.unique = "0123456789abcdef";
		in.now = 1798761600;
		notice_build(&in, &text, &err);
		tap_ok(text && strstr(text, "Auto-Submitted: auto-replied\n"), "Auto-Submitted");
		tap_ok(text && strstr(text, "Precedence: bulk\n"), "Precedence: bulk");
		tap_ok(text && strstr(text, "X-Auto-Response-Suppress: All\n"), "X-Auto-Response-Suppress");
		tap_ok(text && strstr(text, "In-Reply-To: <c1@partner.example.net>\n"), "In-Reply-To");
		tap_ok(text && strstr(text, "References: <a@x.org> <b@y.org> <c1@partner.example.net>"), "References");
		tap_ok(text && strstr(text, "Subject: ") != NULL &&
		    strstr(strstr(text, "Subject: "), "=?UTF-8?") != NULL &&
		    strstr(text, "für") == NULL, "RFC 2047 Subject");
		tap_ok(text && strstr(text, "Content-Transfer-Encoding: quoted-printable"), "quoted-printable body");
		tap_ok(text && strstr(text, "charset=utf-8"), "UTF-8");
		g_free(text);

		/* An IDN address travels in the header as ASCII (xn--), in
		 * whichever form the directory gave it. */
		in.from_address = "alice@m\xc3\xbcller.example";
		in.to_address = "bob@xn--mller-kva.example";
		text = NULL;
		notice_build(&in, &text, &err);
		tap_ok(text && strstr(text, "<alice@xn--mller-kva.example>\n") &&
		    strstr(text, "To: bob@xn--mller-kva.example\n") &&
		    strstr(text, "\xc3\xbc") == NULL,
		    "IDN From and To written as xn--, no 8-bit byte");
		g_free(text);
	}
	test_fuzz_findings();
	g_free(tdir);
	return tap_done();
}
