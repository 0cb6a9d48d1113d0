/*
 * NAME
 *	notice - build an RFC 3834 notice with GMime
 */

#include "config.h"

#include <string.h>

#include <gmime/gmime.h>

#include "directory.h"
#include "notice.h"

#define NOTICE_MAX_REFS 10

/* notice_msgid_ok - whether ID may be copied into a header as <ID> */
int
notice_msgid_ok(const char *id)
{
	size_t n;

	if (id == NULL || (n = strlen(id)) == 0 || n > 250 ||
	    strchr(id, '@') == NULL)
		return 0;
	for (const char *p = id; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '<' || *p == '>' ||
		    *p == '"' || *p == '\\' || *p == '(' || *p == ')' ||
		    *p == ',' || *p == ';')
			return 0;
	return 1;
}

/* notice_references - up to 10 clean ids from RAW, then IN_REPLY_TO */
static char *
notice_references(const char *raw, const char *in_reply_to)
{
	GString *out = g_string_new(NULL);
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);

	for (const char *p = raw; p != NULL && *p != '\0';) {
		const char *lt = strchr(p, '<'), *gt;
		char *id;

		if (lt == NULL || (gt = strchr(lt, '>')) == NULL)
			break;
		id = g_strndup(lt + 1, (gsize)(gt - lt - 1));
		if (notice_msgid_ok(id))
			g_ptr_array_add(ids, id);
		else
			g_free(id);
		p = gt + 1;
	}
	/* Keep the first and the last ones, as RFC 5322 suggests. */
	while (ids->len > NOTICE_MAX_REFS - 1)
		g_ptr_array_remove_index(ids, 1);
	for (guint i = 0; i < ids->len; i++)
		g_string_append_printf(out, "%s<%s>", out->len ? " " : "",
		    (char *)g_ptr_array_index(ids, i));
	if (notice_msgid_ok(in_reply_to))
		g_string_append_printf(out, "%s<%s>", out->len ? " " : "",
		    in_reply_to);
	g_ptr_array_free(ids, TRUE);
	return g_string_free(out, FALSE);
}

/*
 * notice_one_line - TEXT on one line: every control character made a
 * space, runs of spaces made one, none at either end, and every "=?"
 * made "= ?". A run of spaces would make GMime fold the field into a
 * continuation line of white space only, which RFC 5322 forbids and
 * some readers take for the end of the header. GMime's header encoder
 * copies a word that looks like an RFC 2047 encoded-word as it is, so a
 * literal "=?utf-8?q?a=0D=0ABcc:...?=" (a subject that facts_parse()
 * decoded once from a doubly encoded one) would reach the reader as CR
 * LF once decoded. Broken up, it stays plain text.
 */
