/*
 * NAME
 *	ctl-explain - deputyctl explain: what deputy-lda would do with a message
 * SUMMARY
 *	The message comes on standard input (bounded) and goes to the
 *	engine deciding only (ENGINE_EXPLAIN), the run deputy-lda makes,
 *	so the answer cannot differ from a delivery. The envelope sender is
 *	--from (in any form -f takes: MAILER-DAEMON and <> are the null
 *	sender), else the message's Return-Path, else its first From
 *	address (read with GMime). The text and the --json output are the
 *	engine's record, written by record.c, the writer of the log line.
 * DIAGNOSTICS
 *	CTL_OK; a bad message or argument is CTL_USAGE; a failure of the
 *	run gets the deputyctl status of its class (fail.h).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "ctl.h"
#include "engine.h"
#include "envelope.h"
#include "facts.h"
#include "fail.h"
#include "record.h"
#include "spool.h"

#define CTL_MESSAGE_MAX		(64 * 1024 * 1024)

/* ctl_read_stdin - the message, bounded */
static int
ctl_read_stdin(GString *buf)
{
	char	chunk[65536];
	ssize_t	n;

	for (;;) {
		n = read(0, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (buf->len + (size_t)n > CTL_MESSAGE_MAX)
			return -1;
		g_string_append_len(buf, chunk, n);
	}
}

/* ctl_first_mailbox - the address of the first mailbox of LIST, or NULL */
static char *
ctl_first_mailbox(InternetAddressList *list)
{
	InternetAddress *ia;

	if (list == NULL || internet_address_list_length(list) == 0)
		return NULL;
	ia = internet_address_list_get_address(list, 0);
	if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
		return NULL;
	return g_strdup(internet_address_mailbox_get_addr(
	    INTERNET_ADDRESS_MAILBOX(ia)));
}

/*
 * ctl_message_sender - Return-Path, else the first From address
 *
 * GMime parses the header (folding, encoded words, comments); "" for
 * a null Return-Path ("<>"), NULL when the message names no sender.
 */
static char *
ctl_message_sender(const GString *msg)
{
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *message;
	const char *rp;
	char   *out = NULL;

	stream = g_mime_stream_mem_new_with_buffer(msg->str, msg->len);
	parser = g_mime_parser_new_with_stream(stream);
	message = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	if (message == NULL)
		return NULL;
	rp = g_mime_object_get_header(GMIME_OBJECT(message), "Return-Path");
	if (rp != NULL) {
		InternetAddressList *list = internet_address_list_parse(NULL,
									rp);

		out = ctl_first_mailbox(list);
		if (out == NULL)
			out = g_strdup("");	/* <>: the null sender */
		if (list != NULL)
			g_object_unref(list);
	} else {
		out = ctl_first_mailbox(g_mime_message_get_from(message));
	}
	g_object_unref(message);
	return out;
}

/* ctl_cmd_explain - what deputy-lda would do with the message on stdin */
int
ctl_cmd_explain(struct ctl *c)
{
	const struct ctl_args *a = c->args;
	struct engine_request req;
	struct engine_result res;
	struct engine *engine = NULL;
	struct spool spool;
	struct dir_entry *e = NULL;
	const char *rcpts[2] = { NULL, NULL };
	enum fail_class class = FAIL_NONE;
	const char *why = NULL;
	GString *msg;
	char   *sender = NULL, *error = NULL;
	int	rc;

	memset(&res, 0, sizeof(res));
	spool.fd = -1;
	spool.sum = NULL;
	facts_init();
	if (ctl_user_arg(c, NULL, a->pos[0], &e, &rc) != 1)
		return rc;
	msg = g_string_new(NULL);
	if (ctl_read_stdin(msg) < 0) {
		rc = ctl_usage("stdin", "cannot read the message (or larger "
		    "than %d bytes)", CTL_MESSAGE_MAX);
		goto out;
	}
	if (msg->len == 0) {
		rc = ctl_usage("stdin", "no message (explain USER < "
		    "message.eml)");
		goto out;
	}
	/* --from in every form deputy-lda's -f takes (MAILER-DAEMON, <>) */
	if (a->from != NULL) {
		/*
		 * Taken as deputy-lda takes -f, so the engine's verdict is
		 * the delivery's (a sender it cannot answer is a reason,
		 * not an error); only what no MTA hands on is refused.
		 */
		const char *p;

		for (p = a->from; *p != '\0'; p++)
			if ((unsigned char)*p < ' ' || *p == 0x7f)
				break;
		if (*p != '\0') {
			rc = ctl_usage2("--from", a->from,
			    "has a control character");
			goto out;
		}
		sender = envelope_sender(a->from);
	} else if ((sender = ctl_message_sender(msg)) == NULL) {
		sender = g_strdup("");
	}
	if (a->client != NULL && !g_hostname_is_ip_address(a->client)) {
		rc = ctl_usage2("--client", a->client, "not an IP address");
		goto out;
	}
	if (spool_open(NULL, &spool, &error) != 0 ||
	    spool_write(&spool, msg->str, msg->len, &error) != 0 ||
	    spool_finish(&spool, &error) != 0) {
		rc = ctl_usage("stdin", "cannot keep the message: %s", error);
		goto out;
	}
	if (engine_open(a->config, ENGINE_EXPLAIN, &engine, &class,
	    &error) != 0) {
		rc = fail_info(class)->ctl_exit == CTL_USAGE ?
		    ctl_usage(a->config != NULL ? a->config :
		    conf_default_path(), "%s", error) :
		    ctl_unreachable(e->mail, error);
		goto out;
	}
	rcpts[0] = e->mail;
	memset(&req, 0, sizeof(req));
	req.sender = sender;
	req.client = a->client;
	req.recipients = rcpts;
	req.explain = 1;
	req.now = c->now;
	if (engine_run(engine, &spool, &req, &res, &class, &error) != 0 ||
	    (class = engine_result_fail(&res, &why)) != FAIL_NONE) {
		const char *text = error != NULL ? error : why;

		rc = fail_info(class)->ctl_exit == CTL_USAGE ?
		    ctl_usage(e->mail, "%s", text) :
		    ctl_unreachable(e->mail, text);
		goto out;
	}
	if (a->json) {
		char *json = record_json(&res.message, &res.records[0], 1);

		fprintf(c->out, "%s\n", json);
		g_free(json);
	} else {
		fprintf(c->out, "sender: %s\n", *sender != '\0' ?
		    ctl_esc(sender) : "<>");
		record_explain(&res.message, &res.records[0], c->out);
	}
	rc = CTL_OK;
out:
	engine_result_clear(&res);
	engine_close(&engine);
	spool_close(&spool);
	g_free(sender);
	g_free(error);
	g_string_free(msg, TRUE);
	dir_entry_free(&e);
	return rc;
}
