/*
 * fuzz-srs - libFuzzer target: SRS0 addresses -> srs_reverse(),
 * srs_forward(), srs_is_srs0(), srs_key_load()
 *
 * A bounce to an SRS0 address is the only way a stranger reaches the
 * SRS code, and what srs_reverse() returns becomes an envelope
 * recipient. The first input byte picks one of three modes; its high
 * bits move the clock by 0..63 days:
 *
 *	0  the rest is an address -> srs_reverse() under two keys; an
 *	   address that verifies must be what srs_forward() makes of the
 *	   sender it names (on one of the last SRS_MAX_AGE_DAYS + 1 days)
 *	1  "DOMAIN\0SENDER": srs_forward(), then srs_reverse() of the
 *	   result must give SENDER back byte for byte, at the same day and
 *	   SRS_MAX_AGE_DAYS later, and must fail a day after that and
 *	   under another key; a second hop through us unwraps one layer
 *	2  the rest is a key file -> srs_key_load() (mode 0600, ours), and
 *	   a loaded key must sign and verify a fixed sender
 *
 * Checks besides no crash / no leak: 0 with a result and no error, or
 * -1 with an error and no result; every result is a plain address
 * (no control character, space, quote, bracket or angle bracket, one
 * '@', at most SRS_ADDRESS_MAX bytes); srs_reverse() succeeds only on
 * what srs_is_srs0() accepts.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "fuzz-common.h"
#include "srs.h"

static struct srs_key *key_a, *key_b;

/* fuzz_plain - abort unless S is a plain local@domain address */
static void
fuzz_plain(const char *what, const char *s)
{
	const char *at;

	if (s == NULL || strlen(s) > SRS_ADDRESS_MAX)
		goto bad;
	at = strchr(s, '@');
	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@'))
		goto bad;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("\"<>()[],;:\\", *p))
			goto bad;
	return;
bad:
	fprintf(stderr, "srs: %s is not a plain address: \"%s\"\n", what,
	    s != NULL ? s : "(null)");
	abort();
}

/* fuzz_result - the 0-or--1 contract of every srs_ function */
static void
fuzz_result(int rc, char *out, char *error)
{
	if (rc == 0 ? out == NULL || error != NULL :
	    rc != -1 || out != NULL || error == NULL)
		abort();
}

/* fuzz_reverse - srs_reverse() with the checks; returns rc, sets *out_r */
static int
fuzz_reverse(const struct srs_key *key, const char *addr, time_t now,
	     char **out_r)
{
	char   *error = NULL;
	int	rc;

	rc = srs_reverse(key, addr, now, out_r, &error);
	fuzz_result(rc, *out_r, error);
	if (rc == 0) {
		if (!srs_is_srs0(addr))
			abort();
		fuzz_plain("srs_reverse result", *out_r);
	}
	g_free(error);
	return rc;
}

/*
 * fuzz_inverse - ADDR, which srs_reverse() accepted at NOW and turned
 * into SENDER, must be what srs_forward() makes of SENDER on one of the
 * SRS_MAX_AGE_DAYS + 1 days before NOW (letter case aside): an address
 * that verifies but names another sender would be a forgery
 */
static void
fuzz_inverse(const struct srs_key *key, const char *addr, const char *sender,
	     time_t now)
{
	const char *domain = strrchr(addr, '@') + 1;

	for (int age = 0; age <= SRS_MAX_AGE_DAYS; age++) {
		char   *fwd = NULL, *error = NULL;
		int	same;

		if (srs_forward(key, domain, sender, now - age * 86400, &fwd,
		    &error) != 0) {
			fprintf(stderr, "srs: \"%s\" verified, but its sender "
			    "\"%s\" cannot be forwarded: %s\n", addr, sender,
			    error);
			abort();
		}
		same = g_ascii_strcasecmp(fwd, addr) == 0;
		g_free(fwd);
		if (same)
			return;
	}
	fprintf(stderr, "srs: \"%s\" verified as \"%s\", which forwards to "
	    "another address\n", addr, sender);
	abort();
}

