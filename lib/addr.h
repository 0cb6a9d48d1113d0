#ifndef DEPUTY_ADDR_H
#define DEPUTY_ADDR_H

/*
 * NAME
 *	addr - the one rule for a mail address deputy may hand on
 * SUMMARY
 *	addr_is_safe() says whether an address may go into an envelope,
 *	a sendmail argument or the directory as a delegate. Every part of
 *	deputy that accepts an address from outside (the LDA, deputyctl,
 *	the directory writer) asks this function, so that what one of them
 *	takes the others do not refuse.
 *
 *	The rules: 1 to 320 bytes; exactly one '@', with something on
 *	both sides; not starting with '-' (it would read as an option);
 *	no control character, space or DEL; none of the RFC 5322 specials
 *	'<' '>' ',' ';' '"' '\' anywhere, nor '(' ')' '[' ']' ':' in the
 *	local part; the domain is a name without those, or one address
 *	literal "[...]" with no bracket inside and nothing after it.
 * DIAGNOSTICS
 *	1 (safe) or 0. NULL is not safe.
 * SECURITY
 *	A quoted local part, a comment, a second '@' (a route, or an
 *	address hidden in another) and a line break are all refused: such
 *	an address could mean something else to the next program.
 */

#define ADDR_MAX	320	/* RFC 5321: 64 + 1 + 255 */

/* addr_is_safe - whether A is an address deputy may hand on */
int addr_is_safe(const char *a);

#endif
