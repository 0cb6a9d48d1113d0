/*
 * NAME
 *	dir-ldap - the production directory: an LDAP server, through libldap
 * SUMMARY
 *	The connection (URIs in order, timeouts, StartTLS or ldaps:// with
 *	certificates checked, the bind) is ldap-conn.c's, shared with
 *	deputyctl's writes; it is opened lazily, at the first lookup, with
 *	the configured size limit (default 10).
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
 *	directory): it only ever reaches the server escaped, by libldap's
 *	ldap_bv2escaped_filter_value(). Attribute names from the
 *	configuration are checked to be plain attribute descriptions.
 * BUGS
 *	A lookup on a connection that turns out to be dead is retried once
 *	on a fresh connection (the first attempt never reached a server).
 *	This is the only case in which one dir_lookup() sends two searches.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/time.h>

#include <string.h>

#include <glib.h>
#include <lber.h>
#include <ldap.h>

#include "directory.h"
#include "directory-private.h"
#include "ldap-conn.h"

#define LDAP_ATTR_NAME_MAX	64	/* one configured alias attribute */
#define LDAP_ALIASES_MAX	16	/* configured alias attributes */

enum {
	LDAP_LINK_OK,			/* the connection is still usable */
	LDAP_LINK_TIMEOUT,		/* no answer in time: drop it */
	LDAP_LINK_DEAD,			/* the connection broke: drop it */
};

struct ldap_dir {
	struct dir dir;			/* must be first */
	struct dir_conn *conn;		/* connects at the first lookup */
	char   *base;
	unsigned int size_limit;
	char  **aliases;		/* alias attribute names, owned */
	char  **attrs;			/* attributes requested, owned */
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
	entry->mail = dir_first_copy(rec.mail);
	entry->display_name = dir_first_copy(rec.display_name);
	entry->language = dir_first_copy(rec.language);
	entry->template_name = dir_first_copy(rec.template_name);
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
	dir_strings_take(&entry->absences, &rec.absences);
	dir_strings_take(&entry->delegates, &rec.delegates);
	dir_strings_take(&entry->secretaries, &rec.secretaries);
	dir_strings_take(&entry->managers, &rec.managers);
	/* an unknown status is "active": fail open for delivery */
	if (rec.account->len > 0
	    && dir_account_parse(g_ptr_array_index(rec.account, 0),
				 &entry->account) < 0)
		entry->account = DIR_ACCOUNT_ACTIVE;
	dir_strings_take(&entry->refused_senders, &rec.refused);
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
	LDAP   *h = dir_conn_ld(ld->conn);
	const char *uri = dir_conn_uri(ld->conn);
	LDAPMessage *res = NULL, *msg;
	struct timeval tv;
	GString *dns;
	char   *errmsg = NULL, *matched = NULL, *dn;
	int	rc, err, count;

	*link_r = LDAP_LINK_OK;
	tv.tv_sec = (time_t)dir_conn_timeout(ld->conn);
	tv.tv_usec = 0;
	rc = ldap_search_ext_s(h, base, scope, filter, ld->attrs, 0,
			       NULL, NULL, &tv, (int)ld->size_limit, &res);
	if (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR
	    || rc == LDAP_TIMEOUT || rc == LDAP_TIMELIMIT_EXCEEDED) {
		(void)dir_conn_fail(ld->conn, what, rc, error_r);
		if (res != NULL)
			ldap_msgfree(res);
		*link_r = rc == LDAP_TIMEOUT || rc == LDAP_TIMELIMIT_EXCEEDED
		    ? LDAP_LINK_TIMEOUT : LDAP_LINK_DEAD;
		return -1;
	}
	if (res == NULL) {
		(void)dir_conn_fail(ld->conn, what, rc, error_r);
		return -1;
	}

