/*
 * state-ops - the state store's own cost per delivery, without the rest
 * of deputy-lda: what one away-user delivery asks of it (open, progress
 * get, progress record, notice claim, close), N times, each timed
 *
 *	state-ops N lmdb PATH
 *	state-ops N redis HOST:PORT PASSWORD-FILE [WAIT-REPLICAS]
 *	state-ops N sentinel HOST:PORT,HOST:PORT,... PASSWORD-FILE
 *
 * Prints each delivery's time in microseconds, one a line; exits 1 when
 * a call failed. Built and run by bench/redis-latency.sh.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "state.h"

int
main(int argc, char **argv)
{
	struct state_settings set;
	struct state_rates rates = { 1000000, 1000000, 1000000 };
	char **list = NULL;
	long *us;
	int n, failed = 0;

	if (argc < 4)
		return 2;
	n = atoi(argv[1]);
	us = g_new0(long, n);
	memset(&set, 0, sizeof(set));
	set.notice_keep = 30 * 86400;
	set.map_size = 64u << 20;
	set.max_map_size = 1024u << 20;
	set.redis_connect_timeout_ms = 500;
	set.redis_timeout_ms = 500;
	set.redis_prefix = "deputy:";
	set.redis_master = "deputy";
	if (strcmp(argv[2], "lmdb") == 0) {
		set.backend = STATE_BACKEND_LMDB;
		set.path = argv[3];
	} else {
		set.backend = STATE_BACKEND_REDIS;
		list = g_strsplit(argv[3], ",", -1);
		if (strcmp(argv[2], "sentinel") == 0) {
			set.redis_sentinels = (const char *const *)list;
			set.redis_wait_replicas = 1;
		} else {
			set.redis_servers = (const char *const *)list;
			set.redis_wait_replicas = argc > 5 ? atoi(argv[5]) : 0;
		}
		set.redis_password_file = argc > 4 ? argv[4] : NULL;
	}
	for (int i = 0; i < n; i++) {
		struct timespec t0, t1;
		struct state *st = NULL;
		char *err = NULL, seed[64], sender[64];
		char *digest;
		struct state_notice notice;
		time_t now = time(NULL);

		g_snprintf(seed, sizeof(seed), "%s %d %ld %ld", argv[2], i,
		    (long)now, (long)getpid());
		digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, seed,
		    -1);
		g_snprintf(sender, sizeof(sender), "s%d.%ld.%ld@ops.example", i,
		    (long)now, (long)getpid());
		notice.rcpt = "alice@example.org";
		notice.sender = sender;
		notice.identity = "notice";
		notice.sender_domain = "ops.example";
		notice.period = 7 * 86400;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (state_open(&set, &st, &err) != 0 ||
		    state_progress_get(st, digest, "alice@example.org",
		    STATE_FORWARDED, now, &err) != 0 ||
		    state_progress_put(st, digest, "alice@example.org",
		    STATE_FORWARDED, now, &err) != 0 ||
		    state_notice_claim(st, &notice, &rates, now, 0, &err) !=
		    STATE_CLAIMED) {
			if (failed++ == 0)
				fprintf(stderr, "state-ops: %s\n",
				    err ? err : "not claimed");
		}
		state_close(&st);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		us[i] = (t1.tv_sec - t0.tv_sec) * 1000000L +
		    (t1.tv_nsec - t0.tv_nsec) / 1000;
		g_free(err);
		g_free(digest);
	}
	for (int i = 0; i < n; i++)
		printf("%ld\n", us[i]);
	g_strfreev(list);
	g_free(us);
	return failed ? 1 : 0;
}
