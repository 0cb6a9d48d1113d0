/*
 * NAME
 *	state - the state store's API: dispatch to a backend, and the
 *	episode log lines
 * SUMMARY
 *	state_open() picks the backend (state-lmdb.c, state-redis.c);
 *	every call goes through its struct state_ops.
 *
 *	Episodes: a failing store must be said loudly, but once, not once
 *	per message, and deputy-lda lives for one message. So the first
 *	failure creates a marker file (O_EXCL: one process wins) holding
 *	the time, and only the winner logs "fails since"; later failures
 *	touch it. The first write that works once no failure was seen for
 *	STATE_SETTLE seconds removes the marker (again one process wins)
 *	and logs "works again": a store that comes back fails and works by
 *	turns for a moment (a failover, a replica catching up), and that
 *	is one episode. A failure a day after the last line says it again,
 *	so a long outage is not silent. Read-only handles (--explain) take
 *	no part.
 * DIAGNOSTICS
 *	Without a marker file (none configured, or it cannot be created),
 *	every failure is logged.
 * SECURITY
 *	The marker is created with O_EXCL|O_NOFOLLOW, mode 0600; it is
 *	read with a bounded buffer and only its leading number is used.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "log.h"
#include "state-private.h"

#define STATE_REMIND (24 * 3600)	/* say a long failure again */
#define STATE_SETTLE 5			/* no failure for this long: over */

static const char *const state_action_names[] = {
	[STATE_DELIVERED] = "delivered",
	[STATE_FORWARDED] = "forwarded",
	[STATE_NOTICED] = "noticed",
	[STATE_FORWARDED_EXT] = "forwarded-ext",
	[STATE_BOUNCE_RETURNED] = "bounce-returned",
};

static const char *const state_claim_names[] = {
	[STATE_CLAIMED] = "claimed",
	[STATE_DUPLICATE] = "duplicate",
	[STATE_RATE_RECIPIENT] = "rate-recipient",
	[STATE_RATE_DOMAIN] = "rate-domain",
	[STATE_RATE_GLOBAL] = "rate-global",
};

/* state_action_name - "delivered", "forwarded", ... */
const char *
state_action_name(enum state_action action)
{
	if ((size_t)action >= G_N_ELEMENTS(state_action_names))
		return "unknown";
	return state_action_names[action];
}

/* state_claim_name - "claimed", "duplicate", "rate-recipient", ... */
const char *
state_claim_name(int claim)
{
	if (claim < 0 || (size_t)claim >= G_N_ELEMENTS(state_claim_names))
		return "error";
	return state_claim_names[claim];
}

/* state_process_tainted - whether a store crashed in this process */
int
state_process_tainted(void)
{
	return state_lmdb_tainted();
}

/* state_fmt_time - "2027-01-01 12:00:00 UTC" */
static void
state_fmt_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* state_marker_read - the times in the marker FD: since, last said */
static void
state_marker_read(int fd, time_t *since_r, time_t *said_r)
{
	char buf[64], *end;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	*since_r = *said_r = 0;
	if (n <= 0)
		return;
	buf[n] = '\0';
	*since_r = (time_t)strtoll(buf, &end, 10);
	*said_r = (time_t)strtoll(end, NULL, 10);
}

/* state_marker_write - SINCE and SAID into the marker FD */
static void
state_marker_write(int fd, time_t since, time_t said)
{
	char line[64];

	g_snprintf(line, sizeof(line), "%lld %lld\n", (long long)since,
	    (long long)said);
	if (pwrite(fd, line, strlen(line), 0) < 0)
		(void)0;	/* the times are a courtesy */
}

/*
 * state_episode_fail - the store failed: say so if this is the first
 * failure since it last worked (or a day after the last time it was
 * said). The marker's mtime is the last failure seen.
 */
