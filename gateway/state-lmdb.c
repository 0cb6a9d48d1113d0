/*
 * NAME
 *	state-lmdb - the state store in one LMDB file
 * SUMMARY
 *	Keys are "p\0DIGEST\0RCPT\0ACTION" (retry progress) and
 *	"d\0RCPT\0SENDER\0IDENTITY" (the last notice), valued with the time
 *	recorded as a decimal string; "rr", "rd" and "rg" with the hour
 *	last in the key count notices per hour. A key longer than LMDB
 *	takes (511 bytes; a long address can make one) is replaced by its
 *	tag and the SHA-256 of the whole. "~deputy" holds the layout
 *	version; "~sweep" where the sweep stopped.
 *
 *	Every write also sweeps a few records onward from where the last
 *	sweep stopped and deletes those no reader would use any more, so
 *	the file stays at the size of a week's mail. A notice claim is one
 *	write transaction: LMDB has one writer at a time, so the check and
 *	the record cannot interleave with another process's.
 *
 *	Full (MDB_MAP_FULL): the whole file is swept, in batches, and the
 *	write tried again; still full, the map is doubled up to
 *	max_map_size and tried again; then it fails.
 *
 *	This file holds the operations; opening the file, the checks
 *	made on it, and the guard every call into LMDB runs under are in
 *	state-lmdb-open.c (state-lmdb-private.h is what the two share).
 * DIAGNOSTICS
 *	An operation that fails returns -1 with "state: PATH: WHAT:
 *	LMDB's reason", or, full at max_map_size_mb, a message that says
 *	to raise it. Each runs under lmdb_guarded(): a crash inside LMDB
 *	is an error too (see state-lmdb-open.c).
 * SECURITY
 *	Keys are made of addresses the sender chose: one too long for
 *	LMDB is replaced by its hash, and every value is read through a
 *	bounded copy.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <lmdb.h>

#include "log.h"
#include "state-lmdb-private.h"

#define LMDB_SWEEP_KEY "~sweep"		/* sorts after every record */
#define LMDB_SWEEP_STEP 64		/* records looked at per write */
#define LMDB_SWEEP_BATCH 4096		/* per transaction when full */
#define LMDB_MAX_KEY 511		/* MDB_MAXKEYSIZE of the default build */

/* ---------------------------------------------------------------- keys */

/* lmdb_err - an error string for an LMDB code */
int
lmdb_err(char **error_r, const struct lmdb *l, const char *what, int rc)
{
	*error_r = g_strdup_printf("state: %s: %s: %s", l->path, what,
	    mdb_strerror(rc));
	return -1;
}

/*
 * lmdb_key - "TAG\0A\0B\0C" (B, C may be NULL); longer than LMDB takes:
 * "TAG\0#" and the SHA-256 of it in hex
 */
static GString *
lmdb_key(const char *tag, const char *a, const char *b, const char *c)
{
	GString *k = g_string_new(tag);
	const char *parts[3] = { a, b, c };

	for (int i = 0; i < 3 && parts[i] != NULL; i++) {
		g_string_append_len(k, "", 1);
		g_string_append(k, parts[i]);
	}
	if (k->len > LMDB_MAX_KEY) {
		char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
		    (const guchar *)k->str, k->len);

		g_string_assign(k, tag);
		g_string_append_len(k, "", 1);
		g_string_append_c(k, '#');
		g_string_append(k, sum);
		g_free(sum);
	}
	return k;
}

/* lmdb_progress_key - the progress key of (DIGEST, RCPT, ACTION) */
static GString *
lmdb_progress_key(const char *digest, const char *rcpt,
		  enum state_action action)
{
	return lmdb_key("p", digest, rcpt, state_action_name(action));
}

