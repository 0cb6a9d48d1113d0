/*
 * NAME
 *	test-srs - SRS0 forward and reverse
 * SUMMARY
 *	A known answer (the hash computed independently with Python's hmac
 *	module), a table of senders to rewrite (good ones round-trip, bad
 *	ones are refused), a table of addresses to reverse (tampered, too
 *	old, from the future, malformed, lowercased by the MTA), key
 *	rotation, and the key file checks (mode, size).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "srs.h"
#include "tap.h"

#define KEY	"0123456789abcdef-test-key"
#define NOW	((time_t)1767225600)		/* 2026-01-01 00:00 UTC */
#define DAY	((time_t)86400)

/* forward_cases: SENDER rewritten at NOW, or refused */
static const struct {
	const char *sender;
	int	rc;
	const char *expect;		/* NULL: just round-trip */
} forward_cases[] = {
	{ "bob@example.com", 0, "SRS0=9J7W=7G=example.com=bob@fwd.example.org" },
	{ "", 0, "" },
	{ "Bob.Smith+tag@Example.COM", 0, NULL },
	{ "a=b@example.com", 0, NULL },
	{ "o'neil@sub.example.co.uk", 0, NULL },
	{ "SRS0=abcd=AB=other.example=x@example.net", 0, NULL },
	{ "bob", -1, NULL },
	{ "@example.com", -1, NULL },
	{ "bob@", -1, NULL },
	{ "bob@exa mple.com", -1, NULL },
	{ "b ob@example.com", -1, NULL },
	{ "\"quoted\"@example.com", -1, NULL },
	{ "bob@example.com\r\nRCPT TO:<x@y>", -1, NULL },
	{ "bob\n@example.com", -1, NULL },
	{ "bob@[192.0.2.1]", -1, NULL },
	{ "bob@example..com", -1, NULL },
	{ ".bob@example.com", -1, NULL },
	{ "b\xc3\xa9@example.com", -1, NULL },
	{ "<bob@example.com>", -1, NULL },
};

/* reverse_cases: an address made by FORWARD at NOW + SHIFT days, then
   (optionally) mangled, then reversed at NOW */
enum mangle { M_NONE, M_LOWER, M_UPPER, M_HASH, M_DOMAIN, M_LOCAL, M_TS };

static const struct {
	const char *sender;
	long	shift_days;
	enum mangle mangle;
	int	rc;
} reverse_cases[] = {
	{ "bob@example.com", 0, M_NONE, 0 },
	{ "bob@example.com", -21, M_NONE, 0 },		/* oldest allowed */
	{ "bob@example.com", -22, M_NONE, -1 },		/* too old */
	{ "bob@example.com", -1023, M_NONE, -1 },
	{ "bob@example.com", 1, M_NONE, -1 },		/* from the future */
	{ "bob@example.com", -1024, M_NONE, 0 },	/* wraps: same day */
	{ "Bob.Smith@Example.COM", 0, M_LOWER, 0 },	/* MTA lowercased */
	{ "bob@example.com", 0, M_UPPER, 0 },
	{ "bob@example.com", 0, M_HASH, -1 },
	{ "bob@ex.co", 0, M_DOMAIN, -1 },		/* ex.co=mx -> ex.com=x */
	{ "bob@example.com", 0, M_LOCAL, -1 },
	{ "bob@example.com", 0, M_TS, -1 },
};

/* malformed: never reversed */
static const char *const malformed[] = {
	"",
	"bob@example.com",
	"SRS0@fwd.example.org",
	"SRS0=@fwd.example.org",
	"SRS0=9J7W=7G=example.com@fwd.example.org",
	"SRS0=9J7W=7G==bob@fwd.example.org",
	"SRS0=9J7W=7G=example.com=@fwd.example.org",
	"SRS0=9J7=7G=example.com=bob@fwd.example.org",
	"SRS0=9J7WX=7G=example.com=bob@fwd.example.org",
	"SRS0=9J7W=7=example.com=bob@fwd.example.org",
	"SRS0=9J7W=7G1=example.com=bob@fwd.example.org",
	"SRS0=9J7W=0G=example.com=bob@fwd.example.org",
	"SRS0=9J7W=7G=example.com=bob",
	"SRS0=9J7W=7G=exa mple.com=bob@fwd.example.org",
	"SRS0=9J7W=7G=example.com=bob\r\n@fwd.example.org",
	"SRS1=9J7W=7G=example.com=bob@fwd.example.org",
};

