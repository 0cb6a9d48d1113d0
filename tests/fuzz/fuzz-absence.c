/*
 * fuzz-absence - libFuzzer target: deputyAbsence text -> absence_check()
 *
 * The value comes from the directory, which a helpdesk tool or a user's
 * self-service page writes: treat it as untrusted. The bytes are split
 * at the first NUL into up to two values (an entry may hold several),
 * evaluated at a fixed instant and at a second one a year on, and each
 * is also given to absence_validate().
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "absence.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	size_t first = strlen(text);
	const char *values[3] = { text, NULL, NULL };
	static const time_t when[] = { FUZZ_NOW, FUZZ_NOW + 366 * 86400 };
	struct absence_result res;
	char *error = NULL;
	int rc;

	if (first < size)
		values[1] = text + first + 1;
	for (size_t i = 0; i < G_N_ELEMENTS(when); i++) {
		memset(&res, 0, sizeof(res));
		rc = absence_check(values, when[i], &res, &error);
		if (rc < -1 || rc > 1)
			abort();
		if (rc < 0 && error == NULL)
			abort();
		if (rc == 1 && res.end <= res.start)
			abort();
		g_free(error);
		error = NULL;
	}
	for (size_t i = 0; values[i] != NULL; i++) {
		rc = absence_validate(values[i], &error);
		g_free(error);
		error = NULL;
	}
	free(text);
	return 0;
}
