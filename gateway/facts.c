/*
 * NAME
 *	facts - extract decision facts from a spooled message with GMime
 * SUMMARY
 *	One pass over the top-level header block, one bounded walk of the
 *	MIME tree for report parts. The markers for auto-replies, bounces
 *	and challenges are tables below: headers first (cheap and precise),
 *	then subject patterns for the many systems that set no header.
 * DIAGNOSTICS
 *	See facts.h.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "facts.h"

#define FACTS_MAX_VALUE		998	/* bound for every kept string */
#define FACTS_MAX_ADDRESSES	1000	/* per list */
#define FACTS_MAX_PARTS		200	/* MIME parts walked for reports */
#define FACTS_MAX_DEPTH		4
#define FACTS_MAX_HEADER_BLOCK	(256 * 1024)	/* larger: not parsed */

/* Headers whose presence marks list or bulk mail (RFC 2369, 2919). */
static const char *const facts_list_headers[] = {
	"List-Id", "List-Unsubscribe", "List-Post", "List-Help",
	"List-Subscribe", "List-Owner", "List-Archive", "Mailing-List",
	"X-Mailing-List", "X-List", "List-Unsubscribe-Post", "X-Loop-List",
	NULL
};

/* Headers set by auto-responders other than RFC 3834's Auto-Submitted. */
static const char *const facts_autoreply_headers[] = {
	"X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-AutoReply-From",
	"X-Mail-Autoreply", "X-Vacation", "X-FC-MachineGenerated",
	"X-Auto-Reply", NULL
};

/* Subject fragments of auto-replies, lowercased, several languages. */
static const char *const facts_autoreply_subjects[] = {
	"out of office", "out of the office", "automatic reply",
	"automatic response", "autoreply", "auto-reply", "auto reply",
	"auto response", "autoresponse", "abwesenheitsnotiz",
	"automatische antwort", "abwesend", "réponse automatique",
	"reponse automatique", "absence du bureau", "respuesta automática",
	"respuesta automatica", "fuera de la oficina", "risposta automatica",
	"fuori sede", "automatisch antwoord", "afwezigheidsbericht",
	"automatyczna odpowied", "automatiska atbilde", "automatiskt svar",
	"autosvar", "automaattinen vastaus", "resposta automática",
	"vacation reply", "atvalin", NULL
};

/* Subject prefixes of auto-replies (compared at the start). */
static const char *const facts_autoreply_prefixes[] = {
	"auto:", "autoreply:", "[auto", "abwesend:", NULL
};

/* Subject fragments of delivery failures, lowercased. */
static const char *const facts_bounce_subjects[] = {
	"undeliverable", "undelivered mail", "delivery status notification",
	"returned mail", "failure notice", "mail delivery failed",
	"delivery failure", "delivery has failed", "nondeliverable",
	"non-deliverable", "mail system error", "could not send message",
	"delivery notification", "undeliverable mail", "mail delivery system",
	"returned to sender", "message not delivered", "delivery problem",
	"unzustellbar", "non remis", "delivery report", NULL
};

/* Headers of abuse reports that are not multipart/report (Hotmail JMRP). */
static const char *const facts_report_headers[] = {
	"X-HmXmrOriginalRecipient", "X-Feedback-Report", NULL
};

/* Headers of machine notifications (the sender is a program). */
static const char *const facts_automated_headers[] = {
	"X-Amz-Sns-Message-Id", "X-Github-Reason", "X-Jenkins-Job",
	"X-Cron-Env", "X-Bugzilla-Reason", "X-Gitlab-Project", NULL
};

/* Subject fragments of abuse reports, lowercased. */
static const char *const facts_report_subjects[] = {
	"complaint about message from", "abuse report", "feedback report",
	NULL
};

/* Headers that only challenge/response systems set. */
static const char *const facts_challenge_headers[] = {
	"X-Bluebottle-Request", "X-Boxbe-Challenge", "X-Spamarrest-Challenge",
	"X-TMDA-Confirm", "X-Challenge", "X-Boxtrapper", "X-Mailblocks",
	"X-Spamblocker-Challenge", NULL
};

/* Domains of known challenge/response services. */
static const char *const facts_challenge_domains[] = {
	"boxbe.com", "bluebottle.com", "spamarrest.com", "mailblocks.com",
	"sitescooper.org", "choicemail.com", "permitmail.com", NULL
};

/* Subject fragments of challenges, lowercased. */
static const char *const facts_challenge_subjects[] = {
	"please confirm your message", "confirm your e-mail",
	"confirm your email", "requires verification", "verify your email",
	"awaiting your confirmation", "spam blocker", "spamblocker",
	"please verify", "tmda confirmation", "approval required", NULL
};

