#ifndef DEPUTY_TMPL_H
#define DEPUTY_TMPL_H

/*
 * NAME
 *	tmpl - render notice templates
 * SUMMARY
 *	A template file NAME.LANG (e.g. notice.de) holds a "Subject:" line,
 *	an empty line and the body, in UTF-8. ${var} is replaced by a
 *	variable's value; a line that starts with ${?var} is kept only when
 *	var is set and not empty (the marker itself is removed). Unknown
 *	variables render empty. tmpl_load() picks the language: the first
 *	preferredLanguage tag ("de-AT" -> "de"), else "en".
 * DIAGNOSTICS
 *	-1 with *error_r when no template can be read or one is malformed.
 * SECURITY
 *	Variables come from the directory and the message. The subject is
 *	rendered on one line: CR, LF, NUL and other control characters in
 *	values become spaces, and it is capped at TMPL_SUBJECT_MAX bytes.
 *	The body keeps LF from the template but not from values. This
 *	module knows nothing of mail delivery.
 */

#include <stddef.h>

#define TMPL_SUBJECT_MAX	200
#define TMPL_VALUE_MAX		1000
#define TMPL_FILE_MAX		(64 * 1024)

struct tmpl_var {
	const char *name;
	const char *value;	/* NULL: unset */
};

struct tmpl;

/* tmpl_load - read DIR/NAME.LANG (falling back to NAME.en) */
int tmpl_load(const char *dir, const char *name, const char *language,
	      struct tmpl **tmpl_r, char **error_r);

/*
 * tmpl_exists - whether NAME is a template in DIR: 0 when NAME.en is
 * there and readable; TMPL_BAD_NAME when NAME is not [A-Za-z0-9_-]{1,32};
 * TMPL_MISSING when its file is not there
 */
#define TMPL_BAD_NAME	(-1)
#define TMPL_MISSING	(-2)
int tmpl_exists(const char *dir, const char *name);

/* tmpl_language - the language the loaded template is in */
const char *tmpl_language(const struct tmpl *t);

/* tmpl_render - subject and body with VARS (NULL-name terminated) */
void tmpl_render(const struct tmpl *t, const struct tmpl_var *vars,
		 char **subject_r, char **body_r);

/* tmpl_render_text - render TEXT; ONE_LINE strips every control char */
char *tmpl_render_text(const char *text, const struct tmpl_var *vars,
		       int one_line);

/* tmpl_free - release; sets *t to NULL */
void tmpl_free(struct tmpl **t);

#endif
