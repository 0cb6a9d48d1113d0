#ifndef DEPUTY_RECORD_H
#define DEPUTY_RECORD_H

/*
 * NAME
 *	record - the decision record of one (message, recipient), and its
 *	three forms: the log line, the --explain text and JSON
 * SUMMARY
 *	The engine fills a record per recipient: what was found (entry,
 *	absence, the user's script, trust and spam verdicts), what decide()
 *	decided (struct decision), and, after acting, what was done. The
 *	same record is printed by deputy-lda --explain, deputyctl explain
 *	(text and --json), written to the log, and answered by deputyd:
 *	no front end formats or re-parses a decision itself.
 * SECURITY
 *	Strings in a record that came from the message are sanitized by
 *	facts (no control characters); the formatters escape JSON and keep
 *	one log line per recipient on one line.
 */

#include <stdio.h>
#include <time.h>

#include "decide.h"
#include "fail.h"

/* What happened to the mailbox copy. */
enum record_mailbox {
	RECORD_MB_PENDING = 0,	/* not acted on (yet, or --explain) */
	RECORD_MB_DELIVERED,	/* every target written and synced */
	RECORD_MB_FAILED,	/* a target could not be written */
	RECORD_MB_CALLER,	/* the caller stores it (Sieve plugin) */
	RECORD_MB_NONE,		/* the user's script wants no copy */
	RECORD_MB_DUPLICATE,	/* a copy of our forward it already has */
	RECORD_MB_RETURNED,	/* an SRS bounce passed back */
	RECORD_MB_REFUSED,	/* the downstream LMTP refused it (5xx) */
};

/* Facts of the whole message that every record of a run shares. */
struct record_message {
	const char *sender;		/* normal form, "" for <> */
	const char *message_id;		/* or NULL */
	int authenticated;
	const char *auth_detail;
	int spam_known;
	double spam_score;		/* on its scanner's scale */
	const char *spam;		/* the verdict and the thresholds,
					 * for --explain */
};

struct record {
	char *recipient;		/* as it will be logged: lowercased */
	char *address;			/* the user: recipient without detail */
	char *detail;			/* subaddress detail, or NULL */
	char *dn;			/* directory entry, or NULL */
	time_t away_until;		/* 0: open end */
	char *srs_original;		/* an SRS bounce's original sender */
	char *notice_template;		/* template set, or NULL */
	int sieve_vacation;		/* the notice is a Sieve vacation's */
	int caller_stores;		/* the Sieve plugin: Dovecot stores */

	int scripted;			/* the user's script ran */
	char *sieve_summary;		/* "fileinto,vacation", "error" */
	char *sieve_error;		/* sanitized, or NULL */
	int sieve_rejected;		/* it asked for a reject */

	struct decision d;		/* from decide() (and decide_state) */

	/* after acting */
	enum record_mailbox mailbox;
	unsigned int copies;		/* mailbox files written or found */
	int forwarded;
	int noticed;
	int notice_failed;		/* allowed, but it could not be sent */
	enum fail_class fail;		/* FAIL_NONE, or why it must retry */
	char *fail_error;
	int store_code;			/* the downstream LMTP's reply, or 0 */
	char *store_text;
};

/* record_clear - release what R owns, zero it */
void record_clear(struct record *r);

/* record_mailbox_name - "delivered", "caller", "none", ... */
const char *record_mailbox_name(enum record_mailbox m);

/* record_log_line - the one log line of R (no newline); g_free() */
char *record_log_line(const struct record_message *m, const struct record *r);

/* record_explain - R as the --explain text, to OUT */
void record_explain(const struct record_message *m, const struct record *r,
		    FILE *out);

/* record_json - M and R as one JSON object; g_free() */
char *record_json(const struct record_message *m, const struct record *r,
		  int pretty);

#endif
