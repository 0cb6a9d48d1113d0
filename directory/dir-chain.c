/*
 * NAME
 *	dir-chain - the delegation tree and away cycles, for the helpdesk
 * SUMMARY
 *	See dir-chain.h. Moved from deputyctl (show's tree, check's
 *	cycles) so that deputy-web shows the same steps.
 * DIAGNOSTICS
 *	See dir-chain.h.
 * BUGS
 *	The walk repeats the engine's resolution rules to show each step;
 *	it should come from delegate.c itself once that exposes them.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "addr.h"
#include "dir-chain.h"

/* dir_chain_values - the delegate list of E and the attribute it came from */
const struct dir_strings *
dir_chain_values(const struct dir_entry *e, const char **attr_r)
{
	if (e->delegates.count > 0) {
		*attr_r = "deputyDelegate";
		return &e->delegates;
	}
	if (e->secretaries.count > 0) {
		*attr_r = "secretary";
		return &e->secretaries;
	}
	*attr_r = "manager";
	return &e->managers;
}

/* dir_chain_away - absence_check() of E at T: 1, 0, -1 */
int
dir_chain_away(const struct dir_entry *e, time_t t, struct absence_result *res)
{
	struct absence_result dummy;
	char   *err = NULL;
	int	rc;

	rc = absence_check((const char *const *)e->absences.values, t,
			   res != NULL ? res : &dummy, &err);
	g_free(err);
	return rc;
}

/* dir_chain_is_dn - whether VALUE is a DN rather than an address (delegate.c) */
int
dir_chain_is_dn(const char *value)
{
	return strchr(value, '=') != NULL && strchr(value, '@') == NULL;
}

/* dir_chain_address_ok - an address deputy-lda would forward to */
int
dir_chain_address_ok(const char *value)
{
	return addr_is_safe(value);
}

/* dir_chain_same_dn - whether two DNs name the same entry */
int
dir_chain_same_dn(const char *a, const char *b)
{
	char   *na, *nb;
	int	same;

	if (a == NULL || b == NULL)
		return 0;
	na = dir_dn_normalize(a);
	nb = dir_dn_normalize(b);
	same = strcmp(na, nb) == 0;
	g_free(na);
	g_free(nb);
	return same;
}

/* dir_chain_lookup - the entry a delegate value names: 1, 0, -1 */
int
dir_chain_lookup(struct dir *dir, const char *value, struct dir_entry **de_r,
		 char **error_r)
{
	*de_r = NULL;
	*error_r = NULL;
	if (dir_chain_is_dn(value))
		return dir_lookup_dn(dir, value, de_r, error_r);
	if (!dir_chain_address_ok(value))
		return 0;
	return dir_lookup(dir, value, de_r, error_r);
}

/* dir_chain_node_free - release one node and what is below it */
static void
dir_chain_node_free(gpointer data)
{
	struct dir_chain_node *n = data;

	g_free(n->value);
	g_free(n->dn);
	g_free(n->mail);
	g_free(n->display_name);
	if (n->children != NULL)
		g_ptr_array_free(n->children, TRUE);
	g_free(n);
}

/* dir_chain_free - release a tree */
void
dir_chain_free(GPtrArray *nodes)
{
	if (nodes != NULL)
		g_ptr_array_free(nodes, TRUE);
}

/* dir_chain_status_name - the status as deputyctl --json writes it */
const char *
dir_chain_status_name(enum dir_chain_status s)
{
	switch (s) {
	case DIR_CHAIN_PRESENT: return "present";
	case DIR_CHAIN_AWAY: return "away";
	case DIR_CHAIN_CYCLE: return "cycle";
	case DIR_CHAIN_OUTSIDE: return "outside";
	default: return "unknown";
	}
}

