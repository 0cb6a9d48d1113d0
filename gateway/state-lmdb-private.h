#ifndef DEPUTY_STATE_LMDB_PRIVATE_H
#define DEPUTY_STATE_LMDB_PRIVATE_H

/*
 * NAME
 *	state-lmdb-private - what state-lmdb.c and state-lmdb-open.c share
 * SUMMARY
 *	The LMDB backend's handle, the guard every call into LMDB runs
 *	under, and the few transaction helpers both files use. The
 *	guard's globals (lmdb_jmp, lmdb_tainted) stay static in
 *	state-lmdb-open.c: only the guard and lmdb_open() touch them.
 */

#include <stddef.h>
#include <time.h>

#include <lmdb.h>

#include "state-private.h"

#define LMDB_LAYOUT_KEY "~deputy"	/* the layout version */
#define LMDB_LAYOUT "1"

struct lmdb {
	MDB_env *env;			/* NULL once a fault killed it */
	MDB_dbi dbi;
	char *path;
	int readonly;
	time_t notice_keep;		/* "d" records older go; 0: kept */
	size_t max_map_size;
	MDB_txn *txn;			/* open now: aborted after a fault */
	int fault;			/* the signal a guard caught */
};

#define LMDB(st) ((struct lmdb *)(st)->priv)

/* A call into LMDB, run by lmdb_guarded(). */
typedef int lmdb_fn(struct lmdb *l, void *arg, char **error_r);

/* state-lmdb-open.c */

/* lmdb_guarded - run FN under the guard */
int lmdb_guarded(struct lmdb *l, lmdb_fn *fn, void *arg, char **error_r);

/* lmdb_open - open (creating) the LMDB file at SET->path */
int lmdb_open(struct state *st, const struct state_settings *set,
	      char **error_r);

/* lmdb_close - close the environment (unless a fault killed it) */
void lmdb_close(struct state *st);

/* state-lmdb.c */

/* lmdb_err - an error string for an LMDB code; returns -1 */
int lmdb_err(char **error_r, const struct lmdb *l, const char *what, int rc);

/* lmdb_ours - whether K looks like one of deputy's keys */
int lmdb_ours(const MDB_val *k);

/* lmdb_begin - a transaction; takes the map size another process set */
int lmdb_begin(struct lmdb *l, unsigned int flags, MDB_txn **txn_r);

/* lmdb_abort - abort the open transaction */
void lmdb_abort(struct lmdb *l);

/* lmdb_commit - commit the open transaction */
int lmdb_commit(struct lmdb *l);

#endif