static char *
notice_one_line(const char *text)
{
	GString *s = g_string_new(NULL);

	for (const char *p = text != NULL ? text : ""; *p != '\0'; p++) {
		char c = (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p;

		if (c == ' ' && (s->len == 0 || s->str[s->len - 1] == ' '))
			continue;
		g_string_append_c(s, c);
		if (p[0] == '=' && p[1] == '?')
			g_string_append_c(s, ' ');
	}
	while (s->len > 0 && s->str[s->len - 1] == ' ')
		g_string_truncate(s, s->len - 1);
	return g_string_free(s, FALSE);
}

/*
 * notice_name_ok - whether NAME may be the From display name. Not with
 * a '=': GMime 3.2 counts '=' among the characters a Q-encoded phrase
 * may carry as they are (its CHARS_PSPECIAL), so a name that holds
 * "=0D=0A" and must be encoded (one 8-bit character, one long word) is
 * written as an encoded-word that decodes to CR LF. The notice then
 * names the address only; the body still has the name.
 */
static int
notice_name_ok(const char *name)
{
	return name != NULL && strchr(name, '=') == NULL;
}

/* notice_build - the whole message as text (LF line ends) */
int
notice_build(const struct notice_input *in, char **text_r, char **error_r)
{
	char *name, *subject;
	InternetAddress *from, *to;
	GMimeMessage *msg;
	GMimeTextPart *part;
	GMimeObject *obj;
	GDateTime *date;
	char *msgid, *refs;

	if (in->from_address == NULL || in->to_address == NULL ||
	    strpbrk(in->from_address, "\r\n") != NULL ||
	    strpbrk(in->to_address, "\r\n") != NULL) {
		*error_r = g_strdup("notice: unusable address");
		return -1;
	}
	msg = g_mime_message_new(TRUE);
	obj = GMIME_OBJECT(msg);
	/* Control characters: defence in depth (tmpl.c did it); "=?": here. */
	name = notice_name_ok(in->from_name) ? notice_one_line(in->from_name) :
	    NULL;
	if (name != NULL && *name == '\0') {	/* white space only */
		g_free(name);
		name = NULL;
	}
	subject = notice_one_line(in->subject);
	/* The lists take their own reference: drop ours. */
	from = internet_address_mailbox_new(name, in->from_address);
	internet_address_list_add(g_mime_message_get_from(msg), from);
	g_object_unref(from);
	g_free(name);
	to = internet_address_mailbox_new(NULL, in->to_address);
	internet_address_list_add(g_mime_message_get_addresses(msg,
	    GMIME_ADDRESS_TYPE_TO), to);
	g_object_unref(to);
	g_mime_message_set_subject(msg, subject, "utf-8");
	g_free(subject);
	date = g_date_time_new_from_unix_utc(in->now);
	g_mime_message_set_date(msg, date);
	g_date_time_unref(date);
	msgid = g_strdup_printf("deputy.%.16s.%lld@%s", in->unique,
	    (long long)in->now, in->hostname);
	if (notice_msgid_ok(msgid))
		g_mime_message_set_message_id(msg, msgid);
	g_free(msgid);
	if (notice_msgid_ok(in->in_reply_to)) {
		char *irt = g_strdup_printf("<%s>", in->in_reply_to);

		g_mime_object_set_header(obj, "In-Reply-To", irt, NULL);
		g_free(irt);
	}
	refs = notice_references(in->references, in->in_reply_to);
	if (*refs != '\0')
		g_mime_object_set_header(obj, "References", refs, NULL);
	g_free(refs);
	g_mime_object_set_header(obj, "Auto-Submitted", "auto-replied", NULL);
	g_mime_object_set_header(obj, "Precedence", "bulk", NULL);
	g_mime_object_set_header(obj, "X-Auto-Response-Suppress", "All", NULL);

	part = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_text(part, in->body);
	g_mime_text_part_set_charset(part, "utf-8");
	g_mime_part_set_content_encoding(GMIME_PART(part),
	    GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(part));
	g_object_unref(part);

	*text_r = g_mime_object_to_string(obj, NULL);
	g_object_unref(msg);
	return 0;
}

/* notice_until - see notice.h */
char *
notice_until(time_t end, const char *zone)
{
	GTimeZone *tz;
	GDateTime *dt, *local;
	char *text;

	if (end == 0)
		return g_strdup("further notice");
	tz = g_time_zone_new_identifier(zone);
	if (tz == NULL)
		tz = g_time_zone_new_utc();
	dt = g_date_time_new_from_unix_utc(end);
	local = g_date_time_to_timezone(dt, tz);
	if (g_date_time_get_hour(local) == 0 &&
	    g_date_time_get_minute(local) == 0) {
		/* An exclusive midnight end: the day before is the last. */
		GDateTime *last = g_date_time_add_days(local, -1);

		text = g_date_time_format(last, "%Y-%m-%d");
		g_date_time_unref(last);
	} else {
		text = g_date_time_format(local, "%Y-%m-%d %H:%M %Z");
	}
	g_date_time_unref(local);
	g_date_time_unref(dt);
	g_time_zone_unref(tz);
	return text;
}

/* notice_delegate_names - see notice.h */
char *
notice_delegate_names(struct dir *dir, const struct dir_strings *addrs)
{
	GString *out = g_string_new(NULL);

	for (size_t i = 0; i < addrs->count; i++) {
		struct dir_entry *e = NULL;
		char *err = NULL;

		if (dir_lookup(dir, addrs->values[i], &e, &err) < 0)
			g_free(err);
		if (out->len > 0)
			g_string_append(out, ", ");
		if (e != NULL && e->display_name != NULL)
			g_string_append_printf(out, "%s <%s>", e->display_name,
			    addrs->values[i]);
		else
			g_string_append(out, addrs->values[i]);
		dir_entry_free(&e);
	}
	return g_string_free(out, FALSE);
}
