#ifndef DEPUTY_SCRIPT_H
#define DEPUTY_SCRIPT_H

/*
 * NAME
 *	script - a user's Sieve script run by libsieve, for deputy-lda
 * SUMMARY
 *	script_load() reads the script file (bounded). script_run() runs
 *	it against one message and collects what it asked for; nothing
 *	is carried out here: deputy-lda maps the outcome onto its own
 *	actions (keep and fileinto into the Maildir, redirect as a
 *	forward, vacation through the notice gate; reject never bounces).
 *	libsieve 2.2.6 has quirks that this module absorbs: a parse error
 *	is reported by callback while the calls return success; implicit
 *	keep is never signalled; a second parse on one context goes
 *	wrong. So each run gets a fresh context, an error callback means
 *	"failed, implicit keep", and keep is implied when no action that
 *	cancels it fired. Header fields come from GMime, never from
 *	libsieve's own header parser (which fails on real mail).
 * DIAGNOSTICS
 *	script_load(): 1 loaded, 0 no script, -1 with *error_r (unreadable,
 *	too large, not UTF-8). script_run() cannot fail: a failed script
 *	is an outcome (error set, keep set).
 */

#include <sys/types.h>

#include "vacation.h"

struct script_message {
	int fd;				/* the message; read with pread */
	off_t offset;			/* where the header block starts */
	off_t size;			/* the message's size */
	const char *sender;		/* envelope, "" for <> */
	const char *recipient;		/* envelope */
};

struct script_outcome {
	char *error;			/* the first error: implicit keep */
	int keep;			/* a copy in INBOX */
	char **folders;			/* fileinto, deduplicated, or NULL */
	char **redirects;		/* redirect, deduplicated, or NULL */
	int discard;			/* explicit discard, nothing else */
	char *reject;			/* reject's text, or NULL */
	int vacation;			/* a vacation action fired */
	struct vacation_request vac;
	char *vacation_address;		/* libsieve's matching :addresses */
	char **notes;			/* notify and the like, for the log */
	unsigned int actions;
};

/* script_load - read PATH, at most MAX bytes; see DIAGNOSTICS */
int script_load(const char *path, size_t max, char **text_r,
		char **error_r);

/* script_run - run TEXT on MSG; at most MAX_ACTIONS actions count */
void script_run(const char *text, const struct script_message *msg,
		unsigned int max_actions, struct script_outcome *out);

/*
 * script_run_isolated - script_run() in a child process, for TIMEOUT
 * seconds at most: libsieve's memory errors stay in the child, and a
 * child that crashes, hangs or answers garbage is a failed script
 * (error set, keep set). deputy-lda runs every script this way.
 */
void script_run_isolated(const char *text, const struct script_message *msg,
			 unsigned int max_actions, unsigned int timeout,
			 struct script_outcome *out);

/* script_isolate_runner - what the child runs (tests only; NULL:
 * script_run) */
typedef void (*script_runner)(const char *text,
			      const struct script_message *msg,
			      unsigned int max_actions,
			      struct script_outcome *out);
void script_isolate_runner(script_runner run);

/* script_outcome_clear - release OUT */
void script_outcome_clear(struct script_outcome *out);

#endif
