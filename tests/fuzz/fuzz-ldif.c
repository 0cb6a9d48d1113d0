/*
 * fuzz-ldif - libFuzzer target: an LDIF file -> dir_open("ldif") ->
 * lookups by address and by DN -> delegate resolution -> dir_close();
 * then deputyctl's view of the same file (dir-write: the same reader)
 * must agree: it lists the deputy entries, and each one it lists is
 * found by DN in the loaded directory.
 *
 * An LDIF directory is written by an administrator or exported from
 * LDAP: not hostile as a rule, but a broken export must fail cleanly
 * with a line number, never crash deputy-lda.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "delegate.h"
#include "dir-write.h"
#include "directory.h"
#include "fuzz-common.h"

/* fuzz_entry - check and release one lookup result */
static void
fuzz_entry(struct dir *dir, int rc, struct dir_entry *e, char *error)
{
	if (rc < -1 || rc > 1)
		abort();
	if (rc == 1) {
		struct delegate_limits lim = { 4, 8 };
		struct dir_strings out = { NULL, 0 }, warn = { NULL, 0 };
		char *err = NULL;

		if (e == NULL || e->dn == NULL)
			abort();
		for (size_t i = 0; i < e->addresses.count; i++)
			(void)dir_entry_has_address(e, e->addresses.values[i]);
		if (delegate_resolve(dir, e, FUZZ_NOW, &lim, &out, &warn,
		    &err) == 0) {
			if (out.count > lim.max_count)
				abort();
		}
		g_free(err);
		dir_strings_free(&out);
		dir_strings_free(&warn);
		dir_entry_free(&e);
		if (e != NULL)
			abort();
	} else if (e != NULL) {
		abort();
	}
	g_free(error);
}

/* fuzz_admin - deputyctl's reading of a file that loaded: the same records */
static void
fuzz_admin(const struct dir_settings *set, struct dir *dir)
{
	struct dir_admin *admin = NULL;
	char **dns = NULL, *error = NULL;

	if (dir_admin_open(set, &admin, &error) != 0 || admin == NULL)
		abort();
	if (dir_admin_list(admin, &dns, &error) != 0 || dns == NULL)
		abort();		/* it loaded: the writer reads it too */
	for (size_t i = 0; dns[i] != NULL; i++) {
		struct dir_entry *e = NULL;
		char *err = NULL;

		if (dir_lookup_dn(dir, dns[i], &e, &err) != 1)
			abort();	/* both readers see the same DNs */
		if (dir_admin_has_value(admin, dns[i], "objectClass",
		    "deputyUser", &err) < 0)
			abort();
		dir_entry_free(&e);
		g_free(err);
	}
	g_strfreev(dns);
	dir_admin_close(&admin);
	if (admin != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const aliases[] = { "mailAlternateAddress", NULL };
	static const char *const addrs[] = {
		"alice@example.org", "a.smith@example.org", "bob@example.org",
		"ALICE@EXAMPLE.ORG", "*", "", "(mail=*)",
	};
	static const char *const dns[] = {
		"uid=alice,ou=people,dc=example,dc=org",
		"UID = Alice , OU=People,DC=example,DC=org",
		"",
	};
	struct dir_settings set;
	struct dir *dir = NULL;
	struct dir_entry *e;
	char *error = NULL;
	int rc;

	memset(&set, 0, sizeof(set));
	set.backend = "ldif";
	set.ldif_file = fuzz_file("ldif", data, size);
	set.alias_attributes = aliases;
	if (dir_open(&set, &dir, &error) != 0) {
		if (error == NULL || dir != NULL)
			abort();
		g_free(error);
		return 0;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(addrs); i++) {
		e = NULL;
		error = NULL;
		rc = dir_lookup(dir, addrs[i], &e, &error);
		fuzz_entry(dir, rc, e, error);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(dns); i++) {
		e = NULL;
		error = NULL;
		rc = dir_lookup_dn(dir, dns[i], &e, &error);
		fuzz_entry(dir, rc, e, error);
	}
	fuzz_admin(&set, dir);
	dir_close(&dir);
	if (dir != NULL)
		abort();
	return 0;
}
