/*
 * NAME
 *	addr - the one rule for a mail address deputy may hand on
 * SUMMARY
 *	See addr.h. The rules are those deputy-lda has used for the
 *	addresses it passes to sendmail (lda_safe_address()).
 * DIAGNOSTICS
 *	None: a yes or a no.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "addr.h"

/* addr_is_safe - whether A is an address deputy may hand on */
int
addr_is_safe(const char *a)
{
	const char *at, *p;
	size_t	n;

	if (a == NULL)
		return 0;
	n = strlen(a);
	at = strchr(a, '@');
	if (n == 0 || n > ADDR_MAX || a[0] == '-' || at == NULL || at == a
	    || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return 0;
	for (p = a; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f
		    || strchr("<>,;\"\\", *p) != NULL)
			return 0;
	for (p = a; p < at; p++)
		if (strchr("()[]:", *p) != NULL)
			return 0;
	p = at + 1;
	n = strlen(p);
	if (*p == '[')			/* "[" text "]", nothing after */
		return n > 2 && strcspn(p + 1, "[]") == n - 2
		    && p[n - 1] == ']';
	return strcspn(p, "()[]:") == n;
}
