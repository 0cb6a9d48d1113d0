/*
 * NAME
 *	ctl-explain - deputyctl explain: what deputy-lda would do with a message
 * SUMMARY
 *	The message comes on standard input (bounded) and goes to
 *	lda_run() with explain set, the same run deputy-lda makes, so the
 *	answer cannot differ from a delivery. The envelope sender is
 *	--from, else the message's Return-Path, else its first From
 *	address (read with GMime). With --json, the explain text of
 *	lda_run() is turned into JSON here.
 * DIAGNOSTICS
 *	CTL_OK; a bad message or argument is CTL_USAGE, a configuration
 *	the engine refuses (DSN 4.3.5) CTL_USAGE, every other failure of
 *	the run CTL_UNREACHABLE.
 * BUGS
 *	ctl_explain_json() parses the engine's explain text back into
 *	JSON, and the exit status is chosen by the DSN string: both wait
 *	for the engine's decision record and failure classes.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/mman.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "addr.h"
#include "ctl.h"
#include "facts.h"
#include "lda.h"

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

/* ctl_explain_json - the text record of lda_explain() as JSON */
static void
ctl_explain_json(const char *text, FILE *out)
{
	struct ctl_json j;
	char  **lines, **l;
	int	in_gate = 0;

	ctl_json_init(&j);
	ctl_json_begin(&j, NULL, 0);
	lines = g_strsplit(text, "\n", -1);
	for (l = lines; *l != NULL; l++) {
		char   *line = *l, *colon;

		if (*line == '\0')
			continue;
		if (g_str_has_prefix(line, "    ") && in_gate) {
			char  **f = g_strsplit_set(g_strstrip(line), " ", 2);

			ctl_json_begin(&j, NULL, 0);
			ctl_json_str(&j, "rule", f[0]);
			if (f[1] != NULL) {
				char   *rest = g_strstrip(f[1]);
				char  **g = g_strsplit(rest, "  ", 2);

				ctl_json_str(&j, "verdict", g[0]);
				if (g[1] != NULL)
					ctl_json_str(&j, "detail",
					    g_strstrip(g[1]));
				g_strfreev(g);
			}
			ctl_json_end(&j, 0);
			g_strfreev(f);
			continue;
		}
		if (in_gate) {
			ctl_json_end(&j, 1);
			in_gate = 0;
		}
		colon = strchr(line, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		g_strstrip(line);
		if (strcmp(line, "gate") == 0) {
			ctl_json_begin(&j, "gate", 1);
			in_gate = 1;
			continue;
		}
		ctl_json_str(&j, line, g_strstrip(colon + 1));
	}
	if (in_gate)
		ctl_json_end(&j, 1);
	g_strfreev(lines);
	ctl_json_end(&j, 0);
	ctl_json_print(&j, out);
}

/* ctl_cmd_explain - what deputy-lda would do with the message on stdin */
int
ctl_cmd_explain(struct ctl *c)
{
	const struct ctl_args *a = c->args;
	struct lda_options opt;
	struct dir_entry *e = NULL;
	const char *rcpts[2] = { NULL, NULL };
	const char *dsn = NULL;
	GString *msg;
	char   *sender = NULL, *error = NULL, *record = NULL;
	size_t	record_len = 0;
	FILE   *rec = NULL;
	int	fd = -1, rc;

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
	if (a->from != NULL)
		sender = g_strdup(a->from);
	else if ((sender = ctl_message_sender(msg)) == NULL)
		sender = g_strdup("");
	if (*sender != '\0' && strcmp(sender, "<>") != 0
	    && !addr_is_safe(sender)) {
		rc = ctl_usage2(a->from != NULL ? "--from" : "sender", sender,
		    "not a mail address");
		goto out;
	}
	if (a->client != NULL && !g_hostname_is_ip_address(a->client)) {
		rc = ctl_usage2("--client", a->client, "not an IP address");
		goto out;
	}
	fd = memfd_create("deputyctl-explain", MFD_CLOEXEC);
	if (fd < 0 || write(fd, msg->str, msg->len) != (ssize_t)msg->len
	    || lseek(fd, 0, SEEK_SET) != 0) {
		rc = ctl_usage("stdin", "cannot keep the message: %s",
		    g_strerror(errno));
		goto out;
	}
	rcpts[0] = e->mail;
	memset(&opt, 0, sizeof(opt));
	opt.config_path = a->config;
	opt.sender = sender;
	opt.client = a->client;
	opt.recipients = rcpts;
	opt.explain = 1;
	opt.input_fd = fd;
	opt.now = c->now;
	if (a->json) {
		rec = open_memstream(&record, &record_len);
		fprintf(rec, "sender: %s\n", *sender != '\0' ? sender : "<>");
		opt.explain_out = rec;
	} else {
		opt.explain_out = c->out;
	}
	if (!a->json)
		fprintf(c->out, "sender: %s\n", *sender != '\0'
		    ? ctl_esc(sender) : "<>");
	if (lda_run(&opt, &dsn, &error) != 0) {
		if (dsn != NULL && strcmp(dsn, "4.3.5") == 0)
			rc = ctl_usage(a->config != NULL ? a->config
			    : conf_default_path(), "%s", error);
		else
			rc = ctl_unreachable(e->mail, error);
		goto out;
	}
	if (rec != NULL) {
		fclose(rec);
		rec = NULL;
		ctl_explain_json(record, c->out);
	}
	rc = CTL_OK;
out:
	if (rec != NULL)
		fclose(rec);
	free(record);
	if (fd >= 0)
		close(fd);
	g_free(sender);
	g_free(error);
	g_string_free(msg, TRUE);
	dir_entry_free(&e);
	return rc;
}
