/*
 * NAME
 *	ldap-conn - one LDAP connection for the directory: lookups and writes
 * SUMMARY
 *	See ldap-conn.h. The order of things on a fresh handle: options
 *	(each checked), then a new TLS context so that the per-handle TLS
 *	options apply, then StartTLS or connect (a dead URI is skipped
 *	here, not at the first search), then the bind.
 * DIAGNOSTICS
 *	0, -1 (cannot reach, failed) or -2 (refused, unusable settings),
 *	with an error that names the URI; see ldap-conn.h.
 * SECURITY
 *	Certificates are always demanded. The bind password is read with
 *	secret_read() just before the bind and wiped right after it.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <glib.h>
#include <lber.h>
#include <ldap.h>

#include "ldap-conn.h"
#include "secret.h"

#define CONN_PASSWORD_MAX	1024	/* bytes in bind_password_file */
#define CONN_LOCAL		(-3)	/* a local fault: the same on any URI */

struct dir_conn {
	char  **uris;			/* owned, NULL-terminated */
	char   *bind_dn;		/* NULL: no simple bind */
	char   *password_file;
	char   *password;		/* in memory (bind_password), or NULL */
	int	sasl_external;
	int	starttls;		/* tls = "starttls" */
	char   *ca_file;		/* NULL: the system's store */
	unsigned int network_timeout;
	unsigned int timeout;
	unsigned int size_limit;	/* 0: none asked for */

	LDAP   *ld;			/* NULL until connected */
	const char *uri;		/* the URI ld is connected to */
};

/* conn_nonempty - a copy of S, or NULL when S is NULL or "" */
static char *
conn_nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? g_strdup(s) : NULL;
}

/* conn_class - -1 for a directory that cannot answer now, -2 otherwise */
static int
conn_class(int rc)
{
	switch (rc) {
	case LDAP_SERVER_DOWN:
	case LDAP_CONNECT_ERROR:
	case LDAP_TIMEOUT:
	case LDAP_TIMELIMIT_EXCEEDED:
	case LDAP_BUSY:
	case LDAP_UNAVAILABLE:
	case LDAP_LOCAL_ERROR:
	case LDAP_NO_MEMORY:
	case LDAP_OTHER:
		return -1;
	default:
		return -2;
	}
}

/* conn_message - "LDAP URI: WHAT: error (code; diagnostic)" */
static char *
conn_message(LDAP *ld, const char *uri, const char *what, int rc)
{
	char   *diag = NULL, *msg;

	if (ld != NULL)
		(void)ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	/* GnuTLS leaves "(unknown error code)" for a failed check */
	if (diag != NULL && *diag != '\0'
	    && strcmp(diag, "(unknown error code)") != 0)
		msg = g_strdup_printf("LDAP %s: %s: %s (%d; %s)", uri, what,
				      ldap_err2string(rc), rc, diag);
	else
		msg = g_strdup_printf("LDAP %s: %s: %s (%d)", uri, what,
				      ldap_err2string(rc), rc);
	if (diag != NULL)
		ldap_memfree(diag);
	return msg;
}

/* dir_conn_fail - *error_r = "LDAP URI: WHAT: error"; -1 or -2 by RC */
int
dir_conn_fail(const struct dir_conn *conn, const char *what, int rc,
	      char **error_r)
{
	*error_r = conn_message(conn->ld, conn->uri != NULL ? conn->uri : "",
				what, rc);
	return conn_class(rc);
}

/* conn_option - one ldap_set_option(), its failure named; 0 or -2 */
static int
conn_option(LDAP *h, const char *uri, int option, const void *value,
	    const char *what, char **error_r)
{
	int	rc;

	rc = ldap_set_option(h, option, value);
	if (rc == LDAP_OPT_SUCCESS)
		return 0;
	/* LDAP_OPT_ERROR (-1) is not a result code: no ldap_err2string() */
	*error_r = g_strdup_printf("LDAP %s: %s (libldap refused the "
	    "option)", uri, what);
	return -2;
}

