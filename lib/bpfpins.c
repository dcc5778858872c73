// SPDX-License-Identifier: Apache-2.0
/*
 * bpfpins.c - where famfsd -o bpf pins a mount's BPF maps and programs
 * (FAMFS_BPF_PIN_ROOT/dev-MAJ:MIN-ID, see famfs/resolver.h), and removing
 * them: one mount's directory, or every stale one of an st_dev. Plain file
 * operations on bpffs, no libbpf, so the direct-access client (libfamfs.so,
 * the shim) can drop stale pins without linking it.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "famfs/resolver.h"

static const char *const pin_names[] = {
	FAMFS_BPF_PIN_PROG, FAMFS_BPF_PIN_BENCH, FAMFS_BPF_PIN_FILES, FAMFS_BPF_PIN_DEVS,
};

void famfs_bpf_unpin(const char *dir)
{
	char p[PATH_MAX + 32];
	size_t i;

	for (i = 0; i < sizeof(pin_names) / sizeof(pin_names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, pin_names[i]);
		unlink(p);
	}
	rmdir(dir);
}

void famfs_bpf_pin_dir(uint64_t dev, const uint8_t id[16], char *out, size_t outsz)
{
	char hex[33];
	unsigned int i;

	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	snprintf(out, outsz, "%s/dev-%u:%u-%s", FAMFS_BPF_PIN_ROOT, major((dev_t)dev),
		 minor((dev_t)dev), hex);
}

int famfs_bpf_unpin_dev(uint64_t dev, const uint8_t keep[16])
{
	char prefix[64], kept[PATH_MAX], p[PATH_MAX];
	struct dirent *de;
	size_t pl;
	DIR *d;
	int n = 0;

	if (keep)
		famfs_bpf_pin_dir(dev, keep, kept, sizeof(kept));
	/* "dev-MAJ:MIN" alone is how pins were named before they carried the id */
	pl = (size_t)snprintf(prefix, sizeof(prefix), "dev-%u:%u", major((dev_t)dev),
			      minor((dev_t)dev));
	d = opendir(FAMFS_BPF_PIN_ROOT);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, pl) || (de->d_name[pl] && de->d_name[pl] != '-'))
			continue;
		snprintf(p, sizeof(p), "%s/%s", FAMFS_BPF_PIN_ROOT, de->d_name);
		if (keep && !strcmp(p, kept))
			continue;
		famfs_bpf_unpin(p);
		n++;
	}
	closedir(d);
	return n;
}
