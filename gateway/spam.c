/*
 * NAME
 *	spam - one scanner's verdict, read on that scanner's own scale
 * SUMMARY
 *	See spam.h: trusted headers, the scanner, and the policy for
 *	notices and for delegates inside and outside our domains.
 * SECURITY
 *	Header values are written by whoever sent the message; only
 *	their position (above the trust boundary, where our own MTA's
 *	filters put them) makes them count, and facts keeps only the
 *	configured names. Numbers are checked to be finite and bounded.
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib.h>

#include "spam.h"

#define SPAM_MAX_STARS	100

/* What the trusted headers of one scale say. */
struct spam_acc {
	int have;			/* an exact score */
	double score;
	int stars;			/* X-Spam-Level, -1: none */
	double required;		/* NAN: not given */
	char *action;
	GString *names;			/* the headers that counted */
};

/* Severity of rspamd's actions, least first; unknown ones rank high. */
static const char *const spam_actions[] = {
	"no action", "greylist", "add header", "rewrite subject",
	"soft reject", "quarantine", "reject", "discard", NULL
};

/* spam_scanner_name - "SpamAssassin", "rspamd" or "none" */
const char *
spam_scanner_name(enum spam_scanner s)
{
	switch (s) {
	case SPAM_SCANNER_SPAMASSASSIN:
		return "SpamAssassin";
	case SPAM_SCANNER_RSPAMD:
		return "rspamd";
	default:
		return "none";
	}
}

/* spam_policy_default - the built-in thresholds */
void
spam_policy_default(struct spam_policy *p)
{
	p->spamassassin.notice = SPAM_SA_NOTICE;
	p->spamassassin.clean = SPAM_SA_CLEAN;
	p->spamassassin.forward = SPAM_SA_FORWARD;
	p->rspamd.notice = SPAM_RSPAMD_NOTICE;
	p->rspamd.clean = SPAM_RSPAMD_CLEAN;
	p->rspamd.forward = SPAM_RSPAMD_FORWARD;
}

/* spam_action_rank - severity of ACTION (see spam_actions) */
static int
spam_action_rank(const char *action)
{
	for (int i = 0; spam_actions[i] != NULL; i++)
		if (strcmp(action, spam_actions[i]) == 0)
			return i;
	return 5;		/* unknown: worse than soft reject */
}

/* spam_number - a finite, bounded number at P (after blanks) */
static int
spam_number(const char *p, double *v_r, const char **end_r)
{
	char *end;
	double v;

	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (!(g_ascii_isdigit(*p) || *p == '-' || *p == '+' || *p == '.'))
		return 0;
	v = g_ascii_strtod(p, &end);
	if (end == p || !isfinite(v) || v > 1e6 || v < -1e6)
		return 0;
	*v_r = v;
	if (end_r != NULL)
		*end_r = end;
	return 1;
}

/* spam_keyword - the number after "KEY=" in V (a word of its own) */
static int
spam_keyword(const char *v, const char *key, double *v_r)
{
	size_t kl = strlen(key);

	for (const char *p = v; (p = strstr(p, key)) != NULL; p += kl) {
		if (p != v && (g_ascii_isalnum(p[-1]) || p[-1] == '_'))
			continue;
		if (p[kl] == '=')
			return spam_number(p + kl + 1, v_r, NULL);
	}
	return 0;
}

