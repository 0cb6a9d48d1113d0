/*
 * test-facts - what facts_parse() extracts from small hostile and
 * ordinary messages: a table of messages, then messages made here that
 * pass one cap each (MIME parts, depth, header fields and bytes), and
 * the same shapes just under the caps.
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
	C_RECEIVED, C_SUBJECT, C_MSGID, C_NO_REPORT, C_REPORT_IS,
	C_TEXT_CHALLENGE, C_NO_CHALLENGE, C_OVERSIZED, C_NOT_OVERSIZED,
};

struct row {
	const char *name;
	const char *text;
	enum check check;
	const char *arg;
	int num;
};

#define HDR "From: Bob <bob@example.com>\nTo: alice@example.org\n"
#define MIME "MIME-Version: 1.0\n"
#define MIXED MIME "Content-Type: multipart/mixed; boundary=b\n\n"

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
	{ "AUTO: Lotus Notes", HDR "Subject: AUTO: Smith, John is out of the office. (returning 05/01/2010)\n\nx\n",
	  C_AUTOREPLY, NULL, 0 },
	{ "AUTO: Notes, German", HDR "Subject: AUTO: Hans Meier ist abwesend (Rückkehr am 04.01.2027)\n\nx\n",
	  C_AUTOREPLY, NULL, 0 },
	/* issue 19: a German car offer is not an auto-reply */
	{ "Auto: a car offer", HDR "Subject: Auto: Angebot fuer den Kombi\n\nGuten Tag\n", C_NO_AUTOREPLY, NULL, 0 },
	{ "Precedence auto_reply", HDR "Subject: Re: hello\nPrecedence: auto_reply\n\nx\n", C_AUTOREPLY, NULL, 0 },
	{ "Precedence auto-reply", HDR "Precedence: Auto-Reply\n\nx\n", C_AUTOREPLY, NULL, 0 },
	{ "Precedence auto_reply is no bulk", HDR "Precedence: auto_reply\n\nx\n", C_NO_AUTO, NULL, 0 },
	{ "X-Autoreply header", HDR "X-Autoreply: yes\n\nx\n", C_AUTOREPLY, NULL, 0 },
	{ "ordinary subject", HDR "Subject: Office party on Friday\n\nx\n", C_NO_AUTOREPLY, NULL, 0 },
	{ "undeliverable subject", HDR "Subject: Undeliverable: hello\n\nx\n", C_BOUNCE, NULL, 0 },
	{ "MAILER-DAEMON From", "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n\nx\n", C_BOUNCE, NULL, 0 },
	/* issue 19: post_master@, subject "Re: " and the original's */
	{ "post_master@ with Re:", "From: post_master@mail.example.net\nTo: bob@example.com\n"
	  "Subject: Re: Angebot\n\nYour mail could not be delivered to alice.\n", C_BOUNCE, NULL, 0 },
	/* issue 19: Apache James (2.3) bounces with its own words */
	{ "Apache James bounce", "Return-Path: <mailadmin@mail.example.net>\n"
	  "Received: from localhost ([127.0.0.1])\n by mail.example.net (JAMES SMTP Server 2.3.2) with SMTP ID 874\n"
	  " for <bob@example.com>; Thu, 8 Jan 2015 11:27:01 -0500 (EST)\n"
	  "Message-ID: <19262980.2.1420734423735.JavaMail.root@mail.example.net>\n"
	  "Date: Thu, 8 Jan 2015 11:27:01 -0500 (EST)\n"
	  "From: mailadmin@mail.example.net\nTo: bob@example.com\nSubject: [BOUNCE]\n" MIME
	  "Content-Type: multipart/mixed; boundary=\"----=_Part_1_2\"\n\n"
	  "------=_Part_1_2\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n"
	  "Hi. This is the James mail server at mail.example.net.\n"
	  "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
	  "This is a permanent error; I've given up. Sorry it didn't work out.\n"
	  "Below I include the list of recipients and the reason why I was unable to deliver your message.\n\n"
	  "Failed recipient(s):\nnobody@example.org\n\nError message:\n550 5.1.1 unknown user\n\n"
	  "------=_Part_1_2\nContent-Type: message/rfc822\n\nFrom: bob@example.com\nSubject: hi\n\nhi\n"
	  "------=_Part_1_2--\n", C_BOUNCE, NULL, 0 },
	{ "qmail bounce by its words", "From: someone@mail.example.net\nTo: bob@example.com\nSubject: hello\n\n"
	  "Hi. This is the qmail-send program at mail.example.net.\n"
	  "I'm afraid I wasn't able to deliver your message to the following addresses.\n", C_BOUNCE, NULL, 0 },
	{ "a forwarded qmail bounce is personal", HDR "Subject: Fwd: look at this\n\n"
	  "Can you look at this? It came back.\n\n"
	  "Hi. This is the qmail-send program at mail.example.net.\n", C_NO_BOUNCE, NULL, 0 },
	{ "ordinary is no bounce", HDR "Subject: lunch?\n\nx\n", C_NO_BOUNCE, NULL, 0 },
	{ "Bluebottle challenge", HDR "X-Bluebottle-Request: <1>\n\nx\n", C_CHALLENGE, NULL, 0 },
	{ "boxbe sender", "From: noreply@boxbe.com\nTo: a@b.org\n\nx\n", C_CHALLENGE, NULL, 0 },
	/* issue 19: fml's "Loop Alert" comes from a list */
	{ "fml Loop Alert", "From: elena-admin@ml.example.org\nTo: elena-admin@ml.example.org\n"
	  "Subject: Loop Alert: elena ML\nX-MLServer: fml [fml 4.0.3 release (20011202/4.0.3)]\n"
	  "X-ML-Info: If you have a question, please contact elena-admin@ml.example.org\n\n"
	  "fml has detected a loop condition so that\ninput mail has not been distributed.\n",
	  C_LIST, "X-MLServer", 0 },
	{ "loop marker", HDR "X-Deputy-Loop: alice@example.org\n\nx\n", C_LOOP_HAS, "alice@example.org", 0 },
	{ "Delivered-To", "Delivered-To: Bob@Example.org\n" HDR "\nx\n", C_DELIVERED_HAS, "bob@example.org", 0 },
	{ "Received count", "Received: a\nReceived: b\nReceived: c\n" HDR "\nx\n", C_RECEIVED, NULL, 3 },
	{ "CRLF in encoded subject is neutralised", HDR "Subject: =?utf-8?q?a=0D=0ABcc=3A_x=40y?=\n\nx\n", C_SUBJECT, "a  Bcc: x@y", 0 },
	{ "Message-ID", HDR "Message-ID: <abc@example.com>\n\nx\n", C_MSGID, "abc@example.com", 0 },
	{ "NUL bytes survive", "From: bob@example.com\nSubject: a\0b\n\nx\0y\n", C_PARSED, NULL, 0 },

	/* MIME shapes, as GMime's parser reads them */
	{ "report after ten parts", HDR MIXED
	  "--b\n\n1\n--b\n\n2\n--b\n\n3\n--b\n\n4\n--b\n\n5\n--b\n\n6\n--b\n\n7\n--b\n\n8\n--b\n\n9\n--b\n\n10\n"
	  "--b\nContent-Type: message/disposition-notification\n\nx\n--b--\n",
	  C_REPORT_IS, "disposition-notification", 0 },
	{ "report three levels down", HDR MIXED "--b\nContent-Type: multipart/alternative; boundary=c\n\n"
	  "--c\nContent-Type: multipart/related; boundary=d\n\n--d\nContent-Type: message/feedback-report\n\nx\n"
	  "--d--\n--c--\n--b--\n", C_REPORT_IS, "feedback-report", 0 },
	{ "report inside an attached message: not opened", HDR MIXED "--b\nContent-Type: message/rfc822\n\n"
	  "From: x@y.org\nContent-Type: multipart/report; boundary=r\n\n--r\nContent-Type: message/delivery-status\n\n"
	  "Action: failed\n--r--\n--b--\n", C_NO_REPORT, NULL, 0 },
	{ "report after the closing boundary: an epilogue", HDR MIXED "--b\n\nx\n--b--\n"
	  "--b\nContent-Type: message/delivery-status\n\nAction: failed\n", C_NO_REPORT, NULL, 0 },
	{ "boundary with trailing blanks, CRLF", "From: bob@example.com\r\nTo: alice@example.org\r\nMIME-Version: 1.0\r\n"
	  "Content-Type: multipart/mixed; boundary=\"b b\"\r\n\r\n--b b \t\r\n\r\nx\r\n"
	  "--b b\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n--b b--\r\n",
	  C_REPORT_IS, "delivery-status", 0 },
	{ "a longer boundary is another one", HDR MIXED "--bb\nContent-Type: message/delivery-status\n\nx\n--b--\n",
	  C_NO_REPORT, NULL, 0 },
	{ "an outer boundary closes the inner multipart", HDR MIXED "--b\nContent-Type: multipart/mixed; boundary=c\n\n"
	  "--c\n\nnever closed\n--b\nContent-Type: message/delivery-status\n\nx\n--b--\n",
	  C_REPORT_IS, "delivery-status", 0 },
	{ "digest parts are messages, not text", HDR MIME "Content-Type: multipart/digest; boundary=b\n\n"
	  "--b\n\nFrom: x@y.org\n\nYour message is being held. Click the link below.\n--b--\n",
	  C_NO_CHALLENGE, NULL, 0 },
	{ "RFC 2231 boundary", HDR MIME "Content-Type: multipart/mixed;\n boundary*0=\"ab\"; boundary*1=\"cd\"\n\n"
	  "--abcd\nContent-Type: message/delivery-status\n\nx\n--abcd--\n", C_REPORT_IS, "delivery-status", 0 },
	{ "multipart without boundary: one part", HDR MIME "Content-Type: multipart/mixed\n\n"
	  "--b\nContent-Type: message/delivery-status\n\nx\n", C_NO_REPORT, NULL, 0 },
	{ "header block without an empty line", HDR "Subject: no blank line\nthis is the body\n", C_SUBJECT, "no blank line", 0 },
	{ "ordinary multipart is not oversized", HDR MIXED "--b\n\nx\n--b--\n", C_NOT_OVERSIZED, NULL, 0 },

	/*
	 * Challenge/response challenges told in words only (issue 13,
	 * item 9): from an authenticated, clean sender with no header.
	 */
	{ "challenge: held, click the link", HDR "Subject: Re: your question\n\n"
	  "Hello,\n\nYour message is being held. To verify that you are a human,\n"
	  "please click the link below:\n\nhttps://cr.example.net/v?id=1234\n", C_TEXT_CHALLENGE, NULL, 0 },
	{ "challenge: TMDA-like, reply", HDR "Subject: Re: hello\n\n"
	  "Your message attached below is being held because the address\n<bob@example.com> has not been verified.\n\n"
	  "To release your message for delivery, please send an empty message\nto the following address, "
	  "or use your mailer's \"Reply\" feature.\n", C_TEXT_CHALLENGE, NULL, 0 },
	{ "challenge: approved senders, a link", HDR "Subject: Re: lunch\n\n"
	  "I apologize for this automatic reply to your email. To control spam, I now allow\n"
	  "incoming messages only from senders I have approved beforehand. If you would like\n"
	  "to be added to my list of approved senders, please fill out the short request form\n"
	  "(see link below): http://cr.example.net/request?k=1\n", C_TEXT_CHALLENGE, NULL, 0 },
	{ "challenge: allowed list (Bluebottle's words, no header)", HDR "Subject: RE: BLAH\n\n"
	  "This account is protected.  Please click on the\nfollowing link to have your address added to the recipient's "
	  "allowed\nlist and to ensure delivery of your email.\n\nhttp://cr.example.net/verification/1234\n",
	  C_TEXT_CHALLENGE, NULL, 0 },
	{ "challenge: German, quoted-printable", HDR MIME "Subject: AW: Angebot\n"
	  "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
	  "Ihre Nachricht wurde zur=C3=BCckgehalten. Bitte best=C3=A4tigen Sie, dass Sie ein Mensch sind:\n"
	  "klicken Sie auf den folgenden Link.\n", C_TEXT_CHALLENGE, NULL, 0 },
	{ "challenge: French, base64 latin-1", HDR MIME "Subject: Re: devis\n"
	  "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: base64\n\n"
	  /* "Votre message est en attente. Pour confirmer que vous êtes un humain, cliquez sur le lien ci-dessous." */
	  "Vm90cmUgbWVzc2FnZSBlc3QgZW4gYXR0ZW50ZS4gUG91ciBjb25maXJtZXIgcXVlIHZvdXMg6nRl\n"
	  "cyB1biBodW1haW4sIGNsaXF1ZXogc3VyIGxlIGxpZW4gY2ktZGVzc291cy4K\n", C_TEXT_CHALLENGE, NULL, 0 },
	{ "challenge: Spanish HTML only", HDR MIME "Subject: Re: pedido\nContent-Type: text/html; charset=utf-8\n\n"
	  "<html><body><p>Su mensaje ha sido <b>retenido</b>.</p><p>Su mensaje ha sido retenido hasta que "
	  "<a href=\"https://cr.example.net/v/1\">haga&nbsp;clic</a>.</p></body></html>\n", C_TEXT_CHALLENGE, NULL, 0 },
	{ "challenge: in the plain part of an alternative", HDR MIME
	  "Subject: Re: hello\nContent-Type: multipart/alternative; boundary=\"alt\"\n\n"
	  "--alt\nContent-Type: text/plain; charset=us-ascii\n\nI'm protecting myself from receiving junk mail.\n"
	  "Just this once, click the link below so I can receive your email.\n--alt\n"
	  "Content-Type: text/html\n\n<p>junk</p>\n--alt--\n", C_TEXT_CHALLENGE, NULL, 0 },
	{ "personal: please confirm the meeting, with a link", HDR "Subject: Monday\n\n"
	  "Hi Alice,\n\nplease confirm the meeting on Monday at 10. The agenda is here:\n"
	  "https://docs.example.com/agenda\n\nThanks, Bob\n", C_NO_CHALLENGE, NULL, 0 },
	{ "personal: German confirm, with a link", HDR "Subject: Termin\n\n"
	  "Bitte best\xc3\xa4tigen Sie, dass Sie am Montag kommen. Klicken Sie hier f\xc3\xbcr den Kalender:\n"
	  "https://cal.example.com/x\n", C_NO_CHALLENGE, NULL, 0 },
	{ "personal: a challenge quoted in a reply", HDR "Subject: Re: strange\n\n"
	  "What is this? Do I really have to click?\n\n> Your message is being held. To verify that you are a human,\n"
	  "> please click the link below:\n> https://cr.example.net/v?id=1\n", C_NO_CHALLENGE, NULL, 0 },
	{ "personal: a challenge forwarded", HDR "Subject: Fwd: strange\n\nLook at this one.\n\n"
	  "---------- Forwarded message ---------\nFrom: x@example.net\n\nYour message is being held. "
	  "To verify that you are a human, please click the link below:\nhttps://cr.example.net/v?id=1\n",
	  C_NO_CHALLENGE, NULL, 0 },
	{ "personal: held, but nothing to do", HDR "Subject: parcel\n\nYour message is being held by the "
	  "secretary until I am back; she will answer.\n", C_NO_CHALLENGE, NULL, 0 },
	{ "personal: challenge words in an attachment", HDR MIXED "--b\nContent-Type: text/plain\n\nSee the file.\n"
	  "--b\nContent-Type: text/plain; name=cr.txt\nContent-Disposition: attachment; filename=cr.txt\n\n"
	  "Your message is being held. Click the link below.\n--b--\n", C_NO_CHALLENGE, NULL, 0 },
	{ "newsletter: safe senders, a link", HDR "Subject: News\n\nTo ensure delivery to your inbox, "
	  "add news@example.com to your safe senders list.\nRead online: https://news.example.com/\n",
	  C_NO_CHALLENGE, NULL, 0 },
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

