/*
 * NAME
 *	dir-ldif - the embedded directory: entries from an LDIF file
 * SUMMARY
 *	dir_open() reads the whole file with the LDIF reader of this folder
 *	(ldif-reader.c: libldap's ldif_read_record() and line parser; RFC
 *	2849 entries or "changetype: add" records) and keeps the entries in
 *	memory, indexed by lowercased address (mail and the configured
 *	alias attributes) and by normalized DN. Lookups return copies.
 *	Attribute names match case-insensitively; descriptions with
 *	options ("displayName;lang-de") are ignored.
 * DIAGNOSTICS
 *	dir_open() fails, naming the file and the line, on what the reader
 *	refuses (see ldif-reader.h: a missing or unreadable file, a file
 *	over 64 MiB, a line that does not parse, a record without "dn:",
 *	a changetype other than add, controls, URL values, "include:") and
 *	on: a NUL byte or bad UTF-8 in an attribute deputy uses, more than
 *	1024 values or a value over 64 KiB, an unknown deputyNotice or
 *	deputyAccountStatus, and a
 *	DN or an address that two entries share. A file that loads is
 *	consistent: lookups never fail.
 * SECURITY
 *	The file is configuration, but still bounded: libldap would fetch
 *	URL values and follow "include:" to any file; the reader refuses
 *	both.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <string.h>

#include <glib.h>
#include <lber.h>

#include "directory.h"
#include "directory-private.h"
#include "ldif-reader.h"

struct ldif_dir {
	struct dir dir;			/* must be first */
	GPtrArray *entries;		/* struct dir_entry *, owned */
	GHashTable *by_address;		/* lowercased address -> entry */
	GHashTable *by_dn;		/* normalized DN -> entry */
};

/* Where we are in the file, for error messages. */
struct ldif_loader {
	const char *const *alias_attributes;
	struct ldif_dir *ld;
	struct ldifr *reader;
};