/* spam_action_value - an action of letters and spaces, lowercased */
static char *
spam_action_value(const char *v)
{
	char *s = g_strstrip(g_strndup(v, 64)), *low;

	if (*s == '\0' || strlen(s) > 32 || s[strspn(s,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ")] != '\0') {
		g_free(s);
		return NULL;
	}
	low = g_ascii_strdown(s, -1);
	g_free(s);
	return low;
}

/* spam_acc_action - keep the more severe of the actions */
static void
spam_acc_action(struct spam_acc *a, char *action)
{
	if (action == NULL)
		return;
	if (a->action == NULL ||
	    spam_action_rank(action) > spam_action_rank(a->action)) {
		g_free(a->action);
		a->action = action;
	} else {
		g_free(action);
	}
}

/* spam_acc_score - keep the highest score, with its required score */
static void
spam_acc_score(struct spam_acc *a, double score, double required)
{
	if (!a->have || score > a->score) {
		a->score = score;
		if (!isnan(required))
			a->required = required;
	} else if (isnan(a->required) && !isnan(required)) {
		a->required = required;
	}
	a->have = 1;
}

/* spam_acc_name - remember that header NAME counted */
static void
spam_acc_name(struct spam_acc *a, const char *name)
{
	if (strstr(a->names->str, name) != NULL)
		return;
	g_string_append_printf(a->names, "%s%s", a->names->len ? ", " : "",
	    name);
}

/* spam_stars - X-Spam-Level: the number of repeats of one character */
static int
spam_stars(const char *v, int *stars_r)
{
	char *s = g_strstrip(g_strndup(v, 4 * SPAM_MAX_STARS));
	size_t n = strlen(s);
	int ok = n <= SPAM_MAX_STARS && (n == 0 || g_ascii_ispunct(s[0]));

	for (size_t i = 1; ok && i < n; i++)
		ok = s[i] == s[0];
	g_free(s);
	if (ok)
		*stars_r = (int)n;
	return ok;
}

/*
 * spam_header - read one trusted header into the accumulator of its
 * scale (ACC[0] SpamAssassin, ACC[1] rspamd)
 */
static void
spam_header(const struct facts_trust_header *h, enum spam_scanner generic,
	    struct spam_acc acc[2])
{
	struct spam_acc *gen = &acc[generic == SPAM_SCANNER_RSPAMD ? 1 : 0];
	struct spam_acc *rs = &acc[1];
	const char *v = h->value, *p;
	double s, r = NAN;

	if (g_ascii_strcasecmp(h->name, "X-Spam-Status") == 0) {
		/* "Yes, score=7.1 required=5.0 tests=..." (SpamAssassin 2
		 * wrote hits=) */
		if (spam_keyword(v, "score", &s) || spam_keyword(v, "hits", &s)) {
			(void)spam_keyword(v, "required", &r);
			spam_acc_score(gen, s, r);
			spam_acc_name(gen, h->name);
		}
	} else if (g_ascii_strcasecmp(h->name, "X-Spam-Score") == 0) {
		if (spam_number(v, &s, &p)) {
			spam_acc_score(gen, s, NAN);
			spam_acc_name(gen, h->name);
		}
	} else if (g_ascii_strcasecmp(h->name, "X-Spam-Level") == 0) {
		int n;

		if (spam_stars(v, &n) && n > gen->stars) {
			gen->stars = n;
			spam_acc_name(gen, h->name);
		}
	} else if (g_ascii_strcasecmp(h->name, "X-Spamd-Result") == 0) {
		/* "default: False [3.20 / 15.00]; SYM(1.0)[...]; ..." */
		const char *open = strchr(v, '[');
		char *head = g_strndup(v, open != NULL ? (gsize)(open - v) : 0);

		if (open != NULL && spam_number(open + 1, &s, &p)) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '/')
				(void)spam_number(p + 1, &r, NULL);
			spam_acc_score(rs, s, r);
			spam_acc_name(rs, h->name);
			/* True is rspamd's "reject"; False says only
			 * "not reject". */
			if (strstr(head, "True") != NULL)
				spam_acc_action(rs, g_strdup("reject"));
		}
		g_free(head);
	} else if (g_ascii_strcasecmp(h->name, "X-Rspamd-Score") == 0) {
		if (spam_number(v, &s, NULL)) {
			spam_acc_score(rs, s, NAN);
			spam_acc_name(rs, h->name);
		}
	} else if (g_ascii_strcasecmp(h->name, "X-Rspamd-Action") == 0) {
		char *a = spam_action_value(v);

		if (a != NULL) {
			spam_acc_action(rs, a);
			spam_acc_name(rs, h->name);
		}
	} else {
		/* Another configured name: read it as before, "score=S",
		 * "[S / R]" (rspamd) or a bare number. */
		if (spam_keyword(v, "score", &s)) {
			(void)spam_keyword(v, "required", &r);
			spam_acc_score(gen, s, r);
			spam_acc_name(gen, h->name);
		} else if ((p = strchr(v, '[')) != NULL &&
		    spam_number(p + 1, &s, NULL)) {
			spam_acc_score(rs, s, NAN);
			spam_acc_name(rs, h->name);
		} else if (spam_number(v, &s, NULL)) {
			spam_acc_score(gen, s, NAN);
			spam_acc_name(gen, h->name);
		}
	}
}

