/*
 * NAME
 *	test-ldif - the embedded LDIF directory backend
 * SUMMARY
 *	Looks up entries of tests/data/dir-basic.ldif by mail, by alias in
 *	any case, and by DN, and checks every field deputy reads. A table
 *	of malformed files (written to a temporary directory, plus two in
 *	tests/data) checks that dir_open() fails naming the file and line.
 *	Then deputyctl's writer on the same reader (dir-write): a change to
 *	one record leaves every other byte of the file as it was (comments,
 *	folding, CRLF, "version: 1", a last line without a line break), the
 *	file loads again with the change, and a delegate deputy-lda would
 *	refuse, a missing value or entry are refused with the file intact.
 *	$srcdir is the top source directory (default ".").
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "dir-write.h"
#include "directory.h"
#include "tap.h"

static const char *const aliases[] = {
	"mailAlternateAddress", "mailLocalAddress", NULL
};

/* data_path - NAME under $srcdir/tests/data; g_free() the result */
static char *
data_path(const char *name)
{
	const char *srcdir = getenv("srcdir");

	return g_strdup_printf("%s/tests/data/%s",
			       srcdir != NULL && *srcdir != '\0' ? srcdir : ".",
			       name);
}

/* open_file - dir_open() on PATH with the test aliases */
static int
open_file(const char *path, struct dir **dir_r, char **error_r)
{
	struct dir_settings set;

	memset(&set, 0, sizeof(set));
	set.backend = "ldif";
	set.ldif_file = path;
	set.alias_attributes = aliases;
	return dir_open(&set, dir_r, error_r);
}

struct lookup_row {
	const char *name;
	int	by_dn;
	const char *key;
	int	expect;
	const char *dn;			/* expected entry->dn */
};

static const struct lookup_row lookups[] = {
	{ "mail, as stored", 0, "alice@example.org", 1,
	  "uid=alice,ou=people,dc=example,dc=org" },
	{ "mail, other case", 0, "ALICE@EXAMPLE.ORG", 1,
	  "uid=alice,ou=people,dc=example,dc=org" },
	{ "alias", 0, "alice.example@example.org", 1,
	  "uid=alice,ou=people,dc=example,dc=org" },
	{ "alias, any case", 0, "a.example@EXAMPLE.org", 1,
	  "uid=alice,ou=people,dc=example,dc=org" },
	{ "second alias attribute", 0, "Bob@Local.Example.org", 1,
	  "uid=bob,ou=people,dc=example,dc=org" },
	{ "second mail value", 0, "carol2@example.org", 1,
	  "UID=Carol , OU=People,DC=Example, DC=Org" },
	{ "unknown address", 0, "nobody@example.org", 0, NULL },
	{ "empty address", 0, "", 0, NULL },
	{ "a DN is not an address", 0,
	  "uid=alice,ou=people,dc=example,dc=org", 0, NULL },
	{ "DN, as stored", 1, "uid=alice,ou=people,dc=example,dc=org", 1,
	  "uid=alice,ou=people,dc=example,dc=org" },
	{ "DN, case and spaces", 1,
	  " UID=Alice , ou=People,  dc=EXAMPLE,dc=org ", 1,
	  "uid=alice,ou=people,dc=example,dc=org" },
	{ "DN written oddly in the file", 1,
	  "uid=carol,ou=people,dc=example,dc=org", 1,
	  "UID=Carol , OU=People,DC=Example, DC=Org" },
	{ "DN of an entry without mail", 1, "dc=example,dc=org", 1,
	  "dc=example,dc=org" },
	{ "unknown DN", 1, "uid=nobody,ou=people,dc=example,dc=org", 0,
	  NULL },
	{ "parent of a DN is another DN", 1, "ou=people,dc=example,dc=org",
	  0, NULL },
};

