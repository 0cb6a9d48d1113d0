/*
 * NAME
 *	test-ical-agree - absence_check() against a reference run
 * SUMMARY
 *	tests/data/ical/reference/ holds calendars from the test suite of
 *	python-recurring-ical-events (see the README there), and
 *	expected.tsv the instances that library computed for each group
 *	of VEVENTs with one UID (reference.py says how). For each group,
 *	the calendar with only that group's VEVENTs is one deputyAbsence
 *	value; deputy is asked whether the user is away at instants around
 *	every reference instance (a second before, the start, the middle,
 *	the last second, the end), at noon on days across the window, and
 *	at the bounds of what deputy itself reports, and its answer is
 *	compared with the reference's.
 *
 *	A refused value (absence_check() -1) counts as "not away", which
 *	is what deputy-lda makes of it. Each calendar gives one TAP line
 *	and one row of the agreement table (a TAP comment). A calendar
 *	with disagreements passes only when reasons.tsv explains them, as
 *	a case where deputy follows RFC 5545 and the reference does not,
 *	or where the reference refuses the calendar; a reason that no
 *	longer has a disagreement fails too, so the list stays true.
 *	$srcdir is the top source directory (default ".").
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <libical/ical.h>

#include "absence.h"
#include "tap.h"

#define AGREE_MAX_GRID		150	/* noon instants per group */
#define AGREE_MAX_INSTANTS	3000	/* instants per group */

/* One reference instance. */
struct agree_occ {
	time_t	start;
	time_t	end;
};

/* What one calendar came to. */
struct agree_row {
	char   *file;
	unsigned int groups;
	unsigned int instants;
	unsigned int agree;
	unsigned int disagree;
	unsigned int refused;		/* instants deputy refused */
	unsigned int ref_errors;	/* groups the reference refused */
	GString *first;			/* the first disagreement */
};