/* mangle - apply M to a copy of ADDRESS */
static char *
mangle(const char *address, enum mangle m)
{
	char   *s = g_strdup(address), *p;

	switch (m) {
	case M_NONE:
		break;
	case M_LOWER:
		for (p = s; *p != '\0'; p++)
			*p = g_ascii_tolower(*p);
		break;
	case M_UPPER:
		for (p = s; *p != '\0'; p++)
			*p = g_ascii_toupper(*p);
		break;
	case M_HASH:			/* SRS0=HHHH: change H[0] */
		s[5] = s[5] == 'A' || s[5] == 'a' ? 'B' : 'A';
		break;
	case M_DOMAIN: {		/* move one char from local to domain */
		GString *g = g_string_new(NULL);
		char  **parts = g_strsplit(s, "=", 5);

		/* SRS0 HHHH TT ex.co bob@... -> ex.cob ob@... */
		g_string_printf(g, "%s=%s=%s=%s%c=%s", parts[0], parts[1],
				parts[2], parts[3], parts[4][0], parts[4] + 1);
		g_strfreev(parts);
		g_free(s);
		s = g_string_free(g, FALSE);
		break;
	}
	case M_LOCAL:
		p = strrchr(s, '@');
		p[-1] = p[-1] == 'x' ? 'y' : 'x';
		break;
	case M_TS:			/* SRS0=HHHH=TT: change T[1] */
		s[11] = s[11] == 'A' ? 'B' : 'A';
		break;
	}
	return s;
}

/* write_key - a key file with TEXT and MODE; returns its path */
static char *
write_key(const char *dir, const char *name, const char *text, mode_t mode)
{
	char   *path = g_build_filename(dir, name, NULL);

	g_file_set_contents(path, text, -1, NULL);
	g_chmod(path, mode);
	return path;
}

