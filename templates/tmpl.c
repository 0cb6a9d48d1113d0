/*
 * NAME
 *	tmpl - render notice templates
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "tmpl.h"

struct tmpl {
	char *language;
	char *subject;
	char *body;
};

/* tmpl_lookup - the value of NAME in VARS, or NULL */
static const char *
tmpl_lookup(const struct tmpl_var *vars, const char *name, size_t len)
{
	for (; vars != NULL && vars->name != NULL; vars++)
		if (strlen(vars->name) == len &&
		    strncmp(vars->name, name, len) == 0)
			return vars->value;
	return NULL;
}

/*
 * tmpl_append_value - append V, neutralising control characters, at
 * most TMPL_VALUE_MAX bytes and never half a UTF-8 sequence (a long
 * list of delegates with non-ASCII names reaches the cap)
 */
static void
tmpl_append_value(GString *out, const char *v, int one_line)
{
	size_t max = strnlen(v, TMPL_VALUE_MAX + 1);

	if (max > TMPL_VALUE_MAX) {
		max = TMPL_VALUE_MAX;
		while (max > 0 && ((unsigned char)v[max] & 0xC0) == 0x80)
			max--;
	}
	for (const char *p = v; p < v + max; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f) {
			if (c == '\t' && !one_line)
				g_string_append_c(out, '\t');
			else
				g_string_append_c(out, ' ');
		} else {
			g_string_append_c(out, (char)c);
		}
	}
}

/* tmpl_render_text - render TEXT; ONE_LINE strips every control char */
char *
tmpl_render_text(const char *text, const struct tmpl_var *vars, int one_line)
{
	GString *out = g_string_new(NULL);
	const char *p = text;

	while (*p != '\0') {
		const char *line_end = strchr(p, '\n');
		size_t line_len = line_end ? (size_t)(line_end - p) : strlen(p);

		/* ${?var} at the start of a line: keep it only if var is set */
		if (strncmp(p, "${?", 3) == 0) {
			const char *close = memchr(p, '}', line_len);

			if (close != NULL) {
				const char *v = tmpl_lookup(vars, p + 3,
				    (size_t)(close - p - 3));

				if (v == NULL || *v == '\0') {
					p += line_len + (line_end ? 1 : 0);
					continue;
				}
				line_len -= (size_t)(close + 1 - p);
				p = close + 1;
			}
		}
		for (size_t i = 0; i < line_len; i++) {
			if (p[i] == '$' && i + 1 < line_len && p[i + 1] == '{') {
				const char *close = memchr(p + i, '}', line_len - i);

				if (close != NULL) {
					const char *v = tmpl_lookup(vars, p + i + 2,
					    (size_t)(close - p - i - 2));

					if (v != NULL)
						tmpl_append_value(out, v, one_line);
					i = (size_t)(close - p);
					continue;
				}
			}
			if (one_line && ((unsigned char)p[i] < 0x20 || p[i] == 0x7f))
				g_string_append_c(out, ' ');
			else if (p[i] != '\r')
				g_string_append_c(out, p[i]);
		}
		p += line_len;
		if (*p == '\n') {
			g_string_append_c(out, one_line ? ' ' : '\n');
			p++;
		}
	}
	if (one_line) {
		char *s = g_strstrip(g_string_free(out, FALSE));
		size_t n = strlen(s);

		if (n > TMPL_SUBJECT_MAX) {
			n = TMPL_SUBJECT_MAX;
			while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
				n--;
			s[n] = '\0';
		}
		return s;
	}
	return g_string_free(out, FALSE);
}