static void
state_episode_fail(const char *down_file, const char *backend,
		   const char *error)
{
	char when[64];
	time_t now = time(NULL), since, said;
	int fd;

	if (down_file == NULL || *down_file == '\0') {
		log_warn("state: the %s store fails: %s; mail is delivered "
		    "and forwarded without it, no notice is sent", backend,
		    error);
		return;
	}
	fd = open(down_file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd >= 0) {
		state_marker_write(fd, now, now);
		close(fd);
		state_fmt_time(now, when, sizeof(when));
		log_warn("state: the %s store fails since %s: %s; mail is "
		    "delivered and forwarded without it, no notice is sent "
		    "until it works again (said once)", backend, when, error);
		return;
	}
	if (errno != EEXIST) {
		log_warn("state: the %s store fails: %s (and the marker %s "
		    "cannot be made: %s)", backend, error, down_file,
		    g_strerror(errno));
		return;
	}
	/* Said already: note the failure; say it again once a day. */
	fd = open(down_file, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	(void)futimens(fd, NULL);
	state_marker_read(fd, &since, &said);
	if (now - said >= STATE_REMIND) {
		state_marker_write(fd, since, now);
		state_fmt_time(since, when, sizeof(when));
		log_warn("state: the %s store still fails (since %s): %s; no "
		    "notice is sent until it works again", backend, when,
		    error);
	}
	close(fd);
}

/*
 * state_episode_ok - a write worked: end a failure episode, if any, once
 * no failure has been seen for STATE_SETTLE seconds (a store coming back
 * often fails and works by turns for a moment: one episode, not many)
 */
static void
state_episode_ok(struct state *st)
{
	char when[64];
	time_t now = time(NULL), since, said;
	struct stat sb;
	int fd;

	if (st->wrote || st->readonly)
		return;
	if (st->down_file == NULL) {
		st->wrote = 1;
		return;
	}
	fd = open(st->down_file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		st->wrote = 1;	/* the usual case: nothing failed */
		return;
	}
	if (fstat(fd, &sb) != 0 || now - sb.st_mtime < STATE_SETTLE) {
		close(fd);	/* settling: a later write may end it */
		return;
	}
	state_marker_read(fd, &since, &said);
	close(fd);
	st->wrote = 1;
	if (unlink(st->down_file) != 0)
		return;		/* another process said it */
	state_fmt_time(since, when, sizeof(when));
	log_info("state: the %s store works again (it failed from %s, for "
	    "%lld s); notices resume", st->ops->name, when,
	    (long long)(now - since));
}

/* state_failed - a call failed: the episode logic, then -1 */
static int
state_failed(struct state *st, char **error_r)
{
	st->failed = 1;
	if (!st->readonly)
		state_episode_fail(st->down_file, st->ops->name, *error_r);
	return -1;
}

/* state_healthy - see state.h */
int
state_healthy(const struct state *st)
{
	return st != NULL && !st->failed && !state_process_tainted();
}

/* state_open - open the store SET names */
int
state_open(const struct state_settings *set, struct state **state_r,
	   char **error_r)
{
	struct state *st = g_new0(struct state, 1);

	*state_r = NULL;
	switch (set->backend) {
	case STATE_BACKEND_LMDB:
		st->ops = &state_lmdb_ops;
		break;
	case STATE_BACKEND_REDIS:
		st->ops = &state_redis_ops;
		break;
	default:
		g_free(st);
		*error_r = g_strdup("state: unknown backend");
		return -1;
	}
	st->readonly = set->readonly;
	st->notice_keep = set->notice_keep;
	if (set->down_file != NULL && *set->down_file != '\0')
		st->down_file = g_strdup(set->down_file);
	if (st->ops->open(st, set, error_r) != 0) {
		(void)state_failed(st, error_r);
		g_free(st->down_file);
		g_free(st);
		return -1;
	}
	*state_r = st;
	return 0;
}

/* state_close - close; sets *state to NULL */
void
state_close(struct state **state)
{
	struct state *st = *state;

	if (st == NULL)
		return;
	st->ops->close(st);
	g_free(st->down_file);
	g_free(st);
	*state = NULL;
}

/* state_backend_name - "lmdb" or "redis" */
const char *
state_backend_name(const struct state *st)
{
	return st->ops->name;
}

/* state_entries - how many records the store holds */
int
state_entries(struct state *st, size_t *count_r, char **error_r)
{
	return st->ops->entries(st, count_r, error_r);
}

/* state_progress_get - 1 if ACTION is recorded for (DIGEST, RCPT), else 0 */
int
state_progress_get(struct state *st, const char *digest, const char *rcpt,
		   enum state_action action, time_t now, char **error_r)
{
	int rc = st->ops->progress_get(st, digest, rcpt, action, now,
	    error_r);

	return rc < 0 ? state_failed(st, error_r) : rc;
}

/* state_progress_put - record ACTION for (DIGEST, RCPT), durably */
int
state_progress_put(struct state *st, const char *digest, const char *rcpt,
		   enum state_action action, time_t now, char **error_r)
{
	if (st->readonly) {
		*error_r = g_strdup("state: opened read only");
		return -1;
	}
	if (st->ops->progress_put(st, digest, rcpt, action, now,
	    error_r) != 0)
		return state_failed(st, error_r);
	state_episode_ok(st);
	return 0;
}

/* state_progress_clear - forget all actions of (DIGEST, RCPT) */
int
state_progress_clear(struct state *st, const char *digest, const char *rcpt,
		     char **error_r)
{
	if (st->readonly) {
		*error_r = g_strdup("state: opened read only");
		return -1;
	}
	if (st->ops->progress_clear(st, digest, rcpt, error_r) != 0)
		return state_failed(st, error_r);
	state_episode_ok(st);
	return 0;
}

/* state_notice_claim - check and record a notice, atomically */
int
state_notice_claim(struct state *st, const struct state_notice *n,
		   const struct state_rates *rates, time_t now, int dry_run,
		   char **error_r)
{
	int rc;

	if (st->readonly && !dry_run) {
		*error_r = g_strdup("state: opened read only");
		return -1;
	}
	rc = st->ops->notice_claim(st, n, rates, now, dry_run, error_r);
	if (rc < 0)
		return state_failed(st, error_r);
	/* Only a claim that wrote proves the store whole again: a
	 * duplicate reads, and Redis may answer reads on a master that
	 * cannot yet keep a write (redis_wait_replicas). */
	if (rc == STATE_CLAIMED && !dry_run)
		state_episode_ok(st);
	return rc;
}