/* verdict - whether F passes CHECK */
static int
verdict(const struct facts *f, enum check check, const char *arg, int num)
{
	switch (check) {
	case C_PARSED: return f->parsed;
	case C_UNPARSED: return !f->parsed;
	case C_FROM_COUNT: return f->from.count == (size_t)num;
	case C_RCPT_HAS: return has(&f->recipients, arg);
	case C_AUTO: return f->auto_submitted != NULL;
	case C_NO_AUTO: return f->auto_submitted == NULL && f->precedence == NULL;
	case C_PREC: return f->precedence != NULL;
	case C_LIST: return f->list_header && strcmp(f->list_header, arg) == 0;
	case C_ARS: return f->auto_response_suppress != NULL;
	case C_NO_ARS: return f->auto_response_suppress == NULL;
	case C_REPORT: return f->report_type != NULL;
	case C_NO_REPORT: return f->parsed && f->report_type == NULL;
	case C_REPORT_IS: return f->report_type && strcmp(f->report_type, arg) == 0;
	case C_AUTOREPLY: return f->autoreply_marker != NULL;
	case C_NO_AUTOREPLY: return f->parsed && f->autoreply_marker == NULL;
	case C_BOUNCE: return f->bounce_marker != NULL;
	case C_NO_BOUNCE: return f->parsed && f->bounce_marker == NULL;
	case C_CHALLENGE: return f->challenge_marker != NULL;
	case C_TEXT_CHALLENGE:
		return f->text_challenge != NULL && f->challenge_marker != NULL &&
		    g_str_has_prefix(f->challenge_marker, "body: ");
	case C_NO_CHALLENGE:
		return f->parsed && f->challenge_marker == NULL &&
		    f->text_challenge == NULL;
	case C_OVERSIZED:
		return !f->parsed && f->oversized && f->unparsed_reason &&
		    strstr(f->unparsed_reason, arg) != NULL;
	case C_NOT_OVERSIZED:
		return f->parsed && !f->oversized && f->unparsed_reason == NULL;
	case C_LOOP_HAS: return has(&f->loop_markers, arg);
	case C_DELIVERED_HAS: return has(&f->delivered_to, arg);
	case C_RECEIVED: return f->received_count == (unsigned int)num;
	case C_SUBJECT: return f->subject && strcmp(f->subject, arg) == 0;
	case C_MSGID: return f->message_id && strcmp(f->message_id, arg) == 0;
	}
	return 0;
}

