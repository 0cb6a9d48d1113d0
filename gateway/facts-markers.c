/*
 * NAME
 *	facts-markers - what tells machine-made mail: subjects, senders, words
 * SUMMARY
 *	Tables of subject fragments (auto-replies, bounces, reports,
 *	challenges, in the languages of the templates and a few more),
 *	senders (mailer daemons, challenge/response services), and the
 *	phrases a challenge or a bounce uses in its first text part, which
 *	is read bounded and decoded (quoted-printable, base64, HTML with
 *	its tags and entities taken out). Two independent signals make a
 *	challenge by its words; a personal message that asks to confirm a
 *	meeting is not one (tests/unit/test-facts.c).
 * SECURITY
 *	Every input is the sender's: every scan is bounded by the capped
 *	text of one part.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "facts-private.h"

/* Subject fragments of auto-replies, lowercased, several languages. */
static const char *const facts_autoreply_subjects[] = {
	"out of office", "out of the office", "automatic reply",
	"automatic response", "autoreply", "auto-reply", "auto reply",
	"auto response", "autoresponse", "abwesenheitsnotiz",
	"automatische antwort", "abwesend", "réponse automatique",
	"reponse automatique", "absence du bureau", "respuesta automática",
	"respuesta automatica", "fuera de la oficina", "risposta automatica",
	"fuori sede", "automatisch antwoord", "afwezigheidsbericht",
	"automatyczna odpowied", "automatiska atbilde", "automatiskt svar",
	"autosvar", "automaattinen vastaus", "resposta automática",
	"vacation reply", "atvalin", NULL
};

/* Subject prefixes of auto-replies (compared at the start). */
static const char *const facts_autoreply_prefixes[] = {
	"autoreply:", "[auto", "abwesend:", NULL
};

/*
 * Lotus Notes starts its auto-replies with "AUTO:", but so do car
 * dealers ("Auto: Angebot fuer den Kombi"): the prefix counts only with
 * the rest of Notes' sentence, "... is out of the office (returning
 * ...)" and its translations.
 */
static const char *const facts_notes_auto_words[] = {
	" is out", "(returning", "returning ", "abwesend", "rückkehr",
	"est absent", "(retour", "ausente", "(regreso", NULL
};

/* Subject fragments of delivery failures, lowercased. */
static const char *const facts_bounce_subjects[] = {
	"undeliverable", "undelivered mail", "delivery status notification",
	"returned mail", "failure notice", "mail delivery failed",
	"delivery failure", "delivery has failed", "nondeliverable",
	"non-deliverable", "mail system error", "could not send message",
	"delivery notification", "undeliverable mail", "mail delivery system",
	"returned to sender", "message not delivered", "delivery problem",
	"unzustellbar", "non remis", "delivery report", NULL
};

/* Subject prefixes of delivery failures (Apache James: "[BOUNCE]"). */
static const char *const facts_bounce_prefixes[] = {
	"[bounce]", NULL
};

/* Local parts of mailer daemons in From (compared at the start). */
static const char *const facts_daemon_senders[] = {
	"mailer-daemon@", "postmaster@", "post_master@", "post-master@", NULL
};

/*
 * The first words of bounces whose sender and subject say nothing:
 * qmail's, and Apache James's, which kept qmail's text. Compared with
 * the start of the first text part only, so a person who forwards one
 * with a line of their own above it is not taken for a bounce.
 */
static const char *const facts_bounce_openings[] = {
	"hi. this is the qmail-send program at",
	"hi. this is the james mail server at", NULL
};

/*
 * Challenge/response challenges that carry no header, from systems
 * built in house: the first text part must hold one statement of
 * facts_challenge_says (the message is held, or the sender must prove
 * something, or be added to the recipient's approved list) AND one
 * instruction of facts_challenge_asks (or a link). Each statement is
 * about the sender's mail or the recipient's list, not about a meeting
 * or a payment, so that "please confirm the meeting" stays personal.
 * Lowercased; the text is lowercased with its white space collapsed.
 * English, German, French, Spanish: the languages of templates/.
 */
