/*
 * NAME
 *	state-redis-conn - the Redis backend's connection to the master
 * SUMMARY
 *	The master: with sentinels, each is asked in turn
 *	"SENTINEL get-master-addr-by-name NAME" until one names a server
 *	that, after AUTH and SELECT, says ROLE master. Without, the
 *	configured servers are tried in order the same way. An I/O error,
 *	a timeout or a READONLY, MASTERDOWN or LOADING reply drops the
 *	connection, resolves the master again and tries the command once
 *	more (rds_call()); a second failure marks the handle down: its
 *	later calls fail at once, so one message costs at most a few
 *	timeouts. rds_wait() makes a write wait for its replicas.
 *
 *	The operations that use this are in state-redis.c.
 * DIAGNOSTICS
 *	-1 (or NULL) with *error_r: unreachable, timed out, refused (AUTH,
 *	a wrong database), not a master, no master from the sentinels
 *	(naming every address tried), a write not replicated in time.
 * SECURITY
 *	hiredis 0.14 has no TLS: the connection is plain TCP (see
 *	deputy.conf(5) for stunnel or spiped on loopback). The password
 *	file must belong to deputy's user, mode 0600 or stricter; the
 *	password is zeroed before it is freed. Commands go through
 *	redisCommandArgv with their lengths: nothing is formatted into a
 *	command string.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <glib.h>
#include <hiredis.h>

#include "secret.h"
#include "state-redis-private.h"

#define RDS_MAX_PASSWORD 1024

/* rds_tv - MS milliseconds as a timeval */
struct timeval
rds_tv(unsigned int ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) *
	    1000 };

	return tv;
}

/* rds_free_password - zero and free the password */
void
rds_free_password(struct rds *r)
{
	if (r->password != NULL) {
		explicit_bzero(r->password, strlen(r->password));
		g_free(r->password);
		r->password = NULL;
	}
}

/*
 * rds_read_password - the one line of PATH, a file of deputy's user
 * that group and others cannot read or write (lib/secret.c checks)
 */
int
rds_read_password(const char *path, char **password_r, char **error_r)
{
	char *data = NULL;
	size_t len = 0;

	*password_r = NULL;
	if (secret_read(path, "state: redis password file", RDS_MAX_PASSWORD,
	    &data, &len, error_r) != 0)
		return -1;
	if (len == 0 || strcspn(data, "\r\n") != len) {
		secret_free(&data, len);
		*error_r = g_strdup_printf("state: redis password file %s: %s",
		    path, len == 0 ? "empty" : "more than one line");
		return -1;
	}
	*password_r = data;
	return 0;
}

/* rds_split - "host:port" or "[v6]:port" into HOST and PORT */
static int
rds_split(const char *addr, char **host_r, int *port_r)
{
	const char *colon = strrchr(addr, ':');
	char *end;
	long port;

	if (colon == NULL || colon == addr)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return -1;
	if (addr[0] == '[' && colon[-1] == ']')
		*host_r = g_strndup(addr + 1, (gsize)(colon - addr - 2));
	else
		*host_r = g_strndup(addr, (gsize)(colon - addr));
	*port_r = (int)port;
	return 0;
}

/* rds_connect - a connection to ADDR with both timeouts, or NULL */
static redisContext *
rds_connect(const struct rds *r, const char *addr, char **error_r)
{
	redisContext *c;
	char *host;
	int port;

	if (rds_split(addr, &host, &port) != 0) {
		*error_r = g_strdup_printf("%s: not host:port", addr);
		return NULL;
	}
	c = redisConnectWithTimeout(host, port, r->connect_tv);
	g_free(host);
	if (c == NULL || c->err != 0) {
		*error_r = g_strdup_printf("%s: connect: %s", addr,
		    c != NULL ? c->errstr : "out of memory");
		redisFree(c);
		return NULL;
	}
	/* The connect timeout covers connect() only: every command gets
	 * its own, on every new connection (PLATFORM-NOTES). */
	if (redisSetTimeout(c, r->tv) != 0) {
		*error_r = g_strdup_printf("%s: timeout: %s", addr, c->errstr);
		redisFree(c);
		return NULL;
	}
	return c;
}

/* rds_reply_error - a reply that is not what was asked: an error text */
static char *
rds_reply_error(const char *addr, redisContext *c, const redisReply *rp)
{
	if (rp == NULL && c->err == REDIS_ERR_IO &&
	    strstr(c->errstr, "temporarily unavailable") != NULL)
		return g_strdup_printf("%s: no answer within the timeout",
		    addr);
	if (rp == NULL)
		return g_strdup_printf("%s: %s", addr, c->err != 0 &&
		    c->errstr[0] != '\0' ? c->errstr : "no reply");
	if (rp->type == REDIS_REPLY_ERROR)
		return g_strdup_printf("%s: %.*s", addr, (int)MIN(rp->len, 200),
		    rp->str);
	return g_strdup_printf("%s: unexpected reply (type %d)", addr,
	    rp->type);
}

