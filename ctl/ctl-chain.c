/*
 * NAME
 *	ctl-chain - delegation as deputyctl walks it: the tree, the cycles
 * SUMMARY
 *	Whether someone is away is always absence_check()'s answer and who
 *	gets the copies is always delegate_resolve()'s, the functions
 *	deputy-lda uses (ctl_away(), ctl_resolve()). What this file adds
 *	is the walk that show prints (every delegate value, what it names,
 *	who is away, where a cycle closes) and the one check uses to find
 *	cycles of people who are all away. Both follow deputyDelegate,
 *	else secretary, else manager, as delegate.c does.
 * DIAGNOSTICS
 *	-1 when the directory failed (*error_r says why); the walks stop
 *	after CTL_CHAIN_LOOKUPS lookups, so a huge directory cannot hold
 *	the helpdesk's terminal.
 * BUGS
 *	The walk repeats the engine's resolution rules to show each step;
 *	it should come from the engine itself once that exposes them.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "absence.h"
#include "addr.h"
#include "ctl.h"
#include "delegate.h"

#define CTL_CHAIN_LOOKUPS	256

/* ctl_values_of - the delegate list of E and the attribute it came from */
const struct dir_strings *
ctl_values_of(const struct dir_entry *e, const char **attr_r)
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

/* ctl_away - absence_check() of E at T: 1, 0, -1 */
int
ctl_away(const struct dir_entry *e, time_t t, struct absence_result *res)
{
	struct absence_result dummy;
	char   *err = NULL;
	int	rc;

	rc = absence_check((const char *const *)e->absences.values, t,
			   res != NULL ? res : &dummy, &err);
	g_free(err);
	return rc;
}

/* ctl_lookup_value - the entry a delegate value names: 1, 0, -1 */
int
ctl_lookup_value(struct ctl *c, const char *value, struct dir_entry **de_r,
		 char **error_r)
{
	*de_r = NULL;
	*error_r = NULL;
	if (ctl_is_dn(value))
		return dir_lookup_dn(c->dir, value, de_r, error_r);
	if (!addr_is_safe(value))
		return 0;
	return dir_lookup(c->dir, value, de_r, error_r);
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

/* ctl_chain - print the delegation tree below E; -1 when the directory failed */
int
ctl_chain(struct ctl *c, const struct dir_entry *e, GPtrArray *path,
	  unsigned int depth, const char *zone, struct ctl_json *j,
	  unsigned int *lookups, char **error_r)
{
	const struct dir_strings *values;
	const char *attr;
	size_t	i;

	values = ctl_values_of(e, &attr);
	if (j != NULL)
		ctl_json_begin(j, "delegates", 1);
	for (i = 0; i < values->count; i++) {
		const char *v = values->values[i];
		struct dir_entry *de = NULL;
		struct absence_result res;
		char   *until = NULL;
		guint	k;
		int	rc, cycle = 0, away = 0;

		if (++*lookups > CTL_CHAIN_LOOKUPS)
			break;
		rc = ctl_lookup_value(c, v, &de, error_r);
		if (rc < 0)
			return -1;
		if (j != NULL) {
			ctl_json_begin(j, NULL, 0);
			ctl_json_str(j, "value", v);
			ctl_json_str(j, "attribute", attr);
		}
		if (rc == 0) {
			const char *what = ctl_is_dn(v) ? "names no entry"
			    : addr_is_safe(v) ? "outside address"
			    : "neither a DN nor an address";

			if (j != NULL) {
				ctl_json_str(j, "status", ctl_is_dn(v)
				    || !addr_is_safe(v) ? "unknown"
				    : "outside");
				ctl_json_end(j, 0);
			} else {
				fprintf(c->out, "  %*s%s: %s\n", (int)depth * 2,
				    "", ctl_esc(v), what);
			}
			continue;
		}
		for (k = 0; k < path->len; k++)
			if (ctl_same_dn(g_ptr_array_index(path, k), de->dn))
				cycle = 1;
		if (!cycle) {
			away = ctl_away(de, c->now, &res) == 1;
			if (away)
				until = ctl_fmt_time(res.end, zone, 0);
		}
		if (j != NULL) {
			ctl_json_str(j, "dn", de->dn);
			ctl_json_str(j, "mail", de->mail);
			ctl_json_str(j, "status", cycle ? "cycle" : away
			    ? "away" : "present");
			if (away)
				ctl_json_time(j, "until", res.end, zone);
		} else {
			fprintf(c->out, "  %*s%s -> %s: %s%s\n",
			    (int)depth * 2, "", ctl_esc(v), de->mail != NULL
			    ? ctl_esc(de->mail) : "(no mail)", cycle
			    ? "cycle, back to " : away ? "away until "
			    : "present", cycle ? ctl_esc(de->dn) : away ? until
			    : "");
		}
		if (away && !cycle
		    && depth + 1 < c->conf->max_delegate_depth + 1) {
			g_ptr_array_add(path, de->dn);
			rc = ctl_chain(c, de, path, depth + 1, zone, j,
				       lookups, error_r);
			g_ptr_array_remove_index(path, path->len - 1);
			if (rc < 0) {
				g_free(until);
				dir_entry_free(&de);
				return -1;
			}
		} else if (j != NULL) {
			ctl_json_begin(j, "delegates", 1);
			ctl_json_end(j, 1);
		}
		if (j != NULL)
			ctl_json_end(j, 0);
		g_free(until);
		dir_entry_free(&de);
	}
	if (j != NULL)
		ctl_json_end(j, 1);
	return 0;
}

/*
 * ctl_cycle - whether following delegates from E comes back to START with
 * everyone on the way away; PATH collects the DNs. -1: directory failed.
 */
int
ctl_cycle(struct ctl *c, const struct dir_entry *start,
	  const struct dir_entry *e, GPtrArray *path, unsigned int *lookups,
	  char **error_r)
{
	const struct dir_strings *values;
	const char *attr;
	size_t	i;
	guint	k;

	if (path->len > 16)
		return 0;
	values = ctl_values_of(e, &attr);
	for (i = 0; i < values->count; i++) {
		struct dir_entry *de = NULL;
		int	rc, seen = 0;

		if (++*lookups > CTL_CHAIN_LOOKUPS)
			return 0;
		rc = ctl_lookup_value(c, values->values[i], &de, error_r);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		if (ctl_same_dn(de->dn, start->dn)) {
			dir_entry_free(&de);
			return path->len > 1 ? 1 : 0;	/* self: separate */
		}
		for (k = 0; k < path->len; k++)
			if (ctl_same_dn(g_ptr_array_index(path, k), de->dn))
				seen = 1;
		if (!seen && ctl_away(de, c->now, NULL) == 1) {
			g_ptr_array_add(path, g_strdup(de->dn));
			rc = ctl_cycle(c, start, de, path, lookups, error_r);
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
