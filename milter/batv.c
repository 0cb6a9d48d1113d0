/*
 * NAME
 *	batv - Bounce Address Tag Validation, prvs
 * SUMMARY
 *	See batv.h. The key file is read the way srs.c reads its own; the
 *	tag is computed with GLib's HMAC.
 */

#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "batv.h"

#define BATV_FILE_MAX	(16 * 1024)
#define BATV_DAY	86400
#define BATV_TAG_LEN	10		/* K DDD SSSSSS */
#define BATV_PREFIX	"prvs="
#define BATV_PREFIX_LEN	5

struct batv_key {
	int id;				/* 0-9 */
	GBytes *secret;
};

struct batv_keys {
	struct batv_key keys[10];
	size_t count;			/* keys[0] signs */
};

/* batv_bytes_wipe - wipe and release one secret */
static void
batv_bytes_wipe(GBytes *b)
{
	gsize	n;
	const void *p;

	if (b == NULL)
		return;
	p = g_bytes_get_data(b, &n);
	if (p != NULL && n > 0)
		explicit_bzero((void *)p, n);
	g_bytes_unref(b);
}

/* batv_keys_free - wipe and release; sets *keys to NULL */
void
batv_keys_free(struct batv_keys **keys)
{
	size_t	i;

	if (keys == NULL || *keys == NULL)
		return;
	for (i = 0; i < (*keys)->count; i++)
		batv_bytes_wipe((*keys)->keys[i].secret);
	g_free(*keys);
	*keys = NULL;
}