/* rds_simple - run ARGV (strings) on C: 0 if the reply is not an error */
static int
rds_simple(redisContext *c, const char *addr, int argc, const char **argv,
	   char **error_r)
{
	redisReply *rp = redisCommandArgv(c, argc, argv, NULL);
	int rc = 0;

	if (rp == NULL || rp->type == REDIS_REPLY_ERROR) {
		*error_r = rds_reply_error(addr, c, rp);
		rc = -1;
	}
	if (rp != NULL)
		freeReplyObject(rp);
	return rc;
}

/*
 * rds_try_master - connect to ADDR, AUTH, SELECT, and check that it is a
 * master; the connection, or NULL and why
 */
static redisContext *
rds_try_master(const struct rds *r, const char *addr, char **error_r)
{
	redisContext *c = rds_connect(r, addr, error_r);
	redisReply *rp;
	char db[16];

	if (c == NULL)
		return NULL;
	if (r->password != NULL) {
		const char *argv[2] = { "AUTH", r->password };

		if (rds_simple(c, addr, 2, argv, error_r) != 0)
			goto fail;
	}
	if (r->db != 0) {
		const char *argv[2] = { "SELECT", db };

		g_snprintf(db, sizeof(db), "%u", r->db);
		if (rds_simple(c, addr, 2, argv, error_r) != 0)
			goto fail;
	}
	rp = redisCommand(c, "ROLE");
	if (rp == NULL || rp->type != REDIS_REPLY_ARRAY || rp->elements < 1 ||
	    rp->element[0]->type != REDIS_REPLY_STRING) {
		*error_r = rds_reply_error(addr, c, rp);
		if (rp != NULL)
			freeReplyObject(rp);
		goto fail;
	}
	if (strcmp(rp->element[0]->str, "master") != 0) {
		*error_r = g_strdup_printf("%s: not the master (ROLE %s)", addr,
		    rp->element[0]->str);
		freeReplyObject(rp);
		goto fail;
	}
	freeReplyObject(rp);
	return c;
fail:
	redisFree(c);
	return NULL;
}

/* rds_sentinel_ask - the master SENTINEL (an address) names, or NULL */
static char *
rds_sentinel_ask(const struct rds *r, const char *sentinel, char **error_r)
{
	const char *argv[3] = { "SENTINEL", "get-master-addr-by-name",
	    r->master_name };
	redisContext *c = rds_connect(r, sentinel, error_r);
	redisReply *rp;
	char *addr = NULL;

	if (c == NULL)
		return NULL;
	rp = redisCommandArgv(c, 3, argv, NULL);
	if (rp != NULL && rp->type == REDIS_REPLY_ARRAY && rp->elements == 2 &&
	    rp->element[0]->type == REDIS_REPLY_STRING &&
	    rp->element[1]->type == REDIS_REPLY_STRING &&
	    rp->element[0]->len < 256 && rp->element[1]->len < 8) {
		const char *host = rp->element[0]->str;

		addr = strchr(host, ':') != NULL ?
		    g_strdup_printf("[%s]:%s", host, rp->element[1]->str) :
		    g_strdup_printf("%s:%s", host, rp->element[1]->str);
	} else if (rp != NULL && rp->type == REDIS_REPLY_NIL) {
		*error_r = g_strdup_printf("sentinel %s: no master named \"%s\"",
		    sentinel, r->master_name);
	} else {
		char *why = rds_reply_error(sentinel, c, rp);

		*error_r = g_strdup_printf("sentinel %s", why);
		g_free(why);
	}
	if (rp != NULL)
		freeReplyObject(rp);
	redisFree(c);
	return addr;
}

/*
 * rds_resolve - find the master and connect to it (r->c); on failure the
 * handle is down and *error_r says why, naming every address tried
 */