/* tmpl_safe_name - template names and languages: [a-z0-9_-], short */
static int
tmpl_safe_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return 0;
	for (; *s; s++)
		if (!(g_ascii_isalnum(*s) || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

/* tmpl_read - read and split one template file */
static int
tmpl_read(const char *path, struct tmpl *t, char **error_r)
{
	char *text = NULL, *sep;
	gsize len = 0;
	GError *gerr = NULL;

	if (!g_file_get_contents(path, &text, &len, &gerr)) {
		*error_r = g_strdup(gerr->message);
		g_error_free(gerr);
		return -1;
	}
	if (len > TMPL_FILE_MAX || !g_utf8_validate(text, (gssize)len, NULL) ||
	    strlen(text) != len) {
		*error_r = g_strdup_printf("%s: not UTF-8 text under 64 KiB", path);
		g_free(text);
		return -1;
	}
	if (!g_str_has_prefix(text, "Subject:") ||
	    (sep = strstr(text, "\n\n")) == NULL) {
		*error_r = g_strdup_printf("%s: must start with \"Subject:\" "
		    "and an empty line", path);
		g_free(text);
		return -1;
	}
	*sep = '\0';
	t->subject = g_strstrip(g_strdup(text + strlen("Subject:")));
	t->body = g_strdup(sep + 2);
	g_free(text);
	return 0;
}

/* tmpl_load - read DIR/NAME.LANG (falling back to NAME.en) */
int
tmpl_load(const char *dir, const char *name, const char *language,
	  struct tmpl **tmpl_r, char **error_r)
{
	struct tmpl *t = g_new0(struct tmpl, 1);
	char lang[8] = "en";
	char *path;

	*tmpl_r = NULL;
	if (name == NULL || !tmpl_safe_name(name)) {
		*error_r = g_strdup_printf("template name \"%.40s\" is not "
		    "[A-Za-z0-9_-]{1,32}", name ? name : "");
		g_free(t);
		return -1;
	}
	if (language != NULL && g_ascii_isalpha(language[0]) &&
	    g_ascii_isalpha(language[1]) && !g_ascii_isalpha(language[2])) {
		lang[0] = g_ascii_tolower(language[0]);
		lang[1] = g_ascii_tolower(language[1]);
		lang[2] = '\0';
	}
	path = g_strdup_printf("%s/%s.%s", dir, name, lang);
	if (!g_file_test(path, G_FILE_TEST_EXISTS) && strcmp(lang, "en") != 0) {
		g_free(path);
		strcpy(lang, "en");
		path = g_strdup_printf("%s/%s.en", dir, name);
	}
	if (tmpl_read(path, t, error_r) != 0) {
		g_free(path);
		g_free(t);
		return -1;
	}
	g_free(path);
	t->language = g_strdup(lang);
	*tmpl_r = t;
	return 0;
}

/* tmpl_language - the language the loaded template is in */
const char *
tmpl_language(const struct tmpl *t)
{
	return t->language;
}

/* tmpl_render - subject and body with VARS */
void
tmpl_render(const struct tmpl *t, const struct tmpl_var *vars,
	    char **subject_r, char **body_r)
{
	*subject_r = tmpl_render_text(t->subject, vars, 1);
	*body_r = tmpl_render_text(t->body, vars, 0);
}

/* tmpl_free - release; sets *t to NULL */
void
tmpl_free(struct tmpl **t)
{
	if (*t == NULL)
		return;
	g_free((*t)->language);
	g_free((*t)->subject);
	g_free((*t)->body);
	g_free(*t);
	*t = NULL;
}

/* tmpl_exists - see tmpl.h */
int
tmpl_exists(const char *dir, const char *name)
{
	size_t	i, n = strlen(name);
	char   *path;
	int	ok;

	for (i = 0; i < n; i++)
		if (!(g_ascii_isalnum(name[i]) || name[i] == '-'
		      || name[i] == '_'))
			return TMPL_BAD_NAME;
	if (n == 0 || n > 32)
		return TMPL_BAD_NAME;
	path = g_strdup_printf("%s/%s.en", dir, name);
	ok = access(path, R_OK) == 0;
	g_free(path);
	return ok ? 0 : TMPL_MISSING;
}
