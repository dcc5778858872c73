// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_alloccfg.c - libFuzzer harness for the .alloc.cfg parser.
 *
 * Input: the file's bytes. Invariants: no crash or leak; an accepted file
 * gives counts in range (nbuckets 0..64, nstrips 0..16, chunk_size a u32),
 * a refused one -EINVAL with a detail naming .alloc.cfg and an all-zero
 * result; parsing is deterministic.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "famfs/alloccfg.h"
#include "famfs/err.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct famfs_interleave_param a, b;
	int rc, rc2;

	famfs_errclear();
	rc = famfs_alloc_cfg_parse((const char *)data, size, &a);
	if (rc == 0) {
		if (a.nbuckets > FAMFS_MAX_NBUCKETS || a.nstrips > FAMFS_OMF_MAX_STRIPS ||
		    a.chunk_size > UINT32_MAX)
			fuzz_fail("accepted out-of-range values %llu/%llu/%llu",
				  (unsigned long long)a.nbuckets, (unsigned long long)a.nstrips,
				  (unsigned long long)a.chunk_size);
	} else {
		if (rc != -EINVAL && rc != -ENOMEM)
			fuzz_fail("unexpected rc %d", rc);
		if (rc == -EINVAL && !strstr(famfs_errmsg(), ".alloc.cfg"))
			fuzz_fail("refusal without a detail: '%s'", famfs_errmsg());
		if (a.nbuckets || a.nstrips || a.chunk_size)
			fuzz_fail("refused, but left values behind");
	}
	rc2 = famfs_alloc_cfg_parse((const char *)data, size, &b);
	if (rc2 != rc || memcmp(&a, &b, sizeof(a)))
		fuzz_fail("two parses differ");
	return 0;
}
