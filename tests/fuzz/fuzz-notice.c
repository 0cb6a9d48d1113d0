/*
 * fuzz-notice - libFuzzer target: a notice template and hostile
 * variables -> tmpl_load() -> tmpl_render() -> notice_build()
 *
 * The input is NUL-separated fields (a missing field is unset):
 *
 *	TEMPLATE \0 name \0 address \0 until \0 delegates \0 subject
 *	\0 to-address \0 in-reply-to \0 references \0 language
 *
 * TEMPLATE is written as notice.en (and, when the input length is odd,
 * also as notice.de) in a private directory and loaded as tmpl_load()
 * would in deputy-lda; the other fields are what the directory and the
 * incoming message control: the template variables, the envelope
 * sender the notice goes to, and the ids it refers to. As in
 * lda_notice(), "address" is also the From address and "name" the
 * display name.
 *
 * Checks besides no crash / no leak:
 * - tmpl_load(): 0 with a template, or -1 with an error and none;
 * - the rendered subject has no control character, no leading white
 *   space, at most TMPL_SUBJECT_MAX bytes (a cut may leave a trailing
 *   space); the body has no CR and
 *   no more LF than the template's body (values never add a line);
 *   with UTF-8 values both are UTF-8;
 * - notice_build(): fails only for an address with CR or LF; its text
 *   has no CR at all; every header line is a known field "Name: ..." or
 *   a continuation that starts with SP or HT and holds more than white
 *   space; each field appears once (Message-Id, In-Reply-To, References
 *   at most once); the header ends with an empty line before the body;
 * - parsed back with GMime: From and To are exactly the addresses
 *   given (when lda_notice() would use them and they are plain
 *   dot-atom@dot-atom), and neither the subject nor a From name
 *   has a control character (but the HT of folding) once decoded.
 */

#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "addr.h"
#include "facts.h"
#include "envelope.h"
#include "fuzz-common.h"
#include "notice.h"
#include "tmpl.h"

#define NFIELDS 10

static char *tdir;		/* private template directory */

/* fuzz_fail - print why and the offending text, then abort */
static void __attribute__((noreturn))
fuzz_fail(const char *why, const char *text)
{
	fprintf(stderr, "notice: %s\n---\n%s\n---\n", why,
	    text != NULL ? text : "(null)");
	abort();
}

/*
 * fuzz_no_ctl - whether S (or NULL) is free of control characters but
 * HT (GMime folds address fields with LF HT; unfolding keeps the HT)
 */
static int
fuzz_no_ctl(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return 0;
	return 1;
}

/* fuzz_count - how many times C occurs in S */
static size_t
fuzz_count(const char *s, char c)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == c;
	return n;
}

/* fuzz_check_header - the header lines of TEXT, as promised by notice.h */
static void
fuzz_check_header(const char *text, int has_irt, int has_refs)
{
	static const char *const once[] = { "From", "To", "Subject", "Date",
	    "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
	    "Auto-Submitted", "Precedence", "X-Auto-Response-Suppress",
	    NULL };
	static const char *const optional[] = { "Message-Id",
	    "In-Reply-To", "References", NULL };
	int	seen_once[10] = { 0 }, seen_opt[3] = { 0 };
	const char *p = text;

	if (strchr(text, '\r') != NULL)
		fuzz_fail("a CR in the notice", text);
	if (*p == ' ' || *p == '\t')
		fuzz_fail("the header starts with a continuation", text);
	while (*p != '\n') {
		const char *nl = strchr(p, '\n');
		size_t	len, nlen;
		int	i, known = 0;

		if (nl == NULL)
			fuzz_fail("no empty line after the header", text);
		len = (size_t)(nl - p);
		if (*p == ' ' || *p == '\t') {
			if (strspn(p, " \t") >= len)
				fuzz_fail("a header line of white space only",
				    text);
			p = nl + 1;
			continue;
		}
		nlen = strcspn(p, ":\n");
		if (nlen == 0 || nlen >= len)
			fuzz_fail("a header line that is no field", text);
		for (i = 0; once[i] != NULL; i++)
			if (strlen(once[i]) == nlen &&
			    g_ascii_strncasecmp(p, once[i], nlen) == 0) {
				seen_once[i]++;
				known = 1;
			}
		for (i = 0; optional[i] != NULL; i++)
			if (strlen(optional[i]) == nlen &&
			    g_ascii_strncasecmp(p, optional[i], nlen) == 0) {
				seen_opt[i]++;
				known = 1;
			}
		if (!known)
			fuzz_fail("an unknown header field", text);
		p = nl + 1;
	}
	for (int i = 0; once[i] != NULL; i++)
		if (seen_once[i] != 1)
			fuzz_fail("a field missing or repeated", text);
	if (seen_opt[0] != 1 || seen_opt[1] != has_irt ||
	    seen_opt[2] != has_refs)
		fuzz_fail("Message-Id, In-Reply-To or References wrong", text);
}