/* batv_keys_parse - keys from TEXT[0..LEN) */
int
batv_keys_parse(const char *text, size_t len, struct batv_keys **keys_r,
		char **error_r)
{
	struct batv_keys *k = g_new0(struct batv_keys, 1);
	const char *line, *next, *end = text + len;
	unsigned int lineno = 0;

	*keys_r = NULL;
	for (line = text; line < end; line = next) {
		size_t	n, i;
		int	id;

		lineno++;
		next = memchr(line, '\n', (size_t)(end - line));
		next = next != NULL ? next + 1 : end;
		n = (size_t)(next - line);
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (n == 0 || line[0] == '#')
			continue;
		if (!g_ascii_isdigit(line[0]) || n < 2
		    || (line[1] != ' ' && line[1] != '\t'))
			goto bad;
		id = line[0] - '0';
		for (i = 1; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
			;
		if (n - i < BATV_KEY_MIN || n - i > BATV_KEY_MAX
		    || memchr(line + i, '\0', n - i) != NULL)
			goto bad;
		for (size_t j = 0; j < k->count; j++)
			if (k->keys[j].id == id) {
				*error_r = g_strdup_printf("line %u: key "
				    "number %d given twice", lineno, id);
				batv_keys_free(&k);
				return -1;
			}
		k->keys[k->count].id = id;
		k->keys[k->count].secret = g_bytes_new(line + i, n - i);
		k->count++;
		continue;
bad:
		*error_r = g_strdup_printf("line %u: not \"K SECRET\" (a "
		    "digit, white space, a secret of %d to %d bytes)", lineno,
		    BATV_KEY_MIN, BATV_KEY_MAX);
		batv_keys_free(&k);
		return -1;
	}
	if (k->count == 0) {
		*error_r = g_strdup("no key");
		batv_keys_free(&k);
		return -1;
	}
	*keys_r = k;
	return 0;
}

/* batv_keys_load - keys from PATH (owned by us, 0600); -1 with *error_r */
int
batv_keys_load(const char *path, struct batv_keys **keys_r, char **error_r)
{
	struct stat st;
	char   *buf, *err = NULL;
	size_t	got = 0;
	ssize_t	n;
	int	fd, rc;

	*keys_r = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		*error_r = g_strdup_printf("BATV key file %s: %s", path,
					   g_strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*error_r = g_strdup_printf("BATV key file %s: not a regular "
					   "file", path);
		close(fd);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		*error_r = g_strdup_printf("BATV key file %s: must be owned by "
		    "uid %lu and mode 0600 or stricter (is uid %lu, mode %04o); "
		    "refusing it", path, (unsigned long)geteuid(),
		    (unsigned long)st.st_uid,
		    (unsigned int)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	buf = g_malloc(BATV_FILE_MAX + 1);
	while (got <= BATV_FILE_MAX) {
		n = read(fd, buf + got, BATV_FILE_MAX + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got > BATV_FILE_MAX) {
		explicit_bzero(buf, BATV_FILE_MAX + 1);
		g_free(buf);
		*error_r = g_strdup_printf("BATV key file %s: too large", path);
		return -1;
	}
	rc = batv_keys_parse(buf, got, keys_r, &err);
	explicit_bzero(buf, got);
	g_free(buf);
	if (rc < 0) {
		*error_r = g_strdup_printf("BATV key file %s: %s", path, err);
		g_free(err);
	}
	return rc;
}

/* batv_key_find - the key numbered ID, or NULL */
static const struct batv_key *
batv_key_find(const struct batv_keys *keys, int id)
{
	for (size_t i = 0; keys != NULL && i < keys->count; i++)
		if (keys->keys[i].id == id)
			return &keys->keys[i];
	return NULL;
}

/* batv_hash - the six hex digits for KDDD (4 chars) and ADDRESS */
static void
batv_hash(const struct batv_key *key, const char *kddd, const char *address,
	  char out[7])
{
	static const char hex[] = "0123456789abcdef";
	guint8	digest[32];
	gsize	dlen = sizeof(digest), klen;
	const guint8 *secret = g_bytes_get_data(key->secret, &klen);
	char   *lower = g_ascii_strdown(address, -1);
	GHmac  *h = g_hmac_new(G_CHECKSUM_SHA256, secret, klen);

	g_hmac_update(h, (const guchar *)kddd, 4);
	g_hmac_update(h, (const guchar *)lower, (gssize)strlen(lower));
	g_hmac_get_digest(h, digest, &dlen);
	g_hmac_unref(h);
	g_free(lower);
	for (int i = 0; i < 3; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 0xf];
	}
	out[6] = '\0';
	explicit_bzero(digest, sizeof(digest));
}

/* batv_day - days since the epoch at NOW */
static long
batv_day(time_t now)
{
	return now >= 0 ? (long)(now / BATV_DAY) : 0;
}

/* batv_sign - the tagged form of ADDRESS at NOW */
int
batv_sign(const struct batv_keys *keys, const char *address, time_t now,
	  char **tagged_r, char **error_r)
{
	const char *at;
	char	kddd[5], hash[7];
	size_t	local;

	*tagged_r = NULL;
	if (keys == NULL || keys->count == 0) {
		*error_r = g_strdup("no BATV key");
		return -1;
	}
	if (address == NULL || strnlen(address, BATV_ADDRESS_MAX + 1)
	    > BATV_ADDRESS_MAX - BATV_TAG_LEN - BATV_PREFIX_LEN - 1
	    || (at = strrchr(address, '@')) == NULL || at == address
	    || at[1] == '\0') {
		*error_r = g_strdup("not an address that can be tagged");
		return -1;
	}
	local = (size_t)(at - address);
	if (local > BATV_LOCAL_MAX) {
		*error_r = g_strdup_printf("local part longer than %d "
		    "characters: not tagged", BATV_LOCAL_MAX);
		return -1;
	}
	if (g_ascii_strncasecmp(address, BATV_PREFIX, BATV_PREFIX_LEN) == 0) {
		*error_r = g_strdup("already tagged");
		return -1;
	}
	g_snprintf(kddd, sizeof(kddd), "%d%03ld", keys->keys[0].id,
		   (batv_day(now) + BATV_VALID_DAYS) % 1000);
	batv_hash(&keys->keys[0], kddd, address, hash);
	*tagged_r = g_strdup_printf(BATV_PREFIX "%s%s=%s", kddd, hash, address);
	return 0;
}

/*
 * batv_split - whether ADDRESS is in prvs form: 1 with its tag (10
 * characters, lowercased) and *orig_r; 0 when not tagged; -1 when it
 * starts "prvs=" but is no valid tag
 */
static int
batv_split(const char *address, char tag[BATV_TAG_LEN + 1], char **orig_r)
{
	const char *at, *p;
	size_t	i;

	*orig_r = NULL;
	if (address == NULL || strnlen(address, BATV_ADDRESS_MAX + 1)
	    > BATV_ADDRESS_MAX)
		return 0;
	if (g_ascii_strncasecmp(address, BATV_PREFIX, BATV_PREFIX_LEN) != 0)
		return 0;
	at = strrchr(address, '@');
	if (at == NULL)
		return 0;			/* not an address at all */
	p = address + BATV_PREFIX_LEN;
	if ((size_t)(at - p) < BATV_TAG_LEN + 2 || p[BATV_TAG_LEN] != '=')
		return -1;
	for (i = 0; i < BATV_TAG_LEN; i++) {
		char	c = g_ascii_tolower(p[i]);

		if (i < 4 ? !g_ascii_isdigit(c) : !g_ascii_isxdigit(c))
			return -1;
		tag[i] = c;
	}
	tag[BATV_TAG_LEN] = '\0';
	if (at[1] == '\0')
		return -1;
	*orig_r = g_strdup(p + BATV_TAG_LEN + 1);
	return 1;
}

/* batv_check - what ADDRESS is */
enum batv_status
batv_check(const struct batv_keys *keys, const char *address, time_t now,
	   char **orig_r)
{
	const struct batv_key *key;
	char	tag[BATV_TAG_LEN + 1], hash[7], *orig = NULL;
	unsigned int diff = 0;
	long	exp, today;
	int	rc;

	if (orig_r != NULL)
		*orig_r = NULL;
	rc = batv_split(address, tag, &orig);
	if (rc == 0)
		return BATV_UNTAGGED;
	if (rc < 0 || (key = batv_key_find(keys, tag[0] - '0')) == NULL) {
		g_free(orig);
		return BATV_BAD;
	}
	batv_hash(key, tag, orig, hash);
	for (int i = 0; i < 6; i++)
		diff |= (unsigned int)(hash[i] ^ tag[4 + i]);
	if (diff != 0) {
		g_free(orig);
		return BATV_BAD;
	}
	exp = (tag[1] - '0') * 100 + (tag[2] - '0') * 10 + (tag[3] - '0');
	today = batv_day(now) % 1000;
	/* days left until it expires, mod 1000: 0..VALID (+ skew) is fine */
	if (orig_r != NULL)
		*orig_r = orig;
	else
		g_free(orig);
	return (exp - today + 1000) % 1000 <= BATV_VALID_DAYS + BATV_SKEW_DAYS
	    ? BATV_VALID : BATV_EXPIRED;
}

/* batv_untag - ADDRESS without a syntactically valid tag, or NULL */
char *
batv_untag(const char *address)
{
	char	tag[BATV_TAG_LEN + 1], *orig = NULL;

	if (batv_split(address, tag, &orig) == 1)
		return orig;
	g_free(orig);
	return NULL;
}

/* batv_status_name - "untagged", "valid", "expired", "bad" */
const char *
batv_status_name(enum batv_status s)
{
	switch (s) {
	case BATV_UNTAGGED: return "untagged";
	case BATV_VALID: return "valid";
	case BATV_EXPIRED: return "expired";
	default: return "bad";
	}
}
