/*
 * fuzz-lmtp - libFuzzer target: LMTP command lines -> lmtp_command(),
 * lmtp_path()
 *
 * The input is split into lines as deputyd's session does (at LF, a CR
 * before it dropped, at most 4095 bytes a line); each line is parsed as
 * a command, and the argument of every MAIL and RCPT as a path.
 *
 * Checks besides no crash / no leak: the argument lies inside the line;
 * a path that parses has an address of at most LMTP_PATH_MAX bytes with
 * no control character, a SIZE of -1 or more, and a refusal is a reply
 * that starts with "5", three digits and a space.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "proto.h"

/* fuzz_line - one command line */
static void
fuzz_line(const char *line)
{
	const char *arg, *reply = NULL;
	enum lmtp_verb verb = lmtp_command(line, &arg);
	struct lmtp_path path;

	if (arg < line || arg > line + strlen(line))
		abort();
	if (verb != LMTP_MAIL && verb != LMTP_RCPT)
		return;
	if (lmtp_path(arg, verb == LMTP_MAIL ? "FROM:" : "TO:", &path,
	    &reply) != 0) {
		if (reply == NULL || reply[0] != '5' || strlen(reply) < 5 ||
		    reply[3] != ' ' || path.address != NULL)
			abort();
		return;
	}
	if (path.address == NULL || strlen(path.address) > LMTP_PATH_MAX ||
	    path.size < -1)
		abort();
	for (const char *p = path.address; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	lmtp_path_clear(&path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[4096];
	size_t n = 0;

	for (size_t i = 0; i <= size; i++) {
		if (i == size || data[i] == '\n') {
			if (n > 0 && line[n - 1] == '\r')
				n--;
			line[n] = '\0';
			if (memchr(line, '\0', n) == NULL)
				fuzz_line(line);
			n = 0;
			continue;
		}
		if (n < sizeof(line) - 1)
			line[n++] = (char)data[i];
	}
	return 0;
}
