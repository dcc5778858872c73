// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_shimfork.c - test tool: fork(2) while another thread is inside the
 * preload shim's locked sections (munmap walks the widened-mapping list,
 * open/close allocate and free per-fd state). Each child uses the same
 * paths and exits; a child that has not exited within 10 s is stuck on a
 * lock held by a thread that does not exist in it. Run it under the shim.
 *
 *   famfs_shimfork FILE [FORKS]
 *
 * Prints "N forks, M stuck"; exits 1 if any child was stuck.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NMAPS 2000

static const char *path;
/*
 * A page we keep mapped. munmap(hole + 1, ...) walks the shim's span list
 * under its lock and then fails in the kernel (EINVAL: unaligned), so it
 * unmaps nothing. (munmap of a page already unmapped is not a no-op: the
 * address can be reused meanwhile, e.g. by the ASan runtime's own maps.)
 */
static char *hole;
static atomic_int stop;

/* What both the busy thread and each child do: take the shim's locks. */
static void shim_paths(int opens)
{
	int i, fd;

	for (i = 0; i < 64; i++)
		munmap(hole + 1, 4096);
	for (i = 0; i < opens; i++) {
		fd = open(path, O_RDONLY);
		if (fd >= 0)
			close(fd);
	}
}

static void *busy(void *arg)
{
	while (!atomic_load(&stop))
		shim_paths(1);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int forks = argc > 2 ? atoi(argv[2]) : 500, i, stuck = 0, st, fd;
	pthread_t th;
	double deadline;
	pid_t pid;
	void *m;

	if (argc < 2 || forks <= 0) {
		fprintf(stderr, "usage: famfs_shimfork FILE [FORKS]\n");
		return 2;
	}
	path = argv[1];
	/*
	 * Widened mappings stay recorded, so that each munmap walks a long
	 * list with the lock held: a fork often lands inside that walk.
	 */
	fd = open(path, O_RDONLY);
	for (i = 0, m = NULL; i < NMAPS && m != MAP_FAILED; i++)
		m = fd < 0 ? MAP_FAILED : mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || hole == MAP_FAILED) {
		perror(path);
		return 1;
	}
	if (pthread_create(&th, NULL, busy, NULL))
		return 1;
	for (i = 0; i < forks; i++) {
		pid = fork();
		if (pid < 0)
			break;
		if (pid == 0) {
			shim_paths(1);
			_exit(0);
		}
		deadline = now_s() + 10;
		while (waitpid(pid, &st, WNOHANG) == 0) {
			if (now_s() > deadline) {
				stuck++;
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
				break;
			}
			sched_yield();
		}
		if (stuck)
			break;
	}
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	close(fd);
	printf("%d forks, %d stuck\n", i, stuck);
	return stuck != 0;
}