/* facts_init - global GMime set-up, once per process */
void
facts_init(void)
{
	static int done;

	if (!done) {
		g_mime_init();
		done = 1;
	}
}

/* facts_sanitize - copy TEXT with control characters replaced, bounded */
char *
facts_sanitize(const char *text, size_t max)
{
	size_t n;
	char *out;

	if (text == NULL)
		return NULL;
	n = strlen(text);
	if (n > max)
		n = max;
	/* Do not cut a UTF-8 sequence in half. */
	while (n > 0 && n < strlen(text) &&
	    ((unsigned char)text[n] & 0xC0) == 0x80)
		n--;
	out = g_strndup(text, n);
	for (char *p = out; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return out;
}

/* facts_strv_add - append a copy of VALUE to LIST unless it is full */
static void
facts_strv_add(struct dir_strings *list, const char *value)
{
	if (list->count >= FACTS_MAX_ADDRESSES)
		return;
	list->values = g_renew(char *, list->values, list->count + 2);
	list->values[list->count++] = facts_sanitize(value, FACTS_MAX_VALUE);
	list->values[list->count] = NULL;
}

/* facts_add_addresses - flatten an address list (groups too) */
static void
facts_add_addresses(struct dir_strings *list, InternetAddressList *al,
		    int depth)
{
	int n;

	if (al == NULL || depth > 2)
		return;
	n = internet_address_list_length(al);
	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(al, i);

		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			facts_add_addresses(list,
			    internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(ia)), depth + 1);
		} else if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			const char *addr = internet_address_mailbox_get_addr(
			    INTERNET_ADDRESS_MAILBOX(ia));
			char *low;

			if (addr == NULL || *addr == '\0')
				continue;
			low = g_utf8_strdown(addr, -1);
			facts_strv_add(list, low);
			g_free(low);
		}
	}
}

/* facts_parse_addresses - parse a raw header value into LIST */
static void
facts_parse_addresses(struct dir_strings *list, const char *value)
{
	InternetAddressList *al;

	if (value == NULL)
		return;
	al = internet_address_list_parse(NULL, value);
	if (al != NULL) {
		facts_add_addresses(list, al, 0);
		g_object_unref(al);
	}
}

/* facts_in_table - whether NAME is in TABLE, ignoring case */
static int
facts_in_table(const char *name, const char *const *table)
{
	for (; *table != NULL; table++)
		if (g_ascii_strcasecmp(name, *table) == 0)
			return 1;
	return 0;
}

/* facts_match_subject - first fragment of TABLE found in LOWER */
static const char *
facts_match_subject(const char *lower, const char *const *table)
{
	for (; *table != NULL; table++)
		if (strstr(lower, *table) != NULL)
			return *table;
	return NULL;
}

/* facts_domain_of - the part after the last @, or NULL */
static const char *
facts_domain_of(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

	return at != NULL ? at + 1 : NULL;
}

/* facts_domain_in - whether DOMAIN is or is below one in TABLE */
static int
facts_domain_in(const char *domain, const char *const *table)
{
	size_t dl;

	if (domain == NULL)
		return 0;
	dl = strlen(domain);
	for (; *table != NULL; table++) {
		size_t tl = strlen(*table);

		if (dl == tl && g_ascii_strcasecmp(domain, *table) == 0)
			return 1;
		if (dl > tl && domain[dl - tl - 1] == '.' &&
		    g_ascii_strcasecmp(domain + dl - tl, *table) == 0)
			return 1;
	}
	return 0;
}

/*
 * facts_keep_trust_header - remember a header for the trust gate, if
 * its name stands plainly before the colon (see facts.h)
 */
static void
facts_keep_trust_header(struct facts *f, GMimeHeader *gh, const char *name,
			const char *raw)
{
	struct facts_trust_header *h;
	const char *raw_name = g_mime_header_get_raw_name(gh);

	if (f->ntrust_headers >= FACTS_MAX_TRUST_HEADERS || raw == NULL ||
	    raw_name == NULL || strlen(raw_name) != strlen(name))
		return;
	h = &f->trust_headers[f->ntrust_headers++];
	h->name = g_strdup(name);
	h->value = g_strndup(raw, 16 * 1024);
	h->received_above = f->received_count;
}

/* facts_trimmed_value - header value without surrounding space */
static char *
facts_trimmed_value(GMimeHeader *h)
{
	const char *v = g_mime_header_get_value(h);
	char *s = g_strdup(v != NULL ? v : "");

	return g_strstrip(s);
}