/* test_lookups - the lookup table */
static void
test_lookups(struct dir *dir)
{
	const struct lookup_row *row;
	struct dir_entry *entry;
	char   *error;
	size_t	i;
	int	rc;

	for (i = 0; i < G_N_ELEMENTS(lookups); i++) {
		row = &lookups[i];
		entry = NULL;
		error = NULL;
		rc = row->by_dn ? dir_lookup_dn(dir, row->key, &entry, &error)
		    : dir_lookup(dir, row->key, &entry, &error);
		tap_ok(rc == row->expect && error == NULL
		       && (rc == 1) == (entry != NULL)
		       && (rc != 1 || strcmp(entry->dn, row->dn) == 0),
		       "lookup %s: '%s' -> %d %s", row->name, row->key, rc,
		       entry != NULL ? entry->dn : "");
		dir_entry_free(&entry);
		g_free(error);
	}
}

/* test_alice - every field of a full entry */
static void
test_alice(struct dir *dir)
{
	struct dir_entry *e = NULL, *again = NULL;
	char   *error = NULL;

	tap_ok(dir_lookup(dir, "alice@example.org", &e, &error) == 1,
	       "alice found");
	if (e == NULL)
		return;
	tap_ok(strcmp(e->mail, "alice@example.org") == 0,
	       "mail is the first value, lowercased: %s", e->mail);
	tap_ok(e->addresses.count == 3
	       && strcmp(e->addresses.values[0], "alice@example.org") == 0
	       && strcmp(e->addresses.values[1],
			 "alice.example@example.org") == 0
	       && strcmp(e->addresses.values[2], "a.example@example.org") == 0
	       && e->addresses.values[3] == NULL,
	       "addresses: mail then aliases, lowercased, NULL-terminated");
	tap_ok(e->display_name != NULL
	       && strcmp(e->display_name, "Alice Example") == 0,
	       "displayName (the ;lang-de variant is ignored)");
	tap_ok(e->language != NULL && strcmp(e->language, "de") == 0,
	       "preferredLanguage");
	tap_ok(e->template_name != NULL
	       && strcmp(e->template_name, "holiday") == 0, "deputyTemplate");
	tap_ok(e->notice == DIR_NOTICE_INTERNAL, "deputyNotice internal");
	tap_ok(e->absences.count == 2
	       && strstr(e->absences.values[0], "BEGIN:VCALENDAR\r\n") != NULL
	       && strstr(e->absences.values[0],
			 "DTEND;VALUE=DATE;TZID=Europe/Berlin:20270105")
	       != NULL
	       && strstr(e->absences.values[1], "RRULE:FREQ=WEEKLY") != NULL,
	       "two base64 deputyAbsence values, decoded with their CRLFs");
	tap_ok(e->delegates.count == 2
	       && strcmp(e->delegates.values[0],
			 "uid=bob,ou=people,dc=example,dc=org") == 0
	       && strcmp(e->delegates.values[1], "carol@example.org") == 0,
	       "deputyDelegate values in file order");
	tap_ok(e->secretaries.count == 1 && e->managers.count == 1
	       && strcmp(e->managers.values[0],
			 "uid=erin,ou=people,dc=example,dc=org") == 0,
	       "secretary and manager");
	tap_ok(dir_entry_has_address(e, "A.EXAMPLE@example.ORG")
	       && dir_entry_has_address(e, "Alice@Example.org")
	       && !dir_entry_has_address(e, "bob@example.org")
	       && !dir_entry_has_address(e, NULL),
	       "dir_entry_has_address ignores case");

	/* the caller owns a copy: changing it changes nothing stored */
	g_free(e->mail);
	e->mail = g_strdup("changed@example.org");
	tap_ok(dir_lookup(dir, "alice@example.org", &again, &error) == 1
	       && again != NULL && again != e
	       && strcmp(again->mail, "alice@example.org") == 0,
	       "lookups return independent copies");
	dir_entry_free(&again);
	dir_entry_free(&e);
	tap_ok(e == NULL, "dir_entry_free() clears the pointer");
	dir_entry_free(&e);
	dir_entry_free(NULL);
}

