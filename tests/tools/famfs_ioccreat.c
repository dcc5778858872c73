// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_ioccreat.c - sends FAMFS_IOC_CREAT to a mount's famfsd directly,
 * with none of the famfs CLI's own checks before it: what a user who
 * writes their own client would send. For test_creat_famfsd.sh, which
 * checks that famfsd alone refuses whom it must.
 *
 * usage: famfs_ioccreat MNT RELPATH SIZE [UID GID]
 * A RELPATH as long as the request's field or longer fills it with no NUL.
 * Prints "ok INO", or "err ERRNO MESSAGE" and exits 1; exits 2 when the
 * ioctl itself fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "famfs/ioctl.h"

int main(int argc, char **argv)
{
	struct famfs_creat_req r;
	int fd;

	if (argc != 4 && argc != 6) {
		fprintf(stderr, "usage: famfs_ioccreat MNT RELPATH SIZE [UID GID]\n");
		return 2;
	}
	memset(&r, 0, sizeof(r));
	r.version = FAMFS_CREAT_REQ_VERSION;
	r.size = strtoull(argv[3], NULL, 0);
	r.mode = 0644;
	r.uid = argc == 6 ? (uint32_t)strtoul(argv[4], NULL, 0) : getuid();
	r.gid = argc == 6 ? (uint32_t)strtoul(argv[5], NULL, 0) : getgid();
	if (strlen(argv[2]) >= sizeof(r.relpath))
		memcpy(r.relpath, argv[2], sizeof(r.relpath));
	else
		memcpy(r.relpath, argv[2], strlen(argv[2]) + 1);
	fd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (fd < 0 || ioctl(fd, FAMFS_IOC_CREAT, &r)) {
		fprintf(stderr, "famfs_ioccreat: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	if (r.err) {
		r.msg[sizeof(r.msg) - 1] = '\0';
		printf("err %d %s\n", r.err, r.msg);
		fprintf(stderr, "famfs_ioccreat: %s\n", r.msg);
		return 1;
	}
	printf("ok %llu\n", (unsigned long long)r.ino);
	return 0;
}
