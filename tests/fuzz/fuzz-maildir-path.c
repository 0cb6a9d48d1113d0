/*
 * fuzz-maildir-path - libFuzzer target: maildir_path()
 *
 * Input: TEMPLATE NUL ADDRESS (no NUL: the whole input is the address).
 * The address comes from the MTA's envelope, the template from the
 * administrator. Two checks:
 *  - with the fuzzed template, no crash and no leak;
 *  - with the fixed template "/var/mail/%d/%l/Maildir", every address
 *    with an '@' gets a path (the recipient is the sender's choice: it
 *    must never be refused), and that path stays below /var/mail/: no
 *    "..", no empty or dot component, no control character (the
 *    SECURITY claim of maildir.h).
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "fuzz-common.h"
#include "maildir.h"

/* fuzz_confined - abort unless PATH is a safe path under /var/mail/ */
static void
fuzz_confined(const char *path)
{
	gchar **parts;

	if (strncmp(path, "/var/mail/", 10) != 0)
		abort();
	parts = g_strsplit(path + 10, "/", -1);
	for (gchar **p = parts; *p != NULL; p++) {
		if (**p == '\0' || **p == '.')
			abort();
		for (const unsigned char *c = (const unsigned char *)*p; *c; c++)
			if (*c < 0x20 || *c == 0x7f)
				abort();
	}
	/* %d and %l are two components, plus "Maildir". */
	if (g_strv_length(parts) != 3 || strcmp(parts[2], "Maildir") != 0)
		abort();
	g_strfreev(parts);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	size_t first = strlen(text);
	const char *tmpl = first < size ? text : "/var/mail/%d/%l/Maildir";
	const char *address = first < size ? text + first + 1 : text;
	char *path = NULL, *error = NULL;

	if (maildir_path(tmpl, address, &path, &error) == 0) {
		if (path == NULL)
			abort();
		g_free(path);
	} else {
		if (error == NULL)
			abort();
		g_free(error);
	}
	/* The fixed template, with the address alone. */
	path = NULL;
	error = NULL;
	if (maildir_path("/var/mail/%d/%l/Maildir", address, &path,
	    &error) == 0) {
		if (strchr(address, '@') != NULL)
			fuzz_confined(path);
		g_free(path);
	} else if (strchr(address, '@') != NULL) {
		abort();	/* every recipient has a Maildir */
	} else {
		g_free(error);
	}
	free(text);
	return 0;
}