/* facts_set_once - keep the first marker only */
static void
facts_set_once(char **slot, const char *value)
{
	if (*slot == NULL)
		*slot = facts_sanitize(value, FACTS_MAX_VALUE);
}

/* facts_headers - one pass over the top-level header block */
static void
facts_headers(struct facts *f, GMimeMessage *msg,
	      const struct facts_settings *set)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	int n = g_mime_header_list_get_count(hl);

	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = g_mime_header_get_name(h);
		const char *raw = g_mime_header_get_raw_value(h);
		char *v;

		if (name == NULL)
			continue;
		if (g_ascii_strcasecmp(name, "Received") == 0) {
			f->received_count++;
			continue;
		}
		if (g_ascii_strcasecmp(name, "Authentication-Results") == 0 ||
		    (set->spam_headers != NULL &&
		    facts_in_table(name, set->spam_headers))) {
			facts_keep_trust_header(f, h, name, raw);
			continue;
		}
		if (g_ascii_strcasecmp(name, "From") == 0) {
			facts_parse_addresses(&f->from, raw);
			continue;
		}
		if (g_ascii_strcasecmp(name, "To") == 0 ||
		    g_ascii_strcasecmp(name, "Cc") == 0 ||
		    g_ascii_strcasecmp(name, "Resent-To") == 0 ||
		    g_ascii_strcasecmp(name, "Resent-Cc") == 0) {
			facts_parse_addresses(&f->recipients, raw);
			continue;
		}
		if (g_ascii_strcasecmp(name, "Delivered-To") == 0) {
			facts_parse_addresses(&f->delivered_to, raw);
			continue;
		}
		if (set->loop_header != NULL &&
		    g_ascii_strcasecmp(name, set->loop_header) == 0) {
			facts_parse_addresses(&f->loop_markers, raw);
			continue;
		}
		v = facts_trimmed_value(h);
		if (g_ascii_strcasecmp(name, "References") == 0) {
			facts_set_once(&f->references, raw);
		} else if (g_ascii_strcasecmp(name, "Resent-Message-ID") == 0) {
			facts_set_once(&f->resent_message_id, v);
		} else if (g_ascii_strcasecmp(name, "Auto-Submitted") == 0) {
			/* RFC 3834: any value but "no" (parameters allowed). */
			size_t tok = strcspn(v, " \t;(");

			if (!(tok == 2 && g_ascii_strncasecmp(v, "no", 2) == 0))
				facts_set_once(&f->auto_submitted,
				    *v != '\0' ? v : "(empty)");
		} else if (g_ascii_strcasecmp(name, "Precedence") == 0) {
			if (g_ascii_strcasecmp(v, "bulk") == 0 ||
			    g_ascii_strcasecmp(v, "list") == 0 ||
			    g_ascii_strcasecmp(v, "junk") == 0)
				facts_set_once(&f->precedence, v);
		} else if (g_ascii_strcasecmp(name,
		    "X-Auto-Response-Suppress") == 0) {
			gchar **tokens = g_strsplit_set(v, ", \t", -1);

			for (gchar **t = tokens; *t != NULL; t++)
				if (g_ascii_strcasecmp(*t, "All") == 0 ||
				    g_ascii_strcasecmp(*t, "OOF") == 0)
					facts_set_once(
					    &f->auto_response_suppress, *t);
			g_strfreev(tokens);
		} else if (facts_in_table(name, facts_list_headers)) {
			facts_set_once(&f->list_header, name);
		} else if (facts_in_table(name, facts_autoreply_headers)) {
			char *why = g_strdup_printf("%s header", name);

			facts_set_once(&f->autoreply_marker, why);
			g_free(why);
		} else if (facts_in_table(name, facts_challenge_headers)) {
			char *why = g_strdup_printf("%s header", name);

			facts_set_once(&f->challenge_marker, why);
			g_free(why);
		} else if (g_ascii_strcasecmp(name, "X-Failed-Recipients") == 0) {
			facts_set_once(&f->bounce_marker,
			    "X-Failed-Recipients header");
		} else if (facts_in_table(name, facts_report_headers)) {
			char *why = g_strdup_printf("%s header", name);

			facts_set_once(&f->report_type, why);
			g_free(why);
		} else if (facts_in_table(name, facts_automated_headers)) {
			char *why = g_strdup_printf("%s header", name);

			facts_set_once(&f->automated_marker, why);
			g_free(why);
		}
		g_free(v);
	}
}

