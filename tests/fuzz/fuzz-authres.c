/*
 * fuzz-authres - libFuzzer target: Authentication-Results value ->
 * authres_parse(), then the trust gate over it
 *
 * The header is the sender's until a trusted authserv-id vouches for
 * it, and even then the value is parsed first. Checks: 0 with a result
 * or -1 with an error, never both; the caps of authres.h hold; no
 * parsed string holds a control character (they reach logs and
 * --explain); keywords are lowercase letters, digits and '-'; the
 * parse is deterministic (a second parse agrees); authres_prop_unique()
 * agrees with authres_prop_get(). Then the value as the one trusted
 * field of a message: a verdict always has a one-line detail, and
 * "authenticated" implies what trust.h promises: the trusted id in
 * plain form, version 1, an spf or dkim pass of version 1.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "authres.h"
#include "facts.h"
#include "fuzz-common.h"
#include "trust.h"

/* fuzz_str - abort on a control character (it could forge a line) */
static void
fuzz_str(const char *s, int may_be_null)
{
	if (s == NULL) {
		if (!may_be_null)
			abort();
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
}

/* fuzz_keyword - abort unless S is a non-empty lowercase Keyword */
static void
fuzz_keyword(const char *s)
{
	if (s == NULL || *s == '\0')
		abort();
	for (const char *p = s; *p; p++)
		if (!(g_ascii_islower(*p) || g_ascii_isdigit(*p) || *p == '-'))
			abort();
}

/* fuzz_trust - the value as the one trusted field; check the verdict */
static void
fuzz_trust(const char *text, const struct authres *ar)
{
	static const char *const ids[] = { "mx.example.org", NULL };
	struct trust_settings set = { ids, 0, TRUST_DEFAULT_PSL };
	struct trust_verdict v = { 0, NULL };
	struct facts f;
	int pass = 0;

	memset(&f, 0, sizeof(f));
	f.trust_headers[0].name = (char *)"Authentication-Results";
	f.trust_headers[0].value = (char *)text;
	f.ntrust_headers = 1;
	trust_authenticate(&f, "bob@example.com", &set, &v);
	if (v.detail == NULL || strchr(v.detail, '\n') || strchr(v.detail, '\r'))
		abort();
	if (v.authenticated) {
		if (ar == NULL || strcmp(ar->authserv_id, "mx.example.org") != 0 ||
		    !ar->authserv_id_plain || ar->version != 1)
			abort();
		for (size_t i = 0; i < ar->nresults; i++) {
			const struct authres_result *r = &ar->results[i];

			if (strcmp(r->result, "pass") == 0 && r->version == 1 &&
			    (strcmp(r->method, "spf") == 0 ||
			    strcmp(r->method, "dkim") == 0))
				pass = 1;
			if (strcmp(r->method, "dmarc") == 0 &&
			    strcmp(r->result, "fail") == 0)
				abort();	/* the veto */
		}
		if (!pass)
			abort();
	}
	trust_verdict_clear(&v);
	if (v.detail != NULL || v.authenticated)
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
		if (ar == NULL || ar->nresults > AUTHRES_MAX_RESULTS ||
		    ar->nset_aside > size || (ar->authserv_id_plain != 0 &&
		    ar->authserv_id_plain != 1) || error != NULL)
			abort();
		fuzz_str(ar->authserv_id, 0);
		if (*ar->authserv_id == '\0')
			abort();
		for (size_t i = 0; i < ar->nresults; i++) {
			const struct authres_result *r = &ar->results[i];
			size_t n;

			if (r->nprops > AUTHRES_MAX_PROPS)
				abort();
			fuzz_keyword(r->method);
			fuzz_keyword(r->result);
			fuzz_str(r->reason, 1);
			for (size_t j = 0; j < r->nprops; j++) {
				fuzz_keyword(r->props[j].ptype);
				fuzz_keyword(r->props[j].property);
				fuzz_str(r->props[j].value, 0);
				if (*r->props[j].value == '\0')
					abort();
			}
			{
				const char *u = authres_prop_unique(r, "header",
				    "d", &n);
				const char *g = authres_prop_get(r, "header", "d");

				if ((n == 0) != (g == NULL) || (u != NULL &&
				    g_ascii_strcasecmp(u, g) != 0) ||
				    (n == 1 && u != g))
					abort();
			}
			(void)authres_prop_get(r, "smtp", "mailfrom");
		}
	} else {
		if (rc != -1 || error == NULL || ar != NULL)
			abort();
	}
	rc2 = authres_parse(text, &again, &error2);
	if (rc2 != rc || (rc == 0 && (again == NULL ||
	    again->nresults != ar->nresults ||
	    again->nset_aside != ar->nset_aside ||
	    again->authserv_id_plain != ar->authserv_id_plain ||
	    strcmp(again->authserv_id, ar->authserv_id) != 0)))
		abort();
	fuzz_trust(text, ar);
	authres_free(&ar);
	authres_free(&again);
	if (ar != NULL || again != NULL)
		abort();
	g_free(error);
	g_free(error2);
	free(text);
	return 0;
}
