/*
 * NAME
 *	deputy-plugin-run - sieve_deputy's action: run deputy-lda
 * SUMMARY
 *	When Pigeonhole commits a result that holds our vacation action,
 *	deputy_act_commit() runs deputy-lda --sieve-vacation once, the
 *	message on its standard input and the script's values as single
 *	argv words (bounded), through lib/child.c's execve-only runner,
 *	and logs one line. It always succeeds: the message is kept by
 *	Dovecot whatever deputy-lda did.
 * SECURITY
 *	See deputy-plugin.c.
 */

#include "deputy-plugin-private.h"

/* deputy_bounded - VALUE cut to at most MAX bytes at a UTF-8 character
 * boundary; *cut_r is set when it was cut */
static const char *
deputy_bounded(const char *value, size_t max, bool *cut_r)
{
	size_t len = strlen(value);

	if (len <= max)
		return value;
	*cut_r = TRUE;
	len = max;
	while (len > 0 && ((unsigned char)value[len] & 0xc0) == 0x80)
		len--;
	return t_strndup(value, len);
}

/* deputy_text - a script text for argv: Sieve strings end their lines
 * in CRLF (RFC 5228); deputy-lda takes LF, like any Unix argument, and
 * writes the message's line ends itself. Cut to MAX bytes. */
static const char *
deputy_text(const char *value, size_t max, bool *cut_r)
{
	string_t *out;

	if (strchr(value, '\r') != NULL) {
		out = t_str_new(strlen(value));
		for (const char *p = value; *p != '\0'; p++) {
			if (p[0] != '\r' || p[1] != '\n')
				str_append_c(out, *p);
		}
		value = str_c(out);
	}
	return deputy_bounded(value, max, cut_r);
}

/* deputy_argv - deputy-lda's argv for VAC; NULL-terminated, on the
 * data stack */
static const char *const *
deputy_argv(const struct deputy_config *config,
	    const struct deputy_vacation *vac, const char *sender,
	    const char *orig_rcpt, const char *rcpt, bool *cut_r)
{
	ARRAY_TYPE(const_string) argv;
	const char *arg;

	t_array_init(&argv, DEPUTY_ARGV_MAX);
#define ADD(s) do { arg = (s); array_push_back(&argv, &arg); } while (0)
	ADD(config->lda_path);
	if (config->conf_path != NULL) {
		ADD("-c");
		ADD(config->conf_path);
	}
	ADD("--sieve-vacation");
	ADD("-f");
	ADD(sender);
	if (orig_rcpt != NULL) {
		ADD("-a");
		ADD(orig_rcpt);
	}
	ADD("--reason");
	ADD(deputy_text(vac->reason, DEPUTY_REASON_MAX, cut_r));
	if (vac->subject != NULL) {
		ADD("--subject");
		ADD(deputy_text(vac->subject, DEPUTY_FIELD_MAX, cut_r));
	}
	if (vac->from != NULL && strlen(vac->from) > DEPUTY_FIELD_MAX)
		*cut_r = TRUE;		/* a cut address is no address */
	else if (vac->from != NULL) {
		ADD("--vacation-from");
		ADD(vac->from);
	}
	for (const char *const *a = vac->addresses; a != NULL && *a != NULL;
	     a++) {
		ADD("--address");
		ADD(*a);
	}
	if (vac->have_period) {
		ADD("--seconds");
		ADD(dec2str(vac->period));
	}
	if (vac->handle != NULL) {
		ADD("--handle");
		ADD(deputy_text(vac->handle, DEPUTY_FIELD_MAX, cut_r));
	}
	if (vac->mime)
		ADD("--mime");
	ADD("--");
	ADD(rcpt);
#undef ADD
	array_append_zero(&argv);
	return array_front(&argv);
}

/* The message as child_run() reads it: a Dovecot istream. */
struct deputy_reader {
	struct istream *input;
};

/* deputy_reader_next - the next chunk of the message */
static int
deputy_reader_next(void *ctx, const unsigned char **data_r, size_t *size_r,
		   char *error_r)
{
	struct deputy_reader *rd = ctx;
	int ret = i_stream_read_more(rd->input, data_r, size_r);

	if (ret > 0)
		return 1;
	if (ret == -1 && rd->input->stream_errno == 0)
		return 0;
	i_snprintf(error_r, CHILD_ERROR_MAX, "%s",
		   ret == 0 ? "the message stream would block" :
		   i_stream_get_error(rd->input));
	return -1;
}

/* deputy_reader_consume - SIZE bytes were written to the child */
static void
deputy_reader_consume(void *ctx, size_t size)
{
	struct deputy_reader *rd = ctx;

	i_stream_skip(rd->input, size);
}