/* test_others - bob (base64, changetype add) and carol (odd case) */
static void
test_others(struct dir *dir)
{
	struct dir_entry *e = NULL;
	char   *error = NULL;

	if (dir_lookup(dir, "bob@example.org", &e, &error) == 1) {
		tap_ok(strcmp(e->display_name, "Bob M\xc3\xbcller") == 0,
		       "base64 UTF-8 displayName: %s", e->display_name);
		tap_ok(e->notice == DIR_NOTICE_NONE,
		       "deputyNotice NONE, any case");
		tap_ok(e->language == NULL && e->template_name == NULL
		       && e->absences.count == 0
		       && e->absences.values != NULL
		       && e->absences.values[0] == NULL
		       && e->delegates.count == 0,
		       "absent attributes: NULL and empty lists");
		tap_ok(e->addresses.count == 2, "mail and mailLocalAddress");
	} else {
		tap_ok(0, "bob found");
	}
	dir_entry_free(&e);
	if (dir_lookup(dir, "carol@example.org", &e, &error) == 1) {
		tap_ok(e->addresses.count == 2
		       && strcmp(e->mail, "carol@example.org") == 0
		       && e->notice == DIR_NOTICE_DEFAULT,
		       "attribute names in any case; a repeated address "
		       "counts once");
	} else {
		tap_ok(0, "carol found");
	}
	dir_entry_free(&e);
	if (dir_lookup_dn(dir, "dc=example,dc=org", &e, &error) == 1)
		tap_ok(e->mail == NULL && e->addresses.count == 0,
		       "entry without mail has mail NULL");
	else
		tap_ok(0, "dc=example,dc=org found");
	dir_entry_free(&e);
}

struct bad_row {
	const char *name;
	const char *text;
	const char *error;		/* substring expected in the error */
};

static const struct bad_row bads[] = {
	{ "no colon", "dn: cn=a,dc=x\nmail: a@x\nbroken line\n",
	  "line 3: missing ':'" },
	{ "bad base64", "dn: cn=a,dc=x\n\n\ndn: cn=b,dc=x\nmail:: !!!!\n",
	  "line 5: bad base64 value" },
	{ "base64 of the wrong length", "dn: cn=a,dc=x\nmail:: YWJjZA=\n",
	  "line 2: bad base64 value" },
	{ "line after a folded line",
	  "dn: cn=a,dc=x\ndescription: folded\n  twice\n  more\nfoo\n",
	  "line 5: missing ':'" },
	{ "record without dn", "# comment\nmail: a@x\n",
	  "line 2: record does not start" },
	{ "second dn in a record", "dn: cn=a,dc=x\nmail: a@x\ndn: cn=b,dc=x\n",
	  "line 3: second \"dn:\"" },
	{ "changetype delete", "dn: cn=a,dc=x\nchangetype: delete\n",
	  "line 2: changetype 'delete' is not supported" },
	{ "control", "dn: cn=a,dc=x\ncontrol: 1.2.3 true\n",
	  "line 2: controls are not supported" },
	{ "URL value", "dn: cn=a,dc=x\nmail:< file:///etc/passwd\n",
	  "line 2: URL values are not supported" },
	{ "include", "dn: cn=a,dc=x\n\ninclude: file:///etc/passwd\n",
	  "line 3: \"include:\" is not supported" },
	{ "unknown deputyNotice", "dn: cn=a,dc=x\ndeputyNotice: sometimes\n",
	  "line 1: entry cn=a,dc=x: unknown deputyNotice 'sometimes'" },
	{ "address shared by two entries",
	  "dn: cn=a,dc=x\nmail: a@x\n\ndn: cn=b,dc=x\n"
	  "mailAlternateAddress: A@X\n",
	  "line 4: address a@x of entry cn=b,dc=x belongs to cn=a,dc=x too" },
	{ "DN twice", "dn: cn=a,dc=x\n\ndn: CN=A, DC=X\n",
	  "line 3: entry CN=A, DC=X appears twice" },
	{ "NUL in a used attribute", "dn: cn=a,dc=x\nmail:: YQBi\n",
	  "line 2: value of mail contains a NUL byte" },
	{ "not UTF-8", "dn: cn=a,dc=x\ndisplayName:: /w==\n",
	  "line 2: value of displayName is not UTF-8" },
	{ "empty address", "dn: cn=a,dc=x\nmail: \n", "line 2: empty address" },
	{ "bad version", "version: 2\ndn: cn=a,dc=x\n",
	  "line 1: unsupported LDIF version" },
};