/*
 * fuzz_comparable - whether address A must come back unchanged: one that
 * lda_notice() would use, a dot-atom, '@', and a dot-atom.
 * Others are not plain addr-specs to GMime: an 8-bit one is written raw
 * (SMTPUTF8-style) and read back through GMime's charset fallback, a
 * domain literal comes back in its own form, and an "xn--" domain is
 * written as it is but read back decoded to Unicode.
 */
static int
fuzz_comparable(const char *a)
{
	const char *at = strchr(a, '@');

	if (!addr_is_safe(a) || strcasestr(a, "xn--") != NULL ||
	    a[0] == '.' || at[-1] == '.' || at[1] == '.' ||
	    a[strlen(a) - 1] == '.' || strstr(a, "..") != NULL)
		return 0;
	for (; *a != '\0'; a++)
		if (!g_ascii_isalnum(*a) &&
		    strchr("!#$%&'*+-/=?^_`{|}~.@", *a) == NULL)
			return 0;
	return 1;
}

/* fuzz_one_mailbox - whether L is exactly the one mailbox ADDR */
static int
fuzz_one_mailbox(InternetAddressList *l, const char *addr)
{
	InternetAddress *a;

	return internet_address_list_length(l) == 1 &&
	    INTERNET_ADDRESS_IS_MAILBOX(a =
	    internet_address_list_get_address(l, 0)) &&
	    strcmp(internet_address_mailbox_get_addr(
	    INTERNET_ADDRESS_MAILBOX(a)), addr) == 0;
}

/*
 * fuzz_unfold - TEXT with its header unfolded (each LF before SP or HT
 * removed, RFC 5322 2.2.3): GMime's parser keeps the folding LF inside
 * a display name, so a line break found after decoding must then come
 * from an encoded-word
 */
static char *
fuzz_unfold(const char *text)
{
	GString *out = g_string_new(NULL);
	const char *p = text;

	for (; *p != '\0'; p++) {
		if (p[0] == '\n' && p[1] == '\n')
			break;
		if (p[0] == '\n' && (p[1] == ' ' || p[1] == '\t'))
			continue;
		g_string_append_c(out, *p);
	}
	g_string_append(out, p);
	return g_string_free(out, FALSE);
}

/* fuzz_check_parsed - parse TEXT back: one From, one To, clean Subject */
static void
fuzz_check_parsed(const char *text, const char *to, const char *from)
{
	char   *unfolded = fuzz_unfold(text);
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(unfolded,
	    strlen(unfolded));
	GMimeParser *parser = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(parser, NULL);
	InternetAddressList *l;
	const char *subject;

	if (m == NULL)
		fuzz_fail("GMime cannot parse the notice", text);
	l = g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_TO);
	if (fuzz_comparable(to) && !fuzz_one_mailbox(l, to))
		fuzz_fail("To is not the one envelope sender", text);
	l = g_mime_message_get_from(m);
	if (fuzz_comparable(from) && !fuzz_one_mailbox(l, from))
		fuzz_fail("From is not the one address given", text);
	for (int i = 0; i < internet_address_list_length(l); i++)
		if (!fuzz_no_ctl(internet_address_get_name(
		    internet_address_list_get_address(l, i))))
			fuzz_fail("a control character in the decoded From "
			    "name", text);
	subject = g_mime_message_get_subject(m);
	if (subject == NULL)
		fuzz_fail("no Subject after parsing", text);
	if (!fuzz_no_ctl(subject))
		fuzz_fail("a control character in the decoded Subject", text);
	g_object_unref(m);
	g_object_unref(parser);
	g_object_unref(s);
	g_free(unfolded);
}

/*
 * fuzz_write - DIR/FILE holds DATA. A new file each time, never
 * truncated: on ext4 a file truncated to 0 and rewritten (O_TRUNC,
 * ftruncate) or renamed over another (g_file_set_contents()) is flushed
 * to disk on close, which made this target run at 80 inputs a second.
 */
static void
fuzz_write(const char *file, const char *data, size_t size)
{
	char   *path = g_strdup_printf("%s/%s", tdir, file);
	int	fd;

	if (unlink(path) != 0 && errno != ENOENT)
		abort();
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	g_free(path);
}

