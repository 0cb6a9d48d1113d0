#ifndef DEPUTY_FACTS_H
#define DEPUTY_FACTS_H

/*
 * NAME
 *	facts - what deputy needs to know about one message
 * SUMMARY
 *	Reads a spooled message once with mimescan (the top-level header
 *	block's end, the MIME parts, report parts, the first text part),
 *	gives GMime the top-level header block only, and reads a bounded
 *	piece of the first text part; from these it extracts the facts
 *	that decide() reads: addresses, automation markers, loop markers,
 *	and (with the trust gate) authentication and spam verdicts.
 *
 *	The work is bounded by limits that do not depend on what the
 *	sender wrote: FACTS_MAX_PARTS MIME parts, FACTS_MAX_DEPTH nested
 *	multiparts, FACTS_MAX_FIELDS top-level header fields and
 *	FACTS_MAX_HEADER_BLOCK bytes of them, FACTS_TEXT_RAW bytes of body
 *	text. Memory is constant but for the header block.
 * DIAGNOSTICS
 *	facts_parse() never fails on the message's account: a message that
 *	is not mail, or that passes one of the caps, yields facts with
 *	parsed = 0 (oversized = 1 and unparsed_reason for a cap), which
 *	decide() turns into "deliver, no forward, no notice". It returns
 *	-1 only when the spool itself cannot be read.
 * SECURITY
 *	Every value comes from an untrusted sender. Strings kept here have
 *	CR, LF and other control characters replaced, and are bounded.
 */

#include <stddef.h>
#include <sys/types.h>
#include "directory.h"

/*
 * A top-level header the trust gate may read, with its position. Only
 * fields whose name is written plainly are kept: "Name:", no white
 * space before the colon (RFC 5322 obs-optional allows it and GMime
 * reads it, but an MTA's strip rule written for "Name:" misses it).
 */
struct facts_trust_header {
	char *name;
	char *value;			/* raw (folding kept), bounded */
	unsigned int received_above;	/* Received fields above it */
};

#define FACTS_MAX_TRUST_HEADERS 32

#define FACTS_MAX_PARTS		1000	/* MIME parts, the top one too */
#define FACTS_MAX_DEPTH		10	/* nested multiparts */
#define FACTS_MAX_FIELDS	1000	/* top-level header fields */
#define FACTS_MAX_HEADER_BLOCK	(256 * 1024)	/* Postfix caps at 100 KiB */
#define FACTS_TEXT_RAW		(48 * 1024)	/* read of the first text part */
#define FACTS_TEXT_MAX		(16 * 1024)	/* of it, decoded, matched */

/* Why a message looks machine-made; the first found wins. */
struct facts {
	int parsed;			/* GMime found a header block, and
					 * no cap was passed */
	int oversized;			/* parsed = 0 because of a cap */
	char *unparsed_reason;		/* the cap passed, e.g. "more than
					 * 1000 MIME parts", or NULL */
	char *message_id;		/* without <>, or NULL */
	char *references;		/* References, sanitized, or NULL */
	char *resent_message_id;	/* the top Resent-Message-ID, or NULL */
	char *subject;			/* decoded UTF-8, or NULL */
	struct dir_strings from;	/* From: addr-specs, lowercased */
	struct dir_strings recipients;	/* To, Cc, Resent-To, Resent-Cc */

	char *auto_submitted;		/* value, unless absent or "no" */
	char *precedence;		/* bulk, list or junk */
	char *list_header;		/* name of the first list header */
	char *auto_response_suppress;	/* value naming All or OOF */
	char *report_type;		/* multipart/report report-type, or
					 * the DSN/MDN/ARF part type found */
	char *autoreply_marker;		/* why it looks like an auto-reply */
	char *challenge_marker;		/* why it looks like a C/R challenge */
	char *text_challenge;		/* C/R phrases in the first text part
					 * ("body: ..."), also the challenge
					 * marker unless one was found first */
	char *bounce_marker;		/* why it looks like a bounce */
	char *automated_marker;		/* why it looks machine-sent */

	struct dir_strings loop_markers;	/* values of our loop header */
	struct dir_strings delivered_to;	/* Delivered-To values */
	unsigned int received_count;

	/* Authentication-Results and spam headers, top level only */
	struct facts_trust_header trust_headers[FACTS_MAX_TRUST_HEADERS];
	size_t ntrust_headers;
};

struct facts_settings {
	const char *loop_header;
	const char *const *spam_headers;	/* trusted by position */
};

/* facts_parse - read the message at FD (rewound first) */
int facts_parse(int fd, const struct facts_settings *set,
		struct facts **facts_r, char **error_r);

/*
 * facts_mbox_line_end - where the message at FD begins: past a leading
 * mbox "From " line (some MTAs' pipes write one), else 0
 */
off_t facts_mbox_line_end(int fd);

/* facts_free - release; sets *facts to NULL */
void facts_free(struct facts **facts);

/* facts_init - global GMime set-up, once per process */
void facts_init(void);

/* facts_sanitize - copy TEXT with control characters replaced, bounded */
char *facts_sanitize(const char *text, size_t max);

#endif
