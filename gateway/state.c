/*
 * NAME
 *	state - retry progress in LMDB
 * SUMMARY
 *	Keys are "p\0DIGEST\0RCPT\0ACTION"; values are the time recorded
 *	as a decimal string. A put commits (and so syncs) at once.
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
};

static const char *const state_action_names[] = {
	[STATE_DELIVERED] = "delivered",
	[STATE_FORWARDED] = "forwarded",
	[STATE_NOTICED] = "noticed",
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
state_open(const char *path, size_t map_size, int readonly,
	   struct state **state_r, char **error_r)
{
	struct state *st = g_new0(struct state, 1);
	MDB_txn *txn;
	int rc;

	*state_r = NULL;
	st->readonly = readonly;
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
	if (rc == 0) {
		char buf[32];
		size_t n = MIN(v.mv_size, sizeof(buf) - 1);

		memcpy(buf, v.mv_data, n);
		buf[n] = '\0';
		found = now - (time_t)strtoll(buf, NULL, 10) < STATE_PROGRESS_TTL;
	}
	mdb_txn_abort(txn);
	g_free(key);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return state_err(error_r, "get", rc);
	return found;
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
