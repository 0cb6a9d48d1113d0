/*
 * NAME
 *	proto - LMTP command lines
 * SUMMARY
 *	See proto.h. Lenient where Postfix and Dovecot are (a space after
 *	the colon, verbs in any case), strict where a mistake would change
 *	an address (unbalanced brackets or quotes, controls, a path that
 *	is too long).
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "proto.h"

static const struct {
	const char *name;
	enum lmtp_verb verb;
} lmtp_verbs[] = {
	{ "LHLO", LMTP_LHLO }, { "HELO", LMTP_HELO }, { "EHLO", LMTP_EHLO },
	{ "MAIL", LMTP_MAIL }, { "RCPT", LMTP_RCPT }, { "DATA", LMTP_DATA },
	{ "BDAT", LMTP_BDAT }, { "RSET", LMTP_RSET }, { "NOOP", LMTP_NOOP },
	{ "QUIT", LMTP_QUIT }, { "VRFY", LMTP_VRFY }, { "HELP", LMTP_HELP },
};

/* lmtp_command - the verb of LINE, and its argument */
enum lmtp_verb
lmtp_command(const char *line, const char **arg_r)
{
	size_t n = strcspn(line, " ");

	*arg_r = line + n;
	while (**arg_r == ' ')
		(*arg_r)++;
	if (n != 4)
		return LMTP_UNKNOWN;
	for (size_t i = 0; i < G_N_ELEMENTS(lmtp_verbs); i++)
		if (g_ascii_strncasecmp(line, lmtp_verbs[i].name, 4) == 0)
			return lmtp_verbs[i].verb;
	return LMTP_UNKNOWN;
}

/* lmtp_path_end - the '>' that closes the path at P, or NULL */
static const char *
lmtp_path_end(const char *p)
{
	int quoted = 0;

	for (; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return NULL;
		if (*p == '\\' && quoted) {
			/* the escaped byte is no exception to the rule */
			++p;
			if (*p == '\0' || (unsigned char)*p < 0x20 || *p == 0x7f)
				return NULL;
			continue;
		}
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '>' && !quoted)
			return p;
		else if (*p == '<' && !quoted)
			return NULL;
	}
	return NULL;
}

/* lmtp_param - one ESMTP parameter into PATH; -1 with a reply */
static int
lmtp_param(const char *word, struct lmtp_path *path, const char **reply_r)
{
	const char *eq = strchr(word, '=');
	size_t klen = eq != NULL ? (size_t)(eq - word) : strlen(word);

	if (klen == 4 && g_ascii_strncasecmp(word, "SIZE", 4) == 0 &&
	    eq != NULL) {
		char *end;
		long long v = strtoll(eq + 1, &end, 10);

		if (*end != '\0' || end == eq + 1 || v < 0 ||
		    strlen(eq + 1) > 15) {
			*reply_r = "501 5.5.4 SIZE wants a number of bytes";
			return -1;
		}
		path->size = v;
		return 0;
	}
	if (klen == 4 && g_ascii_strncasecmp(word, "BODY", 4) == 0 &&
	    eq != NULL) {
		if (g_ascii_strcasecmp(eq + 1, "8BITMIME") == 0)
			path->eightbit = 1;
		else if (g_ascii_strcasecmp(eq + 1, "7BIT") != 0) {
			*reply_r = "501 5.5.4 BODY is 7BIT or 8BITMIME";
			return -1;
		}
		return 0;
	}
	*reply_r = "555 5.5.4 unsupported parameter";
	return -1;
}

/* lmtp_path - parse the argument of MAIL or RCPT into PATH */
int
lmtp_path(const char *arg, const char *keyword, struct lmtp_path *path,
	  const char **reply_r)
{
	size_t kl = strlen(keyword);
	const char *p = arg, *end;
	gchar **words;
	int rc = 0;

	memset(path, 0, sizeof(*path));
	path->size = -1;
	if (g_ascii_strncasecmp(p, keyword, kl) != 0) {
		*reply_r = "501 5.5.4 syntax: MAIL FROM:<address> or "
		    "RCPT TO:<address>";
		return -1;
	}
	p += kl;
	while (*p == ' ')
		p++;
	if (*p != '<' || (end = lmtp_path_end(p + 1)) == NULL) {
		*reply_r = "501 5.1.7 an address in angle brackets, please";
		return -1;
	}
	if ((size_t)(end - p - 1) > LMTP_PATH_MAX) {
		*reply_r = "501 5.1.7 address too long";
		return -1;
	}
	path->address = g_strndup(p + 1, (gsize)(end - p - 1));
	p = end + 1;
	if (*p != '\0' && *p != ' ') {
		*reply_r = "501 5.5.4 a space after the address, please";
		lmtp_path_clear(path);
		return -1;
	}
	words = g_strsplit(p, " ", 32);
	for (gchar **w = words; *w != NULL && rc == 0; w++) {
		if (**w == '\0')
			continue;
		for (const char *c = *w; *c != '\0'; c++)
			if ((unsigned char)*c < 0x21 || *c == 0x7f) {
				*reply_r = "501 5.5.4 a control character";
				rc = -1;
				break;
			}
		if (rc == 0)
			rc = lmtp_param(*w, path, reply_r);
	}
	g_strfreev(words);
	if (rc != 0)
		lmtp_path_clear(path);
	return rc;
}

/* lmtp_path_clear - release PATH */
void
lmtp_path_clear(struct lmtp_path *path)
{
	g_free(path->address);
	memset(path, 0, sizeof(*path));
	path->size = -1;
}
