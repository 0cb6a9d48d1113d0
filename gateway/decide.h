#ifndef DEPUTY_DECIDE_H
#define DEPUTY_DECIDE_H

/*
 * NAME
 *	decide - the one place where deputy decides what to do with a message
 * SUMMARY
 *	decide() is a pure function of (message facts, envelope, directory
 *	entry, absence, resolved delegates, clock, state verdicts, policy).
 *	It fills a decision record: deliver (always), forward (to whom, or
 *	the reason not to), notice (send, or the first gate rule that
 *	failed), and the verdict of every notice rule for --explain.
 *	The same record drives the actions, the log line and --explain.
 * DIAGNOSTICS
 *	None: decide() cannot fail. Reason codes are stable strings
 *	(decide_reason_name()); operators grep logs for them.
 */

#include <time.h>
#include "directory.h"
#include "facts.h"
#include "trust.h"

/* Stable reason codes. Order within the gate is the order of the rules. */
enum decide_reason {
	DR_NONE = 0,		/* nothing stopped the action */

	/* preconditions */
	DR_UNPARSEABLE,		/* the message has no header block */
	DR_NOT_AWAY,		/* the recipient is not away */

	/* notice gate 1: envelope */
	DR_NULL_SENDER,
	DR_SYSTEM_SENDER,
	DR_SELF,
	DR_MULTIPLE_FROM,
	/* 2: automated or bulk */
	DR_AUTO_SUBMITTED,
	DR_PRECEDENCE,
	DR_LIST_HEADER,
	DR_AUTO_RESPONSE_SUPPRESS,
	DR_REPORT,
	DR_CHALLENGE,
	/* 3: addressing */
	DR_NOT_ADDRESSED,
	/* 4: trust */
	DR_UNAUTHENTICATED,
	DR_SPAM_UNKNOWN,
	DR_SPAM_SCORE,
	/* 5: policy */
	DR_POLICY_NONE,
	DR_EXTERNAL,
	DR_DUPLICATE,
	DR_RATE,

	/* forwarding only */
	DR_LOOP,		/* our loop marker names this recipient */
	DR_HOPS,		/* too many Received fields */
	DR_BOUNCE,		/* null sender or delivery failure */
	DR_AUTO_REPLY,		/* somebody else's auto-reply */
	DR_BULK,		/* list or bulk mail, forward_bulk off */
	DR_NO_DELEGATE,		/* nobody to forward to */

	DR_COUNT
};

/* The notice rules in gate order, as evaluated by decide(). */
#define DECIDE_NOTICE_RULES 18

struct decide_rule {
	enum decide_reason rule;
	int failed;		/* 1: this rule stops the notice */
	const char *detail;	/* why, when failed (borrowed) */
};

/* Everything decide() reads; all borrowed from the caller. */
struct decide_input {
	const struct facts *facts;
	const struct trust_verdict *auth;	/* NULL: not authenticated */
	const char *sender;		/* envelope sender, "" for <> */
	const char *recipient;		/* envelope recipient, lowercased */
	const struct dir_entry *entry;	/* NULL: not in the directory */
	int away;
	time_t away_until;		/* 0: open-ended or unknown */
	const struct dir_strings *delegates;	/* resolved addresses */
	const struct dir_strings *redirects;	/* a Sieve redirect, or NULL */
	const char *const *own_addresses;	/* more of the recipient's,
						 * e.g. Sieve :addresses */
	time_t now;

	/* state verdicts, looked up by the caller */
	int notice_recent;		/* a notice went to this sender */
	int rate_exceeded;

	/* policy */
	enum dir_notice default_notice;
	const char *const *internal_domains;	/* NULL-terminated */
	const char *const *system_senders;	/* extra local parts */
	double notice_threshold;
	double forward_threshold;
	unsigned int max_received;
	int forward_bulk;
};

struct decision {
	int away;
	time_t away_until;

	enum decide_reason forward_reason;	/* DR_NONE: forward */
	const char *forward_detail;
	struct dir_strings forward_to;		/* owned: addresses */
	struct dir_strings forward_skipped;	/* owned: "addr (why)" */

	/* A Sieve redirect: sent whether or not the user is away; only
	 * the loop rules stop it. */
	enum decide_reason redirect_reason;	/* DR_NONE: redirect */
	const char *redirect_detail;
	struct dir_strings redirect_to;		/* owned: addresses */

	enum decide_reason notice_reason;	/* DR_NONE: send */
	const char *notice_detail;
	struct decide_rule rules[DECIDE_NOTICE_RULES];
	unsigned int rule_count;
};

/* decide - fill OUT from IN; release OUT with decision_clear() */
void decide(const struct decide_input *in, struct decision *out);

/* decision_clear - release what decide() allocated in D */
void decision_clear(struct decision *d);

/* decide_reason_name - the stable code, e.g. "null-sender" */
const char *decide_reason_name(enum decide_reason r);

/* decide_is_system_sender - MAILER-DAEMON, postmaster, *-request, ... */
int decide_is_system_sender(const char *address, const char *const *extra);

#endif