int
main(void)
{
	struct srs_key *key, *key2, *rot;
	char   *out, *back, *err, *dir, *path, *esc;
	size_t	i;
	int	rc;

	key = srs_key_new(KEY, strlen(KEY));
	key2 = srs_key_new("another-key-of-16+bytes", 23);
	tap_ok(key != NULL && key2 != NULL, "keys from memory");
	tap_ok(srs_key_new("short", 5) == NULL, "a key under 16 bytes is refused");

	for (i = 0; i < G_N_ELEMENTS(forward_cases); i++) {
		out = err = NULL;
		rc = srs_forward(key, "fwd.example.org", forward_cases[i].sender,
				 NOW, &out, &err);
		esc = g_strescape(forward_cases[i].sender, NULL);
		tap_ok(rc == forward_cases[i].rc, "forward \"%s\": rc %d (%s)",
		       esc, rc, err != NULL ? err : out);
		g_free(esc);
		if (rc == 0 && forward_cases[i].expect != NULL)
			tap_ok(strcmp(out, forward_cases[i].expect) == 0,
			       "forward \"%s\" is exactly %s",
			       forward_cases[i].sender,
			       forward_cases[i].expect);
		if (rc == 0 && *out != '\0') {
			back = NULL;
			g_free(err);
			err = NULL;
			rc = srs_reverse(key, out, NOW, &back, &err);
			tap_ok(strlen(out) <= SRS_ADDRESS_MAX
			       && strpbrk(out, "\r\n ") == NULL
			       && rc == 0
			       && strcmp(back, forward_cases[i].sender) == 0,
			       "%s reverses to %s", out,
			       back != NULL ? back : err);
			g_free(back);
		}
		g_free(out);
		g_free(err);
	}

	/* a local part long enough to overflow SRS_ADDRESS_MAX */
	{
		char   *local = g_strnfill(64, 'a');
		char   *d1 = g_strnfill(60, 'd'), *d2 = g_strnfill(60, 'e');
		char   *d3 = g_strnfill(40, 'f');
		char   *dom = g_strdup_printf("%s.%s.%s.example", d1, d2, d3);
		char   *s = g_strdup_printf("%s@%s", local, dom);

		out = err = NULL;
		rc = srs_forward(key, "fwd.example.org", s, NOW, &out, &err);
		tap_ok(rc == -1 && out == NULL && err != NULL,
		       "an overlong result is refused (%s)", err);
		g_free(err);
		g_free(s);
		g_free(dom);
		g_free(d1);
		g_free(d2);
		g_free(d3);
		g_free(local);
	}
	out = err = NULL;
	tap_ok(srs_forward(key, "fwd example.org", "bob@example.com", NOW,
			   &out, &err) == -1, "a bad SRS domain is refused");
	g_free(err);

	for (i = 0; i < G_N_ELEMENTS(reverse_cases); i++) {
		char   *made = NULL, *m;

		err = NULL;
		srs_forward(key, "fwd.example.org", reverse_cases[i].sender,
			    NOW + reverse_cases[i].shift_days * DAY, &made,
			    &err);
		m = mangle(made, reverse_cases[i].mangle);
		back = NULL;
		rc = srs_reverse(key, m, NOW, &back, &err);
		tap_ok(rc == reverse_cases[i].rc,
		       "reverse %s (case %zu, made %+ld days): rc %d (%s)", m,
		       i, reverse_cases[i].shift_days, rc,
		       rc == 0 ? back : err);
		if (rc == 0)
			tap_ok(g_ascii_strcasecmp(back,
						  reverse_cases[i].sender) == 0,
			       "  gives back %s", reverse_cases[i].sender);
		g_free(back);
		g_free(err);
		g_free(m);
		g_free(made);
	}
	for (i = 0; i < G_N_ELEMENTS(malformed); i++) {
		back = err = NULL;
		rc = srs_reverse(key, malformed[i], NOW, &back, &err);
		esc = g_strescape(malformed[i], NULL);
		tap_ok(rc == -1 && back == NULL && err != NULL,
		       "malformed \"%s\" refused (%s)", esc, err);
		g_free(esc);
		g_free(err);
	}

	/* another key does not verify */
	out = err = back = NULL;
	srs_forward(key2, "fwd.example.org", "bob@example.com", NOW, &out,
		    &err);
	tap_ok(srs_reverse(key, out, NOW, &back, &err) == -1,
	       "an address signed with another key is refused");
	g_free(err);

	/* key file: rotation, mode, owner, size */
	dir = g_dir_make_tmp("test-srs-XXXXXX", NULL);
	path = write_key(dir, "rot", "another-key-of-16+bytes\n" KEY "\n",
			 0600);
	err = NULL;
	rot = NULL;
	tap_ok(srs_key_load(path, &rot, &err) == 0, "key file 0600 loads (%s)",
	       err != NULL ? err : "ok");
	g_free(err);
	err = NULL;
	back = NULL;
	tap_ok(rot != NULL && srs_reverse(rot, out, NOW, &back, &err) == 0,
	       "the first key of a file signs, and verifies");
	g_free(back);
	g_free(out);
	out = NULL;
	srs_forward(key, "fwd.example.org", "bob@example.com", NOW, &out,
		    &err);
	back = NULL;
	tap_ok(rot != NULL && srs_reverse(rot, out, NOW, &back, &err) == 0,
	       "an older key (second line) still verifies");
	g_free(back);
	g_free(out);
	srs_key_free(&rot);
	tap_ok(rot == NULL, "srs_key_free clears the pointer");
	g_free(path);

	{
		static const struct {
			const char *text;
			mode_t	mode;
			int	rc;
		} files[] = {
			{ KEY "\n", 0600, 0 },
			{ KEY, 0400, 0 },
			{ KEY "\r\n", 0600, 0 },
			{ KEY "\n", 0640, -1 },
			{ KEY "\n", 0644, -1 },
			{ KEY "\n", 0604, -1 },
			{ "", 0600, -1 },
			{ "\n\n", 0600, -1 },
			{ "short\n", 0600, -1 },
		};

		for (i = 0; i < G_N_ELEMENTS(files); i++) {
			path = write_key(dir, "k", files[i].text,
					 files[i].mode);
			err = NULL;
			rot = NULL;
			rc = srs_key_load(path, &rot, &err);
			tap_ok(rc == files[i].rc, "key file %zu (mode %04o): "
			       "rc %d (%s)", i, (unsigned int)files[i].mode, rc,
			       err != NULL ? err : "ok");
			srs_key_free(&rot);
			g_free(err);
			g_unlink(path);
			g_free(path);
		}
		err = NULL;
		path = g_build_filename(dir, "missing", NULL);
		rc = srs_key_load(path, &rot, &err);
		tap_ok(rc == -1 && err != NULL,
		       "a missing key file is an error naming it (%s)", err);
		g_free(err);
		g_free(path);
	}
	g_rmdir(dir);
	g_free(dir);
	srs_key_free(&key);
	srs_key_free(&key2);
	return tap_done();
}