/* conn_set_options - per-handle options before anything is sent */
static int
conn_set_options(const struct dir_conn *conn, LDAP *h, const char *uri,
		 char **error_r)
{
	struct timeval net_tv, op_tv;
	int	version = LDAP_VERSION3;
	int	deref = LDAP_DEREF_NEVER;
	int	sizelimit = (int)conn->size_limit;
	int	require = LDAP_OPT_X_TLS_DEMAND;
	int	is_server = 0;

	net_tv.tv_sec = (time_t)conn->network_timeout;
	net_tv.tv_usec = 0;
	op_tv.tv_sec = (time_t)conn->timeout;
	op_tv.tv_usec = 0;
	if (conn_option(h, uri, LDAP_OPT_PROTOCOL_VERSION, &version,
			"cannot set LDAPv3", error_r) < 0
	    || conn_option(h, uri, LDAP_OPT_REFERRALS, LDAP_OPT_OFF,
			   "cannot turn referral chasing off", error_r) < 0
	    || conn_option(h, uri, LDAP_OPT_DEREF, &deref,
			   "cannot turn alias dereferencing off", error_r) < 0
	    || conn_option(h, uri, LDAP_OPT_SIZELIMIT, &sizelimit,
			   "cannot set the size limit", error_r) < 0
	    || conn_option(h, uri, LDAP_OPT_NETWORK_TIMEOUT, &net_tv,
			   "cannot set network_timeout", error_r) < 0
	    || conn_option(h, uri, LDAP_OPT_TIMEOUT, &op_tv,
			   "cannot set timeout", error_r) < 0
	    || conn_option(h, uri, LDAP_OPT_RESTART, LDAP_OPT_ON,
			   "cannot set restart on EINTR", error_r) < 0)
		return -2;

	/* TLS: per handle, then a fresh context so that they apply. */
	if (conn_option(h, uri, LDAP_OPT_X_TLS_REQUIRE_CERT, &require,
			"cannot require TLS certificates", error_r) < 0)
		return -2;
	if (conn->ca_file != NULL
	    && conn_option(h, uri, LDAP_OPT_X_TLS_CACERTFILE, conn->ca_file,
			   "cannot set ca_file", error_r) < 0)
		return -2;
	if (conn_option(h, uri, LDAP_OPT_X_TLS_NEWCTX, &is_server,
			conn->ca_file != NULL ? "cannot set up TLS (is ca_file "
			"a readable PEM file?)" : "cannot set up TLS", error_r)
	    < 0)
		return -2;
	return 0;
}

/* conn_bind - authenticate a fresh handle; 0, -1, -2 or CONN_LOCAL */
static int
conn_bind(const struct dir_conn *conn, LDAP *h, const char *uri,
	  char **error_r)
{
	struct berval cred;
	char   *password = NULL, *what;
	size_t	len = 0;
	int	rc;

	if (conn->sasl_external) {
		/*
		 * EXTERNAL (RFC 4422 appendix A) is one message: the
		 * mechanism name and an empty authorization identity, so
		 * the server uses the identity it already knows (peer
		 * credentials on ldapi://, the client certificate on TLS).
		 * Sent directly, it needs no client SASL library and no
		 * interaction callback.
		 */
		cred.bv_val = (char *)"";
		cred.bv_len = 0;
		rc = ldap_sasl_bind_s(h, NULL, "EXTERNAL", &cred, NULL, NULL,
				      NULL);
		if (rc == LDAP_SUCCESS)
			return 0;
		*error_r = conn_message(h, uri, "SASL EXTERNAL bind failed",
					rc);
		return conn_class(rc);
	}
	if (conn->bind_dn == NULL)
		return 0;			/* anonymous */
	if (conn->password != NULL) {
		len = strlen(conn->password);
		password = g_strndup(conn->password, len);
	} else if (secret_read(conn->password_file, "bind_password_file",
			       CONN_PASSWORD_MAX, &password, &len,
			       error_r) < 0) {
		return CONN_LOCAL;
	}
	if (len == 0 || memchr(password, '\0', len) != NULL
	    || memchr(password, '\n', len) != NULL) {
		secret_free(&password, len);
		*error_r = g_strdup_printf("bind_password_file %s: empty, or "
		    "more than one line, or a NUL byte", conn->password_file);
		return CONN_LOCAL;
	}
	cred.bv_val = password;
	cred.bv_len = len;
	rc = ldap_sasl_bind_s(h, conn->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL,
			      NULL, NULL);
	secret_free(&password, len);
	if (rc == LDAP_SUCCESS)
		return 0;
	what = g_strdup_printf("bind as %s failed", conn->bind_dn);
	*error_r = conn_message(h, uri, what, rc);
	g_free(what);
	return conn_class(rc);
}

