#ifndef DEPUTY_FACTS_PRIVATE_H
#define DEPUTY_FACTS_PRIVATE_H

/*
 * NAME
 *	facts-private - what facts.c and facts-markers.c share
 * SUMMARY
 *	facts.c reads the header block (GMime) and walks the message once
 *	(mimescan); facts-markers.c holds the tables and the tests that
 *	tell machine-made mail by its subject, its sender and its words.
 */

#include <sys/types.h>

#include "facts.h"
#include "mimescan.h"

#define FACTS_MAX_VALUE		998	/* bound for every kept string */
#define FACTS_MAX_ADDRESSES	1000	/* per list */
#define FACTS_READ		(64 * 1024)	/* spool read size */

/* facts_in_table - whether NAME is in TABLE, ignoring case */
int facts_in_table(const char *name, const char *const *table);

/* facts_match_subject - first fragment of TABLE found in LOWER */
const char *facts_match_subject(const char *lower, const char *const *table);

/* facts_domain_of - the part after the last @, or NULL */
const char *facts_domain_of(const char *addr);

/* facts_domain_in - whether DOMAIN is or is below one in TABLE */
int facts_domain_in(const char *domain, const char *const *table);

/* facts_set_once - keep the first marker only */
void facts_set_once(char **slot, const char *value);

/* facts_subject_markers - auto-reply, bounce and challenge subjects */
void facts_subject_markers(struct facts *f);

/* facts_sender_markers - bounce and challenge senders in From */
void facts_sender_markers(struct facts *f);

/* facts_text_markers - challenges and bounces told in words only */
void facts_text_markers(struct facts *f, int fd, off_t start,
			const struct mimescan *ms);

#endif
