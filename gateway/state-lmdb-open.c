/*
 * NAME
 *	state-lmdb-open - open deputy's LMDB file, and guard every call
 * SUMMARY
 *	lmdb_open() checks what lies at the path (creating a new store
 *	when nothing does), opens the environment and, under the guard,
 *	checks that the file is whole and deputy's. lmdb_guarded() runs
 *	each call into LMDB (state-lmdb.c's operations too) with
 *	SIGSEGV, SIGBUS and LMDB's assertions turned into an error.
 * DIAGNOSTICS
 *	A file that is not deputy's store is refused at open with a reason:
 *	a directory, an empty or truncated file, not LMDB, an LMDB file of
 *	another layout (named databases, other flags, other keys), owned
 *	by another user or writable by others.
 *
 *	LMDB trusts its file. A truncated one is caught at open (the last
 *	page it names lies past the end of the file). A bit flipped inside
 *	a page can make LMDB read outside the map (SIGSEGV, SIGBUS) or
 *	fail an assertion: every call into LMDB runs under a guard that
 *	turns those into an error ("LMDB crashed reading ..."). The
 *	environment is then abandoned, not closed, and no LMDB store is
 *	opened again in this process (state_process_tainted()): a write
 *	transaction keeps LMDB's writer lock until the process ends, so a
 *	resident process (deputyd's worker) must end after the message.
 *
 *	Not guarded: a flip that leaves the structure valid but changes a
 *	value (LMDB 0.9 has no checksums): a record reads wrong, at worst
 *	one notice too many or too few, or a forward made twice; glibc's
 *	abort() should LMDB, misled, free a bad pointer (not seen); a
 *	fault inside malloc() called by LMDB (the jump would leave the
 *	allocator's lock taken). Measured in test-state:
 *	300 single bit flips in a 630 KB store, half of them in page
 *	headers: 42 children crashed without the guard, none with it.
 * SECURITY
 *	The file must belong to the effective user and not be writable by
 *	group or others: whoever can write it can make a forward look done.
 */

#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <lmdb.h>

#include "state-lmdb-private.h"

/* ---------------------------------------------------------------- guard */

/*
 * The guard: while LMDB runs, SIGSEGV, SIGBUS and LMDB's assertion
 * callback jump back to lmdb_guarded(), which aborts the transaction
 * (giving back the writer lock other processes wait for), closes the
 * environment and fails the call. Thread-local, so a fault in another
 * thread is not taken for ours; outside a guard the default action
 * applies.
 */
static __thread sigjmp_buf *lmdb_jmp;
static __thread char lmdb_assert_msg[160];
static volatile sig_atomic_t lmdb_tainted;	/* a guard caught a fault */

/* lmdb_fault - SIGSEGV/SIGBUS handler: back to the guard, if any */
static void
lmdb_fault(int sig)
{
	if (lmdb_jmp != NULL)
		siglongjmp(*lmdb_jmp, sig);
	signal(sig, SIG_DFL);		/* not ours: crash as usual */
	raise(sig);
}

/* lmdb_assert - LMDB's assertion callback: back to the guard, if any */
static void
lmdb_assert(MDB_env *env, const char *msg)
{
	(void)env;
	g_strlcpy(lmdb_assert_msg, msg, sizeof(lmdb_assert_msg));
	if (lmdb_jmp != NULL)
		siglongjmp(*lmdb_jmp, SIGABRT);
}

/* lmdb_signame - a name for the signal a guard caught */
static const char *
lmdb_signame(int sig)
{
	return sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" :
	    "an assertion";
}

