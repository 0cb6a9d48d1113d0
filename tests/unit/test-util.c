/*
 * NAME
 *	test-util - lib/: the address rule and the secret-file reader
 * SUMMARY
 *	addr_is_safe() on a table of addresses (the one deputyctl took and
 *	deputy-lda refused among them), and on many random strings: what
 *	it accepts has one '@' with text on both sides, no byte a header
 *	field or an argv could be split at, and cannot be an option. secret_read() on files it must read (a trailing LF
 *	or CRLF dropped, nothing else) and files it must refuse: group or
 *	other permissions, a symbolic link, a folder, more than MAX bytes,
 *	a missing file; each error names the label and the path.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "addr.h"
#include "secret.h"
#include "tap.h"

static const struct {
	const char *a;
	int	safe;
} addrs[] = {
	{ "bob@example.org", 1 },
	{ "bob@localhost", 1 },
	{ "first.last+tag@sub.example.org", 1 },
	{ "o'brien@example.org", 1 },
	{ "alice@[192.0.2.1]", 1 },
	{ "alice@[IPv6:2001:db8::1]", 1 },
	{ "caf\xc3\xa9@example.org", 1 },
	{ "bob@evil@partner.example.net", 0 },
	{ "", 0 },
	{ "@example.org", 0 },
	{ "bob@", 0 },
	{ "bob", 0 },
	{ "-oQ/tmp@example.org", 0 },
	{ "bob smith@example.org", 0 },
	{ "bob@example.org\nBcc: evil@attacker.example", 0 },
	{ "bob\r@example.org", 0 },
	{ "bob\x7f@example.org", 0 },
	{ "<bob@example.org>", 0 },
	{ "bob@example.org,eve@example.org", 0 },
	{ "bob@example.org;x", 0 },
	{ "\"bob smith\"@example.org", 0 },
	{ "bob\\@example.org", 0 },
	{ "bob(comment)@example.org", 0 },
	{ "b[o]b@example.org", 0 },
	{ "bob:x@example.org", 0 },
	{ "bob@exa(mple).org", 0 },
	{ "bob@[192.0.2.1]x", 0 },
	{ "bob@[1[2]]", 0 },
	{ "bob@[]", 0 },
	{ "bob@ex:ample.org", 0 },
	{ NULL, 0 },
};

/* test_unsafe_accepted - whether an accepted S breaks the rule's promise */
static int
test_unsafe_accepted(const char *s)
{
	const char *at = strchr(s, '@');

	return at == NULL || at == s || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || s[0] == '-' ||
	    strpbrk(s, " \t\r\n\x7f<>,;\"\\") != NULL;
}

/* test_addr - the table, and the rule's promise on random strings */
static void
test_addr(void)
{
	static const char alphabet[] = "ab.@-[]():;<>,\"\\ \t\r\n\x7f\xc3\xa9"
	    "xyz019+=/'";
	GRand  *rnd;
	char	buf[40], *longest;
	size_t	i, k;
	int	disagree = 0, accepted = 0;

	for (i = 0; i < G_N_ELEMENTS(addrs); i++) {
		char   *shown = addrs[i].a != NULL
		    ? g_strescape(addrs[i].a, NULL) : g_strdup("(null)");

		tap_ok(addr_is_safe(addrs[i].a) == addrs[i].safe,
		       "addr_is_safe(\"%s\") is %d", shown, addrs[i].safe);
		g_free(shown);
	}

	longest = g_strnfill(ADDR_MAX + 1, 'a');
	longest[64] = '@';
	tap_ok(!addr_is_safe(longest), "%d bytes: too long", ADDR_MAX + 1);
	longest[ADDR_MAX] = '\0';
	tap_ok(addr_is_safe(longest), "%d bytes: long enough", ADDR_MAX);
	g_free(longest);

	rnd = g_rand_new_with_seed(4515);
	disagree = 0;
	for (i = 0; i < 200000; i++) {
		size_t	n = (size_t)g_rand_int_range(rnd, 1, sizeof(buf));

		for (k = 0; k < n; k++)
			buf[k] = alphabet[g_rand_int_range(rnd, 0,
			    (gint32)sizeof(alphabet) - 1)];
		buf[n] = '\0';
		if (addr_is_safe(buf)) {
			accepted++;
			if (test_unsafe_accepted(buf))
				disagree++;
		}
	}
	g_rand_free(rnd);
	tap_ok(disagree == 0 && accepted > 0, "200000 random strings: "
	       "%d accepted, %d of them unsafe", accepted, disagree);
}

/* write_file - NAME in DIR with TEXT and MODE; the path (g_free) */
static char *
write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char   *path = g_build_filename(dir, name, NULL);

	g_unlink(path);
	g_file_set_contents(path, text, -1, NULL);
	g_chmod(path, mode);
	return path;
}

