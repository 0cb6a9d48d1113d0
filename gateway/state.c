/*
 * NAME
 *	state - retry progress in LMDB
 * SUMMARY
 *	Keys are "p\0DIGEST\0RCPT\0ACTION" (retry progress) and
 *	"d\0RCPT\0SENDER\0IDENTITY" (the last notice), valued with the time
 *	recorded as a decimal string; "rr", "rd" and "rg" with the hour
 *	last in the key count notices per hour. A put commits (and so
 *	syncs) at once.
 *
 *	Every write also sweeps a few records onward from where the last
 *	sweep stopped (kept under STATE_SWEEP_KEY) and deletes those no
 *	reader would use any more, so the file stays at the size of a
 *	week's mail and never fills its map by age alone.
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <lmdb.h>

#include "state.h"

struct state {
	MDB_env *env;
	MDB_dbi dbi;
	int readonly;
	time_t notice_keep;		/* "d" records older go; 0: kept */
};

#define STATE_HOUR 3600
#define STATE_SWEEP_KEY "~sweep"	/* sorts after every record */
#define STATE_SWEEP_STEP 64		/* records looked at per write */

static const char *const state_action_names[] = {
	[STATE_DELIVERED] = "delivered",
	[STATE_FORWARDED] = "forwarded",
	[STATE_NOTICED] = "noticed",
	[STATE_FORWARDED_EXT] = "forwarded-ext",
	[STATE_BOUNCE_RETURNED] = "bounce-returned",
};

/* state_key - build the progress key */
static char *
state_key(const char *digest, const char *rcpt, enum state_action action,
	  size_t *len_r)
{
	char *k = g_strdup_printf("p%c%s%c%s%c%s", 0, digest, 0, rcpt, 0,
	    state_action_names[action]);

	*len_r = 1 + 1 + strlen(digest) + 1 + strlen(rcpt) + 1 +
	    strlen(state_action_names[action]);
	return k;
}

/* state_err - an error string for an LMDB code */
static int
state_err(char **error_r, const char *what, int rc)
{
	*error_r = g_strdup_printf("state: %s: %s", what, mdb_strerror(rc));
	return -1;
}