/* deputy_log_outcome - one line for the run; never fails the commit */
static void
deputy_log_outcome(const struct sieve_action_exec_env *aenv,
		   const struct deputy_config *config, const char *sender,
		   const char *rcpt, int ret,
		   const struct child_result *res)
{
	const char *said = res->stderr_line[0] != '\0' ?
		t_strdup_printf(": %s", res->stderr_line) : "";

	if (ret == 0) {
		sieve_result_global_log(aenv, "vacation handled by deputy "
			"(%s exit 0) for sender=<%s> recipient=<%s>",
			config->lda_path, sender, rcpt);
		if (res->input_short)
			sieve_result_global_warning(aenv, "sieve_deputy: "
				"deputy-lda exited before it read the whole "
				"message");
		return;
	}
	if (res->error[0] != '\0') {
		sieve_result_global_error(aenv, "sieve_deputy: %s: %s%s "
			"(message kept; deputy did not handle the vacation)",
			config->lda_path, res->error, said);
	} else if (res->timed_out) {
		sieve_result_global_error(aenv, "sieve_deputy: %s: no exit "
			"within %u s, killed%s (message kept; deputy did not "
			"handle the vacation)", config->lda_path,
			config->timeout, said);
	} else if (res->signal != 0) {
		sieve_result_global_error(aenv, "sieve_deputy: %s: killed "
			"by signal %d%s (message kept; deputy did not handle "
			"the vacation)", config->lda_path, res->signal, said);
	} else {
		sieve_result_global_error(aenv, "sieve_deputy: %s: exit "
			"%d%s (message kept; deputy did not handle the "
			"vacation)", config->lda_path, res->exit_code, said);
	}
}

/* deputy_orig_rcpt - the original recipient when it says something:
 * not when it is the final recipient, and not the user@hostname that
 * dovecot-lda makes up when it was given no -a (lda/main.c) */
static const struct smtp_address *
deputy_orig_rcpt(const struct sieve_instance *svinst,
		 const struct smtp_address *rcpt_to,
		 const struct smtp_address *orcpt)
{
	if (smtp_address_isnull(orcpt) ||
	    smtp_address_equals_icase(orcpt, rcpt_to))
		return NULL;
	if (svinst->username != NULL && svinst->hostname != NULL &&
	    orcpt->domain != NULL &&
	    strcmp(orcpt->localpart, svinst->username) == 0 &&
	    strcasecmp(orcpt->domain, svinst->hostname) == 0)
		return NULL;
	return orcpt;
}

/* deputy_run - run deputy-lda for VAC on this message */
static void
deputy_run(const struct sieve_action_exec_env *aenv,
	   const struct deputy_config *config,
	   const struct deputy_vacation *vac)
{
	const struct sieve_execute_env *eenv = aenv->exec_env;
	const struct sieve_message_data *msgdata = eenv->msgdata;
	const struct smtp_address *mail_from = msgdata->envelope.mail_from;
	const struct smtp_address *rcpt_to, *orcpt = NULL;
	const char *sender, *rcpt, *orig = NULL;
	const char *const *argv;
	struct deputy_reader rd;
	struct child_reader reader;
	struct child_result res;
	struct istream *input;
	bool cut = FALSE;
	int ret;

	rcpt_to = sieve_message_get_final_recipient(aenv->msgctx);
	if (rcpt_to == NULL) {
		sieve_result_global_warning(aenv, "sieve_deputy: no "
			"envelope recipient; deputy-lda not run");
		return;
	}
	if (msgdata->envelope.rcpt_params != NULL)
		orcpt = deputy_orig_rcpt(eenv->svinst, rcpt_to,
			msgdata->envelope.rcpt_params->orcpt.addr);
	sender = smtp_address_isnull(mail_from) ? "" :
		smtp_address_encode(mail_from);
	rcpt = smtp_address_encode(rcpt_to);
	if (orcpt != NULL)
		orig = smtp_address_encode(orcpt);

	if (mail_get_stream(msgdata->mail, NULL, NULL, &input) < 0) {
		sieve_result_global_error(aenv, "sieve_deputy: cannot "
			"read the message: %s (message kept; deputy did not "
			"handle the vacation)",
			mailbox_get_last_internal_error(
				msgdata->mail->box, NULL));
		return;
	}
	argv = deputy_argv(config, vac, sender, orig, rcpt, &cut);
	if (cut) {
		sieve_result_global_warning(aenv, "sieve_deputy: a "
			"vacation text was cut to its size limit, or an "
			"overlong :from dropped");
	}
	/* A view of our own on the shared mail stream. */
	rd.input = i_stream_create_limit(input, UOFF_T_MAX);
	reader.next = deputy_reader_next;
	reader.consume = deputy_reader_consume;
	reader.ctx = &rd;
	/* Polling for the exit, not a pidfd: dovecot-lda runs under
	 * valgrind in the tests, and 3.19 does not know pidfd_open. */
	ret = child_run(argv, &reader, config->timeout, CHILD_NO_PIDFD, &res);
	i_stream_unref(&rd.input);

	deputy_log_outcome(aenv, config, sender, rcpt, ret, &res);
	if (ret == 0)
		eenv->exec_status->significant_action_executed = TRUE;
}

/* deputy_act_commit - run deputy-lda once for the message; always
 * succeeds, so that the keep (or other actions) proceed */
int
deputy_act_commit(const struct sieve_action_exec_env *aenv,
		  void *tr_context ATTR_UNUSED)
{
	const struct sieve_execute_env *eenv = aenv->exec_env;
	const struct sieve_action *action = aenv->action;
	const struct deputy_config *config = action->ext->context;
	const struct deputy_vacation *vac = action->context;

	if ((eenv->flags & SIEVE_EXECUTE_FLAG_SKIP_RESPONSES) != 0) {
		sieve_result_global_log(aenv, "sieve_deputy: vacation not "
			"handed to deputy: responses are off here");
		return SIEVE_EXEC_OK;
	}
	if (config == NULL || vac == NULL) {
		sieve_result_global_error(aenv, "sieve_deputy: no "
			"settings or action context (message kept)");
		return SIEVE_EXEC_OK;
	}
	T_BEGIN {
		deputy_run(aenv, config, vac);
	} T_END;
	return SIEVE_EXEC_OK;
}
