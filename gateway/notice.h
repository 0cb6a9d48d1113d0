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

#endif