/* facts_report_type - a DSN, MDN or ARF part type, else NULL */
static const char *
facts_report_type(GMimeContentType *ct)
{
	static const char *const types[] = {
		"delivery-status", "disposition-notification",
		"feedback-report", "global-delivery-status",
		"global-disposition-notification", NULL
	};

	if (ct == NULL)
		return NULL;
	if (g_mime_content_type_is_type(ct, "multipart", "report"))
		return "multipart/report";
	for (const char *const *t = types; *t != NULL; t++)
		if (g_mime_content_type_is_type(ct, "message", *t))
			return *t;
	return NULL;
}

/* facts_walk - bounded search of the MIME tree for report parts */
static void
facts_walk(struct facts *f, GMimeObject *obj, int depth, int *budget)
{
	const char *type;

	if (obj == NULL || depth > FACTS_MAX_DEPTH || (*budget)-- <= 0)
		return;
	type = facts_report_type(g_mime_object_get_content_type(obj));
	if (type != NULL) {
		facts_set_once(&f->report_type, type);
		return;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);

		for (int i = 0; i < n && *budget > 0; i++)
			facts_walk(f, g_mime_multipart_get_part(mp, i),
			    depth + 1, budget);
	}
}

/* facts_subject_markers - auto-reply, bounce and challenge subjects */
static void
facts_subject_markers(struct facts *f)
{
	char *lower;
	const char *hit;

	if (f->subject == NULL)
		return;
	lower = g_utf8_strdown(f->subject, -1);
	g_strstrip(lower);
	while (g_str_has_prefix(lower, "re:") || g_str_has_prefix(lower, "aw:") ||
	    g_str_has_prefix(lower, "fw:") || g_str_has_prefix(lower, "fwd:") ||
	    g_str_has_prefix(lower, "wg:") || g_str_has_prefix(lower, "tr:")) {
		char *rest = g_strdup(strchr(lower, ':') + 1);

		g_free(lower);
		lower = g_strstrip(rest);
	}
	if ((hit = facts_match_subject(lower, facts_autoreply_subjects)) != NULL) {
		char *why = g_strdup_printf("subject contains \"%s\"", hit);

		facts_set_once(&f->autoreply_marker, why);
		g_free(why);
	}
	for (const char *const *p = facts_autoreply_prefixes; *p != NULL; p++)
		if (g_str_has_prefix(lower, *p)) {
			char *why = g_strdup_printf("subject starts with \"%s\"", *p);

			facts_set_once(&f->autoreply_marker, why);
			g_free(why);
		}
	if ((hit = facts_match_subject(lower, facts_bounce_subjects)) != NULL) {
		char *why = g_strdup_printf("subject contains \"%s\"", hit);

		facts_set_once(&f->bounce_marker, why);
		g_free(why);
	}
	if ((hit = facts_match_subject(lower, facts_report_subjects)) != NULL) {
		char *why = g_strdup_printf("subject contains \"%s\"", hit);

		facts_set_once(&f->report_type, why);
		g_free(why);
	}
	if ((hit = facts_match_subject(lower, facts_challenge_subjects)) != NULL) {
		char *why = g_strdup_printf("subject contains \"%s\"", hit);

		facts_set_once(&f->challenge_marker, why);
		g_free(why);
	}
	g_free(lower);
}

/* facts_sender_markers - bounce and challenge senders in From */
static void
facts_sender_markers(struct facts *f)
{
	for (size_t i = 0; i < f->from.count; i++) {
		const char *a = f->from.values[i];
		const char *d = facts_domain_of(a);

		if (g_str_has_prefix(a, "mailer-daemon@") ||
		    g_str_has_prefix(a, "postmaster@"))
			facts_set_once(&f->bounce_marker,
			    "From: a mailer daemon");
		if (g_str_has_prefix(a, "noreply") ||
		    g_str_has_prefix(a, "no-reply") ||
		    g_str_has_prefix(a, "no_reply") ||
		    g_str_has_prefix(a, "donotreply") ||
		    g_str_has_prefix(a, "do-not-reply"))
			facts_set_once(&f->automated_marker,
			    "From: a no-reply address");
		if (facts_domain_in(d, facts_challenge_domains)) {
			char *why = g_strdup_printf("From: %s, a challenge/"
			    "response service", d);

			facts_set_once(&f->challenge_marker, why);
			g_free(why);
		}
	}
}

/*
 * facts_is_message - whether GMime found a real header block: at least
 * one field every mail has. GMime is lenient; random bytes with a colon
 * in the first line would otherwise count as a message.
 */
static int
facts_is_message(GMimeMessage *msg)
{
	static const char *const needed[] = {
		"From", "Sender", "To", "Cc", "Subject", "Date", "Message-ID",
		"Received", "Return-Path", NULL
	};
	GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	int n = hl != NULL ? g_mime_header_list_get_count(hl) : 0;

	for (int i = 0; i < n; i++) {
		const char *name = g_mime_header_get_name(
		    g_mime_header_list_get_header_at(hl, i));

		if (name != NULL && facts_in_table(name, needed))
			return 1;
	}
	return 0;
}