/* spam_acc_usable - whether A gives a score (exact, or stars) */
static int
spam_acc_usable(const struct spam_acc *a)
{
	return a->have || a->stars >= 0;
}

/* spam_from_headers - the verdict of the trusted headers; 1 found, 0 none */
int
spam_from_headers(const struct facts *f, const struct spam_header_settings *set,
		  struct spam_verdict *v_r)
{
	struct spam_acc acc[2];
	struct spam_acc *use;
	int gi = set->generic == SPAM_SCANNER_RSPAMD ? 1 : 0;

	memset(v_r, 0, sizeof(*v_r));
	v_r->required = NAN;
	for (int i = 0; i < 2; i++) {
		memset(&acc[i], 0, sizeof(acc[i]));
		acc[i].stars = -1;
		acc[i].required = NAN;
		acc[i].names = g_string_new(NULL);
	}
	for (size_t i = 0; i < f->ntrust_headers; i++) {
		const struct facts_trust_header *h = &f->trust_headers[i];

		if (h->name == NULL || h->value == NULL ||
		    g_ascii_strcasecmp(h->name, "Authentication-Results") == 0 ||
		    h->received_above > set->boundary_received)
			continue;
		spam_header(h, set->generic, acc);
	}
	/* The scale the generic headers are on first, then the other; but
	 * a score beats X-Spam-Level's stars. */
	if (!acc[gi].have && acc[1 - gi].have)
		use = &acc[1 - gi];
	else
		use = spam_acc_usable(&acc[gi]) ? &acc[gi] :
		    spam_acc_usable(&acc[1 - gi]) ? &acc[1 - gi] : NULL;
	if (use != NULL) {
		v_r->known = 1;
		v_r->scanner = use == &acc[1] ? SPAM_SCANNER_RSPAMD :
		    SPAM_SCANNER_SPAMASSASSIN;
		if (use->have) {
			v_r->score = use->score + 0.0;	/* no "-0.00" */
		} else {
			v_r->score = use->stars;
			v_r->lower_bound = 1;
		}
		v_r->required = use->required;
		if (v_r->scanner == SPAM_SCANNER_RSPAMD) {
			v_r->action = use->action;
			use->action = NULL;
		}
		v_r->source = g_strdup_printf("%s header%s", use->names->str,
		    strchr(use->names->str, ',') != NULL ? "s" : "");
	}
	for (int i = 0; i < 2; i++) {
		g_free(acc[i].action);
		g_string_free(acc[i].names, TRUE);
	}
	return v_r->known;
}

