// SPDX-License-Identifier: Apache-2.0
/*
 * visible_probe.c - benchmark (not a test): how long a file made on the
 * master takes to reach a client mount by the client famfsd's catch-up
 * thread alone. It runs `FAMFS creat -s 2M MASTER/NAME`, reads the
 * master's log_next_index (FAMFS_IOC_STATS) once the command has exited,
 * and from that moment asks the client's famfsd for its own
 * log_next_index every 50 µs, in this one process, until it has caught
 * up (the pause keeps the probe from taking a core from famfsd). Nothing looks the name up on the client, so no lookup can
 * trigger the catch-up. Prints the delay in ms (3 decimals).
 *
 * usage: visible_probe FAMFS MASTER_MNT CLIENT_MNT NAME
 *
 * Exit 0 with the delay, 1 on an error or when the client has not caught
 * up within 10 s (printed as the error).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "famfs/ioctl.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* famfsd's log_next_index of the mount whose root is open on @fd. */
static int next_index(int fd, uint64_t *out)
{
	struct famfs_stats_wire s;

	memset(&s, 0, sizeof(s));
	if (ioctl(fd, FAMFS_IOC_STATS, &s) < 0)
		return -errno;
	*out = s.log_next_index;
	return 0;
}

int main(int argc, char **argv)
{
	const struct timespec pause = { .tv_nsec = 50000 };
	uint64_t want, have, t0, t1;
	char path[4096];
	struct stat st;
	int mfd, cfd, status, rc;
	pid_t pid;

	if (argc != 5) {
		fprintf(stderr, "usage: visible_probe FAMFS MASTER_MNT CLIENT_MNT NAME\n");
		return 1;
	}
	mfd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cfd = open(argv[3], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0 || cfd < 0) {
		fprintf(stderr, "visible_probe: %s: %s\n", argv[mfd < 0 ? 2 : 3], strerror(errno));
		return 1;
	}
	if (snprintf(path, sizeof(path), "%s/%s", argv[2], argv[4]) >= (int)sizeof(path)) {
		fprintf(stderr, "visible_probe: path too long\n");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("visible_probe: fork");
		return 1;
	}
	if (pid == 0) {
		execl(argv[1], argv[1], "creat", "-s", "2M", path, (char *)NULL);
		perror(argv[1]);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("visible_probe: waitpid");
			return 1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "visible_probe: famfs creat %s failed\n", path);
		return 1;
	}
	/* The entry is committed: from here on only the client's thread counts. */
	t0 = now_ns();
	/* A lookup on the master makes its famfsd count the entry, had the CLI
	 * logged it itself. */
	(void)stat(path, &st);
	rc = next_index(mfd, &want);
	if (rc) {
		fprintf(stderr, "visible_probe: %s: stats: %s\n", argv[2], strerror(-rc));
		return 1;
	}
	for (;;) {
		rc = next_index(cfd, &have);
		if (rc) {
			fprintf(stderr, "visible_probe: %s: stats: %s\n", argv[3], strerror(-rc));
			return 1;
		}
		t1 = now_ns();
		if (have >= want)
			break;
		if (t1 - t0 > 10000000000ULL) {
			fprintf(stderr, "visible_probe: %s has not caught up within 10 s "
				"(log_next_index %llu, the master's %llu)\n", argv[3],
				(unsigned long long)have, (unsigned long long)want);
			return 1;
		}
		nanosleep(&pause, NULL);
	}
	printf("%.3f\n", (double)(t1 - t0) / 1e6);
	return 0;
}
