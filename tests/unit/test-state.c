/*
 * test-state - the LMDB state store.
 *
 * Records read back as written, and the sweep that runs with every
 * write drops what no reader would use any more (progress past
 * STATE_PROGRESS_TTL, notices past the keep period, rate counters of
 * past hours) and nothing else.
 *
 * A file that is not deputy's store fails state_open() with a reason
 * and never crashes: garbage, a directory, another user's file, an
 * unreadable file, an empty file, LMDB files of other layouts, a
 * truncated file; single bit flips in a real store (in forked children:
 * none may die of a signal; without the guard in state-lmdb-open.c 42 of
 * these 300 did. Not caught, and so not in this seed's 300: glibc's
 * abort() on heap damage LMDB did, about 1 flip in 1,000 over other
 * seeds). The tests run on tmpfs when there is one: thousands of
 * commits, each an fsync. A full map (map_size_mb = 1)
 * is swept, grown up to the cap, and then fails cleanly.
 *
 * The notice claim: claimed once, a duplicate within the period, each
 * rate cap, the next hour, dry runs write nothing; and N processes
 * claiming at once: exactly one gets it (and exactly CAP under a cap).
 * The episode log: one line when the store starts failing, one when a
 * write works again.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <lmdb.h>

#include "conf.h"
#include "log.h"
#include "state.h"
#include "tap.h"

#define DAY (24 * 3600)
#define KEEP (14 * DAY)		/* the notice keep period of this test */
#define MB (1024 * 1024)

static char *error;
static char *dir;
static const time_t t0 = 1798761600;	/* 2027-01-01 00:00 UTC */

/* settings - LMDB settings for PATH */
static struct state_settings
settings(const char *path, size_t map, size_t max, time_t keep)
{
	struct state_settings set;

	memset(&set, 0, sizeof(set));
	set.backend = STATE_BACKEND_LMDB;
	set.path = path;
	set.map_size = map;
	set.max_map_size = max;
	set.notice_keep = keep;
	return set;
}

/* fresh_error - &error, emptied first: every call below may set it */
static char **
fresh_error(void)
{
	g_free(error);
	error = NULL;
	return &error;
}

/* open_at - open PATH with the default sizes; NULL and *error if not */
static struct state *
open_at(const char *path, time_t keep)
{
	struct state_settings set = settings(path, 64 * MB, 64 * MB, keep);
	struct state *st = NULL;

	if (state_open(&set, &st, fresh_error()) != 0)
		return NULL;
	return st;
}

/* tpath - a path in the test directory */
static char *
tpath(const char *name)
{
	return g_build_filename(dir, name, NULL);
}