static const char *const facts_challenge_says[] = {
	/* held until verified */
	"your message is being held", "your message has been held",
	"your email is being held", "your e-mail is being held",
	"your email has been held", "your e-mail has been held",
	"your message is on hold", "your message has been placed on hold",
	"your message will be held", "is being held because",
	"to release your message", "will be delivered once you",
	"before your message will be delivered",
	"before your messages will be delivered",
	"before your message can be delivered",
	"so that your message will be delivered",
	"so your message can be delivered", "to have your message delivered",
	"for your message to be delivered", "ensure delivery of your email",
	"ensure delivery of your e-mail", "ensure delivery of your message",
	/* prove something */
	"verify that you are a human", "verify you are a human",
	"verify that you are human", "confirm that you are a human",
	"confirm you are a human", "confirm that you are human",
	"prove that you are a human", "prove you are a human",
	"prove that you are human", "not a spam robot", "not a spambot",
	"to confirm that you sent", "confirm that you are the sender",
	"verify that you are the sender", "verify that you sent",
	/* the recipient's list */
	"add you to my list of approved senders",
	"added to my list of approved senders", "my list of approved senders",
	"my approved senders list", "my approved sender list",
	"senders i have approved", "once i approve you",
	"recipient's allowed list", "recipient's approved list",
	"added to my whitelist", "added to my white list",
	"my boxbe guest list", "added to my guest list",
	"only accept email from", "only accept e-mail from",
	"i'm protecting myself from", "i am protecting myself from",
	"so i can receive your email", "so that i can receive your email",
	"so i can receive your e-mail",
	/* German */
	"ihre nachricht wurde zurückgehalten",
	"ihre nachricht wird zurückgehalten",
	"ihre e-mail wurde zurückgehalten", "ihre e-mail wird zurückgehalten",
	"ihre nachricht wird erst zugestellt",
	"ihre e-mail wird erst zugestellt",
	"damit ihre nachricht zugestellt wird",
	"damit ihre e-mail zugestellt wird",
	"bestätigen sie, dass sie ein mensch",
	"bestätigen sie, dass sie kein",
	"bestätigen sie, dass sie diese nachricht",
	"bestätigen sie, dass sie die nachricht",
	"bestätigen sie, dass sie der absender",
	"dass sie ein mensch sind", "dass sie kein spam-roboter",
	"dass sie kein roboter", "liste der zugelassenen absender",
	"liste meiner zugelassenen absender",
	"liste der freigegebenen absender", "meine liste zugelassener absender",
	/* French */
	"votre message est en attente", "votre message a été mis en attente",
	"votre message a été retenu", "votre message est retenu",
	"votre courriel est en attente", "votre courriel a été retenu",
	"confirmer que vous êtes un humain", "prouver que vous êtes un humain",
	"vérifier que vous êtes un humain", "que vous n'êtes pas un robot",
	"confirmer que vous êtes bien l'expéditeur",
	"confirmer que vous êtes l'expéditeur",
	"liste des expéditeurs autorisés", "ma liste d'expéditeurs",
	"ma liste blanche",
	/* Spanish */
	"su mensaje ha sido retenido", "su mensaje está retenido",
	"su mensaje está en espera", "su mensaje ha quedado retenido",
	"su correo ha sido retenido", "confirmar que usted es humano",
	"confirmar que es humano", "demostrar que es humano",
	"verificar que es una persona", "que no es un robot",
	"confirmar que usted envió", "confirme que usted envió",
	"lista de remitentes aprobados", "mi lista de remitentes",
	"remitentes autorizados", NULL
};

