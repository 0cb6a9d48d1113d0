/*
 * NAME
 *	facts - extract decision facts from a spooled message
 * SUMMARY
 *	One bounded pass over the spool with mimescan (report parts, the
 *	first text part, the caps), GMime on the top-level header block
 *	only, and a bounded read of the first text part. GMime never sees
 *	a body: given a whole message it builds an object per MIME part
 *	before any cap can apply (1.25 million empty parts cost 1.6 GB).
 *
 *	The markers for auto-replies, bounces and challenges are tables
 *	below: headers first (cheap and precise), then subject patterns
 *	for the many systems that set no header, then the first text part
 *	for challenges that say what they are only in words.
 * DIAGNOSTICS
 *	See facts.h.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "facts-private.h"
#include "mimescan.h"

/* Headers whose presence marks list or bulk mail (RFC 2369, 2919). */
static const char *const facts_list_headers[] = {
	"List-Id", "List-Unsubscribe", "List-Post", "List-Help",
	"List-Subscribe", "List-Owner", "List-Archive", "Mailing-List",
	"X-Mailing-List", "X-List", "List-Unsubscribe-Post", "X-Loop-List",
	"X-MLServer", "X-ML-Name",	/* fml, its "Loop Alert" too */
	NULL
};

/* Headers set by auto-responders other than RFC 3834's Auto-Submitted. */
static const char *const facts_autoreply_headers[] = {
	"X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-AutoReply-From",
	"X-Mail-Autoreply", "X-Vacation", "X-FC-MachineGenerated",
	"X-Auto-Reply", NULL
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

/* Headers that only challenge/response systems set. */
static const char *const facts_challenge_headers[] = {
	"X-Bluebottle-Request", "X-Boxbe-Challenge", "X-Spamarrest-Challenge",
	"X-TMDA-Confirm", "X-Challenge", "X-Boxtrapper", "X-Mailblocks",
	"X-Spamblocker-Challenge", NULL
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
int
facts_in_table(const char *name, const char *const *table)
{
	for (; *table != NULL; table++)
		if (g_ascii_strcasecmp(name, *table) == 0)
			return 1;
	return 0;
}

/* facts_match_subject - first fragment of TABLE found in LOWER */
const char *
facts_match_subject(const char *lower, const char *const *table)
{
	for (; *table != NULL; table++)
		if (strstr(lower, *table) != NULL)
			return *table;
	return NULL;
}

/* facts_domain_of - the part after the last @, or NULL */
const char *
facts_domain_of(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

	return at != NULL ? at + 1 : NULL;
}

/* facts_domain_in - whether DOMAIN is or is below one in TABLE */
int
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
void
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
			else if (g_ascii_strcasecmp(v, "auto_reply") == 0 ||
			    g_ascii_strcasecmp(v, "auto-reply") == 0) {
				/* not RFC 3834, but several responders */
				char *why = g_strdup_printf("Precedence: %s", v);

				facts_set_once(&f->autoreply_marker, why);
				g_free(why);
			}
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

/* facts_mbox_line_end - offset past a leading mbox "From " line, or 0 */
off_t
facts_mbox_line_end(int fd)
{
	char buf[4096];
	ssize_t n;
	char *nl;

	n = pread(fd, buf, sizeof(buf), 0);
	if (n < 5 || memcmp(buf, "From ", 5) != 0)
		return 0;
	nl = memchr(buf, '\n', (size_t)n);
	return nl != NULL ? (off_t)(nl - buf + 1) : 0;
}

/* facts_scan - one pass over the spool from START with mimescan */
static int
facts_scan(int fd, off_t start, struct mimescan *ms, char **error_r)
{
	char *buf = g_malloc(FACTS_READ);
	off_t at = start;
	int rc = 0;

	for (;;) {
		ssize_t n = pread(fd, buf, FACTS_READ, at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*error_r = g_strdup_printf("spool read: %s",
			    g_strerror(errno));
			rc = -1;
			break;
		}
		if (n == 0 || mimescan_push(ms, buf, (size_t)n))
			break;
		at += n;
	}
	mimescan_finish(ms);
	g_free(buf);
	return rc;
}

/* facts_oversized - a cap was passed: unparsed, and why */
static void
facts_oversized(struct facts *f, const char *why)
{
	f->parsed = 0;
	f->oversized = 1;
	g_free(f->unparsed_reason);
	f->unparsed_reason = g_strdup(why);
}

/* facts_parse - read the message at FD */
int
facts_parse(int fd, const struct facts_settings *set, struct facts **facts_r,
	    char **error_r)
{
	static const struct mimescan_limits limits = {
		FACTS_MAX_PARTS, FACTS_MAX_DEPTH, FACTS_MAX_FIELDS,
		FACTS_MAX_HEADER_BLOCK
	};
	struct facts *f = g_new0(struct facts, 1);
	struct mimescan *ms = mimescan_new(&limits);
	GMimeStream *fs, *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	const char *v, *over;
	off_t start, hend;
	int dupfd;

	*facts_r = f;
	start = facts_mbox_line_end(fd);
	if (facts_scan(fd, start, ms, error_r) != 0) {
		mimescan_free(&ms);
		facts_free(facts_r);
		return -1;
	}
	over = mimescan_over_limit(ms);
	if (mimescan_header_end(ms, &hend) != 0) {
		/* a header block over a cap: not even GMime sees it */
		facts_oversized(f, over != NULL ? over : "header block");
		mimescan_free(&ms);
		return 0;
	}
	if ((dupfd = dup(fd)) < 0) {
		*error_r = g_strdup_printf("dup: %s", g_strerror(errno));
		mimescan_free(&ms);
		facts_free(facts_r);
		return -1;
	}
	/* the header block only: GMime builds no body, however large */
	fs = g_mime_stream_fs_new(dupfd);
	stream = g_mime_stream_substream(fs, start, start + hend);
	g_object_unref(fs);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	g_mime_parser_set_persist_stream(parser, TRUE);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);

	if (msg != NULL && facts_is_message(msg)) {
		facts_headers(f, msg, set);
		if ((v = g_mime_message_get_message_id(msg)) != NULL)
			f->message_id = facts_sanitize(v, FACTS_MAX_VALUE);
		if ((v = g_mime_message_get_subject(msg)) != NULL)
			f->subject = facts_sanitize(v, FACTS_MAX_VALUE);
	}
	if (over != NULL) {
		/* Too many parts, too deep: the headers are read (the log
		 * names the message), the message is not parsed. */
		facts_oversized(f, over);
	} else if (msg != NULL && facts_is_message(msg)) {
		f->parsed = 1;
		if ((v = mimescan_report_type(ms)) != NULL)
			facts_set_once(&f->report_type, v);
		facts_subject_markers(f);
		facts_sender_markers(f);
		facts_text_markers(f, fd, start, ms);
		if (f->report_type != NULL && f->bounce_marker == NULL &&
		    strstr(f->report_type, "delivery-status") != NULL)
			facts_set_once(&f->bounce_marker,
			    "a delivery-status part");
	}
	if (msg != NULL)
		g_object_unref(msg);
	g_object_unref(stream);
	mimescan_free(&ms);
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
	g_free(f->text_challenge);
	g_free(f->unparsed_reason);
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
