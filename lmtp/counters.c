/*
 * NAME
 *	counters - shared decision counters
 * SUMMARY
 *	See counters.h. The page is plain memory: a reader may see one
 *	counter a step ahead of another, which monitoring tolerates.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "counters.h"

static const char *const counters_base_names[CTR_BASE_COUNT] = {
	[CTR_CONNECTIONS] = "connections",
	[CTR_MESSAGES] = "messages",
	[CTR_RECIPIENTS] = "recipients",
	[CTR_DELIVERED] = "delivered",
	[CTR_DEFERRED] = "deferred",
	[CTR_REFUSED] = "refused",
	[CTR_FORWARDED] = "forwarded",
	[CTR_NOTICED] = "noticed",
};

/* counters_create - a new shared page */
struct counters *
counters_create(int *fd_r, char **error_r)
{
	int fd = memfd_create("deputyd-counters", 0);
	struct counters *c;

	if (fd < 0 || ftruncate(fd, sizeof(struct counters)) != 0) {
		*error_r = g_strdup_printf("counters: %s", g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if ((c = counters_attach(fd, error_r)) == NULL) {
		close(fd);
		return NULL;
	}
	c->started = (int64_t)time(NULL);
	*fd_r = fd;
	return c;
}

/* counters_attach - map the page of FD */
struct counters *
counters_attach(int fd, char **error_r)
{
	void *p = mmap(NULL, sizeof(struct counters), PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);

	if (p == MAP_FAILED) {
		*error_r = g_strdup_printf("counters: mmap: %s",
		    g_strerror(errno));
		return NULL;
	}
	return p;
}

/* counters_add - add one to counter *C */
void
counters_add(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

/* counters_record - count the outcome of one recipient's record */
void
counters_record(struct counters *c, const struct record *rec)
{
	if (c == NULL)
		return;
	counters_add(&c->base[CTR_RECIPIENTS]);
	if (rec->fail != FAIL_NONE) {
		counters_add(&c->base[CTR_DEFERRED]);
		counters_add(&c->fail[rec->fail < FAIL_COUNT ? rec->fail :
		    FAIL_INTERNAL]);
		return;
	}
	if (rec->mailbox == RECORD_MB_REFUSED) {
		counters_add(&c->base[CTR_REFUSED]);
		return;
	}
	counters_add(&c->base[CTR_DELIVERED]);
	if (rec->forwarded)
		counters_add(&c->base[CTR_FORWARDED]);
	if (rec->noticed)
		counters_add(&c->base[CTR_NOTICED]);
	if (rec->d.notice_reason < DR_COUNT)
		counters_add(&c->notice[rec->d.notice_reason]);
	if (rec->d.forward_reason < DR_COUNT)
		counters_add(&c->forward[rec->d.forward_reason]);
}

/* counters_load - one counter, read whole */
static uint64_t
counters_load(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* counters_print - the page in the Prometheus text format */
void
counters_print(const struct counters *c, FILE *out)
{
	fprintf(out, "# HELP deputyd_start_time_seconds when deputyd started\n"
	    "# TYPE deputyd_start_time_seconds gauge\n"
	    "deputyd_start_time_seconds %lld\n", (long long)c->started);
	for (int i = 0; i < CTR_BASE_COUNT; i++)
		fprintf(out, "# TYPE deputyd_%s_total counter\n"
		    "deputyd_%s_total %llu\n", counters_base_names[i],
		    counters_base_names[i],
		    (unsigned long long)counters_load(&c->base[i]));
	fprintf(out, "# HELP deputyd_deferred_by_class_total recipients "
	    "answered 4xx, by failure class\n"
	    "# TYPE deputyd_deferred_by_class_total counter\n");
	for (int i = 1; i < FAIL_COUNT; i++)
		fprintf(out, "deputyd_deferred_by_class_total{class=\"%s\"} "
		    "%llu\n", fail_name((enum fail_class)i),
		    (unsigned long long)counters_load(&c->fail[i]));
	fprintf(out, "# HELP deputyd_notice_decisions_total delivered "
	    "recipients by notice reason (none: sent)\n"
	    "# TYPE deputyd_notice_decisions_total counter\n");
	for (int i = 0; i < DR_COUNT; i++)
		if (counters_load(&c->notice[i]) > 0 || i == DR_NONE)
			fprintf(out, "deputyd_notice_decisions_total"
			    "{reason=\"%s\"} %llu\n",
			    decide_reason_name((enum decide_reason)i),
			    (unsigned long long)counters_load(&c->notice[i]));
	fprintf(out, "# HELP deputyd_forward_decisions_total delivered "
	    "recipients by forward reason (none: forwarded)\n"
	    "# TYPE deputyd_forward_decisions_total counter\n");
	for (int i = 0; i < DR_COUNT; i++)
		if (counters_load(&c->forward[i]) > 0 || i == DR_NONE)
			fprintf(out, "deputyd_forward_decisions_total"
			    "{reason=\"%s\"} %llu\n",
			    decide_reason_name((enum decide_reason)i),
			    (unsigned long long)counters_load(&c->forward[i]));
}
