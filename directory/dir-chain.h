#ifndef DEPUTY_DIR_CHAIN_H
#define DEPUTY_DIR_CHAIN_H

/*
 * NAME
 *	dir-chain - delegation as the helpdesk tools show it: every step
 * SUMMARY
 *	delegate_resolve() (delegate.h) answers who gets the copies; the
 *	helpdesk also wants to see why: every delegate value of a user,
 *	what it names, who on the way is away and until when, and where a
 *	chain comes back to someone already on it. dir_chain_walk() builds
 *	that tree, following deputyDelegate, else secretary, else manager
 *	(as delegate.c does), through away delegates only, down to the
 *	configured depth. dir_chain_cycle() finds a chain of people who
 *	are all away that comes back to its start (deputyctl check).
 *	deputyctl show and deputy-web's person page print the same tree.
 * DIAGNOSTICS
 *	-1 when the directory failed (*error_r says why). A value that
 *	names nobody is a node with status "unknown" or "outside", never
 *	an error. The walks stop after DIR_CHAIN_LOOKUPS lookups, so a huge
 *	directory cannot hold the caller.
 */

#include <time.h>

#include <glib.h>

#include "absence.h"
#include "directory.h"

#define DIR_CHAIN_LOOKUPS	256

enum dir_chain_status {
	DIR_CHAIN_PRESENT,		/* names a person who is not away */
	DIR_CHAIN_AWAY,			/* away now: the copy goes on */
	DIR_CHAIN_CYCLE,		/* back to someone on the chain */
	DIR_CHAIN_UNKNOWN,		/* a DN that names no entry, or junk */
	DIR_CHAIN_OUTSIDE,		/* an address not in the directory */
};

/* One delegate value and what it leads to. */
struct dir_chain_node {
	char   *value;			/* as stored */
	const char *attribute;		/* deputyDelegate, secretary, manager */
	enum dir_chain_status status;
	char   *dn;			/* entry found, or NULL */
	char   *mail;
	char   *display_name;
	time_t	until;			/* AWAY: the end of the absence */
	GPtrArray *children;		/* struct dir_chain_node *; NULL for
					 * UNKNOWN and OUTSIDE */
};

/* dir_chain_values - the delegate list of E and the attribute it came from */
const struct dir_strings *dir_chain_values(const struct dir_entry *e,
					   const char **attr_r);

/* dir_chain_away - absence_check() of E at T: 1, 0, -1 */
int dir_chain_away(const struct dir_entry *e, time_t t,
		   struct absence_result *res);

/* dir_chain_is_dn - whether a delegate VALUE is a DN, not an address */
int dir_chain_is_dn(const char *value);

/* dir_chain_address_ok - an address deputy-lda would forward to
   (lib/addr.h's addr_is_safe()) */
int dir_chain_address_ok(const char *value);

/* dir_chain_same_dn - whether two DNs name the same entry */
int dir_chain_same_dn(const char *a, const char *b);

/* dir_chain_lookup - the entry a delegate VALUE names: 1, 0, -1 */
int dir_chain_lookup(struct dir *dir, const char *value,
		     struct dir_entry **entry_r, char **error_r);

/* dir_chain_walk - the delegation tree below E at NOW; 0 or -1 */
int dir_chain_walk(struct dir *dir, const struct dir_entry *e, time_t now,
		   unsigned int max_depth, GPtrArray **nodes_r,
		   char **error_r);

/* dir_chain_status_name - "present", "away", "cycle", "unknown", ... */
const char *dir_chain_status_name(enum dir_chain_status s);

/* dir_chain_free - release a tree from dir_chain_walk() (NULL is fine) */
void dir_chain_free(GPtrArray *nodes);

/*
 * dir_chain_cycle - whether following delegates from START comes back to
 * it with everyone on the way away at NOW: 1 (PATH holds the DNs, START
 * first; g_free them), 0, or -1 when the directory failed
 */
int dir_chain_cycle(struct dir *dir, const struct dir_entry *start,
		    time_t now, GPtrArray *path, char **error_r);

#endif
