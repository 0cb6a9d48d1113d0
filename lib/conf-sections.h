#ifndef DEPUTY_CONF_SECTIONS_H
#define DEPUTY_CONF_SECTIONS_H

/*
 * NAME
 *	conf-sections - the top-level sections of deputy.conf, by name
 * SUMMARY
 *	deputy-lda's small pipe client reads one key (daemon.listen) with
 *	libconfuse and must skip every other section, which libconfuse
 *	does only for sections it knows by name. gateway/conf.c declares
 *	the same sections with their keys; tests/unit/test-conf checks
 *	that the two lists agree.
 */

#define CONF_SECTION_NAMES \
	"directory", "policy", "delivery", "daemon", "submission", "state", \
	"spam", "auth", "templates", "sieve", "log", "web", "milter"

#endif
