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
 *	maildir_path() refuses addresses that could leave the template's
 *	directory: '/', a leading '.', control characters, "..".
 */

/* maildir_path - expand TEMPLATE (%u address, %l local part, %d domain) */
int maildir_path(const char *tmpl, const char *address, char **path_r,
		 char **error_r);

/* maildir_deliver - copy the message at FD into the Maildir DIR */
int maildir_deliver(const char *dir, int fd, const char *hostname,
		    char **file_r, char **error_r);

#endif
