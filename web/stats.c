/*
 * NAME
 *	stats - decisions of the last seven days, by reason, for the chart
 * SUMMARY
 *	GET /api/stats answers, for each of the last 7 days (UTC), how many
 *	recipients got each notice reason and each forward reason (the
 *	stable codes of decide.h; "none" means sent, or forwarded). Two
 *	sources, the first that works:
 *	- deputyd's counters page (web.metrics, else daemon.metrics): the
 *	  Prometheus text of lmtp/counters.c. The counters run from
 *	  deputyd's start, so deputy-web keeps a sample of them per day
 *	  (at each request of this page, at most every minute) and a day's
 *	  count is the difference between its last sample and the day
 *	  before's, or the whole count on the day deputyd started; a
 *	  restart of deputyd (its start time changes) counts from zero.
 *	  Other days without a sample the day before show nothing.
 *	- log.file, when deputy-web can read it: the decision lines that
 *	  deputy-lda and deputyd write (forward_reason=, notice_reason=),
 *	  counted per day, from the last 16 MB of the file.
 * DIAGNOSTICS
 *	Always 200: {"source": "none"} and a note when neither works.
 * SECURITY
 *	Only known reason codes are counted, from the end of a log line
 *	(the fields a sender can influence come before them), and not from
 *	deputy-web's own lines. The counters page is read with a 3 second
 *	timeout and at most 256 KB.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif


#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "decide.h"
#include "metrics.h"
#include "web.h"

#define STATS_DAYS		7
#define STATS_LOG_TAIL		(16 * 1024 * 1024)
#define STATS_SAMPLE_EVERY	60

/* The counters at one moment: "notice:REASON" -> value. */
struct stats_sample {
	time_t	t;
	gint64	started;		/* deputyd's start time */
	GHashTable *values;
};

/* What deputy-web remembers of the counters, per UTC day. */
struct stats_history {
	GHashTable *days;		/* day number -> struct stats_sample */
	time_t	last;			/* the last sample's time */
	gint64	since;			/* the first sample's start time */
};

/* stats_sample_free - release one sample */
static void
stats_sample_free(gpointer data)
{
	struct stats_sample *s = data;

	if (s->values != NULL)
		g_hash_table_destroy(s->values);
	g_free(s);
}

/* web_stats_free - forget the samples */
void
web_stats_free(struct web *w)
{
	struct stats_history *h = w->stats;

	if (h == NULL)
		return;
	g_hash_table_destroy(h->days);
	g_free(h);
	w->stats = NULL;
}

/* stats_reason_ok - whether NAME is a reason code of decide.h */
static int
stats_reason_ok(const char *name, size_t len)
{
	int	i;

	for (i = 0; i < DR_COUNT; i++) {
		const char *n = decide_reason_name((enum decide_reason)i);

		if (strlen(n) == len && strncmp(n, name, len) == 0)
			return 1;
	}
	return 0;
}

/* stats_parse - the counters of a page as a sample */
static struct stats_sample *
stats_parse(const char *page, time_t now)
{
	static const struct {
		const char *metric;
		const char *kind;
	} metrics[] = {
		{ "deputyd_notice_decisions_total{reason=\"", "notice" },
		{ "deputyd_forward_decisions_total{reason=\"", "forward" },
	};
	struct stats_sample *s = g_new0(struct stats_sample, 1);
	char  **lines = g_strsplit(page, "\n", -1), **l;
	size_t	k;

	s->t = now;
	s->values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					  NULL);
	for (l = lines; *l != NULL; l++) {
		g_strchomp(*l);
		if (g_str_has_prefix(*l, "deputyd_start_time_seconds "))
			s->started = g_ascii_strtoll(*l + 27, NULL, 10);
		for (k = 0; k < G_N_ELEMENTS(metrics); k++) {
			const char *p, *q;

			if (!g_str_has_prefix(*l, metrics[k].metric))
				continue;
			p = *l + strlen(metrics[k].metric);
			q = strstr(p, "\"} ");
			if (q == NULL || !stats_reason_ok(p, (size_t)(q - p)))
				continue;
			g_hash_table_insert(s->values, g_strdup_printf(
			    "%s:%.*s", metrics[k].kind, (int)(q - p), p),
			    (gpointer)(gintptr)g_ascii_strtoll(q + 3, NULL,
			    10));
		}
	}
	g_strfreev(lines);
	return s;
}

