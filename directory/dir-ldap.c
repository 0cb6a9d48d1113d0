/*
 * NAME
 *	dir-ldap - the production directory: an LDAP server, through libldap
 * SUMMARY
 *	Connects lazily, at the first lookup, to the first configured URI
 *	that answers (ldap://, ldaps://, ldapi://, in the configured order):
 *	LDAPv3, network and operation timeouts, no referral chasing, no
 *	alias dereferencing, a size limit. On ldap:// with tls = "starttls"
 *	the session is upgraded with StartTLS; ldaps:// is TLS from the
 *	start; ldapi:// is a local socket and never uses TLS. Certificates
 *	are always checked (LDAP_OPT_X_TLS_DEMAND), against ca_file when it
 *	is set, else the system's store.
 *
 *	Authentication: a simple bind as bind_dn with the password read
 *	from bind_password_file; or SASL EXTERNAL (over ldapi://, the peer
 *	credentials of the process; over TLS, a client certificate); or
 *	nothing (anonymous).
 *
 *	dir_lookup() is exactly one subtree search under base with the
 *	filter (|(mail=X)(alias1=X)...), X escaped per RFC 4515, asking
 *	only for the attributes deputy reads. dir_lookup_dn() is one
 *	base-scope search on the DN. Entries map to struct dir_entry the
 *	way dir-ldif.c maps LDIF records: mail and alias values trimmed and
 *	lowercased (mail values first, no duplicates), deputyAbsence kept
 *	as written, the other values trimmed, descriptions with options
 *	("displayName;lang-de") ignored.
 * DIAGNOSTICS
 *	0 when no entry matches, and when the DN of dir_lookup_dn() does
 *	not exist (noSuchObject): an unknown recipient is "not away".
 *	-1 with an error naming the URI and the LDAP error for everything
 *	else: no URI reachable, a failed StartTLS or certificate check, a
 *	refused bind, a timeout, a size limit hit, a referral, and more
 *	than one entry for one address. The last is a directory mistake
 *	(two people claim one address); -1 keeps the mail queued and the
 *	error in the log until the helpdesk fixes it, rather than pick one
 *	of them at random. A missing search base (noSuchObject on an
 *	address lookup) is a configuration mistake and also -1.
 *
 *	Values deputy cannot use (a NUL byte, bad UTF-8, over DIR_VALUE_MAX
 *	bytes, an address over DIR_ADDRESS_MAX) are skipped, and values
 *	past DIR_VALUES_MAX per attribute are dropped: a live directory
 *	must not stop mail for one bad value. An unknown deputyNotice
 *	counts as "none" (fail closed for notices).
 * SECURITY
 *	The address comes from the MTA (and, for delegates, from the
 *	directory): it only ever reaches the server escaped. The password
 *	file must be a regular file owned by the effective user with no
 *	group or other permissions; the password is wiped from memory after
 *	the bind. Attribute names from the configuration are checked to be
 *	plain attribute descriptions.
 * BUGS
 *	A lookup on a connection that turns out to be dead is retried once
 *	on a fresh connection (the first attempt never reached a server).
 *	This is the only case in which one dir_lookup() sends two searches.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <lber.h>
#include <ldap.h>

#include "directory.h"
#include "directory-private.h"

#define LDAP_PASSWORD_MAX	1024	/* bytes in bind_password_file */
#define LDAP_ATTR_NAME_MAX	64	/* one configured alias attribute */
#define LDAP_ALIASES_MAX	16	/* configured alias attributes */

enum {
	LDAP_LINK_OK,			/* the connection is still usable */
	LDAP_LINK_TIMEOUT,		/* no answer in time: drop it */
	LDAP_LINK_DEAD,			/* the connection broke: drop it */
};

struct ldap_dir {
	struct dir dir;			/* must be first */
	char  **uris;			/* owned, NULL-terminated */
	char   *base;
	char   *bind_dn;		/* NULL: no simple bind */
	char   *password_file;
	char   *sasl_mech;		/* NULL or "EXTERNAL" */
	int	starttls;		/* tls = "starttls" */
	char   *ca_file;
	unsigned int network_timeout;
	unsigned int timeout;
	unsigned int size_limit;
	char  **aliases;		/* alias attribute names, owned */
	char  **attrs;			/* attributes requested, owned */

	LDAP   *ld;			/* NULL until connected */
	const char *uri;		/* the URI ld is connected to */
};

/* What becomes of the values of one attribute. */
enum ldap_attr_kind {
	LDAP_ATTR_TEXT,			/* kept as written */
	LDAP_ATTR_TRIM,			/* surrounding white space dropped */
	LDAP_ATTR_ADDRESS,		/* trimmed and lowercased */
};

