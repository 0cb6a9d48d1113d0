/*
 * test-facts - what facts_parse() extracts from small hostile and
 * ordinary messages
 */

#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "facts.h"
#include "tap.h"

enum check {
	C_PARSED, C_UNPARSED, C_FROM_COUNT, C_RCPT_HAS, C_AUTO, C_NO_AUTO,
	C_PREC, C_LIST, C_ARS, C_NO_ARS, C_REPORT, C_AUTOREPLY, C_NO_AUTOREPLY,
	C_BOUNCE, C_NO_BOUNCE, C_CHALLENGE, C_LOOP_HAS, C_DELIVERED_HAS,
	C_RECEIVED, C_SUBJECT, C_MSGID,
};

struct row {
	const char *name;
	const char *text;
	enum check check;
	const char *arg;
	int num;
};

#define HDR "From: Bob <bob@example.com>\nTo: alice@example.org\n"

static const struct row rows[] = {
	{ "plain", HDR "Subject: hi\n\nbody\n", C_PARSED, NULL, 0 },
	{ "plain from", HDR "Subject: hi\n\nbody\n", C_FROM_COUNT, NULL, 1 },
	{ "plain to", HDR "\nbody\n", C_RCPT_HAS, "alice@example.org", 0 },
	{ "empty input", "", C_UNPARSED, NULL, 0 },
	{ "body only", "\n\njust text\n", C_UNPARSED, NULL, 0 },
	{ "two From", "From: a@x.org, b@y.org\nTo: c@z.org\n\nx\n", C_FROM_COUNT, NULL, 2 },
	{ "group From", "From: team: a@x.org, b@x.org;\n\nx\n", C_FROM_COUNT, NULL, 2 },
	{ "Cc and Resent-To", HDR "Cc: Carol <Carol@Example.ORG>\nResent-To: d@example.org\n\nx\n",
	  C_RCPT_HAS, "carol@example.org", 0 },
	{ "Resent-Cc", HDR "Resent-Cc: e@example.org\n\nx\n", C_RCPT_HAS, "e@example.org", 0 },
	{ "CRLF message", "From: bob@example.com\r\nTo: alice@example.org\r\nSubject: crlf\r\n\r\nx\r\n",
	  C_SUBJECT, "crlf", 0 },
	{ "mbox From line", "From bob@example.com Mon Jan  1 00:00:00 2024\n" HDR "Subject: mbox\n\nx\n",
	  C_SUBJECT, "mbox", 0 },
	{ "Auto-Submitted yes", HDR "Auto-Submitted: auto-replied (vacation)\n\nx\n", C_AUTO, NULL, 0 },
	{ "Auto-Submitted no", HDR "Auto-Submitted: no\n\nx\n", C_NO_AUTO, NULL, 0 },
	{ "Auto-Submitted No; comment", HDR "Auto-Submitted: No (person)\n\nx\n", C_NO_AUTO, NULL, 0 },
	{ "Precedence junk", HDR "Precedence: JUNK\n\nx\n", C_PREC, NULL, 0 },
	{ "Precedence first-class", HDR "Precedence: first-class\n\nx\n", C_NO_AUTO, NULL, 0 },
	{ "List-Unsubscribe", HDR "List-Unsubscribe: <mailto:u@x.org>\n\nx\n", C_LIST, "List-Unsubscribe", 0 },
	{ "X-Auto-Response-Suppress list", HDR "X-Auto-Response-Suppress: DR, OOF,\tRN\n\nx\n", C_ARS, NULL, 0 },
	{ "X-Auto-Response-Suppress RN only", HDR "X-Auto-Response-Suppress: RN, NRN\n\nx\n", C_NO_ARS, NULL, 0 },
	{ "multipart/report", HDR "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\nContent-Type: text/plain\n\nfail\n--b\nContent-Type: message/delivery-status\n\nAction: failed\n--b--\n",
	  C_REPORT, NULL, 0 },
	{ "nested delivery-status", HDR "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nfail\n--b\nContent-Type: message/delivery-status\n\nAction: failed\n--b--\n",
	  C_BOUNCE, NULL, 0 },
	{ "out of office subject", HDR "Subject: Out of Office: re your mail\n\nx\n", C_AUTOREPLY, NULL, 0 },
	{ "encoded auto-reply subject", HDR "Subject: =?utf-8?q?Automatische_Antwort=3A_Hallo?=\n\nx\n", C_AUTOREPLY, NULL, 0 },
	{ "AUTO: prefix", HDR "Subject: AUTO: Smith is out\n\nx\n", C_AUTOREPLY, NULL, 0 },
	{ "X-Autoreply header", HDR "X-Autoreply: yes\n\nx\n", C_AUTOREPLY, NULL, 0 },
	{ "ordinary subject", HDR "Subject: Office party on Friday\n\nx\n", C_NO_AUTOREPLY, NULL, 0 },
	{ "undeliverable subject", HDR "Subject: Undeliverable: hello\n\nx\n", C_BOUNCE, NULL, 0 },
	{ "MAILER-DAEMON From", "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n\nx\n", C_BOUNCE, NULL, 0 },
	{ "ordinary is no bounce", HDR "Subject: lunch?\n\nx\n", C_NO_BOUNCE, NULL, 0 },
	{ "Bluebottle challenge", HDR "X-Bluebottle-Request: <1>\n\nx\n", C_CHALLENGE, NULL, 0 },
	{ "boxbe sender", "From: noreply@boxbe.com\nTo: a@b.org\n\nx\n", C_CHALLENGE, NULL, 0 },
	{ "loop marker", HDR "X-Deputy-Loop: alice@example.org\n\nx\n", C_LOOP_HAS, "alice@example.org", 0 },
	{ "Delivered-To", "Delivered-To: Bob@Example.org\n" HDR "\nx\n", C_DELIVERED_HAS, "bob@example.org", 0 },
	{ "Received count", "Received: a\nReceived: b\nReceived: c\n" HDR "\nx\n", C_RECEIVED, NULL, 3 },
	{ "CRLF in encoded subject is neutralised", HDR "Subject: =?utf-8?q?a=0D=0ABcc=3A_x=40y?=\n\nx\n", C_SUBJECT, "a  Bcc: x@y", 0 },
	{ "Message-ID", HDR "Message-ID: <abc@example.com>\n\nx\n", C_MSGID, "abc@example.com", 0 },
	{ "NUL bytes survive", "From: bob@example.com\nSubject: a\0b\n\nx\0y\n", C_PARSED, NULL, 0 },
};