/* run - facts_parse() TEXT (LEN bytes) and check it */
static void
run(const char *name, const char *text, size_t len, enum check check,
    const char *arg, int num)
{
	struct facts_settings set = { "X-Deputy-Loop", NULL };
	char path[] = "/tmp/deputy-test-facts.XXXXXX";
	int fd = mkstemp(path);
	struct facts *f = NULL;
	char *err = NULL;
	int ok;

	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		abort();
	unlink(path);
	if (facts_parse(fd, &set, &f, &err) != 0) {
		tap_ok(0, "%s: facts_parse failed: %s", name, err);
		g_free(err);
		close(fd);
		return;
	}
	ok = verdict(f, check, arg, num);
	tap_ok(ok, "%s", name);
	if (!ok)
		tap_diag("parsed=%d subject=\"%s\" report=%s challenge=%s "
		    "bounce=%s autoreply=%s why=%s", f->parsed,
		    f->subject ? f->subject : "", f->report_type ? f->report_type : "-",
		    f->challenge_marker ? f->challenge_marker : "-",
		    f->bounce_marker ? f->bounce_marker : "-",
		    f->autoreply_marker ? f->autoreply_marker : "-",
		    f->unparsed_reason ? f->unparsed_reason : "-");
	facts_free(&f);
	close(fd);
}