/* Values of one entry, collected before they become a struct dir_entry. */
struct ldap_record {
	GPtrArray *mail;
	GPtrArray *aliases;
	GPtrArray *display_name;
	GPtrArray *language;
	GPtrArray *template_name;
	GPtrArray *notice;
	GPtrArray *absences;
	GPtrArray *delegates;
	GPtrArray *secretaries;
	GPtrArray *managers;
	GPtrArray *account;		/* deputyAccountStatus */
	GPtrArray *refused;		/* deputyRefusedSender */
};

static const struct {
	const char *name;
	size_t	offset;
	enum ldap_attr_kind kind;
} ldap_known[] = {
	{ "mail", G_STRUCT_OFFSET(struct ldap_record, mail),
	  LDAP_ATTR_ADDRESS },
	{ "displayName", G_STRUCT_OFFSET(struct ldap_record, display_name),
	  LDAP_ATTR_TEXT },
	{ "preferredLanguage", G_STRUCT_OFFSET(struct ldap_record, language),
	  LDAP_ATTR_TRIM },
	{ "deputyTemplate",
	  G_STRUCT_OFFSET(struct ldap_record, template_name), LDAP_ATTR_TRIM },
	{ "deputyNotice", G_STRUCT_OFFSET(struct ldap_record, notice),
	  LDAP_ATTR_TRIM },
	{ "deputyAbsence", G_STRUCT_OFFSET(struct ldap_record, absences),
	  LDAP_ATTR_TEXT },
	{ "deputyDelegate", G_STRUCT_OFFSET(struct ldap_record, delegates),
	  LDAP_ATTR_TRIM },
	{ "secretary", G_STRUCT_OFFSET(struct ldap_record, secretaries),
	  LDAP_ATTR_TRIM },
	{ "manager", G_STRUCT_OFFSET(struct ldap_record, managers),
	  LDAP_ATTR_TRIM },
	{ "deputyAccountStatus", G_STRUCT_OFFSET(struct ldap_record, account),
	  LDAP_ATTR_TRIM },
	{ "deputyRefusedSender", G_STRUCT_OFFSET(struct ldap_record, refused),
	  LDAP_ATTR_TRIM },
};

/*
 * dir_ldap_filter_escape - append VALUE[0..LEN) to OUT, escaped per RFC 4515
 *
 * The specials '*', '(', ')', '\\' and NUL must be escaped; control
 * characters, DEL and every byte over 0x7f are escaped too (RFC 4515
 * allows any octet as \XX), so that the filter is printable ASCII and
 * reads the same in the server's log.
 */
void
dir_ldap_filter_escape(const char *value, size_t len, GString *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t	i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c == '*' || c == '(' || c == ')' || c == '\\' || c < 0x20
		    || c >= 0x7f) {
			g_string_append_c(out, '\\');
			g_string_append_c(out, hex[c >> 4]);
			g_string_append_c(out, hex[c & 0xf]);
		} else {
			g_string_append_c(out, (char)c);
		}
	}
}

/* dir_ldap_attr_name_ok - whether NAME is a plain attribute description */
static int
dir_ldap_attr_name_ok(const char *name)
{
	size_t	i, len;

	len = strlen(name);
	if (len == 0 || len > LDAP_ATTR_NAME_MAX)
		return 0;
	if (g_ascii_isalpha(name[0])) {		/* descr: keystring */
		for (i = 1; i < len; i++)
			if (!g_ascii_isalnum(name[i]) && name[i] != '-')
				return 0;
		return 1;
	}
	for (i = 0; i < len; i++)		/* numericoid */
		if (!g_ascii_isdigit(name[i]) && name[i] != '.')
			return 0;
	return name[len - 1] != '.';
}

/* dir_ldap_fail - set *error_r to "LDAP URI: MESSAGE: ldap error" */
static int
dir_ldap_fail(const char *uri, const char *what, int rc, LDAP *ld,
	      char **error_r)
{
	char   *diag = NULL;

	if (ld != NULL)
		(void)ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	/* GnuTLS leaves "(unknown error code)" for a failed check */
	if (diag != NULL && *diag != '\0'
	    && strcmp(diag, "(unknown error code)") != 0)
		*error_r = g_strdup_printf("LDAP %s: %s: %s (%d; %s)", uri,
					   what, ldap_err2string(rc), rc, diag);
	else
		*error_r = g_strdup_printf("LDAP %s: %s: %s (%d)", uri, what,
					   ldap_err2string(rc), rc);
	if (diag != NULL)
		ldap_memfree(diag);
	return -1;
}