/* conn_open_one - a ready (TLS, bound) handle to URI; 0, -1, -2, CONN_LOCAL */
static int
conn_open_one(const struct dir_conn *conn, const char *uri, LDAP **h_r,
	      char **error_r)
{
	LDAP   *h = NULL;
	int	rc, ret;

	*h_r = NULL;
	if ((rc = ldap_initialize(&h, uri)) != LDAP_SUCCESS || h == NULL) {
		*error_r = conn_message(NULL, uri, "bad URI", rc);
		return -2;
	}
	if ((ret = conn_set_options(conn, h, uri, error_r)) < 0)
		goto fail;
	if (conn->starttls && g_ascii_strncasecmp(uri, "ldap://", 7) == 0) {
		/* connects, then upgrades; refuses a bad certificate */
		if ((rc = ldap_start_tls_s(h, NULL, NULL)) != LDAP_SUCCESS) {
			*error_r = conn_message(h, uri, "StartTLS failed (no "
			    "StartTLS, or the certificate did not verify)",
			    rc);
			ret = -1;
			goto fail;
		}
	} else if ((rc = ldap_connect(h)) != LDAP_SUCCESS) {
		/* connect now, so that a dead URI is skipped here */
		*error_r = conn_message(h, uri, g_ascii_strncasecmp(uri,
		    "ldaps://", 8) == 0 ? "cannot connect, or TLS failed (is "
		    "the certificate valid for this host name?)"
		    : "cannot connect", rc);
		ret = -1;
		goto fail;
	}
	if ((ret = conn_bind(conn, h, uri, error_r)) < 0)
		goto fail;
	*h_r = h;
	return 0;
fail:
	ldap_unbind_ext_s(h, NULL, NULL);
	return ret;
}

/*
 * dir_conn_connect - connect to the first URI that works
 *
 * Every failure is kept; if no URI works, the error names all of them,
 * so the log says why each replica was skipped. A password file that
 * cannot be used is the same for every URI: it ends the search at once.
 */
int
dir_conn_connect(struct dir_conn *conn, char **error_r)
{
	GString *errors;
	char   *err;
	size_t	i;
	int	rc, ret = -1;

	*error_r = NULL;
	if (conn->ld != NULL)
		return 0;
	errors = g_string_new(NULL);
	for (i = 0; conn->uris[i] != NULL; i++) {
		err = NULL;
		rc = conn_open_one(conn, conn->uris[i], &conn->ld, &err);
		if (rc == 0) {
			conn->uri = conn->uris[i];
			g_string_free(errors, TRUE);
			return 0;
		}
		if (rc != -1)
			ret = -2;
		if (errors->len > 0)
			g_string_append(errors, "; ");
		g_string_append(errors, err);
		g_free(err);
		if (rc == CONN_LOCAL)
			break;
	}
	*error_r = g_string_free(errors, FALSE);
	return ret;
}

/* dir_conn_ld - the live handle, or NULL when not connected */
LDAP *
dir_conn_ld(const struct dir_conn *conn)
{
	return conn->ld;
}

/* dir_conn_uri - the URI of the live handle ("" when not connected) */
const char *
dir_conn_uri(const struct dir_conn *conn)
{
	return conn->uri != NULL ? conn->uri : "";
}

/* dir_conn_timeout - the operation timeout, for the searches */
unsigned int
dir_conn_timeout(const struct dir_conn *conn)
{
	return conn->timeout;
}

/* dir_conn_disconnect - drop the handle; the next connect opens anew */
void
dir_conn_disconnect(struct dir_conn *conn)
{
	if (conn->ld != NULL)
		ldap_unbind_ext_s(conn->ld, NULL, NULL);
	conn->ld = NULL;
	conn->uri = NULL;
}

/* dir_conn_free - disconnect and release; sets *conn to NULL */
void
dir_conn_free(struct dir_conn **conn)
{
	struct dir_conn *c;

	if (conn == NULL || *conn == NULL)
		return;
	c = *conn;
	dir_conn_disconnect(c);
	g_strfreev(c->uris);
	g_free(c->bind_dn);
	g_free(c->password_file);
	if (c->password != NULL)
		explicit_bzero(c->password, strlen(c->password));
	g_free(c->password);
	g_free(c->ca_file);
	g_free(c);
	*conn = NULL;
}