/* parts - a message of N empty parts, then a report part */
static GString *
parts(unsigned int n)
{
	GString *m = g_string_new(HDR MIXED);

	for (unsigned int i = 0; i < n; i++)
		g_string_append(m, "--b\n\n");
	g_string_append(m, "--b\nContent-Type: message/delivery-status\n\n"
	    "x\n--b--\n");
	return m;
}

/* nested - multiparts N deep, the top one included */
static GString *
nested(unsigned int n)
{
	GString *m = g_string_new(HDR MIME
	    "Content-Type: multipart/mixed; boundary=\"b1\"\n\n");

	for (unsigned int i = 2; i <= n; i++)
		g_string_append_printf(m, "--b%u\nContent-Type: multipart/mixed;"
		    " boundary=\"b%u\"\n\n", i - 1, i);
	g_string_append_printf(m, "--b%u\nContent-Type: message/delivery-status"
	    "\n\nx\n", n);
	for (unsigned int i = n; i >= 1; i--)
		g_string_append_printf(m, "--b%u--\n", i);
	return m;
}

/* fields - a header block of N fields, HDR's two included */
static GString *
fields(unsigned int n)
{
	GString *m = g_string_new(HDR);

	for (unsigned int i = 2; i < n; i++)
		g_string_append_printf(m, "X-F%u: v\n", i);
	g_string_append(m, "\nbody\n");
	return m;
}