/* dir_chain_below - the nodes of E's delegates into OUT; -1 on failure */
static int
dir_chain_below(struct dir *dir, const struct dir_entry *e, time_t now,
		unsigned int max_depth, GPtrArray *path, unsigned int depth,
		GPtrArray *out, unsigned int *lookups, char **error_r)
{
	const struct dir_strings *values;
	const char *attr;
	size_t	i;

	values = dir_chain_values(e, &attr);
	for (i = 0; i < values->count; i++) {
		const char *v = values->values[i];
		struct dir_chain_node *n;
		struct dir_entry *de = NULL;
		struct absence_result res;
		guint	k;
		int	rc;

		if (++*lookups > DIR_CHAIN_LOOKUPS)
			break;
		rc = dir_chain_lookup(dir, v, &de, error_r);
		if (rc < 0)
			return -1;
		n = g_new0(struct dir_chain_node, 1);
		n->value = g_strdup(v);
		n->attribute = attr;
		g_ptr_array_add(out, n);
		if (rc == 0) {
			n->status = dir_chain_is_dn(v)
			    || !dir_chain_address_ok(v) ? DIR_CHAIN_UNKNOWN
			    : DIR_CHAIN_OUTSIDE;
			continue;
		}
		n->dn = g_strdup(de->dn);
		n->mail = g_strdup(de->mail);
		n->display_name = g_strdup(de->display_name);
		n->children = g_ptr_array_new_with_free_func(
		    dir_chain_node_free);
		n->status = DIR_CHAIN_PRESENT;
		for (k = 0; k < path->len; k++)
			if (dir_chain_same_dn(g_ptr_array_index(path, k),
					      de->dn))
				n->status = DIR_CHAIN_CYCLE;
		if (n->status != DIR_CHAIN_CYCLE
		    && dir_chain_away(de, now, &res) == 1) {
			n->status = DIR_CHAIN_AWAY;
			n->until = res.end;
		}
		if (n->status == DIR_CHAIN_AWAY && depth + 1 < max_depth + 1) {
			g_ptr_array_add(path, de->dn);
			rc = dir_chain_below(dir, de, now, max_depth, path,
			    depth + 1, n->children, lookups, error_r);
			g_ptr_array_remove_index(path, path->len - 1);
			if (rc < 0) {
				dir_entry_free(&de);
				return -1;
			}
		}
		dir_entry_free(&de);
	}
	return 0;
}

/* dir_chain_walk - the delegation tree below E at NOW */
int
dir_chain_walk(struct dir *dir, const struct dir_entry *e, time_t now,
	       unsigned int max_depth, GPtrArray **nodes_r, char **error_r)
{
	GPtrArray *path, *nodes;
	unsigned int lookups = 0;
	int	rc;

	*error_r = NULL;
	nodes = g_ptr_array_new_with_free_func(dir_chain_node_free);
	path = g_ptr_array_new();
	g_ptr_array_add(path, e->dn);
	rc = dir_chain_below(dir, e, now, max_depth, path, 0, nodes,
			     &lookups, error_r);
	g_ptr_array_free(path, TRUE);
	if (rc < 0) {
		dir_chain_free(nodes);
		*nodes_r = NULL;
		return -1;
	}
	*nodes_r = nodes;
	return 0;
}

/* dir_chain_cycle_from - the search of dir_chain_cycle() below E */
static int
dir_chain_cycle_from(struct dir *dir, const struct dir_entry *start,
		     const struct dir_entry *e, time_t now, GPtrArray *path,
		     unsigned int *lookups, char **error_r)
{
	const struct dir_strings *values;
	const char *attr;
	size_t	i;
	guint	k;

	if (path->len > 16)
		return 0;
	values = dir_chain_values(e, &attr);
	for (i = 0; i < values->count; i++) {
		struct dir_entry *de = NULL;
		int	rc, seen = 0;

		if (++*lookups > DIR_CHAIN_LOOKUPS)
			return 0;
		rc = dir_chain_lookup(dir, values->values[i], &de, error_r);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		if (dir_chain_same_dn(de->dn, start->dn)) {
			dir_entry_free(&de);
			return path->len > 1 ? 1 : 0;	/* self: separate */
		}
		for (k = 0; k < path->len; k++)
			if (dir_chain_same_dn(g_ptr_array_index(path, k),
					      de->dn))
				seen = 1;
		if (!seen && dir_chain_away(de, now, NULL) == 1) {
			g_ptr_array_add(path, g_strdup(de->dn));
			rc = dir_chain_cycle_from(dir, start, de, now, path,
			    lookups, error_r);
			if (rc != 0) {
				dir_entry_free(&de);
				return rc;
			}
			g_free(g_ptr_array_steal_index(path, path->len - 1));
		}
		dir_entry_free(&de);
	}
	return 0;
}

/* dir_chain_cycle - a cycle of away people back to START */
int
dir_chain_cycle(struct dir *dir, const struct dir_entry *start, time_t now,
		GPtrArray *path, char **error_r)
{
	unsigned int lookups = 0;

	*error_r = NULL;
	g_ptr_array_add(path, g_strdup(start->dn));
	return dir_chain_cycle_from(dir, start, start, now, path, &lookups,
				    error_r);
}
