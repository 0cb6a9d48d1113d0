/*
 * NAME
 *	ctl-json - a small JSON writer for deputyctl's --json output
 * SUMMARY
 *	Objects and arrays are opened and closed in order; members are
 *	written with a key inside objects and without one (key NULL) inside
 *	arrays. Strings are escaped per RFC 8259; bytes that are not UTF-8
 *	become U+FFFD. The document is printed once, at the end, with a
 *	newline.
 * DIAGNOSTICS
 *	None: nesting deeper than 31 levels is a programming error and is
 *	caught by g_assert().
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "ctl.h"

/* ctl_json_escape - VALUE as a JSON string literal */
static void
ctl_json_escape(GString *out, const char *value)
{
	const char *p;
	char   *valid;

	valid = g_utf8_make_valid(value, -1);
	g_string_append_c(out, '"');
	for (p = valid; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '"' || ch == '\\') {
			g_string_append_c(out, '\\');
			g_string_append_c(out, (char)ch);
		} else if (ch == '\n') {
			g_string_append(out, "\\n");
		} else if (ch == '\r') {
			g_string_append(out, "\\r");
		} else if (ch == '\t') {
			g_string_append(out, "\\t");
		} else if (ch < 0x20 || ch == 0x7f) {
			g_string_append_printf(out, "\\u%04x", ch);
		} else {
			g_string_append_c(out, (char)ch);
		}
	}
	g_string_append_c(out, '"');
	g_free(valid);
}

/* ctl_json_key - the separator and the key of the next member */
static void
ctl_json_key(struct ctl_json *j, const char *key)
{
	if (!j->first[j->depth])
		g_string_append_c(j->buf, ',');
	j->first[j->depth] = 0;
	if (key != NULL) {
		ctl_json_escape(j->buf, key);
		g_string_append_c(j->buf, ':');
	}
}

/* ctl_json_init - an empty document */
void
ctl_json_init(struct ctl_json *j)
{
	memset(j, 0, sizeof(*j));
	j->buf = g_string_new(NULL);
	j->first[0] = 1;
}

/* ctl_json_begin - open an object or an array */
void
ctl_json_begin(struct ctl_json *j, const char *key, int array)
{
	g_assert(j->depth < (int)G_N_ELEMENTS(j->first) - 1);
	ctl_json_key(j, key);
	g_string_append_c(j->buf, array ? '[' : '{');
	j->first[++j->depth] = 1;
}

/* ctl_json_end - close the innermost object or array */
void
ctl_json_end(struct ctl_json *j, int array)
{
	g_assert(j->depth > 0);
	j->depth--;
	g_string_append_c(j->buf, array ? ']' : '}');
}

/* ctl_json_str - a string member; NULL becomes null */
void
ctl_json_str(struct ctl_json *j, const char *key, const char *value)
{
	ctl_json_key(j, key);
	if (value == NULL)
		g_string_append(j->buf, "null");
	else
		ctl_json_escape(j->buf, value);
}

/* ctl_json_int - a number member */
void
ctl_json_int(struct ctl_json *j, const char *key, long long value)
{
	ctl_json_key(j, key);
	g_string_append_printf(j->buf, "%lld", value);
}

/* ctl_json_bool - a true/false member */
void
ctl_json_bool(struct ctl_json *j, const char *key, int value)
{
	ctl_json_key(j, key);
	g_string_append(j->buf, value ? "true" : "false");
}

/* ctl_json_time - an ISO 8601 time in ZONE; 0 becomes null */
void
ctl_json_time(struct ctl_json *j, const char *key, time_t t, const char *zone)
{
	char   *s;

	if (t == 0) {
		ctl_json_str(j, key, NULL);
		return;
	}
	s = ctl_fmt_time(t, zone, 1);
	ctl_json_str(j, key, s);
	g_free(s);
}

/* ctl_json_print - print the document and release it */
void
ctl_json_print(struct ctl_json *j, FILE *out)
{
	fprintf(out, "%s\n", j->buf->str);
	g_string_free(j->buf, TRUE);
	j->buf = NULL;
}