/* fuzz_round_trip - forward SENDER in DOMAIN, reverse, compare */
static void
fuzz_round_trip(const struct srs_key *key, const char *domain,
		const char *sender, time_t now)
{
	char   *fwd = NULL, *fwd2 = NULL, *back = NULL, *back2 = NULL;
	char   *error = NULL;
	int	rc;

	rc = srs_forward(key, domain, sender, now, &fwd, &error);
	fuzz_result(rc, fwd, error);
	g_free(error);
	error = NULL;
	if (rc != 0)
		return;
	if (*sender == '\0') {
		if (*fwd != '\0')	/* the null sender stays null */
			abort();
		g_free(fwd);
		return;
	}
	fuzz_plain("srs_forward result", fwd);
	if (!srs_is_srs0(fwd))
		abort();
	/* what we signed today verifies today and SRS_MAX_AGE_DAYS later */
	if (fuzz_reverse(key, fwd, now, &back) != 0 || strcmp(back, sender))
		goto mismatch;
	g_free(back);
	back = NULL;
	if (fuzz_reverse(key, fwd, now + SRS_MAX_AGE_DAYS * 86400, &back) != 0
	    || strcmp(back, sender) != 0)
		goto mismatch;
	g_free(back);
	back = NULL;
	/* ... but not a day later, and never under another key */
	if (fuzz_reverse(key, fwd, now + (SRS_MAX_AGE_DAYS + 1) * 86400,
	    &back) == 0)
		goto mismatch;
	if (key != key_b && fuzz_reverse(key_b, fwd, now, &back) == 0) {
		/* 24 bits of hash, case-folded: a collision is possible
		 * but must give the same sender back */
		if (strcmp(back, sender) != 0)
			goto mismatch;
		g_free(back);
		back = NULL;
	}
	/* a second hop through us: one layer per bounce */
	rc = srs_forward(key, domain, fwd, now, &fwd2, &error);
	fuzz_result(rc, fwd2, error);
	g_free(error);
	if (rc == 0) {
		fuzz_plain("second srs_forward result", fwd2);
		if (fuzz_reverse(key, fwd2, now, &back2) != 0 ||
		    strcmp(back2, fwd) != 0)
			goto mismatch;
	}
	g_free(fwd);
	g_free(fwd2);
	g_free(back2);
	return;
mismatch:
	fprintf(stderr, "srs: round trip of \"%s\" in \"%s\": \"%s\" -> "
	    "\"%s\" / \"%s\" -> \"%s\"\n", sender, domain, fwd,
	    back ? back : "(fail)", fwd2 ? fwd2 : "-",
	    back2 ? back2 : "(fail)");
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char a[] = "fuzz key A: sixteen bytes or more";
	static const char b[] = "fuzz key B, another secret entirely";

	(void)argc;
	(void)argv;
	key_a = srs_key_new(a, sizeof(a) - 1);
	key_b = srs_key_new(b, sizeof(b) - 1);
	if (key_a == NULL || key_b == NULL ||
	    srs_key_new(a, SRS_KEY_MIN - 1) != NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	time_t	now;
	char   *text, *out = NULL, *error = NULL;
	const char *domain, *sender;
	struct srs_key *key = NULL;
	int	rc;

	if (size < 1)
		return 0;
	now = FUZZ_NOW + (time_t)(data[0] >> 2) * 86400;
	text = fuzz_strndup(data + 1, size - 1);
	switch (data[0] & 3) {
	case 0:
	case 3:
		(void)srs_is_srs0(text);
		if (fuzz_reverse(key_a, text, now, &out) == 0)
			fuzz_inverse(key_a, text, out, now);
		g_free(out);
		out = NULL;
		(void)fuzz_reverse(key_b, text, now, &out);
		g_free(out);
		/* no key: always an error */
		if (srs_reverse(NULL, text, now, &out, &error) != -1 ||
		    out != NULL || error == NULL)
			abort();
		g_free(error);
		break;
	case 1:
		/* DOMAIN\0SENDER; without a NUL, a fixed domain */
		if (memchr(data + 1, '\0', size - 1) != NULL) {
			domain = text;
			sender = text + strlen(text) + 1;
		} else {
			domain = "srs.example.org";
			sender = text;
		}
		fuzz_round_trip(key_a, domain, sender, now);
		break;
	case 2:
		rc = srs_key_load(fuzz_file("srs-key", data + 1, size - 1),
		    &key, &error);
		if (rc == 0 ? key == NULL || error != NULL :
		    rc != -1 || key != NULL || error == NULL)
			abort();
		g_free(error);
		if (key != NULL)
			fuzz_round_trip(key, "srs.example.org",
			    "Alice.Smith+tag@Example.COM", now);
		srs_key_free(&key);
		if (key != NULL)
			abort();
		break;
	}
	free(text);
	return 0;
}
