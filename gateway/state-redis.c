/*
 * NAME
 *	state-redis - the state store on Redis, shared by several hosts
 * SUMMARY
 *	For deputy on several delivery hosts: one notice per sender
 *	however many hosts deliver that sender's mail, however
 *	concurrently, and no forward repeated by a retry on another host.
 *
 *	Keys (PREFIX is state.redis_prefix, "deputy:" by default):
 *
 *	PREFIX n:H	the last notice for (recipient, sender, identity);
 *			H is the SHA-256 of the three (32 hex digits);
 *			value: the time, decimal; TTL: the longest period
 *			a notice may be held back (notice_keep).
 *	PREFIX r:r:RCPT:HOUR, r:d:DOMAIN:HOUR, r:g:HOUR
 *			notices this clock hour, per recipient, sender
 *			domain, and all; only for caps that are set;
 *			TTL two hours. RCPT, DOMAIN as they are when
 *			short and printable, else "#" and their SHA-256.
 *	PREFIX p:H	retry progress: H the SHA-256 of (message digest,
 *			recipient, action); value: the time; TTL 7 days.
 *
 *	A claim is one Lua script (EVALSHA, EVAL when the server does not
 *	have it): it reads the notice record and the counters, and only
 *	when no notice is recent and no cap is reached does it set the
 *	record and count; Redis runs a script alone, so two claims never
 *	interleave. Every read comes before the first write: a script
 *	that fails (a value that is not a number, a key of another type,
 *	maxmemory) fails before it changed anything.
 *
 *	Replication is asynchronous: a claim acknowledged by a master that
 *	dies before its replica has it would be forgotten by the failover,
 *	and a second notice could follow. With redis_wait_replicas N > 0,
 *	a write (a claim, a progress record) is followed by WAIT N; fewer
 *	replicas in time and it fails (a claim: the notice is not sent;
 *	the record stays). Writes fail alike, not only claims, so that a
 *	master without its replica is one failing episode in the log, not
 *	a claim failing between progress records that work.
 *
 *	Progress records are set with SET NX EX after the action: a retry
 *	on any host that shares the store sees them and skips the action.
 *	What they cannot cover: the time between sendmail's exit 0 and the
 *	record (a crash, a kill, Redis failing there): a retry then repeats
 *	the forward (a deputy delegate's copy is still recognised by its
 *	Resent-Message-ID); and a record acknowledged by a master that dies
 *	before replicating it, when the message is then retried for some
 *	other reason. A notice is claimed before it is sent, so a retry
 *	never repeats a notice: it may lose one (fail closed).
 *
 *	The connection to the master, found through the sentinels or
 *	among the servers, with one retry on another master after a
 *	failover, is state-redis-conn.c's.
 * DIAGNOSTICS
 *	-1 with *error_r: unreachable, timed out, refused (AUTH, OOM), a
 *	value of somebody else's that is not deputy's, a claim not
 *	replicated in time. The caller goes on without the store.
 * SECURITY
 *	Keys and values go through redisCommandArgv with their lengths:
 *	nothing is formatted into a command string. The connection (plain
 *	TCP) and the password file: state-redis-conn.c.
 * BUGS
 *	No Redis Cluster (the script's keys are not in one slot), no ACL
 *	user name.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <glib.h>
#include <hiredis.h>

#include "state-redis-private.h"

#define RDS_COUNTER_TTL (2 * STATE_HOUR)
#define RDS_MAX_PART 255		/* a key part kept as it is */
#define RDS_SCAN_LIMIT 100000		/* rounds of SCAN in rds_entries */

/* The claim. KEYS: the notice record, the three counters. ARGV: now,
 * period, the record's TTL, the three caps, dry run, the counters' TTL.
 * Returns an enum state_claim. */