int
rds_resolve(struct rds *r, char **error_r)
{
	GString *why = g_string_new(NULL);
	GPtrArray *tried = g_ptr_array_new_with_free_func(g_free);
	char **list = r->sentinels != NULL && r->sentinels[0] != NULL ?
	    r->sentinels : r->servers;
	int via_sentinel = list == r->sentinels;

	if (r->c != NULL) {
		redisFree(r->c);
		r->c = NULL;
	}
	for (size_t i = 0; list != NULL && list[i] != NULL && r->c == NULL;
	    i++) {
		char *err = NULL, *addr;
		int seen = 0;

		addr = via_sentinel ? rds_sentinel_ask(r, list[i], &err) :
		    g_strdup(list[i]);
		for (guint j = 0; addr != NULL && j < tried->len; j++)
			seen |= strcmp(addr, tried->pdata[j]) == 0;
		if (addr != NULL && !seen) {
			g_ptr_array_add(tried, g_strdup(addr));
			r->c = rds_try_master(r, addr, &err);
			if (r->c != NULL) {
				g_free(r->master);
				r->master = addr;
				addr = NULL;
			}
		}
		if (err != NULL)
			g_string_append_printf(why, "%s%s", why->len ? "; " : "",
			    err);
		g_free(err);
		g_free(addr);
	}
	g_ptr_array_free(tried, TRUE);
	if (r->c != NULL) {
		g_string_free(why, TRUE);
		return 0;
	}
	r->down = 1;
	g_free(r->down_why);
	r->down_why = g_strdup_printf("state: redis: no master%s%s%s",
	    via_sentinel ? " from sentinel " : "",
	    via_sentinel ? r->master_name : "", why->len ? ": " : "");
	if (why->len) {
		char *full = g_strconcat(r->down_why, why->str, NULL);

		g_free(r->down_why);
		r->down_why = full;
	}
	g_string_free(why, TRUE);
	*error_r = g_strdup(r->down_why);
	return -1;
}

/* rds_must_move - whether a reply says "the master is elsewhere now" */
static int
rds_must_move(const redisReply *rp)
{
	return rp->type == REDIS_REPLY_ERROR &&
	    (strncmp(rp->str, "READONLY", 8) == 0 ||
	    strncmp(rp->str, "MASTERDOWN", 10) == 0 ||
	    strncmp(rp->str, "LOADING", 7) == 0);
}

/*
 * rds_call - ARGV on the master: connects (resolving) when needed; an
 * I/O error, a timeout or a "master moved" reply resolves again and
 * tries once more. The reply (maybe an error reply), or NULL and why.
 */
redisReply *
rds_call(struct rds *r, int argc, const char **argv, const size_t *lens,
	 char **error_r)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		redisReply *rp;

		if (r->down) {
			*error_r = g_strdup(r->down_why);
			return NULL;
		}
		if (r->c == NULL && rds_resolve(r, error_r) != 0)
			return NULL;
		rp = redisCommandArgv(r->c, argc, argv, lens);
		if (rp != NULL && !rds_must_move(rp))
			return rp;
		if (attempt == 1) {
			char *why = rds_reply_error(r->master, r->c, rp);

			*error_r = g_strdup_printf("state: redis %s", why);
			g_free(why);
			r->down = 1;
			g_free(r->down_why);
			r->down_why = g_strdup(*error_r);
		}
		if (rp != NULL)
			freeReplyObject(rp);
		redisFree(r->c);	/* dead after a timeout, or moved */
		r->c = NULL;
	}
	return NULL;
}

/* rds_fail - an error reply RP (or an unexpected type) as *error_r */
int
rds_fail(struct rds *r, redisReply *rp, const char *what, char **error_r)
{
	char *why = rds_reply_error(r->master, r->c, rp);

	*error_r = g_strdup_printf("state: redis %s: %s", what, why);
	g_free(why);
	freeReplyObject(rp);
	return -1;
}

/* rds_wait - WAIT for the replicas a write must reach (WHAT it is) */
int
rds_wait(struct rds *r, const char *what, char **error_r)
{
	char n[16], ms[16];
	const char *argv[3] = { "WAIT", n, ms };
	redisReply *rp;

	g_snprintf(n, sizeof(n), "%u", r->wait_replicas);
	g_snprintf(ms, sizeof(ms), "%u", r->wait_ms);
	/* Not rds_call(): on another master the claim may not be there. */
	rp = redisCommandArgv(r->c, 3, argv, NULL);
	if (rp == NULL || rp->type != REDIS_REPLY_INTEGER) {
		char *why = rds_reply_error(r->master, r->c, rp);

		*error_r = g_strdup_printf("state: redis WAIT: %s", why);
		g_free(why);
		if (rp != NULL)
			freeReplyObject(rp);
		return -1;
	}
	if (rp->integer < (long long)r->wait_replicas) {
		*error_r = g_strdup_printf("state: redis %s: the %s reached "
		    "%lld of %u replicas in %u ms; a failover could forget it, "
		    "so it does not count", r->master, what, rp->integer,
		    r->wait_replicas, r->wait_ms);
		freeReplyObject(rp);
		return -1;
	}
	freeReplyObject(rp);
	return 0;
}
