#ifndef DEPUTY_NOTICE_H
#define DEPUTY_NOTICE_H

/*
 * NAME
 *	notice - build an RFC 3834 notice with GMime
 * SUMMARY
 *	From the away user, to the envelope sender only, UTF-8 text in
 *	quoted-printable, RFC 2047 Subject, Auto-Submitted: auto-replied,
 *	Precedence: bulk, X-Auto-Response-Suppress: All, In-Reply-To and
 *	References from the original, no quoted content. It is sent with
 *	the null envelope sender by the caller.
 * DIAGNOSTICS
 *	-1 with *error_r when an address cannot be used.
 * SECURITY
 *	Nothing with CR, LF or NUL reaches a header: message ids are
 *	copied only when they are plain msg-id tokens, names and subject
 *	go through GMime's RFC 2047 encoder after control characters were
 *	replaced (tmpl.c) and every "=?" split (GMime would copy a literal
 *	encoded-word, which the reader decodes), a display name with '='
 *	is left out (GMime would not escape it in an encoded-word),
 *	addresses are checked by the caller.
 */

#include <time.h>

struct dir;
struct dir_strings;

struct notice_input {
	const char *from_address;	/* the away user */
	const char *from_name;		/* display name or NULL */
	const char *to_address;		/* the envelope sender */
	const char *subject;		/* rendered, one line */
	const char *body;		/* rendered, UTF-8 */
	const char *in_reply_to;	/* original Message-ID (no <>) */
	const char *references;	/* original References, raw, or NULL */
	const char *hostname;
	const char *unique;		/* for the Message-ID */
	time_t now;
};

/* notice_build - the whole message as text (LF line ends) */
int notice_build(const struct notice_input *in, char **text_r,
		 char **error_r);

/* notice_msgid_ok - whether ID may be copied into a header as <ID> */
int notice_msgid_ok(const char *id);

/*
 * notice_until - the end of an absence as a notice says it, in ZONE:
 * "2026-12-18" for an exclusive midnight end (the day before is the
 * last), else "2026-12-18 14:00 CET"; "further notice" for 0
 */
char *notice_until(time_t end, const char *zone);

/*
 * notice_delegate_names - "Bob Jones <bob@example.org>, ..." for the
 * ADDRS, with their display names from DIR where it has them
 */
char *notice_delegate_names(struct dir *dir, const struct dir_strings *addrs);

#endif