/* test_bad - malformed files name the file and the line */
static void
test_bad(void)
{
	struct dir *dir;
	char   *tmpdir, *path, *error;
	GError *gerr = NULL;
	size_t	i;
	int	rc;

	tmpdir = g_dir_make_tmp("test-ldif-XXXXXX", &gerr);
	if (tmpdir == NULL) {
		tap_ok(0, "temporary directory: %s", gerr->message);
		g_error_free(gerr);
		return;
	}
	for (i = 0; i < G_N_ELEMENTS(bads); i++) {
		path = g_strdup_printf("%s/bad-%zu.ldif", tmpdir, i);
		if (!g_file_set_contents(path, bads[i].text, -1, NULL)) {
			tap_ok(0, "%s: cannot write %s", bads[i].name, path);
			g_free(path);
			continue;
		}
		dir = NULL;
		error = NULL;
		rc = open_file(path, &dir, &error);
		tap_ok(rc == -1 && dir == NULL && error != NULL
		       && strstr(error, path) != NULL
		       && strstr(error, bads[i].error) != NULL,
		       "malformed, %s: %s", bads[i].name,
		       error != NULL ? error : "(no error)");
		dir_close(&dir);
		g_free(error);
		(void)g_unlink(path);
		g_free(path);
	}
	(void)g_rmdir(tmpdir);
	g_free(tmpdir);
}

/* test_bad_data - the malformed files kept in tests/data */
static void
test_bad_data(void)
{
	static const struct {
		const char *file;
		const char *error;
	} files[] = {
		{ "dir-bad-syntax.ldif", "dir-bad-syntax.ldif, line 5: "
		  "missing ':'" },
		{ "dir-bad-changetype.ldif", "dir-bad-changetype.ldif, line 8: "
		  "changetype 'modify' is not supported" },
	};
	struct dir *dir;
	char   *path, *error;
	size_t	i;

	for (i = 0; i < G_N_ELEMENTS(files); i++) {
		path = data_path(files[i].file);
		dir = NULL;
		error = NULL;
		tap_ok(open_file(path, &dir, &error) == -1 && error != NULL
		       && strstr(error, files[i].error) != NULL,
		       "%s: %s", files[i].file, error ? error : "(no error)");
		dir_close(&dir);
		g_free(error);
		g_free(path);
	}
}

/* test_open_errors - missing file, no file, unknown backend */
static void
test_open_errors(void)
{
	struct dir_settings set;
	struct dir *dir = NULL;
	char   *error = NULL;

	tap_ok(open_file("/nonexistent/deputy/dir.ldif", &dir, &error) == -1
	       && dir == NULL && error != NULL
	       && strstr(error, "/nonexistent/deputy/dir.ldif") != NULL
	       && strstr(error, "No such file") != NULL,
	       "missing file: %s", error ? error : "(no error)");
	g_free(error);
	error = NULL;
	tap_ok(open_file("/", &dir, &error) == -1 && error != NULL,
	       "a directory is not an LDIF file: %s", error ? error : "");
	g_free(error);
	error = NULL;

	memset(&set, 0, sizeof(set));
	set.backend = "ldif";
	tap_ok(dir_open(&set, &dir, &error) == -1 && error != NULL,
	       "no ldif_file: %s", error ? error : "");
	g_free(error);
	error = NULL;

	set.backend = "oracle";
	set.ldif_file = "/dev/null";
	tap_ok(dir_open(&set, &dir, &error) == -1 && dir == NULL
	       && error != NULL && strstr(error, "'oracle'") != NULL,
	       "unknown backend is named: %s", error ? error : "");
	g_free(error);
	error = NULL;

	set.backend = "LDIF";
	set.ldif_file = "/dev/null";
	tap_ok(dir_open(&set, &dir, &error) == -1,
	       "/dev/null is not a regular file");
	g_free(error);
	dir_close(&dir);
	dir_close(&dir);
	dir_close(NULL);
}

