/*
 * NAME
 *	api-write - deputy-web's writes: save a person, remove an absence
 * SUMMARY
 *	POST /api/person takes what the person page's form sends: an
 *	absence (from, until, tz, every, summary), the delegates, the
 *	notice policy, the template, and, where the directory allows it,
 *	mail and a new password. Every field is checked first and the
 *	first bad one named; then the entry is read again with the
 *	session's identity, and refused with 409 unless it is still the
 *	version the page showed; then all of it goes to the directory as
 *	ONE modify operation (dir_admin_modify()), which LDAP applies all
 *	or nothing, and the LDIF writer too.
 *
 *	The absence is built by absence_spec_build(), deputyctl away's
 *	builder; delegates are stored as deputyctl stores them (a DN when
 *	they name an entry, else an outside address). Changed values are
 *	written as the deletion of the old values and the addition of the
 *	new ones, never as a replacement: a value somebody else removed
 *	in the meantime makes the whole modify fail, and a value somebody
 *	else added is kept.
 *
 *	POST /api/absence/remove is deputyctl back: one absence by its UID,
 *	or (current: true) the one in effect now.
 * DIAGNOSTICS
 *	400 naming the field; 403 with the directory's reason when it
 *	refused (an ACL, the schema) and nothing was written; 409 when the
 *	entry changed; 503 when the directory did not answer in time, in
 *	which case the change was made entirely or not at all, and the
 *	page says to reload. Every write and refusal is logged with the
 *	helpdesk person's name.
 * SECURITY
 *	On LDAP, slapd decides what the person may change. The LDIF file
 *	has no access control, so there the page writes only the deputy
 *	attributes (absences, delegates, notice, template): mail and
 *	password are refused before anything is written.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "absence-edit.h"
#include "dir-chain.h"
#include "dir-check.h"
#include "log.h"
#include "tmpl.h"
#include "web.h"

#define WEB_MODS_MAX	16

/* Everything a save asks for, checked. */
struct web_save {
	const char *id;
	const char *version;
	int	has_absence;
	struct absence_built absence;
	GPtrArray *delegates_in;	/* as sent, or NULL: unchanged */
	int	has_notice;
	enum dir_notice notice;
	int	has_template;
	const char *template_name;	/* "" : the default */
	const char *mail;		/* "" : unchanged */
	char   *password_hash;		/* "{CRYPT}...", or NULL */
};

/* web_notice_word - the stored word of a notice policy, NULL: default */
static const char *
web_notice_word(enum dir_notice n)
{
	switch (n) {
	case DIR_NOTICE_NONE: return "none";
	case DIR_NOTICE_AUTHENTICATED: return "authenticated";
	case DIR_NOTICE_INTERNAL: return "internal";
	default: return NULL;
	}
}

/* web_template_ok - a template name with a file in the template folder */
static int
web_template_ok(struct web_req *r, const char *name)
{
	int	rc = tmpl_exists(r->web->conf->template_dir, name);

	if (rc == TMPL_BAD_NAME)
		web_error(r, MHD_HTTP_BAD_REQUEST, "template", "not a template "
		    "name ([A-Za-z0-9_-], at most 32)");
	else if (rc == TMPL_MISSING)
		web_error(r, MHD_HTTP_BAD_REQUEST, "template", "no such "
		    "template (%s.en is missing)", name);
	return rc == 0;
}