/* What a challenge asks the sender to do (a link counts too). */
static const char *const facts_challenge_asks[] = {
	"click the link", "click on the link", "click the following link",
	"click on the following link", "click this link", "click here",
	"follow the link", "follow this link", "visit the link",
	"reply to this message", "reply to this email", "reply to this e-mail",
	"simply reply", "just reply", "by replying to this",
	"use your mailer's reply", "send an empty message",
	"fill out the short request form", "fill out the request form",
	/* German */
	"klicken sie auf den folgenden link", "klicken sie auf den link",
	"klicken sie auf diesen link", "klicken sie bitte auf",
	"klicken sie hier", "antworten sie auf diese nachricht",
	"antworten sie auf diese e-mail", "antworten sie einfach",
	/* French */
	"cliquez sur le lien", "cliquer sur le lien", "cliquez ici",
	"répondez à ce message", "répondre à ce message",
	"répondez simplement",
	/* Spanish */
	"haga clic en el enlace", "haz clic en el enlace", "haga clic aquí",
	"pulse en el enlace", "pulse el enlace", "responda a este mensaje",
	"responder a este mensaje", "responda a este correo", NULL
};

/* Where a forwarded or quoted message starts in a reply, lowercased. */
static const char *const facts_quote_starts[] = {
	"-----original message-----", "-----ursprüngliche nachricht-----",
	"-----message d'origine-----", "-----mensaje original-----",
	"---------- forwarded message", "begin forwarded message",
	"-------- weitergeleitete nachricht", "-------- message transféré",
	"-------- original message --------", NULL
};

/* Subject fragments of abuse reports, lowercased. */
static const char *const facts_report_subjects[] = {
	"complaint about message from", "abuse report", "feedback report",
	NULL
};

/* Domains of known challenge/response services. */
static const char *const facts_challenge_domains[] = {
	"boxbe.com", "bluebottle.com", "spamarrest.com", "mailblocks.com",
	"sitescooper.org", "choicemail.com", "permitmail.com", NULL
};

/* Subject fragments of challenges, lowercased. */
static const char *const facts_challenge_subjects[] = {
	"please confirm your message", "confirm your e-mail",
	"confirm your email", "requires verification", "verify your email",
	"awaiting your confirmation", "spam blocker", "spamblocker",
	"please verify", "tmda confirmation", "approval required", NULL
};

/* facts_subject_markers - auto-reply, bounce and challenge subjects */
void
facts_subject_markers(struct facts *f)
{
	char *lower;
	const char *hit;

	if (f->subject == NULL)
		return;
	lower = g_utf8_strdown(f->subject, -1);
	g_strstrip(lower);
	while (g_str_has_prefix(lower, "re:") || g_str_has_prefix(lower, "aw:") ||
	    g_str_has_prefix(lower, "fw:") || g_str_has_prefix(lower, "fwd:") ||
	    g_str_has_prefix(lower, "wg:") || g_str_has_prefix(lower, "tr:")) {
		char *rest = g_strdup(strchr(lower, ':') + 1);

		g_free(lower);
		lower = g_strstrip(rest);
	}
	if ((hit = facts_match_subject(lower, facts_autoreply_subjects)) != NULL) {
		char *why = g_strdup_printf("subject contains \"%s\"", hit);

		facts_set_once(&f->autoreply_marker, why);
		g_free(why);
	}
	for (const char *const *p = facts_autoreply_prefixes; *p != NULL; p++)
		if (g_str_has_prefix(lower, *p)) {
			char *why = g_strdup_printf("subject starts with \"%s\"", *p);

			facts_set_once(&f->autoreply_marker, why);
			g_free(why);
		}
	if (g_str_has_prefix(lower, "auto:") &&
	    (hit = facts_match_subject(lower + 5, facts_notes_auto_words)) !=
	    NULL) {
		char *why = g_strdup_printf("subject starts with \"auto:\" "
		    "and says \"%s\"", hit);

		facts_set_once(&f->autoreply_marker, why);
		g_free(why);
	}
	if ((hit = facts_match_subject(lower, facts_bounce_subjects)) != NULL) {
		char *why = g_strdup_printf("subject contains \"%s\"", hit);

		facts_set_once(&f->bounce_marker, why);
		g_free(why);
	}
	for (const char *const *p = facts_bounce_prefixes; *p != NULL; p++)
		if (g_str_has_prefix(lower, *p)) {
			char *why = g_strdup_printf("subject starts with \"%s\"", *p);

			facts_set_once(&f->bounce_marker, why);
			g_free(why);
		}
	if ((hit = facts_match_subject(lower, facts_report_subjects)) != NULL) {
		char *why = g_strdup_printf("subject contains \"%s\"", hit);

		facts_set_once(&f->report_type, why);
		g_free(why);
	}
	if ((hit = facts_match_subject(lower, facts_challenge_subjects)) != NULL) {
		char *why = g_strdup_printf("subject contains \"%s\"", hit);

		facts_set_once(&f->challenge_marker, why);
		g_free(why);
	}
	g_free(lower);
}