/* stats_value - one counter of S, 0 when absent */
static gint64
stats_value(const struct stats_sample *s, const char *key)
{
	return s == NULL ? 0 : (gint64)(gintptr)g_hash_table_lookup(s->values,
								    key);
}

/* stats_day_of - the UTC day number of T */
static gint64
stats_day_of(time_t t)
{
	return (gint64)(t / 86400);
}

/* stats_day_name - "YYYY-MM-DD" of day number D */
static char *
stats_day_name(gint64 d)
{
	GDateTime *dt = g_date_time_new_from_unix_utc(d * 86400);
	char   *s = g_date_time_format(dt, "%Y-%m-%d");

	g_date_time_unref(dt);
	return s;
}

/* stats_add - COUNTS[kind:reason][day index] += N */
static void
stats_add(GHashTable *counts, const char *key, int idx, gint64 n)
{
	gint64 *row = g_hash_table_lookup(counts, key);

	if (row == NULL) {
		row = g_new0(gint64, STATS_DAYS);
		g_hash_table_insert(counts, g_strdup(key), row);
	}
	row[idx] += n;
}

/* stats_from_metrics - sample the counters; per-day differences */
static int
stats_from_metrics(struct web *w, const char *where, time_t now,
		   GHashTable *counts, char **error_r)
{
	struct stats_history *h = w->stats;
	struct stats_sample *s;
	gint64	today = stats_day_of(now), d;
	char   *page;
	int	i;

	if (h == NULL) {
		h = w->stats = g_new0(struct stats_history, 1);
		h->days = g_hash_table_new_full(g_int64_hash, g_int64_equal,
						g_free, stats_sample_free);
	}
	if (now - h->last >= STATS_SAMPLE_EVERY
	    || !g_hash_table_contains(h->days, &today)) {
		if ((page = metrics_fetch(where, error_r)) == NULL)
			return -1;
		s = stats_parse(page, now);
		g_free(page);
		if (h->since == 0)
			h->since = s->started;
		h->last = now;
		g_hash_table_replace(h->days, g_memdup2(&today,
						sizeof(today)), s);
		/* forget samples older than the chart */
		for (d = today - STATS_DAYS - 1; d > today - 40; d--)
			g_hash_table_remove(h->days, &d);
	}
	for (i = 0; i < STATS_DAYS; i++) {
		gint64	day = today - (STATS_DAYS - 1) + i, prev = day - 1;
		const struct stats_sample *cur, *before;
		GHashTableIter it;
		gpointer key, value;

		cur = g_hash_table_lookup(h->days, &day);
		before = g_hash_table_lookup(h->days, &prev);
		if (cur == NULL)
			continue;
		if (before == NULL && cur->started < (gint64)day * 86400)
			continue;	/* no difference to take */
		g_hash_table_iter_init(&it, cur->values);
		while (g_hash_table_iter_next(&it, &key, &value)) {
			gint64	n = (gint64)(gintptr)value;

			if (before != NULL && cur->started == before->started)
				n -= stats_value(before, key);
			if (n > 0)
				stats_add(counts, key, i, n);
		}
	}
	return 0;
}

/* stats_line - count one log line, if it is a decision of the last days */
static void
stats_line(const char *line, gint64 today, GHashTable *counts)
{
	static const char *const kinds[] = { "forward", "notice" };
	GDateTime *dt;
	gint64	day;
	size_t	k;
	char	stamp[21];
	const char *prog;

	if (strlen(line) < 22 || line[20] != ' ')
		return;
	memcpy(stamp, line, 20);
	stamp[20] = '\0';
	prog = line + 21;
	if (g_str_has_prefix(prog, "deputy-web["))
		return;
	dt = g_date_time_new_from_iso8601(stamp, NULL);
	if (dt == NULL)
		return;
	day = stats_day_of((time_t)g_date_time_to_unix(dt));
	g_date_time_unref(dt);
	if (day > today || day <= today - STATS_DAYS)
		return;
	for (k = 0; k < G_N_ELEMENTS(kinds); k++) {
		char	key[64];
		const char *p;
		size_t	len;

		g_snprintf(key, sizeof(key), " %s_reason=", kinds[k]);
		p = g_strrstr(line, key);
		if (p == NULL)
			continue;
		p += strlen(key);
		len = strcspn(p, " ");
		if (!stats_reason_ok(p, len))
			continue;
		g_snprintf(key, sizeof(key), "%s:%.*s", kinds[k], (int)len,
		    p);
		stats_add(counts, key, (int)(day - (today - STATS_DAYS + 1)),
		    1);
	}
}

