/*
 * NAME
 *	api-notice - deputy-web's GET /api/notice: the notice a sender
 *	would get
 * SUMMARY
 *	The person's notice template in their language (or ?lang=),
 *	rendered with the variables the engine gives it: the end of the
 *	current absence (else the next one) and the delegates as
 *	notice_until() and notice_delegate_names() write them, the very
 *	functions of a real notice. The gate is not run: the page says a
 *	notice is sent only when every rule passes.
 * DIAGNOSTICS
 *	400 for a bad argument, 404 for nobody, 503 when the directory
 *	failed, 500 when the template cannot be read.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <microhttpd.h>

#include "absence-edit.h"
#include "absence.h"
#include "dir-chain.h"
#include "notice.h"
#include "tmpl.h"
#include "web.h"

/* web_api_notice - the notice a sender would get, in the person's language */
void
web_api_notice(struct web_req *r)
{
	const struct deputy_conf *c = r->web->conf;
	const char *id = web_arg(r, "id"), *lang = web_arg(r, "lang");
	const char *subject = web_arg(r, "subject");
	struct dir *dir;
	struct dir_admin *admin;
	struct dir_entry *e = NULL;
	struct dir_strings addrs = { NULL, 0 }, warns = { NULL, 0 };
	struct absence_result res;
	struct tmpl *t = NULL;
	GPtrArray *events = NULL;
	char   *names;
	JsonBuilder *b;
	const char *tname;
	char   *error = NULL, *until = NULL, *subj = NULL, *body = NULL;
	time_t	at = 0, end = 0;
	size_t	i;

	if (subject == NULL || *subject == '\0')
		subject = "Your message";
	if (strlen(subject) > TMPL_VALUE_MAX || (lang != NULL
	    && strlen(lang) > 35)) {
		web_error(r, MHD_HTTP_BAD_REQUEST, "subject", "subject or "
		    "language too long");
		return;
	}
	if (web_user(r, id != NULL ? id : "", &e) != 1)
		return;
	if (web_dir(r, &dir, &admin) < 0) {
		dir_entry_free(&e);
		return;
	}
	/* as during the current absence, else the next one */
	if (dir_chain_away(e, r->now, &res) == 1) {
		at = r->now;
		end = res.end;
	} else if (absence_events_of(e, &events, &error) == 0) {
		for (i = 0; i < events->len; i++) {
			time_t	s, en;

			if (absence_event_find(g_ptr_array_index(events, i),
			    r->now, 1, &s, &en) && (at == 0 || s < at)) {
				at = s;
				end = en;
			}
		}
	}
	g_free(error);
	error = NULL;
	if (at != 0 && web_resolve(r, dir, e, at, &addrs, &warns,
				   &error) < 0) {
		web_failed(r, e->mail, error);
		goto out;
	}
	tname = e->template_name != NULL ? e->template_name
	    : c->template_name;
	if (tmpl_load(c->template_dir, tname, lang != NULL && *lang != '\0'
	    ? lang : e->language, &t, &error) < 0) {
		web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "the "
		    "notice template cannot be read: %s", error);
		g_free(error);
		goto out;
	}
	until = notice_until(end, c->template_timezone);
	names = notice_delegate_names(dir, &addrs);
	{
		const struct tmpl_var vars[] = {
			{ "name", e->display_name != NULL ? e->display_name
			    : e->mail },
			{ "address", e->mail },
			{ "until", until },
			{ "delegates", names },
			{ "subject", subject },
			{ NULL, NULL }
		};

		tmpl_render(t, vars, &subj, &body);
	}
	g_free(names);
	b = json_builder_new();
	json_builder_begin_object(b);
	web_json_str(b, "user", e->mail);
	web_json_str(b, "template", tname);
	web_json_str(b, "language", tmpl_language(t));
	web_json_time(b, "at", at, c->template_timezone);
	web_json_bool(b, "away_now", at == r->now);
	web_json_str(b, "until", until);
	web_json_str(b, "subject", subj);
	web_json_str(b, "body", body);
	web_json_strings(b, "delegates", &addrs);
	json_builder_end_object(b);
	web_reply(r, MHD_HTTP_OK, b);
out:
	g_free(until);
	g_free(subj);
	g_free(body);
	tmpl_free(&t);
	absence_events_free(events);
	dir_strings_free(&addrs);
	dir_strings_free(&warns);
	dir_entry_free(&e);
}
