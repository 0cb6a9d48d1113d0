/*
 * NAME
 *	ctl-stats - deputyctl stats: deputyd's decision counters
 * SUMMARY
 *	Reads deputyd's counters page (daemon.metrics, metrics.c) and
 *	shows it for people: when deputyd started, the message counters,
 *	recipients deferred by failure class, and the delivered recipients
 *	by notice and by forward reason (none: a notice was sent, a copy
 *	was forwarded). --json gives the same as one object. The counters
 *	count since deputyd started; deputy-lda run without deputyd counts
 *	nothing here (its log lines do).
 * DIAGNOSTICS
 *	CTL_USAGE when daemon.metrics is not set; CTL_UNREACHABLE when the
 *	page does not answer or is not deputyd's.
 * SECURITY
 *	The page is data: only label values made of [a-z0-9-] are shown,
 *	every other series is ignored.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "ctl.h"
#include "metrics.h"

/* the message counters, in the order deputyd writes them */
static const char *const ctl_stats_counters[] = {
	"connections", "messages", "recipients", "delivered", "deferred",
	"refused", "forwarded", "noticed",
};

/* the labelled series: prefix up to the label value, and the JSON key */
static const struct {
	const char *prefix;
	const char *key;
	const char *title;
} ctl_stats_groups[] = {
	{ "deputyd_deferred_by_class_total{class=\"", "deferred_by_class",
	  "deferred, by class" },
	{ "deputyd_notice_decisions_total{reason=\"", "notice_decisions",
	  "notices, by reason (none: sent)" },
	{ "deputyd_forward_decisions_total{reason=\"", "forward_decisions",
	  "forwards, by reason (none: forwarded)" },
};

/* ctl_stats_label - LINE's label value after PREFIX, if a plain word */
static int
ctl_stats_label(const char *line, const char *prefix, char *label,
		size_t size, long long *value_r)
{
	const char *p, *q;
	size_t	n;

	if (strncmp(line, prefix, strlen(prefix)) != 0)
		return 0;
	p = line + strlen(prefix);
	if ((q = strstr(p, "\"} ")) == NULL)
		return 0;
	n = (size_t)(q - p);
	if (n == 0 || n >= size || strspn(p, "abcdefghijklmnopqrstuvwxyz"
	    "0123456789-") < n)
		return 0;
	memcpy(label, p, n);
	label[n] = '\0';
	*value_r = g_ascii_strtoll(q + 3, NULL, 10);
	return 1;
}

/* ctl_stats_group - the series of group G in PAGE: text or JSON */
static void
ctl_stats_group(struct ctl *c, char **lines, size_t g, struct ctl_json *j)
{
	char	label[64];
	long long v;
	int	any = 0;

	if (j != NULL)
		ctl_json_begin(j, ctl_stats_groups[g].key, 0);
	for (char **l = lines; *l != NULL; l++) {
		if (!ctl_stats_label(*l, ctl_stats_groups[g].prefix, label,
		    sizeof(label), &v))
			continue;
		if (j != NULL) {
			ctl_json_int(j, label, v);
		} else if (v > 0) {
			if (!any)
				fprintf(c->out, "%s:\n",
				    ctl_stats_groups[g].title);
			fprintf(c->out, "  %-24s %lld\n", label, v);
			any = 1;
		}
	}
	if (j != NULL)
		ctl_json_end(j, 0);
	else if (!any)
		fprintf(c->out, "%s: none\n", ctl_stats_groups[g].title);
}

/* ctl_cmd_stats - deputyd's counters */
int
ctl_cmd_stats(struct ctl *c)
{
	const char *where = c->conf->daemon_metrics;
	struct ctl_json js, *j = NULL;
	char   *page, *error = NULL, **lines, name[64];
	long long started;
	int	found;

	if (where == NULL || *where == '\0')
		return ctl_usage(c->args->config != NULL ? c->args->config :
		    conf_default_path(), "daemon.metrics is not set: deputyd "
		    "keeps no counters page to read");
	if ((page = metrics_fetch(where, &error)) == NULL) {
		char   *why = g_strdup_printf("deputyd's counters page does "
		    "not answer (is deputyd running?): %s", error);

		/* not the directory: ctl_unreachable() would say so */
		fprintf(stderr, "deputyctl: daemon.metrics %s: %s\n",
		    ctl_esc(where), ctl_esc(why));
		g_free(why);
		g_free(error);
		return CTL_UNREACHABLE;
	}
	started = metrics_value(page, "deputyd_start_time_seconds", &found);
	if (c->args->json) {
		ctl_json_init(&js);
		j = &js;
		ctl_json_begin(j, NULL, 0);
		ctl_json_str(j, "metrics", where);
		ctl_json_time(j, "started", found ? (time_t)started : 0,
		    c->zone);
		ctl_json_begin(j, "counters", 0);
	} else {
		char   *t = found ? ctl_fmt_time((time_t)started, c->zone, 0)
		    : NULL;

		fprintf(c->out, "deputyd at %s, started %s\n", where,
		    t != NULL ? t : "(unknown)");
		g_free(t);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(ctl_stats_counters); i++) {
		long long v;

		g_snprintf(name, sizeof(name), "deputyd_%s_total",
		    ctl_stats_counters[i]);
		v = metrics_value(page, name, &found);
		if (j != NULL)
			ctl_json_int(j, ctl_stats_counters[i], v);
		else
			fprintf(c->out, "%-26s %lld\n", ctl_stats_counters[i],
			    v);
	}
	if (j != NULL)
		ctl_json_end(j, 0);
	lines = g_strsplit(page, "\n", -1);
	for (char **l = lines; *l != NULL; l++)
		g_strchomp(*l);
	for (size_t g = 0; g < G_N_ELEMENTS(ctl_stats_groups); g++)
		ctl_stats_group(c, lines, g, j);
	g_strfreev(lines);
	g_free(page);
	if (j != NULL) {
		ctl_json_end(j, 0);
		ctl_json_print(j, c->out);
	}
	return CTL_OK;
}