/* agree_time - "YYYYMMDDTHHMMSSZ" as seconds since the epoch */
static int
agree_time(const char *text, time_t *t_r)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (strlen(text) != 16 || sscanf(text, "%4d%2d%2dT%2d%2d%2dZ",
	    &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
	    &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*t_r = timegm(&tm);
	return 0;
}

/* agree_stamp - T as "YYYY-MM-DDTHH:MM:SSZ" in BUF */
static const char *
agree_stamp(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* agree_uid_of - the UID of the VEVENT lines [P, END), or "" */
static char *
agree_uid_of(const char *p, const char *end)
{
	const char *nl, *v;
	GString *line;
	char   *uid = NULL;
	int	depth = 0;

	line = g_string_new(NULL);
	while (p < end && uid == NULL) {
		/* one logical line */
		g_string_truncate(line, 0);
		do {
			if (line->len > 0 || *p == ' ' || *p == '\t')
				p++;
			nl = memchr(p, '\n', (size_t)(end - p));
			if (nl == NULL)
				nl = end;
			g_string_append_len(line, p, nl - p);
			p = nl < end ? nl + 1 : end;
			if (line->len > 0 && line->str[line->len - 1] == '\r')
				g_string_truncate(line, line->len - 1);
		} while (p < end && (*p == ' ' || *p == '\t'));
		if (g_ascii_strncasecmp(line->str, "BEGIN:", 6) == 0)
			depth++;
		else if (g_ascii_strncasecmp(line->str, "END:", 4) == 0)
			depth--;
		else if (depth == 1
		    && g_ascii_strncasecmp(line->str, "UID", 3) == 0
		    && (line->str[3] == ':' || line->str[3] == ';')
		    && (v = strchr(line->str, ':')) != NULL)
			uid = g_strdup(v + 1);
	}
	g_string_free(line, TRUE);
	return uid != NULL ? uid : g_strdup("");
}

/*
 * agree_value - TEXT without the VEVENTs whose UID is not UID ("-":
 * those without one); the rest (VTIMEZONEs, the calendar's own
 * properties, other components) stays as written
 */
static char *
agree_value(const char *text, const char *uid)
{
	GString *out;
	const char *p, *line, *block;
	char   *this_uid;
	int	depth, in_event, keep;

	out = g_string_sized_new(strlen(text));
	depth = in_event = 0;
	block = NULL;
	for (p = text; *p != '\0'; ) {
		line = p;
		p = strchr(p, '\n');
		p = p != NULL ? p + 1 : line + strlen(line);
		if (g_ascii_strncasecmp(line, "BEGIN:", 6) == 0) {
			depth++;
			if (!in_event
			    && g_ascii_strncasecmp(line + 6, "VEVENT", 6) == 0) {
				in_event = depth;
				block = line;
			}
		} else if (g_ascii_strncasecmp(line, "END:", 4) == 0) {
			if (in_event == depth) {
				this_uid = agree_uid_of(block, p);
				keep = strcmp(this_uid, uid) == 0
				    || (strcmp(uid, "-") == 0
				    && *this_uid == '\0');
				if (keep)
					g_string_append_len(out, block,
							    p - block);
				g_free(this_uid);
				in_event = 0;
				depth--;
				continue;
			}
			depth--;
		}
		if (!in_event)
			g_string_append_len(out, line, p - line);
	}
	return g_string_free(out, FALSE);
}

/* agree_ref_away - whether a reference instance covers T */
static int
agree_ref_away(const GArray *occ, time_t t)
{
	guint	i;

	for (i = 0; i < occ->len; i++) {
		const struct agree_occ *o = &g_array_index(occ,
						struct agree_occ, i);

		if (o->start <= t && t < o->end)
			return 1;
	}
	return 0;
}

/* agree_add - queue instant T once, when inside [FROM, UNTIL) */
static void
agree_add(GArray *queue, GHashTable *seen, time_t t, time_t from,
	  time_t until)
{
	gint64	key = t;

	if (t < from || t >= until || queue->len >= AGREE_MAX_INSTANTS
	    || g_hash_table_contains(seen, &key))
		return;
	g_hash_table_add(seen, g_memdup2(&key, sizeof(key)));
	g_array_append_val(queue, t);
}

/* agree_group - compare one UID group; adds to ROW */
static void
agree_group(struct agree_row *row, const char *text, const char *uid,
	    time_t from, time_t until, GArray *occ)
{
	GArray *queue;
	GHashTable *seen;
	struct absence_result res;
	const char *values[2] = { NULL, NULL };
	char   *value, *error, b1[32], b2[32], b3[32];
	time_t	t, step;
	guint	i;
	int	rc, ref, dep;

	value = agree_value(text, uid);
	values[0] = value;
	queue = g_array_new(FALSE, FALSE, sizeof(time_t));
	seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
				     NULL);
	for (i = 0; i < occ->len; i++) {
		const struct agree_occ *o = &g_array_index(occ,
						struct agree_occ, i);

		agree_add(queue, seen, o->start - 1, from, until);
		agree_add(queue, seen, o->start, from, until);
		if (o->end > o->start) {
			agree_add(queue, seen, o->start + (o->end - o->start)
				  / 2, from, until);
			agree_add(queue, seen, o->end - 1, from, until);
		}
		agree_add(queue, seen, o->end, from, until);
	}
	step = 86400;
	while ((until - from) / step > AGREE_MAX_GRID)
		step += 86400;
	for (t = from - from % 86400 + 43200; t < until; t += step)
		agree_add(queue, seen, t, from, until);

	for (i = 0; i < queue->len; i++) {
		t = g_array_index(queue, time_t, i);
		error = NULL;
		rc = absence_check(values, t, &res, &error);
		ref = agree_ref_away(occ, t);
		dep = rc == 1;
		row->instants++;
		if (rc < 0)
			row->refused++;
		if (dep == ref) {
			row->agree++;
		} else {
			row->disagree++;
			if (row->first->len == 0) {
				g_string_printf(row->first, "UID %s at %s: "
				    "reference %s, deputy ", uid,
				    agree_stamp(t, b1, sizeof(b1)),
				    ref ? "away" : "not away");
				if (rc == 1)
					g_string_append_printf(row->first,
					    "away %s to %s",
					    agree_stamp(res.start, b2,
					    sizeof(b2)), agree_stamp(res.end,
					    b3, sizeof(b3)));
				else if (rc == 0)
					g_string_append(row->first,
							"not away");
				else
					g_string_append_printf(row->first,
					    "refused: %s", error != NULL
					    ? error : "?");
			}
		}
		/* deputy's own bounds are instants worth asking about too */
		if (rc == 1) {
			agree_add(queue, seen, res.start - 1, from, until);
			agree_add(queue, seen, res.start, from, until);
			agree_add(queue, seen, res.end - 1, from, until);
			agree_add(queue, seen, res.end, from, until);
		}
		g_free(error);
	}
	g_hash_table_destroy(seen);
	g_array_free(queue, TRUE);
	g_free(value);
}

/* agree_reasons - reasons.tsv: "file<TAB>reason" per line */
static GHashTable *
agree_reasons(const char *path)
{
	GHashTable *reasons;
	char   *text, **lines, *tab;
	size_t	i;

	reasons = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					g_free);
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return reasons;
	lines = g_strsplit(text, "\n", -1);
	for (i = 0; lines[i] != NULL; i++) {
		if (lines[i][0] == '#' || (tab = strchr(lines[i], '\t'))
		    == NULL)
			continue;
		*tab = '\0';
		g_hash_table_replace(reasons, g_strdup(lines[i]),
				     g_strdup(tab + 1));
	}
	g_strfreev(lines);
	g_free(text);
	return reasons;
}