/* test_empty - an empty file is an empty directory */
static void
test_empty(void)
{
	struct dir *dir = NULL;
	struct dir_entry *e = NULL;
	char   *tmp, *error = NULL;
	int	fd;

	fd = g_file_open_tmp("test-ldif-XXXXXX.ldif", &tmp, NULL);
	if (fd < 0) {
		tap_ok(0, "temporary file");
		return;
	}
	close(fd);
	tap_ok(open_file(tmp, &dir, &error) == 0 && dir != NULL
	       && dir_lookup(dir, "a@example.org", &e, &error) == 0,
	       "empty file: empty directory");
	dir_close(&dir);
	tap_ok(dir == NULL, "dir_close() clears the pointer");
	g_free(error);
	(void)g_unlink(tmp);
	g_free(tmp);
}

/* test_notice_parse - the deputyNotice keywords */
static void
test_notice_parse(void)
{
	enum dir_notice n = DIR_NOTICE_DEFAULT;

	tap_ok(dir_notice_parse("none", &n) == 0 && n == DIR_NOTICE_NONE,
	       "notice none");
	tap_ok(dir_notice_parse("Authenticated", &n) == 0
	       && n == DIR_NOTICE_AUTHENTICATED, "notice authenticated");
	tap_ok(dir_notice_parse("INTERNAL", &n) == 0
	       && n == DIR_NOTICE_INTERNAL, "notice internal");
	tap_ok(dir_notice_parse("always", &n) == -1
	       && dir_notice_parse("", &n) == -1
	       && dir_notice_parse(NULL, &n) == -1, "unknown notice");
}

/* test_dn_normalize - the comparable DN form */
static void
test_dn_normalize(void)
{
	static const struct {
		const char *in;
		const char *out;
	} rows[] = {
		{ "uid=a,dc=x", "uid=a,dc=x" },
		{ "  UID = A ,  DC=X  ", "uid=a,dc=x" },
		{ "cn=Smith\\, John,dc=x", "cn=smith\\2c john,dc=x" },
		{ "cn=\"Smith, John\",dc=x", "cn=smith\\2c john,dc=x" },
		{ "cn=Smith\\2C John,dc=x", "cn=smith\\2c john,dc=x" },
		{ "cn=a\\ ,dc=x", "cn=a\\20,dc=x" },
		{ "cn=a + sn=b,dc=x", "cn=a+sn=b,dc=x" },
		{ "cn=two  words,dc=x", "cn=two  words,dc=x" },
		{ "cn=caf\xc3\xa9,dc=x", "cn=caf\\c3\\a9,dc=x" },
		{ "cn=caf\\C3\\A9,dc=x", "cn=caf\\c3\\a9,dc=x" },
		{ " Not A DN ", "not a dn" },
		{ "", "" },
	};
	char   *norm;
	size_t	i;

	for (i = 0; i < G_N_ELEMENTS(rows); i++) {
		norm = dir_dn_normalize(rows[i].in);
		tap_ok(strcmp(norm, rows[i].out) == 0,
		       "dn_normalize '%s' -> '%s'", rows[i].in, norm);
		g_free(norm);
	}
}

/* The file the writer changes; WRITE_B, WRITE_C: its parts around b, c. */
#define WRITE_HEAD \
	"# the top comment\n" \
	"version: 1\n" \
	"dn: uid=a,dc=x\n" \
	"objectClass: deputyUser\n" \
	"mail: a@x.example\n" \
	"description: folded\n" \
	"  line\n" \
	"\n" \
	"# a comment about b\n"
#define WRITE_B \
	"dn: UID=B, DC=X\r\n" \
	"mail: b@x.example\r\n" \
	"deputyDelegate: uid=a,dc=x\r\n"
