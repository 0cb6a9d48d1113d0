#ifndef DEPUTY_DIRECTORY_H
#define DEPUTY_DIRECTORY_H

/*
 * NAME
 *	directory - backend-neutral view of the user directory
 * SUMMARY
 *	Looks up the entry of a mail recipient (by mail or alias address, or
 *	by DN) in LDAP or in an LDIF file. The rest of deputy sees only
 *	struct dir_entry, a plain value that owns all of its strings.
 * DIAGNOSTICS
 *	Lookups return 1 (found), 0 (no such entry) or -1 (the directory
 *	failed: the caller must try again later). A missing entry is never
 *	an error: an unknown recipient is "not away".
 * SECURITY
 *	Addresses come from the MTA and, through delegates, from the
 *	directory itself; backends must escape them (RFC 4515) before they
 *	reach a filter.
 */

#include <stddef.h>
#include <time.h>

/* Notice policy of one user (deputyNotice). */
enum dir_notice {
	DIR_NOTICE_DEFAULT = 0,		/* attribute absent: use the configuration */
	DIR_NOTICE_NONE,		/* never notify the sender */
	DIR_NOTICE_AUTHENTICATED,	/* notify authenticated senders */
	DIR_NOTICE_INTERNAL,		/* notify authenticated internal senders */
};

/* Account status of one user (deputyAccountStatus; deputy-milter). */
enum dir_account {
	DIR_ACCOUNT_ACTIVE = 0,		/* attribute absent, or "active" */
	DIR_ACCOUNT_DISABLED,		/* mail refused at SMTP time */
	DIR_ACCOUNT_ABANDONED,		/* the same, and nobody reads it */
};

/* A string list: values[0..count-1], NULL-terminated. */
struct dir_strings {
	char **values;
	size_t count;
};

/* One directory entry, as much as deputy needs of it. */
struct dir_entry {
	char *dn;
	char *mail;			/* first mail value, lowercased */
	struct dir_strings addresses;	/* mail and alias values, lowercased */
	char *display_name;		/* UTF-8 or NULL */
	char *language;			/* preferredLanguage or NULL */
	char *template_name;		/* deputyTemplate or NULL */
	enum dir_notice notice;
	struct dir_strings absences;	/* deputyAbsence: iCalendar texts */
	struct dir_strings delegates;	/* deputyDelegate: DN or address */
	struct dir_strings secretaries;	/* secretary: DN */
	struct dir_strings managers;	/* manager: DN */
	enum dir_account account;	/* deputyAccountStatus */
	struct dir_strings refused_senders;	/* deputyRefusedSender (refused.h) */
};

/* Settings a backend needs; owned by the caller. */
struct dir_settings {
	const char *backend;		/* "ldif" or "ldap" */
	const char *ldif_file;		/* for "ldif" */
	const char *const *alias_attributes;	/* NULL-terminated */

	/* for "ldap" */
	const char *const *uris;	/* tried in order, NULL-terminated */
	const char *base;		/* search base */
	const char *bind_dn;		/* NULL or "": anonymous or SASL */
	const char *bind_password_file;	/* must be mode 0600 or stricter */
	const char *bind_password;	/* instead of the file: a password
					 * held in memory (deputy-web's
					 * login); NULL: use the file */
	const char *sasl_mech;		/* NULL, "" or "EXTERNAL" */
	const char *tls;		/* "starttls", "none" (ldaps:// and
					 * ldapi:// imply their own) */
	const char *ca_file;		/* NULL: the system's */
	unsigned int network_timeout;	/* seconds, connect */
	unsigned int timeout;		/* seconds, per operation */
	unsigned int size_limit;	/* entries per search */
};

struct dir;

/* dir_open - open the configured backend; -1 with *error_r on failure */
int dir_open(const struct dir_settings *set, struct dir **dir_r,
	     char **error_r);

/* dir_lookup - find the entry of ADDRESS (mail or alias, any case) */
int dir_lookup(struct dir *dir, const char *address,
	       struct dir_entry **entry_r, char **error_r);

/* dir_lookup_dn - find the entry named by DN */
int dir_lookup_dn(struct dir *dir, const char *dn,
		  struct dir_entry **entry_r, char **error_r);

/* dir_close - release the backend; sets *dir to NULL */
void dir_close(struct dir **dir);

/* dir_entry_free - release an entry; sets *entry to NULL */
void dir_entry_free(struct dir_entry **entry);

/* dir_entry_has_address - whether ADDRESS (any case) is one of the entry's */
int dir_entry_has_address(const struct dir_entry *entry, const char *address);

/* dir_notice_parse - "none", "authenticated", "internal"; -1 if unknown */
int dir_notice_parse(const char *text, enum dir_notice *notice_r);

/* dir_account_parse - "active", "disabled", "abandoned"; -1 if unknown */
int dir_account_parse(const char *text, enum dir_account *account_r);

/* dir_strings_free - release the values of a list, leave it empty */
void dir_strings_free(struct dir_strings *list);

/* dir_dn_normalize - comparable form of DN (libldap's LDAPv3 form,
   lowercased); the caller frees the result with g_free() */
char *dir_dn_normalize(const char *dn);

#endif