/* facts_sender_markers - bounce and challenge senders in From */
void
facts_sender_markers(struct facts *f)
{
	for (size_t i = 0; i < f->from.count; i++) {
		const char *a = f->from.values[i];
		const char *d = facts_domain_of(a);

		for (const char *const *p = facts_daemon_senders; *p != NULL;
		    p++)
			if (g_str_has_prefix(a, *p))
				facts_set_once(&f->bounce_marker,
				    "From: a mailer daemon");
		if (g_str_has_prefix(a, "noreply") ||
		    g_str_has_prefix(a, "no-reply") ||
		    g_str_has_prefix(a, "no_reply") ||
		    g_str_has_prefix(a, "donotreply") ||
		    g_str_has_prefix(a, "do-not-reply"))
			facts_set_once(&f->automated_marker,
			    "From: a no-reply address");
		if (facts_domain_in(d, facts_challenge_domains)) {
			char *why = g_strdup_printf("From: %s, a challenge/"
			    "response service", d);

			facts_set_once(&f->challenge_marker, why);
			g_free(why);
		}
	}
}

/* facts_entity - the text of the HTML entity at P (after '&'), or NULL */
static const char *
facts_entity(const char *p, size_t *len_r, char *buf)
{
	static const char *const named[][2] = {
		{ "nbsp", " " }, { "amp", "&" }, { "lt", "<" }, { "gt", ">" },
		{ "quot", "\"" }, { "apos", "'" }, { "rsquo", "'" },
		{ "lsquo", "'" }, { "auml", "ä" }, { "ouml", "ö" },
		{ "uuml", "ü" }, { "szlig", "ß" }, { "eacute", "é" },
		{ "egrave", "è" }, { "ecirc", "ê" }, { "agrave", "à" },
		{ "aacute", "á" }, { "iacute", "í" }, { "oacute", "ó" },
		{ "uacute", "ú" }, { "ntilde", "ñ" }, { "ccedil", "ç" },
	};
	const char *semi = memchr(p, ';', strnlen(p, 10));
	size_t n;

	if (semi == NULL)
		return NULL;
	n = (size_t)(semi - p);
	*len_r = n + 1;
	if (n >= 2 && p[0] == '#') {
		gunichar c = (gunichar)(p[1] == 'x' || p[1] == 'X' ?
		    g_ascii_strtoull(p + 2, NULL, 16) :
		    g_ascii_strtoull(p + 1, NULL, 10));

		if (c == 0 || !g_unichar_validate(c))
			return NULL;
		buf[g_unichar_to_utf8(c, buf)] = '\0';
		return buf;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(named); i++)
		if (strlen(named[i][0]) == n &&
		    g_ascii_strncasecmp(p, named[i][0], n) == 0)
			return named[i][1];
	return NULL;
}

/*
 * facts_strip_html - the text of crude HTML (lowercased): tags become
 * spaces, <style>, <script> and <blockquote> (what is quoted) are
 * dropped, entities decoded. *LINKS_R is set when a tag outside a
 * quote has a web address (an href).
 */