/*
 * dir_ldap_read_password - the bind password from FILE
 *
 * The file must be a regular file owned by the effective user, with no
 * permission bits for group or others; one trailing newline (LF or CRLF)
 * is not part of the password. The caller wipes and frees the result.
 */
static int
dir_ldap_read_password(const char *path, char **password_r, size_t *len_r,
		       char **error_r)
{
	struct stat st;
	char	buf[LDAP_PASSWORD_MAX + 1];
	size_t	got;
	ssize_t	n;
	int	fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		*error_r = g_strdup_printf("bind_password_file %s: %s", path,
					   g_strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		*error_r = g_strdup_printf("bind_password_file %s: %s", path,
					   g_strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*error_r = g_strdup_printf("bind_password_file %s: not a "
					   "regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		*error_r = g_strdup_printf("bind_password_file %s: owned by "
		    "uid %lu, not by the running user (uid %lu); refusing it",
		    path, (unsigned long)st.st_uid, (unsigned long)geteuid());
		close(fd);
		return -1;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		*error_r = g_strdup_printf("bind_password_file %s: mode %04o "
		    "lets group or others in (must be 0600 or stricter); "
		    "refusing it", path, (unsigned int)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	got = 0;
	while (got < sizeof(buf)) {
		n = read(fd, buf + got, sizeof(buf) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*error_r = g_strdup_printf("bind_password_file %s: %s",
						   path, g_strerror(errno));
			explicit_bzero(buf, sizeof(buf));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got > LDAP_PASSWORD_MAX) {
		explicit_bzero(buf, sizeof(buf));
		*error_r = g_strdup_printf("bind_password_file %s: longer "
		    "than %d bytes", path, LDAP_PASSWORD_MAX);
		return -1;
	}
	if (got > 0 && buf[got - 1] == '\n')
		got--;
	if (got > 0 && buf[got - 1] == '\r')
		got--;
	if (got == 0 || memchr(buf, '\0', got) != NULL
	    || memchr(buf, '\n', got) != NULL) {
		explicit_bzero(buf, sizeof(buf));
		*error_r = g_strdup_printf("bind_password_file %s: empty, or "
		    "more than one line, or a NUL byte", path);
		return -1;
	}
	*password_r = g_malloc(got + 1);
	memcpy(*password_r, buf, got);
	(*password_r)[got] = '\0';
	*len_r = got;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* dir_ldap_set_options - per-handle options before anything is sent */
static int
dir_ldap_set_options(struct ldap_dir *ld, LDAP *h, const char *uri,
		     char **error_r)
{
	struct timeval net_tv, op_tv;
	int	version = LDAP_VERSION3;
	int	deref = LDAP_DEREF_NEVER;
	int	sizelimit = (int)ld->size_limit;
	int	require = LDAP_OPT_X_TLS_DEMAND;
	int	is_server = 0;
	int	rc;

	net_tv.tv_sec = (time_t)ld->network_timeout;
	net_tv.tv_usec = 0;
	op_tv.tv_sec = (time_t)ld->timeout;
	op_tv.tv_usec = 0;
	if ((rc = ldap_set_option(h, LDAP_OPT_PROTOCOL_VERSION,
				  &version)) != LDAP_OPT_SUCCESS
	    || (rc = ldap_set_option(h, LDAP_OPT_REFERRALS,
				     LDAP_OPT_OFF)) != LDAP_OPT_SUCCESS
	    || (rc = ldap_set_option(h, LDAP_OPT_DEREF,
				     &deref)) != LDAP_OPT_SUCCESS
	    || (rc = ldap_set_option(h, LDAP_OPT_SIZELIMIT,
				     &sizelimit)) != LDAP_OPT_SUCCESS
	    || (rc = ldap_set_option(h, LDAP_OPT_NETWORK_TIMEOUT,
				     &net_tv)) != LDAP_OPT_SUCCESS
	    || (rc = ldap_set_option(h, LDAP_OPT_TIMEOUT,
				     &op_tv)) != LDAP_OPT_SUCCESS
	    || (rc = ldap_set_option(h, LDAP_OPT_RESTART,
				     LDAP_OPT_ON)) != LDAP_OPT_SUCCESS)
		return dir_ldap_fail(uri, "cannot set connection options",
				     rc, NULL, error_r);

	/* TLS: per handle, then a fresh context so that they apply. */
	if ((rc = ldap_set_option(h, LDAP_OPT_X_TLS_REQUIRE_CERT,
				  &require)) != LDAP_OPT_SUCCESS)
		return dir_ldap_fail(uri, "cannot require TLS certificates",
				     rc, NULL, error_r);
	if (ld->ca_file != NULL
	    && (rc = ldap_set_option(h, LDAP_OPT_X_TLS_CACERTFILE,
				     ld->ca_file)) != LDAP_OPT_SUCCESS)
		return dir_ldap_fail(uri, "cannot set ca_file", rc, NULL,
				     error_r);
	if ((rc = ldap_set_option(h, LDAP_OPT_X_TLS_NEWCTX,
				  &is_server)) != LDAP_OPT_SUCCESS)
		return dir_ldap_fail(uri, "cannot set up TLS (ca_file?)", rc,
				     NULL, error_r);
	return 0;
}

/* dir_ldap_bind - authenticate a fresh handle as configured */
static int
dir_ldap_bind(struct ldap_dir *ld, LDAP *h, const char *uri, char **error_r)
{
	struct berval cred;
	char   *password;
	size_t	len;
	int	rc;

	if (ld->sasl_mech != NULL) {
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
		if (rc != LDAP_SUCCESS)
			return dir_ldap_fail(uri, "SASL bind failed", rc, h,
					     error_r);
		return 0;
	}
	if (ld->bind_dn == NULL)
		return 0;			/* anonymous */
	if (dir_ldap_read_password(ld->password_file, &password, &len,
				   error_r) < 0)
		return -1;
	cred.bv_val = password;
	cred.bv_len = len;
	rc = ldap_sasl_bind_s(h, ld->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL,
			      NULL, NULL);
	explicit_bzero(password, len);
	g_free(password);
	if (rc != LDAP_SUCCESS) {
		char   *what = g_strdup_printf("bind as %s failed",
					       ld->bind_dn);

		dir_ldap_fail(uri, what, rc, h, error_r);
		g_free(what);
		return -1;
	}
	return 0;
}

/* dir_ldap_connect_one - a ready (TLS, bound) handle to URI */
static int
dir_ldap_connect_one(struct ldap_dir *ld, const char *uri, LDAP **h_r,
		     char **error_r)
{
	LDAP   *h = NULL;
	int	rc;

	*h_r = NULL;
	if ((rc = ldap_initialize(&h, uri)) != LDAP_SUCCESS || h == NULL)
		return dir_ldap_fail(uri, "bad URI", rc, NULL, error_r);
	if (dir_ldap_set_options(ld, h, uri, error_r) < 0)
		goto fail;
	if (ld->starttls && g_ascii_strncasecmp(uri, "ldap://", 7) == 0) {
		/* connects, then upgrades; refuses a bad certificate */
		if ((rc = ldap_start_tls_s(h, NULL, NULL)) != LDAP_SUCCESS) {
			dir_ldap_fail(uri, "StartTLS failed (no StartTLS, "
			    "or the certificate did not verify)", rc, h,
			    error_r);
			goto fail;
		}
	} else {
		/* Connect now, so a dead URI is skipped here. */
		if ((rc = ldap_connect(h)) != LDAP_SUCCESS) {
			dir_ldap_fail(uri, g_ascii_strncasecmp(uri, "ldaps://",
			    8) == 0 ? "cannot connect, or TLS failed (is the "
			    "certificate valid for this host name?)" :
			    "cannot connect", rc, h, error_r);
			goto fail;
		}
	}
	if (dir_ldap_bind(ld, h, uri, error_r) < 0)
		goto fail;
	*h_r = h;
	return 0;
fail:
	ldap_unbind_ext_s(h, NULL, NULL);
	return -1;
}

/* dir_ldap_disconnect - drop the connection, if any */
static void
dir_ldap_disconnect(struct ldap_dir *ld)
{
	if (ld->ld != NULL)
		ldap_unbind_ext_s(ld->ld, NULL, NULL);
	ld->ld = NULL;
	ld->uri = NULL;
}

/*
 * dir_ldap_connect - connect to the first URI that works
 *
 * Every failure is kept; if no URI works, the error names all of them,
 * so the log says why each replica was skipped.
 */
static int
dir_ldap_connect(struct ldap_dir *ld, char **error_r)
{
	GString *errors;
	char   *err;
	size_t	i;

	if (ld->ld != NULL)
		return 0;
	errors = g_string_new(NULL);
	for (i = 0; ld->uris[i] != NULL; i++) {
		err = NULL;
		if (dir_ldap_connect_one(ld, ld->uris[i], &ld->ld, &err) == 0) {
			ld->uri = ld->uris[i];
			g_string_free(errors, TRUE);
			return 0;
		}
		if (errors->len > 0)
			g_string_append(errors, "; ");
		g_string_append(errors, err);
		g_free(err);
	}
	*error_r = g_string_free(errors, FALSE);
	return -1;
}

/* dir_ldap_record_init - empty value arrays */
static void
dir_ldap_record_init(struct ldap_record *rec)
{
	GPtrArray **arrays[] = {
		&rec->mail, &rec->aliases, &rec->display_name, &rec->language,
		&rec->template_name, &rec->notice, &rec->absences,
		&rec->delegates, &rec->secretaries, &rec->managers,
		&rec->account, &rec->refused,
	};
	size_t	i;

	for (i = 0; i < G_N_ELEMENTS(arrays); i++)
		*arrays[i] = g_ptr_array_new_with_free_func(g_free);
}

/* dir_ldap_record_clear - release what a record still holds */
static void
dir_ldap_record_clear(struct ldap_record *rec)
{
	GPtrArray **arrays[] = {
		&rec->mail, &rec->aliases, &rec->display_name, &rec->language,
		&rec->template_name, &rec->notice, &rec->absences,
		&rec->delegates, &rec->secretaries, &rec->managers,
		&rec->account, &rec->refused,
	};
	size_t	i;

	for (i = 0; i < G_N_ELEMENTS(arrays); i++) {
		if (*arrays[i] != NULL)
			g_ptr_array_free(*arrays[i], TRUE);
		*arrays[i] = NULL;
	}
}

/* dir_ldap_add_value - append one usable value; skip the others */
static void
dir_ldap_add_value(const struct berval *bv, enum ldap_attr_kind kind,
		   GPtrArray *array)
{
	char   *text;

	if (array->len >= DIR_VALUES_MAX || bv->bv_len > DIR_VALUE_MAX
	    || memchr(bv->bv_val, '\0', bv->bv_len) != NULL
	    || !g_utf8_validate(bv->bv_val, (gssize)bv->bv_len, NULL))
		return;
	text = g_strndup(bv->bv_val, bv->bv_len);
	if (kind != LDAP_ATTR_TEXT)
		g_strstrip(text);
	if (kind == LDAP_ATTR_ADDRESS) {
		char   *lower;
		guint	i;

		if (*text == '\0' || strlen(text) > DIR_ADDRESS_MAX) {
			g_free(text);
			return;
		}
		lower = g_ascii_strdown(text, -1);
		g_free(text);
		text = lower;
		for (i = 0; i < array->len; i++)
			if (strcmp(g_ptr_array_index(array, i), text) == 0) {
				g_free(text);
				return;
			}
	}
	g_ptr_array_add(array, text);
}

/* dir_ldap_first_or_null - the first value of ARRAY, copied, or NULL */
static char *
dir_ldap_first_or_null(GPtrArray *array)
{
	return array->len > 0 ? g_strdup(g_ptr_array_index(array, 0)) : NULL;
}

/* dir_ldap_take - ARRAY into LIST; the array is consumed */
static void
dir_ldap_take(struct dir_strings *list, GPtrArray **array)
{
	g_ptr_array_set_free_func(*array, NULL);
	dir_strings_from_array(list, *array);
	*array = NULL;
}

/* dir_ldap_entry - one search result entry as a struct dir_entry */
static struct dir_entry *
dir_ldap_entry(struct ldap_dir *ld, LDAP *h, LDAPMessage *msg)
{
	struct ldap_record rec;
	struct dir_entry *entry;
	BerElement *ber = NULL;
	GPtrArray *addresses;
	char   *attr, *dn;
	guint	i;

	dir_ldap_record_init(&rec);
	for (attr = ldap_first_attribute(h, msg, &ber); attr != NULL;
	     attr = ldap_next_attribute(h, msg, ber)) {
		struct berval **vals;
		char  *const *alias;
		size_t	k;
		int	v;

		if (strchr(attr, ';') != NULL) {	/* options: ignored */
			ldap_memfree(attr);
			continue;
		}
		vals = ldap_get_values_len(h, msg, attr);
		for (v = 0; vals != NULL && vals[v] != NULL; v++) {
			/* an alias attribute may be a known one as well */
			for (alias = ld->aliases; *alias != NULL; alias++)
				if (g_ascii_strcasecmp(*alias, attr) == 0)
					dir_ldap_add_value(vals[v],
					    LDAP_ATTR_ADDRESS, rec.aliases);
			for (k = 0; k < G_N_ELEMENTS(ldap_known); k++)
				if (g_ascii_strcasecmp(ldap_known[k].name,
						       attr) == 0)
					dir_ldap_add_value(vals[v],
					    ldap_known[k].kind,
					    G_STRUCT_MEMBER(GPtrArray *, &rec,
					    ldap_known[k].offset));
		}
		ldap_value_free_len(vals);
		ldap_memfree(attr);
	}
	if (ber != NULL)
		ber_free(ber, 0);

	entry = g_new0(struct dir_entry, 1);
	dn = ldap_get_dn(h, msg);
	entry->dn = g_strdup(dn != NULL ? dn : "");
	if (dn != NULL)
		ldap_memfree(dn);
	entry->mail = dir_ldap_first_or_null(rec.mail);
	entry->display_name = dir_ldap_first_or_null(rec.display_name);
	entry->language = dir_ldap_first_or_null(rec.language);
	entry->template_name = dir_ldap_first_or_null(rec.template_name);
	entry->notice = DIR_NOTICE_DEFAULT;
	if (rec.notice->len > 0
	    && dir_notice_parse(g_ptr_array_index(rec.notice, 0),
				&entry->notice) < 0)
		entry->notice = DIR_NOTICE_NONE;	/* fail closed */

	/* mail values first, then aliases, without duplicates */
	addresses = g_ptr_array_new();
	for (i = 0; i < rec.mail->len; i++)
		g_ptr_array_add(addresses,
				g_strdup(g_ptr_array_index(rec.mail, i)));
	for (i = 0; i < rec.aliases->len
	     && addresses->len < DIR_VALUES_MAX; i++) {
		const char *a = g_ptr_array_index(rec.aliases, i);
		guint	j;

		for (j = 0; j < addresses->len; j++)
			if (strcmp(g_ptr_array_index(addresses, j), a) == 0)
				break;
		if (j == addresses->len)
			g_ptr_array_add(addresses, g_strdup(a));
	}
	dir_strings_from_array(&entry->addresses, addresses);
	dir_ldap_take(&entry->absences, &rec.absences);
	dir_ldap_take(&entry->delegates, &rec.delegates);
	dir_ldap_take(&entry->secretaries, &rec.secretaries);
	dir_ldap_take(&entry->managers, &rec.managers);
	/* an unknown status is "active": fail open for delivery */
	if (rec.account->len > 0
	    && dir_account_parse(g_ptr_array_index(rec.account, 0),
				 &entry->account) < 0)
		entry->account = DIR_ACCOUNT_ACTIVE;
	dir_ldap_take(&entry->refused_senders, &rec.refused);
	dir_ldap_record_clear(&rec);
	return entry;
}

/*
 * dir_ldap_search_once - one search on the current connection
 *
 * Returns 1, 0 or -1 like a lookup. *link_r says what became of the
 * connection on -1: LDAP_LINK_OK (usable), LDAP_LINK_TIMEOUT (state
 * unknown: drop it) or LDAP_LINK_DEAD (gone: drop it, maybe retry).
 */
static int
dir_ldap_search_once(struct ldap_dir *ld, const char *base, int scope,
		     const char *filter, const char *what, int missing_ok,
		     struct dir_entry **entry_r, int *link_r, char **error_r)
{
	LDAPMessage *res = NULL, *msg;
	struct timeval tv;
	GString *dns;
	char   *errmsg = NULL, *matched = NULL, *dn;
	int	rc, err, count;

	*link_r = LDAP_LINK_OK;
	tv.tv_sec = (time_t)ld->timeout;
	tv.tv_usec = 0;
	rc = ldap_search_ext_s(ld->ld, base, scope, filter, ld->attrs, 0,
			       NULL, NULL, &tv, (int)ld->size_limit, &res);
	if (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR
	    || rc == LDAP_TIMEOUT || rc == LDAP_TIMELIMIT_EXCEEDED) {
		dir_ldap_fail(ld->uri, what, rc, ld->ld, error_r);
		if (res != NULL)
			ldap_msgfree(res);
		*link_r = rc == LDAP_TIMEOUT || rc == LDAP_TIMELIMIT_EXCEEDED
		    ? LDAP_LINK_TIMEOUT : LDAP_LINK_DEAD;
		return -1;
	}
	if (res == NULL)
		return dir_ldap_fail(ld->uri, what, rc, ld->ld, error_r);

	/* The result code of the operation itself, with its text. */
	err = rc;
	for (msg = ldap_first_message(ld->ld, res); msg != NULL;
	     msg = ldap_next_message(ld->ld, msg)) {
		if (ldap_msgtype(msg) == LDAP_RES_SEARCH_RESULT) {
			(void)ldap_parse_result(ld->ld, msg, &err, &matched,
						&errmsg, NULL, NULL, 0);
			break;
		}
	}
	if (err == LDAP_NO_SUCH_OBJECT && missing_ok) {
		ldap_memfree(matched);
		ldap_memfree(errmsg);
		ldap_msgfree(res);
		return 0;
	}
	if (err != LDAP_SUCCESS) {
		if (errmsg != NULL && *errmsg != '\0')
			*error_r = g_strdup_printf("LDAP %s: %s: %s (%d; %s)",
			    ld->uri, what, ldap_err2string(err), err, errmsg);
		else
			*error_r = g_strdup_printf("LDAP %s: %s: %s (%d)",
			    ld->uri, what, ldap_err2string(err), err);
		ldap_memfree(matched);
		ldap_memfree(errmsg);
		ldap_msgfree(res);
		return -1;
	}
	ldap_memfree(matched);
	ldap_memfree(errmsg);

	count = ldap_count_entries(ld->ld, res);
	if (count == 0 && ldap_count_references(ld->ld, res) > 0) {
		/* The entry lives on another server: we do not chase, and
		 * "no such entry" would silently drop the forward. */
		*error_r = g_strdup_printf("LDAP %s: %s: the entry is on "
		    "another server (search reference, not followed)",
		    ld->uri, what);
		ldap_msgfree(res);
		return -1;
	}
	if (count == 0) {
		ldap_msgfree(res);
		return 0;
	}
	if (count > 1) {
		dns = g_string_new(NULL);
		for (msg = ldap_first_entry(ld->ld, res); msg != NULL;
		     msg = ldap_next_entry(ld->ld, msg)) {
			dn = ldap_get_dn(ld->ld, msg);
			if (dns->len > 0)
				g_string_append(dns, ", ");
			g_string_append(dns, dn != NULL ? dn : "?");
			ldap_memfree(dn);
		}
		*error_r = g_strdup_printf("LDAP %s: %s: %d entries match "
		    "(%s); one address must name one entry", ld->uri, what,
		    count, dns->str);
		g_string_free(dns, TRUE);
		ldap_msgfree(res);
		return -1;
	}
	*entry_r = dir_ldap_entry(ld, ld->ld, ldap_first_entry(ld->ld, res));
	ldap_msgfree(res);
	return 1;
}

/* dir_ldap_search - connect if needed, search; one retry on a stale link */
static int
dir_ldap_search(struct ldap_dir *ld, const char *base, int scope,
		const char *filter, const char *what, int missing_ok,
		struct dir_entry **entry_r, char **error_r)
{
	int	rc, link, fresh;

	fresh = ld->ld == NULL;
	if (dir_ldap_connect(ld, error_r) < 0)
		return -1;
	rc = dir_ldap_search_once(ld, base, scope, filter, what, missing_ok,
				  entry_r, &link, error_r);
	if (rc >= 0 || link == LDAP_LINK_OK)
		return rc;
	dir_ldap_disconnect(ld);
	/* Only a connection opened by an earlier lookup may have gone
	 * stale: a fresh one that fails, or a timeout, is a real failure. */
	if (link != LDAP_LINK_DEAD || fresh)
		return -1;
	g_free(*error_r);
	*error_r = NULL;
	if (dir_ldap_connect(ld, error_r) < 0)
		return -1;
	rc = dir_ldap_search_once(ld, base, scope, filter, what, missing_ok,
				  entry_r, &link, error_r);
	if (rc < 0 && link != LDAP_LINK_OK)
		dir_ldap_disconnect(ld);
	return rc;
}

/* dir_ldap_lookup - the entry of ADDRESS: one search by mail or alias */
static int
dir_ldap_lookup(struct dir *dir, const char *address,
		struct dir_entry **entry_r, char **error_r)
{
	struct ldap_dir *ld = (struct ldap_dir *)dir;
	GString *filter, *value;
	char   *key, *what;
	char  *const *alias;
	int	rc;

	key = g_strdup(address);
	g_strstrip(key);
	value = g_string_new(NULL);
	dir_ldap_filter_escape(key, strlen(key), value);
	g_free(key);
	filter = g_string_new("(|(mail=");
	g_string_append(filter, value->str);
	g_string_append_c(filter, ')');
	for (alias = ld->aliases; *alias != NULL; alias++) {
		if (g_ascii_strcasecmp(*alias, "mail") == 0)
			continue;
		g_string_append_printf(filter, "(%s=%s)", *alias, value->str);
	}
	g_string_append_c(filter, ')');
	what = g_strdup_printf("search %s", filter->str);
	rc = dir_ldap_search(ld, ld->base, LDAP_SCOPE_SUBTREE, filter->str,
			     what, 0, entry_r, error_r);
	g_free(what);
	g_string_free(value, TRUE);
	g_string_free(filter, TRUE);
	return rc;
}

/* dir_ldap_lookup_dn - the entry named by DN: one base-scope search */
static int
dir_ldap_lookup_dn(struct dir *dir, const char *dn,
		   struct dir_entry **entry_r, char **error_r)
{
	struct ldap_dir *ld = (struct ldap_dir *)dir;
	LDAPDN	parsed = NULL;
	char   *what;
	int	rc;

	/* A value that is not a DN names nobody; the server would say
	 * invalidDNSyntax, which is not a directory failure. */
	if (ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		return 0;
	ldap_dnfree(parsed);
	what = g_strdup_printf("read %s", dn);
	rc = dir_ldap_search(ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", what,
			     1, entry_r, error_r);
	g_free(what);
	return rc;
}

/* dir_ldap_close - unbind and release */
static void
dir_ldap_close(struct dir *dir)
{
	struct ldap_dir *ld = (struct ldap_dir *)dir;

	if (ld == NULL)
		return;
	dir_ldap_disconnect(ld);
	g_strfreev(ld->uris);
	g_free(ld->base);
	g_free(ld->bind_dn);
	g_free(ld->password_file);
	g_free(ld->sasl_mech);
	g_free(ld->ca_file);
	g_strfreev(ld->aliases);
	g_strfreev(ld->attrs);
	g_free(ld);
}

/* dir_ldap_nonempty - a copy of S, or NULL when S is NULL or "" */
static char *
dir_ldap_nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? g_strdup(s) : NULL;
}

/* dir_ldap_open - check and copy the settings; connect later */
static int
dir_ldap_open(const struct dir_settings *set, struct dir **dir_r,
	      char **error_r)
{
	struct ldap_dir *ld;
	const char *const *p;
	GPtrArray *uris, *aliases, *attrs;
	size_t	k;

	if (set->uris == NULL || set->uris[0] == NULL) {
		*error_r = g_strdup("directory backend ldap: no uri set");
		return -1;
	}
	if (set->base == NULL || *set->base == '\0') {
		*error_r = g_strdup("directory backend ldap: no base set");
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

	aliases = g_ptr_array_new_with_free_func(g_free);
	for (p = set->alias_attributes; p != NULL && *p != NULL; p++) {
		if (!dir_ldap_attr_name_ok(*p)
		    || aliases->len >= LDAP_ALIASES_MAX) {
			*error_r = g_strdup_printf("directory backend ldap: "
			    "alias attribute \"%s\" is not an attribute name "
			    "(or more than %d of them)", *p,
			    LDAP_ALIASES_MAX);
			g_ptr_array_free(aliases, TRUE);
			g_ptr_array_free(uris, TRUE);
			return -1;
		}
		g_ptr_array_add(aliases, g_strdup(*p));
	}
	g_ptr_array_add(aliases, NULL);

	attrs = g_ptr_array_new();
	for (k = 0; k < G_N_ELEMENTS(ldap_known); k++)
		g_ptr_array_add(attrs, g_strdup(ldap_known[k].name));
	for (k = 0; k < aliases->len - 1; k++)
		g_ptr_array_add(attrs,
				g_strdup(g_ptr_array_index(aliases, k)));
	g_ptr_array_add(attrs, NULL);

	ld = g_new0(struct ldap_dir, 1);
	ld->dir.ops = &dir_ldap_ops;
	g_ptr_array_set_free_func(uris, NULL);
	ld->uris = (char **)g_ptr_array_free(uris, FALSE);
	g_ptr_array_set_free_func(aliases, NULL);
	ld->aliases = (char **)g_ptr_array_free(aliases, FALSE);
	ld->attrs = (char **)g_ptr_array_free(attrs, FALSE);
	ld->base = g_strdup(set->base);
	ld->bind_dn = dir_ldap_nonempty(set->bind_dn);
	ld->password_file = dir_ldap_nonempty(set->bind_password_file);
	ld->sasl_mech = dir_ldap_nonempty(set->sasl_mech);
	ld->starttls = set->tls == NULL
	    || g_ascii_strcasecmp(set->tls, "starttls") == 0;
	ld->ca_file = dir_ldap_nonempty(set->ca_file);
	ld->network_timeout = set->network_timeout > 0
	    ? set->network_timeout : 5;
	ld->timeout = set->timeout > 0 ? set->timeout : 10;
	ld->size_limit = set->size_limit > 0 ? set->size_limit : 10;
	*dir_r = &ld->dir;
	return 0;
}

const struct dir_ops dir_ldap_ops = {
	.name = "ldap",
	.open = dir_ldap_open,
	.lookup = dir_ldap_lookup,
	.lookup_dn = dir_ldap_lookup_dn,
	.close = dir_ldap_close,
};
