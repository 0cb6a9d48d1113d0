/*
 * NAME
 *	envelope - normal forms of envelope addresses
 * SUMMARY
 *	See envelope.h. Pure string work, no allocation limits beyond the
 *	input's: the MTA bounds the length of an address (and deputy-lda's
 *	argv is bounded by the kernel).
 */

#include "config.h"

#include <string.h>

#include <glib.h>

#include "envelope.h"

/* envelope_strip - the address inside any <...> pairs and a source route */
static char *
envelope_strip(const char *given)
{
	char *s = g_strstrip(g_strdup(given != NULL ? given : ""));
	size_t n = strlen(s);
	char *colon;

	/* "<<>>", "<x@y>", "<<x@y>>": as many pairs as there are */
	while (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		memmove(s, s + 1, n - 2);
		n -= 2;
		s[n] = '\0';
		g_strstrip(s);
		n = strlen(s);
	}
	/* RFC 5321 A-d-l: "@a,@b:mailbox"; the route goes */
	if (s[0] == '@' && (colon = strchr(s, ':')) != NULL &&
	    strcspn(s, "\"") > (size_t)(colon - s)) {
		memmove(s, colon + 1, strlen(colon + 1) + 1);
	}
	return s;
}

/* envelope_sender - the normal form of GIVEN ("" for the null sender) */
char *
envelope_sender(const char *given)
{
	char *s = envelope_strip(given);

	/* Postfix pipe(8) writes MAILER-DAEMON for <> without null_sender= */
	if (g_ascii_strcasecmp(s, "MAILER-DAEMON") == 0)
		s[0] = '\0';
	return s;
}

/* envelope_split - the offset of the detail delimiter in LOCAL, or -1 */
static long
envelope_split(const char *address, const char *delimiters)
{
	const char *at = strrchr(address, '@');
	size_t local = at != NULL ? (size_t)(at - address) : strlen(address);
	size_t pos;

	if (delimiters == NULL || *delimiters == '\0' || local < 2)
		return -1;
	pos = strcspn(address + 1, delimiters) + 1;
	return pos < local ? (long)pos : -1;
}

/* envelope_recipient - the normal form of GIVEN, split at a detail */
void
envelope_recipient(const char *given, const char *delimiters, char **base_r,
		   char **detail_r)
{
	char *s = envelope_strip(given);
	char *low = g_ascii_strdown(s, -1);
	long pos = envelope_split(low, delimiters);

	g_free(s);
	*detail_r = NULL;
	if (pos < 0) {
		*base_r = low;
		return;
	}
	{
		const char *at = strrchr(low, '@');
		size_t local = at != NULL ? (size_t)(at - low) : strlen(low);

		*detail_r = g_strndup(low + pos + 1, local - (size_t)pos - 1);
		*base_r = g_strdup_printf("%.*s%s", (int)pos, low,
		    at != NULL ? at : "");
	}
	g_free(low);
}

/* envelope_base - ADDRESS without its detail */
char *
envelope_base(const char *address, const char *delimiters)
{
	char *base, *detail;

	envelope_recipient(address, delimiters, &base, &detail);
	g_free(detail);
	return base;
}

/* envelope_domain - the part after the last '@', or "" */
const char *
envelope_domain(const char *address)
{
	const char *at = address != NULL ? strrchr(address, '@') : NULL;

	return at != NULL ? at + 1 : "";
}