/* lmdb_guarded - run FN under the guard */
int
lmdb_guarded(struct lmdb *l, lmdb_fn *fn, void *arg, char **error_r)
{
	struct sigaction sa, old_segv, old_bus;
	sigjmp_buf jb;
	volatile int rc = -1;
	int sig;

	if (l->env == NULL) {
		*error_r = g_strdup_printf("state: %s: LMDB crashed on it "
		    "before (%s): the file is corrupt; move it aside (a new "
		    "one is made)", l->path, lmdb_signame(l->fault));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = lmdb_fault;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGSEGV, &sa, &old_segv);
	(void)sigaction(SIGBUS, &sa, &old_bus);
	lmdb_jmp = &jb;
	sig = sigsetjmp(jb, 1);
	if (sig == 0)
		rc = fn(l, arg, error_r);
	lmdb_jmp = NULL;
	(void)sigaction(SIGSEGV, &old_segv, NULL);
	(void)sigaction(SIGBUS, &old_bus, NULL);
	if (sig == 0)
		return rc;
	/*
	 * Nothing of this environment is touched again: aborting the
	 * transaction would walk cursors that lived on the stack frames
	 * the jump left (a double free, tried). Its writer lock, if held,
	 * goes when the process ends (LMDB's mutexes are robust).
	 */
	lmdb_tainted = 1;
	l->fault = sig;
	l->env = NULL;
	l->txn = NULL;
	*error_r = g_strdup_printf("state: %s: LMDB crashed reading it (%s%s%s): "
	    "the file is corrupt or unreadable; move it aside (a new one is "
	    "made)", l->path, lmdb_signame(sig), sig == SIGABRT ? ": " : "",
	    sig == SIGABRT ? lmdb_assert_msg : "");
	return -1;
}

/* state_lmdb_tainted - whether LMDB crashed in this process */
int
state_lmdb_tainted(void)
{
	return lmdb_tainted;
}

/* ---------------------------------------------------------------- open */

/*
 * lmdb_check_lock - the lock file beside PATH, if there is one, is
 * deputy's too: its reader table and writer lock steer LMDB
 */
static int
lmdb_check_lock(const char *path, char **error_r)
{
	char *lock = g_strdup_printf("%s-lock", path);
	struct stat sb;
	int rc = 0;

	if (stat(lock, &sb) == 0 && (!S_ISREG(sb.st_mode) ||
	    sb.st_uid != geteuid() || (sb.st_mode & 022) != 0)) {
		*error_r = g_strdup_printf("state: %s is not a file of deputy's "
		    "user (uid %u), or others may write it", lock,
		    (unsigned int)geteuid());
		rc = -1;
	}
	g_free(lock);
	return rc;
}

/*
 * lmdb_check_file - what is at PATH: 1 absent, 0 a file worth opening,
 * -1 (with the reason) anything else
 */
static int
lmdb_check_file(const char *path, int readonly, char **error_r)
{
	struct stat sb;

	if (stat(path, &sb) != 0) {
		if (errno == ENOENT)
			return 1;
		*error_r = g_strdup_printf("state: %s: %s", path,
		    g_strerror(errno));
		return -1;
	}
	if (S_ISDIR(sb.st_mode)) {
		*error_r = g_strdup_printf("state: %s is a directory, not an "
		    "LMDB file", path);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		*error_r = g_strdup_printf("state: %s is not a regular file",
		    path);
		return -1;
	}
	if (sb.st_size == 0) {
		*error_r = g_strdup_printf("state: %s is empty (truncated?), "
		    "not an LMDB file; move it aside (a new one is made)",
		    path);
		return -1;
	}
	if (!readonly && sb.st_uid != geteuid()) {
		*error_r = g_strdup_printf("state: %s belongs to uid %u, not "
		    "to deputy's uid %u", path, (unsigned int)sb.st_uid,
		    (unsigned int)geteuid());
		return -1;
	}
	if (!readonly && (sb.st_mode & 022) != 0) {
		*error_r = g_strdup_printf("state: %s is writable by group or "
		    "others (mode %04o)", path,
		    (unsigned int)(sb.st_mode & 07777));
		return -1;
	}
	return readonly ? 0 : lmdb_check_lock(path, error_r);
}

/*
 * lmdb_create - make a new store at PATH: built under a private name,
 * with its layout record, then linked into place, so that no process
 * ever sees PATH empty (an empty file is refused as truncated). Losing
 * the race to another creator is fine.
 */
