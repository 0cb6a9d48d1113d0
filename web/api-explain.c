/*
 * NAME
 *	api-explain - what deputy would do with a pasted message
 * SUMMARY
 *	POST /api/explain {id, message, sender, client} runs the engine in
 *	explain mode, as deputyctl explain does: the message is spooled in
 *	memory, engine_run() decides for the person and changes nothing
 *	(no delivery, no forward, no notice, no state), and the answer is
 *	record_json()'s record and record_explain()'s text. The sender is
 *	the one given, else the message's Return-Path, else its first From
 *	address (GMime), as deputyctl explain takes it.
 *
 *	The person is looked up with the session's identity first, so the
 *	page explains only for people the helpdesk person may see; the
 *	engine itself reads the directory as deputy-lda does, with the
 *	directory section's identity.
 * DIAGNOSTICS
 *	400 for a bad sender or client address or an empty message, 503
 *	when the engine cannot run (its directory, its configuration).
 * SECURITY
 *	The message is the sender's text, pasted: it is parsed by the
 *	engine's bounded parser and only reaches the page as JSON strings,
 *	which the page shows as text.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>

#include <gmime/gmime.h>
#include <microhttpd.h>

#include "dir-chain.h"
#include "engine.h"
#include "facts.h"
#include "log.h"
#include "spool.h"
#include "web.h"

/* web_message_sender - Return-Path, else the first From address */
static char *
web_message_sender(const char *text, size_t len)
{
	GMimeStream *st;
	GMimeParser *p;
	GMimeMessage *m;
	InternetAddressList *from;
	const char *rp;
	char   *out = NULL;

	facts_init();
	st = g_mime_stream_mem_new_with_buffer(text, len);
	p = g_mime_parser_new_with_stream(st);
	g_object_unref(st);
	m = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	if (m == NULL)
		return NULL;
	rp = g_mime_object_get_header(GMIME_OBJECT(m), "Return-Path");
	if (rp != NULL) {
		const char *lt = strchr(rp, '<'), *gt = strrchr(rp, '>');

		out = lt != NULL && gt != NULL && gt > lt
		    ? g_strndup(lt + 1, (gsize)(gt - lt - 1)) : g_strdup(rp);
		g_strstrip(out);
	} else if ((from = g_mime_message_get_from(m)) != NULL
		   && internet_address_list_length(from) > 0) {
		InternetAddress *ia = internet_address_list_get_address(from,
									0);

		if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			out = g_strdup(internet_address_mailbox_get_addr(
			    INTERNET_ADDRESS_MAILBOX(ia)));
	}
	g_object_unref(m);
	return out;
}

/* web_engine - the engine in explain mode, opened once */
static struct engine *
web_engine(struct web_req *r, char **error_r)
{
	struct web *w = r->web;
	enum fail_class class = FAIL_NONE;

	if (w->engine == NULL) {
		if (engine_open(w->config_path, ENGINE_EXPLAIN, &w->engine,
				&class, error_r) != 0)
			w->engine = NULL;
		/* engine_open() logs to syslog in explain mode: ours again */
		log_close();
		log_open("deputy-web", w->conf->log_facility,
			 w->conf->log_file);
		if (w->engine == NULL)
			return NULL;
	}
	engine_refresh(w->engine);
	return w->engine;
}

/* web_api_explain - the decision record of a pasted message */
void
web_api_explain(struct web_req *r)
{
	const char *id, *message, *sender_in, *client;
	struct engine_request req;
	struct engine_result res;
	struct engine *engine;
	struct spool spool;
	struct dir_entry *e = NULL;
	const char *rcpts[2] = { NULL, NULL };
	enum fail_class class = FAIL_NONE;
	const char *why = NULL;
	JsonParser *parser = NULL;
	JsonBuilder *b;
	char   *sender = NULL, *error = NULL, *json = NULL, *text = NULL;
	size_t	tlen = 0;
	FILE   *mem;

	memset(&res, 0, sizeof(res));
	spool.fd = -1;
	spool.sum = NULL;
	if (web_field(r, "id", WEB_FIELD_MAX, &id) < 0
	    || web_field(r, "message", WEB_BODY_MAX, &message) < 0
	    || web_field(r, "sender", 320, &sender_in) < 0
	    || web_field(r, "client", 64, &client) < 0)
		return;
	if (*message == '\0') {
		web_error(r, MHD_HTTP_BAD_REQUEST, "message", "paste a "
		    "message, header and body");
		return;
	}
	if (*client != '\0' && !g_hostname_is_ip_address(client)) {
		web_error(r, MHD_HTTP_BAD_REQUEST, "client", "client: not an "
		    "IP address");
		return;
	}
	if (web_user(r, id, &e) != 1)
		return;
	if (*sender_in != '\0')
		sender = g_strdup(sender_in);
	else if ((sender = web_message_sender(message,
					      strlen(message))) == NULL)
		sender = g_strdup("");
	if (*sender != '\0' && strcmp(sender, "<>") != 0
	    && !dir_chain_address_ok(sender)) {
		web_error(r, MHD_HTTP_BAD_REQUEST, "sender", "sender '%s': "
		    "not a mail address", sender);
		goto out;
	}
	if (spool_open(NULL, &spool, &error) != 0
	    || spool_write(&spool, message, strlen(message), &error) != 0
	    || spool_finish(&spool, &error) != 0) {
		web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "message",
		    "cannot keep the message: %s", error);
		goto out;
	}
	if ((engine = web_engine(r, &error)) == NULL) {
		web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "the engine "
		    "cannot start: %s", error);
		goto out;
	}
	rcpts[0] = e->mail;
	memset(&req, 0, sizeof(req));
	req.sender = sender;
	req.client = *client != '\0' ? client : NULL;
	req.recipients = rcpts;
	req.explain = 1;
	req.now = r->now;
	if (engine_run(engine, &spool, &req, &res, &class, &error) != 0
	    || (class = engine_result_fail(&res, &why)) != FAIL_NONE) {
		web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "the engine "
		    "could not decide (%s): %s", fail_name(class),
		    error != NULL ? error : why);
		goto out;
	}
	json = record_json(&res.message, &res.records[0], 0);
	mem = open_memstream(&text, &tlen);
	if (mem != NULL) {
		fprintf(mem, "sender: %s\n", *sender != '\0' ? sender : "<>");
		record_explain(&res.message, &res.records[0], mem);
		fclose(mem);
	}
	parser = json_parser_new();
	if (!json_parser_load_from_data(parser, json, -1, NULL)) {
		web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "the record "
		    "is not JSON");
		goto out;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	web_json_str(b, "user", e->mail);
	web_json_str(b, "sender", *sender != '\0' ? sender : "<>");
	json_builder_set_member_name(b, "record");
	json_builder_add_value(b, json_node_copy(
	    json_parser_get_root(parser)));
	web_json_str(b, "text", text);
	json_builder_end_object(b);
	web_reply(r, MHD_HTTP_OK, b);
out:
	if (parser != NULL)
		g_object_unref(parser);
	free(text);
	g_free(json);
	engine_result_clear(&res);
	spool_close(&spool);
	g_free(sender);
	g_free(error);
	dir_entry_free(&e);
}