#define WRITE_MID \
	"\r\n" \
	"\n"
#define WRITE_C \
	"dn: uid=c,dc=x\n" \
	"mail: c@x.example"

/* admin_at - a writable view of PATH */
static struct dir_admin *
admin_at(const char *path)
{
	struct dir_settings set;
	struct dir_admin *admin = NULL;
	char   *error = NULL;

	memset(&set, 0, sizeof(set));
	set.backend = "ldif";
	set.ldif_file = path;
	if (dir_admin_open(&set, &admin, &error) != 0)
		tap_ok(0, "dir_admin_open: %s", error);
	g_free(error);
	return admin;
}

/* file_is - whether PATH holds exactly WANT */
static int
file_is(const char *path, const char *want)
{
	char   *text = NULL;
	int	same;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return 0;
	same = strcmp(text, want) == 0;
	if (!same)
		tap_diag("file is:\n%s", text);
	g_free(text);
	return same;
}

/* test_write - changes through dir-write keep the rest of the file */
static void
test_write(void)
{
	static const char *const add_bob[] = { "bob@partner.example", NULL };
	static const char *const evil[] = { "bob@evil@partner.example.net",
					    NULL };
	static const char *const none[] = { "none", NULL };
	static const char *const missing[] = { "uid=zz,dc=x", NULL };
	struct dir_mod mod;
	struct dir_admin *admin;
	struct dir *dir = NULL;
	struct dir_entry *e = NULL;
	char   *tmpdir, *path, *error = NULL, **dns = NULL;
	int	rc;

	tmpdir = g_dir_make_tmp("test-ldif-w-XXXXXX", NULL);
	path = g_strdup_printf("%s/dir.ldif", tmpdir);
	g_file_set_contents(path, WRITE_HEAD WRITE_B WRITE_MID WRITE_C, -1,
			    NULL);
	admin = admin_at(path);
	if (admin == NULL)
		return;

	tap_ok(dir_admin_list(admin, &dns, &error) == 0 && dns != NULL
	       && dns[0] != NULL && strcmp(dns[0], "uid=a,dc=x") == 0
	       && dns[1] != NULL && strcmp(dns[1], "UID=B, DC=X") == 0
	       && dns[2] == NULL, "list: a (deputyUser) and b (a delegate)");
	g_strfreev(dns);

	/* b: one delegate more; only b's lines change */
	mod = (struct dir_mod){ DIR_MOD_ADD, "deputyDelegate", add_bob };
	rc = dir_admin_modify(admin, "uid=b,dc=x", &mod, 1, &error);
	tap_ok(rc == 0 && file_is(path, WRITE_HEAD
	       "dn: UID=B, DC=X\n"
	       "mail: b@x.example\n"
	       "deputyDelegate: uid=a,dc=x\n"
	       "deputyDelegate: bob@partner.example\n"
	       WRITE_MID WRITE_C), "add to b: b written anew, every other "
	       "byte kept (%s)", error != NULL ? error : "ok");
	g_free(error);
	error = NULL;
	tap_ok(open_file(path, &dir, &error) == 0
	       && dir_lookup(dir, "b@x.example", &e, &error) == 1
	       && e->delegates.count == 2, "the new file loads, b has two "
	       "delegates");
	dir_entry_free(&e);
	dir_close(&dir);
	g_free(error);
	error = NULL;

	/* c: the last record, no line break at the end */
	mod = (struct dir_mod){ DIR_MOD_REPLACE, "deputyNotice", none };
	rc = dir_admin_modify(admin, "uid=c,dc=x", &mod, 1, &error);
	tap_ok(rc == 0 && file_is(path, WRITE_HEAD
	       "dn: UID=B, DC=X\n"
	       "mail: b@x.example\n"
	       "deputyDelegate: uid=a,dc=x\n"
	       "deputyDelegate: bob@partner.example\n"
	       WRITE_MID
	       "dn: uid=c,dc=x\n"
	       "mail: c@x.example\n"
	       "deputyNotice: none\n"), "replace in the last record (%s)",
	       error != NULL ? error : "ok");
	g_free(error);
	error = NULL;

	/* a: "version: 1" and the comment above stay; the folded value is
	 * written unfolded */
	mod = (struct dir_mod){ DIR_MOD_REPLACE, "deputyNotice", none };
	rc = dir_admin_modify(admin, "UID=A,DC=X", &mod, 1, &error);
	tap_ok(rc == 0 && file_is(path,
	       "# the top comment\n"
	       "version: 1\n"
	       "dn: uid=a,dc=x\n"
	       "objectClass: deputyUser\n"
	       "mail: a@x.example\n"
	       "description: folded line\n"
	       "deputyNotice: none\n"
	       "\n"
	       "# a comment about b\n"
	       "dn: UID=B, DC=X\n"
	       "mail: b@x.example\n"
	       "deputyDelegate: uid=a,dc=x\n"
	       "deputyDelegate: bob@partner.example\n"
	       WRITE_MID
	       "dn: uid=c,dc=x\n"
	       "mail: c@x.example\n"
	       "deputyNotice: none\n"), "the first record, after the "
	       "version line (%s)", error != NULL ? error : "ok");
	g_free(error);
	error = NULL;
	tap_ok(open_file(path, &dir, &error) == 0, "and it loads (%s)",
	       error != NULL ? error : "ok");
	dir_close(&dir);
	g_free(error);
	error = NULL;

	/* refusals: the file stays as it is */
	{
		char   *before = NULL;

		g_file_get_contents(path, &before, NULL, NULL);
		mod = (struct dir_mod){ DIR_MOD_ADD, "deputyDelegate", evil };
		rc = dir_admin_modify(admin, "uid=a,dc=x", &mod, 1, &error);
		tap_ok(rc == -2 && error != NULL
		       && strstr(error, "bob@evil@partner.example.net") != NULL
		       && file_is(path, before), "a delegate deputy-lda would "
		       "refuse (two '@'): -2, not written (%s)", error);
		g_free(error);
		error = NULL;
		mod = (struct dir_mod){ DIR_MOD_DELETE, "deputyDelegate",
					missing };
		rc = dir_admin_modify(admin, "uid=a,dc=x", &mod, 1, &error);
		tap_ok(rc == -2 && file_is(path, before), "deleting a value "
		       "that is not there: -2 (%s)", error);
		g_free(error);
		error = NULL;
		mod = (struct dir_mod){ DIR_MOD_REPLACE, "deputyNotice", none };
		rc = dir_admin_modify(admin, "uid=zz,dc=x", &mod, 1, &error);
		tap_ok(rc == -2 && file_is(path, before), "no such entry: -2 "
		       "(%s)", error);
		g_free(error);
		error = NULL;
		g_free(before);
	}
	tap_ok(dir_admin_has_value(admin, "uid=b,dc=x", "deputyDelegate",
				   "BOB@partner.example", &error) == 1
	       && dir_admin_has_value(admin, "uid=b,dc=x", "deputyNotice",
				      "none", &error) == 0,
	       "has_value: any case, and a missing attribute");
	dir_admin_close(&admin);
	tap_ok(admin == NULL, "dir_admin_close clears the pointer");
	g_unlink(path);
	g_rmdir(tmpdir);
	g_free(path);
	g_free(tmpdir);
}

/* main - open dir-basic.ldif and run the tables */
int
main(void)
{
	struct dir *dir = NULL;
	char   *path, *error = NULL;

	path = data_path("dir-basic.ldif");
	tap_ok(open_file(path, &dir, &error) == 0 && dir != NULL,
	       "open %s: %s", path, error ? error : "ok");
	g_free(error);
	g_free(path);
	if (dir != NULL) {
		test_lookups(dir);
		test_alice(dir);
		test_others(dir);
		dir_close(&dir);
	}
	test_bad();
	test_bad_data();
	test_open_errors();
	test_empty();
	test_notice_parse();
	test_dn_normalize();
	test_write();
	return tap_done();
}