/* state_open - open (creating) the LMDB file at PATH */
int
state_open(const char *path, size_t map_size, time_t notice_keep,
	   int readonly, struct state **state_r, char **error_r)
{
	struct state *st = g_new0(struct state, 1);
	MDB_txn *txn;
	int rc;

	*state_r = NULL;
	st->readonly = readonly;
	st->notice_keep = notice_keep;
	if ((rc = mdb_env_create(&st->env)) != 0) {
		g_free(st);
		return state_err(error_r, "create", rc);
	}
	(void)mdb_env_set_mapsize(st->env, map_size);
	rc = mdb_env_open(st->env, path, MDB_NOSUBDIR | MDB_NOTLS |
	    (readonly ? MDB_RDONLY : 0), 0600);
	if (rc != 0) {
		*error_r = g_strdup_printf("state: open %s: %s", path,
		    mdb_strerror(rc));
		mdb_env_close(st->env);
		g_free(st);
		return -1;
	}
	if ((rc = mdb_txn_begin(st->env, NULL, readonly ? MDB_RDONLY : 0,
	    &txn)) != 0)
		goto fail;
	if ((rc = mdb_dbi_open(txn, NULL, 0, &st->dbi)) != 0) {
		mdb_txn_abort(txn);
		goto fail;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail;
	*state_r = st;
	return 0;
fail:
	mdb_env_close(st->env);
	g_free(st);
	return state_err(error_r, path, rc);
}

/* state_close - close; sets *state to NULL */
void
state_close(struct state **state)
{
	if (*state == NULL)
		return;
	mdb_env_close((*state)->env);
	g_free(*state);
	*state = NULL;
}

/* state_number - the decimal number in V (bounded copy) */
static long long
state_number(const void *data, size_t size)
{
	char buf[32];
	size_t n = MIN(size, sizeof(buf) - 1);

	memcpy(buf, data, n);
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

/* state_entries - how many records the file holds */
int
state_entries(struct state *st, size_t *count_r, char **error_r)
{
	MDB_txn *txn;
	MDB_stat ms;
	int rc;

	if ((rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0)
		return state_err(error_r, "read", rc);
	rc = mdb_stat(txn, st->dbi, &ms);
	mdb_txn_abort(txn);
	if (rc != 0)
		return state_err(error_r, "stat", rc);
	*count_r = ms.ms_entries;
	return 0;
}

/* state_progress_get - 1 if ACTION is recorded for (DIGEST, RCPT), else 0 */
int
state_progress_get(struct state *st, const char *digest, const char *rcpt,
		   enum state_action action, time_t now, char **error_r)
{
	MDB_txn *txn;
	MDB_val k, v;
	size_t klen;
	char *key = state_key(digest, rcpt, action, &klen);
	int rc, found = 0;

	if ((rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0) {
		g_free(key);
		return state_err(error_r, "read", rc);
	}
	k.mv_data = key;
	k.mv_size = klen;
	rc = mdb_get(txn, st->dbi, &k, &v);
	if (rc == 0)
		found = now - (time_t)state_number(v.mv_data, v.mv_size) <
		    STATE_PROGRESS_TTL;
	mdb_txn_abort(txn);
	g_free(key);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return state_err(error_r, "get", rc);
	return found;
}

/* state_stale - whether the record K, V is of no use at NOW */
static int
state_stale(const struct state *st, const MDB_val *k, const MDB_val *v,
	    time_t now)
{
	const char *key = k->mv_data, *end = key + k->mv_size, *last = end;

	if (k->mv_size < 2)
		return 0;
	if (key[0] == 'p' && key[1] == '\0')
		return now - (time_t)state_number(v->mv_data, v->mv_size) >=
		    STATE_PROGRESS_TTL;
	if (key[0] == 'd' && key[1] == '\0')
		return st->notice_keep > 0 && now -
		    (time_t)state_number(v->mv_data, v->mv_size) >=
		    st->notice_keep;
	if (key[0] == 'r') {		/* the hour is the last part */
		while (last > key && last[-1] != '\0')
			last--;
		return state_number(last, (size_t)(end - last)) <
		    (long long)(now / STATE_HOUR);
	}
	return 0;
}

/*
 * state_sweep - inside TXN, look at STATE_SWEEP_STEP records after the
 * one the last sweep stopped at, delete the stale ones, and remember
 * where this sweep stopped (the start again once it reaches the end).
 * Bounded work; a failure only leaves records for a later sweep.
 */
static void
state_sweep(struct state *st, MDB_txn *txn, time_t now)
{
	MDB_val mark = { sizeof(STATE_SWEEP_KEY) - 1, STATE_SWEEP_KEY };
	MDB_val k, v, at;
	MDB_cursor *cur;
	char resume[512];
	size_t resume_len = 0;
	int rc, step = STATE_SWEEP_STEP;

	if (mdb_get(txn, st->dbi, &mark, &v) == 0 && v.mv_size > 0 &&
	    v.mv_size <= sizeof(resume)) {
		memcpy(resume, v.mv_data, v.mv_size);
		resume_len = v.mv_size;
	}
	if (mdb_cursor_open(txn, st->dbi, &cur) != 0)
		return;
	if (resume_len > 0) {
		k.mv_data = resume;
		k.mv_size = resume_len;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	} else {
		rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	}
	while (rc == 0 && step-- > 0 && !(k.mv_size == mark.mv_size &&
	    memcmp(k.mv_data, mark.mv_data, mark.mv_size) == 0)) {
		if (state_stale(st, &k, &v, now))
			(void)mdb_cursor_del(cur, 0);
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	/* Stopped on a record not yet looked at; at the end: "". */
	if (rc == 0 && k.mv_size <= sizeof(resume) &&
	    !(k.mv_size == mark.mv_size &&
	    memcmp(k.mv_data, mark.mv_data, mark.mv_size) == 0)) {
		memcpy(resume, k.mv_data, k.mv_size);
		at.mv_data = resume;
		at.mv_size = k.mv_size;
	} else {
		at.mv_data = "";
		at.mv_size = 0;
	}
	mdb_cursor_close(cur);
	(void)mdb_put(txn, st->dbi, &mark, &at, 0);
}

/* state_progress_put - record ACTION for (DIGEST, RCPT), durably */
int
state_progress_put(struct state *st, const char *digest, const char *rcpt,
		   enum state_action action, time_t now, char **error_r)
{
	MDB_txn *txn;
	MDB_val k, v;
	size_t klen;
	char *key = state_key(digest, rcpt, action, &klen);
	char buf[32];
	int rc;

	g_snprintf(buf, sizeof(buf), "%lld", (long long)now);
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0) {
		g_free(key);
		return state_err(error_r, "write", rc);
	}
	k.mv_data = key;
	k.mv_size = klen;
	v.mv_data = buf;
	v.mv_size = strlen(buf);
	if ((rc = mdb_put(txn, st->dbi, &k, &v, 0)) != 0) {
		mdb_txn_abort(txn);
		g_free(key);
		return state_err(error_r, "put", rc);
	}
	g_free(key);
	state_sweep(st, txn, now);
	if ((rc = mdb_txn_commit(txn)) != 0)
		return state_err(error_r, "commit", rc);
	return 0;
}

/* state_progress_clear - forget all actions of (DIGEST, RCPT) */
int
state_progress_clear(struct state *st, const char *digest, const char *rcpt,
		     char **error_r)
{
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return state_err(error_r, "write", rc);
	for (size_t a = 0; a < G_N_ELEMENTS(state_action_names); a++) {
		size_t klen;
		char *key = state_key(digest, rcpt, (enum state_action)a, &klen);
		MDB_val k = { klen, key };

		rc = mdb_del(txn, st->dbi, &k, NULL);
		g_free(key);
		if (rc != 0 && rc != MDB_NOTFOUND) {
			mdb_txn_abort(txn);
			return state_err(error_r, "del", rc);
		}
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return state_err(error_r, "commit", rc);
	return 0;
}

/* state_get_number - the decimal value under KEY, 0 if absent */
static int
state_get_number(struct state *st, const char *key, size_t klen,
		 long long *value_r, char **error_r)
{
	MDB_txn *txn;
	MDB_val k = { klen, (void *)key }, v;
	int rc;

	*value_r = 0;
	if ((rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0)
		return state_err(error_r, "read", rc);
	rc = mdb_get(txn, st->dbi, &k, &v);
	if (rc == 0)
		*value_r = state_number(v.mv_data, v.mv_size);
	mdb_txn_abort(txn);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return state_err(error_r, "get", rc);
	return 0;
}

/* state_key2 - "TAG\0A\0B\0C" with its length */
static char *
state_key2(const char *tag, const char *a, const char *b, const char *c,
	   size_t *len_r)
{
	GString *k = g_string_new(tag);

	g_string_append_len(k, "", 1);
	g_string_append(k, a);
	if (b != NULL) {
		g_string_append_len(k, "", 1);
		g_string_append(k, b);
	}
	if (c != NULL) {
		g_string_append_len(k, "", 1);
		g_string_append(k, c);
	}
	*len_r = k->len;
	return g_string_free(k, FALSE);
}

/* state_notice_recent - 1 if a notice went out within PERIOD */
int
state_notice_recent(struct state *st, const char *rcpt, const char *sender,
		    const char *identity, unsigned int period, time_t now,
		    char **error_r)
{
	size_t klen;
	char *key = state_key2("d", rcpt, sender, identity, &klen);
	long long when;
	int rc = state_get_number(st, key, klen, &when, error_r);

	g_free(key);
	if (rc != 0)
		return -1;
	return when != 0 && now - (time_t)when < (time_t)period;
}

/* state_rate_exceeded - 1 if one more notice would pass a cap */
int
state_rate_exceeded(struct state *st, const char *rcpt,
		    const char *sender_domain, const struct state_rates *rates,
		    time_t now, char **error_r)
{
	char hour[24];
	const char *subjects[3] = { rcpt, sender_domain, "*" };
	const char *tags[3] = { "rr", "rd", "rg" };
	unsigned int caps[3] = { rates->per_recipient, rates->per_domain,
	    rates->global };

	g_snprintf(hour, sizeof(hour), "%lld", (long long)(now / STATE_HOUR));
	for (int i = 0; i < 3; i++) {
		size_t klen;
		char *key;
		long long count;
		int rc;

		if (caps[i] == 0)
			continue;
		key = state_key2(tags[i], subjects[i], hour, NULL, &klen);
		rc = state_get_number(st, key, klen, &count, error_r);
		g_free(key);
		if (rc != 0)
			return -1;
		if (count >= caps[i])
			return 1;
	}
	return 0;
}

/* state_incr - add one to the counter under KEY inside TXN */
static int
state_incr(struct state *st, MDB_txn *txn, const char *key, size_t klen)
{
	MDB_val k = { klen, (void *)key }, v;
	char buf[32];
	long long n = 0;
	int rc = mdb_get(txn, st->dbi, &k, &v);

	if (rc == 0) {
		n = state_number(v.mv_data, v.mv_size);
	} else if (rc != MDB_NOTFOUND) {
		return rc;
	}
	g_snprintf(buf, sizeof(buf), "%lld", n + 1);
	v.mv_data = buf;
	v.mv_size = strlen(buf);
	return mdb_put(txn, st->dbi, &k, &v, 0);
}

/* state_notice_record - remember a notice handed to sendmail */
int
state_notice_record(struct state *st, const char *rcpt, const char *sender,
		    const char *identity, const char *sender_domain,
		    time_t now, char **error_r)
{
	MDB_txn *txn;
	MDB_val k, v;
	char hour[24], stamp[24];
	size_t klen;
	char *key;
	int rc;

	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return state_err(error_r, "write", rc);
	g_snprintf(stamp, sizeof(stamp), "%lld", (long long)now);
	key = state_key2("d", rcpt, sender, identity, &klen);
	k.mv_data = key;
	k.mv_size = klen;
	v.mv_data = stamp;
	v.mv_size = strlen(stamp);
	rc = mdb_put(txn, st->dbi, &k, &v, 0);
	g_free(key);
	g_snprintf(hour, sizeof(hour), "%lld", (long long)(now / STATE_HOUR));
	if (rc == 0) {
		key = state_key2("rr", rcpt, hour, NULL, &klen);
		rc = state_incr(st, txn, key, klen);
		g_free(key);
	}
	if (rc == 0) {
		key = state_key2("rd", sender_domain, hour, NULL, &klen);
		rc = state_incr(st, txn, key, klen);
		g_free(key);
	}
	if (rc == 0) {
		key = state_key2("rg", "*", hour, NULL, &klen);
		rc = state_incr(st, txn, key, klen);
		g_free(key);
	}
	if (rc != 0) {
		mdb_txn_abort(txn);
		return state_err(error_r, "notice record", rc);
	}
	state_sweep(st, txn, now);
	if ((rc = mdb_txn_commit(txn)) != 0)
		return state_err(error_r, "commit", rc);
	return 0;
}