/* spam_from_scanner - ask spamd or rspamd (REQ->kind); 0 or -1 */
int
spam_from_scanner(const struct spamc_request *req, struct spam_verdict *v_r,
		  char **error_r)
{
	struct spamc_reply reply;
	const char *who = req->kind == SPAMC_RSPAMD ? "rspamd" : "spamd";
	char *err = NULL;

	memset(v_r, 0, sizeof(*v_r));
	v_r->required = NAN;
	v_r->scanner = req->kind == SPAMC_RSPAMD ? SPAM_SCANNER_RSPAMD :
	    SPAM_SCANNER_SPAMASSASSIN;
	if (spamc_check(req, &reply, &err) != 0) {
		v_r->scanner = SPAM_SCANNER_NONE;
		v_r->source = g_strdup_printf("%s: %s", who, err);
		*error_r = err;
		return -1;
	}
	v_r->known = 1;
	v_r->score = reply.score + 0.0;		/* no "-0.00" */
	v_r->required = reply.required;
	v_r->action = reply.action;
	reply.action = NULL;
	v_r->source = g_strdup_printf("%s %s", who, req->address);
	spamc_reply_clear(&reply);
	return 0;
}

/* spam_verdict_get - trusted headers first, then the scanner */
int
spam_verdict_get(const struct facts *f, const struct spam_header_settings *set,
		 const struct spamc_request *req, struct spam_verdict *v_r,
		 char **error_r)
{
	if (spam_from_headers(f, set, v_r))
		return 0;
	if (req == NULL) {
		v_r->source = g_strdup("no trusted spam header, no scanner");
		return 0;
	}
	return spam_from_scanner(req, v_r, error_r);
}

/* spam_scale_of - the thresholds for V's scale (P NULL: the defaults) */
static const struct spam_scale *
spam_scale_of(const struct spam_verdict *v, const struct spam_policy *p)
{
	static const struct spam_policy def = {
		{ SPAM_SA_NOTICE, SPAM_SA_CLEAN, SPAM_SA_FORWARD },
		{ SPAM_RSPAMD_NOTICE, SPAM_RSPAMD_CLEAN, SPAM_RSPAMD_FORWARD }
	};

	if (p == NULL)
		p = &def;
	return v->scanner == SPAM_SCANNER_RSPAMD ? &p->rspamd :
	    &p->spamassassin;
}

/* spam_at_most - whether V's score is surely at most LIMIT */
static int
spam_at_most(const struct spam_verdict *v, double limit)
{
	/* stars: the score is below score + 1 */
	return v->lower_bound ? v->score + 1 <= limit : v->score <= limit;
}

/* spam_no_action - rspamd said "no action", or gave no action at all */
static int
spam_no_action(const struct spam_verdict *v)
{
	return v->action == NULL || strcmp(v->action, "no action") == 0;
}

/* spam_certain - certain spam: forwarded to nobody */
static int
spam_certain(const struct spam_verdict *v, const struct spam_policy *p,
	     const char **why_r)
{
	const struct spam_scale *sc = spam_scale_of(v, p);

	if (v->scanner == SPAM_SCANNER_RSPAMD && v->action != NULL &&
	    (strcmp(v->action, "reject") == 0 ||
	    strcmp(v->action, "discard") == 0)) {
		*why_r = "rspamd's action is reject: certain spam";
		return 1;
	}
	if (v->score >= sc->forward) {
		*why_r = v->scanner == SPAM_SCANNER_RSPAMD ?
		    "the rspamd score is at or above the forwarding threshold" :
		    "the spam score is at or above the forwarding threshold";
		return 1;
	}
	return 0;
}

/*
 * spam_called_spam - whether the scanner itself calls it spam:
 * SpamAssassin at or above its required score (the forward threshold
 * when not given), rspamd with any action beyond greylist; an rspamd
 * score with no action cannot be told apart, and counts as spam
 */
static int
spam_called_spam(const struct spam_verdict *v, const struct spam_policy *p)
{
	if (v->scanner == SPAM_SCANNER_RSPAMD)
		return v->action == NULL || spam_action_rank(v->action) > 1;
	return v->score >= (isnan(v->required) ?
	    spam_scale_of(v, p)->forward : v->required);
}