/* web_save_absence - the "absence" object, built like deputyctl away */
static int
web_save_absence(struct web_req *r, struct web_save *sv)
{
	JsonObject *o = json_node_get_object(r->body), *a;
	JsonNode *n = json_object_get_member(o, "absence");
	struct absence_spec spec;
	const char *names[] = { "from", "until", "tz", "every", "summary" };
	const char *vals[5];
	const char *field = NULL;
	char   *why = NULL;
	size_t	i;

	if (!JSON_NODE_HOLDS_OBJECT(n)) {
		web_error(r, MHD_HTTP_BAD_REQUEST, "absence", "absence: not "
		    "an object");
		return -1;
	}
	a = json_node_get_object(n);
	for (i = 0; i < G_N_ELEMENTS(names); i++) {
		JsonNode *v = json_object_has_member(a, names[i])
		    ? json_object_get_member(a, names[i]) : NULL;

		vals[i] = "";
		if (v == NULL || JSON_NODE_HOLDS_NULL(v))
			continue;
		if (!JSON_NODE_HOLDS_VALUE(v) || json_node_get_value_type(v)
		    != G_TYPE_STRING || strlen(json_node_get_string(v))
		    > WEB_FIELD_MAX) {
			web_error(r, MHD_HTTP_BAD_REQUEST, names[i], "%s: not "
			    "a string of at most %d bytes", names[i],
			    WEB_FIELD_MAX);
			return -1;
		}
		vals[i] = json_node_get_string(v);
	}
	memset(&spec, 0, sizeof(spec));
	spec.from = vals[0];
	spec.until = vals[1];
	spec.zone = *vals[2] != '\0' ? vals[2] : r->web->conf->template_timezone;
	spec.every = *vals[3] != '\0' ? vals[3] : NULL;
	spec.summary = *vals[4] != '\0' ? vals[4] : NULL;
	spec.product = "deputy-web";
	spec.from_label = "the start";
	spec.now = r->now;
	if (absence_spec_build(&spec, &sv->absence, &field, &why) < 0) {
		web_error(r, MHD_HTTP_BAD_REQUEST, field, "%s: %s", field,
		    why);
		g_free(why);
		return -1;
	}
	sv->has_absence = 1;
	return 0;
}

/* web_save_parse - every field of the request, checked; -1 answered */
static int
web_save_parse(struct web_req *r, struct web_save *sv)
{
	const char *notice, *password;

	if (web_field(r, "id", WEB_FIELD_MAX, &sv->id) < 0
	    || web_field(r, "version", 64, &sv->version) < 0)
		return -1;
	if (*sv->id == '\0') {
		web_error(r, MHD_HTTP_BAD_REQUEST, "id", "name a person");
		return -1;
	}
	if (*sv->version == '\0') {
		web_error(r, MHD_HTTP_BAD_REQUEST, "version", "the entry's "
		    "version is missing: reload the page");
		return -1;
	}
	if (web_field_present(r, "absence") && web_save_absence(r, sv) < 0)
		return -1;
	if (web_field_list(r, "delegates", &sv->delegates_in) < 0)
		return -1;
	if (web_field_present(r, "notice")) {
		if (web_field(r, "notice", 32, &notice) < 0)
			return -1;
		sv->has_notice = 1;
		sv->notice = DIR_NOTICE_DEFAULT;
		if (strcmp(notice, "default") != 0 && *notice != '\0'
		    && dir_notice_parse(notice, &sv->notice) < 0) {
			web_error(r, MHD_HTTP_BAD_REQUEST, "notice", "notice: "
			    "one of default, none, authenticated, internal");
			return -1;
		}
	}
	if (web_field_present(r, "template")) {
		if (web_field(r, "template", 64, &sv->template_name) < 0)
			return -1;
		sv->has_template = 1;
		if (*sv->template_name != '\0'
		    && !web_template_ok(r, sv->template_name))
			return -1;
	}
	if (web_field(r, "mail", 320, &sv->mail) < 0
	    || web_field(r, "password", 1024, &password) < 0)
		return -1;
	if (*sv->mail != '\0' && !dir_chain_address_ok(sv->mail)) {
		web_error(r, MHD_HTTP_BAD_REQUEST, "mail", "mail: not a mail "
		    "address");
		return -1;
	}
	if ((*sv->mail != '\0' || *password != '\0') && !r->web->ldap) {
		web_error(r, MHD_HTTP_FORBIDDEN, *sv->mail != '\0' ? "mail"
		    : "password", "the LDIF directory has no access "
		    "control: the page changes only absences, delegates, "
		    "notice and template there. Nothing was changed.");
		return -1;
	}
	if (*password != '\0') {
		char   *error = NULL, *hash;

		if (strlen(password) < 8) {
			web_error(r, MHD_HTTP_BAD_REQUEST, "password",
			    "password: at least 8 characters");
			return -1;
		}
		hash = web_hash_password(password, &error);
		if (hash == NULL) {
			web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "password", "%s", error);
			g_free(error);
			return -1;
		}
		sv->password_hash = g_strdup_printf("{CRYPT}%s", hash);
		explicit_bzero(hash, strlen(hash));
		g_free(hash);
	}
	return 0;
}

