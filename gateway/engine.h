#ifndef DEPUTY_ENGINE_H
#define DEPUTY_ENGINE_H

/*
 * NAME
 *	engine - one entry point for every front end
 * SUMMARY
 *	engine_open() loads the configuration and opens the directory; a
 *	resident front end (deputyd) keeps the engine open across messages,
 *	deputy-lda opens it once per run. engine_run() takes one spooled
 *	message, its envelope and its recipients, and returns one record
 *	per recipient: what was found, what decide() decided, what was
 *	done, and, for a recipient that must be retried, the failure class.
 *	With explain set it decides and changes nothing: no delivery, no
 *	forward, no notice, no state written.
 *
 *	The path of a message: parse (bounded), trust, and for each
 *	recipient: look up, absence, the user's script; the spam verdict
 *	when somebody is away; decide() once per recipient; then act in a
 *	fixed order: the mailbox copy, the forwards, the notice (claimed in
 *	the state store first, so that it goes out once).
 * DIAGNOSTICS
 *	engine_open(): 0, or -1 with the failure class and *error_r.
 *	engine_run(): 0 when it ran (each record says whether its recipient
 *	is done: record.fail == FAIL_NONE), -1 with the failure class when
 *	nothing could be done for any recipient (the message unreadable).
 *	Nothing derived from the message or the sender is a failure: such
 *	mail is delivered as it is, without a forward or a notice. The
 *	state store failing is not a failure either: delivery and forwards
 *	go on, no notice is sent, and the log says so.
 */

#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "fail.h"
#include "record.h"
#include "spool.h"
#include "vacation.h"

struct engine;

/* engine_open flags */
#define ENGINE_EXPLAIN	0x01	/* decide only; leave log files alone */

/* engine_open - load CONFIG_PATH (NULL: the default) and the directory */
int engine_open(const char *config_path, unsigned int flags,
		struct engine **engine_r, enum fail_class *class_r,
		char **error_r);

/* engine_conf - the configuration in use */
const struct deputy_conf *engine_conf(const struct engine *e);

/*
 * engine_refresh - for a resident front end, before a message: reload
 * the LDIF directory when its file changed (deputyctl wrote it). A
 * reload that fails keeps the directory as it was, and says so.
 */
void engine_refresh(struct engine *e);

/* engine_close - release everything; sets *e to NULL */
void engine_close(struct engine **e);

/* One message and its envelope, as the front end received them. */
struct engine_request {
	const char *sender;		/* as given ("<>", "MAILER-DAEMON") */
	const char *orig_recipient;	/* -a, or NULL */
	const char *client;		/* the SMTP client's IP, or NULL */
	const char *const *recipients;	/* as given, NULL-terminated */
	/* --sieve-vacation (the Pigeonhole plugin): the caller stores the
	 * message; deputy forwards it and runs the gate with the script's
	 * vacation. NULL otherwise. */
	const struct vacation_request *vacation;
	int explain;			/* decide, change nothing */
	time_t now;			/* 0: the clock */
};

/* What engine_run() returns: the shared facts and a record each. */
struct engine_result {
	struct record_message message;	/* borrowed strings inside */
	struct record *records;
	size_t count;
	void *priv;			/* what the strings borrow from */
};

/* engine_run - decide and act on MSG for every recipient of REQ */
int engine_run(struct engine *e, const struct spool *msg,
	       const struct engine_request *req, struct engine_result *res,
	       enum fail_class *class_r, char **error_r);

/* engine_result_clear - release RES */
void engine_result_clear(struct engine_result *res);

/* engine_result_fail - the first failed record's class, or FAIL_NONE */
enum fail_class engine_result_fail(const struct engine_result *res,
				   const char **error_r);

/* engine_abort - stop a running child (sendmail); async-signal-safe */
void engine_abort(void);

#endif
