/*
 * NAME
 *	ctl-chain - delegation as deputyctl shows it
 * SUMMARY
 *	Whether someone is away is always absence_check()'s answer and who
 *	gets the copies is always delegate_resolve()'s, the functions
 *	deputy-lda uses (ctl_away(), ctl_resolve()). The tree show prints
 *	(every delegate value, what it names, who is away, where a cycle
 *	closes) is dir_chain_walk()'s (directory/dir-chain.c), which
 *	deputy-web shows too; this file prints it.
 * DIAGNOSTICS
 *	-1 when the directory failed (*error_r says why).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "absence.h"
#include "ctl.h"
#include "delegate.h"
#include "dir-chain.h"

/* ctl_values_of - the delegate list of E and the attribute it came from */
const struct dir_strings *
ctl_values_of(const struct dir_entry *e, const char **attr_r)
{
	return dir_chain_values(e, attr_r);
}

/* ctl_away - absence_check() of E at T: 1, 0, -1 */
int
ctl_away(const struct dir_entry *e, time_t t, struct absence_result *res)
{
	return dir_chain_away(e, t, res);
}

/* ctl_lookup_value - the entry a delegate value names: 1, 0, -1 */
int
ctl_lookup_value(struct ctl *c, const char *value, struct dir_entry **de_r,
		 char **error_r)
{
	return dir_chain_lookup(c->dir, value, de_r, error_r);
}

/* ctl_resolve - delegate_resolve() with the configured limits */
int
ctl_resolve(struct ctl *c, const struct dir_entry *e, time_t t,
	    struct dir_strings *addrs, struct dir_strings *warnings,
	    char **error_r)
{
	struct delegate_limits lim = { c->conf->max_delegate_depth,
	    c->conf->max_delegates };

	return delegate_resolve(c->dir, e, t, &lim, addrs, warnings, error_r);
}

/* ctl_chain_print - the tree of dir_chain_walk(), as text or JSON */
static void
ctl_chain_print(struct ctl *c, GPtrArray *nodes, unsigned int depth,
		const char *zone, struct ctl_json *j)
{
	guint	i;

	if (j != NULL)
		ctl_json_begin(j, "delegates", 1);
	for (i = 0; i < nodes->len; i++) {
		const struct dir_chain_node *n = g_ptr_array_index(nodes, i);
		char   *until = NULL;

		if (j != NULL) {
			ctl_json_begin(j, NULL, 0);
			ctl_json_str(j, "value", n->value);
			ctl_json_str(j, "attribute", n->attribute);
		}
		if (n->children == NULL) {
			if (j != NULL) {
				ctl_json_str(j, "status",
				    dir_chain_status_name(n->status));
				ctl_json_end(j, 0);
			} else {
				fprintf(c->out, "  %*s%s: %s\n", (int)depth * 2,
				    "", ctl_esc(n->value), n->status
				    == DIR_CHAIN_OUTSIDE ? "outside address"
				    : ctl_is_dn(n->value) ? "names no entry"
				    : "neither a DN nor an address");
			}
			continue;
		}
		if (n->status == DIR_CHAIN_AWAY)
			until = ctl_fmt_time(n->until, zone, 0);
		if (j != NULL) {
			ctl_json_str(j, "dn", n->dn);
			ctl_json_str(j, "mail", n->mail);
			ctl_json_str(j, "status",
			    dir_chain_status_name(n->status));
			if (n->status == DIR_CHAIN_AWAY)
				ctl_json_time(j, "until", n->until, zone);
		} else {
			fprintf(c->out, "  %*s%s -> %s: %s%s\n",
			    (int)depth * 2, "", ctl_esc(n->value),
			    n->mail != NULL ? ctl_esc(n->mail) : "(no mail)",
			    n->status == DIR_CHAIN_CYCLE ? "cycle, back to "
			    : n->status == DIR_CHAIN_AWAY ? "away until "
			    : "present", n->status == DIR_CHAIN_CYCLE
			    ? ctl_esc(n->dn) : n->status == DIR_CHAIN_AWAY
			    ? until : "");
		}
		ctl_chain_print(c, n->children, depth + 1, zone, j);
		if (j != NULL)
			ctl_json_end(j, 0);
		g_free(until);
	}
	if (j != NULL)
		ctl_json_end(j, 1);
}

/* ctl_chain - print the delegation tree below E; -1 when the directory failed */
int
ctl_chain(struct ctl *c, const struct dir_entry *e, GPtrArray *path,
	  unsigned int depth, const char *zone, struct ctl_json *j,
	  unsigned int *lookups, char **error_r)
{
	GPtrArray *nodes = NULL;

	(void)path;
	(void)lookups;
	if (dir_chain_walk(c->dir, e, c->now, c->conf->max_delegate_depth,
			   &nodes, error_r) < 0)
		return -1;
	ctl_chain_print(c, nodes, depth, zone, j);
	dir_chain_free(nodes);
	return 0;
}