/* fuzz_cleanup - remove the template directory at exit */
static void
fuzz_cleanup(void)
{
	static const char *const files[] = { "notice.en", "notice.de", NULL };

	for (int i = 0; files[i] != NULL; i++) {
		char   *path = g_strdup_printf("%s/%s", tdir, files[i]);

		(void)unlink(path);
		g_free(path);
	}
	(void)rmdir(tdir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	facts_init();		/* g_mime_init(), as deputy-lda does */
	tdir = g_strdup_printf("%s/deputy-fuzz-notice-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (g_mkdtemp(tdir) == NULL)
		abort();
	atexit(fuzz_cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *f[NFIELDS] = { NULL };
	char   *text = fuzz_strndup(data, size);
	char   *subject = NULL, *body = NULL, *out = NULL, *error = NULL;
	const char *tbody, *p = text, *end = text + size;
	struct notice_input in;
	struct tmpl *t = NULL;
	int	rc, utf8 = 1, n;

	for (n = 0; n < NFIELDS && p <= end; n++) {
		f[n] = p;
		p += strlen(p) + 1;
	}
	fuzz_write("notice.en", f[0], strlen(f[0]));
	if (size & 1) {
		fuzz_write("notice.de", f[0], strlen(f[0]));
	} else {
		char   *de = g_strdup_printf("%s/notice.de", tdir);

		if (unlink(de) != 0 && errno != ENOENT)
			abort();
		g_free(de);
	}

	rc = tmpl_load(tdir, "notice", f[9], &t, &error);
	if (rc == 0 ? t == NULL || error != NULL :
	    rc != -1 || t != NULL || error == NULL)
		abort();
	if (rc != 0) {
		g_free(error);
		free(text);
		return 0;
	}
	{
		const struct tmpl_var vars[] = {
			{ "name", f[1] }, { "address", f[2] },
			{ "until", f[3] }, { "delegates", f[4] },
			{ "subject", f[5] }, { NULL, NULL }
		};

		tmpl_render(t, vars, &subject, &body);
		for (int i = 1; i <= 5; i++)
			if (f[i] != NULL && !g_utf8_validate(f[i], -1, NULL))
				utf8 = 0;
	}
	/* the subject: one clean line */
	if (strlen(subject) > TMPL_SUBJECT_MAX)
		fuzz_fail("subject longer than TMPL_SUBJECT_MAX", subject);
	for (const unsigned char *q = (const unsigned char *)subject; *q; q++)
		if (*q < 0x20 || *q == 0x7f)
			fuzz_fail("a control character in the subject",
			    subject);
	if (g_ascii_isspace(subject[0]))
		fuzz_fail("white space before the subject", subject);
	/* the body: the template's lines only */
	tbody = strstr(f[0], "\n\n");
	if (tbody == NULL || strchr(body, '\r') != NULL ||
	    fuzz_count(body, '\n') > fuzz_count(tbody + 2, '\n'))
		fuzz_fail("a value added a line to the body", body);
	if (utf8 && !g_utf8_validate(subject, -1, NULL))
		fuzz_fail("UTF-8 values gave a subject that is not UTF-8",
		    subject);
	if (utf8 && !g_utf8_validate(body, -1, NULL))
		fuzz_fail("UTF-8 values gave a body that is not UTF-8", body);

	memset(&in, 0, sizeof(in));
	in.from_address = f[2] != NULL ? f[2] : "alice@example.org";
	in.from_name = f[1];
	in.to_address = f[6] != NULL ? f[6] : "bob@example.com";
	in.subject = subject;
	in.body = body;
	in.in_reply_to = f[7];
	in.references = f[8];
	in.hostname = "mx.example.org";
	in.unique = "0123456789abcdef";
	in.now = FUZZ_NOW;
	rc = notice_build(&in, &out, &error);
	if (strpbrk(in.from_address, "\r\n") != NULL ||
	    strpbrk(in.to_address, "\r\n") != NULL) {
		if (rc != -1 || error == NULL)
			abort();
	} else {
		char   *refs_probe;
		int	has_irt = notice_msgid_ok(in.in_reply_to);
		int	has_refs;

		if (rc != 0 || out == NULL || error != NULL)
			abort();
		/* References: any clean <id> of the raw value, or In-Reply-To */
		refs_probe = g_strdup(in.references ? in.references : "");
		has_refs = has_irt;
		for (char *lt = strchr(refs_probe, '<'); lt != NULL && !has_refs;) {
			char   *gt = strchr(lt, '>');

			if (gt == NULL)
				break;
			*gt = '\0';
			has_refs = notice_msgid_ok(lt + 1);
			lt = strchr(gt + 1, '<');
		}
		g_free(refs_probe);
		fuzz_check_header(out, has_irt, has_refs);
		fuzz_check_parsed(out, in.to_address, in.from_address);
	}
	g_free(out);
	g_free(error);
	g_free(subject);
	g_free(body);
	tmpl_free(&t);
	free(text);
	return 0;
}
