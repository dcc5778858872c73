// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_path.c - libFuzzer harness for the log path rules.
 *
 * Input: a path (cut at the first NUL). Invariants: a path that passes
 * famfs_path_check normalises to itself; a normalised path passes the check
 * (or is the root) and normalises to itself again; split gives a parent that
 * is a prefix followed by '/' and the name.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "famfs/err.h"
#include "famfs/path.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[FAMFS_OMF_PATH_MAX], again[FAMFS_OMF_PATH_MAX], parent[FAMFS_OMF_PATH_MAX];
	const char *name;
	char *in;
	int ok, rc;

	in = malloc(size + 1);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';

	ok = famfs_path_check(in) == 0;
	if (ok && (strlen(in) == 0 || strlen(in) >= FAMFS_OMF_PATH_MAX || in[0] == '/'))
		fuzz_fail("accepted path of %zu bytes", strlen(in));
	rc = famfs_path_normalize(in, out);
	if (ok && (rc || strcmp(in, out)))
		fuzz_fail("valid path '%s' normalised to '%s' (rc %d)", in, out, rc);
	if (rc == 0) {
		if (strlen(out) >= FAMFS_OMF_PATH_MAX)
			fuzz_fail("normalised path too long");
		if (out[0] && famfs_path_check(out))
			fuzz_fail("normalised '%s' fails the check: %s", out, famfs_errmsg());
		if (famfs_path_normalize(out, again) || strcmp(out, again))
			fuzz_fail("normalise is not idempotent on '%s'", out);
		if (out[0]) {
			size_t pl;

			name = famfs_path_split(out, parent);
			pl = strlen(parent);
			if (pl ? (strncmp(out, parent, pl) || out[pl] != '/' ||
				  strcmp(out + pl + 1, name))
			       : strcmp(out, name))
				fuzz_fail("split '%s' -> '%s' + '%s'", out, parent, name);
			if (!name[0] || (parent[0] && famfs_path_check(parent)))
				fuzz_fail("split '%s' gave a bad part", out);
		}
	} else if (strnlen(out, FAMFS_OMF_PATH_MAX) >= FAMFS_OMF_PATH_MAX) {
		fuzz_fail("failed normalise left an unterminated output");
	}
	if (!ok) {
		/* split must not overrun on anything short enough to be stored. */
		if (strlen(in) < FAMFS_OMF_PATH_MAX)
			(void)famfs_path_split(in, parent);
	}
	free(in);
	return 0;
}