static const char rds_claim_script[] =
	"local function num(k)\n"
	"  local v = redis.call('GET', k)\n"
	"  if not v then return 0 end\n"
	"  if string.len(v) > 15 or not string.match(v, '^%d+$') then\n"
	"    error('deputy: not a number at ' .. k)\n"
	"  end\n"
	"  return tonumber(v)\n"
	"end\n"
	"local now = tonumber(ARGV[1])\n"
	"local last = num(KEYS[1])\n"
	"if last > 0 and now - last < tonumber(ARGV[2]) then return 1 end\n"
	"for i = 1, 3 do\n"
	"  local cap = tonumber(ARGV[3 + i])\n"
	"  if cap > 0 and num(KEYS[1 + i]) >= cap then return 1 + i end\n"
	"end\n"
	"if ARGV[7] == '1' then return 0 end\n"
	"redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])\n"
	"for i = 1, 3 do\n"
	"  if tonumber(ARGV[3 + i]) > 0 then\n"
	"    redis.call('INCR', KEYS[1 + i])\n"
	"    redis.call('EXPIRE', KEYS[1 + i], ARGV[8])\n"
	"  end\n"
	"end\n"
	"return 0\n";

/* rds_hash - the first 32 hex digits of the SHA-256 of PARTS, \0-joined */
static char *
rds_hash(const char *const *parts, size_t n)
{
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	char *hex;

	for (size_t i = 0; i < n; i++) {
		const char *p = parts[i] != NULL ? parts[i] : "";

		g_checksum_update(sum, (const guchar *)p, (gssize)strlen(p) + 1);
	}
	hex = g_strndup(g_checksum_get_string(sum), 32);
	g_checksum_free(sum);
	return hex;
}

/* rds_part - a key part as it is when short and printable, else hashed */
static char *
rds_part(const char *s)
{
	size_t n = strlen(s);
	int plain = n > 0 && n <= RDS_MAX_PART;
	char *h, *part;

	for (const char *p = s; plain && *p != '\0'; p++)
		plain = *p > 0x20 && *p < 0x7f;

	if (plain)
		return g_strdup(s);
	h = rds_hash(&s, 1);
	part = g_strdup_printf("#%s", h);
	g_free(h);
	return part;
}

/* rds_progress_key - PREFIX p:H */
static char *
rds_progress_key(const struct rds *r, const char *digest, const char *rcpt,
		 enum state_action action)
{
	const char *parts[3] = { digest, rcpt, state_action_name(action) };
	char *h = rds_hash(parts, 3), *key;

	key = g_strdup_printf("%sp:%s", r->prefix, h);
	g_free(h);
	return key;
}

/* rds_number - V as a decimal time; -1 if it is not one of ours */
static long long
rds_number(const redisReply *rp)
{
	char *end;
	long long v;

	if (rp->type != REDIS_REPLY_STRING || rp->len == 0 || rp->len > 15)
		return -1;
	v = strtoll(rp->str, &end, 10);
	return *end == '\0' && v >= 0 ? v : -1;
}

/* ---------------------------------------------------------------- ops */

/* rds_close - close the connection, forget the password */
static void
rds_close(struct state *st)
{
	struct rds *r = RDS(st);

	if (r == NULL)
		return;
	if (r->c != NULL)
		redisFree(r->c);
	rds_free_password(r);
	g_free(r->master);
	g_strfreev(r->sentinels);
	g_free(r->master_name);
	g_strfreev(r->servers);
	g_free(r->prefix);
	g_free(r->claim_sha);
	g_free(r->down_why);
	g_free(r);
	st->priv = NULL;
}

/* rds_open - read the password, find the master, connect */
static int
rds_open(struct state *st, const struct state_settings *set, char **error_r)
{
	struct rds *r = g_new0(struct rds, 1);

	st->priv = r;
	r->sentinels = g_strdupv((char **)set->redis_sentinels);
	r->servers = g_strdupv((char **)set->redis_servers);
	r->master_name = g_strdup(set->redis_master != NULL ?
	    set->redis_master : "deputy");
	r->db = set->redis_db;
	r->prefix = g_strdup(set->redis_prefix != NULL ? set->redis_prefix :
	    "deputy:");
	r->connect_tv = rds_tv(MAX(set->redis_connect_timeout_ms, 1));
	r->tv = rds_tv(MAX(set->redis_timeout_ms, 1));
	r->wait_replicas = set->redis_wait_replicas;
	/* WAIT returns before the socket's timeout strikes */
	r->wait_ms = MAX(set->redis_timeout_ms / 2, 1);
	r->claim_sha = g_compute_checksum_for_string(G_CHECKSUM_SHA1,
	    rds_claim_script, -1);
	if ((r->sentinels == NULL || r->sentinels[0] == NULL) &&
	    (r->servers == NULL || r->servers[0] == NULL)) {
		*error_r = g_strdup("state: redis: neither sentinels nor "
		    "servers configured");
		goto fail;
	}
	if (set->redis_password_file != NULL &&
	    *set->redis_password_file != '\0' &&
	    rds_read_password(set->redis_password_file, &r->password,
	    error_r) != 0)
		goto fail;
	if (rds_resolve(r, error_r) != 0)
		goto fail;
	return 0;
fail:
	rds_close(st);
	return -1;
}

