/*
 * NAME
 *	test-ldap-escape - RFC 4515 escaping and the LDAP backend's checks
 * SUMMARY
 *	A table of values (with explicit lengths, so NUL is in it) and the
 *	exact escaped text of dir_conn_filter_value() (libldap's
 *	ldap_bv2escaped_filter_value(): upper-case hex). Then the LDAP
 *	backend without a server: bad settings are refused at dir_open(),
 *	and a lookup against a port where nothing listens fails (-1) with
 *	an error naming the URI. The real server is in
 *	tests/integration/ldap.sh.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <glib.h>

#include "directory.h"
#include "directory-private.h"
#include "ldap-conn.h"
#include "tap.h"

#define S(x) ((x) != NULL ? (x) : "(null)")

static const struct {
	const char *in;
	size_t	len;
	const char *out;
} escapes[] = {
	{ "alice@example.org", 17, "alice@example.org" },
	{ "", 0, "" },
	{ "*", 1, "\\2A" },
	{ "(", 1, "\\28" },
	{ ")", 1, "\\29" },
	{ "\\", 1, "\\5C" },
	{ "\0", 1, "\\00" },
	{ "a\0b", 3, "a\\00b" },
	{ "*)(uid=*", 8, "\\2A\\29\\28uid=\\2A" },
	{ "x*)(|(mail=*))@example.org", 26,
	  "x\\2A\\29\\28|\\28mail=\\2A\\29\\29@example.org" },
	{ "a\r\nb", 4, "a\\0D\\0Ab" },
	{ "\x7f", 1, "\\7F" },
	{ "caf\xc3\xa9@example.org", 17, "caf\\C3\\A9@example.org" },
	{ "a b=c&d|e!f~g>h<i", 17, "a b=c&d|e!f~g>h<i" },
	{ "\\2a", 3, "\\5C2a" },
};

static const char *const no_aliases[] = { NULL };
static const char *const good_aliases[] = { "mailAlternateAddress",
					     "1.2.3.4", NULL };
static const char *const bad_alias1[] = { "mail)(uid=*", NULL };
static const char *const bad_alias2[] = { "", NULL };
static const char *const bad_alias3[] = { "1.2.", NULL };
static const char *const dead_uri[] = { "ldap://127.0.0.1:1",
					"ldap://127.0.0.1:2", NULL };
static const char *const bad_uri[] = { "http://example.org", NULL };

int
main(void)
{
	struct dir_settings set;
	struct dir_entry *e;
	struct dir *dir;
	char   *err;
	size_t	i;
	int	rc;

	for (i = 0; i < G_N_ELEMENTS(escapes); i++) {
		GString *out = g_string_new(NULL);

		dir_conn_filter_value(escapes[i].in, escapes[i].len, out);
		tap_ok(strcmp(out->str, escapes[i].out) == 0,
		       "escape case %zu: %s (want %s)", i, out->str,
		       escapes[i].out);
		g_string_free(out, TRUE);
	}

	memset(&set, 0, sizeof(set));
	set.backend = "ldap";
	set.uris = dead_uri;
	set.base = "dc=example,dc=org";
	set.alias_attributes = good_aliases;
	set.tls = "none";
	set.network_timeout = 2;
	set.timeout = 2;
	set.size_limit = 10;

	/* settings refused at open */
	{
		struct dir_settings b;

		b = set; b.base = "";
		err = NULL; dir = NULL;
		rc = dir_open(&b, &dir, &err);
		tap_ok(rc == -1 && strstr(err, "base"),
		       "no base: %s", S(err));
		g_free(err);
		b = set; b.uris = bad_uri;
		err = NULL;
		rc = dir_open(&b, &dir, &err);
		tap_ok(rc == -1 && strstr(err, "http"),
		       "bad URI: %s", S(err));
		g_free(err);
		b = set; b.alias_attributes = bad_alias1;
		err = NULL;
		rc = dir_open(&b, &dir, &err);
		tap_ok(rc == -1, "alias with ')': %s",
		       S(err));
		g_free(err);
		b = set; b.alias_attributes = bad_alias2;
		err = NULL;
		rc = dir_open(&b, &dir, &err);
		tap_ok(rc == -1, "empty alias: %s", S(err));
		g_free(err);
		b = set; b.alias_attributes = bad_alias3;
		err = NULL;
		rc = dir_open(&b, &dir, &err);
		tap_ok(rc == -1, "bad OID alias: %s",
		       S(err));
		g_free(err);
		b = set; b.bind_dn = "cn=deputy,dc=example,dc=org";
		err = NULL;
		rc = dir_open(&b, &dir, &err);
		tap_ok(rc == -1
		       && strstr(err, "bind_password_file"),
		       "bind_dn without a password file: %s", S(err));
		g_free(err);
		b = set; b.sasl_mech = "GSSAPI";
		err = NULL;
		rc = dir_open(&b, &dir, &err);
		tap_ok(rc == -1, "SASL GSSAPI: %s", S(err));
		g_free(err);
		b = set; b.alias_attributes = no_aliases; b.sasl_mech = "external";
		err = NULL;
		rc = dir_open(&b, &dir, &err);
		tap_ok(rc == 0, "SASL external, no aliases: opens");
		dir_close(&dir);
	}

	/* open is lazy: nothing listens, yet it opens; the lookup fails */
	err = NULL;
	rc = dir_open(&set, &dir, &err);
	tap_ok(rc == 0 && dir != NULL, "dir_open does not connect");
	e = NULL;
	rc = dir_lookup(dir, "alice@example.org", &e, &err);
	tap_ok(rc == -1 && e == NULL && err != NULL
	       && strstr(err, "ldap://127.0.0.1:1") != NULL
	       && strstr(err, "ldap://127.0.0.1:2") != NULL,
	       "lookup with every URI down: -1 naming each URI (%s)", S(err));
	g_free(err);
	err = NULL;
	rc = dir_lookup_dn(dir, "uid=alice,dc=example,dc=org", &e, &err);
	tap_ok(rc == -1 && err != NULL, "DN lookup too: -1 (%s)", S(err));
	g_free(err);
	err = NULL;
	rc = dir_lookup_dn(dir, "not a dn", &e, &err);
	tap_ok(rc == 0 && err == NULL, "a value that is not a DN names nobody");
	dir_close(&dir);
	tap_ok(dir == NULL, "dir_close clears the pointer");
	return tap_done();
}