/* lmdb_number - the decimal number in a value (bounded copy) */
static long long
lmdb_number(const void *data, size_t size)
{
	char buf[32];
	size_t n = MIN(size, sizeof(buf) - 1);

	memcpy(buf, data, n);
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

/* lmdb_is_mark - whether K is the sweep mark */
static int
lmdb_is_mark(const MDB_val *k)
{
	return k->mv_size == sizeof(LMDB_SWEEP_KEY) - 1 &&
	    memcmp(k->mv_data, LMDB_SWEEP_KEY, k->mv_size) == 0;
}

/* lmdb_ours - whether K looks like one of deputy's keys */
int
lmdb_ours(const MDB_val *k)
{
	static const char *const prefixes[] = { "p", "d", "rr", "rd", "rg" };
	const char *key = k->mv_data;

	if (lmdb_is_mark(k) || (k->mv_size == sizeof(LMDB_LAYOUT_KEY) - 1 &&
	    memcmp(key, LMDB_LAYOUT_KEY, k->mv_size) == 0))
		return 1;
	for (size_t i = 0; i < G_N_ELEMENTS(prefixes); i++) {
		size_t n = strlen(prefixes[i]);

		if (k->mv_size > n + 1 && memcmp(key, prefixes[i], n) == 0 &&
		    key[n] == '\0')
			return 1;
	}
	return 0;
}

/* ---------------------------------------------------------------- txns */

/* lmdb_begin - a transaction; takes the map size another process set */
int
lmdb_begin(struct lmdb *l, unsigned int flags, MDB_txn **txn_r)
{
	int rc = mdb_txn_begin(l->env, NULL, flags, txn_r);

	if (rc == MDB_MAP_RESIZED) {
		if ((rc = mdb_env_set_mapsize(l->env, 0)) == 0)
			rc = mdb_txn_begin(l->env, NULL, flags, txn_r);
	}
	l->txn = rc == 0 ? *txn_r : NULL;
	return rc;
}

/* lmdb_abort - abort the open transaction */
void
lmdb_abort(struct lmdb *l)
{
	if (l->txn != NULL)
		mdb_txn_abort(l->txn);
	l->txn = NULL;
}

/* lmdb_commit - commit the open transaction */
int
lmdb_commit(struct lmdb *l)
{
	int rc = mdb_txn_commit(l->txn);

	l->txn = NULL;
	return rc;
}

/* lmdb_stale - whether the record K, V is of no use at NOW */
static int
lmdb_stale(const struct lmdb *l, const MDB_val *k, const MDB_val *v,
	   time_t now)
{
	const char *key = k->mv_data, *end = key + k->mv_size, *last = end;

	if (k->mv_size < 2)
		return 0;
	if (key[0] == 'p' && key[1] == '\0')
		return now - (time_t)lmdb_number(v->mv_data, v->mv_size) >=
		    STATE_PROGRESS_TTL;
	if (key[0] == 'd' && key[1] == '\0')
		return l->notice_keep > 0 && now -
		    (time_t)lmdb_number(v->mv_data, v->mv_size) >=
		    l->notice_keep;
	if (key[0] == 'r') {		/* the hour is the last part */
		while (last > key && last[-1] != '\0')
			last--;
		return lmdb_number(last, (size_t)(end - last)) <
		    (long long)(now / STATE_HOUR);
	}
	return 0;
}

/*
 * lmdb_sweep - inside TXN, look at STEP records after the one the last
 * sweep stopped at, delete the stale ones, and remember where this
 * sweep stopped (the start again once it reaches the end). Bounded
 * work. A failure (the map full) leaves TXN unusable: 0 or the code.
 */
static int
lmdb_sweep(struct lmdb *l, MDB_txn *txn, time_t now, int step)
{
	MDB_val mark = { sizeof(LMDB_SWEEP_KEY) - 1, LMDB_SWEEP_KEY };
	MDB_val k, v, at;
	MDB_cursor *cur;
	char resume[LMDB_MAX_KEY + 1];
	size_t resume_len = 0;
	int rc;

	if (mdb_get(txn, l->dbi, &mark, &v) == 0 && v.mv_size > 0 &&
	    v.mv_size <= sizeof(resume)) {
		memcpy(resume, v.mv_data, v.mv_size);
		resume_len = v.mv_size;
	}
	if ((rc = mdb_cursor_open(txn, l->dbi, &cur)) != 0)
		return rc;
	if (resume_len > 0) {
		k.mv_data = resume;
		k.mv_size = resume_len;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	} else {
		rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	}
	while (rc == 0 && step-- > 0 && !lmdb_is_mark(&k)) {
		if (lmdb_stale(l, &k, &v, now) &&
		    (rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		mdb_cursor_close(cur);
		return rc;
	}
	/* Stopped on a record not yet looked at; at the end: "". */
	if (rc == 0 && k.mv_size <= sizeof(resume) && !lmdb_is_mark(&k)) {
		memcpy(resume, k.mv_data, k.mv_size);
		at.mv_data = resume;
		at.mv_size = k.mv_size;
	} else {
		at.mv_data = "";
		at.mv_size = 0;
	}
	mdb_cursor_close(cur);
	return mdb_put(txn, l->dbi, &mark, &at, 0);
}

/*
 * lmdb_sweep_all - the map is full: sweep the whole file, a batch of
 * records per transaction, so that each commit frees pages for the
 * next. Stops at the end or at the first failure. Returns how many
 * records went.
 */
static size_t
lmdb_sweep_all(struct lmdb *l, time_t now)
{
	char resume[LMDB_MAX_KEY + 1];
	size_t resume_len = 0, gone = 0;
	int end = 0;

	while (!end) {
		MDB_txn *txn;
		MDB_cursor *cur;
		MDB_val k, v;
		size_t batch_gone = 0;
		int rc, n = LMDB_SWEEP_BATCH;

		if (lmdb_begin(l, 0, &txn) != 0)
			break;
		if (mdb_cursor_open(txn, l->dbi, &cur) != 0) {
			lmdb_abort(l);
			break;
		}
		k.mv_data = resume;
		k.mv_size = resume_len;
		rc = mdb_cursor_get(cur, &k, &v, resume_len > 0 ?
		    MDB_SET_RANGE : MDB_FIRST);
		while (rc == 0 && n-- > 0) {
			if (lmdb_stale(l, &k, &v, now)) {
				if ((rc = mdb_cursor_del(cur, 0)) != 0)
					break;
				batch_gone++;
			}
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		}
		if (rc == 0 && k.mv_size <= sizeof(resume)) {
			memcpy(resume, k.mv_data, k.mv_size);
			resume_len = k.mv_size;
		} else if (rc == MDB_NOTFOUND) {
			end = 1;
		} else {
			mdb_cursor_close(cur);
			lmdb_abort(l);
			break;
		}
		mdb_cursor_close(cur);
		if (lmdb_commit(l) != 0)
			break;
		gone += batch_gone;
	}
	return gone;
}

/* lmdb_grow - double the map, up to max_map_size; -1 at the cap */
static int
lmdb_grow(struct lmdb *l)
{
	MDB_envinfo ei;
	size_t size;

	if (mdb_env_info(l->env, &ei) != 0 || ei.me_mapsize >= l->max_map_size)
		return -1;
	size = MIN(ei.me_mapsize * 2, l->max_map_size);
	if (mdb_env_set_mapsize(l->env, size) != 0)
		return -1;
	log_info("state: %s was full at %zu MiB; its map may now grow to "
	    "%zu MiB (max_map_size_mb)", l->path, ei.me_mapsize >> 20,
	    size >> 20);
	return 0;
}

/* A write: FN puts inside TXN and says whether it wrote anything. */
typedef int lmdb_write_fn(struct lmdb *l, MDB_txn *txn, void *arg,
			  int *wrote_r);

/*
 * lmdb_write - run FN in a write transaction with a sweep step, and
 * commit. MDB_MAP_FULL: once without the sweep step, then after a full
 * sweep, then after each growth of the map; at the cap, an error that
 * says so.
 */
static int
lmdb_write(struct lmdb *l, lmdb_write_fn *fn, void *arg, time_t now,
	   const char *what, char **error_r)
{
	int rc, wrote, sweep = 1, swept_all = 0;

	for (;;) {
		MDB_txn *txn;

		if ((rc = lmdb_begin(l, 0, &txn)) != 0)
			return lmdb_err(error_r, l, "write", rc);
		wrote = 0;
		rc = fn(l, txn, arg, &wrote);
		if (rc == 0 && wrote && sweep &&
		    (rc = lmdb_sweep(l, txn, now, LMDB_SWEEP_STEP)) != 0) {
			/* The step failed (full?): the write alone. */
			lmdb_abort(l);
			sweep = 0;
			continue;
		}
		if (rc == 0 && wrote) {
			rc = lmdb_commit(l);
		} else {
			lmdb_abort(l);
		}
		if (rc != MDB_MAP_FULL)
			break;
		if (!swept_all) {
			size_t gone = lmdb_sweep_all(l, now);

			swept_all = 1;
			if (gone > 0)
				log_info("state: %s was full: %zu records past "
				    "their use deleted", l->path, gone);
			continue;
		}
		if (lmdb_grow(l) != 0) {
			MDB_envinfo ei;

			(void)mdb_env_info(l->env, &ei);
			*error_r = g_strdup_printf("state: %s: %s: full (%zu "
			    "MiB of live records, max_map_size_mb reached); "
			    "raise max_map_size_mb", l->path, what,
			    ei.me_mapsize >> 20);
			return -1;
		}
	}
	if (rc != 0)
		return lmdb_err(error_r, l, what, rc);
	return 0;
}

/* ---------------------------------------------------------------- calls */

/* lmdb_entries_fn - how many records the file holds */
static int
lmdb_entries_fn(struct lmdb *l, void *arg, char **error_r)
{
	MDB_txn *txn;
	MDB_stat ms;
	int rc;

	if ((rc = lmdb_begin(l, MDB_RDONLY, &txn)) != 0)
		return lmdb_err(error_r, l, "read", rc);
	rc = mdb_stat(txn, l->dbi, &ms);
	lmdb_abort(l);
	if (rc != 0)
		return lmdb_err(error_r, l, "stat", rc);
	*(size_t *)arg = ms.ms_entries;
	return 0;
}

static int
lmdb_entries(struct state *st, size_t *count_r, char **error_r)
{
	return lmdb_guarded(LMDB(st), lmdb_entries_fn, count_r, error_r);
}

/* The arguments of one progress call. */
struct lmdb_progress {
	GString *key;
	time_t now;
	int found;
};

/* lmdb_progress_fresh - whether the record under P->key is in use */
static int
lmdb_progress_fresh(struct lmdb *l, MDB_txn *txn, struct lmdb_progress *p,
		    int *fresh_r)
{
	MDB_val k = { p->key->len, p->key->str }, v;
	int rc = mdb_get(txn, l->dbi, &k, &v);

	*fresh_r = rc == 0 && p->now -
	    (time_t)lmdb_number(v.mv_data, v.mv_size) < STATE_PROGRESS_TTL;
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* lmdb_progress_get_fn - read one progress record */
static int
lmdb_progress_get_fn(struct lmdb *l, void *arg, char **error_r)
{
	struct lmdb_progress *p = arg;
	MDB_txn *txn;
	int rc;

	if ((rc = lmdb_begin(l, MDB_RDONLY, &txn)) != 0)
		return lmdb_err(error_r, l, "read", rc);
	rc = lmdb_progress_fresh(l, txn, p, &p->found);
	lmdb_abort(l);
	if (rc != 0)
		return lmdb_err(error_r, l, "get", rc);
	return 0;
}

static int
lmdb_progress_get(struct state *st, const char *digest, const char *rcpt,
		  enum state_action action, time_t now, char **error_r)
{
	struct lmdb_progress p = { lmdb_progress_key(digest, rcpt, action),
	    now, 0 };
	int rc = lmdb_guarded(LMDB(st), lmdb_progress_get_fn, &p, error_r);

	g_string_free(p.key, TRUE);
	return rc < 0 ? -1 : p.found;
}

/* lmdb_progress_put_txn - the record, unless one in use is there */
static int
lmdb_progress_put_txn(struct lmdb *l, MDB_txn *txn, void *arg, int *wrote_r)
{
	struct lmdb_progress *p = arg;
	MDB_val k = { p->key->len, p->key->str }, v;
	char buf[32];
	int rc, fresh;

	if ((rc = lmdb_progress_fresh(l, txn, p, &fresh)) != 0 || fresh)
		return rc;
	g_snprintf(buf, sizeof(buf), "%lld", (long long)p->now);
	v.mv_data = buf;
	v.mv_size = strlen(buf);
	*wrote_r = 1;
	return mdb_put(txn, l->dbi, &k, &v, 0);
}

static int
lmdb_progress_put_fn(struct lmdb *l, void *arg, char **error_r)
{
	struct lmdb_progress *p = arg;

	return lmdb_write(l, lmdb_progress_put_txn, p, p->now, "put",
	    error_r);
}

static int
lmdb_progress_put(struct state *st, const char *digest, const char *rcpt,
		  enum state_action action, time_t now, char **error_r)
{
	struct lmdb_progress p = { lmdb_progress_key(digest, rcpt, action),
	    now, 0 };
	int rc = lmdb_guarded(LMDB(st), lmdb_progress_put_fn, &p, error_r);

	g_string_free(p.key, TRUE);
	return rc;
}

/* The arguments of a progress clear. */
struct lmdb_clear {
	const char *digest, *rcpt;
};

/* lmdb_progress_clear_txn - delete every action of (digest, rcpt) */
static int
lmdb_progress_clear_txn(struct lmdb *l, MDB_txn *txn, void *arg,
			int *wrote_r)
{
	struct lmdb_clear *c = arg;

	for (int a = STATE_DELIVERED; a <= STATE_BOUNCE_RETURNED; a++) {
		GString *key = lmdb_progress_key(c->digest, c->rcpt,
		    (enum state_action)a);
		MDB_val k = { key->len, key->str };
		int rc = mdb_del(txn, l->dbi, &k, NULL);

		g_string_free(key, TRUE);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return rc;
		if (rc == 0)
			*wrote_r = 1;
	}
	return 0;
}

static int
lmdb_progress_clear_fn(struct lmdb *l, void *arg, char **error_r)
{
	return lmdb_write(l, lmdb_progress_clear_txn, arg, time(NULL), "del",
	    error_r);
}

static int
lmdb_progress_clear(struct state *st, const char *digest, const char *rcpt,
		    char **error_r)
{
	struct lmdb_clear c = { digest, rcpt };

	return lmdb_guarded(LMDB(st), lmdb_progress_clear_fn, &c, error_r);
}

/* One claim. */
struct lmdb_claim {
	const struct state_notice *n;
	const struct state_rates *rates;
	time_t now;
	int dry_run;
	int result;
};

/* lmdb_counter_key - the counter of cap I (0 recipient, 1 domain, 2 all) */
static GString *
lmdb_counter_key(const struct state_notice *n, int i, time_t now)
{
	static const char *const tags[3] = { "rr", "rd", "rg" };
	const char *subjects[3] = { n->rcpt, n->sender_domain, "*" };
	char hour[24];

	g_snprintf(hour, sizeof(hour), "%lld", (long long)(now / STATE_HOUR));
	return lmdb_key(tags[i], subjects[i], hour, NULL);
}

/* lmdb_caps - the caps of RATES, in counter order */
static void
lmdb_caps(const struct state_rates *rates, unsigned int caps[3])
{
	caps[0] = rates->per_recipient;
	caps[1] = rates->per_domain;
	caps[2] = rates->global;
}

/* lmdb_claim_check - inside TXN: what a claim would say now */
static int
lmdb_claim_check(struct lmdb *l, MDB_txn *txn, struct lmdb_claim *c)
{
	const struct state_notice *n = c->n;
	GString *key = lmdb_key("d", n->rcpt, n->sender, n->identity);
	MDB_val k = { key->len, key->str }, v;
	unsigned int caps[3];
	int rc = mdb_get(txn, l->dbi, &k, &v);

	g_string_free(key, TRUE);
	c->result = STATE_CLAIMED;
	if (rc == 0 && c->now - (time_t)lmdb_number(v.mv_data, v.mv_size) <
	    (time_t)n->period) {
		c->result = STATE_DUPLICATE;
		return 0;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	lmdb_caps(c->rates, caps);
	for (int i = 0; i < 3; i++) {
		if (caps[i] == 0)
			continue;
		key = lmdb_counter_key(n, i, c->now);
		k.mv_data = key->str;
		k.mv_size = key->len;
		rc = mdb_get(txn, l->dbi, &k, &v);
		if (rc == 0 && lmdb_number(v.mv_data, v.mv_size) >=
		    (long long)caps[i])
			c->result = STATE_RATE_RECIPIENT + i;
		g_string_free(key, TRUE);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return rc;
		if (c->result != STATE_CLAIMED)
			return 0;
	}
	return 0;
}

/* lmdb_incr - add one to the counter under KEY inside TXN */
static int
lmdb_incr(struct lmdb *l, MDB_txn *txn, GString *key)
{
	MDB_val k = { key->len, key->str }, v;
	char buf[32];
	long long n = 0;
	int rc = mdb_get(txn, l->dbi, &k, &v);

	if (rc == 0)
		n = lmdb_number(v.mv_data, v.mv_size);
	else if (rc != MDB_NOTFOUND)
		return rc;
	g_snprintf(buf, sizeof(buf), "%lld", n + 1);
	v.mv_data = buf;
	v.mv_size = strlen(buf);
	return mdb_put(txn, l->dbi, &k, &v, 0);
}

/* lmdb_claim_txn - check and, if all pass, record and count */
static int
lmdb_claim_txn(struct lmdb *l, MDB_txn *txn, void *arg, int *wrote_r)
{
	struct lmdb_claim *c = arg;
	const struct state_notice *n = c->n;
	GString *key;
	MDB_val k, v;
	char stamp[24];
	unsigned int caps[3];
	int rc = lmdb_claim_check(l, txn, c);

	if (rc != 0 || c->result != STATE_CLAIMED)
		return rc;
	*wrote_r = 1;
	g_snprintf(stamp, sizeof(stamp), "%lld", (long long)c->now);
	key = lmdb_key("d", n->rcpt, n->sender, n->identity);
	k.mv_data = key->str;
	k.mv_size = key->len;
	v.mv_data = stamp;
	v.mv_size = strlen(stamp);
	rc = mdb_put(txn, l->dbi, &k, &v, 0);
	g_string_free(key, TRUE);
	lmdb_caps(c->rates, caps);
	for (int i = 0; i < 3 && rc == 0; i++) {
		if (caps[i] == 0)
			continue;
		key = lmdb_counter_key(n, i, c->now);
		rc = lmdb_incr(l, txn, key);
		g_string_free(key, TRUE);
	}
	return rc;
}

static int
lmdb_claim_fn(struct lmdb *l, void *arg, char **error_r)
{
	struct lmdb_claim *c = arg;
	MDB_txn *txn;
	int rc;

	if (!c->dry_run)
		return lmdb_write(l, lmdb_claim_txn, c, c->now, "notice claim",
		    error_r);
	if ((rc = lmdb_begin(l, MDB_RDONLY, &txn)) != 0)
		return lmdb_err(error_r, l, "read", rc);
	rc = lmdb_claim_check(l, txn, c);
	lmdb_abort(l);
	if (rc != 0)
		return lmdb_err(error_r, l, "notice check", rc);
	return 0;
}

static int
lmdb_notice_claim(struct state *st, const struct state_notice *n,
		  const struct state_rates *rates, time_t now, int dry_run,
		  char **error_r)
{
	struct lmdb_claim c = { n, rates, now, dry_run, STATE_CLAIMED };

	if (lmdb_guarded(LMDB(st), lmdb_claim_fn, &c, error_r) != 0)
		return -1;
	return c.result;
}

const struct state_ops state_lmdb_ops = {
	"lmdb",
	lmdb_open,
	lmdb_close,
	lmdb_entries,
	lmdb_progress_get,
	lmdb_progress_put,
	lmdb_progress_clear,
	lmdb_notice_claim,
};
