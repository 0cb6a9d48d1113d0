/*
 * NAME
 *	srs - Sender Rewriting Scheme (SRS0)
 * SUMMARY
 *	See srs.h for the address format. The hash input is
 *	"TT=domain=local", not the bare concatenation: a domain never
 *	contains '=', so the input names one (day, domain, local) triple
 *	only. With plain concatenation the hash of ("ex.co", "mx") would
 *	also sign ("ex.com", "x"), and a valid SRS address for one sender
 *	could be turned into one for another.
 * DIAGNOSTICS
 *	0, or -1 with *error_r. Nothing here logs or exits.
 * SECURITY
 *	Key material is wiped before it is freed. Hash comparison runs over
 *	all four characters whatever matches first.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "secret.h"
#include "srs.h"

#define SRS_HASH_LEN	4
#define SRS_TS_LEN	2
#define SRS_TS_PERIOD	1024		/* 32 * 32 days */
#define SRS_FILE_MAX	(SRS_KEYS_MAX * (SRS_KEY_MAX + 2))

struct srs_key {
	GPtrArray *keys;		/* GBytes *, owned; [0] signs */
};

static const char srs_base32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* srs_bytes_wipe_free - GDestroyNotify for a key: wipe, then free */
static void
srs_bytes_wipe_free(gpointer data)
{
	GBytes *b = data;
	gsize	len;
	gconstpointer p = g_bytes_get_data(b, &len);

	if (p != NULL && len > 0)
		explicit_bzero((void *)p, len);
	g_bytes_unref(b);
}

/* srs_key_alloc - an empty key set */
static struct srs_key *
srs_key_alloc(void)
{
	struct srs_key *key = g_new0(struct srs_key, 1);

	key->keys = g_ptr_array_new_with_free_func(srs_bytes_wipe_free);
	return key;
}

/* srs_key_new - one key from memory (tests); NULL if LEN is out of range */
struct srs_key *
srs_key_new(const void *secret, size_t len)
{
	struct srs_key *key;

	if (secret == NULL || len < SRS_KEY_MIN || len > SRS_KEY_MAX)
		return NULL;
	key = srs_key_alloc();
	g_ptr_array_add(key->keys, g_bytes_new(secret, len));
	return key;
}

/* srs_key_free - wipe and release; sets *key to NULL */
void
srs_key_free(struct srs_key **key)
{
	if (key == NULL || *key == NULL)
		return;
	g_ptr_array_free((*key)->keys, TRUE);
	g_free(*key);
	*key = NULL;
}

/*
 * srs_key_load - keys from PATH (0600, owned by us); -1 with *error_r
 *
 * lib/secret.c reads the file (no symbolic link, a regular file of
 * ours with no group or other permissions, bounded); each line is a key.
 */
int
srs_key_load(const char *path, struct srs_key **key_r, char **error_r)
{
	struct srs_key *key;
	char   *buf, *line, *next, *end;
	size_t	got;

	*key_r = NULL;
	if (secret_read(path, "SRS key file", SRS_FILE_MAX, &buf, &got,
			error_r) < 0)
		return -1;
	key = srs_key_alloc();
	end = buf + got;
	for (line = buf; line < end; line = next) {
		size_t	len;

		next = memchr(line, '\n', (size_t)(end - line));
		next = next != NULL ? next + 1 : end;
		len = (size_t)(next - line);
		while (len > 0 && (line[len - 1] == '\n'
				   || line[len - 1] == '\r'))
			len--;
		if (len == 0)
			continue;
		if (len < SRS_KEY_MIN || len > SRS_KEY_MAX
		    || key->keys->len >= SRS_KEYS_MAX
		    || memchr(line, '\0', len) != NULL) {
			*error_r = g_strdup_printf("SRS key file %s: every "
			    "line must be a key of %d to %d bytes, at most "
			    "%d lines", path, SRS_KEY_MIN, SRS_KEY_MAX,
			    SRS_KEYS_MAX);
			secret_free(&buf, got);
			srs_key_free(&key);
			return -1;
		}
		g_ptr_array_add(key->keys, g_bytes_new(line, len));
	}
	secret_free(&buf, got);
	if (key->keys->len == 0) {
		srs_key_free(&key);
		*error_r = g_strdup_printf("SRS key file %s: no key", path);
		return -1;
	}
	*key_r = key;
	return 0;
}

/* srs_local_char_ok - a dot-atom character of a local part (RFC 5322) */
static int
srs_local_char_ok(unsigned char c)
{
	return g_ascii_isalnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.",
							  c) != NULL);
}

