/*
 * NAME
 *	absence-filter - only what defines time, before libical parses
 * SUMMARY
 *	A client's export holds much that is not time: empty DESCRIPTION:,
 *	LOCATION: or CLASS:, properties libical does not know (LINK,
 *	SUBCALENDAR-ID), alarms and to-dos. absence_filter() keeps the
 *	components and properties that define time and drops the rest,
 *	with everything inside dropped components; absence_prescan()
 *	checks the BEGIN/END nesting first, because libical reports a stray
 *	END on stderr.
 * DIAGNOSTICS
 *	See absence.h and absence.c.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <libical/ical.h>

#include "absence-private.h"

/*
 * absence_line_end - count one logical line for the nesting check
 *
 * Errs on the side of refusing: END counts in any form, BEGIN only as
 * "BEGIN:" with a value, the one form libical surely takes as BEGIN.
 */
static int
absence_line_end(const GString *name, int colon, int has_value, int *depth,
		 char **error_r)
{
	if (g_ascii_strcasecmp(name->str, "BEGIN") == 0 && colon
	    && has_value) {
		if (++*depth > ABSENCE_MAX_DEPTH)
			return absence_fail(error_r, "iCalendar components "
					    "nested deeper than %d",
					    ABSENCE_MAX_DEPTH);
	} else if (g_ascii_strcasecmp(name->str, "END") == 0) {
		if (*depth == 0)
			return absence_fail(error_r, "absence value is not "
					    "iCalendar (END without BEGIN)");
		--*depth;
	}
	return 0;
}

/*
 * absence_prescan - check BEGIN/END nesting before libical sees the text
 *
 * libical writes "Encountered END before BEGIN" to stderr, and deputy
 * keeps stderr silent; it also recurses over nested components. Lines
 * are unfolded as RFC 5545 says, so that "EN" + CRLF + " D:" counts.
 */
int
absence_prescan(const char *text, char **error_r)
{
	GString *name;
	const char *p, *content;
	int	depth, name_done, colon, has_value, in_line, ret;

	name = g_string_sized_new(16);
	depth = 0;
	name_done = 1;
	colon = has_value = 0;
	in_line = 0;
	ret = 0;
	for (p = text; ret == 0 && *p != '\0'; ) {
		if (in_line && (*p == ' ' || *p == '\t')) {
			content = p + 1;	/* a continuation line */
		} else {
			if (in_line)
				ret = absence_line_end(name, colon, has_value,
						       &depth, error_r);
			g_string_truncate(name, 0);
			name_done = 0;
			colon = has_value = 0;
			in_line = 1;
			content = p;
		}
		for (p = content; *p != '\0' && *p != '\n'; p++) {
			if (name_done) {
				if (colon && !g_ascii_isspace(*p))
					has_value = 1;
				continue;
			}
			if (*p == ':' || *p == ';' || name->len >= 16) {
				name_done = 1;
				colon = *p == ':';
			} else if (*p != '\r' || p[1] != '\n') {
				g_string_append_c(name, *p);
			}
		}
		if (*p == '\n')
			p++;
	}
	if (ret == 0 && in_line)
		ret = absence_line_end(name, colon, has_value, &depth,
				       error_r);
	if (ret == 0 && depth != 0)
		ret = absence_fail(error_r, "absence value is not iCalendar "
				   "(unbalanced BEGIN/END)");
	g_string_free(name, TRUE);
	return ret;
}

/* Components and properties that define when someone is away. */
static const char *const absence_components[] = {
	"VCALENDAR", "VEVENT", "VTIMEZONE", "STANDARD", "DAYLIGHT",
};
static const char *const absence_properties[] = {
	"UID", "DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE",
	"RECURRENCE-ID", "STATUS", "TZID", "TZOFFSETFROM", "TZOFFSETTO",
	"X-WR-TIMEZONE",
};

/* absence_listed - whether NAME (LEN bytes) is one of LIST, any case */
static int
absence_listed(const char *name, size_t len, const char *const *list,
	       size_t count)
{
	size_t	i;

	for (i = 0; i < count; i++)
		if (strlen(list[i]) == len
		    && g_ascii_strncasecmp(name, list[i], len) == 0)
			return 1;
	return 0;
}

/* absence_cancelled - whether the value after P's ':' is CANCELLED */
static int
absence_cancelled(const char *p)
{
	int	quoted = 0;

	for (; *p != '\0' && (quoted || *p != ':'); p++)
		if (*p == '"')
			quoted = !quoted;
	if (*p != ':')
		return 0;
	for (p++; *p == ' ' || *p == '\t'; p++)
		;
	return g_ascii_strncasecmp(p, "CANCELLED", 9) == 0
	    && strspn(p + 9, " \t\r") == strlen(p + 9);
}