/* rds_entries - how many keys carry the prefix (SCAN; for tests) */
static int
rds_entries(struct state *st, size_t *count_r, char **error_r)
{
	struct rds *r = RDS(st);
	char *match = g_strdup_printf("%s*", r->prefix);
	char cursor[32] = "0";
	size_t n = 0;

	for (int round = 0; round < RDS_SCAN_LIMIT; round++) {
		const char *argv[6] = { "SCAN", cursor, "MATCH", match, "COUNT",
		    "1000" };
		redisReply *rp = rds_call(r, 6, argv, NULL, error_r);

		if (rp == NULL) {
			g_free(match);
			return -1;
		}
		if (rp->type != REDIS_REPLY_ARRAY || rp->elements != 2 ||
		    rp->element[0]->type != REDIS_REPLY_STRING ||
		    rp->element[1]->type != REDIS_REPLY_ARRAY) {
			g_free(match);
			return rds_fail(r, rp, "SCAN", error_r);
		}
		n += rp->element[1]->elements;
		g_strlcpy(cursor, rp->element[0]->str, sizeof(cursor));
		freeReplyObject(rp);
		if (strcmp(cursor, "0") == 0)
			break;
	}
	g_free(match);
	*count_r = n;
	return 0;
}

/* rds_progress_get - 1 if ACTION is recorded for (DIGEST, RCPT), else 0 */
static int
rds_progress_get(struct state *st, const char *digest, const char *rcpt,
		 enum state_action action, time_t now, char **error_r)
{
	struct rds *r = RDS(st);
	char *key = rds_progress_key(r, digest, rcpt, action);
	const char *argv[2] = { "GET", key };
	redisReply *rp = rds_call(r, 2, argv, NULL, error_r);
	long long t;
	int found;

	g_free(key);
	if (rp == NULL)
		return -1;
	if (rp->type == REDIS_REPLY_NIL) {
		freeReplyObject(rp);
		return 0;
	}
	if ((t = rds_number(rp)) < 0)
		return rds_fail(r, rp, "progress record (not deputy's)",
		    error_r);
	found = now - (time_t)t < STATE_PROGRESS_TTL;
	freeReplyObject(rp);
	return found;
}

/* rds_progress_put - SET NX EX: the first record of ACTION stays */
static int
rds_progress_put(struct state *st, const char *digest, const char *rcpt,
		 enum state_action action, time_t now, char **error_r)
{
	struct rds *r = RDS(st);
	char *key = rds_progress_key(r, digest, rcpt, action);
	char stamp[24], ttl[24];
	const char *argv[6] = { "SET", key, stamp, "NX", "EX", ttl };
	redisReply *rp;

	g_snprintf(stamp, sizeof(stamp), "%lld", (long long)now);
	g_snprintf(ttl, sizeof(ttl), "%d", STATE_PROGRESS_TTL);
	rp = rds_call(r, 6, argv, NULL, error_r);
	g_free(key);
	if (rp == NULL)
		return -1;
	if (rp->type != REDIS_REPLY_STATUS && rp->type != REDIS_REPLY_NIL)
		return rds_fail(r, rp, "SET", error_r);
	freeReplyObject(rp);
	return r->wait_replicas > 0 ? rds_wait(r, "progress record", error_r) :
	    0;
}

