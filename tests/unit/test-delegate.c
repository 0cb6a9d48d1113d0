/*
 * NAME
 *	test-delegate - table-driven tests of delegate_resolve()
 * SUMMARY
 *	Users of tests/data/dir-delegate.ldif, each with delegate limits,
 *	the expected addresses (in order) and a warning expected among the
 *	warnings. Entries marked away there are away from 2000 on. A fake
 *	backend that always fails checks the -1 path.
 *	$srcdir is the top source directory (default ".").
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "delegate.h"
#include "directory.h"
#include "directory-private.h"
#include "tap.h"

#define NOW	((time_t)1797854400)	/* 2026-12-21T12:00:00Z */

struct delegate_row {
	const char *name;
	const char *user;		/* mail of the entry to resolve */
	unsigned int max_depth;
	unsigned int max_count;
	const char *expect;		/* addresses joined with ',' */
	const char *warning;		/* substring of one warning, or NULL */
};

static const struct delegate_row rows[] = {
	{ "deputyDelegate by DN, by address, external", "alice@example.org",
	  3, 10, "bob@example.org,carol@example.org,partner@external.test",
	  NULL },
	{ "unresolvable DN is a warning", "alice@example.org", 3, 10,
	  "bob@example.org,carol@example.org,partner@external.test",
	  "deputyDelegate 'cn=ghost,dc=example,dc=org' names no entry" },
	{ "garbage value is a warning", "alice@example.org", 3, 10,
	  "bob@example.org,carol@example.org,partner@external.test",
	  "deputyDelegate 'not an address' is neither a DN nor an address" },
	{ "secretary before manager", "sam@example.org", 3, 10,
	  "sec@example.org", NULL },
	{ "manager fallback", "mia@example.org", 3, 10, "boss@example.org",
	  NULL },
	{ "transitive through an away delegate", "t1@example.org", 3, 10,
	  "t3@example.org", NULL },
	{ "away delegate with nobody behind gets the copy", "t1b@example.org",
	  3, 10, "t2b@example.org", NULL },
	{ "away delegate passes on to its secretary", "t1c@example.org", 3,
	  10, "sec@example.org", NULL },
	{ "cycle A->B->A: B keeps the copy", "ca@example.org", 3, 10,
	  "cb@example.org", NULL },
	{ "cycle behind the user: Y->Z->Y", "x@example.org", 3, 10,
	  "z@example.org", NULL },
	{ "chain within depth 3", "d0@example.org", 3, 10, "d4@example.org",
	  NULL },
	{ "depth cap 2 stops at d3", "d0@example.org", 2, 10,
	  "d3@example.org", "chain is deeper than 2" },
	{ "depth cap 0: no transitive step", "d0@example.org", 0, 10,
	  "d1@example.org", "chain is deeper than 0" },
	{ "count cap 3", "many@example.org", 3, 3,
	  "p1@external.test,p2@external.test,p3@external.test",
	  "more than 3 delegates" },
	{ "count cap 0", "many@example.org", 3, 0, "", "more than 0" },
	{ "no cap reached", "many@example.org", 3, 5,
	  "p1@external.test,p2@external.test,p3@external.test,"
	  "p4@external.test,p5@external.test", NULL },
	{ "delegate without mail", "nm@example.org", 3, 10, "",
	  "has no mail address" },
	{ "broken absence counts as present", "br@example.org", 3, 10,
	  "broken@example.org", "does not parse" },
	{ "nobody at all", "lonely@example.org", 3, 10, "", NULL },
};

/* join - the values of a list, joined with ','; g_free() the result */
static char *
join(const struct dir_strings *list)
{
	return g_strjoinv(",", list->values);
}

/* has_warning - whether one warning contains TEXT */
static int
has_warning(const struct dir_strings *warnings, const char *text)
{
	size_t	i;

	for (i = 0; i < warnings->count; i++)
		if (strstr(warnings->values[i], text) != NULL)
			return 1;
	return 0;
}

/* run_row - one table row */
static void
run_row(struct dir *dir, const struct delegate_row *row)
{
	struct delegate_limits limits;
	struct dir_strings addresses, warnings;
	struct dir_entry *entry = NULL;
	char   *error = NULL, *got, *warned;
	int	rc;

	if (dir_lookup(dir, row->user, &entry, &error) != 1) {
		tap_ok(0, "%s: user %s not found", row->name, row->user);
		g_free(error);
		return;
	}
	limits.max_depth = row->max_depth;
	limits.max_count = row->max_count;
	rc = delegate_resolve(dir, entry, NOW, &limits, &addresses,
			      &warnings, &error);
	got = join(&addresses);
	warned = join(&warnings);
	tap_ok(rc == 0 && strcmp(got, row->expect) == 0
	       && addresses.values[addresses.count] == NULL,
	       "%s: [%s] expected [%s]", row->name, got, row->expect);
	if (row->warning != NULL)
		tap_ok(has_warning(&warnings, row->warning),
		       "%s: warning '%s' in [%s]", row->name, row->warning,
		       warned);
	g_free(got);
	g_free(warned);
	g_free(error);
	dir_strings_free(&addresses);
	dir_strings_free(&warnings);
	tap_ok(addresses.values == NULL && addresses.count == 0,
	       "%s: dir_strings_free() empties the list", row->name);
	dir_entry_free(&entry);
}