/* absence_empty_value - whether the value after P's ':' is empty */
static int
absence_empty_value(const char *p)
{
	int	quoted = 0;

	for (; *p != '\0' && (quoted || *p != ':'); p++)
		if (*p == '"')
			quoted = !quoted;
	if (*p != ':')
		return 1;
	return strspn(p + 1, " \t\r") == strlen(p + 1);
}

/*
 * absence_filter - the lines of TEXT that define time, for libical
 *
 * Exports carry much that deputy never reads, and libical marks some
 * of it as an error (an empty DESCRIPTION:, a property it does not
 * know such as SUBCALENDAR-ID or RFC 9253 LINK): an absence must not
 * fail for a bad LOCATION. So libical only sees the components and
 * properties listed above; an error that remains concerns time and
 * still refuses the value. BEGIN and END lines are written anew from
 * the names the nesting check counted (BEGIN only as "BEGIN:" with a
 * value, END in any form), so that libical and absence_prescan()
 * agree on the nesting; other kept lines are copied as they are, with
 * their continuation lines. Unknown components (VALARM, VTODO, X-...)
 * are dropped with everything inside them.
 */
char *
absence_filter(const char *text)
{
	GString *out, *logical;
	GPtrArray *stack;
	const char *line, *next, *p;
	size_t	name_len, skip, n;
	int	keep;

	out = g_string_sized_new(strlen(text) + 64);
	logical = g_string_sized_new(128);
	stack = g_ptr_array_new_with_free_func(g_free);
	skip = 0;
	for (line = text; *line != '\0'; line = next) {
		/* one logical line: LINE up to NEXT, unfolded into LOGICAL */
		g_string_truncate(logical, 0);
		next = line;
		do {
			p = next;
			if (next != line)
				p++;		/* the folding blank */
			for (next = p; *next != '\0' && *next != '\n'; next++)
				if (*next != '\r' || next[1] != '\n')
					g_string_append_c(logical, *next);
			if (*next == '\n')
				next++;
		} while (*next == ' ' || *next == '\t');
		name_len = strcspn(logical->str, ";:");
		p = logical->str + name_len;	/* ';', ':' or the end */
		if (name_len == 5 && g_ascii_strncasecmp(logical->str,
							 "BEGIN", 5) == 0) {
			if (*p != ':')
				continue;
			for (p++; *p == ' ' || *p == '\t'; p++)
				;
			n = strlen(p);
			while (n > 0 && g_ascii_isspace(p[n - 1]))
				n--;
			if (n == 0)
				continue;  /* no BEGIN to the prescan */
			if (skip > 0) {
				skip++;
				continue;
			}
			if (!absence_listed(p, n, absence_components,
					    G_N_ELEMENTS(absence_components))) {
				skip = 1;
				continue;
			}
			g_ptr_array_add(stack, g_ascii_strup(p, (gssize)n));
			g_string_append_printf(out, "BEGIN:%s\r\n",
			    (const char *)g_ptr_array_index(stack,
							    stack->len - 1));
			continue;
		}
		if (name_len == 3 && g_ascii_strncasecmp(logical->str, "END",
							 3) == 0) {
			if (skip > 0) {
				skip--;
			} else if (stack->len > 0) {
				g_string_append_printf(out, "END:%s\r\n",
				    (const char *)g_ptr_array_index(stack,
							    stack->len - 1));
				g_ptr_array_remove_index(stack,
							 stack->len - 1);
			}
			continue;
		}
		keep = skip == 0 && stack->len > 0
		    && absence_listed(logical->str, name_len,
				      absence_properties,
				      G_N_ELEMENTS(absence_properties));
		/* STATUS matters only as CANCELLED */
		if (keep && name_len == 6 && g_ascii_strncasecmp(logical->str,
		    "STATUS", 6) == 0 && !absence_cancelled(p))
			keep = 0;
		/* an empty value ("RRULE:") says nothing, and is no error */
		if (keep && absence_empty_value(p))
			keep = 0;
		if (keep) {
			g_string_append_len(out, line, next - line);
			if (next[-1] != '\n')
				g_string_append(out, "\r\n");
		}
	}
	g_ptr_array_free(stack, TRUE);
	g_string_free(logical, TRUE);
	return g_string_free(out, FALSE);
}
