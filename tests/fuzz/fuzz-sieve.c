/*
 * fuzz-sieve - libFuzzer target: a user's Sieve script and a message ->
 * script_run_isolated(), the way deputy-lda runs every script
 *
 * The input is the script, a NUL byte, then the message as the MTA
 * would pipe it; with no NUL, the whole input is the script and a fixed
 * message is used. A script that script_load() would refuse (over
 * 64 KiB, not UTF-8, holding a NUL) is not run, as deputy-lda never
 * runs one. Beyond "no crash, no leak of deputy's own" it checks the
 * promises of script.h: the message is never lost (a failed script
 * keeps, and some action always holds a copy unless the script said
 * discard, reject or redirect), the action cap holds, and the error,
 * which libsieve writes with pieces of the script in it, is one line.
 * (Folder names and redirect addresses are checked where deputy-lda
 * uses them: maildir_folder() and addr_is_safe(), fuzzed apart.)
 *
 * The script runs in a child process (sieve/isolate.c) because this
 * target, run in process, found libsieve 2.2.6 overwriting its own
 * heap within seconds (tests/fuzz/regress/sieve/). So what is fuzzed
 * is the promise that matters: whatever the script, deputy-lda
 * survives and the message is placed. libFuzzer's coverage covers the
 * parent only; libsieve is not instrumented anyway, and deputy's
 * callbacks are covered under ASan and valgrind by test-sieve and
 * tests/blackbox/sieve.sh, which run them in process.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "addr.h"
#include "facts.h"
#include "fuzz-common.h"
#include "script.h"

#define FUZZ_MAX_SCRIPT (64 * 1024)	/* sieve.max_script_kb default */
#define FUZZ_MAX_ACTIONS 32

static const char fuzz_message[] =
    "From: Bob <bob@example.com>\n"
    "To: Carol <carol@example.org>\n"
    "Subject: question\n"
    "Message-ID: <1@example.com>\n"
    "\n"
    "Hello.\n";

/* fuzz_fail - report the broken promise and stop */
static void
fuzz_fail(const char *why, const char *detail)
{
	fprintf(stderr, "sieve: %s: %s\n", why, detail != NULL ? detail :
	    "(null)");
	abort();
}

static volatile size_t fuzz_sink;

/* fuzz_strv - count V, reading each element to its end (for ASan) */
static unsigned int
fuzz_strv(char **v)
{
	unsigned int n = 0;

	for (; v != NULL && v[n] != NULL; n++)
		fuzz_sink += strlen(v[n]);
	return n;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	facts_init();		/* GMime, as deputy-lda sets it up */
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t script_len = nul != NULL ? (size_t)(nul - data) : size;
	const char *msg = nul != NULL ? (const char *)nul + 1 : fuzz_message;
	size_t msg_len = nul != NULL ? size - script_len - 1 :
	    sizeof(fuzz_message) - 1;
	struct script_message m;
	struct script_outcome out;
	unsigned int folders, redirects;
	char *text;

	if (script_len > FUZZ_MAX_SCRIPT ||
	    !g_utf8_validate((const char *)data, (gssize)script_len, NULL))
		return 0;
	text = fuzz_strndup(data, script_len);
	m.fd = fuzz_memfd((const uint8_t *)msg, msg_len);
	m.offset = 0;
	m.size = (off_t)msg_len;
	m.sender = "bob@example.com";
	m.recipient = "carol@example.org";

	script_run_isolated(text, &m, FUZZ_MAX_ACTIONS, 10, &out);

	folders = fuzz_strv(out.folders);
	redirects = fuzz_strv(out.redirects);
	(void)fuzz_strv(out.notes);
	if (out.error != NULL && strpbrk(out.error, "\r\n") != NULL)
		fuzz_fail("an error of more than one line", out.error);
	if (out.error != NULL && (!out.keep || folders > 0 || redirects > 0 ||
	    out.discard || out.reject != NULL || out.vacation))
		fuzz_fail("a failed script must keep and do nothing else",
		    out.error);
	if (!out.keep && folders == 0 && !out.discard && redirects == 0 &&
	    out.reject == NULL)
		fuzz_fail("the message is kept nowhere", text);
	if (out.actions > FUZZ_MAX_ACTIONS || folders > FUZZ_MAX_ACTIONS ||
	    redirects > FUZZ_MAX_ACTIONS)
		fuzz_fail("more actions than the cap", text);
	script_outcome_clear(&out);
	free(text);
	return 0;
}
