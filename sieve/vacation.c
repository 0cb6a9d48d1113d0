/*
 * NAME
 *	vacation - a Sieve vacation action, as deputy's policy takes it over
 * SUMMARY
 *	See vacation.h.
 */

#include "config.h"

#include <string.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "vacation.h"

#define VACATION_MAX_ADDRESS 320
#define VACATION_MAX_BODY (64 * 1024)

/* vacation_clear - release what REQ owns, zero it */
void
vacation_clear(struct vacation_request *req)
{
	g_free(req->reason);
	g_free(req->subject);
	g_free(req->from);
	g_strfreev(req->addresses);
	g_free(req->handle);
	memset(req, 0, sizeof(*req));
	req->seconds = -1;
}

/* vacation_period - the period in seconds, DEFAULT if none, clamped */
unsigned long
vacation_period(const struct vacation_request *req, unsigned long deflt,
		unsigned long min, unsigned long max)
{
	unsigned long p = req->seconds < 0 ? deflt : (unsigned long)req->seconds;

	/* RFC 5230: a site may bound :days; a period of 0 would answer
	 * every message, which deputy never does. */
	if (p < min)
		p = min;
	if (p > max)
		p = max;
	return p;
}

/* vacation_identity - "sieve:" and the handle or a digest; g_free() */
char *
vacation_identity(const struct vacation_request *req)
{
	GChecksum *sum;
	char *id;

	if (req->handle != NULL && *req->handle != '\0') {
		/* A handle is the user's own name for "the same vacation";
		 * keep it printable and bounded in the key. */
		char *h = g_compute_checksum_for_string(G_CHECKSUM_SHA256,
		    req->handle, -1);

		id = g_strdup_printf("sieve:h:%.32s", h);
		g_free(h);
		return id;
	}
	sum = g_checksum_new(G_CHECKSUM_SHA256);
	/* The fields that RFC 5230 says make a different vacation; a NUL
	 * separates them so that ("ab","c") differs from ("a","bc"). */
	g_checksum_update(sum, (const guchar *)(req->reason ? req->reason : ""),
	    -1);
	g_checksum_update(sum, (const guchar *)"", 1);
	g_checksum_update(sum, (const guchar *)(req->subject ? req->subject : ""),
	    -1);
	g_checksum_update(sum, (const guchar *)"", 1);
	g_checksum_update(sum, (const guchar *)(req->from ? req->from : ""), -1);
	g_checksum_update(sum, (const guchar *)(req->mime ? "1" : "0"), 1);
	id = g_strdup_printf("sieve:%.32s", g_checksum_get_string(sum));
	g_checksum_free(sum);
	return id;
}

/* vacation_from - the :from address, lowercased, if usable; g_free() */
char *
vacation_from(const struct vacation_request *req)
{
	const char *s = req->from, *lt, *gt;
	char *a;

	if (s == NULL || *s == '\0')
		return NULL;
	/* "Name <addr>" is allowed by RFC 5230; the name is not used. */
	lt = strrchr(s, '<');
	gt = lt != NULL ? strchr(lt, '>') : NULL;
	a = lt != NULL && gt != NULL ? g_strndup(lt + 1, (gsize)(gt - lt - 1)) :
	    g_strstrip(g_strdup(s));
	if (*a == '\0' || strlen(a) > VACATION_MAX_ADDRESS || a[0] == '-' ||
	    strchr(a, '@') == NULL)
		goto bad;
	for (const char *p = a; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || strchr("<>,;\"\\()[]",
		    *p) != NULL)
			goto bad;
	{
		char *low = g_ascii_strdown(a, -1);

		g_free(a);
		return low;
	}
bad:
	g_free(a);
	return NULL;
}

/* vacation_text_part - the first text/plain leaf of OBJ, decoded */
static char *
vacation_text_part(GMimeObject *obj)
{
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);

		for (int i = 0; i < n && i < 64; i++) {
			char *t = vacation_text_part(
			    g_mime_multipart_get_part(mp, i));

			if (t != NULL)
				return t;
		}
		return NULL;
	}
	if (GMIME_IS_TEXT_PART(obj)) {
		GMimeContentType *ct = g_mime_object_get_content_type(obj);

		if (ct != NULL && g_mime_content_type_is_type(ct, "text", "plain"))
			return g_mime_text_part_get_text(GMIME_TEXT_PART(obj));
	}
	return NULL;
}

/* vacation_body - the reason as plain text (the text part with :mime) */
char *
vacation_body(const struct vacation_request *req)
{
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeObject *obj;
	char *text;

	if (req->reason == NULL)
		return NULL;
	if (!req->mime)
		return g_strndup(req->reason, VACATION_MAX_BODY);
	stream = g_mime_stream_mem_new_with_buffer(req->reason,
	    strlen(req->reason));
	parser = g_mime_parser_new_with_stream(stream);
	obj = g_mime_parser_construct_part(parser, NULL);
	text = obj != NULL ? vacation_text_part(obj) : NULL;
	if (obj != NULL)
		g_object_unref(obj);
	g_object_unref(parser);
	g_object_unref(stream);
	if (text != NULL && strlen(text) > VACATION_MAX_BODY)
		text[VACATION_MAX_BODY] = '\0';
	return text;
}
