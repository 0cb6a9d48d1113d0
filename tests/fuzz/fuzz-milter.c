/*
 * fuzz-milter - libFuzzer target: what deputy-milter parses itself
 *
 * libmilter reads the MTA's packets; deputy-milter then reads, from the
 * SMTP client's words, BATV tags, header fields to strip, refused-sender
 * values against senders, and makes a decision per recipient. The first
 * input byte picks one:
 *
 *	0  the rest is an address -> batv_check(), batv_untag(): a tag
 *	   that verifies gives back a plain address that signs to the
 *	   same tag; untag agrees with check on what is tagged
 *	1  the rest is an address -> batv_sign(): what it signs verifies
 *	   at once and 7 days later, is expired 9 days later, and does
 *	   not verify under another key
 *	2  the rest is a key file -> batv_keys_parse(); a loaded file signs
 *	   and verifies a fixed address
 *	3  "NAME\0VALUE" -> strip_decide(), which must remove every field
 *	   deputy itself would trust: the same value as an
 *	   Authentication-Results field of a message that deputy's facts
 *	   and trust gate find authenticating bob@example.com must be
 *	   removed, whatever the case of the name or blanks after it
 *	4  "VALUE\0SENDER" -> refused_parse(), refused_matches(): a value
 *	   that reads has a valid lowercased pattern, writes back to
 *	   itself with refused_format(), never refuses the null sender,
 *	   and an address pattern refuses exactly that address
 *	5  "SENDER\0RCPT" -> mpol_rcpt() against an LDIF directory with
 *	   BATV and SRS on: a refusal is a 5xx with a 5.x.x code, a
 *	   deferral a 4xx with 4.x.x (never, with an LDIF directory), the
 *	   text printable without '%', and a tag taken off is a plain
 *	   address
 *
 * Checks besides no crash / no leak / no undefined behaviour.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <glib.h>

#include "authres.h"
#include "batv.h"
#include "conf.h"
#include "facts.h"
#include "fuzz-common.h"
#include "log.h"
#include "policy.h"
#include "refused.h"
#include "strip.h"
#include "trust.h"

static struct batv_keys *keys_a, *keys_b;
static struct deputy_conf *conf;
static struct mpol *policy;
static char dir[256];

static const char *const ids[] = { "mx.example.org", NULL };
static const char *const spam_headers[] = { "X-Spam-Score", NULL };

/* fuzz_put - write TEXT to DIR/NAME with MODE; abort on failure */
static void
fuzz_put(const char *name, const char *text, mode_t mode)
{
	char   *path = g_build_filename(dir, name, NULL);

	if (!g_file_set_contents(path, text, -1, NULL) || chmod(path, mode))
		abort();
	g_free(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char   *err = NULL, *text, *path;

	(void)argc;
	(void)argv;
	if (batv_keys_parse("4 fuzz-key-a-0123456789\n", 23, &keys_a, &err)
	    || batv_keys_parse("4 fuzz-key-b-0123456789\n", 23, &keys_b, &err))
		abort();
	snprintf(dir, sizeof(dir), "%s/deputy-fuzz-milter-%ld",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp", (long)getpid());
	if (g_mkdir_with_parents(dir, 0700) != 0)
		abort();
	fuzz_put("dir.ldif",
	    "dn: uid=alice,dc=example,dc=org\nmail: alice@example.org\n"
	    "mailAlternateAddress: a.smith@example.org\n\n"
	    "dn: uid=dis,dc=example,dc=org\nmail: dis@example.org\n"
	    "deputyAccountStatus: disabled\n\n"
	    "dn: uid=bob,dc=example,dc=org\nmail: bob@example.org\n"
	    "deputyRefusedSender: spammer@spam.example\n"
	    "deputyRefusedSender: @.junk.example;until=20991231\n"
	    "deputyRefusedSender: broken;value\n\n", 0644);
	fuzz_put("batv.key", "4 fuzz-key-a-0123456789\n", 0600);
	fuzz_put("srs.key", "fuzz-srs-key-0123456789abcdef\n", 0600);
	text = g_strdup_printf(
	    "directory { ldif_file = \"%s/dir.ldif\" }\n"
	    "submission { srs_domain = \"example.org\" "
	    "srs_key_file = \"%s/srs.key\" }\n"
	    "log { file = \"/dev/null\" }\n"
	    "milter { recipient_domains = {\"example.org\"} "
	    "batv_key_file = \"%s/batv.key\" batv_domains = "
	    "{\"example.org\"} }\n", dir, dir, dir);
	fuzz_put("deputy.conf", text, 0600);
	g_free(text);
	path = g_build_filename(dir, "deputy.conf", NULL);
	if (conf_load(path, &conf, &err) != 0 || mpol_open(conf, &policy,
	    &err) != 0) {
		fprintf(stderr, "fuzz-milter: %s\n", err);
		abort();
	}
	g_free(path);
	facts_init();
	log_open("fuzz-milter", 0, "/dev/null");
	return 0;
}

/* fuzz_plain - abort unless S is a local@domain address without
 * control characters */
static void
fuzz_plain(const char *what, const char *s)
{
	if (s == NULL || strchr(s, '@') == NULL)
		goto bad;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			goto bad;
	return;
bad:
	fprintf(stderr, "milter: %s is not an address: \"%s\"\n", what,
	    s != NULL ? s : "(null)");
	abort();
}

/* fuzz_batv_check - mode 0 */
static void
fuzz_batv_check(const char *a)
{
	char   *orig = NULL, *untag = batv_untag(a), *again = NULL, *err = NULL;
	enum batv_status st = batv_check(keys_a, a, FUZZ_NOW, &orig);

	if ((st == BATV_VALID || st == BATV_EXPIRED) != (orig != NULL))
		abort();
	if (st != BATV_UNTAGGED && g_ascii_strncasecmp(a, "prvs=", 5) != 0)
		abort();
	if (orig != NULL) {
		fuzz_plain("batv_check's address", orig);
		if (untag == NULL || strcmp(untag, orig) != 0)
			abort();
	}
	if (st == BATV_VALID && strlen(orig) <= BATV_ADDRESS_MAX - 20) {
		/* its tag is one we would make for that address, some day */
		if (batv_check(keys_b, a, FUZZ_NOW, NULL) == BATV_VALID)
			abort();
		if (batv_sign(keys_a, orig, FUZZ_NOW, &again, &err) == 0
		    && batv_check(keys_a, again, FUZZ_NOW, NULL) != BATV_VALID)
			abort();
	}
	g_free(err);
	g_free(again);
	g_free(orig);
	g_free(untag);
}

/* fuzz_batv_sign - mode 1 */
static void
fuzz_batv_sign(const char *a)
{
	char   *tagged = NULL, *err = NULL, *orig = NULL;
	int	rc = batv_sign(keys_a, a, FUZZ_NOW, &tagged, &err);

	if (rc == 0 ? tagged == NULL || err != NULL : tagged != NULL
	    || err == NULL)
		abort();
	if (rc == 0) {
		if (batv_check(keys_a, tagged, FUZZ_NOW, &orig) != BATV_VALID
		    || strcmp(orig, a) != 0
		    || batv_check(keys_a, tagged, FUZZ_NOW + 7 * 86400, NULL)
		    != BATV_VALID
		    || batv_check(keys_a, tagged, FUZZ_NOW + 9 * 86400, NULL)
		    != BATV_EXPIRED
		    || batv_check(keys_b, tagged, FUZZ_NOW, NULL) != BATV_BAD)
			abort();
	}
	g_free(orig);
	g_free(tagged);
	g_free(err);
}

/* fuzz_batv_keys - mode 2 */
static void
fuzz_batv_keys(const uint8_t *data, size_t size)
{
	struct batv_keys *k = NULL;
	char   *err = NULL, *tagged = NULL;

	if (batv_keys_parse((const char *)data, size, &k, &err) == 0) {
		if (err != NULL || batv_sign(k, "alice@example.org", FUZZ_NOW,
		    &tagged, &err) != 0 || batv_check(k, tagged, FUZZ_NOW,
		    NULL) != BATV_VALID)
			abort();
	} else if (err == NULL || k != NULL)
		abort();
	g_free(tagged);
	g_free(err);
	batv_keys_free(&k);
}

/* fuzz_trusted - whether deputy trusts VALUE as our A-R field */
static int
fuzz_trusted(const char *value)
{
	static const char *const no_spam[] = { NULL };
	struct facts_settings fset = { "X-Deputy-Loop", no_spam };
	struct trust_settings tset = { ids, 1, TRUST_DEFAULT_PSL };
	struct trust_verdict v = { 0, NULL };
	struct facts *f = NULL;
	GString *m = g_string_new("Received: by mx.example.org\r\n"
	    "Authentication-Results:");
	char   *err = NULL;
	int	fd, yes;

	g_string_append(m, value);
	g_string_append(m, "\r\nFrom: <bob@example.com>\r\n\r\nbody\r\n");
	fd = fuzz_memfd((const uint8_t *)m->str, m->len);
	g_string_free(m, TRUE);
	if (facts_parse(fd, &fset, &f, &err) != 0)
		abort();
	trust_authenticate(f, "bob@example.com", &tset, &v);
	yes = v.authenticated;
	trust_verdict_clear(&v);
	facts_free(&f);
	return yes;
}

/* fuzz_strip - mode 3 */
static void
fuzz_strip(const char *name, const char *value)
{
	struct strip_settings set = { ids, spam_headers };
	enum strip_what w = strip_decide(&set, name, value);
	enum strip_what canon;

	if (w != STRIP_KEEP && w != STRIP_AUTHRES && w != STRIP_HEADER)
		abort();
	if (!strip_name_is(name, "Authentication-Results"))
		return;
	canon = strip_decide(&set, "AUTHENTICATION-RESULTS \t", value);
	if (canon != w)
		abort();			/* the name's form matters not */
	/* what deputy would trust must go (no CR or LF: one field) */
	if (w == STRIP_KEEP && strpbrk(value, "\r\n") == NULL
	    && strlen(value) < 4096 && fuzz_trusted(value)) {
		fprintf(stderr, "milter: deputy trusts \"%s\" but it is kept\n",
		    value);
		abort();
	}
}

/* fuzz_refused - mode 4 */
static void
fuzz_refused(const char *value, const char *sender)
{
	struct refused r, back;
	char   *v;

	if (refused_parse(value, &r) != 0) {
		if (r.pattern != NULL || r.until != 0)
			abort();
		return;
	}
	if (!refused_pattern_ok(r.pattern))
		abort();
	for (const char *p = r.pattern; *p; p++)
		if (g_ascii_isupper(*p))
			abort();
	if (refused_matches(&r, "", FUZZ_NOW))
		abort();
	v = refused_format(r.pattern, r.until != 0 ? r.until - 1 : 0);
	if (refused_parse(v, &back) != 0 || strcmp(back.pattern, r.pattern)
	    != 0 || back.until != r.until || !refused_same_pattern(v,
	    r.pattern))
		abort();
	if (r.pattern[0] != '@' && (r.until == 0 || FUZZ_NOW < r.until)
	    && refused_matches(&r, sender, FUZZ_NOW)
	    != (g_ascii_strcasecmp(r.pattern, sender) == 0))
		abort();
	refused_clear(&back);
	refused_clear(&r);
	g_free(v);
}

/* fuzz_rcpt - mode 5 */
static void
fuzz_rcpt(const char *sender, const char *rcpt)
{
	struct mpol_envelope env = { sender, 0, "192.0.2.1", FUZZ_NOW };
	struct mpol_reply r;
	struct mpol_rcpt_info info;

	for (int sub = 0; sub < 2; sub++) {
		env.submission = sub;
		mpol_rcpt(policy, &env, rcpt, &r, &info);
		switch (r.action) {
		case MPOL_CONTINUE:
			if (r.text != NULL || r.code != NULL)
				abort();
			if (info.untagged != NULL)
				fuzz_plain("untagged", info.untagged);
			break;
		case MPOL_REJECT:
			if (r.code[0] != '5' || r.dsn[0] != '5')
				abort();
			break;
		default:
			abort();	/* an LDIF directory never fails */
		}
		for (const unsigned char *p = (const unsigned char *)r.text;
		     p != NULL && *p; p++)
			if (*p < 0x20 || *p >= 0x7f || *p == '%')
				abort();
		mpol_reply_clear(&r);
		mpol_rcpt_info_clear(&info);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char   *s, *second;
	size_t	n;

	if (size < 1 || size > 16384)
		return 0;
	s = fuzz_strndup(data + 1, size - 1);
	n = strlen(s);
	second = n + 1 < size - 1 ? s + n + 1 : s + n;	/* after the NUL */
	switch (data[0] % 6) {
	case 0: fuzz_batv_check(s); break;
	case 1: fuzz_batv_sign(s); break;
	case 2: fuzz_batv_keys(data + 1, size - 1); break;
	case 3: fuzz_strip(s, second); break;
	case 4: fuzz_refused(s, second); break;
	case 5: fuzz_rcpt(s, second); break;
	}
	free(s);
	return 0;
}