/* has - whether LIST holds S */
static int
has(const struct dir_strings *list, const char *s)
{
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->values[i], s) == 0)
			return 1;
	return 0;
}

/* row_len - length of a row's text, NULs included for the NUL row */
static size_t
row_len(const struct row *r)
{
	if (strcmp(r->name, "NUL bytes survive") == 0)
		return sizeof("From: bob@example.com\nSubject: a\0b\n\nx\0y\n") - 1;
	return strlen(r->text);
}

int
main(void)
{
	struct facts_settings set = { "X-Deputy-Loop", NULL };

	facts_init();
	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		const struct row *r = &rows[i];
		char path[] = "/tmp/deputy-test-facts.XXXXXX";
		int fd = mkstemp(path);
		struct facts *f = NULL;
		char *err = NULL;
		int ok = 0;

		if (fd < 0 || write(fd, r->text, row_len(r)) != (ssize_t)row_len(r))
			abort();
		unlink(path);
		if (facts_parse(fd, &set, &f, &err) != 0) {
			tap_ok(0, "%s: facts_parse failed: %s", r->name, err);
			g_free(err);
			close(fd);
			continue;
		}
		switch (r->check) {
		case C_PARSED: ok = f->parsed; break;
		case C_UNPARSED: ok = !f->parsed; break;
		case C_FROM_COUNT: ok = f->from.count == (size_t)r->num; break;
		case C_RCPT_HAS: ok = has(&f->recipients, r->arg); break;
		case C_AUTO: ok = f->auto_submitted != NULL; break;
		case C_NO_AUTO: ok = f->auto_submitted == NULL && f->precedence == NULL; break;
		case C_PREC: ok = f->precedence != NULL; break;
		case C_LIST: ok = f->list_header && strcmp(f->list_header, r->arg) == 0; break;
		case C_ARS: ok = f->auto_response_suppress != NULL; break;
		case C_NO_ARS: ok = f->auto_response_suppress == NULL; break;
		case C_REPORT: ok = f->report_type != NULL; break;
		case C_AUTOREPLY: ok = f->autoreply_marker != NULL; break;
		case C_NO_AUTOREPLY: ok = f->autoreply_marker == NULL; break;
		case C_BOUNCE: ok = f->bounce_marker != NULL; break;
		case C_NO_BOUNCE: ok = f->bounce_marker == NULL; break;
		case C_CHALLENGE: ok = f->challenge_marker != NULL; break;
		case C_LOOP_HAS: ok = has(&f->loop_markers, r->arg); break;
		case C_DELIVERED_HAS: ok = has(&f->delivered_to, r->arg); break;
		case C_RECEIVED: ok = f->received_count == (unsigned int)r->num; break;
		case C_SUBJECT: ok = f->subject && strcmp(f->subject, r->arg) == 0; break;
		case C_MSGID: ok = f->message_id && strcmp(f->message_id, r->arg) == 0; break;
		}
		tap_ok(ok, "%s", r->name);
		if (!ok && f->subject)
			tap_diag("subject was \"%s\"", f->subject);
		facts_free(&f);
		close(fd);
	}
	return tap_done();
}