/* dir_conn_new - check the LDAP settings of SET and keep them; -1 if bad */
int
dir_conn_new(const struct dir_settings *set, struct dir_conn **conn_r,
	     char **error_r)
{
	struct dir_conn *c;
	const char *const *p;
	GPtrArray *uris;

	*conn_r = NULL;
	*error_r = NULL;
	if (set->uris == NULL || set->uris[0] == NULL) {
		*error_r = g_strdup("directory backend ldap: no uri set");
		return -1;
	}
	if (set->sasl_mech != NULL && *set->sasl_mech != '\0'
	    && g_ascii_strcasecmp(set->sasl_mech, "EXTERNAL") != 0) {
		*error_r = g_strdup_printf("directory backend ldap: SASL "
		    "mechanism %s is not supported (only EXTERNAL)",
		    set->sasl_mech);
		return -1;
	}
	if (set->bind_dn != NULL && *set->bind_dn != '\0'
	    && (set->bind_password == NULL || *set->bind_password == '\0')
	    && (set->bind_password_file == NULL
		|| *set->bind_password_file == '\0')) {
		*error_r = g_strdup("directory backend ldap: bind_dn is set "
		    "but bind_password_file is not (refusing an "
		    "unauthenticated bind)");
		return -1;
	}
	if (set->bind_dn != NULL && *set->bind_dn != '\0'
	    && set->sasl_mech != NULL && *set->sasl_mech != '\0') {
		*error_r = g_strdup("directory backend ldap: set either "
		    "bind_dn or sasl_mech, not both");
		return -1;
	}
	if (set->tls != NULL && g_ascii_strcasecmp(set->tls, "starttls") != 0
	    && g_ascii_strcasecmp(set->tls, "none") != 0) {
		*error_r = g_strdup_printf("directory backend ldap: tls "
		    "\"%s\" is neither starttls nor none", set->tls);
		return -1;
	}
	uris = g_ptr_array_new_with_free_func(g_free);
	for (p = set->uris; *p != NULL; p++) {
		if (g_ascii_strncasecmp(*p, "ldap://", 7) != 0
		    && g_ascii_strncasecmp(*p, "ldaps://", 8) != 0
		    && g_ascii_strncasecmp(*p, "ldapi://", 8) != 0) {
			*error_r = g_strdup_printf("directory backend ldap: "
			    "\"%s\" is not an ldap://, ldaps:// or ldapi:// "
			    "URI", *p);
			g_ptr_array_free(uris, TRUE);
			return -1;
		}
		g_ptr_array_add(uris, g_strdup(*p));
	}
	g_ptr_array_add(uris, NULL);

	c = g_new0(struct dir_conn, 1);
	g_ptr_array_set_free_func(uris, NULL);
	c->uris = (char **)g_ptr_array_free(uris, FALSE);
	c->bind_dn = conn_nonempty(set->bind_dn);
	c->password_file = conn_nonempty(set->bind_password_file);
	c->password = conn_nonempty(set->bind_password);
	c->sasl_external = set->sasl_mech != NULL && *set->sasl_mech != '\0';
	c->starttls = set->tls == NULL
	    || g_ascii_strcasecmp(set->tls, "starttls") == 0;
	c->ca_file = conn_nonempty(set->ca_file);
	c->network_timeout = set->network_timeout > 0
	    ? set->network_timeout : 5;
	c->timeout = set->timeout > 0 ? set->timeout : 10;
	c->size_limit = set->size_limit;
	*conn_r = c;
	return 0;
}

/*
 * dir_conn_filter_value - append VALUE[0..LEN) to OUT, RFC 4515 escaped
 *
 * libldap's escaping: the specials '*', '(', ')', '\\' and NUL, and also
 * control characters, DEL and every byte over 0x7f, so that the filter
 * is printable ASCII and reads the same in the server's log.
 */
void
dir_conn_filter_value(const char *value, size_t len, GString *out)
{
	struct berval in, esc;

	if (len == 0)
		return;
	in.bv_val = (char *)value;
	in.bv_len = len;
	esc.bv_val = NULL;
	esc.bv_len = 0;
	if (ldap_bv2escaped_filter_value(&in, &esc) != 0 || esc.bv_val == NULL)
		g_error("ldap_bv2escaped_filter_value: out of memory");
	g_string_append_len(out, esc.bv_val, (gssize)esc.bv_len);
	ber_memfree(esc.bv_val);
}