/* entries - the record count, or (size_t)-1 */
static size_t
entries(struct state *st)
{
	size_t n;

	if (state_entries(st, &n, fresh_error()) != 0) {
		tap_diag("%s", error);
		g_free(error);
		error = NULL;
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

/* put_progress - N progress records, messages FIRST.., at NOW; the
 * number written before the first failure (error in *error) */
static int
put_progress(struct state *st, int first, int n, time_t now)
{
	for (int i = first; i < first + n; i++) {
		char *d = digest(i);
		int rc = state_progress_put(st, d, "alice@example.org",
		    STATE_FORWARDED, now, fresh_error());

		g_free(d);
		if (rc != 0)
			return i - first;
	}
	return n;
}

/* progress_found - how many of messages FIRST..FIRST+N-1 read as done */
static int
progress_found(struct state *st, int first, int n, time_t now)
{
	int found = 0;

	for (int i = first; i < first + n; i++) {
		char *d = digest(i);

		found += state_progress_get(st, d, "alice@example.org",
		    STATE_FORWARDED, now, fresh_error()) == 1;
		g_free(d);
	}
	return found;
}

/* claim_for - one claim of (RCPT, SENDER, "notice") with PERIOD */
static int
claim_for(struct state *st, const char *rcpt, const char *sender,
	  unsigned int period, const struct state_rates *rates, time_t now,
	  int dry)
{
	const char *at = strrchr(sender, '@');
	struct state_notice n = { rcpt, sender, "notice",
	    at != NULL ? at + 1 : "", period };
	int rc = state_notice_claim(st, &n, rates, now, dry, fresh_error());

	if (rc < 0) {
		tap_diag("claim: %s", error);
		g_free(error);
		error = NULL;
	}
	return rc;
}

/* claim - one claim of (RCPT, SENDER, "notice") with a 7-day period */
static int
claim(struct state *st, const char *rcpt, const char *sender,
      const struct state_rates *rates, time_t now, int dry)
{
	return claim_for(st, rcpt, sender, 7 * DAY, rates, now, dry);
}

/* copy_file - FROM to TO, bytes as they are */
static int
copy_file(const char *from, const char *to)
{
	gchar *data;
	gsize len;
	int rc;

	if (!g_file_get_contents(from, &data, &len, NULL))
		return -1;
	rc = g_file_set_contents(to, data, (gssize)len, NULL) ? 0 : -1;
	g_free(data);
	return rc;
}

/* unlink_store - PATH and its lock file */
static void
unlink_store(const char *path)
{
	char *lock = g_strdup_printf("%s-lock", path);

	unlink(path);
	unlink(lock);
	g_free(lock);
}

/* refused - state_open(PATH) fails with an error holding WANT */
static void
refused(const char *path, const char *want, const char *what)
{
	struct state *st = open_at(path, KEEP);

	tap_ok(st == NULL && error != NULL && strstr(error, want) != NULL,
	    "%s: refused (%s)", what, error ? error : "opened");
	state_close(&st);
}

/* ------------------------------------------------------ sweep */

static void
test_sweep(void)
{
	char *path = tpath("sweep.lmdb");
	struct state_rates rates = { 2, 0, 0 };
	struct state *st = open_at(path, KEEP);
	size_t n;

	if (st == NULL) {
		tap_ok(0, "state opens: %s", error);
		return;
	}
	/* Written records read back, and nothing is swept while young. */
	tap_ok(put_progress(st, 0, 1000, t0) == 1000, "1000 progress records");
	tap_ok(progress_found(st, 0, 1000, t0 + DAY) == 1000,
	    "all 1000 read back a day later");
	tap_ok(claim(st, "alice@example.org", "bob@example.com", &rates, t0,
	    0) == STATE_CLAIMED, "a notice claimed at day 0");
	n = entries(st);
	/* 1000 + "~deputy" + "~sweep" + "d" + 1 counter (one cap set) */
	tap_ok(n == 1000 + 2 + 1 + 1, "nothing swept while in use "
	    "(%zu records)", n);

	/* A week and a day on: the progress records of day 0 are of no use
	 * and the sweep drops them, 64 records a write; the day-0 notice
	 * is still within KEEP. */
	tap_ok(put_progress(st, 5000, 40, t0 + 8 * DAY) == 40,
	    "40 new writes at day 8");
	tap_ok(progress_found(st, 0, 1000, t0 + 8 * DAY) == 0 &&
	    progress_found(st, 5000, 40, t0 + 8 * DAY) == 40,
	    "day-0 progress reads as not done, day-8 as done");
	n = entries(st);
	tap_ok(n == 40 + 2 + 1, "40 writes swept the 1000 old records and the "
	    "rate counter of a past hour (%zu records left)", n);
	tap_ok(claim_for(st, "alice@example.org", "bob@example.com", KEEP,
	    &rates, t0 + 8 * DAY, 1) == STATE_DUPLICATE, "the day-0 notice "
	    "record is kept: with a 14-day period it holds back another at "
	    "day 8");
	tap_ok(claim(st, "alice@example.org", "carol@example.net", &rates,
	    t0 + 10 * DAY, 0) == STATE_CLAIMED && entries(st) == 42 + 2 + 1,
	    "a notice claimed at day 10, nothing swept");

	/* Past KEEP, the day-0 notice goes; the day-10 one stays. */
	tap_ok(put_progress(st, 6000, 5, t0 + 15 * DAY) == 5,
	    "5 writes at day 15");
	n = entries(st);
	tap_ok(n == 5 + 2 + 1, "the day-0 notice, the day-8 progress and "
	    "the day-10 counter are swept, the day-10 notice kept "
	    "(%zu records)", n);
	tap_ok(claim(st, "alice@example.org", "carol@example.net", &rates,
	    t0 + 15 * DAY, 1) == STATE_DUPLICATE,
	    "the day-10 notice holds back another at day 15");

	/* keep 0: notice records stay, whatever their age. */
	state_close(&st);
	st = open_at(path, 0);
	tap_ok(st != NULL, "reopened with no notice keep period");
	if (st != NULL) {
		int put = put_progress(st, 8000, 3, t0 + 400 * DAY);

		n = entries(st);
		tap_ok(put == 3 && n == 3 + 2 + 1, "at day 400: progress "
		    "swept, the notice record kept (%zu records)", n);
		state_close(&st);
	}
	unlink_store(path);
	g_free(path);
}

/* ------------------------------------------------------ claims */

static void
test_claim(void)
{
	char *path = tpath("claim.lmdb");
	struct state_rates none = { 0, 0, 0 }, rcpt2 = { 2, 0, 0 };
	struct state_rates dom2 = { 0, 2, 0 }, all3 = { 0, 0, 3 };
	struct state *st = open_at(path, KEEP), *ro;
	struct state_settings set;
	char *longsender, *fill;
	size_t before;
	time_t t = t0 + 100 * DAY;

	if (st == NULL) {
		tap_ok(0, "state opens: %s", error);
		return;
	}
	before = entries(st);
	tap_ok(claim(st, "alice@example.org", "bob@example.com", &none, t,
	    1) == STATE_CLAIMED && claim(st, "alice@example.org",
	    "bob@example.com", &none, t, 1) == STATE_CLAIMED &&
	    entries(st) == before, "a dry run says \"claimed\", twice, and "
	    "writes nothing");
	tap_ok(claim(st, "alice@example.org", "bob@example.com", &none, t,
	    0) == STATE_CLAIMED, "the first claim is claimed");
	tap_ok(claim(st, "alice@example.org", "bob@example.com", &none,
	    t + 60, 0) == STATE_DUPLICATE && claim(st, "alice@example.org",
	    "bob@example.com", &none, t + 60, 1) == STATE_DUPLICATE,
	    "a second within the period is a duplicate (and so says a dry "
	    "run)");
	tap_ok(claim(st, "alice@example.org", "bob@example.com", &none,
	    t + 7 * DAY, 0) == STATE_CLAIMED, "after the period: claimed "
	    "again");
	{
		struct state_notice n = { "alice@example.org",
		    "bob@example.com", "vacation-1", "example.com", 7 * DAY };

		tap_ok(state_notice_claim(st, &n, &none, t + 7 * DAY, 0,
		    &error) == STATE_CLAIMED, "another identity (a Sieve "
		    "vacation) has its own record");
	}

	/* caps */
	t += 30 * DAY;
	tap_ok(claim(st, "erin@example.org", "x@a.example", &rcpt2, t, 0) ==
	    STATE_CLAIMED && claim(st, "erin@example.org", "y@b.example",
	    &rcpt2, t, 0) == STATE_CLAIMED && claim(st, "erin@example.org",
	    "z@c.example", &rcpt2, t, 0) == STATE_RATE_RECIPIENT,
	    "per-recipient cap 2: the third sender is capped");
	tap_ok(claim(st, "erin@example.org", "z@c.example", &rcpt2, t, 0) ==
	    STATE_RATE_RECIPIENT && claim(st, "erin@example.org",
	    "z@c.example", &rcpt2, t + 3600, 0) == STATE_CLAIMED,
	    "a capped notice is not recorded; the next hour it is claimed");
	tap_ok(claim(st, "f1@example.org", "a@dom.example", &dom2, t, 0) ==
	    STATE_CLAIMED && claim(st, "f2@example.org", "b@dom.example",
	    &dom2, t, 0) == STATE_CLAIMED && claim(st, "f3@example.org",
	    "c@dom.example", &dom2, t, 0) == STATE_RATE_DOMAIN &&
	    claim(st, "f3@example.org", "c@other.example", &dom2, t, 0) ==
	    STATE_CLAIMED, "per-domain cap 2: the sender domain's third is "
	    "capped, another domain is not");
	tap_ok(claim(st, "g1@example.org", "a@g.example", &all3, t, 0) ==
	    STATE_CLAIMED && claim(st, "g2@example.org", "b@h.example",
	    &all3, t, 0) == STATE_CLAIMED && claim(st, "g3@example.org",
	    "c@i.example", &all3, t, 0) == STATE_CLAIMED &&
	    claim(st, "g4@example.org", "d@j.example", &all3, t, 1) ==
	    STATE_RATE_GLOBAL && claim(st, "g4@example.org", "d@j.example",
	    &all3, t, 0) == STATE_RATE_GLOBAL, "global cap 3: the fourth is "
	    "capped (dry run and claim agree)");
	tap_ok(strcmp(state_claim_name(STATE_RATE_DOMAIN), "rate-domain") == 0 &&
	    strcmp(state_claim_name(-1), "error") == 0, "claim names");

	/* A sender too long for an LMDB key (511 bytes) still works. */
	fill = g_strnfill(300, 'l');
	longsender = g_strdup_printf("%s@example.com", fill);
	g_free(fill);
	tap_ok(claim(st, "alice@example.org", longsender, &none, t, 0) ==
	    STATE_CLAIMED && claim(st, "alice@example.org", longsender, &none,
	    t, 0) == STATE_DUPLICATE, "a 312-byte sender: claimed, then a "
	    "duplicate (its key is hashed)");
	g_free(longsender);

	/* Read only (--explain): dry runs work, claims do not. */
	set = settings(path, 64 * MB, 64 * MB, KEEP);
	set.readonly = 1;
	ro = NULL;
	if (state_open(&set, &ro, fresh_error()) != 0)
		tap_diag("read only: %s", error);
	tap_ok(ro != NULL &&
	    claim(ro, "alice@example.org", "new@example.com", &none, t, 1) ==
	    STATE_CLAIMED && claim(ro, "erin@example.org", "x@a.example",
	    &none, t + 60, 1) == STATE_DUPLICATE &&
	    claim(ro, "alice@example.org", "new@example.com", &none, t, 0) < 0,
	    "a read-only handle answers dry runs and refuses claims");
	state_close(&ro);
	state_close(&st);
	unlink_store(path);
	g_free(path);
}

/*
 * claim_race - N processes open the store, wait at a barrier, then
 * claim: the notice to SENDER (the same for all when SAME, else one
 * each) under RATES; returns how many got STATE_CLAIMED, -1 if a child
 * failed
 */
static int
claim_race(const char *path, int n, int same,
	   const struct state_rates *rates, time_t now)
{
	int barrier[2], claimed = 0, failed = 0;
	pid_t *pids = g_new0(pid_t, n);

	if (pipe(barrier) != 0)
		return -1;
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			struct state *st;
			char sender[64], c;
			int rc;

			close(barrier[1]);
			st = open_at(path, KEEP);
			if (read(barrier[0], &c, 1) < 0 || st == NULL)
				_exit(100);
			g_snprintf(sender, sizeof(sender), "s%d@race.example",
			    same ? 0 : i);
			rc = claim(st, "alice@example.org", sender, rates, now,
			    0);
			state_close(&st);
			_exit(rc < 0 ? 100 : rc);
		}
	}
	close(barrier[0]);
	usleep(200000);			/* all at the barrier */
	close(barrier[1]);		/* go */
	for (int i = 0; i < n; i++) {
		int status;

		if (pids[i] < 0 || waitpid(pids[i], &status, 0) < 0 ||
		    !WIFEXITED(status) || WEXITSTATUS(status) == 100)
			failed++;
		else if (WEXITSTATUS(status) == STATE_CLAIMED)
			claimed++;
	}
	g_free(pids);
	return failed ? -1 : claimed;
}

