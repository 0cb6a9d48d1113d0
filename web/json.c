/*
 * NAME
 *	json - deputy-web's answers and request fields, with json-glib
 * SUMMARY
 *	web_reply() and web_error() set a request's answer. The web_json_*
 *	helpers write members the way deputyctl --json writes them: NULL
 *	strings as null, times as ISO 8601 with the zone's offset (0 as
 *	null), text made valid UTF-8 first. web_field() and
 *	web_field_list() read a request's JSON members, bounded.
 * DIAGNOSTICS
 *	web_field() and web_field_list() answer 400 themselves, naming the
 *	field, and return -1; the handler then returns.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <string.h>

#include <microhttpd.h>

#include "absence-edit.h"
#include "web.h"

/* web_reply - STATUS and the document of B (consumed) */
void
web_reply(struct web_req *r, unsigned int status, JsonBuilder *b)
{
	JsonGenerator *g = json_generator_new();
	JsonNode *root = json_builder_get_root(b);

	json_generator_set_root(g, root);
	g_free(r->content);
	r->content = json_generator_to_data(g, NULL);
	r->status = status;
	json_node_unref(root);
	g_object_unref(g);
	g_object_unref(b);
}

/* web_error - STATUS and {"error": MESSAGE, "field": FIELD} */
void
web_error(struct web_req *r, unsigned int status, const char *field,
	  const char *fmt, ...)
{
	JsonBuilder *b = json_builder_new();
	va_list	ap;
	char   *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	json_builder_begin_object(b);
	web_json_str(b, "error", msg);
	web_json_str(b, "field", field);
	json_builder_end_object(b);
	web_reply(r, status, b);
	g_free(msg);
}

/* web_json_str - a string member (KEY NULL: an array element) */
void
web_json_str(JsonBuilder *b, const char *key, const char *value)
{
	if (key != NULL)
		json_builder_set_member_name(b, key);
	if (value == NULL) {
		json_builder_add_null_value(b);
	} else {
		char   *valid = g_utf8_make_valid(value, -1);

		json_builder_add_string_value(b, valid);
		g_free(valid);
	}
}

/* web_json_int - a number member */
void
web_json_int(JsonBuilder *b, const char *key, gint64 value)
{
	json_builder_set_member_name(b, key);
	json_builder_add_int_value(b, value);
}

/* web_json_bool - a true/false member */
void
web_json_bool(JsonBuilder *b, const char *key, int value)
{
	json_builder_set_member_name(b, key);
	json_builder_add_boolean_value(b, value != 0);
}

/* web_json_time - T in ZONE, ISO 8601 with offset; 0 is null */
void
web_json_time(JsonBuilder *b, const char *key, time_t t, const char *zone)
{
	char   *s;

	if (t == 0) {
		web_json_str(b, key, NULL);
		return;
	}
	s = absence_fmt_time(t, zone, 1);
	web_json_str(b, key, s);
	g_free(s);
}

/* web_json_strings - an array of the values of LIST */
void
web_json_strings(JsonBuilder *b, const char *key,
		 const struct dir_strings *list)
{
	size_t	i;

	json_builder_set_member_name(b, key);
	json_builder_begin_array(b);
	for (i = 0; list != NULL && i < list->count; i++)
		web_json_str(b, NULL, list->values[i]);
	json_builder_end_array(b);
}

/* web_member - member NAME of the request body, or NULL */
static JsonNode *
web_member(struct web_req *r, const char *name)
{
	JsonObject *o;

	if (r->body == NULL || !JSON_NODE_HOLDS_OBJECT(r->body))
		return NULL;
	o = json_node_get_object(r->body);
	if (!json_object_has_member(o, name))
		return NULL;
	return json_object_get_member(o, name);
}

/* web_field_present - whether NAME is in the body and not null */
int
web_field_present(struct web_req *r, const char *name)
{
	JsonNode *n = web_member(r, name);

	return n != NULL && !JSON_NODE_HOLDS_NULL(n);
}

/* web_field - string member NAME ("" when absent), at most MAX bytes */
int
web_field(struct web_req *r, const char *name, size_t max,
	  const char **value_r)
{
	JsonNode *n = web_member(r, name);
	const char *v;

	*value_r = "";
	if (n == NULL || JSON_NODE_HOLDS_NULL(n))
		return 0;
	if (!JSON_NODE_HOLDS_VALUE(n)
	    || json_node_get_value_type(n) != G_TYPE_STRING) {
		web_error(r, MHD_HTTP_BAD_REQUEST, name, "%s: not a string",
		    name);
		return -1;
	}
	v = json_node_get_string(n);
	if (strlen(v) > max) {
		web_error(r, MHD_HTTP_BAD_REQUEST, name, "%s: longer than "
		    "%zu bytes", name, max);
		return -1;
	}
	*value_r = v;
	return 0;
}

/* web_field_list - array of strings NAME; *list_r NULL when absent */
int
web_field_list(struct web_req *r, const char *name, GPtrArray **list_r)
{
	JsonNode *n = web_member(r, name);
	JsonArray *a;
	guint	i, len;

	*list_r = NULL;
	if (n == NULL || JSON_NODE_HOLDS_NULL(n))
		return 0;
	if (!JSON_NODE_HOLDS_ARRAY(n)) {
		web_error(r, MHD_HTTP_BAD_REQUEST, name, "%s: not a list",
		    name);
		return -1;
	}
	a = json_node_get_array(n);
	len = json_array_get_length(a);
	if (len > WEB_DELEGATES_MAX) {
		web_error(r, MHD_HTTP_BAD_REQUEST, name, "%s: more than %d "
		    "values", name, WEB_DELEGATES_MAX);
		return -1;
	}
	*list_r = g_ptr_array_new();
	for (i = 0; i < len; i++) {
		JsonNode *e = json_array_get_element(a, i);

		if (!JSON_NODE_HOLDS_VALUE(e)
		    || json_node_get_value_type(e) != G_TYPE_STRING
		    || strlen(json_node_get_string(e)) > WEB_FIELD_MAX) {
			web_error(r, MHD_HTTP_BAD_REQUEST, name, "%s: value %u "
			    "is not a string of at most %d bytes", name,
			    i + 1, WEB_FIELD_MAX);
			g_ptr_array_free(*list_r, TRUE);
			*list_r = NULL;
			return -1;
		}
		g_ptr_array_add(*list_r, (gpointer)json_node_get_string(e));
	}
	return 0;
}