/* rds_progress_clear - DEL every action of (DIGEST, RCPT) */
static int
rds_progress_clear(struct state *st, const char *digest, const char *rcpt,
		   char **error_r)
{
	struct rds *r = RDS(st);
	const char *argv[1 + STATE_BOUNCE_RETURNED + 1];
	char *keys[STATE_BOUNCE_RETURNED + 1];
	redisReply *rp;
	int n = 0;

	argv[n++] = "DEL";
	for (int a = STATE_DELIVERED; a <= STATE_BOUNCE_RETURNED; a++) {
		keys[a] = rds_progress_key(r, digest, rcpt,
		    (enum state_action)a);
		argv[n++] = keys[a];
	}
	rp = rds_call(r, n, argv, NULL, error_r);
	for (int a = STATE_DELIVERED; a <= STATE_BOUNCE_RETURNED; a++)
		g_free(keys[a]);
	if (rp == NULL)
		return -1;
	if (rp->type != REDIS_REPLY_INTEGER)
		return rds_fail(r, rp, "DEL", error_r);
	freeReplyObject(rp);
	return 0;
}

/* rds_notice_claim - the claim script, atomically on the master */
static int
rds_notice_claim(struct state *st, const struct state_notice *n,
		 const struct state_rates *rates, time_t now, int dry_run,
		 char **error_r)
{
	struct rds *r = RDS(st);
	const char *parts[3] = { n->rcpt, n->sender, n->identity };
	char *h = rds_hash(parts, 3), *rcpt = rds_part(n->rcpt);
	char *dom = rds_part(n->sender_domain[0] != '\0' ?
	    n->sender_domain : "-");
	char hour[24], snow[24], period[24], keep[24], caps[3][16], cttl[16];
	char *keys[4];
	const char *argv[3 + 4 + 8];
	redisReply *rp;
	int result = -1;

	g_snprintf(hour, sizeof(hour), "%lld", (long long)(now / STATE_HOUR));
	keys[0] = g_strdup_printf("%sn:%s", r->prefix, h);
	keys[1] = g_strdup_printf("%sr:r:%s:%s", r->prefix, rcpt, hour);
	keys[2] = g_strdup_printf("%sr:d:%s:%s", r->prefix, dom, hour);
	keys[3] = g_strdup_printf("%sr:g:%s", r->prefix, hour);
	g_snprintf(snow, sizeof(snow), "%lld", (long long)now);
	g_snprintf(period, sizeof(period), "%u", n->period);
	g_snprintf(keep, sizeof(keep), "%lld", (long long)MAX(MAX(
	    st->notice_keep, (time_t)n->period), 1));
	g_snprintf(caps[0], sizeof(caps[0]), "%u", rates->per_recipient);
	g_snprintf(caps[1], sizeof(caps[1]), "%u", rates->per_domain);
	g_snprintf(caps[2], sizeof(caps[2]), "%u", rates->global);
	g_snprintf(cttl, sizeof(cttl), "%d", RDS_COUNTER_TTL);
	argv[0] = "EVALSHA";
	argv[1] = r->claim_sha;
	argv[2] = "4";
	for (int i = 0; i < 4; i++)
		argv[3 + i] = keys[i];
	argv[7] = snow;
	argv[8] = period;
	argv[9] = keep;
	argv[10] = caps[0];
	argv[11] = caps[1];
	argv[12] = caps[2];
	argv[13] = dry_run ? "1" : "0";
	argv[14] = cttl;
	rp = rds_call(r, 15, argv, NULL, error_r);
	if (rp != NULL && rp->type == REDIS_REPLY_ERROR &&
	    strncmp(rp->str, "NOSCRIPT", 8) == 0) {
		/* a new master, or a restarted one: send the script */
		freeReplyObject(rp);
		argv[0] = "EVAL";
		argv[1] = rds_claim_script;
		rp = rds_call(r, 15, argv, NULL, error_r);
	}
	if (rp == NULL)
		goto out;
	if (rp->type != REDIS_REPLY_INTEGER || rp->integer < STATE_CLAIMED ||
	    rp->integer > STATE_RATE_GLOBAL) {
		(void)rds_fail(r, rp, "notice claim", error_r);
		goto out;
	}
	result = (int)rp->integer;
	freeReplyObject(rp);
	if (result == STATE_CLAIMED && !dry_run && r->wait_replicas > 0 &&
	    rds_wait(r, "notice claim", error_r) != 0)
		result = -1;
out:
	for (int i = 0; i < 4; i++)
		g_free(keys[i]);
	g_free(h);
	g_free(rcpt);
	g_free(dom);
	return result;
}

const struct state_ops state_redis_ops = {
	"redis",
	rds_open,
	rds_close,
	rds_entries,
	rds_progress_get,
	rds_progress_put,
	rds_progress_clear,
	rds_notice_claim,
};