/* agree_hand - expected-hand.tsv: "file<TAB>uid" to its whole line */
static GHashTable *
agree_hand(const char *path)
{
	GHashTable *hand;
	char   *text, **lines, **f;
	size_t	i;

	hand = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return hand;
	lines = g_strsplit(text, "\n", -1);
	for (i = 0; lines[i] != NULL; i++) {
		if (lines[i][0] == '#' || lines[i][0] == '\0')
			continue;
		f = g_strsplit(lines[i], "\t", 3);
		if (g_strv_length(f) == 3)
			g_hash_table_replace(hand, g_strdup_printf("%s\t%s",
			    f[0], f[1]), g_strdup(lines[i]));
		g_strfreev(f);
	}
	g_strfreev(lines);
	g_free(text);
	return hand;
}

/* agree_finish - the TAP line and table row of one calendar */
static void
agree_finish(struct agree_row *row, GHashTable *reasons,
	     unsigned int *totals)
{
	const char *reason = g_hash_table_lookup(reasons, row->file);
	int	differs = row->disagree > 0 || row->ref_errors > 0;

	printf("# %-48s %5u %5u %5u %5u  %s\n", row->file, row->instants,
	       row->agree, row->disagree, row->refused,
	       differs ? (reason != NULL ? reason : "UNEXPLAINED")
	       : "agrees");
	if (row->first->len > 0)
		printf("#     first: %s\n", row->first->str);
	if (differs)
		tap_ok(reason != NULL, "%s: %u of %u instants differ, %u "
		       "groups the reference refused: %s", row->file,
		       row->disagree, row->instants, row->ref_errors,
		       reason != NULL ? reason : "no reason in reasons.tsv");
	else
		tap_ok(reason == NULL, "%s: %u instants in %u groups agree%s",
		       row->file, row->instants, row->groups,
		       reason != NULL ? ", but reasons.tsv still lists it"
		       : "");
	totals[0] += row->instants;
	totals[1] += row->agree;
	totals[2] += row->disagree;
	totals[3] += row->refused;
	g_free(row->file);
	g_string_free(row->first, TRUE);
	memset(row, 0, sizeof(*row));
}

