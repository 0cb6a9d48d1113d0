/*
 * NAME
 *	ctl-list - deputyctl list: who is away (now or on a date), who covers
 * SUMMARY
 *	Every entry with deputy attributes (dir_admin_list()) that is away
 *	at the time asked, with the addresses its copies go to
 *	(delegate_resolve()). --delegate WHO keeps the users WHO covers,
 *	directly (a delegate value) or on the way (a resolved address).
 * DIAGNOSTICS
 *	CTL_OK; a directory failure is CTL_UNREACHABLE, a bad argument
 *	CTL_USAGE.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "absence.h"
#include "addr.h"
#include "ctl.h"

/* ctl_list_dns - the DNs of entries with deputy attributes, or a status */
int
ctl_list_dns(struct ctl *c, char ***dns_r)
{
	char   *error = NULL;
	int	rc;

	if (dir_admin_list(c->admin, dns_r, &error) < 0) {
		rc = ctl_unreachable(NULL, error);
		g_free(error);
		return rc;
	}
	return CTL_OK;
}

/* ctl_names - whether E's delegate values or RESOLVED name WHO */
static int
ctl_names(const struct dir_entry *e, const struct dir_strings *resolved,
	  const struct dir_entry *who, const char *who_addr)
{
	const struct dir_strings *values;
	const char *attr;
	size_t	i;

	for (i = 0; i < resolved->count; i++)
		if (g_ascii_strcasecmp(resolved->values[i], who_addr) == 0
		    || (who != NULL && dir_entry_has_address(who,
		    resolved->values[i])))
			return 1;
	values = ctl_values_of(e, &attr);
	for (i = 0; i < values->count; i++) {
		const char *v = values->values[i];

		if (ctl_is_dn(v) ? who != NULL && ctl_same_dn(v, who->dn)
		    : (g_ascii_strcasecmp(v, who_addr) == 0
		       || (who != NULL && dir_entry_has_address(who, v))))
			return 1;
	}
	return 0;
}

/* ctl_cmd_list - who is away (now or --on DATE), and who covers */
int
ctl_cmd_list(struct ctl *c)
{
	const struct ctl_args *a = c->args;
	struct dir_entry *who = NULL;
	struct ctl_json js, *j = NULL;
	char  **dns = NULL, *error = NULL;
	const char *who_addr = NULL;
	time_t	at = c->now;
	size_t	i, count = 0;
	int	rc;

	if (a->on != NULL) {
		struct icaltimetype tt;

		if (ctl_parse_date(a->on, &tt) < 0)
			return ctl_usage2("--on", a->on, "not a date "
			    "(YYYY-MM-DD or YYYY-MM-DDTHH:MM)");
		if (tt.is_date) {
			tt.is_date = 0;
			tt.hour = 12;		/* that day: its middle */
		}
		if (ctl_time_at(&tt, c->zone, &at) < 0)
			return ctl_usage2("--on", a->on, "does not exist "
			    "in the time zone");
	}
	if (a->delegates->len > 1)
		return ctl_usage("--delegate", "given twice");
	if (a->delegates->len == 1) {
		const char *w = g_ptr_array_index(a->delegates, 0);

		rc = ctl_user(c, w, &who, &error);
		if (rc < 0) {
			rc = ctl_unreachable(w, error);
			g_free(error);
			return rc;
		}
		if (rc == 0 && (strchr(w, '@') == NULL || !addr_is_safe(w))) {
			char   *named = g_strdup_printf("--delegate %s", w);

			rc = ctl_usage(named, "no such user in the directory");
			g_free(named);
			return rc;
		}
		who_addr = who != NULL && who->mail != NULL ? who->mail : w;
	}
	if ((rc = ctl_list_dns(c, &dns)) != CTL_OK)
		goto out;
	if (a->json) {
		j = &js;
		ctl_json_init(j);
		ctl_json_begin(j, NULL, 0);
		ctl_json_time(j, "on", at, c->zone);
		ctl_json_begin(j, "away", 1);
	}
	for (i = 0; dns[i] != NULL; i++) {
		struct dir_entry *e = NULL;
		struct absence_result res;
		struct dir_strings addrs = { NULL, 0 }, warns = { NULL, 0 };

		rc = dir_lookup_dn(c->dir, dns[i], &e, &error);
		if (rc < 0) {
			rc = ctl_unreachable(dns[i], error);
			if (j != NULL)
				ctl_json_discard(j);
			goto out;
		}
		if (rc == 0 || ctl_away(e, at, &res) != 1) {
			dir_entry_free(&e);
			continue;
		}
		if (ctl_resolve(c, e, at, &addrs, &warns, &error) < 0) {
			rc = ctl_unreachable(dns[i], error);
			dir_entry_free(&e);
			if (j != NULL)
				ctl_json_discard(j);
			goto out;
		}
		if (who_addr == NULL || ctl_names(e, &addrs, who, who_addr)) {
			count++;
			if (j != NULL) {
				size_t	k;

				ctl_json_begin(j, NULL, 0);
				ctl_json_str(j, "user", e->mail);
				ctl_json_str(j, "dn", e->dn);
				ctl_json_time(j, "start", res.start, c->zone);
				ctl_json_time(j, "end", res.end, c->zone);
				ctl_json_begin(j, "covered_by", 1);
				for (k = 0; k < addrs.count; k++)
					ctl_json_str(j, NULL,
						     addrs.values[k]);
				ctl_json_end(j, 1);
				ctl_json_end(j, 0);
			} else {
				char   *until = ctl_fmt_time(res.end, c->zone,
							     0);
				char   *to = g_strjoinv(", ", addrs.values);

				fprintf(c->out, "%s  until %s  covered by: "
				    "%s\n", ctl_esc(e->mail != NULL ? e->mail
				    : e->dn), until, addrs.count > 0
				    ? ctl_esc(to) : "nobody");
				g_free(until);
				g_free(to);
			}
		}
		dir_strings_free(&addrs);
		dir_strings_free(&warns);
		dir_entry_free(&e);
	}
	if (j != NULL) {
		ctl_json_end(j, 1);
		ctl_json_end(j, 0);
		ctl_json_print(j, c->out);
	} else if (count == 0) {
		fprintf(c->out, "nobody is away%s\n", who_addr != NULL
		    ? " with that delegate" : "");
	}
	rc = CTL_OK;
out:
	g_free(error);
	g_strfreev(dns);
	dir_entry_free(&who);
	return rc;
}