/* open_race - N processes open a store that does not exist yet */
static int
open_race(const char *path, int n)
{
	int barrier[2], ok = 0;
	pid_t *pids = g_new0(pid_t, n);

	if (pipe(barrier) != 0)
		return -1;
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			struct state *st;
			char c;

			close(barrier[1]);
			if (read(barrier[0], &c, 1) < 0)
				_exit(1);
			st = open_at(path, KEEP);
			if (st == NULL) {
				fprintf(stderr, "# %s\n", error);
				_exit(1);
			}
			state_close(&st);
			_exit(0);
		}
	}
	close(barrier[0]);
	usleep(100000);
	close(barrier[1]);
	for (int i = 0; i < n; i++) {
		int status;

		if (pids[i] > 0 && waitpid(pids[i], &status, 0) == pids[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ok++;
	}
	g_free(pids);
	return ok;
}

static void
test_concurrency(void)
{
	/* On a disk, not tmpfs: a commit's fsync is the window in which
	 * a read-then-write claim lets others read "no notice yet". */
	char *disk = g_build_filename(g_getenv("DEPUTY_DISK_TMP") != NULL ?
	    g_getenv("DEPUTY_DISK_TMP") : "/var/tmp",
	    "deputy-test-state-race.XXXXXX", NULL);
	char *path;
	struct state_rates none = { 0, 0, 0 }, cap5 = { 5, 0, 0 };
	struct state *st;
	int n;

	if (mkdtemp(disk) == NULL) {
		tap_skip("no directory in /var/tmp (DEPUTY_DISK_TMP)");
		g_free(disk);
		return;
	}
	chmod(disk, 0755);
	path = g_build_filename(disk, "race.lmdb", NULL);
	n = open_race(path, 12);
	tap_ok(n == 12, "12 processes create and open a new store at once: "
	    "all open it (%d)", n);
	n = claim_race(path, 16, 1, &none, t0);
	tap_ok(n == 1, "16 processes claim the same notice at once: exactly "
	    "one claims it (%d)", n);
	n = claim_race(path, 16, 0, &cap5, t0 + 60);
	tap_ok(n == 5, "16 processes claim notices to 16 senders under a "
	    "per-recipient cap of 5: exactly 5 are claimed (%d)", n);
	st = open_at(path, KEEP);
	tap_ok(st != NULL && claim(st, "alice@example.org", "s0@race.example",
	    &none, t0 + 120, 1) == STATE_DUPLICATE, "the winner's record is "
	    "there");
	state_close(&st);
	unlink_store(path);
	rmdir(disk);
	g_free(path);
	g_free(disk);
}

/* ------------------------------------------------------ bad files */

/* make_lmdb - a raw LMDB file at PATH: NAMED (a named database), FLAGS
 * for the main one, N records "key%05d" */
static int
make_lmdb(const char *path, int named, unsigned int flags, int n,
	  const char *layout)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	int rc;

	if (mdb_env_create(&env) != 0)
		return -1;
	mdb_env_set_mapsize(env, 4 * MB);
	mdb_env_set_maxdbs(env, 2);
	if ((rc = mdb_env_open(env, path, MDB_NOSUBDIR, 0600)) == 0 &&
	    (rc = mdb_txn_begin(env, NULL, 0, &txn)) == 0) {
		rc = mdb_dbi_open(txn, named ? "other" : NULL,
		    (named ? MDB_CREATE : 0) | flags, &dbi);
		for (int i = 0; rc == 0 && i < n; i++) {
			char kb[16];
			MDB_val k = { 0, kb }, v = { 1, "1" };

			g_snprintf(kb, sizeof(kb), "key%05d", i);
			k.mv_size = strlen(kb);
			rc = mdb_put(txn, dbi, &k, &v, 0);
		}
		if (rc == 0 && layout != NULL) {
			MDB_val k = { 7, "~deputy" };
			MDB_val v = { strlen(layout), (void *)layout };

			rc = mdb_put(txn, dbi, &k, &v, 0);
		}
		if (rc == 0)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
	}
	mdb_env_close(env);
	return rc == 0 ? 0 : -1;
}

