// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_bpfpoke.c - test tool: make the BPF map of a famfsd -o bpf mount
 * hold a hostile file map, the way a buggy or compromised server could,
 * and read the file through libc as an ordinary program would.
 *
 *   famfs_bpfpoke FILE CHUNK CMD [ARG...]
 *
 * It opens FILE with a raw openat system call (an LD_PRELOAD shim does not
 * see that open; famfsd fills the file's BPF entry while it handles the
 * OPEN), replaces the chunk size of the file's interleaved entry with CHUNK
 * (the pin directory comes from the xattr user.famfs.bpf of FILE), then
 * runs CMD with that descriptor as its standard input (e.g. cat). Under
 * the shim, CMD's first read adopts the descriptor and maps the file from
 * the poked entry, unless the library refuses it. (CMD is a separate
 * program so that it can be an uninstrumented one: in a sanitizer build
 * this tool's own libc calls would not reach the shim.)
 *
 * Exit: CMD's, or 1 on an error ("famfs_bpfpoke: ...: why" on stderr), 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/resolver.h"

static int die(const char *what, int err)
{
	fprintf(stderr, "famfs_bpfpoke: %s: %s%s%s\n", what, strerror(err),
		*famfs_errmsg() ? " - " : "", famfs_errmsg());
	return 1;
}

int main(int argc, char **argv)
{
	struct famfs_bpf b = { -1, -1, -1, -1 };
	static struct famfs_fmap f;
	struct famfs_bpf_file v;
	char dir[512];
	struct stat st;
	ssize_t n;
	int fd, rc;

	if (argc < 4) {
		fprintf(stderr, "usage: famfs_bpfpoke FILE CHUNK CMD [ARG...]\n");
		return 2;
	}
	fd = (int)syscall(SYS_openat, AT_FDCWD, argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return die(argv[1], errno);
	n = getxattr(argv[1], "user.famfs.bpf", dir, sizeof(dir) - 1);
	if (n <= 0)
		return die("getxattr user.famfs.bpf (not a -o bpf mount?)", errno);
	dir[n] = '\0';
	rc = famfs_bpf_open_pinned(dir, &b);
	if (!rc)
		rc = famfs_bpf_get_file(&b, st.st_ino, &v);
	if (rc)
		return die(dir, -rc);
	if (v.ext_type != FAMFS_EXT_INTERLEAVE)
		return die("the file is not interleaved", EINVAL);
	v.chunk_size = strtoull(argv[2], NULL, 0);
	famfs_bpf_file_decode(&v, &f);
	rc = famfs_bpf_set_file(&b, st.st_ino, &f);
	if (rc)
		return die("BPF map update", -rc);
	famfs_bpf_close(&b);
	if (dup2(fd, 0) < 0)
		return die("dup2", errno);
	close(fd);
	execvp(argv[3], argv + 3);
	return die(argv[3], errno);
}