/* stats_from_log - decision lines of the last days in log.file */
static int
stats_from_log(struct web *w, time_t now, GHashTable *counts,
	       char **error_r)
{
	const char *path = w->conf->log_file;
	GString *tail;
	char	buf[65536];
	char  **lines, **l;
	off_t	size;
	ssize_t	n;
	int	fd;

	if (path == NULL) {
		*error_r = g_strdup("log.file is not set (the log goes to "
				    "syslog)");
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*error_r = g_strdup_printf("%s: %s", path, g_strerror(errno));
		return -1;
	}
	size = lseek(fd, 0, SEEK_END);
	if (size > STATS_LOG_TAIL)
		(void)lseek(fd, size - STATS_LOG_TAIL, SEEK_SET);
	else
		(void)lseek(fd, 0, SEEK_SET);
	tail = g_string_new(NULL);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || tail->len > STATS_LOG_TAIL)
			break;
		g_string_append_len(tail, buf, n);
	}
	close(fd);
	lines = g_strsplit(tail->str, "\n", -1);
	g_string_free(tail, TRUE);
	for (l = lines; *l != NULL; l++)
		stats_line(*l, stats_day_of(now), counts);
	g_strfreev(lines);
	return 0;
}

/* stats_kind_json - {reason: [counts per day]} of one kind */
static void
stats_kind_json(JsonBuilder *b, const char *kind, GHashTable *counts)
{
	GList *keys, *k;
	size_t	plen = strlen(kind) + 1;
	int	i;

	json_builder_set_member_name(b, kind);
	json_builder_begin_object(b);
	keys = g_list_sort(g_hash_table_get_keys(counts),
			   (GCompareFunc)strcmp);
	for (k = keys; k != NULL; k = k->next) {
		const char *key = k->data;
		const gint64 *row;

		if (strncmp(key, kind, plen - 1) != 0 || key[plen - 1] != ':')
			continue;
		row = g_hash_table_lookup(counts, key);
		json_builder_set_member_name(b, key + plen);
		json_builder_begin_array(b);
		for (i = 0; i < STATS_DAYS; i++)
			json_builder_add_int_value(b, row[i]);
		json_builder_end_array(b);
	}
	g_list_free(keys);
	json_builder_end_object(b);
}

/* web_api_stats - decisions per day and reason */
void
web_api_stats(struct web_req *r)
{
	const struct deputy_conf *c = r->web->conf;
	const char *where = c->web_metrics != NULL ? c->web_metrics
	    : c->daemon_metrics;
	GHashTable *counts;
	JsonBuilder *b;
	const char *source = "none";
	char   *err_m = NULL, *err_l = NULL;
	gint64	today = stats_day_of(r->now);
	int	i;

	counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				       g_free);
	if (where != NULL && stats_from_metrics(r->web, where, r->now, counts,
						&err_m) == 0)
		source = "metrics";
	else if (stats_from_log(r->web, r->now, counts, &err_l) == 0)
		source = "log";
	b = json_builder_new();
	json_builder_begin_object(b);
	web_json_str(b, "source", source);
	if (strcmp(source, "metrics") == 0) {
		web_json_str(b, "where", where);
		web_json_time(b, "since", (time_t)((struct stats_history *)
		    r->web->stats)->since, "UTC");
	}
	if (strcmp(source, "none") == 0) {
		char   *note = g_strdup_printf("no source of decisions: %s%s%s",
		    err_m != NULL ? "deputyd's counters: " : "",
		    err_m != NULL ? err_m : "", err_l != NULL ? err_l : "");

		web_json_str(b, "note", note);
		g_free(note);
	} else if (err_m != NULL) {
		web_json_str(b, "note", err_m);
	}
	json_builder_set_member_name(b, "days");
	json_builder_begin_array(b);
	for (i = 0; i < STATS_DAYS; i++) {
		char   *d = stats_day_name(today - (STATS_DAYS - 1) + i);

		json_builder_add_string_value(b, d);
		g_free(d);
	}
	json_builder_end_array(b);
	stats_kind_json(b, "notice", counts);
	stats_kind_json(b, "forward", counts);
	json_builder_end_object(b);
	web_reply(r, MHD_HTTP_OK, b);
	g_hash_table_destroy(counts);
	g_free(err_m);
	g_free(err_l);
}
