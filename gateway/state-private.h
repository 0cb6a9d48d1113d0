#ifndef DEPUTY_STATE_PRIVATE_H
#define DEPUTY_STATE_PRIVATE_H

/*
 * NAME
 *	state-private - what state.c and its backends share
 * SUMMARY
 *	A backend fills struct state_ops; state.c calls through it and
 *	does what is common: argument checks, the episode log lines.
 *	Each operation returns what the public call returns (-1 with
 *	*error_r on failure).
 */

#include "state.h"

struct state_ops {
	const char *name;
	int (*open)(struct state *st, const struct state_settings *set,
		    char **error_r);
	void (*close)(struct state *st);
	int (*entries)(struct state *st, size_t *count_r, char **error_r);
	int (*progress_get)(struct state *st, const char *digest,
			    const char *rcpt, enum state_action action,
			    time_t now, char **error_r);
	int (*progress_put)(struct state *st, const char *digest,
			    const char *rcpt, enum state_action action,
			    time_t now, char **error_r);
	int (*progress_clear)(struct state *st, const char *digest,
			      const char *rcpt, char **error_r);
	int (*notice_claim)(struct state *st, const struct state_notice *n,
			    const struct state_rates *rates, time_t now,
			    int dry_run, char **error_r);
};

struct state {
	const struct state_ops *ops;
	void *priv;			/* the backend's */
	int readonly;
	time_t notice_keep;
	char *down_file;		/* episode marker, or NULL */
	int wrote;			/* a write worked: the episode is over */
	int failed;			/* a call failed: open a new handle */
};

#define STATE_HOUR 3600

extern const struct state_ops state_lmdb_ops;
extern const struct state_ops state_redis_ops;

/* state_lmdb_tainted - whether LMDB crashed in this process */
int state_lmdb_tainted(void);

/* state_action_name - "delivered", "forwarded", ... */
const char *state_action_name(enum state_action action);

#endif