/* web_same_value - whether two delegate values name the same */
static int
web_same_value(const char *a, const char *b)
{
	if (dir_chain_is_dn(a) && dir_chain_is_dn(b))
		return dir_chain_same_dn(a, b);
	return g_ascii_strcasecmp(a, b) == 0;
}


/*
 * web_delegate_value - the stored form of delegate WHO, checked as
 * deputyctl away checks --delegate; 1, 0 (answered 400), -1 (answered)
 */
static int
web_delegate_value(struct web_req *r, struct dir *dir,
		   struct dir_admin *admin, const struct dir_entry *user,
		   const char *who, char **value_r)
{
	struct dir_entry *de = NULL;
	char   *error = NULL, *dn = NULL;
	int	rc;

	*value_r = NULL;
	if (*who == '\0' || (strchr(who, '@') != NULL
	    && !dir_chain_address_ok(who))) {
		web_error(r, MHD_HTTP_BAD_REQUEST, "delegates", "delegate "
		    "'%s': not a mail address", who);
		return 0;
	}
	if (strchr(who, '@') != NULL) {
		rc = dir_lookup(dir, who, &de, &error);
	} else if (strchr(who, '=') != NULL) {
		rc = dir_lookup_dn(dir, who, &de, &error);
	} else {
		rc = dir_admin_find(admin, "uid", who, &dn, &error);
		if (rc == 1)
			rc = dir_lookup_dn(dir, dn, &de, &error);
		g_free(dn);
	}
	if (rc < 0) {
		web_dir_failed(r);
		web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "the "
		    "directory did not answer about delegate '%s': %s", who,
		    error);
		g_free(error);
		return -1;
	}
	if (rc == 0) {
		if (strchr(who, '@') == NULL) {
			web_error(r, MHD_HTTP_BAD_REQUEST, "delegates",
			    "delegate '%s': no such user in the directory",
			    who);
			return 0;
		}
		if (dir_address_is_local(user, who,
		    (const char *const *)r->web->conf->internal_domains)) {
			web_error(r, MHD_HTTP_BAD_REQUEST, "delegates",
			    "delegate '%s': no such user in the directory "
			    "(and the domain is local, so it cannot be an "
			    "outside delegate)", who);
			return 0;
		}
		*value_r = g_ascii_strdown(who, -1);
		return 1;
	}
	if (dir_chain_same_dn(de->dn, user->dn)) {
		web_error(r, MHD_HTTP_BAD_REQUEST, "delegates", "delegate "
		    "'%s' is the person itself", who);
		dir_entry_free(&de);
		return 0;
	}
	if (de->mail == NULL) {
		web_error(r, MHD_HTTP_BAD_REQUEST, "delegates", "delegate "
		    "'%s': entry %s has no mail address", who, de->dn);
		dir_entry_free(&de);
		return 0;
	}
	*value_r = g_strdup(de->dn);
	dir_entry_free(&de);
	return 1;
}

/* web_list_has - whether LIST holds a value naming the same as V */
static int
web_list_has(char *const *values, size_t count, const char *v)
{
	size_t	i;

	for (i = 0; i < count; i++)
		if (web_same_value(values[i], v))
			return 1;
	return 0;
}

/* web_strv - a NULL-terminated copy of ARRAY's pointers (kept by KEEP) */
static const char *const *
web_strv(GPtrArray *keep, GPtrArray *array)
{
	GPtrArray *v = g_ptr_array_new();
	guint	i;

	for (i = 0; i < array->len; i++)
		g_ptr_array_add(v, g_ptr_array_index(array, i));
	g_ptr_array_add(v, NULL);
	g_ptr_array_add(keep, v->pdata);
	return (const char *const *)g_ptr_array_free(v, FALSE);
}

/* web_one - a one-value NULL-terminated list (kept by KEEP) */
static const char *const *
web_one(GPtrArray *keep, const char *value)
{
	const char **v = g_new0(const char *, 2);

	v[0] = value;
	g_ptr_array_add(keep, v);
	return v;
}