static int
lmdb_create(const char *path, size_t map_size, char **error_r)
{
	char *tmp = g_strdup_printf("%s.new.%ld", path, (long)getpid());
	char *tmp_lock = g_strdup_printf("%s-lock", tmp);
	MDB_env *env = NULL;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { sizeof(LMDB_LAYOUT_KEY) - 1, LMDB_LAYOUT_KEY };
	MDB_val v = { sizeof(LMDB_LAYOUT) - 1, LMDB_LAYOUT };
	int rc, ret = -1;

	(void)unlink(tmp);		/* left by a crashed process */
	(void)unlink(tmp_lock);
	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_mapsize(env, map_size)) != 0 ||
	    (rc = mdb_env_open(env, tmp, MDB_NOSUBDIR | MDB_NOTLS,
	    0600)) != 0 ||
	    (rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0)
		goto out;
	if ((rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0 ||
	    (rc = mdb_put(txn, dbi, &k, &v, 0)) != 0) {
		mdb_txn_abort(txn);
		goto out;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto out;
	mdb_env_close(env);
	env = NULL;
	if (link(tmp, path) != 0 && errno != EEXIST) {
		*error_r = g_strdup_printf("state: create %s: %s", path,
		    g_strerror(errno));
		goto done;
	}
	ret = 0;
out:
	if (ret != 0 && rc != 0)
		*error_r = g_strdup_printf("state: create %s: %s", path,
		    mdb_strerror(rc));
done:
	if (env != NULL)
		mdb_env_close(env);
	(void)unlink(tmp);
	(void)unlink(tmp_lock);
	g_free(tmp);
	g_free(tmp_lock);
	return ret;
}

/* Settings for lmdb_setup(), under the guard. */
struct lmdb_setup_arg {
	size_t map_size;
};

/*
 * lmdb_setup - under the guard, after mdb_env_open: the file holds every
 * page the store names, the map is large enough, dead readers go, and
 * the main database is deputy's (flags, layout record, or keys that
 * are all deputy's in a file from before the layout record)
 */
static int
lmdb_setup(struct lmdb *l, void *arg, char **error_r)
{
	const struct lmdb_setup_arg *a = arg;
	MDB_envinfo ei;
	MDB_stat ms;
	MDB_txn *txn;
	MDB_val k = { sizeof(LMDB_LAYOUT_KEY) - 1, LMDB_LAYOUT_KEY }, v;
	MDB_val first, last;
	MDB_cursor *cur;
	struct stat sb;
	unsigned int flags;
	mdb_filehandle_t fd;
	int rc, dead, adopt = 0;

	if ((rc = mdb_env_get_fd(l->env, &fd)) != 0 || fstat(fd, &sb) != 0)
		return lmdb_err(error_r, l, "stat", rc ? rc : errno);
	if ((rc = mdb_env_info(l->env, &ei)) != 0 ||
	    (rc = mdb_env_stat(l->env, &ms)) != 0)
		return lmdb_err(error_r, l, "info", rc);
	if ((unsigned long long)(ei.me_last_pgno + 1) * ms.ms_psize >
	    (unsigned long long)sb.st_size) {
		*error_r = g_strdup_printf("state: %s is truncated: %lld bytes, "
		    "its last page ends at %llu; move it aside (a new one is "
		    "made)", l->path, (long long)sb.st_size,
		    (unsigned long long)(ei.me_last_pgno + 1) * ms.ms_psize);
		return -1;
	}
	if (ei.me_mapsize < a->map_size &&
	    (rc = mdb_env_set_mapsize(l->env, a->map_size)) != 0)
		return lmdb_err(error_r, l, "map size", rc);
	/* Readers that died (kill -9) hold on to old pages: free them. */
	(void)mdb_reader_check(l->env, &dead);

	if ((rc = lmdb_begin(l, MDB_RDONLY, &txn)) != 0)
		return lmdb_err(error_r, l, "read", rc);
	if ((rc = mdb_dbi_open(txn, NULL, 0, &l->dbi)) != 0 ||
	    (rc = mdb_dbi_flags(txn, l->dbi, &flags)) != 0) {
		lmdb_abort(l);
		return lmdb_err(error_r, l, "open", rc);
	}
	if (flags != 0) {
		lmdb_abort(l);
		*error_r = g_strdup_printf("state: %s is an LMDB file of another "
		    "layout (database flags 0x%x), not deputy's", l->path, flags);
		return -1;
	}
	rc = mdb_get(txn, l->dbi, &k, &v);
	if (rc == 0 && (v.mv_size != sizeof(LMDB_LAYOUT) - 1 ||
	    memcmp(v.mv_data, LMDB_LAYOUT, v.mv_size) != 0)) {
		*error_r = g_strdup_printf("state: %s has layout \"%.*s\"; this "
		    "deputy reads layout %s", l->path,
		    (int)MIN(v.mv_size, 16), (const char *)v.mv_data,
		    LMDB_LAYOUT);
		lmdb_abort(l);
		return -1;
	}
	if (rc == MDB_NOTFOUND) {
		/* From before the layout record, or another program's. */
		rc = mdb_cursor_open(txn, l->dbi, &cur);
		if (rc == 0) {
			rc = mdb_cursor_get(cur, &first, &v, MDB_FIRST);
			if (rc == 0)
				rc = mdb_cursor_get(cur, &last, &v, MDB_LAST);
			mdb_cursor_close(cur);
		}
		if (rc == MDB_NOTFOUND) {
			adopt = 1;	/* empty */
		} else if (rc == 0 && lmdb_ours(&first) && lmdb_ours(&last)) {
			adopt = 1;
		} else if (rc == 0) {
			*error_r = g_strdup_printf("state: %s is an LMDB file "
			    "of another layout (its keys are not deputy's)",
			    l->path);
			lmdb_abort(l);
			return -1;
		}
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		lmdb_abort(l);
		return lmdb_err(error_r, l, "read", rc);
	}
	lmdb_abort(l);
	if (adopt && !l->readonly) {
		if ((rc = lmdb_begin(l, 0, &txn)) != 0)
			return lmdb_err(error_r, l, "write", rc);
		v.mv_data = LMDB_LAYOUT;
		v.mv_size = sizeof(LMDB_LAYOUT) - 1;
		if ((rc = mdb_put(txn, l->dbi, &k, &v, 0)) != 0) {
			lmdb_abort(l);
			return lmdb_err(error_r, l, "layout", rc);
		}
		if ((rc = lmdb_commit(l)) != 0)
			return lmdb_err(error_r, l, "layout", rc);
	}
	return 0;
}

/* lmdb_close - close the environment (unless a fault killed it) */
void
lmdb_close(struct state *st)
{
	struct lmdb *l = LMDB(st);

	if (l == NULL)
		return;
	if (l->env != NULL)
		mdb_env_close(l->env);
	g_free(l->path);
	g_free(l);
	st->priv = NULL;
}

/* lmdb_open - open (creating) the LMDB file at SET->path */
int
lmdb_open(struct state *st, const struct state_settings *set,
	  char **error_r)
{
	struct lmdb *l = g_new0(struct lmdb, 1);
	struct lmdb_setup_arg a = { set->map_size };
	int rc;

	st->priv = l;
	l->path = g_strdup(set->path);
	l->readonly = set->readonly;
	l->notice_keep = set->notice_keep;
	l->max_map_size = MAX(set->max_map_size, set->map_size);
	if (lmdb_tainted) {
		*error_r = g_strdup_printf("state: %s: LMDB crashed in this "
		    "process before; the store is not used again until the "
		    "process ends", set->path);
		rc = -1;
		goto fail;
	}
	rc = lmdb_check_file(set->path, set->readonly, error_r);
	if (rc == 1 && set->readonly) {
		*error_r = g_strdup_printf("state: %s: %s", set->path,
		    g_strerror(ENOENT));
		rc = -1;
	} else if (rc == 1) {
		rc = lmdb_create(set->path, set->map_size, error_r);
	}
	if (rc != 0)
		goto fail;
	if ((rc = mdb_env_create(&l->env)) != 0) {
		l->env = NULL;
		lmdb_err(error_r, l, "create", rc);
		goto fail;
	}
	(void)mdb_env_set_assert(l->env, lmdb_assert);
	/* No map size yet: LMDB takes the file's (another process may
	 * have grown it); lmdb_setup() raises it to map_size. */
	rc = mdb_env_open(l->env, set->path, MDB_NOSUBDIR | MDB_NOTLS |
	    (set->readonly ? MDB_RDONLY : 0), 0600);
	if (rc != 0) {
		if (rc == MDB_INVALID)
			*error_r = g_strdup_printf("state: %s is not an LMDB "
			    "file; move it aside (a new one is made)",
			    set->path);
		else if (rc == MDB_VERSION_MISMATCH)
			*error_r = g_strdup_printf("state: %s was written by "
			    "another LMDB version (%s)", set->path,
			    mdb_strerror(rc));
		else
			lmdb_err(error_r, l, "open", rc);
		goto fail;
	}
	if (lmdb_guarded(l, lmdb_setup, &a, error_r) != 0)
		goto fail;
	return 0;
fail:
	lmdb_close(st);
	return -1;
}
