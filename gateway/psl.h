#ifndef DEPUTY_PSL_H
#define DEPUTY_PSL_H

/*
 * NAME
 *	psl - organizational domains from the Public Suffix List
 * SUMMARY
 *	psl_org_domain() returns the registrable domain of a name
 *	("mail.example.co.uk" -> "example.co.uk") per the list shipped by
 *	Debian's publicsuffix package (rules, wildcards, exceptions; the
 *	implicit "*" rule). The list is read once, on first use.
 * DIAGNOSTICS
 *	NULL when the name is itself a public suffix or empty. When the list
 *	cannot be read, every name is its own organizational domain, which
 *	makes relaxed alignment strict: it fails closed.
 */

/* psl_org_domain - the registrable domain of NAME (caller frees) */
char *psl_org_domain(const char *list_path, const char *name);

/* psl_aligned - relaxed alignment: same organizational domain */
int psl_aligned(const char *list_path, const char *a, const char *b);

#endif
