#ifndef DEPUTY_ENVELOPE_H
#define DEPUTY_ENVELOPE_H

/*
 * NAME
 *	envelope - the envelope sender and recipients as deputy uses them
 * SUMMARY
 *	MTAs spell the same address several ways on a command line or in
 *	LMTP: with or without angle brackets, "<>" or "MAILER-DAEMON" for
 *	the null sender (Postfix pipe(8) without null_sender=), an RFC 5321
 *	source route ("@a,@b:x@y", obsolete, still legal). Every rule of
 *	deputy sees one form: the bare addr-spec, "" for the null sender.
 *
 *	A recipient with a subaddress ("alice+news@example.org", with
 *	delivery.recipient_delimiter "+") is the user "alice@example.org"
 *	with the detail "news", as Postfix and Dovecot treat it.
 * DIAGNOSTICS
 *	None: every input has a normal form. Whether that form is safe in
 *	a header or an argv is addr_is_safe()'s question, not this one's.
 */

/* envelope_sender - the normal form of GIVEN ("" for the null sender) */
char *envelope_sender(const char *given);

/*
 * envelope_recipient - the normal form of GIVEN, lowercased. With
 * DELIMITERS (the characters that may start a detail, e.g. "+"; NULL
 * or "": none), the local part is split at the first of them that is
 * not its first character: *base_r gets "local@domain", *detail_r the
 * detail ("" when the delimiter ends the local part). Without a detail
 * *base_r is the whole address and *detail_r NULL. Free with g_free().
 */
void envelope_recipient(const char *given, const char *delimiters,
			char **base_r, char **detail_r);

/* envelope_base - ADDRESS without its detail (a copy, lowercased) */
char *envelope_base(const char *address, const char *delimiters);

/* envelope_domain - the part after the last '@', or "" */
const char *envelope_domain(const char *address);

#endif
