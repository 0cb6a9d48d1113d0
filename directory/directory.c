/*
 * NAME
 *	directory - backend dispatch and struct dir_entry helpers
 * SUMMARY
 *	dir_open() picks a backend by name from a fixed table and every
 *	lookup goes through its struct dir_ops. The entry helpers (copy,
 *	free, address match) and the DN normalizer (libldap's) are shared
 *	by all backends and by delegate resolution.
 * DIAGNOSTICS
 *	See directory.h. An unknown backend name is an error that names it.
 *	Overlong addresses and DNs are not errors: they match nothing.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <glib.h>
#include <ldap.h>

#include "directory.h"
#include "directory-private.h"

static const struct dir_ops *const dir_backends[] = {
	&dir_ldif_ops,
	&dir_ldap_ops,
	NULL
};

/* dir_open - open the configured backend; -1 with *error_r on failure */
int
dir_open(const struct dir_settings *set, struct dir **dir_r, char **error_r)
{
	const char *name;
	size_t	i;

	*dir_r = NULL;
	*error_r = NULL;
	name = set->backend != NULL ? set->backend : "ldif";
	for (i = 0; dir_backends[i] != NULL; i++) {
		if (g_ascii_strcasecmp(dir_backends[i]->name, name) == 0)
			return dir_backends[i]->open(set, dir_r, error_r);
	}
	*error_r = g_strdup_printf("unknown directory backend '%s'", name);
	return -1;
}

/* dir_lookup - find the entry of ADDRESS (mail or alias, any case) */
int
dir_lookup(struct dir *dir, const char *address,
	   struct dir_entry **entry_r, char **error_r)
{
	*entry_r = NULL;
	*error_r = NULL;
	if (address == NULL || *address == '\0'
	    || strnlen(address, DIR_ADDRESS_MAX + 1) > DIR_ADDRESS_MAX)
		return 0;
	return dir->ops->lookup(dir, address, entry_r, error_r);
}

/* dir_lookup_dn - find the entry named by DN */
int
dir_lookup_dn(struct dir *dir, const char *dn,
	      struct dir_entry **entry_r, char **error_r)
{
	*entry_r = NULL;
	*error_r = NULL;
	if (dn == NULL || *dn == '\0'
	    || strnlen(dn, DIR_DN_MAX + 1) > DIR_DN_MAX)
		return 0;
	return dir->ops->lookup_dn(dir, dn, entry_r, error_r);
}

/* dir_close - release the backend; sets *dir to NULL */
void
dir_close(struct dir **dir)
{
	if (dir == NULL || *dir == NULL)
		return;
	(*dir)->ops->close(*dir);
	*dir = NULL;
}

/* dir_strings_free - release the values of a list, leave it empty */
void
dir_strings_free(struct dir_strings *list)
{
	if (list == NULL)
		return;
	g_strfreev(list->values);
	list->values = NULL;
	list->count = 0;
}

/* dir_strings_from_array - steal the strings of ARRAY into a list */
void
dir_strings_from_array(struct dir_strings *list, GPtrArray *array)
{
	list->count = array->len;
	g_ptr_array_add(array, NULL);
	list->values = (char **)g_ptr_array_free(array, FALSE);
}

/* dir_strings_take - see directory-private.h */
void
dir_strings_take(struct dir_strings *list, GPtrArray **array)
{
	g_ptr_array_set_free_func(*array, NULL);
	dir_strings_from_array(list, *array);
	*array = NULL;
}

/* dir_first_copy - see directory-private.h */
char *
dir_first_copy(const GPtrArray *array)
{
	return array->len > 0 ? g_strdup(g_ptr_array_index(array, 0)) : NULL;
}

/* dir_strings_copy - deep copy of a list; always NULL-terminated */
static void
dir_strings_copy(struct dir_strings *dst, const struct dir_strings *src)
{
	size_t	i;

	dst->count = src->values != NULL ? src->count : 0;
	dst->values = g_new0(char *, dst->count + 1);
	for (i = 0; i < dst->count; i++)
		dst->values[i] = g_strdup(src->values[i]);
}