/* web_refused - a write was refused: 409 when the entry moved, else 403 */
static void
web_refused(struct web_req *r, const struct web_save *sv, const char *dn,
	    const char *error)
{
	struct dir_entry *e = NULL;
	struct dir *dir;
	struct dir_admin *admin;
	char   *err = NULL, *now_v;
	int	moved = 0;

	if (web_dir(r, &dir, &admin) == 0
	    && dir_lookup_dn(dir, dn, &e, &err) == 1) {
		now_v = web_entry_version(e);
		moved = strcmp(now_v, sv->version) != 0;
		g_free(now_v);
	}
	g_free(err);
	dir_entry_free(&e);
	if (r->content != NULL)
		return;		/* web_dir() answered */
	log_warn("user=%s client=%s change of %s refused: %s",
	    r->session->user, r->client, dn, error);
	if (moved)
		web_error(r, MHD_HTTP_CONFLICT, NULL, "somebody changed %s "
		    "while you were editing: nothing was written. Reload and "
		    "try again.", dn);
	else
		web_error(r, MHD_HTTP_FORBIDDEN, NULL, "the directory refused "
		    "the change, and nothing was written: %s", error);
}

/* web_apply - one modify of DN; answers the request on failure */
static int
web_apply(struct web_req *r, struct dir_admin *admin, const struct web_save *sv,
	  const char *dn, const struct dir_mod *mods, size_t n)
{
	char   *error = NULL;
	int	rc;

	if (n == 0)
		return 0;
	rc = dir_admin_modify(admin, dn, mods, n, &error);
	if (rc == -2) {
		web_refused(r, sv, dn, error);
		g_free(error);
		return -1;
	}
	if (rc < 0) {
		log_warn("user=%s client=%s change of %s: the directory did "
		    "not answer: %s", r->session->user, r->client, dn, error);
		web_dir_failed(r);
		web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "the "
		    "directory did not answer in time (%s). A change is all "
		    "or nothing: reload to see whether it was made.", error);
		g_free(error);
		return -1;
	}
	web_dir_changed(r);
	return 0;
}

/* web_ok - the answer to a write: the entry's new version, and what */
static void
web_ok(struct web_req *r, const char *dn, const char *uid, const char *what)
{
	struct dir *dir;
	struct dir_admin *admin;
	struct dir_entry *e = NULL;
	JsonBuilder *b;
	char   *err = NULL, *version = NULL;

	if (web_dir(r, &dir, &admin) < 0)
		return;
	if (dir_lookup_dn(dir, dn, &e, &err) == 1)
		version = web_entry_version(e);
	g_free(err);
	dir_entry_free(&e);
	b = json_builder_new();
	json_builder_begin_object(b);
	web_json_bool(b, "ok", 1);
	web_json_str(b, "dn", dn);
	web_json_str(b, "uid", uid);
	web_json_str(b, "done", what);
	web_json_str(b, "version", version);
	json_builder_end_object(b);
	web_reply(r, MHD_HTTP_OK, b);
	g_free(version);
}

/* web_check_version - 409 unless E is still SV's version */
static int
web_check_version(struct web_req *r, const struct dir_entry *e,
		  const char *version)
{
	char   *now_v = web_entry_version(e);
	int	same = strcmp(now_v, version) == 0;

	g_free(now_v);
	if (!same)
		web_error(r, MHD_HTTP_CONFLICT, NULL, "somebody changed %s "
		    "since you loaded it: nothing was written. Reload and "
		    "try again.", e->mail);
	return same;
}

