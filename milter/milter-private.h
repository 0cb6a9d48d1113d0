#ifndef DEPUTY_MILTER_PRIVATE_H
#define DEPUTY_MILTER_PRIVATE_H

/*
 * NAME
 *	milter-private - what deputy-milter.c and milter-supervisor.c share
 * SUMMARY
 *	deputy-milter.c has the libmilter callbacks and main();
 *	milter-supervisor.c the processes that run them. The worker opens
 *	the policy the callbacks use (milter_policy) and registers the
 *	callbacks milter_describe() fills in.
 */

#include <libmilter/mfapi.h>

#include "policy.h"

#define MILTER_NAME		"deputy-milter"

/* deputy-milter.c */

/* the policy of the running worker; NULL outside it */
extern struct mpol *milter_policy;

/* milter_describe - the filter for smfi_register(): our callbacks */
void milter_describe(struct smfiDesc *desc);

/* milter-supervisor.c */

/* milter_socket_path - the path of a Unix socket spec, or NULL */
const char *milter_socket_path(const char *spec);

/* supervisor_main - run the worker, and again when it dies; exit status */
int supervisor_main(const char *config);

#endif