/* Values of one record, collected before they become an entry. */
struct ldif_record {
	char   *dn;
	unsigned long dn_line;
	GPtrArray *addresses;
	GPtrArray *mail;
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

enum ldif_attr_kind {
	LDIF_ATTR_TEXT,			/* kept as written */
	LDIF_ATTR_TRIM,			/* surrounding white space dropped */
	LDIF_ATTR_ADDRESS,		/* trimmed and lowercased */
};

/* dir_ldif_fail - set *error_r to "LDIF file FILE, line N: MESSAGE" */
static int __attribute__((format(printf, 4, 5)))
dir_ldif_fail(const struct ldif_loader *lo, unsigned long line, char **error_r,
	      const char *fmt, ...)
{
	va_list	ap;
	char   *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	(void)ldifr_fail(lo->reader, line, error_r, "%s", msg);
	g_free(msg);
	return -1;
}

/* dir_ldif_record_init - an empty record */
static void
dir_ldif_record_init(struct ldif_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->addresses = g_ptr_array_new_with_free_func(g_free);
	rec->mail = g_ptr_array_new_with_free_func(g_free);
	rec->display_name = g_ptr_array_new_with_free_func(g_free);
	rec->language = g_ptr_array_new_with_free_func(g_free);
	rec->template_name = g_ptr_array_new_with_free_func(g_free);
	rec->notice = g_ptr_array_new_with_free_func(g_free);
	rec->absences = g_ptr_array_new_with_free_func(g_free);
	rec->delegates = g_ptr_array_new_with_free_func(g_free);
	rec->secretaries = g_ptr_array_new_with_free_func(g_free);
	rec->managers = g_ptr_array_new_with_free_func(g_free);
	rec->account = g_ptr_array_new_with_free_func(g_free);
	rec->refused = g_ptr_array_new_with_free_func(g_free);
}

/* dir_ldif_record_clear - release whatever a record still holds */
static void
dir_ldif_record_clear(struct ldif_record *rec)
{
	GPtrArray **arrays[] = {
		&rec->addresses, &rec->mail, &rec->display_name,
		&rec->language, &rec->template_name, &rec->notice,
		&rec->absences, &rec->delegates, &rec->secretaries,
		&rec->managers, &rec->account, &rec->refused,
	};
	size_t	i;

	g_free(rec->dn);
	rec->dn = NULL;
	for (i = 0; i < G_N_ELEMENTS(arrays); i++) {
		if (*arrays[i] != NULL)
			g_ptr_array_free(*arrays[i], TRUE);
		*arrays[i] = NULL;
	}
}

/* dir_ldif_add_value - append one checked value of attribute NAME */
static int
dir_ldif_add_value(struct ldif_loader *lo, unsigned long line, const char *name,
		   const struct berval *value, enum ldif_attr_kind kind,
		   GPtrArray *array, char **error_r)
{
	char   *text;

	if (array->len >= DIR_VALUES_MAX)
		return dir_ldif_fail(lo, line, error_r,
		    "more than %d values of %s", DIR_VALUES_MAX,
		    name);
	if (value->bv_len > DIR_VALUE_MAX)
		return dir_ldif_fail(lo, line, error_r,
		    "value of %s longer than %d bytes", name,
		    DIR_VALUE_MAX);
	if (memchr(value->bv_val, '\0', value->bv_len) != NULL)
		return dir_ldif_fail(lo, line, error_r,
		    "value of %s contains a NUL byte", name);
	if (!g_utf8_validate(value->bv_val, (gssize)value->bv_len, NULL))
		return dir_ldif_fail(lo, line, error_r,
		    "value of %s is not UTF-8", name);
	text = g_strndup(value->bv_val, value->bv_len);
	if (kind != LDIF_ATTR_TEXT)
		g_strstrip(text);
	if (kind == LDIF_ATTR_ADDRESS) {
		char   *lower;

		if (*text == '\0') {
			g_free(text);
			return dir_ldif_fail(lo, line, error_r,
			    "empty address in %s", name);
		}
		if (strlen(text) > DIR_ADDRESS_MAX) {
			g_free(text);
			return dir_ldif_fail(lo, line, error_r,
			    "address in %s longer than %d bytes",
			    name, DIR_ADDRESS_MAX);
		}
		lower = g_ascii_strdown(text, -1);
		g_free(text);
		text = lower;
	}
	g_ptr_array_add(array, text);
	return 0;
}

/* dir_ldif_add_address - append to the address list unless already there */
static void
dir_ldif_add_address(GPtrArray *addresses, const char *address)
{
	guint	i;

	for (i = 0; i < addresses->len; i++)
		if (strcmp(g_ptr_array_index(addresses, i), address) == 0)
			return;
	g_ptr_array_add(addresses, g_strdup(address));
}

/* dir_ldif_attribute - file one attribute line of a record */
static int
dir_ldif_attribute(struct ldif_loader *lo, struct ldif_record *rec,
		   unsigned long line, const char *name,
		   const struct berval *value, char **error_r)
{
	static const struct {
		const char *name;
		size_t	offset;
		enum ldif_attr_kind kind;
	} known[] = {
		{ "mail", G_STRUCT_OFFSET(struct ldif_record, mail),
		  LDIF_ATTR_ADDRESS },
		{ "displayName",
		  G_STRUCT_OFFSET(struct ldif_record, display_name),
		  LDIF_ATTR_TEXT },
		{ "preferredLanguage",
		  G_STRUCT_OFFSET(struct ldif_record, language),
		  LDIF_ATTR_TRIM },
		{ "deputyTemplate",
		  G_STRUCT_OFFSET(struct ldif_record, template_name),
		  LDIF_ATTR_TRIM },
		{ "deputyNotice", G_STRUCT_OFFSET(struct ldif_record, notice),
		  LDIF_ATTR_TRIM },
		{ "deputyAbsence",
		  G_STRUCT_OFFSET(struct ldif_record, absences),
		  LDIF_ATTR_TEXT },
		{ "deputyDelegate",
		  G_STRUCT_OFFSET(struct ldif_record, delegates),
		  LDIF_ATTR_TRIM },
		{ "secretary",
		  G_STRUCT_OFFSET(struct ldif_record, secretaries),
		  LDIF_ATTR_TRIM },
		{ "manager", G_STRUCT_OFFSET(struct ldif_record, managers),
		  LDIF_ATTR_TRIM },
		{ "deputyAccountStatus",
		  G_STRUCT_OFFSET(struct ldif_record, account),
		  LDIF_ATTR_TRIM },
		{ "deputyRefusedSender",
		  G_STRUCT_OFFSET(struct ldif_record, refused),
		  LDIF_ATTR_TRIM },
	};
	const char *const *alias;
	GPtrArray *array;
	size_t	i;
	int	is_alias;

	/*
	 * An alias attribute may also be a known one (mail, say): the
	 * value then goes to both lists.
	 */
	is_alias = 0;
	for (alias = lo->alias_attributes; alias != NULL && *alias != NULL;
	     alias++)
		if (g_ascii_strcasecmp(*alias, name) == 0)
			is_alias = 1;
	if (is_alias) {
		GPtrArray *tmp = g_ptr_array_new_with_free_func(g_free);

		if (dir_ldif_add_value(lo, line, name, value, LDIF_ATTR_ADDRESS,
				       tmp, error_r) < 0) {
			g_ptr_array_free(tmp, TRUE);
			return -1;
		}
		if (rec->addresses->len >= DIR_VALUES_MAX) {
			g_ptr_array_free(tmp, TRUE);
			return dir_ldif_fail(lo, line, error_r,
			    "more than %d addresses",
			    DIR_VALUES_MAX);
		}
		dir_ldif_add_address(rec->addresses, g_ptr_array_index(tmp, 0));
		g_ptr_array_free(tmp, TRUE);
	}
	for (i = 0; i < G_N_ELEMENTS(known); i++) {
		if (g_ascii_strcasecmp(known[i].name, name) != 0)
			continue;
		array = G_STRUCT_MEMBER(GPtrArray *, rec, known[i].offset);
		return dir_ldif_add_value(lo, line, known[i].name, value,
					  known[i].kind, array, error_r);
	}
	return 0;
}

/* dir_ldif_store - turn a complete record into an indexed entry */
static int
dir_ldif_store(struct ldif_loader *lo, struct ldif_record *rec, char **error_r)
{
	struct ldif_dir *ld = lo->ld;
	struct dir_entry *entry, *other;
	GPtrArray *addresses;
	char   *ndn;
	guint	i;

	if (rec->notice->len > 0) {
		const char *text = g_ptr_array_index(rec->notice, 0);
		enum dir_notice notice;

		if (dir_notice_parse(text, &notice) < 0)
			return dir_ldif_fail(lo, rec->dn_line, error_r,
			    "entry %s: unknown deputyNotice '%s'",
			    rec->dn, text);
	}
	if (rec->account->len > 0) {
		const char *text = g_ptr_array_index(rec->account, 0);
		enum dir_account account;

		if (dir_account_parse(text, &account) < 0)
			return dir_ldif_fail(lo, rec->dn_line, error_r,
			    "entry %s: unknown deputyAccountStatus '%s'",
			    rec->dn, text);
	}
	ndn = dir_dn_normalize(rec->dn);
	if ((other = g_hash_table_lookup(ld->by_dn, ndn)) != NULL) {
		g_free(ndn);
		return dir_ldif_fail(lo, rec->dn_line, error_r,
		    "entry %s appears twice", rec->dn);
	}

	/* mail values first, then aliases, without duplicates */
	addresses = g_ptr_array_new_with_free_func(g_free);
	for (i = 0; i < rec->mail->len; i++)
		dir_ldif_add_address(addresses,
		    g_ptr_array_index(rec->mail, i));
	for (i = 0; i < rec->addresses->len; i++)
		dir_ldif_add_address(addresses,
				     g_ptr_array_index(rec->addresses, i));
	for (i = 0; i < addresses->len; i++) {
		other = g_hash_table_lookup(ld->by_address,
					    g_ptr_array_index(addresses, i));
		if (other != NULL) {
			dir_ldif_fail(lo, rec->dn_line, error_r,
			    "address %s of entry %s belongs to %s too",
			    (char *)g_ptr_array_index(addresses, i),
			    rec->dn, other->dn);
			g_ptr_array_free(addresses, TRUE);
			g_free(ndn);
			return -1;
		}
	}

	entry = g_new0(struct dir_entry, 1);
	entry->dn = rec->dn;
	rec->dn = NULL;
	entry->mail = dir_first_copy(rec->mail);
	entry->display_name = dir_first_copy(rec->display_name);
	entry->language = dir_first_copy(rec->language);
	entry->template_name = dir_first_copy(rec->template_name);
	entry->notice = DIR_NOTICE_DEFAULT;
	if (rec->notice->len > 0)
		(void)dir_notice_parse(g_ptr_array_index(rec->notice, 0),
				       &entry->notice);
	dir_strings_take(&entry->addresses, &addresses);
	dir_strings_take(&entry->absences, &rec->absences);
	dir_strings_take(&entry->delegates, &rec->delegates);
	dir_strings_take(&entry->secretaries, &rec->secretaries);
	dir_strings_take(&entry->managers, &rec->managers);
	if (rec->account->len > 0)
		(void)dir_account_parse(g_ptr_array_index(rec->account, 0),
					&entry->account);
	dir_strings_take(&entry->refused_senders, &rec->refused);

	g_ptr_array_add(ld->entries, entry);
	g_hash_table_insert(ld->by_dn, ndn, entry);
	for (i = 0; i < entry->addresses.count; i++)
		g_hash_table_insert(ld->by_address,
				    g_strdup(entry->addresses.values[i]),
				    entry);
	return 0;
}

/* dir_ldif_record - file the values of one record, then store it */
static int
dir_ldif_record(struct ldif_loader *lo, const struct ldifr_record *lr,
		char **error_r)
{
	struct ldif_record rec;
	struct berval value;
	guint	i;
	int	ret = 0;

	if (lr->dn == NULL)
		return 0;		/* a lone "version: 1" */
	dir_ldif_record_init(&rec);
	rec.dn = g_strdup(lr->dn);
	rec.dn_line = lr->line;
	for (i = 0; i < lr->values->len && ret == 0; i++) {
		const struct ldifr_value *v = g_ptr_array_index(lr->values, i);

		if (strchr(v->attr, ';') != NULL)
			continue;	/* options: not ours */
		value.bv_val = v->value;
		value.bv_len = v->len;
		ret = dir_ldif_attribute(lo, &rec, v->line, v->attr, &value,
					 error_r);
	}
	if (ret == 0)
		ret = dir_ldif_store(lo, &rec, error_r);
	dir_ldif_record_clear(&rec);
	return ret;
}

/* dir_ldif_load - every record of the reader's file */
static int
dir_ldif_load(struct ldif_loader *lo, char **error_r)
{
	struct ldifr_record *lr;
	int	rc;

	while ((rc = ldifr_next(lo->reader, &lr, error_r)) == 1) {
		rc = dir_ldif_record(lo, lr, error_r);
		ldifr_record_free(&lr);
		if (rc < 0)
			return -1;
	}
	return rc;
}

/* dir_ldif_free - release the backend state */
static void
dir_ldif_free(struct ldif_dir *ld)
{
	guint	i;

	if (ld == NULL)
		return;
	g_hash_table_destroy(ld->by_address);
	g_hash_table_destroy(ld->by_dn);
	for (i = 0; i < ld->entries->len; i++) {
		struct dir_entry *entry = g_ptr_array_index(ld->entries, i);

		dir_entry_free(&entry);
	}
	g_ptr_array_free(ld->entries, TRUE);
	g_free(ld);
}

/* dir_ldif_open - load the file named in the settings */
static int
dir_ldif_open(const struct dir_settings *set, struct dir **dir_r,
	      char **error_r)
{
	struct ldif_loader lo;
	struct ldif_dir *ld;
	char   *text;
	size_t	size;
	int	rc;

	if (set->ldif_file == NULL || *set->ldif_file == '\0') {
		*error_r = g_strdup("directory backend ldif: no ldif_file set");
		return -1;
	}
	if (ldifr_read(set->ldif_file, &text, &size, error_r) < 0)
		return -1;
	memset(&lo, 0, sizeof(lo));
	if (ldifr_open(set->ldif_file, text, size, &lo.reader, error_r) < 0) {
		g_free(text);
		return -1;
	}
	ld = g_new0(struct ldif_dir, 1);
	ld->dir.ops = &dir_ldif_ops;
	ld->entries = g_ptr_array_new();
	ld->by_address = g_hash_table_new_full(g_str_hash, g_str_equal,
					       g_free, NULL);
	ld->by_dn = g_hash_table_new_full(g_str_hash, g_str_equal,
					  g_free, NULL);
	lo.alias_attributes = set->alias_attributes;
	lo.ld = ld;
	rc = dir_ldif_load(&lo, error_r);
	ldifr_close(&lo.reader);
	g_free(text);
	if (rc < 0) {
		dir_ldif_free(ld);
		return -1;
	}
	*dir_r = &ld->dir;
	return 0;
}

/* dir_ldif_lookup - entry by mail or alias address */
static int
dir_ldif_lookup(struct dir *dir, const char *address,
		struct dir_entry **entry_r, char **error_r)
{
	struct ldif_dir *ld = (struct ldif_dir *)dir;
	struct dir_entry *entry;
	char   *key;

	key = g_ascii_strdown(address, -1);
	g_strstrip(key);
	entry = g_hash_table_lookup(ld->by_address, key);
	g_free(key);
	if (entry == NULL)
		return 0;
	*entry_r = dir_entry_dup(entry);
	return 1;
}

/* dir_ldif_lookup_dn - entry by DN */
static int
dir_ldif_lookup_dn(struct dir *dir, const char *dn, struct dir_entry **entry_r,
		   char **error_r)
{
	struct ldif_dir *ld = (struct ldif_dir *)dir;
	struct dir_entry *entry;
	char   *key;

	key = dir_dn_normalize(dn);
	entry = g_hash_table_lookup(ld->by_dn, key);
	g_free(key);
	if (entry == NULL)
		return 0;
	*entry_r = dir_entry_dup(entry);
	return 1;
}

/* dir_ldif_close - release the backend */
static void
dir_ldif_close(struct dir *dir)
{
	dir_ldif_free((struct ldif_dir *)dir);
}

const struct dir_ops dir_ldif_ops = {
	.name = "ldif",
	.open = dir_ldif_open,
	.lookup = dir_ldif_lookup,
	.lookup_dn = dir_ldif_lookup_dn,
	.close = dir_ldif_close,
};
