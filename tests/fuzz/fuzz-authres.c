/*
 * fuzz-authres - libFuzzer target: Authentication-Results value ->
 * authres_parse()
 *
 * The header is the sender's until a trusted authserv-id vouches for
 * it, and even then the value is parsed first. Checks: 0 with a result
 * or -1 with an error, never both; the caps of authres.h hold; no
 * parsed string holds a control character (they reach logs and
 * --explain); the parse is deterministic (a second parse agrees).
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "authres.h"
#include "fuzz-common.h"

/* fuzz_str - abort on CR or LF (they would let a value forge a line) */
static void
fuzz_str(const char *s, int may_be_null)
{
	if (s == NULL) {
		if (!may_be_null)
			abort();
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p == '\r' || *p == '\n' || *p == 0)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	struct authres *ar = NULL, *again = NULL;
	char *error = NULL, *error2 = NULL;
	int rc, rc2;

	rc = authres_parse(text, &ar, &error);
	if (rc == 0) {
		if (ar == NULL || ar->nresults > AUTHRES_MAX_RESULTS)
			abort();
		fuzz_str(ar->authserv_id, 0);
		for (size_t i = 0; i < ar->nresults; i++) {
			const struct authres_result *r = &ar->results[i];

			if (r->nprops > AUTHRES_MAX_PROPS)
				abort();
			fuzz_str(r->method, 0);
			fuzz_str(r->result, 0);
			fuzz_str(r->reason, 1);
			for (size_t j = 0; j < r->nprops; j++) {
				fuzz_str(r->props[j].ptype, 0);
				fuzz_str(r->props[j].property, 0);
				fuzz_str(r->props[j].value, 0);
			}
			(void)authres_prop_get(r, "smtp", "mailfrom");
			(void)authres_prop_get(r, "header", "d");
		}
	} else {
		if (rc != -1 || error == NULL || ar != NULL)
			abort();
	}
	rc2 = authres_parse(text, &again, &error2);
	if (rc2 != rc || (rc == 0 && (again == NULL ||
	    again->nresults != ar->nresults ||
	    strcmp(again->authserv_id, ar->authserv_id) != 0)))
		abort();
	authres_free(&ar);
	authres_free(&again);
	if (ar != NULL || again != NULL)
		abort();
	g_free(error);
	g_free(error2);
	free(text);
	return 0;
}
