#ifndef DEPUTY_PLUGIN_PRIVATE_H
#define DEPUTY_PLUGIN_PRIVATE_H

/*
 * NAME
 *	deputy-plugin-private - what the two halves of sieve_deputy share
 * SUMMARY
 *	deputy-plugin.c is the Sieve side (the extension, the command and
 *	its tags, the bytecode, the action); deputy-plugin-run.c carries
 *	out the action when the result is committed: it runs deputy-lda.
 *	Dovecot's headers only; never the project's config.h.
 */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "istream.h"
#include "module-dir.h"
#include "mail-storage.h"
#include "smtp-address.h"
#include "smtp-params.h"

#include "sieve-common.h"
#include "sieve-config.h"
#include "sieve-extensions.h"
#include "sieve-settings.h"
#include "sieve-ast.h"
#include "sieve-commands.h"
#include "sieve-validator.h"
#include "sieve-generator.h"
#include "sieve-interpreter.h"
#include "sieve-code.h"
#include "sieve-dump.h"
#include "sieve-actions.h"
#include "sieve-result.h"
#include "sieve-message.h"
#include "sieve-address.h"
#include "sieve-stringlist.h"

#include "deputy-plugin.h"
#include "child.h"

#ifndef DEPUTY_LDA_PATH
#define DEPUTY_LDA_PATH "/usr/libexec/deputy/deputy-lda"
#endif

/* Bytecode version of our "vacation" (the built-in one is 0). A stale
 * binary with another version is recompiled, never run with our
 * operation table: bump this whenever the operands below change. */
#define DEPUTY_EXT_VERSION	0x4401
#define DEPUTY_SECONDS_VERSION	0x4401

#define DEPUTY_TIMEOUT_DEFAULT	60		/* seconds */
#define DEPUTY_PERIOD_MAX	315360000ULL	/* 10 years: deputy-lda takes no more */
#define DEPUTY_REASON_MAX	(64 * 1024)	/* bytes in one argv word */
#define DEPUTY_FIELD_MAX	1024		/* subject, handle, addresses */
#define DEPUTY_ADDRESSES_MAX	64
#define DEPUTY_ARGV_MAX		(16 + 2 * DEPUTY_ADDRESSES_MAX)

/* Optional operand codes, in the bytecode: do not renumber. */
enum deputy_opt {
	DEPUTY_OPT_END = 0,
	DEPUTY_OPT_PERIOD,	/* :days (stored in seconds) or :seconds */
	DEPUTY_OPT_SUBJECT,
	DEPUTY_OPT_FROM,
	DEPUTY_OPT_ADDRESSES,
	DEPUTY_OPT_MIME,
	DEPUTY_OPT_HANDLE
};

/* Per Sieve instance: what the settings say. */
struct deputy_config {
	char *lda_path;
	char *conf_path;	/* NULL: deputy-lda's own default */
	unsigned int timeout;
};

/* The plugin context of one Sieve instance: what _unload must undo. */
struct deputy_plugin {
	const struct sieve_extension *vacation;
	const struct sieve_extension *seconds;
};

/* One vacation action, as the script gave it (NULL: not given). */
struct deputy_vacation {
	const char *reason;
	const char *subject;
	const char *from;
	const char *handle;
	const char *const *addresses;	/* NULL-terminated */
	sieve_number_t period;
	bool have_period;
	bool mime;
};

/* deputy_act_commit - run deputy-lda once for the message; always
 * succeeds, so that the keep (or other actions) proceed */
int deputy_act_commit(const struct sieve_action_exec_env *aenv,
		      void *tr_context);

#endif