static char *
facts_strip_html(const char *html, int *links_r)
{
	GString *out = g_string_sized_new(strlen(html));
	const char *p = html;
	int quote = 0;

	while (*p != '\0') {
		if (*p == '<') {
			const char *e = strchr(p, '>');
			const char *skip = NULL;
			size_t n;

			if (e == NULL)
				break;
			n = (size_t)(e - p);
			if (g_str_has_prefix(p, "<blockquote"))
				quote++;
			else if (g_str_has_prefix(p, "</blockquote") && quote > 0)
				quote--;
			else if (g_str_has_prefix(p, "<style"))
				skip = "</style";
			else if (g_str_has_prefix(p, "<script"))
				skip = "</script";
			if (quote == 0 && (g_strstr_len(p, (gssize)n, "http://") ||
			    g_strstr_len(p, (gssize)n, "https://")))
				*links_r = 1;
			g_string_append_c(out, ' ');
			p = e + 1;
			if (skip != NULL) {
				const char *end = strstr(p, skip);

				if (end == NULL)
					break;
				p = end;
			}
			continue;
		}
		if (quote > 0) {
			p++;
			continue;
		}
		if (*p == '&') {
			char buf[8];
			size_t len = 0;
			const char *t = facts_entity(p + 1, &len, buf);

			if (t != NULL) {
				g_string_append(out, t);
				p += 1 + len;
				continue;
			}
		}
		g_string_append_c(out, *p++);
	}
	return g_string_free(out, FALSE);
}

/*
 * facts_plain_text - TEXT (lowercased) without what the writer quoted:
 * lines starting with '>' and everything from a forwarded or original
 * message's separator on.
 */
static char *
facts_plain_text(const char *text)
{
	GString *out = g_string_sized_new(strlen(text));
	const char *p = text;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) + 1 : strlen(p);
		const char *q = p;

		while (q < p + n && (*q == ' ' || *q == '\t'))
			q++;
		if (*q != '>') {
			int cut = 0;

			for (const char *const *m = facts_quote_starts;
			    *m != NULL && !cut; m++)
				cut = g_strstr_len(q, (gssize)(n - (size_t)(q - p)),
				    *m) != NULL;
			if (cut)
				break;
			g_string_append_len(out, p, (gssize)n);
		}
		p += n;
	}
	return g_string_free(out, FALSE);
}

/* facts_squeeze - collapse white space, straighten apostrophes */
static char *
facts_squeeze(const char *text)
{
	GString *out = g_string_sized_new(strlen(text));
	int space = 1;

	for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
		    c == 0x00a0 || c == '\f' || c == '\v') {
			if (!space)
				g_string_append_c(out, ' ');
			space = 1;
			continue;
		}
		space = 0;
		if (c == 0x2019 || c == 0x2018)
			g_string_append_c(out, '\'');
		else
			g_string_append_len(out, p,
			    (gssize)(g_utf8_next_char(p) - p));
	}
	return g_string_free(out, FALSE);
}

