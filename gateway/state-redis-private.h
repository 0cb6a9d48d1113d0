#ifndef DEPUTY_STATE_REDIS_PRIVATE_H
#define DEPUTY_STATE_REDIS_PRIVATE_H

/*
 * NAME
 *	state-redis-private - what state-redis.c and state-redis-conn.c share
 * SUMMARY
 *	The Redis backend's handle and the connection calls its
 *	operations make: find the master, run a command on it (again on
 *	the new master after a failover), wait for the replicas. Each
 *	returns -1 (or NULL) with *error_r on failure.
 */

#include <stddef.h>
#include <sys/time.h>

#include <hiredis.h>

#include "state-private.h"

struct rds {
	redisContext *c;		/* the master, or NULL */
	char *master;			/* its "host:port", for errors */
	char **sentinels;
	char *master_name;
	char **servers;
	char *password;			/* NULL: no AUTH */
	unsigned int db;
	char *prefix;
	struct timeval connect_tv, tv;
	unsigned int wait_replicas;
	unsigned int wait_ms;
	char *claim_sha;
	int down;			/* resolving failed: no more tries */
	char *down_why;
};

#define RDS(st) ((struct rds *)(st)->priv)

/* state-redis-conn.c */

/* rds_tv - MS milliseconds as a timeval */
struct timeval rds_tv(unsigned int ms);

/* rds_free_password - zero and free the password */
void rds_free_password(struct rds *r);

/* rds_read_password - the one line of PATH (lib/secret.c checks it) */
int rds_read_password(const char *path, char **password_r, char **error_r);

/* rds_resolve - find the master and connect to it (r->c), or go down */
int rds_resolve(struct rds *r, char **error_r);

/* rds_call - ARGV on the master, resolving again once when needed */
redisReply *rds_call(struct rds *r, int argc, const char **argv,
		     const size_t *lens, char **error_r);

/* rds_fail - an error reply RP (or an unexpected type) as *error_r; -1 */
int rds_fail(struct rds *r, redisReply *rp, const char *what,
	     char **error_r);

/* rds_wait - WAIT for the replicas a write must reach (WHAT it is) */
int rds_wait(struct rds *r, const char *what, char **error_r);

#endif