/* test_silent_cases - rows without a warning leave none behind */
static void
test_silent(struct dir *dir)
{
	static const char *const users[] = {
		"sam@example.org", "t1@example.org", "lonely@example.org",
	};
	struct delegate_limits limits = { 3, 10 };
	struct dir_strings addresses, warnings;
	struct dir_entry *entry;
	char   *error;
	size_t	i;

	for (i = 0; i < G_N_ELEMENTS(users); i++) {
		entry = NULL;
		error = NULL;
		if (dir_lookup(dir, users[i], &entry, &error) != 1
		    || delegate_resolve(dir, entry, NOW, &limits, &addresses,
					&warnings, &error) != 0) {
			tap_ok(0, "%s resolves", users[i]);
		} else {
			tap_ok(warnings.count == 0, "%s: no warnings",
			       users[i]);
			dir_strings_free(&addresses);
			dir_strings_free(&warnings);
		}
		g_free(error);
		dir_entry_free(&entry);
	}
}

/* test_cycle_warns - a cycle is logged (issue 4: "a log line") */
static void
test_cycle_warns(struct dir *dir)
{
	struct delegate_limits limits = { 3, 10 };
	struct dir_strings addresses, warnings;
	struct dir_entry *entry = NULL;
	char *error = NULL;
	int found = 0;

	if (dir_lookup(dir, "ca@example.org", &entry, &error) != 1 ||
	    delegate_resolve(dir, entry, NOW, &limits, &addresses, &warnings,
	    &error) != 0) {
		tap_ok(0, "ca@example.org resolves");
	} else {
		for (size_t i = 0; i < warnings.count; i++)
			if (strstr(warnings.values[i], "cycle") != NULL)
				found = 1;
		tap_ok(found, "cycle A->B->A: a warning names the cycle");
		dir_strings_free(&addresses);
		dir_strings_free(&warnings);
	}
	g_free(error);
	dir_entry_free(&entry);
}

/* fail_lookup - a backend whose directory is always down */
static int
fail_lookup(struct dir *dir, const char *key, struct dir_entry **entry_r,
	    char **error_r)
{
	*error_r = g_strdup("server unreachable");
	return -1;
}

static const struct dir_ops fail_ops = {
	.name = "fail",
	.lookup = fail_lookup,
	.lookup_dn = fail_lookup,
};

/* test_failure - a failing lookup makes the whole resolve fail */
static void
test_failure(void)
{
	static char *by_dn[] = { "uid=x,dc=example,dc=org", NULL };
	static char *by_address[] = { "x@example.org", NULL };
	struct dir dir = { &fail_ops };
	struct delegate_limits limits = { 3, 10 };
	struct dir_strings addresses, warnings;
	struct dir_entry entry;
	char   *error = NULL;

	memset(&entry, 0, sizeof(entry));
	entry.dn = "uid=me,dc=example,dc=org";
	entry.mail = "me@example.org";
	entry.delegates.values = by_dn;
	entry.delegates.count = 1;
	tap_ok(delegate_resolve(&dir, &entry, NOW, &limits, &addresses,
				&warnings, &error) == -1
	       && error != NULL && strstr(error, "unreachable") != NULL
	       && strstr(error, "uid=x,dc=example,dc=org") != NULL,
	       "failing DN lookup: -1 (%s)", error ? error : "");
	dir_strings_free(&addresses);
	dir_strings_free(&warnings);
	g_free(error);
	error = NULL;

	entry.delegates.values = NULL;
	entry.delegates.count = 0;
	entry.managers.values = by_address;
	entry.managers.count = 1;
	tap_ok(delegate_resolve(&dir, &entry, NOW, &limits, &addresses,
				&warnings, &error) == -1
	       && error != NULL && strstr(error, "manager") != NULL,
	       "failing address lookup: -1 (%s)", error ? error : "");
	dir_strings_free(&addresses);
	dir_strings_free(&warnings);
	g_free(error);
}

/* main - open dir-delegate.ldif and run the table */
int
main(void)
{
	static const char *const aliases[] = { "mailAlternateAddress", NULL };
	struct dir_settings set;
	struct dir *dir = NULL;
	const char *srcdir;
	char   *path, *error = NULL;
	size_t	i;

	srcdir = getenv("srcdir");
	if (srcdir == NULL || *srcdir == '\0')
		srcdir = ".";
	path = g_strdup_printf("%s/tests/data/dir-delegate.ldif", srcdir);
	memset(&set, 0, sizeof(set));
	set.backend = "ldif";
	set.ldif_file = path;
	set.alias_attributes = aliases;
	tap_ok(dir_open(&set, &dir, &error) == 0, "open %s: %s", path,
	       error ? error : "ok");
	g_free(error);
	g_free(path);
	if (dir != NULL) {
		for (i = 0; i < G_N_ELEMENTS(rows); i++)
			run_row(dir, &rows[i]);
		test_silent(dir);
		test_cycle_warns(dir);
		dir_close(&dir);
	}
	test_failure();
	return tap_done();
}