/* dir_entry_dup - deep copy of ENTRY */
struct dir_entry *
dir_entry_dup(const struct dir_entry *entry)
{
	struct dir_entry *copy;

	copy = g_new0(struct dir_entry, 1);
	copy->dn = g_strdup(entry->dn);
	copy->mail = g_strdup(entry->mail);
	dir_strings_copy(&copy->addresses, &entry->addresses);
	copy->display_name = g_strdup(entry->display_name);
	copy->language = g_strdup(entry->language);
	copy->template_name = g_strdup(entry->template_name);
	copy->notice = entry->notice;
	dir_strings_copy(&copy->absences, &entry->absences);
	dir_strings_copy(&copy->delegates, &entry->delegates);
	dir_strings_copy(&copy->secretaries, &entry->secretaries);
	dir_strings_copy(&copy->managers, &entry->managers);
	copy->account = entry->account;
	dir_strings_copy(&copy->refused_senders, &entry->refused_senders);
	return copy;
}

/* dir_entry_free - release an entry; sets *entry to NULL */
void
dir_entry_free(struct dir_entry **entry)
{
	struct dir_entry *e;

	if (entry == NULL || *entry == NULL)
		return;
	e = *entry;
	g_free(e->dn);
	g_free(e->mail);
	dir_strings_free(&e->addresses);
	g_free(e->display_name);
	g_free(e->language);
	g_free(e->template_name);
	dir_strings_free(&e->absences);
	dir_strings_free(&e->delegates);
	dir_strings_free(&e->secretaries);
	dir_strings_free(&e->managers);
	dir_strings_free(&e->refused_senders);
	g_free(e);
	*entry = NULL;
}

/* dir_entry_has_address - whether ADDRESS (any case) is one of the entry's */
int
dir_entry_has_address(const struct dir_entry *entry, const char *address)
{
	size_t	i;

	if (entry == NULL || address == NULL)
		return 0;
	if (entry->mail != NULL
	    && g_ascii_strcasecmp(entry->mail, address) == 0)
		return 1;
	for (i = 0; i < entry->addresses.count; i++) {
		if (g_ascii_strcasecmp(entry->addresses.values[i],
				       address) == 0)
			return 1;
	}
	return 0;
}

/* dir_word - the index of TEXT among N WORDS (ASCII case folded), or -1 */
static int
dir_word(const char *text, const char *const *words, size_t n)
{
	size_t	i;

	for (i = 0; text != NULL && i < n; i++)
		if (g_ascii_strcasecmp(text, words[i]) == 0)
			return (int)i;
	return -1;
}

/* dir_notice_parse - "none", "authenticated", "internal"; -1 if unknown */
int
dir_notice_parse(const char *text, enum dir_notice *notice_r)
{
	/* in the order of enum dir_notice, after DIR_NOTICE_DEFAULT */
	static const char *const words[] = {
		"none", "authenticated", "internal"
	};
	int	i = dir_word(text, words, G_N_ELEMENTS(words));

	if (i < 0)
		return -1;
	*notice_r = (enum dir_notice)(DIR_NOTICE_NONE + i);
	return 0;
}

/*
 * dir_dn_normalize - comparable form of DN
 *
 * libldap parses the DN and writes it again in LDAPv3 form
 * (ldap_dn_normalize()): no blanks around separators, one way of
 * escaping (hex for specials and for bytes over 0x7f), quotes gone; the
 * result is then lowercased (ASCII). Not a schema-aware match (that
 * needs the server), but the same entry written two ways compares
 * equal. A value that does not parse as a DN is only trimmed and
 * lowercased: it names nothing but itself.
 */
char *
dir_dn_normalize(const char *dn)
{
	char   *out = NULL, *norm;

	if (ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAP, &out,
			      LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS
	    && out != NULL) {
		norm = g_ascii_strdown(out, -1);
		ldap_memfree(out);
		return norm;
	}
	if (out != NULL)
		ldap_memfree(out);
	norm = g_ascii_strdown(dn, -1);
	return g_strstrip(norm);
}

/* dir_account_parse - "active", "disabled", "abandoned"; -1 if unknown */
int
dir_account_parse(const char *text, enum dir_account *account_r)
{
	/* in the order of enum dir_account */
	static const char *const words[] = {
		"active", "disabled", "abandoned"
	};
	int	i = dir_word(text, words, G_N_ELEMENTS(words));

	if (i < 0)
		return -1;
	*account_r = (enum dir_account)(DIR_ACCOUNT_ACTIVE + i);
	return 0;
}