	/* The result code of the operation itself, with its text. */
	err = rc;
	for (msg = ldap_first_message(h, res); msg != NULL;
	     msg = ldap_next_message(h, msg)) {
		if (ldap_msgtype(msg) == LDAP_RES_SEARCH_RESULT) {
			(void)ldap_parse_result(h, msg, &err, &matched,
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
			    uri, what, ldap_err2string(err), err, errmsg);
		else
			*error_r = g_strdup_printf("LDAP %s: %s: %s (%d)",
			    uri, what, ldap_err2string(err), err);
		ldap_memfree(matched);
		ldap_memfree(errmsg);
		ldap_msgfree(res);
		return -1;
	}
	ldap_memfree(matched);
	ldap_memfree(errmsg);

	count = ldap_count_entries(h, res);
	if (count == 0 && ldap_count_references(h, res) > 0) {
		/* The entry lives on another server: we do not chase, and
		 * "no such entry" would silently drop the forward. */
		*error_r = g_strdup_printf("LDAP %s: %s: the entry is on "
		    "another server (search reference, not followed)",
		    uri, what);
		ldap_msgfree(res);
		return -1;
	}
	if (count == 0) {
		ldap_msgfree(res);
		return 0;
	}
	if (count > 1) {
		dns = g_string_new(NULL);
		for (msg = ldap_first_entry(h, res); msg != NULL;
		     msg = ldap_next_entry(h, msg)) {
			dn = ldap_get_dn(h, msg);
			if (dns->len > 0)
				g_string_append(dns, ", ");
			g_string_append(dns, dn != NULL ? dn : "?");
			ldap_memfree(dn);
		}
		*error_r = g_strdup_printf("LDAP %s: %s: %d entries match "
		    "(%s); one address must name one entry", uri, what,
		    count, dns->str);
		g_string_free(dns, TRUE);
		ldap_msgfree(res);
		return -1;
	}
	*entry_r = dir_ldap_entry(ld, h, ldap_first_entry(h, res));
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

	fresh = dir_conn_ld(ld->conn) == NULL;
	if (dir_conn_connect(ld->conn, error_r) < 0)
		return -1;
	rc = dir_ldap_search_once(ld, base, scope, filter, what, missing_ok,
				  entry_r, &link, error_r);
	if (rc >= 0 || link == LDAP_LINK_OK)
		return rc;
	dir_conn_disconnect(ld->conn);
	/* Only a connection opened by an earlier lookup may have gone
	 * stale: a fresh one that fails, or a timeout, is a real failure. */
	if (link != LDAP_LINK_DEAD || fresh)
		return -1;
	g_free(*error_r);
	*error_r = NULL;
	if (dir_conn_connect(ld->conn, error_r) < 0)
		return -1;
	rc = dir_ldap_search_once(ld, base, scope, filter, what, missing_ok,
				  entry_r, &link, error_r);
	if (rc < 0 && link != LDAP_LINK_OK)
		dir_conn_disconnect(ld->conn);
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
	dir_conn_filter_value(key, strlen(key), value);
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
	dir_conn_free(&ld->conn);
	g_free(ld->base);
	g_strfreev(ld->aliases);
	g_strfreev(ld->attrs);
	g_free(ld);
}

/* dir_ldap_open - check and copy the settings; connect later */
static int
dir_ldap_open(const struct dir_settings *set, struct dir **dir_r,
	      char **error_r)
{
	struct dir_settings conn_set;
	struct dir_conn *conn;
	struct ldap_dir *ld;
	const char *const *p;
	GPtrArray *aliases, *attrs;
	size_t	k;

	if (set->uris == NULL || set->uris[0] == NULL) {
		*error_r = g_strdup("directory backend ldap: no uri set");
		return -1;
	}
	if (set->base == NULL || *set->base == '\0') {
		*error_r = g_strdup("directory backend ldap: no base set");
		return -1;
	}
	aliases = g_ptr_array_new_with_free_func(g_free);
	for (p = set->alias_attributes; p != NULL && *p != NULL; p++) {
		if (!dir_ldap_attr_name_ok(*p)
		    || aliases->len >= LDAP_ALIASES_MAX) {
			*error_r = g_strdup_printf("directory backend ldap: "
			    "alias attribute \"%s\" is not an attribute name "
			    "(or more than %d of them)", *p,
			    LDAP_ALIASES_MAX);
			g_ptr_array_free(aliases, TRUE);
			return -1;
		}
		g_ptr_array_add(aliases, g_strdup(*p));
	}
	g_ptr_array_add(aliases, NULL);

	/* a lookup wants one entry: the size limit guards the server */
	conn_set = *set;
	conn_set.size_limit = set->size_limit > 0 ? set->size_limit : 10;
	if (dir_conn_new(&conn_set, &conn, error_r) < 0) {
		g_ptr_array_free(aliases, TRUE);
		return -1;
	}

	attrs = g_ptr_array_new();
	for (k = 0; k < G_N_ELEMENTS(ldap_known); k++)
		g_ptr_array_add(attrs, g_strdup(ldap_known[k].name));
	for (k = 0; k < aliases->len - 1; k++)
		g_ptr_array_add(attrs,
				g_strdup(g_ptr_array_index(aliases, k)));
	g_ptr_array_add(attrs, NULL);

	ld = g_new0(struct ldap_dir, 1);
	ld->dir.ops = &dir_ldap_ops;
	ld->conn = conn;
	g_ptr_array_set_free_func(aliases, NULL);
	ld->aliases = (char **)g_ptr_array_free(aliases, FALSE);
	ld->attrs = (char **)g_ptr_array_free(attrs, FALSE);
	ld->base = g_strdup(set->base);
	ld->size_limit = conn_set.size_limit;
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