/* web_api_save - POST /api/person: one all-or-nothing change */
void
web_api_save(struct web_req *r)
{
	struct web_save sv;
	struct dir *dir;
	struct dir_admin *admin;
	struct dir_entry *e = NULL;
	struct dir_mod mods[WEB_MODS_MAX];
	GPtrArray *keep, *want = NULL, *del_d, *add_d;
	GString *what;
	char   *error = NULL;
	size_t	n = 0;
	guint	i;
	int	rc, deputy = 0;

	memset(&sv, 0, sizeof(sv));
	keep = g_ptr_array_new_with_free_func(g_free);
	del_d = g_ptr_array_new();
	add_d = g_ptr_array_new();
	what = g_string_new(NULL);
	if (web_save_parse(r, &sv) < 0)
		goto out;
	if (web_user(r, sv.id, &e) != 1 || web_dir(r, &dir, &admin) < 0)
		goto out;
	if (!web_check_version(r, e, sv.version))
		goto out;

	/* delegates: the stored forms, then what to delete and to add */
	if (sv.delegates_in != NULL) {
		want = g_ptr_array_new_with_free_func(g_free);
		for (i = 0; i < sv.delegates_in->len; i++) {
			char   *v;

			rc = web_delegate_value(r, dir, admin, e,
			    g_ptr_array_index(sv.delegates_in, i), &v);
			if (rc != 1)
				goto out;
			if (web_list_has((char *const *)want->pdata,
					 want->len, v))
				g_free(v);
			else
				g_ptr_array_add(want, v);
		}
		for (i = 0; i < e->delegates.count; i++)
			if (!web_list_has((char *const *)want->pdata,
			    want->len, e->delegates.values[i]))
				g_ptr_array_add(del_d,
				    e->delegates.values[i]);
		for (i = 0; i < want->len; i++)
			if (!web_list_has(e->delegates.values,
			    e->delegates.count, g_ptr_array_index(want, i)))
				g_ptr_array_add(add_d,
				    g_ptr_array_index(want, i));
	}

	/* the one modify: deputy attributes first, then the account */
	if (sv.has_absence) {
		mods[n++] = (struct dir_mod){ DIR_MOD_ADD, "deputyAbsence",
		    web_one(keep, sv.absence.text) };
		g_string_append_printf(what, "absence %s added; ",
		    sv.absence.uid);
		deputy = 1;
	}
	if (del_d->len > 0) {
		mods[n++] = (struct dir_mod){ DIR_MOD_DELETE,
		    "deputyDelegate", web_strv(keep, del_d) };
		g_string_append_printf(what, "%u delegates removed; ",
		    del_d->len);
	}
	if (add_d->len > 0) {
		mods[n++] = (struct dir_mod){ DIR_MOD_ADD, "deputyDelegate",
		    web_strv(keep, add_d) };
		g_string_append_printf(what, "%u delegates added; ",
		    add_d->len);
		deputy = 1;
	}
	if (sv.has_notice && sv.notice != e->notice) {
		if (web_notice_word(e->notice) != NULL)
			mods[n++] = (struct dir_mod){ DIR_MOD_DELETE,
			    "deputyNotice", web_one(keep,
			    web_notice_word(e->notice)) };
		if (web_notice_word(sv.notice) != NULL) {
			mods[n++] = (struct dir_mod){ DIR_MOD_ADD,
			    "deputyNotice", web_one(keep,
			    web_notice_word(sv.notice)) };
			deputy = 1;
		}
		g_string_append_printf(what, "notice %s; ",
		    web_notice_word(sv.notice) != NULL
		    ? web_notice_word(sv.notice) : "default");
	}
	if (sv.has_template && g_strcmp0(*sv.template_name != '\0'
	    ? sv.template_name : NULL, e->template_name) != 0) {
		if (e->template_name != NULL)
			mods[n++] = (struct dir_mod){ DIR_MOD_DELETE,
			    "deputyTemplate", web_one(keep,
			    e->template_name) };
		if (*sv.template_name != '\0') {
			mods[n++] = (struct dir_mod){ DIR_MOD_ADD,
			    "deputyTemplate", web_one(keep,
			    sv.template_name) };
			deputy = 1;
		}
		g_string_append_printf(what, "template %s; ",
		    *sv.template_name != '\0' ? sv.template_name
		    : "default");
	}
	if (deputy) {
		rc = dir_admin_has_value(admin, e->dn, "objectClass",
					 "deputyUser", &error);
		if (rc < 0) {
			web_dir_failed(r);
			web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "the "
			    "directory did not answer: %s", error);
			g_free(error);
			goto out;
		}
		if (rc == 0)
			mods[n++] = (struct dir_mod){ DIR_MOD_ADD,
			    "objectClass", web_one(keep, "deputyUser") };
	}
	if (*sv.mail != '\0' && g_ascii_strcasecmp(sv.mail, e->mail) != 0) {
		mods[n++] = (struct dir_mod){ DIR_MOD_DELETE, "mail",
		    web_one(keep, e->mail) };
		mods[n++] = (struct dir_mod){ DIR_MOD_ADD, "mail",
		    web_one(keep, sv.mail) };
		g_string_append(what, "mail changed; ");
	}
	if (sv.password_hash != NULL) {
		mods[n++] = (struct dir_mod){ DIR_MOD_REPLACE, "userPassword",
		    web_one(keep, sv.password_hash) };
		g_string_append(what, "password set; ");
	}
	if (n == 0) {
		web_ok(r, e->dn, NULL, "nothing to change");
		goto out;
	}
	if (web_apply(r, admin, &sv, e->dn, mods, n) < 0)
		goto out;
	while (what->len > 0 && (what->str[what->len - 1] == ' '
	    || what->str[what->len - 1] == ';'))
		g_string_truncate(what, what->len - 1);
	log_info("user=%s client=%s changed %s: %s", r->session->user,
	    r->client, e->dn, what->str);
	web_ok(r, e->dn, sv.has_absence ? sv.absence.uid : NULL, what->str);
