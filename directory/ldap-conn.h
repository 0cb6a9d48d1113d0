#ifndef DEPUTY_LDAP_CONN_H
#define DEPUTY_LDAP_CONN_H

/*
 * NAME
 *	ldap-conn - one LDAP connection for the directory: lookups and writes
 * SUMMARY
 *	dir_conn_new() checks the LDAP part of struct dir_settings and
 *	keeps a copy; nothing is sent. dir_conn_connect() connects to the
 *	first URI that answers, in the configured order (ldap://, ldaps://,
 *	ldapi://): LDAPv3, network and operation timeouts, no referral
 *	chasing, no alias dereferencing, the size limit of the settings,
 *	restart on EINTR. On ldap:// with tls = "starttls" the session is
 *	upgraded with StartTLS; ldaps:// is TLS from the start; ldapi:// is
 *	a local socket and never uses TLS. Certificates are always checked
 *	(LDAP_OPT_X_TLS_DEMAND), against ca_file when it is set, else the
 *	system's store. Every ldap_set_option() result is checked: an
 *	option that does not take is a failure, not a weaker connection.
 *
 *	Authentication: a simple bind as bind_dn with the password read
 *	from bind_password_file (lib/secret.h: a regular file of the
 *	effective user, mode 0600 or stricter, one line); SASL EXTERNAL
 *	(over ldapi://, the peer credentials of the process; over TLS, a
 *	client certificate); or nothing (anonymous).
 *
 *	dir-ldap.c (lookups for delivery) and dir-write.c (deputyctl's
 *	writes, with the operator's identity) both use it.
 * DIAGNOSTICS
 *	Functions return 0, or -1 or -2 with *error_r, which names the URI,
 *	what failed and the LDAP error (code, and the server's or the TLS
 *	library's diagnostic). -1: the directory cannot be reached or
 *	failed (no URI answers, TLS or a certificate check fails, a
 *	timeout, busy or unavailable); -2: it refused, or the settings
 *	cannot work (a bind refused, a password file that is not ours,
 *	an option or ca_file libldap does not take). When several URIs
 *	fail, the error names each; it is -2 when any of them refused.
 *	The delivery path treats both alike (try again later); deputyctl
 *	tells them apart (exit 2 or 3).
 * SECURITY
 *	The password is wiped from memory right after the bind. Filter
 *	values go through dir_conn_filter_value() (RFC 4515, libldap's own
 *	escaping).
 */

#include <glib.h>
#include <ldap.h>

#include "directory.h"

struct dir_conn;

/* dir_conn_new - check the LDAP settings of SET and keep them; -1 if bad */
int dir_conn_new(const struct dir_settings *set, struct dir_conn **conn_r,
		 char **error_r);

/* dir_conn_connect - connect and bind, unless connected; 0, -1, -2 */
int dir_conn_connect(struct dir_conn *conn, char **error_r);

/* dir_conn_ld - the live handle, or NULL when not connected */
LDAP *dir_conn_ld(const struct dir_conn *conn);

/* dir_conn_uri - the URI of the live handle ("" when not connected) */
const char *dir_conn_uri(const struct dir_conn *conn);

/* dir_conn_timeout - the operation timeout, for the searches */
unsigned int dir_conn_timeout(const struct dir_conn *conn);

/* dir_conn_disconnect - drop the handle; the next connect opens anew */
void dir_conn_disconnect(struct dir_conn *conn);

/* dir_conn_free - disconnect and release; sets *conn to NULL */
void dir_conn_free(struct dir_conn **conn);

/*
 * dir_conn_fail - *error_r = "LDAP URI: WHAT: error (code; diagnostic)"
 *
 * Returns -1 for the result codes of a directory that cannot answer
 * now (server down, connect error, timeouts, busy, unavailable, local
 * errors) and -2 for the others (it answered and refused).
 */
int dir_conn_fail(const struct dir_conn *conn, const char *what, int rc,
		  char **error_r);

/* dir_conn_filter_value - append VALUE[0..LEN) to OUT, RFC 4515 escaped */
void dir_conn_filter_value(const char *value, size_t len, GString *out);

#endif