/* as_nobody - in a child as "nobody" (when root): open PATH; 0 if it
 * failed with WANT in the error */
static int
as_nobody_refused(const char *path, const char *want)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct state *st;

		if (getuid() == 0) {
			struct passwd *pw = getpwnam("nobody");

			if (pw == NULL || setgid(pw->pw_gid) != 0 ||
			    setuid(pw->pw_uid) != 0)
				_exit(3);
		}
		st = open_at(path, KEEP);
		if (st != NULL)
			_exit(1);
		if (strstr(error, want) == NULL) {
			printf("# %s\n", error);
			_exit(2);
		}
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void
test_bad_files(void)
{
	char *path = tpath("bad.lmdb"), *good = tpath("good.lmdb");
	char *sub = tpath("sub");
	struct state *st;
	struct stat sb;
	gchar *junk;
	int fd;

	/* garbage */
	junk = g_strnfill(64 * 1024, 'x');
	g_file_set_contents(path, junk, 64 * 1024, NULL);
	g_free(junk);
	refused(path, "not an LMDB file", "64 KiB of garbage");
	unlink_store(path);
	g_file_set_contents(path, "hello\n", 6, NULL);
	refused(path, "not an LMDB file", "6 bytes of text");
	unlink_store(path);

	/* a directory */
	mkdir(path, 0700);
	refused(path, "is a directory", "a directory");
	rmdir(path);
	unlink_store(path);

	/* zero length: LMDB would take it for a new store */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	close(fd);
	refused(path, "is empty", "an empty file");
	tap_ok(stat(path, &sb) == 0 && sb.st_size == 0,
	    "the empty file is left as it was");
	unlink_store(path);

	/* writable by others */
	st = open_at(good, KEEP);
	state_close(&st);
	chmod(good, 0666);
	refused(good, "writable by group or others", "a store of mode 0666");
	chmod(good, 0600);
	{
		char *lock = g_strdup_printf("%s-lock", good);

		chmod(lock, 0666);
		refused(good, "or others may write it", "a lock file of mode "
		    "0666");
		chmod(lock, 0600);
		g_free(lock);
	}

	/* another user's, and unreadable */
	if (getuid() == 0) {
		struct passwd *pw = getpwnam("nobody");

		if (pw != NULL && chown(good, pw->pw_uid, pw->pw_gid) == 0) {
			refused(good, "belongs to uid", "a store of another "
			    "user (nobody)");
			(void)chown(good, 0, 0);
		} else {
			tap_skip("no user nobody");
		}
	} else {
		tap_skip("another user's file needs root to make");
	}
	/* readable by nobody only if nobody owns it: give it to the user
	 * the child runs as, mode 0 */
	if (getuid() == 0) {
		struct passwd *pw = getpwnam("nobody");

		chmod(dir, 0755);
		if (pw != NULL) {
			char *lock = g_strdup_printf("%s-lock", good);

			(void)chown(good, pw->pw_uid, pw->pw_gid);
			(void)chown(lock, pw->pw_uid, pw->pw_gid);
			g_free(lock);
		}
	}
	chmod(good, 0);
	tap_ok(as_nobody_refused(good, "Permission denied") == 0,
	    "an unreadable store (mode 0): refused");
	chmod(good, 0600);
	if (getuid() == 0)
		(void)chown(good, 0, 0);

	/* other LMDB layouts */
	tap_ok(make_lmdb(path, 1, MDB_DUPSORT, 5, NULL) == 0, "an LMDB file "
	    "with a named database");
	refused(path, "another layout", "a named database");
	unlink_store(path);
	tap_ok(make_lmdb(path, 0, MDB_DUPSORT, 5, NULL) == 0, "an LMDB file "
	    "with MDB_DUPSORT");
	refused(path, "another layout", "MDB_DUPSORT");
	unlink_store(path);
	tap_ok(make_lmdb(path, 0, 0, 5, NULL) == 0, "an LMDB file with keys "
	    "of its own");
	refused(path, "another layout", "foreign keys");
	unlink_store(path);
	tap_ok(make_lmdb(path, 0, 0, 0, "2") == 0, "an LMDB file of layout 2");
	refused(path, "layout \"2\"", "layout 2");
	unlink_store(path);
	mkdir(sub, 0700);
	{
		/* an LMDB environment directory's data.mdb, foreign */
		char *data = g_build_filename(sub, "data.mdb", NULL);

		tap_ok(make_lmdb(data, 0, MDB_INTEGERKEY, 0, NULL) == 0,
		    "an empty LMDB file with MDB_INTEGERKEY");
		refused(data, "another layout", "MDB_INTEGERKEY");
		unlink_store(data);
		g_free(data);
	}
	rmdir(sub);

	/* a store from before the layout record is taken as it is */
	{
		MDB_env *env;
		MDB_txn *txn;
		MDB_dbi dbi;
		MDB_val k = { 7, "~deputy" }, v;
		int ok = -1;

		if (mdb_env_create(&env) == 0 && mdb_env_open(env, path,
		    MDB_NOSUBDIR, 0600) == 0 &&
		    mdb_txn_begin(env, NULL, 0, &txn) == 0 &&
		    mdb_dbi_open(txn, NULL, 0, &dbi) == 0) {
			MDB_val pk = { 6, "p\0abc\0" }, pv = { 4, "1000" };
			MDB_val rk = { 7, "rg\0*\0" "12" }, rv = { 1, "3" };

			ok = mdb_put(txn, dbi, &pk, &pv, 0) |
			    mdb_put(txn, dbi, &rk, &rv, 0) |
			    mdb_txn_commit(txn);
		}
		mdb_env_close(env);
		st = ok == 0 ? open_at(path, KEEP) : NULL;
		state_close(&st);
		ok = -1;
		if (mdb_env_create(&env) == 0 && mdb_env_open(env, path,
		    MDB_NOSUBDIR | MDB_RDONLY, 0600) == 0 &&
		    mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) == 0 &&
		    mdb_dbi_open(txn, NULL, 0, &dbi) == 0) {
			ok = mdb_get(txn, dbi, &k, &v);
			mdb_txn_abort(txn);
		}
		mdb_env_close(env);
		tap_ok(ok == 0, "a store of deputy's keys without the layout "
		    "record opens and gets the record");
	}
	unlink_store(path);

	unlink_store(good);
	g_free(good);
	g_free(path);
	g_free(sub);
}

