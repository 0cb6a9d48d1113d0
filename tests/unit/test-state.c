/*
 * test-state - the LMDB state store: retry progress and notice records
 * read back as written, and the sweep that runs with every write drops
 * what no reader would use any more (progress past STATE_PROGRESS_TTL,
 * notices past the keep period, rate counters of past hours) and
 * nothing else, so the file stays the size of a week's mail.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "state.h"
#include "tap.h"

#define DAY (24 * 3600)
#define KEEP (14 * DAY)		/* the notice keep period of this test */

static char *error;

/* entries - the record count, or (size_t)-1 */
static size_t
entries(struct state *st)
{
	size_t n;

	if (state_entries(st, &n, &error) != 0) {
		tap_diag("%s", error);
		g_free(error);
		return (size_t)-1;
	}
	return n;
}

/* digest - a SHA-256 hex string for message I */
static char *
digest(int i)
{
	char seed[32];

	g_snprintf(seed, sizeof(seed), "message %d", i);
	return g_compute_checksum_for_string(G_CHECKSUM_SHA256, seed, -1);
}

/* put_progress - N progress records, messages FIRST.., at NOW */
static int
put_progress(struct state *st, int first, int n, time_t now)
{
	for (int i = first; i < first + n; i++) {
		char *d = digest(i);
		int rc = state_progress_put(st, d, "alice@example.org",
		    STATE_DELIVERED, now, &error);

		g_free(d);
		if (rc != 0) {
			tap_diag("%s", error);
			g_free(error);
			return -1;
		}
	}
	return 0;
}

/* progress_found - how many of messages FIRST..FIRST+N-1 read as done */
static int
progress_found(struct state *st, int first, int n, time_t now)
{
	int found = 0;

	for (int i = first; i < first + n; i++) {
		char *d = digest(i);

		found += state_progress_get(st, d, "alice@example.org",
		    STATE_DELIVERED, now, &error) == 1;
		g_free(d);
	}
	return found;
}

int
main(void)
{
	char dir[] = "/tmp/deputy-test-state.XXXXXX";
	char *path;
	struct state *st = NULL;
	time_t t0 = 1798761600;		/* 2027-01-01 */
	struct state_rates rates = { 2, 0, 0 };
	size_t n;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	path = g_strdup_printf("%s/state.lmdb", dir);
	if (state_open(path, 64 << 20, KEEP, 0, &st, &error) != 0) {
		tap_ok(0, "state opens: %s", error);
		return tap_done();
	}

	/* Written records read back, and nothing is swept while young. */
	tap_ok(put_progress(st, 0, 1000, t0) == 0, "1000 progress records");
	tap_ok(progress_found(st, 0, 1000, t0 + DAY) == 1000,
	    "all 1000 read back a day later");
	tap_ok(state_notice_record(st, "alice@example.org", "bob@example.com",
	    "notice", "example.com", t0, &error) == 0,
	    "a notice record at day 0");
	n = entries(st);
	/* 1000 + "~sweep" + "d" + 3 rate counters */
	tap_ok(n == 1000 + 1 + 1 + 3, "nothing swept while in use "
	    "(%zu records)", n);

	/* A week and a day on: the progress records of day 0 are of no use
	 * (state_progress_get ignores them) and the sweep drops them, 64
	 * records a write; the day-0 notice is still within KEEP. */
	tap_ok(put_progress(st, 5000, 40, t0 + 8 * DAY) == 0,
	    "40 new writes at day 8");
	tap_ok(progress_found(st, 0, 1000, t0 + 8 * DAY) == 0 &&
	    progress_found(st, 5000, 40, t0 + 8 * DAY) == 40,
	    "day-0 progress reads as not done, day-8 as done");
	n = entries(st);
	tap_ok(n == 40 + 1 + 1, "40 writes swept the 1000 old records and the "
	    "rate counters of past hours (%zu records left)", n);
	tap_ok(state_notice_recent(st, "alice@example.org", "bob@example.com",
	    "notice", KEEP, t0 + 8 * DAY, &error) == 1,
	    "the day-0 notice still holds back a second one at day 8");
	tap_ok(state_notice_record(st, "alice@example.org", "carol@example.net",
	    "notice", "example.net", t0 + 10 * DAY, &error) == 0 &&
	    entries(st) == 42 + 1 + 3, "a notice record at day 10, nothing "
	    "swept");

	/* Past KEEP, the day-0 notice goes; the day-10 one stays. */
	tap_ok(put_progress(st, 6000, 5, t0 + 15 * DAY) == 0,
	    "5 writes at day 15");
	n = entries(st);
	tap_ok(n == 5 + 1 + 1, "the day-0 notice, the day-8 progress and "
	    "the day-10 counters are swept, the day-10 notice kept "
	    "(%zu records)", n);
	tap_ok(state_notice_recent(st, "alice@example.org", "carol@example.net",
	    "notice", KEEP, t0 + 15 * DAY, &error) == 1 &&
	    state_notice_recent(st, "alice@example.org", "bob@example.com",
	    "notice", KEEP, t0 + 15 * DAY, &error) == 0,
	    "day-10 notice still counts, day-0 notice does not");

	/* Rate counters: this hour's count holds, last hour's is swept. */
	tap_ok(state_notice_record(st, "erin@example.org", "x@example.com",
	    "notice", "example.com", t0 + 15 * DAY, &error) == 0 &&
	    state_notice_record(st, "erin@example.org", "y@example.com",
	    "notice", "example.com", t0 + 15 * DAY, &error) == 0 &&
	    state_rate_exceeded(st, "erin@example.org", "example.com", &rates,
	    t0 + 15 * DAY, &error) == 1, "two notices this hour: cap of 2 "
	    "reached");
	tap_ok(put_progress(st, 7000, 1, t0 + 15 * DAY + 3600) == 0 &&
	    state_rate_exceeded(st, "erin@example.org", "example.com", &rates,
	    t0 + 15 * DAY + 3600, &error) == 0, "next hour: not capped");
	n = entries(st);
	/* 6 + 1 progress, ~sweep, 3 "d"; the 3 counters of the last hour
	 * went with the sweep of that write */
	tap_ok(n == 6 + 1 + 3, "past-hour rate counters swept (%zu records)",
	    n);

	/* keep 0: notice records stay, whatever their age. */
	state_close(&st);
	tap_ok(st == NULL && state_open(path, 64 << 20, 0, 0, &st, &error) == 0,
	    "reopened with no notice keep period");
	if (st != NULL) {
		int put = put_progress(st, 8000, 3, t0 + 400 * DAY);

		n = entries(st);
		tap_ok(put == 0 && n == 3 + 1 + 3, "at day 400: progress "
		    "swept, 3 notice records kept (%zu records)", n);
		state_close(&st);
	}

	unlink(path);
	g_free(path);
	{
		char *lock = g_strdup_printf("%s/state.lmdb-lock", dir);

		unlink(lock);
		g_free(lock);
	}
	rmdir(dir);
	return tap_done();
}
