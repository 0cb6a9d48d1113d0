#ifndef DEPUTY_FAIL_H
#define DEPUTY_FAIL_H

/*
 * NAME
 *	fail - the classes of failure, and what each front end answers
 * SUMMARY
 *	One table: for every class, its enhanced status code (RFC 3463),
 *	deputy-lda's exit status, deputyd's LMTP reply code and
 *	deputyctl's exit status. Front ends look up the class the engine
 *	reports; none of them compares status strings.
 * DIAGNOSTICS
 *	Every class but FAIL_NONE is a fault of this host (configuration,
 *	directory, disk, memory, a child, a signal, the deadline): the LDA
 *	answers 75 and LMTP a 4xx. Nothing the sender controls has a
 *	class here; such input is delivered as it is.
 */

enum fail_class {
	FAIL_NONE = 0,		/* done */
	FAIL_CONFIG,		/* bad or unreadable configuration */
	FAIL_USAGE,		/* the MTA's command line is wrong */
	FAIL_INPUT,		/* the message could not be read (EIO) */
	FAIL_SPOOL,		/* the spool could not be written */
	FAIL_DIRECTORY,		/* the directory failed or did not answer */
	FAIL_MAILBOX,		/* a mailbox copy could not be made durable */
	FAIL_SUBMIT,		/* sendmail or the reinjection failed */
	FAIL_SECRET,		/* a key file could not be used */
	FAIL_RESOURCE,		/* out of memory or descriptors */
	FAIL_DEADLINE,		/* the internal deadline passed */
	FAIL_SIGNAL,		/* asked to stop */
	FAIL_INTERNAL,		/* a bug: should not happen */
	FAIL_COUNT
};

struct fail_info {
	const char *name;	/* stable, for logs and JSON */
	const char *dsn;	/* "4.3.0" */
	int lda_exit;		/* 0 or 75 */
	int lmtp_code;		/* 250 or 4xx */
	int ctl_exit;		/* deputyctl: 0, 2 or 3 */
};

/* fail_info - the row of CLASS (a valid row for any value) */
const struct fail_info *fail_info(enum fail_class class);

/* fail_name - the stable name of CLASS */
const char *fail_name(enum fail_class class);

/*
 * fail_oom_install - make GLib's out-of-memory abort a temporary
 * failure: one "4.3.0" line on stderr and exit 75 (deputy-lda), instead
 * of an abort the MTA would count as a crash. Once per process.
 */
void fail_oom_install(const char *program);

#endif