/* srs_domain_ok - a host name: letters, digits, '-', '_', '.' */
static int
srs_domain_ok(const char *d, size_t len)
{
	size_t	i;

	if (len == 0 || d[0] == '.' || d[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)d[i];

		if (!g_ascii_isalnum(c) && c != '-' && c != '_' && c != '.')
			return 0;
		if (c == '.' && i + 1 < len && d[i + 1] == '.')
			return 0;
	}
	return 1;
}

/* srs_local_ok - a dot-atom local part, no empty atoms */
static int
srs_local_ok(const char *l, size_t len)
{
	size_t	i;

	if (len == 0 || l[0] == '.' || l[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if (!srs_local_char_ok((unsigned char)l[i]))
			return 0;
		if (l[i] == '.' && i + 1 < len && l[i + 1] == '.')
			return 0;
	}
	return 1;
}

/* srs_split - LOCAL and DOMAIN of ADDRESS at its last '@'; -1 if bad */
static int
srs_split(const char *address, const char **local_r, size_t *local_len_r,
	  const char **domain_r, size_t *domain_len_r)
{
	const char *at;
	size_t	len;

	len = strnlen(address, SRS_ADDRESS_MAX + 1);
	if (len == 0 || len > SRS_ADDRESS_MAX
	    || (at = strrchr(address, '@')) == NULL)
		return -1;
	*local_r = address;
	*local_len_r = (size_t)(at - address);
	*domain_r = at + 1;
	*domain_len_r = len - *local_len_r - 1;
	if (!srs_local_ok(*local_r, *local_len_r)
	    || !srs_domain_ok(*domain_r, *domain_len_r))
		return -1;
	return 0;
}

/* srs_hash - the 4-character hash of (TS, DOMAIN, LOCAL) under one key */
static void
srs_hash(GBytes *secret, const char *ts, const char *domain, size_t dlen,
	 const char *local, size_t llen, char out[SRS_HASH_LEN + 1])
{
	guint8	digest[32];
	gsize	dlen_out = sizeof(digest);
	GHmac  *hmac;
	gsize	klen;
	gconstpointer k = g_bytes_get_data(secret, &klen);
	char	tsu[SRS_TS_LEN];
	char   *lower, *b64;
	size_t	i;

	hmac = g_hmac_new(G_CHECKSUM_SHA256, k, klen);
	for (i = 0; i < SRS_TS_LEN; i++)
		tsu[i] = g_ascii_toupper(ts[i]);
	g_hmac_update(hmac, (const guchar *)tsu, SRS_TS_LEN);
	g_hmac_update(hmac, (const guchar *)"=", 1);
	lower = g_ascii_strdown(domain, (gssize)dlen);
	g_hmac_update(hmac, (const guchar *)lower, (gssize)dlen);
	g_free(lower);
	g_hmac_update(hmac, (const guchar *)"=", 1);
	lower = g_ascii_strdown(local, (gssize)llen);
	g_hmac_update(hmac, (const guchar *)lower, (gssize)llen);
	g_free(lower);
	g_hmac_get_digest(hmac, digest, &dlen_out);
	g_hmac_unref(hmac);
	b64 = g_base64_encode(digest, dlen_out);
	memcpy(out, b64, SRS_HASH_LEN);
	out[SRS_HASH_LEN] = '\0';
	g_free(b64);
	explicit_bzero(digest, sizeof(digest));
}

/* srs_day - days since the epoch, mod 1024 */
static unsigned int
srs_day(time_t now)
{
	if (now < 0)
		now = 0;
	return (unsigned int)((now / 86400) % SRS_TS_PERIOD);
}

/* srs_is_srs0 - whether ADDRESS's local part starts with "SRS0=" */
int
srs_is_srs0(const char *address)
{
	return address != NULL && g_ascii_strncasecmp(address, "SRS0=", 5) == 0;
}

/* srs_forward - the SRS0 form of SENDER in SRS_DOMAIN at NOW */
int
srs_forward(const struct srs_key *key, const char *srs_domain,
	    const char *sender, time_t now, char **out_r, char **error_r)
{
	const char *local, *domain;
	size_t	llen, dlen;
	char	ts[SRS_TS_LEN + 1], hash[SRS_HASH_LEN + 1];
	unsigned int day;
	char   *out;

	*out_r = NULL;
	if (sender == NULL || *sender == '\0') {
		*out_r = g_strdup("");		/* the null sender stays null */
		return 0;
	}
	if (key == NULL || key->keys->len == 0) {
		*error_r = g_strdup("SRS: no key");
		return -1;
	}
	if (srs_domain == NULL
	    || !srs_domain_ok(srs_domain, strnlen(srs_domain,
						  SRS_ADDRESS_MAX + 1))
	    || strlen(srs_domain) > SRS_ADDRESS_MAX) {
		*error_r = g_strdup("SRS: bad SRS domain");
		return -1;
	}
	if (srs_split(sender, &local, &llen, &domain, &dlen) < 0) {
		*error_r = g_strdup("SRS: sender is not a plain "
				    "local@domain address");
		return -1;
	}
	day = srs_day(now);
	ts[0] = srs_base32[day >> 5];
	ts[1] = srs_base32[day & 31];
	ts[2] = '\0';
	srs_hash(g_ptr_array_index(key->keys, 0), ts, domain, dlen, local,
		 llen, hash);
	out = g_strdup_printf("SRS0=%s=%s=%.*s=%.*s@%s", hash, ts, (int)dlen,
			      domain, (int)llen, local, srs_domain);
	if (strlen(out) > SRS_ADDRESS_MAX) {
		g_free(out);
		*error_r = g_strdup_printf("SRS: rewritten sender would be "
		    "longer than %d characters", SRS_ADDRESS_MAX);
		return -1;
	}
	*out_r = out;
	return 0;
}

/* srs_ts_decode - two base32 characters (any case) to a day; -1 if bad */
static int
srs_ts_decode(const char *ts)
{
	const char *p0, *p1;

	if (ts[0] == '\0' || ts[1] == '\0')
		return -1;
	p0 = strchr(srs_base32, g_ascii_toupper(ts[0]));
	p1 = strchr(srs_base32, g_ascii_toupper(ts[1]));
	if (p0 == NULL || p1 == NULL)
		return -1;
	return (int)((p0 - srs_base32) << 5 | (p1 - srs_base32));
}

/* srs_reverse - the original sender of an SRS0 ADDRESS; -1 if not valid */
int
srs_reverse(const struct srs_key *key, const char *address, time_t now,
	    char **out_r, char **error_r)
{
	const char *local, *domain, *p, *h, *ts, *od, *ol;
	size_t	llen, dlen, odlen, ollen;
	char	want[SRS_HASH_LEN + 1];
	unsigned int age, diff;
	guint	k;
	int	day, i;

	*out_r = NULL;
	if (key == NULL || key->keys->len == 0) {
		*error_r = g_strdup("SRS: no key");
		return -1;
	}
	if (address == NULL || !srs_is_srs0(address)
	    || srs_split(address, &local, &llen, &domain, &dlen) < 0) {
		*error_r = g_strdup("SRS: not an SRS0 address");
		return -1;
	}
	/* SRS0=HHHH=TT=domain=local */
	p = local + 5;
	h = p;
	if (llen < 5 + SRS_HASH_LEN + 1 + SRS_TS_LEN + 1 + 1 + 1 + 1
	    || h[SRS_HASH_LEN] != '=' || h[SRS_HASH_LEN + 1 + SRS_TS_LEN] != '=') {
		*error_r = g_strdup("SRS: malformed SRS0 address");
		return -1;
	}
	ts = h + SRS_HASH_LEN + 1;
	od = ts + SRS_TS_LEN + 1;
	p = memchr(od, '=', (size_t)(local + llen - od));
	if (p == NULL) {
		*error_r = g_strdup("SRS: malformed SRS0 address");
		return -1;
	}
	odlen = (size_t)(p - od);
	ol = p + 1;
	ollen = (size_t)(local + llen - ol);
	if (!srs_domain_ok(od, odlen) || !srs_local_ok(ol, ollen)) {
		*error_r = g_strdup("SRS: malformed SRS0 address");
		return -1;
	}
	if ((day = srs_ts_decode(ts)) < 0) {
		*error_r = g_strdup("SRS: bad timestamp");
		return -1;
	}
	for (k = 0; k < key->keys->len; k++) {
		diff = 0;
		srs_hash(g_ptr_array_index(key->keys, k), ts, od, odlen, ol,
			 ollen, want);
		for (i = 0; i < SRS_HASH_LEN; i++)
			diff |= (unsigned int)(g_ascii_tolower(want[i])
					       ^ g_ascii_tolower(h[i]));
		if (diff == 0)
			break;
	}
	if (k == key->keys->len) {
		*error_r = g_strdup("SRS: bad hash");
		return -1;
	}
	age = (srs_day(now) + SRS_TS_PERIOD - (unsigned int)day)
	    % SRS_TS_PERIOD;
	if (age > SRS_MAX_AGE_DAYS) {
		*error_r = g_strdup_printf("SRS: address is %u days old "
		    "(limit %d)", age, SRS_MAX_AGE_DAYS);
		return -1;
	}
	*out_r = g_strdup_printf("%.*s@%.*s", (int)ollen, ol, (int)odlen, od);
	return 0;
}
