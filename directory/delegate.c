/*
 * NAME
 *	delegate - who receives a copy of mail for an away user
 * SUMMARY
 *	The delegates of an entry are its deputyDelegate values, else its
 *	secretary values, else its manager values. A value with '=' and no
 *	'@' is a DN, anything else an address; an address that names no
 *	entry is an external delegate and is used as written.
 *
 *	A delegate who is away at NOW and has delegates of its own passes
 *	the copy on to them (depth-first, in value order), up to
 *	max_depth hops. If that yields nobody new (they are all seen
 *	already, or unresolvable) or the depth cap is reached, the away
 *	delegate gets the copy itself: mail must reach a person.
 *
 *	Every entry and address is visited once (by normalized DN and by
 *	lowercased address), which breaks cycles and removes duplicates;
 *	the user itself is marked visited from the start and so never
 *	receives its own copy. The result holds at most max_count
 *	addresses, in the order found.
 * DIAGNOSTICS
 *	-1 with *error_r when a directory lookup fails. Values that name
 *	nobody, an absence that does not parse (that delegate counts as
 *	present), the caps, and delegates without a mail address are
 *	reported in *warnings_r as human-readable lines.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <string.h>

#include <glib.h>

#include "absence.h"
#include "delegate.h"
#include "directory.h"

#define DELEGATE_MAX_LOOKUPS	256	/* directory lookups per resolve */
#define DELEGATE_MAX_WARNINGS	32

struct delegate_ctx {
	struct dir *dir;
	time_t	now;
	const struct delegate_limits *limits;
	GHashTable *seen;		/* "dn:..." and "addr:...", owned */
	GPtrArray *result;		/* addresses, owned */
	GHashTable *result_set;		/* lowercased addresses, owned */
	GPtrArray *warnings;		/* strings, owned */
	unsigned int lookups;
	int	full_warned;
	char  **error_r;
};