/* main - every group of expected.tsv */
int
main(void)
{
	struct agree_row row;
	struct agree_occ o;
	GHashTable *reasons, *hand;
	GArray	*occ;
	const char *srcdir;
	char   *dir, *path, *tsv, **lines, **f, **pairs, *text = NULL;
	unsigned int totals[4] = { 0, 0, 0, 0 }, calendars = 0;
	time_t	from, until;
	size_t	i, j;

	srcdir = getenv("srcdir");
	if (srcdir == NULL || *srcdir == '\0')
		srcdir = ".";
	dir = g_strdup_printf("%s/tests/data/ical", srcdir);
	path = g_strdup_printf("%s/expected.tsv", dir);
	if (!g_file_get_contents(path, &tsv, NULL, NULL)) {
		tap_ok(0, "cannot read %s", path);
		return tap_done();
	}
	g_free(path);
	path = g_strdup_printf("%s/reasons.tsv", dir);
	reasons = agree_reasons(path);
	g_free(path);
	path = g_strdup_printf("%s/expected-hand.tsv", dir);
	hand = agree_hand(path);
	g_free(path);

	printf("# %-48s %5s %5s %5s %5s  %s\n", "calendar", "inst", "agree",
	       "diff", "refus", "reason");
	memset(&row, 0, sizeof(row));
	lines = g_strsplit(tsv, "\n", -1);
	for (i = 0; lines[i] != NULL; i++) {
		if (lines[i][0] == '#' || lines[i][0] == '\0')
			continue;
		f = g_strsplit(lines[i], "\t", 5);
		if (g_strv_length(f) >= 2) {
			char   *key = g_strdup_printf("%s\t%s", f[0], f[1]);
			const char *line = g_hash_table_lookup(hand, key);

			g_free(key);
			if (line != NULL) {
				g_strfreev(f);
				f = g_strsplit(line, "\t", 5);
			}
		}
		if (g_strv_length(f) < 3) {
			tap_ok(0, "expected.tsv line %zu: too few fields",
			       i + 1);
			g_strfreev(f);
			continue;
		}
		if (row.file == NULL || strcmp(row.file, f[0]) != 0) {
			if (row.file != NULL)
				agree_finish(&row, reasons, totals);
			row.file = g_strdup(f[0]);
			row.first = g_string_new(NULL);
			calendars++;
			g_free(text);
			path = g_strdup_printf("%s/reference/%s", dir, f[0]);
			if (!g_file_get_contents(path, &text, NULL, NULL))
				text = g_strdup("");
			g_free(path);
		}
		row.groups++;
		if (g_str_has_prefix(f[2], "ERROR")) {
			row.ref_errors++;
			g_strfreev(f);
			continue;
		}
		if (g_strv_length(f) < 4 || agree_time(f[2], &from) < 0
		    || agree_time(f[3], &until) < 0) {
			tap_ok(0, "expected.tsv line %zu: bad window", i + 1);
			g_strfreev(f);
			continue;
		}
		occ = g_array_new(FALSE, FALSE, sizeof(struct agree_occ));
		pairs = g_strsplit(f[4] != NULL ? f[4] : "", " ", -1);
		for (j = 0; pairs[j] != NULL; j++) {
			char   *slash = strchr(pairs[j], '/');

			if (slash == NULL)
				continue;
			*slash = '\0';
			if (agree_time(pairs[j], &o.start) == 0
			    && agree_time(slash + 1, &o.end) == 0)
				g_array_append_val(occ, o);
		}
		g_strfreev(pairs);
		agree_group(&row, text, f[1], from, until, occ);
		g_array_free(occ, TRUE);
		g_strfreev(f);
	}
	if (row.file != NULL)
		agree_finish(&row, reasons, totals);
	printf("# %-48s %5u %5u %5u %5u  (%u calendars)\n", "total",
	       totals[0], totals[1], totals[2], totals[3], calendars);
	tap_ok(calendars >= 30 && totals[0] >= 10000, "%u calendars, %u "
	       "instants compared", calendars, totals[0]);
	g_strfreev(lines);
	g_free(text);
	g_free(tsv);
	g_free(dir);
	g_hash_table_destroy(reasons);
	g_hash_table_destroy(hand);
	icaltimezone_free_builtin_timezones();
	return tap_done();
}