/* facts_skip_mbox_line - offset past a leading mbox "From " line */
static gint64
facts_skip_mbox_line(int fd)
{
	char buf[4096];
	ssize_t n;
	char *nl;

	n = pread(fd, buf, sizeof(buf), 0);
	if (n < 5 || memcmp(buf, "From ", 5) != 0)
		return 0;
	nl = memchr(buf, '\n', (size_t)n);
	return nl != NULL ? (gint64)(nl - buf + 1) : 0;
}

/*
 * facts_header_block_fits - whether the header block after START ends
 * within FACTS_MAX_HEADER_BLOCK bytes (or the message is that short).
 * GMime builds an object per address: a 10 MB To field would cost
 * hundreds of MB. Postfix itself caps a header block at 100 KiB.
 */
static int
facts_header_block_fits(int fd, gint64 start)
{
	char buf[16 * 1024 + 2];
	off_t off = (off_t)start;
	size_t seen = 0;

	while (seen <= FACTS_MAX_HEADER_BLOCK) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);

		if (n <= 0)
			return 1;	/* the whole message is short */
		if (g_strstr_len(buf, n, "\n\n") != NULL ||
		    g_strstr_len(buf, n, "\n\r\n") != NULL)
			return 1;
		if ((size_t)n < sizeof(buf))
			return 1;
		/* overlap two bytes so a blank line across chunks is seen */
		off += n - 2;
		seen += (size_t)n - 2;
	}
	return 0;
}

/* facts_parse - read the message at FD */
int
facts_parse(int fd, const struct facts_settings *set, struct facts **facts_r,
	    char **error_r)
{
	struct facts *f = g_new0(struct facts, 1);
	GMimeStream *fs, *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	gint64 start;
	int dupfd, budget = FACTS_MAX_PARTS;
	const char *v;

	*facts_r = f;
	if ((dupfd = dup(fd)) < 0) {
		*error_r = g_strdup_printf("dup: %s", g_strerror(errno));
		facts_free(facts_r);
		return -1;
	}
	start = facts_skip_mbox_line(fd);
	if (!facts_header_block_fits(fd, start)) {
		/* parsed = 0: delivered as it is, no forward, no notice */
		close(dupfd);
		return 0;
	}
	fs = g_mime_stream_fs_new(dupfd);
	stream = g_mime_stream_substream(fs, start, -1);
	g_object_unref(fs);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	g_mime_parser_set_persist_stream(parser, TRUE);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);

	if (msg != NULL && facts_is_message(msg)) {
		f->parsed = 1;
		facts_headers(f, msg, set);
		if ((v = g_mime_message_get_message_id(msg)) != NULL)
			f->message_id = facts_sanitize(v, FACTS_MAX_VALUE);
		if ((v = g_mime_message_get_subject(msg)) != NULL)
			f->subject = facts_sanitize(v, FACTS_MAX_VALUE);
		facts_walk(f, g_mime_message_get_mime_part(msg), 0, &budget);
		facts_subject_markers(f);
		facts_sender_markers(f);
		if (f->report_type != NULL && f->bounce_marker == NULL &&
		    strstr(f->report_type, "delivery-status") != NULL)
			facts_set_once(&f->bounce_marker,
			    "a delivery-status part");
	}
	if (msg != NULL)
		g_object_unref(msg);
	g_object_unref(stream);
	return 0;
}

/* facts_free - release; sets *facts to NULL */
void
facts_free(struct facts **facts)
{
	struct facts *f = *facts;

	if (f == NULL)
		return;
	g_free(f->message_id);
	g_free(f->resent_message_id);
	g_free(f->references);
	g_free(f->subject);
	g_strfreev(f->from.values);
	g_strfreev(f->recipients.values);
	g_free(f->auto_submitted);
	g_free(f->precedence);
	g_free(f->list_header);
	g_free(f->auto_response_suppress);
	g_free(f->report_type);
	g_free(f->autoreply_marker);
	g_free(f->challenge_marker);
	g_free(f->bounce_marker);
	g_free(f->automated_marker);
	g_strfreev(f->loop_markers.values);
	g_strfreev(f->delivered_to.values);
	for (size_t i = 0; i < f->ntrust_headers; i++) {
		g_free(f->trust_headers[i].name);
		g_free(f->trust_headers[i].value);
	}
	g_free(f);
	*facts = NULL;
}