/* delegate_warn - add one warning line, bounded */
static void __attribute__((format(printf, 2, 3)))
delegate_warn(struct delegate_ctx *ctx, const char *fmt, ...)
{
	va_list	ap;

	if (ctx->warnings->len >= DELEGATE_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	g_ptr_array_add(ctx->warnings, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

/* delegate_seen_dn - mark DN visited; whether it was already */
static int
delegate_seen_dn(struct delegate_ctx *ctx, const char *dn)
{
	char   *norm, *key;

	norm = dir_dn_normalize(dn);
	key = g_strconcat("dn:", norm, NULL);
	g_free(norm);
	if (g_hash_table_contains(ctx->seen, key)) {
		g_free(key);
		return 1;
	}
	g_hash_table_add(ctx->seen, key);
	return 0;
}

/* delegate_seen_address - mark ADDRESS visited; whether it was already */
static int
delegate_seen_address(struct delegate_ctx *ctx, const char *address)
{
	char   *lower, *key;

	lower = g_ascii_strdown(address, -1);
	key = g_strconcat("addr:", lower, NULL);
	g_free(lower);
	if (g_hash_table_contains(ctx->seen, key)) {
		g_free(key);
		return 1;
	}
	g_hash_table_add(ctx->seen, key);
	return 0;
}

/* delegate_mark_entry - mark the DN and all addresses of ENTRY visited */
static void
delegate_mark_entry(struct delegate_ctx *ctx, const struct dir_entry *entry)
{
	size_t	i;

	if (entry->dn != NULL)
		(void)delegate_seen_dn(ctx, entry->dn);
	if (entry->mail != NULL)
		(void)delegate_seen_address(ctx, entry->mail);
	for (i = 0; i < entry->addresses.count; i++)
		(void)delegate_seen_address(ctx, entry->addresses.values[i]);
}

/* delegate_full - whether the result has reached max_count */
static int
delegate_full(struct delegate_ctx *ctx)
{
	if (ctx->result->len < ctx->limits->max_count)
		return 0;
	if (!ctx->full_warned) {
		delegate_warn(ctx, "more than %u delegates, the rest are "
			      "skipped", ctx->limits->max_count);
		ctx->full_warned = 1;
	}
	return 1;
}

/* delegate_add - append ADDRESS to the result unless already there */
static int
delegate_add(struct delegate_ctx *ctx, const char *address)
{
	char   *lower;

	if (delegate_full(ctx))
		return 0;
	lower = g_ascii_strdown(address, -1);
	if (g_hash_table_contains(ctx->result_set, lower)) {
		g_free(lower);
		return 0;
	}
	g_hash_table_add(ctx->result_set, lower);
	g_ptr_array_add(ctx->result, g_strdup(address));
	return 1;
}

/* delegate_values - the list that names the delegates of ENTRY */
static const struct dir_strings *
delegate_values(const struct dir_entry *entry, const char **attr_r)
{
	if (entry->delegates.count > 0) {
		*attr_r = "deputyDelegate";
		return &entry->delegates;
	}
	if (entry->secretaries.count > 0) {
		*attr_r = "secretary";
		return &entry->secretaries;
	}
	*attr_r = "manager";
	return &entry->managers;
}

/* delegate_is_dn - whether a delegate value is a DN rather than an address */
static int
delegate_is_dn(const char *value)
{
	return strchr(value, '=') != NULL && strchr(value, '@') == NULL;
}

/* delegate_address_ok - a plausible external address: one @, no blanks */
static int
delegate_address_ok(const char *value)
{
	const char *at, *p;

	if (strlen(value) > 320)
		return 0;
	at = strrchr(value, '@');
	if (at == NULL || at == value || at[1] == '\0')
		return 0;
	for (p = value; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>'
		    || *p == ',' || *p == 0x7f)
			return 0;
	return 1;
}

static int delegate_expand(struct delegate_ctx *, const struct dir_entry *,
			   unsigned int);

/* delegate_warn_seen - a delegate already visited: a cycle or a repeat */
static void
delegate_warn_seen(struct delegate_ctx *ctx, const char *attr,
		   const char *value, const struct dir_entry *entry)
{
	delegate_warn(ctx, "delegation cycle or repeat: %s '%s' of %s was "
	    "already visited", attr, value, entry->dn ? entry->dn : "?");
}

/* delegate_entry - handle one delegate that is a directory entry */
static int
delegate_entry(struct delegate_ctx *ctx, const struct dir_entry *de,
	       unsigned int depth)
{
	struct absence_result away;
	const struct dir_strings *next;
	const char *attr;
	char   *error;
	guint	before;
	int	rc;

	error = NULL;
	rc = absence_check((const char *const *)de->absences.values, ctx->now,
			   &away, &error);
	if (rc < 0) {
		delegate_warn(ctx, "absence of delegate %s does not parse, "
			      "taken as present: %s", de->dn, error);
		rc = 0;
	}
	g_free(error);
	next = delegate_values(de, &attr);
	if (rc == 1 && next->count > 0) {
		if (depth >= ctx->limits->max_depth) {
			delegate_warn(ctx, "delegate %s is away, but the "
				      "chain is deeper than %u; it gets the "
				      "copy", de->dn, ctx->limits->max_depth);
		} else {
			before = ctx->result->len;
			if (delegate_expand(ctx, de, depth + 1) < 0)
				return -1;
			if (ctx->result->len > before)
				return 0;
		}
	}
	if (de->mail == NULL) {
		delegate_warn(ctx, "delegate %s has no mail address", de->dn);
		return 0;
	}
	(void)delegate_add(ctx, de->mail);
	return 0;
}

/*
 * delegate_lookup - look VALUE (a DN when BY_DN, else an address) up,
 * counted against the lookup cap; -1 with *ctx->error_r set on error
 */
static int
delegate_lookup(struct delegate_ctx *ctx, const char *attr, const char *value,
		int by_dn, struct dir_entry **entry_r)
{
	char   *error = NULL;
	int	rc;

	*entry_r = NULL;
	ctx->lookups++;
	rc = by_dn ? dir_lookup_dn(ctx->dir, value, entry_r, &error) :
	    dir_lookup(ctx->dir, value, entry_r, &error);
	if (rc < 0)
		*ctx->error_r = g_strdup_printf("looking up %s '%s': %s", attr,
		    value, error != NULL ? error : "failed");
	g_free(error);
	return rc;
}

/* delegate_expand - resolve the delegates of ENTRY at DEPTH */
static int
delegate_expand(struct delegate_ctx *ctx, const struct dir_entry *entry,
		unsigned int depth)
{
	const struct dir_strings *values;
	struct dir_entry *de;
	const char *attr, *value;
	size_t	i;
	int	by_dn, rc;

	values = delegate_values(entry, &attr);
	for (i = 0; i < values->count; i++) {
		if (delegate_full(ctx))
			return 0;
		value = values->values[i];
		if (value == NULL || *value == '\0')
			continue;
		if (ctx->lookups >= DELEGATE_MAX_LOOKUPS) {
			delegate_warn(ctx, "more than %d delegate lookups, "
				      "the rest are skipped",
				      DELEGATE_MAX_LOOKUPS);
			return 0;
		}
		by_dn = delegate_is_dn(value);
		if (by_dn && delegate_seen_dn(ctx, value)) {
			delegate_warn_seen(ctx, attr, value, entry);
			continue;
		}
		if (!by_dn && !delegate_address_ok(value)) {
			delegate_warn(ctx, "%s '%s' is neither a DN "
				      "nor an address", attr, value);
			continue;
		}
		if (!by_dn && delegate_seen_address(ctx, value)) {
			delegate_warn_seen(ctx, attr, value, entry);
			continue;
		}
		rc = delegate_lookup(ctx, attr, value, by_dn, &de);
		if (rc < 0)
			return -1;
		if (rc == 0 && by_dn) {
			delegate_warn(ctx, "%s '%s' names no entry",
				      attr, value);
			continue;
		}
		if (rc == 0) {
			(void)delegate_add(ctx, value);
			continue;
		}
		/* the same person reached under another name */
		if (!by_dn && de->dn != NULL &&
		    delegate_seen_dn(ctx, de->dn)) {
			delegate_warn_seen(ctx, attr, value, entry);
			dir_entry_free(&de);
			continue;
		}
		delegate_mark_entry(ctx, de);
		rc = delegate_entry(ctx, de, depth);
		dir_entry_free(&de);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* delegate_take - a GPtrArray of strings into a NULL-terminated list */
static void
delegate_take(struct dir_strings *list, GPtrArray *array)
{
	list->count = array->len;
	g_ptr_array_add(array, NULL);
	list->values = (char **)g_ptr_array_free(array, FALSE);
}

/* delegate_resolve - final delegate addresses of ENTRY at NOW */
int
delegate_resolve(struct dir *dir, const struct dir_entry *entry,
		 time_t now, const struct delegate_limits *limits,
		 struct dir_strings *addresses_r,
		 struct dir_strings *warnings_r, char **error_r)
{
	struct delegate_ctx ctx;
	int	ret;

	*error_r = NULL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.dir = dir;
	ctx.now = now;
	ctx.limits = limits;
	ctx.error_r = error_r;
	ctx.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 NULL);
	ctx.result_set = g_hash_table_new_full(g_str_hash, g_str_equal,
					       g_free, NULL);
	ctx.result = g_ptr_array_new_with_free_func(g_free);
	ctx.warnings = g_ptr_array_new_with_free_func(g_free);

	delegate_mark_entry(&ctx, entry);
	ret = delegate_expand(&ctx, entry, 0);

	g_hash_table_destroy(ctx.seen);
	g_hash_table_destroy(ctx.result_set);
	if (ret < 0) {
		g_ptr_array_free(ctx.result, TRUE);
		g_ptr_array_free(ctx.warnings, TRUE);
		addresses_r->values = g_new0(char *, 1);
		addresses_r->count = 0;
		warnings_r->values = g_new0(char *, 1);
		warnings_r->count = 0;
		return -1;
	}
	g_ptr_array_set_free_func(ctx.result, NULL);
	g_ptr_array_set_free_func(ctx.warnings, NULL);
	delegate_take(addresses_r, ctx.result);
	delegate_take(warnings_r, ctx.warnings);
	return 0;
}
