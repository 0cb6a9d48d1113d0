#ifndef DEPUTY_STATE_H
#define DEPUTY_STATE_H

/*
 * NAME
 *	state - what deputy must remember between deliveries (LMDB)
 * SUMMARY
 *	Retry progress: each action done for a (message, recipient) is
 *	recorded before the next one starts, so a delivery retried after
 *	exit 75 skips what already happened (no second mailbox copy, no
 *	second forward). Records older than STATE_PROGRESS_TTL are
 *	ignored: the MTA gives up on a message long before that, and
 *	each write deletes a few of them (see state.c), with notice and
 *	rate records past their use, so the file does not grow forever.
 *	One LMDB file (MDB_NOSUBDIR); crash-safe; many readers, one writer.
 * DIAGNOSTICS
 *	-1 with *error_r on any LMDB failure; the caller exits 75.
 */

#include <stddef.h>
#include <time.h>

#define STATE_PROGRESS_TTL (7 * 24 * 3600)

enum state_action {
	STATE_DELIVERED,
	STATE_FORWARDED,
	STATE_NOTICED,
	STATE_FORWARDED_EXT,	/* the SRS forward to outside delegates */
	STATE_BOUNCE_RETURNED,	/* an SRS bounce passed back */
};

struct state;

/*
 * state_open - open (creating) the LMDB file at PATH. A notice record
 * older than NOTICE_KEEP seconds (the longest period a notice may be
 * held back for) is deleted by the sweep; 0 keeps them all.
 */
int state_open(const char *path, size_t map_size, time_t notice_keep,
	       int readonly, struct state **state_r, char **error_r);

/* state_entries - how many records the file holds (for tests, tools) */
int state_entries(struct state *st, size_t *count_r, char **error_r);

/* state_close - close; sets *state to NULL */
void state_close(struct state **state);

/* state_progress_get - 1 if ACTION is recorded for (DIGEST, RCPT), else 0 */
int state_progress_get(struct state *st, const char *digest, const char *rcpt,
		       enum state_action action, time_t now, char **error_r);

/* state_progress_put - record ACTION for (DIGEST, RCPT), durably */
int state_progress_put(struct state *st, const char *digest, const char *rcpt,
		       enum state_action action, time_t now, char **error_r);

/* state_progress_clear - forget all actions of (DIGEST, RCPT) */
int state_progress_clear(struct state *st, const char *digest,
			 const char *rcpt, char **error_r);

/* Notice rate caps, per hour; 0 means no cap. */
struct state_rates {
	unsigned int per_recipient;
	unsigned int per_domain;	/* the sender's domain */
	unsigned int global;
};

/* state_notice_recent - 1 if a notice for (RCPT, SENDER, IDENTITY) went
 * out less than PERIOD seconds before NOW */
int state_notice_recent(struct state *st, const char *rcpt,
			const char *sender, const char *identity,
			unsigned int period, time_t now, char **error_r);

/* state_rate_exceeded - 1 if one more notice would pass a cap */
int state_rate_exceeded(struct state *st, const char *rcpt,
			const char *sender_domain,
			const struct state_rates *rates, time_t now,
			char **error_r);

/* state_notice_record - remember a notice handed to sendmail */
int state_notice_record(struct state *st, const char *rcpt,
			const char *sender, const char *identity,
			const char *sender_domain, time_t now,
			char **error_r);

#endif
