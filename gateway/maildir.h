#ifndef DEPUTY_MAILDIR_H
#define DEPUTY_MAILDIR_H

/*
 * NAME
 *	maildir - durable delivery into a Maildir
 * SUMMARY
 *	Writes the message to tmp/, fsyncs it, links it into new/, fsyncs
 *	new/: after 0 the message survives a crash. Missing Maildir
 *	folders (and their parents) are created with mode 0700.
 * DIAGNOSTICS
 *	-1 with *error_r on any failure; a half-written tmp/ file is
 *	removed. The caller exits with a temporary failure.
 * SECURITY
 *	maildir_path() never lets an address leave the template's
 *	directory: '/', '%', control characters and a leading '.' of the
 *	local part, the domain or the whole address are written %XX, so
 *	"../../etc@example.org" is the one component "%2E.%2F..%2Fetc".
 *	The recipient chose it: it is stored, not deferred.
 */

/*
 * maildir_path - expand TEMPLATE (%u address, %l local part, %d domain);
 * -1 only for a template with an unknown % sequence
 */
int maildir_path(const char *tmpl, const char *address, char **path_r,
		 char **error_r);

/*
 * maildir_folder - the Maildir++ folder of ROOT named FOLDER (a Sieve
 * fileinto name): "INBOX" is ROOT itself; '/' and '.' separate levels;
 * non-ASCII is written in IMAP's modified UTF-7, as Dovecot does.
 * -1 with *error_r for a name that is empty, too long or has an empty
 * level, a control character or '~'.
 */
int maildir_folder(const char *root, const char *folder, char **path_r,
		   char **error_r);

/*
 * maildir_deliver - copy the message at FD into the Maildir DIR. With
 * KEY (hex), the file is named after it, the same on every attempt,
 * and a file of that name already in new/ means an earlier attempt
 * delivered it: 1 and nothing written. Otherwise 0 when delivered.
 */
int maildir_deliver(const char *dir, int fd, const char *hostname,
		    const char *key, char **file_r, char **error_r);

#endif