/* test_secret - secret_read() */
static void
test_secret(void)
{
	static const struct {
		const char *text;
		const char *want;
	} good[] = {
		{ "s3cret\n", "s3cret" },
		{ "s3cret", "s3cret" },
		{ "s3cret\r\n", "s3cret" },
		{ "s3cret\n\n", "s3cret\n" },
		{ "two\nlines\n", "two\nlines" },
		{ " spaced \n", " spaced " },
		{ "", "" },
		{ "\n", "" },
		{ "ends in CR\r", "ends in CR\r" },
	};
	static const mode_t bad_modes[] = { 0640, 0604, 0644, 0660, 0610 };
	char   *dir, *path, *link, *data, *err;
	size_t	len, i;
	int	rc;

	dir = g_dir_make_tmp("test-util-XXXXXX", NULL);
	for (i = 0; i < G_N_ELEMENTS(good); i++) {
		path = write_file(dir, "s", good[i].text, 0600);
		rc = secret_read(path, "test secret", 64, &data, &len, &err);
		tap_ok(rc == 0 && len == strlen(good[i].want)
		       && memcmp(data, good[i].want, len) == 0
		       && data[len] == '\0', "secret %zu read, one line break "
		       "dropped (%s)", i, rc == 0 ? "ok" : err);
		secret_free(&data, len);
		tap_ok(data == NULL, "secret_free clears the pointer");
		g_free(err);
		g_free(path);
	}
	path = write_file(dir, "s", "x\n", 0400);
	rc = secret_read(path, "test secret", 64, &data, &len, &err);
	tap_ok(rc == 0 && len == 1, "mode 0400 is fine");
	secret_free(&data, len);
	g_free(err);
	g_free(path);

	for (i = 0; i < G_N_ELEMENTS(bad_modes); i++) {
		path = write_file(dir, "s", "x\n", bad_modes[i]);
		err = NULL;
		data = NULL;
		rc = secret_read(path, "test secret", 64, &data, &len, &err);
		tap_ok(rc == -1 && data == NULL && err != NULL
		       && strstr(err, "test secret") != NULL
		       && strstr(err, path) != NULL
		       && strstr(err, "mode") != NULL,
		       "mode %04o refused: %s", (unsigned)bad_modes[i],
		       err != NULL ? err : "(read)");
		g_free(err);
		g_free(path);
	}

	path = write_file(dir, "s", "0123456789\n", 0600);
	err = NULL;
	rc = secret_read(path, "test secret", 10, &data, &len, &err);
	tap_ok(rc == -1 && err != NULL && strstr(err, "larger than 10"),
	       "11 bytes with MAX 10: refused (%s)", err);
	g_free(err);
	rc = secret_read(path, "test secret", 11, &data, &len, &err);
	tap_ok(rc == 0 && len == 10, "11 bytes with MAX 11: read");
	secret_free(&data, len);
	g_free(err);

	link = g_build_filename(dir, "link", NULL);
	if (symlink(path, link) == 0) {
		err = NULL;
		rc = secret_read(link, "test secret", 64, &data, &len, &err);
		tap_ok(rc == -1 && err != NULL && strstr(err, link) != NULL
		       && strstr(err, "symbolic link") != NULL,
		       "a symbolic link to a good file is refused (%s)", err);
		g_free(err);
		g_unlink(link);
	} else {
		tap_ok(0, "symlink");
	}
	g_free(link);
	g_unlink(path);
	g_free(path);

	err = NULL;
	rc = secret_read(dir, "test secret", 64, &data, &len, &err);
	tap_ok(rc == -1 && err != NULL && strstr(err, "not a regular file"),
	       "a folder is refused (%s)", err);
	g_free(err);
	path = g_build_filename(dir, "missing", NULL);
	err = NULL;
	rc = secret_read(path, "test secret", 64, &data, &len, &err);
	tap_ok(rc == -1 && err != NULL && strstr(err, path) != NULL,
	       "a missing file is an error naming it (%s)", err);
	g_free(err);
	g_free(path);
	if (geteuid() == 0) {
		path = write_file(dir, "s", "x\n", 0600);
		if (chown(path, 65534, 65534) == 0) {
			err = NULL;
			rc = secret_read(path, "test secret", 64, &data, &len,
					 &err);
			tap_ok(rc == -1 && err != NULL
			       && strstr(err, "owned by uid 65534") != NULL,
			       "a file of another user is refused (%s)", err);
			g_free(err);
		} else {
			tap_ok(0, "chown");
		}
		g_unlink(path);
		g_free(path);
	} else {
		tap_skip("a file of another user: needs root to make one");
	}
	g_rmdir(dir);
	g_free(dir);
}

int
main(void)
{
	test_addr();
	test_secret();
	return tap_done();
}
