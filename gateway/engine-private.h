#ifndef DEPUTY_ENGINE_PRIVATE_H
#define DEPUTY_ENGINE_PRIVATE_H

/*
 * NAME
 *	engine-private - what the engine's parts share
 * SUMMARY
 *	The engine is split the way Postfix's local(8) is: recipient.c is
 *	the inner node (address, directory entry, absence, the user's
 *	script, delegates); mailbox.c, forward.c and notify.c are the leaf
 *	nodes that carry out a decision record; engine.c runs the path.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include "absence.h"
#include "conf.h"
#include "decide.h"
#include "directory.h"
#include "engine.h"
#include "facts.h"
#include "record.h"
#include "relay.h"
#include "script.h"
#include "spam.h"
#include "spool.h"
#include "srs.h"
#include "state.h"
#include "trust.h"
#include "vacation.h"

struct engine {
	struct deputy_conf *conf;
	struct dir *dir;
	unsigned int flags;
	struct srs_key *srs_key;	/* loaded on first use */
	struct relay *store;		/* downstream LMTP, or NULL */
	struct relay *smtp;		/* reinjection, or NULL: sendmail */
	struct stat ldif_st;		/* the LDIF file when it was read */
};

/* Per-recipient work, beside its record, until the actions run. */
struct engine_rcpt {
	struct record *rec;
	char *mailbox;			/* INBOX Maildir, or NULL */
	struct dir_entry *entry;
	struct absence_result absence;
	int away;
	struct dir_strings delegates;
	struct script_outcome script;
	struct dir_strings redirects;	/* the script's, safe ones */
	char **own;			/* more own addresses (:addresses) */
	const struct vacation_request *vac;	/* Sieve vacation, or NULL */
	char *vac_from;			/* its usable :from, lowercased */
	char *notice_key;		/* dedupe: template set or vacation id */
	unsigned int notice_period;	/* seconds */
	int copy_seen;
};

/* One run: one message, its recipients. */
struct engine_run {
	struct engine *e;
	const struct deputy_conf *conf;
	const struct engine_request *req;
	const struct spool *spool;
	struct facts *facts;
	char *sender;			/* normal form, "" for <> */
	struct trust_verdict auth;	/* the trust gate's */
	int spam_done;
	struct spam_verdict spam;	/* from trusted headers or the scanner */
	struct spam_policy spam_policy;	/* thresholds per scale */
	char *spam_text;		/* the verdict, for the record */
	time_t now;
	off_t body_offset;		/* past a leading mbox From_ line */
	char *copy_id;			/* our Resent-Message-ID: a forward */
	struct state *state;		/* opened on first use */
	int state_failed;		/* said once per run */
	struct engine_rcpt *rcpts;
	size_t nrcpt;
	struct engine_result *res;
};

/* recipient.c */
int engine_rcpt_prepare(struct engine_run *run, struct engine_rcpt *r,
			const char *given, enum fail_class *class_r,
			char **error_r);
int engine_rcpt_delegates(struct engine_run *run, struct engine_rcpt *r,
			  char **error_r);
void engine_rcpt_clear(struct engine_rcpt *r);
int engine_srs_key(struct engine_run *run, char **error_r);
int engine_srs_enabled(const struct deputy_conf *conf);

/* engine.c: the state store, opened when first needed; NULL if it fails */
struct state *engine_state(struct engine_run *run);

/* mailbox.c */
int engine_mailbox(struct engine_run *run, struct engine_rcpt *r,
		   char **error_r);
void engine_store_lmtp(struct engine_run *run);

/* forward.c: hand a message on, through the SMTP relay or sendmail */
int engine_submit(struct engine_run *run, const char *sender,
		  const char *const *rcpts, const char *prefix, int with_body,
		  char **error_r);

/* forward.c */
char *engine_copy_id(const struct engine_run *run);
int engine_copy_seen(struct engine_run *run, const char *rcpt);
void engine_copy_record(struct engine_run *run, const char *rcpt);
int engine_forward(struct engine_run *run, struct engine_rcpt *r,
		   enum fail_class *class_r, char **error_r);
int engine_return_bounce(struct engine_run *run, struct engine_rcpt *r,
			 char **error_r);

/* notify.c */
void engine_notice_claim(struct engine_run *run, struct engine_rcpt *r,
			 int dry_run);
int engine_notice_send(struct engine_run *run, struct engine_rcpt *r);

#endif