/* make_store - a real store at PATH: N progress records, some notices */
static int
make_store(const char *path, int n)
{
	struct state_rates rates = { 100, 100, 100 };
	struct state *st = open_at(path, KEEP);
	int ok;

	if (st == NULL)
		return -1;
	ok = put_progress(st, 0, n, t0) == n;
	for (int i = 0; ok && i < 50; i++) {
		char sender[32];

		g_snprintf(sender, sizeof(sender), "s%d@d%d.example", i, i % 7);
		ok = claim(st, "alice@example.org", sender, &rates, t0, 0) ==
		    STATE_CLAIMED;
	}
	state_close(&st);
	return ok ? 0 : -1;
}

/*
 * use_store - what deputy does with a store, in a child: open it, read
 * every progress record, claim a notice, and write enough that the
 * sweep walks every record. The child's status: 0 all went well, 1 a
 * call failed, 2 refused at open, or the signal that killed it.
 */
static int
use_store(const char *path, int n)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct state_rates rates = { 100, 100, 100 };
		struct state *st = open_at(path, KEEP);
		int bad = 0;

		if (st == NULL)
			_exit(2);
		bad |= entries(st) == (size_t)-1;
		bad |= progress_found(st, 0, n, t0 + 60) != n;
		bad |= claim(st, "alice@example.org", "new@example.com",
		    &rates, t0 + 60, 0) != STATE_CLAIMED;
		bad |= put_progress(st, n, n / 64 + 2, t0 + 60) != n / 64 + 2;
		state_close(&st);
		_exit(bad ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static void
test_corrupt(void)
{
	char *path = tpath("real.lmdb"), *copy = tpath("copy.lmdb");
	struct stat sb;
	GRand *rand = g_rand_new_with_seed(20271);
	int flips = 300, crashed = 0, n = 3000, status;
	int outcome[3] = { 0, 0, 0 };

	if (make_store(path, n) != 0 || stat(path, &sb) != 0) {
		tap_ok(0, "a real store of %d records", n);
		return;
	}
	tap_ok(1, "a real store of %d records and 50 notices: %lld bytes", n,
	    (long long)sb.st_size);

	/* truncated: LMDB would SIGBUS on the missing pages */
	for (int i = 0; i < 3; i++) {
		off_t len[3] = { sb.st_size / 2, 12288, 5000 };

		unlink_store(copy);
		copy_file(path, copy);
		if (truncate(copy, len[i]) != 0)
			continue;
		refused(copy, "truncated", len[i] == 5000 ?
		    "cut inside the second meta page" : "truncated");
	}
	unlink_store(copy);
	copy_file(path, copy);
	(void)truncate(copy, sb.st_size / 2);
	status = use_store(copy, n);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 2, "a truncated "
	    "store, in a child: refused, no crash (status %d)", status);

	/* one bit flipped; each copy used in a child */
	for (int i = 0; i < flips; i++) {
		gchar *data;
		gsize len;
		gint32 at;

		unlink_store(copy);
		if (!g_file_get_contents(path, &data, &len, NULL))
			break;
		/* half of them where LMDB keeps its structure: a page's
		 * header and the first of its node offsets */
		if (i % 2 == 0)
			at = g_rand_int_range(rand, 0, (gint32)len);
		else
			at = g_rand_int_range(rand, 0, (gint32)(len / 4096)) *
			    4096 + g_rand_int_range(rand, 0, 64);
		data[at] ^= (char)(1 << g_rand_int_range(rand, 0, 8));
		g_file_set_contents(copy, data, (gssize)len, NULL);
		g_free(data);
		status = use_store(copy, n);
		if (!WIFEXITED(status)) {
			crashed++;
			tap_diag("flip at byte %d: killed by signal %d", at,
			    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		} else {
			outcome[MIN(WEXITSTATUS(status), 2)]++;
		}
	}
	tap_ok(crashed == 0, "%d single bit flips (half of them in page "
	    "headers): no child died of a signal "
	    "(%d crashed; %d worked, %d got an error from a call, %d were "
	    "refused at open)", flips, crashed, outcome[0], outcome[1],
	    outcome[2]);
	unlink_store(copy);
	unlink_store(path);
	g_rand_free(rand);
	g_free(path);
	g_free(copy);
}

/* ------------------------------------------------------ full map */

static void
test_full(void)
{
	char *path = tpath("full.lmdb"), *grow = tpath("grow.lmdb");
	struct state_settings set = settings(path, 1 * MB, 1 * MB, KEEP);
	struct state *st = NULL;
	int n1, n2, n;

	if (state_open(&set, &st, fresh_error()) != 0) {
		tap_ok(0, "a 1 MiB store: %s", error);
		return;
	}
	n1 = put_progress(st, 0, 100000, t0);
	tap_ok(n1 > 1000 && n1 < 100000 && error != NULL &&
	    strstr(error, "full") != NULL, "map_size_mb = 1: %d records, then "
	    "a clean error: %s", n1, error ? error : "none");
	g_free(error);
	error = NULL;
	tap_ok(progress_found(st, 0, 10, t0) == 10 &&
	    claim(st, "alice@example.org", "bob@example.com",
	    &(struct state_rates){ 0, 0, 0 }, t0, 1) == STATE_CLAIMED,
	    "a full store still reads");
	/* A week on, its records are of no use: a write sweeps them all. */
	n = put_progress(st, 200000, 10, t0 + 8 * DAY);
	tap_ok(n == 10 && entries(st) < 100, "a week later the full store "
	    "is swept when a write finds it full; writes work (%d, %zu "
	    "records)", n, entries(st));
	state_close(&st);

	/* Allowed to grow to 4 MiB: more than twice as much fits. */
	set = settings(grow, 1 * MB, 4 * MB, KEEP);
	if (state_open(&set, &st, fresh_error()) != 0) {
		tap_ok(0, "a growing store: %s", error);
		return;
	}
	n2 = put_progress(st, 0, 100000, t0);
	tap_ok(n2 > 2 * n1 && n2 < 100000, "max_map_size_mb = 4: the map "
	    "grows; %d records fit (1 MiB: %d)", n2, n1);
	g_free(error);
	error = NULL;
	state_close(&st);
	/* Reopened with map_size_mb = 1, it keeps the grown map. */
	set = settings(grow, 1 * MB, 1 * MB, KEEP);
	tap_ok(state_open(&set, &st, fresh_error()) == 0 &&
	    progress_found(st, n2 - 10, 10, t0) == 10 &&
	    claim(st, "alice@example.org", "bob@example.com",
	    &(struct state_rates){ 0, 0, 0 }, t0, 0) >= 0,
	    "reopened with a smaller map_size_mb: the grown file opens and "
	    "reads");
	state_close(&st);
	unlink_store(path);
	unlink_store(grow);
	g_free(path);
	g_free(grow);
}

/* ------------------------------------------------------ episodes */

/* count_lines - lines of FILE holding WHAT */
static int
count_lines(const char *file, const char *what)
{
	gchar *text = NULL;
	int n = 0;

	if (!g_file_get_contents(file, &text, NULL, NULL))
		return 0;
	for (char *p = text; (p = strstr(p, what)) != NULL; p++)
		n++;
	g_free(text);
	return n;
}

static void
test_episode(void)
{
	char *bad = tpath("episode-bad.lmdb"), *good = tpath("episode.lmdb");
	char *marker = tpath("state-down"), *logf = tpath("log");
	struct state_settings set;
	struct state *st = NULL;

	log_open("test-state", 0, logf);
	g_file_set_contents(bad, "not lmdb", 8, NULL);
	set = settings(bad, 1 * MB, 1 * MB, KEEP);
	set.down_file = marker;
	for (int i = 0; i < 3; i++) {
		g_free(error);
		error = NULL;
		(void)state_open(&set, &st, fresh_error());
	}
	tap_ok(count_lines(logf, "fails since") == 1 &&
	    g_file_test(marker, G_FILE_TEST_EXISTS), "three failing opens: "
	    "one log line, the marker made");
	set.path = good;
	if (state_open(&set, &st, fresh_error()) != 0)
		tap_diag("%s", error);
	tap_ok(st != NULL &&
	    count_lines(logf, "store works again") == 0, "a working open alone does "
	    "not end the episode");
	tap_ok(st != NULL && put_progress(st, 0, 2, t0) == 2 &&
	    count_lines(logf, "store works again") == 0 &&
	    g_file_test(marker, G_FILE_TEST_EXISTS), "a write that works "
	    "right after a failure: still one episode (settling)");
	state_close(&st);
	{
		struct timespec old[2] = { { time(NULL) - 10, 0 },
		    { time(NULL) - 10, 0 } };

		utimensat(AT_FDCWD, marker, old, 0);
	}
	tap_ok(state_open(&set, &st, fresh_error()) == 0 &&
	    put_progress(st, 2, 2, t0) == 2 &&
	    count_lines(logf, "store works again") == 1 &&
	    !g_file_test(marker, G_FILE_TEST_EXISTS), "the first write that "
	    "works 10 s after the last failure: one \"works again\" line, "
	    "the marker gone");
	state_close(&st);
	set.path = bad;
	(void)state_open(&set, &st, fresh_error());
	tap_ok(count_lines(logf, "fails since") == 2, "failing again: a new "
	    "episode, a new line");
	log_close();
	unlink(marker);
	unlink(logf);
	unlink_store(bad);
	unlink_store(good);
	g_free(bad);
	g_free(good);
	g_free(marker);
	g_free(logf);
}

/* ------------------------------------------------------ configuration */

/* conf_text - load TEXT as deputy.conf; the conf, or NULL and *error */
static struct deputy_conf *
conf_text(const char *text)
{
	char *path = tpath("deputy.conf");
	struct deputy_conf *c = NULL;

	g_free(error);
	error = NULL;
	g_file_set_contents(path, text, -1, NULL);
	if (conf_load(path, &c, fresh_error()) != 0)
		c = NULL;
	unlink(path);
	g_free(path);
	return c;
}

static void
test_conf(void)
{
	struct deputy_conf *c;
	struct state_settings set;

	c = conf_text("delivery {\n spool_dir = \"/var/spool/d\"\n}\n");
	if (c != NULL)
		conf_state_settings(c, 0, &set);
	tap_ok(c != NULL && set.backend == STATE_BACKEND_LMDB &&
	    set.map_size == 64 * MB && set.max_map_size == 1024 * MB &&
	    strcmp(set.down_file, "/var/spool/d/state-down") == 0 &&
	    set.notice_keep == 30 * DAY, "defaults: lmdb, 64 MiB growing to "
	    "1024, the marker in the spool, notices kept 30 days (the Sieve "
	    "maximum)");
	conf_free(&c);
	c = conf_text("state {\n backend = \"redis\"\n"
	    " redis_sentinels = {\"127.0.0.1:26380\", \"[::1]:26381\"}\n"
	    " redis_master = \"mail\"\n redis_timeout_ms = 200\n}\n");
	if (c != NULL)
		conf_state_settings(c, 1, &set);
	tap_ok(c != NULL && set.backend == STATE_BACKEND_REDIS &&
	    set.readonly && set.redis_sentinels[1] != NULL &&
	    strcmp(set.redis_sentinels[1], "[::1]:26381") == 0 &&
	    strcmp(set.redis_master, "mail") == 0 &&
	    set.redis_timeout_ms == 200 && set.redis_connect_timeout_ms == 500 &&
	    set.redis_wait_replicas == 1 && strcmp(set.redis_prefix,
	    "deputy:") == 0, "redis with sentinels: one replica must have a "
	    "write, by default");
	conf_free(&c);
	c = conf_text("state {\n backend = \"redis\"\n"
	    " redis_servers = {\"127.0.0.1:6379\"}\n}\n");
	if (c != NULL)
		conf_state_settings(c, 0, &set);
	tap_ok(c != NULL && set.redis_wait_replicas == 0 &&
	    set.redis_password_file == NULL, "redis without sentinels: no "
	    "replica waited for, no AUTH");
	conf_free(&c);
	c = conf_text("state {\n backend = \"redis\"\n}\n");
	tap_ok(c == NULL && error != NULL && strstr(error, "needs "
	    "redis_sentinels or redis_servers") != NULL, "redis with no "
	    "server: refused (%s)", error ? error : "loaded");
	conf_free(&c);
	c = conf_text("state {\n redis_sentinels = {\"localhost\"}\n}\n");
	tap_ok(c == NULL && error != NULL && strstr(error, "host:port") != NULL,
	    "a sentinel without a port: refused (%s)", error ? error :
	    "loaded");
	conf_free(&c);
	c = conf_text("state {\n backend = \"memcached\"\n}\n");
	tap_ok(c == NULL && error != NULL, "an unknown backend: refused (%s)",
	    error ? error : "loaded");
	conf_free(&c);
}

int
main(void)
{
	/* tmpfs when there is one: thousands of commits, each an fsync */
	const char *tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") :
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	dir = g_build_filename(tmp, "deputy-test-state.XXXXXX", NULL);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_sweep();
	test_claim();
	test_concurrency();
	test_bad_files();
	test_corrupt();
	test_full();
	test_episode();
	test_conf();
	if (rmdir(dir) != 0)
		tap_diag("%s left behind: %s", dir, g_strerror(errno));
	return tap_done();
}
