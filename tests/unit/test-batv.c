/*
 * test-batv - BATV prvs tags: keys, signing, checking, rotation, age
 */

#include "config.h"

#include <string.h>

#include <glib.h>

#include "batv.h"
#include "tap.h"

#define DAY	86400
#define T0	((time_t)20000 * DAY + 3600)	/* a fixed clock */

static const char keytext[] =
    "# BATV keys: the first signs\n"
    "3 the-newest-secret-of-all\n"
    "\n"
    "1 an-older-secret-still-valid\n";

static const struct {
	const char *text;
	int ok;
	const char *what;
} key_cases[] = {
	{ "0 0123456789abcdef\n", 0, "one key of 16 bytes" },
	{ "0 0123456789abcde\n", -1, "a secret of 15 bytes" },
	{ "0\t\t0123456789abcdef\r\n", 0, "tabs and CRLF" },
	{ "x 0123456789abcdef\n", -1, "no digit" },
	{ "10 0123456789abcdef\n", -1, "two digits" },
	{ "00123456789abcdef\n", -1, "no white space" },
	{ "# only a comment\n\n", -1, "no key at all" },
	{ "", -1, "an empty file" },
	{ "1 0123456789abcdef\n1 fedcba9876543210\n", -1, "a number twice" },
};

int
main(void)
{
	struct batv_keys *keys = NULL, *old = NULL, *other = NULL;
	char   *err = NULL, *tagged = NULL, *orig = NULL, *t2 = NULL, *u;
	enum batv_status st;
	size_t	i;

	for (i = 0; i < G_N_ELEMENTS(key_cases); i++) {
		struct batv_keys *k = NULL;
		int	rc = batv_keys_parse(key_cases[i].text,
		    strlen(key_cases[i].text), &k, &err);

		tap_ok(rc == key_cases[i].ok, "key file: %s (%s)",
		    key_cases[i].what, rc == 0 ? "loaded" : err);
		g_free(err);
		err = NULL;
		batv_keys_free(&k);
	}

	tap_ok(batv_keys_parse(keytext, strlen(keytext), &keys, &err) == 0,
	    "two keys, a comment and a blank line");
	tap_ok(batv_keys_parse("1 an-older-secret-still-valid\n", 30, &old,
	    &err) == 0, "the old key alone");
	tap_ok(batv_keys_parse("3 a-different-secret-entirely\n", 30, &other,
	    &err) == 0, "another site's key with the same number");

	i = batv_sign(keys, "Alice@Example.org", T0, &tagged, &err) == 0;
	tap_ok(i && tagged != NULL, "sign: %s", tagged ? tagged : err);
	tap_ok(tagged != NULL && strlen(tagged) == strlen("prvs=") + 10 + 1
	    + strlen("Alice@Example.org") && strncmp(tagged, "prvs=3", 6) == 0
	    && g_str_has_suffix(tagged, "=Alice@Example.org"),
	    "the form prvs=KDDDSSSSSS=local@domain, key 3, case kept");
	tap_ok(tagged != NULL && strncmp(tagged + 6, "007", 3) == 0,
	    "DDD is the expiry day: (20000 + 7) mod 1000 = 007");

	st = batv_check(keys, tagged, T0, &orig);
	tap_ok(st == BATV_VALID && orig != NULL
	    && strcmp(orig, "Alice@Example.org") == 0,
	    "a fresh tag verifies and gives the address back (%s)",
	    batv_status_name(st));
	g_free(orig);
	orig = NULL;
	u = g_ascii_strdown(tagged, -1);
	tap_ok(batv_check(keys, u, T0, NULL) == BATV_VALID,
	    "the tag verifies in lower case (MTAs change case)");
	g_free(u);
	u = g_ascii_strup(tagged, -1);
	tap_ok(batv_check(keys, u, T0, NULL) == BATV_VALID,
	    "and in upper case");
	g_free(u);
	tap_ok(batv_check(keys, tagged, T0 + 7 * DAY, NULL) == BATV_VALID,
	    "still valid on the seventh day");
	tap_ok(batv_check(keys, tagged, T0 - 1 * DAY, NULL) == BATV_VALID,
	    "a verifier a day behind accepts it (skew)");
	tap_ok(batv_check(keys, tagged, T0 + 8 * DAY, NULL) == BATV_EXPIRED,
	    "expired on the eighth day");
	tap_ok(batv_check(keys, tagged, T0 + 400 * DAY, NULL) == BATV_EXPIRED,
	    "expired much later");
	tap_ok(batv_check(keys, tagged, T0 - 5 * DAY, NULL) == BATV_EXPIRED,
	    "a tag from five days in the future is not accepted");
	tap_ok(batv_check(other, tagged, T0, NULL) == BATV_BAD,
	    "another site's key of the same number does not verify it");
	tap_ok(batv_check(old, tagged, T0, NULL) == BATV_BAD,
	    "a key file without key 3 does not verify it");

	/* rotation: mail signed with the old key still verifies */
	tap_ok(batv_sign(old, "bob@example.org", T0, &t2, &err) == 0,
	    "signed with the old key (1)");
	tap_ok(batv_check(keys, t2, T0 + DAY, NULL) == BATV_VALID,
	    "verified by the new file, where key 1 is second");

	/* tampering */
	{
		static const struct {
			int pos;		/* offset in the tag */
			const char *what;
		} flips[] = {
			{ 5, "key number" }, { 6, "expiry day" },
			{ 10, "signature" }, { 14, "last signature digit" },
		};

		for (i = 0; i < G_N_ELEMENTS(flips); i++) {
			char   *x = g_strdup(tagged);

			x[flips[i].pos] = x[flips[i].pos] == '0' ? '2' : '0';
			tap_ok(batv_check(keys, x, T0, NULL) != BATV_VALID,
			    "a changed %s does not verify (%s)",
			    flips[i].what, x);
			g_free(x);
		}
	}
	{
		char   *x = g_strdup_printf("prvs=%.10s=mallory@example.org",
		    tagged + 5);

		tap_ok(batv_check(keys, x, T0, NULL) == BATV_BAD,
		    "a tag moved to another address does not verify");
		g_free(x);
	}

	{
		static const struct {
			const char *a;
			enum batv_status st;
		} forms[] = {
			{ "alice@example.org", BATV_UNTAGGED },
			{ "prvs@example.org", BATV_UNTAGGED },
			{ "prvs=alice", BATV_UNTAGGED },
			{ "prvs=3007abcdef=@example.org", BATV_BAD },
			{ "prvs=3007abcdef=alice@", BATV_BAD },
			{ "prvs=3007abcdeg=alice@example.org", BATV_BAD },
			{ "prvs=x007abcdef=alice@example.org", BATV_BAD },
			{ "prvs=3007abcdef-alice@example.org", BATV_BAD },
			{ "prvs=3007abcde=alice@example.org", BATV_BAD },
			{ "prvs==alice@example.org", BATV_BAD },
			{ "prvs=9007abcdef=alice@example.org", BATV_BAD },
			{ "", BATV_UNTAGGED },
		};

		for (i = 0; i < G_N_ELEMENTS(forms); i++)
			tap_ok(batv_check(keys, forms[i].a, T0, NULL)
			    == forms[i].st, "check \"%s\": %s", forms[i].a,
			    batv_status_name(forms[i].st));
	}
	tap_ok(batv_check(NULL, tagged, T0, NULL) == BATV_BAD,
	    "no keys: a tag cannot verify");

	/* signing refuses what cannot be tagged */
	{
		char   *longlocal = g_strdup_printf("%s@example.org",
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");

		tap_ok(batv_sign(keys, longlocal, T0, &u, &err) < 0,
		    "a local part of 49 characters is not tagged: %s", err);
		g_free(err);
		err = NULL;
		g_free(longlocal);
	}
	tap_ok(batv_sign(keys, tagged, T0, &u, &err) < 0,
	    "a tagged address is not tagged again");
	g_free(err);
	err = NULL;
	tap_ok(batv_sign(keys, "no-at-sign", T0, &u, &err) < 0,
	    "no '@': not tagged");
	g_free(err);
	err = NULL;
	tap_ok(batv_sign(NULL, "a@b.example", T0, &u, &err) < 0,
	    "no keys: nothing signed");
	g_free(err);
	err = NULL;

	u = batv_untag(tagged);
	tap_ok(u != NULL && strcmp(u, "Alice@Example.org") == 0,
	    "untag without verifying");
	g_free(u);
	u = batv_untag("prvs=1234567890=bob@spam.example");
	tap_ok(u != NULL && strcmp(u, "bob@spam.example") == 0,
	    "untag another site's tag");
	g_free(u);
	tap_ok(batv_untag("bob@spam.example") == NULL
	    && batv_untag("prvs=12=bob@spam.example") == NULL,
	    "untag: nothing for an untagged or malformed address");

	g_free(tagged);
	g_free(t2);
	batv_keys_free(&keys);
	batv_keys_free(&old);
	batv_keys_free(&other);
	tap_ok(keys == NULL, "batv_keys_free sets the pointer to NULL");
	return tap_done();
}