/* facts_decode - N raw bytes of a text part as UTF-8, at most the cap */
static char *
facts_decode(const char *raw, size_t n, const struct mimescan_text *t)
{
	GMimeContentEncoding enc = g_mime_content_encoding_from_string(
	    t->encoding);
	const char *cs = t->charset;
	char *out, *valid;
	size_t k;

	if (enc == GMIME_CONTENT_ENCODING_BASE64 ||
	    enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	    enc == GMIME_CONTENT_ENCODING_UUENCODE) {
		GMimeEncoding state;

		g_mime_encoding_init_decode(&state, enc);
		out = g_malloc(g_mime_encoding_outlen(&state, n) + 1);
		k = g_mime_encoding_step(&state, raw, n, out);
	} else {
		out = g_malloc(n + 1);
		memcpy(out, raw, n);
		k = n;
	}
	if (k > FACTS_TEXT_MAX)
		k = FACTS_TEXT_MAX;
	for (size_t i = 0; i < k; i++)
		if (out[i] == '\0')
			out[i] = ' ';
	if (*cs != '\0' && g_ascii_strcasecmp(cs, "utf-8") != 0 &&
	    g_ascii_strcasecmp(cs, "us-ascii") != 0) {
		/* a cut may split the last character: try a little shorter */
		for (size_t cut = 0; cut < 4 && cut < k; cut++) {
			gsize w = 0;
			char *u = g_convert_with_fallback(out, (gssize)(k - cut),
			    "UTF-8", g_mime_charset_iconv_name(cs), "?", NULL,
			    &w, NULL);

			if (u != NULL) {
				g_free(out);
				out = u;
				k = w;
				break;
			}
		}
	}
	valid = g_utf8_make_valid(out, (gssize)k);
	g_free(out);
	return valid;
}

/*
 * facts_text_read - the first text part, decoded, lowercased, quotes
 * and markup dropped, white space collapsed; *LINKS_R: it has a web
 * address. NULL when there is none or it cannot be read.
 */
static char *
facts_text_read(int fd, off_t start, const struct mimescan_text *t,
		int *links_r)
{
	off_t from = start + t->offset;
	size_t want = FACTS_TEXT_RAW, got = 0;
	char *raw, *text, *lower, *clean, *squeezed;

	if (t->end >= 0 && (size_t)(t->end - t->offset) < want)
		want = (size_t)(t->end - t->offset);
	raw = g_malloc(want + 1);
	while (got < want) {
		ssize_t n = pread(fd, raw + got, want - got, from + (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	text = facts_decode(raw, got, t);
	g_free(raw);
	lower = g_utf8_strdown(text, -1);
	g_free(text);
	if (t->html) {
		/* again after the entities: &Auml; is "Ä" */
		char *plain = facts_strip_html(lower, links_r);

		g_free(lower);
		lower = g_utf8_strdown(plain, -1);
		g_free(plain);
	}
	clean = t->html ? lower : facts_plain_text(lower);
	if (clean != lower)
		g_free(lower);
	squeezed = facts_squeeze(clean);
	g_free(clean);
	if (strstr(squeezed, "http://") != NULL ||
	    strstr(squeezed, "https://") != NULL)
		*links_r = 1;
	return squeezed;
}

/* facts_text_markers - challenges and bounces told in words only */
void
facts_text_markers(struct facts *f, int fd, off_t start,
		   const struct mimescan *ms)
{
	struct mimescan_text t;
	const char *says = NULL, *asks = NULL;
	char *text;
	int links = 0;

	if (mimescan_text(ms, &t) != 0 ||
	    (text = facts_text_read(fd, start, &t, &links)) == NULL)
		return;
	for (const char *const *p = facts_bounce_openings; *p != NULL; p++)
		if (g_str_has_prefix(text + (*text == ' '), *p)) {
			char *why = g_strdup_printf("body starts \"%s\"", *p);

			facts_set_once(&f->bounce_marker, why);
			g_free(why);
		}
	for (const char *const *p = facts_challenge_says; *p != NULL && !says;
	    p++)
		if (strstr(text, *p) != NULL)
			says = *p;
	for (const char *const *p = facts_challenge_asks; *p != NULL && !asks;
	    p++)
		if (strstr(text, *p) != NULL)
			asks = *p;
	if (says != NULL && (asks != NULL || links)) {
		char *why = asks != NULL ?
		    g_strdup_printf("body: \"%s\" and \"%s\"", says, asks) :
		    g_strdup_printf("body: \"%s\" and a link", says);

		f->text_challenge = facts_sanitize(why, FACTS_MAX_VALUE);
		facts_set_once(&f->challenge_marker, why);
		g_free(why);
	}
	g_free(text);
}

