#ifndef DEPUTY_METRICS_H
#define DEPUTY_METRICS_H

/*
 * NAME
 *	metrics - read deputyd's counters page (see metrics.c)
 */

/* metrics_fetch - the page of WHERE ("host:port"), or NULL and *error_r */
char *metrics_fetch(const char *where, char **error_r);

/* metrics_value - one series of PAGE ("deputyd_messages_total"), or 0 */
long long metrics_value(const char *page, const char *series, int *found_r);

#endif