/* header_bytes - a header block of exactly N bytes, the blank line too */
static GString *
header_bytes(size_t n)
{
	GString *m = g_string_new(HDR "X-Fill: ");

	while (m->len < n - 2)
		g_string_append_c(m, 'x');
	g_string_append(m, "\n\nbody\n");
	return m;
}

/* generated - the caps, and just under them */
static void
generated(void)
{
	struct {
		const char *name;
		GString *m;
		enum check check;
		const char *arg;
	} g[] = {
		{ "999 parts and a report: read", parts(FACTS_MAX_PARTS - 2),
		  C_REPORT_IS, "delivery-status" },
		{ "1,000 parts and a report: oversized", parts(FACTS_MAX_PARTS - 1),
		  C_OVERSIZED, "more than 1000 MIME parts" },
		{ "10 levels: read", nested(FACTS_MAX_DEPTH), C_REPORT_IS,
		  "delivery-status" },
		{ "11 levels: oversized", nested(FACTS_MAX_DEPTH + 1), C_OVERSIZED,
		  "nested more than 10 deep" },
		{ "5,000 levels: oversized", nested(5000), C_OVERSIZED,
		  "nested more than 10 deep" },
		{ "1,000 header fields: read", fields(FACTS_MAX_FIELDS),
		  C_NOT_OVERSIZED, NULL },
		{ "1,001 header fields: oversized", fields(FACTS_MAX_FIELDS + 1),
		  C_OVERSIZED, "more than 1000 header fields" },
		{ "a header block of 256 KiB: read",
		  header_bytes(FACTS_MAX_HEADER_BLOCK), C_NOT_OVERSIZED, NULL },
		{ "a header block one byte over: oversized",
		  header_bytes(FACTS_MAX_HEADER_BLOCK + 1), C_OVERSIZED,
		  "a header block over 262144 bytes" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(g); i++) {
		run(g[i].name, g[i].m->str, g[i].m->len, g[i].check, g[i].arg, 0);
		g_string_free(g[i].m, TRUE);
	}
}

int
main(void)
{
	facts_init();
	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++)
		run(rows[i].name, rows[i].text, row_len(&rows[i]),
		    rows[i].check, rows[i].arg, rows[i].num);
	generated();
	return tap_done();
}
