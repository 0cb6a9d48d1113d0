#ifndef DEPUTY_STATE_H
#define DEPUTY_STATE_H

/*
 * NAME
 *	state - what deputy must remember between deliveries
 * SUMMARY
 *	Two kinds of record, in one of two stores (backends):
 *
 *	Retry progress: an action done for a (message digest, recipient)
 *	is recorded after it is done, so that a delivery retried after a
 *	failure skips it (no second forward). Records older than
 *	STATE_PROGRESS_TTL are of no use and are dropped.
 *
 *	Notices: state_notice_claim() checks, in one atomic step, that no
 *	notice went to this (recipient, sender, identity) within the
 *	period and that no hourly rate cap is reached, and if so records
 *	the notice and counts it. Two deliveries of the same sender's
 *	mail, on one host or several, cannot both claim it.
 *
 *	Backends: "lmdb", one file on this host (state-lmdb.c), and
 *	"redis", shared by several delivery hosts, with Sentinel for
 *	failover (state-redis.c). state.c dispatches, and says once per
 *	episode when the store fails and when it works again.
 * DIAGNOSTICS
 *	Every call returns -1 with *error_r on any failure of the store
 *	(corrupt, foreign, full, unreadable, unreachable, timed out). The
 *	caller then goes on without it: it delivers and forwards, and
 *	sends no notice (fail open for delivery, fail closed for notices).
 *	The first failure after a working store, and the first success
 *	after a failing one, are logged (log.h) by this module, once per
 *	episode across processes (a marker file, see state_settings):
 *	callers need not log each failed call loudly.
 */

#include <stddef.h>
#include <time.h>

#define STATE_PROGRESS_TTL (7 * 24 * 3600)

enum state_action {
	STATE_DELIVERED,
	STATE_FORWARDED,
	STATE_NOTICED,
	STATE_FORWARDED_EXT,	/* the SRS forward to outside delegates */
	STATE_BOUNCE_RETURNED,	/* an SRS bounce passed back */
};

enum state_backend {
	STATE_BACKEND_LMDB,
	STATE_BACKEND_REDIS,
};

/* What state_open() needs; the pointers are borrowed for the call. */
struct state_settings {
	enum state_backend backend;
	int readonly;			/* read only (--explain): create and
					 * write nothing */
	time_t notice_keep;		/* seconds a notice record is kept:
					 * the longest period any notice may
					 * be held back; 0 keeps them */
	const char *down_file;		/* episode marker, NULL: none */

	/* lmdb */
	const char *path;
	size_t map_size;		/* bytes, at open */
	size_t max_map_size;		/* grown up to this when full */

	/* redis */
	const char *const *redis_sentinels;	/* "host:port", NULL-ended */
	const char *redis_master;		/* Sentinel's master name */
	const char *const *redis_servers;	/* without Sentinel */
	const char *redis_password_file;	/* NULL or "": no AUTH */
	unsigned int redis_db;
	const char *redis_prefix;		/* prepended to every key */
	unsigned int redis_connect_timeout_ms;
	unsigned int redis_timeout_ms;		/* every command */
	unsigned int redis_wait_replicas;	/* replicas that must have a
						 * claim before it counts */
};

struct state;

/*
 * state_open - open the store SET names. LMDB: the file is created if
 * absent (unless read only); a file that is not deputy's LMDB store (a
 * directory, empty, truncated, foreign, of another layout, owned by
 * another user or writable by others) is refused with an error that
 * says which. Redis: connect (through Sentinel when sentinels are
 * configured), AUTH, check that the server is a master.
 */
int state_open(const struct state_settings *set, struct state **state_r,
	       char **error_r);

/* state_close - close; sets *state to NULL */
void state_close(struct state **state);

/* state_backend_name - "lmdb" or "redis" */
const char *state_backend_name(const struct state *st);

/* state_entries - how many records the store holds (for tests, tools) */
int state_entries(struct state *st, size_t *count_r, char **error_r);

/* state_progress_get - 1 if ACTION is recorded for (DIGEST, RCPT), else 0 */
int state_progress_get(struct state *st, const char *digest, const char *rcpt,
		       enum state_action action, time_t now, char **error_r);

/*
 * state_progress_put - record ACTION for (DIGEST, RCPT), durably. A
 * record there already (an earlier attempt, here or on another host)
 * stays as it is.
 */
int state_progress_put(struct state *st, const char *digest, const char *rcpt,
		       enum state_action action, time_t now, char **error_r);

/* state_progress_clear - forget all actions of (DIGEST, RCPT) */
int state_progress_clear(struct state *st, const char *digest,
			 const char *rcpt, char **error_r);

/* Notice rate caps, per clock hour; 0 means no cap. */
struct state_rates {
	unsigned int per_recipient;
	unsigned int per_domain;	/* the sender's domain */
	unsigned int global;
};

/* One notice, as state_notice_claim() sees it. */
struct state_notice {
	const char *rcpt;		/* the away user */
	const char *sender;		/* who would get the notice */
	const char *identity;		/* template set or vacation id */
	const char *sender_domain;	/* lowercased */
	unsigned int period;		/* seconds: at most one notice per
					 * (rcpt, sender, identity) */
};

/* What state_notice_claim() says. */
enum state_claim {
	STATE_CLAIMED = 0,		/* recorded and counted: send it */
	STATE_DUPLICATE,		/* one went out within the period */
	STATE_RATE_RECIPIENT,		/* the per-recipient cap is reached */
	STATE_RATE_DOMAIN,		/* the per-domain cap is reached */
	STATE_RATE_GLOBAL,		/* the global cap is reached */
};

/*
 * state_notice_claim - atomically: check that no notice for N went out
 * within N->period before NOW and that no cap of RATES is reached; if
 * both hold, record the notice and count it in this hour's counters
 * (capped ones only). Returns an enum state_claim, or -1 on error. A
 * claimed notice that then fails to be sent stays claimed: fail
 * closed, never a duplicate. DRY_RUN (--explain) only reads and
 * returns what a claim would return now. With Redis and
 * redis_wait_replicas > 0, a claim counts only once that many replicas
 * have it (else -1): a failover cannot forget it.
 */
int state_notice_claim(struct state *st, const struct state_notice *n,
		       const struct state_rates *rates, time_t now,
		       int dry_run, char **error_r);

/* state_claim_name - "claimed", "duplicate", "rate-recipient", ... */
const char *state_claim_name(int claim);

/*
 * state_process_tainted - 1 if LMDB crashed on a corrupt file in this
 * process (the guard caught it; the call failed). The process should
 * end after the current message: it may hold LMDB's writer lock, and
 * it opens no LMDB store again.
 */
int state_process_tainted(void);

/*
 * state_healthy - whether no call on ST has failed (and no store crashed
 * in this process): a caller that keeps one handle for many messages
 * (deputyd's worker) closes it otherwise and opens a new one next time
 */
int state_healthy(const struct state *st);

#endif
