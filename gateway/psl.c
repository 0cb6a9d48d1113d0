/*
 * NAME
 *	psl - organizational domains from the Public Suffix List
 */

#include "config.h"

#include <string.h>

#include <glib.h>

#include "psl.h"

static GHashTable *psl_rules;		/* rule text -> GINT_TO_POINTER(kind) */
static char *psl_loaded_path;

enum { PSL_NORMAL = 1, PSL_WILDCARD = 2, PSL_EXCEPTION = 3 };

/* psl_load - read the list once; an unreadable list leaves it empty */
static void
psl_load(const char *path)
{
	char *text = NULL;
	gchar **lines;

	if (psl_rules != NULL && g_strcmp0(psl_loaded_path, path) == 0)
		return;
	if (psl_rules != NULL)
		g_hash_table_destroy(psl_rules);
	g_free(psl_loaded_path);
	psl_loaded_path = g_strdup(path);
	psl_rules = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (path == NULL || !g_file_get_contents(path, &text, NULL, NULL))
		return;
	lines = g_strsplit(text, "\n", -1);
	g_free(text);
	for (gchar **l = lines; *l != NULL; l++) {
		char *rule = g_strstrip(*l);
		int kind = PSL_NORMAL;

		if (*rule == '\0' || g_str_has_prefix(rule, "//"))
			continue;
		rule[strcspn(rule, " \t")] = '\0';
		if (rule[0] == '!') {
			kind = PSL_EXCEPTION;
			rule++;
		} else if (g_str_has_prefix(rule, "*.")) {
			kind = PSL_WILDCARD;
			rule += 2;
		}
		/* A name may carry both a normal and a wildcard rule. */
		{
			char *key = g_strdup_printf("%d:%s", kind, rule);
			char *low = g_utf8_strdown(key, -1);

			g_hash_table_add(psl_rules, low);
			g_free(key);
		}
	}
	g_strfreev(lines);
}

/* psl_has - whether a rule of KIND exists for NAME */
static int
psl_has(int kind, const char *name)
{
	char *key = g_strdup_printf("%d:%s", kind, name);
	int hit = g_hash_table_contains(psl_rules, key);

	g_free(key);
	return hit;
}

/* psl_org_domain - the registrable domain of NAME (caller frees) */
char *
psl_org_domain(const char *list_path, const char *name)
{
	char *low, *org = NULL;
	gchar **labels;
	guint n, suffix_at;

	if (name == NULL || *name == '\0' || strlen(name) > 255)
		return NULL;
	psl_load(list_path);
	low = g_utf8_strdown(name, -1);
	if (low[strlen(low) - 1] == '.')
		low[strlen(low) - 1] = '\0';
	if (g_hash_table_size(psl_rules) == 0)
		return low;		/* no list: strict */
	labels = g_strsplit(low, ".", -1);
	n = g_strv_length(labels);
	suffix_at = n - 1;		/* the implicit "*" rule */
	for (guint i = 0; i < n; i++) {
		char *cand = g_strjoinv(".", labels + i);
		char *parent = i + 1 < n ? g_strjoinv(".", labels + i + 1) : NULL;
		int exc = psl_has(PSL_EXCEPTION, cand);
		int hit = psl_has(PSL_NORMAL, cand) ||
		    (parent != NULL && psl_has(PSL_WILDCARD, parent));

		g_free(cand);
		g_free(parent);
		if (exc) {
			suffix_at = i + 1;
			break;
		}
		if (hit) {
			suffix_at = i;
			break;
		}
	}
	if (suffix_at > 0 && suffix_at <= n)
		org = g_strjoinv(".", labels + suffix_at - 1);
	g_strfreev(labels);
	g_free(low);
	return org;
}

/* psl_aligned - relaxed alignment: same organizational domain */
int
psl_aligned(const char *list_path, const char *a, const char *b)
{
	char *oa, *ob;
	int same;

	if (a == NULL || b == NULL)
		return 0;
	if (g_ascii_strcasecmp(a, b) == 0)
		return 1;
	oa = psl_org_domain(list_path, a);
	ob = psl_org_domain(list_path, b);
	same = oa != NULL && ob != NULL && strcmp(oa, ob) == 0;
	g_free(oa);
	g_free(ob);
	return same;
}