/* spam_notice_ok - whether the verdict allows a notice; else *why_r */
int
spam_notice_ok(const struct spam_verdict *v, const struct spam_policy *p,
	       const char **why_r)
{
	*why_r = NULL;
	if (v == NULL || !v->known) {
		*why_r = "no trusted spam score";
		return 0;
	}
	if (v->scanner == SPAM_SCANNER_RSPAMD && !spam_no_action(v)) {
		*why_r = "rspamd's action is not \"no action\"";
		return 0;
	}
	if (!spam_at_most(v, spam_scale_of(v, p)->notice)) {
		*why_r = v->scanner == SPAM_SCANNER_RSPAMD ?
		    "the rspamd score is above the notice threshold" :
		    "the spam score is above the notice threshold";
		return 0;
	}
	return 1;
}

/* spam_forward_ok - whether a delegate inside or outside may get it */
int
spam_forward_ok(const struct spam_verdict *v, const struct spam_policy *p,
		int internal, int sender_authenticated, const char **why_r)
{
	*why_r = NULL;
	if (v == NULL || !v->known) {
		/*
		 * No verdict (scanner down, message too large to scan):
		 * our fault, not the sender's. Inside delegates get it as
		 * the user does. Mail to another domain goes out under our
		 * name, so only from a sender who answers for it.
		 */
		if (internal || sender_authenticated)
			return 1;
		*why_r = "outside delegate: no spam verdict and the sender "
		    "is not authenticated";
		return 0;
	}
	if (spam_certain(v, p, why_r))
		return 0;
	if (internal)
		return 1;
	if (spam_no_action(v) && spam_at_most(v, spam_scale_of(v, p)->clean))
		return 1;
	if (sender_authenticated && !spam_called_spam(v, p))
		return 1;
	if (!sender_authenticated && !spam_called_spam(v, p))
		*why_r = "outside delegate: not clean enough, and the sender "
		    "is not authenticated";
	else
		*why_r = v->scanner == SPAM_SCANNER_RSPAMD ?
		    "outside delegate: rspamd does not call it clean" :
		    "outside delegate: SpamAssassin calls it spam";
	return 0;
}

/* spam_fmt - a number for people, "?" for NAN */
static void
spam_fmt(char *buf, size_t size, double v)
{
	if (isnan(v))
		g_strlcpy(buf, "?", size);
	else
		g_snprintf(buf, size, "%.2f", v);
}

/* spam_verdict_describe - one line for --explain: verdict and thresholds */
char *
spam_verdict_describe(const struct spam_verdict *v, const struct spam_policy *p)
{
	GString *s = g_string_new(NULL);
	const struct spam_scale *sc;
	char req[32];

	if (v == NULL || !v->known) {
		g_string_append_printf(s, "unknown (%s)", v != NULL &&
		    v->source != NULL ? v->source : "not looked up");
		return g_string_free(s, FALSE);
	}
	sc = spam_scale_of(v, p);
	spam_fmt(req, sizeof(req), v->required);
	g_string_append_printf(s, "%s %s%.2f (its threshold %s)",
	    spam_scanner_name(v->scanner), v->lower_bound ? "at least " : "",
	    v->score, req);
	if (v->scanner == SPAM_SCANNER_RSPAMD)
		g_string_append_printf(s, ", action %s%s%s",
		    v->action ? "\"" : "", v->action ? v->action : "not given",
		    v->action ? "\"" : "");
	g_string_append_printf(s, ", from %s; on %s's scale: notice at most "
	    "%.2f, outside delegates at most %.2f, nobody at %.2f or above",
	    v->source ? v->source : "?", spam_scanner_name(v->scanner),
	    sc->notice, sc->clean, sc->forward);
	if (v->scanner == SPAM_SCANNER_RSPAMD)
		g_string_append(s, " or at \"reject\"");
	return g_string_free(s, FALSE);
}

/* spam_verdict_clear - release V's strings and forget the verdict */
void
spam_verdict_clear(struct spam_verdict *v)
{
	g_free(v->action);
	g_free(v->source);
	memset(v, 0, sizeof(*v));
	v->required = NAN;
}
