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
#include "script.h"
#include "spam.h"
#include "trust.h"

/* Stable reason codes. Order within the gate is the order of the rules. */
enum decide_reason {
	DR_NONE = 0,		/* nothing stopped the action */

	/* preconditions */
	DR_UNPARSEABLE,		/* the message has no header block */
	DR_OVERSIZED,		/* past a cap of facts (parts, depth, ...) */
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

	/* after the gate: the state store could not be asked (fail closed) */
	DR_STATE_UNAVAILABLE,

	DR_COUNT
};

/* The notice rules in gate order, as evaluated by decide(). */
#define DECIDE_NOTICE_RULES 18

struct decide_rule {
	enum decide_reason rule;
	int failed;		/* 1: this rule stops the notice */
	const char *detail;	/* why, when failed (borrowed) */
};

/* Where the mailbox copy goes. */
enum decide_mailbox {
	DM_DELIVER = 0,		/* into the targets (Maildir folders) */
	DM_NONE,		/* the user's script wants no copy */
	DM_CALLER,		/* the caller stores it (Sieve plugin) */
	DM_DUPLICATE,		/* a copy of our forward it already has */
	DM_RETURN,		/* an SRS bounce: pass it back, store nothing */
};

/* Everything decide() reads; all borrowed from the caller. */
struct decide_input {
	const struct facts *facts;
	const char *sender;		/* envelope sender, "" for <> */
	const char *recipient;		/* the user: envelope recipient
					 * without detail, lowercased */
	const char *detail;		/* subaddress detail, or NULL */
	const char *delimiters;		/* recipient_delimiter, or NULL */
	const struct dir_entry *entry;	/* NULL: not in the directory */
	int away;
	time_t away_until;		/* 0: open-ended or unknown */
	const struct dir_strings *delegates;	/* resolved addresses */
	const struct dir_strings *redirects;	/* a Sieve redirect, or NULL */
	const char *const *own_addresses;	/* more of the recipient's,
						 * e.g. Sieve :addresses */
	time_t now;

	/* the mailbox copy */
	const char *mailbox;		/* INBOX Maildir; NULL: the caller
					 * stores the message */
	int detail_mailbox;		/* a detail goes into its folder */
	const struct script_outcome *script;	/* NULL: no script ran */
	int reject_discards;		/* sieve.reject = discard */
	const char *srs_original;	/* our SRS address, verified: the
					 * bounce goes back to this sender */
	int copy_seen;			/* state: it has this forward copy */
	const char *vacation_from;	/* a Sieve vacation's :from, or NULL */

	/* verdicts on the message (trust gate) */
	const struct trust_verdict *auth;	/* NULL: not authenticated */

	/* policy */
	enum dir_notice default_notice;
	const char *const *internal_domains;	/* NULL-terminated */
	const char *const *system_senders;	/* extra local parts */
	const struct spam_verdict *spam;	/* NULL: unknown */
	const struct spam_policy *spam_policy;	/* thresholds per scale */
	unsigned int max_received;
	int forward_bulk;
	int srs_enabled;			/* outside delegates get SRS0 */
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

	/* the mailbox copy */
	enum decide_mailbox mailbox;
	struct dir_strings targets;		/* owned: Maildir paths */
	struct dir_strings notes;		/* owned: why a target moved */

	/* the forwards (delegates and redirects), split by destination */
	struct dir_strings fwd_internal;	/* owned: keep the sender */
	struct dir_strings fwd_external;	/* owned: outside delegates */
	int fwd_external_srs;			/* they get an SRS0 sender */
	int fwd_sender_null;			/* the sender is unusable: the
						 * forwards go from <> */

	/* the notice's From: the vacation's :from when it is the user's */
	const char *notice_from;		/* borrowed, or NULL: default */
	int notice_from_refused;		/* a :from that is not */
};

/*
 * decide - fill OUT from IN; release OUT with decision_clear(). The two
 * rules that need the state store (duplicate, rate) pass here; when the
 * notice is otherwise due, the caller asks the store and calls
 * decide_state().
 */
void decide(const struct decide_input *in, struct decision *out);

/* What the state store said about a notice that passed every other rule. */
enum decide_state_verdict {
	DS_CLAIMED = 0,		/* recorded: send it */
	DS_DUPLICATE,		/* one went to this sender within the period */
	DS_RATE,		/* a rate cap is reached */
	DS_UNAVAILABLE,		/* the store failed: fail closed */
};

/* decide_state - apply the state store's VERDICT to a due notice */
void decide_state(struct decision *d, enum decide_state_verdict verdict,
		  const char *detail);

/*
 * decide_wants_delegates - whether resolving the delegates can change
 * the decision: the recipient is away and nothing but a missing
 * delegate would stop the forward, or the notice (which names them) is
 * due. Most noise never costs a directory search beyond the user's own.
 */
int decide_wants_delegates(const struct decide_input *in);

/* decide_is_internal_address - whether ADDRESS is in one of our domains */
int decide_is_internal_address(const struct decide_input *in,
			       const char *address);

/* decision_clear - release what decide() allocated in D */
void decision_clear(struct decision *d);

/* decide_reason_name - the stable code, e.g. "null-sender" */
const char *decide_reason_name(enum decide_reason r);

/* decide_is_system_sender - MAILER-DAEMON, postmaster, *-request, ... */
int decide_is_system_sender(const char *address, const char *const *extra);

/* decide_strv_add - append a copy of S to LIST */
void decide_strv_add(struct dir_strings *list, const char *s);

/* decide_strv_has - whether LIST holds S (any case) */
int decide_strv_has(const struct dir_strings *list, const char *s);

#endif
