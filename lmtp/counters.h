#ifndef DEPUTY_COUNTERS_H
#define DEPUTY_COUNTERS_H

/*
 * NAME
 *	counters - deputyd's decision counters, shared by its processes
 * SUMMARY
 *	One page of 64-bit counters in a memfd that deputyd's master
 *	creates and every worker maps: messages, recipients, outcomes by
 *	failure class, forwards and notices by reason code. Workers add
 *	with atomic operations; the master prints them in the Prometheus
 *	text format (deputyctl stats reads the same page over HTTP).
 * DIAGNOSTICS
 *	counters_create() and counters_attach() return NULL with *error_r.
 */

#include <stdint.h>
#include <stdio.h>

#include "decide.h"
#include "fail.h"
#include "record.h"

enum counter_base {
	CTR_CONNECTIONS,
	CTR_MESSAGES,
	CTR_RECIPIENTS,
	CTR_DELIVERED,		/* every copy done, LMTP 250 */
	CTR_DEFERRED,		/* 4xx: a fault of this host */
	CTR_REFUSED,		/* 5xx from the downstream LMTP server */
	CTR_FORWARDED,
	CTR_NOTICED,
	CTR_BASE_COUNT
};

struct counters {
	uint64_t base[CTR_BASE_COUNT];
	uint64_t fail[FAIL_COUNT];
	uint64_t notice[DR_COUNT];	/* by notice_reason (none = sent) */
	uint64_t forward[DR_COUNT];	/* by forward_reason */
	int64_t started;		/* the master's start, unix time */
};

/* counters_create - a new shared page; *fd_r is its descriptor */
struct counters *counters_create(int *fd_r, char **error_r);

/* counters_attach - map the page of FD (a worker) */
struct counters *counters_attach(int fd, char **error_r);

/* counters_add - add one to counter *C (atomic) */
void counters_add(uint64_t *c);

/* counters_record - count the outcome of one recipient's record */
void counters_record(struct counters *c, const struct record *rec);

/* counters_print - the page in the Prometheus text format */
void counters_print(const struct counters *c, FILE *out);

#endif