out:
	absence_built_clear(&sv.absence);
	if (sv.password_hash != NULL) {
		explicit_bzero(sv.password_hash, strlen(sv.password_hash));
		g_free(sv.password_hash);
	}
	if (sv.delegates_in != NULL)
		g_ptr_array_free(sv.delegates_in, TRUE);
	if (want != NULL)
		g_ptr_array_free(want, TRUE);
	g_ptr_array_free(del_d, TRUE);
	g_ptr_array_free(add_d, TRUE);
	g_ptr_array_free(keep, TRUE);
	g_string_free(what, TRUE);
	dir_entry_free(&e);
}

/* web_api_remove - POST /api/absence/remove: deputyctl back */
void
web_api_remove(struct web_req *r)
{
	const char *id, *version, *uid;
	struct dir *dir;
	struct dir_admin *admin;
	struct dir_entry *e = NULL;
	struct dir_mod mods[2];
	struct web_save sv;
	GPtrArray *del, *add, *keep;
	JsonNode *cur;
	size_t	n = 0;
	int	current = 0;

	if (web_field(r, "id", WEB_FIELD_MAX, &id) < 0
	    || web_field(r, "version", 64, &version) < 0
	    || web_field(r, "uid", 255, &uid) < 0)
		return;
	cur = json_object_has_member(json_node_get_object(r->body), "current")
	    ? json_object_get_member(json_node_get_object(r->body), "current")
	    : NULL;
	if (cur != NULL && JSON_NODE_HOLDS_VALUE(cur)
	    && json_node_get_value_type(cur) == G_TYPE_BOOLEAN)
		current = json_node_get_boolean(cur);
	if ((*uid == '\0') == !current) {
		web_error(r, MHD_HTTP_BAD_REQUEST, "uid", "give either the "
		    "absence's uid or current: true");
		return;
	}
	if (*version == '\0') {
		web_error(r, MHD_HTTP_BAD_REQUEST, "version", "the entry's "
		    "version is missing: reload the page");
		return;
	}
	if (web_user(r, id, &e) != 1)
		return;
	del = g_ptr_array_new_with_free_func(g_free);
	add = g_ptr_array_new_with_free_func(g_free);
	keep = g_ptr_array_new_with_free_func(g_free);
	if (web_dir(r, &dir, &admin) < 0 || !web_check_version(r, e, version))
		goto out;
	absence_back_plan(e, r->now, 0, current ? NULL : uid, del, add);
	if (del->len == 0) {
		web_error(r, MHD_HTTP_NOT_FOUND, "uid", current ? "%s is not "
		    "away now" : "%s has no absence with this UID", e->mail);
		goto out;
	}
	mods[n++] = (struct dir_mod){ DIR_MOD_DELETE, "deputyAbsence",
	    web_strv(keep, del) };
	if (add->len > 0)
		mods[n++] = (struct dir_mod){ DIR_MOD_ADD, "deputyAbsence",
		    web_strv(keep, add) };
	memset(&sv, 0, sizeof(sv));
	sv.version = version;
	if (web_apply(r, admin, &sv, e->dn, mods, n) < 0)
		goto out;
	log_info("user=%s client=%s changed %s: %s", r->session->user,
	    r->client, e->dn, current ? (add->len > 0 ? "back now (this "
	    "occurrence skipped)" : "back now (the current absence removed)")
	    : "absence removed");
	web_ok(r, e->dn, current ? NULL : uid, current ? "back now"
	    : "absence removed");
out:
	g_ptr_array_free(del, TRUE);
	g_ptr_array_free(add, TRUE);
	g_ptr_array_free(keep, TRUE);
	dir_entry_free(&e);
}
