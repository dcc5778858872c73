// SPDX-License-Identifier: Apache-2.0
/*
 * upstream_opts.c - upstream famfs's -? and --fuse / --nofuse, shared by
 * famfs and mkfs.famfs (see upstream_opts.h).
 */
#include <stdio.h>
#include <string.h>

#include "famfs/kmod.h"
#include "upstream_opts.h"

void famfs_help_alias(int argc, char **argv)
{
	static char help_opt[] = "--help";

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return;
		if (!strcmp(argv[i], "-?"))
			argv[i] = help_opt;
	}
}

int famfs_mode_flag(const char *prog, bool nofuse)
{
	static bool said;

	if (nofuse && !famfs_kmod_loaded()) {
		fprintf(stderr, "%s: --nofuse asks for a famfs kernel module, and this kernel "
			"has none (no famfs in its fuse; see docs/kernel.md); famfs mounts here "
			"are always FUSE: drop --nofuse\n", prog);
		return -1;
	}
	if (!said)
		fprintf(stderr, "%s: note: %s: famfs mounts are always FUSE (famfsd)%s\n", prog,
			nofuse ? "--nofuse" : "--fuse", nofuse ?
			"; this kernel's famfs module serves file data itself" :
			"; the file system is the same either way");
	said = true;
	return 0;
}
